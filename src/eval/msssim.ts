// Image distances on the GPU with the library's own ops (no pretrained weights): mean L1, PSNR and
// MS-SSIM (Wang, Simoncelli and Bovik 2003). MS-SSIM uses a Gaussian window (11 taps, sigma 1.5, as the
// original) applied as a 'valid' convolution per channel (computed as two banded matrix products), and 2x2 average pooling between scales. A
// 64x64 image only fits 3 scales of an 11-tap window, so the number of scales is what fits (at most 5)
// and the weights of the scales used are renormalised to sum to 1.
import { tensor } from '../ops/creation.ts';
import { avgPool2d } from '../ops/pool.ts';
import { concat } from '../ops/shape.ts';
import { keep, tidy } from '../scope.ts';
import type { Tensor } from '../tensor.ts';

/** The five scale weights of the original MS-SSIM. */
export const MS_SSIM_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333] as const;

/** Options of msssim: window size and sigma, number of scales, value range of the images. */
export interface MsssimOptions {
  /** Gaussian window taps (default 11, shrunk to the image when it is smaller). */
  window?: number;
  /** Gaussian sigma (default 1.5). */
  sigma?: number;
  /** Scales (default: as many as fit the window, at most 5). */
  scales?: number;
  /** max - min of the pixel values (default 2: images in [-1, 1]). */
  dataRange?: number;
}

/** The normalised 1-D Gaussian window. */
export function gaussianWindow(size: number, sigma: number): Float32Array {
  const g = Float32Array.from({ length: size }, (_, i) =>
    Math.exp(-((i - (size - 1) / 2) ** 2) / (2 * sigma * sigma)),
  );
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / s);
}

/** The window size and number of scales MS-SSIM uses on an H x W image. */
export function msssimGeometry(
  h: number,
  w: number,
  opts: MsssimOptions = {},
): { window: number; scales: number } {
  const side = Math.min(h, w);
  const window = Math.min(opts.window ?? 11, side % 2 === 1 ? side : side - 1);
  let scales = 1;
  while (scales < 5 && Math.floor(side / 2 ** scales) >= window) scales++;
  if (opts.scales !== undefined) {
    if (!(Number.isInteger(opts.scales) && opts.scales >= 1 && opts.scales <= scales))
      throw new Error(
        `msssim: ${opts.scales} scales do not fit a ${h}x${w} image with a ${window}-tap window (at most ${scales})`,
      );
    scales = opts.scales;
  }
  return { window, scales };
}

/**
 * Per image and channel, per scale: the mean contrast-structure term cs_j and (last row) the mean SSIM
 * of the coarsest scale. Returns [N * C, scales + 1] values (read back), the part computed on the GPU.
 */
