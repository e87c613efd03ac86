// conv2d and convTranspose2d with their gradients, as implicit GEMMs on the shared GEMM body
// (kernels/gemm.wgsl) with the hooks of kernels/conv_{forward,dgrad,wgrad}.wgsl.
// Three launches cover everything: forward (conv y, convT dx), dgrad (conv dx, convT y),
// wgrad (both weight gradients, split-K).

import { noGrad } from '../autograd.ts';
import { rt } from '../gpu/runtime.ts';
import { fmt, record, Tensor } from '../tensor.ts';
import { gemmTile } from './matmul.ts';
import { sum } from './reduce.ts';
import { pad } from './shape.ts';

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

/** Stride phases one dgrad launch can hold (the phase table of kernels/conv.wgsl). */
const MAX_PHASES = 16;

/** The uniform block of kernels/conv.wgsl: geometry, the hook set's 16 words, the phase table. */
function params(g: Geom, hasBias: boolean, extra: number[] = [], phases: number[] = []): number[] {
  const e = [...extra, ...new Array(16 - extra.length).fill(0)];
  const table = [...phases, ...new Array(MAX_PHASES * 12 - phases.length).fill(0)];
  const geometry = [g.N, g.C, g.H, g.W, g.K, g.OH, g.OW, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw];
  return [...geometry, hasBias ? 1 : 0, 0, 0, ...e, ...table];
}

