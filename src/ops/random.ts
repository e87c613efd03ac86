// Seeded random tensors drawn on the GPU (kernels/random.wgsl): a counter-based hash of (seed, index),
// so a seed gives the same numbers on every device. Without a seed, draws come from a global stream
// that manualSeed() resets, as torch.manual_seed does.
import { DIST_NORMAL, DIST_UNIFORM, draw } from '../kernels/random.ts';
import type { Shape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';

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

/** The next seed of the global stream (splitmix32: turns the counter into well-spread seeds). */
export function nextSeed(): number {
  state = (state + 0x9e3779b9) >>> 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export interface RandomOpts {
  seed?: number;
}

/** Uniform on [low, high). */
export function rand(shape: Shape, opts: RandomOpts & { low?: number; high?: number } = {}): Tensor {
  return draw(shape, DIST_UNIFORM, opts.low ?? 0, opts.high ?? 1, opts.seed ?? nextSeed());
}

/** Normal with the given mean and std (default 0, 1). */
export function randn(shape: Shape, opts: RandomOpts & { mean?: number; std?: number } = {}): Tensor {
  return draw(shape, DIST_NORMAL, opts.mean ?? 0, opts.std ?? 1, opts.seed ?? nextSeed());
}
