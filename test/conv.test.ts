import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { forceGemmBody } from '../src/kernels/gemm.ts';
import { checkOp, randomNd, setup, toTensor } from './helpers.ts';
import * as NR from './nn-reference.ts';
import type { Nd } from './reference.ts';

test.before(setup);

// [name, input shape, weight shape, geometry]; covers every conv shape BicycleGAN uses plus odd sizes.
const convCases: [string, number[], number[], NR.ConvGeom][] = [
  ['4x4 s2 p1 down (U-Net, D)', [2, 3, 8, 8], [4, 3, 4, 4], { stride: 2, padding: 1 }],
  ['4x4 s2 p1 down, odd size 9x7', [1, 2, 9, 7], [3, 2, 4, 4], { stride: 2, padding: 1 }],
  ['4x4 s1 p1 (PatchGAN tail)', [1, 6, 6, 5], [1, 6, 4, 4], { stride: 1, padding: 1 }],
  ['3x3 s1 p1', [2, 9, 5, 5], [6, 9, 3, 3], { stride: 1, padding: 1 }],
  ['1x1', [2, 3, 4, 3], [5, 3, 1, 1], {}],
  ['7x7 s1 p3', [1, 1, 7, 7], [2, 1, 7, 7], { stride: 1, padding: 3 }],
  ['3x3 dilation 2', [1, 2, 7, 6], [3, 2, 3, 3], { dilation: 2, padding: 2 }],
  ['3x3 s3 no padding', [1, 2, 10, 8], [2, 2, 3, 3], { stride: 3 }],
  // Window corners in the padding: the bias gradient takes its own reduction.
  ['1x1 p1 (padding past the kernel)', [1, 2, 3, 3], [2, 2, 1, 1], { padding: 1 }],
  // Fewer result columns per image than a column tile: the images side by side in one GEMM batch.
  ['4x4 s2 p1 to 1x1 (U-Net innermost), 3 images', [3, 4, 2, 2], [5, 4, 4, 4], { stride: 2, padding: 1 }],
  ['3x3 s2 p1 to 1x2, 2 images', [2, 3, 2, 4], [2, 3, 3, 3], { stride: 2, padding: 1 }],
  ['4x4 s2 p1 to 2x2, 2 images', [2, 3, 4, 4], [4, 3, 4, 4], { stride: 2, padding: 1 }],
];

for (const [name, xs, ws, geom] of convCases) {
  test(`conv2d ${name}: forward and input/weight/bias gradients`, async () => {
    const x = randomNd(xs, xs[1] + 1);
    const w = randomNd(ws, ws[0] + 2, -0.5, 0.5);
    const b = randomNd([ws[0]], 3);
    await checkOp({
      inputs: [x, w, b],
      ref: ([a, k, c]) => NR.conv2d(a, k, c, geom),
      gpu: ([a, k, c]) => T.conv2d(a, k, c, geom),
      fwdTol: { atol: 1e-5, rtol: 1e-4 },
      gradTol: { atol: 2e-4, rtol: 2e-3 },
    });
  });
}

const convTCases: [string, number[], number[], NR.ConvGeom][] = [
  ['4x4 s2 p1 up (U-Net)', [2, 3, 4, 4], [3, 4, 4, 4], { stride: 2, padding: 1 }],
  ['4x4 s2 p1 up, odd size 3x5', [1, 6, 3, 5], [6, 3, 4, 4], { stride: 2, padding: 1 }],
  ['3x3 s2 p1 output padding 1', [1, 2, 4, 3], [2, 9, 3, 3], { stride: 2, padding: 1, outputPadding: 1 }],
  ['3x3 s1 p1', [1, 3, 5, 4], [3, 2, 3, 3], { stride: 1, padding: 1 }],
  ['1x1', [2, 3, 3, 3], [3, 1, 1, 1], {}],
  ['3x3 s2 dilation 2', [1, 2, 4, 4], [2, 3, 3, 3], { stride: 2, dilation: 2 }],
  ['5x5 s3 p2', [1, 1, 3, 3], [1, 2, 5, 5], { stride: 3, padding: 2 }],
  [
    '4x4 s2 p1 up from 1x1 (U-Net innermost), 2 images',
    [2, 5, 1, 1],
    [5, 3, 4, 4],
    { stride: 2, padding: 1 },
  ],
];

