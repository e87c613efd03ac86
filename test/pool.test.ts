import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { assertClose, checkOp, randomNd, setup, toTensor } from './helpers.ts';
import * as NR from './nn-reference.ts';
import type { Nd } from './reference.ts';

test.before(setup);

const pools: [string, number[], number, number, number, boolean][] = [
  ['AvgPool(3, s2, p1, countIncludePad=false) (D downsampling)', [2, 3, 9, 8], 3, 2, 1, false],
  ['AvgPool(3, s2, p1, countIncludePad=true)', [1, 2, 7, 7], 3, 2, 1, true],
  ['AvgPool 2 (E blocks)', [1, 3, 6, 8], 2, 2, 0, true],
  ['AvgPool 8 (E head)', [2, 2, 8, 8], 8, 8, 0, true],
  ['AvgPool 2 odd size', [1, 1, 5, 7], 2, 2, 0, false],
  // A thread walks 4 cells and steps the window quotients along a row: rows of 5 and 11 cross them.
  ['AvgPool(3, s1, p1) overlapping windows', [1, 2, 6, 5], 3, 1, 1, false],
  ['AvgPool(4, s3, p1, countIncludePad=true)', [1, 1, 10, 11], 4, 3, 1, true],
];

for (const [name, shape, k, s, p, inc] of pools) {
  test(`avgPool2d ${name}`, async () => {
    await checkOp({
      inputs: [randomNd(shape, k * 10 + s)],
      ref: ([a]) => NR.avgPool(a, k, s, p, inc),
      gpu: ([a]) => T.avgPool2d(a, { kernel: k, stride: s, padding: p, countIncludePad: inc }),
    });
  });
}

for (const [k, s, p, shape] of [
  [3, 2, 1, [2, 3, 9, 8]], // ResNet-18's stem
  [2, 2, 0, [1, 2, 6, 6]],
  [3, 1, 1, [1, 1, 5, 4]], // overlapping windows
] as [number, number, number, number[]][]) {
  test(`maxPool2d k${k} s${s} p${p} ${JSON.stringify(shape)}`, async () => {
    await checkOp({
      inputs: [randomNd(shape, k + s + p)],
      ref: ([a]) => NR.maxPool(a, k, s, p),
      gpu: ([a]) => T.maxPool2d(a, { kernel: k, stride: s, padding: p }),
      h: 1e-7,
    });
  });
}

for (const mode of ['nearest', 'bilinear'] as const) {
  for (const shape of [
    [1, 2, 3, 4],
    [2, 1, 5, 5],
  ]) {
    test(`upsample2d ${mode} x2 ${JSON.stringify(shape)}`, async () => {
      await checkOp({
        inputs: [randomNd(shape, shape[2])],
        ref: ([a]) => NR.upsample(a, 2, mode),
        gpu: ([a]) => T.upsample2d(a, { scale: 2, mode }),
      });
    });
  }
}

test('upsample2d bilinear x3', async () => {
  await checkOp({
    inputs: [randomNd([1, 1, 4, 3], 5)],
    ref: ([a]) => NR.upsample(a, 3, 'bilinear'),
    gpu: ([a]) => T.upsample2d(a, { scale: 3, mode: 'bilinear' }),
  });
});

test('reflectionPad2d: 1 on all sides, and uneven pads', async () => {
  await checkOp({
    inputs: [randomNd([2, 2, 4, 5], 1)],
    ref: ([a]) => NR.reflectionPad(a, 1, 1, 1, 1),
    gpu: ([a]) => T.reflectionPad2d(a, 1),
  });
  await checkOp({
    inputs: [randomNd([1, 1, 4, 5], 2)],
    ref: ([a]) => NR.reflectionPad(a, 2, 4, 3, 1),
    gpu: ([a]) => T.reflectionPad2d(a, [2, 4, 3, 1]),
  });
});

test('dropout: scaled mask, same seed same mask, gradient through the mask, eval is identity', async () => {
  const x = T.ones([10000], { requiresGrad: true });
  const y = T.dropout(x, 0.3, { seed: 4 });
  const v = await y.data();
  let zeros = 0;
  for (const a of v) {
    if (a === 0) zeros++;
    else assert.ok(Math.abs(a - 1 / 0.7) < 1e-6, `kept value ${a}`);
  }
  assert.ok(Math.abs(zeros / v.length - 0.3) < 0.02, `dropped ${zeros / v.length}`);
  const again = await T.dropout(x, 0.3, { seed: 4 }).data();
  assert.equal(Array.from(again), Array.from(v));
  y.sum().backward();
  assert.equal(Array.from(await x.grad!.data()), Array.from(v));
  const e = await T.dropout(toTensor(randomNd([5], 1)), 0.5, { training: false }).data();
  assert.equal(Array.from(e), Array.from(await toTensor(randomNd([5], 1)).data()));
});

test('linear: forward and all gradients (weight read transposed in place)', async () => {
  await checkOp({
    inputs: [randomNd([5, 7], 1), randomNd([3, 7], 2), randomNd([3], 3)],
    ref: ([x, w, b]) => {
      const y = { shape: [5, 3], data: new Float64Array(15) };
      for (let i = 0; i < 5; i++)
        for (let o = 0; o < 3; o++) {
          let s = b.data[o];
          for (let k = 0; k < 7; k++) s += x.data[i * 7 + k] * w.data[o * 7 + k];
          y.data[i * 3 + o] = s;
        }
      return y;
    },
    gpu: ([x, w, b]) => T.linear(x, w, b),
  });
});

test('avgPool2d: a gradient the input already has takes the pooling gradient in place', async () => {
  const add = (a: Nd, b: Nd): Nd => ({ ...a, data: a.data.map((v, i) => v + b.data[i]) });
  await checkOp({
    inputs: [randomNd([2, 3, 8, 8], 30)],
    ref: ([a]) => add(NR.avgPool(a, 2, 2, 0, true), NR.avgPool(a, 3, 2, 1, false)),
    gpu: ([a]) =>
      T.avgPool2d(a, { kernel: 2 }).add(
        T.avgPool2d(a, { kernel: 3, stride: 2, padding: 1, countIncludePad: false }),
      ),
  });
  const x = T.rand([1, 1, 8, 8], { seed: 31 });
  x.requiresGrad = true;
  const y = T.avgPool2d(x, { kernel: 2 }).add(T.avgPool2d(x, { kernel: 2 }));
  const seed = T.ones(y.shape);
  const d0 = T.deviceStats().dispatches;
  y.backward(seed);
  assert.is(T.deviceStats().dispatches - d0, 3, "the seed's copy and two pooling gradients, no add");
  assertClose(await x.grad!.data(), new Array(64).fill(0.5), { atol: 1e-7 });
  for (const t of [x, y, seed]) t.dispose();
});

test('pool errors', () => {
  assert.throws(
    () => T.avgPool2d(T.zeros([1, 1, 2, 2]), { kernel: 3 }),
    /avgPool2d: kernel 3x3 is larger than the padded input/,
  );
  assert.throws(
    () => T.reflectionPad2d(T.zeros([1, 1, 2, 2]), 2),
    /reflectionPad2d: padding .* must be smaller than the input size 2x2/,
  );
  assert.throws(
    () => T.upsample2d(T.zeros([1, 1, 2, 2]), { scale: 1.5 }),
    /upsample2d: scale must be a positive integer/,
  );
});

test.run();
