// The aligned data loader (src/data/aligned.ts and transform.ts), grids and downloads.
// Real-data tests use ../shared/data/edges2shoes-120 (100 train + 20 val 512x256 JPEGs) when present.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AlignedDataset, type AlignedOptions, validateBatchSize } from '../src/data/aligned.ts';
import { downloadDataset } from '../src/data/download.ts';
import { decodeImageBytes, encodePNGCompressed, writeGridPNG } from '../src/data/files.ts';
import { composeBatchGrid } from '../src/data/grid.ts';
import { flipHorizontal, type RGBImage, resize, toCHW, toGrayscale } from '../src/data/image.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const SHOES = resolve(repo, '../shared/data/edges2shoes-120');
const haveShoes = existsSync(SHOES);
if (!haveShoes) console.log(`data.test: real-data tests skipped: ${SHOES} is absent`);

const tmp = mkdtempSync(join(tmpdir(), 'data-test-'));
const open: AlignedDataset[] = [];
async function dataset(opts: AlignedOptions): Promise<AlignedDataset> {
  const ds = await AlignedDataset.open({ workers: 0, ...opts });
  open.push(ds);
  return ds;
}

test.after(async () => {
  for (const ds of open) await ds.close();
  rmSync(tmp, { recursive: true, force: true });
});

function range(a: Float32Array): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of a) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

async function first<T>(it: AsyncGenerator<T>): Promise<T> {
  const r = await it.next();
  await it.return(undefined);
  return r.value as T;
}

/** A folder root/train holding the given A|B images as PNG. */
function makeRoot(name: string, images: Record<string, RGBImage | Uint8Array | string>): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'train'), { recursive: true });
  for (const [file, img] of Object.entries(images)) {
    const bytes = typeof img === 'string' || img instanceof Uint8Array ? img : encodePNGCompressed(img);
    writeFileSync(join(root, 'train', file), bytes);
  }
  return root;
}

/** An asymmetric w x h RGB test picture: every pixel different. */
function picture(w: number, h: number, salt = 0): RGBImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = (x * 37 + salt) % 256;
      data[i + 1] = (y * 53 + 2 * salt) % 256;
      data[i + 2] = (x * y + 11 * salt) % 256;
    }
  }
  return { width: w, height: h, channels: 3, data };
}

function sideBySide(a: RGBImage, b: RGBImage): RGBImage {
  const w = a.width + b.width;
  const data = new Uint8Array(w * a.height * 3);
  for (let y = 0; y < a.height; y++) {
    data.set(a.data.subarray(y * a.width * 3, (y + 1) * a.width * 3), y * w * 3);
    data.set(b.data.subarray(y * b.width * 3, (y + 1) * b.width * 3), (y * w + a.width) * 3);
  }
  return { width: w, height: a.height, channels: 3, data };
}

function cropCHW(img: RGBImage, x: number, y: number, s: number): Float32Array {
  const c = img.channels;
  const data = new Uint8Array(s * s * c);
  for (let yy = 0; yy < s; yy++) {
    data.set(
      img.data.subarray(((y + yy) * img.width + x) * c, ((y + yy) * img.width + x + s) * c),
      yy * s * c,
    );
  }
  return toCHW({ width: s, height: s, channels: c, data });
}

// ---------------------------------------------------------------------------------------------
// Real edges2shoes JPEGs

