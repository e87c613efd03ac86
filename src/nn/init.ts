// Weight initialisers as torch.nn.init, drawing seeded numbers on the GPU (ops/random.ts), plus
// initWeights: BicycleGAN's networks.init_weights over a module tree.
// Each initialiser overwrites the tensor's values in place and returns it. orthogonal() needs a host
// copy for its QR factorisation, so it (and initWeights) is async.
import { randn } from '../ops/random.ts';
import { fmt, type Shape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import type { AnyModule } from './module.ts';

export interface SeedOpts {
  /** Seed of the draw; otherwise the global stream that manualSeed() resets. */
  seed?: number;
}

/** (fan_in, fan_out) as torch.nn.init._calculate_fan_in_and_fan_out: [out, in, ...kernel]. */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new Error(`init: fan in and fan out need at least 2 dimensions, got shape ${fmt(shape)}`);
  }
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

export type Nonlinearity = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu';

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
  }
}

function fill(t: Tensor, mean: number, std: number, seed?: number): Tensor {
  const r = randn(t.shape, { seed, mean, std });
  t.assign(r);
  r.dispose();
  return t;
}

/** N(mean, std^2) (torch's normal_; defaults mean 0, std 1). */
export function normal(t: Tensor, std = 1, opts: SeedOpts & { mean?: number } = {}): Tensor {
  if (!(std >= 0)) throw new Error(`init.normal: std must be >= 0, got ${std}`);
  return fill(t, opts.mean ?? 0, std, opts.seed);
}

/** N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)). */
export function xavierNormal(t: Tensor, gain = 1, opts: SeedOpts = {}): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  return fill(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts.seed);
}

export interface KaimingOpts extends SeedOpts {
  /** Negative slope of the rectifier after this layer (0: ReLU). */
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

/** N(0, std^2) with std = gain / sqrt(fan), gain = calculateGain(nonlinearity, a); defaults as torch. */
export function kaimingNormal(t: Tensor, opts: KaimingOpts = {}): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  const fan = (opts.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return fill(t, 0, gain / Math.sqrt(fan), opts.seed);
}

export function constant(t: Tensor, value: number): Tensor {
  return t.assign(new Float32Array(t.size).fill(value));
}

export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/**
 * A (semi-)orthogonal matrix times gain, as torch.nn.init.orthogonal_: the tensor is viewed as
 * [shape[0], rest]; a normal matrix is drawn (on the GPU, seeded) and its QR factor Q, with the signs
 * that make R's diagonal positive, is taken on the host (modified Gram-Schmidt, float64).
 */
export async function orthogonal(t: Tensor, gain = 1, opts: SeedOpts = {}): Promise<Tensor> {
  if (t.ndim < 2) throw new Error(`init.orthogonal: needs at least 2 dimensions, got shape ${fmt(t.shape)}`);
  const rows = t.shape[0];
  const cols = t.size / rows;
  if (t.size === 0) return t;
  const r = randn([rows, cols], { seed: opts.seed });
  const drawn = await r.data();
  r.dispose();
  const out = orthonormalize(drawn, rows, cols);
  for (let i = 0; i < out.length; i++) out[i] *= gain;
  return t.assign(out);
}

/**
 * The Q of the QR factorisation (positive diagonal of R) of a rows x cols row-major matrix, or of its
 * transpose when rows < cols (then transposed back): orthonormal columns, or rows when wide.
 */
export function orthonormalize(values: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const wide = rows < cols;
  const m = wide ? cols : rows; // the tall matrix A is m x n, m >= n
  const n = wide ? rows : cols;
  // Columns of A as float64 vectors.
  const q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const c = new Float64Array(m);
    for (let i = 0; i < m; i++) c[i] = wide ? values[j * cols + i] : values[i * cols + j];
    q.push(c);
  }
  for (let j = 0; j < n; j++) {
    const c = q[j];
    // Two passes of modified Gram-Schmidt keep the columns orthogonal to rounding.
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[k][i] * c[i];
        for (let i = 0; i < m; i++) c[i] -= dot * q[k][i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += c[i] * c[i];
    norm = Math.sqrt(norm);
    if (norm === 0) throw new Error('init.orthogonal: the drawn matrix is rank deficient');
    for (let i = 0; i < m; i++) c[i] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      if (wide) out[j * cols + i] = q[j][i];
      else out[i * cols + j] = q[j][i];
    }
  }
  return out;
}

/** The reference's --init_type for initWeights. */
export type InitType = 'normal' | 'xavier' | 'kaiming' | 'orthogonal';

/** A seed per parameter, derived from one seed (undefined: the global stream). */
function subSeed(seed: number | undefined, k: number): number | undefined {
  if (seed === undefined) return undefined;
  let z = (Math.floor(seed) ^ Math.imul(k + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * BicycleGAN's networks.init_weights: every 'conv' and 'linear' layer's weight by `type` (normal:
 * N(0, gain); xavier: Xavier-normal with gain; kaiming: Kaiming-normal a=0, fan_in; orthogonal with
 * gain) and its bias 0; every 'batchnorm' layer's weight N(1, gain) and bias 0. Layers are recognised
 * by their `kind`, so layers written later take part.
 */
export async function initWeights(
  net: AnyModule,
  type: InitType = 'normal',
  gain = 0.02,
  seed?: number,
): Promise<void> {
  if (!['normal', 'xavier', 'kaiming', 'orthogonal'].includes(type)) {
    throw new Error(`initWeights: initialization method '${type}' is not implemented`);
  }
  let k = 0;
  for (const m of net.modules()) {
    const w = m.getParameter('weight');
    const b = m.getParameter('bias');
    if (m.kind === 'conv' || m.kind === 'linear') {
      if (w) {
        const s = subSeed(seed, k++);
        if (type === 'normal') normal(w, gain, { seed: s });
        else if (type === 'xavier') xavierNormal(w, gain, { seed: s });
        else if (type === 'kaiming') kaimingNormal(w, { a: 0, mode: 'fan_in', seed: s });
        else await orthogonal(w, gain, { seed: s });
      }
      if (b) zeros(b);
    } else if (m.kind === 'batchnorm') {
      if (w) normal(w, gain, { mean: 1, seed: subSeed(seed, k++) });
      if (b) zeros(b);
    }
  }
}
