import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { adamStep } from '../src/kernels/adam.ts';
import { forceGemmBody } from '../src/kernels/gemm.ts';
import { assertClose, rng, setup } from './helpers.ts';

const { optim } = T;

test.before(setup);

/** torch.optim.Adam's single-tensor update in float64, on float32 inputs. */
class RefAdam {
  m: Float64Array;
  v: Float64Array;
  step = 0;
  constructor(
    public p: Float64Array,
    readonly o: { lr: number; betas: [number, number]; eps: number; weightDecay: number },
  ) {
    this.m = new Float64Array(p.length);
    this.v = new Float64Array(p.length);
  }
  update(grad: ArrayLike<number>): void {
    const { lr, betas, eps, weightDecay } = this.o;
    const [b1, b2] = betas;
    this.step++;
    const stepSize = lr / (1 - b1 ** this.step);
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.step);
    for (let i = 0; i < this.p.length; i++) {
      const g = grad[i] + weightDecay * this.p[i];
      this.m[i] = b1 * this.m[i] + (1 - b1) * g;
      this.v[i] = b2 * this.v[i] + (1 - b2) * g * g;
      this.p[i] -= (stepSize * this.m[i]) / (Math.sqrt(this.v[i]) / bc2Sqrt + eps);
    }
  }
}

function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

const shapes = [[7, 5], [13], [3, 4, 2]];

for (const opts of [
  { lr: 1e-2, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0 },
  { lr: 2e-4, betas: [0.5, 0.999] as [number, number], eps: 1e-8, weightDecay: 0 },
  { lr: 5e-3, betas: [0.8, 0.99] as [number, number], eps: 1e-6, weightDecay: 0.1 },
]) {
  test(`Adam matches torch's formula in float64 over 6 steps (${JSON.stringify(opts)})`, async () => {
    const params = shapes.map((s, k) =>
      T.tensor(
        randomValues(
          s.reduce((a, b) => a * b),
          k + 1,
        ),
        s,
      ),
    );
    const refs = params.map(
      (_, k) => new RefAdam(Float64Array.from(randomValues(params[k].size, k + 1)), opts),
    );
    const adam = new T.Adam(params, opts);
    for (let step = 0; step < 6; step++) {
      params.forEach((p, k) => {
        // Gradients of several magnitudes, some tiny, as real networks have.
        const g = randomValues(p.size, 100 * step + k, 10 ** -(k + (step % 3)));
        p.grad?.dispose();
        p.grad = T.keep(T.tensor(g, p.shape));
        refs[k].update(g);
      });
      adam.step();
    }
    const sd = adam.stateDict();
    for (let k = 0; k < params.length; k++) {
      assertClose(await params[k].data(), refs[k].p, { rtol: 1e-6, atol: 1e-7 }, `param ${k}`);
      // m averages gradients of both signs: float32 cancellation is relative to its largest values.
      const mScale = refs[k].m.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      assertClose(
        await sd.state[String(k)].expAvg.data(),
        refs[k].m,
        { rtol: 1e-6, atol: 1e-6 * mScale },
        `exp_avg ${k}`,
      );
      assertClose(
        await sd.state[String(k)].expAvgSq.data(),
        refs[k].v,
        { rtol: 1e-6, atol: 1e-12 },
        `exp_avg_sq ${k}`,
      );
      assert.is(sd.state[String(k)].step, 6);
      // The update really moved the parameter (the check is not vacuous).
      const start = randomValues(params[k].size, k + 1);
      const moved = (await params[k].data()).some((v, i) => Math.abs(v - start[i]) > opts.lr);
      assert.ok(moved, `param ${k} moved`);
    }
    adam.dispose();
    for (const p of params) {
      p.zeroGrad();
      p.dispose();
    }
  });
}

