// BicycleGAN (Zhu et al. 2017): cVAE-GAN + cLR-GAN trained together, one iteration exactly as the
// official bicycle_gan_model.py: forward, then G and E (with the z-loss reaching G only), then D and D2
// on the fakes made before G's step. Four Adam optimizers with the reference's linear LR decay.
import { noGrad } from '../../autograd.ts';
import { type InitType, initWeights } from '../../nn/init.ts';
import { type GanMode, ganLoss, ganLossHalves, klLoss, l1Loss } from '../../nn/losses.ts';
import type { AnyModule } from '../../nn/module.ts';
import { checkFinite } from '../../nn/nonfinite.ts';
import { full } from '../../ops/elementwise.ts';
import { reparameterize } from '../../ops/gaussian.ts';
import { randn } from '../../ops/random.ts';
import { concat, stack } from '../../ops/shape.ts';
import { Adam } from '../../optim/adam.ts';
import { fmt } from '../../shape.ts';
import type { Tensor } from '../../tensor.ts';
import type { NonLinearity, NormType, UpsampleType } from './blocks.ts';
import type { PatchDiscriminator } from './discriminator.ts';
import type { ConvEncoder, ResNetEncoder } from './encoder.ts';
import type { UnetGenerator } from './generator.ts';
import { defineD, defineE, defineG, type NetD, type NetE, type NetG } from './networks.ts';
import type { ResNet18Encoder } from './resnet18.ts';

/** The model's options, named as the official code's (camelCase). */
export interface BicycleGANOptions {
  inputNc: number;
  outputNc: number;
  nz: number;
  netG: NetG;
  netE: NetE;
  netD: NetD;
  netD2: NetD;
  ngf: number;
  nef: number;
  ndf: number;
  norm: NormType;
  /** E's normalisation (default: norm). Instance norm keeps only the sign of a flat fill's contrast. */
  normE?: NormType | undefined;
  /** D's and D2's normalisation (default: norm). */
  normD?: NormType | undefined;
  nl: NonLinearity;
  useDropout: boolean;
  whereAdd: 'input' | 'all';
  upsample: UpsampleType;
  numDs: number;
  conditionalD: boolean;
  useSameD: boolean;
  ganMode: GanMode;
  lambdaL1: number;
  lambdaGAN: number;
  lambdaGAN2: number;
  lambdaZ: number;
  lambdaKL: number;
  lr: number;
  /** D's and D2's initial learning rate (default: lr; scheduled with it), as in a two-timescale GAN. */
  lrD?: number | undefined;
  beta1: number;
  initType: InitType;
  /** E's init_type (default: initType): a net without normalisation needs a scale-keeping init. */
  initTypeE?: InitType | undefined;
  /** D's and D2's init_type (default: initType). */
  initTypeD?: InitType | undefined;
  initGain: number;
  /** D's and D2's init gain (default: initGain). */
  initGainD?: number | undefined;
}

/** The reference defaults (edges2shoes recipe at 256x256 except input_nc, which the data decides). */
export const DEFAULT_OPTIONS: BicycleGANOptions = {
  inputNc: 3,
  outputNc: 3,
  nz: 8,
  netG: 'unet_256',
  netE: 'resnet_256',
  netD: 'basic_256_multi',
  netD2: 'basic_256_multi',
  ngf: 64,
  nef: 64,
  ndf: 64,
  norm: 'instance',
  normE: undefined,
  normD: undefined,
  nl: 'relu',
  useDropout: false,
  whereAdd: 'all',
  upsample: 'basic',
  numDs: 2,
  conditionalD: false,
  useSameD: false,
  ganMode: 'lsgan',
  lambdaL1: 10,
  lambdaGAN: 1,
  lambdaGAN2: 1,
  lambdaZ: 0.5,
  lambdaKL: 0.01,
  lr: 0.0002,
  lrD: undefined,
  beta1: 0.5,
  initType: 'xavier',
  initTypeE: undefined,
  initTypeD: undefined,
  initGain: 0.02,
  initGainD: undefined,
};

