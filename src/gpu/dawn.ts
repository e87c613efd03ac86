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
