// kernels/random.wgsl: counter-based random draws (uniform, normal, dropout mask) from a 64-bit seed.
import { checkShape, type Shape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { declareKernel, wgslConst } from './declare.ts';

export const DIST_UNIFORM = wgslConst('random', 'DIST_UNIFORM');
export const DIST_NORMAL = wgslConst('random', 'DIST_NORMAL');
export const DIST_DROPOUT = wgslConst('random', 'DIST_DROPOUT');

const RANDOM = declareKernel({
  name: 'random',
  files: ['random'],
  params: { n: 'u32', s0: 'u32', s1: 'u32', dist: 'u32', a: 'f32', b: 'f32' },
  entries: { random: ['out'] },
});

/** A tensor of draws from distribution `dist` with parameters a, b, keyed by `seed`. */
export function draw(shape: Shape, dist: number, a: number, b: number, seed: number): Tensor {
  checkShape(shape, 'random');
  const out = Tensor.empty(shape);
  if (out.size === 0) return out;
  // Two seed words: the low word offsets the counter, the mixed high word keys the second hash.
  const s0 = seed >>> 0;
  const s1 = Math.imul((Math.floor(seed / 2 ** 32) ^ s0) >>> 0, 0x9e3779b1) >>> 0;
  RANDOM.run('random', { params: { n: out.size, s0, s1, dist, a, b }, bind: { out }, threads: out.size });
  return out;
}
