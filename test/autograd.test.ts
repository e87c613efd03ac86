import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { assertClose, setup } from './helpers.ts';

test.before(setup);

test('gradients accumulate across backward calls and through shared subexpressions', async () => {
  const x = T.tensor([1, 2, 3], [3], { requiresGrad: true });
  // y = sum(x * x + x): each x is used three times.
  x.mul(x).add(x).sum().backward();
  assertClose(await x.grad!.data(), [3, 5, 7]);
  x.mul(2).sum().backward();
  assertClose(await x.grad!.data(), [5, 7, 9], {}, 'accumulated');
  x.zeroGrad();
  assert.is(x.grad, null);
});

test('diamond graph: each node is processed once', async () => {
  const x = T.tensor([0.5, -1], [2], { requiresGrad: true });
  const a = x.exp();
  const b = a.mul(a).add(a.mul(3)); // a^2 + 3a, d/dx = (2a + 3) a
  b.sum().backward();
  const e = [Math.exp(0.5), Math.exp(-1)];
  assertClose(
    await x.grad!.data(),
    e.map((v) => (2 * v + 3) * v),
    { rtol: 1e-5 },
  );
});

test('detach and noGrad cut the graph', async () => {
  const x = T.tensor([1, 2], [2], { requiresGrad: true });
  const d = x.detach();
  assert.is(d.requiresGrad, false);
  const y = T.noGrad(() => x.mul(3));
  assert.is(y.requiresGrad, false);
  assert.is(y.node, null);
  const z = x.mul(d).sum(); // d is a constant: dz/dx = d
  z.backward();
  assertClose(await x.grad!.data(), [1, 2]);
  assert.throws(() => y.sum().backward(), /does not require grad/);
});

test('backward with an explicit output gradient, and its shape check', async () => {
  const x = T.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
  const y = x.mul(2);
  assert.throws(() => y.backward(), /implicit gradient only for one-element outputs, got shape \[2, 2\]/);
  y.backward(T.tensor([1, 0, 0, 1], [2, 2]));
  assertClose(await x.grad!.data(), [2, 0, 0, 2]);
});

test('only leaves that require grad receive .grad; the graph is freed after backward', async () => {
  const w = T.tensor([2], [1], { requiresGrad: true });
  const c = T.tensor([5], [1]);
  const h = w.mul(c);
  const loss = h.sum();
  loss.backward();
  assert.is(c.grad, null);
  assert.is(h.grad, null);
  assert.is(h.node, null);
  assertClose(await w.grad!.data(), [5]);
});

test('an input frozen when its op ran gets no gradient from it, even unfrozen before the backward', async () => {
  const x = T.tensor([1, 2], [2], { requiresGrad: true });
  const w = T.tensor([3, 4], [2]);
  const frozenUse = x.mul(w);
  w.requiresGrad = true;
  const liveUse = w.mul(2);
  frozenUse.add(liveUse).sum().backward();
  assertClose(await x.grad!.data(), [3, 4]);
  assertClose(await w.grad!.data(), [2, 2], {}, 'only the use recorded while w required grad');
  const v = T.tensor([1], [1]);
  const y = x.narrow(0, 0, 1).mul(v);
  v.requiresGrad = true;
  y.sum().backward();
  assert.is(v.grad, null);
});

test('a second backward through a freed graph throws, as PyTorch; retainGraph allows it', async () => {
  const x = T.tensor([1, 2], [2], { requiresGrad: true });
  const h = x.mul(x);
  const y = h.sum();
  y.backward();
  assert.throws(() => y.backward(), /second time.*retainGraph/);
  assert.throws(() => h.mul(2).sum().backward(), /second time/);
  assertClose(await x.grad!.data(), [2, 4], {}, 'the first backward still counted once');
  const z = x.mul(3).sum();
  z.backward(undefined, { retainGraph: true });
  z.backward();
  assertClose(await x.grad!.data(), [8, 10], {}, 'retained graph: two more backward passes');
});

test('a throw inside tidy disposes what the scope made', () => {
  const before = T.deviceStats().liveBytes;
  for (let i = 0; i < 20; i++) {
    assert.throws(
      () =>
        T.tidy(() => {
          T.zeros([256]).add(1).mul(2);
          throw new Error('boom');
        }),
      /boom/,
    );
  }
  assert.is(T.deviceStats().liveBytes, before);
});

test('use after dispose is a clear error', () => {
  const x = T.zeros([2]);
  x.dispose();
  x.dispose(); // idempotent
  assert.throws(() => x.add(1), /used after dispose/);
});

test.run();
