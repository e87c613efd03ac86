// Side by side with tfjs-backend-webgpu on the SAME GPUDevice (our runtime's, handed to tfjs's
// WebGPUBackend), in one process: each case builds the same host values (seeded RNG) for both
// libraries, checks that the outputs agree, warms up, then times both interleaved (ours, tfjs, ours,
// tfjs, ...), each run measured until the queue has finished its work. Cases: single ops at the U-Net-256
// layer sizes, and the whole U-Net-256 generator forward (tfjs's rebuilt from tfjs ops with our
// weights, bench/unet-tfjs.ts). Then BicycleGAN training iterations at 64, 128 and 256 px, ours only
// (tfjs has no BicycleGAN), read against our best matmul GFLOP/s of the same run. Every case records
// the peak GPU bytes of both libraries; GEMM FLOPs of our launches are counted at launch time
// (bench/gemm-flops.ts). Prints the tables, writes JSON to bench/results/vs-tfjs-<adapter>.json and a
// GFLOP/s plot next to it (.svg), and regenerates the vs-tfjs section of bench/RESULTS.md.
//   bash scripts/run.sh bench/vs-tfjs.ts [--quick] [--reps 5] [--warmup 2] [--filter conv]
//     [--no-train] [--slow-reps 3] [--slow-warmup 1]
// tfjs is a dev dependency used only here; nothing in src/ imports it.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { mulberry32 } from '../src/data/rng.ts';
import { dawnGPU } from '../src/gpu/dawn.ts';
import { rt } from '../src/gpu/runtime.ts';
import * as T from '../src/index.ts';
import { writeFileAtomic } from '../src/io/files.ts';
import { BicycleGAN, readLosses } from '../src/models/bicyclegan/model.ts';
import { defineG } from '../src/models/bicyclegan/networks.ts';
import { Adam } from '../src/optim/index.ts';
import { gemmFlops, installGemmCounter } from './gemm-flops.ts';
import { NCHW_TO_NHWC, OIHW_TO_HWIO, permute4, unetFlops, unetToTfjs } from './unet-tfjs.ts';
import {
  HEADER,
  type Result,
  type Row,
  type Stats,
  TRAIN_HEADER,
  type TrainRow,
  tableRow,
  trainRow,
  writeResultsMd,
} from './vs-tfjs-report.ts';

const argv = await yargs(hideBin(process.argv))
  .usage('$0 [options]: our kernels vs tfjs-backend-webgpu on the same WebGPU device')
  .option('reps', {
    type: 'number',
    default: 5,
    describe: 'timed repetitions of each library (median reported)',
  })
  .option('warmup', {
    type: 'number',
    default: 2,
    describe: 'untimed runs of each after the correctness run',
  })
  .option('filter', { type: 'string', describe: 'only cases whose name contains this substring' })
  .option('quick', {
    type: 'boolean',
    default: false,
    describe:
      'a small subset (about 1 min on the 2-core CPU driver when idle); never the U-Net forward or the 256 px iteration',
  })
  .option('train', {
    type: 'boolean',
    default: true,
    describe: 'also time BicycleGAN training iterations, ours only (--no-train: only the side-by-side cases)',
  })
  .option('slow-reps', {
    type: 'number',
    default: 3,
    describe: 'timed repetitions of the slow cases (the 256 px training iteration): min(--reps, this)',
  })
  .option('slow-warmup', {
    type: 'number',
    default: 1,
    describe: 'untimed runs of the slow cases after their first run: min(--warmup, this)',
  })
  .option('results', {
    type: 'boolean',
    default: true,
    describe:
      'write the JSON and SVG (a --quick, --filter or --no-train run: vs-tfjs-<adapter>-subset.*) and bench/RESULTS.md',
  })
  .option('markdown-only', {
    type: 'boolean',
    default: false,
    describe: 'measure nothing: regenerate the bench/RESULTS.md section from the stored JSON',
  })
  .strict()
  .help()
  .parse();

if (argv.markdownOnly) {
  console.log(`wrote ${writeResultsMd()}`);
  process.exit(0);
}

