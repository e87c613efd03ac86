// kernels/loss.wgsl: MSE and L1 as one reduction launch forward and one elementwise launch backward.
import { Tensor } from '../tensor.ts';
import { declareKernel, wgslConst } from './declare.ts';

export const LOSS_MSE = wgslConst('loss', 'LOSS_MSE');
export const LOSS_L1 = wgslConst('loss', 'LOSS_L1');

const LOSS = declareKernel({
  name: 'loss',
  files: ['loss'],
  params: {
    n: 'u32',
    kind: 'u32',
    has_target: 'u32',
    negate: 'u32',
    value: 'f32',
    scale: 'f32',
    split: 'u32',
    value2: 'f32',
    accumulate: 'u32',
  },
  entries: { loss_forward: ['x', 'y', 'out'], loss_backward: ['x', 'y', 'g', 'out'] },
});

/**
 * A target: a tensor of x's size, a number, or two numbers for the first and second half of x's
 * elements (then the loss is the sum of the two halves' means).
 */
export type LossTarget = Tensor | number | [number, number];

function params(kind: number, x: Tensor, y: LossTarget, weight: number, negate = false, accumulate = false) {
  const n = x.size;
  const tensorY = y instanceof Tensor;
  const halves = Array.isArray(y);
  return {
    n,
    kind,
    has_target: tensorY ? 1 : 0,
    negate: negate ? 1 : 0,
    value: tensorY ? 0 : halves ? y[0] : y,
    value2: halves ? y[1] : 0,
    split: halves ? n / 2 : n,
    scale: n > 0 ? (weight * (halves ? 2 : 1)) / n : 0,
    accumulate: accumulate ? 1 : 0,
  };
}

/**
 * weight * mean f(x - y) as a one-element tensor of shape [] (two targets: the sum of the halves'
 * means), or added into `into` (a [] tensor) when given.
 */
export function pointLoss(kind: number, x: Tensor, y: LossTarget, weight = 1, into?: Tensor): Tensor {
  const out = into ?? Tensor.empty([]);
  const yb = y instanceof Tensor ? y : x;
  LOSS.run('loss_forward', {
    params: params(kind, x, y, weight, false, !!into),
    bind: { x, y: yb, out },
    workgroups: [1],
  });
  return out;
}

/** d weight * mean f(x - y) / dx times the loss gradient g (negated: / dy). */
export function pointLossGrad(
  kind: number,
  x: Tensor,
  y: LossTarget,
  g: Tensor,
  negate: boolean,
  weight = 1,
): Tensor {
  const out = Tensor.empty(x.shape);
  if (out.size === 0) return out;
  const yb = y instanceof Tensor ? y : x;
  LOSS.run('loss_backward', {
    params: params(kind, x, y, weight, negate),
    bind: { x, y: yb, g, out },
    threads: x.size,
  });
  return out;
}