export async function msssimTerms(
  x: Tensor,
  y: Tensor,
  opts: MsssimOptions = {},
): Promise<{ terms: Float32Array; scales: number; planes: number }> {
  if (x.ndim !== 4 || x.shape.join() !== y.shape.join())
    throw new Error(`msssim: needs two [N, C, H, W] tensors of one shape, got ${x.shape} and ${y.shape}`);
  const [n, c, h, w] = x.shape;
  const { window, scales } = msssimGeometry(h, w, opts);
  const g = gaussianWindow(window, opts.sigma ?? 1.5);
  const range = opts.dataRange ?? 2;
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  const planes = n * c;
  const out = tidy(() => {
    // The Gaussian is separable: the valid convolution with the k x k window equals a product with a
    // banded [W, W - k + 1] matrix along the rows, then one along the columns (the result comes out
    // transposed, which the means below do not see). The five maps are filtered in one product: on the
    // CPU driver this is several times faster than conv2d with one input and one output channel.
    const band = (n: number) => {
      const m = new Float32Array(n * (n - window + 1));
      for (let o = 0; o <= n - window; o++)
        for (let t = 0; t < window; t++) m[(o + t) * (n - window + 1) + o] = g[t]!;
      return tensor(m, [n, n - window + 1]);
    };
    let a = x.reshape([planes, 1, h, w]);
    let b = y.reshape([planes, 1, h, w]);
    const cols: Tensor[] = [];
    for (let s = 0; s < scales; s++) {
      if (s > 0) {
        a = avgPool2d(a, { kernel: 2 });
        b = avgPool2d(b, { kernel: 2 });
      }
      const [, , sh, sw] = a.shape;
      const ow = sw - window + 1;
      const oh = sh - window + 1;
      const maps = concat([a, b, a.square(), b.square(), a.mul(b)], 0);
      const f = maps
        .reshape([5 * planes * sh, sw])
        .matmul(band(sw))
        .reshape([5 * planes, sh, ow])
        .transpose(1, 2)
        .reshape([5 * planes * ow, sh])
        .matmul(band(sh));
      const part = (i: number) => f.narrow(0, i * planes * ow, planes * ow).reshape([planes, 1, ow, oh]);
      const muA = part(0);
      const muB = part(1);
      const muA2 = muA.square();
      const muB2 = muB.square();
      const muAB = muA.mul(muB);
      const sA = part(2).sub(muA2);
      const sB = part(3).sub(muB2);
      const sAB = part(4).sub(muAB);
      const cs = sAB.mul(2).add(c2).div(sA.add(sB).add(c2));
      cols.push(cs.mean([1, 2, 3]));
      if (s === scales - 1) {
        const l = muAB.mul(2).add(c1).div(muA2.add(muB2).add(c1));
        cols.push(l.mul(cs).mean([1, 2, 3]));
      }
    }
    return keep(
      concat(
        cols.map((t) => t.reshape([planes, 1])),
        1,
      ),
    );
  });
  try {
    return { terms: await out.data(), scales, planes };
  } finally {
    out.dispose();
  }
}

/** Combines MS-SSIM terms: prod_j relu(cs_j)^w_j * relu(ssim_M)^w_M per plane (weights renormalised). */
export function combineMsssim(terms: ArrayLike<number>, scales: number, planes: number): Float32Array {
  const w = MS_SSIM_WEIGHTS.slice(0, scales);
  const total = w.reduce((a, b) => a + b, 0);
  const out = new Float32Array(planes);
  for (let p = 0; p < planes; p++) {
    let v = 1;
    for (let s = 0; s < scales; s++) {
      const t = s === scales - 1 ? terms[p * (scales + 1) + scales] : terms[p * (scales + 1) + s];
      v *= Math.max(0, t) ** (w[s] / total);
    }
    out[p] = v;
  }
  return out;
}

/** MS-SSIM of each image pair of x and y ([N, C, H, W], the same shape): N values, channels averaged. */
export async function msssim(x: Tensor, y: Tensor, opts: MsssimOptions = {}): Promise<Float32Array> {
  const [n, c] = x.shape;
  const { terms, scales, planes } = await msssimTerms(x, y, opts);
  const per = combineMsssim(terms, scales, planes);
  return Float32Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let k = 0; k < c; k++) s += per[i * c + k];
    return s / c;
  });
}

/** Mean absolute difference of each image pair of x and y ([N, ...], the same shape): N values. */
export async function meanL1(x: Tensor, y: Tensor): Promise<Float32Array> {
  const t = tidy(() => keep(x.sub(y).abs().reshape([x.shape[0], -1]).mean([1])));
  try {
    return await t.data();
  } finally {
    t.dispose();
  }
}

/** PSNR in dB of each image pair (x is the output, y the target), for images spanning `dataRange`. */
export async function psnr(x: Tensor, y: Tensor, dataRange = 2): Promise<Float32Array> {
  const t = tidy(() => keep(x.sub(y).square().reshape([x.shape[0], -1]).mean([1])));
  try {
    const mse = await t.data();
    return mse.map((m) => 10 * Math.log10((dataRange * dataRange) / Math.max(m, 1e-12)));
  } finally {
    t.dispose();
  }
}
