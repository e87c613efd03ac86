// Losses, composed from differentiable ops so their gradients come from autograd.
// Targets may be tensors (broadcast against the prediction) or numbers.
import '../methods.ts';
import { gaussianKL } from '../ops/gaussian.ts';
import { l1LossFused, mseLossFused, mseLossSum } from '../ops/loss.ts';
import { narrow } from '../ops/shape.ts';
import type { Tensor } from '../tensor.ts';

/** Whether a target can take the fused single-launch path: a number or a tensor of x's shape. */
const fits = (x: Tensor, y: Tensor | number) =>
  typeof y === 'number' || (y.ndim === x.ndim && y.shape.every((d, i) => d === x.shape[i]));

/** A loss times its weight (a lambda): composed losses scale with one more op, fused ones in-launch. */
const weighted = (loss: Tensor, weight: number) => (weight === 1 ? loss : loss.mul(weight));

/**
 * weight * mean |x - y| (torch.nn.L1Loss; the weight, a lambda, in the same launch); a broadcast
 * target goes through the elementwise ops.
 */
export function l1Loss(x: Tensor, y: Tensor | number, weight = 1): Tensor {
  return fits(x, y) ? l1LossFused(x, y, weight) : weighted(x.sub(y).abs().mean(), weight);
}

/** weight * mean (x - y)^2 (torch.nn.MSELoss); a broadcast target goes through the elementwise ops. */
export function mseLoss(x: Tensor, y: Tensor | number, weight = 1): Tensor {
  return fits(x, y) ? mseLossFused(x, y, weight) : weighted(x.sub(y).square().mean(), weight);
}

/**
 * mean of BCE(sigmoid(x), y) from logits x, in the stable form of torch.nn.BCEWithLogitsLoss:
 * max(x, 0) - x * y + log(1 + exp(-|x|)).
 */
export function bceWithLogitsLoss(x: Tensor, y: Tensor | number): Tensor {
  const softplusNegAbs = x.abs().neg().exp().add(1).log();
  return x.maximum(0).sub(x.mul(y)).add(softplusNegAbs).mean();
}

/** The GAN loss of ganLoss: least squares (lsgan) or binary cross-entropy on logits (vanilla). */
export type GanMode = 'lsgan' | 'vanilla';

function checkMode(op: string, mode: GanMode): void {
  if (mode !== 'lsgan' && mode !== 'vanilla')
    throw new Error(`${op}: unknown mode '${mode}' (lsgan or vanilla)`);
}

/**
 * BicycleGAN's GANLoss over one or several discriminator outputs (multi-scale D): the sum over outputs
 * of MSE (lsgan) or BCE-with-logits (vanilla) against 1 (targetIsReal) or 0, times `weight` (lsgan:
 * one launch per output, the sum and weight in the launches).
 */
export function ganLoss(
  outputs: Tensor | Tensor[],
  targetIsReal: boolean,
  mode: GanMode = 'lsgan',
  weight = 1,
): Tensor {
  const list = Array.isArray(outputs) ? outputs : [outputs];
  if (list.length === 0) throw new Error('ganLoss: no discriminator outputs');
  checkMode('ganLoss', mode);
  const target = targetIsReal ? 1 : 0;
  if (mode === 'lsgan') return mseLossSum(list, target, weight);
  let total = bceWithLogitsLoss(list[0], target);
  for (let i = 1; i < list.length; i++) total = total.add(bceWithLogitsLoss(list[i], target));
  return weighted(total, weight);
}

/**
 * ganLoss(fakes, false) + ganLoss(reals, true) for outputs of a discriminator run once on a batch of
 * fakes followed by as many reals (dimension 0): lsgan in one loss launch per output.
 */
export function ganLossHalves(outputs: Tensor[], mode: GanMode = 'lsgan'): Tensor {
  if (outputs.length === 0) throw new Error('ganLossHalves: no discriminator outputs');
  checkMode('ganLossHalves', mode);
  if (mode === 'lsgan') return mseLossSum(outputs, [0, 1]);
  const half = (o: Tensor, k: number) => narrow(o, 0, (k * o.shape[0]) / 2, o.shape[0] / 2);
  return ganLoss(
    outputs.map((o) => half(o, 0)),
    false,
    mode,
  ).add(
    ganLoss(
      outputs.map((o) => half(o, 1)),
      true,
      mode,
    ),
  );
}

/**
 * KL(N(mu, exp(logvar)) || N(0, 1)) summed over every element: -0.5 * sum(1 + logvar - mu^2 -
 * exp(logvar)), times `weight` (in the same launch).
 */
export function klLoss(mu: Tensor, logvar: Tensor, weight = 1): Tensor {
  return gaussianKL(mu, logvar, weight);
}