test('edges2shoes: input_nc 1 and 3 give NCHW batches in [-1, 1] of the right shapes', async () => {
  if (!haveShoes) return;
  const gray = await dataset({ dataroot: SHOES, inputNc: 1, maxDatasetSize: 8, workers: 1 });
  assert.is(gray.length, 8);
  const b = await first(gray.batches(0, 4, { even: true }));
  assert.equal(b.shapeA, [4, 1, 256, 256]);
  assert.equal(b.shapeB, [4, 3, 256, 256]);
  assert.is(b.A.length, 4 * 256 * 256);
  assert.is(b.B.length, 4 * 3 * 256 * 256);
  assert.equal(range(b.A), [-1, 1], 'edges: black lines on white');
  const [lo, hi] = range(b.B);
  assert.ok(lo >= -1 && hi <= 1 && hi - lo > 1.5, `photo range ${lo}..${hi}`);
  // the edge map is mostly white
  assert.ok(b.A.reduce((s, v) => s + v, 0) / b.A.length > 0.6);
  assert.is(b.paths.length, 4);
  assert.ok(b.paths.every((p) => p.endsWith('_AB.jpg')));

  const rgb = await dataset({ dataroot: SHOES, phase: 'val', loadSize: 64, cropSize: 48, maxDatasetSize: 4 });
  const c = await first(rgb.batches(0, 2));
  assert.equal(c.shapeA, [2, 3, 48, 48]);
  assert.equal(c.shapeB, [2, 3, 48, 48]);
  const [alo, ahi] = range(c.A);
  assert.ok(alo >= -1 && ahi <= 1);
});

test('edges2shoes: BtoA swaps the halves (A of BtoA = B of AtoB)', async () => {
  if (!haveShoes) return;
  const common = {
    dataroot: SHOES,
    phase: 'val',
    preprocess: 'crop' as const,
    noFlip: true,
    maxDatasetSize: 2,
  };
  const ab = await dataset({ ...common, direction: 'AtoB' });
  const ba = await dataset({ ...common, direction: 'BtoA' });
  const x = await ab.item(1);
  const y = await ba.item(1);
  assert.equal(x.shapeA, [3, 256, 256]);
  assert.equal(y.A, x.B);
  assert.equal(y.B, x.A);
});

test('edges2shoes: order depends only on (seed, epoch); resuming mid-epoch sees the same batches', async () => {
  if (!haveShoes) return;
  const a = await dataset({ dataroot: SHOES, seed: 7 });
  const b = await dataset({ dataroot: SHOES, seed: 7, workers: 1 });
  const c = await dataset({ dataroot: SHOES, seed: 8 });
  assert.is(a.length, 100);
  const o0 = a.order(0);
  assert.equal(o0, b.order(0));
  assert.equal(
    [...o0].sort((p, q) => p - q),
    Array.from({ length: 100 }, (_, i) => i),
    'a permutation',
  );
  assert.not.equal(o0, a.order(1), 'another epoch, another order');
  assert.not.equal(o0, c.order(0), 'another seed, another order');
  assert.equal(a.order(0, false).slice(0, 3), [0, 1, 2], 'serial batches');

  // the same batches (paths and pixels) from two loaders, main thread and worker
  const small = { dataroot: SHOES, seed: 3, loadSize: 72, cropSize: 64, maxDatasetSize: 12 };
  const main = await dataset({ ...small, workers: 0 });
  const worker = await dataset({ ...small, workers: 1 });
  assert.ok(worker.threaded, 'a worker thread decodes');
  const ea: string[][] = [];
  const eb: Float32Array[] = [];
  for await (const batch of main.batches(2, 2)) {
    ea.push(batch.paths);
    eb.push(batch.B);
  }
  assert.is(ea.length, 6);
  let k = 0;
  for await (const batch of worker.batches(2, 2)) {
    assert.equal(batch.paths, ea[k]);
    assert.equal(batch.B, eb[k], `batch ${k} pixels`);
    assert.is(batch.batchIndex, k++);
  }
  // resuming at batch 4 of epoch 2
  const resumed = await first(main.batches(2, 2, { start: 4 }));
  assert.equal(resumed.paths, ea[4]);
  assert.equal(resumed.B, eb[4]);
  // the next epoch differs
  const next = await first(main.batches(3, 2));
  assert.not.equal(next.paths, ea[0]);
});

// ---------------------------------------------------------------------------------------------
// Transform correctness on small hand-made pairs

