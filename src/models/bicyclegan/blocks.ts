// Shared choices of the BicycleGAN networks: normalisation, non-linearity and the up-sampling layer,
// named as the official code's options (--norm, --nl, --upsample).
import { Conv2d, ConvTranspose2d } from '../../nn/conv.ts';
import { LeakyReLU, ReLU } from '../../nn/layers.ts';
import type { Module } from '../../nn/module.ts';
import { BatchNorm2d, InstanceNorm2d } from '../../nn/norm.ts';
import { ReflectionPad2d, Upsample } from '../../nn/pool.ts';

/** The reference's --norm: instance, batch or no normalisation. */
export type NormType = 'instance' | 'batch' | 'none';
/** The reference's --nl: ReLU or LeakyReLU(0.2). */
export type NonLinearity = 'relu' | 'lrelu';
/** The reference's --upsample: transposed conv (basic) or bilinear upsampling + conv. */
export type UpsampleType = 'basic' | 'bilinear';

/** norm_layer(channels), or null for 'none'. Instance norm has no affine parameters (as the reference). */
export function normLayer(norm: NormType, channels: number): Module | null {
  if (norm === 'instance') return new InstanceNorm2d(channels);
  if (norm === 'batch') return new BatchNorm2d(channels);
  if (norm === 'none') return null;
  throw new Error(`normalization layer [${norm}] is not found (use instance, batch or none)`);
}

export function nlLayer(nl: NonLinearity): Module {
  if (nl === 'relu') return new ReLU();
  if (nl === 'lrelu') return new LeakyReLU(0.2);
  throw new Error(`nonlinearity activation [${nl}] is not found (use relu or lrelu)`);
}

/** upsampleLayer: ConvTranspose 4x4 s2 p1 ('basic'), or Upsample x2 + ReflectionPad 1 + Conv 3x3 ('bilinear'). */
export function upsampleLayer(inC: number, outC: number, upsample: UpsampleType): Module[] {
  if (upsample === 'basic') return [new ConvTranspose2d(inC, outC, 4, { stride: 2, padding: 1 })];
  if (upsample === 'bilinear')
    return [new Upsample(2, 'bilinear'), new ReflectionPad2d(1), new Conv2d(inC, outC, 3)];
  throw new Error(`upsample layer [${upsample}] not implemented (use basic or bilinear)`);
}

/** The layers that exist: optional layers (a norm of 'none', dropout off) are passed as null. */
export function present(...ms: (Module | null)[]): Module[] {
  return ms.filter((m): m is Module => m !== null);
}