for (const [name, xs, ws, geom] of convTCases) {
  test(`convTranspose2d ${name}: forward and all three gradients`, async () => {
    const x = randomNd(xs, xs[1] + 4);
    const w = randomNd(ws, ws[1] + 5, -0.5, 0.5);
    const b = randomNd([ws[1]], 6);
    await checkOp({
      inputs: [x, w, b],
      ref: ([a, k, c]) => NR.convTranspose2d(a, k, c, geom),
      gpu: ([a, k, c]) => T.convTranspose2d(a, k, c, geom),
      fwdTol: { atol: 1e-5, rtol: 1e-4 },
      gradTol: { atol: 2e-4, rtol: 2e-3 },
    });
  });
}

test('conv2d without bias, and a large reduction (split-K weight gradient)', async () => {
  await checkOp({
    inputs: [randomNd([2, 4, 32, 32], 1), randomNd([3, 4, 4, 4], 2, -0.3, 0.3)],
    ref: ([a, k]) => NR.conv2d(a, k, null, { stride: 2, padding: 1 }),
    gpu: ([a, k]) => T.conv2d(a, k, null, { stride: 2, padding: 1 }),
    grad: [false, true],
    fwdTol: { atol: 1e-4, rtol: 1e-4 },
    gradTol: { atol: 1e-3, rtol: 2e-3 },
  });
});

test('split-K weight gradient whose last chunk is shorter (529 positions in 3 splits of 177)', async () => {
  const x = toTensor(randomNd([1, 3, 45, 45], 40));
  const w = toTensor(randomNd([2, 3, 3, 3], 41), true);
  const y = T.conv2d(x, w, null, { stride: 2, padding: 1 });
  const seed = T.ones(y.shape);
  const d0 = T.deviceStats().dispatches;
  y.backward(seed);
  // The seed's copy, the weight gradient's split launch and the sum of its partials: split-K.
  assert.is(T.deviceStats().dispatches - d0, 3);
  for (const t of [x, w, y, seed]) t.dispose();
  await checkOp({
    inputs: [randomNd([1, 3, 45, 45], 40), randomNd([2, 3, 3, 3], 41, -0.3, 0.3)],
    ref: ([a, k]) => NR.conv2d(a, k, null, { stride: 2, padding: 1 }),
    gpu: ([a, k]) => T.conv2d(a, k, null, { stride: 2, padding: 1 }),
    grad: [false, true],
    fwdTol: { atol: 1e-4, rtol: 1e-4 },
    gradTol: { atol: 1e-3, rtol: 2e-3 },
  });
});

test('conv2d forward at a U-Net layer size (64 -> 128 channels, 32x32)', async () => {
  const x = randomNd([1, 64, 32, 32], 3);
  const w = randomNd([128, 64, 4, 4], 4, -0.1, 0.1);
  const y = T.conv2d(toTensor(x), toTensor(w), null, { stride: 2, padding: 1 });
  const ref = NR.conv2d(x, w, null, { stride: 2, padding: 1 });
  const got = await y.data();
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref.data[i]));
  assert.ok(worst < 1e-4, `max error ${worst}`);
});

