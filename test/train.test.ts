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

/** The file-system calls a checkpoint save makes (directly or through src/io/files.ts). */
const FS_STEPS = [
  'mkdirSync',
  'rmSync',
  'renameSync',
  'openSync',
  'writeSync',
  'fsyncSync',
  'closeSync',
] as const;

/**
 * Runs `fn` with the k-th file-system step (counting from 0) failing: `before` it happens (a kill just
 * before it), just `after` it, or `during` it (a recursive rmSync of a folder killed after removing one
 * file other than state.json, the worst case for checkpointDir's "state.json = whole" test). Returns the
 * number of steps seen (run with k = -1 to count them).
 */
async function withFailingStep(
  k: number,
  when: 'before' | 'after' | 'during',
  fn: () => Promise<unknown>,
): Promise<number> {
  const real = Object.fromEntries(FS_STEPS.map((n) => [n, fs[n]])) as Record<
    string,
    (...a: unknown[]) => unknown
  >;
  let step = 0;
  const patched = fs as unknown as Record<string, unknown>;
  for (const name of FS_STEPS) {
    patched[name] = (...args: unknown[]) => {
      const mine = step++;
      if (mine === k && when === 'during' && name === 'rmSync' && existsSync(String(args[0]))) {
        const folder = String(args[0]);
        const victim = fs.statSync(folder).isDirectory()
          ? readdirSync(folder).find((f) => f !== 'state.json')
          : undefined;
        if (victim) real.rmSync(join(folder, victim), { force: true });
        throw new Error(`killed during rmSync of ${folder} (step ${mine})`);
      }
      if (mine === k && when !== 'after') throw new Error(`killed before ${name} (step ${mine})`);
      // fsync itself is skipped (counted, failing as the others): a kill keeps the page cache, and
      // thousands of real fsyncs would make this test disk-bound.
      const r = name === 'fsyncSync' ? undefined : real[name](...args);
      if (mine === k) throw new Error(`killed after ${name} (step ${mine})`);
      return r;
    };
  }
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    Object.assign(patched, real);
    syncBuiltinESMExports();
  }
  return step;
}

test('a save killed at any file-system step, also while only latest.old exists, leaves a whole old or new checkpoint', async () => {
  const { cpSync } = await import('node:fs');
  const { checkpointDir, checkpointFiles, loadCheckpoint, saveCheckpoint, writeCheckpointFolder } =
    await import('../src/train/checkpoint.ts');
  const m = await BicycleGAN.create(tinyModel, 21);
  const fresh = await BicycleGAN.create(tinyModel, 22);
  const w = m.G.parameters()[0];
  const [oldV, newV] = [0.25, -0.5];
  const base = (iter: number) => ({ epoch: 1, batch: iter, iter, rng: 7, model: m.opts });
  // Templates: a run whose latest is the old state, and one killed mid-swap (only latest.old is whole).
  const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmp, 'bicycle-kill-'));
  const plain = join(root, 'plain');
  w.assign(new Float32Array(w.size).fill(oldV));
  await saveCheckpoint(plain, 'latest', m, base(1));
  const recovering = join(root, 'recovering');
  cpSync(plain, recovering, { recursive: true });
  renameSync(join(recovering, 'latest'), join(recovering, 'latest.old'));
  w.assign(new Float32Array(w.size).fill(newV));
  // The new checkpoint's bytes once (saveCheckpoint = checkpointFiles, then writeCheckpointFolder: every
  // file-system step of a save is in the second).
  const files = await checkpointFiles(m, base(2));
  const save = async (dir: string) => writeCheckpointFolder(dir, 'latest', files);
  const steps = await withFailingStep(-1, 'before', () => save(join(root, 'count')));
  assert.ok(steps > 20, `a save makes ${steps} file-system steps`);
  let runs = 0;
  for (const template of [plain, recovering]) {
    for (let k = 0; k < steps; k++) {
      for (const when of ['before', 'during', 'after'] as const) {
        const dir = join(root, `run-${runs++}`);
        cpSync(template, dir, { recursive: true });
        const what = `${template === plain ? 'latest' : 'only latest.old'}, killed ${when} step ${k}`;
        let failed = false;
        await withFailingStep(k, when, () => save(dir)).catch(() => {
          failed = true;
        });
        assert.ok(failed || (when === 'after' && k === steps - 1), `${what}: the injected failure happened`);
        // Whatever the step, one checkpoint is whole and loads: the old state or the new one.
        const folder = checkpointDir(dir, 'latest');
        const state = loadCheckpoint(folder, fresh);
        // The weight as loaded, read from its file (host side: no GPU readback per case).
        const gFile = T.io.parse(new Uint8Array(readFileSync(join(folder, 'net_G.safetensors'))));
        const v = gFile.tensors[m.G.namedParameters()[0][0]].data[0];
        assert.ok(
          (state.iter === 1 && v === oldV) || (state.iter === 2 && v === newV),
          `${what}: ${folder} holds iter ${state.iter} with weight ${v}`,
        );
        // The next clean save succeeds and leaves only its folder (no step fails; fsync skipped).
        await withFailingStep(-1, 'before', () => save(dir));
        assert.equal(readdirSync(dir), ['latest'], `${what}: cleaned up`);
        assert.is(loadCheckpoint(checkpointDir(dir, 'latest'), fresh).iter, 2);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  rmSync(root, { recursive: true, force: true });
  m.dispose();
  fresh.dispose();
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
  // lrD has no default ("as --lr"): absent above, a number when saved.
  await bad(
    (s) => ((s.model as Record<string, unknown>).lrD = 'fast'),
    named(/field 'model\.lrD' must be a number, got "fast"/),
  );
  const withLrD = structuredClone(saved);
  withLrD.model.lrD = 0.003;
  writeFileSync(statePath, JSON.stringify(withLrD));
  const r2 = await resume({}, { givenModelOptions: [] });
  assert.is(r2.model.opts.lrD, 0.003);
  // Resumed mid-schedule: D's rate is G's scaled by lrD / lr, both decayed alike.
  const lrOf = (name: string) => r2.model.optimizers().find(([n]) => n === name)![1].paramGroups[0]!.lr;
  const ratio = lrOf('D') / lrOf('G');
  assert.ok(Math.abs(ratio - 0.003 / r2.model.opts.lr) < 1e-9, `D/G rate ${ratio}`);
  r2.model.dispose();
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
