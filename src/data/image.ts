// Images as plain pixel arrays, and the pixel operations of the pix2pix / BicycleGAN data pipeline.
// Pure: no Node imports, so a browser demo can use this file as is.
//
// Layout: `RGBImage.data` is interleaved HWC (row-major, channels last). A Uint8Array holds 0..255;
// a Float32Array holds the same 0..255 scale without rounding or clamping. The network side uses
// CHW floats in [-1, 1] (`toCHW` / `fromCHW`).
//
// Fidelity to the reference (PIL + torchvision):
// - `resize` reproduces Pillow's Resample.c for 8-bit images bit for bit: separable convolution with
//   the bicubic kernel (a = -0.5, support 2) stretched by the scale factor when downscaling (so it
//   antialiases), pixel centres at (x + 0.5) * scale, weights normalised per output pixel, then
//   rounded to 22-bit fixed point; horizontal pass first with an 8-bit intermediate, then vertical.
//   Float images take the same weights in double precision with no intermediate rounding.
// - `toGrayscale` is Pillow's convert('L'): (R*19595 + G*38470 + B*7471 + 0x8000) >> 16, i.e. the
//   documented L = R*299/1000 + G*587/1000 + B*114/1000 rounded to the nearest integer.
// - JPEG decoding is jpeg-js (pure JavaScript). It is not bit-identical to libjpeg (PIL): its IDCT and
//   chroma upsampling differ, typically by a few levels on some pixels.
import { decode as decodeJpegJs } from 'jpeg-js';

/** An 8-bit image, HWC row-major: `data[(y * width + x) * channels + c]`, 1 (gray) or 3 (RGB) channels. */
export interface RGBImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** HWC interleaved; 0..255 (Uint8Array) or the same scale unrounded (Float32Array). */
  data: Uint8Array | Float32Array;
}

/** A decoder for PNG files: returns 8-bit RGBA. Injected because pngjs needs Node's zlib. */
export type PngDecoder = (bytes: Uint8Array) => { width: number; height: number; data: Uint8Array };

/** A new width x height image with every value set to `fill`. */
export function newImage(width: number, height: number, channels: 1 | 3, fill = 0): RGBImage {
  const data = new Uint8Array(width * height * channels);
  if (fill) data.fill(fill);
  return { width, height, channels, data };
}

/** 'png', 'jpeg' or null, from the first bytes (magic numbers). */
export function sniffFormat(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47 &&
    bytes[4] === 0x0d &&
    bytes[5] === 0x0a &&
    bytes[6] === 0x1a &&
    bytes[7] === 0x0a
  ) {
    return 'png';
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** Decodes a JPEG to 3-channel RGB (grayscale JPEGs are expanded, as PIL's convert('RGB')). */
export function decodeJPEG(bytes: Uint8Array, name = 'image'): RGBImage {
  let out: { width: number; height: number; data: Uint8Array };
  try {
    out = decodeJpegJs(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: 200,
      maxMemoryUsageInMB: 1024,
    });
  } catch (e) {
    throw new Error(`${name}: corrupt JPEG: ${(e as Error).message}`);
  }
  const { width, height, data } = out;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new Error(`${name}: corrupt JPEG: bad dimensions ${width}x${height}`);
  }
  return { width, height, channels: 3, data };
}

/**
 * Decodes PNG or JPEG bytes (detected by magic bytes, not by the file name) to 3-channel RGB, as
 * PIL's `Image.open(path).convert('RGB')` (alpha is dropped, gray is replicated). PNG needs a
 * decoder (`opts.png`; the Node side passes pngjs, see files.ts).
 */
export function decodeImage(bytes: Uint8Array, name = 'image', opts: { png?: PngDecoder } = {}): RGBImage {
  const format = sniffFormat(bytes);
  if (format === 'jpeg') return decodeJPEG(bytes, name);
  if (format === 'png') {
    if (!opts.png) throw new Error(`${name}: PNG decoding needs a decoder here (pass opts.png)`);
    let rgba: { width: number; height: number; data: Uint8Array };
    try {
      rgba = opts.png(bytes);
    } catch (e) {
      throw new Error(`${name}: corrupt PNG: ${(e as Error).message}`);
    }
    const { width, height } = rgba;
    if (!(width > 0 && height > 0) || rgba.data.length < width * height * 4) {
      throw new Error(`${name}: corrupt PNG: bad dimensions ${width}x${height}`);
    }
    const data = new Uint8Array(width * height * 3);
    for (let i = 0, j = 0; i < data.length; i += 3, j += 4) {
      data[i] = rgba.data[j]!;
      data[i + 1] = rgba.data[j + 1]!;
      data[i + 2] = rgba.data[j + 2]!;
    }
    return { width, height, channels: 3, data };
  }
  throw new Error(`${name}: not a PNG or JPEG image`);
}

