// The Trainer on a fake GAN of two numbers (no GPU work): schedules, log, samples, checkpoints, resume,
// maxIters, untilIter, Ctrl-C and a non-finite loss.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { optim } from '../src/index.ts';
import { NonFiniteLossError } from '../src/nn/nonfinite.ts';
import { type DataSource, Trainer, type TrainerModule, type TrainerOptions } from '../src/train/trainer.ts';
import { rejects } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'bicycle-trainer-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** 3 batches per epoch; batch i of epoch e is the number 10e + i. */
const data: DataSource<number> = {
  batchesPerEpoch: 3,
  async *batches(epoch, start) {
    for (let i = start; i < 3; i++) yield 10 * epoch + i;
  },
};

/** A "generator" g chasing the data and a "discriminator" d chasing g, one SGD step each per batch. */
function fakeGan(hooks: { onStep?: (iter: number) => void; nanAt?: number } = {}) {
  const opt = { paramGroups: [{ lr: 0.1 }, { lr: 0.1 }] };
  const m = { g: 0, d: 0 };
  const sampled: number[] = [];
  const module: TrainerModule<number, { G: number; D: number }> = {
    async trainStep(x, info) {
      hooks.onStep?.(info.iter);
      const lossG = (m.g - x) ** 2;
      m.g -= opt.paramGroups[0].lr * 2 * (m.g - x);
      const lossD = (m.d - m.g) ** 2;
      m.d -= opt.paramGroups[1].lr * 2 * (m.d - m.g);
      return { G: info.iter === hooks.nanAt ? Number.NaN : lossG, D: lossD };
    },
    schedulers: [optim.linearDecay(opt, { niter: 1, niterDecay: 2 })],
    progressLosses: ['G'],
    async sampleGrid() {
      sampled.push(m.g);
      return [{ data: new Float32Array(4).fill(Math.tanh(m.g / 100)), shape: [1, 1, 2, 2] }];
    },
    async saveCheckpoint(dir, tag, state) {
      mkdirSync(join(dir, tag), { recursive: true });
      writeFileSync(join(dir, tag, 'state.json'), JSON.stringify({ ...state, ...m }));
    },
    async loadCheckpoint(dir, tag) {
      const folder = join(dir, tag);
      const s = JSON.parse(readFileSync(join(folder, 'state.json'), 'utf8'));
      m.g = s.g;
      m.d = s.d;
      return { state: s, folder };
    },
  };
  return { module, m, opt, sampled };
}

const options = (name: string, extra: Partial<TrainerOptions> = {}): TrainerOptions => ({
  outputDir: join(tmp, name),
  epochs: 3,
  displayFreq: 4,
  saveEpochFreq: 2,
  quiet: true,
  ...extra,
});

const logOf = (name: string) =>
  readFileSync(join(tmp, name, 'loss_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { ms, ...rest } = JSON.parse(l);
      assert.type(ms, 'number');
      return rest;
    });

test('a full run: the schedule steps per epoch, one log line per iteration, samples and checkpoints', async () => {
  const gan = fakeGan();
  const r = await new Trainer(gan.module, data, options('full')).fit();
  assert.is(r.stopped, 'done');
  assert.equal([r.state.epoch, r.state.batch, r.state.iter], [4, 0, 9]);
  const log = logOf('full');
  assert.is(log.length, 9);
  // BicycleGAN's lambda rule with niter 1, niter_decay 2: epochs 1, 2, 3 at 1, 2/3, 1/3 of the base.
  const lrs = [1, 2, 3].map((e) => 0.1 * (1 - Math.max(0, e - 1 + 1 - 1) / 3));
  assert.equal(
    log.map((l) => [l.epoch, l.batch, l.iter, l.lr]),
    [1, 2, 3].flatMap((e) => [0, 1, 2].map((b) => [e, b, 3 * (e - 1) + b + 1, lrs[e - 1]])),
  );
  assert.equal(Object.keys(log[0]), ['epoch', 'batch', 'iter', 'lr', 'G', 'D']);
  assert.is(gan.module.schedulers![0].lastEpoch, 3);
  assert.equal(readdirSync(join(tmp, 'full', 'samples')).sort(), [
    'final.png',
    'iter_0000004.png',
    'iter_0000008.png',
  ]);
  assert.equal(readdirSync(join(tmp, 'full', 'checkpoints')).sort(), ['2', 'latest']);
  const latest = JSON.parse(readFileSync(join(tmp, 'full', 'checkpoints', 'latest', 'state.json'), 'utf8'));
  assert.equal([latest.epoch, latest.batch, latest.iter, latest.g], [4, 0, 9, gan.m.g]);
});

