import fs, {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { syntheticSample } from '../src/data/synthetic.ts';
import { ensureSyntheticDataset } from '../src/data/synthetic-files.ts';
import * as T from '../src/index.ts';
import {
  BicycleGAN,
  type BicycleGANOptions,
  DEFAULT_OPTIONS,
  NonFiniteLossError,
  readLosses,
} from '../src/models/bicyclegan/model.ts';
import { type TrainOptions, trainBicycleGAN } from '../src/train/bicyclegan.ts';
import { rejects, setup } from './helpers.ts';

test.before(setup);

const tmp = mkdtempSync(join(tmpdir(), 'bicycle-train-'));
const data = join(tmp, 'synthetic');
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const tinyModel = {
  ...DEFAULT_OPTIONS,
  inputNc: 1,
  netG: 'unet_64',
  netE: 'resnet_64',
  netD: 'basic_64_multi',
  netD2: 'basic_64_multi',
  ngf: 2,
  nef: 2,
  ndf: 2,
  useDropout: true,
} as const;

function options(name: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    model: { ...tinyModel },
    dataroot: data,
    phase: 'train',
    direction: 'AtoB',
    loadSize: 64,
    cropSize: 64,
    preprocess: 'resize_and_crop',
    noFlip: false,
    batchSize: 2,
    split: true,
    niter: 1,
    niterDecay: 2,
    printFreq: 100,
    displayFreq: 0,
    displayCount: 2,
    displaySamples: 2,
    saveLatestFreq: 0,
    saveEpochFreq: 1,
    seed: 5,
    outputDir: join(tmp, name),
    workers: 0,
    quiet: true,
    ...extra,
  };
}

async function weights(m: BicycleGAN): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const [, net] of m.networks()) for (const p of net.parameters()) out.push(await p.data());
  return out;
}

test('a run stopped and resumed gives the same weights as an uninterrupted run', async () => {
  await ensureSyntheticDataset(data, { size: 64, train: 8, val: 2, modes: 4, seed: 1 });
  // 8 images, batch 2: 4 iterations per epoch; 6 iterations cross an epoch boundary and the LR decay.
  const full = await trainBicycleGAN(options('full', { maxIters: 6 }));
  const first = await trainBicycleGAN(options('split', { maxIters: 3 }));
  assert.is(first.stopped, 'max-iters');
  first.model.dispose();
  const second = await trainBicycleGAN(options('split', { maxIters: 3, continueFrom: 'latest' }));
  assert.is(second.state.iter, 6);
  assert.equal([second.state.epoch, second.state.batch], [full.state.epoch, full.state.batch]);
  const a = await weights(full.model);
  const b = await weights(second.model);
  let worst = 0;
  a.forEach((w, i) => {
    for (let j = 0; j < w.length; j++) worst = Math.max(worst, Math.abs(w[j] - b[i][j]));
  });
  assert.ok(worst < 1e-6, `largest weight difference ${worst}`);
  const lossLines = readFileSync(join(tmp, 'split', 'loss_log.jsonl'), 'utf8')
    .trim()
    .split('\n');
  assert.is(lossLines.length, 6);
  full.model.dispose();
  second.model.dispose();
});

test('the sampling command works on a checkpoint: grids and index.html', async () => {
  const { execFileSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const out = join(tmp, 'samples');
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'examples/sample.ts',
      '--run',
      join(tmp, 'full'),
      '--input',
      join(data, 'val'),
      '--output',
      out,
      '--n_samples',
      '3',
      '--interp_steps',
      '4',
      '--sync',
      '--reference',
      join(data, 'val', '00001.png'),
    ],
    { stdio: 'pipe' },
  );
  for (const f of [
    'samples.png',
    'ground_truth.png',
    'reference.png',
    'interp_linear.png',
    'interp_slerp.png',
    'index.html',
  ]) {
    assert.ok(existsSync(join(out, f)), `${f} missing`);
  }
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.match(html, /<img src="interp_slerp.png"/);
  // samples.png: 2 inputs x (A, encoded, 3 samples) cells of 64 px with 2 px gaps.
  const { decodeImageBytes } = await import('../src/data/files.ts');
  const img = decodeImageBytes(new Uint8Array(readFileSync(join(out, 'samples.png'))), 'samples.png');
  assert.equal([img.width, img.height], [2 + 5 * 66, 2 + 2 * 66]);
});

