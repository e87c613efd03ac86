// Node-only: checkpoint files on disk. This is the one src file that imports node:*; the library's
// index does not re-export it, so browser bundles never see it. Import it directly:
//   import { saveModule, loadModule } from './src/io/files.ts';
// Writes are atomic: a temporary file in the same directory is written and fsynced, renamed over the
// target, and the directory is fsynced, so a crash leaves either the old file or the new one.
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

/** Writes bytes to `path` atomically (temp file + fsync + rename + directory fsync). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.${seq++}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
  // Make the rename itself durable. Some platforms cannot fsync a directory; the data is safe anyway.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* not supported here */
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

export function loadOptimizer(opt: Adam, path: string): { metadata: Record<string, string> } {
  return loadOptimizerBytes(opt, readFileBytes(path), { fileName: path });
}