test('resize + crop: A and B are the resized halves cropped at the reported corner', async () => {
  const A0 = picture(10, 10, 1);
  const B0 = picture(10, 10, 2);
  const root = makeRoot('geom', { 'p.png': sideBySide(A0, B0) });
  // loadSize == half size: no resampling at all, so the crop is of the original pixels
  const ds = await dataset({ dataroot: root, loadSize: 10, cropSize: 4, noFlip: true, seed: 1 });
  const seen = new Set<string>();
  for (let epoch = 0; epoch < 12; epoch++) {
    const it = await ds.item(0, epoch);
    assert.equal(it.shapeA, [3, 4, 4]);
    const { x, y } = it.crop;
    assert.ok(x >= 0 && x <= 6 && y >= 0 && y <= 6, `crop corner ${x},${y}`);
    seen.add(`${x},${y}`);
    assert.equal(it.A, cropCHW(A0, x, y, 4));
    assert.equal(it.B, cropCHW(B0, x, y, 4));
  }
  assert.ok(seen.size > 3, 'crop positions vary across epochs');
  // hand-checked corner: pixel (x, y) of A0 has R = 37x + 1, so A[0] (R plane, top-left) = that / 127.5 - 1
  const it = await ds.item(0, 5);
  assert.ok(Math.abs(it.A[0]! - (((37 * it.crop.x + 1) % 256) / 127.5 - 1)) < 1e-6);
  // loadSize 16: bicubic resize of each half first (the same as resize() of the half), then the crop
  const up = await dataset({ dataroot: root, loadSize: 16, cropSize: 12, noFlip: true, seed: 2 });
  const u = await up.item(0, 0);
  assert.equal(u.A, cropCHW(resize(A0, 16, 16), u.crop.x, u.crop.y, 12));
  assert.equal(u.B, cropCHW(resize(B0, 16, 16), u.crop.x, u.crop.y, 12));
  // 'none' keeps the size (a multiple of 4 already... 10 is not: rounded to 12 by the reference rule)
  const none = await dataset({ dataroot: root, preprocess: 'none', noFlip: true });
  const n = await none.item(0);
  assert.equal(n.shapeA, [3, 12, 12]);
  assert.equal(n.A, toCHW(resize(A0, 12, 12)));
  // 'crop' crops the original half without resizing
  const cr = await dataset({ dataroot: root, preprocess: 'crop', cropSize: 8, noFlip: true, seed: 4 });
  const ci = await cr.item(0, 1);
  assert.equal(ci.A, cropCHW(A0, ci.crop.x, ci.crop.y, 8));
});

test('A|B files that are not 2:1 are split at floor(w / 2), as the reference (int(w / 2))', async () => {
  // 9x4: A is columns 0-3 (4 wide), B columns 4-8 (5 wide); 'crop' keeps the pixels unresampled.
  const A0 = picture(4, 4, 1);
  const B0 = picture(5, 4, 2);
  const root = makeRoot('odd', { 'o.png': sideBySide(A0, B0), 'w.png': sideBySide(picture(6, 4), B0) });
  const ds = await dataset({ dataroot: root, preprocess: 'crop', cropSize: 4, noFlip: true, seed: 1 });
  const it = await ds.item(0);
  assert.equal(
    [it.shapeA, it.shapeB],
    [
      [3, 4, 4],
      [3, 4, 4],
    ],
  );
  assert.equal(it.crop, { x: 0, y: 0 });
  assert.equal(it.A, cropCHW(A0, 0, 0, 4));
  assert.equal(it.B, cropCHW(B0, 0, 0, 4));
  // 11x4 (6 + 5): A = the first 5 columns, B = the last 6; both resized to loadSize as usual.
  const r = await dataset({ dataroot: root, loadSize: 4, cropSize: 4, noFlip: true });
  const w = await r.item(1);
  assert.equal(w.shapeA, [3, 4, 4]);
  const six = sideBySide(picture(6, 4), B0);
  const left = { ...six, width: 5, data: new Uint8Array(5 * 4 * 3) };
  for (let y = 0; y < 4; y++) left.data.set(six.data.subarray(y * 11 * 3, (y * 11 + 5) * 3), y * 5 * 3);
  assert.equal(w.A, toCHW(resize(left, 4, 4)));
});

