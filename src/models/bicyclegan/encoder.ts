// The BicycleGAN encoders E: B -> (mu, logvar) of a diagonal Gaussian over z.
// E_ResNet (resnet_128: 4 blocks, resnet_256: 5) and E_NLayers (conv_128: 4 layers, conv_256: 5),
// with module names as the official code (conv.N..., fc.0, fcVar.0).
import { Conv2d } from '../../nn/conv.ts';
import { Linear, Sequential } from '../../nn/layers.ts';
import { Module } from '../../nn/module.ts';
import { AvgPool2d } from '../../nn/pool.ts';
import type { Tensor } from '../../tensor.ts';
import { type NonLinearity, type NormType, nlLayer, normLayer, present } from './blocks.ts';

/** Options of the encoders (E_ResNet, E_NLayers): input channels, nz, width, norm, non-linearity. */
export interface EncoderOpts {
  inputNc: number;
  nz: number;
  nef?: number;
  norm?: NormType;
  nl?: NonLinearity;
  /** Return (mu, logvar) as a VAE (BicycleGAN); otherwise mu only. */
  vaeLike?: boolean;
}

/** An encoder's output: mean and log-variance of q(z | B), each [N, nz]. */
export interface Encoded {
  mu: Tensor;
  logvar: Tensor | null;
}

/** BasicBlock: [norm, nl, conv3x3(in, in), norm, nl, conv3x3(in, out), avgpool 2] + [avgpool 2, conv1x1]. */
class BasicBlock extends Module {
  readonly conv: Sequential;
  readonly shortcut: Sequential;
  constructor(inC: number, outC: number, norm: NormType, nl: NonLinearity) {
    super();
    this.conv = this.registerModule(
      'conv',
      new Sequential(
        ...present(
          normLayer(norm, inC),
          nlLayer(nl),
          new Conv2d(inC, inC, 3, { padding: 1 }),
          normLayer(norm, inC),
          nlLayer(nl),
          new Sequential(new Conv2d(inC, outC, 3, { padding: 1 }), new AvgPool2d({ kernel: 2, stride: 2 })),
        ),
      ),
    );
    this.shortcut = this.registerModule(
      'shortcut',
      new Sequential(new AvgPool2d({ kernel: 2, stride: 2 }), new Conv2d(inC, outC, 1)),
    );
  }

  forward(x: Tensor): Tensor {
    const a = this.conv.call(x);
    // shortcut = [avgpool, conv1x1]: the conv adds the residual branch as it writes (no add pass).
    const pooled = this.shortcut.at(0).call(x);
    const y = (this.shortcut.at(1) as Conv2d).forwardAdd(pooled, a);
    if (!y.requiresGrad) {
      a.dispose();
      pooled.dispose();
    }
    return y;
  }
}

/** Shared head: flatten the pooled features, then fc (mu) and fcVar (logvar). */
abstract class EncoderBase extends Module<[Tensor], Encoded> {
  abstract readonly conv: Sequential;
  readonly fc: Sequential;
  readonly fcVar: Sequential | null;

  constructor(features: number, nz: number, vaeLike: boolean) {
    super();
    this.fc = this.registerModule('fc', new Sequential(new Linear(features, nz)));
    this.fcVar = vaeLike ? this.registerModule('fcVar', new Sequential(new Linear(features, nz))) : null;
  }

  forward(x: Tensor): Encoded {
    const h = this.conv.call(x);
    if (h.shape[2] !== 1 || h.shape[3] !== 1) {
      throw new Error(
        `${this.constructor.name}: input [${x.shape.join(', ')}] gives a ${h.shape[2]}x${h.shape[3]} feature map; the encoder expects the size it was built for`,
      );
    }
    const flat = h.reshape([x.shape[0], -1]);
    const mu = this.fc.call(flat);
    const logvar = this.fcVar ? this.fcVar.call(flat) : null;
    return { mu, logvar };
  }
}

/** E_ResNet: conv 4x4 s2, (nBlocks - 1) BasicBlocks of width nef*min(i, 4), nl, AvgPool 8, fc heads. */
export class ResNetEncoder extends EncoderBase {
  readonly conv: Sequential;
  constructor(opts: EncoderOpts & { nBlocks: number }) {
    const nef = opts.nef ?? 64;
    const norm = opts.norm ?? 'instance';
    const nl = opts.nl ?? 'lrelu';
    const layers: Module[] = [new Conv2d(opts.inputNc, nef, 4, { stride: 2, padding: 1 })];
    let out = nef;
    for (let n = 1; n < opts.nBlocks; n++) {
      const inC = nef * Math.min(4, n);
      out = nef * Math.min(4, n + 1);
      layers.push(new BasicBlock(inC, out, norm, nl));
    }
    layers.push(nlLayer(nl), new AvgPool2d({ kernel: 8, stride: 8 }));
    super(out, opts.nz, opts.vaeLike ?? true);
    this.conv = this.registerModule('conv', new Sequential(...layers));
  }
}

/** E_NLayers: conv 4x4 s2 stack (width nef*min(2^n, 4)) with norm + nl, AvgPool 8, fc heads. */
export class ConvEncoder extends EncoderBase {
  readonly conv: Sequential;
  constructor(opts: EncoderOpts & { nLayers: number }) {
    const nef = opts.nef ?? 64;
    const norm = opts.norm ?? 'instance';
    const nl = opts.nl ?? 'lrelu';
    const layers: Module[] = [new Conv2d(opts.inputNc, nef, 4, { stride: 2, padding: 1 }), nlLayer(nl)];
    let mult = 1;
    for (let n = 1; n < opts.nLayers; n++) {
      const prev = mult;
      mult = Math.min(2 ** n, 4);
      layers.push(
        ...present(
          new Conv2d(nef * prev, nef * mult, 4, { stride: 2, padding: 1 }),
          normLayer(norm, nef * mult),
          nlLayer(nl),
        ),
      );
    }
    layers.push(new AvgPool2d({ kernel: 8, stride: 8 }));
    super(nef * mult, opts.nz, opts.vaeLike ?? true);
    this.conv = this.registerModule('conv', new Sequential(...layers));
  }
}
