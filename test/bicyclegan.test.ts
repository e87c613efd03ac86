import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import {
  BicycleGAN,
  type BicycleGANOptions,
  LOSS_NAMES,
  readLosses,
} from '../src/models/bicyclegan/model.ts';
import { defineD, defineE, defineG } from '../src/models/bicyclegan/networks.ts';
import { ResNet18Encoder } from '../src/models/bicyclegan/resnet18.ts';
import type { AnyModule } from '../src/nn/module.ts';
import { setup } from './helpers.ts';

test.before(setup);

const count = (m: AnyModule) => m.parameters().reduce((a, p) => a + p.size, 0);
const base = { norm: 'instance', nl: 'relu', useDropout: true, upsample: 'basic' } as const;

test('parameter counts equal the reference (unet_256 all, resnet_256, basic_256_multi)', () => {
  const G = defineG('unet_256', { ...base, inputNc: 1, outputNc: 3, nz: 8, ngf: 64, whereAdd: 'all' });
  assert.is(count(G), 54_792_579);
  G.dispose();
  const E = defineE('resnet_256', { inputNc: 3, nz: 8, nef: 64, norm: 'instance', nl: 'lrelu' });
  assert.is(count(E), 2_590_032);
  E.dispose();
  const D = defineD('basic_256_multi', { inputNc: 3, ndf: 64, norm: 'instance', numDs: 2 });
  assert.is(count(D), 3_458_978);
  D.dispose();
});

test('state-dict names follow the official code', () => {
  const all = defineG('unet_64', { ...base, inputNc: 1, outputNc: 3, nz: 8, ngf: 4, whereAdd: 'all' });
  const names = all.namedParameters().map(([n]) => n);
  assert.ok(names.includes('model.down.0.weight'), names.slice(0, 4).join());
  assert.ok(names.includes('model.submodule.down.1.weight'));
  assert.ok(names.includes('model.up.1.weight'));
  all.dispose();
  const input = defineG('unet_64', { ...base, inputNc: 1, outputNc: 3, nz: 8, ngf: 4, whereAdd: 'input' });
  const n2 = input.namedParameters().map(([n]) => n);
  assert.ok(
    n2.includes('model.model.0.weight') && n2.includes('model.model.1.model.1.weight'),
    n2.slice(0, 4).join(),
  );
  input.dispose();
  const D = defineD('basic_128_multi', { inputNc: 3, ndf: 8, norm: 'instance', numDs: 2 });
  const n3 = D.namedParameters().map(([n]) => n);
  assert.ok(n3.includes('model_0.0.weight') && n3.includes('model_1.0.weight'));
  D.dispose();
  const E = defineE('resnet_128', { inputNc: 3, nz: 8, nef: 8, norm: 'instance', nl: 'lrelu' });
  const n4 = E.namedParameters().map(([n]) => n);
  for (const k of [
    'conv.0.weight',
    'conv.1.conv.2.weight',
    'conv.1.conv.5.0.weight',
    'conv.1.shortcut.1.weight',
    'fc.0.weight',
    'fcVar.0.weight',
  ]) {
    assert.ok(n4.includes(k), `${k} missing from ${n4.join()}`);
  }
  E.dispose();
});

test('output shapes of the 128 and 256 configurations', async () => {
  for (const size of [128, 256] as const) {
    await T.tidy(() => {
      for (const whereAdd of ['all', 'input'] as const) {
        const G = defineG(`unet_${size}`, { ...base, inputNc: 1, outputNc: 3, nz: 8, ngf: 2, whereAdd });
        const y = G.call(T.randn([1, 1, size, size], { seed: 1 }), T.randn([1, 8], { seed: 2 }));
        assert.equal(y.shape, [1, 3, size, size], `G ${whereAdd} ${size}`);
        G.dispose();
      }
      for (const kind of ['resnet', 'conv'] as const) {
        const E = defineE(`${kind}_${size}`, { inputNc: 3, nz: 8, nef: 4, norm: 'instance', nl: 'lrelu' });
        const { mu, logvar } = E.call(T.randn([2, 3, size, size], { seed: 3 }));
        assert.equal(mu.shape, [2, 8], `E ${kind}_${size} mu`);
        assert.equal(logvar!.shape, [2, 8]);
        E.dispose();
      }
      const D = defineD(`basic_${size}_multi`, { inputNc: 3, ndf: 4, norm: 'instance', numDs: 2 });
      const outs = D.call(T.randn([1, 3, size, size], { seed: 4 }));
      // basic_256_multi on 256 and basic_128_multi (one stride-2 layer fewer) on 128 both give 30x30 and 14x14.
      assert.equal(
        outs.map((o) => o.shape),
        [
          [1, 1, 30, 30],
          [1, 1, 14, 14],
        ],
        `D ${size}`,
      );
      D.dispose();
      return undefined;
    });
  }
});

