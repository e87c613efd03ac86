// Draw many outputs per input from a trained BicycleGAN checkpoint, in eval mode (dropout off):
// n random-z samples per input (--sync: the same z's for every input), the output for the encoded z
// of the input's own B (or of --reference), and latent interpolation strips (linear and slerp).
// Writes PNG grids and an index.html that shows them.
//   npx tsx examples/sample.ts --run runs/synthetic --input data/synthetic-64/val
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { hideBin } from 'yargs/helpers';
import { encodePNGCompressed, readImageFile } from '../src/data/files.ts';
import { batchCells, composeGrid, type GridBatch } from '../src/data/grid.ts';
import { type RGBImage, resize, splitHalves, toCHW, toGrayscale } from '../src/data/image.ts';
import { init, randn, type Tensor, tensor } from '../src/index.ts';
import { writeFileAtomic } from '../src/io/files.ts';
import { BicycleGAN } from '../src/models/bicyclegan/model.ts';
import { netSize } from '../src/models/bicyclegan/networks.ts';
import {
  encodedOutput,
  interpolate,
  randomCodes,
  samplesIndependent,
  samplesPerCode,
} from '../src/models/bicyclegan/sampler.ts';
import { CHECKPOINT_OPTIONS, checkpointDir, loadCheckpoint, readState } from '../src/train/checkpoint.ts';
import { type OptionTable, parseOptions, runCommand } from '../src/train/options.ts';

const SAMPLE_OPTIONS = {
  ...CHECKPOINT_OPTIONS,
  input: { type: 'string', demand: true, describe: 'an image or a folder of images (A|B pairs or A alone)' },
  output: { type: 'string', describe: 'output folder (default <run>/samples_<epoch>)' },
  n_samples: { type: 'int', min: 1, default: 6, describe: 'random-z samples per input' },
  sync: { type: 'boolean', default: false, describe: 'the same z samples for every input' },
  reference: {
    type: 'string',
    describe: "an image whose encoded z styles every input (default: each input's own B)",
  },
  interp_steps: { type: 'int', min: 0, default: 8, describe: 'images per interpolation strip (0: none)' },
  max_inputs: { type: 'int', min: 1, default: 8, describe: 'use at most this many inputs' },
  seed: { type: 'int', default: 0, describe: 'random seed of the z samples' },
  direction: {
    type: 'string',
    choices: ['AtoB', 'BtoA'],
    describe: "which half of an A|B input is A (default: the run's direction, from state.json)",
  },
} as const satisfies OptionTable;

await runCommand(main);

