// The BicycleGAN discriminator: PatchGAN, optionally multi-scale (D_NLayersMulti). Scale i has
// ndf = round(ndf / 2^i) and sees the image after i AvgPool(3, s2, p1, count_include_pad=False).
// Names as the official code: model.N (one scale) or model_0, model_1, ... (several).
import { Conv2d } from '../../nn/conv.ts';
import { LeakyReLU, Sequential } from '../../nn/layers.ts';
import { Module } from '../../nn/module.ts';
import { AvgPool2d } from '../../nn/pool.ts';
import type { Tensor } from '../../tensor.ts';
import { type NormType, normLayer, present } from './blocks.ts';

/** Options of PatchDiscriminator (the reference's D_NLayersMulti). */
export interface DiscriminatorOpts {
  inputNc: number;
  ndf?: number;
  /** Stride-2 layers: 2 for basic_128(_multi), 3 for basic_256(_multi). */
  nLayers: number;
  norm?: NormType;
  /** Scales (num_Ds); 1 gives a single PatchGAN. */
  numDs?: number;
}

function patchLayers(inputNc: number, ndf: number, nLayers: number, norm: NormType): Module[] {
  const seq: Module[] = [new Conv2d(inputNc, ndf, 4, { stride: 2, padding: 1 }), new LeakyReLU(0.2)];
  let mult = 1;
  for (let n = 1; n < nLayers; n++) {
    const prev = mult;
    mult = Math.min(2 ** n, 8);
    seq.push(
      ...present(
        new Conv2d(ndf * prev, ndf * mult, 4, { stride: 2, padding: 1 }),
        normLayer(norm, ndf * mult),
        new LeakyReLU(0.2),
      ),
    );
  }
  const prev = mult;
  mult = Math.min(2 ** nLayers, 8);
  seq.push(
    ...present(
      new Conv2d(ndf * prev, ndf * mult, 4, { stride: 1, padding: 1 }),
      normLayer(norm, ndf * mult),
      new LeakyReLU(0.2),
    ),
  );
  seq.push(new Conv2d(ndf * mult, 1, 4, { stride: 1, padding: 1 }));
  return seq;
}

/** forward(x) returns one patch map per scale (a list, as the multi-scale reference). */
export class PatchDiscriminator extends Module<[Tensor], Tensor[]> {
  readonly scales: Sequential[] = [];
  readonly down: AvgPool2d | null;

  constructor(readonly opts: DiscriminatorOpts) {
    super();
    const ndf = opts.ndf ?? 64;
    const norm = opts.norm ?? 'instance';
    const numDs = opts.numDs ?? 1;
    if (!Number.isInteger(numDs) || numDs < 1)
      throw new Error(`PatchDiscriminator: numDs must be >= 1, got ${numDs}`);
    if (numDs === 1) {
      this.scales.push(
        this.registerModule('model', new Sequential(...patchLayers(opts.inputNc, ndf, opts.nLayers, norm))),
      );
      this.down = null;
    } else {
      this.scales.push(
        this.registerModule('model_0', new Sequential(...patchLayers(opts.inputNc, ndf, opts.nLayers, norm))),
      );
      this.down = this.registerModule(
        'down',
        new AvgPool2d({ kernel: 3, stride: 2, padding: 1, countIncludePad: false }),
      );
      for (let i = 1; i < numDs; i++) {
        const ndfI = Math.round(ndf / 2 ** i);
        this.scales.push(
          this.registerModule(
            `model_${i}`,
            new Sequential(...patchLayers(opts.inputNc, ndfI, opts.nLayers, norm)),
          ),
        );
      }
    }
  }

  forward(x: Tensor): Tensor[] {
    if (x.ndim !== 4 || x.shape[1] !== this.opts.inputNc) {
      throw new Error(
        `PatchDiscriminator: input must be [N, ${this.opts.inputNc}, H, W], got [${x.shape.join(', ')}]`,
      );
    }
    const out: Tensor[] = [];
    let h = x;
    this.scales.forEach((m, i) => {
      out.push(m.call(h));
      if (i < this.scales.length - 1) h = this.down!.call(h);
    });
    return out;
  }
}
