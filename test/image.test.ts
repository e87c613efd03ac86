// Pixel code of src/data/image.ts: codecs, Pillow-exact resize and grayscale, crop, flip, tensors.
// Golden values marked "Pillow" were produced by Pillow 9.4 (Image.resize(..., Image.BICUBIC),
// convert('L')) on the same inputs; the resize was also checked bit-exact against Pillow on random
// 256x256 -> 286x286 and 256x256 -> 64x64 images while writing it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeImageBytes, encodePNGCompressed } from '../src/data/files.ts';
import {
  adler32,
  crc32,
  crop,
  decodeImage,
  encodePNG,
  flipHorizontal,
  fromCHW,
  type RGBImage,
  resize,
  sniffFormat,
  toCHW,
  toGrayscale,
} from '../src/data/image.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const SHOES = resolve(repo, '../shared/data/edges2shoes-120');

// 4x3 RGB test image
const SRC = [
  [0, 0, 0, 255, 255, 255, 10, 200, 30, 90, 90, 90],
  [255, 0, 0, 0, 255, 0, 0, 0, 255, 250, 128, 3],
  [17, 34, 51, 68, 85, 102, 119, 136, 153, 170, 187, 204],
].flat();
const img43 = (): RGBImage => ({ width: 4, height: 3, channels: 3, data: Uint8Array.from(SRC) });

const text = (s: string) => new TextEncoder().encode(s);

test('crc32 and adler32 give the standard check values', () => {
  assert.is(crc32(text('123456789')), 0xcbf43926);
  assert.is(adler32(text('Wikipedia')), 0x11e60398);
  assert.is(adler32(new Uint8Array(0)), 1);
});

test('encodePNG: stored and zlib PNGs decode (pngjs) to the same RGB and gray pixels', () => {
  const rgb = img43();
  for (const bytes of [encodePNG(rgb), encodePNGCompressed(rgb)]) {
    assert.is(sniffFormat(bytes), 'png');
    const png = PNG.sync.read(Buffer.from(bytes));
    assert.is(png.width, 4);
    assert.is(png.height, 3);
    const back = decodeImageBytes(bytes, 'mem.png');
    assert.equal(Array.from(back.data), SRC);
    assert.equal(Array.from(png.data.subarray(0, 8)), [0, 0, 0, 255, 255, 255, 255, 255]);
  }
  const gray: RGBImage = {
    width: 3,
    height: 2,
    channels: 1,
    data: Uint8Array.from([0, 50, 100, 150, 200, 255]),
  };
  const g = PNG.sync.read(Buffer.from(encodePNG(gray)));
  assert.equal(
    Array.from(g.data.filter((_, i) => i % 4 === 0)),
    [0, 50, 100, 150, 200, 255],
    'gray PNG decodes to the same levels',
  );
  // float data is rounded and clamped
  const f: RGBImage = { width: 2, height: 1, channels: 1, data: Float32Array.from([-3, 127.6]) };
  assert.equal(Array.from(decodeImageBytes(encodePNG(f)).data), [0, 0, 0, 128, 128, 128]);
  // a large image spans several stored deflate blocks (> 65535 bytes)
  const big: RGBImage = { width: 200, height: 150, channels: 3, data: new Uint8Array(200 * 150 * 3) };
  for (let i = 0; i < big.data.length; i++) big.data[i] = (i * 31) % 251;
  assert.equal(decodeImageBytes(encodePNG(big)).data, big.data);
});

test('decode: format by magic bytes; errors name the file', () => {
  assert.throws(
    () => decodeImageBytes(text('hello, not an image'), 'data/x.jpg'),
    /data\/x\.jpg: not a PNG or JPEG image/,
  );
  const fakeJpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.throws(() => decodeImageBytes(fakeJpeg, 'bad.jpg'), /bad\.jpg: corrupt JPEG: /);
  const png = encodePNG(img43());
  const truncated = png.subarray(0, 30);
  assert.throws(() => decodeImageBytes(truncated, 'cut.png'), /cut\.png: corrupt PNG/);
  assert.throws(() => decodeImage(png, 'p.png'), /p\.png: PNG decoding needs a decoder/);
});

test('toGrayscale is Pillow convert("L"): the 601 luma, rounded', () => {
  const L = toGrayscale(img43());
  assert.is(L.channels, 1);
  // Pillow: im.convert('L') of the 4x3 image
  assert.equal(Array.from(L.data), [0, 255, 124, 90, 76, 150, 29, 150, 31, 82, 133, 184]);
  // the documented formula L = R*299/1000 + G*587/1000 + B*114/1000, rounded, on the same pixels
  for (let i = 0; i < 12; i++) {
    const [r, g, b] = SRC.slice(3 * i, 3 * i + 3) as [number, number, number];
    assert.is(L.data[i], Math.round((r * 299 + g * 587 + b * 114) / 1000), `pixel ${i}`);
  }
  // float images use the same weights without rounding
  const f = toGrayscale({ width: 1, height: 1, channels: 3, data: Float32Array.from([255, 0, 0]) });
  assert.ok(Math.abs(f.data[0]! - 76.245) < 1e-4);
});

