// Boots a worker thread on a TypeScript entry: Node runs workers without the main thread's
// `--import tsx` loader, so register tsx here first (only when the entry is a .ts file).
import { workerData } from 'node:worker_threads';

const entry = workerData.entry;
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
