// Op benchmarks at the U-Net-256 / BicycleGAN layer sizes: median ms and GFLOP/s per op, forward
// and the two conv gradients, on whatever adapter init() picks. A gradient case times the forward and
// the backward of y.backward(g) with one leaf requiring grad (column `work`: fwd+dgrad or fwd+wgrad),
// and its GFLOP/s counts both convs (2x one conv's FLOPs). Prints a table and writes JSON to
// bench/results/ops-<adapter>.json. The comparison with tfjs on the same device is bench/vs-tfjs.ts.
//   npx tsx bench/ops.ts [--reps 5] [--filter conv]
import { mkdirSync, writeFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import * as T from '../src/index.ts';

const argv = await yargs(hideBin(process.argv))
  .option('reps', { type: 'number', default: 5, describe: 'timed repetitions (median reported)' })
  .option('filter', { type: 'string', describe: 'only cases whose name contains this' })
  .help()
  .parse();

await T.init({ verbose: true });

interface Case {
  name: string;
  /** What one timed run computes: gradient cases run the forward too (y.backward needs y). */
  work: 'fwd' | 'fwd+dgrad' | 'fwd+wgrad';
  /** FLOPs of everything in `work`: a conv's input or weight gradient costs as much as its forward. */
  flops: number;
  setup: () => { run: () => T.Tensor; inputs: T.Tensor[] };
}

const convFlops = (N: number, K: number, OH: number, OW: number, C: number, k: number) =>
  2 * N * K * OH * OW * C * k * k;

function conv(C: number, H: number, K: number, kind: 'fwd' | 'dgrad' | 'wgrad'): Case {
  const OH = H / 2;
  const one = convFlops(1, K, OH, OH, C, 4);
  return {
    name: `conv2d 4x4 s2 ${kind} [1,${C},${H},${H}]->${K}`,
    work: kind === 'fwd' ? 'fwd' : kind === 'dgrad' ? 'fwd+dgrad' : 'fwd+wgrad',
    // Only the leaf that requires grad gets a gradient: forward + that one gradient = 2 convs.
    flops: kind === 'fwd' ? one : 2 * one,
    setup: () => {
      const x = T.randn([1, C, H, H], { seed: 1 }).setRequiresGrad(kind === 'dgrad');
      const w = T.randn([K, C, 4, 4], { seed: 2, std: 0.02 }).setRequiresGrad(kind === 'wgrad');
      const g = T.randn([1, K, OH, OH], { seed: 3 });
      const opts = { stride: 2, padding: 1 };
      if (kind === 'fwd') return { run: () => T.conv2d(x, w, null, opts), inputs: [x, w, g] };
      return {
        run: () => {
          const y = T.conv2d(x, w, null, opts);
          y.backward(g);
          const r = (kind === 'dgrad' ? x : w).grad!;
          (kind === 'dgrad' ? x : w).grad = null;
          y.dispose();
          return r;
        },
        inputs: [x, w, g],
      };
    },
  };
}

function convT(C: number, H: number, K: number): Case {
  return {
    name: `convTranspose2d 4x4 s2 [1,${C},${H},${H}]->${K}`,
    work: 'fwd',
    flops: convFlops(1, C, H, H, K, 4),
    setup: () => {
      const x = T.randn([1, C, H, H], { seed: 1 });
      const w = T.randn([C, K, 4, 4], { seed: 2, std: 0.02 });
      return { run: () => T.convTranspose2d(x, w, null, { stride: 2, padding: 1 }), inputs: [x, w] };
    },
  };
}

const cases: Case[] = [
  {
    name: 'matmul 1024^3',
    work: 'fwd',
    flops: 2 * 1024 ** 3,
    setup: () => {
      const a = T.randn([1024, 1024], { seed: 1 });
      const b = T.randn([1024, 1024], { seed: 2 });
      return { run: () => a.matmul(b), inputs: [a, b] };
    },
  },
  conv(9, 256, 64, 'fwd'),
  conv(72, 128, 128, 'fwd'),
  conv(264, 32, 512, 'fwd'),
  conv(72, 128, 128, 'dgrad'),
  conv(72, 128, 128, 'wgrad'),
  convT(512, 32, 128),
  convT(256, 64, 64),
  convT(128, 128, 3),
  {
    name: 'instanceNorm2d [1,128,64,64]',
    work: 'fwd',
    flops: 1 * 128 * 64 * 64 * 5,
    setup: () => {
      const x = T.randn([1, 128, 64, 64], { seed: 1 });
      return { run: () => T.instanceNorm2d(x), inputs: [x] };
    },
  },
  {
    name: 'avgPool2d 3 s2 p1 [1,3,256,256]',
    work: 'fwd',
    flops: 3 * 128 * 128 * 9,
    setup: () => {
      const x = T.randn([1, 3, 256, 256], { seed: 1 });
      return {
        run: () => T.avgPool2d(x, { kernel: 3, stride: 2, padding: 1, countIncludePad: false }),
        inputs: [x],
      };
    },
  },
  {
    name: 'upsample2d bilinear x2 [1,128,64,64]',
    work: 'fwd',
    flops: 128 * 128 * 128 * 8,
    setup: () => {
      const x = T.randn([1, 128, 64, 64], { seed: 1 });
      return { run: () => T.upsample2d(x, { scale: 2, mode: 'bilinear' }), inputs: [x] };
    },
  },
  {
    name: 'leakyRelu [1,128,128,128]',
    work: 'fwd',
    flops: 128 * 128 * 128,
    setup: () => {
      const x = T.randn([1, 128, 128, 128], { seed: 1 });
      return { run: () => x.leakyRelu(0.2), inputs: [x] };
    },
  },
];

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const rows: { op: string; work: string; ms: number; gflops: number }[] = [];
for (const c of cases) {
  if (argv.filter && !c.name.includes(argv.filter)) continue;
  const { run, inputs } = c.setup();
  run().dispose(); // compile + warm up
  await T.sync();
  const times: number[] = [];
  for (let i = 0; i < argv.reps; i++) {
    const t0 = performance.now();
    const y = run();
    await T.sync();
    times.push(performance.now() - t0);
    y.dispose();
  }
  for (const t of inputs) t.dispose();
  const ms = median(times);
  rows.push({ op: c.name, work: c.work, ms: +ms.toFixed(2), gflops: +(c.flops / ms / 1e6).toFixed(2) });
  console.log(
    `${c.name.padEnd(48)} ${c.work.padEnd(10)} ${ms.toFixed(1).padStart(9)} ms ${(c.flops / ms / 1e6).toFixed(2).padStart(8)} GFLOP/s`,
  );
}

const adapter = T.deviceStats().adapter;
const slug = adapter.description
  .split(/[:(]/)[0]
  .trim()
  .replace(/[^A-Za-z0-9]+/g, '-')
  .toLowerCase();
const out = { adapter, date: new Date().toISOString(), reps: argv.reps, rows };
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/ops-${slug}.json`, `${JSON.stringify(out, null, 2)}\n`);
console.log(
  `\n| op | work | ms | GFLOP/s |\n|---|---|---:|---:|\n${rows.map((r) => `| ${r.op} | ${r.work} | ${r.ms} | ${r.gflops} |`).join('\n')}`,
);
console.log(`wrote bench/results/ops-${slug}.json`);