function launch(
  hooks: string,
  M: number,
  N: number,
  batches: number,
  p: number[],
  bind: (Tensor | null | undefined)[],
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

/** t [N, C, H, W] zero-padded by [top, bottom, left, right] (the operand the hooks read unchecked). */
function padded(t: Tensor, top: number, bottom: number, left: number, right: number): Tensor {
  if (top + bottom + left + right === 0) return t;
  return noGrad(() =>
    pad(t, [
      [0, 0],
      [0, 0],
      [top, bottom],
      [left, right],
    ]),
  );
}

/** x zero-padded by the conv's padding: what forward and wgrad read. */
function padInput(x: Tensor, g: Geom): Tensor {
  return padded(x, g.ph, g.ph, g.pw, g.pw);
}

/** y = conv(x, w) + bias from the padded input xp (every window in range). */
function forward(xp: Tensor, w: Tensor, bias: Tensor | null, g: Geom): Tensor {
  const y = Tensor.empty([g.N, g.K, g.OH, g.OW]);
  const gp = { ...g, H: g.H + 2 * g.ph, W: g.W + 2 * g.pw };
  launch('conv_forward', g.K, g.OH * g.OW, g.N, params(gp, !!bias), [xp, w, bias], y);
  return y;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The taps of one stride phase along a dimension, as the dgrad hooks walk them. */
interface PhaseTaps {
  /** First pixel, pixels in the phase. */
  start: number;
  count: number;
  /** First tap, tap step, number of taps. */
  k0: number;
  kstep: number;
  nk: number;
  /** dy row of the phase's first pixel for the first tap, and how far it moves per tap. */
  c0: number;
  ostep: number;
}

/**
 * Pixels i = r + j*s (j < count) of an input dimension of `size` receive the taps k with
 * (i + p - k*d) divisible by s; those form an arithmetic progression, and dy's index is
 * (i + p - k*d) / s = j + c0 - t*ostep for the t-th tap.
 */
function phaseTaps(r: number, size: number, s: number, p: number, d: number, kernel: number): PhaseTaps {
  const count = Math.ceil((size - r) / s);
  const ks: number[] = [];
  for (let k = 0; k < kernel; k++) if ((((r + p - k * d) % s) + s) % s === 0) ks.push(k);
  const k0 = ks[0] ?? 0;
  // Solutions of k*d = r + p (mod s) step by s / gcd(s, d); dy's index then moves by d / gcd(s, d).
  const g = gcd(s, d);
  return { start: r, count, k0, kstep: s / g, nk: ks.length, c0: (r + p - k0 * d) / s, ostep: d / g };
}

/** dx = dgrad(dy, w) + bias[c]: the conv input gradient, one launch per stride phase. */
function dgrad(dy: Tensor, w: Tensor, bias: Tensor | null, g: Geom): Tensor {
  const dx = Tensor.empty([g.N, g.C, g.H, g.W]);
  const rows: PhaseTaps[] = [];
  const cols: PhaseTaps[] = [];
  for (let r = 0; r < g.sh; r++) rows.push(phaseTaps(r, g.H, g.sh, g.ph, g.dh, g.KH));
  for (let r = 0; r < g.sw; r++) cols.push(phaseTaps(r, g.W, g.sw, g.pw, g.dw, g.KW));
  // Zero-pad dy so that every tap of every phase reads inside it.
  const need = (ts: PhaseTaps[], size: number): [number, number] => {
    const live = ts.filter((t) => t.nk > 0 && t.count > 0);
    const before = Math.max(0, ...live.map((t) => (t.nk - 1) * t.ostep - t.c0));
    const after = Math.max(0, ...live.map((t) => t.count - 1 + t.c0 - (size - 1)));
    return [before, after];
  };
  const [top, bottom] = need(rows, g.OH);
  const [left, right] = need(cols, g.OW);
  const dyp = padded(dy, top, bottom, left, right);
  const gp = { ...g, OH: g.OH + top + bottom, OW: g.OW + left + right };
  const live: [PhaseTaps, PhaseTaps][] = [];
  for (const th of rows) for (const tw of cols) if (th.count > 0 && tw.count > 0) live.push([th, tw]);
  if (live.length > MAX_PHASES)
    throw new Error(`conv: stride ${g.sh}x${g.sw} has more than ${MAX_PHASES} phases`);
  const table = live.flatMap(([th, tw]) => [
    ...[th.start, tw.start, th.k0, tw.k0],
    ...[th.nk, tw.nk, th.count, tw.count],
    ...[th.c0 + top, tw.c0 + left, 0, 0],
  ]);
  // Steps are the same for every phase of a dimension: they depend on stride and dilation only.
  const [th0, tw0] = live[0] ?? [rows[0], cols[0]];
  const extra = [live.length, 0, th0.kstep, tw0.kstep, th0.ostep, tw0.ostep];
  const maxN = Math.max(0, ...live.map(([th, tw]) => th.count * tw.count));
  launch('conv_dgrad', g.C, maxN, g.N * live.length, params(gp, !!bias, extra, table), [dyp, w, bias], dx);
  if (dyp !== dy) dyp.dispose();
  return dx;
}

/** dW = sum over positions of dy x im2col(x) from the padded input xp, split-K, then a sum of the splits. */
function wgrad(xp: Tensor, dy: Tensor, g: Geom): Tensor {
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
  const gp = { ...g, H: g.H + 2 * g.ph, W: g.W + 2 * g.pw };
  launch('conv_wgrad', M, N, splits, params(gp, false, [chunk, splits]), [xp, dy], part);
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
  const xp = padInput(x, g);
  const y = forward(xp, weight, bias ?? null, g);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  // The padded input is kept for the weight gradient (freed with the graph node, or now).
  const saved = xp !== x ? [xp] : [];
  return record(
    y,
    inputs,
    (gy) => [
      x.requiresGrad ? dgrad(gy, weight, null, g) : null,
      weight.requiresGrad ? wgrad(xp, gy, g) : null,
      bias?.requiresGrad ? sum(gy, [0, 2, 3]) : null,
    ],
    saved,
  );
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
  return record(y, inputs, (gy) => {
    // Both gradients read the output gradient through the conv's windows: pad it once.
    const gp = padInput(gy, g);
    const res = [
      x.requiresGrad ? forward(gp, weight, null, g) : null,
      weight.requiresGrad ? wgrad(gp, x, g) : null,
      bias?.requiresGrad ? sum(gy, [0, 2, 3]) : null,
    ];
    if (gp !== gy) gp.dispose();
    return res;
  });
}