const tiny = {
  inputNc: 1,
  netG: 'unet_64',
  netE: 'resnet_64',
  netD: 'basic_64_multi',
  netD2: 'basic_64_multi',
  ngf: 4,
  nef: 4,
  ndf: 4,
  useDropout: true,
} as const;

async function batch(n: number, seed: number) {
  return {
    A: T.rand([n, 1, 64, 64], { seed, low: -1, high: 1 }),
    B: T.rand([n, 3, 64, 64], { seed: seed + 1, low: -1, high: 1 }),
  };
}

async function gradNorms(m: AnyModule): Promise<[string, number | null][]> {
  const out: [string, number | null][] = [];
  for (const [name, p] of m.namedParameters()) {
    if (!p.grad) out.push([name, null]);
    else out.push([name, await T.tidy(() => p.grad!.abs().sum()).item()]);
  }
  return out;
}

test('one training iteration: finite losses and a gradient on every parameter of G, E, D, D2', async () => {
  T.manualSeed(1);
  const m = await BicycleGAN.create(tiny, 1);
  const { A, B } = await batch(2, 10);
  const losses = await readLosses(T.tidy(() => m.trainStep(A, B)));
  assert.equal(Object.keys(losses), [...LOSS_NAMES]);
  for (const [name, net] of m.networks()) {
    for (const [p, g] of await gradNorms(net)) {
      assert.ok(g !== null && g > 0 && Number.isFinite(g), `${name}.${p} has gradient ${g}`);
    }
  }
  m.dispose();
});

test('norm_E / norm_D, init_type_E / init_type_D and init_gain_D: per-network choices, the shared ones by default', async () => {
  const kinds = (net: AnyModule) => new Set(net.modules().map((m) => m.kind));
  const std = async (t: T.Tensor) => {
    const v = await t.data();
    return Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
  };
  const same = await BicycleGAN.create(tiny, 1);
  for (const [name, net] of same.networks()) assert.ok(kinds(net).has('norm'), `${name} has instance norm`);
  same.dispose();
  const m = await BicycleGAN.create({ ...tiny, normE: 'none', normD: 'batch', initTypeE: 'kaiming' }, 1);
  assert.ok(kinds(m.G).has('norm'), 'G keeps --norm');
  assert.not.ok(kinds(m.E).has('norm') || kinds(m.E).has('batchnorm'), 'E has no normalisation');
  for (const d of [m.D, m.D2!])
    assert.ok(kinds(d).has('batchnorm') && !kinds(d).has('norm'), 'D uses batch norm');
  // E's first conv (4x4 over 3 channels): Kaiming std sqrt(2 / 48); G's keeps xavier with gain 0.02.
  const eStd = await std(m.E.namedParameters().find(([n]) => n === 'conv.0.weight')![1]);
  assert.ok(Math.abs(eStd - Math.sqrt(2 / 48)) < 0.03, `E's first conv std ${eStd}`);
  for (const net of [m.G, m.D]) {
    const w = net.namedParameters().find(([n]) => n.endsWith('weight'))![1];
    assert.ok((await std(w)) < 0.01, "G's and D's init is --init_type's");
  }
  const { A, B } = await batch(2, 10);
  const losses = await readLosses(T.tidy(() => m.trainStep(A, B)));
  for (const k of LOSS_NAMES) assert.ok(Number.isFinite(losses[k]), `${k} = ${losses[k]}`);
  m.dispose();
  // init_gain_D scales D's and D2's xavier init only: 50x the gain, 50x the std (same seed).
  const firstStd = async (net: AnyModule) =>
    std(net.namedParameters().find(([n]) => n.endsWith('weight'))![1]);
  const g = await BicycleGAN.create({ ...tiny, initGainD: 1 }, 1);
  const ref = await BicycleGAN.create(tiny, 1);
  for (const name of ['D', 'D2'] as const) {
    const ratio = (await firstStd(g[name]!)) / (await firstStd(ref[name]!));
    assert.ok(Math.abs(ratio - 50) < 1e-3 * 50, `${name}'s std ratio ${ratio}`);
  }
  for (const name of ['G', 'E'] as const)
    assert.is(await firstStd(g[name]), await firstStd(ref[name]), `${name} keeps --init_gain`);
  g.dispose();
  ref.dispose();
});

