// Layers built on the convolution, normalisation and resampling ops: Conv2d, ConvTranspose2d,
// InstanceNorm2d, BatchNorm2d, Dropout, AvgPool2d, Upsample, ReflectionPad2d.
// Parameter and buffer names, shapes and default initialisation follow torch.nn.
import { type Conv2dOpts, type ConvTranspose2dOpts, conv2d, convTranspose2d } from '../ops/conv.ts';
import { full } from '../ops/elementwise.ts';
import { batchNorm2d, instanceNorm2d } from '../ops/norm.ts';
import {
  type AvgPool2dOpts,
  avgPool2d,
  dropout,
  maxPool2d,
  type Pool2dOpts,
  reflectionPad2d,
  upsample2d,
} from '../ops/pool.ts';
import { rand } from '../ops/random.ts';
import { type Pair, pair } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { type LayerKind, Module } from './module.ts';

function positive(layer: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`${layer}: ${what} must be a positive integer, got ${v}`);
}

/** PyTorch's default conv init: uniform on +-1/sqrt(fan_in) for weight and bias. */
function defaultInit(shape: number[], fanIn: number, seed?: number): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return rand(shape, { seed, low: -bound, high: bound });
}

export interface ConvLayerOpts extends Conv2dOpts {
  bias?: boolean;
  seed?: number;
}

/** nn.Conv2d: weight [out, in, kH, kW], bias [out]. */
export class Conv2d extends Module {
  override readonly kind: LayerKind = 'conv';
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly opts: Conv2dOpts;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: ConvLayerOpts = {},
  ) {
    super();
    const [kh, kw] = pair(kernelSize, 1);
    for (const [w, v] of Object.entries({ inChannels, outChannels, kh, kw })) positive('Conv2d', w, v);
    const fanIn = inChannels * kh * kw;
    this.weight = this.registerParameter(
      'weight',
      defaultInit([outChannels, inChannels, kh, kw], fanIn, opts.seed),
    );
    const seed = opts.seed === undefined ? undefined : opts.seed + 1;
    this.bias = this.registerParameter(
      'bias',
      opts.bias === false ? null : defaultInit([outChannels], fanIn, seed),
    );
    this.opts = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation };
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.opts);
  }
}

export interface ConvTransposeLayerOpts extends ConvTranspose2dOpts {
  bias?: boolean;
  seed?: number;
}

/** nn.ConvTranspose2d: weight [in, out, kH, kW], bias [out]. */
export class ConvTranspose2d extends Module {
  override readonly kind: LayerKind = 'conv';
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly opts: ConvTranspose2dOpts;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: ConvTransposeLayerOpts = {},
  ) {
    super();
    const [kh, kw] = pair(kernelSize, 1);
    for (const [w, v] of Object.entries({ inChannels, outChannels, kh, kw }))
      positive('ConvTranspose2d', w, v);
    // PyTorch computes fan_in from weight dim 1 (out channels) for transposed convs.
    const fanIn = outChannels * kh * kw;
    this.weight = this.registerParameter(
      'weight',
      defaultInit([inChannels, outChannels, kh, kw], fanIn, opts.seed),
    );
    const seed = opts.seed === undefined ? undefined : opts.seed + 1;
    this.bias = this.registerParameter(
      'bias',
      opts.bias === false ? null : defaultInit([outChannels], fanIn, seed),
    );
    this.opts = {
      stride: opts.stride,
      padding: opts.padding,
      dilation: opts.dilation,
      outputPadding: opts.outputPadding,
    };
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.opts);
  }
}

export interface NormLayerOpts {
  eps?: number;
  affine?: boolean;
}

/** nn.InstanceNorm2d; affine off by default (as torch and BicycleGAN), no running statistics. */
export class InstanceNorm2d extends Module {
  override readonly kind: LayerKind = 'norm';
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(
    readonly numFeatures: number,
    opts: NormLayerOpts = {},
  ) {
    super();
    positive('InstanceNorm2d', 'numFeatures', numFeatures);
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? false;
    this.weight = this.registerParameter('weight', affine ? full([numFeatures], 1) : null);
    this.bias = this.registerParameter('bias', affine ? full([numFeatures], 0) : null);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim === 4 && x.shape[1] !== this.numFeatures) {
      throw new Error(
        `InstanceNorm2d: expected ${this.numFeatures} channels, got input [${x.shape.join(', ')}]`,
      );
    }
    return instanceNorm2d(x, { eps: this.eps, weight: this.weight, bias: this.bias });
  }
}

/** nn.BatchNorm2d with affine weight/bias and running_mean/running_var/num_batches_tracked buffers. */
export class BatchNorm2d extends Module {
  override readonly kind: LayerKind = 'batchnorm';
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    readonly numFeatures: number,
    opts: { eps?: number; momentum?: number } = {},
  ) {
    super();
    positive('BatchNorm2d', 'numFeatures', numFeatures);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.weight = this.registerParameter('weight', full([numFeatures], 1));
    this.bias = this.registerParameter('bias', full([numFeatures], 0));
    this.runningMean = this.registerBuffer('running_mean', full([numFeatures], 0));
    this.runningVar = this.registerBuffer('running_var', full([numFeatures], 1));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', full([], 0));
  }

  forward(x: Tensor): Tensor {
    if (this.training) {
      const n = this.numBatchesTracked.add(1);
      this.numBatchesTracked.assign(n);
      n.dispose();
    }
    return batchNorm2d(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}

/** nn.Dropout: active in training mode only. Each call draws a new mask from the global stream. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }
}

/** nn.AvgPool2d (stride defaults to the kernel size). */
export class AvgPool2d extends Module {
  constructor(readonly opts: AvgPool2dOpts) {
    super();
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.opts);
  }
}

/** nn.MaxPool2d (stride defaults to the kernel size). */
export class MaxPool2d extends Module {
  constructor(readonly opts: Pool2dOpts) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.opts);
  }
}

/** nn.Upsample with an integer scale factor, 'nearest' or 'bilinear' (align_corners = false). */
export class Upsample extends Module {
  constructor(
    readonly scale: number,
    readonly mode: 'nearest' | 'bilinear' = 'nearest',
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return upsample2d(x, { scale: this.scale, mode: this.mode });
  }
}

/** nn.ReflectionPad2d: one size for all sides, or [left, right, top, bottom]. */
export class ReflectionPad2d extends Module {
  constructor(readonly padding: number | [number, number, number, number]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return reflectionPad2d(x, this.padding);
  }
}
