import fs, { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { loadModule, loadOptimizer, saveModule, saveOptimizer, writeFileAtomic } from '../src/io/files.ts';
import { checkStateDict, throwLoadProblems } from '../src/nn/state-dict.ts';
import { setup } from './helpers.ts';

const { nn, io } = T;

const dir = mkdtempSync(join(tmpdir(), 'bicycle-ckpt-'));
test.before(setup);
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A small generator-like tree: nested Sequential, an optional bias, a persistent buffer. */
class Net extends nn.Module {
  readonly body: T.nn.Sequential;
  constructor(seed: number, hidden = 4) {
    super();
    this.body = this.registerModule(
      'body',
      new nn.Sequential(
        new nn.Linear(3, hidden, true, { seed }),
        new nn.LeakyReLU(0.2),
        new nn.Linear(hidden, 2, false, { seed: seed + 1 }),
      ),
    );
    this.registerBuffer('running_mean', T.randn([2], { seed: seed + 2 }));
  }
  forward(x: T.Tensor): T.Tensor {
    return this.body.call(x).add(this.getBuffer('running_mean')!);
  }
}

/** Every state-dict tensor's bits, by name. */
async function bits(m: T.nn.Module): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(m.stateDict()))
    out[k] = Array.from(new Uint32Array((await t.data()).buffer));
  return out;
}

/** The error message of fn, or fails. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  assert.unreachable('expected an error');
  return '';
}

/** A file from a header written by hand and raw data bytes. */
function build(header: string, data: Uint8Array | number = 0): Uint8Array {
  const h = new TextEncoder().encode(header);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

// Written by Python: safetensors.numpy.save({"w": [[1.5, -2, 3.25]], "b": [0.5, 1e-8]}, metadata={"epoch": "3"}).
const PYTHON_FILE =
  'kAAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJlcG9jaCI6IjMifSwiYiI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzAsOF19LCJ3Ijp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsxLDNdLCJkYXRhX29mZnNldHMiOls4LDIwXX19ICAgICAAAAA/d8wrMgAAwD8AAADAAABQQA==';

test('serialize writes the very bytes Python safetensors writes, and parse reads them back', () => {
  const python = new Uint8Array(Buffer.from(PYTHON_FILE, 'base64'));
  const ours = io.serialize(
    {
      w: { shape: [1, 3], data: new Float32Array([1.5, -2, 3.25]) },
      b: { shape: [2], data: new Float32Array([0.5, 1e-8]) },
    },
    { epoch: '3' },
  );
  assert.equal(Array.from(ours), Array.from(python));
  // The layout, spelled out: u64 LE header length, 8-byte aligned data start, space padding.
  const n = Number(new DataView(ours.buffer).getBigUint64(0, true));
  assert.is(n, 144);
  assert.is((8 + n) % 8, 0);
  assert.is(ours[8 + n - 1], 0x20);
  const parsed = io.parse(python, 'python.safetensors');
  assert.equal(parsed.metadata, { epoch: '3' });
  assert.equal(parsed.tensors.w.shape, [1, 3]);
  assert.equal(Array.from(parsed.tensors.w.data), [1.5, -2, 3.25]);
  assert.equal(Array.from(parsed.tensors.b.data), [0.5, Math.fround(1e-8)]);
  // Empty tensors and an empty file are valid too.
  const empty = io.parse(io.serialize({ e: { shape: [0, 3], data: new Float32Array(0) } }));
  assert.equal(empty.tensors.e.shape, [0, 3]);
  assert.equal(io.parse(io.serialize({})).tensors, {});
});

test('parse rejects malformed files with errors naming the file and the problem', () => {
  const good = io.serialize({ a: { shape: [2], data: new Float32Array([1, 2]) } });
  const huge = good.slice();
  new DataView(huge.buffer).setBigUint64(0, 10n ** 12n, true);
  const long = good.slice();
  new DataView(long.buffer).setBigUint64(0, 4000n, true);
  const t = (h: string) => `{"a":${h}}`;
  const cases: [string, Uint8Array, RegExp][] = [
    [
      'shorter than 8 bytes',
      good.subarray(0, 5),
      /truncated: 5 bytes, shorter than the 8-byte header length/,
    ],
    ['huge header length', huge, /bad header length 1000000000000/],
    [
      'header length past the end',
      long,
      /truncated or bad header length: the header is said to be 4000 bytes/,
    ],
    ['not JSON', build('{"a": {"dtype": "F32",,}}  '), /not valid JSON/],
    ['not an object', build('{}', 0).fill(0x5b, 8, 9), /does not start with '\{'/],
    [
      'wrong dtype',
      build(t('{"dtype":"F16","shape":[2],"data_offsets":[0,4]}'), 4),
      /'a' has dtype "F16"; only F32/,
    ],
    ['bad shape', build(t('{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}'), 4), /invalid shape \[-1\]/],
    [
      'bad offsets',
      build(t('{"dtype":"F32","shape":[1],"data_offsets":[4,0]}'), 4),
      /invalid data_offsets \[4,0\]/,
    ],
    [
      'shape vs size',
      build(t('{"dtype":"F32","shape":[3],"data_offsets":[0,8]}'), 8),
      /shape \[3\] needs 12 bytes but its data_offsets \[0, 8\] span 8/,
    ],
    [
      'offsets past the data',
      build(t('{"dtype":"F32","shape":[100],"data_offsets":[0,400]}'), 16),
      /truncated: tensor 'a' needs data bytes \[0, 400\) but the file has only 16/,
    ],
    [
      'overlap',
      build(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
        12,
      ),
      /'b' data_offsets \[4, 12\] overlap those of 'a'/,
    ],
    [
      'hole',
      build(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}',
        20,
      ),
      /data bytes \[8, 12\) belong to no tensor/,
    ],
    [
      'trailing bytes',
      build(t('{"dtype":"F32","shape":[1],"data_offsets":[0,4]}'), 12),
      /8 bytes after the last tensor/,
    ],
    [
      'metadata not strings',
      build('{"__metadata__":{"epoch":3}}'),
      /__metadata__ value 'epoch' is not a string/,
    ],
  ];
  for (const [name, bytes, re] of cases) {
    const msg = errorOf(() => io.parse(bytes, 'bad.safetensors'));
    assert.match(msg, /^safetensors file bad\.safetensors: /, name);
    assert.match(msg, re, `${name}: ${msg}`);
  }
  assert.throws(
    () => io.serialize({ a: { shape: [3], data: new Float32Array(2) } }),
    /needs 3 float32 values/,
  );
});