test('resize: bicubic (a = -0.5) checked by hand on one row', () => {
  // 2 -> 4 pixels, scale 0.5: output 0 has centre 0.25, taps at source 0 and 1 with weights
  // k(0.25) = 0.8671875 and k(1.25) = -0.0703125, normalised by their sum 0.796875:
  // (100 * 0.8671875 - 200 * 0.0703125) / 0.796875 = 91.18 -> 91. Output 1: centre 0.75,
  // k(0.25) = 0.8671875 and k(0.75) = 0.2265625 -> (86.71875 + 45.3125) / 1.09375 = 120.71 -> 121.
  const row: RGBImage = { width: 2, height: 1, channels: 1, data: Uint8Array.from([100, 200]) };
  assert.equal(Array.from(resize(row, 4, 1).data), [91, 121, 179, 209]);
  const f = resize({ ...row, data: Float32Array.from([100, 200]) }, 4, 1);
  assert.ok(Math.abs(f.data[0]! - 72.65625 / 0.796875) < 1e-4, 'float images are not rounded');
  assert.ok(Math.abs(f.data[1]! - 132.03125 / 1.09375) < 1e-4);
});

test('resize: matches Pillow Image.BICUBIC up, down and on gray', () => {
  // Pillow: im.resize((6, 5), Image.BICUBIC)
  const up = [
    [0, 0, 0, 134, 122, 143, 255, 255, 255, 41, 230, 43, 31, 145, 42, 83, 79, 101],
    [100, 0, 0, 139, 131, 83, 152, 255, 166, 20, 145, 125, 70, 104, 78, 155, 99, 52],
    [255, 0, 0, 135, 135, 0, 0, 238, 34, 0, 26, 239, 132, 53, 137, 255, 136, 0],
    [110, 20, 31, 72, 84, 41, 39, 144, 75, 70, 83, 185, 147, 123, 171, 209, 173, 130],
    [0, 33, 52, 31, 49, 77, 83, 83, 117, 118, 135, 137, 150, 175, 186, 167, 194, 223],
  ].flat();
  assert.equal(Array.from(resize(img43(), 6, 5).data), up);
  // Pillow: im.resize((2, 2), Image.BICUBIC) (downscaling widens the kernel: antialiasing)
  assert.equal(
    Array.from(resize(img43(), 2, 2).data),
    [115, 131, 85, 85, 135, 95, 68, 80, 60, 129, 130, 156],
  );
  // Pillow: im.convert('L').resize((5, 4), Image.BICUBIC)
  const Lup = [0, 196, 214, 108, 86, 49, 164, 131, 66, 128, 62, 107, 86, 87, 171, 27, 60, 109, 156, 188];
  assert.equal(Array.from(resize(toGrayscale(img43()), 5, 4).data), Lup);
  // same size: a copy
  assert.equal(Array.from(resize(img43(), 4, 3).data), SRC);
});

test('resize: downscaling a 1-pixel checkerboard averages it (antialiasing)', () => {
  const n = 32;
  const board: RGBImage = { width: n, height: n, channels: 1, data: new Uint8Array(n * n) };
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) board.data[y * n + x] = (x + y) % 2 ? 255 : 0;
  const small = resize(board, 8, 8);
  for (let i = 0; i < 64; i++)
    assert.ok(Math.abs(small.data[i]! - 127.5) <= 8, `pixel ${i} = ${small.data[i]}`);
});

test('crop (zero outside, as PIL), flip, toCHW and fromCHW', () => {
  const c = crop(img43(), 1, 1, 2, 2);
  assert.equal(Array.from(c.data), [0, 255, 0, 0, 0, 255, 68, 85, 102, 119, 136, 153]);
  const out = crop(img43(), 3, 2, 2, 2);
  assert.equal(Array.from(out.data), [170, 187, 204, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const f = flipHorizontal(img43());
  assert.equal(Array.from(f.data.subarray(0, 12)), [90, 90, 90, 10, 200, 30, 255, 255, 255, 0, 0, 0]);
  assert.equal(flipHorizontal(f).data, img43().data);
  const chw = toCHW(img43());
  assert.is(chw.length, 36);
  assert.is(chw[0], -1); // R of (0, 0)
  assert.is(chw[1], 1); // R of (1, 0) = 255
  assert.ok(Math.abs(chw[12 + 2]! - (200 / 127.5 - 1)) < 1e-6); // G plane, pixel 2
  assert.ok(Math.abs(chw[24 + 11]! - (204 / 127.5 - 1)) < 1e-6); // B plane, last pixel
  assert.equal(Array.from(fromCHW(chw, 3, 3, 4).data), SRC);
  assert.equal(Array.from(fromCHW([-2, 2, 0], 1, 1, 3).data), [0, 255, 128]);
});

test('decodes the real edges2shoes JPEGs: 512x256, white edge map on the left', () => {
  if (!existsSync(SHOES)) {
    console.log(`  skipped: ${SHOES} is absent`);
    return;
  }
  const dir = join(SHOES, 'val');
  const file = join(dir, readdirSync(dir).sort()[0]!);
  const img = decodeImageBytes(new Uint8Array(readFileSync(file)), file);
  assert.is(img.width, 512);
  assert.is(img.height, 256);
  assert.is(img.channels, 3);
  let left = 0;
  let white = 0;
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      const v = img.data[(y * 512 + x) * 3]!;
      left += v;
      if (v > 200) white++;
    }
  }
  assert.ok(left / 65536 > 200, `edge half mean ${left / 65536}`);
  assert.ok(white / 65536 > 0.8, 'edge half is mostly white');
  const cut = new Uint8Array(readFileSync(file)).subarray(0, 2000);
  assert.throws(() => decodeImageBytes(cut, 'cut.jpg'), /cut\.jpg: corrupt JPEG/);
});

test.run();
