// Evaluation measures (src/eval): MS-SSIM on the GPU against a plain-TS reference, L1/PSNR, diversity,
// mode coverage on the synthetic set, k-means and NDB/JSD.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readImageFile } from '../src/data/files.ts';
import { newImage, resize, splitHalves } from '../src/data/image.ts';
import { MODES, syntheticSample } from '../src/data/synthetic.ts';
import { ensureSyntheticDataset } from '../src/data/synthetic-files.ts';
import {
  diversity,
  gaussianWindow,
  imageVector,
  jsDivergence,
  kmeans,
  MS_SSIM_WEIGHTS,
  meanL1,
  modeCoverage,
  msssim,
  msssimGeometry,
  ndbJsd,
  posteriorMatch,
  psnr,
} from '../src/eval/index.ts';
import { tensor } from '../src/index.ts';
import { BicycleGAN, DEFAULT_OPTIONS } from '../src/models/bicyclegan/model.ts';
import { evaluateModel, formatEvalTable } from '../src/train/evaluate.ts';
import { assertClose, rng, setup } from './helpers.ts';

test.before(setup);

/** MS-SSIM written out with loops: valid Gaussian filtering, 2x2 average pooling, relu'd terms. */
function msssimReference(
  x: Float32Array,
  y: Float32Array,
  n: number,
  c: number,
  h: number,
  w: number,
): number[] {
  const { window, scales } = msssimGeometry(h, w);
  const g = gaussianWindow(window, 1.5);
  const c1 = (0.01 * 2) ** 2;
  const c2 = (0.03 * 2) ** 2;
  const filt = (img: number[], hh: number, ww: number) => {
    const oh = hh - window + 1;
    const ow = ww - window + 1;
    const o = new Array(oh * ow).fill(0);
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let s = 0;
        for (let a = 0; a < window; a++)
          for (let b = 0; b < window; b++) s += g[a] * g[b] * img[(i + a) * ww + j + b];
        o[i * ow + j] = s;
      }
    return o;
  };
  const pool = (img: number[], hh: number, ww: number) => {
    const o: number[] = [];
    for (let i = 0; i < Math.floor(hh / 2); i++)
      for (let j = 0; j < Math.floor(ww / 2); j++)
        o.push(
          (img[2 * i * ww + 2 * j] +
            img[2 * i * ww + 2 * j + 1] +
            img[(2 * i + 1) * ww + 2 * j] +
            img[(2 * i + 1) * ww + 2 * j + 1]) /
            4,
        );
    return o;
  };
  const wsum = MS_SSIM_WEIGHTS.slice(0, scales).reduce((a, b) => a + b, 0);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let k = 0; k < c; k++) {
      const off = (i * c + k) * h * w;
      let a = Array.from(x.subarray(off, off + h * w));
      let b = Array.from(y.subarray(off, off + h * w));
      let hh = h;
      let ww = w;
      let v = 1;
      for (let s = 0; s < scales; s++) {
        if (s > 0) {
          a = pool(a, hh, ww);
          b = pool(b, hh, ww);
          hh = Math.floor(hh / 2);
          ww = Math.floor(ww / 2);
        }
        const ma = filt(a, hh, ww);
        const mb = filt(b, hh, ww);
        const saa = filt(
          a.map((t) => t * t),
          hh,
          ww,
        );
        const sbb = filt(
          b.map((t) => t * t),
          hh,
          ww,
        );
        const sab = filt(
          a.map((t, q) => t * b[q]),
          hh,
          ww,
        );
        let cs = 0;
        let ss = 0;
        for (let q = 0; q < ma.length; q++) {
          const va = saa[q] - ma[q] ** 2;
          const vb = sbb[q] - mb[q] ** 2;
          const cv = sab[q] - ma[q] * mb[q];
          const csq = (2 * cv + c2) / (va + vb + c2);
          cs += csq;
          ss += ((2 * ma[q] * mb[q] + c1) / (ma[q] ** 2 + mb[q] ** 2 + c1)) * csq;
        }
        const term = s === scales - 1 ? ss / ma.length : cs / ma.length;
        v *= Math.max(0, term) ** (MS_SSIM_WEIGHTS[s] / wsum);
      }
      acc += v;
    }
    out.push(acc / c);
  }
  return out;
}

function randomImages(n: number, c: number, h: number, w: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * c * h * w }, () => 2 * r() - 1);
}