/** Alias of `decodeImage`. */
export const decode = decodeImage;

// ---------------------------------------------------------------------------------------------
// PNG encoding (8-bit gray or RGB, no interlace). The zlib stream defaults to stored (uncompressed)
// deflate blocks written here; the Node side passes zlib.deflateSync for small files.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (the PNG chunk checksum) of `bytes`, continuing from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Adler-32 (the zlib checksum) of `bytes`. */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  const chunk = 5552; // the largest n with no overflow before the modulo
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(i + chunk, bytes.length);
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A valid zlib stream made of stored (uncompressed) deflate blocks. */
export function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const out = new Uint8Array(2 + raw.length + blocks * 5 + 4);
  out[0] = 0x78; // deflate, 32K window
  out[1] = 0x01; // no preset dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535;
    const len = Math.min(65535, raw.length - start);
    out[o++] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE = 00
    out[o++] = len & 0xff;
    out[o++] = len >>> 8;
    out[o++] = ~len & 0xff;
    out[o++] = (~len >>> 8) & 0xff;
    out.set(raw.subarray(start, start + len), o);
    o += len;
  }
  const ad = adler32(raw);
  out[o++] = ad >>> 24;
  out[o++] = (ad >>> 16) & 0xff;
  out[o++] = (ad >>> 8) & 0xff;
  out[o++] = ad & 0xff;
  return out;
}

function u8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Encodes an 8-bit PNG (gray for 1 channel, RGB for 3). Float data is rounded and clamped. */
export function encodePNG(
  img: RGBImage,
  opts: { deflate?: (raw: Uint8Array) => Uint8Array } = {},
): Uint8Array {
  const { width, height, channels, data } = img;
  checkImage(img, 'encodePNG');
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: None
    const row = y * stride;
    const dst = y * (stride + 1) + 1;
    if (data instanceof Uint8Array) raw.set(data.subarray(row, row + stride), dst);
    else for (let i = 0; i < stride; i++) raw[dst + i] = u8(data[row + i]!);
  }
  const idat = (opts.deflate ?? zlibStored)(raw);
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 3 ? 2 : 0; // colour type: truecolour or greyscale
  // compression 0, filter method 0, no interlace
  const chunks: [string, Uint8Array][] = [
    ['IHDR', ihdr],
    ['IDAT', idat],
    ['IEND', new Uint8Array(0)],
  ];
  const total = 8 + chunks.reduce((s, [, d]) => s + 12 + d.length, 0);
  const out = new Uint8Array(total);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const odv = new DataView(out.buffer);
  let o = 8;
  for (const [type, body] of chunks) {
    odv.setUint32(o, body.length);
    const typed = new Uint8Array(4 + body.length);
    for (let i = 0; i < 4; i++) typed[i] = type.charCodeAt(i);
    typed.set(body, 4);
    out.set(typed, o + 4);
    odv.setUint32(o + 8 + body.length, crc32(typed));
    o += 12 + body.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Geometry

function checkImage(img: RGBImage, op: string): void {
  const { width, height, channels, data } = img;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`${op}: bad image size ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`${op}: channels must be 1 or 3, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new Error(
      `${op}: data has ${data.length} values, ${width}x${height}x${channels} needs ${width * height * channels}`,
    );
  }
}

function like(img: RGBImage, width: number, height: number, channels: 1 | 3 = img.channels): RGBImage {
  const n = width * height * channels;
  return {
    width,
    height,
    channels,
    data: img.data instanceof Float32Array ? new Float32Array(n) : new Uint8Array(n),
  };
}

/**
 * The region [x, x + w) x [y, y + h), as PIL's `img.crop((x, y, x + w, y + h))`: parts outside the
 * image are zero (black).
 */
export function crop(img: RGBImage, x: number, y: number, w: number, h: number): RGBImage {
  checkImage(img, 'crop');
  if (
    !(
      Number.isInteger(x) &&
      Number.isInteger(y) &&
      Number.isInteger(w) &&
      Number.isInteger(h) &&
      w > 0 &&
      h > 0
    )
  ) {
    throw new Error(`crop: bad box x=${x} y=${y} w=${w} h=${h}`);
  }
  const out = like(img, w, h);
  const c = img.channels;
  const x0 = Math.max(0, x);
  const x1 = Math.min(img.width, x + w);
  if (x1 <= x0) return out;
  for (let yy = 0; yy < h; yy++) {
    const sy = y + yy;
    if (sy < 0 || sy >= img.height) continue;
    const src = (sy * img.width + x0) * c;
    out.data.set(img.data.subarray(src, src + (x1 - x0) * c), (yy * w + (x0 - x)) * c);
  }
  return out;
}

