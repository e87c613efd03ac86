// Evaluates a BicycleGAN checkpoint without pretrained weights: diversity (the paper's K inputs x S
// samples protocol, mean L1 and 1 - MS-SSIM between consecutive samples of one input, with real pairs as
// the upper reference), reconstruction from the encoded z (L1, PSNR), NDB/JSD against real images, and on
// the synthetic set the modes hit per input, the valid samples and whether the encoded z keeps B's mode.
// Prints a table, writes eval.json into the run folder (or --json) and refreshes its report.html.
//   bash scripts/run.sh examples/evaluate.ts --run runs/synthetic
import { join } from 'node:path';
import { hideBin } from 'yargs/helpers';
import { init } from '../src/index.ts';
import { CHECKPOINT_OPTIONS } from '../src/train/checkpoint.ts';
import { evaluateRun, formatEvalTable, writeEvalJson } from '../src/train/evaluate.ts';
import { type OptionTable, parseOptions, runCommand } from '../src/train/options.ts';
import { writeRunReport } from '../src/train/report.ts';

const EVAL_OPTIONS = {
  ...CHECKPOINT_OPTIONS,
  dataroot: {
    type: 'string',
    describe: "data set (default: the run's; a folder with modes.json is the synthetic set)",
  },
  inputs: {
    type: 'int',
    min: 1,
    default: 100,
    describe: 'inputs K (at most the val images of a data set on disk)',
  },
  samples: { type: 'int', min: 2, default: 20, describe: 'random-z samples S per input' },
  seed: { type: 'int', default: 0, describe: 'seed of the z draws' },
  bins: { type: 'int', min: 2, default: 20, describe: 'k-means bins of NDB/JSD' },
  ndb_real: { type: 'int', min: 2, default: 1000, describe: 'real images the NDB bins are fitted on' },
  threshold: {
    type: 'number',
    min: 0,
    default: 0.12,
    describe: 'validity: largest distance to a mode prototype',
  },
  json: { type: 'string', describe: 'where to write the JSON (default <run>/eval.json)' },
  no_report: { type: 'boolean', default: false, describe: "do not refresh the run's report.html" },
} as const satisfies OptionTable;

await runCommand(main);

async function main(): Promise<void> {
  const argv = await parseOptions(hideBin(process.argv), EVAL_OPTIONS, {
    scriptName: 'evaluate',
    usage:
      '$0 --run <run folder> [options]\n\nDiversity (L1, 1 - MS-SSIM; LPIPS needs pretrained AlexNet weights, unavailable here), mode coverage and validity (synthetic set), NDB/JSD and reconstruction of a BicycleGAN checkpoint.',
  });
  await init({ verbose: false });
  const { result, iter } = await evaluateRun(argv.run, {
    epoch: argv.epoch,
    dataroot: argv.dataroot,
    inputs: argv.inputs,
    samples: argv.samples,
    seed: argv.seed,
    bins: argv.bins,
    ndbReal: argv.ndbReal,
    threshold: argv.threshold,
  });
  console.log(
    `${argv.run} (checkpoint ${argv.epoch}, iteration ${iter}) on ${result.dataroot}, ${result.seconds.toFixed(1)} s`,
  );
  console.log(formatEvalTable(result));
  const path = argv.json ?? join(argv.run, 'eval.json');
  writeEvalJson(path, { ...result, run: argv.run, checkpoint: argv.epoch, iter });
  console.log(`wrote ${path}`);
  if (!argv.noReport) console.log(`wrote ${writeRunReport(argv.run)}`);
}