test('lr_D: the discriminators start at their own rate, the default shares --lr, the schedule decays both', async () => {
  const rates = (m: BicycleGAN) =>
    Object.fromEntries(m.optimizers().map(([n, o]) => [n, o.paramGroups[0]!.lr]));
  const same = await BicycleGAN.create({ ...tiny, lr: 0.001 }, 1);
  assert.equal(rates(same), { G: 0.001, E: 0.001, D: 0.001, D2: 0.001 });
  same.dispose();
  const m = await BicycleGAN.create({ ...tiny, lr: 0.001, lrD: 0.004 }, 1);
  assert.equal(rates(m), { G: 0.001, E: 0.001, D: 0.004, D2: 0.004 });
  // Half-way through the decay every rate is half its own start (the trainer's one schedule).
  const sched = T.optim.linearDecay(
    { paramGroups: m.optimizers().flatMap(([, o]) => o.paramGroups) },
    { niter: 1, niterDecay: 3 },
  );
  sched.step();
  sched.step();
  const r = rates(m);
  for (const [n, want] of Object.entries({ G: 0.0005, E: 0.0005, D: 0.002, D2: 0.002 }))
    assert.ok(Math.abs(r[n]! - want) < 1e-12, `${n}: ${r[n]} against ${want}`);
  m.setLr(0.0001);
  assert.equal(rates(m), { G: 0.0001, E: 0.0001, D: 0.0004, D2: 0.0004 });
  m.dispose();
});

test('G on two codes as one batch: the outputs and gradients of two passes (instance norm, no dropout)', async () => {
  const G = defineG('unet_64', {
    ...base,
    useDropout: false,
    inputNc: 1,
    outputNc: 3,
    nz: 8,
    ngf: 4,
    whereAdd: 'all',
  });
  await T.nn.initWeights(G, 'xavier', 0.02, 6);
  const a = T.rand([1, 1, 64, 64], { seed: 7, low: -1, high: 1 });
  const z1 = T.randn([1, 8], { seed: 8 });
  const z2 = T.randn([1, 8], { seed: 9 });
  const w = T.rand([1, 3, 64, 64], { seed: 10 });
  const run = async (oneBatch: boolean) => {
    G.zeroGrad();
    let f1: T.Tensor;
    let f2: T.Tensor;
    if (oneBatch) {
      const both = G.call(T.concat([a, a], 0), T.concat([z1, z2], 0));
      f1 = both.narrow(0, 0, 1);
      f2 = both.narrow(0, 1, 1);
    } else {
      f1 = G.call(a, z1);
      f2 = G.call(a, z2);
    }
    f1.mul(w).sum().add(f2.square().sum()).backward();
    const grads = await Promise.all(G.parameters().map((p) => p.grad!.data()));
    return { out: [await f1.data(), await f2.data()], grads };
  };
  const two = await run(false);
  const one = await run(true);
  two.out.forEach((o, k) =>
    o.forEach((v, i) => assert.ok(Math.abs(v - one.out[k][i]) < 1e-5, `fake ${k}[${i}]`)),
  );
  // Biases before an instance norm have a zero gradient up to rounding: compared at the global scale.
  const top = two.grads.reduce((m, g) => g.reduce((n, v) => Math.max(n, Math.abs(v)), m), 0);
  two.grads.forEach((g, k) => {
    const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const name = G.namedParameters()[k][0];
    g.forEach((v, i) => {
      const d = Math.abs(v - one.grads[k][i]);
      assert.ok(d <= 1e-4 * scale + 1e-5 * top, `${name}[${i}]: ${v} vs ${one.grads[k][i]}`);
    });
  });
  G.dispose();
});