test('packed Adam: one launch for all parameters, bit-identical to one launch per tensor', async () => {
  const shapes2 = [[3, 2, 3, 3], [3], [13], [1], [70]];
  const make = () =>
    shapes2.map((s, k) =>
      T.tensor(
        randomValues(
          s.reduce((a, b) => a * b),
          k + 1,
        ),
        s,
        { requiresGrad: true },
      ),
    );
  const packed = make();
  const alone = make();
  // A parameter another tensor views cannot move into a pack: these take the per-tensor launches.
  const views = alone.map((p) => p.view(p.shape));
  const opts = { lr: 5e-3, betas: [0.8, 0.99] as [number, number], eps: 1e-6, weightDecay: 0.1 };
  const a = new T.Adam(packed, opts);
  const b = new T.Adam(alone, opts);
  for (let step = 0; step < 4; step++) {
    a.zeroGrad();
    b.zeroGrad();
    for (const ps of [packed, alone]) {
      // A conv's weight and bias gradients accumulate in place (into the pack's arena), the others'
      // (sum(p * x): x) are made apart and copied in by step().
      const x = T.tensor(randomValues(2 * 2 * 5 * 5, 50 * step), [2, 2, 5, 5]);
      const y = T.conv2d(x, ps[0], ps[1], { padding: 1 });
      const loss = ps
        .slice(2)
        .map((p, k) => p.mul(T.tensor(randomValues(p.size, 50 * step + k, 10 ** -k), p.shape)).sum())
        .reduce((u, v) => u.add(v), y.mul(y).sum());
      loss.backward();
    }
    const d0 = T.deviceStats().dispatches;
    a.step();
    assert.is(T.deviceStats().dispatches - d0, 1, 'one launch for the packed optimizer');
    b.step();
  }
  assert.ok(packed[0].grad?.isRegion && packed[1].grad?.isRegion, 'conv gradients land in the arena');
  for (let k = 0; k < packed.length; k++) {
    const x = new Uint32Array((await packed[k].data()).buffer);
    const y = new Uint32Array((await alone[k].data()).buffer);
    assert.equal(Array.from(x), Array.from(y), `param ${k} bit-identical`);
    const sa = a.stateDict().state[String(k)];
    const sb = b.stateDict().state[String(k)];
    assert.equal(Array.from(await sa.expAvgSq.data()), Array.from(await sb.expAvgSq.data()), `v ${k}`);
  }
  const start = randomValues(packed[1].size, 2);
  assert.ok(
    (await packed[1].data()).some((v, i) => Math.abs(v - start[i]) > 1e-3),
    'parameters moved',
  );
  a.zeroGrad();
  assert.ok(
    packed.every((p) => p.grad === null),
    'zeroGrad drops the gradients',
  );
  a.dispose();
  b.dispose();
  for (const t of [...packed, ...alone, ...views]) t.dispose();
});

async function zeroedSlotCase(k: number): Promise<void> {
  const make = () =>
    [[k, 3, 3, 3], [k]].map((s, j) =>
      T.tensor(randomValues(s[0] * (s[1] ?? 1) * (s[2] ?? 1) * (s[3] ?? 1), j + 30), s, {
        requiresGrad: true,
      }),
    );
  const packed = make();
  const alone = make();
  const views = alone.map((p) => p.view(p.shape)); // keeps these out of any pack
  const a = new T.Adam(packed, { lr: 1e-3 });
  a.zeroGrad();
  const x1 = T.tensor(randomValues(2 * 3 * 6 * 6, 40), [2, 3, 6, 6]);
  const x2 = T.tensor(randomValues(1 * 3 * 6 * 6, 41), [1, 3, 6, 6]);
  const lossOf = ([w, b]: T.Tensor[]) =>
    T.conv2d(x1, w, b, { padding: 1 })
      .square()
      .sum()
      .add(T.conv2d(x2, w, b, { stride: 2 }).mul(3).sum());
  for (let sweep = 0; sweep < 2; sweep++) {
    lossOf(packed).backward();
    lossOf(alone).backward();
    assert.ok(!packed[0].zeroed && !packed[0].grad?.zeroed, 'no slot stays marked after the sweep');
  }
  for (let j = 0; j < 2; j++) {
    const got = await packed[j].grad!.data();
    const want = await alone[j].grad!.data();
    assertClose(got, Array.from(want), { atol: 1e-4, rtol: 1e-5 }, `grad ${j} (${k} filters)`);
  }
  assert.ok(packed[0].grad?.isRegion, 'the weight gradient is the slot');
  a.dispose();
  for (const t of [...packed, ...alone, ...views, x1, x2]) t.dispose();
}

