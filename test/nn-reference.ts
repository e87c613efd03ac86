// Float64 CPU references for the convolution, normalisation and resampling ops (PyTorch semantics).
import { type Nd, nd } from './reference.ts';

export interface ConvGeom {
  stride?: number;
  padding?: number;
  dilation?: number;
  outputPadding?: number;
}

export function conv2d(x: Nd, w: Nd, b: Nd | null, o: ConvGeom): Nd {
  const [N, C, H, W] = x.shape;
  const [K, , KH, KW] = w.shape;
  const s = o.stride ?? 1;
  const p = o.padding ?? 0;
  const d = o.dilation ?? 1;
  const OH = Math.floor((H + 2 * p - d * (KH - 1) - 1) / s) + 1;
  const OW = Math.floor((W + 2 * p - d * (KW - 1) - 1) / s) + 1;
  const y = nd([N, K, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = b ? b.data[k] : 0;
          for (let c = 0; c < C; c++)
            for (let i = 0; i < KH; i++) {
              const ih = oh * s - p + i * d;
              if (ih < 0 || ih >= H) continue;
              for (let j = 0; j < KW; j++) {
                const iw = ow * s - p + j * d;
                if (iw < 0 || iw >= W) continue;
                acc += x.data[((n * C + c) * H + ih) * W + iw] * w.data[((k * C + c) * KH + i) * KW + j];
              }
            }
          y.data[((n * K + k) * OH + oh) * OW + ow] = acc;
        }
  return y;
}

/** Transposed conv by scattering each input pixel through the kernel (the definition). */
export function convTranspose2d(x: Nd, w: Nd, b: Nd | null, o: ConvGeom): Nd {
  const [N, Ci, H, W] = x.shape;
  const [, Co, KH, KW] = w.shape;
  const s = o.stride ?? 1;
  const p = o.padding ?? 0;
  const d = o.dilation ?? 1;
  const op = o.outputPadding ?? 0;
  const OH = (H - 1) * s - 2 * p + d * (KH - 1) + op + 1;
  const OW = (W - 1) * s - 2 * p + d * (KW - 1) + op + 1;
  const y = nd([N, Co, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Co; co++)
      for (let i = 0; i < OH * OW; i++) y.data[(n * Co + co) * OH * OW + i] = b ? b.data[co] : 0;
  for (let n = 0; n < N; n++)
    for (let ci = 0; ci < Ci; ci++)
      for (let ih = 0; ih < H; ih++)
        for (let iw = 0; iw < W; iw++) {
          const v = x.data[((n * Ci + ci) * H + ih) * W + iw];
          for (let co = 0; co < Co; co++)
            for (let i = 0; i < KH; i++) {
              const oh = ih * s - p + i * d;
              if (oh < 0 || oh >= OH) continue;
              for (let j = 0; j < KW; j++) {
                const ow = iw * s - p + j * d;
                if (ow < 0 || ow >= OW) continue;
                y.data[((n * Co + co) * OH + oh) * OW + ow] += v * w.data[((ci * Co + co) * KH + i) * KW + j];
              }
            }
        }
  return y;
}

/** Normalises over `groups` of elements: instance norm = per (n, c), batch norm = per c. */
function normalise(
  x: Nd,
  key: (n: number, c: number) => number,
  groups: number,
  eps: number,
  w: Nd | null,
  b: Nd | null,
): Nd {
  const [N, C, H, W] = x.shape;
  const L = H * W;
  const sum = new Float64Array(groups);
  const cnt = new Float64Array(groups);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < L; i++) {
        sum[key(n, c)] += x.data[(n * C + c) * L + i];
        cnt[key(n, c)]++;
      }
  const mean = sum.map((s, g) => s / cnt[g]);
  const sq = new Float64Array(groups);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < L; i++) {
        const dv = x.data[(n * C + c) * L + i] - mean[key(n, c)];
        sq[key(n, c)] += dv * dv;
      }
  const y = nd(x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < L; i++) {
        const g = key(n, c);
        const v = (x.data[(n * C + c) * L + i] - mean[g]) / Math.sqrt(sq[g] / cnt[g] + eps);
        y.data[(n * C + c) * L + i] = w && b ? v * w.data[c] + b.data[c] : v;
      }
  return y;
}

