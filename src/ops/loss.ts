// Pointwise losses as single launches (src/kernels/loss.ts): mean (x - y)^2 and mean |x - y| for a
// target y of x's shape or a number. nn/losses.ts uses these when the target fits and composes the
// broadcasting case from elementwise ops.
import { record } from '../autograd.ts';
import { LOSS_L1, LOSS_MSE, pointLoss, pointLossGrad } from '../kernels/loss.ts';
import { fmt } from '../shape.ts';
import { Tensor } from '../tensor.ts';

function fused(op: string, kind: number, x: Tensor, y: Tensor | number): Tensor {
  if (y instanceof Tensor && y.size !== x.size)
    throw new Error(`${op}: target ${fmt(y.shape)} does not match input ${fmt(x.shape)}`);
  const out = pointLoss(kind, x, y);
  const inputs = y instanceof Tensor ? [x, y] : [x];
  return record(out, inputs, (g) => [
    x.requiresGrad ? pointLossGrad(kind, x, y, g, false) : null,
    y instanceof Tensor && y.requiresGrad ? pointLossGrad(kind, x, y, g, true) : null,
  ]);
}

/** mean (x - y)^2 over every element, y of x's shape or a number (one launch each way). */
export function mseLossFused(x: Tensor, y: Tensor | number): Tensor {
  return fused('mseLoss', LOSS_MSE, x, y);
}

/**
 * mean (x[:h] - a)^2 + mean (x[h:] - b)^2 over the two halves of dimension 0 (one launch each way):
 * a GAN loss of a discriminator run once on fakes (first half) and reals.
 */
export function mseLossHalves(x: Tensor, a: number, b: number): Tensor {
  if (x.ndim === 0 || x.shape[0] % 2 !== 0)
    throw new Error(`mseLossHalves: dimension 0 of ${fmt(x.shape)} must be even`);
  const out = pointLoss(LOSS_MSE, x, [a, b]);
  return record(out, [x], (g) => [pointLossGrad(LOSS_MSE, x, [a, b], g, false)]);
}

/** mean |x - y| over every element, y of x's shape or a number (one launch each way). */
export function l1LossFused(x: Tensor, y: Tensor | number): Tensor {
  return fused('l1Loss', LOSS_L1, x, y);
}