test('maxIters stops and saves latest; resuming gives the uninterrupted run exactly', async () => {
  const whole = fakeGan();
  await new Trainer(whole.module, data, options('whole')).fit();
  const a = fakeGan();
  const first = await new Trainer(a.module, data, options('parts', { maxIters: 4 })).fit();
  assert.is(first.stopped, 'max-iters');
  assert.equal([first.state.epoch, first.state.batch, first.state.iter], [2, 1, 4]);
  // A fresh process: new model, new schedule, lr back at its base until the trainer sets the epoch.
  const b = fakeGan();
  const second = await new Trainer(b.module, data, options('parts', { resume: 'latest' })).fit();
  assert.is(second.stopped, 'done');
  assert.equal([b.m.g, b.m.d], [whole.m.g, whole.m.d]);
  assert.equal(logOf('parts'), logOf('whole'));
  assert.equal(b.opt.paramGroups[0].lr, whole.opt.paramGroups[0].lr);
});

test('untilIter is a whole-run budget: a resumed run does what is left, then nothing', async () => {
  const whole = fakeGan();
  await new Trainer(whole.module, data, options('until-whole', { untilIter: 7 })).fit();
  const a = fakeGan();
  const first = await new Trainer(a.module, data, options('until', { untilIter: 4 })).fit();
  assert.equal([first.stopped, first.ran, first.state.iter], ['max-iters', 4, 4]);
  const resumed = options('until', { untilIter: 7, resume: 'latest' });
  const b = fakeGan();
  const second = await new Trainer(b.module, data, resumed).fit();
  assert.equal([second.stopped, second.ran, second.state.iter], ['max-iters', 3, 7]);
  assert.equal([second.state.epoch, second.state.batch], [3, 1]);
  assert.equal([b.m.g, b.m.d], [whole.m.g, whole.m.d]);
  assert.equal(logOf('until'), logOf('until-whole'));
  // Already at the budget: no iteration, and neither the checkpoint nor the samples are rewritten.
  const latest = join(tmp, 'until', 'checkpoints', 'latest', 'state.json');
  const saved = readFileSync(latest, 'utf8');
  rmSync(join(tmp, 'until', 'samples'), { recursive: true });
  const c = fakeGan();
  const third = await new Trainer(c.module, data, resumed).fit();
  assert.equal([third.stopped, third.ran, third.state.iter], ['max-iters', 0, 7]);
  assert.is(readFileSync(latest, 'utf8'), saved);
  assert.not.ok(existsSync(join(tmp, 'until', 'samples')));
  assert.is(logOf('until').length, 7);
  // With maxIters too, the nearer of the two stops.
  const d = fakeGan();
  const r = await new Trainer(d.module, data, options('until-max', { untilIter: 7, maxIters: 2 })).fit();
  assert.equal([r.ran, r.state.iter], [2, 2]);
});

test('Ctrl-C finishes the iteration and saves latest', async () => {
  const listeners = process.listenerCount('SIGINT');
  const gan = fakeGan({ onStep: (iter) => iter === 2 && process.emit('SIGINT') });
  const r = await new Trainer(gan.module, data, options('sigint')).fit();
  assert.is(r.stopped, 'interrupted');
  assert.is(r.state.iter, 2);
  const latest = JSON.parse(readFileSync(join(tmp, 'sigint', 'checkpoints', 'latest', 'state.json'), 'utf8'));
  assert.equal([latest.epoch, latest.batch, latest.iter], [1, 2, 2]);
  assert.is(process.listenerCount('SIGINT'), listeners, 'the handler is removed');
});

test('a non-finite loss stops the run with a message and keeps the last checkpoint', async () => {
  const gan = fakeGan({ nanAt: 5 });
  const trainer = new Trainer(gan.module, data, options('nan'));
  await rejects(trainer.fit(), /loss G = NaN is not finite: training stopped/);
  try {
    await new Trainer(fakeGan({ nanAt: 1 }).module, data, options('nan1')).fit();
    assert.unreachable('no error');
  } catch (e) {
    assert.instance(e, NonFiniteLossError);
  }
  assert.is(logOf('nan').length, 4);
  const latest = JSON.parse(readFileSync(join(tmp, 'nan', 'checkpoints', 'latest', 'state.json'), 'utf8'));
  assert.equal([latest.epoch, latest.iter], [2, 3], 'latest is the end of epoch 1');
  assert.not.ok(existsSync(join(tmp, 'nan', 'samples', 'final.png')));
});

test.run();
