// Entry of a decode worker thread (started by pool.ts through worker-boot.mjs): loads aligned items
// and sends the float arrays back without copying (transferred buffers).
import { parentPort } from 'node:worker_threads';
import { type ItemTask, loadAlignedItem } from './aligned-item.ts';

const port = parentPort;
if (!port) throw new Error('decode-worker.ts must run in a worker thread');
port.on('message', async (msg: { id: number; task: ItemTask }) => {
  try {
    const item = await loadAlignedItem(msg.task);
    port.postMessage({ id: msg.id, item }, [item.A.buffer as ArrayBuffer, item.B.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ id: msg.id, error: (e as Error).message ?? String(e) });
  }
});
port.postMessage({ ready: true });