test("a packed conv's zeroed gradient slot is written by the first use, added to by the next and by a second backward", async () => {
  // 4 filters: 108 weights, rows of 27; 3 filters: 81, a slot that conv_wgrad (which binds its output
  // as vec4s) binds rounded up into the pack's padding. On the CPU driver's bodies with vector stores too.
  const bodies =
    T.deviceStats().adapter.subgroupMinSize === 8
      ? ([null, 'gemm_subgroup_rows', 'gemm_texture'] as const)
      : [null];
  for (const body of bodies) {
    forceGemmBody(body);
    try {
      for (const k of [4, 3]) await zeroedSlotCase(k);
    } finally {
      forceGemmBody(null);
    }
  }
});

test('regions of one buffer: read, written, copied between each other; moveInto keeps the tensor', async () => {
  const arena = T.tensor(
    new Float32Array(256).map((_, i) => i),
    [256],
  );
  const r0 = arena.region(0, [2, 3]);
  const r1 = arena.region(64, [6]);
  assert.equal(Array.from(await r1.data()), [64, 65, 66, 67, 68, 69]);
  assert.ok(r1.isRegion && !r1.sharesStorage && !r0.sameStorage(r1));
  r1.assign(r0); // same buffer: through a temporary
  assert.equal(Array.from(await r1.data()), [0, 1, 2, 3, 4, 5]);
  r0.assign(new Float32Array([9, 8, 7, 6, 5, 4]));
  assert.equal(Array.from(await arena.data()).slice(0, 7), [9, 8, 7, 6, 5, 4, 6]);
  const p = T.tensor([1, 2, 3], [3]);
  p.moveInto(arena.region(128, [3]));
  assert.ok(p.isRegion);
  assert.equal(Array.from(await arena.data()).slice(128, 131), [1, 2, 3]);
  assert.equal(Array.from(await p.add(p).data()), [2, 4, 6], 'kernels bind the region');
  arena.dispose(); // the regions keep the buffer
  assert.equal(Array.from(await p.data()), [1, 2, 3]);
  for (const t of [r0, r1, p]) t.dispose();
  assert.throws(() => T.tensor([1], [1]).region(1, [1]), /outside/);
});

test('Adam skips parameters without a gradient; lr is mutable; param groups have their own lr', async () => {
  const a = T.tensor([1, 2, 3], [3], { requiresGrad: true });
  const b = T.tensor([4, 5], [2], { requiresGrad: true });
  const c = T.tensor([0.5, -0.5], [2], { requiresGrad: true });
  const adam = new T.Adam([{ params: [a, b] }, { params: [c], lr: 0.5 }], { lr: 0.1 });
  assert.is(adam.lr, 0.1);
  assert.is(adam.paramGroups[1].lr, 0.5);
  a.grad = T.keep(T.tensor([1, -1, 0], [3]));
  c.grad = T.keep(T.tensor([2, -3], [2]));
  adam.step();
  // First Adam step: p -= lr * g / (|g| + eps) (to within eps), i.e. lr * sign(g).
  assertClose(await a.data(), [0.9, 2.1, 3], { atol: 1e-6 }, 'a');
  assertClose(await b.data(), [4, 5], { atol: 0 }, 'b has no grad: untouched');
  assertClose(await c.data(), [0, 0], { atol: 1e-6 }, 'c with its group lr 0.5');
  assert.is(adam.stepOf(a), 1);
  assert.is(adam.stepOf(b), 0);
  adam.lr = 0;
  assert.equal(
    adam.paramGroups.map((g) => g.lr),
    [0, 0],
  );
  adam.step();
  assertClose(await a.data(), [0.9, 2.1, 3], { atol: 1e-6 }, 'lr 0 leaves parameters');
  assert.is(adam.stepOf(a), 2, 'but counts the step');
  adam.zeroGrad();
  assert.ok(a.grad === null && c.grad === null);
  assert.throws(() => new T.Adam([a], { betas: [1, 0.9] }), /invalid beta parameter at index 0/);
  assert.throws(() => new T.Adam([a, a]), /more than once/);
  assert.throws(() => new T.Adam([]), /empty/);
  adam.dispose();
});

