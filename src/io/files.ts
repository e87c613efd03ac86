// Node-only file helpers: durable writes for everything this library saves, and checkpoint files of
// modules and optimizers. The library's index does not re-export this file (the core stays
// browser-safe): it is part of the Node-only subpath `bicycle-webgpu/node` (src/node.ts).
// writeFileAtomic writes a temporary file in the same folder, fsyncs it, renames it over the target and
// fsyncs the folder, so a crash leaves either the old file or the new one, whole. Files written into
// a temporary folder that is renamed into place later use writeFileDurable and fsyncDir instead.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AnyModule } from '../nn/module.ts';
import type { Adam } from '../optim/adam.ts';
import {
  type LoadedModule,
  loadModuleBytes,
  loadOptimizerBytes,
  type MetadataInput,
  moduleToBytes,
  optimizerToBytes,
} from './checkpoint.ts';

let seq = 0;

/**
 * Writes `data` to a new file at `path` (replacing one there) and fsyncs it before returning; the
 * caller makes the name durable (rename + fsyncDir). On error the partial file may remain.
 */
export function writeFileDurable(path: string, data: Uint8Array | string): void {
  writeSynced(path, data, 'w');
}

function writeSynced(path: string, data: Uint8Array | string, flags: 'w' | 'wx'): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const fd = openSync(path, flags, 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Fsyncs a folder, making renames and new names in it durable. Platforms that cannot fsync a folder
 * (EINVAL, EISDIR, EPERM) are skipped: the files' data is synced anyway.
 */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (e) {
    if (isUnsupported(e)) return;
    throw e;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    if (!isUnsupported(e)) throw e;
  } finally {
    closeSync(fd);
  }
}

function isUnsupported(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EINVAL' || code === 'EISDIR' || code === 'EPERM';
}

/**
 * Replaces `path` with `data` atomically: a temporary file in the same folder is written and fsynced,
 * renamed over the target, and the folder is fsynced. On any error the temporary file is removed and
 * the error names `path`; an error before the rename leaves the old file (if any) as it was. The folder
 * must exist.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.${seq++}.tmp`);
  try {
    writeSynced(tmp, data, 'wx');
    renameSync(tmp, path);
    fsyncDir(dir);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/** The whole file, with errors that name it. */
export function readFileBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
}

/** Saves the module's parameters and buffers (by PyTorch-style names) and metadata to a .safetensors file. */
export async function saveModule(
  module: AnyModule,
  path: string,
  metadata: MetadataInput = {},
): Promise<void> {
  writeFileAtomic(path, await moduleToBytes(module, metadata));
}

/**
 * Loads a .safetensors file into the module. A truncated or corrupt file, or one of another
 * architecture, fails with an error naming the file and every problem, and changes nothing.
 */
export function loadModule(module: AnyModule, path: string, opts: { strict?: boolean } = {}): LoadedModule {
  return loadModuleBytes(module, readFileBytes(path), { strict: opts.strict, fileName: path });
}

/** Saves Adam's state (steps, moments, hyperparameters) to its own .safetensors file. */
export async function saveOptimizer(opt: Adam, path: string, metadata: MetadataInput = {}): Promise<void> {
  writeFileAtomic(path, await optimizerToBytes(opt, metadata));
}

/** Loads an Adam state file into `opt` (checked first; nothing changes on error); returns its metadata. */
export function loadOptimizer(opt: Adam, path: string): { metadata: Record<string, string> } {
  return loadOptimizerBytes(opt, readFileBytes(path), { fileName: path });
}
