// The paper's comparison (Zhu et al. 2017, section 5) on the synthetic set: pix2pix+noise, cVAE-GAN,
// cLR-GAN and BicycleGAN (z into every down block, and z into the input only), each trained with the
// same budget and seed by examples/edges2shoes.ts (the default synthetic preset plus the variant's
// flags), then measured by examples/evaluate.ts. Writes <out>/compare.json, <out>/compare.md (a table)
// and <out>/grids/<variant>.png (the final training grid of each).
//   bash scripts/run.sh examples/compare.ts                      # the full budget (the demo's)
//   bash scripts/run.sh examples/compare.ts --niter 1 --niter_decay 1   # a reduced budget
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hideBin } from 'yargs/helpers';
import type { EvalResult } from '../src/train/evaluate.ts';
import {
  cliParser,
  cliValues,
  type OptionsOf,
  type OptionTable,
  resolveOptions,
} from '../src/train/options.ts';

/** The variants and the flags that make them (on top of the synthetic preset). */
const VARIANTS: Record<string, { label: string; flags: string[] }> = {
  pix2pix_noise: {
    label: 'pix2pix+noise',
    flags: ['--pix2pix_noise', '--lambda_kl', '0', '--lambda_z', '0', '--lambda_GAN2', '0'],
  },
  cvae_gan: { label: 'cVAE-GAN', flags: ['--lambda_z', '0', '--lambda_GAN2', '0'] },
  clr_gan: { label: 'cLR-GAN', flags: ['--lambda_L1', '0', '--lambda_GAN', '0', '--lambda_kl', '0'] },
  bicycle_input: { label: 'BicycleGAN, z into the input', flags: ['--where_add', 'input'] },
  bicycle_all: { label: 'BicycleGAN, z into all blocks (the demo)', flags: ['--where_add', 'all'] },
};

const COMPARE_OPTIONS = {
  out: { type: 'string', default: 'runs/compare', describe: 'where the runs and the table go' },
  variants: {
    type: 'string',
    default: Object.keys(VARIANTS).join(','),
    describe: `comma-separated, of ${Object.keys(VARIANTS).join(', ')}`,
  },
  niter: { type: 'int', min: 0, describe: "epochs at the initial rate (default: the synthetic preset's)" },
  niter_decay: { type: 'int', min: 0, describe: "epochs of decay (default: the synthetic preset's)" },
  seed: { type: 'int', default: 0, describe: 'the same seed for every variant' },
  inputs: { type: 'int', min: 1, default: 100, describe: 'evaluation inputs K' },
  samples: { type: 'int', min: 2, default: 20, describe: 'evaluation samples S per input' },
} as const satisfies OptionTable;

const argv: OptionsOf<typeof COMPARE_OPTIONS> = resolveOptions(
  COMPARE_OPTIONS,
  cliValues(
    await cliParser(hideBin(process.argv), COMPARE_OPTIONS, {
      scriptName: 'compare',
      usage: '$0 [options]\n\nTrains and evaluates the variants of the paper on the synthetic set.',
    }).parse(),
    COMPARE_OPTIONS,
  ),
);
const names = argv.variants.split(',').filter(Boolean);
for (const n of names) if (!VARIANTS[n]) throw new Error(`unknown variant ${n}`);
mkdirSync(join(argv.out, 'grids'), { recursive: true });
const node = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}`);
};
const budget = [
  ...(argv.niter !== undefined ? ['--niter', String(argv.niter)] : []),
  ...(argv.niterDecay !== undefined ? ['--niter_decay', String(argv.niterDecay)] : []),
];
const rows: {
  name: string;
  label: string;
  flags: string[];
  trainS: number;
  itPerS: number;
  iters: number;
  r: EvalResult;
}[] = [];
for (const name of names) {
  const v = VARIANTS[name]!;
  const run = join(argv.out, name);
  console.log(`== ${v.label}: ${v.flags.join(' ')} ${budget.join(' ')}`);
  const t0 = performance.now();
  node([
    'examples/edges2shoes.ts',
    '--checkpoints_dir',
    argv.out,
    '--name',
    name,
    '--seed',
    String(argv.seed),
    '--verbose',
    'false',
    ...budget,
    ...v.flags,
  ]);
  const trainS = (performance.now() - t0) / 1000;
  node([
    'examples/evaluate.ts',
    '--run',
    run,
    '--inputs',
    String(argv.inputs),
    '--samples',
    String(argv.samples),
    '--seed',
    String(argv.seed),
  ]);
  const r = JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8')) as EvalResult & { iter: number };
  const log = readFileSync(join(run, 'loss_log.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { ms: number });
  const ms = log.reduce((a, e) => a + e.ms, 0) / Math.max(1, log.length);
  copyFileSync(join(run, 'samples', 'final.png'), join(argv.out, 'grids', `${name}.png`));
  rows.push({ name, label: v.label, flags: v.flags, trainS, itPerS: 1000 / ms, iters: r.iter, r });
}
const f = (x: number, d = 3) => x.toFixed(d);
const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${(100 * x).toFixed(0)}%`);
const real = rows[0]?.r;
const md = [
  '| variant | diversity L1 | diversity 1-MS-SSIM | modes hit / input (of 4) | valid samples | encoded z keeps mode | recon. L1 | recon. PSNR | NDB (of 20) | JSD | training |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    ({ label, r, trainS, iters, itPerS }) =>
      `| ${label} | ${f(r.diversity.l1.mean)} | ${f(r.diversity.msssim.mean)} | ${r.coverage ? f(r.coverage.modesPerInput, 2) : 'n/a'} | ${pct(r.coverage?.validFraction)} | ${pct(r.reconstruction.modeKept)} | ${f(r.reconstruction.l1)} | ${f(r.reconstruction.psnr, 1)} | ${r.ndb.ndb} | ${f(r.ndb.jsd, 4)} | ${iters} it, ${(trainS / 60).toFixed(1)} min (${itPerS.toFixed(1)} it/s) |`,
  ),
  ...(real
    ? [
        `| real images (reference) | ${f(real.realDiversity.l1.mean)} | ${f(real.realDiversity.msssim.mean)} | ${real.coverage ? '3.99 (random modes)' : ''} | 100% | 100% | 0 | inf | ${real.ndbRealVsReal.ndb} | ${f(real.ndbRealVsReal.jsd, 4)} | |`,
      ]
    : []),
].join('\n');
writeFileSync(join(argv.out, 'compare.md'), `${md}\n`);
writeFileSync(join(argv.out, 'compare.json'), `${JSON.stringify(rows, null, 1)}\n`);
console.log(md);
