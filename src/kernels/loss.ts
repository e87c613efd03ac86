// kernels/loss.wgsl: MSE and L1 as one reduction launch forward and one elementwise launch backward.
import { Tensor } from '../tensor.ts';
import { declareKernel, wgslConst } from './declare.ts';

export const LOSS_MSE = wgslConst('loss', 'LOSS_MSE');
export const LOSS_L1 = wgslConst('loss', 'LOSS_L1');

const LOSS = declareKernel({
  name: 'loss',
  files: ['loss'],
  params: { n: 'u32', kind: 'u32', has_target: 'u32', negate: 'u32', value: 'f32', scale: 'f32' },
  entries: { loss_forward: ['x', 'y', 'out'], loss_backward: ['x', 'y', 'g', 'out'] },
});

/** y: a tensor of x's size, or a number. */
function params(kind: number, x: Tensor, y: Tensor | number, negate = false) {
  const n = x.size;
  const tensorY = y instanceof Tensor;
  return {
    n,
    kind,
    has_target: tensorY ? 1 : 0,
    negate: negate ? 1 : 0,
    value: tensorY ? 0 : y,
    scale: n > 0 ? 1 / n : 0,
  };
}

/** mean f(x - y) as a one-element tensor of shape []. */
export function pointLoss(kind: number, x: Tensor, y: Tensor | number): Tensor {
  const out = Tensor.empty([]);
  const yb = y instanceof Tensor ? y : x;
  LOSS.run('loss_forward', { params: params(kind, x, y), bind: { x, y: yb, out }, workgroups: [1] });
  return out;
}

/** d mean f(x - y) / dx times the loss gradient g (negated: / dy). */
export function pointLossGrad(
  kind: number,
  x: Tensor,
  y: Tensor | number,
  g: Tensor,
  negate: boolean,
): Tensor {
  const out = Tensor.empty(x.shape);
  if (out.size === 0) return out;
  const yb = y instanceof Tensor ? y : x;
  LOSS.run('loss_backward', {
    params: params(kind, x, y, negate),
    bind: { x, y: yb, g, out },
    threads: x.size,
  });
  return out;
}
