import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { setup } from './helpers.ts';

test.before(setup);

test('tidy disposes intermediates and keeps what it returns', () => {
  const before = T.deviceStats().liveBuffers;
  const kept = T.tidy(() => {
    const a = T.ones([4]);
    const b = a.mul(2).add(1);
    return b.exp();
  });
  assert.is(T.deviceStats().liveBuffers, before + 1);
  kept.dispose();
  assert.is(T.deviceStats().liveBuffers, before);
});

test('deviceStats().peakLiveBytes is the high-water mark of liveBytes since resetPeakBytes()', () => {
  T.resetPeakBytes();
  const base = T.deviceStats().liveBytes;
  assert.is(T.deviceStats().peakLiveBytes, base);
  const MiB = 1 << 20; // a size class of its own: no rounding
  const a = T.zeros([MiB / 4]);
  const b = T.zeros([MiB / 4]);
  a.dispose();
  const c = T.zeros([MiB / 4]); // reuses a's buffer: live never exceeds two
  assert.is(T.deviceStats().peakLiveBytes, base + 2 * MiB);
  b.dispose();
  c.dispose();
  assert.is(T.deviceStats().liveBytes, base);
  assert.is(T.deviceStats().peakLiveBytes, base + 2 * MiB, 'disposing keeps the mark');
  T.resetPeakBytes();
  assert.is(T.deviceStats().peakLiveBytes, base);
});

test('an optimizer packs its parameters into exact-sized arenas, destroyed (not pooled) with it', () => {
  const s0 = T.deviceStats();
  // 1000 + 300 elements, each region padded to 64: 1024 + 320 = 1344 elements, 5376 bytes per arena,
  // where the pool's size class would be 6144.
  const ps = [T.zeros([1000]).setRequiresGrad(), T.zeros([300]).setRequiresGrad()];
  const s1 = T.deviceStats();
  const opt = new T.Adam(ps, { lr: 1e-3 });
  const s2 = T.deviceStats();
  // four arenas (parameters, gradients, two moments) came, the two parameters' own buffers went back
  assert.is(s2.liveBytes - s1.liveBytes, 4 * 5376 - (s1.liveBytes - s0.liveBytes));
  assert.is(s2.totalBytes - s1.totalBytes, 4 * 5376);
  opt.dispose();
  for (const p of ps) p.dispose();
  const s3 = T.deviceStats();
  assert.is(s3.liveBytes, s0.liveBytes);
  assert.is(s3.totalBytes, s1.totalBytes, 'the arenas were destroyed, not kept in the pool');
});

test('1,000 training steps keep live GPU buffers and bytes flat', async () => {
  // A small regression w <- w - lr * grad, the way a training loop uses the library.
  const w = T.randn([8, 4], { seed: 3 }).setRequiresGrad();
  const x = T.randn([16, 8], { seed: 4 });
  const y = T.randn([16, 4], { seed: 5 });
  const step = () =>
    T.tidy(() => {
      const loss = x.matmul(w).tanh().sub(y).pow(2).mean();
      loss.backward();
      const next = T.noGrad(() => w.sub(w.grad!.mul(0.1)));
      w.assign(next);
      w.zeroGrad();
      return loss;
    });
  for (let i = 0; i < 10; i++) step().dispose();
  const first = await step().item();
  const start = T.deviceStats();
  let last = first;
  for (let i = 0; i < 1000; i++) {
    const l = step();
    if (i === 999) last = await l.item();
    l.dispose();
  }
  const end = T.deviceStats();
  assert.is(end.liveBuffers, start.liveBuffers, 'live buffers');
  assert.is(end.liveBytes, start.liveBytes, 'live bytes');
  assert.is(end.totalBytes, start.totalBytes, 'pool did not grow');
  assert.ok(last < first, `loss went from ${first} to ${last}`);
});

test.run();
