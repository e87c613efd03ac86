import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rt } from '../src/gpu/runtime.ts';
import * as T from '../src/index.ts';
import { assertClose, checkOp, randomNd, setup, toTensor } from './helpers.ts';
import { map, zip } from './reference.ts';

test.before(setup);

const sigm = (v: number) => 1 / (1 + Math.exp(-v));
const unary: [string, (t: T.Tensor) => T.Tensor, (v: number) => number, number, number][] = [
  ['neg', (t) => t.neg(), (v) => -v, -1, 1],
  ['exp', (t) => t.exp(), Math.exp, -2, 2],
  ['log', (t) => t.log(), Math.log, 0.2, 3],
  ['sqrt', (t) => t.sqrt(), Math.sqrt, 0.2, 3],
  ['abs', (t) => t.abs(), Math.abs, -1, 1],
  ['relu', (t) => t.relu(), (v) => Math.max(v, 0), -1, 1],
  ['leakyRelu(0.2)', (t) => t.leakyRelu(0.2), (v) => (v > 0 ? v : 0.2 * v), -1, 1],
  ['tanh', (t) => t.tanh(), Math.tanh, -2, 2],
  ['sigmoid', (t) => t.sigmoid(), sigm, -3, 3],
  ['pow 3 (negative base)', (t) => t.pow(3), (v) => v ** 3, -1.5, 1.5],
  ['pow 0.5', (t) => t.pow(0.5), Math.sqrt, 0.3, 2],
  ['add scalar', (t) => t.add(2.5), (v) => v + 2.5, -1, 1],
  ['sub scalar', (t) => t.sub(0.5), (v) => v - 0.5, -1, 1],
  ['mul scalar', (t) => t.mul(-3), (v) => v * -3, -1, 1],
  ['div scalar', (t) => t.div(4), (v) => v / 4, -1, 1],
  ['maximum scalar', (t) => t.maximum(0.1), (v) => Math.max(v, 0.1), -1, 1],
  ['minimum scalar', (t) => t.minimum(0.1), (v) => Math.min(v, 0.1), -1, 1],
  ['affine', (t) => T.affine(t, 2, -1), (v) => 2 * v - 1, -1, 1],
  ['clone', (t) => t.clone(), (v) => v, -1, 1],
];

for (const [name, gpu, f, lo, hi] of unary) {
  // 105 elements take the scalar kernel, 48 the four-per-thread one (unary4).
  for (const shape of [
    [3, 5, 7],
    [2, 4, 6],
  ]) {
    test(`unary ${name} ${JSON.stringify(shape)}: forward and gradient`, async () => {
      const x = randomNd(shape, name.length + shape[0], lo, hi);
      await checkOp({
        inputs: [x],
        ref: ([a]) => map(a, f),
        gpu: ([a]) => gpu(a),
        fwdTol: { atol: 1e-5, rtol: 2e-5 },
      });
    });
  }
}

const binary: [string, (a: T.Tensor, b: T.Tensor) => T.Tensor, (a: number, b: number) => number][] = [
  ['add', (a, b) => a.add(b), (a, b) => a + b],
  ['sub', (a, b) => a.sub(b), (a, b) => a - b],
  ['mul', (a, b) => a.mul(b), (a, b) => a * b],
  ['div', (a, b) => a.div(b), (a, b) => a / b],
  ['maximum', (a, b) => a.maximum(b), Math.max],
  ['minimum', (a, b) => a.minimum(b), Math.min],
  ['pow', (a, b) => a.pow(b), (a, b) => a ** b],
];

const shapes: [number[], number[]][] = [
  [
    [4, 6],
    [4, 6],
  ],
  [[2, 3, 4], [4]],
  [
    [2, 1, 4],
    [3, 1],
  ],
  [[5], [2, 3, 5]],
  [
    [2, 3, 1, 5],
    [1, 3, 4, 1],
  ],
];

for (const [name, gpu, f] of binary) {
  for (const [sa, sb] of shapes) {
    test(`binary ${name} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}: forward and gradients`, async () => {
      // Positive operands keep div and pow away from their poles.
      const pos = name === 'div' || name === 'pow';
      const a = randomNd(sa, 1 + sa.length, pos ? 0.5 : -1, pos ? 2 : 1);
      const b = randomNd(sb, 7 + sb.length, pos ? 0.5 : -1, pos ? 2 : 1);
      await checkOp({ inputs: [a, b], ref: ([x, y]) => zip([x, y], f), gpu: ([x, y]) => gpu(x, y) });
    });
  }
}

