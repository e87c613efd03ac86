// Normalisation: instanceNorm2d runs in its own kernels (kernels/norm.wgsl, two-pass statistics);
// batchNorm2d is composed from reductions and elementwise ops, which autograd differentiates.

import { noGrad } from '../autograd.ts';
import { f32bits, rt } from '../gpu/runtime.ts';
import { fmt, record, Tensor } from '../tensor.ts';
import { mean, sum } from './reduce.ts';

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
  const r = rt();
  const launch = (entry: string, bind: (GPUBuffer | undefined)[]) =>
    r.dispatch({
      kernel: { files: ['norm'], entry },
      params: [rows, L, C, weight ? 1 : 0, f32bits(eps), 0, 0, 0],
      bindings: bind,
      workgroups: r.grid(rows),
    });
  if (rows * L > 0)
    launch('instnorm_forward', [
      x.buffer,
      undefined,
      weight?.buffer ?? x.buffer,
      bias?.buffer ?? x.buffer,
      y.buffer,
      stats.buffer,
    ]);
  const inputs = weight && bias ? [x, weight, bias] : [x];
  return record(
    y,
    inputs,
    (g) => {
      const res: (Tensor | null)[] = [null, null, null];
      if (x.requiresGrad) {
        const dx = Tensor.empty(x.shape);
        launch('instnorm_backward', [
          x.buffer,
          g.buffer,
          weight?.buffer ?? x.buffer,
          undefined,
          dx.buffer,
          stats.buffer,
        ]);
        res[0] = dx;
      }
      if (weight && bias && (weight.requiresGrad || bias.requiresGrad)) {
        // xhat = (x - mean) * rstd from the saved statistics; dgamma = sum(g * xhat), dbeta = sum(g).
        const st = stats.view([N, C, 1, 2]);
        const m = st.narrow(3, 0, 1);
        const rs = st.narrow(3, 1, 1);
        const xc = x.sub(m);
        const xhat = xc.mul(rs);
        const gx = g.mul(xhat);
        res[1] = sum(gx, [0, 2, 3]);
        res[2] = sum(g, [0, 2, 3]);
        for (const t of [st, m, rs, xc, xhat, gx]) t.dispose();
      }
      return res;
    },
    [stats],
  );
}

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
    const xc = x.sub(mu);
    const sq = xc.mul(xc);
    const v = mean(sq, [0, 2, 3], true);
    const ve = v.add(eps);
    const sd = ve.sqrt();
    y = xc.div(sd);
    if (runningMean && runningVar) {
      const mom = opts.momentum ?? 0.1;
      noGrad(() => {
        const m1 = runningMean.mul(1 - mom);
        const m2 = mu.reshape([C]);
        const nm = m1.add(m2.mul(mom));
        runningMean.assign(nm);
        const v1 = runningVar.mul(1 - mom);
        const v2 = v.reshape([C]);
        const nv = v1.add(v2.mul((mom * count) / (count - 1)));
        runningVar.assign(nv);
        for (const t of [m1, m2, nm, v1, v2, nv]) t.dispose();
      });
    }
    if (!x.requiresGrad) for (const t of [mu, xc, sq, v, ve, sd]) t.dispose();
  } else {
    if (!runningMean || !runningVar)
      throw new Error('batchNorm2d: eval mode needs runningMean and runningVar');
    const m = runningMean.reshape([1, C, 1, 1]);
    const rv = runningVar.reshape([1, C, 1, 1]);
    const sd = noGrad(() => rv.add(eps).sqrt());
    const xc = x.sub(m);
    y = xc.div(sd);
    if (!x.requiresGrad) for (const t of [m, rv, sd, xc]) t.dispose();
  }
  if (weight && bias) {
    const w4 = weight.reshape([1, C, 1, 1]);
    const b4 = bias.reshape([1, C, 1, 1]);
    const yw = y.mul(w4);
    const out = yw.add(b4);
    if (!out.requiresGrad) for (const t of [w4, b4, yw, y]) t.dispose();
    return out;
  }
  return y;
}