test('Adam state round trip: a restored optimizer continues bit-exactly; mismatches are all listed', async () => {
  const mk = () => [T.tensor(randomValues(6, 1), [2, 3]), T.tensor(randomValues(4, 2), [4])];
  const grads = (k: number, p: T.Tensor[]) =>
    p.forEach((t, i) => {
      t.grad?.dispose();
      t.grad = T.keep(T.tensor(randomValues(t.size, 10 * k + i), t.shape));
    });
  const p1 = mk();
  const o1 = new T.Adam(
    [
      ['w', p1[0]],
      ['b', p1[1]],
    ],
    { lr: 0.01, betas: [0.5, 0.999] },
  );
  for (let k = 0; k < 3; k++) {
    grads(k, p1);
    o1.step();
  }
  // A second optimizer over copies of the parameters, restored from the first one's state.
  const p2 = mk();
  p2.forEach((t, i) => t.assign(p1[i]));
  const o2 = new T.Adam(
    [
      ['w', p2[0]],
      ['b', p2[1]],
    ],
    { lr: 0.5 },
  );
  o2.loadStateDict(o1.stateDict());
  assert.is(o2.lr, 0.01);
  assert.equal(o2.paramGroups[0].betas, [0.5, 0.999]);
  for (const [o, p] of [
    [o1, p1],
    [o2, p2],
  ] as const) {
    grads(7, p);
    o.step();
  }
  for (let i = 0; i < 2; i++) assert.equal(Array.from(await p2[i].data()), Array.from(await p1[i].data()));
  // Loading its own state is safe too.
  o2.loadStateDict(o2.stateDict());
  assert.is(o2.stepOf(p2[0]), 4);

  const before = Array.from(await o2.stateDict().state.w.expAvg.data());
  const bad = o1.stateDict();
  const wrong: T.optim.AdamStateDict = {
    groups: [{ ...bad.groups[0], params: ['w', 'c'] }],
    state: {
      w: { step: 0, expAvg: T.zeros([3, 2]), expAvgSq: bad.state.w.expAvgSq },
      zz: bad.state.b,
    },
  };
  let msg = '';
  try {
    o2.loadStateDict(wrong, { source: 'opt.safetensors' });
  } catch (e) {
    msg = (e as Error).message;
  }
  for (const part of [
    'opt.safetensors',
    'nothing was changed',
    'group 0 holds parameters [w, c]',
    'w: step must be a positive integer',
    'w.exp_avg: expected [2, 3], got [3, 2]',
    "unknown parameter 'zz'",
  ]) {
    assert.ok(msg.includes(part), `error lacks '${part}': ${msg}`);
  }
  assert.equal(Array.from(await o2.stateDict().state.w.expAvg.data()), before, 'state unchanged');
  assert.is(o2.stepOf(p2[0]), 4);
  o1.dispose();
  o2.dispose();
});