// ---- both libraries on one device ------------------------------------------------------------------
await T.init({ verbose: true });
const device = rt().device;
// tfjs-backend-webgpu checks navigator.gpu when it is imported (dawn.ts has already put Dawn's
// globals such as GPUBufferUsage on globalThis). Same Dawn instance as ours.
(globalThis as { navigator?: unknown }).navigator = { gpu: dawnGPU() };
const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
// Importing the backend registers a factory that would request a second device: replace it with one
// that wraps ours (the kernels are registered under the name 'webgpu', so the name must stay).
tf.removeBackend('webgpu');
const adapterInfo = rt().info;
tf.registerBackend(
  'webgpu',
  () =>
    new WebGPUBackend(device, {
      vendor: adapterInfo.vendor,
      architecture: adapterInfo.architecture,
    } as GPUAdapterInfo),
);
if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: cannot set the webgpu backend');
await tf.ready();
const backend = tf.backend() as unknown as {
  device: GPUDevice;
  queue: GPUQueue;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
};
if (backend.device !== device) throw new Error('tfjs is not on our GPUDevice');

// GEMM FLOPs of our launches (bench/gemm-flops.ts), and tfjs's storage-buffer bytes in use with their
// high-water mark (its buffer manager also hands out uniform and staging buffers: not counted, as
// our uniform arena is not in our pool either).
installGemmCounter();
const tfMem = { live: 0, peak: 0 };
{
  type Manager = {
    acquireBuffer(size: number, usage: number, ...rest: unknown[]): GPUBuffer;
    releaseBuffer(buffer: GPUBuffer, ...rest: unknown[]): void;
  };
  const bm = (backend as unknown as { bufferManager: Manager }).bufferManager;
  const acquire = bm.acquireBuffer.bind(bm);
  const release = bm.releaseBuffer.bind(bm);
  bm.acquireBuffer = (size, usage, ...rest) => {
    const b = acquire(size, usage, ...rest);
    if (usage & GPUBufferUsage.STORAGE) {
      tfMem.live += size;
      tfMem.peak = Math.max(tfMem.peak, tfMem.live);
    }
    return b;
  };
  bm.releaseBuffer = (buffer, ...rest) => {
    if (buffer.usage & GPUBufferUsage.STORAGE) tfMem.live -= buffer.size;
    release(buffer, ...rest);
  };
}
/**
 * Frees our pooled buffers and restarts both high-water marks (before each case); returns what is
 * live now on each side, which the case's peaks are reported above.
 */
function resetMemory(): { ours: number; tfjs: number } {
  rt().pool.trim();
  T.resetPeakBytes();
  tfMem.peak = tfMem.live;
  return { ours: T.deviceStats().liveBytes, tfjs: tfMem.live };
}

/** Our queued work is flushed and finished. */
const syncOurs = () => T.sync();
/**
 * tfjs batches up to 15 dispatches per submit: submit what it holds, then wait for the queue, the
 * same way as for ours (rt().settle: in Node without Dawn's event polling spinning a core).
 */
async function syncTfjs(): Promise<void> {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await rt().settle(backend.queue.onSubmittedWorkDone());
}

// ---- host data ---------------------------------------------------------------------------------------
const rng = mulberry32;
function randn(n: number, seed: number, std = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(r(), 1e-12);
    const v = r();
    const m = std * Math.sqrt(-2 * Math.log(u));
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}
// ---- cases ----------------------------------------------------------------------------------------------
interface Side {
  /** Runs the op once (disposing the previous output), leaving its work queued. */
  run: () => void;
  /** The latest output, in tfjs's layout. */
  read: () => Promise<Float32Array>;
  /** Disposes the latest output (at the end of the case). */
  free?: () => void;
}
interface Case {
  name: string;
  /** What one timed run computes (gradient cases include their forward). */
  work: string;
  flops: number;
  quick?: boolean;
  setup: () =>
    | { ours: Side; tfjs: Side; dispose: () => void }
    | Promise<{ ours: Side; tfjs: Side; dispose: () => void }>;
}

