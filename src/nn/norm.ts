// Normalisation layers: InstanceNorm2d and BatchNorm2d (parameter and buffer names as torch.nn).
import { full } from '../ops/elementwise.ts';
import { batchNorm2d, instanceNorm2d } from '../ops/norm.ts';
import type { Tensor } from '../tensor.ts';
import { type LayerKind, Module, positiveInt } from './module.ts';

/** Options of the normalisation layers: eps, momentum (batch norm), affine weight and bias. */
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
    positiveInt('InstanceNorm2d', 'numFeatures', numFeatures);
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
    positiveInt('BatchNorm2d', 'numFeatures', numFeatures);
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
