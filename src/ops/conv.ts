// conv2d and convTranspose2d: argument checks, geometry and gradients. The three implicit-GEMM
// launchers that serve both (forward, dgrad, wgrad) are in src/kernels/conv.ts.

import { record } from '../autograd.ts';
import {
  ACT_A,
  ACT_B,
  ACT_GRAD,
  type ConvGeom,
  convDgrad,
  convForward,
  convWgrad,
  convWgradBias,
  wgradTakesBias,
} from '../kernels/conv.ts';
import { REDUCE_SUM, reduce } from '../kernels/reduce.ts';
import { fmt, type Pair, pair } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { sum } from './reduce.ts';

/** Options of conv2d: stride, padding and dilation (a number or [h, w]), as torch.nn.functional.conv2d. */
export interface Conv2dOpts {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  /**
   * Applies leakyRelu(x, inputSlope) (0: ReLU) to the input first, fused into the conv's reads (no
   * activation pass and no activation tensor; the gradient flows to x before it). nn.Sequential uses
   * it for a ReLU or LeakyReLU followed by a conv.
   */
  inputSlope?: number;
  /**
   * A tensor of the output's shape added to it in the same launch (a residual connection: no add
   * pass); its gradient is the output's.
   */
  residual?: Tensor;
}

/** Options of convTranspose2d: conv2d's (but residual) plus outputPadding. */
export interface ConvTranspose2dOpts extends Omit<Conv2dOpts, 'residual'> {
  outputPadding?: Pair;
}

function checkPairs(op: string, o: Record<string, [number, number]>, min: Record<string, number>): void {
  for (const [k, v] of Object.entries(o)) {
    if (v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < min[k])) {
      throw new Error(
        `${op}: ${k} must be an integer >= ${min[k]} (or a pair of them), got ${JSON.stringify(v)}`,
      );
    }
  }
}

function checkSlope(op: string, slope: number | undefined): number | undefined {
  if (slope !== undefined && !Number.isFinite(slope))
    throw new Error(`${op}: inputSlope must be a number, got ${slope}`);
  return slope;
}

/** The bias gradient: gy summed over N, H, W (added into `into` when given). */
function biasGrad(gy: Tensor, into: Tensor | undefined): Tensor {
  if (!into) return sum(gy, [0, 2, 3]);
  return reduce(gy, [0, 2, 3], REDUCE_SUM, 1, into);
}

function checkBias(op: string, bias: Tensor | null | undefined, n: number): void {
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== n)) {
    throw new Error(`${op}: bias of shape ${fmt(bias.shape)} does not match ${n} output channels`);
  }
}

