// Quick checks of image files before training (Node side): a few reads at the start and the end of each
// file, no decoding, so a truncated or corrupt file of a large data set is found in seconds instead of
// hours into a run.
//   JPEG: starts with SOI (FF D8); a frame header (SOF0-SOF15 but DHT/JPG/DAC) reached by walking the
//         marker segments, with a non-zero width and height; an EOI (FF D9) near the end (a truncated
//         file has none: the entropy-coded data cannot hold FF D9, as every FF in it is stuffed).
//   PNG:  the 8-byte signature, an IHDR chunk first (length 13, valid CRC, non-zero width and height,
//         a valid bit depth / colour type pair), and the IEND chunk as the last 12 bytes.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The largest plausible side, in pixels (JPEG's limit; PNGs of training sets are far below it). */
const MAX_SIDE = 65535;
/** How far from the end an EOI may be (some writers append padding or metadata after it). */
const EOI_TAIL = 4096;
/** Marker segments walked before giving up on finding the frame header. */
const MAX_SEGMENTS = 512;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
const PNG_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

let crcTable: Uint32Array | null = null;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

class FileBytes {
  readonly size: number;
  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }
  /** `n` bytes at `pos` (fewer at the end of the file). */
  at(pos: number, n: number): Uint8Array {
    const len = Math.max(0, Math.min(n, this.size - pos));
    const buf = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const r = readSync(this.fd, buf, got, len - got, pos + got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  }
}

const u16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u32 = (b: Uint8Array, i: number) =>
  ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const startsWith = (b: Uint8Array, sig: number[]) => sig.every((v, i) => b[i] === v);
const plausible = (w: number, h: number) => w >= 1 && h >= 1 && w <= MAX_SIDE && h <= MAX_SIDE;

function checkJPEG(f: FileBytes): string | null {
  // Walk the marker segments from SOI to the frame header.
  let pos = 2;
  let size: [number, number] | null = null;
  for (let k = 0; k < MAX_SEGMENTS && !size; k++) {
    const m = f.at(pos, 9);
    if (m.length < 4) return 'truncated JPEG: the file ends before its frame header (SOF)';
    if (m[0] !== 0xff) return `corrupt JPEG: no marker at byte ${pos} (0x${m[0].toString(16)})`;
    const marker = m[1];
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd8) || marker === 0x01) {
      pos += 2; // a marker without a length (RSTn, SOI, TEM)
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return 'corrupt JPEG: image data before any frame header (SOF)';
    const isSOF = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSOF) {
      if (m.length < 9) return 'truncated JPEG: the frame header (SOF) is cut short';
      const [h, w] = [u16(m, 5), u16(m, 7)];
      if (!plausible(w, h)) return `corrupt JPEG: the frame header says ${w}x${h}`;
      size = [w, h];
      break;
    }
    const len = u16(m, 2);
    if (len < 2) return `corrupt JPEG: a segment at byte ${pos} has length ${len}`;
    pos += 2 + len;
  }
  if (!size) return 'corrupt JPEG: no frame header (SOF) found';
  const tail = f.at(Math.max(0, f.size - EOI_TAIL), EOI_TAIL);
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return null;
  return 'truncated JPEG: no end-of-image marker (FF D9) at its end';
}

function checkPNG(f: FileBytes): string | null {
  const head = f.at(8, 25); // the IHDR chunk: length, type, 13 bytes of data, CRC
  if (head.length < 25) return 'truncated PNG: the file ends inside its header (IHDR)';
  if (u32(head, 0) !== 13 || String.fromCharCode(...head.subarray(4, 8)) !== 'IHDR') {
    return 'corrupt PNG: the first chunk is not a 13-byte IHDR';
  }
  if (crc32(head.subarray(4, 21)) !== u32(head, 21)) return 'corrupt PNG: the header (IHDR) fails its CRC';
  const [w, h, depth, colour] = [u32(head, 8), u32(head, 12), head[16], head[17]];
  if (!plausible(w, h)) return `corrupt PNG: the header says ${w}x${h}`;
  if (!PNG_DEPTHS[colour]?.includes(depth)) {
    return `corrupt PNG: bit depth ${depth} with colour type ${colour} does not exist`;
  }
  if (f.size < 8 + 25 + 12 || !startsWith(f.at(f.size - 12, 12), PNG_IEND)) {
    return 'truncated PNG: it does not end with the IEND chunk';
  }
  return null;
}

/**
 * What is wrong with an image file's header and end, or null when it looks whole (JPEG and PNG, told
 * apart by content). Reads a few bytes; never decodes.
 */
export function checkImageHeader(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return `cannot read: ${(e as Error).message}`;
  }
  try {
    const f = new FileBytes(fd);
    const start = f.at(0, 8);
    if (start.length >= 2 && start[0] === 0xff && start[1] === 0xd8) return checkJPEG(f);
    if (startsWith(start, PNG_SIGNATURE)) return checkPNG(f);
    if (f.size === 0) return 'empty file';
    return 'not a PNG or JPEG image (unknown signature)';
  } catch (e) {
    return `cannot read: ${(e as Error).message}`;
  } finally {
    closeSync(fd);
  }
}

/** A data-set file whose header check failed: its path and what is wrong with it. */
export interface BadImage {
  path: string;
  problem: string;
}

/** The files among `paths` whose header check fails, in order. */
export function findBadImages(paths: readonly string[]): BadImage[] {
  const bad: BadImage[] = [];
  for (const path of paths) {
    const problem = checkImageHeader(path);
    if (problem) bad.push({ path, problem });
  }
  return bad;
}
