// Weight-free measures of a multimodal image-to-image model (pure: runs wherever WebGPU does).
//  - diversity: the paper's protocol (K inputs x S samples, distance between consecutive samples of the
//    same input) with mean L1 and 1 - MS-SSIM in place of LPIPS (whose AlexNet weights cannot be had
//    here);
//  - mode coverage and validity on the synthetic set, whose modes are known (classifyMode);
//  - NDB and JSD (Richardson and Weiss 2018): k-means bins on real images, a two-proportion z-test per bin;
//  - how well the encoder's aggregate posterior matches the prior that random z is drawn from.

import type { RGBImage } from '../data/image.ts';
import { mulberry32 } from '../data/rng.ts';
import { classifyMode } from '../data/synthetic.ts';
import { concat } from '../ops/shape.ts';
import { keep, tidy } from '../scope.ts';
import type { Tensor } from '../tensor.ts';
import { meanL1, msssim } from './msssim.ts';

/** Mean and standard deviation of a list of numbers. */
export interface MeanStd {
  mean: number;
  std: number;
}

/** Mean and (population) standard deviation. */
export function meanStd(values: ArrayLike<number>): MeanStd {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / n) };
}

/** Diversity of a set of outputs: mean L1 and 1 - MS-SSIM over the pairs compared. */
export interface Diversity {
  /** Mean absolute difference per pixel (images in [-1, 1]). */
  l1: MeanStd;
  /** 1 - MS-SSIM (0: identical). */
  msssim: MeanStd;
  pairs: number;
}

/**
 * The paper's diversity protocol: `samples[s]` holds output s of every input ([K, C, H, W], the same
 * input order in each); distances are taken between consecutive samples of the same input (S - 1 pairs
 * per input, 19 for the paper's 20).
 */
