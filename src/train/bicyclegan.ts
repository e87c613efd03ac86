// BicycleGAN on the Trainer (src/train/trainer.ts): the aligned data set as its data source, the
// model's iteration as its step, the linear LR decay as its schedule, the sample grid's rows, and the
// checkpoint folders of checkpoint.ts. examples/edges2shoes.ts is its command line; its options come
// from the table in bicyclegan-options.ts.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AlignedBatch, AlignedDataset } from '../data/aligned.ts';
import type { GridBatch } from '../data/grid.ts';
import { parse } from '../io/safetensors.ts';
import { BicycleGAN, type LossName, readLosses } from '../models/bicyclegan/model.ts';
import { ResNet18Encoder } from '../models/bicyclegan/resnet18.ts';
import { tensor } from '../ops/creation.ts';
import { getRngState, manualSeed, randn } from '../ops/random.ts';
import { linearDecay } from '../optim/schedule.ts';
import { keep, tidy } from '../scope.ts';
import type { Tensor } from '../tensor.ts';
import type { TrainOptions } from './bicyclegan-options.ts';
import { resumeModelOptions } from './bicyclegan-options.ts';
import { checkpointDir, loadCheckpoint, readState, saveCheckpoint, type TrainState } from './checkpoint.ts';
import { type StopReason, Trainer } from './trainer.ts';

export type { TrainOptions } from './bicyclegan-options.ts';

/** What trainBicycleGAN returns: the trained model, where it stopped and why. */
export interface TrainResult {
  model: BicycleGAN;
  state: TrainState;
  stopped: StopReason;
}

function toTensor(data: Float32Array, shape: readonly number[]): Tensor {
  return tensor(data, shape);
}

/** A grid: rows = input A, real B, G(A, E(B).mu), then `samples` rows of G(A, z) with fixed z per row. */
export async function sampleGrid(
  model: BicycleGAN,
  A: Tensor,
  B: Tensor,
  samples: number,
  seed: number,
): Promise<GridBatch[]> {
  model.eval();
  const n = A.shape[0];
  const outs = tidy(() => {
    const { mu } = model.E.call(B);
    const rows = [model.generate(A, mu)];
    for (let k = 0; k < samples; k++) {
      // One z per row, the same for every column: a row reads as one "style" across inputs.
      const z = randn([1, model.opts.nz], { seed: seed + k }).expand([n, model.opts.nz]);
      rows.push(model.generate(A, z));
    }
    return rows.map((r) => keep(r));
  });
  model.train();
  const grid: GridBatch[] = [
    { data: await A.data(), shape: A.shape },
    { data: await B.data(), shape: B.shape },
  ];
  for (const t of outs) {
    grid.push({ data: await t.data(), shape: t.shape });
    t.dispose();
  }
  return grid;
}

/**
 * Trains BicycleGAN on an aligned data set with the Trainer (examples/edges2shoes.ts is its command line).
 */