/** Loss names in the order trainStep reports them. */
export const LOSS_NAMES = ['G_GAN', 'G_GAN2', 'G_L1', 'kl', 'z_L1', 'D', 'D2'] as const;
/** One of LOSS_NAMES. */
export type LossName = (typeof LOSS_NAMES)[number];

export { NonFiniteLossError } from '../../nn/nonfinite.ts';

function setRequiresGrad(nets: (AnyModule | null)[], flag: boolean): void {
  for (const n of nets) n?.requiresGrad(flag);
}

/**
 * BicycleGAN: G, E, D, D2 and their Adam optimizers; `await BicycleGAN.create(options, seed)`, then
 * `trainStep(A, B)` per iteration (the reference's optimize_parameters).
 */
export class BicycleGAN {
  readonly G: UnetGenerator;
  readonly E: ResNetEncoder | ConvEncoder | ResNet18Encoder;
  readonly D: PatchDiscriminator;
  /** The cLR branch's discriminator; null with useSameD. */
  readonly D2: PatchDiscriminator | null;
  readonly optG: Adam;
  readonly optE: Adam;
  readonly optD: Adam;
  readonly optD2: Adam | null;
  readonly opts: BicycleGANOptions;

  private constructor(opts: BicycleGANOptions) {
    this.opts = opts;
    const o = opts;
    this.G = defineG(o.netG, { ...o, ngf: o.ngf });
    const normE = o.normE ?? o.norm;
    const normD = o.normD ?? o.norm;
    this.E = defineE(o.netE, { inputNc: o.outputNc, nz: o.nz, nef: o.nef, norm: normE, nl: 'lrelu' });
    const dIn = o.conditionalD ? o.inputNc + o.outputNc : o.outputNc;
    this.D = defineD(o.netD, { inputNc: dIn, ndf: o.ndf, norm: normD, numDs: o.numDs });
    this.D2 = o.useSameD ? null : defineD(o.netD2, { inputNc: dIn, ndf: o.ndf, norm: normD, numDs: o.numDs });
    const adam = (m: AnyModule, lr: number) => new Adam(m.namedParameters(), { lr, betas: [o.beta1, 0.999] });
    this.optG = adam(this.G, o.lr);
    this.optE = adam(this.E, o.lr);
    this.optD = adam(this.D, o.lrD ?? o.lr);
    this.optD2 = this.D2 ? adam(this.D2, o.lrD ?? o.lr) : null;
  }

  /** Builds the four networks and initialises them as the reference (init_type, init_gain), seeded. */
  static async create(options: Partial<BicycleGANOptions> = {}, seed?: number): Promise<BicycleGAN> {
    const m = new BicycleGAN({ ...DEFAULT_OPTIONS, ...options });
    const nets = m.networks();
    const o = m.opts;
    const type = {
      G: o.initType,
      E: o.initTypeE ?? o.initType,
      D: o.initTypeD ?? o.initType,
      D2: o.initTypeD ?? o.initType,
    };
    const isD = (name: string) => name === 'D' || name === 'D2';
    for (let i = 0; i < nets.length; i++) {
      const [name, net] = nets[i];
      await initWeights(
        net,
        type[name as keyof typeof type],
        isD(name) ? (o.initGainD ?? o.initGain) : o.initGain,
        seed === undefined ? undefined : seed * 7 + i,
      );
    }
    return m;
  }

  /** The networks with their checkpoint names. */
  networks(): [string, AnyModule][] {
    const n: [string, AnyModule][] = [
      ['G', this.G],
      ['E', this.E],
      ['D', this.D],
    ];
    if (this.D2) n.push(['D2', this.D2]);
    return n;
  }

  optimizers(): [string, Adam][] {
    const o: [string, Adam][] = [
      ['G', this.optG],
      ['E', this.optE],
      ['D', this.optD],
    ];
    if (this.optD2) o.push(['D2', this.optD2]);
    return o;
  }

  train(): void {
    for (const [, n] of this.networks()) n.train();
  }

  eval(): void {
    for (const [, n] of this.networks()) n.eval();
  }

