import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { assertClose, randomNd, rng, setup, toTensor } from './helpers.ts';
import * as R from './reference.ts';

const { nn } = T;
const { init } = nn;

test.before(setup);

/** A module with an own parameter, a buffer and nested children, like a small generator. */
class Block extends nn.Module {
  readonly scale: T.Tensor;
  readonly down: T.nn.Sequential;
  constructor() {
    super();
    this.scale = this.registerParameter('scale', T.ones([2]));
    this.registerBuffer('running_mean', T.zeros([2]));
    this.registerBuffer('scratch', T.zeros([3]), { persistent: false });
    this.down = this.registerModule(
      'down',
      new nn.Sequential(
        new nn.Linear(3, 4, true, { seed: 1 }),
        new nn.Tanh(),
        new nn.Linear(4, 2, false, { seed: 2 }),
      ),
    );
  }
  forward(x: T.Tensor): T.Tensor {
    return this.down.call(x).mul(this.scale);
  }
}

/** Stands in for a conv or batch-norm layer written elsewhere: only `kind` and the names matter. */
class FakeLayer extends nn.Module {
  constructor(kind: 'conv' | 'batchnorm', shape: number[]) {
    super();
    (this as { kind: string }).kind = kind;
    this.registerParameter('weight', T.randn(shape, { seed: 5 }));
    this.registerParameter('bias', T.randn([shape[0]], { seed: 6 }));
  }
  forward(x: T.Tensor): T.Tensor {
    return x;
  }
}

const stdOf = (v: ArrayLike<number>, mean = 0) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - mean) ** 2;
  return Math.sqrt(s / v.length);
};
const meanOf = (v: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
};

test('namedParameters: PyTorch dotted names, own parameters first, Sequential children by index', () => {
  const b = new Block();
  const names = b.namedParameters().map(([n, t]) => [n, t.shape]);
  assert.equal(names, [
    ['scale', [2]],
    ['down.0.weight', [4, 3]],
    ['down.0.bias', [4]],
    ['down.2.weight', [2, 4]],
  ]);
  assert.equal(
    b.namedBuffers().map(([n]) => n),
    ['running_mean'],
  );
  assert.equal(
    b.namedBuffers({ all: true }).map(([n]) => n),
    ['running_mean', 'scratch'],
  );
  // PyTorch's state_dict order: each module's parameters, its buffers, then its children.
  assert.equal(Object.keys(b.stateDict()), [
    'scale',
    'running_mean',
    'down.0.weight',
    'down.0.bias',
    'down.2.weight',
  ]);
  assert.is(b.numParameters(), 2 + 12 + 4 + 8);
  assert.ok(b.parameters().every((p) => p.requiresGrad));
  assert.equal(
    b.namedModules().map(([n, m]) => [n, m.constructor.name]),
    [
      ['', 'Block'],
      ['down', 'Sequential'],
      ['down.0', 'Linear'],
      ['down.1', 'Tanh'],
      ['down.2', 'Linear'],
    ],
  );
  assert.throws(() => b.registerParameter('scale', null), /already registered/);
  assert.throws(() => b.registerParameter('a.b', null), /without '\.'/);
  b.dispose();
});

test('train()/eval() reach every submodule; requiresGrad(false) freezes; zeroGrad clears', async () => {
  const b = new Block();
  b.eval();
  assert.ok(b.modules().every((m) => m.training === false));
  b.train();
  assert.ok(b.modules().every((m) => m.training === true));
  b.down.requiresGrad(false);
  const x = T.randn([5, 3], { seed: 3 });
  T.tidy(() => b.call(x).sum().backward());
  assert.ok(b.scale.grad, 'unfrozen parameter gets a gradient');
  assert.ok(b.down.parameters().every((p) => p.grad === null && !p.requiresGrad));
  b.zeroGrad();
  assert.is(b.scale.grad, null);
  x.dispose();
  b.dispose();
});

test('Linear: y = x W^T + b with gradients, against the float64 reference', async () => {
  const lin = new nn.Linear(5, 3);
  const w = randomNd([3, 5], 11);
  const bias = randomNd([3], 12);
  lin.weight.assign(Float32Array.from(w.data));
  lin.bias!.assign(Float32Array.from(bias.data));
  const x = randomNd([4, 5], 13);
  const xt = toTensor(x, true);
  const y = lin.call(xt);
  const ref = R.zip([R.matmul(x, R.permute(w, [1, 0])), bias], (a, b) => a + b);
  assert.equal(y.shape, [4, 3]);
  assertClose(await y.data(), ref.data, { atol: 1e-5 }, 'forward');
  const g = randomNd([4, 3], 14);
  y.backward(toTensor(g));
  // dW = g^T x, db = sum_rows g, dx = g W
  assertClose(await lin.weight.grad!.data(), R.matmul(R.permute(g, [1, 0]), x).data, { atol: 1e-5 }, 'dW');
  assertClose(await lin.bias!.grad!.data(), R.reduce(g, [0], false, 'sum').data, { atol: 1e-5 }, 'db');
  assertClose(await xt.grad!.data(), R.matmul(g, w).data, { atol: 1e-5 }, 'dx');
  // Batched input [2, 4, 5] works as in torch.
  const x3 = T.randn([2, 4, 5], { seed: 1 });
  assert.equal(lin.call(x3).shape, [2, 4, 3]);
  assert.throws(() => lin.call(T.zeros([2, 4])), /5/);
  lin.dispose();
});

