// Node side of the image code: file reading with PNG support (pngjs needs Node's zlib and streams,
// so it stays out of the pure image.ts), compressed PNG writing, and atomic writes (temp + rename).
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { type GridBatch, type GridOptions, gridPNG } from './grid.ts';
import { decodeImage, encodePNG, type RGBImage } from './image.ts';

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

function tempName(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/** Writes `bytes` to `path` through a temp file in the same folder and a rename. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Synchronous `writeFileAtomic`. */
export function writeFileAtomicSync(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes an image as a compressed PNG, atomically. */
export async function writePNGFile(path: string, img: RGBImage): Promise<void> {
  await writeFileAtomic(path, encodePNGCompressed(img));
}

/**
 * Writes a grid PNG of NCHW [-1, 1] batches (one batch per row), atomically (temp + rename), e.g.
 * rows = [input A, real B, encoded, random-z samples].
 */
export async function writeGridPNG(
  path: string,
  rows: readonly GridBatch[],
  opts: GridOptions = {},
): Promise<void> {
  await writeFileAtomic(path, gridPNG(rows, { ...opts, deflate }));
}