test('header check before training: a truncated JPEG and a corrupt PNG are named, or skipped when asked', async () => {
  const { encode } = await import('jpeg-js');
  const ab = sideBySide(picture(8, 8), picture(8, 8, 1));
  const rgba = new Uint8Array(16 * 8 * 4);
  for (let i = 0; i < 16 * 8; i++) rgba.set([...ab.data.subarray(i * 3, i * 3 + 3), 255], i * 4);
  const jpeg = new Uint8Array(encode({ data: rgba, width: 16, height: 8 }, 90).data);
  const png = encodePNGCompressed(ab);
  const badIHDR = png.slice();
  badIHDR[19] ^= 0x01; // one bit of the width: the IHDR CRC no longer matches
  const cases: Record<string, Uint8Array | string> = {
    'a_good.jpg': jpeg,
    'b_good.png': png,
    'c_truncated.jpg': jpeg.subarray(0, jpeg.length - 40),
    'd_corrupt.png': badIHDR,
    'e_truncated.png': png.subarray(0, png.length - 20),
    'f_text.jpg': 'not an image',
    'g_sof.jpg': Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 0, 0, 16, 1, 1, 0x11, 0, 0xff, 0xd9]),
    'h_head.jpg': jpeg.subarray(0, 10),
  };
  const root = makeRoot('headers', cases);
  const { checkImageHeader } = await import('../src/data/headers.ts');
  const problem = (f: string) => checkImageHeader(join(root, 'train', f));
  assert.is(problem('a_good.jpg'), null);
  assert.is(problem('b_good.png'), null);
  assert.match(problem('c_truncated.jpg')!, /truncated JPEG: no end-of-image marker/);
  assert.match(problem('d_corrupt.png')!, /corrupt PNG: the header \(IHDR\) fails its CRC/);
  assert.match(problem('e_truncated.png')!, /truncated PNG: it does not end with the IEND chunk/);
  assert.match(problem('f_text.jpg')!, /not a PNG or JPEG image/);
  assert.match(problem('g_sof.jpg')!, /corrupt JPEG: the frame header says 16x0/);
  assert.match(problem('h_head.jpg')!, /truncated JPEG/);
  // Without the option: one error naming the bad files (and the option), before any decoding.
  await rejects(
    AlignedDataset.open({ dataroot: root, workers: 0, checkImages: 'error' }),
    /6 of 8 images in .*headers[/\\]train are truncated or corrupt:\n {2}.*c_truncated\.jpg: truncated JPEG[\s\S]*d_corrupt\.png[\s\S]*and 1 more\nReplace or remove them, or pass --skip_bad_images/,
  );
  const ds = await dataset({ dataroot: root, checkImages: 'skip', loadSize: 8, cropSize: 8 });
  assert.is(ds.length, 2);
  assert.equal(
    ds.skipped.map((b) => b.path.split(/[/\\]/).pop()),
    ['c_truncated.jpg', 'd_corrupt.png', 'e_truncated.png', 'f_text.jpg', 'g_sof.jpg', 'h_head.jpg'],
  );
  assert.equal((await ds.item(0)).shapeA, [3, 8, 8]); // the good JPEG decodes
  // Through the training command: the error names the option; with it, the count is printed.
  const { trainBicycleGAN } = await import('../src/train/bicyclegan.ts');
  const { DEFAULT_OPTIONS } = await import('../src/models/bicyclegan/model.ts');
  const train = (skip: boolean) =>
    trainBicycleGAN({
      model: {
        ...DEFAULT_OPTIONS,
        netG: 'unet_64',
        netE: 'resnet_64',
        netD: 'basic_64_multi',
        netD2: 'basic_64_multi',
      },
      dataroot: root,
      phase: 'train',
      direction: 'AtoB',
      loadSize: 8,
      cropSize: 8,
      preprocess: 'resize_and_crop',
      noFlip: true,
      batchSize: 4,
      split: true,
      niter: 1,
      niterDecay: 0,
      printFreq: 1,
      displayFreq: 0,
      displayCount: 1,
      displaySamples: 0,
      saveLatestFreq: 0,
      saveEpochFreq: 0,
      seed: 0,
      outputDir: join(tmp, 'headers-run'),
      workers: 0,
      skipBadImages: skip,
    });
  await rejects(train(false), /6 of 8 images .* are truncated or corrupt[\s\S]*--skip_bad_images/);
  const logged: string[] = [];
  const log = console.log;
  console.log = (m: string) => logged.push(m);
  try {
    // 2 images left, fewer than the batch: it stops there, after the skip was reported.
    await rejects(train(true), /has 2 images, fewer than --batch_size 4/);
  } finally {
    console.log = log;
  }
  assert.match(
    logged.join('\n'),
    /--skip_bad_images: skipped 6 bad images of 8 \(first: .*c_truncated\.jpg: truncated JPEG/,
  );
});