test('conv2d with a fused input activation equals conv2d(leakyRelu(x)): forward and all gradients', async () => {
  const geom = { stride: 2, padding: 1 };
  const lrelu = (a: Nd): Nd => ({ ...a, data: a.data.map((v) => (v > 0 ? v : 0.2 * v)) });
  await checkOp({
    inputs: [randomNd([2, 3, 9, 8], 7), randomNd([4, 3, 4, 4], 8, -0.5, 0.5), randomNd([4], 9)],
    ref: ([a, k, c]) => NR.conv2d(lrelu(a), k, c, geom),
    gpu: ([a, k, c]) => T.conv2d(a, k, c, { ...geom, inputSlope: 0.2 }),
    fwdTol: { atol: 1e-5, rtol: 1e-4 },
    gradTol: { atol: 2e-4, rtol: 2e-3 },
  });
});

test('convTranspose2d with a fused input ReLU / leaky ReLU equals convTranspose2d(act(x))', async () => {
  const geom = { stride: 2, padding: 1 };
  for (const slope of [0, 0.2]) {
    const act = (a: Nd): Nd => ({ ...a, data: a.data.map((v) => (v > 0 ? v : slope * v)) });
    await checkOp({
      inputs: [randomNd([2, 3, 4, 5], 10), randomNd([3, 4, 4, 4], 11, -0.5, 0.5), randomNd([4], 12)],
      ref: ([a, k, c]) => NR.convTranspose2d(act(a), k, c, geom),
      gpu: ([a, k, c]) => T.convTranspose2d(a, k, c, { ...geom, inputSlope: slope }),
      fwdTol: { atol: 1e-5, rtol: 1e-4 },
      gradTol: { atol: 2e-4, rtol: 2e-3 },
    });
  }
});

// A weight, bias and input each used by two convs: the second use's gradient is summed in place
// (into), by the GEMM's write where there is one split-K chunk. `small`: only the one-chunk case (the
// in-place sums of conv_wgrad's write hooks), cheap enough to repeat on every GEMM body.
async function sharedParameterCases(small = false): Promise<void> {
  const add = (a: Nd, b: Nd): Nd => ({ ...a, data: a.data.map((v, i) => v + b.data[i]) });
  const s2 = { stride: 2, padding: 1 };
  const s1 = { stride: 1, padding: 1 };
  // w and b shared by two convs of different inputs; x shared by two convs (and the split-K path).
  if (!small) {
    await checkOp({
      inputs: [
        randomNd([2, 4, 32, 32], 13),
        randomNd([2, 4, 32, 32], 14),
        randomNd([3, 4, 4, 4], 15, -0.3, 0.3),
        randomNd([3], 16),
      ],
      ref: ([a, b, k, c]) => add(NR.conv2d(a, k, c, s2), NR.conv2d(b, k, c, s2)),
      gpu: ([a, b, k, c]) => T.conv2d(a, k, c, s2).add(T.conv2d(b, k, c, s2)),
      fwdTol: { atol: 1e-4, rtol: 1e-4 },
      gradTol: { atol: 1e-3, rtol: 2e-3 },
    });
    await checkOp({
      inputs: [
        randomNd([1, 3, 6, 6], 17),
        randomNd([2, 3, 3, 3], 18, -0.5, 0.5),
        randomNd([2, 3, 3, 3], 19, -0.5, 0.5),
      ],
      ref: ([a, k1, k2]) => add(NR.conv2d(a, k1, null, s1), NR.conv2d(a, k2, null, s1)),
      gpu: ([a, k1, k2]) => T.conv2d(a, k1, null, { ...s1, inputSlope: 1 }).add(T.conv2d(a, k2, null, s1)),
      fwdTol: { atol: 1e-5, rtol: 1e-4 },
      gradTol: { atol: 2e-4, rtol: 2e-3 },
    });
  }
  // The same with one split-K chunk: the bias gradient is added in place by the GEMM's launch.
  await checkOp({
    inputs: [
      randomNd([1, 2, 6, 6], 22),
      randomNd([1, 2, 6, 6], 23),
      randomNd([3, 2, 4, 4], 24, -0.3, 0.3),
      randomNd([3], 25),
    ],
    ref: ([a, b, k, c]) => add(NR.conv2d(a, k, c, s2), NR.conv2d(b, k, c, s2)),
    gpu: ([a, b, k, c]) => T.conv2d(a, k, c, s2).add(T.conv2d(b, k, c, s2)),
    fwdTol: { atol: 1e-5, rtol: 1e-4 },
    gradTol: { atol: 2e-4, rtol: 2e-3 },
  });
}

