import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  EMBEDDED,
  OPTIONS,
  parseTrainCommand,
  RECIPE,
  type TrainOptions,
  trainParser,
} from '../src/train/bicyclegan-options.ts';
import {
  type OptionsOf,
  type OptionTable,
  readConfig,
  resolveOptions,
  validateConfig,
  validateValues,
} from '../src/train/options.ts';
import { rejects } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'bicycle-options-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const parse = (args: string[]) => parseTrainCommand(args, { exitProcess: false });
const throwsMessage = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: Error) => re.test(e.message));

// What examples/edges2shoes.ts resolved before the option table (its hand-written mapping), as JSON.
const OLD_SYNTHETIC = {
  model: {
    inputNc: 1,
    outputNc: 3,
    nz: 8,
    netG: 'unet_64',
    netE: 'resnet_64',
    netD: 'basic_64_multi',
    netD2: 'basic_64_multi',
    ngf: 16, // the synthetic preset (docs/RESULTS.md)
    nef: 8,
    ndf: 8,
    norm: 'instance',
    normE: 'none', // the synthetic preset (docs/RESULTS.md)
    normD: 'none', // the synthetic preset
    nl: 'relu',
    useDropout: false,
    whereAdd: 'all',
    upsample: 'basic',
    numDs: 2,
    conditionalD: false,
    useSameD: false,
    ganMode: 'lsgan',
    lambdaL1: 10,
    lambdaGAN: 1,
    lambdaGAN2: 1,
    lambdaZ: 0.5,
    lambdaKL: 0.03, // the synthetic preset
    lr: 0.001,
    beta1: 0.5,
    initType: 'xavier',
    initTypeE: 'kaiming', // the synthetic preset
    initGain: 0.02,
  },
  dataroot: 'data/synthetic-64',
  phase: 'train',
  direction: 'AtoB',
  loadSize: 64,
  cropSize: 64,
  preprocess: 'resize_and_crop',
  noFlip: false,
  skipBadImages: false,
  batchSize: 2,
  split: true,
  niter: 2, // the synthetic preset
  niterDecay: 5,
  printFreq: 10,
  displayFreq: 50,
  displayCount: 4,
  displaySamples: 4,
  saveLatestFreq: 100,
  saveEpochFreq: 1,
  seed: 0,
  outputDir: 'runs/synthetic',
};
const { normE: _n, normD: _d, initTypeE: _i, ...OFFICIAL_MODEL } = OLD_SYNTHETIC.model;
const OLD_EDGES2SHOES = {
  ...OLD_SYNTHETIC,
  model: {
    ...OFFICIAL_MODEL,
    netG: 'unet_256',
    netE: 'resnet_256',
    netD: 'basic_256_multi',
    netD2: 'basic_256_multi',
    ngf: 64,
    nef: 64,
    ndf: 64,
    useDropout: true,
    lr: 0.0002,
    lambdaKL: 0.01,
  },
  dataroot: 'datasets/e2s',
  loadSize: 256,
  cropSize: 256,
  noFlip: true,
  niter: 30,
  niterDecay: 30,
  printFreq: 100,
  displayFreq: 400,
  saveLatestFreq: 10000,
  saveEpochFreq: 5,
  outputDir: 'runs/edges2shoes',
};
// givenModelOptions (what the user set, for resuming) is tested on its own below.
const asJSON = ({ givenModelOptions: _, ...o }: TrainOptions) => JSON.parse(JSON.stringify(o));

test('the resolved defaults equal what the command line gave before the table (both presets)', async () => {
  assert.equal(asJSON((await parse([])).train), OLD_SYNTHETIC);
  assert.equal(
    asJSON((await parse(['--preset', 'edges2shoes', '--dataroot', 'datasets/e2s'])).train),
    OLD_EDGES2SHOES,
  );
  const r = await parse(
    '--batch_size 4 --no_split --continue_train --epoch 3 --name foo --lr 0.01'.split(' '),
  );
  assert.equal(asJSON(r.train), {
    ...OLD_SYNTHETIC,
    model: { ...OLD_SYNTHETIC.model, lr: 0.01 },
    batchSize: 4,
    split: false,
    outputDir: 'runs/foo',
    continueFrom: '3',
  });
  // The key order of the model options (state.json records it) is DEFAULT_OPTIONS'.
  assert.equal(Object.keys(asJSON(r.train).model), Object.keys(OLD_SYNTHETIC.model));
});