test('flip: A and B are mirrored together, and only when the draw says so', async () => {
  const A0 = picture(12, 12, 3);
  const root = makeRoot('flip', { 'q.png': sideBySide(A0, A0) }); // identical halves
  const flipping = await dataset({ dataroot: root, loadSize: 14, cropSize: 12, seed: 5 });
  const plain = await dataset({ dataroot: root, loadSize: 14, cropSize: 12, seed: 5, noFlip: true });
  let flips = 0;
  for (let epoch = 0; epoch < 16; epoch++) {
    const f = await flipping.item(0, epoch);
    const p = await plain.item(0, epoch);
    assert.equal(f.A, f.B, 'identical halves stay identical: same crop, same flip');
    assert.equal(f.crop, p.crop, 'the crop does not depend on the flip');
    assert.is(p.flip, false);
    if (f.flip) {
      flips++;
      const mirrored = toCHW(
        flipHorizontal({ width: 12, height: 12, channels: 3, data: new Uint8Array(fromCHWBytes(p.A, 12)) }),
      );
      assert.equal(f.A, mirrored);
      assert.not.equal(f.A, p.A);
    } else assert.equal(f.A, p.A);
  }
  assert.ok(flips > 2 && flips < 14, `${flips} of 16 epochs flipped`);
});

function fromCHWBytes(chw: Float32Array, s: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < s * s; i++)
    for (let k = 0; k < 3; k++) out.push(Math.round((chw[k * s * s + i]! + 1) * 127.5));
  return out;
}

test('input_nc 1: A is Pillow grayscale of the A half, B stays RGB', async () => {
  const A0 = picture(8, 8, 9);
  const B0 = picture(8, 8, 4);
  const root = makeRoot('gray', { 'g.png': sideBySide(A0, B0) });
  const ds = await dataset({ dataroot: root, inputNc: 1, loadSize: 8, cropSize: 8, noFlip: true });
  const it = await ds.item(0);
  assert.equal(it.shapeA, [1, 8, 8]);
  assert.equal(it.A, toCHW(toGrayscale(A0)));
  assert.equal(it.B, toCHW(B0));
  // the luma of pixel 0: (R, G, B) = (9, 18, 99) -> round(2.691 + 10.566 + 11.286) = round(24.543) = 25
  assert.equal(Array.from(A0.data.subarray(0, 3)), [9, 18, 99]);
  assert.ok(Math.abs(it.A[0]! - (25 / 127.5 - 1)) < 1e-6);
  const out1 = await dataset({ dataroot: root, outputNc: 1, loadSize: 8, cropSize: 8, noFlip: true });
  assert.equal((await out1.item(0)).shapeB, [1, 8, 8]);
});