/** Mirror left-right (PIL's FLIP_LEFT_RIGHT). */
export function flipHorizontal(img: RGBImage): RGBImage {
  checkImage(img, 'flipHorizontal');
  const { width, height, channels: c } = img;
  const out = like(img, width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * c;
      const d = (y * width + (width - 1 - x)) * c;
      for (let k = 0; k < c; k++) out.data[d + k] = img.data[s + k]!;
    }
  }
  return out;
}

/** Pillow's convert('L') (see the file header); float images use the exact weights 0.299/0.587/0.114. */
export function toGrayscale(img: RGBImage): RGBImage {
  checkImage(img, 'toGrayscale');
  if (img.channels === 1) return { ...img, data: img.data.slice() };
  const out = like(img, img.width, img.height, 1);
  const s = img.data;
  const n = img.width * img.height;
  if (s instanceof Uint8Array) {
    for (let i = 0; i < n; i++) {
      out.data[i] = (s[3 * i]! * 19595 + s[3 * i + 1]! * 38470 + s[3 * i + 2]! * 7471 + 0x8000) >>> 16;
    }
  } else {
    for (let i = 0; i < n; i++)
      out.data[i] = s[3 * i]! * 0.299 + s[3 * i + 1]! * 0.587 + s[3 * i + 2]! * 0.114;
  }
  return out;
}

/** Gray to RGB by replication (PIL's convert('RGB') of an 'L' image); RGB is copied. */
export function toRGB(img: RGBImage): RGBImage {
  checkImage(img, 'toRGB');
  if (img.channels === 3) return { ...img, data: img.data.slice() };
  const out = like(img, img.width, img.height, 3);
  for (let i = 0; i < img.width * img.height; i++) {
    const v = img.data[i]!;
    out.data[3 * i] = v;
    out.data[3 * i + 1] = v;
    out.data[3 * i + 2] = v;
  }
  return out;
}

/** The left and right halves (PIL: crop((0, 0, w2, h)) and crop((w2, 0, w, h)), w2 = floor(w / 2)). */
export function splitHalves(img: RGBImage): { left: RGBImage; right: RGBImage } {
  const w2 = Math.floor(img.width / 2);
  if (w2 < 1) throw new Error(`splitHalves: image ${img.width}x${img.height} is too narrow to split`);
  return { left: crop(img, 0, 0, w2, img.height), right: crop(img, w2, 0, img.width - w2, img.height) };
}

/** Places `a` and `b` side by side (a left): the aligned A|B file layout. */
export function concatHorizontal(a: RGBImage, b: RGBImage): RGBImage {
  if (a.height !== b.height || a.channels !== b.channels) {
    throw new Error(
      `concatHorizontal: ${a.width}x${a.height}x${a.channels} and ${b.width}x${b.height}x${b.channels} do not match`,
    );
  }
  const out = like(a, a.width + b.width, a.height);
  const c = a.channels;
  for (let y = 0; y < a.height; y++) {
    out.data.set(a.data.subarray(y * a.width * c, (y + 1) * a.width * c), y * out.width * c);
    out.data.set(b.data.subarray(y * b.width * c, (y + 1) * b.width * c), (y * out.width + a.width) * c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Resampling: Pillow's Resample.c with the BICUBIC filter (see the file header).

const PRECISION_BITS = 32 - 8 - 2;

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // [out][2] = (first input index, count)
  k: Float64Array; // [out][ksize] normalised weights
}

/** Pillow's precompute_coeffs for the box [0, inSize) mapped onto outSize pixels. */
export function resampleCoefficients(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[xx * ksize + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) k[xx * ksize + x]! /= ww;
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, k };
}

function fixedPoint(c: Coeffs): Int32Array {
  const out = new Int32Array(c.k.length);
  const one = 1 << PRECISION_BITS;
  for (let i = 0; i < c.k.length; i++) {
    const v = c.k[i]!;
    out[i] = v < 0 ? Math.trunc(-0.5 + v * one) : Math.trunc(0.5 + v * one);
  }
  return out;
}

function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : Math.min(v, 255);
}

