// The per-item transform of the aligned (pix2pix / BicycleGAN) data set: pure pixel code, shared by
// the Node loader, its decode workers and a browser demo.
//
// Order of operations, as the reference (BicycleGAN data/aligned_dataset.py + base_dataset.py):
//   AB -> split at w/2 into A (left) and B (right) -> [BtoA: swap] -> grayscale if the side has 1
//   channel (PIL convert('L'), before resizing) -> resize to loadSize x loadSize (bicubic) ->
//   crop cropSize x cropSize at (x, y) -> flip left-right -> CHW floats in [-1, 1].
// A and B get the same crop and the same flip. The random draws are given (see `augmentDraw`) so that
// they depend only on (seed, epoch, index).
import {
  crop,
  flipHorizontal,
  type RGBImage,
  resize,
  splitHalves,
  toCHW,
  toGrayscale,
  toRGB,
} from './image.ts';
import { rngFor } from './rng.ts';

/** The reference's --preprocess: resize then crop, crop only, or neither. */
export type Preprocess = 'resize_and_crop' | 'crop' | 'none';
/** Which half of an aligned image is the input: A (left) to B, or B to A. */
export type Direction = 'AtoB' | 'BtoA';

/** What one aligned item goes through: split, channels, resize, crop and flip. */
export interface AlignedTransformSpec {
  direction: Direction;
  /** Channels of the network input A (1: grayscale). */
  inputNc: 1 | 3;
  /** Channels of the target B. */
  outputNc: 1 | 3;
  loadSize: number;
  cropSize: number;
  noFlip: boolean;
  preprocess: Preprocess;
}

/** Uniform draws in [0, 1) for one item: crop position and flip. */
export interface AugmentDraw {
  ux: number;
  uy: number;
  uflip: number;
}

/** One aligned item after its transform: A and B as CHW float32 in [-1, 1]. */
export interface AlignedItem {
  /** CHW float32 in [-1, 1]. */
  A: Float32Array;
  B: Float32Array;
  shapeA: [number, number, number];
  shapeB: [number, number, number];
  /** The crop's top-left corner in the resized image, and whether the pair was mirrored. */
  crop: { x: number; y: number };
  flip: boolean;
}

/** Every Preprocess value. */
export const PREPROCESS: readonly Preprocess[] = ['resize_and_crop', 'crop', 'none'];

/** The draws for item `index` in `epoch`: a function of (seed, epoch, index) only. */
export function augmentDraw(seed: number, epoch: number, index: number): AugmentDraw {
  const r = rngFor(seed, 0x61756721, epoch, index);
  return { ux: r(), uy: r(), uflip: r() };
}

/** The size (w, h) after the resize step, for a half of size (w, h). */
export function sizeAfterResize(spec: AlignedTransformSpec, w: number, h: number): [number, number] {
  if (spec.preprocess === 'resize_and_crop') return [spec.loadSize, spec.loadSize];
  if (spec.preprocess === 'none') {
    // the reference's __make_power_2(img, base=4): round each side to a multiple of 4
    return [Math.max(4, Math.round(w / 4) * 4), Math.max(4, Math.round(h / 4) * 4)];
  }
  return [w, h];
}

/** Throws on option values the transform cannot honour. */
export function checkTransformSpec(spec: AlignedTransformSpec): void {
  if (spec.direction !== 'AtoB' && spec.direction !== 'BtoA') {
    throw new Error(`direction must be 'AtoB' or 'BtoA', got '${spec.direction}'`);
  }
  for (const [k, v] of [
    ['inputNc', spec.inputNc],
    ['outputNc', spec.outputNc],
  ] as const) {
    if (v !== 1 && v !== 3) throw new Error(`${k} must be 1 or 3, got ${v}`);
  }
  if (!PREPROCESS.includes(spec.preprocess)) {
    throw new Error(`preprocess must be one of ${PREPROCESS.join(', ')}, got '${spec.preprocess}'`);
  }
  for (const [k, v] of [
    ['loadSize', spec.loadSize],
    ['cropSize', spec.cropSize],
  ] as const) {
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`${k} must be a positive integer, got ${v}`);
  }
  if (spec.preprocess === 'resize_and_crop' && spec.cropSize > spec.loadSize) {
    throw new Error(`cropSize ${spec.cropSize} is larger than loadSize ${spec.loadSize}`);
  }
}

function prepareSide(half: RGBImage, nc: 1 | 3, spec: AlignedTransformSpec): RGBImage {
  let img = nc === 1 ? toGrayscale(half) : half.channels === 3 ? half : toRGB(half);
  const [w, h] = sizeAfterResize(spec, img.width, img.height);
  if (w !== img.width || h !== img.height) img = resize(img, w, h);
  return img;
}

/** Applies the aligned transform to a decoded A|B image. `name` is used in error messages. */
export function transformAligned(
  ab: RGBImage,
  spec: AlignedTransformSpec,
  draw: AugmentDraw,
  name = 'image',
): AlignedItem {
  // The reference splits at int(w / 2) whatever the aspect (A = [0, w2), B = [w2, w)), so a file that
  // is not exactly 2:1 is accepted as it is there.
  if (ab.width < 2) {
    throw new Error(`${name}: is ${ab.width}x${ab.height}; too narrow to split into A|B halves`);
  }
  const { left, right } = splitHalves(ab);
  const [srcA, srcB] = spec.direction === 'BtoA' ? [right, left] : [left, right];
  let A = prepareSide(srcA, spec.inputNc, spec);
  let B = prepareSide(srcB, spec.outputNc, spec);
  let x = 0;
  let y = 0;
  if (spec.preprocess !== 'none') {
    const cs = spec.cropSize;
    if (A.width < cs || A.height < cs) {
      throw new Error(
        `${name}: each half is ${A.width}x${A.height} (after resizing), smaller than cropSize ${cs}`,
      );
    }
    // get_params: x = randint(0, max(0, w - crop_size)); the same for y
    x = Math.floor(draw.ux * (A.width - cs + 1));
    y = Math.floor(draw.uy * (A.height - cs + 1));
    // __crop: each image is cropped when it is larger than the crop (the halves of an odd-width file
    // differ by a column under 'crop'), at the corner drawn from A's size.
    const cropIf = (img: RGBImage) => (img.width > cs || img.height > cs ? crop(img, x, y, cs, cs) : img);
    A = cropIf(A);
    B = cropIf(B);
  }
  // get_params: flip = random.random() > 0.5
  const flip = !spec.noFlip && draw.uflip > 0.5;
  if (flip) {
    A = flipHorizontal(A);
    B = flipHorizontal(B);
  }
  return {
    A: toCHW(A),
    B: toCHW(B),
    shapeA: [A.channels, A.height, A.width],
    shapeB: [B.channels, B.height, B.width],
    crop: { x, y },
    flip,
  };
}
