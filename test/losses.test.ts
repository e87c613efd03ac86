import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { checkOp, randomNd, setup, toTensor } from './helpers.ts';
import { type Nd, nd } from './reference.ts';

const { nn } = T;

test.before(setup);

/** The float64 mean over elements of f(x_i, y_i) (y broadcast when it has one element). */
function meanOf(x: Nd, y: Nd | number, f: (a: number, b: number) => number): Nd {
  let s = 0;
  for (let i = 0; i < x.data.length; i++) s += f(x.data[i], typeof y === 'number' ? y : y.data[i]);
  return nd([], [s / x.data.length]);
}

const bce = (x: number, y: number) => {
  const p = 1 / (1 + Math.exp(-x));
  // The textbook form, fine in float64 for |x| < 30.
  return -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
};

test('l1Loss: mean |x - y|, forward and gradients of both inputs', async () => {
  await checkOp({
    inputs: [randomNd([3, 4, 5], 1), randomNd([3, 4, 5], 2)],
    ref: ([x, y]) => meanOf(x, y, (a, b) => Math.abs(a - b)),
    gpu: ([x, y]) => nn.l1Loss(x, y),
  });
});

test('mseLoss: mean (x - y)^2, forward and gradients of both inputs', async () => {
  await checkOp({
    inputs: [randomNd([2, 3, 4, 4], 3), randomNd([2, 3, 4, 4], 4)],
    ref: ([x, y]) => meanOf(x, y, (a, b) => (a - b) ** 2),
    gpu: ([x, y]) => nn.mseLoss(x, y),
  });
});

test('mseLoss and l1Loss against a number (the fused launch) and a broadcast target (composed ops)', async () => {
  for (const [loss, f] of [
    [nn.mseLoss, (a: number, b: number) => (a - b) ** 2],
    [nn.l1Loss, (a: number, b: number) => Math.abs(a - b)],
  ] as const) {
    await checkOp({
      inputs: [randomNd([2, 3, 5], 7)],
      ref: ([x]) => meanOf(x, { shape: x.shape, data: x.data.map(() => 0.25) }, f),
      gpu: ([x]) => loss(x, 0.25),
    });
    await checkOp({
      inputs: [randomNd([2, 3, 5], 8), randomNd([3, 1], 9)],
      ref: ([x, y]) =>
        meanOf(x, { shape: x.shape, data: x.data.map((_, i) => y.data[Math.floor(i / 5) % 3]) }, f),
      gpu: ([x, y]) => loss(x, y),
      grad: [true, false],
    });
  }
});

test('bceWithLogitsLoss: matches -[y log p + (1-y) log(1-p)], gradients of logits and targets', async () => {
  await checkOp({
    inputs: [randomNd([4, 7], 5, -4, 4), randomNd([4, 7], 6, 0, 1)],
    ref: ([x, y]) => meanOf(x, y, bce),
    gpu: ([x, y]) => nn.bceWithLogitsLoss(x, y),
  });
});

test('bceWithLogitsLoss is stable for large logits: finite loss, gradient (sigmoid(x) - y) / n', async () => {
  const xs = [-80, -30, 0, 30, 80, 5];
  const ys = [1, 0, 0.5, 1, 0, 1];
  const x = T.tensor(xs, [6], { requiresGrad: true });
  const loss = nn.bceWithLogitsLoss(x, T.tensor(ys, [6]));
  // Stable form in float64: max(x, 0) - x y + log1p(exp(-|x|)).
  const ref =
    xs.reduce((s, v, i) => s + Math.max(v, 0) - v * ys[i] + Math.log1p(Math.exp(-Math.abs(v))), 0) / 6;
  const got = await loss.item();
  assert.ok(Number.isFinite(got));
  assert.ok(Math.abs(got - ref) < 1e-5 * Math.abs(ref), `${got} vs ${ref}`);
  loss.backward();
  const g = await x.grad!.data();
  xs.forEach((v, i) => {
    const want = (1 / (1 + Math.exp(-v)) - ys[i]) / 6;
    assert.ok(Math.abs(g[i] - want) < 1e-6, `grad ${i}: ${g[i]} vs ${want}`);
  });
});

for (const mode of ['lsgan', 'vanilla'] as const) {
  for (const real of [true, false]) {
    test(`ganLoss ${mode}, target ${real ? 'real (1)' : 'fake (0)'}: sum over two discriminator scales`, async () => {
      const t = real ? 1 : 0;
      const f = mode === 'lsgan' ? (a: number) => (a - t) ** 2 : (a: number) => bce(a, t);
      await checkOp({
        // Two PatchGAN heads of different sizes, as the multi-scale discriminator gives.
        inputs: [randomNd([2, 1, 6, 6], 7, -2, 2), randomNd([2, 1, 2, 2], 8, -2, 2)],
        ref: ([a, b]) => nd([], [meanOf(a, t, f).data[0] + meanOf(b, t, f).data[0]]),
        gpu: ([a, b]) => nn.ganLoss([a, b], real, mode),
      });
    });
  }
}

