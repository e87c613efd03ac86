// Pooling and resampling: avgPool2d (kernels/pool.wgsl), upsample2d and reflectionPad2d
// (kernels/resample.wgsl), launched by src/kernels/pool.ts, and dropout. Each forward and backward is
// one gather launch.
import { record } from '../autograd.ts';
import { binary } from '../kernels/elementwise.ts';
import { avgPool, maxPool, resample } from '../kernels/pool.ts';
import { DIST_DROPOUT, draw } from '../kernels/random.ts';
import { fmt, type Pair, pair } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { clone } from './elementwise.ts';
import { nextSeed } from './random.ts';

function planes(op: string, x: Tensor): [number, number, number] {
  if (x.ndim !== 4) throw new Error(`${op}: input must be [N, C, H, W], got ${fmt(x.shape)}`);
  return [x.shape[0] * x.shape[1], x.shape[2], x.shape[3]];
}

/** Options of the pooling ops: kernel, stride (default: the kernel) and padding. */
export interface Pool2dOpts {
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
}

/** Options of avgPool2d: Pool2dOpts plus countIncludePad. */
export interface AvgPool2dOpts extends Pool2dOpts {
  countIncludePad?: boolean;
}

/** Checked pooling geometry (kernels/pool.wgsl's params). */
function poolGeometry(op: string, x: Tensor, opts: Pool2dOpts, includePad = false) {
  const [P, H, W] = planes(op, x);
  const [kh, kw] = pair(opts.kernel, 1);
  const [sh, sw] = pair(opts.stride, 0).map((s, i) => s || [kh, kw][i]);
  const [ph, pw] = pair(opts.padding, 0);
  if (
    [kh, kw, sh, sw].some((v) => !Number.isInteger(v) || v < 1) ||
    [ph, pw].some((v) => !Number.isInteger(v) || v < 0)
  ) {
    throw new Error(`${op}: kernel and stride must be positive integers, padding non-negative`);
  }
  if (ph * 2 > kh || pw * 2 > kw)
    throw new Error(`${op}: padding ${ph}x${pw} must be at most half the kernel ${kh}x${kw}`);
  const OH = Math.floor((H + 2 * ph - kh) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
  if (OH < 1 || OW < 1)
    throw new Error(`${op}: kernel ${kh}x${kw} is larger than the padded input of ${fmt(x.shape)}`);
  return { planes: P, H, W, OH, OW, kh, kw, sh, sw, ph, pw, include_pad: includePad ? 1 : 0, accumulate: 0 };
}

/** nn.AvgPool2d (ceil_mode = false). stride defaults to the kernel size, as in PyTorch. */
export function avgPool2d(x: Tensor, opts: AvgPool2dOpts): Tensor {
  const g = poolGeometry('avgPool2d', x, opts, opts.countIncludePad ?? true);
  const y = avgPool('avgpool_forward', g, x, Tensor.empty([x.shape[0], x.shape[1], g.OH, g.OW]));
  // The input gradient is added in place into one x already has (into).
  return record(y, [x], (gy, into) => {
    const acc = into(0);
    return [avgPool('avgpool_backward', { ...g, accumulate: acc ? 1 : 0 }, gy, acc ?? Tensor.empty(x.shape))];
  });
}

/** nn.MaxPool2d (ceil_mode = false, dilation 1); the gradient goes to the first maximum of each window. */
export function maxPool2d(x: Tensor, opts: Pool2dOpts): Tensor {
  const g = poolGeometry('maxPool2d', x, opts);
  const shape = [x.shape[0], x.shape[1], g.OH, g.OW];
  const arg = Tensor.empty(shape);
  const y = maxPool('maxpool_forward', g, x, Tensor.empty(shape), arg);
  return record(y, [x], (gy) => [maxPool('maxpool_backward', g, gy, Tensor.empty(x.shape), arg)], [arg]);
}

/** Options of upsample2d: integer scale and nearest or bilinear (align_corners=False). */
export interface Upsample2dOpts {
  scale: number;
  mode?: 'nearest' | 'bilinear';
}

/** nn.Upsample with an integer scale factor; bilinear uses align_corners = false (PyTorch's default). */
export function upsample2d(x: Tensor, opts: Upsample2dOpts): Tensor {
  const [P, H, W] = planes('upsample2d', x);
  const s = opts.scale;
  const mode = opts.mode ?? 'nearest';
  if (!Number.isInteger(s) || s < 1)
    throw new Error(`upsample2d: scale must be a positive integer, got ${s}`);
  if (mode !== 'nearest' && mode !== 'bilinear') throw new Error(`upsample2d: unknown mode '${mode}'`);
  const params = { planes: P, H, W, OH: H * s, OW: W * s, scale: s, top: 0, left: 0 };
  const y = resample(
    `upsample_${mode}_forward`,
    params,
    x,
    Tensor.empty([x.shape[0], x.shape[1], H * s, W * s]),
  );
  return record(y, [x], (g) => [resample(`upsample_${mode}_backward`, params, g, Tensor.empty(x.shape))]);
}

/** nn.ReflectionPad2d: pad = all sides, or [left, right, top, bottom] as PyTorch. */
export function reflectionPad2d(x: Tensor, pad: number | [number, number, number, number]): Tensor {
  const [P, H, W] = planes('reflectionPad2d', x);
  const [l, r, t, b] = typeof pad === 'number' ? [pad, pad, pad, pad] : pad;
  if ([l, r, t, b].some((v) => !Number.isInteger(v) || v < 0))
    throw new Error('reflectionPad2d: padding must be non-negative integers');
  if (l >= W || r >= W || t >= H || b >= H) {
    throw new Error(
      `reflectionPad2d: padding (${l}, ${r}, ${t}, ${b}) must be smaller than the input size ${H}x${W}`,
    );
  }
  const OH = H + t + b;
  const OW = W + l + r;
  const params = { planes: P, H, W, OH, OW, scale: 1, top: t, left: l };
  const y = resample('reflect_pad_forward', params, x, Tensor.empty([x.shape[0], x.shape[1], OH, OW]));
  return record(y, [x], (g) => [resample('reflect_pad_backward', params, g, Tensor.empty(x.shape))]);
}

/** Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p); identity when not training. */
export function dropout(x: Tensor, p: number, opts: { seed?: number; training?: boolean } = {}): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (opts.training === false || p === 0) return clone(x);
  const mask = draw(x.shape, DIST_DROPOUT, p, 0, opts.seed ?? nextSeed());
  const y = binary('dropout', x, mask, 'mul');
  return record(y, [x], (g) => [binary('dropout', g, mask, 'mul')], [mask]);
}
