// Node side of the image code: file reading with PNG support (pngjs needs Node's zlib and streams,
// so it stays out of the pure image.ts), compressed PNG encoding, and grid PNG files (written with
// io/files.ts's writeFileAtomic).
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../io/files.ts';
import { type GridBatch, type GridOptions, gridPNG } from './grid.ts';
import { decodeImage, encodePNG, type RGBImage } from './image.ts';

/** Decodes PNG bytes with pngjs (Node): width, height and 8-bit RGB(A) pixels. */
export function decodePNGWithPngjs(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, data: png.data };
}

/** Decodes PNG or JPEG bytes to RGB; errors name `name`. */
export function decodeImageBytes(bytes: Uint8Array, name = 'image'): RGBImage {
  return decodeImage(bytes, name, { png: decodePNGWithPngjs });
}

/** Reads and decodes an image file (PNG or JPEG, by content). Errors name the path. */
export async function readImageFile(path: string): Promise<RGBImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  return decodeImageBytes(bytes, path);
}

const deflate = (raw: Uint8Array): Uint8Array => deflateSync(raw, { level: 6 });

/** PNG bytes with zlib compression. */
export function encodePNGCompressed(img: RGBImage): Uint8Array {
  return encodePNG(img, { deflate });
}

/**
 * Writes a grid PNG of NCHW [-1, 1] batches (one batch per row), atomically (writeFileAtomic; the
 * folder is created if needed), e.g. rows = [input A, real B, encoded, random-z samples].
 */
export async function writeGridPNG(
  path: string,
  rows: readonly GridBatch[],
  opts: GridOptions = {},
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, gridPNG(rows, { ...opts, deflate }));
}