test('Adam.loadStateDict: missing, unexpected and mis-shaped moments in one error; nothing changes', async () => {
  const w = T.tensor(randomValues(6, 3), [2, 3]);
  const b = T.tensor(randomValues(4, 4), [4]);
  const adam = new T.Adam([
    ['w', w],
    ['b', b],
  ]);
  for (const t of [w, b]) t.grad = T.keep(T.tensor(randomValues(t.size, 5), t.shape));
  adam.step();
  const sd = adam.stateDict();
  const before = Array.from(await sd.state.w.expAvg.data());
  const msg = (() => {
    try {
      adam.loadStateDict(
        {
          groups: sd.groups,
          state: {
            // a missing second moment and a host first moment of another shape
            w: { step: 1, expAvg: { shape: [3, 2], data: new Float32Array(6) } },
            // a moment with too few values, and one of the wrong type
            b: { step: 1, expAvg: { shape: [4], data: new Float32Array(3) }, expAvgSq: [0, 0, 0, 0] },
            extra: sd.state.b,
          } as unknown as T.optim.AdamStateDict['state'],
        },
        { source: 'hand-made' },
      );
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  })();
  for (const part of [
    'Adam.loadStateDict: cannot load from hand-made (nothing was changed): ',
    "state for unknown parameter 'extra'",
    'missing keys: w.exp_avg_sq',
    'shape mismatches: w.exp_avg: expected [2, 3], got [3, 2]',
    'b.exp_avg: 3 values for shape [4]',
    'b.exp_avg_sq: not a tensor or {shape, data}',
  ]) {
    assert.ok(msg.includes(part), `error lacks '${part}': ${msg}`);
  }
  assert.equal(Array.from(await adam.stateDict().state.w.expAvg.data()), before, 'state unchanged');
  assert.is(adam.stepOf(w), 1);
  adam.dispose();
  for (const t of [w, b]) {
    t.zeroGrad();
    t.dispose();
  }
});

/** A stand-in optimizer: schedulers only touch paramGroups[i].lr. */
const groups = (...lrs: number[]) => ({ paramGroups: lrs.map((lr) => ({ lr })) });

function lrsOver(s: T.optim.LRScheduler, epochs: number): number[] {
  const out = [s.lr];
  for (let e = 1; e < epochs; e++) {
    s.step();
    out.push(s.lr);
  }
  return out;
}

test("linear decay as BicycleGAN's lambda_rule: constant for niter epochs, then to 0 over niterDecay", () => {
  const opt = groups(0.0002);
  const s = optim.linearDecay(opt, { niter: 3, niterDecay: 4 });
  // 1-based epochs 1..8: factor 1 - max(0, epoch - 3) / 5.
  const want = [1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0].map((f) => 0.0002 * f);
  assertClose(lrsOver(s, 8), want, { atol: 1e-15, rtol: 1e-12 }, 'lr per epoch');
  assert.is(opt.paramGroups[0].lr, s.lr);
  for (let e = 0; e < 8; e++) {
    assert.ok(
      Math.abs(optim.linearDecayFactor(e, { niter: 3, niterDecay: 4 }) - (1 - Math.max(0, e + 1 - 3) / 5)) <
        1e-15,
    );
  }
  // Resuming at epoch 5 (--epoch_count 5) starts where the first run was at its 5th epoch.
  const resumed = optim.linearDecay(groups(0.0002), { niter: 3, niterDecay: 4, epochCount: 5 });
  assertClose(lrsOver(resumed, 4), want.slice(4), { atol: 1e-15, rtol: 1e-12 }, 'resumed');
  // 30 + 30 epochs, the edges2shoes recipe: epoch 31 is the first decayed one, epoch 60 ends at 1/31.
  const full = lrsOver(optim.linearDecay(groups(1), { niter: 30, niterDecay: 30 }), 60);
  assert.is(full[29], 1);
  assert.ok(Math.abs(full[30] - 30 / 31) < 1e-12 && Math.abs(full[59] - 1 / 31) < 1e-12);
});

test('step and cosine schedules, every group, and saved scheduler state', () => {
  const opt = groups(0.1, 1);
  const s = optim.stepLR(opt, { stepSize: 2, gamma: 0.5 });
  assertClose(lrsOver(s, 6), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], { atol: 1e-15 }, 'step');
  assertClose(s.lrs, [0.025, 0.25], { atol: 1e-15 }, 'second group');
  const c = optim.cosineLR(groups(1), { tMax: 4, etaMin: 0.1 });
  const cos = [0, 1, 2, 3, 4].map((e) => 0.1 + (0.9 * (1 + Math.cos((Math.PI * e) / 4))) / 2);
  assertClose(lrsOver(c, 5), cos, { atol: 1e-15 }, 'cosine');
  assert.ok(Math.abs(cos[2] - 0.55) < 1e-12);
  // Save after 3 epochs, restore into a fresh scheduler: it continues identically.
  const a = optim.linearDecay(groups(0.5), { niter: 2, niterDecay: 3 });
  a.step();
  a.step();
  a.step();
  const state = JSON.parse(JSON.stringify(a.stateDict()));
  const optB = groups(0.5);
  const b = optim.linearDecay(optB, { niter: 2, niterDecay: 3 });
  b.loadStateDict(state);
  assert.is(b.lastEpoch, 3);
  assert.is(optB.paramGroups[0].lr, a.lr);
  a.step();
  b.step();
  assert.is(b.lr, a.lr);
  assert.ok(Math.abs(a.lr - 0.5 * (1 - 3 / 4)) < 1e-15);
  assert.throws(() => b.loadStateDict({ lastEpoch: 1, baseLrs: [1, 2] }), /baseLrs must be 1/);
  assert.throws(
    () => b.loadStateDict({ lastEpoch: -1, baseLrs: [] }),
    /LRScheduler\.loadStateDict: cannot load \(nothing was changed\): lastEpoch must be .*; baseLrs must be 1/,
  );
  // Schedulers drive a real Adam too.
  const t = T.zeros([2]);
  const adam = new T.Adam([t], { lr: 0.001 });
  const sch = optim.stepLR(adam, { stepSize: 1, gamma: 0.1 });
  sch.step();
  assert.ok(Math.abs(adam.lr - 1e-4) < 1e-18);
  t.dispose();
});

