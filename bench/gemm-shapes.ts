// Why a conv case runs at the speed it does: each conv, transposed conv, input- and weight-gradient case of
// bench/vs-tfjs.ts against a dense matmul of the same GEMM shape (M, N, depth, batches: what the conv's
// launch computes), interleaved in one process. conv / matmul near 1 says the conv's hooks (window
// addressing, padding tests, stride phases) cost nothing and the shape sets the speed; the matmul's
// GFLOP/s against the 1024^3 one of the same run says how much the shape itself costs (few rows, a
// short reduction, few workgroups). Prints a table and writes bench/results/gemm-shapes-<adapter>.json.
//   bash scripts/run.sh bench/gemm-shapes.ts [--reps 5] [--filter convT]
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import * as T from '../src/index.ts';
import { writeFileAtomic } from '../src/io/files.ts';
import { convWgrad } from '../src/kernels/conv.ts';
import { gemmTile } from '../src/kernels/gemm.ts';

const argv = await yargs(hideBin(process.argv))
  .option('reps', { type: 'number', default: 5, describe: 'timed repetitions of each side (median)' })
  .option('filter', { type: 'string', describe: 'only cases whose name contains this' })
  .strict()
  .help()
  .parse();

await T.init({ verbose: true });

/** A conv case and the GEMM its one launch computes: C[b] (M x N) = A[b] (M x depth) @ B[b] (depth x N). */
interface Case {
  name: string;
  M: number;
  N: number;
  depth: number;
  batches: number;
  /** Makes the inputs; returns the run and what to dispose after. */
  setup: () => Side;
}

/** One side of a comparison: a run (its output is disposed by the caller) and its inputs. */
interface Side {
  run: () => T.Tensor;
  inputs: T.Tensor[];
}

// 4x4 kernels, stride 2, padding 1, batch 1, as vs-tfjs.ts.
const conv = (C: number, H: number, K: number): Case => ({
  name: `conv2d forward [1,${C},${H},${H}]->${K}`,
  M: K,
  N: (H / 2) ** 2,
  depth: C * 16,
  batches: 1,
  setup: () => {
    const x = T.randn([1, C, H, H], { seed: 1 });
    const w = T.randn([K, C, 4, 4], { seed: 2, std: 0.05 });
    return { run: () => T.conv2d(x, w, null, { stride: 2, padding: 1 }), inputs: [x, w] };
  },
});
// A transposed conv [1,C,H,H] -> K at 2H is the input gradient of the conv K@2H -> C: 4 stride phases
// of H x H pixels, each summing C channels x 2 x 2 taps.
const convT = (C: number, H: number, K: number, label = 'convTranspose2d'): Case => ({
  name: `${label} [1,${C},${H},${H}]->${K}`,
  M: K,
  N: H * H,
  depth: C * 4,
  batches: 4,
  setup: () => {
    const x = T.randn([1, C, H, H], { seed: 1 });
    const w = T.randn([C, K, 4, 4], { seed: 2, std: 0.05 });
    return { run: () => T.convTranspose2d(x, w, null, { stride: 2, padding: 1 }), inputs: [x, w] };
  },
});
// The input gradient of conv [1,C,H,H]->K is a transposed conv of dy [1,K,H/2,H/2] back to C channels.
const dgrad = (C: number, H: number, K: number): Case => ({
  ...convT(K, H / 2, C),
  name: `conv2d input gradient [1,${C},${H},${H}]->${K} (dy as a transposed conv)`,
});

// The weight gradient of conv [1,C,H,H]->K: dW [K, C*16] = dy [K, positions] @ im2col(x) [positions,
// C*16], its reduction over the (H/2)^2 positions split into chunks (split-K) and summed after.
const wgrad = (C: number, H: number, K: number): Case => ({
  name: `conv2d weight gradient [1,${C},${H},${H}]->${K}`,
  M: K,
  N: C * 16,
  depth: (H / 2) ** 2,
  batches: 1,
  setup: () => {
    const x = T.randn([1, C, H, H], { seed: 1 });
    const dy = T.randn([1, K, H / 2, H / 2], { seed: 2 });
    const g = {
      N: 1,
      C,
      H,
      W: H,
      K,
      OH: H / 2,
      OW: H / 2,
      KH: 4,
      KW: 4,
      sh: 2,
      sw: 2,
      ph: 1,
      pw: 1,
      dh: 1,
      dw: 1,
    };
    return { run: () => convWgrad(x, dy, g), inputs: [x, dy] };
  },
});