test('presets: --preset edges2shoes is the reference script; --dataroot alone the official defaults', async () => {
  const official = (await parse(['--dataroot', 'datasets/e2s'])).train;
  assert.equal(
    [
      official.model.inputNc,
      official.loadSize,
      official.cropSize,
      official.noFlip,
      official.model.useDropout,
    ],
    [3, 286, 256, false, false],
  );
  assert.equal(
    [official.niter, official.niterDecay, official.model.netG, official.model.lr],
    [100, 100, 'unet_256', 0.0002],
  );
  assert.is(official.outputDir, 'runs/e2s');
  const e2s = await parse(['--preset', 'edges2shoes', '--dataroot', 'datasets/e2s', '--input_nc', '3']);
  assert.equal([e2s.train.model.inputNc, e2s.train.loadSize, e2s.train.niter], [3, 256, 30]); // cli > preset
  assert.is(e2s.options.preset, 'edges2shoes');
  // No --dataroot: the synthetic preset (also when named), on any data set when asked for.
  assert.is((await parse([])).options.preset, 'synthetic');
  const synth = await parse(['--preset', 'synthetic', '--dataroot', 'datasets/e2s']);
  assert.equal(
    [synth.train.model.netG, synth.train.dataroot, synth.train.outputDir],
    ['unet_64', 'datasets/e2s', 'runs/synthetic'],
  );
  await rejects(parse(['--preset', 'edges2shoes']), /--preset edges2shoes needs --dataroot/);
  await rejects(parse(['--preset', 'shoes']), /--preset must be one of edges2shoes, synthetic, got shoes/);
  const help = (await trainParser([]).getHelp()).replace(/\s+/g, ' ');
  assert.match(
    help,
    /Presets \(--preset NAME\): edges2shoes: input_nc=1 load_size=256 crop_size=256 no_flip=true/,
  );
  assert.match(help, / synthetic: input_nc=1 load_size=64 /);
});

test('resuming: the model options the user gave (command line, config, a named preset) are recorded', async () => {
  const file = join(tmp, 'resume.json');
  writeFileSync(file, JSON.stringify({ ngf: 16, batch_size: 4 }));
  const r = await parse([
    '--continue_train',
    '--nz',
    '4',
    '--config',
    file,
    '--lambda_kl',
    '0.1',
    '--seed',
    '2',
  ]);
  assert.equal(r.train.givenModelOptions, ['nz', 'ngf', 'lambdaKL']);
  assert.equal((await parse(['--continue_train'])).train.givenModelOptions, []);
  const p = await parse(['--preset', 'edges2shoes', '--dataroot', 'x']);
  assert.equal(p.train.givenModelOptions, ['inputNc', 'useDropout']);
});

test('a repeated command-line option: the last one wins', async () => {
  const r = await parse(['--nz', '4', '--nz', '6', '--no_flip', '--no_flip', 'false']);
  assert.is(r.train.model.nz, 6);
  assert.is(r.train.noFlip, false);
});

test('a bad command-line value names the option and what it must be', async () => {
  await rejects(parse(['--nz', '0']), /^--nz must be an integer >= 1, got 0$/);
  await rejects(parse(['--nz', '3x']), /--nz must be an integer >= 1, got 3x/);
  await rejects(parse(['--batch_size', '2.5']), /--batch_size must be an integer >= 1, got 2.5/);
  await rejects(parse(['--lr', 'fast']), /--lr must be a number > 0, got fast/);
  await rejects(parse(['--lr', '0']), /^--lr must be a number > 0, got 0$/);
  await rejects(parse(['--display_count', '0']), /^--display_count must be an integer >= 1, got 0$/);
  await rejects(parse(['--max_iters', '0']), /^--max_iters must be an integer >= 1, got 0$/);
  await rejects(parse(['--beta1', '1.5']), /--beta1 must be a number in \[0, 1\], got 1.5/);
  await rejects(
    parse(['--netG', 'unet_512']),
    /--netG must be one of unet_64, unet_128, unet_256, got unet_512/,
  );
  await rejects(parse(['--input_nc', '2']), /--input_nc must be one of 1, 3, got 2/);
  await rejects(parse(['--bogus', '1']), /^Unknown argument: bogus; --help lists the options$/);
  // Numbers in text form parse strictly; negative and exponent forms are numbers.
  const r = await parse(['--seed', '-3', '--lr', '2e-4']);
  assert.equal([r.train.seed, r.train.model.lr], [-3, 2e-4]);
});

test('a config file: unknown keys and wrong types are rejected naming the key and the file', async () => {
  const file = join(tmp, 'opts.json');
  writeFileSync(file, JSON.stringify({ nz: 4, bogus: 1, batchSize: 2 }));
  throwsMessage(
    () => readConfig(file, OPTIONS),
    /opts\.json: unknown options bogus, batchSize \(did you mean batch_size\?\)/,
  );
  throwsMessage(
    () => validateConfig({ nz: '4' }, OPTIONS, 'my.json'),
    /^my\.json: nz must be an integer >= 1, got "4" \(a string\)$/,
  );
  throwsMessage(
    () => validateConfig({ no_flip: 1 }, OPTIONS, 'my.json'),
    /my\.json: no_flip must be true or false/,
  );
  throwsMessage(
    () => validateConfig({ niter: -1 }, OPTIONS, 'my.json'),
    /my\.json: niter must be an integer >= 0, got -1/,
  );
  throwsMessage(
    () => validateConfig([1], OPTIONS, 'my.json'),
    /my\.json: a config file must hold one JSON object/,
  );
  writeFileSync(file, '{ "nz": 4,');
  throwsMessage(() => readConfig(file, OPTIONS), /cannot read config .*opts\.json/);
  await rejects(parse(['--config', file]), /cannot read config/);
});