/** A Side over a function that returns a fresh output each run. */
function oursSide(fn: () => T.Tensor, toTf: (a: Float32Array) => Float32Array = (a) => a): Side {
  let out: T.Tensor | null = null;
  return {
    run: () => {
      out?.dispose();
      out = fn();
    },
    read: async () => toTf(await out!.data()),
    free: () => {
      out?.dispose();
      out = null;
    },
  };
}
function tfjsSide(fn: () => tf.Tensor): Side {
  let out: tf.Tensor | null = null;
  return {
    run: () => {
      out?.dispose();
      out = tf.tidy(fn);
    },
    read: async () => (await out!.data()) as Float32Array,
    free: () => {
      out?.dispose();
      out = null;
    },
  };
}

const convFlops = (K: number, OH: number, C: number, k = 4) => 2 * K * OH * OH * C * k * k;

/** Conv 4x4 s2 p1 on [1,C,H,H] -> K: forward, or forward + input gradient / + weight gradient. */
function conv(C: number, H: number, K: number, kind: 'fwd' | 'dgrad' | 'wgrad', quick = false): Case {
  const OH = H / 2;
  const one = convFlops(K, OH, C);
  const label = { fwd: 'forward', dgrad: 'input gradient', wgrad: 'weight gradient' }[kind];
  return {
    name: `conv2d 4x4 s2 ${label} [1,${C},${H},${H}]->${K}`,
    work: { fwd: 'fwd', dgrad: 'fwd+dgrad', wgrad: 'fwd+wgrad' }[kind],
    flops: kind === 'fwd' ? one : 2 * one,
    quick,
    setup: () => {
      const xh = randn(C * H * H, 1);
      const wh = randn(K * C * 16, 2, 1 / Math.sqrt(C * 16));
      const gh = randn(K * OH * OH, 3);
      const x = T.tensor(xh, [1, C, H, H]).setRequiresGrad(kind === 'dgrad');
      const w = T.tensor(wh, [K, C, 4, 4]).setRequiresGrad(kind === 'wgrad');
      const g = T.tensor(gh, [1, K, OH, OH]);
      const tx = tf.tensor4d(permute4(xh, [1, C, H, H], NCHW_TO_NHWC), [1, H, H, C]);
      const tw = tf.tensor4d(permute4(wh, [K, C, 4, 4], OIHW_TO_HWIO), [4, 4, C, K]);
      const tg = tf.tensor4d(permute4(gh, [1, K, OH, OH], NCHW_TO_NHWC), [1, OH, OH, K]);
      const opts = { stride: 2, padding: 1 };
      const dispose = () => {
        for (const t of [x, w, g]) t.dispose();
        tf.dispose([tx, tw, tg]);
      };
      if (kind === 'fwd') {
        return {
          ours: oursSide(
            () => T.conv2d(x, w, null, opts),
            (a) => permute4(a, [1, K, OH, OH], NCHW_TO_NHWC),
          ),
          tfjs: tfjsSide(() => tf.conv2d(tx, tw, 2, 1)),
          dispose,
        };
      }
      const leaf = kind === 'dgrad' ? x : w;
      const ours = oursSide(
        () => {
          const y = T.conv2d(x, w, null, opts);
          y.backward(g);
          const r = leaf.grad!;
          leaf.grad = null;
          y.dispose();
          return r;
        },
        (a) =>
          kind === 'dgrad'
            ? permute4(a, [1, C, H, H], NCHW_TO_NHWC)
            : permute4(a, [K, C, 4, 4], OIHW_TO_HWIO),
      );
      // What tf.grads would run for this conv (its gradient kernels), without the gradient registry:
      // the forward, then Conv2DBackpropInput or Conv2DBackpropFilter on dy.
      const tfjs = tfjsSide(() => {
        tf.conv2d(tx, tw, 2, 1);
        const attrs = { strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: undefined };
        if (kind === 'dgrad') {
          return tf.engine().runKernel('Conv2DBackpropInput', { dy: tg, filter: tw }, {
            ...attrs,
            inputShape: [1, H, H, C],
          } as unknown as tf.NamedAttrMap) as tf.Tensor;
        }
        return tf.engine().runKernel('Conv2DBackpropFilter', { x: tx, dy: tg }, {
          ...attrs,
          filterShape: [4, 4, C, K],
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
      return { ours, tfjs, dispose };
    },
  };
}

/** Transposed conv 4x4 s2 p1 on [1,C,H,H] -> [1,K,2H,2H] (the U-Net up layers). */
function convT(C: number, H: number, K: number, quick = false): Case {
  const OH = 2 * H;
  return {
    name: `convTranspose2d 4x4 s2 [1,${C},${H},${H}]->${K}`,
    work: 'fwd',
    flops: convFlops(C, H, K), // the conv whose input gradient this is: [1,K,2H,2H] -> C
    quick,
    setup: () => {
      const xh = randn(C * H * H, 1);
      const wh = randn(C * K * 16, 2, 1 / Math.sqrt(C * 4));
      const x = T.tensor(xh, [1, C, H, H]);
      const w = T.tensor(wh, [C, K, 4, 4]);
      const tx = tf.tensor4d(permute4(xh, [1, C, H, H], NCHW_TO_NHWC), [1, H, H, C]);
      // tfjs's filter is [kh, kw, outDepth, inDepth]; ours is [in, out, kh, kw].
      const tw = tf.tensor4d(permute4(wh, [C, K, 4, 4], [2, 3, 1, 0]), [4, 4, K, C]);
      return {
        ours: oursSide(
          () => T.convTranspose2d(x, w, null, { stride: 2, padding: 1 }),
          (a) => permute4(a, [1, K, OH, OH], NCHW_TO_NHWC),
        ),
        tfjs: tfjsSide(() => tf.conv2dTranspose(tx, tw, [1, OH, OH, K], 2, 1)),
        dispose: () => {
          x.dispose();
          w.dispose();
          tf.dispose([tx, tw]);
        },
      };
    },
  };
}

function matmul(M: number, K: number, N: number, quick = false): Case {
  return {
    name: M === K && K === N ? `matmul ${M}^3` : `matmul ${M}x${K}x${N}`,
    work: 'fwd',
    flops: 2 * M * K * N,
    quick,
    setup: () => {
      const ah = randn(M * K, 1);
      const bh = randn(K * N, 2);
      const a = T.tensor(ah, [M, K]);
      const b = T.tensor(bh, [K, N]);
      const ta = tf.tensor2d(ah, [M, K]);
      const tb = tf.tensor2d(bh, [K, N]);
      return {
        ours: oursSide(() => a.matmul(b)),
        tfjs: tfjsSide(() => tf.matMul(ta, tb)),
        dispose: () => {
          a.dispose();
          b.dispose();
          tf.dispose([ta, tb]);
        },
      };
    },
  };
}

/** Elementwise/normalisation cases on an NCHW tensor (NHWC for tfjs). */
function planar(
  name: string,
  shape: [number, number, number, number],
  flopsPerElt: number,
  ours: (x: T.Tensor) => T.Tensor,
  theirs: (x: tf.Tensor4D) => tf.Tensor,
  quick = false,
): Case {
  const [N, C, H, W] = shape;
  return {
    name: `${name} [${shape.join(',')}]`,
    work: 'fwd',
    flops: flopsPerElt * N * C * H * W,
    quick,
    setup: () => {
      const xh = randn(N * C * H * W, 1);
      const x = T.tensor(xh, shape);
      const tx = tf.tensor4d(permute4(xh, shape, NCHW_TO_NHWC), [N, H, W, C]);
      return {
        ours: oursSide(
          () => ours(x),
          (a) => permute4(a, shape, NCHW_TO_NHWC),
        ),
        tfjs: tfjsSide(() => theirs(tx)),
        dispose: () => {
          x.dispose();
          tx.dispose();
        },
      };
    },
  };
}

/** One Adam step (torch's update) over n parameters with a fixed gradient. */
function adam(n: number, quick = false): Case {
  return {
    name: `adam step ${n / 1e6}M params`,
    work: 'step',
    flops: 12 * n, // m, v, bias corrections, sqrt, eps, divide, update: ~12 FLOP per parameter
    quick,
    setup: () => {
      const ph = randn(n, 1);
      const gh = randn(n, 2);
      const opts = { lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8 };
      const p = T.tensor(ph, [n]).setRequiresGrad(true);
      p.grad = T.tensor(gh, [n]);
      const opt = new Adam([p], opts);
      const v = tf.variable(tf.tensor1d(ph), true, 'bench_adam_param');
      const tg = tf.tensor1d(gh);
      const topt = tf.train.adam(opts.lr, opts.betas[0], opts.betas[1], opts.eps);
      return {
        ours: { run: () => opt.step(), read: () => p.data() },
        tfjs: {
          run: () => topt.applyGradients([{ name: v.name, tensor: tg }]),
          read: async () => (await v.data()) as Float32Array,
        },
        dispose: () => {
          p.grad?.dispose();
          p.dispose();
          opt.dispose();
          topt.dispose();
          tf.dispose([v, tg]);
        },
      };
    },
  };
}

/**
 * The whole U-Net-256 generator forward at batch 1: ours is the library's UnetGenerator (defineG
 * 'unet_256', ngf 64, input_nc 1 + nz 8 with where_add 'input', output_nc 3, instance norm, no
 * dropout, eval mode, no graph); tfjs's is the same module tree rebuilt from tfjs ops with our weights.
 */
function unetForward(): Case {
  const S = 256;
  const o = {
    inputNc: 1,
    outputNc: 3,
    nz: 8,
    ngf: 64,
    norm: 'instance',
    nl: 'relu',
    useDropout: false,
    upsample: 'basic',
    whereAdd: 'input',
  } as const;
  return {
    name: `U-Net-256 generator forward [1,${o.inputNc}+${o.nz},${S},${S}]->${o.outputNc} (ngf ${o.ngf}, where_add input)`,
    work: 'fwd',
    flops: unetFlops(S, 1, o.inputNc + o.nz, o.outputNc, o.ngf, 8),
    setup: async () => {
      const G = defineG('unet_256', o).eval();
      const ah = randn(S * S, 1);
      const zh = randn(o.nz, 2);
      const a = T.tensor(ah, [1, 1, S, S]);
      const z = T.tensor(zh, [1, o.nz]);
      const owned: tf.Tensor[] = [];
      const tfG = await unetToTfjs(G, owned);
      const ta = tf.tensor4d(ah, [1, S, S, 1]); // one channel: NCHW and NHWC hold the same values
      const tz = tf.tensor2d(zh, [1, o.nz]);
      return {
        ours: oursSide(
          () => T.tidy(() => T.noGrad(() => G.call(a, z))),
          (y) => permute4(y, [1, o.outputNc, S, S], NCHW_TO_NHWC),
        ),
        tfjs: tfjsSide(() => tfG(ta, tz)),
        dispose: () => {
          G.dispose();
          a.dispose();
          z.dispose();
          tf.dispose([...owned, ta, tz]);
        },
      };
    },
  };
}

const EPS = 1e-5;
const cases: Case[] = [
  matmul(1024, 1024, 1024, true),
  matmul(4096, 128, 1024),
  // U-Net-256 down layers (edges2shoes G: input_nc 1 + nz 8 -> 8 channels here as a round number).
  conv(8, 256, 64, 'fwd'),
  conv(64, 128, 128, 'fwd', true),
  conv(128, 64, 256, 'fwd'),
  conv(256, 32, 512, 'fwd'),
  conv(512, 16, 512, 'fwd'),
  conv(512, 8, 512, 'fwd'),
  // Gradients of three of them: forward + one gradient each (y.backward(g) with one leaf requiring grad).
  conv(64, 128, 128, 'dgrad', true),
  conv(64, 128, 128, 'wgrad', true),
  conv(128, 64, 256, 'dgrad'),
  conv(128, 64, 256, 'wgrad'),
  conv(256, 32, 512, 'dgrad'),
  conv(256, 32, 512, 'wgrad'),
  // U-Net-256 up layers (skip-concatenated inputs).
  convT(1024, 8, 512),
  convT(1024, 16, 256),
  convT(512, 32, 128),
  convT(256, 64, 64, true),
  convT(128, 128, 64),
  planar(
    'instanceNorm2d',
    [1, 256, 64, 64],
    5,
    (x) => T.instanceNorm2d(x, { eps: EPS }),
    (x) => {
      // tfjs has no instance norm: moments over H, W per channel, then batchNorm (N = 1). Its Node
      // build registers no chained methods (t.reshape): call the functions.
      const C = x.shape[3];
      const { mean, variance } = tf.moments(x, [1, 2]);
      return tf.batchNorm(x, tf.reshape(mean, [C]), tf.reshape(variance, [C]), undefined, undefined, EPS);
    },
    true,
  ),
  planar(
    'leakyRelu 0.2',
    [1, 128, 128, 128],
    1,
    (x) => x.leakyRelu(0.2),
    (x) => tf.leakyRelu(x, 0.2),
    true,
  ),
  adam(10_000_000, true),
  unetForward(),
];

// ---- BicycleGAN training iterations (ours only: tfjs has no BicycleGAN) ----------------------------------
interface TrainCase {
  name: string;
  size: 64 | 128 | 256;
  width: number;
  dropout: boolean;
  quick?: boolean;
  /** Tens of seconds per iteration on the CPU driver: --slow-reps / --slow-warmup, never in --quick. */
  slow?: boolean;
}
/**
 * One trainStep at batch 2 (a cVAE half and a cLR half) with the edges2shoes recipe's networks for the
 * size (unet_S, resnet_S, basic_S_multi; input_nc 1, nz 8, where_add all, instance norm), at width
 * (ngf = nef = ndf) 64 with the recipe's dropout, or the demo's width 8 without it.
 */
function trainCase(size: 64 | 128 | 256, width: number, quick = false): TrainCase {
  const dropout = width === 64;
  return {
    name: `bicyclegan train iteration ${size}px width ${width}${dropout ? ' dropout' : ''} (unet_${size}, resnet_${size}, basic_${size}_multi) batch 2`,
    size,
    width,
    dropout,
    quick,
    slow: size === 256,
  };
}
const trainCases: TrainCase[] = [
  trainCase(64, 8, true),
  trainCase(64, 64),
  trainCase(128, 64),
  trainCase(256, 64),
];

// ---- measuring ------------------------------------------------------------------------------------------
function stats(times: number[]): Stats {
  const s = [...times].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  const r = (v: number) => +v.toFixed(2);
  return { median: r(median), min: r(s[0]), max: r(s[s.length - 1]), times: times.map(r) };
}

function compare(a: Float32Array, b: Float32Array): { abs: number; rel: number; rms: number } {
  if (a.length !== b.length) throw new Error(`output sizes differ: ours ${a.length}, tfjs ${b.length}`);
  let ss = 0;
  for (let i = 0; i < b.length; i++) ss += b[i] * b[i];
  const floor = Math.max(0.01 * Math.sqrt(ss / Math.max(1, b.length)), 1e-30);
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= abs)) abs = d; // NaN propagates
    const r = d / Math.max(Math.abs(b[i]), floor);
    if (!(r <= rel)) rel = r;
  }
  return { abs, rel, rms: Math.sqrt(ss / Math.max(1, b.length)) };
}

async function timeOne(side: Side, sync: () => Promise<void>): Promise<number> {
  await syncOurs();
  await syncTfjs(); // the queue is idle before the clock starts
  const t0 = performance.now();
  side.run();
  await sync();
  return performance.now() - t0;
}

async function measure(c: Case): Promise<Row> {
  const row: Row = { name: c.name, work: c.work, flops: c.flops };
  const base = resetMemory();
  const { ours, tfjs, dispose } = await c.setup();
  try {
    // First run of each: compiles its pipelines, and its output is the one compared.
    const d0 = T.deviceStats().dispatches;
    const f0 = gemmFlops();
    ours.run();
    row.oursDispatches = T.deviceStats().dispatches - d0;
    row.oursGemmFlops = gemmFlops() - f0;
    // The launch-time count and the case's analytic count must agree where the case is all GEMM.
    if (row.oursGemmFlops > 0 && row.oursGemmFlops !== c.flops)
      console.warn(`${c.name}: launched GEMM FLOPs ${row.oursGemmFlops} != analytic ${c.flops}`);
    await syncOurs();
    tfjs.run();
    await syncTfjs();
    const d = compare(await ours.read(), await tfjs.read());
    row.maxAbsDiff = +d.abs.toPrecision(3);
    row.maxRelDiff = +d.rel.toPrecision(3);
    row.tfjsRms = +d.rms.toPrecision(3);
    // Two all-zero outputs would agree perfectly and prove nothing.
    if (!(d.rms > 0)) throw new Error('tfjs output is all zeros');
    for (let i = 0; i < argv.warmup; i++) {
      await timeOne(ours, syncOurs);
      await timeOne(tfjs, syncTfjs);
    }
    const to: number[] = [];
    const tt: number[] = [];
    for (let i = 0; i < argv.reps; i++) {
      to.push(await timeOne(ours, syncOurs));
      tt.push(await timeOne(tfjs, syncTfjs));
    }
    row.ours = stats(to);
    row.tfjs = stats(tt);
    row.oursGflops = +(c.flops / row.ours.median / 1e6).toFixed(2);
    row.tfjsGflops = +(c.flops / row.tfjs.median / 1e6).toFixed(2);
    row.ratio = +(row.tfjs.median / row.ours.median).toFixed(2);
    row.oursPeakBytes = T.deviceStats().peakLiveBytes - base.ours;
    row.tfjsPeakBytes = tfMem.peak - base.tfjs;
  } catch (e) {
    row.error = (e as Error).message.split('\n')[0];
  } finally {
    await syncOurs();
    await syncTfjs();
    ours.free?.();
    tfjs.free?.();
    dispose();
  }
  return row;
}

/** Median of integers that should all be equal (dispatches, FLOPs per iteration); warns if they differ. */
function constant(name: string, what: string, v: number[]): number {
  if (new Set(v).size > 1) console.warn(`${name}: ${what} differ between iterations: ${v.join(', ')}`);
  return stats(v).median;
}

async function measureTrain(c: TrainCase): Promise<TrainRow> {
  const reps = c.slow ? Math.min(argv.reps, argv.slowReps) : argv.reps;
  const warmup = c.slow ? Math.min(argv.warmup, argv.slowWarmup) : argv.warmup;
  const row: TrainRow = { name: c.name, size: c.size, width: c.width, batch: 2, reps, warmup };
  const base = resetMemory();
  let m: BicycleGAN | null = null;
  const inputs: T.Tensor[] = [];
  let losses: T.Tensor | null = null;
  try {
    const s = c.size;
    m = await BicycleGAN.create(
      {
        inputNc: 1,
        netG: `unet_${s}`,
        netE: `resnet_${s}`,
        netD: `basic_${s}_multi`,
        netD2: `basic_${s}_multi`,
        ngf: c.width,
        nef: c.width,
        ndf: c.width,
        useDropout: c.dropout,
      },
      1,
    );
    const model = m;
    const A = T.rand([2, 1, s, s], { seed: 1, low: -1, high: 1 });
    const B = T.rand([2, 3, s, s], { seed: 2, low: -1, high: 1 });
    inputs.push(A, B);
    const run = () => {
      losses?.dispose();
      losses = T.tidy(() => T.keep(model.trainStep(A, B)));
    };
    // First iteration: compiles the pipelines; its losses must be finite (readLosses throws if not).
    run();
    await readLosses(losses!);
    for (let i = 0; i < warmup; i++) await timeOne({ run, read: async () => new Float32Array() }, syncOurs);
    const times: number[] = [];
    const dispatches: number[] = [];
    const flops: number[] = [];
    for (let i = 0; i < reps; i++) {
      const d0 = T.deviceStats().dispatches;
      const f0 = gemmFlops();
      times.push(await timeOne({ run, read: async () => new Float32Array() }, syncOurs));
      dispatches.push(T.deviceStats().dispatches - d0);
      flops.push(gemmFlops() - f0);
    }
    await readLosses(losses!);
    row.ours = stats(times);
    row.dispatches = constant(c.name, 'dispatches', dispatches);
    row.flops = constant(c.name, 'GEMM FLOPs', flops);
    row.gflops = +(row.flops / row.ours.median / 1e6).toFixed(2);
    row.peakBytes = T.deviceStats().peakLiveBytes - base.ours;
  } catch (e) {
    row.error = (e as Error).message.split('\n')[0];
  } finally {
    await syncOurs();
    (losses as T.Tensor | null)?.dispose();
    for (const t of inputs) t.dispose();
    m?.dispose();
  }
  return row;
}

// ---- reporting --------------------------------------------------------------------------------------------
function gitCommit(): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: 'pipe' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return null;
  }
}

