// Checkpoints of modules and optimizers as safetensors bytes (pure: no file system; browser-safe).
// Module file: one tensor per stateDict() name (parameters, then persistent buffers), so PyTorch's
// load_file gives a dict with PyTorch's names. Optimizer file: '<param>.exp_avg' and
// '<param>.exp_avg_sq' per stepped parameter, hyperparameters and steps as JSON in the metadata.
// Metadata values are strings; other values given are stored as JSON.
import type { AnyModule } from '../nn/module.ts';
import { checkStateDict, type HostTensor, throwLoadProblems } from '../nn/state-dict.ts';
import type { Adam, AdamStateDict } from '../optim/adam.ts';
import type { Tensor } from '../tensor.ts';
import { parse, serialize } from './safetensors.ts';

/**
 * The version of this library's checkpoint metadata (`format_version`); files of other versions are
 * refused.
 */
export const FORMAT_VERSION = '1';
const FORMAT_PREFIX = 'bicycle-webgpu/';
const MODULE_FORMAT = `${FORMAT_PREFIX}module`;
const ADAM_FORMAT = `${FORMAT_PREFIX}adam`;
const RESERVED = ['format', 'format_version', 'optimizer'];

/** Extra metadata: strings are stored as they are, anything else as JSON (epoch, step, options...). */
export type MetadataInput = Record<string, unknown>;

function stringify(metadata: MetadataInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (RESERVED.includes(k)) throw new Error(`checkpoint: metadata key '${k}' is reserved`);
    if (v === undefined) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

async function readAll(named: [string, Tensor][]): Promise<Record<string, HostTensor>> {
  const datas = await Promise.all(named.map(([, t]) => t.data()));
  const out: Record<string, HostTensor> = {};
  named.forEach(([name, t], i) => {
    out[name] = { shape: [...t.shape], data: datas[i] };
  });
  return out;
}

/** The module's state dict as safetensors bytes (reads the tensors back from the GPU). */
export async function moduleToBytes(module: AnyModule, metadata: MetadataInput = {}): Promise<Uint8Array> {
  const meta = { ...stringify(metadata), format: MODULE_FORMAT, format_version: FORMAT_VERSION };
  return serialize(await readAll(Object.entries(module.stateDict())), meta);
}

function checkFormat(meta: Record<string, string>, want: string, fileName: string): void {
  const fail = (msg: string): never => {
    throw new Error(`checkpoint ${fileName}: ${msg}`);
  };
  // Other writers' tags (safetensors.torch.save_file writes format 'pt'; numpy, flax, mlx their own) are
  // foreign files, accepted when names and shapes fit; one of ours of the other kind is refused.
  const ours = meta.format?.startsWith(FORMAT_PREFIX) ?? false;
  if (ours && meta.format !== want) fail(`holds '${meta.format}', expected '${want}'`);
  if (ours && meta.format_version !== undefined && meta.format_version !== FORMAT_VERSION) {
    fail(
      `format version ${meta.format_version} is not supported (this library reads version ${FORMAT_VERSION})`,
    );
  }
}

/** What loading a module checkpoint found: its metadata and, with strict: false, the names left out. */
export interface LoadedModule {
  /** The file's metadata (strings; JSON-encoded values need JSON.parse). */
  metadata: Record<string, string>;
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Loads safetensors bytes into a module. The bytes, the names and the shapes are all checked before any
 * parameter changes; errors name `fileName` and list every problem. Files of other writers (no format
 * tag, or safetensors.torch's 'pt') are accepted when their names and shapes fit.
 */
export function loadModuleBytes(
  module: AnyModule,
  bytes: Uint8Array,
  opts: { strict?: boolean; fileName?: string } = {},
): LoadedModule {
  const fileName = opts.fileName ?? '<bytes>';
  const { tensors, metadata } = parse(bytes, fileName);
  checkFormat(metadata, MODULE_FORMAT, fileName);
  const r = module.loadStateDict(tensors, { strict: opts.strict, source: fileName });
  return { metadata, ...r };
}

/** The optimizer's state as safetensors bytes. */
export async function optimizerToBytes(opt: Adam, metadata: MetadataInput = {}): Promise<Uint8Array> {
  const sd = opt.stateDict();
  const named: [string, Tensor][] = [];
  const steps: Record<string, number> = {};
  for (const [name, s] of Object.entries(sd.state)) {
    named.push([`${name}.exp_avg`, s.expAvg], [`${name}.exp_avg_sq`, s.expAvgSq]);
    steps[name] = s.step;
  }
  const meta = {
    ...stringify(metadata),
    format: ADAM_FORMAT,
    format_version: FORMAT_VERSION,
    optimizer: JSON.stringify({ type: 'Adam', groups: sd.groups, steps }),
  };
  return serialize(await readAll(named), meta);
}

/** Loads optimizer state from safetensors bytes; checks everything first, changes nothing on error. */
export function loadOptimizerBytes(
  opt: Adam,
  bytes: Uint8Array,
  opts: { fileName?: string } = {},
): { metadata: Record<string, string> } {
  const fileName = opts.fileName ?? '<bytes>';
  const fail = (msg: string): never => {
    throw new Error(`checkpoint ${fileName}: ${msg}`);
  };
  const { tensors, metadata } = parse(bytes, fileName);
  checkFormat(metadata, ADAM_FORMAT, fileName);
  if (metadata.optimizer === undefined) fail("no 'optimizer' metadata: not an optimizer checkpoint");
  let info: { type?: string; groups?: AdamStateDict['groups']; steps?: Record<string, number> } = {};
  try {
    info = JSON.parse(metadata.optimizer);
  } catch (e) {
    fail(`'optimizer' metadata is not valid JSON (${(e as Error).message})`);
  }
  if (info.type !== 'Adam') fail(`holds the state of optimizer ${JSON.stringify(info.type)}, expected Adam`);
  if (!info.steps || typeof info.steps !== 'object') fail("'optimizer' metadata has no steps");
  // Two tensors per stepped parameter, nothing else; their shapes are Adam's to check.
  const steps = info.steps ?? {};
  const expected: Record<string, null> = {};
  for (const name of Object.keys(steps)) expected[`${name}.exp_avg`] = expected[`${name}.exp_avg_sq`] = null;
  throwLoadProblems(`checkpoint ${fileName}`, checkStateDict(expected, tensors).problems);
  const state: AdamStateDict['state'] = {};
  for (const [name, step] of Object.entries(steps))
    state[name] = { step, expAvg: tensors[`${name}.exp_avg`], expAvgSq: tensors[`${name}.exp_avg_sq`] };
  opt.loadStateDict({ groups: info.groups ?? [], state }, { source: fileName });
  return { metadata };
}