test('a weight, bias and input used by two convs: gradients summed in place (into) are exact', async () => {
  await sharedParameterCases();
  // Two backward passes accumulate into .grad (in place), as PyTorch.
  const s1 = { stride: 1, padding: 1 };
  const x = toTensor(randomNd([1, 2, 5, 5], 20));
  const w = toTensor(randomNd([2, 2, 3, 3], 21), true);
  T.conv2d(x, w, null, s1).sum().backward();
  const once = await w.grad!.data();
  T.conv2d(x, w, null, s1).sum().backward();
  const twice = await w.grad!.data();
  for (let i = 0; i < once.length; i++) assert.ok(Math.abs(twice[i] - 2 * once[i]) < 1e-4, `grad ${i}`);
});

// The adapter picks the GEMM body per launch; every body must be exact for every launch (a GPU gets
// gemm_tiled; the CPU driver gemm_subgroup, or gemm_subgroup_rows for results of few columns).
for (const body of ['gemm', 'gemm_subgroup_rows', 'gemm_tiled', 'gemm_texture'] as const)
  test(`GEMM body ${body}: every conv and transposed-conv case, forward and gradients`, async () => {
    if (body.startsWith('gemm_s') || body === 'gemm_texture')
      if (T.deviceStats().adapter.subgroupMinSize !== 8) return; // needs 8 lanes
    forceGemmBody(body);
    try {
      for (const [, xs, ws, geom] of convCases) {
        await checkOp({
          inputs: [randomNd(xs, 1), randomNd(ws, 2, -0.5, 0.5), randomNd([ws[0]], 3)],
          ref: ([a, k, c]) => NR.conv2d(a, k, c, geom),
          gpu: ([a, k, c]) => T.conv2d(a, k, c, geom),
          fwdTol: { atol: 1e-5, rtol: 1e-4 },
          gradTol: { atol: 2e-4, rtol: 2e-3 },
        });
      }
      for (const [, xs, ws, geom] of convTCases) {
        await checkOp({
          inputs: [randomNd(xs, 4), randomNd(ws, 5, -0.5, 0.5), randomNd([ws[1]], 6)],
          ref: ([a, k, c]) => NR.convTranspose2d(a, k, c, geom),
          gpu: ([a, k, c]) => T.convTranspose2d(a, k, c, geom),
          fwdTol: { atol: 1e-5, rtol: 1e-4 },
          gradTol: { atol: 2e-4, rtol: 2e-3 },
        });
      }
      // gradients added into a tensor (conv_wgrad's vector stores add four columns at once)
      await sharedParameterCases(true);
    } finally {
      forceGemmBody(null);
    }
  });

test('conv2d backward: the bias gradient comes from the weight gradient launch (2 launches, 1 split)', async () => {
  const x = toTensor(randomNd([1, 3, 8, 8], 30), true);
  const w = toTensor(randomNd([4, 3, 4, 4], 31), true);
  const b = toTensor(randomNd([4], 32), true);
  const y = T.conv2d(x, w, b, { stride: 2, padding: 1 });
  const seed = T.ones(y.shape);
  const d0 = T.deviceStats().dispatches;
  y.backward(seed);
  // dgrad + wgrad (with db) + the seed's copy.
  assert.is(T.deviceStats().dispatches - d0, 3);
  // db = sum of the (all-ones) output gradient over N, H, W: 16 per channel.
  assert.equal(Array.from(await b.grad!.data()), [16, 16, 16, 16]);
  for (const t of [x, w, b, y, seed]) t.dispose();
});

