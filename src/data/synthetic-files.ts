// Writes the procedural data set (synthetic.ts) to disk in the aligned format, once:
//   root/train/00000.png ... root/val/00000.png ...   (each 2*size x size, A | B)
//   root/modes.json: the options, the mode and shape names, and the mode of every file's B.
// Generation happens in a temp folder next to root (every file fsynced) that is renamed into place, so
// a crash never leaves a half-written data set behind; a root whose modes.json records the same options
// is reused as is.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fsyncDir, writeFileDurable } from '../io/files.ts';
import { encodePNGCompressed } from './files.ts';
import { concatHorizontal } from './image.ts';
import { MODES, SHAPES, type ShapeKind, syntheticSample } from './synthetic.ts';

/**
 * Options of the synthetic data set on disk: image size, train/val counts, modes (fills per outline) and
 * seed.
 */
export interface SyntheticDatasetOptions {
  size?: number;
  train?: number;
  val?: number;
  modes?: number;
  seed?: number;
}

/** root/modes.json of a synthetic data set: its options and the mode and shape of every file. */
export interface SyntheticManifest {
  version: 1;
  options: Required<SyntheticDatasetOptions>;
  modeNames: string[];
  shapeNames: string[];
  /** 'train/00000.png' -> mode index of its B. */
  modes: Record<string, number>;
  /** 'train/00000.png' -> shape drawn. */
  shapes: Record<string, ShapeKind>;
}

function fullOptions(o: SyntheticDatasetOptions): Required<SyntheticDatasetOptions> {
  const opts = {
    size: o.size ?? 64,
    train: o.train ?? 200,
    val: o.val ?? 20,
    modes: o.modes ?? 4,
    seed: o.seed ?? 0,
  };
  for (const k of ['train', 'val'] as const) {
    if (!(Number.isInteger(opts[k]) && opts[k] >= 0))
      throw new Error(`synthetic: ${k} must be an integer >= 0`);
  }
  return opts;
}

function sameOptions(a: Required<SyntheticDatasetOptions>, b: Required<SyntheticDatasetOptions>): boolean {
  return (Object.keys(a) as (keyof typeof a)[]).every((k) => a[k] === b[k]);
}

async function readManifest(root: string): Promise<SyntheticManifest | null> {
  try {
    const m = JSON.parse(await readFile(join(root, 'modes.json'), 'utf8')) as SyntheticManifest;
    return m?.version === 1 && m.options ? m : null;
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The file name of sample `index` of `phase`, relative to the root. */
export function syntheticFileName(phase: string, index: number): string {
  return `${phase}/${String(index).padStart(5, '0')}.png`;
}

/**
 * Generates the synthetic data set under `root` unless `root/modes.json` already records the same
 * options; returns the manifest. A root generated with other options is replaced; a root that exists
 * without modes.json is left alone (error), since it is not ours.
 */
export async function ensureSyntheticDataset(
  root: string,
  options: SyntheticDatasetOptions = {},
): Promise<SyntheticManifest> {
  const opts = fullOptions(options);
  const dir = resolve(root);
  const existing = await readManifest(dir);
  if (existing && sameOptions(existing.options, opts)) return existing;
  if (!existing && (await exists(dir))) {
    throw new Error(
      `${root} exists but has no modes.json: not a synthetic data set, refusing to overwrite it`,
    );
  }
  const manifest: SyntheticManifest = {
    version: 1,
    options: opts,
    modeNames: MODES.slice(0, opts.modes).map((m) => m.name),
    shapeNames: [...SHAPES],
    modes: {},
    shapes: {},
  };
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${tag}`);
  await mkdir(tmp, { recursive: true });
  try {
    for (const [phase, count] of [
      ['train', opts.train],
      ['val', opts.val],
    ] as const) {
      await mkdir(join(tmp, phase), { recursive: true });
      for (let i = 0; i < count; i++) {
        const s = syntheticSample(phase, i, opts);
        const name = syntheticFileName(phase, i);
        writeFileDurable(join(tmp, name), encodePNGCompressed(concatHorizontal(s.A, s.B)));
        manifest.modes[name] = s.mode;
        manifest.shapes[name] = s.shape;
      }
      fsyncDir(join(tmp, phase));
    }
    writeFileDurable(join(tmp, 'modes.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    fsyncDir(tmp);
    if (existing) {
      // replace a set made with other options: move it aside first so the swap is one rename
      const old = join(dirname(dir), `.${basename(dir)}.old-${tag}`);
      await rename(dir, old);
      await rename(tmp, dir);
      await rm(old, { recursive: true, force: true });
    } else {
      try {
        await rename(tmp, dir);
      } catch (e) {
        // another process may have finished the same set first
        const other = await readManifest(dir);
        if (other && sameOptions(other.options, opts)) {
          await rm(tmp, { recursive: true, force: true });
          return other;
        }
        throw e;
      }
    }
    fsyncDir(dirname(dir));
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return manifest;
}