export function instanceNorm(x: Nd, eps: number, w: Nd | null = null, b: Nd | null = null): Nd {
  const C = x.shape[1];
  return normalise(x, (n, c) => n * C + c, x.shape[0] * C, eps, w, b);
}

export function batchNorm(x: Nd, eps: number, w: Nd | null = null, b: Nd | null = null): Nd {
  return normalise(x, (_n, c) => c, x.shape[1], eps, w, b);
}

export function avgPool(x: Nd, k: number, s: number, p: number, includePad: boolean): Nd {
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H + 2 * p - k) / s) + 1;
  const OW = Math.floor((W + 2 * p - k) / s) + 1;
  const y = nd([N, C, OH, OW]);
  for (let q = 0; q < N * C; q++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let acc = 0;
        let cells = 0;
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const ih = oh * s - p + i;
            const iw = ow * s - p + j;
            const inPadded = ih < H + p && iw < W + p;
            if (ih >= 0 && iw >= 0 && ih < H && iw < W) {
              acc += x.data[(q * H + ih) * W + iw];
              cells++;
            } else if (includePad && inPadded) cells++;
          }
        y.data[(q * OH + oh) * OW + ow] = acc / cells;
      }
  return y;
}

export function upsample(x: Nd, s: number, mode: 'nearest' | 'bilinear'): Nd {
  const [N, C, H, W] = x.shape;
  const OH = H * s;
  const OW = W * s;
  const y = nd([N, C, OH, OW]);
  const src = (o: number) => Math.max((o + 0.5) / s - 0.5, 0);
  for (let q = 0; q < N * C; q++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let v: number;
        if (mode === 'nearest') v = x.data[(q * H + Math.floor(oh / s)) * W + Math.floor(ow / s)];
        else {
          const sh = src(oh);
          const sw = src(ow);
          const h0 = Math.floor(sh);
          const w0 = Math.floor(sw);
          const h1 = Math.min(h0 + 1, H - 1);
          const w1 = Math.min(w0 + 1, W - 1);
          const lh = sh - h0;
          const lw = sw - w0;
          const at = (h: number, w: number) => x.data[(q * H + h) * W + w];
          v =
            (1 - lh) * ((1 - lw) * at(h0, w0) + lw * at(h0, w1)) +
            lh * ((1 - lw) * at(h1, w0) + lw * at(h1, w1));
        }
        y.data[(q * OH + oh) * OW + ow] = v;
      }
  return y;
}

export function reflectionPad(x: Nd, l: number, r: number, t: number, b: number): Nd {
  const [N, C, H, W] = x.shape;
  const OH = H + t + b;
  const OW = W + l + r;
  const y = nd([N, C, OH, OW]);
  const refl = (o: number, before: number, n: number) => {
    let j = Math.abs(o - before);
    if (j >= n) j = 2 * (n - 1) - j;
    return j;
  };
  for (let q = 0; q < N * C; q++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        y.data[(q * OH + oh) * OW + ow] = x.data[(q * H + refl(oh, t, H)) * W + refl(ow, l, W)];
  return y;
}

export function maxPool(x: Nd, k: number, s: number, p: number): Nd {
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H + 2 * p - k) / s) + 1;
  const OW = Math.floor((W + 2 * p - k) / s) + 1;
  const y = nd([N, C, OH, OW]);
  for (let q = 0; q < N * C; q++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let best = -Infinity;
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const ih = oh * s - p + i;
            const iw = ow * s - p + j;
            if (ih >= 0 && iw >= 0 && ih < H && iw < W) best = Math.max(best, x.data[(q * H + ih) * W + iw]);
          }
        y.data[(q * OH + oh) * OW + ow] = best;
      }
  return y;
}