test('Linear default init is uniform on +-1/sqrt(in), seeded', async () => {
  const a = new nn.Linear(64, 300, true, { seed: 9 });
  const b = new nn.Linear(64, 300, true, { seed: 9 });
  const w = await a.weight.data();
  assert.equal(Array.from(w), Array.from(await b.weight.data()));
  const bound = 1 / 8;
  assert.ok(w.every((v) => Math.abs(v) <= bound));
  // Uniform on [-c, c] has std c / sqrt(3).
  assert.ok(Math.abs(stdOf(w) - bound / Math.sqrt(3)) < 0.02 * bound, `std ${stdOf(w)}`);
  a.dispose();
  b.dispose();
});

test('activations and Sequential compose as the plain ops', async () => {
  const x = toTensor(randomNd([3, 4], 21, -2, 2));
  const xs = await x.data();
  const cases: [T.nn.Module, (v: number) => number][] = [
    [new nn.ReLU(), (v) => Math.max(v, 0)],
    [new nn.LeakyReLU(0.2), (v) => (v > 0 ? v : 0.2 * v)],
    [new nn.LeakyReLU(), (v) => (v > 0 ? v : 0.01 * v)],
    [new nn.Tanh(), Math.tanh],
    [new nn.Sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
    [new nn.Identity(), (v) => v],
  ];
  for (const [m, f] of cases) {
    assertClose(await m.call(x).data(), Array.from(xs, f), { atol: 1e-6 }, m.constructor.name);
  }
  const seq = new nn.Sequential(new nn.Linear(4, 6, true, { seed: 1 }), new nn.LeakyReLU(0.2));
  seq.append(new nn.Linear(6, 2, true, { seed: 2 }));
  assert.is(seq.length, 3);
  const manual = (seq.at(2) as T.nn.Linear).call(seq.at(1).call(seq.at(0).call(x)));
  assertClose(await seq.call(x).data(), await manual.data(), { atol: 0 }, 'Sequential');
  assert.throws(() => seq.at(3), /out of range/);
  seq.dispose();
});

test('Sequential: a LeakyReLU before a nested Sequential that starts with a conv runs in its reads', async () => {
  const conv = new nn.Conv2d(2, 3, 3, { padding: 1, seed: 3 });
  const seq = new nn.Sequential(
    new nn.LeakyReLU(0.2),
    new nn.Sequential(conv, new nn.AvgPool2d({ kernel: 2 })),
  );
  const x = toTensor(randomNd([1, 2, 6, 6], 22, -2, 2), true);
  const d0 = T.deviceStats().dispatches;
  const y = seq.call(x);
  assert.is(T.deviceStats().dispatches - d0, 2, 'conv (with the activation) and pool');
  y.sum().backward();
  const [gx, gw] = [await x.grad!.data(), await conv.weight.grad!.data()];
  x.zeroGrad();
  conv.zeroGrad();
  const plain = T.avgPool2d(conv.call(x.leakyRelu(0.2)), { kernel: 2 });
  assertClose(await y.data(), await plain.data(), { atol: 1e-6 }, 'forward');
  plain.sum().backward();
  assertClose(gx, await x.grad!.data(), { atol: 1e-6 }, 'input gradient');
  assertClose(gw, await conv.weight.grad!.data(), { atol: 1e-5 }, 'weight gradient');
  assert.throws(
    () => new nn.Sequential(new nn.ReLU()).forwardWithInputSlope(x, 0),
    /does not start with a conv/,
  );
  seq.dispose();
});

test('fans as torch for Linear [out, in] and conv [out, in, kh, kw] weights', () => {
  assert.equal(init.fans([7, 3]), { fanIn: 3, fanOut: 7 });
  assert.equal(init.fans([64, 3, 4, 4]), { fanIn: 48, fanOut: 1024 });
  // ConvTranspose2d weights are [in, out, kh, kw]; torch still reads dim 1 as fan_in.
  assert.equal(init.fans([512, 256, 4, 4]), { fanIn: 4096, fanOut: 8192 });
  assert.throws(() => init.fans([5]), /at least 2 dimensions/);
  assert.is(init.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
  assert.is(init.calculateGain('relu'), Math.SQRT2);
  assert.is(init.calculateGain('tanh'), 5 / 3);
});

test('normal, xavierNormal, kaimingNormal: std as the formula, seeded', async () => {
  const shape = [128, 64, 3, 3]; // fan_in 576, fan_out 1152; 73,728 values
  const t = T.zeros(shape);
  const cases: [string, () => void, number][] = [
    ['normal(0.02)', () => init.normal(t, 0.02, { seed: 1 }), 0.02],
    ['xavierNormal(0.02)', () => init.xavierNormal(t, 0.02, { seed: 2 }), 0.02 * Math.sqrt(2 / (576 + 1152))],
    ['xavierNormal(1)', () => init.xavierNormal(t, 1, { seed: 3 }), Math.sqrt(2 / (576 + 1152))],
    ['kaimingNormal', () => init.kaimingNormal(t, { seed: 4 }), Math.sqrt(2 / 576)],
    ['kaimingNormal fan_out', () => init.kaimingNormal(t, { mode: 'fan_out', seed: 4 }), Math.sqrt(2 / 1152)],
  ];
  for (const [name, run, std] of cases) {
    run();
    const v = await t.data();
    // Sample std of 73,728 normals is within about 0.5% (1 sigma = 0.26%).
    assert.ok(Math.abs(stdOf(v) / std - 1) < 0.01, `${name}: std ${stdOf(v)}, expected ${std}`);
    assert.ok(Math.abs(meanOf(v)) < 0.02 * std, `${name}: mean ${meanOf(v)}`);
  }
  init.normal(t, 0.5, { mean: 1, seed: 8 });
  const v = await t.data();
  assert.ok(Math.abs(meanOf(v) - 1) < 0.01 && Math.abs(stdOf(v, 1) - 0.5) < 0.005, 'normal with mean');
  const a = Array.from(await init.xavierNormal(t, 1, { seed: 42 }).data());
  const b = Array.from(await init.xavierNormal(t, 1, { seed: 42 }).data());
  assert.equal(a, b, 'the same seed gives the same weights');
  init.zeros(t);
  assert.ok((await t.data()).every((x) => x === 0));
  t.dispose();
});

async function gram(t: T.Tensor, rowsDim: boolean): Promise<Float64Array> {
  const v = await t.data();
  const rows = t.shape[0];
  const cols = t.size / rows;
  const n = rowsDim ? rows : cols;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < (rowsDim ? cols : rows); k++) {
        s += rowsDim ? v[i * cols + k] * v[j * cols + k] : v[k * cols + i] * v[k * cols + j];
      }
      out[i * n + j] = s;
    }
  return out;
}