const CASES: Case[] = [
  conv(8, 256, 64),
  conv(64, 128, 128),
  conv(128, 64, 256),
  conv(256, 32, 512),
  conv(512, 16, 512),
  conv(512, 8, 512),
  dgrad(64, 128, 128),
  dgrad(128, 64, 256),
  dgrad(256, 32, 512),
  wgrad(64, 128, 128),
  wgrad(128, 64, 256),
  wgrad(256, 32, 512),
  convT(1024, 8, 512),
  convT(1024, 16, 256),
  convT(512, 32, 128),
  convT(256, 64, 64),
  convT(128, 128, 64),
].filter((c) => !argv.filter || c.name.includes(argv.filter));

/** Wall ms of one run of f, until the queue has finished. */
async function once(f: () => T.Tensor): Promise<number> {
  const t0 = performance.now();
  const y = f();
  await T.sync();
  const ms = performance.now() - t0;
  y.dispose();
  return ms;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const gflops = (flops: number, ms: number) => flops / ms / 1e6;

/** Median ms of a and b, timed alternately after one warm-up each; disposes their inputs. */
async function interleaved(a: Side, b: Side): Promise<[number, number]> {
  await once(a.run);
  await once(b.run);
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < argv.reps; r++) {
    ta.push(await once(a.run));
    tb.push(await once(b.run));
  }
  for (const t of [...a.inputs, ...b.inputs]) t.dispose();
  return [median(ta), median(tb)];
}

/** A dense batched matmul [batches, M, depth] @ [batches, depth, N]. */
function dense(M: number, N: number, depth: number, batches: number): Side {
  const a = T.randn([batches, M, depth], { seed: 3 });
  const b = T.randn([batches, depth, N], { seed: 4, std: 0.05 });
  return { run: () => T.matmul(a, b), inputs: [a, b] };
}

const [refMs] = await interleaved(dense(1024, 1024, 1024, 1), dense(1024, 1024, 1024, 1));
const refRate = gflops(2 * 1024 ** 3, refMs);
const adapter = T.deviceStats().adapter;
console.log(
  `adapter: ${adapter.description}; matmul 1024^3: ${refMs.toFixed(1)} ms, ${refRate.toFixed(2)} GFLOP/s\n`,
);

const header =
  '| case | GEMM M x N x depth (batches) | body | conv ms | matmul ms | conv speed / matmul | conv GFLOP/s | matmul GFLOP/s | matmul / 1024^3 |';
console.log(header);
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|');
const rows = [];
for (const c of CASES) {
  const flops = 2 * c.M * c.N * c.depth * c.batches;
  const [convMs, mmMs] = await interleaved(c.setup(), dense(c.M, c.N, c.depth, c.batches));
  const row = {
    case: c.name,
    M: c.M,
    N: c.N,
    depth: c.depth,
    batches: c.batches,
    body: gemmTile(c.N, c.depth).body,
    convMs,
    matmulMs: mmMs,
    convGflops: gflops(flops, convMs),
    matmulGflops: gflops(flops, mmMs),
  };
  rows.push(row);
  console.log(
    `| ${c.name} | ${c.M} x ${c.N} x ${c.depth} (${c.batches}) | ${row.body} | ${convMs.toFixed(1)} | ${mmMs.toFixed(1)} | ` +
      `${(mmMs / convMs).toFixed(2)} | ${row.convGflops.toFixed(2)} | ${row.matmulGflops.toFixed(2)} | ` +
      `${((100 * row.matmulGflops) / refRate).toFixed(0)}% |`,
  );
}

mkdirSync('bench/results', { recursive: true });
const slug = adapter.description
  .split(/[:(]/)[0]
  .trim()
  .replace(/[^A-Za-z0-9]+/g, '-')
  .toLowerCase();
const out = `bench/results/gemm-shapes-${slug}${argv.filter ? '-subset' : ''}.json`;
const commit = execFileSync('git', ['rev-parse', 'HEAD']).toString().trim();
writeFileAtomic(
  out,
  `${JSON.stringify({ adapter, date: new Date().toISOString(), commit, reps: argv.reps, matmul1024: { ms: refMs, gflops: refRate }, rows }, null, 1)}\n`,
);
console.log(`\nwrote ${out}`);
process.exit(0);
