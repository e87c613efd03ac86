// BicycleGAN checkpoints: one folder per tag (`latest`, `5`, ...) holding G, E, D, D2 and their Adam
// states as .safetensors, plus state.json (options, epoch, position in the epoch, random stream).
// A folder is written next to its final place (every file fsynced, through io/files.ts) and swapped in
// by rename, so a kill at any step of a save leaves the previous checkpoint or the new one whole (see
// writeCheckpointFolder); a swap interrupted between its two renames is recovered from `<tag>.old`,
// which the next save keeps until its own folder is in place. Temp folders of crashed saves are removed
// by the next save.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadModuleBytes, loadOptimizerBytes, moduleToBytes, optimizerToBytes } from '../io/checkpoint.ts';
import { fsyncDir, readFileBytes, writeFileDurable } from '../io/files.ts';
import { parse } from '../io/safetensors.ts';
import { type BicycleGAN, type BicycleGANOptions, DEFAULT_OPTIONS } from '../models/bicyclegan/model.ts';
import { checkStateDict, shapesOf } from '../nn/state-dict.ts';
import { MODEL_OPTIONS, modelOptionName } from './bicyclegan-options.ts';
import type { OptionTable } from './options.ts';

/** The options of a command that reads one checkpoint of a run (examples/sample.ts, evaluate.ts). */
export const CHECKPOINT_OPTIONS = {
  run: { type: 'string', demand: true, describe: 'a training run folder (with checkpoints/)' },
  epoch: { type: 'string', default: 'latest', describe: 'checkpoint tag: latest or an epoch number' },
} as const satisfies OptionTable;

export interface TrainState {
  /** The epoch to run next (1-based, as the reference's epoch counter). */
  epoch: number;
  /** The batch of that epoch to run next (0 = its start). */
  batch: number;
  /** Iterations done so far. */
  iter: number;
  /** Position of the global random stream (z draws, dropout masks). */
  rng: number;
  model: BicycleGANOptions;
  /** The training options the run was started with (for the record and for sampling). */
  train?: Record<string, unknown>;
}

const FORMAT = 'bicyclegan-webgpu/1';

export async function saveCheckpoint(
  dir: string,
  tag: string,
  model: BicycleGAN,
  state: TrainState,
): Promise<string> {
  return writeCheckpointFolder(dir, tag, await checkpointFiles(model, state));
}

/** The files of a checkpoint folder, by name (read back from the GPU; no file is touched). */
export async function checkpointFiles(
  model: BicycleGAN,
  state: TrainState,
): Promise<[string, Uint8Array | string][]> {
  const meta = {
    checkpoint: FORMAT,
    epoch: state.epoch,
    iter: state.iter,
    options: JSON.stringify(model.opts),
  };
  const files: [string, Uint8Array | string][] = [];
  for (const [name, net] of model.networks())
    files.push([`net_${name}.safetensors`, await moduleToBytes(net, { ...meta, net: name })]);
  for (const [name, opt] of model.optimizers())
    files.push([`opt_${name}.safetensors`, await optimizerToBytes(opt, meta)]);
  // state.json last: a folder holding it is whole.
  files.push(['state.json', `${JSON.stringify({ format: FORMAT, ...state }, null, 1)}\n`]);
  return files;
}

/**
 * Writes `files` as checkpoint folder `<dir>/<tag>`, safe against a kill at any step (tested by failing
 * every file-system call of a save in turn): the folder is written as a temp folder next to its place
 * (each file and the folder fsynced) and swapped in by renames, and at every moment `<tag>` or
 * `<tag>.old` holds a whole checkpoint (checkpointDir finds it):
 *   1. remove temp folders of crashed saves, write and fsync the temp folder;
 *   2. if `<tag>` is whole: remove a stale `<tag>.old`, rename `<tag>` to `<tag>.old` (atomic);
 *      else (a swap was killed between its renames: `<tag>.old` is the only whole copy, the recovery
 *      case) remove what is at `<tag>` and keep `<tag>.old` as it is;
 *   3. rename the temp folder to `<tag>` (atomic) and fsync `dir`;
 *   4. remove `<tag>.old` (`<tag>` is whole now, so a kill during the removal harms nothing).
 */