async function main(): Promise<void> {
  const argv = await parseOptions(hideBin(process.argv), SAMPLE_OPTIONS, {
    scriptName: 'sample',
    usage: '$0 --run <run folder> --input <image or folder> [options]',
  });

  // The checkpoint and its state are checked before the GPU is started.
  const folder = checkpointDir(join(argv.run, 'checkpoints'), argv.epoch);
  const state = readState(folder);
  const inputFiles = listInputs(argv.input).slice(0, argv.maxInputs);
  await init();
  const model = await BicycleGAN.create(state.model);
  loadCheckpoint(folder, model, { weightsOnly: true });
  model.eval();
  const o = model.opts;
  const size = netSize(o.netG);
  const trainOpts = (state.train ?? {}) as { direction?: string };
  const direction = argv.direction ?? trainOpts.direction ?? 'AtoB';

  function listInputs(path: string): string[] {
    if (!statSync(path, { throwIfNoEntry: false })) throw new Error(`--input ${path} does not exist`);
    if (!statSync(path).isDirectory()) return [path];
    const files = readdirSync(path)
      .filter((f) => /\.(png|jpe?g)$/i.test(f))
      .sort()
      .map((f) => join(path, f));
    if (files.length === 0) throw new Error(`no PNG or JPEG images in ${path}`);
    return files;
  }

  /** CHW [-1, 1] at the network size, grayscale when the side has one channel. */
  function prepare(img: RGBImage, channels: number): Float32Array {
    const g = channels === 1 ? toGrayscale(img) : img;
    return toCHW(resize(g, size, size));
  }

  interface Input {
    name: string;
    A: Float32Array;
    B: Float32Array | null;
  }

  async function loadInput(path: string): Promise<Input> {
    const img = await readImageFile(path);
    let A = img;
    let B: RGBImage | null = null;
    // Wider than high: an A|B pair, split at floor(w / 2) as in training; else A alone.
    if (img.width > img.height) {
      const { left, right } = splitHalves(img);
      [A, B] = direction === 'BtoA' ? [right, left] : [left, right];
    }
    return { name: basename(path), A: prepare(A, o.inputNc), B: B ? prepare(B, o.outputNc) : null };
  }

  const inputs = await Promise.all(inputFiles.map(loadInput));
  const out = argv.output ?? join(argv.run, `samples_${argv.epoch}`);
  mkdirSync(out, { recursive: true });
  const stack = (parts: Float32Array[], c: number): Tensor => {
    const data = new Float32Array(parts.length * parts[0].length);
    parts.forEach((p, i) => data.set(p, i * p.length));
    return tensor(data, [parts.length, c, size, size]);
  };
  const A = stack(
    inputs.map((i) => i.A),
    o.inputNc,
  );
  const host = async (t: Tensor): Promise<GridBatch> => ({ data: await t.data(), shape: t.shape });
  const columns = async (ts: Tensor[]) => Promise.all(ts.map(host));
  const sections: { title: string; file: string; note: string }[] = [];

  /** One grid row per input; each cell is one image (gray or colour). */
  async function writeRows(file: string, rows: GridBatch[][], title: string, note: string) {
    const cells = rows.map((cols) => cols.flatMap((c) => batchCells(c)));
    writeFileAtomic(join(out, file), encodePNGCompressed(composeGrid(cells)));
    sections.push({ title, file, note });
  }

  /** Image i of a host batch, as a batch of one. */
  const slice = (b: GridBatch, i: number): GridBatch => {
    const per = b.data.length / b.shape[0];
    return {
      data: Array.prototype.slice.call(b.data, i * per, (i + 1) * per),
      shape: [1, ...b.shape.slice(1)],
    };
  };

  // 1. Random samples (and the input, its B, and the output from B's encoded z).
  const split = (flat: Float32Array, n: number) =>
    Array.from({ length: n }, (_, k) => flat.slice(k * o.nz, (k + 1) * o.nz));
  const zs = argv.sync
    ? samplesPerCode(
        model,
        A,
        split(await randomCodes(model, argv.nSamples, argv.seed).data(), argv.nSamples),
      )
    : samplesIndependent(model, A, argv.nSamples, argv.seed);
  const samples = await columns(zs);
  const aHost = await host(A);
  const withB = inputs.every((i) => i.B);
  const Bt = withB
    ? stack(
        inputs.map((i) => i.B!),
        o.outputNc,
      )
    : null;
  const encoded = Bt ? await host(encodedOutput(model, A, Bt)) : null;
  await writeRows(
    'samples.png',
    inputs.map((_, i) => [
      slice(aHost, i),
      ...(Bt ? [slice(encoded!, i)] : []),
      ...samples.map((s) => slice(s, i)),
    ]),
    'Random samples',
    `Each row: the input${Bt ? ', the output from the encoded z of its ground truth' : ''}, then ${argv.nSamples} outputs from random z${argv.sync ? ' (the same z in each column)' : ''}.`,
  );
  if (Bt) {
    const bHost = await host(Bt);
    await writeRows(
      'ground_truth.png',
      inputs.map((_, i) => [slice(aHost, i), slice(bHost, i), slice(encoded!, i)]),
      'Reconstruction',
      "Each row: input, ground truth, output from the ground truth's encoded z.",
    );
  }

  // 2. Style transfer from a reference image's encoded z.
  if (argv.reference) {
    const ref = await loadInput(argv.reference);
    const refB = ref.B ?? ref.A;
    const R = stack(
      inputs.map(() => refB),
      o.outputNc,
    );
    const styled = await host(encodedOutput(model, A, R));
    const refHost = await host(R);
    await writeRows(
      'reference.png',
      inputs.map((_, i) => [slice(aHost, i), slice(refHost, i), slice(styled, i)]),
      'Reference style',
      `Each row: input, the reference ${basename(argv.reference)}, output with the reference's encoded z.`,
    );
  }

  // 3. Latent interpolation strips between two random codes.
  if (argv.interpSteps > 0) {
    const ends = await randn([2, o.nz], { seed: argv.seed + 7777 }).data();
    const z0 = ends.slice(0, o.nz);
    const z1 = ends.slice(o.nz);
    for (const mode of ['linear', 'slerp'] as const) {
      const strip = await columns(samplesPerCode(model, A, interpolate(z0, z1, argv.interpSteps, mode)));
      await writeRows(
        `interp_${mode}.png`,
        inputs.map((_, i) => [slice(aHost, i), ...strip.map((s) => slice(s, i))]),
        `Interpolation (${mode})`,
        `Each row: input, then G(A, z) for z moving ${mode === 'slerp' ? 'along the great circle' : 'in a straight line'} between two random codes.`,
      );
    }
  }

  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>BicycleGAN samples</title>
<style>body{font-family:sans-serif;margin:2em;background:#fafafa}img{image-rendering:pixelated;max-width:100%;border:1px solid #ccc}h2{margin-top:1.5em}</style>
</head><body>
<h1>BicycleGAN samples</h1>
<p>Checkpoint <code>${relative(out, folder)}</code> (epoch ${state.epoch - 1}, iteration ${state.iter}); inputs from <code>${argv.input}</code>.</p>
${sections.map((s) => `<h2>${s.title}</h2><p>${s.note}</p><img src="${s.file}" alt="${s.title}">`).join('\n')}
</body></html>
`;
  writeFileAtomic(join(out, 'index.html'), html);
  console.log(`wrote ${sections.map((s) => s.file).join(', ')} and index.html to ${out}`);
}