/** PyTorch's F.conv2d: x [N, C, H, W], weight [K, C, KH, KW], bias [K]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOpts = {}): Tensor {
  const [sh, sw] = pair(opts.stride, 1);
  const [ph, pw] = pair(opts.padding, 0);
  const [dh, dw] = pair(opts.dilation, 1);
  checkPairs(
    'conv2d',
    { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw] },
    { stride: 1, padding: 0, dilation: 1 },
  );
  if (x.ndim !== 4) throw new Error(`conv2d: input must be [N, C, H, W], got ${fmt(x.shape)}`);
  if (weight.ndim !== 4)
    throw new Error(`conv2d: weight must be [out, in, kH, kW], got ${fmt(weight.shape)}`);
  const [N, C, H, W] = x.shape;
  const [K, Cw, KH, KW] = weight.shape;
  if (Cw !== C) {
    throw new Error(
      `conv2d: input ${fmt(x.shape)} has ${C} channels but weight ${fmt(weight.shape)} expects ${Cw}`,
    );
  }
  const effH = dh * (KH - 1) + 1;
  const effW = dw * (KW - 1) + 1;
  if (effH > H + 2 * ph || effW > W + 2 * pw) {
    throw new Error(
      `conv2d: kernel ${KH}x${KW} (dilation ${dh}x${dw}) is larger than the padded input ${H + 2 * ph}x${W + 2 * pw} of ${fmt(x.shape)}`,
    );
  }
  checkBias('conv2d', bias, K);
  const OH = Math.floor((H + 2 * ph - effH) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - effW) / sw) + 1;
  const g: ConvGeom = { N, C, H, W, K, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw };
  const slope = checkSlope('conv2d', opts.inputSlope);
  const act = (where: number) => (slope === undefined ? null : { slope, where, x });
  const r = opts.residual;
  if (r && (r.ndim !== 4 || r.shape.some((d, i) => d !== [N, K, OH, OW][i])))
    throw new Error(`conv2d: residual ${fmt(r.shape)} does not match the output ${fmt([N, K, OH, OW])}`);
  const y = convForward(x, weight, bias ?? null, g, act(ACT_B), undefined, r);
  // The residual's gradient is the output's (last input, so the others keep their indices).
  const inputs = [x, weight, ...(bias ? [bias] : []), ...(r ? [r] : [])];
  const rGrad = (gy: Tensor) => (r ? [r.requiresGrad ? gy : null] : []);
  return record(y, inputs, (gy, into) => {
    const dx = x.requiresGrad ? convDgrad(gy, weight, null, g, act(ACT_GRAD), into(0)) : null;
    // The bias gradient from the weight gradient's launch (a column of ones) where it can be.
    if (weight.requiresGrad && bias?.requiresGrad && wgradTakesBias(g))
      return [dx, ...convWgradBias(x, gy, g, act(ACT_B), into(1), into(2)), ...rGrad(gy)];
    const grads = [dx, weight.requiresGrad ? convWgrad(x, gy, g, act(ACT_B), into(1)) : null];
    if (bias) grads.push(bias.requiresGrad ? biasGrad(gy, into(2)) : null);
    return [...grads, ...rGrad(gy)];
  });
}

/** PyTorch's F.conv_transpose2d: x [N, in, H, W], weight [in, out, KH, KW], bias [out]. */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts: ConvTranspose2dOpts = {},
): Tensor {
  const [sh, sw] = pair(opts.stride, 1);
  const [ph, pw] = pair(opts.padding, 0);
  const [dh, dw] = pair(opts.dilation, 1);
  const [oph, opw] = pair(opts.outputPadding, 0);
  checkPairs(
    'convTranspose2d',
    { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], outputPadding: [oph, opw] },
    { stride: 1, padding: 0, dilation: 1, outputPadding: 0 },
  );
  if (oph >= Math.max(sh, dh) || opw >= Math.max(sw, dw)) {
    throw new Error(`convTranspose2d: outputPadding ${oph}x${opw} must be smaller than stride or dilation`);
  }
  if (x.ndim !== 4) throw new Error(`convTranspose2d: input must be [N, C, H, W], got ${fmt(x.shape)}`);
  if (weight.ndim !== 4)
    throw new Error(`convTranspose2d: weight must be [in, out, kH, kW], got ${fmt(weight.shape)}`);
  const [N, Cin, H, W] = x.shape;
  const [Cw, Cout, KH, KW] = weight.shape;
  if (Cw !== Cin) {
    throw new Error(
      `convTranspose2d: input ${fmt(x.shape)} has ${Cin} channels but weight ${fmt(weight.shape)} expects ${Cw}`,
    );
  }
  checkBias('convTranspose2d', bias, Cout);
  const OH = (H - 1) * sh - 2 * ph + dh * (KH - 1) + oph + 1;
  const OW = (W - 1) * sw - 2 * pw + dw * (KW - 1) + opw + 1;
  if (OH < 1 || OW < 1) {
    throw new Error(`convTranspose2d: output size ${OH}x${OW} of input ${fmt(x.shape)} is less than 1`);
  }
  // The conv whose dgrad this is: its input is our output, its output our input.
  const g: ConvGeom = { N, C: Cout, H: OH, W: OW, K: Cin, OH: H, OW: W, KH, KW, sh, sw, ph, pw, dh, dw };
  const slope = checkSlope('convTranspose2d', opts.inputSlope);
  const act = (where: number) => (slope === undefined ? null : { slope, where, x });
  const y = convDgrad(x, weight, bias ?? null, g, act(ACT_B));
  const inputs = bias ? [x, weight, bias] : [x, weight];
  // Both gradients read the output gradient through the conv's windows.
  return record(y, inputs, (gy, into) => [
    x.requiresGrad ? convForward(gy, weight, null, g, act(ACT_GRAD), into(0)) : null,
    weight.requiresGrad ? convWgrad(gy, x, g, act(ACT_A), into(1)) : null,
    bias?.requiresGrad ? biasGrad(gy, into(2)) : null,
  ]);
}