export function writeCheckpointFolder(
  dir: string,
  tag: string,
  files: [string, Uint8Array | string][],
): string {
  mkdirSync(dir, { recursive: true });
  removeOrphans(dir, tag);
  const final = join(dir, tag);
  const tmp = join(dir, `.${tag}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  for (const [name, data] of files) writeFileDurable(join(tmp, name), data);
  fsyncDir(tmp);
  const old = `${final}.old`;
  if (existsSync(join(final, 'state.json'))) {
    rmSync(old, { recursive: true, force: true });
    renameSync(final, old);
  } else rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  fsyncDir(dir);
  rmSync(old, { recursive: true, force: true });
  return final;
}

/** Removes temp folders of `tag` left by saves that crashed (another process id: never a live save). */
function removeOrphans(dir: string, tag: string): void {
  const prefix = `.${tag}.tmp-`;
  for (const f of readdirSync(dir))
    if (f.startsWith(prefix) && f !== `${prefix}${process.pid}`)
      rmSync(join(dir, f), { recursive: true, force: true });
}

/** The folder of a checkpoint tag, falling back to `<tag>.old` after an interrupted swap. */
export function checkpointDir(dir: string, tag: string): string {
  const final = join(dir, tag);
  if (existsSync(join(final, 'state.json'))) return final;
  if (existsSync(join(`${final}.old`, 'state.json'))) return `${final}.old`;
  throw new Error(`no checkpoint '${tag}' in ${dir} (expected ${join(final, 'state.json')})`);
}

/** The JS type of a model option's value, from its entry in the option table ('string' if none). */
function optionType(key: keyof BicycleGANOptions): 'number' | 'string' | 'boolean' {
  const spec = (MODEL_OPTIONS as OptionTable)[modelOptionName(key)];
  return spec?.type === 'int' ? 'number' : (spec?.type ?? 'string');
}

/** Reads and checks a checkpoint folder's state.json (counters and model options), naming the file. */
export function readState(folder: string): TrainState {
  const path = join(folder, 'state.json');
  let s: TrainState & { format?: string };
  try {
    s = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read checkpoint state ${path}: ${(e as Error).message}`);
  }
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error(`${path}: not a JSON object`);
  if (s.format !== FORMAT) throw new Error(`${path}: not a checkpoint of this library (format ${s.format})`);
  const problems: string[] = [];
  for (const [k, min] of [
    ['epoch', 1],
    ['batch', 0],
    ['iter', 0],
    ['rng', Number.MIN_SAFE_INTEGER],
  ] as const) {
    const v = s[k];
    if (v === undefined) problems.push(`field '${k}' is missing`);
    else if (!Number.isInteger(v) || v < min) {
      problems.push(
        `field '${k}' must be an integer${min > Number.MIN_SAFE_INTEGER ? ` >= ${min}` : ''}, got ${JSON.stringify(v)}`,
      );
    }
  }
  if (typeof s.model !== 'object' || s.model === null)
    problems.push(`field 'model' (the model options) is missing`);
  else {
    // Every option of the networks and losses, with the type of its default.
    for (const [k, d] of Object.entries(DEFAULT_OPTIONS)) {
      const v = (s.model as unknown as Record<string, unknown>)[k];
      // Options without a default (normE, normD: "as --norm"; lrD: "as --lr") may be absent.
      if (d === undefined) {
        const type = optionType(k as keyof BicycleGANOptions);
        if (v !== undefined && typeof v !== type)
          problems.push(`field 'model.${k}' must be a ${type}, got ${JSON.stringify(v)}`);
      } else if (v === undefined) problems.push(`field 'model.${k}' is missing`);
      else if (typeof v !== typeof d) {
        problems.push(`field 'model.${k}' must be a ${typeof d}, got ${JSON.stringify(v)}`);
      }
    }
  }
  if (problems.length) throw new Error(`${path}: not a usable checkpoint state: ${problems.join('; ')}`);
  return s;
}

/**
 * Loads networks (and optimizers unless `weightsOnly`) from a checkpoint folder into `model`. Every file
 * is read, parsed and matched against its network (names and shapes) before any weight changes, so a
 * corrupt or mismatched checkpoint fails with all its problems and leaves the model as it was.
 */
export function loadCheckpoint(
  folder: string,
  model: BicycleGAN,
  opts: { weightsOnly?: boolean } = {},
): TrainState {
  const state = readState(folder);
  const nets = model.networks().map(([name, net]) => {
    const file = join(folder, `net_${name}.safetensors`);
    return { net, file, bytes: readFileBytes(file) };
  });
  const problems: string[] = [];
  for (const { net, file, bytes } of nets) {
    try {
      const { tensors } = parse(bytes, file);
      const { missingKeys, unexpectedKeys, mismatches } = checkStateDict(shapesOf(net.stateDict()), tensors);
      if (missingKeys.length) problems.push(`${file}: missing ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) problems.push(`${file}: unexpected ${unexpectedKeys.join(', ')}`);
      for (const m of mismatches)
        problems.push(`${file}: ${m.key} has shape [${m.got}], the model [${m.expected}]`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const optimizers = opts.weightsOnly
    ? []
    : model.optimizers().map(([name, opt]) => {
        const file = join(folder, `opt_${name}.safetensors`);
        const bytes = readFileBytes(file);
        try {
          parse(bytes, file);
        } catch (e) {
          problems.push((e as Error).message);
        }
        return { opt, file, bytes };
      });
  if (problems.length) {
    throw new Error(`cannot load checkpoint ${folder} (nothing was changed):\n  ${problems.join('\n  ')}`);
  }
  for (const { net, file, bytes } of nets) loadModuleBytes(net, bytes, { fileName: file });
  for (const { opt, file, bytes } of optimizers) loadOptimizerBytes(opt, bytes, { fileName: file });
  return state;
}
