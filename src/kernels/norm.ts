// kernels/norm.wgsl: instance normalisation forward (writing per-plane mean and 1/std) and backward.
import type { Tensor } from '../tensor.ts';
import { declareKernel } from './declare.ts';

const NORM = declareKernel({
  name: 'norm',
  files: ['norm'],
  params: { rows: 'u32', L: 'u32', C: 'u32', affine: 'u32', eps: 'f32', accumulate: 'u32' },
  entries: {
    instnorm_forward: ['x', 'gamma', 'beta', 'out', 'stats'],
    instnorm_backward: ['x', 'gy', 'gamma', 'out', 'stats'],
  },
});

interface Planes {
  /** N*C planes of L = H*W values; C for the affine parameters. */
  rows: number;
  L: number;
  C: number;
  eps: number;
  gamma: Tensor | null;
  beta: Tensor | null;
}

const params = (p: Planes, accumulate = false) => ({
  rows: p.rows,
  L: p.L,
  C: p.C,
  affine: p.gamma ? 1 : 0,
  eps: p.eps,
  accumulate: accumulate ? 1 : 0,
});

/** y = instance_norm(x) (affine when gamma and beta are given); stats [rows, 2] = (mean, 1/std). */
export function instanceNormForward(x: Tensor, y: Tensor, stats: Tensor, p: Planes): void {
  if (p.rows * p.L === 0) return;
  // Without affine parameters the kernel never reads gamma/beta; any buffer fills the slots.
  const bind = { x, gamma: p.gamma ?? x, beta: p.beta ?? x, out: y, stats };
  NORM.run('instnorm_forward', { params: params(p), bind, groups: p.rows });
}

/** dx of instance_norm from the upstream gradient gy and the saved statistics. */
export function instanceNormBackward(
  x: Tensor,
  gy: Tensor,
  dx: Tensor,
  stats: Tensor,
  p: Planes,
  accumulate = false,
): void {
  if (p.rows * p.L === 0) return;
  const bind = { x, gy, gamma: p.gamma ?? x, out: dx, stats };
  NORM.run('instnorm_backward', { params: params(p, accumulate), bind, groups: p.rows });
}
