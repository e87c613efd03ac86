// The aligned (pix2pix / BicycleGAN) data set on disk: dataroot/<phase>/*.{jpg,jpeg,png}, each file
// A|B side by side (A left). Node side: lists files and feeds batches, decoding on worker threads and
// prefetching ahead of the consumer.
//
// Determinism: the order of epoch e is a permutation drawn from (seed, e); the crop and flip of item i
// in epoch e are drawn from (seed, e, i). Nothing depends on batch size, prefetching or timing, so a
// resumed run (same seed, same epoch) sees the same data in the same order.

import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { type BadImage, findBadImages } from './headers.ts';
import { DecodePool } from './pool.ts';
import { permutation, rngFor } from './rng.ts';
import {
  type AlignedItem,
  type AlignedTransformSpec,
  augmentDraw,
  checkTransformSpec,
  type Direction,
  type Preprocess,
} from './transform.ts';

/** Options of AlignedDataset.open: where the images are and the reference's preprocessing. */
export interface AlignedOptions {
  dataroot: string;
  /** Sub-folder of dataroot (default 'train'). */
  phase?: string;
  direction?: Direction;
  /** Channels of the network input (1: grayscale, as the edges2shoes recipe). Default 3. */
  inputNc?: 1 | 3;
  outputNc?: 1 | 3;
  /** Resize target (default 286, as the reference). */
  loadSize?: number;
  /** Random crop size (default 256). */
  cropSize?: number;
  noFlip?: boolean;
  preprocess?: Preprocess;
  /** Seed of the shuffling and augmentation (default 0). */
  seed?: number;
  /** Only the first N files in sorted order (the reference's max_dataset_size). */
  maxDatasetSize?: number;
  /** Decode worker threads (default 1 on machines with <= 2 cores, else 2; 0: main thread). */
  workers?: number;
  /** Batches decoded ahead of the one being consumed (default 2). */
  prefetch?: number;
  /**
   * Check every file's header and end first (headers.ts: a few bytes each, no decoding): 'error'
   * throws naming the bad files, 'skip' leaves them out (listed in `skipped`). Default: no check.
   */
  checkImages?: 'error' | 'skip';
}

/** One batch of an AlignedDataset: A and B as NCHW float32 in [-1, 1] with their shapes and files. */
export interface AlignedBatch {
  /** NCHW float32 in [-1, 1]: the network input. */
  A: Float32Array;
  /** NCHW float32 in [-1, 1]: the target. */
  B: Float32Array;
  shapeA: [number, number, number, number];
  shapeB: [number, number, number, number];
  paths: string[];
  /** Indices into `paths` of the data set (sorted file order). */
  indices: number[];
  epoch: number;
  /** Position of this batch in the epoch. */
  batchIndex: number;
}

/** Options of AlignedDataset.batches: order, last batch, parity and the resume position. */
export interface BatchOptions {
  /** Shuffle with the (seed, epoch) permutation (default true; false = the reference's serial_batches). */
  shuffle?: boolean;
  /** Skip a last incomplete batch (default true; the reference trains only on full batches). */
  dropLast?: boolean;
  /** Require an even batch size (BicycleGAN splits every batch into two halves). */
  even?: boolean;
  /** First batch to produce, for resuming inside an epoch (default 0). */
  start?: number;
}

const IMAGE_EXT = /\.(jpe?g|png)$/i;

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

/** Sorted image files (*.jpg, *.jpeg, *.png, any case) of one folder, as full paths. */
export async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && IMAGE_EXT.test(e.name))
    .map((e) => join(dir, e.name))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Throws a clear error when `batchSize` is not a positive integer, exceeds the data set, or is odd
 * while `even` is asked for (BicycleGAN's batch is split into cVAE-GAN and cLR-GAN halves).
 */
export function validateBatchSize(
  batchSize: number,
  datasetSize: number,
  opts: { even?: boolean; where?: string } = {},
): void {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  }
  if (opts.even && batchSize % 2 !== 0) {
    throw new Error(
      `batch size ${batchSize} is odd; BicycleGAN splits each batch into two halves (cVAE-GAN and cLR-GAN), so it must be even`,
    );
  }
  if (batchSize > datasetSize) {
    const where = opts.where ? ` in ${opts.where}` : '';
    throw new Error(`batch size ${batchSize} is larger than the data set (${datasetSize} images${where})`);
  }
}

