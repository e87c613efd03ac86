// conv2d and convTranspose2d with their gradients, as implicit GEMMs on the shared GEMM body
// (kernels/gemm.wgsl) with the hooks of kernels/conv_{forward,dgrad,wgrad}.wgsl.
// Three launches cover everything: forward (conv y, convT dx), dgrad (conv dx, convT y),
// wgrad (both weight gradients, split-K).
import { rt } from '../gpu/runtime.ts';
import { fmt, record, Tensor } from '../tensor.ts';
import { gemmTile } from './matmul.ts';
import { sum } from './reduce.ts';

export type Pair = number | [number, number];

export interface Conv2dOpts {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}

export interface ConvTranspose2dOpts extends Conv2dOpts {
  outputPadding?: Pair;
}

/** A conv's geometry: x [N, C, H, W] * w [K, C, KH, KW] -> y [N, K, OH, OW]. */
interface Geom {
  N: number;
  C: number;
  H: number;
  W: number;
  K: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

/** A size given as one number or as [height, width]. */
export const pair = (v: Pair | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;

function checkPairs(op: string, o: Record<string, [number, number]>, min: Record<string, number>): void {
  for (const [k, v] of Object.entries(o)) {
    if (v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < min[k])) {
      throw new Error(
        `${op}: ${k} must be an integer >= ${min[k]} (or a pair of them), got ${JSON.stringify(v)}`,
      );
    }
  }
}

function params(g: Geom, hasBias: boolean, extra: number[] = []): number[] {
  const e = [...extra, ...new Array(12 - extra.length).fill(0)];
  return [
    g.N,
    g.C,
    g.H,
    g.W,
    g.K,
    g.OH,
    g.OW,
    g.KH,
    g.KW,
    g.sh,
    g.sw,
    g.ph,
    g.pw,
    g.dh,
    g.dw,
    hasBias ? 1 : 0,
    ...e,
  ];
}

function launch(
  hooks: string,
  M: number,
  N: number,
  batches: number,
  p: number[],
  bind: (Tensor | undefined)[],
  out: Tensor,
) {
  if (M * N * batches === 0) return;
  const tile = gemmTile();
  // An absent bias still needs a buffer bound; the kernel never reads it (has_bias = 0).
  const b = bind.map((t) => t?.buffer ?? bind[0]!.buffer);
  rt().dispatch({
    kernel: { files: ['conv', hooks, 'gemm'], entry: 'gemm', constants: tile },
    params: p,
    bindings: [b[0], b[1], b[2], out.buffer],
    workgroups: [Math.ceil(N / (tile.WG_X * 4)), Math.ceil(M / (tile.WG_Y * 4)), batches],
  });
}

/** y = conv(x, w) + bias. */
function forward(x: Tensor, w: Tensor, bias: Tensor | null, g: Geom): Tensor {
  const y = Tensor.empty([g.N, g.K, g.OH, g.OW]);
  launch('conv_forward', g.K, g.OH * g.OW, g.N, params(g, !!bias), [x, w, bias ?? undefined], y);
  return y;
}

/** dx = dgrad(dy, w) + bias[c]: the conv input gradient, one launch per stride phase. */
function dgrad(dy: Tensor, w: Tensor, bias: Tensor | null, g: Geom): Tensor {
  const dx = Tensor.empty([g.N, g.C, g.H, g.W]);
  const phased = g.dh === 1 && g.dw === 1;
  const [psh, psw] = phased ? [g.sh, g.sw] : [1, 1];
  for (let rh = 0; rh < psh; rh++) {
    for (let rw = 0; rw < psw; rw++) {
      const cntH = Math.ceil((g.H - rh) / psh);
      const cntW = Math.ceil((g.W - rw) / psw);
      if (cntH <= 0 || cntW <= 0) continue;
      // Taps that land on this phase: kh = (rh + ph) mod sh, then every sh-th.
      const kh0 = phased ? (rh + g.ph) % g.sh : 0;
      const kw0 = phased ? (rw + g.pw) % g.sw : 0;
      const nkh = phased ? Math.max(0, Math.ceil((g.KH - kh0) / g.sh)) : g.KH;
      const nkw = phased ? Math.max(0, Math.ceil((g.KW - kw0) / g.sw)) : g.KW;
      const extra = [rh, rw, psh, psw, kh0, kw0, phased ? g.sh : 1, phased ? g.sw : 1, nkh, nkw, cntH, cntW];
      launch('conv_dgrad', g.C, cntH * cntW, g.N, params(g, !!bias, extra), [dy, w, bias ?? undefined], dx);
    }
  }
  return dx;
}

/** dW = sum over positions of dy x im2col(x), split-K with a final sum over the splits. */
function wgrad(x: Tensor, dy: Tensor, g: Geom): Tensor {
  const M = g.K;
  const N = g.C * g.KH * g.KW;
  const depth = g.N * g.OH * g.OW;
  const tile = gemmTile();
  const tiles = Math.ceil(M / (tile.WG_Y * 4)) * Math.ceil(N / (tile.WG_X * 4));
  // Enough splits to give the device ~2k workgroups, but never chunks under 256 positions.
  const splits = Math.max(1, Math.min(Math.ceil(depth / 256), Math.ceil(2048 / tiles)));
  const chunk = Math.ceil(depth / splits);
  const shape = [g.K, g.C, g.KH, g.KW];
  const part = Tensor.empty(splits === 1 ? shape : [splits, ...shape]);
  launch('conv_wgrad', M, N, splits, params(g, false, [chunk, splits]), [x, dy], part);
  if (splits === 1) return part;
  const dw = sum(part, 0);
  part.dispose();
  return dw;
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
  const g: Geom = { N, C, H, W, K, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw };
  const y = forward(x, weight, bias ?? null, g);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, inputs, (gy) => [
    x.requiresGrad ? dgrad(gy, weight, null, g) : null,
    weight.requiresGrad ? wgrad(x, gy, g) : null,
    bias?.requiresGrad ? sum(gy, [0, 2, 3]) : null,
  ]);
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
  const g: Geom = { N, C: Cout, H: OH, W: OW, K: Cin, OH: H, OW: W, KH, KW, sh, sw, ph, pw, dh, dw };
  const y = dgrad(x, weight, bias ?? null, g);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, inputs, (gy) => [
    x.requiresGrad ? forward(gy, weight, null, g) : null,
    weight.requiresGrad ? wgrad(gy, x, g) : null,
    bias?.requiresGrad ? sum(gy, [0, 2, 3]) : null,
  ]);
}
