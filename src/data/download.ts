// Downloads a pix2pix / BicycleGAN data set the way the official datasets/download_dataset.sh does:
// http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/<name>.tar.gz, unpacked into <dir>/<name>
// (the archive holds <name>/train, <name>/val, ...). Node side.
//
// It never hangs: no response headers within `connectTimeoutMs` or no bytes for `stallTimeoutMs`
// aborts with a message that says the machine may be offline. The archive is written to a .part file
// and renamed when complete; `tar -xzf` unpacks it.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The data sets the official script offers. */
export const DATASETS = [
  'edges2shoes',
  'edges2handbags',
  'facades',
  'maps',
  'night2day',
  'cityscapes',
] as const;
/** A data set name of the pix2pix authors' server (DATASETS). */
export type DatasetName = (typeof DATASETS)[number];

/** The URL of `<name>.tar.gz` on the pix2pix authors' server. */
export function datasetURL(name: string): string {
  return `http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/${name}.tar.gz`;
}

/** Options of downloadDataset: target folder, timeout and a mirror URL. */
export interface DownloadOptions {
  /** Folder that receives <name>/ (default ./datasets). */
  dir?: string;
  /** Override the archive's URL (tests, mirrors). Any name is then allowed. */
  url?: string;
  /** Give up when no response arrives within this time (default 15 s). */
  connectTimeoutMs?: number;
  /** Give up when the transfer stops for this long (default 60 s). */
  stallTimeoutMs?: number;
  /** Download again even when <dir>/<name> already has data. */
  force?: boolean;
  log?: (msg: string) => void;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause;
  if (cause?.code || cause?.message) return [cause.code, cause.message].filter(Boolean).join(': ');
  return err.message ?? String(e);
}

function untar(archive: string, into: string): Promise<void> {
  return new Promise((ok, fail) => {
    execFile('tar', ['-xzf', archive, '-C', into], { maxBuffer: 16 << 20 }, (e, _out, stderr) => {
      if (e) fail(new Error(`tar -xzf ${archive} failed: ${String(stderr).trim() || e.message}`));
      else ok();
    });
  });
}

/** Downloads and unpacks a data set; resolves to the folder <dir>/<name>. */
export async function downloadDataset(name: string, opts: DownloadOptions = {}): Promise<string> {
  if (!opts.url && !(DATASETS as readonly string[]).includes(name)) {
    throw new Error(`unknown data set '${name}'; available: ${DATASETS.join(', ')}`);
  }
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) throw new Error(`bad data set name '${name}'`);
  const log = opts.log ?? (() => {});
  const dir = resolve(opts.dir ?? 'datasets');
  const target = join(dir, name);
  if (!opts.force && ((await isDir(join(target, 'train'))) || (await isDir(join(target, 'val'))))) {
    log(`${target} already holds data; nothing to do (force to download again)`);
    return target;
  }
  const url = opts.url ?? datasetURL(name);
  const connectMs = opts.connectTimeoutMs ?? 15_000;
  const stallMs = opts.stallTimeoutMs ?? 60_000;
  const offline = `This machine may be offline: fetch ${url} elsewhere and unpack it into ${target} (it holds ${name}/train and ${name}/val).`;
  await mkdir(dir, { recursive: true });

  const ctrl = new AbortController();
  let timer = setTimeout(() => ctrl.abort(), connectMs);
  log(`downloading ${url}`);
  let res: Response;
  try {
    res = await fetch(url, { signal: ctrl.signal });
  } catch (e) {
    clearTimeout(timer);
    const why = ctrl.signal.aborted ? `no response within ${connectMs / 1000} s` : describe(e);
    throw new Error(`download ${name}: cannot reach ${url} (${why}). ${offline}`);
  }
  clearTimeout(timer);
  if (!res.ok || !res.body) {
    ctrl.abort();
    throw new Error(`download ${name}: ${url} answered HTTP ${res.status} ${res.statusText}`);
  }
  const total = Number(res.headers.get('content-length')) || 0;
  const part = join(dir, `${name}.tar.gz.part`);
  const archive = join(dir, `${name}.tar.gz`);
  const out = createWriteStream(part);
  const outDone = new Promise<void>((ok, fail) => {
    out.on('finish', ok);
    out.on('error', fail);
  });
  let received = 0;
  let lastLog = Date.now();
  try {
    const reader = res.body.getReader();
    for (;;) {
      timer = setTimeout(() => ctrl.abort(), stallMs);
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        const why = ctrl.signal.aborted ? `no data for ${stallMs / 1000} s` : describe(e);
        throw new Error(`download ${name}: transfer from ${url} failed after ${received} bytes (${why})`);
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) break;
      received += chunk.value.length;
      if (!out.write(chunk.value)) await new Promise<void>((ok) => out.once('drain', () => ok()));
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log(`  ${(received / 1e6).toFixed(1)} MB${total ? ` of ${(total / 1e6).toFixed(1)} MB` : ''}`);
      }
    }
    out.end();
    await outDone;
    if (total && received !== total) {
      throw new Error(`download ${name}: got ${received} bytes of ${total} from ${url}`);
    }
    await rename(part, archive);
  } catch (e) {
    out.destroy();
    await rm(part, { force: true });
    throw e;
  }
  log(`unpacking ${archive} into ${dir}`);
  try {
    await untar(archive, dir);
  } finally {
    await rm(archive, { force: true });
  }
  if (!(await isDir(target))) {
    throw new Error(`download ${name}: the archive from ${url} did not contain a folder '${name}/'`);
  }
  log(`done: ${target}`);
  return target;
}