test('saveModule / loadModule: a bit-exact round trip with metadata, written atomically', async () => {
  const a = new Net(1);
  // Values that a lossy path would change: -0, a subnormal, the largest float.
  a.body
    .at(0)
    .getParameter('bias')!
    .assign(new Float32Array([-0, 1e-40, 3.4028234663852886e38, -1 / 3]));
  const path = join(dir, 'net.safetensors');
  const arch = { hidden: 4, activation: 'leaky_relu' };
  await saveModule(a, path, { architecture: arch, epoch: 3, step: 120, note: 'hello' });
  assert.equal(readdirSync(dir), ['net.safetensors'], 'no temporary file left');
  const b = new Net(50);
  const before = await bits(b);
  const info = loadModule(b, path);
  const want = await bits(a);
  assert.equal(await bits(b), want);
  assert.not.equal(before, want);
  assert.equal(Object.keys(want), ['running_mean', 'body.0.weight', 'body.0.bias', 'body.2.weight']);
  assert.is(info.metadata.format_version, io.FORMAT_VERSION);
  assert.is(info.metadata.epoch, '3');
  assert.is(info.metadata.step, '120');
  assert.is(info.metadata.note, 'hello');
  assert.equal(JSON.parse(info.metadata.architecture), arch);
  assert.equal(info.missingKeys, []);
  // The file is plain safetensors with PyTorch's names.
  const parsed = io.parse(new Uint8Array(readFileSync(path)));
  assert.equal(Object.keys(parsed.tensors).sort(), Object.keys(want).sort());
  assert.equal(parsed.tensors['body.0.weight'].shape, [4, 3]);
  // Saving again replaces the file atomically.
  await saveModule(b, path, { epoch: 4 });
  assert.is(loadModule(a, path).metadata.epoch, '4');
  assert.equal(readdirSync(dir), ['net.safetensors']);
  let reserved = '';
  await saveModule(a, path, { format: 'x' }).catch((e: Error) => (reserved = e.message));
  assert.match(reserved, /metadata key 'format' is reserved/);
  a.dispose();
  b.dispose();
});