test('G on two codes as one batch with dropout: each half draws its own mask, as two passes', async () => {
  const G = defineG('unet_64', { ...base, inputNc: 1, outputNc: 3, nz: 8, ngf: 4, whereAdd: 'all' });
  await T.nn.initWeights(G, 'normal', 0.5, 6);
  G.train();
  T.manualSeed(3);
  const a = T.rand([1, 1, 64, 64], { seed: 7, low: -1, high: 1 });
  const z = T.randn([1, 8], { seed: 8 });
  const both = await G.call(T.concat([a, a], 0), T.concat([z, z], 0)).data();
  const n = both.length / 2;
  let differ = 0;
  for (let i = 0; i < n; i++) if (Math.abs(both[i] - both[n + i]) > 1e-4) differ++;
  // One shared mask would make the halves equal (same A, same z); independent masks change a large part of them.
  assert.ok(differ > n / 4, `${differ} of ${n} values differ between the halves`);
  G.eval();
  const evalBoth = await G.call(T.concat([a, a], 0), T.concat([z, z], 0)).data();
  for (let i = 0; i < n; i++) assert.ok(Math.abs(evalBoth[i] - evalBoth[n + i]) < 1e-6, `eval: value ${i}`);
  G.dispose();
});

test('D on fakes and reals as one batch: the loss and gradients of two passes (instance norm)', async () => {
  const D = defineD('basic_64_multi', { inputNc: 3, ndf: 4, norm: 'instance', numDs: 2 });
  await T.nn.initWeights(D, 'xavier', 0.02, 5);
  const fake = T.rand([1, 3, 64, 64], { seed: 3, low: -1, high: 1 });
  const real = T.rand([1, 3, 64, 64], { seed: 4, low: -1, high: 1 });
  const run = async (oneBatch: boolean) => {
    D.zeroGrad();
    const loss = oneBatch
      ? T.nn.ganLossHalves(D.call(T.concat([fake, real], 0)))
      : T.nn.ganLoss(D.call(fake), false).add(T.nn.ganLoss(D.call(real), true));
    loss.backward();
    const grads = await Promise.all(D.parameters().map((p) => p.grad!.data()));
    return { loss: await loss.item(), grads };
  };
  const two = await run(false);
  const one = await run(true);
  assert.ok(Math.abs(one.loss - two.loss) < 1e-6 * Math.abs(two.loss), `${one.loss} vs ${two.loss}`);
  // Biases before an instance norm have a zero gradient up to rounding: compared at the global scale.
  const top = two.grads.reduce((m, g) => g.reduce((n, v) => Math.max(n, Math.abs(v)), m), 0);
  two.grads.forEach((g, k) => {
    const scale = g.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    assert.ok(scale > 0, `parameter ${k} has a gradient`);
    const name = D.namedParameters()[k][0];
    g.forEach((v, i) => {
      const d = Math.abs(v - one.grads[k][i]);
      assert.ok(d <= 1e-4 * scale + 1e-5 * top, `${name}[${i}]: ${v} vs ${one.grads[k][i]}`);
    });
  });
  D.dispose();
});

test('the z-loss reaches G and never E (E frozen during its backward)', async () => {
  const m = await BicycleGAN.create(
    { ...tiny, lambdaGAN: 0, lambdaGAN2: 0, lambdaL1: 0, lambdaKL: 0, lambdaZ: 1 },
    2,
  );
  const { A, B } = await batch(2, 20);
  const l = await readLosses(T.tidy(() => m.trainStep(A, B)));
  assert.ok(l.z_L1 > 0);
  for (const [p, g] of await gradNorms(m.E)) assert.is(g, null, `E.${p} got a gradient from the z-loss`);
  const gG = await gradNorms(m.G);
  assert.ok(
    gG.every(([, g]) => g !== null && g > 0),
    'every G parameter gets the z-loss gradient',
  );
  m.dispose();
});

test("one backward for G's losses and the z-loss: the reference's two backwards' gradients", async () => {
  const grads = async (opts: Partial<BicycleGANOptions>, dropout: boolean) => {
    T.manualSeed(4);
    const m = await BicycleGAN.create({ ...tiny, useDropout: dropout, ...opts }, 4);
    const { A, B } = await batch(2, 40);
    T.tidy(() => m.trainStep(A, B)).dispose();
    const read = (net: AnyModule) =>
      Promise.all(net.parameters().map(async (p) => (p.grad ? await p.grad.data() : null)));
    const out = { G: await read(m.G), E: await read(m.E) };
    m.dispose();
    return out;
  };
  const noZ = { lambdaZ: 0 };
  const zOnly = { lambdaGAN: 0, lambdaGAN2: 0, lambdaL1: 0, lambdaKL: 0 };
  // Biases before an instance norm have a zero gradient up to rounding: compared at the net's scale.
  const close = (as: (Float32Array | null)[], bs: Float32Array[], what: string) => {
    const max = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const top = Math.max(...as.map((a) => max(a!)));
    as.forEach((a, k) =>
      a!.forEach((v, i) => {
        const d = Math.abs(v - bs[k][i]);
        assert.ok(d <= 1e-4 * max(a!) + 1e-5 * top, `${what} param ${k}[${i}]: ${v} vs ${bs[k][i]}`);
      }),
    );
  };
  for (const dropout of [false, true]) {
    const all = await grads({}, dropout);
    const g = await grads(noZ, dropout);
    const z = await grads(zOnly, dropout);
    const sum = g.G.map((a, k) => a!.map((v, i) => v + z.G[k]![i]));
    close(all.G, sum, `G (dropout ${dropout})`);
    close(all.E, g.E as Float32Array[], `E (dropout ${dropout})`);
    assert.ok(
      z.E.every((e) => e === null),
      'the z-loss alone gives E no gradient',
    );
  }
});