/**
 * An aligned (A|B side by side) image folder as batches: `await AlignedDataset.open(opts)`, then
 * `batches(epoch, batchSize)`; see AlignedOptions. Node only.
 */
export class AlignedDataset {
  readonly dir: string;
  readonly paths: readonly string[];
  readonly spec: AlignedTransformSpec;
  readonly seed: number;
  readonly prefetch: number;
  /** Files left out by `checkImages: 'skip'`, with their problems. */
  readonly skipped: readonly BadImage[];
  private pool: DecodePool;

  private constructor(
    dir: string,
    paths: string[],
    spec: AlignedTransformSpec,
    opts: AlignedOptions,
    skipped: BadImage[],
  ) {
    this.dir = dir;
    this.paths = paths;
    this.skipped = skipped;
    this.spec = spec;
    this.seed = opts.seed ?? 0;
    this.prefetch = opts.prefetch ?? 2;
    const workers = opts.workers ?? (availableParallelism() <= 2 ? 1 : 2);
    this.pool = new DecodePool(workers);
  }

  /** Checks the folder and lists its images; throws a message naming the problem. */
  static async open(opts: AlignedOptions): Promise<AlignedDataset> {
    const spec: AlignedTransformSpec = {
      direction: opts.direction ?? 'AtoB',
      inputNc: opts.inputNc ?? 3,
      outputNc: opts.outputNc ?? 3,
      loadSize: opts.loadSize ?? 286,
      cropSize: opts.cropSize ?? 256,
      noFlip: opts.noFlip ?? false,
      preprocess: opts.preprocess ?? 'resize_and_crop',
    };
    checkTransformSpec(spec);
    if (opts.prefetch !== undefined && !(Number.isInteger(opts.prefetch) && opts.prefetch >= 0)) {
      throw new Error(`prefetch must be an integer >= 0, got ${opts.prefetch}`);
    }
    const root = resolve(opts.dataroot);
    const rootStat = await statOrNull(root);
    if (!rootStat) throw new Error(`dataroot ${opts.dataroot} does not exist (resolved to ${root})`);
    if (!rootStat.isDirectory()) throw new Error(`dataroot ${opts.dataroot} is not a folder`);
    const phase = opts.phase ?? 'train';
    const dir = join(root, phase);
    const dirStat = await statOrNull(dir);
    if (!dirStat?.isDirectory()) {
      throw new Error(
        `dataroot ${opts.dataroot} has no '${phase}' folder (expected ${dir} holding A|B images)`,
      );
    }
    let paths = await listImages(dir);
    if (paths.length === 0) throw new Error(`no images in ${dir} (expected *.jpg, *.jpeg or *.png files)`);
    if (opts.maxDatasetSize !== undefined) paths = paths.slice(0, Math.max(0, opts.maxDatasetSize));
    if (paths.length === 0) throw new Error(`no images in ${dir} (maxDatasetSize ${opts.maxDatasetSize})`);
    let skipped: BadImage[] = [];
    if (opts.checkImages) {
      const bad = findBadImages(paths);
      if (bad.length && opts.checkImages === 'error') {
        const shown = bad.slice(0, 5).map((b) => `${b.path}: ${b.problem}`);
        if (bad.length > 5) shown.push(`... and ${bad.length - 5} more`);
        throw new Error(
          `${bad.length} of ${paths.length} images in ${dir} are truncated or corrupt:\n  ${shown.join('\n  ')}\n` +
            'Replace or remove them, or pass --skip_bad_images to train without them.',
        );
      }
      skipped = bad;
      const badPaths = new Set(bad.map((b) => b.path));
      paths = paths.filter((p) => !badPaths.has(p));
      if (paths.length === 0) throw new Error(`no usable images in ${dir}: all ${bad.length} are bad`);
    }
    return new AlignedDataset(dir, paths, spec, opts, skipped);
  }

