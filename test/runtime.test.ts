// The runtime's waits for the GPU: they settle as the promise does, and in Node they do not turn the
// event loop without pause while the GPU works (Dawn's binding polls with setImmediate, which takes a
// core from a CPU driver's shader threads).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rt } from '../src/gpu/runtime.ts';
import * as T from '../src/index.ts';

test.before(async () => {
  await T.init();
});

test('settle gives the value of the promise, or its rejection', async () => {
  assert.is(await rt().settle(Promise.resolve(42)), 42);
  const late = new Promise<string>((resolve) => setTimeout(() => resolve('late'), 20));
  assert.is(await rt().settle(late), 'late');
  try {
    await rt().settle(Promise.reject(new Error('boom')));
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, 'boom');
  }
});

test('waiting for the GPU lets the event loop turn about once a millisecond, not without pause', async () => {
  const a = T.rand([512, 512], { seed: 1 });
  const b = T.rand([512, 512], { seed: 2 });
  await T.sync();
  // Queue enough work to take a while on a CPU driver (a GPU finishes it in a few turns).
  const outs = Array.from({ length: 6 }, () => a.matmul(b));
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  const t0 = performance.now();
  await T.sync();
  const ms = performance.now() - t0;
  counting = false;
  // A busy event loop turns every few microseconds; sleeping up to 1 ms between turns gives at most
  // about one per millisecond, plus the short sleeps at the start.
  assert.ok(turns <= 2 * ms + 30, `${turns} event-loop turns in ${ms.toFixed(1)} ms`);
  // The results are there once sync returns: C[0][0] against the host's dot product.
  const [ah, bh, c] = await Promise.all([a.data(), b.data(), outs[5].data()]);
  let want = 0;
  for (let k = 0; k < 512; k++) want += ah[k] * bh[k * 512];
  assert.ok(Math.abs(c[0] - want) <= 1e-4 * Math.abs(want), `C[0][0] ${c[0]} vs ${want}`);
  for (const t of [a, b, ...outs]) t.dispose();
});

test.run();
