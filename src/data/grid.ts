// Image grids for training samples (pure: no Node imports; files.ts writes them to disk).
// A grid is rows x cols of CHW float images in [-1, 1] (1 or 3 channels), separated by a small gap.
// Typical BicycleGAN rows: input A, real B, B encoded from the real B, then random-z samples.
import { encodePNG, newImage, type RGBImage } from './image.ts';

/** One CHW image in [-1, 1]. */
export interface GridCell {
  data: ArrayLike<number>;
  channels: 1 | 3;
  height: number;
  width: number;
}

/** A batch [n, c, h, w] as a data array plus shape (what a tensor's `.data()` and `.shape` give). */
export interface GridBatch {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/** Layout of a sample grid: padding between cells and its colour. */
export interface GridOptions {
  /** Pixels between cells and around the border (default 2). */
  gap?: number;
  /** Gray level 0..255 of the gap (default 255, white). */
  background?: number;
}

/** Splits an NCHW batch into cells (1- or 3-channel). */
export function batchCells(batch: GridBatch): GridCell[] {
  const [n, c, h, w] = batch.shape;
  if (batch.shape.length !== 4 || (c !== 1 && c !== 3)) {
    throw new Error(`grid: a batch must be [n, 1 or 3, h, w], got [${batch.shape.join(', ')}]`);
  }
  const size = c * h! * w!;
  if (batch.data.length !== n! * size) {
    throw new Error(
      `grid: batch [${batch.shape.join(', ')}] needs ${n! * size} values, got ${batch.data.length}`,
    );
  }
  const cells: GridCell[] = [];
  for (let i = 0; i < n!; i++) {
    const data =
      batch.data instanceof Float32Array
        ? batch.data.subarray(i * size, (i + 1) * size)
        : Float32Array.from({ length: size }, (_, j) => batch.data[i * size + j]!);
    cells.push({ data, channels: c, height: h!, width: w! });
  }
  return cells;
}

/**
 * Composes rows of cells into one RGB image. Rows may have different lengths and cells different
 * sizes: each column is as wide as its widest cell, each row as high as its highest; cells sit at the
 * top-left of their slot. Gray cells are replicated to RGB. Values are mapped by round((x+1)/2*255).
 */
export function composeGrid(rows: readonly (readonly GridCell[])[], opts: GridOptions = {}): RGBImage {
  const gap = opts.gap ?? 2;
  const bg = opts.background ?? 255;
  if (rows.length === 0 || rows.every((r) => r.length === 0)) throw new Error('grid: no images');
  const cols = Math.max(...rows.map((r) => r.length));
  const colW = new Array<number>(cols).fill(0);
  const rowH = rows.map((r) => Math.max(0, ...r.map((c) => c.height)));
  for (const r of rows) r.forEach((c, j) => (colW[j] = Math.max(colW[j]!, c.width)));
  const width = gap + colW.reduce((s, w) => s + w + gap, 0);
  const height = gap + rowH.reduce((s, h) => s + h + gap, 0);
  const out = newImage(width, height, 3, bg);
  let y0 = gap;
  rows.forEach((r, i) => {
    let x0 = gap;
    r.forEach((cell, j) => {
      const { channels: c, height: h, width: w, data } = cell;
      if (data.length < c * h * w) throw new Error(`grid: cell (${i}, ${j}) needs ${c * h * w} values`);
      const plane = h * w;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const o = ((y0 + y) * width + x0 + x) * 3;
          for (let k = 0; k < 3; k++) {
            const v = data[(c === 1 ? 0 : k) * plane + y * w + x]!;
            const u = ((v + 1) / 2) * 255;
            out.data[o + k] = u <= 0 ? 0 : u >= 255 ? 255 : Number.isNaN(u) ? 0 : Math.round(u);
          }
        }
      }
      x0 += colW[j]! + gap;
    });
    y0 += rowH[i]! + gap;
  });
  return out;
}

/** A grid whose rows are NCHW batches (one image per column). */
export function composeBatchGrid(rows: readonly GridBatch[], opts: GridOptions = {}): RGBImage {
  return composeGrid(rows.map(batchCells), opts);
}

/** PNG bytes of a grid of batches (stored deflate unless `deflate` is given). */
export function gridPNG(
  rows: readonly GridBatch[],
  opts: GridOptions & { deflate?: (raw: Uint8Array) => Uint8Array } = {},
): Uint8Array {
  return encodePNG(composeBatchGrid(rows, opts), { deflate: opts.deflate });
}