export async function trainBicycleGAN(options: TrainOptions): Promise<TrainResult> {
  let o = options;
  // Resuming: the checkpoint's state is checked first, and its model options are the run's (an option
  // the user set that differs is refused), so the networks are built as they were saved.
  let resumed: { state: TrainState; path: string } | null = null;
  if (o.continueFrom) {
    const folder = checkpointDir(join(o.outputDir, 'checkpoints'), o.continueFrom);
    const path = join(folder, 'state.json');
    resumed = { state: readState(folder), path };
    o = { ...o, model: resumeModelOptions(resumed.state.model, o.model, o.givenModelOptions, path) };
  }
  mkdirSync(o.outputDir, { recursive: true });
  const say = (msg: string) => {
    if (!o.quiet) console.log(msg);
  };
  if (o.split && o.batchSize % 2 !== 0) {
    throw new Error(
      `--batch_size ${o.batchSize} must be even: each batch is split into cVAE and cLR halves (or use --no_split)`,
    );
  }
  const dataset = await AlignedDataset.open({
    dataroot: o.dataroot,
    phase: o.phase,
    direction: o.direction,
    inputNc: o.model.inputNc as 1 | 3,
    outputNc: o.model.outputNc as 1 | 3,
    loadSize: o.loadSize,
    cropSize: o.cropSize,
    preprocess: o.preprocess,
    noFlip: o.noFlip,
    seed: o.seed,
    maxDatasetSize: o.maxDatasetSize,
    workers: o.workers,
    checkImages: o.skipBadImages ? 'skip' : 'error',
  });
  if (dataset.skipped.length) {
    const first = dataset.skipped[0];
    say(
      `--skip_bad_images: skipped ${dataset.skipped.length} bad image${dataset.skipped.length > 1 ? 's' : ''} of ${dataset.length + dataset.skipped.length} (first: ${first.path}: ${first.problem})`,
    );
  }
  let gridA: Tensor | null = null;
  let gridB: Tensor | null = null;
  try {
    if (dataset.length < o.batchSize) {
      throw new Error(
        `${o.dataroot}/${o.phase} has ${dataset.length} images, fewer than --batch_size ${o.batchSize}`,
      );
    }
    const perEpoch = dataset.numBatches(o.batchSize);
    if (resumed && resumed.state.batch > perEpoch) {
      throw new Error(
        `${resumed.path}: batch ${resumed.state.batch} is past the end of an epoch (${perEpoch} batches of ${o.batchSize} here)`,
      );
    }
    manualSeed(o.seed);
    const model = await BicycleGAN.create(o.model, o.seed);
    // What state.json records besides the trainer's counters (from the checkpoint when resuming).
    let record: TrainState = {
      epoch: 1,
      batch: 0,
      iter: 0,
      rng: getRngState(),
      model: o.model,
      train: { ...o, model: undefined },
    };
    const withCounters = (s: TrainState | Omit<TrainState, 'model'>): TrainState => ({
      ...record,
      epoch: s.epoch,
      batch: s.batch,
      iter: s.iter,
      rng: s.rng,
    });
    const trainer = new Trainer<AlignedBatch, Record<LossName, number>>(
      {
        async trainStep(batch) {
          const A = toTensor(batch.A, batch.shapeA);
          const B = toTensor(batch.B, batch.shapeB);
          const lossT = tidy(() =>
            keep(model.trainStep(A, B, { split: o.split, noiseOnly: o.pix2pixNoise })),
          );
          try {
            return await readLosses(lossT);
          } finally {
            A.dispose();
            B.dispose();
            lossT.dispose();
          }
        },
        // One schedule over the groups of all four optimizers, each decaying from its own base rate
        // (D and D2 start at --lr_D when given).
        schedulers: [
          linearDecay(
            { paramGroups: model.optimizers().flatMap(([, opt]) => opt.paramGroups) },
            { niter: o.niter, niterDecay: o.niterDecay },
          ),
        ],
        progressLosses: ['G_L1', 'z_L1', 'D', 'D2'],
        sampleGrid: () => sampleGrid(model, gridA!, gridB!, o.displaySamples, o.seed + 1000),
        saveCheckpoint: (dir, tag, s) => saveCheckpoint(dir, tag, model, withCounters(s)),
        async loadCheckpoint(dir, tag) {
          const folder = checkpointDir(dir, tag);
          record = loadCheckpoint(folder, model);
          return { state: record, folder };
        },
      },
      {
        batchesPerEpoch: perEpoch,
        batches: (epoch, start) => dataset.batches(epoch, o.batchSize, { start, even: o.split }),
      },
      {
        outputDir: o.outputDir,
        epochs: o.niter + o.niterDecay,
        printFreq: o.printFreq,
        displayFreq: o.displayFreq,
        saveLatestFreq: o.saveLatestFreq,
        saveEpochFreq: o.saveEpochFreq,
        maxIters: o.maxIters,
        quiet: o.quiet,
        report: { title: `BicycleGAN: ${o.outputDir}` },
      },
    );
    if (o.continueFrom) {
      await trainer.resume(o.continueFrom);
    } else if (o.netEWeights) {
      if (!(model.E instanceof ResNet18Encoder)) throw new Error('--netE_weights needs --netE resnet18');
      const file = parse(new Uint8Array(readFileSync(o.netEWeights)), o.netEWeights);
      const skipped = model.E.loadTrunk(file.tensors);
      say(
        `E: loaded ResNet-18 trunk from ${o.netEWeights}${skipped.length ? ` (skipped ${skipped.join(', ')})` : ''}`,
      );
    }

    // Fixed images for the sample grids: the first of val when it exists, else of the training set.
    const gridSet = await AlignedDataset.open({
      dataroot: o.dataroot,
      phase: 'val',
      direction: o.direction,
      inputNc: o.model.inputNc as 1 | 3,
      outputNc: o.model.outputNc as 1 | 3,
      loadSize: o.cropSize,
      cropSize: o.cropSize,
      noFlip: true,
      workers: 0,
    }).catch(() => null);
    const shown = gridSet ?? dataset;
    const count = Math.min(o.displayCount, shown.length);
    const gridItems = await Promise.all(Array.from({ length: count }, (_, i) => shown.item(i, 0)));
    await gridSet?.close();
    const stackItems = (key: 'A' | 'B') => {
      const per = gridItems[0][key].length;
      const data = new Float32Array(per * count);
      gridItems.forEach((it, i) => data.set(it[key], i * per));
      const c = key === 'A' ? o.model.inputNc : o.model.outputNc;
      return keep(toTensor(data, [count, c, o.cropSize, o.cropSize]));
    };
    gridA = stackItems('A');
    gridB = stackItems('B');

    const { state, stopped } = await trainer.fit();
    return { model, state: withCounters(state), stopped };
  } finally {
    gridA?.dispose();
    gridB?.dispose();
    await dataset.close();
  }
}