  get length(): number {
    return this.paths.length;
  }

  /** Whether items are decoded on worker threads. */
  get threaded(): boolean {
    return this.pool.threaded;
  }

  /** The order of the data set's indices in `epoch` (a function of seed and epoch only). */
  order(epoch: number, shuffle = true): number[] {
    if (!shuffle) return Array.from({ length: this.length }, (_, i) => i);
    return permutation(this.length, rngFor(this.seed, 0x6f726472, epoch));
  }

  /** Batches per epoch. */
  numBatches(batchSize: number, dropLast = true): number {
    return dropLast ? Math.floor(this.length / batchSize) : Math.ceil(this.length / batchSize);
  }

  /** Item `index` (sorted file order) with the augmentation it gets in `epoch`. */
  async item(index: number, epoch = 0): Promise<AlignedItem & { path: string; index: number }> {
    if (!(Number.isInteger(index) && index >= 0 && index < this.length)) {
      throw new Error(`item index ${index} is out of range [0, ${this.length})`);
    }
    const path = this.paths[index]!;
    const item = await this.pool.run({ path, spec: this.spec, draw: augmentDraw(this.seed, epoch, index) });
    return { ...item, path, index };
  }

  private async loadBatch(epoch: number, batchIndex: number, indices: number[]): Promise<AlignedBatch> {
    const items = await Promise.all(
      indices.map((i) =>
        this.pool.run({ path: this.paths[i]!, spec: this.spec, draw: augmentDraw(this.seed, epoch, i) }),
      ),
    );
    const first = items[0]!;
    items.forEach((it, k) => {
      if (it.shapeA.join() !== first.shapeA.join() || it.shapeB.join() !== first.shapeB.join()) {
        throw new Error(
          `${this.paths[indices[k]!]} gives A [${it.shapeA}] B [${it.shapeB}] but ${this.paths[indices[0]!]} gives ` +
            `A [${first.shapeA}] B [${first.shapeB}]; images in one batch must have one size (use preprocess 'resize_and_crop')`,
        );
      }
    });
    const n = items.length;
    const sa = first.A.length;
    const sb = first.B.length;
    const A = new Float32Array(n * sa);
    const B = new Float32Array(n * sb);
    items.forEach((it, k) => {
      A.set(it.A, k * sa);
      B.set(it.B, k * sb);
    });
    return {
      A,
      B,
      shapeA: [n, ...first.shapeA],
      shapeB: [n, ...first.shapeB],
      paths: indices.map((i) => this.paths[i]!),
      indices,
      epoch,
      batchIndex,
    };
  }

  /**
   * The batches of `epoch`, decoded `prefetch` batches ahead on the worker pool: while the caller
   * works on batch i, batches i+1..i+prefetch are being read and decoded.
   */
  async *batches(epoch: number, batchSize: number, opts: BatchOptions = {}): AsyncGenerator<AlignedBatch> {
    validateBatchSize(batchSize, this.length, { even: opts.even, where: this.dir });
    const dropLast = opts.dropLast ?? true;
    const order = this.order(epoch, opts.shuffle ?? true);
    const count = this.numBatches(batchSize, dropLast);
    let next = opts.start ?? 0;
    if (!(Number.isInteger(next) && next >= 0)) throw new Error(`start must be an integer >= 0, got ${next}`);
    const inflight: Promise<AlignedBatch>[] = [];
    const fill = (limit: number) => {
      while (inflight.length < limit && next < count) {
        const b = next++;
        const p = this.loadBatch(
          epoch,
          b,
          order.slice(b * batchSize, Math.min((b + 1) * batchSize, order.length)),
        );
        p.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
        inflight.push(p);
      }
    };
    fill(1 + this.prefetch); // the batch to hand out first, and the ones after it
    while (inflight.length > 0 || next < count) {
      fill(1);
      const batch = await inflight.shift()!;
      fill(this.prefetch); // start decoding ahead before the caller gets this batch
      yield batch;
    }
  }

  /** Stops the decode workers. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