const require = createRequire(import.meta.url);
const pkgVersion = (name: string): string => {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

// ---- main ---------------------------------------------------------------------------------------------------
const pick = <C extends { name: string; quick?: boolean }>(c: C) =>
  (!argv.quick || c.quick) && (!argv.filter || c.name.includes(argv.filter));
const selectedTrain = argv.train ? trainCases.filter(pick) : [];
const selected = cases.filter(pick);
// The training rows are read against our best matmul GFLOP/s of the same run: measure one if needed.
if (selectedTrain.length > 0 && !selected.some((c) => c.name.startsWith('matmul'))) {
  selected.unshift(cases.find((c) => c.name === 'matmul 1024^3')!);
  console.log('(matmul 1024^3 added: the reference for the training rows)');
}
if (selected.length + selectedTrain.length === 0) throw new Error('no case matches');
console.log(
  `tfjs ${tf.version_core} (webgpu backend) on the same device; ${argv.reps} reps, ${argv.warmup} warm-up\n`,
);
console.log(HEADER);
const rows: Row[] = [];
for (const c of selected) {
  const r = await measure(c);
  rows.push(r);
  console.log(tableRow(r));
}
const matmulGflops = rows.filter((r) => r.name.startsWith('matmul')).map((r) => r.oursGflops ?? 0);
const bestMatmulGflops = matmulGflops.length ? Math.max(...matmulGflops) : undefined;
const trainRows: TrainRow[] = [];
if (selectedTrain.length) {
  console.log(
    `\nBicycleGAN training iterations, ours only (slow cases: ${Math.min(argv.reps, argv.slowReps)} reps,` +
      ` ${Math.min(argv.warmup, argv.slowWarmup)} warm-up); best matmul ${bestMatmulGflops} GFLOP/s\n`,
  );
  console.log(TRAIN_HEADER);
  for (const c of selectedTrain) {
    const r = await measureTrain(c);
    if (r.gflops !== undefined && bestMatmulGflops)
      r.ofBestMatmul = +(r.gflops / bestMatmulGflops).toFixed(3);
    trainRows.push(r);
    console.log(trainRow(r));
  }
}

if (argv.results) {
  const adapter = T.deviceStats().adapter;
  const slug = adapter.description
    .split(/[:(]/)[0]
    .trim()
    .replace(/[^A-Za-z0-9]+/g, '-')
    .toLowerCase();
  const result: Result = {
    adapter,
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    webgpu: pkgVersion('webgpu'),
    tfjs: tf.version_core,
    reps: argv.reps,
    warmup: argv.warmup,
    quick: argv.quick,
    filter: argv.filter ?? null,
    slowReps: argv.slowReps,
    slowWarmup: argv.slowWarmup,
    rows,
    train: trainRows,
    bestMatmulGflops: bestMatmulGflops ?? null,
  };
  mkdirSync('bench/results', { recursive: true });
  const subset = argv.quick || argv.filter !== undefined || !argv.train;
  const path = `bench/results/vs-tfjs-${slug}${subset ? '-subset' : ''}.json`;
  writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
  const md = writeResultsMd();
  console.log(`\nwrote ${path}, its plot and ${md}`);
}
