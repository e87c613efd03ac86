// Pointwise losses as single launches (src/kernels/loss.ts): mean (x - y)^2 and mean |x - y| for a
// target y of x's shape or a number, times an optional weight (a lambda) applied in the same launch.
// nn/losses.ts uses these when the target fits and composes the broadcasting case from elementwise ops.
import { record } from '../autograd.ts';
import { LOSS_L1, LOSS_MSE, type LossTarget, pointLoss, pointLossGrad } from '../kernels/loss.ts';
import { fmt } from '../shape.ts';
import { Tensor } from '../tensor.ts';

/** weight * the sum over xs of mean f(x - y): one launch per input each way (no adds, no scaling). */
function fused(op: string, kind: number, xs: Tensor[], y: LossTarget, weight: number): Tensor {
  if (xs.length === 0) throw new Error(`${op}: no inputs`);
  if (y instanceof Tensor) {
    if (xs.length > 1) throw new Error(`${op}: a tensor target takes one input`);
    if (y.size !== xs[0].size)
      throw new Error(`${op}: target ${fmt(y.shape)} does not match input ${fmt(xs[0].shape)}`);
  }
  const out = pointLoss(kind, xs[0], y, weight);
  for (let k = 1; k < xs.length; k++) pointLoss(kind, xs[k], y, weight, out);
  const inputs = y instanceof Tensor ? [xs[0], y] : xs;
  return record(out, inputs, (g) => {
    const grads = xs.map((x) => (x.requiresGrad ? pointLossGrad(kind, x, y, g, false, weight) : null));
    if (y instanceof Tensor)
      grads.push(y.requiresGrad ? pointLossGrad(kind, xs[0], y, g, true, weight) : null);
    return grads;
  });
}

/** weight * mean (x - y)^2 over every element, y of x's shape or a number (one launch each way). */
export function mseLossFused(x: Tensor, y: Tensor | number, weight = 1): Tensor {
  return fused('mseLoss', LOSS_MSE, [x], y, weight);
}

/**
 * weight * the sum over xs of mean (x - target)^2, the target a number or, as [a, b], a for the first
 * half of dimension 0 and b for the second (a discriminator run once on fakes, then reals): a
 * multi-scale GAN loss in one launch per output each way.
 */
export function mseLossSum(xs: Tensor[], target: number | [number, number], weight = 1): Tensor {
  if (Array.isArray(target)) {
    for (const x of xs)
      if (x.ndim === 0 || x.shape[0] % 2 !== 0)
        throw new Error(`mseLossSum: dimension 0 of ${fmt(x.shape)} must be even`);
  }
  return fused('mseLossSum', LOSS_MSE, xs, target, weight);
}

/** weight * mean |x - y| over every element, y of x's shape or a number (one launch each way). */
export function l1LossFused(x: Tensor, y: Tensor | number, weight = 1): Tensor {
  return fused('l1Loss', LOSS_L1, [x], y, weight);
}
