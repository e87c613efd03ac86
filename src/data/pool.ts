// A small pool of worker threads that load aligned items off the main thread, so JPEG decoding and
// resizing overlap the training step. Size 0 loads on the main thread (still asynchronous file reads).
// Workers are ref'd only while they hold a task, so an idle pool never keeps the process alive.
// If a worker cannot start or dies, its tasks (and all later ones) run on the main thread instead,
// with one warning.
import { Worker } from 'node:worker_threads';
import { type ItemTask, loadAlignedItem } from './aligned-item.ts';
import type { AlignedItem } from './transform.ts';

interface Pending {
  id: number;
  task: ItemTask;
  resolve: (item: AlignedItem) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const BOOT = new URL('./worker-boot.mjs', import.meta.url);
const ENTRY = new URL(`./decode-worker${ext}`, import.meta.url).href;

export class DecodePool {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private degraded = false;
  private closed = false;

  constructor(readonly size: number) {
    if (!(Number.isInteger(size) && size >= 0))
      throw new Error(`workers must be an integer >= 0, got ${size}`);
    for (let i = 0; i < size; i++) this.spawn();
  }

  /** Whether tasks run on worker threads (false: main thread). */
  get threaded(): boolean {
    return this.slots.length > 0 && !this.degraded;
  }

  private spawn(): void {
    const worker = new Worker(BOOT, { workerData: { entry: ENTRY } });
    const slot: Slot = { worker, busy: null };
    worker.unref();
    worker.on('message', (msg: { id?: number; item?: AlignedItem; error?: string; ready?: boolean }) => {
      if (msg.ready) return;
      const p = slot.busy;
      if (!p || p.id !== msg.id) return;
      slot.busy = null;
      worker.unref();
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.item!);
      this.pump();
    });
    worker.on('error', (e) => this.fail(slot, e));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(slot, new Error(`decode worker exited with code ${code}`));
    });
    this.slots.push(slot);
  }

  private fail(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    if (!this.degraded) {
      this.degraded = true;
      console.warn(`data: decode worker failed (${e.message}); loading on the main thread instead`);
    }
    for (const s of this.slots) void s.worker.terminate();
    const orphans = [slot.busy, ...this.slots.map((s) => s.busy)].filter((p): p is Pending => p !== null);
    this.slots = [];
    for (const p of [...orphans, ...this.queue.splice(0)]) this.runLocal(p);
  }

  private runLocal(p: Pending): void {
    loadAlignedItem(p.task).then(p.resolve, p.reject);
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.worker.ref();
      slot.worker.postMessage({ id: p.id, task: p.task });
    }
  }

  /** Loads one item (on a worker when there is one). */
  run(task: ItemTask): Promise<AlignedItem> {
    if (this.closed) return Promise.reject(new Error('the data loader is closed'));
    return new Promise<AlignedItem>((resolve, reject) => {
      const p: Pending = { id: this.nextId++, task, resolve, reject };
      if (!this.threaded) this.runLocal(p);
      else {
        this.queue.push(p);
        this.pump();
      }
    });
  }

  /** Stops the workers; pending tasks are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('the data loader was closed');
    for (const p of [...this.slots.map((s) => s.busy), ...this.queue]) p?.reject(err);
    this.queue = [];
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }
}