test('truncated and corrupt files are rejected naming the file, and leave the weights unchanged', async () => {
  const a = new Net(2);
  const path = join(dir, 'good.safetensors');
  await saveModule(a, path, { epoch: 1 });
  const bytes = new Uint8Array(readFileSync(path));
  const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const b = new Net(3);
  const before = await bits(b);
  const bad = join(dir, 'bad.safetensors');
  for (const cut of [
    0,
    5,
    8,
    40,
    headerEnd - 1,
    headerEnd,
    headerEnd + 7,
    bytes.length - 4,
    bytes.length - 1,
  ]) {
    writeFileSync(bad, bytes.subarray(0, cut));
    const msg = errorOf(() => loadModule(b, bad));
    assert.ok(msg.includes(bad), `names the file: ${msg}`);
    assert.match(msg, /truncated/, `cut at ${cut}: ${msg}`);
  }
  const corrupt = bytes.slice();
  corrupt[corrupt.indexOf(0x3a)] = 0x23; // the header's first ':' becomes '#'
  writeFileSync(bad, corrupt);
  const jsonMsg = errorOf(() => loadModule(b, bad));
  assert.match(jsonMsg, /bad\.safetensors: the header is not valid JSON/, jsonMsg);
  assert.match(
    errorOf(() => loadModule(b, join(dir, 'missing.safetensors'))),
    /cannot read checkpoint .*missing\.safetensors/,
  );
  assert.equal(await bits(b), before, 'weights unchanged after every failed load');
  a.dispose();
  b.dispose();
});

test('another architecture: every missing, unexpected and mis-shaped key in one error; nothing changes', async () => {
  const small = new Net(4, 4);
  const path = join(dir, 'small.safetensors');
  await saveModule(small, path);
  // Wider hidden layer, and an extra layer the file does not have.
  const wide = new Net(5, 6);
  wide.body.append(new nn.Linear(2, 2));
  const before = await bits(wide);
  const msg = errorOf(() => loadModule(wide, path));
  for (const part of [
    path,
    'nothing was changed',
    'missing keys: body.3.weight, body.3.bias',
    'body.0.weight: expected [6, 3], got [4, 3]',
    'body.0.bias: expected [6], got [4]',
    'body.2.weight: expected [2, 6], got [2, 4]',
  ]) {
    assert.ok(msg.includes(part), `error lacks '${part}': ${msg}`);
  }
  assert.equal(await bits(wide), before);
  // strict: false tolerates missing and unexpected names, never wrong shapes.
  const same = new Net(6, 4);
  same.body.append(new nn.Linear(2, 2));
  const r = loadModule(same, path, { strict: false });
  assert.equal(r.missingKeys, ['body.3.weight', 'body.3.bias']);
  assert.equal((await bits(same))['body.0.weight'], (await bits(small))['body.0.weight']);
  assert.match(
    errorOf(() => loadModule(wide, path, { strict: false })),
    /shape mismatches: body\.0\.weight/,
  );
  // loadStateDict directly, from GPU tensors and host values, lists unexpected keys as well.
  const m2 = errorOf(() =>
    small.loadStateDict({
      'body.0.weight': T.zeros([4, 3]),
      'body.0.bias': { shape: [4], data: new Float32Array(3) },
      extra: T.zeros([1]),
    }),
  );
  for (const part of [
    'missing keys: running_mean, body.2.weight',
    'unexpected keys: extra',
    'body.0.bias: 3 values',
  ]) {
    assert.ok(m2.includes(part), `error lacks '${part}': ${m2}`);
  }
  // From live GPU tensors: another module's (copied) or its own (a no-op).
  const own = await bits(small);
  small.loadStateDict(small.stateDict());
  assert.equal(await bits(small), own);
  const other = new Net(11, 4);
  other.loadStateDict(small.stateDict());
  assert.equal(await bits(other), own);
  for (const m of [small, wide, same, other]) m.dispose();
});

