// Seeded random tensors drawn on the GPU (kernels/random.wgsl): a counter-based hash of (seed, index),
// so a seed gives the same numbers on every device. Without a seed, draws come from a global stream
// that manualSeed() resets, as torch.manual_seed does.
import { f32bits, rt } from '../gpu/runtime.ts';
import { checkShape, type Shape, Tensor } from '../tensor.ts';

let state = 0x2545f491;

/** Resets the global stream used when no seed is given. */
export function manualSeed(seed: number): void {
  state = seed >>> 0;
}

/** The global stream's position, to save with a checkpoint so a resumed run draws the same numbers. */
export function getRngState(): number {
  return state;
}

export function setRngState(s: number): void {
  state = s >>> 0;
}

// splitmix32: turns the global counter into well-spread seeds.
function nextSeed(): number {
  state = (state + 0x9e3779b9) >>> 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export interface RandomOpts {
  seed?: number;
}

function draw(shape: Shape, dist: number, a: number, b: number, seed?: number): Tensor {
  checkShape(shape, 'random');
  const s = seed === undefined ? nextSeed() : seed;
  const out = Tensor.empty(shape);
  if (out.size === 0) return out;
  const r = rt();
  // Two seed words: the low word offsets the counter, the mixed high word keys the second hash.
  const s0 = s >>> 0;
  const s1 = Math.imul((Math.floor(s / 2 ** 32) ^ s0) >>> 0, 0x9e3779b1) >>> 0;
  r.dispatch({
    kernel: { files: ['random'], entry: 'random' },
    params: [out.size, s0, s1, dist, f32bits(a), f32bits(b), 0, 0],
    bindings: [out.buffer],
    workgroups: r.grid(Math.ceil(out.size / 64)),
  });
  return out;
}

/** Uniform on [low, high). */
export function rand(shape: Shape, opts: RandomOpts & { low?: number; high?: number } = {}): Tensor {
  return draw(shape, 0, opts.low ?? 0, opts.high ?? 1, opts.seed);
}

/** Normal with the given mean and std (default 0, 1). */
export function randn(shape: Shape, opts: RandomOpts & { mean?: number; std?: number } = {}): Tensor {
  return draw(shape, 1, opts.mean ?? 0, opts.std ?? 1, opts.seed);
}

/** The inverted-dropout mask: 1/(1-p) with probability 1-p, else 0. */
export function dropoutMask(shape: Shape, p: number, opts: RandomOpts = {}): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  return draw(shape, 2, p, 0, opts.seed);
}