test('MS-SSIM on the GPU equals a plain-TS reference (small images, 1 to 3 scales)', async () => {
  for (const [n, c, h, w] of [
    [2, 3, 24, 24],
    [3, 1, 32, 40],
    [2, 2, 48, 48],
  ]) {
    const x = randomImages(n, c, h, w, 1);
    // y: x plus structured noise, so MS-SSIM is well inside (0, 1)
    const noise = randomImages(n, c, h, w, 2);
    const y = x.map((v, i) => 0.7 * v + 0.3 * noise[i]);
    const tx = tensor(x, [n, c, h, w]);
    const ty = tensor(y, [n, c, h, w]);
    const got = await msssim(tx, ty);
    const want = msssimReference(x, y, n, c, h, w);
    assertClose(got, want, { atol: 2e-4, rtol: 1e-3 }, `msssim ${n}x${c}x${h}x${w}`);
    const same = await msssim(tx, tx);
    assertClose(same, new Array(n).fill(1), { atol: 1e-4 }, 'msssim(x, x)');
    tx.dispose();
    ty.dispose();
  }
  assert.equal(msssimGeometry(64, 64), { window: 11, scales: 3 });
  assert.equal(msssimGeometry(256, 256), { window: 11, scales: 5 });
});

test('mean L1 and PSNR per pair; diversity is 0 for identical samples', async () => {
  const a = tensor([0, 0, 0, 0, 1, 1, 1, 1], [2, 1, 2, 2]);
  const b = tensor([0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1], [2, 1, 2, 2]);
  assertClose(await meanL1(a, b), [0.5, 0]);
  const p = await psnr(a, b);
  assertClose([p[0]], [10 * Math.log10(4 / 0.25)], { atol: 1e-4 });
  const x = tensor(randomImages(2, 3, 24, 24, 5), [2, 3, 24, 24]);
  const y = tensor(randomImages(2, 3, 24, 24, 6), [2, 3, 24, 24]);
  const same = await diversity([x, x, x]);
  assert.is(same.pairs, 4);
  assert.ok(same.l1.mean < 1e-6 && same.msssim.mean < 1e-4);
  const diff = await diversity([x, y]);
  assert.ok(diff.l1.mean > 0.5 && diff.msssim.mean > 0.5, JSON.stringify(diff));
  for (const t of [a, b, x, y]) t.dispose();
});

test('mode coverage: real B of every mode counts as valid and distinct; grey is invalid', () => {
  const s = syntheticSample('val', 0, { size: 64 });
  const render = (mode: number) => {
    const img = newImage(64, 64, 3, 255);
    for (let i = 0; i < 64 * 64; i++)
      if (s.mask[i]) img.data.set(MODES[mode].color(i % 64, Math.floor(i / 64)), 3 * i);
    return img;
  };
  const grey = newImage(64, 64, 3, 128);
  const cov = modeCoverage(
    [
      [render(0), render(1), render(2), render(3)],
      [render(2), render(2), grey],
    ],
    [s.mask, s.mask],
  );
  assert.is(cov.modesPerInput, 2.5);
  assert.is(cov.allModesFraction, 0.5);
  assertClose([cov.validFraction], [6 / 7], { atol: 1e-9 });
  assert.equal(cov.modeCounts, [1, 1, 3, 1]);
});

test('k-means finds separated clusters; NDB is 0 for the same distribution and high for a collapsed one', () => {
  const r = rng(3);
  const blob = (cx: number, n: number) =>
    Array.from({ length: n }, () => Float32Array.of(cx + 0.1 * r(), 0.1 * r()));
  const real = [...blob(0, 100), ...blob(5, 100), ...blob(10, 100)];
  const c = kmeans(real, 3, { seed: 1 });
  assert.equal(
    c.map((p) => Math.round(p[0] / 5) * 5).sort((a, b) => a - b),
    [0, 5, 10],
  );
  const same = ndbJsd(real, [...blob(0, 100), ...blob(5, 100), ...blob(10, 100)], { bins: 3 });
  assert.is(same.ndb, 0);
  assert.ok(same.jsd < 0.01);
  const collapsed = ndbJsd(real, blob(0, 300), { bins: 3 });
  assert.is(collapsed.ndb, 3);
  assert.ok(collapsed.jsd > 0.3, `${collapsed.jsd}`);
  assert.ok(Math.abs(jsDivergence([1, 0], [0, 1]) - Math.log(2)) < 1e-9);
});

