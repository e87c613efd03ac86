// kernels/norm.wgsl: instance normalisation forward (writing per-plane mean and 1/std) and backward;
// kernels/norm_subgroup.wgsl: the same for adapters with subgroups of exactly 8 lanes (the CPU driver).
import { subgroupsOf8 } from '../gpu/device.ts';
import { rt } from '../gpu/runtime.ts';
import type { Tensor } from '../tensor.ts';
import { declareKernel } from './declare.ts';

const PARAMS = { rows: 'u32', L: 'u32', C: 'u32', affine: 'u32', eps: 'f32', accumulate: 'u32' } as const;

const NORM = declareKernel({
  name: 'norm',
  files: ['norm'],
  params: PARAMS,
  entries: {
    instnorm_forward: ['x', 'gamma', 'beta', 'out', 'stats'],
    instnorm_backward: ['x', 'gy', 'gamma', 'out', 'stats'],
  },
});

// Compiled only where chosen (it needs the subgroups feature).
const NORM_SG = declareKernel({
  name: 'norm',
  files: ['norm', 'norm_subgroup'],
  params: PARAMS,
  entries: {
    instnorm_forward_sg: ['x', 'gamma', 'beta', 'out', 'stats'],
    instnorm_backward_sg: ['x', 'gy', 'gamma', 'out', 'stats'],
  },
});

/** The instance-norm kernels: 64-thread workgroups with shared-memory sums, or 8-lane subgroup sums. */
export type NormBody = 'norm' | 'norm_subgroup';

let forced: NormBody | null = null;

/** Pins the instance-norm body (tests run both on one adapter); null restores the adapter's choice. */
export function forceNormBody(body: NormBody | null): void {
  forced = body;
}

/**
 * Subgroups of exactly 8 lanes (lavapipe) get the barrier-free subgroup body, where a barrier costs
 * more than the whole sum; other adapters keep workgroup-memory tree sums.
 */
export function normBody(): NormBody {
  const info = rt().info;
  const sub8 = subgroupsOf8(info);
  const body = forced ?? (sub8 ? 'norm_subgroup' : 'norm');
  if (body === 'norm_subgroup' && !sub8) throw new Error('norm_subgroup needs subgroups of exactly 8 lanes');
  return body;
}

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
  const launch = { params: params(p), bind, groups: p.rows };
  if (normBody() === 'norm_subgroup') NORM_SG.run('instnorm_forward_sg', launch);
  else NORM.run('instnorm_forward', launch);
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
  const launch = { params: params(p, accumulate), bind, groups: p.rows };
  if (normBody() === 'norm_subgroup') NORM_SG.run('instnorm_backward_sg', launch);
  else NORM.run('instnorm_backward', launch);
}
