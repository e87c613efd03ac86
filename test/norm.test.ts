import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rt } from '../src/gpu/runtime.ts';
import * as T from '../src/index.ts';
import { forceNormBody, type NormBody } from '../src/kernels/norm.ts';
import { assertClose, checkOp, randomNd, setup, toTensor } from './helpers.ts';
import * as NR from './nn-reference.ts';

test.before(setup);

// The adapter picks one instance-norm body (lavapipe: norm_subgroup); both must match the reference.
// norm_subgroup needs subgroups of exactly 8 lanes: elsewhere its tests pass without running.
const on = (body: NormBody, fn: () => Promise<void>) => async () => {
  const info = rt().info;
  if (body === 'norm_subgroup' && !(info.subgroupMinSize === 8 && info.subgroupMaxSize === 8)) return;
  forceNormBody(body);
  try {
    await fn();
  } finally {
    forceNormBody(null);
  }
};

// Planes of 25, 63 (vector steps and a tail), 3 and 256 values; 1024 in the large-mean test.
for (const body of ['norm', 'norm_subgroup'] as const) {
  for (const shape of [
    [2, 3, 5, 5],
    [1, 1, 9, 7],
    [2, 6, 1, 3],
    [1, 2, 16, 16],
  ]) {
    test(
      `${body}: instanceNorm2d ${JSON.stringify(shape)}: forward and gradient`,
      on(body, async () => {
        await checkOp({
          inputs: [randomNd(shape, shape[1] + shape[2])],
          ref: ([a]) => NR.instanceNorm(a, 1e-5),
          gpu: ([a]) => T.instanceNorm2d(a),
          fwdTol: { atol: 2e-5, rtol: 1e-4 },
          gradTol: { atol: 5e-4, rtol: 5e-3 },
        });
      }),
    );
  }

  test(
    `${body}: instanceNorm2d with affine weight and bias: all gradients`,
    on(body, async () => {
      await checkOp({
        inputs: [randomNd([2, 3, 4, 5], 1), randomNd([3], 2, 0.5, 1.5), randomNd([3], 3)],
        ref: ([a, w, b]) => NR.instanceNorm(a, 1e-5, w, b),
        gpu: ([a, w, b]) => T.instanceNorm2d(a, { weight: w, bias: b }),
        fwdTol: { atol: 2e-5, rtol: 1e-4 },
        gradTol: { atol: 5e-4, rtol: 5e-3 },
      });
    }),
  );

  test(
    `${body}: instanceNorm2d of an input used twice: its gradient is added in place into the other use`,
    on(body, async () => {
      // (instanceNorm(x) + x^2): the square's gradient is pending when the norm's backward runs.
      const sq = (a: { data: Float64Array | number[] }) => Array.from(a.data, (v) => v * v);
      await checkOp({
        inputs: [randomNd([2, 3, 4, 4], 11)],
        ref: ([a]) => {
          const y = NR.instanceNorm(a, 1e-5);
          const s2 = sq(a);
          return { ...y, data: y.data.map((v, i) => v + s2[i]) };
        },
        gpu: ([a]) => T.instanceNorm2d(a).add(a.mul(a)),
        fwdTol: { atol: 2e-5, rtol: 1e-4 },
        gradTol: { atol: 5e-4, rtol: 5e-3 },
      });
    }),
  );

  test(
    `${body}: instanceNorm2d statistics are stable with a large mean (no E[x^2] - E[x]^2)`,
    on(body, async () => {
      const x = randomNd([1, 2, 32, 32], 9, 1000, 1001);
      const got = await T.instanceNorm2d(toTensor(x)).data();
      assertClose(got, NR.instanceNorm(x, 1e-5).data, { atol: 2e-3, rtol: 1e-3 });
    }),
  );
}

test('batchNorm2d training: forward, gradients, running statistics', async () => {
  await checkOp({
    inputs: [randomNd([3, 2, 4, 4], 4), randomNd([2], 5, 0.5, 1.5), randomNd([2], 6)],
    ref: ([a, w, b]) => NR.batchNorm(a, 1e-5, w, b),
    gpu: ([a, w, b]) => T.batchNorm2d(a, { weight: w, bias: b, training: true }),
    fwdTol: { atol: 2e-5, rtol: 1e-4 },
    gradTol: { atol: 5e-4, rtol: 5e-3 },
  });
  const x = randomNd([4, 2, 3, 3], 7, -2, 4);
  const rm = T.zeros([2]);
  const rv = T.ones([2]);
  T.batchNorm2d(toTensor(x), { runningMean: rm, runningVar: rv, momentum: 0.1 });
  // Per-channel batch mean and unbiased variance.
  const mean = [0, 0];
  const sq = [0, 0];
  const n = 4 * 9;
  for (let i = 0; i < x.data.length; i++) mean[Math.floor(i / 9) % 2] += x.data[i] / n;
  for (let i = 0; i < x.data.length; i++)
    sq[Math.floor(i / 9) % 2] += (x.data[i] - mean[Math.floor(i / 9) % 2]) ** 2;
  assertClose(
    await rm.data(),
    mean.map((m) => 0.1 * m),
    { atol: 1e-5 },
  );
  assertClose(
    await rv.data(),
    sq.map((s) => 0.9 + (0.1 * s) / (n - 1)),
    { atol: 1e-5 },
  );
  // Eval mode normalises with the running statistics.
  const y = await T.batchNorm2d(toTensor(x), { runningMean: rm, runningVar: rv, training: false }).data();
  const m0 = (await rm.data())[0];
  const v0 = (await rv.data())[0];
  assert.ok(Math.abs(y[0] - (x.data[0] - m0) / Math.sqrt(v0 + 1e-5)) < 1e-4);
});

test('norm errors name the op and shapes', () => {
  assert.throws(
    () => T.instanceNorm2d(T.zeros([2, 3])),
    /instanceNorm2d: input must be \[N, C, H, W\], got \[2, 3\]/,
  );
  assert.throws(
    () => T.instanceNorm2d(T.zeros([1, 3, 2, 2]), { weight: T.ones([4]), bias: T.zeros([4]) }),
    /instanceNorm2d: weight of shape \[4\] does not match 3 channels/,
  );
  assert.throws(
    () => T.batchNorm2d(T.zeros([1, 2, 1, 1])),
    /batchNorm2d: training needs more than one value per channel/,
  );
});

test.run();
