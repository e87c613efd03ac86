// A procedural multimodal data set in the aligned A|B format (pure drawing: no Node imports; the
// files are written by synthetic-files.ts).
//
// A: the outline of one object (shoe-like profile, ellipse, star or regular polygon at a random
//    position, size and rotation), black lines on white.
// B: the same object filled with one of K patterns ("modes": solid red, blue stripes, green checker,
//    yellow dots, ...) on white. The mode is drawn independently of the shape, so every A has K right
//    answers: a model that captures the modes produces all K colours for one A as z varies.
// Everything is a function of (seed, phase, index): the same options give byte-identical files.
import { newImage, type RGBImage } from './image.ts';
import { hash32, rngFor } from './rng.ts';

/** One mode of the synthetic set: a name and the fill colour of each pixel. */
export interface ModeSpec {
  name: string;
  /** The colour of the pattern at pixel (x, y). */
  color: (x: number, y: number) => [number, number, number];
}

/** The fill patterns, in order; a data set with K modes uses the first K. */
export const MODES: readonly ModeSpec[] = [
  { name: 'red solid', color: () => [215, 40, 40] },
  {
    name: 'blue stripes',
    color: (x, y) => ((((x + y) % 8) + 8) % 8 < 4 ? [35, 75, 210] : [165, 190, 250]),
  },
  {
    name: 'green checker',
    color: (x, y) => ((Math.floor(x / 4) + Math.floor(y / 4)) % 2 === 0 ? [25, 140, 55] : [150, 220, 160]),
  },
  {
    name: 'yellow dots',
    color: (x, y) => {
      const dx = (x % 6) - 2.5;
      const dy = (y % 6) - 2.5;
      return dx * dx + dy * dy <= 2.6 ? [170, 110, 0] : [250, 215, 60];
    },
  },
  { name: 'purple solid', color: () => [125, 45, 165] },
  { name: 'cyan bands', color: (_x, y) => (y % 6 < 3 ? [0, 160, 185] : [160, 235, 240]) },
  { name: 'orange grid', color: (x, y) => (x % 6 === 0 || y % 6 === 0 ? [140, 60, 0] : [245, 150, 50]) },
  {
    name: 'gray noise',
    color: (x, y) => {
      const v = 60 + (hash32(x, y, 0x6e6f6973) % 100);
      return [v, v, v];
    },
  },
];

/** The shapes the synthetic set draws. */
export const SHAPES = ['shoe', 'ellipse', 'star', 'polygon'] as const;
/** One of SHAPES. */
export type ShapeKind = (typeof SHAPES)[number];

/** Options of syntheticSample. */
export interface SyntheticOptions {
  /** Side of A and of B in pixels (the file is 2*size x size). Default 64. */
  size?: number;
  /** Number of modes K (1..MODES.length). Default 4. */
  modes?: number;
  seed?: number;
}

/** One synthetic A|B pair: outline A, filled B, which mode and shape, and the object mask. */
export interface SyntheticSample {
  /** Outline, RGB (black on white). */
  A: RGBImage;
  /** Filled object, RGB, on white. */
  B: RGBImage;
  mode: number;
  shape: ShapeKind;
  /** 1 where the object is (the filled region of B). */
  mask: Uint8Array;
}

type Pt = [number, number];

// A shoe profile (side view, toe to the right) in [-1, 1]^2, y down.
const SHOE: Pt[] = [
  [-0.95, 0.55],
  [0.85, 0.55],
  [1.0, 0.4],
  [0.95, 0.2],
  [0.6, 0.05],
  [0.25, -0.05],
  [0.0, -0.25],
  [-0.15, -0.6],
  [-0.55, -0.6],
  [-0.75, -0.45],
  [-0.95, -0.2],
  [-1.0, 0.2],
];