test('orthogonal: Q^T Q = gain^2 I for tall and wide (conv-shaped) weights', async () => {
  const tall = T.zeros([12, 5]);
  await init.orthogonal(tall, 2, { seed: 3 });
  const eye5 = Array.from({ length: 25 }, (_, i) => (i % 6 === 0 ? 4 : 0));
  assertClose(await gram(tall, false), eye5, { atol: 1e-5 }, 'columns orthonormal (x gain^2)');
  const wide = T.zeros([4, 3, 2, 2]); // viewed as [4, 12]: orthonormal rows
  await init.orthogonal(wide, 1, { seed: 4 });
  const eye4 = Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0));
  assertClose(await gram(wide, true), eye4, { atol: 1e-5 }, 'rows orthonormal');
  // The factorisation itself: Q R = A with R upper triangular, positive diagonal.
  const r = rng(1);
  const A = Array.from({ length: 6 * 3 }, () => r() - 0.5);
  const Q = init.orthonormalize(A, 6, 3);
  for (let j = 0; j < 3; j++) {
    // R[j][j] = q_j . a_j > 0 and q_i . a_j = 0 for i > j.
    for (let i = j; i < 3; i++) {
      let s = 0;
      for (let k = 0; k < 6; k++) s += Q[k * 3 + i] * A[k * 3 + j];
      if (i === j) assert.ok(s > 0, 'positive diagonal');
      else assert.ok(Math.abs(s) < 1e-6, `R[${i}][${j}] = ${s}`);
    }
  }
  tall.dispose();
  wide.dispose();
});

