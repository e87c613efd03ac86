// Evaluates a trained BicycleGAN (Node: reads the checkpoint and the data set). The measures are those
// of src/eval (no pretrained weights): the paper's diversity protocol (K inputs x S samples, consecutive
// pairs) with mean L1 and 1 - MS-SSIM instead of LPIPS, real-vs-real pairs as the upper reference,
// reconstruction from the encoded z (L1, PSNR), NDB/JSD against real images, and, on the synthetic set
// (modes known), mode coverage, validity and whether the encoded-z output keeps B's mode.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlignedDataset } from '../data/aligned.ts';
import { fromCHW, newImage, type RGBImage, toCHW, toGrayscale } from '../data/image.ts';
import { hash32, mulberry32 } from '../data/rng.ts';
import { classifyMode, MODES, syntheticSample } from '../data/synthetic.ts';
import type { SyntheticManifest } from '../data/synthetic-files.ts';
import {
  type Coverage,
  type Diversity,
  imageVector,
  meanStd,
  modeCoverage,
  type NdbResult,
  ndbJsd,
  type PosteriorMatch,
  posteriorMatch,
  VALID_MIN_PIXELS,
  VALID_THRESHOLD,
} from '../eval/metrics.ts';
import { meanL1, msssim, psnr } from '../eval/msssim.ts';
import { writeFileAtomic } from '../io/files.ts';
import { BicycleGAN } from '../models/bicyclegan/model.ts';
import { netSize } from '../models/bicyclegan/networks.ts';
import { decode, posterior, samplesIndependent } from '../models/bicyclegan/sampler.ts';
import { tensor } from '../ops/creation.ts';
import { concat } from '../ops/shape.ts';
import { keep, tidy } from '../scope.ts';
import type { Tensor } from '../tensor.ts';
import { checkpointDir, loadCheckpoint, readState } from './checkpoint.ts';

/** Options of evaluateModel / evaluateRun. */
export interface EvaluateOptions {
  /** The data set (default: the run's dataroot). A folder with modes.json is the synthetic set. */
  dataroot?: string;
  /** Inputs K (default 100; a folder with fewer val images uses them all). */
  inputs?: number;
  /** Samples per input S (default 20). */
  samples?: number;
  /** Seed of the z draws (default 0). */
  seed?: number;
  /** k-means bins of NDB (default 20). */
  bins?: number;
  /** Real images NDB's bins are fitted on (default 1000; on disk: at most the training set). */
  ndbReal?: number;
  /** Validity threshold of classifyMode's distance (default 0.12). */
  threshold?: number;
  /** 'AtoB' or 'BtoA' (default AtoB). */
  direction?: string;
  /** Inputs per GPU batch (default 25). */
  chunk?: number;
}

/** Everything evaluateModel measures (written as eval.json). */
export interface EvalResult {
  dataroot: string;
  synthetic: boolean;
  inputs: number;
  samples: number;
  seed: number;
  /** Diversity of G(A, z) over random z (consecutive pairs of the same input). */
  diversity: Diversity;
  /** The same measure on real pairs: B's of the same outline in random modes (synthetic), else B's of consecutive inputs. */
  realDiversity: Diversity;
  realDiversityKind: 'same input, random mode' | 'different inputs';
  /**
   * G(A, mu(E(B))) against B. Synthetic set: modeKept, the fraction whose mode is B's; validKept, the
   * fraction that is also valid (close to that mode): how well G renders a mode it is given.
   */
  reconstruction: { l1: number; psnr: number; modeKept?: number; validKept?: number };
  /**
   * E's aggregate posterior over the inputs' B against the prior N(0, I) that random z comes from
   * (absent in an eval.json written before it was measured).
   */
  posterior?: PosteriorMatch;
  ndb: NdbResult;
  /** NDB of real held-out images against the same bins: what a perfect model would score at this sample size. */
  ndbRealVsReal: NdbResult;
  coverage?: Coverage;
  seconds: number;
}

interface EvalInput {
  A: Float32Array;
  B: Float32Array;
  mask?: Uint8Array;
  mode?: number;
}

function readManifest(root: string): SyntheticManifest | null {
  const p = join(root, 'modes.json');
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as SyntheticManifest;
}

