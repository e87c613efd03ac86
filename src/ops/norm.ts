// Normalisation: instanceNorm2d runs in its own kernels (kernels/norm.wgsl, two-pass statistics);
// batchNorm2d is composed from reductions and elementwise ops, which autograd differentiates.

import { noGrad, record } from '../autograd.ts';
import { binary } from '../kernels/elementwise.ts';
import { instanceNormBackward, instanceNormForward } from '../kernels/norm.ts';
import { fmt } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { add, div, mul, sqrt, sub } from './elementwise.ts';
import { mean, sum } from './reduce.ts';
import { narrow, reshape } from './shape.ts';

/** Options of instanceNorm2d: eps and optional affine weight and bias [C]. */
export interface InstanceNormOpts {
  eps?: number;
  weight?: Tensor | null;
  bias?: Tensor | null;
}

function check4d(op: string, x: Tensor): void {
  if (x.ndim !== 4) throw new Error(`${op}: input must be [N, C, H, W], got ${fmt(x.shape)}`);
}

function checkAffine(op: string, name: string, t: Tensor | null | undefined, C: number): void {
  if (t && (t.ndim !== 1 || t.shape[0] !== C)) {
    throw new Error(`${op}: ${name} of shape ${fmt(t.shape)} does not match ${C} channels`);
  }
}

/** F.instance_norm: each (n, c) plane normalised to mean 0, variance 1 (biased), then optional affine. */
export function instanceNorm2d(x: Tensor, opts: InstanceNormOpts = {}): Tensor {
  check4d('instanceNorm2d', x);
  const [N, C, H, W] = x.shape;
  const weight = opts.weight ?? null;
  const bias = opts.bias ?? null;
  if (!weight !== !bias) throw new Error('instanceNorm2d: give both weight and bias, or neither');
  checkAffine('instanceNorm2d', 'weight', weight, C);
  checkAffine('instanceNorm2d', 'bias', bias, C);
  const eps = opts.eps ?? 1e-5;
  const rows = N * C;
  const L = H * W;
  const y = Tensor.empty(x.shape);
  const stats = Tensor.empty([rows, 2]);
  const planes = { rows, L, C, eps, gamma: weight, beta: bias };
  instanceNormForward(x, y, stats, planes);
  const inputs = weight && bias ? [x, weight, bias] : [x];
  return record(
    y,
    inputs,
    (g, into) => {
      const res: (Tensor | null)[] = [null, null, null];
      if (x.requiresGrad) {
        // Added in place into a gradient x already has, when offered.
        const target = into(0);
        const dx = target ?? Tensor.empty(x.shape);
        instanceNormBackward(x, g, dx, stats, planes, !!target);
        res[0] = dx;
      }
      if (weight && bias && (weight.requiresGrad || bias.requiresGrad)) {
        // xhat = (x - mean) * rstd from the saved statistics; dgamma = sum(g * xhat), dbeta = sum(g).
        const st = stats.view([N, C, 1, 2]);
        const m = narrow(st, 3, 0, 1);
        const rs = narrow(st, 3, 1, 1);
        const xc = binary('instanceNorm2d', x, m, 'sub');
        const xhat = binary('instanceNorm2d', xc, rs, 'mul');
        const gx = binary('instanceNorm2d', g, xhat, 'mul');
        res[1] = sum(gx, [0, 2, 3]);
        res[2] = sum(g, [0, 2, 3]);
        for (const t of [st, m, rs, xc, xhat, gx]) t.dispose();
      }
      return res;
    },
    [stats],
  );
}

/** Options of batchNorm2d: affine weight/bias, running statistics (updated in training), momentum, eps. */
export interface BatchNormOpts {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * F.batch_norm over (N, H, W) per channel. Training uses the batch statistics (biased variance) and
 * updates the running ones in place with the unbiased variance, as PyTorch; eval uses the running ones.
 */
export function batchNorm2d(x: Tensor, opts: BatchNormOpts = {}): Tensor {
  check4d('batchNorm2d', x);
  const [N, C, H, W] = x.shape;
  const { weight, bias, runningMean, runningVar } = opts;
  for (const [name, t] of Object.entries({ weight, bias, runningMean, runningVar }))
    checkAffine('batchNorm2d', name, t, C);
  const eps = opts.eps ?? 1e-5;
  const training = opts.training ?? true;
  const count = N * H * W;
  let y: Tensor;
  if (training) {
    if (count < 2)
      throw new Error(
        `batchNorm2d: training needs more than one value per channel, got input ${fmt(x.shape)}`,
      );
    const mu = mean(x, [0, 2, 3], true);
    const xc = sub(x, mu);
    const sq = mul(xc, xc);
    const v = mean(sq, [0, 2, 3], true);
    const ve = add(v, eps);
    const sd = sqrt(ve);
    y = div(xc, sd);
    if (runningMean && runningVar) {
      const mom = opts.momentum ?? 0.1;
      noGrad(() => {
        const m1 = mul(runningMean, 1 - mom);
        const m2 = reshape(mu, [C]);
        const nm = add(m1, mul(m2, mom));
        runningMean.assign(nm);
        const v1 = mul(runningVar, 1 - mom);
        const v2 = reshape(v, [C]);
        const nv = add(v1, mul(v2, (mom * count) / (count - 1)));
        runningVar.assign(nv);
        for (const t of [m1, m2, nm, v1, v2, nv]) t.dispose();
      });
    }
    if (!x.requiresGrad) for (const t of [mu, xc, sq, v, ve, sd]) t.dispose();
  } else {
    if (!runningMean || !runningVar)
      throw new Error('batchNorm2d: eval mode needs runningMean and runningVar');
    const m = reshape(runningMean, [1, C, 1, 1]);
    const rv = reshape(runningVar, [1, C, 1, 1]);
    const sd = noGrad(() => sqrt(add(rv, eps)));
    const xc = sub(x, m);
    y = div(xc, sd);
    if (!x.requiresGrad) for (const t of [m, rv, sd, xc]) t.dispose();
  }
  if (weight && bias) {
    const w4 = reshape(weight, [1, C, 1, 1]);
    const b4 = reshape(bias, [1, C, 1, 1]);
    const yw = mul(y, w4);
    const out = add(yw, b4);
    if (!out.requiresGrad) for (const t of [w4, b4, yw, y]) t.dispose();
    return out;
  }
  return y;
}