test('comparisons and where (tensor and scalar operands)', async () => {
  const a = randomNd([3, 4], 1);
  const b = randomNd([4], 2);
  const ta = toTensor(a);
  const tb = toTensor(b);
  const cases: [string, (x: number, y: number) => boolean][] = [
    ['gt', (x, y) => x > y],
    ['lt', (x, y) => x < y],
    ['ge', (x, y) => x >= y],
    ['le', (x, y) => x <= y],
    ['eq', (x, y) => x === y],
    ['ne', (x, y) => x !== y],
  ];
  for (const [op, f] of cases) {
    const got = await T.compare(op as T.Comparison, ta, tb).data();
    const want = zip([a, b], (x, y) => (f(Math.fround(x), Math.fround(y)) ? 1 : 0)).data;
    assert.equal(Array.from(got), Array.from(want), op);
    const gotS = await T.compare(op as T.Comparison, ta, 0.25).data();
    assert.equal(
      Array.from(gotS),
      Array.from(map(a, (x) => (f(Math.fround(x), 0.25) ? 1 : 0)).data),
      `${op} scalar`,
    );
  }
  const tie = await T.compare('eq', ta, ta).sum().item();
  assert.is(tie, 12);
});

test('where: forward and gradients with broadcasting', async () => {
  const c = map(randomNd([3, 1], 5), (v) => (v > 0 ? 1 : 0));
  const a = randomNd([3, 4], 6);
  const b = randomNd([4], 8);
  await checkOp({
    inputs: [c, a, b],
    grad: [false, true, true],
    ref: ([cc, x, y]) => zip([cc, x, y], (k, p, q) => (k !== 0 ? p : q)),
    gpu: ([cc, x, y]) => T.where(cc, x, y),
  });
});

test('every element once, across workgroups and a 2D grid', async () => {
  // A 3-workgroup limit per grid dimension forces the 2D grid (and padding threads) at a small size.
  const r = rt() as unknown as { maxWorkgroups: number };
  const saved = r.maxWorkgroups;
  r.maxWorkgroups = 3;
  try {
    const n = 64 * 7 + 14; // 8 workgroups on a 3 x 3 grid, the last one partly filled
    const x = randomNd([3, n / 3], 11);
    const y = randomNd([n / 3], 12);
    const tx = toTensor(x);
    const ty = toTensor(y);
    const close = async (t: T.Tensor, want: ArrayLike<number>, what: string) =>
      assertClose(await t.data(), want, { atol: 1e-6, rtol: 1e-6 }, what);
    await close(tx.neg(), map(x, (v) => -v).data, 'unary');
    await close(tx.add(tx), map(x, (v) => 2 * v).data, 'binary, same shape');
    await close(tx.mul(ty), zip([x, y], (a, b) => a * b).data, 'binary, broadcast');
    await close(T.where(tx, ty, tx), zip([x, y], (a, b) => (a !== 0 ? b : a)).data, 'where');
    await close(T.full([n], 1.5), new Float32Array(n).fill(1.5), 'fill');
    // 4n elements: the vec4 kernels, n threads on the same 3 x 3 grid.
    const x4 = randomNd([4, n], 13);
    const y4 = randomNd([4, n], 14);
    const [tx4, ty4] = [toTensor(x4), toTensor(y4)];
    await close(tx4.neg(), map(x4, (v) => -v).data, 'unary4');
    await close(tx4.sub(ty4), zip([x4, y4], (a, b) => a - b).data, 'binary4');
  } finally {
    r.maxWorkgroups = saved;
  }
});

test('the vec4 kernels on regions of a larger buffer (parameters packed by an optimizer)', async () => {
  const arena = T.tensor(
    Float32Array.from({ length: 256 }, (_, i) => i - 100),
    [256],
  );
  const a = arena.region(64, [2, 4]); // byte offset 256: the device's storage offset alignment
  const b = arena.region(128, [8]);
  assertClose(
    await a.mul(2).data(),
    Float32Array.from({ length: 8 }, (_, i) => 2 * (64 + i - 100)),
    {},
    'unary4',
  );
  assertClose(
    await a.add(b.view([2, 4])).data(),
    Float32Array.from({ length: 8 }, (_, i) => 2 * i + 192 - 200),
    {},
    'binary4',
  );
  // The arena around the regions is untouched.
  assertClose((await arena.data()).slice(60, 64), [-40, -39, -38, -37], {}, 'before the region');
});

test('errors name the op and both shapes', () => {
  const a = T.zeros([2, 3]);
  const b = T.zeros([4]);
  assert.throws(() => a.add(b), /add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
  assert.throws(() => a.mul(b), /mul: shapes \[2, 3\] and \[4\]/);
  assert.throws(() => a.matmul(T.zeros([2, 3])), /matmul: inner dimensions differ: \[2, 3\] @ \[2, 3\]/);
  assert.throws(() => T.tensor([1, 2, 3], [2, 2]), /tensor: 3 values do not fill shape \[2, 2\]/);
  assert.throws(() => T.zeros([2, -1]), /non-negative integers/);
  assert.throws(() => a.add('x' as unknown as number), /add: operand must be a Tensor or a number/);
});

test.run();
