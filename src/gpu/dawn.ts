// Node only: Dawn's WebGPU implementation from the `webgpu` package. Loaded lazily by device.ts when
// the host has no navigator.gpu, so browser bundles never reach this file.
import { availableParallelism } from 'node:os';
import { create, globals } from 'webgpu';

// Dawn frees its instance when this object is garbage-collected, even under live work, and the process
// then dies at random. Keep it reachable for the life of the process.
let instance: GPU | undefined;

export function dawnGPU(): GPU {
  if (!instance) {
    Object.assign(globalThis, globals);
    // Unquantised timestamps, so the profiler can time short passes.
    instance = create(['disable-dawn-features=timestamp_quantization']);
  }
  return instance;
}

/** The host's CPU threads (what lavapipe runs a dispatch on). */
export function hostThreads(): number {
  return availableParallelism();
}

// Atomics.wait needs an Int32Array over shared memory; nothing ever notifies it, so it is a sleep.
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));
// Sleeps between event-loop turns: short first (a small readback finishes within a turn or two),
// doubling to MAX_SLEEP_MS, which bounds the latency a wait adds once the work is done.
const FIRST_SLEEP_MS = 0.05;
const MAX_SLEEP_MS = 1;

/**
 * Awaits a promise of Dawn's (a buffer mapping, the queue's completion) without spinning a core.
 * While any such promise is pending, Dawn's Node binding re-queues its event processing with
 * setImmediate, so a plain await keeps the main thread at 100%; on a CPU driver that core is taken
 * from the threads running the shaders (2 cores: matmul 1024^3 8.1-9.6 -> 16.6-20.8 GFLOP/s without it).
 * This lets one event-loop turn run (Dawn processes its events, settled callbacks fire), then sleeps
 * the thread off the CPU, until the promise settles.
 */
export async function settleWithoutSpinning<T>(p: Promise<T>): Promise<T> {
  let pending = true;
  const done = () => {
    pending = false;
  };
  p.then(done, done);
  let sleep = FIRST_SLEEP_MS;
  for (;;) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!pending) return p;
    Atomics.wait(SLEEPER, 0, 0, sleep);
    sleep = Math.min(2 * sleep, MAX_SLEEP_MS);
  }
}
