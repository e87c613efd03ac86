// Convolution layers: Conv2d and ConvTranspose2d (weights, bias and default initialisation as torch.nn).
import { type Conv2dOpts, type ConvTranspose2dOpts, conv2d, convTranspose2d } from '../ops/conv.ts';
import { rand } from '../ops/random.ts';
import { type Pair, pair } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { type LayerKind, Module, positiveInt } from './module.ts';

/** PyTorch's default conv init: uniform on +-1/sqrt(fan_in) for weight and bias. */
function defaultInit(shape: number[], fanIn: number, seed?: number): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return rand(shape, { seed, low: -bound, high: bound });
}

/** Options of nn.Conv2d: the conv options, bias (default true) and an init seed. */
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
    for (const [w, v] of Object.entries({ inChannels, outChannels, kh, kw })) positiveInt('Conv2d', w, v);
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

  /** conv(leakyRelu(x, slope)) with the activation fused into the conv's reads. */
  forwardWithInputSlope(x: Tensor, slope: number): Tensor {
    return conv2d(x, this.weight, this.bias, { ...this.opts, inputSlope: slope });
  }

  /** conv(x) + residual in one launch (a residual connection). */
  forwardAdd(x: Tensor, residual: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { ...this.opts, residual });
  }
}

/** Options of nn.ConvTranspose2d: the transposed-conv options, bias (default true) and an init seed. */
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
      positiveInt('ConvTranspose2d', w, v);
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

  /** convTranspose(leakyRelu(x, slope)) with the activation fused into the reads (0: ReLU). */
  forwardWithInputSlope(x: Tensor, slope: number): Tensor {
    return convTranspose2d(x, this.weight, this.bias, { ...this.opts, inputSlope: slope });
  }
}