export async function diversity(samples: readonly Tensor[]): Promise<Diversity> {
  if (samples.length < 2)
    throw new Error(`diversity: needs at least 2 samples per input, got ${samples.length}`);
  const a = tidy(() => keep(concat(samples.slice(0, -1) as Tensor[], 0)));
  const b = tidy(() => keep(concat(samples.slice(1) as Tensor[], 0)));
  try {
    const l1 = await meanL1(a, b);
    const ss = await msssim(a, b);
    return { l1: meanStd(l1), msssim: meanStd(ss.map((v) => 1 - v)), pairs: l1.length };
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** classifyMode distance at or under which a sample counts as valid (real B's are at 0.015 or less). */
export const VALID_THRESHOLD = 0.12;
/** Fewest object pixels of a valid sample. */
export const VALID_MIN_PIXELS = 16;

/** Options of modeCoverage: the number of modes and the validity threshold. */
export interface CoverageOptions {
  /** Modes of the data set (default 4). */
  modes?: number;
  /**
   * A sample is valid when its features are within this distance of the nearest mode's prototype
   * (classifyMode's distance; default 0.12) and the object has at least minPixels pixels.
   */
  threshold?: number;
  /** Fewest object pixels of a valid sample (default 16). */
  minPixels?: number;
}

/** Mode coverage of S samples for each of K inputs of the synthetic set. */
export interface Coverage {
  /** Mean over inputs of the number of distinct modes among the valid samples. */
  modesPerInput: number;
  /** Fraction of inputs whose valid samples hit every mode. */
  allModesFraction: number;
  /** Fraction of samples close to some mode. */
  validFraction: number;
  /** How often each mode was produced (valid samples), over all inputs. */
  modeCounts: number[];
  /** Median classifyMode distance of the samples. */
  medianDistance: number;
}

/**
 * How many of the known modes the samples of each input hit, and how many samples are valid (close to
 * some mode). `images[k][s]` is sample s of input k (RGB, 0..255); `masks[k]` marks input k's object
 * (the interior of its outline), or null to take every non-white pixel.
 */
export function modeCoverage(
  images: readonly (readonly RGBImage[])[],
  masks: readonly (Uint8Array | null)[],
  opts: CoverageOptions = {},
): Coverage {
  const modes = opts.modes ?? 4;
  const threshold = opts.threshold ?? VALID_THRESHOLD;
  const minPixels = opts.minPixels ?? VALID_MIN_PIXELS;
  const counts = new Array<number>(modes).fill(0);
  let valid = 0;
  let total = 0;
  let hitSum = 0;
  let all = 0;
  const distances: number[] = [];
  images.forEach((row, k) => {
    const hit = new Set<number>();
    for (const img of row) {
      const c = classifyMode(img, masks[k], modes);
      total++;
      distances.push(c.distance);
      if (c.mode >= 0 && c.pixels >= minPixels && c.distance <= threshold) {
        valid++;
        hit.add(c.mode);
        counts[c.mode]++;
      }
    }
    hitSum += hit.size;
    if (hit.size === modes) all++;
  });
  distances.sort((x, y) => x - y);
  return {
    modesPerInput: hitSum / Math.max(1, images.length),
    allModesFraction: all / Math.max(1, images.length),
    validFraction: valid / Math.max(1, total),
    modeCounts: counts,
    medianDistance: distances.length ? distances[Math.floor(distances.length / 2)] : Number.NaN,
  };
}

/** Moments of an encoder's aggregate posterior (the mixture of its N(mu_i, sigma_i^2) over inputs). */
export interface PosteriorMatch {
  /** Per dimension: mean of the mixture. */
  mean: number[];
  /** Per dimension: variance of the mixture (spread of the mu's plus the mean sigma^2). */
  variance: number[];
  /**
   * KL(N(mean, diag(variance)) || N(0, I)): 0 when the mixture's first two moments are the prior's.
   * Random z is drawn from the prior, so a large value means random z lands where E puts no data.
   */
  kl: number;
}

/** The aggregate posterior's moments from E's mu and logvar of n inputs ([n, nz], row-major). */
export function posteriorMatch(mu: ArrayLike<number>, logvar: ArrayLike<number>, nz: number): PosteriorMatch {
  if (mu.length !== logvar.length || mu.length % nz !== 0 || mu.length === 0)
    throw new Error(
      `posteriorMatch: mu (${mu.length}) and logvar (${logvar.length}) must be [n, ${nz}], n >= 1`,
    );
  const n = mu.length / nz;
  const mean = new Array<number>(nz).fill(0);
  const variance = new Array<number>(nz).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < nz; j++) mean[j]! += mu[i * nz + j]! / n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < nz; j++)
      variance[j]! += ((mu[i * nz + j]! - mean[j]!) ** 2 + Math.exp(logvar[i * nz + j]!)) / n;
  let kl = 0;
  for (let j = 0; j < nz; j++) kl += 0.5 * (variance[j]! + mean[j]! ** 2 - 1 - Math.log(variance[j]!));
  return { mean, variance, kl };
}

function sqDist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

/** The index of the nearest centroid to each point. */
export function assign(points: readonly Float32Array[], centroids: readonly Float32Array[]): Int32Array {
  return Int32Array.from(points, (p) => {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    centroids.forEach((c, j) => {
      const d = sqDist(p, c);
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    });
    return best;
  });
}

/** k-means (k-means++ initialisation, Lloyd iterations), deterministic in `seed`: the centroids. */
export function kmeans(
  points: readonly Float32Array[],
  k: number,
  opts: { seed?: number; iters?: number } = {},
): Float32Array[] {
  if (points.length < k) throw new Error(`kmeans: ${points.length} points for ${k} clusters`);
  const rand = mulberry32(opts.seed ?? 0);
  const dim = points[0].length;
  const centroids: Float32Array[] = [Float32Array.from(points[Math.floor(rand() * points.length)])];
  const d2 = points.map((p) => sqDist(p, centroids[0]));
  while (centroids.length < k) {
    const total = d2.reduce((a, b) => a + b, 0);
    let r = rand() * total;
    let pick = 0;
    for (; pick < points.length - 1; pick++) {
      r -= d2[pick];
      if (r <= 0) break;
    }
    const c = Float32Array.from(points[pick]);
    centroids.push(c);
    points.forEach((p, i) => {
      d2[i] = Math.min(d2[i], sqDist(p, c));
    });
  }
  for (let it = 0; it < (opts.iters ?? 30); it++) {
    const lab = assign(points, centroids);
    const sums = centroids.map(() => new Float64Array(dim));
    const n = new Array<number>(k).fill(0);
    points.forEach((p, i) => {
      n[lab[i]]++;
      const s = sums[lab[i]];
      for (let j = 0; j < dim; j++) s[j] += p[j];
    });
    let moved = false;
    centroids.forEach((c, j) => {
      if (n[j] === 0) return; // an empty cluster keeps its centroid
      for (let q = 0; q < dim; q++) {
        const v = sums[j][q] / n[j];
        if (v !== c[q]) moved = true;
        c[q] = v;
      }
    });
    if (!moved) break;
  }
  return centroids;
}

/** NDB and JSD of generated samples against real ones. */
export interface NdbResult {
  bins: number;
  /** Bins whose generated proportion differs significantly from the real one. */
  ndb: number;
  /** ndb / bins. */
  ndbFraction: number;
  /** Jensen-Shannon divergence (natural log) between the bin histograms. */
  jsd: number;
  /** Real and generated proportion of each bin. */
  real: number[];
  fake: number[];
  realCount: number;
  fakeCount: number;
}

/** The standard normal CDF (Abramowitz and Stegun 7.1.26 via erf). */
function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-((x / Math.SQRT2) ** 2));
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Jensen-Shannon divergence of two distributions (natural log). */
export function jsDivergence(p: readonly number[], q: readonly number[]): number {
  const kl = (a: readonly number[], m: number[]) =>
    a.reduce((s, v, i) => (v > 0 ? s + v * Math.log(v / m[i]) : s), 0);
  const m = p.map((v, i) => (v + q[i]) / 2);
  return 0.5 * kl(p, m) + 0.5 * kl(q, m);
}

