// Models built on the library: BicycleGAN (Zhu et al. 2017) and its networks, usable on their own (the
// U-Net generator with nz = 0 and the PatchGAN discriminator are pix2pix's networks).
export type { NonLinearity, NormType, UpsampleType } from './bicyclegan/blocks.ts';
export { type DiscriminatorOpts, PatchDiscriminator } from './bicyclegan/discriminator.ts';
export { ConvEncoder, type Encoded, type EncoderOpts, ResNetEncoder } from './bicyclegan/encoder.ts';
export { catZ, type GeneratorOpts, UnetGenerator } from './bicyclegan/generator.ts';
export {
  BicycleGAN,
  type BicycleGANOptions,
  DEFAULT_OPTIONS,
  LOSS_NAMES,
  type LossName,
  NonFiniteLossError,
  readLosses,
} from './bicyclegan/model.ts';
export {
  defineD,
  defineE,
  defineG,
  NET_D,
  NET_E,
  NET_G,
  type NetD,
  type NetE,
  type NetG,
  netSize,
} from './bicyclegan/networks.ts';
export { ResNet18Encoder } from './bicyclegan/resnet18.ts';
export {
  decode,
  encodedOutput,
  interpolate,
  posterior,
  randomCodes,
  samplesIndependent,
  samplesPerCode,
} from './bicyclegan/sampler.ts';