test('no-split mode: both branches see the whole batch; odd batches are rejected when splitting', async () => {
  const m = await BicycleGAN.create(tiny, 3);
  const { A, B } = await batch(3, 30);
  assert.throws(
    () => m.trainStep(A, B),
    /batch is split into cVAE and cLR halves, so its size must be even \(got 3\)/,
  );
  const l = await readLosses(T.tidy(() => m.trainStep(A, B, { split: false })));
  assert.ok(Number.isFinite(l.G_L1));
  m.dispose();
});

test('resnet18 encoder: torchvision names, and a trunk state dict loads (classifier skipped)', async () => {
  const E = new ResNet18Encoder({ inputNc: 3, nz: 8 });
  const names = [...E.namedParameters(), ...E.namedBuffers()].map(([n]) => n);
  for (const k of [
    'conv1.weight',
    'bn1.running_mean',
    'layer1.0.bn1.running_mean',
    'layer2.0.downsample.0.weight',
    'layer4.1.conv2.weight',
  ]) {
    assert.ok(names.includes(k), `${k} missing`);
  }
  assert.is(count(E) - 2 * (512 * 8 + 8), 11_176_512); // torchvision's resnet18 without its fc
  const { mu } = E.call(T.randn([2, 3, 64, 64], { seed: 1 }));
  assert.equal(mu.shape, [2, 8]);
  // A "pretrained" dict written by the test: every trunk tensor set to a known value, plus fc.*.
  const dict: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of [...E.namedParameters(), ...E.namedBuffers()]) {
    if (!k.startsWith('fc_')) dict[k] = { shape: t.shape, data: new Float32Array(t.size).fill(0.5) };
  }
  dict['fc.weight'] = { shape: [1000, 512], data: new Float32Array(512000) };
  dict['fc.bias'] = { shape: [1000], data: new Float32Array(1000) };
  // Through a safetensors file, as --netE_weights reads it.
  const file = T.io.parse(T.io.serialize(dict, {}), 'resnet18.safetensors');
  const skipped = E.loadTrunk(file.tensors);
  assert.equal(skipped.sort(), ['fc.bias', 'fc.weight']);
  assert.is((await E.conv1.weight.data())[7], 0.5);
  delete dict['layer3.1.bn2.weight'];
  assert.throws(() => E.loadTrunk(dict), /layer3\.1\.bn2\.weight/);
  E.dispose();
});

/**
 * The official G_Unet_add_input / G_Unet_add_all written out by hand with the functional ops and G's
 * own weights (by their official names). `inplaceSkip`: each non-outermost UnetBlock concatenates
 * lrelu(x) (what PyTorch's in-place downrelu leaves in x) instead of x.
 */
