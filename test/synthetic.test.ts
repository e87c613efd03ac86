// The procedural multimodal data set (src/data/synthetic.ts, synthetic-files.ts) and classifyMode.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AlignedDataset } from '../src/data/aligned.ts';
import { decodeImageBytes } from '../src/data/files.ts';
import { fromCHW, type RGBImage, splitHalves } from '../src/data/image.ts';
import { classifyMode, MODES, modePrototype, SHAPES, syntheticSample } from '../src/data/synthetic.ts';
import { ensureSyntheticDataset, type SyntheticManifest } from '../src/data/synthetic-files.ts';

const tmp = mkdtempSync(join(tmpdir(), 'synthetic-test-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const OPTS = { size: 32, train: 24, val: 6, modes: 4, seed: 11 };

test('samples are a function of (seed, phase, index): same bytes again, others differ', () => {
  const a = syntheticSample('train', 3, { size: 32, seed: 1 });
  const b = syntheticSample('train', 3, { size: 32, seed: 1 });
  assert.equal(a.A.data, b.A.data);
  assert.equal(a.B.data, b.B.data);
  assert.is(a.mode, b.mode);
  assert.not.equal(syntheticSample('train', 4, { size: 32, seed: 1 }).A.data, a.A.data);
  assert.not.equal(syntheticSample('val', 3, { size: 32, seed: 1 }).A.data, a.A.data);
  assert.not.equal(syntheticSample('train', 3, { size: 32, seed: 2 }).A.data, a.A.data);
  assert.throws(() => syntheticSample('train', 0, { modes: 9 }), /modes must be an integer in \[1, 8\]/);
});

test('A is a black outline on white; B is the pattern inside the shape, white outside', () => {
  const counts = new Array(4).fill(0);
  const shapes = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const s = syntheticSample('train', i, { size: 48, seed: 3 });
    counts[s.mode]++;
    shapes.add(s.shape);
    let black = 0;
    let inside = 0;
    for (let p = 0; p < 48 * 48; p++) {
      const a = s.A.data[3 * p]!;
      assert.ok(a === 0 || a === 255, 'A is pure black and white');
      if (a === 0) black++;
      const white = s.B.data[3 * p] === 255 && s.B.data[3 * p + 1] === 255 && s.B.data[3 * p + 2] === 255;
      assert.is(white, !s.mask[p], `B pixel ${p} is white exactly outside the object`);
      if (s.mask[p]) inside++;
    }
    assert.ok(black > 40 && black < 1000, `outline pixels: ${black}`);
    assert.ok(inside > 150, `object pixels: ${inside}`);
    // the outline runs along the object's border: every object pixel next to the background is on it
    for (let y = 1; y < 47; y++) {
      for (let x = 1; x < 47; x++) {
        const p = y * 48 + x;
        if (s.mask[p] && !(s.mask[p - 1] && s.mask[p + 1] && s.mask[p - 48] && s.mask[p + 48])) {
          assert.is(s.A.data[3 * p], 0, `border pixel (${x}, ${y}) is drawn in A`);
        }
      }
    }
  }
  assert.ok(
    counts.every((c) => c >= 4),
    `every mode is drawn: ${counts}`,
  );
  assert.equal([...shapes].sort(), [...SHAPES].sort());
});

test('classifyMode recognises every mode of generated B images (also with noise)', () => {
  for (const K of [4, 8]) {
    let right = 0;
    let noisyRight = 0;
    const n = 64;
    for (let i = 0; i < n; i++) {
      const s = syntheticSample('val', i, { size: 48, modes: K, seed: 5 });
      const guess = classifyMode(s.B, null, K);
      if (guess.mode === s.mode) right++;
      assert.is(
        guess.pixels,
        s.mask.reduce((a, v) => a + v, 0),
        'the default mask finds the object',
      );
      // +-12 levels of noise on the object, as a generator's output might have
      const noisy: RGBImage = { ...s.B, data: s.B.data.slice() };
      let seed = i + 1;
      for (let p = 0; p < 48 * 48; p++) {
        if (!s.mask[p]) continue;
        for (let k = 0; k < 3; k++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          const v = noisy.data[3 * p + k]! + ((seed >>> 16) % 25) - 12;
          noisy.data[3 * p + k] = Math.max(0, Math.min(255, v));
        }
      }
      if (classifyMode(noisy, s.mask, K).mode === s.mode) noisyRight++;
    }
    assert.is(right, n, `K=${K}: ${right}/${n} correct`);
    assert.ok(noisyRight >= n - 1, `K=${K} with noise: ${noisyRight}/${n}`);
  }
  // prototypes are distinct, and an all-white image has no object
  for (let a = 0; a < MODES.length; a++) {
    for (let b = a + 1; b < MODES.length; b++) {
      const d = Math.hypot(...modePrototype(a).map((v, j) => v - modePrototype(b)[j]!));
      assert.ok(d > 0.1, `modes ${a} and ${b} are ${d} apart`);
    }
  }
  const white: RGBImage = { width: 4, height: 4, channels: 3, data: new Uint8Array(48).fill(255) };
  assert.is(classifyMode(white).mode, -1);
});

test('ensureSyntheticDataset writes A|B PNGs and modes.json once, deterministically', async () => {
  const root = join(tmp, 'set');
  const m = await ensureSyntheticDataset(root, OPTS);
  assert.equal(readdirSync(root).sort(), ['modes.json', 'train', 'val']);
  assert.is(readdirSync(join(root, 'train')).length, 24);
  assert.is(readdirSync(join(root, 'val')).length, 6);
  assert.equal(readdirSync(tmp), ['set'], 'no temp folder left');
  const json = JSON.parse(readFileSync(join(root, 'modes.json'), 'utf8')) as SyntheticManifest;
  assert.equal(json, m);
  assert.equal(json.options, OPTS);
  assert.equal(json.modeNames, ['red solid', 'blue stripes', 'green checker', 'yellow dots']);
  assert.is(Object.keys(json.modes).length, 30);
  assert.is(json.modes['train/00000.png'], syntheticSample('train', 0, OPTS).mode);
  assert.is(json.shapes['val/00005.png'], syntheticSample('val', 5, OPTS).shape);

  // the files decode to the samples, and classifyMode reads each B's recorded mode back
  for (const [name, mode] of Object.entries(json.modes)) {
    const img = decodeImageBytes(new Uint8Array(readFileSync(join(root, name))), name);
    assert.is(img.width, 64);
    assert.is(img.height, 32);
    const { left, right } = splitHalves(img);
    const [phase, file] = name.split('/') as [string, string];
    const s = syntheticSample(phase, Number(file.slice(0, 5)), OPTS);
    assert.equal(left.data, s.A.data);
    assert.equal(right.data, s.B.data);
    assert.is(classifyMode(right).mode, mode, name);
  }

  // cached: a second call with the same options leaves the files alone
  const before = statSync(join(root, 'modes.json')).mtimeMs;
  const first = readFileSync(join(root, 'train', '00003.png'));
  await new Promise((r) => setTimeout(r, 20));
  await ensureSyntheticDataset(root, OPTS);
  assert.is(statSync(join(root, 'modes.json')).mtimeMs, before);
  // another root with the same options: byte-identical files
  const twin = join(tmp, 'twin');
  await ensureSyntheticDataset(twin, OPTS);
  assert.equal(readFileSync(join(twin, 'train', '00003.png')), first);
  assert.equal(readFileSync(join(twin, 'modes.json')), readFileSync(join(root, 'modes.json')));
  // other options: regenerated in place
  const m2 = await ensureSyntheticDataset(twin, { ...OPTS, train: 4, modes: 2 });
  assert.is(readdirSync(join(twin, 'train')).length, 4);
  assert.ok(Object.values(m2.modes).every((k) => k === 0 || k === 1));
  assert.equal(readdirSync(tmp).sort(), ['set', 'twin']);
  // a folder that is not ours is not overwritten
  const foreign = join(tmp, 'foreign');
  rmSync(foreign, { recursive: true, force: true });
  await ensureSyntheticDataset(foreign, { ...OPTS, train: 1, val: 0 });
  rmSync(join(foreign, 'modes.json'));
  writeFileSync(join(foreign, 'mine.txt'), 'keep');
  try {
    await ensureSyntheticDataset(foreign, OPTS);
    assert.unreachable('should refuse');
  } catch (e) {
    assert.match((e as Error).message, /exists but has no modes\.json/);
  }
});

test('the synthetic set loads through AlignedDataset; classifyMode works on its [-1, 1] output', async () => {
  const root = join(tmp, 'set');
  await ensureSyntheticDataset(root, OPTS);
  const ds = await AlignedDataset.open({
    dataroot: root,
    loadSize: 32,
    cropSize: 32,
    noFlip: true,
    workers: 0,
  });
  const manifest = JSON.parse(readFileSync(join(root, 'modes.json'), 'utf8')) as SyntheticManifest;
  let n = 0;
  for await (const b of ds.batches(0, 4, { even: true })) {
    assert.equal(b.shapeA, [4, 3, 32, 32]);
    for (let k = 0; k < 4; k++) {
      const name = `train/${b.paths[k]!.split('/').pop()}`;
      const img = fromCHW(b.B, 3, 32, 32, k * 3 * 32 * 32);
      assert.is(classifyMode(img).mode, manifest.modes[name], name);
      n++;
    }
  }
  assert.is(n, 24);
  await ds.close();
});

test.run();