test("initWeights as BicycleGAN's init_weights: by layer kind, biases 0, batchnorm N(1, gain)", async () => {
  const net = new nn.Sequential(
    new FakeLayer('conv', [64, 32, 4, 4]),
    new FakeLayer('batchnorm', [4096]),
    new nn.LeakyReLU(0.2),
    new nn.Linear(256, 128),
  );
  await nn.initWeights(net, 'xavier', 0.02, 7);
  const p = Object.fromEntries(net.namedParameters());
  const conv = await p['0.weight'].data();
  const xs = 0.02 * Math.sqrt(2 / (32 * 16 + 64 * 16));
  assert.ok(Math.abs(stdOf(conv) / xs - 1) < 0.02, `conv std ${stdOf(conv)} vs ${xs}`);
  const lin = await p['3.weight'].data();
  const ls = 0.02 * Math.sqrt(2 / (256 + 128));
  assert.ok(Math.abs(stdOf(lin) / ls - 1) < 0.02, `linear std ${stdOf(lin)} vs ${ls}`);
  const bn = await p['1.weight'].data();
  assert.ok(
    Math.abs(meanOf(bn) - 1) < 0.002 && Math.abs(stdOf(bn, 1) / 0.02 - 1) < 0.05,
    'batchnorm N(1, 0.02)',
  );
  for (const k of ['0.bias', '1.bias', '3.bias'])
    assert.ok(
      (await p[k].data()).every((v) => v === 0),
      `${k} = 0`,
    );
  // Every weight gets its own stream, and the seed reproduces them.
  const again = new nn.Sequential(new FakeLayer('conv', [64, 32, 4, 4]));
  await nn.initWeights(again, 'xavier', 0.02, 7);
  assert.equal(Array.from(await again.parameters()[0].data()), Array.from(conv));
  await nn.initWeights(net, 'normal', 0.02, 1);
  assert.ok(Math.abs(stdOf(await p['3.weight'].data()) / 0.02 - 1) < 0.02, 'normal');
  await nn.initWeights(net, 'kaiming', 0.02, 1);
  const ks = Math.sqrt(2 / 512);
  assert.ok(Math.abs(stdOf(await p['0.weight'].data()) / ks - 1) < 0.02, 'kaiming fan_in');
  await nn.initWeights(net, 'orthogonal', 0.5, 1);
  const g = await gram(p['3.weight'], true); // [128, 256]: orthonormal rows x 0.25
  assert.ok(Math.abs(g[0] - 0.25) < 1e-4 && Math.abs(g[1]) < 1e-4, 'orthogonal with gain');
  let err = '';
  await nn.initWeights(net, 'uniform' as 'normal').catch((e: Error) => (err = e.message));
  assert.match(err, /'uniform' is not implemented/);
  net.dispose();
  again.dispose();
});

test('a small MLP learns XOR-quadrant classification with Adam and BCE-with-logits', async () => {
  // 256 points in [-1, 1]^2; class 1 where x * y > 0. Not linearly separable: needs the hidden layer.
  const r = rng(123);
  const n = 256;
  const xs = new Float32Array(n * 2);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = r() * 2 - 1;
    const b = r() * 2 - 1;
    xs[2 * i] = a;
    xs[2 * i + 1] = b;
    ys[i] = a * b > 0 ? 1 : 0;
  }
  const x = T.tensor(xs, [n, 2]);
  const y = T.tensor(ys, [n, 1]);
  const net = new nn.Sequential(
    new nn.Linear(2, 32, true, { seed: 1 }),
    new nn.Tanh(),
    new nn.Linear(32, 1, true, { seed: 2 }),
  );
  const opt = new T.Adam(net.parameters(), { lr: 0.05 });
  const live = T.deviceStats().liveBuffers;
  const t0 = Date.now();
  let first = 0;
  let last = 0;
  for (let step = 0; step < 300; step++) {
    const loss = T.tidy(() => {
      opt.zeroGrad();
      const l = nn.bceWithLogitsLoss(net.call(x), y);
      l.backward();
      opt.step();
      return l;
    });
    if (step === 0) first = await loss.item();
    if (step === 299) last = await loss.item();
    loss.dispose();
  }
  const out = T.tidy(() => T.noGrad(() => net.call(x)));
  const logits = await out.data();
  out.dispose();
  let correct = 0;
  for (let i = 0; i < n; i++) if (logits[i] > 0 === ys[i] > 0.5) correct++;
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(first > 0.6, `initial loss ${first}`);
  assert.ok(last < 0.15, `loss went from ${first} to ${last}`);
  assert.ok(correct / n >= 0.97, `accuracy ${correct / n}`);
  assert.ok(seconds < 20, `took ${seconds} s`);
  // No new long-lived buffers: Adam's moments live in the arenas made with the optimizer.
  net.zeroGrad();
  assert.is(T.deviceStats().liveBuffers, live);
  opt.dispose();
  net.dispose();
});

test.run();