function referenceUnet(
  G: AnyModule,
  A: T.Tensor,
  z: T.Tensor,
  o: { whereAdd: 'input' | 'all'; nl: 'relu' | 'lrelu'; numDowns: number; inplaceSkip: boolean },
): T.Tensor {
  const sd = G.stateDict();
  const conv = (x: T.Tensor, name: string) =>
    T.conv2d(x, sd[`${name}.weight`], sd[`${name}.bias`], { stride: 2, padding: 1 });
  const up = (x: T.Tensor, name: string) =>
    T.convTranspose2d(x, sd[`${name}.weight`], sd[`${name}.bias`], { stride: 2, padding: 1 });
  const nl = (x: T.Tensor) => (o.nl === 'relu' ? x.relu() : x.leakyRelu(0.2));
  const norm = (x: T.Tensor) => T.instanceNorm2d(x);
  const withZ = (x: T.Tensor) => {
    const [n, , h, w] = x.shape;
    return T.concat([x, z.reshape([n, z.shape[1], 1, 1]).expand([n, z.shape[1], h, w])], 1);
  };
  // UnetBlock: model = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm] (outermost:
  // [downconv, submodule, uprelu, upconv, tanh]; innermost: [downrelu, downconv, uprelu, upconv, upnorm]).
  const block = (p: string, depth: number, x: T.Tensor): T.Tensor => {
    if (depth === 0) {
      const inner = block(`${p}.model.1`, 1, conv(x, `${p}.model.0`));
      return up(nl(inner), `${p}.model.3`).tanh();
    }
    const a = x.leakyRelu(0.2);
    const skip = o.inplaceSkip ? a : x;
    if (depth === o.numDowns - 1)
      return T.concat([norm(up(nl(conv(a, `${p}.model.1`)), `${p}.model.3`)), skip], 1);
    const inner = block(`${p}.model.3`, depth + 1, norm(conv(a, `${p}.model.1`)));
    return T.concat([norm(up(nl(inner), `${p}.model.5`)), skip], 1);
  };
  // UnetBlock_with_z: down = [downrelu, downconv, norm] on cat(x, z); up = [uprelu, upconv, norm].
  const blockZ = (p: string, depth: number, x: T.Tensor): T.Tensor => {
    const xz = withZ(x);
    if (depth === 0) return up(nl(blockZ(`${p}.submodule`, 1, conv(xz, `${p}.down.0`))), `${p}.up.1`).tanh();
    const a = xz.leakyRelu(0.2); // in place on the fresh cat: x itself is untouched
    if (depth === o.numDowns - 1) return T.concat([norm(up(nl(conv(a, `${p}.down.1`)), `${p}.up.1`)), x], 1);
    const inner = blockZ(`${p}.submodule`, depth + 1, norm(conv(a, `${p}.down.1`)));
    return T.concat([norm(up(nl(inner), `${p}.up.1`)), x], 1);
  };
  return o.whereAdd === 'input' ? block('model', 0, withZ(A)) : blockZ('model', 0, A);
}

test("U-Net skips as the official code: where_add input carries lrelu(x) (in-place downrelu), 'all' carries x", async () => {
  const maxDiff = (a: T.Tensor, b: T.Tensor) => T.tidy(() => a.sub(b).abs().max()).item();
  for (const whereAdd of ['input', 'all'] as const) {
    for (const nl of ['relu', 'lrelu'] as const) {
      const numDowns = 6; // unet_64
      const G = defineG('unet_64', {
        ...base,
        useDropout: false,
        nl,
        inputNc: 1,
        outputNc: 3,
        nz: 2,
        ngf: 2,
        whereAdd,
      });
      // Weights large enough that the skips matter (the xavier gain of 0.02 makes every layer tiny).
      for (const p of G.parameters()) p.assign(T.randn(p.shape, { seed: p.size + p.shape.length, std: 0.1 }));
      const A = T.rand([2, 1, 64, 64], { seed: 3, low: -1, high: 1 });
      const z = T.randn([2, 2], { seed: 4 });
      const [ours, inplace, plain] = T.tidy(() => [
        T.keep(G.call(A, z)),
        T.keep(referenceUnet(G, A, z, { whereAdd, nl, numDowns, inplaceSkip: true })),
        T.keep(referenceUnet(G, A, z, { whereAdd, nl, numDowns, inplaceSkip: false })),
      ]);
      const what = `where_add ${whereAdd}, nl ${nl}`;
      const dPlain = await maxDiff(inplace, plain);
      // The skip feeds the parent's uprelu: with nl relu, relu(lrelu(x)) = relu(x) hides the in-place
      // effect (the same outputs and gradients); with lrelu it shows.
      if (whereAdd === 'input' && nl === 'lrelu') {
        assert.ok(dPlain > 1e-3, `${what}: the two skips must differ here (${dPlain})`);
      } else assert.ok(dPlain < 1e-6, `${what}: no visible in-place effect (${dPlain})`);
      const want = whereAdd === 'input' ? inplace : plain;
      const d = await maxDiff(ours, want);
      assert.ok(d < 1e-5, `${what}: ours vs the official structure: ${d}`);
      for (const t of [ours, inplace, plain, A, z]) t.dispose();
      G.dispose();
    }
  }
});

test.run();
