// The kernel-declaration layer: generated metadata is current, declarations are checked against their
// WGSL, params pack at the WGSL's offsets, op tables match the generated switches, and the import
// graph of src/ has no cycle.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkImports } from '../scripts/check-imports.mjs';
import { generate, OUT } from '../scripts/embed-kernels.mjs';
import { declareKernel, wgslConst } from '../src/kernels/declare.ts';
import { BINARY, UNARY } from '../src/kernels/elementwise.ts';
import { WGSL } from '../src/kernels/wgsl.gen.ts';

test('src/kernels/wgsl.gen.ts matches kernels/*.wgsl', () => {
  const stale = readFileSync(OUT, 'utf8') !== generate();
  assert.not.ok(stale, 'src/kernels/wgsl.gen.ts is stale: run `npm run kernels`');
});

test('src/ has no import cycle, layers import downward, the core imports nothing Node-only', () => {
  assert.equal(checkImports(), []);
});

const decl = {
  name: 'probe',
  files: ['reduce'] as const,
  params: {
    outer: 'u32',
    red: 'u32',
    inner: 'u32',
    op: 'u32',
    scale: 'f32',
    accumulate: 'u32',
    split: 'u32',
  } as const,
  entries: { reduce_wide: ['x', 'out'] } as const,
};

test('a declaration that drifts from its WGSL fails at load, naming what differs', () => {
  assert.throws(
    () => declareKernel({ ...decl, params: { ...decl.params, scale: 'u32' } }),
    /Params\.scale is f32 in WGSL but declared u32/,
  );
  assert.throws(
    () => declareKernel({ ...decl, params: { ...decl.params, alpha: 'f32' } }),
    /Params has no field 'alpha'/,
  );
  const { scale: _, ...missing } = decl.params;
  assert.throws(() => declareKernel({ ...decl, params: missing }), /Params\.scale is not declared/);
  assert.throws(
    () => declareKernel({ ...decl, entries: { reduce_tall: ['x'] } }),
    /no compute entry point reduce_tall/,
  );
  assert.throws(
    () => declareKernel({ ...decl, entries: { reduce_wide: ['y'] } }),
    /binds 'y', which no file/,
  );
  assert.throws(() => declareKernel({ ...decl, constants: ['WG_X'] }), /no override constant WG_X/);
});

test('params pack at the WGSL offsets: floats as bits, arrays zero-padded, integers checked', () => {
  const k = declareKernel({
    name: 'layout-probe',
    files: ['layout'],
    params: {
      n: 'u32',
      rank: 'u32',
      src_off: 'u32',
      dst_off: 'u32',
      value: 'f32',
      shape: 'u32x8',
      ss: 'u32x8',
      ds: 'u32x8',
      before: 'u32x8',
    },
    entries: { pad_gather: ['src', 'dst'] },
  });
  const w = k.pack({
    n: 7,
    rank: 2,
    src_off: 0,
    dst_off: 0,
    value: -1.5,
    shape: [3, 4],
    ss: [],
    ds: [5],
    before: [1, 2],
  });
  const f = new Float32Array(w.buffer);
  const at = WGSL.layout.params.fields;
  assert.is(w.length, WGSL.layout.params.words);
  assert.is(w[at.n.offset], 7);
  assert.is(f[at.value.offset], -1.5);
  assert.equal([...w.slice(at.shape.offset, at.shape.offset + 8)], [3, 4, 0, 0, 0, 0, 0, 0]);
  assert.is(w[at.ds.offset], 5);
  assert.equal([...w.slice(at.before.offset, at.before.offset + 3)], [1, 2, 0]);
  assert.throws(
    () =>
      k.pack({ n: 2.5, rank: 0, src_off: 0, dst_off: 0, value: 0, shape: [], ss: [], ds: [], before: [] }),
    /param n must be an integer/,
  );
  assert.throws(
    () =>
      k.pack({
        n: 1,
        rank: 0,
        src_off: 0,
        dst_off: 0,
        value: 0,
        shape: new Array(9).fill(1),
        ss: [],
        ds: [],
        before: [],
      }),
    /param shape needs 8 value/,
  );
});

test('the elementwise op tables number the WGSL functions in order, and the switch calls them', () => {
  const source = WGSL.elementwise.source;
  const unaryFns = [...source.matchAll(/^fn unary_(\w+)\(/gm)].map((m) => m[1]);
  const binaryFns = [...source.matchAll(/^fn binary_(\w+)\(/gm)].map((m) => m[1]);
  assert.equal(Object.keys(UNARY), unaryFns);
  assert.equal(Object.keys(BINARY), binaryFns);
  for (const [name, op] of Object.entries(UNARY))
    assert.ok(source.includes(`case ${op}u: { return unary_${name}(x, a, b); }`), name);
  for (const [name, op] of Object.entries(BINARY))
    assert.ok(source.includes(`case ${op}u: { return binary_${name}(x, y, a); }`), name);
  assert.is(UNARY.leaky, unaryFns.indexOf('leaky'));
});

test('integer constants come from the WGSL (one source for tile sizes and opcodes)', () => {
  assert.is(wgslConst('gemm', 'TM'), Number(WGSL.gemm.source.match(/const TM: u32 = (\d+)u;/)?.[1]));
  assert.is(wgslConst('reduce', 'REDUCE_MAX'), 1);
  assert.throws(() => wgslConst('gemm', 'NOPE'), /no integer constant NOPE/);
});

test.run();