const SHOES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data', 'edges2shoes-120');

test('NDB/JSD on real data (edges2shoes-120): val vs train bins is low, a collapsed set is high', async () => {
  if (!existsSync(join(SHOES, 'train'))) {
    console.log(`  skipped: ${SHOES} is absent (see /work/shared/data/README.md)`);
    return;
  }
  const load = async (phase: string) =>
    Promise.all(
      readdirSync(join(SHOES, phase))
        .filter((f) => f.endsWith('.jpg'))
        .sort()
        .map(async (f) =>
          imageVector(resize(splitHalves(await readImageFile(join(SHOES, phase, f))).right, 32, 32)),
        ),
    );
  const train = await load('train');
  const val = await load('val');
  assert.is(train.length, 100);
  const same = ndbJsd(train, val, { bins: 5 });
  const collapsed = ndbJsd(train, new Array(20).fill(val[0]), { bins: 5 });
  assert.ok(same.ndb <= 1, JSON.stringify(same));
  assert.ok(collapsed.ndb >= 3 && collapsed.jsd > 3 * same.jsd, JSON.stringify(collapsed));
});

test('posteriorMatch: the moments of the aggregate posterior and its KL to N(0, I)', () => {
  // Posteriors equal to the prior: KL 0.
  const prior = posteriorMatch([0, 0, 0, 0], [0, 0, 0, 0], 2);
  assertClose(prior.mean, [0, 0]);
  assertClose(prior.variance, [1, 1]);
  assertClose([prior.kl], [0]);
  // Two inputs at mu = +-1 (dim 0) and 3 (both, dim 1) with sigma^2 = 0.5: the mixture has mean (0, 3),
  // variance (1 + 0.5, 0 + 0.5).
  const lv = Math.log(0.5);
  const m = posteriorMatch([1, 3, -1, 3], [lv, lv, lv, lv], 2);
  assertClose(m.mean, [0, 3], { atol: 1e-12 });
  assertClose(m.variance, [1.5, 0.5], { atol: 1e-12 });
  const kl = (v: number, mu: number) => 0.5 * (v + mu * mu - 1 - Math.log(v));
  assertClose([m.kl], [kl(1.5, 0) + kl(0.5, 3)], { atol: 1e-12 });
  assert.throws(() => posteriorMatch([1, 2, 3], [0, 0, 0], 2), /posteriorMatch: .* must be \[n, 2\]/);
});

test('evaluateModel: every measure of an (untrained) model on a small synthetic set', async () => {
  const root = mkdtempSync(join(tmpdir(), 'eval-test-'));
  try {
    await ensureSyntheticDataset(join(root, 'syn'), { size: 64, train: 8, val: 4 });
    const opts = {
      ...DEFAULT_OPTIONS,
      inputNc: 1,
      netG: 'unet_64',
      netE: 'resnet_64',
      netD: 'basic_64_multi',
      netD2: 'basic_64_multi',
      ngf: 4,
      nef: 4,
      ndf: 4,
    } as const;
    const model = await BicycleGAN.create(opts, 0);
    const r = await evaluateModel(model, join(root, 'syn'), {
      inputs: 6,
      samples: 3,
      ndbReal: 30,
      bins: 4,
      chunk: 4,
    });
    model.dispose();
    assert.is(r.inputs, 6);
    assert.is(r.diversity.pairs, 12);
    assert.is(r.realDiversity.pairs, 12);
    assert.ok(r.realDiversity.l1.mean > 0);
    assert.ok(r.coverage && r.coverage.validFraction >= 0 && r.reconstruction.modeKept !== undefined);
    assert.ok(r.reconstruction.validKept! <= r.reconstruction.modeKept);
    assert.is(r.posterior?.mean.length, opts.nz);
    assert.ok(r.posterior!.variance.every((v) => v > 0) && r.posterior!.kl >= 0);
    assert.is(r.ndb.fakeCount, 18);
    const table = formatEvalTable(r);
    for (const row of [
      'diversity 1 - MS-SSIM',
      'modes hit per input',
      'valid samples',
      'NDB',
      'reconstruction PSNR',
      "E's aggregate posterior vs N(0, I)",
    ])
      assert.ok(table.includes(row), row);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