test('precedence: defaults < preset < config file < command line', async () => {
  const file = join(tmp, 'good.json');
  writeFileSync(
    file,
    JSON.stringify({ nz: 5, batch_size: 4, lr: 0.5, dataroot: 'datasets/e2s', preset: 'edges2shoes' }),
  );
  const r = await parse(['--config', file, '--nz', '7']);
  assert.is(r.train.model.nz, 7); // command line over config
  assert.is(r.train.batchSize, 4); // config over default
  assert.is(r.train.model.lr, 0.5); // config over the recipe
  assert.is(r.train.loadSize, 256); // the preset, named in the config
  assert.is(r.train.phase, 'train'); // the default
});

test('the presets are checked by the same table', () => {
  validateValues(RECIPE, OPTIONS);
  validateValues(EMBEDDED, OPTIONS);
  throwsMessage(
    () => validateValues({ ngf: 0 }, OPTIONS, { where: 'preset tiny' }),
    /^preset tiny: ngf must be an integer >= 1, got 0$/,
  );
});

test('--help lists every option with its description and default', async () => {
  const help = (await trainParser([]).getHelp()).replace(/\s+/g, ' ');
  for (const [name, spec] of Object.entries(OPTIONS as OptionTable)) {
    assert.ok(help.includes(`--${name} ${spec.describe.split(' ')[0]}`), `--${name} and its description`);
    assert.ok(help.includes(spec.describe.replace(/\s+/g, ' ')), `description of --${name}`);
    if (spec.default !== undefined) {
      const at = help.indexOf(`--${name} `);
      const next = help.indexOf(' --', at + 3);
      assert.ok(
        help.slice(at, next).includes(`[default: ${JSON.stringify(spec.default)}`),
        `default of --${name}`,
      );
    }
  }
  assert.match(help, /--niter .*\[default: 100; edges2shoes: 30; synthetic: 2\]/);
  assert.match(help, /--niter_decay .*\[default: 100; edges2shoes: 30; synthetic: 5\]/);
});

test('OptionsOf: camelCase names, `to`, `invert`, optional entries, demanded entries', () => {
  const TABLE = {
    batch_size: { type: 'int', default: 2, min: 1, describe: 'b' },
    lambda_kl: { type: 'number', default: 0.01, to: 'lambdaKL', describe: 'k' },
    no_split: { type: 'boolean', default: false, to: 'split', invert: true, describe: 's' },
    mode: { type: 'string', choices: ['a', 'b'], default: 'a', describe: 'm' },
    run: { type: 'string', demand: true, describe: 'r' },
    max_iters: { type: 'int', describe: 'm' },
  } as const satisfies OptionTable;
  type O = OptionsOf<typeof TABLE>;
  const o: O = resolveOptions(TABLE, { run: 'x' }, { no_split: true, mode: 'b' });
  // Compile-time: these are the derived property types.
  const typed: { batchSize: number; lambdaKL: number; split: boolean; mode: 'a' | 'b'; run: string } = o;
  const optional: number | undefined = o.maxIters;
  assert.equal(typed, {
    batchSize: 2,
    lambdaKL: 0.01,
    split: false,
    mode: 'b',
    run: 'x',
    maxIters: undefined,
  });
  assert.is(optional, undefined);
  throwsMessage(() => resolveOptions(TABLE), /--run is required/);
});

/** Runs a command-line script (no GPU is started before its options are checked): exit code and output. */
function runScript(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

test('the command lines print one line `error: ...` naming the option and exit 1 (no help text, no stack)', async () => {
  const e2s = 'examples/edges2shoes.ts';
  const sample = 'examples/sample.ts';
  const cases: [string, string[], RegExp][] = [
    [e2s, ['--lr', '0'], /^error: --lr must be a number > 0, got 0$/],
    [e2s, ['--display_count', '0'], /^error: --display_count must be an integer >= 1, got 0$/],
    [e2s, ['--max_iters', '0'], /^error: --max_iters must be an integer >= 1, got 0$/],
    [e2s, ['--bogus', '1'], /^error: Unknown argument: bogus; --help lists the options$/],
    [
      sample,
      ['--run', tmp, '--input', tmp, '--n_samples', '-1'],
      /^error: --n_samples must be an integer >= 1, got -1$/,
    ],
    [
      sample,
      ['--run', tmp, '--input', tmp, '--direction', 'up'],
      /^error: --direction must be one of AtoB, BtoA, got up$/,
    ],
    [sample, ['--input', tmp], /^error: --run is required/],
    [sample, ['--run', join(tmp, 'no-run'), '--input', tmp], /^error: no checkpoint 'latest' in .*no-run/],
  ];
  const results = await Promise.all(cases.map(([script, args]) => runScript(script, args)));
  results.forEach(({ code, stdout, stderr }, i) => {
    const [script, args, re] = cases[i];
    const what = `${script} ${args.join(' ')}`;
    assert.is(code, 1, `${what}: exit code`);
    assert.is(stdout, '', `${what}: nothing on stdout (no help text)`);
    const lines = stderr.trim().split('\n');
    assert.is(lines.length, 1, `${what}: one line, got ${stderr}`);
    assert.match(lines[0], re, what);
  });
});

test.run();
