// Checkpoint folders of any model made of named networks and Adam optimizers (BicycleGAN's G, E, D,
// D2; the examples' DCGAN and pix2pix G and D): one folder per tag (`latest`, `5`, ...) holding
// net_<name>.safetensors, opt_<name>.safetensors and state.json. A folder is written next to its final
// place (every file fsynced, through io/files.ts) and swapped in by rename, so a kill at any step of a
// save leaves the previous checkpoint or the new one whole (writeCheckpointFolder); a swap interrupted
// between its two renames is recovered from `<tag>.old`, which the next save keeps until its own folder
// is in place. Loading checks every file before it changes any weight (loadNetworks).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadModuleBytes,
  loadOptimizerBytes,
  type MetadataInput,
  moduleToBytes,
  optimizerToBytes,
} from '../io/checkpoint.ts';
import { fsyncDir, readFileBytes, writeFileDurable } from '../io/files.ts';
import { parse } from '../io/safetensors.ts';
import type { AnyModule } from '../nn/module.ts';
import { checkStateDict, shapesOf } from '../nn/state-dict.ts';
import type { Adam } from '../optim/adam.ts';

/** What a checkpoint folder holds of a model: its networks and optimizers, by name. */
export interface Checkpointable {
  networks(): [string, AnyModule][];
  optimizers(): [string, Adam][];
}

/** A Checkpointable of named networks and optimizers: `checkpointable({ G, D }, { G: optG, D: optD })`. */
export function checkpointable(
  networks: Record<string, AnyModule>,
  optimizers: Record<string, Adam> = {},
): Checkpointable {
  return { networks: () => Object.entries(networks), optimizers: () => Object.entries(optimizers) };
}

/** The weight and optimizer files of a checkpoint folder (read back from the GPU; no file is touched). */
export async function networkFiles(
  model: Checkpointable,
  meta: MetadataInput,
): Promise<[string, Uint8Array][]> {
  const files: [string, Uint8Array][] = [];
  for (const [name, net] of model.networks())
    files.push([`net_${name}.safetensors`, await moduleToBytes(net, { ...meta, net: name })]);
  for (const [name, opt] of model.optimizers())
    files.push([`opt_${name}.safetensors`, await optimizerToBytes(opt, meta)]);
  return files;
}

/**
 * Writes `files` as checkpoint folder `<dir>/<tag>`, safe against a kill at any step (tested by failing
 * every file-system call of a save in turn): the folder is written as a temp folder next to its place
 * (each file and the folder fsynced) and swapped in by renames, and at every moment `<tag>` or
 * `<tag>.old` holds a whole checkpoint (checkpointDir finds it; a folder holding state.json is whole,
 * so state.json goes last):
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
  if (files.at(-1)?.[0] !== 'state.json')
    throw new Error('writeCheckpointFolder: state.json must be the last file (it marks a whole folder)');
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

/**
 * Loads a checkpoint folder's networks (and optimizers unless `weightsOnly`) into `model`. Every file
 * is read, parsed and matched against its network (names and shapes) before any weight changes, so a
 * corrupt or mismatched checkpoint fails with all its problems and leaves the model as it was.
 */
export function loadNetworks(
  folder: string,
  model: Checkpointable,
  opts: { weightsOnly?: boolean } = {},
): void {
  const problems: string[] = [];
  const read = (file: string): Uint8Array | null => {
    try {
      return readFileBytes(file);
    } catch (e) {
      problems.push((e as Error).message);
      return null;
    }
  };
  const nets = model.networks().map(([name, net]) => {
    const file = join(folder, `net_${name}.safetensors`);
    const bytes = read(file);
    if (bytes) {
      try {
        const { tensors } = parse(bytes, file);
        const { missingKeys, unexpectedKeys, mismatches } = checkStateDict(
          shapesOf(net.stateDict()),
          tensors,
        );
        if (missingKeys.length) problems.push(`${file}: missing ${missingKeys.join(', ')}`);
        if (unexpectedKeys.length) problems.push(`${file}: unexpected ${unexpectedKeys.join(', ')}`);
        for (const m of mismatches)
          problems.push(`${file}: ${m.key} has shape [${m.got}], the model [${m.expected}]`);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    return { net, file, bytes };
  });
  const optimizers = opts.weightsOnly
    ? []
    : model.optimizers().map(([name, opt]) => {
        const file = join(folder, `opt_${name}.safetensors`);
        const bytes = read(file);
        if (bytes) {
          try {
            parse(bytes, file);
          } catch (e) {
            problems.push((e as Error).message);
          }
        }
        return { opt, file, bytes };
      });
  if (problems.length) {
    throw new Error(`cannot load checkpoint ${folder} (nothing was changed):\n  ${problems.join('\n  ')}`);
  }
  for (const { net, file, bytes } of nets) loadModuleBytes(net, bytes as Uint8Array, { fileName: file });
  for (const { opt, file, bytes } of optimizers)
    loadOptimizerBytes(opt, bytes as Uint8Array, { fileName: file });
}

/**
 * Saves `model` and a JSON `state` (the Trainer's counters and whatever else a resume needs) as
 * checkpoint `<dir>/<tag>`, whole or not at all (writeCheckpointFolder). For any GAN built on the
 * library; BicycleGAN's checkpoints (checkpoint.ts) are this with a checked state.
 */
export async function saveModelCheckpoint(
  dir: string,
  tag: string,
  model: Checkpointable,
  state: object,
): Promise<string> {
  const files: [string, Uint8Array | string][] = await networkFiles(model, {});
  files.push(['state.json', `${JSON.stringify(state, null, 1)}\n`]);
  return writeCheckpointFolder(dir, tag, files);
}

/** The state.json of checkpoint `<dir>/<tag>` (after an interrupted swap, of `<tag>.old`), parsed. */
export function readCheckpointState<S = Record<string, unknown>>(dir: string, tag: string): S {
  const path = join(checkpointDir(dir, tag), 'state.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read checkpoint state ${path}: ${(e as Error).message}`);
  }
}

/** Loads checkpoint `<dir>/<tag>` written by saveModelCheckpoint into `model`; returns its state. */
export function loadModelCheckpoint<S = Record<string, unknown>>(
  dir: string,
  tag: string,
  model: Checkpointable,
): { state: S; folder: string } {
  const folder = checkpointDir(dir, tag);
  const state = readCheckpointState<S>(dir, tag);
  loadNetworks(folder, model);
  return { state, folder };
}
