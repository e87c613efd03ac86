// BicycleGAN checkpoints: one folder per tag (`latest`, `5`, ...) holding G, E, D, D2 and their Adam
// states as .safetensors, plus state.json (options, epoch, position in the epoch, random stream),
// written and loaded as any model's checkpoint folder (checkpoint-folder.ts: whole or not at all,
// checked before any weight changes), with the state checked against the model's options.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BicycleGAN, type BicycleGANOptions, DEFAULT_OPTIONS } from '../models/bicyclegan/model.ts';
import { MODEL_OPTIONS, modelOptionName } from './bicyclegan-options.ts';
import { loadNetworks, networkFiles, writeCheckpointFolder } from './checkpoint-folder.ts';
import type { OptionTable } from './options.ts';

export { checkpointDir, writeCheckpointFolder } from './checkpoint-folder.ts';

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
  const files: [string, Uint8Array | string][] = await networkFiles(model, meta);
  // state.json last: a folder holding it is whole.
  files.push(['state.json', `${JSON.stringify({ format: FORMAT, ...state }, null, 1)}\n`]);
  return files;
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
  loadNetworks(folder, model, opts);
  return state;
}
