import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { checkOp, randomNd, setup, toTensor } from './helpers.ts';
import { reduce } from './reference.ts';

test.before(setup);

const cases: [number[], number[] | undefined, boolean][] = [
  [[4, 5], undefined, false],
  [[3, 4, 5], [1], false],
  [[3, 4, 5], [0, 2], true],
  [[2, 3, 4, 5], [0, 2, 3], false],
  [[3, 2, 10, 9], [0, 2, 3], true], // a bias gradient: first and last axes in one launch
  [[2, 3, 4, 5], [-1], true],
  [[6, 70], [1], false], // long rows: the workgroup-per-output kernel
  [[1000], undefined, false],
];

for (const op of ['sum', 'mean', 'max'] as const) {
  for (const [shape, axes, keepDim] of cases) {
    test(`${op} over ${JSON.stringify(axes ?? 'all')} of ${JSON.stringify(shape)} keepDim=${keepDim}`, async () => {
      const x = randomNd(shape, shape.length * 13 + (axes?.length ?? 0));
      await checkOp({
        inputs: [x],
        ref: ([a]) => reduce(a, axes ?? shape.map((_, i) => i), keepDim, op),
        gpu: ([a]) => a[op](axes, keepDim),
        fwdTol: { atol: 1e-4, rtol: 1e-4 },
        // max is piecewise linear; random inputs have no ties, so the step never crosses a kink.
        h: op === 'max' ? 1e-7 : 1e-6,
      });
    });
  }
}

test('max splits the gradient evenly among ties', async () => {
  const x = T.tensor([1, 3, 3, 2], [4], { requiresGrad: true });
  x.max().backward();
  assert.equal(Array.from(await x.grad!.data()), [0, 0.5, 0.5, 0]);
});

test('large sum is accurate (tree reduction)', async () => {
  const n = 1 << 18;
  const x = toTensor(randomNd([n], 3, 0, 1));
  const s = await x.mean().item();
  assert.ok(Math.abs(s - 0.5) < 0.005, `mean of U(0,1) was ${s}`);
});

test('axis errors', () => {
  const x = T.zeros([2, 3]);
  assert.throws(() => x.sum(2), /sum: axis 2 is out of range for shape \[2, 3\]/);
  assert.throws(() => x.mean([0, 0]), /mean: repeated axis/);
});

test.run();
