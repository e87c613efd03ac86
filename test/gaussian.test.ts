import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { checkOp, randomNd, setup } from './helpers.ts';
import { type Nd, nd } from './reference.ts';

test.before(setup);

/** mu + eps * exp(logvar / 2), in float64. */
const sample = (mu: Nd, lv: Nd, eps: Nd): Nd =>
  nd(
    mu.shape,
    mu.data.map((m, i) => m + eps.data[i] * Math.exp(lv.data[i] / 2)),
  );

const kl = (mu: Nd, lv: Nd): number => {
  let s = 0;
  for (let i = 0; i < mu.data.length; i++) s += 1 + lv.data[i] - mu.data[i] ** 2 - Math.exp(lv.data[i]);
  return -0.5 * s;
};

const inputs = () => [randomNd([2, 8], 1, -1.5, 1.5), randomNd([2, 8], 2, -2, 1), randomNd([2, 8], 3, -2, 2)];

test('reparameterize: mu + eps * exp(logvar / 2), forward and the gradients of mu, logvar and eps', async () => {
  await checkOp({
    inputs: inputs(),
    ref: ([mu, lv, eps]) => sample(mu, lv, eps),
    gpu: ([mu, lv, eps]) => T.reparameterize(mu, lv, eps),
  });
});

test('gaussianKL: the KL of N(mu, exp(logvar)) from N(0, I), weighted or not, forward and gradients', async () => {
  await checkOp({
    inputs: inputs().slice(0, 2),
    ref: ([mu, lv]) => nd([], [kl(mu, lv)]),
    gpu: ([mu, lv]) => T.gaussianKL(mu, lv),
  });
  await checkOp({
    inputs: inputs().slice(0, 2),
    ref: ([mu, lv]) => nd([], [0.01 * kl(mu, lv)]),
    gpu: ([mu, lv]) => T.gaussianKL(mu, lv, 0.01),
  });
  assert.is(await T.gaussianKL(T.zeros([3, 5]), T.zeros([3, 5])).item(), 0, 'zero at the prior');
});

test('a sample and its KL from the same code (a VAE): gradients summed in place into mu and logvar', async () => {
  await checkOp({
    inputs: inputs(),
    grad: [true, true, false],
    ref: ([mu, lv, eps]) => {
      const k = kl(mu, lv);
      const z = sample(mu, lv, eps);
      return nd(
        z.shape,
        z.data.map((v) => v + k),
      );
    },
    gpu: ([mu, lv, eps]) => T.reparameterize(mu, lv, eps).add(T.gaussianKL(mu, lv)),
  });
});

test('one launch each way: sample, KL and their backward (eps needs no gradient)', async () => {
  const mu = T.randn([2, 8], { seed: 4 });
  const lv = T.randn([2, 8], { seed: 5 });
  const eps = T.randn([2, 8], { seed: 6 });
  mu.requiresGrad = true;
  lv.requiresGrad = true;
  const d0 = T.deviceStats().dispatches;
  const z = T.reparameterize(mu, lv, eps);
  const k = T.gaussianKL(mu, lv);
  assert.is(T.deviceStats().dispatches - d0, 2);
  const seed = T.ones([2, 8]);
  const d1 = T.deviceStats().dispatches;
  k.backward();
  z.backward(seed);
  // The KL: its seed and one launch; the sample: the seed's copy, logvar's launch (added in place) and
  // mu's sum (g passes through to mu, so its sum with the KL's dmu is the sweep's add).
  assert.is(T.deviceStats().dispatches - d1, 5);
  for (const t of [mu, lv, eps, z, k, seed]) t.dispose();
});

test('reparameterize and gaussianKL name a shape mismatch', () => {
  const a = T.zeros([2, 8]);
  const b = T.zeros([2, 4]);
  assert.throws(() => T.reparameterize(a, a, b), /reparameterize: eps \[2, 4\] does not match mu \[2, 8\]/);
  assert.throws(() => T.gaussianKL(a, b), /gaussianKL: logvar \[2, 4\] does not match mu \[2, 8\]/);
});

test.run();