function chwOf(img: RGBImage, channels: number): Float32Array {
  return toCHW(channels === 1 ? toGrayscale(img) : img);
}

/** B re-filled with `mode` on its object mask (the same outline, another right answer). */
function renderMode(mask: Uint8Array, size: number, mode: number): RGBImage {
  const img = newImage(size, size, 3, 255);
  for (let i = 0; i < size * size; i++)
    if (mask[i]) img.data.set(MODES[mode]!.color(i % size, Math.floor(i / size)), 3 * i);
  return img;
}

function stackTensor(items: Float32Array[], shape: number[]): Tensor {
  const per = items[0]!.length;
  const data = new Float32Array(per * items.length);
  items.forEach((x, i) => data.set(x, i * per));
  return tensor(data, [items.length, ...shape]);
}

async function pairs(a: Tensor[], b: Tensor[], l1: number[], ds: number[]): Promise<void> {
  const x = tidy(() => keep(concat(a, 0)));
  const y = tidy(() => keep(concat(b, 0)));
  try {
    l1.push(...(await meanL1(x, y)));
    ds.push(...(await msssim(x, y)).map((v) => 1 - v));
  } finally {
    x.dispose();
    y.dispose();
  }
}

function toDiversity(l1: number[], ds: number[]): Diversity {
  return { l1: meanStd(l1), msssim: meanStd(ds), pairs: l1.length };
}