test("adam kernel: each element gets its own span's update, in workgroups within one span and across spans", async () => {
  // One workgroup covers 512 elements: [0, 1536) lie in span 0 (its last 36 in no span), [1536, 2048)
  // holds spans 1 and 2, [2048, 2560) only span 2, [2560, 3072) span 3. Each span has its own rates.
  const n = 3072;
  const start = randomValues(n, 17);
  const grad = randomValues(n, 18);
  const spans = [
    { offset: 0, n: 1500, step_size: 0.1, weight_decay: 0 },
    { offset: 1536, n: 5, step_size: 0.2, weight_decay: 0 },
    { offset: 1600, n: 700, step_size: 0.05, weight_decay: 0.3 },
    { offset: 2560, n: 1, step_size: 0.4, weight_decay: 0 },
  ].map((s) => ({
    ...s,
    one_minus_beta1: 0.1,
    beta2: 0.999,
    one_minus_beta2: 0.001,
    eps: 1e-8,
    bc2_sqrt: 0.5,
  }));
  const p = T.tensor(start, [n]);
  const g = T.tensor(grad, [n]);
  const m = T.zeros([n]);
  const v = T.zeros([n]);
  adamStep(p, g, m, v, spans);
  const out = await p.data();
  for (let i = 0; i < n; i++) {
    const s = spans.find((sp) => i >= sp.offset && i < sp.offset + sp.n);
    let want = start[i];
    if (s) {
      const gi = grad[i] + s.weight_decay * start[i];
      const mi = s.one_minus_beta1 * gi;
      const vi = s.one_minus_beta2 * gi * gi;
      want = start[i] - (s.step_size * mi) / (Math.sqrt(vi) / s.bc2_sqrt + s.eps);
    }
    assert.ok(
      Math.abs(out[i] - want) <= 1e-6 * Math.max(1, Math.abs(want)),
      `element ${i}: ${out[i]} vs ${want}`,
    );
  }
  for (const t of [p, g, m, v]) t.dispose();
});

test('adam kernel: elements outside the spans keep their values (vec4s that straddle a span end)', async () => {
  const n = 200;
  const start = randomValues(n, 7);
  const p = T.tensor(start, [n]);
  const g = T.tensor(randomValues(n, 8), [n]);
  const m = T.zeros([n]);
  const v = T.zeros([n]);
  const hp = { step_size: 0.1, one_minus_beta1: 0.5, beta2: 0.999, one_minus_beta2: 0.001, eps: 1e-8 };
  adamStep(p, g, m, v, [
    { offset: 0, n: 5, weight_decay: 0, bc2_sqrt: Math.sqrt(0.001), ...hp },
    { offset: 64, n: 7, weight_decay: 0, bc2_sqrt: Math.sqrt(0.001), ...hp },
  ]);
  const out = await p.data();
  const mv = await m.data();
  for (let i = 0; i < n; i++) {
    const inside = i < 5 || (i >= 64 && i < 71);
    if (inside) assert.ok(out[i] !== start[i] && mv[i] !== 0, `element ${i} updated`);
    else assert.ok(out[i] === start[i] && mv[i] === 0, `element ${i} left alone`);
  }
  assert.throws(
    () => adamStep(p, g, m, v, [{ offset: 2, n: 5, weight_decay: 0, bc2_sqrt: 1, ...hp }]),
    /multiple of 4/,
  );
  for (const t of [p, g, m, v]) t.dispose();
});

test.run();
