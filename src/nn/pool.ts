// Parameter-free layers over images: Dropout, AvgPool2d, MaxPool2d, Upsample, ReflectionPad2d
// (the layers of src/ops/pool.ts).
import {
  type AvgPool2dOpts,
  avgPool2d,
  dropout,
  maxPool2d,
  type Pool2dOpts,
  reflectionPad2d,
  upsample2d,
} from '../ops/pool.ts';
import type { Tensor } from '../tensor.ts';
import { Module } from './module.ts';

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
