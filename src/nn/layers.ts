// Layers that need no convolution: Linear, the activations, Identity and Sequential.
// Parameter names and default initialisation follow torch.nn, so state dicts line up with PyTorch's.
import { linear } from '../ops/matmul.ts';
import { rand } from '../ops/random.ts';
import type { Tensor } from '../tensor.ts';
import { Conv2d, ConvTranspose2d } from './conv.ts';
import { type AnyModule, type LayerKind, Module } from './module.ts';

/** Options of nn.Linear: an init seed. */
export interface LinearOpts {
  /** Seed of the default initialisation (otherwise the global stream of manualSeed). */
  seed?: number;
}

/**
 * y = x @ W^T + b with W of shape [out, in] and b of shape [out], as torch.nn.Linear; x is [..., in].
 * Default initialisation as PyTorch: W and b uniform on +-1/sqrt(in).
 */
export class Linear extends Module {
  override readonly kind: LayerKind = 'linear';
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
    opts: LinearOpts = {},
  ) {
    super();
    for (const [what, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`Linear: ${what} must be a positive integer, got ${v}`);
    }
    const bound = 1 / Math.sqrt(inFeatures);
    const seed = opts.seed;
    this.weight = this.registerParameter(
      'weight',
      rand([outFeatures, inFeatures], { seed, low: -bound, high: bound }),
    );
    this.bias = this.registerParameter(
      'bias',
      bias
        ? rand([outFeatures], {
            seed: seed === undefined ? undefined : seed + 0x51ed,
            low: -bound,
            high: bound,
          })
        : null,
    );
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** max(x, 0). */
export class ReLU extends Module {
  override readonly kind: LayerKind = 'activation';
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** x for x > 0, slope * x otherwise (torch's default slope 0.01; BicycleGAN uses 0.2). */
export class LeakyReLU extends Module {
  override readonly kind: LayerKind = 'activation';
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }
}

/** nn.Tanh. */
export class Tanh extends Module {
  override readonly kind: LayerKind = 'activation';
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** nn.Sigmoid. */
export class Sigmoid extends Module {
  override readonly kind: LayerKind = 'activation';
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** Returns its input (the same tensor). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Applies its modules in order; they are named '0', '1', ... as in torch.nn.Sequential. */
export class Sequential extends Module {
  override readonly kind: LayerKind = 'container';
  private readonly layers: Module[] = [];

  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds a module at the end, named by its index. */
  append(m: Module): this {
    this.layers.push(this.registerModule(String(this.layers.length), m));
    return this;
  }

  get length(): number {
    return this.layers.length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const m = this.layers.at(i);
    if (!m) throw new Error(`Sequential: index ${i} out of range for ${this.layers.length} modules`);
    return m;
  }

  forward(x: Tensor): Tensor {
    return this.run(x, 0);
  }

  /** Whether it starts with a conv, possibly inside nested Sequentials (one that takes an input slope). */
  get startsWithConv(): boolean {
    return startsWithConv(this.layers[0]);
  }

  /** forward(leakyRelu(x, slope)) with the activation fused into the first conv's reads (startsWithConv). */
  forwardWithInputSlope(x: Tensor, slope: number): Tensor {
    const first = this.layers[0];
    if (!startsWithConv(first))
      throw new Error('Sequential.forwardWithInputSlope: it does not start with a conv');
    return this.run((first as Conv2d | ConvTranspose2d | Sequential).forwardWithInputSlope(x, slope), 1);
  }

  /** Layers from `from` on, applied to h. */
  private run(h: Tensor, from: number): Tensor {
    for (let i = from; i < this.layers.length; i++) {
      const m = this.layers[i];
      const next = this.layers[i + 1];
      // A ReLU / LeakyReLU whose only reader is the next conv runs inside that conv's reads: no
      // separate activation pass and no activation tensor (same values and gradients).
      const slope = m instanceof LeakyReLU ? m.negativeSlope : m instanceof ReLU ? 0 : undefined;
      if (slope !== undefined && startsWithConv(next)) {
        h = (next as Conv2d | ConvTranspose2d | Sequential).forwardWithInputSlope(h, slope);
        i++;
      } else h = m.call(h);
    }
    return h;
  }
}

function startsWithConv(m: Module | undefined): boolean {
  return m instanceof Conv2d || m instanceof ConvTranspose2d || (m instanceof Sequential && m.startsWithConv);
}

/** Type guard for code walking module trees. */
export function isModule(x: unknown): x is AnyModule {
  return x instanceof Module;
}