function unitShape(kind: ShapeKind, rand: () => number): Pt[] {
  switch (kind) {
    case 'shoe':
      return SHOE.map(([x, y]) => [x, y]);
    case 'ellipse': {
      const b = 0.5 + 0.4 * rand();
      return Array.from({ length: 48 }, (_, i) => {
        const t = (2 * Math.PI * i) / 48;
        return [Math.cos(t), b * Math.sin(t)] as Pt;
      });
    }
    case 'star': {
      const points = 5 + Math.floor(rand() * 2);
      const inner = 0.4 + 0.15 * rand();
      return Array.from({ length: 2 * points }, (_, i) => {
        const t = (Math.PI * i) / points - Math.PI / 2;
        const r = i % 2 === 0 ? 1 : inner;
        return [r * Math.cos(t), r * Math.sin(t)] as Pt;
      });
    }
    case 'polygon': {
      const sides = 3 + Math.floor(rand() * 4);
      return Array.from({ length: sides }, (_, i) => {
        const t = (2 * Math.PI * i) / sides - Math.PI / 2;
        return [Math.cos(t), Math.sin(t)] as Pt;
      });
    }
  }
}

function pointInPolygon(x: number, y: number, poly: Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function distanceToPolygon(x: number, y: number, poly: Pt[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [ax, ay] = poly[j]!;
    const [bx, by] = poly[i]!;
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2)) : 0;
    const ex = ax + t * dx - x;
    const ey = ay + t * dy - y;
    best = Math.min(best, ex * ex + ey * ey);
  }
  return Math.sqrt(best);
}

const PHASE_ID: Record<string, number> = { train: 1, val: 2, test: 3 };

function phaseId(phase: string): number {
  return PHASE_ID[phase] ?? hash32(...Array.from(phase, (ch) => ch.charCodeAt(0)));
}

function checkOptions(opts: SyntheticOptions): Required<SyntheticOptions> {
  const size = opts.size ?? 64;
  const modes = opts.modes ?? 4;
  const seed = opts.seed ?? 0;
  if (!(Number.isInteger(size) && size >= 16))
    throw new Error(`synthetic: size must be an integer >= 16, got ${size}`);
  if (!(Number.isInteger(modes) && modes >= 1 && modes <= MODES.length)) {
    throw new Error(`synthetic: modes must be an integer in [1, ${MODES.length}], got ${modes}`);
  }
  if (!Number.isInteger(seed)) throw new Error(`synthetic: seed must be an integer, got ${seed}`);
  return { size, modes, seed };
}

/** Sample `index` of `phase` ('train', 'val', ...): a function of (seed, phase, index) only. */
export function syntheticSample(phase: string, index: number, opts: SyntheticOptions = {}): SyntheticSample {
  const { size, modes, seed } = checkOptions(opts);
  const rand = rngFor(seed, 0x73796e74, phaseId(phase), index);
  const shape = SHAPES[Math.floor(rand() * SHAPES.length)]!;
  const mode = Math.floor(rand() * modes);
  const unit = unitShape(shape, rand);
  const radius = size * (0.24 + 0.14 * rand());
  const margin = radius + 2;
  const cx = margin + rand() * (size - 2 * margin);
  const cy = margin + rand() * (size - 2 * margin);
  // shoes stay roughly upright (a small tilt, either facing); other shapes turn freely
  const angle = shape === 'shoe' ? (rand() - 0.5) * 0.5 : rand() * 2 * Math.PI;
  const mirror = shape === 'shoe' && rand() < 0.5 ? -1 : 1;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const poly: Pt[] = unit.map(([ux, uy]) => {
    const x = ux * mirror * radius;
    const y = uy * radius;
    return [cx + cos * x - sin * y, cy + sin * x + cos * y];
  });
  // >= 1: every object pixel with a background neighbour lies on the outline (no gaps)
  const halfLine = Math.max(1, size / 128);
  const A = newImage(size, size, 3, 255);
  const B = newImage(size, size, 3, 255);
  const mask = new Uint8Array(size * size);
  const pattern = MODES[mode]!.color;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const i = y * size + x;
      if (distanceToPolygon(px, py, poly) <= halfLine) A.data.fill(0, 3 * i, 3 * i + 3);
      if (pointInPolygon(px, py, poly)) {
        mask[i] = 1;
        B.data.set(pattern(x, y), 3 * i);
      }
    }
  }
  return { A, B, mode, shape, mask };
}