/** Runs every measure on `model` (eval mode) with the data of `dataroot`. */
export async function evaluateModel(
  model: BicycleGAN,
  dataroot: string,
  opts: EvaluateOptions = {},
): Promise<EvalResult> {
  const t0 = performance.now();
  const K = opts.inputs ?? 100;
  const S = opts.samples ?? 20;
  const seed = opts.seed ?? 0;
  const chunk = opts.chunk ?? 25;
  const o = model.opts;
  const size = netSize(o.netG);
  const manifest = readManifest(dataroot);
  const synthetic = manifest !== null;
  const modes = manifest?.options.modes ?? 4;
  // Inputs, and real images for NDB (fit) and for the real-vs-real NDB (held out).
  const inputs: EvalInput[] = [];
  const realFit: Float32Array[] = [];
  const realHeld: Float32Array[] = [];
  const nReal = opts.ndbReal ?? 1000;
  if (manifest) {
    const so = { size: manifest.options.size, modes, seed: manifest.options.seed };
    if (so.size !== size) throw new Error(`${dataroot}: images are ${so.size}px, the network is ${size}px`);
    // val i < manifest val count are the files on disk; more are drawn the same way (same distribution).
    for (let i = 0; i < K; i++) {
      const s = syntheticSample('val', i, so);
      inputs.push({ A: chwOf(s.A, o.inputNc), B: chwOf(s.B, o.outputNc), mask: s.mask, mode: s.mode });
    }
    for (let i = 0; i < nReal; i++) realFit.push(imageVector(syntheticSample('train', i, so).B));
    for (let i = 0; i < K * S && i < nReal; i++) realHeld.push(imageVector(syntheticSample('test', i, so).B));
  } else {
    const open = (phase: string) =>
      AlignedDataset.open({
        dataroot,
        phase,
        direction: (opts.direction ?? 'AtoB') as 'AtoB' | 'BtoA',
        inputNc: o.inputNc as 1 | 3,
        outputNc: o.outputNc as 1 | 3,
        loadSize: size,
        cropSize: size,
        noFlip: true,
        workers: 0,
      });
    const val = await open('val');
    const train = await open('train');
    try {
      for (let i = 0; i < Math.min(K, val.length); i++) {
        const it = await val.item(i);
        inputs.push({ A: it.A, B: it.B });
      }
      const toVec = (b: Float32Array) => imageVector(fromCHW(b, o.outputNc as 1 | 3, size, size));
      for (let i = 0; i < Math.min(nReal, train.length); i++) realFit.push(toVec((await train.item(i)).B));
      for (const x of inputs) realHeld.push(toVec(x.B));
    } finally {
      await val.close();
      await train.close();
    }
  }
  const n = inputs.length;
  const l1: number[] = [];
  const ds: number[] = [];
  const rl1: number[] = [];
  const rds: number[] = [];
  const recL1: number[] = [];
  const recPsnr: number[] = [];
  let kept = 0;
  let validKept = 0;
  const threshold = opts.threshold ?? VALID_THRESHOLD;
  const mus: number[] = [];
  const logvars: number[] = [];
  const fakeVecs: Float32Array[] = [];
  const images: RGBImage[][] = [];
  const cA = [o.inputNc, size, size];
  const cB = [o.outputNc, size, size];
  const nc = o.outputNc as 1 | 3;
  for (let start = 0; start < n; start += chunk) {
    const part = inputs.slice(start, start + chunk);
    const A = stackTensor(
      part.map((x) => x.A),
      cA,
    );
    const B = stackTensor(
      part.map((x) => x.B),
      cB,
    );
    const outs = samplesIndependent(model, A, S, seed + 1_000_003 * start);
    // E runs once: its mu gives the encoded output, mu and logvar the posterior match.
    const post = posterior(model, B);
    const rec = decode(model, A, post.mu);
    try {
      mus.push(...(await post.mu.data()));
      logvars.push(...(await post.logvar.data()));
      await pairs(outs.slice(0, -1), outs.slice(1), l1, ds);
      recL1.push(...(await meanL1(rec, B)));
      recPsnr.push(...(await psnr(rec, B)));
      const recData = await rec.data();
      const plane = o.outputNc * size * size;
      const rows = part.map(() => [] as RGBImage[]);
      for (const t of outs) {
        const d = await t.data();
        part.forEach((_, k) => {
          const img = fromCHW(d, nc, size, size, k * plane);
          rows[k]!.push(img);
          fakeVecs.push(imageVector(img));
        });
      }
      images.push(...rows);
      if (synthetic) {
        part.forEach((x, k) => {
          const c = classifyMode(fromCHW(recData, nc, size, size, k * plane), x.mask, modes);
          if (c.mode !== x.mode) return;
          kept++;
          if (c.distance <= threshold && c.pixels >= VALID_MIN_PIXELS) validKept++;
        });
      }
      // Real pairs: the same outline in S random modes (synthetic), else consecutive inputs' B's.
      if (synthetic) {
        const draws = part.map((_, k) => mulberry32(hash32(seed, 0x7265616c, start + k)));
        const r = Array.from({ length: S }, () =>
          stackTensor(
            part.map((x, k) => chwOf(renderMode(x.mask!, size, Math.floor(draws[k]!() * modes)), o.outputNc)),
            cB,
          ),
        );
        try {
          await pairs(r.slice(0, -1), r.slice(1), rl1, rds);
        } finally {
          for (const t of r) t.dispose();
        }
      }
    } finally {
      A.dispose();
      B.dispose();
      rec.dispose();
      for (const t of [post.mu, post.logvar, ...outs]) t.dispose();
    }
  }
  if (!synthetic && n >= 2) {
    const a = stackTensor(
      inputs.slice(0, -1).map((x) => x.B),
      cB,
    );
    const b = stackTensor(
      inputs.slice(1).map((x) => x.B),
      cB,
    );
    try {
      await pairs([a], [b], rl1, rds);
    } finally {
      a.dispose();
      b.dispose();
    }
  }
  const bins = Math.min(opts.bins ?? 20, realFit.length);
  const result: EvalResult = {
    dataroot,
    synthetic,
    inputs: n,
    samples: S,
    seed,
    diversity: toDiversity(l1, ds),
    realDiversity: toDiversity(rl1, rds),
    realDiversityKind: synthetic ? 'same input, random mode' : 'different inputs',
    reconstruction: {
      l1: meanStd(recL1).mean,
      psnr: meanStd(recPsnr).mean,
      ...(synthetic ? { modeKept: kept / n, validKept: validKept / n } : {}),
    },
    posterior: posteriorMatch(mus, logvars, o.nz),
    ndb: ndbJsd(realFit, fakeVecs, { bins, seed }),
    ndbRealVsReal: ndbJsd(realFit, realHeld, { bins, seed }),
    seconds: 0,
  };
  if (synthetic) {
    result.coverage = modeCoverage(
      images,
      inputs.map((x) => x.mask ?? null),
      { modes, threshold: opts.threshold },
    );
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** Loads checkpoint `epoch` (default latest) of a run folder and evaluates it on its data set. */
export async function evaluateRun(
  run: string,
  opts: EvaluateOptions & { epoch?: string } = {},
): Promise<{ result: EvalResult; iter: number }> {
  const folder = checkpointDir(join(run, 'checkpoints'), opts.epoch ?? 'latest');
  const state = readState(folder);
  const train = (state.train ?? {}) as { dataroot?: string; direction?: string };
  const model = await BicycleGAN.create(state.model);
  try {
    loadCheckpoint(folder, model, { weightsOnly: true });
    const dataroot = opts.dataroot ?? train.dataroot;
    if (!dataroot) throw new Error(`${folder}/state.json records no dataroot: pass --dataroot`);
    const result = await evaluateModel(model, dataroot, { direction: train.direction, ...opts });
    return { result, iter: state.iter };
  } finally {
    model.dispose();
  }
}

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** The rows of the evaluation table: [measure, value, reference or note]. */
export function evalRows(r: EvalResult): [string, string, string][] {
  const rows: [string, string, string][] = [
    [
      `diversity L1 (${r.inputs} inputs x ${r.samples} samples)`,
      `${f3(r.diversity.l1.mean)} ± ${f3(r.diversity.l1.std)}`,
      `real (${r.realDiversityKind}): ${f3(r.realDiversity.l1.mean)}`,
    ],
    [
      'diversity 1 - MS-SSIM',
      `${f3(r.diversity.msssim.mean)} ± ${f3(r.diversity.msssim.std)}`,
      `real: ${f3(r.realDiversity.msssim.mean)}`,
    ],
    ['reconstruction L1, G(A, mu(E(B))) vs B', f3(r.reconstruction.l1), 'lower is better'],
    ['reconstruction PSNR (dB)', r.reconstruction.psnr.toFixed(2), 'higher is better'],
  ];
  if (r.coverage) {
    rows.push(
      [
        `modes hit per input (of ${r.coverage.modeCounts.length}, ${r.samples} samples)`,
        r.coverage.modesPerInput.toFixed(2),
        'target >= 3',
      ],
      ['inputs with every mode', pct(r.coverage.allModesFraction), ''],
      ['valid samples (close to a mode)', pct(r.coverage.validFraction), 'target >= 80%'],
      ['valid samples per mode', r.coverage.modeCounts.join(' / '), 'uniform is best'],
    );
    if (r.reconstruction.modeKept !== undefined)
      rows.push(["encoded-z output keeps B's mode", pct(r.reconstruction.modeKept), 'target >= 80%']);
    if (r.reconstruction.validKept !== undefined)
      rows.push(['... and is valid', pct(r.reconstruction.validKept), 'G rendering the mode it is given']);
  }
  rows.push(
    [
      `NDB (${r.ndb.bins} bins, ${r.ndb.fakeCount} samples)`,
      `${r.ndb.ndb} (${pct(r.ndb.ndbFraction)})`,
      `real vs real: ${r.ndbRealVsReal.ndb}`,
    ],
    ['JSD of the bin histograms', r.ndb.jsd.toFixed(4), `real vs real: ${r.ndbRealVsReal.jsd.toFixed(4)}`],
  );
  if (r.posterior) {
    const { mean, variance, kl } = r.posterior;
    const worst = Math.max(...mean.map(Math.abs));
    rows.push([
      "E's aggregate posterior vs N(0, I)",
      `KL ${kl.toFixed(2)} (mean up to ${worst.toFixed(2)} off 0, var ${Math.min(...variance).toFixed(2)}-${Math.max(...variance).toFixed(2)})`,
      'the prior of random z: KL 0',
    ]);
  }
  return rows;
}

/** The evaluation as a plain-text table (what examples/evaluate.ts prints). */
export function formatEvalTable(r: EvalResult): string {
  const rows: [string, string, string][] = [['measure', 'value', 'reference'], ...evalRows(r)];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.slice(1).map(line)].join(
    '\n',
  );
}

/** Writes the result as JSON (atomically). */
export function writeEvalJson(path: string, r: EvalResult & Record<string, unknown>): void {
  writeFileAtomic(path, `${JSON.stringify(r, null, 1)}\n`);
}