// ---------------------------------------------------------------------------------------------
// Errors

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected an error matching ${re}`);
}

test('errors name the problem: dataroot, phase folder, empty folder, options', async () => {
  await rejects(AlignedDataset.open({ dataroot: join(tmp, 'nope') }), /dataroot .*nope does not exist/);
  const root = makeRoot('empty', {});
  await rejects(AlignedDataset.open({ dataroot: root, phase: 'val' }), /has no 'val' folder/);
  writeFileSync(join(root, 'train', 'readme.txt'), 'not an image');
  await rejects(AlignedDataset.open({ dataroot: root }), /no images in .*empty[/\\]train/);
  await rejects(
    AlignedDataset.open({ dataroot: root, cropSize: 300, loadSize: 286 }),
    /cropSize 300 is larger than loadSize 286/,
  );
  await rejects(AlignedDataset.open({ dataroot: root, inputNc: 2 as 1 }), /inputNc must be 1 or 3, got 2/);
  await rejects(AlignedDataset.open({ dataroot: root, direction: 'AtoC' as 'AtoB' }), /direction must be/);
});

test('errors name the file: corrupt JPEG, non-image, wrong aspect; and the batch size', async () => {
  const good = sideBySide(picture(8, 8), picture(8, 8, 1));
  const root = makeRoot('bad', {
    'a_good.png': good,
    'b_corrupt.jpg': Uint8Array.from([0xff, 0xd8, 0xff, 0xdb, 0, 67, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    'c_text.jpg': 'this is text, not a JPEG',
    'd_square.png': picture(8, 8),
  });
  const ds = await dataset({ dataroot: root, loadSize: 8, cropSize: 8 });
  assert.is(ds.length, 4);
  assert.equal((await ds.item(0)).shapeA, [3, 8, 8]);
  await rejects(ds.item(1), /b_corrupt\.jpg: corrupt JPEG/);
  await rejects(ds.item(2), /c_text\.jpg: not a PNG or JPEG image/);
  // Not 2:1: split at floor(w / 2) as the reference's int(w / 2), so an 8x8 square gives two 4x8 halves.
  assert.equal((await ds.item(3)).shapeA, [3, 8, 8]);
  // a bad file fails its batch with the file's name, also through the worker pool
  const pooled = await dataset({ dataroot: root, loadSize: 8, cropSize: 8, workers: 1 });
  await rejects(
    (async () => {
      for await (const _ of pooled.batches(0, 4)) {
        /* consume */
      }
    })(),
    /(b_corrupt\.jpg: corrupt JPEG|c_text\.jpg: not a PNG)/,
  );
  // batch sizes
  assert.throws(() => validateBatchSize(3, 10, { even: true }), /batch size 3 is odd; BicycleGAN splits/);
  validateBatchSize(3, 10);
  validateBatchSize(2, 10, { even: true });
  assert.throws(() => validateBatchSize(0, 10), /positive integer/);
  await rejects(first(ds.batches(0, 3, { even: true })), /batch size 3 is odd/);
  await rejects(first(ds.batches(0, 6)), /batch size 6 is larger than the data set \(4 images in .*bad/);
});

// ---------------------------------------------------------------------------------------------
// Grids

test('grid: rows of NCHW batches, gray replicated, gaps white; written atomically as PNG', async () => {
  const rgb = { data: new Float32Array(2 * 3 * 2 * 3).fill(-1), shape: [2, 3, 2, 3] }; // black 2x3 images
  rgb.data[0] = 1; // image 0, R plane, pixel (0, 0): red
  const gray = {
    data: Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => (i < 6 ? 0 : 1)),
    shape: [2, 1, 2, 3],
  };
  const g = composeBatchGrid([rgb, gray], { gap: 1 });
  assert.is(g.width, 1 + 3 + 1 + 3 + 1);
  assert.is(g.height, 1 + 2 + 1 + 2 + 1);
  const px = (x: number, y: number) =>
    Array.from(g.data.subarray((y * g.width + x) * 3, (y * g.width + x) * 3 + 3));
  assert.equal(px(0, 0), [255, 255, 255], 'border');
  assert.equal(px(1, 1), [255, 0, 0], 'the red pixel');
  assert.equal(px(2, 1), [0, 0, 0]);
  assert.equal(px(4, 1), [255, 255, 255], 'gap between columns');
  assert.equal(px(1, 4), [128, 128, 128], 'gray 0 -> 128, replicated');
  assert.equal(px(5, 4), [255, 255, 255], 'gray 1 -> 255');
  const file = join(tmp, 'grids', 'sample.png');
  await writeGridPNG(file, [rgb, gray], { gap: 1 });
  const back = decodeImageBytes(new Uint8Array(readFileSync(file)), file);
  assert.equal(back.data, g.data);
  assert.equal(readdirSync(join(tmp, 'grids')), ['sample.png'], 'no temp file left');
  assert.throws(
    () => composeBatchGrid([{ data: new Float32Array(8), shape: [2, 2, 2, 1] }]),
    /\[n, 1 or 3, h, w\]/,
  );
});

// ---------------------------------------------------------------------------------------------
// Downloads (offline: only local URLs)

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<[Server, number]> {
  const server = createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return [server, (server.address() as AddressInfo).port];
}

test('download: fails fast and clearly when the server cannot be reached', async () => {
  const dir = join(tmp, 'dl');
  await rejects(
    downloadDataset('edges2cats', { dir }),
    /unknown data set 'edges2cats'; available: edges2shoes/,
  );
  let t = Date.now();
  await rejects(
    downloadDataset('facades', { dir, url: 'http://127.0.0.1:9/x.tar.gz' }),
    /download facades: cannot reach http:\/\/127\.0\.0\.1:9\/x\.tar\.gz .*may be offline/,
  );
  assert.ok(Date.now() - t < 3000, 'fails within seconds');
  // a closed port: connection refused
  const [s, port] = await listen(() => {});
  await new Promise((ok) => s.close(ok));
  await rejects(
    downloadDataset('facades', { dir, url: `http://127.0.0.1:${port}/f.tar.gz` }),
    /ECONNREFUSED/,
  );
  // a server that accepts and never answers: the short timeout ends it
  const [silent, sport] = await listen(() => {});
  t = Date.now();
  try {
    await rejects(
      downloadDataset('facades', { dir, url: `http://127.0.0.1:${sport}/f.tar.gz`, connectTimeoutMs: 300 }),
      /no response within 0\.3 s/,
    );
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
  assert.ok(Date.now() - t < 3000);
  assert.equal(existsSync(dir) ? readdirSync(dir) : [], [], 'nothing left behind');
});

test('download: fetches and unpacks an archive into <dir>/<name> (local server)', async () => {
  const src = join(tmp, 'archive-src');
  mkdirSync(join(src, 'tiny', 'train'), { recursive: true });
  writeFileSync(join(src, 'tiny', 'train', '1_AB.png'), encodePNGCompressed(picture(8, 4)));
  const tgz = join(tmp, 'tiny.tar.gz');
  execFileSync('tar', ['-czf', tgz, '-C', src, 'tiny']);
  const body = readFileSync(tgz);
  const [server, port] = await listen((_req, res) => {
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  try {
    const dir = join(tmp, 'dl2');
    const target = await downloadDataset('tiny', { dir, url: `http://127.0.0.1:${port}/tiny.tar.gz` });
    assert.is(target, join(dir, 'tiny'));
    assert.equal(readdirSync(join(target, 'train')), ['1_AB.png']);
    assert.equal(readdirSync(dir), ['tiny'], 'the archive is removed');
    // a second call finds the data and does nothing
    const again = await downloadDataset('tiny', { dir, url: 'http://127.0.0.1:9/unused.tar.gz' });
    assert.is(again, target);
  } finally {
    server.close();
  }
});

test.run();