// ---------------------------------------------------------------------------------------------
// Mode classification: nearest prototype in (mean colour, horizontal / vertical texture) space.

/** Background test for the default mask: near-white pixels are not part of the object. */
function isBackground(r: number, g: number, b: number): boolean {
  return r >= 230 && g >= 230 && b >= 230;
}

/**
 * Features of the object pixels: mean R, G, B and mean absolute luma differences to the right and
 * downward neighbours (over pairs of object pixels), all divided by 255.
 */
export function modeFeatures(
  img: RGBImage,
  mask?: Uint8Array | null,
): { features: number[]; pixels: number } {
  if (img.channels !== 3) throw new Error(`classifyMode: needs an RGB image, got ${img.channels} channel(s)`);
  const { width: w, height: h, data } = img;
  const n = w * h;
  const m = mask ?? new Uint8Array(n);
  if (m.length !== n) throw new Error(`classifyMode: mask has ${m.length} values, image has ${n} pixels`);
  if (!mask)
    for (let i = 0; i < n; i++) m[i] = isBackground(data[3 * i]!, data[3 * i + 1]!, data[3 * i + 2]!) ? 0 : 1;
  const luma = (i: number) => 0.299 * data[3 * i]! + 0.587 * data[3 * i + 1]! + 0.114 * data[3 * i + 2]!;
  let count = 0;
  const mean = [0, 0, 0];
  let th = 0;
  let nh = 0;
  let tv = 0;
  let nv = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!m[i]) continue;
      count++;
      for (let k = 0; k < 3; k++) mean[k]! += data[3 * i + k]!;
      if (x + 1 < w && m[i + 1]) {
        th += Math.abs(luma(i + 1) - luma(i));
        nh++;
      }
      if (y + 1 < h && m[i + w]) {
        tv += Math.abs(luma(i + w) - luma(i));
        nv++;
      }
    }
  }
  if (count === 0) return { features: [], pixels: 0 };
  return {
    features: [
      mean[0]! / count / 255,
      mean[1]! / count / 255,
      mean[2]! / count / 255,
      nh ? th / nh / 255 : 0,
      nv ? tv / nv / 255 : 0,
    ],
    pixels: count,
  };
}

const prototypeCache = new Map<number, number[]>();

/** The feature vector of mode `mode`, measured on a 48x48 patch of its pattern. */
export function modePrototype(mode: number): number[] {
  let p = prototypeCache.get(mode);
  if (!p) {
    const s = 48;
    const img = newImage(s, s, 3);
    for (let y = 0; y < s; y++)
      for (let x = 0; x < s; x++) img.data.set(MODES[mode]!.color(x, y), 3 * (y * s + x));
    p = modeFeatures(img, new Uint8Array(s * s).fill(1)).features;
    prototypeCache.set(mode, p);
  }
  return p;
}

/**
 * Guesses which of the first `modes` patterns fills the object in an RGB image (0..255, HWC; for
 * network output use fromCHW first). `mask` marks the object (1) — by default every pixel that is not
 * near-white. Returns mode -1 when there are no object pixels.
 */
export function classifyMode(
  img: RGBImage,
  mask?: Uint8Array | null,
  modes = 4,
): { mode: number; distance: number; pixels: number } {
  const { features, pixels } = modeFeatures(img, mask);
  if (pixels === 0) return { mode: -1, distance: Number.POSITIVE_INFINITY, pixels };
  let best = -1;
  let bestD = Number.POSITIVE_INFINITY;
  for (let k = 0; k < Math.min(modes, MODES.length); k++) {
    const p = modePrototype(k);
    let d = 0;
    for (let j = 0; j < p.length; j++) d += (features[j]! - p[j]!) ** 2;
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return { mode: best, distance: Math.sqrt(bestD), pixels };
}