test('one state-dict check: every missing, unexpected and mis-shaped entry at once; nothing changes', async () => {
  const net = new Net(12);
  const before = await bits(net);
  const gone = T.zeros([2]);
  gone.dispose();
  const msg = errorOf(() =>
    net.loadStateDict(
      {
        'body.0.weight': T.zeros([3, 4]),
        'body.0.bias': { shape: [4], data: new Float32Array(3) },
        'body.2.weight': { shape: [2, 4], data: [0, 0, 0, 0, 0, 0, 0, 0] } as unknown as T.nn.HostTensor,
        running_mean: gone,
        extra: T.zeros([1]),
      },
      { source: 'hand-made' },
    ),
  );
  for (const part of [
    'Net.loadStateDict: cannot load from hand-made (nothing was changed): ',
    'unexpected keys: extra',
    'shape mismatches: running_mean: the given tensor was disposed; body.0.weight: expected [4, 3], got [3, 4]',
    'body.0.bias: 3 values for shape [4]',
    'body.2.weight: not a tensor or {shape, data}',
  ]) {
    assert.ok(msg.includes(part), `error lacks '${part}': ${msg}`);
  }
  assert.not.ok(msg.includes('missing keys'), msg);
  assert.equal(await bits(net), before, 'nothing changed');
  // The check itself: names and shapes in, every problem out (missing and unexpected only when strict).
  const given = {
    a: { shape: [2], data: new Float32Array(2) },
    b: { shape: [2, 1], data: new Float32Array(2) },
    d: { shape: [1], data: new Float32Array(1) },
  };
  const expected = { a: [2], b: [1, 2], c: [3], any: null };
  const strict = checkStateDict(expected, given);
  assert.equal(strict.missingKeys, ['c', 'any']);
  assert.equal(strict.unexpectedKeys, ['d']);
  assert.equal(strict.mismatches, [
    { key: 'b', expected: [1, 2], got: [2, 1], problem: 'expected [1, 2], got [2, 1]' },
  ]);
  assert.equal(strict.problems, [
    'missing keys: c, any',
    'unexpected keys: d',
    'shape mismatches: b: expected [1, 2], got [2, 1]',
  ]);
  const loose = checkStateDict(
    expected,
    { ...given, any: { shape: [5], data: new Float32Array(4) } },
    {
      strict: false,
    },
  );
  assert.equal(loose.problems, [
    'shape mismatches: b: expected [1, 2], got [2, 1]; any: 4 values for shape [5]',
  ]);
  assert.throws(
    () => throwLoadProblems('X.loadStateDict', loose.problems, 'f'),
    /^X\.loadStateDict: cannot load from f \(nothing was changed\): shape mismatches: b/,
  );
  throwLoadProblems('X.loadStateDict', []);
  net.dispose();
});