test('crashes: resume drops log lines past the checkpoint, a save keeps latest.old until its folder is in place, temp folders of crashed saves go', async () => {
  const { checkpointDir, saveCheckpoint } = await import('../src/train/checkpoint.ts');
  const run = join(tmp, 'crash');
  const ckpt = join(run, 'checkpoints');
  const first = await trainBicycleGAN(options('crash', { maxIters: 2 }));
  // Killed after logging iteration 3 (and half of 4), before saving it; a save's temp folder left behind;
  // and the last swap interrupted between its renames: only latest.old is whole.
  appendFileSync(join(run, 'loss_log.jsonl'), '{"epoch":1,"batch":3,"iter":3,"G_L1":1}\n{"epoch":1,"ba');
  mkdirSync(join(ckpt, '.latest.tmp-999999'));
  renameSync(join(ckpt, 'latest'), join(ckpt, 'latest.old'));
  // A second crash, in the next save, just before its folder is renamed into place.
  const realRename = fs.renameSync;
  fs.renameSync = (from, to) => {
    if (String(from).includes('.tmp-')) throw new Error('killed');
    realRename(from, to);
  };
  syncBuiltinESMExports();
  try {
    await rejects(saveCheckpoint(ckpt, 'latest', first.model, first.state), /killed/);
  } finally {
    fs.renameSync = realRename;
    syncBuiltinESMExports();
  }
  assert.is(checkpointDir(ckpt, 'latest'), join(ckpt, 'latest.old'), 'the only whole copy survived');
  first.model.dispose();
  const second = await trainBicycleGAN(options('crash', { maxIters: 2, continueFrom: 'latest' }));
  second.model.dispose();
  const iters = readFileSync(join(run, 'loss_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).iter);
  assert.equal(iters, [1, 2, 3, 4]);
  assert.equal(
    readdirSync(ckpt).filter((f) => f.includes('.tmp-') || f.endsWith('.old')),
    [],
  );
  assert.ok(existsSync(join(ckpt, 'latest', 'state.json')));
});

test('a corrupt or mismatched checkpoint is rejected whole, naming the file, and changes nothing', async () => {
  const { copyFileSync, writeFileSync, cpSync } = await import('node:fs');
  const { loadCheckpoint } = await import('../src/train/checkpoint.ts');
  const folder = join(tmp, 'broken');
  cpSync(join(tmp, 'full', 'checkpoints', 'latest'), folder, { recursive: true });
  const bytes = readFileSync(join(folder, 'net_D2.safetensors'));
  writeFileSync(join(folder, 'net_D2.safetensors'), bytes.subarray(0, bytes.length - 100));
  const m = await BicycleGAN.create(tinyModel, 9);
  const before = await weights(m);
  assert.throws(
    () => loadCheckpoint(folder, m),
    /cannot load checkpoint .*broken \(nothing was changed\)[\s\S]*net_D2\.safetensors/,
  );
  // Another architecture: a wider generator's file.
  copyFileSync(
    join(tmp, 'full', 'checkpoints', 'latest', 'net_D2.safetensors'),
    join(folder, 'net_D2.safetensors'),
  );
  const wide = await BicycleGAN.create({ ...tinyModel, ngf: 4 }, 9);
  assert.throws(
    () => loadCheckpoint(folder, wide),
    /net_G\.safetensors: model\.down\.0\.weight has shape \[2,9,4,4\], the model \[4,9,4,4\]/,
  );
  const after = await weights(m);
  assert.ok(
    before.every((w, i) => w.every((v, j) => v === after[i][j])),
    'weights unchanged after a failed load',
  );
  m.dispose();
  wide.dispose();
});

test('a non-finite loss stops training with a message and keeps the last good checkpoint', async () => {
  const ok = await trainBicycleGAN(options('nan', { maxIters: 2 }));
  ok.model.dispose();
  const statePath = join(tmp, 'nan', 'checkpoints', 'latest', 'state.json');
  const before = readFileSync(statePath, 'utf8');
  // A fresh start in the same run folder (resuming would refuse the changed lambda_kl).
  const bad = options('nan', { maxIters: 2 });
  bad.model = { ...bad.model, lambdaKL: Number.POSITIVE_INFINITY };
  try {
    await trainBicycleGAN(bad);
    assert.unreachable('training went on with a NaN loss');
  } catch (e) {
    assert.instance(e, NonFiniteLossError);
    assert.match((e as Error).message, /loss kl = (NaN|-?Infinity) is not finite: training stopped/);
  }
  assert.is(readFileSync(statePath, 'utf8'), before, 'latest checkpoint untouched');
});

test('resume with changed options: refused with every difference unless not given (then the saved value); nonsense state.json refused', async () => {
  const { cpSync, writeFileSync } = await import('node:fs');
  const run = join(tmp, 'changed');
  cpSync(join(tmp, 'full'), run, { recursive: true });
  const resume = (model: Partial<BicycleGANOptions>, extra: Partial<TrainOptions> = {}) =>
    trainBicycleGAN(
      options('changed', {
        maxIters: 1,
        continueFrom: 'latest',
        ...extra,
        model: { ...tinyModel, ...model },
      }),
    );
  const statePath = join(run, 'checkpoints', 'latest', 'state.json');
  const before = readFileSync(statePath, 'utf8');
  // Library call: every model option counts as given.
  await rejects(
    resume({ ngf: 4, nl: 'lrelu', lambdaL1: 5, initGain: 1 }),
    new RegExp(
      "cannot resume from .*changed[/\\\\]checkpoints[/\\\\]latest[/\\\\]state\\.json: 3 options of the networks or losses differ from the checkpoint's:\\n" +
        '  --ngf: the checkpoint has 2, given 4\\n  --nl: the checkpoint has "relu", given "lrelu"\\n  --lambda_L1: the checkpoint has 10, given 5\\n' +
        'Leave them out',
    ),
  );
  assert.is(readFileSync(statePath, 'utf8'), before, 'nothing written');
  // Only lambda_L1 given (and equal): the other changed values are not the user's, so the saved ones are used.
  const r = await resume({ ngf: 4, nl: 'lrelu' }, { givenModelOptions: ['lambdaL1'] });
  assert.equal([r.model.opts.ngf, r.model.opts.nl], [2, 'relu']);
  assert.is(r.state.iter, 7);
  assert.is(r.state.model.ngf, 2);
  r.model.dispose();
  // Nonsense state.json: refused naming the file.
  const saved = JSON.parse(readFileSync(statePath, 'utf8'));
  const bad = async (edit: (s: Record<string, unknown>) => void, re: RegExp) => {
    const s = structuredClone(saved);
    edit(s);
    writeFileSync(statePath, JSON.stringify(s));
    await rejects(resume({}), re);
  };
  const file = /changed[/\\]checkpoints[/\\]latest[/\\]state\.json: /;
  const named = (re: RegExp) => new RegExp(`${file.source}(not a usable checkpoint state: .*)?${re.source}`);
  await bad(
    (s) => (s.epoch = -1),
    named(/not a usable checkpoint state: field 'epoch' must be an integer >= 1, got -1/),
  );
  await bad((s) => (s.iter = 2.5), named(/field 'iter' must be an integer >= 0, got 2\.5/));
  await bad((s) => delete s.rng, named(/field 'rng' is missing/));
  await bad((s) => delete (s.model as Record<string, unknown>).nz, named(/field 'model\.nz' is missing/));
  await bad(
    (s) => ((s.model as Record<string, unknown>).ngf = '2'),
    named(/field 'model\.ngf' must be a number, got "2"/),
  );
  await bad((s) => (s.batch = 9), named(/batch 9 is past the end of an epoch \(4 batches of 2 here\)/));
  writeFileSync(statePath, before);
});

test('bad training input gives clear errors', async () => {
  await rejects(trainBicycleGAN(options('odd', { batchSize: 3 })), /--batch_size 3 must be even/);
  await rejects(trainBicycleGAN(options('missing', { dataroot: join(tmp, 'nowhere') })), /nowhere/);
});

test('200 iterations on two fixed pairs drive the L1 reconstruction down by more than 2x', async () => {
  T.manualSeed(3);
  const m = await BicycleGAN.create({ ...tinyModel, ngf: 4, nef: 4, ndf: 4, useDropout: false }, 3);
  const pairs = [0, 1].map((i) => syntheticSample('train', i, { size: 64, modes: 4, seed: 2 }));
  const { toCHW, toGrayscale } = await import('../src/data/image.ts');
  const A = T.tensor(
    Float32Array.from(pairs.flatMap((p) => Array.from(toCHW(toGrayscale(p.A))))),
    [2, 1, 64, 64],
  );
  const B = T.tensor(Float32Array.from(pairs.flatMap((p) => Array.from(toCHW(p.B)))), [2, 3, 64, 64]);
  const l1: number[] = [];
  for (let i = 0; i < 200; i++) {
    const l = T.tidy(() => T.keep(m.trainStep(A, B)));
    l1.push((await readLosses(l)).G_L1);
    l.dispose();
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const start = mean(l1.slice(0, 10));
  const end = mean(l1.slice(-10));
  assert.ok(end < start / 2, `L1 went from ${start.toFixed(3)} to ${end.toFixed(3)}`);
  m.dispose();
});

test.run();