/** One separable pass along x (axis 0) or y (axis 1) of an HWC image. */
function resamplePass(img: RGBImage, outW: number, outH: number, axis: 0 | 1, c: Coeffs, y0 = 0): RGBImage {
  const out = like(img, outW, outH);
  const ch = img.channels;
  const { ksize, bounds } = c;
  const src = img.data;
  const dst = out.data;
  const inW = img.width;
  if (src instanceof Uint8Array) {
    const kk = fixedPoint(c);
    const half = 1 << (PRECISION_BITS - 1);
    for (let yy = 0; yy < outH; yy++) {
      for (let xx = 0; xx < outW; xx++) {
        const o = axis === 0 ? xx : yy;
        const min = bounds[2 * o]!;
        const cnt = bounds[2 * o + 1]!;
        for (let k = 0; k < ch; k++) {
          let ss = half;
          if (axis === 0) {
            const base = (yy + y0) * inW;
            for (let i = 0; i < cnt; i++) ss += src[(base + min + i) * ch + k]! * kk[o * ksize + i]!;
          } else {
            for (let i = 0; i < cnt; i++) ss += src[((min + i) * inW + xx) * ch + k]! * kk[o * ksize + i]!;
          }
          dst[(yy * outW + xx) * ch + k] = clip8(ss);
        }
      }
    }
  } else {
    const kd = c.k;
    for (let yy = 0; yy < outH; yy++) {
      for (let xx = 0; xx < outW; xx++) {
        const o = axis === 0 ? xx : yy;
        const min = bounds[2 * o]!;
        const cnt = bounds[2 * o + 1]!;
        for (let k = 0; k < ch; k++) {
          let ss = 0;
          if (axis === 0) {
            const base = (yy + y0) * inW;
            for (let i = 0; i < cnt; i++) ss += src[(base + min + i) * ch + k]! * kd[o * ksize + i]!;
          } else {
            for (let i = 0; i < cnt; i++) ss += src[((min + i) * inW + xx) * ch + k]! * kd[o * ksize + i]!;
          }
          dst[(yy * outW + xx) * ch + k] = ss;
        }
      }
    }
  }
  return out;
}

/** Bicubic resize to width x height, as PIL's `img.resize((width, height), Image.BICUBIC)`. */
export function resize(img: RGBImage, width: number, height: number): RGBImage {
  checkImage(img, 'resize');
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`resize: bad target size ${width}x${height}`);
  }
  const needH = width !== img.width;
  const needV = height !== img.height;
  if (!needH && !needV) return { ...img, data: img.data.slice() };
  const cv = resampleCoefficients(img.height, height);
  let cur = img;
  if (needH) {
    // Like Pillow, the horizontal pass only computes the rows the vertical pass will read.
    const first = needV ? cv.bounds[0]! : 0;
    const last = needV ? cv.bounds[2 * height - 2]! + cv.bounds[2 * height - 1]! : img.height;
    if (needV) for (let i = 0; i < height; i++) cv.bounds[2 * i]! -= first;
    cur = resamplePass(img, width, last - first, 0, resampleCoefficients(img.width, width), first);
  }
  if (needV) cur = resamplePass(cur, width, height, 1, cv);
  return cur;
}

// ---------------------------------------------------------------------------------------------
// Network tensors

/** HWC 0..255 to CHW float32 in [-1, 1]: ToTensor (v / 255) then Normalize(0.5, 0.5). */
export function toCHW(img: RGBImage, out?: Float32Array, offset = 0): Float32Array {
  checkImage(img, 'toCHW');
  const { width, height, channels: c, data } = img;
  const plane = width * height;
  const dst = out ?? new Float32Array(plane * c);
  if (dst.length < offset + plane * c)
    throw new Error(`toCHW: output has room for ${dst.length - offset} values`);
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < c; k++) dst[offset + k * plane + i] = (data[i * c + k]! / 255 - 0.5) / 0.5;
  }
  return dst;
}

/**
 * CHW floats in [-1, 1] back to an 8-bit HWC image: round((x + 1) / 2 * 255), clamped. (The reference
 * tensor2im truncates instead of rounding; rounding makes toCHW -> fromCHW an exact round trip.)
 */
export function fromCHW(
  chw: ArrayLike<number>,
  channels: 1 | 3,
  height: number,
  width: number,
  offset = 0,
): RGBImage {
  const plane = width * height;
  if (chw.length < offset + plane * channels) {
    throw new Error(`fromCHW: ${chw.length - offset} values cannot hold ${channels}x${height}x${width}`);
  }
  const out = newImage(width, height, channels);
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < channels; k++)
      out.data[i * channels + k] = u8(((chw[offset + k * plane + i]! + 1) / 2) * 255);
  }
  return out;
}
