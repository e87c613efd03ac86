// Checkpoints interoperate with PyTorch's safetensors: files written by an independent writer load here,
// and our files read there with the same names, dtypes, shapes and values. The other side is Python's
// `safetensors` package when installed, else test/fixtures/safetensors_stdlib.py (the format written
// and read with json + struct from the standard library). Skipped, with the reason printed, without
// python3.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { io, nn, tensor, tidy } from '../src/index.ts';
import { assertClose, setup } from './helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(here, 'fixtures', 'safetensors_stdlib.py');
const tmp = mkdtempSync(join(tmpdir(), 'bicycle-st-interop-'));
test.before(setup);
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const probe = spawnSync('python3', ['-c', 'import json, struct'], { encoding: 'utf8' });
const noPython =
  probe.status === 0 ? '' : `python3 is not available (${probe.error?.message ?? probe.stderr})`;
const hasSafetensors =
  !noPython && spawnSync('python3', ['-c', 'import safetensors, numpy'], { encoding: 'utf8' }).status === 0;
if (!noPython)
  console.log(
    `  python side: ${hasSafetensors ? 'the safetensors package (numpy)' : 'stdlib writer/reader (safetensors not installed)'}`,
  );

function python(args: string[], input?: string): string {
  const r = spawnSync('python3', args, { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The Python side's view of a file: metadata and every tensor's dtype, shape and values. */
function pythonRead(path: string): {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
} {
  if (!hasSafetensors) return JSON.parse(python([FIXTURE, 'read', path]));
  const code = `
import json, sys
from safetensors import safe_open
out = {"tensors": {}}
with safe_open(sys.argv[1], framework="numpy") as f:
    out["metadata"] = f.metadata() or {}
    for k in f.keys():
        a = f.get_tensor(k)
        out["tensors"][k] = {"dtype": {"float32": "F32"}.get(str(a.dtype), str(a.dtype)), "shape": list(a.shape), "values": a.reshape(-1).astype(float).tolist()}
print(json.dumps(out))`;
  return JSON.parse(python(['-c', code, path]));
}

const mlp = () =>
  new nn.Sequential(
    new nn.Linear(3, 4, true, { seed: 5 }),
    new nn.Tanh(),
    new nn.Linear(4, 2, true, { seed: 6 }),
  );

test('a file written by Python loads into a module: names, shapes, values and the forward pass', async () => {
  if (noPython) return console.log(`  skipped: ${noPython}`);
  const file = join(tmp, 'from-python.safetensors');
  const { x, y } = JSON.parse(python([FIXTURE, 'write', file])) as { x: number[][]; y: number[][] };
  const bytes = new Uint8Array(readFileSync(file));
  const parsed = io.parse(bytes, file);
  assert.equal(Object.keys(parsed.tensors).sort(), ['0.bias', '0.weight', '2.bias', '2.weight']);
  assert.equal(parsed.tensors['0.weight'].shape, [4, 3]);
  assert.equal(parsed.tensors['2.weight'].shape, [2, 4]);
  assert.is(parsed.metadata.writer, 'python-stdlib');
  const expected = pythonRead(file);
  for (const [name, t] of Object.entries(expected.tensors)) {
    assert.equal(parsed.tensors[name].shape, t.shape, name);
    assertClose(parsed.tensors[name].data, t.values, { atol: 0, rtol: 0 }, name);
  }
  const net = mlp();
  io.loadModuleBytes(net, bytes, { fileName: file }); // strict: every name and shape must match
  const out = await tidy(() => net.call(tensor(x.flat(), [2, 3]))).data();
  assertClose(out, y.flat(), { atol: 1e-5 }, 'forward pass on the Python weights');
  net.dispose();
});

test('our file reads in Python with the same names, dtypes, shapes, values and metadata', async () => {
  if (noPython) return console.log(`  skipped: ${noPython}`);
  const net = mlp();
  const file = join(tmp, 'ours.safetensors');
  writeFileSync(file, await io.moduleToBytes(net, { epoch: 3, note: 'from bicycle-webgpu' }));
  const seen = pythonRead(file);
  const ours = new Map(net.namedParameters());
  assert.equal(Object.keys(seen.tensors).sort(), [...ours.keys()].sort());
  for (const [name, p] of ours) {
    const t = seen.tensors[name];
    assert.is(t.dtype, 'F32', name);
    assert.equal(t.shape, [...p.shape], name);
    assertClose(t.values, await p.data(), { atol: 0, rtol: 0 }, name);
  }
  assert.is(seen.metadata.note, 'from bicycle-webgpu');
  assert.is(seen.metadata.epoch, '3');

  // And back: Python rewrites our file (its own layout, tensors in reverse order); it loads unchanged.
  const back = join(tmp, 'ours-via-python.safetensors');
  python([FIXTURE, 'copy', file, back]);
  const net2 = mlp();
  for (const p of net2.parameters()) p.assign(new Float32Array(p.size));
  const loaded = io.loadModuleBytes(net2, new Uint8Array(readFileSync(back)), { fileName: back });
  assert.is(loaded.metadata.note, 'from bicycle-webgpu');
  for (const [name, p] of net2.namedParameters())
    assertClose(await p.data(), await ours.get(name)!.data(), { atol: 0, rtol: 0 }, name);
  net.dispose();
  net2.dispose();
});

test('a wrong name or shape from the Python side is refused, naming it', () => {
  if (noPython) return console.log(`  skipped: ${noPython}`);
  const file = join(tmp, 'from-python.safetensors');
  const bytes = new Uint8Array(readFileSync(file));
  const wide = new nn.Sequential(new nn.Linear(3, 5), new nn.Tanh(), new nn.Linear(5, 2));
  assert.throws(() => io.loadModuleBytes(wide, bytes, { fileName: file }), /0\.weight/);
  wide.dispose();
});

test.run();