/**
 * NDB/JSD (Richardson and Weiss 2018): k-means with `bins` clusters on the real samples (vectors), every
 * sample goes to its nearest centroid, and a bin counts as statistically different when a two-proportion
 * z-test rejects equal proportions at `alpha` (default 0.05).
 */
export function ndbJsd(
  real: readonly Float32Array[],
  fake: readonly Float32Array[],
  opts: { bins?: number; alpha?: number; seed?: number } = {},
): NdbResult {
  const bins = opts.bins ?? 20;
  const alpha = opts.alpha ?? 0.05;
  const centroids = kmeans(real, bins, { seed: opts.seed ?? 0 });
  const hist = (pts: readonly Float32Array[]) => {
    const h = new Array<number>(bins).fill(0);
    for (const j of assign(pts, centroids)) h[j]++;
    return h.map((c) => c / Math.max(1, pts.length));
  };
  const p = hist(real);
  const q = hist(fake);
  const n1 = real.length;
  const n2 = fake.length;
  let ndb = 0;
  for (let j = 0; j < bins; j++) {
    const pooled = (p[j] * n1 + q[j] * n2) / (n1 + n2);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
    const z = se > 0 ? (p[j] - q[j]) / se : 0;
    const pValue = 2 * (1 - normalCdf(Math.abs(z)));
    if (pValue < alpha) ndb++;
  }
  return {
    bins,
    ndb,
    ndbFraction: ndb / bins,
    jsd: jsDivergence(p, q),
    real: p,
    fake: q,
    realCount: n1,
    fakeCount: n2,
  };
}

/**
 * An image as an NDB feature vector: area-averaged down to side x side (default 16), values in [0, 1].
 */
export function imageVector(img: RGBImage, side = 16): Float32Array {
  const { width: w, height: h, channels: c, data } = img;
  const out = new Float32Array(side * side * c);
  const cnt = new Float32Array(side * side);
  for (let y = 0; y < h; y++) {
    const oy = Math.min(side - 1, Math.floor((y * side) / h));
    for (let x = 0; x < w; x++) {
      const ox = Math.min(side - 1, Math.floor((x * side) / w));
      const o = oy * side + ox;
      cnt[o]++;
      for (let k = 0; k < c; k++) out[o * c + k] += data[(y * w + x) * c + k] / 255;
    }
  }
  for (let o = 0; o < side * side; o++) for (let k = 0; k < c; k++) out[o * c + k] /= cnt[o];
  return out;
}
