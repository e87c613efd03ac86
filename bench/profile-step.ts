// GPU time per kernel for BicycleGAN training steps (timestamp queries): where a step's time goes.
//   npx tsx bench/profile-step.ts [--size 64] [--ngf 16] [--nef 8 --ndf 8] [--dropout] [--steps 3] [--grids --rows 40]
//   [--against gemm_subgroup | no_texture]: then the step's wall time, interleaved, with the adapter's GEMM body per
//   launch and with one body forced for every launch (an A/B of a body choice in one process).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { rt } from '../src/gpu/runtime.ts';
import * as T from '../src/index.ts';
import { allowTextureBody, forceGemmBody } from '../src/kernels/gemm.ts';
import { BicycleGAN, readLosses } from '../src/models/bicyclegan/model.ts';
import type { NetD, NetE, NetG } from '../src/models/bicyclegan/networks.ts';
import { observeLaunches } from './gemm-flops.ts';

const argv = await yargs(hideBin(process.argv))
  .option('size', { type: 'number', default: 64, choices: [64, 128, 256] })
  .option('ngf', { type: 'number', default: 16, describe: 'width of G (and of E and D unless given)' })
  .option('nef', { type: 'number', describe: 'width of E (default: --ngf)' })
  .option('ndf', { type: 'number', describe: 'width of D (default: --ngf)' })
  .option('dropout', { type: 'boolean', default: false, describe: "G's dropout (the edges2shoes recipe's)" })
  .option('steps', { type: 'number', default: 3 })
  .option('grids', { type: 'boolean', default: false, describe: 'one row per kernel and workgroup grid' })
  .option('rows', { type: 'number', default: 20, describe: 'rows of the table' })
  .option('against', {
    choices: ['gemm', 'gemm_subgroup', 'gemm_subgroup_rows', 'gemm_tiled', 'no_texture'] as const,
    describe:
      'A/B: time steps interleaved, the per-launch body choice against this body everywhere (no_texture: the choice without gemm_texture)',
  })
  .option('ab-steps', { type: 'number', default: 12, describe: 'steps of each side of the A/B' })
  .help()
  .parse();

await T.init({ verbose: true });
const s = argv.size;
const m = await BicycleGAN.create(
  {
    inputNc: 1,
    netG: `unet_${s}` as NetG,
    netE: `resnet_${s}` as NetE,
    netD: `basic_${s}_multi` as NetD,
    netD2: `basic_${s}_multi` as NetD,
    ngf: argv.ngf,
    nef: argv.nef ?? argv.ngf,
    ndf: argv.ndf ?? argv.ngf,
    useDropout: argv.dropout,
  },
  1,
);
const A = T.rand([2, 1, s, s], { seed: 1, low: -1, high: 1 });
const B = T.rand([2, 3, s, s], { seed: 2, low: -1, high: 1 });
const step = async () => {
  const l = T.tidy(() => T.keep(m.trainStep(A, B)));
  await readLosses(l);
  l.dispose();
};
await step(); // compile
const d0 = T.deviceStats().dispatches;
const t0 = performance.now();
for (let i = 0; i < argv.steps; i++) await step();
const wall = (performance.now() - t0) / argv.steps;
const perStep = (T.deviceStats().dispatches - d0) / argv.steps;
// GEMM FLOPs per profile row, keyed as the runtime labels its passes (kernel:entry[ grid]).
const flops = new Map<string, number>();
observeLaunches((kernel, entry, workgroups, f) => {
  const grid = argv.grids && workgroups ? ` ${[0, 1, 2].map((i) => workgroups[i] ?? 1).join('x')}` : '';
  const key = `${kernel}:${entry}${grid}`;
  flops.set(key, (flops.get(key) ?? 0) + f);
});
rt().startProfile({ grids: argv.grids });
for (let i = 0; i < argv.steps; i++) await step();
const report = await rt().stopProfile();
observeLaunches(null);
const gpu = report.reduce((a, r) => a + r.ms, 0) / argv.steps;
console.log(`\nstep: ${wall.toFixed(0)} ms wall, ${gpu.toFixed(0)} ms GPU, ${perStep} dispatches\n`);
const gemm = [...flops.values()].reduce((a, f) => a + f, 0) / argv.steps;
console.log(
  `GEMM work: ${(gemm / 1e9).toFixed(3)} GFLOP/step, ${(gemm / 1e6 / gpu).toFixed(2)} GFLOP/s of GPU time\n`,
);
console.log('| kernel | calls/step | ms/step | share | GEMM GFLOP/s |\n|---|---:|---:|---:|---:|');
for (const r of report.slice(0, argv.rows)) {
  const f = flops.get(r.kernel) ?? 0;
  const rate = f > 0 ? (f / 1e6 / r.ms).toFixed(2) : '';
  console.log(
    `| ${r.kernel} | ${r.count / argv.steps} | ${(r.ms / argv.steps).toFixed(1)} | ${((100 * r.ms) / argv.steps / gpu).toFixed(1)}% | ${rate} |`,
  );
}

if (argv.against) {
  // Alternate the order each round so drift of the machine's speed hits both sides alike.
  const other =
    argv.against === 'no_texture' ? 'per launch without gemm_texture' : `${argv.against} everywhere`;
  const sides = { 'per launch': null, [other]: argv.against } as const;
  const use = (body: (typeof sides)[keyof typeof sides]) => {
    allowTextureBody(body !== 'no_texture');
    forceGemmBody(body === 'no_texture' ? null : body);
  };
  const times = new Map<string, number[]>(Object.keys(sides).map((k) => [k, []]));
  for (const body of Object.values(sides)) {
    use(body);
    await step(); // compile
  }
  for (let i = 0; i < argv.abSteps; i++) {
    const order = Object.entries(sides);
    if (i % 2) order.reverse();
    for (const [name, body] of order) {
      use(body);
      const t0 = performance.now();
      await step();
      times.get(name)!.push(performance.now() - t0);
    }
  }
  use(null);
  console.log(`\nA/B, ${argv.abSteps} steps each, interleaved: median [min-max] ms/step`);
  for (const [name, v] of times) {
    v.sort((a, b) => a - b);
    console.log(
      `  ${name}: ${v[v.length >> 1]!.toFixed(0)} [${v[0]!.toFixed(0)}-${v[v.length - 1]!.toFixed(0)}]`,
    );
  }
}
