// Network factories by the official option names (define_G, define_E, define_D), plus the 64x64
// sizes (unet_64, resnet_64, conv_64) this project adds for small, fast runs.

import type { NonLinearity, NormType, UpsampleType } from './blocks.ts';
import { PatchDiscriminator } from './discriminator.ts';
import { ConvEncoder, ResNetEncoder } from './encoder.ts';
import { UnetGenerator } from './generator.ts';
import { ResNet18Encoder } from './resnet18.ts';

/** Generator names of defineG (the reference's --netG, plus unet_64). */
export const NET_G = ['unet_64', 'unet_128', 'unet_256'] as const;
/** Encoder names of defineE (the reference's --netE, plus the 64-pixel ones and resnet18). */
export const NET_E = [
  'resnet_64',
  'resnet_128',
  'resnet_256',
  'conv_64',
  'conv_128',
  'conv_256',
  'resnet18',
] as const;
/** Discriminator names of defineD (the reference's --netD, plus the 64-pixel ones). */
export const NET_D = [
  'basic_64',
  'basic_128',
  'basic_256',
  'basic_64_multi',
  'basic_128_multi',
  'basic_256_multi',
] as const;
/** One of NET_G. */
export type NetG = (typeof NET_G)[number];
/** One of NET_E. */
export type NetE = (typeof NET_E)[number];
/** One of NET_D. */
export type NetD = (typeof NET_D)[number];

/** The image size a network name is built for. */
export function netSize(name: string): number {
  if (name === 'resnet18') return 0; // any size of at least 32 (adaptive pooling)
  const m = /_(64|128|256)/.exec(name);
  if (!m) throw new Error(`network '${name}' has no size in its name`);
  return Number(m[1]);
}

/** The reference's define_G: a U-Net generator by name. */
export function defineG(
  netG: NetG,
  o: {
    inputNc: number;
    outputNc: number;
    nz: number;
    ngf: number;
    norm: NormType;
    nl: NonLinearity;
    useDropout: boolean;
    upsample: UpsampleType;
    whereAdd: 'input' | 'all';
  },
): UnetGenerator {
  const downs: Record<NetG, number> = { unet_64: 6, unet_128: 7, unet_256: 8 };
  if (!(netG in downs))
    throw new Error(`Generator model name [${netG}] is not recognized (${NET_G.join(', ')})`);
  return new UnetGenerator({ ...o, numDowns: downs[netG] });
}

/** The reference's define_E: an encoder by name. */
export function defineE(
  netE: NetE,
  o: { inputNc: number; nz: number; nef: number; norm: NormType; nl: NonLinearity },
): ResNetEncoder | ConvEncoder | ResNet18Encoder {
  const vae = { ...o, vaeLike: true };
  switch (netE) {
    case 'resnet_64':
      return new ResNetEncoder({ ...vae, nBlocks: 3 });
    case 'resnet_128':
      return new ResNetEncoder({ ...vae, nBlocks: 4 });
    case 'resnet_256':
      return new ResNetEncoder({ ...vae, nBlocks: 5 });
    case 'conv_64':
      return new ConvEncoder({ ...vae, nLayers: 3 });
    case 'conv_128':
      return new ConvEncoder({ ...vae, nLayers: 4 });
    case 'conv_256':
      return new ConvEncoder({ ...vae, nLayers: 5 });
    case 'resnet18':
      return new ResNet18Encoder({ inputNc: o.inputNc, nz: o.nz });
    default:
      throw new Error(`Encoder model name [${netE}] is not recognized (${NET_E.join(', ')})`);
  }
}

/** The reference's define_D: a PatchGAN discriminator by name (`_multi`: numDs scales). */
export function defineD(
  netD: NetD,
  o: { inputNc: number; ndf: number; norm: NormType; numDs: number },
): PatchDiscriminator {
  const m = /^basic_(64|128|256)(_multi)?$/.exec(netD);
  if (!m) throw new Error(`Discriminator model name [${netD}] is not recognized (${NET_D.join(', ')})`);
  // 128-pixel PatchGANs have 2 stride-2 layers, 256-pixel ones 3 (the reference); 64 uses 2 as well.
  const nLayers = m[1] === '256' ? 3 : 2;
  return new PatchDiscriminator({
    inputNc: o.inputNc,
    ndf: o.ndf,
    norm: o.norm,
    nLayers,
    numDs: m[2] ? o.numDs : 1,
  });
}