test('conv2d with a residual: conv(x) + r in one launch, forward and the gradients of x, w, b and r', async () => {
  const add = (a: Nd, b: Nd): Nd => ({ ...a, data: a.data.map((v, i) => v + b.data[i]) });
  const s2 = { stride: 2, padding: 1 };
  await checkOp({
    inputs: [
      randomNd([2, 3, 8, 8], 40),
      randomNd([4, 3, 4, 4], 41, -0.5, 0.5),
      randomNd([4], 42),
      randomNd([2, 4, 4, 4], 43),
    ],
    ref: ([a, k, c, r]) => add(NR.conv2d(a, k, c, s2), r),
    gpu: ([a, k, c, r]) => T.conv2d(a, k, c, { ...s2, residual: r }),
    fwdTol: { atol: 1e-5, rtol: 1e-4 },
    gradTol: { atol: 2e-4, rtol: 2e-3 },
  });
  // Without a bias, and the residual also read elsewhere: its gradients sum.
  await checkOp({
    inputs: [randomNd([1, 2, 5, 5], 44), randomNd([3, 2, 1, 1], 45, -0.5, 0.5), randomNd([1, 3, 5, 5], 46)],
    ref: ([a, k, r]) => add(add(NR.conv2d(a, k, null, {}), r), r),
    gpu: ([a, k, r]) => T.conv2d(a, k, null, { residual: r }).add(r),
    fwdTol: { atol: 1e-5, rtol: 1e-4 },
    gradTol: { atol: 2e-4, rtol: 2e-3 },
  });
  const [x, w, r] = [
    [1, 2, 5, 5],
    [3, 2, 1, 1],
    [1, 3, 5, 5],
  ].map((sh) => T.rand(sh, { seed: sh[1] }));
  const d0 = T.deviceStats().dispatches;
  const y = T.conv2d(x, w, null, { residual: r });
  assert.is(T.deviceStats().dispatches - d0, 1);
  assert.throws(
    () => T.conv2d(x, w, null, { residual: x }),
    /conv2d: residual \[1, 2, 5, 5\] does not match the output \[1, 3, 5, 5\]/,
  );
  for (const t of [x, w, r, y]) t.dispose();
});

test('conv shape errors name the problem before any GPU work', () => {
  const x = T.zeros([1, 3, 8, 8]);
  const [w2, w11, w3, b5, wt, one, x3] = [
    [4, 2, 3, 3],
    [4, 3, 11, 11],
    [4, 3, 3, 3],
    [5],
    [2, 3, 4, 4],
    [1, 1, 1, 1],
    [3, 8, 8],
  ].map((s) => T.zeros(s));
  const before = T.deviceStats().dispatches;
  assert.throws(
    () => T.conv2d(x, w2),
    /conv2d: input \[1, 3, 8, 8\] has 3 channels but weight \[4, 2, 3, 3\] expects 2/,
  );
  assert.throws(() => T.conv2d(x, w11), /conv2d: kernel 11x11 .* is larger than the padded input 8x8/);
  assert.throws(() => T.conv2d(x3, w3), /conv2d: input must be \[N, C, H, W\], got \[3, 8, 8\]/);
  assert.throws(() => T.conv2d(x, w3, b5), /conv2d: bias of shape \[5\] does not match 4 output channels/);
  assert.throws(
    () => T.convTranspose2d(x, wt),
    /convTranspose2d: input \[1, 3, 8, 8\] has 3 channels but weight \[2, 3, 4, 4\] expects 2/,
  );
  assert.throws(
    () => T.convTranspose2d(one, one, null, { padding: 1 }),
    /convTranspose2d: output size -1x-1 .* is less than 1/,
  );
  assert.throws(() => T.conv2d(x, w3, null, { stride: 0 }), /conv2d: stride must be an integer >= 1/);
  assert.is(T.deviceStats().dispatches, before, 'no GPU work was recorded');
});

test.run();