test('ganLoss on a single output tensor, and its errors', async () => {
  const d = toTensor(randomNd([1, 1, 3, 3], 9));
  const v = await d.data();
  const want = v.reduce((s, a) => s + (a - 1) ** 2, 0) / v.length;
  assert.ok(Math.abs((await nn.ganLoss(d, true).item()) - want) < 1e-6);
  assert.throws(() => nn.ganLoss([], true), /no discriminator outputs/);
  assert.throws(() => nn.ganLoss(d, true, 'wgan' as 'lsgan'), /unknown mode 'wgan'/);
});

test('ganLossHalves: fakes then reals in one batch, against the float64 two-pass loss (lsgan, vanilla)', async () => {
  // Per output: mean over the first half of f(x, 0) + mean over the second half of f(x, 1).
  const halves = (f: (a: number, b: number) => number) => (xs: Nd[]) => {
    let s = 0;
    for (const x of xs) {
      const h = x.data.length / 2;
      let a = 0;
      let b = 0;
      for (let i = 0; i < h; i++) a += f(x.data[i], 0);
      for (let i = h; i < 2 * h; i++) b += f(x.data[i], 1);
      s += a / h + b / h;
    }
    return nd([], [s]);
  };
  for (const [mode, f] of [
    ['lsgan', (a: number, b: number) => (a - b) ** 2],
    ['vanilla', bce],
  ] as const) {
    await checkOp({
      inputs: [randomNd([4, 1, 3, 3], 70), randomNd([4, 1, 2, 2], 71)],
      ref: halves(f),
      gpu: (xs) => nn.ganLossHalves(xs, mode),
    });
  }
  const d0 = T.deviceStats().dispatches;
  const l = nn.ganLossHalves([T.zeros([2, 1, 4, 4])]);
  assert.is(T.deviceStats().dispatches - d0, 2, 'a fill and one loss launch');
  assert.is(await l.item(), 1, 'fakes at 0 cost nothing, reals at 0 cost 1');
  assert.throws(() => nn.ganLossHalves([T.zeros([3, 1])]), /must be even/);
});

test('weighted losses: the weight (a lambda) inside the launches, forward and gradients', async () => {
  const w = 2.5;
  await checkOp({
    inputs: [randomNd([3, 4], 80), randomNd([3, 4], 81)],
    ref: ([x, y]) => nd([], [w * meanOf(x, y, (a, b) => Math.abs(a - b)).data[0]]),
    gpu: ([x, y]) => nn.l1Loss(x, y, w),
  });
  await checkOp({
    inputs: [randomNd([3, 4], 82)],
    ref: ([x]) => nd([], [w * meanOf(x, 1, (a, b) => (a - b) ** 2).data[0]]),
    gpu: ([x]) => nn.mseLoss(x, 1, w),
  });
  // A broadcast target takes the composed path: the weight is one more op there.
  await checkOp({
    inputs: [randomNd([3, 4], 83), randomNd([4], 84)],
    ref: ([x, y]) => {
      let s = 0;
      for (let i = 0; i < 12; i++) s += (x.data[i] - y.data[i % 4]) ** 2;
      return nd([], [(w * s) / 12]);
    },
    gpu: ([x, y]) => nn.mseLoss(x, y, w),
  });
  for (const mode of ['lsgan', 'vanilla'] as const) {
    const f = mode === 'lsgan' ? (a: number) => (a - 1) ** 2 : (a: number) => bce(a, 1);
    await checkOp({
      inputs: [randomNd([2, 1, 3, 3], 85), randomNd([2, 1, 2, 2], 86)],
      ref: (xs) => nd([], [w * xs.reduce((s, x) => s + meanOf(x, 0, (a) => f(a)).data[0], 0)]),
      gpu: (xs) => nn.ganLoss(xs, true, mode, w),
    });
  }
  const outs = [T.zeros([1, 1, 4, 4]), T.zeros([1, 1, 2, 2])];
  const d0 = T.deviceStats().dispatches;
  const l = nn.ganLoss(outs, true, 'lsgan', w);
  assert.is(T.deviceStats().dispatches - d0, 2, 'one launch per output: no add, no scaling');
  assert.is(await l.item(), 2 * w);
});

test('klLoss: -0.5 * sum(1 + logvar - mu^2 - exp(logvar)), a sum over batch and latent', async () => {
  await checkOp({
    inputs: [randomNd([2, 8], 10, -1.5, 1.5), randomNd([2, 8], 11, -2, 1)],
    ref: ([mu, lv]) => {
      let s = 0;
      for (let i = 0; i < mu.data.length; i++) s += 1 + lv.data[i] - mu.data[i] ** 2 - Math.exp(lv.data[i]);
      return nd([], [-0.5 * s]);
    },
    gpu: ([mu, lv]) => nn.klLoss(mu, lv),
  });
  // Zero exactly at the prior N(0, I).
  assert.is(await nn.klLoss(T.zeros([2, 8]), T.zeros([2, 8])).item(), 0);
});

test.run();