test('optimizer state in its own file: a restored Adam continues bit-exactly; bad files change nothing', async () => {
  const grad = (net: Net, k: number) =>
    T.tidy(() => {
      net.zeroGrad();
      const x = T.randn([5, 3], { seed: k });
      nn.mseLoss(net.call(x), 0.5).backward();
    });
  const a = new Net(7);
  const oa = new T.Adam(a.namedParameters(), { lr: 0.01, betas: [0.5, 0.999] });
  for (let k = 0; k < 3; k++) {
    grad(a, k);
    oa.step();
  }
  const netPath = join(dir, 'a.safetensors');
  const optPath = join(dir, 'a.adam.safetensors');
  await saveModule(a, netPath, { epoch: 1 });
  await saveOptimizer(oa, optPath, { scheduler: { lastEpoch: 1, baseLrs: [0.01] } });
  const b = new Net(8);
  const ob = new T.Adam(b.namedParameters(), { lr: 1 });
  loadModule(b, netPath);
  const { metadata } = loadOptimizer(ob, optPath);
  assert.equal(JSON.parse(metadata.scheduler), { lastEpoch: 1, baseLrs: [0.01] });
  assert.is(ob.lr, 0.01);
  assert.is(ob.stepOf(b.body.at(0).getParameter('weight')!), 3);
  for (const [net, opt] of [
    [a, oa],
    [b, ob],
  ] as const) {
    grad(net, 9);
    opt.step();
  }
  assert.equal(await bits(b), await bits(a));
  // The optimizer file's tensors are named by parameter.
  const names = Object.keys(io.parse(new Uint8Array(readFileSync(optPath))).tensors).sort();
  assert.equal(names, [
    'body.0.bias.exp_avg',
    'body.0.bias.exp_avg_sq',
    'body.0.weight.exp_avg',
    'body.0.weight.exp_avg_sq',
    'body.2.weight.exp_avg',
    'body.2.weight.exp_avg_sq',
  ]);
  // Wrong files: a module file, a truncated file, another architecture's optimizer.
  const state = await bits(b);
  const w0 = b.body.at(0).getParameter('weight')!;
  const m0 = Array.from(await ob.stateDict().state['body.0.weight'].expAvg.data());
  assert.match(
    errorOf(() => loadOptimizer(ob, netPath)),
    /a\.safetensors: holds 'bicycle-webgpu\/module'/,
  );
  const bad = join(dir, 'bad.adam.safetensors');
  writeFileSync(bad, readFileSync(optPath).subarray(0, 300));
  assert.match(
    errorOf(() => loadOptimizer(ob, bad)),
    /bad\.adam\.safetensors: truncated/,
  );
  const wide = new Net(9, 6);
  const ow = new T.Adam(wide.namedParameters());
  assert.match(
    errorOf(() => loadOptimizer(ow, optPath)),
    /body\.0\.weight\.exp_avg: expected \[6, 3\], got \[4, 3\]/,
  );
  assert.is(ob.stepOf(w0), 4);
  assert.equal(Array.from(await ob.stateDict().state['body.0.weight'].expAvg.data()), m0);
  assert.equal(await bits(b), state);
  for (const o of [oa, ob, ow]) o.dispose();
  for (const m of [a, b, wide]) m.dispose();
});

test('writeFileAtomic replaces whole files and leaves the old one when the write fails', () => {
  const path = join(dir, 'atomic.bin');
  writeFileAtomic(path, new Uint8Array([1, 2, 3]));
  writeFileAtomic(path, new Uint8Array([4, 5]));
  assert.equal(Array.from(readFileSync(path)), [4, 5]);
  writeFileAtomic(join(dir, 'atomic.txt'), 'text\n');
  assert.is(readFileSync(join(dir, 'atomic.txt'), 'utf8'), 'text\n');
  const noTemp = () =>
    assert.not.ok(
      readdirSync(dir).some((f) => f.endsWith('.tmp')),
      'no temporary files left',
    );
  // The temporary file cannot be created.
  assert.match(
    errorOf(() => writeFileAtomic(join(dir, 'no-such-dir', 'x.bin'), new Uint8Array(1))),
    /cannot write .*x\.bin/,
  );
  noTemp();
  // The disk fills up midway through the data: the old file stays whole.
  const realWrite = fs.writeSync;
  let calls = 0;
  const failing = ((fd: number, buf: Uint8Array, off?: number, len?: number) => {
    if (calls++ > 0) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    return realWrite(fd, buf, off, Math.min(len ?? buf.length, 2));
  }) as typeof fs.writeSync;
  fs.writeSync = failing;
  syncBuiltinESMExports();
  try {
    assert.match(
      errorOf(() => writeFileAtomic(path, new Uint8Array([7, 7, 7, 7, 7, 7]))),
      /cannot write .*atomic\.bin: ENOSPC/,
    );
  } finally {
    fs.writeSync = realWrite;
    syncBuiltinESMExports();
  }
  assert.ok(calls >= 2, 'the write failed after the first chunk');
  assert.equal(Array.from(readFileSync(path)), [4, 5]);
  noTemp();
  // The rename fails (the target is a folder): the temp file, written in full, is removed.
  const folder = join(dir, 'a-folder');
  mkdirSync(folder);
  writeFileSync(join(folder, 'keep.txt'), 'keep');
  assert.match(
    errorOf(() => writeFileAtomic(folder, new Uint8Array(3))),
    /cannot write .*a-folder/,
  );
  assert.is(readFileSync(join(folder, 'keep.txt'), 'utf8'), 'keep');
  noTemp();
});

test.run();