  /** z = mu + eps * exp(logvar / 2) (the reparameterisation), with mu and logvar. */
  encode(b: Tensor): { z: Tensor; mu: Tensor; logvar: Tensor } {
    const { mu, logvar } = this.E.call(b);
    if (!logvar) throw new Error('BicycleGAN: the encoder must return logvar (vaeLike)');
    const z = reparameterize(mu, logvar, randn(logvar.shape));
    return { z, mu, logvar };
  }

  /** z ~ N(0, I) of shape [n, nz]. */
  randomZ(n: number): Tensor {
    return randn([n, this.opts.nz]);
  }

  /**
   * One training iteration on a batch (A, B). The batch is split into a cVAE half and a cLR half
   * (`split`, the reference), or both branches see the whole batch (split = false, the seed port's mode).
   * Returns the losses, stacked in LOSS_NAMES order, as one tensor (read it back only when printing).
   * Call inside tidy(): every intermediate of the step dies with the scope. `noiseOnly` is the paper's
   * pix2pix+noise baseline: the first branch's z comes from N(0, I) instead of E(B), so L1 and GAN see
   * G(A, z_random) and E plays no part (set lambda_kl, lambda_z and lambda_GAN2 to 0 with it).
   */
  trainStep(realA: Tensor, realB: Tensor, opts: { split?: boolean; noiseOnly?: boolean } = {}): Tensor {
    const o = this.opts;
    const split = opts.split ?? true;
    const n = realA.shape[0];
    if (realB.shape[0] !== n)
      throw new Error(`trainStep: A ${fmt(realA.shape)} and B ${fmt(realB.shape)} differ in batch size`);
    if (split && n % 2 !== 0) {
      throw new Error(
        `trainStep: the batch is split into cVAE and cLR halves, so its size must be even (got ${n})`,
      );
    }
    const half = split ? n / 2 : n;
    const aEnc = split ? realA.narrow(0, 0, half) : realA;
    const bEnc = split ? realB.narrow(0, 0, half) : realB;
    const aRand = split ? realA.narrow(0, half, half) : realA;
    const bRand = split ? realB.narrow(0, half, half) : realB;

    // ---- forward ----
    const encoded = opts.noiseOnly ? null : this.encode(bEnc);
    const zEnc = encoded ? encoded.z : this.randomZ(half);
    const zRand = this.randomZ(half);
    // A_enc on purpose for the random branch too (the reference: more diverse). Both codes go through
    // G in one batch where that is the same as two passes: per-sample norms (not batch norm). Dropout
    // draws an independent mask per element, so each half gets its own mask, as in two passes (the
    // masks come from another stretch of the random stream than the two passes' would).
    let fakeEnc: Tensor;
    let fakeRand: Tensor;
    const batchG = o.norm !== 'batch';
    if (batchG) {
      const both = this.G.call(concat([aEnc, aEnc], 0), concat([zEnc, zRand], 0));
      fakeEnc = both.narrow(0, 0, half);
      fakeRand = both.narrow(0, half, half);
    } else {
      fakeEnc = this.G.call(aEnc, zEnc);
      fakeRand = this.G.call(aEnc, zRand);
    }
    const cond = (a: Tensor, b: Tensor) => (o.conditionalD ? concat([a, b], 1) : b);
    const fakeDataEnc = cond(aEnc, fakeEnc);
    const realDataEnc = cond(aEnc, bEnc);
    const fakeDataRand = cond(aEnc, fakeRand);
    const realDataRand = cond(aRand, bRand);
    // E frozen while it encodes fakeRand: the z-loss reaches G through E's ops, never E's weights
    // (the reference freezes E for the z-loss backward; frozen at record time, one sweep does both).
    let mu2: Tensor | null = null;
    if (o.lambdaZ > 0) {
      setRequiresGrad([this.E], false);
      mu2 = this.E.call(fakeRand).mu;
      setRequiresGrad([this.E], true);
    }
    const D2 = this.D2 ?? this.D;

    // ---- G and E: GAN + GAN2 + L1 + KL, and the z-loss (E frozen in it), in one backward ----
    setRequiresGrad([this.D, this.D2], false);
    this.optE.zeroGrad();
    this.optG.zeroGrad();
    const zero = () => full([], 0);
    const lossGGAN =
      o.lambdaGAN > 0 ? ganLoss(this.D.call(fakeDataEnc), true, o.ganMode, o.lambdaGAN) : zero();
    const lossGGAN2 =
      o.lambdaGAN2 > 0 ? ganLoss(D2.call(fakeDataRand), true, o.ganMode, o.lambdaGAN2) : zero();
    const lossKL = encoded && o.lambdaKL > 0 ? klLoss(encoded.mu, encoded.logvar, o.lambdaKL) : zero();
    const lossL1 = o.lambdaL1 > 0 ? l1Loss(fakeEnc, bEnc, o.lambdaL1) : zero();
    const lossZ = mu2 ? l1Loss(mu2, zRand, o.lambdaZ) : zero();
    // The reference's two backwards (G's losses, then the z-loss with E frozen) sum into the same
    // gradients: one sweep of their sum runs G's backward once.
    const lossGE = lossGGAN.add(lossGGAN2).add(lossL1).add(lossKL).add(lossZ);
    // In the batched G, z_enc gets gradient only through fakeEnc's half (every op is per sample): when
    // no loss reads fakeEnc, the sweep stops at z_enc instead of giving E zeros from E(B)'s backward.
    const zEncGrad = zEnc.requiresGrad;
    if (batchG && !lossGGAN.requiresGrad && !lossL1.requiresGrad) zEnc.requiresGrad = false;
    if (lossGE.requiresGrad) lossGE.backward();
    zEnc.requiresGrad = zEncGrad;
    this.optE.step();
    this.optG.step();

    // ---- D and D2 on the (detached) fakes made above ----
    setRequiresGrad([this.D, this.D2], true);
    const backwardD = (net: PatchDiscriminator, real: Tensor, fake: Tensor) => {
      const fakeD = fake.detach();
      // Fakes and reals in one pass: with per-sample (or no) normalisation, the same as two passes.
      const loss =
        (o.normD ?? o.norm) !== 'batch' && fakeD.shape.every((d, i) => d === real.shape[i])
          ? ganLossHalves(net.call(concat([fakeD, real], 0)), o.ganMode)
          : ganLoss(net.call(fakeD), false, o.ganMode).add(ganLoss(net.call(real), true, o.ganMode));
      loss.backward();
      return loss;
    };
    let lossD = zero();
    let lossD2 = zero();
    if (o.lambdaGAN > 0) {
      this.optD.zeroGrad();
      lossD = backwardD(this.D, realDataEnc, fakeDataEnc);
      if (o.useSameD) lossD2 = backwardD(this.D, realDataRand, fakeDataRand);
      this.optD.step();
    }
    if (o.lambdaGAN2 > 0 && this.D2 && this.optD2) {
      this.optD2.zeroGrad();
      lossD2 = backwardD(this.D2, realDataRand, fakeDataRand);
      this.optD2.step();
    }
    return noGrad(() =>
      stack([lossGGAN, lossGGAN2, lossL1, lossKL, lossZ, lossD, lossD2].map((t) => t.detach())),
    );
  }

  /** G(A, z) in eval mode with no graph: what sampling uses. */
  generate(a: Tensor, z: Tensor): Tensor {
    return noGrad(() => this.G.call(a, z));
  }

  /**
   * Sets G's and E's learning rate to lr, and D's and D2's to lr scaled by lrD / lr (trainBicycleGAN
   * schedules them with optim.linearDecay instead).
   */
  setLr(lr: number): void {
    const d = (this.opts.lrD ?? this.opts.lr) / this.opts.lr;
    for (const [name, opt] of this.optimizers()) opt.lr = name === 'D' || name === 'D2' ? lr * d : lr;
  }

  /** Frees every parameter, gradient and optimizer state. */
  dispose(): void {
    for (const [, n] of this.networks()) n.dispose();
    for (const [, o] of this.optimizers()) o.dispose?.();
  }
}

/** Reads the stacked losses of trainStep back as named numbers; throws on NaN or infinity. */
export async function readLosses(losses: Tensor): Promise<Record<LossName, number>> {
  const v = await losses.data();
  const out = {} as Record<LossName, number>;
  LOSS_NAMES.forEach((name, i) => {
    out[name] = v[i];
  });
  checkFinite(out);
  return out;
}
