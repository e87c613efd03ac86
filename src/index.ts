// The public surface of the library. Everything here runs wherever WebGPU does (Node via Dawn, or a
// browser); Node-only helpers (files, images) live outside src/ core and are imported separately.
import { initRuntime, rt } from './gpu/runtime.ts';
import './methods.ts';

export { backward, isGradEnabled, noGrad } from './autograd.ts';
export * as F from './functional.ts';
export type { DeviceInfo } from './gpu/device.ts';
export { type Conv2dOpts, type ConvTranspose2dOpts, conv2d, convTranspose2d } from './ops/conv.ts';
export { arange, fullOf as full, ones, scalar, type TensorOpts, tensor, zeros } from './ops/creation.ts';
export {
  abs,
  add,
  affine,
  type Comparison,
  compare,
  div,
  exp,
  leakyRelu,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  relu,
  sigmoid,
  sqrt,
  sub,
  tanh,
  where,
} from './ops/elementwise.ts';
export { gaussianKL, reparameterize } from './ops/gaussian.ts';
export { linear, matmul } from './ops/matmul.ts';
export { type BatchNormOpts, batchNorm2d, type InstanceNormOpts, instanceNorm2d } from './ops/norm.ts';
export {
  type AvgPool2dOpts,
  avgPool2d,
  dropout,
  maxPool2d,
  type Pool2dOpts,
  reflectionPad2d,
  type Upsample2dOpts,
  upsample2d,
} from './ops/pool.ts';
export { manualSeed, rand, randn } from './ops/random.ts';
export { max, mean, sum } from './ops/reduce.ts';
export {
  concat,
  concatExpand,
  expand,
  narrow,
  pad,
  permute,
  reshape,
  slice,
  stack,
  transpose,
} from './ops/shape.ts';
export { keep, tidy } from './scope.ts';
export type { Shape } from './shape.ts';
export { Tensor } from './tensor.ts';

/** Options of init(). */
export interface InitOptions {
  /** Print the adapter in use (also on when the environment variable BICYCLE_VERBOSE is set). */
  verbose?: boolean;
}

/** Acquires the WebGPU device. Idempotent; every other call needs it done first. */
export async function init(opts: InitOptions = {}): Promise<void> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  await initRuntime({ verbose: opts.verbose ?? Boolean(env?.BICYCLE_VERBOSE) });
}

/** The adapter in use and GPU memory held by tensors and by the pool. */
export function deviceStats() {
  const r = rt();
  return {
    adapter: r.info,
    liveBuffers: r.pool.liveCount,
    liveBytes: r.pool.liveBytes,
    totalBytes: r.pool.totalBytes,
    /** High-water mark of liveBytes since the last resetPeakBytes(). */
    peakLiveBytes: r.pool.peakLiveBytes,
    pipelines: r.pipelineCount,
    dispatches: r.dispatchCount,
  };
}

/** Restarts deviceStats().peakLiveBytes from the bytes live now. */
export function resetPeakBytes(): void {
  rt().pool.resetPeak();
}

/** Waits for all queued GPU work (for timing). */
export function sync(): Promise<void> {
  return rt().sync();
}
export * as io from './io/index.ts';
export * as nn from './nn/index.ts';
export { Adam } from './optim/adam.ts';
export * as optim from './optim/index.ts';
