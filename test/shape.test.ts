import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { checkOp, randomNd, setup } from './helpers.ts';
import * as R from './reference.ts';

test.before(setup);

test('reshape is a view and keeps gradients', async () => {
  await checkOp({
    inputs: [randomNd([2, 3, 4], 1)],
    ref: ([a]) => ({ shape: [6, 4], data: a.data }),
    gpu: ([a]) => a.reshape([-1, 4]),
  });
});

for (const dims of [
  [1, 0],
  [2, 0, 1],
  [0, 2, 3, 1],
  [3, 2, 1, 0],
]) {
  test(`permute ${JSON.stringify(dims)}`, async () => {
    const shape = [2, 3, 4, 5].slice(0, dims.length);
    await checkOp({
      inputs: [randomNd(shape, dims.length)],
      ref: ([a]) => R.permute(a, dims),
      gpu: ([a]) => a.permute(dims),
    });
  });
}

test('transpose then elementwise (a non-contiguous operand) and its gradient', async () => {
  await checkOp({
    inputs: [randomNd([3, 4], 2), randomNd([4, 3], 3)],
    ref: ([a, b]) => R.zip([R.permute(a, [1, 0]), b], (x, y) => x * y),
    gpu: ([a, b]) => a.transpose().mul(b),
  });
});

test('expand', async () => {
  await checkOp({
    inputs: [randomNd([3, 1, 2], 4)],
    ref: ([a]) => R.expand(a, [2, 3, 4, 2]),
    gpu: ([a]) => a.expand([2, 3, 4, 2]),
  });
});

test('slice and narrow', async () => {
  await checkOp({
    inputs: [randomNd([4, 5, 6], 5)],
    ref: ([a]) => R.slice(a, [1, 0, 2], [3, 5, 5]),
    gpu: ([a]) => a.slice([1, 0, 2], [3, 5, 5]),
  });
  await checkOp({
    inputs: [randomNd([4, 5], 6)],
    ref: ([a]) => R.slice(a, [0, 1], [4, 3]),
    gpu: ([a]) => a.narrow(1, 1, 2),
  });
});

test('pad (constant value)', async () => {
  const pads: [number, number][] = [
    [0, 0],
    [1, 2],
    [3, 0],
  ];
  await checkOp({
    inputs: [randomNd([2, 3, 4], 7)],
    ref: ([a]) => R.pad(a, pads, 0.5),
    gpu: ([a]) => a.pad(pads, 0.5),
  });
});

test('concat along each axis, and stack', async () => {
  for (const dim of [0, 1, 2]) {
    const s1 = [2, 3, 4];
    const s2 = [...s1];
    s2[dim] = 5;
    await checkOp({
      inputs: [randomNd(s1, dim), randomNd(s2, dim + 10)],
      ref: ([a, b]) => R.concat([a, b], dim),
      gpu: ([a, b]) => T.concat([a, b], dim),
    });
  }
  await checkOp({
    inputs: [randomNd([2, 3], 1), randomNd([2, 3], 2)],
    ref: ([a, b]) => R.concat([a, b], 1),
    gpu: ([a, b]) => T.stack([a, b], 1).reshape([2, 6]),
  });
});

test('concat of more than 4 tensors (several launches), the same input twice, gradients summed in place', async () => {
  const shapes = [
    [2, 1, 3],
    [2, 2, 3],
    [2, 3, 3],
    [2, 1, 3],
    [2, 2, 3],
    [2, 1, 3],
  ];
  await checkOp({
    inputs: shapes.map((s, i) => randomNd(s, 30 + i)),
    ref: (xs) => R.concat(xs, 1),
    gpu: (xs) => T.concat(xs, 1),
  });
  await checkOp({
    inputs: [randomNd([2, 3], 40), randomNd([2, 2], 41)],
    ref: ([a, b]) => R.concat([a, b, a], 1),
    gpu: ([a, b]) => T.concat([a, b, a], 1),
  });
});

test('concatExpand: z [N, nz, 1, 1] repeated over H, W next to x, forward and gradients', async () => {
  await checkOp({
    inputs: [randomNd([2, 3, 4, 5], 50), randomNd([2, 2, 1, 1], 51)],
    ref: ([x, z]) => R.concat([x, R.expand(z, [2, 2, 4, 5])], 1),
    gpu: ([x, z]) => T.concatExpand([x, z], 1),
  });
  // z first, and a second use of x (its gradient summed in place by the split).
  await checkOp({
    inputs: [randomNd([1, 2, 3, 3], 52), randomNd([1, 3, 1, 1], 53)],
    ref: ([x, z]) => R.concat([R.expand(z, [1, 3, 3, 3]), x, x], 1),
    gpu: ([x, z]) => T.concatExpand([z, x, x], 1),
  });
  const d0 = T.deviceStats().dispatches;
  const y = T.concatExpand([T.zeros([1, 2, 8, 8]), T.ones([1, 4, 1, 1])], 1);
  assert.is(T.deviceStats().dispatches - d0, 3, 'two fills and one join');
  assert.equal(Array.from(await y.data()).slice(127, 130), [0, 1, 1]);
  assert.throws(() => T.concatExpand([T.zeros([2, 3, 4]), T.zeros([1, 1, 1])], 1), /does not broadcast/);
});

test('shape errors name the op and shapes', () => {
  const x = T.zeros([2, 3]);
  assert.throws(() => x.reshape([4, 2]), /reshape: cannot view shape \[2, 3\] \(6 elements\) as \[4, 2\]/);
  assert.throws(() => x.permute([0]), /permute: 1 dims \[0\] for a tensor of shape \[2, 3\]/);
  assert.throws(() => x.expand([3, 3]), /expand: cannot expand shape \[2, 3\] to \[3, 3\]/);
  assert.throws(
    () => T.concat([x, T.zeros([3, 2])], 0),
    /concat: shapes \[2, 3\] and \[3, 2\] differ outside dimension 0/,
  );
  assert.throws(() => x.narrow(1, 2, 2), /narrow: \[2, 4\) is outside dimension 1/);
});

test.run();
