import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { setup } from './helpers.ts';

test.before(setup);

test('the same seed gives the same numbers; another seed other numbers', async () => {
  const a = await T.randn([1000], { seed: 42 }).data();
  const b = await T.randn([1000], { seed: 42 }).data();
  const c = await T.randn([1000], { seed: 43 }).data();
  assert.equal(Array.from(a), Array.from(b));
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === c[i]) same++;
  assert.ok(same < 5, `${same} equal values across seeds`);
});

test('values depend on the index, not on the shape they are drawn in', async () => {
  const a = await T.rand([6, 50], { seed: 7 }).data();
  const b = await T.rand([300], { seed: 7 }).data();
  assert.equal(Array.from(a), Array.from(b));
});

test('randn: mean 0, std 1, and roughly normal tails', async () => {
  const n = 200_000;
  const x = await T.randn([n], { seed: 1 }).data();
  let s = 0;
  let s2 = 0;
  let tail = 0;
  for (const v of x) {
    s += v;
    s2 += v * v;
    if (Math.abs(v) > 1.96) tail++;
  }
  const mean = s / n;
  const std = Math.sqrt(s2 / n - mean * mean);
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.01, `std ${std}`);
  assert.ok(Math.abs(tail / n - 0.05) < 0.005, `P(|x| > 1.96) = ${tail / n}`);
});

test('rand: uniform on [low, high) with mean and variance of U', async () => {
  const n = 200_000;
  const x = await T.rand([n], { seed: 2, low: -1, high: 3 }).data();
  let s = 0;
  let s2 = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    s += v;
    s2 += v * v;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const mean = s / n;
  const variance = s2 / n - mean * mean;
  assert.ok(lo >= -1 && hi < 3, `range [${lo}, ${hi}]`);
  assert.ok(Math.abs(mean - 1) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(variance - 16 / 12) < 0.02, `variance ${variance}`);
});

test('manualSeed resets the unseeded stream', async () => {
  T.manualSeed(5);
  const a = await T.randn([10]).data();
  const a2 = await T.randn([10]).data();
  T.manualSeed(5);
  const b = await T.randn([10]).data();
  assert.equal(Array.from(a), Array.from(b));
  assert.not.equal(Array.from(a), Array.from(a2));
});

test.run();
