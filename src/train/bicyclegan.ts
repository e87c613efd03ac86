// The BicycleGAN training loop (Node side): data, epochs with the linear LR decay, JSONL loss log,
// progress bar, sample grids, checkpoints, resume, Ctrl-C and non-finite-loss handling.
// examples/edges2shoes.ts is its command line.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlignedDataset } from '../data/aligned.ts';
import { writeGridPNG } from '../data/files.ts';
import type { GridBatch } from '../data/grid.ts';
import { parse } from '../io/safetensors.ts';
import {
  BicycleGAN,
  type BicycleGANOptions,
  NonFiniteLossError,
  readLosses,
} from '../models/bicyclegan/model.ts';
import { ResNet18Encoder } from '../models/bicyclegan/resnet18.ts';
import { tensor } from '../ops/creation.ts';
import { getRngState, manualSeed, randn, setRngState } from '../ops/random.ts';
import { linearDecayFactor } from '../optim/schedule.ts';
import { keep, tidy } from '../scope.ts';
import type { Tensor } from '../tensor.ts';
import { checkpointDir, loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint.ts';
import { Progress } from './progress.ts';

export interface TrainOptions {
  model: BicycleGANOptions;
  dataroot: string;
  phase: string;
  direction: 'AtoB' | 'BtoA';
  loadSize: number;
  cropSize: number;
  preprocess: 'resize_and_crop' | 'crop' | 'none';
  noFlip: boolean;
  maxDatasetSize?: number;
  batchSize: number;
  /** false: both branches see the whole batch (the seed port's mode) instead of halves. */
  split: boolean;
  niter: number;
  niterDecay: number;
  printFreq: number;
  displayFreq: number;
  /** Images per sample grid, and random-z rows in it. */
  displayCount: number;
  displaySamples: number;
  saveLatestFreq: number;
  saveEpochFreq: number;
  seed: number;
  outputDir: string;
  /** Resume from a checkpoint tag ('latest' or an epoch number) of outputDir. */
  continueFrom?: string;
  /** A torchvision ResNet-18 .safetensors file to start E from (netE resnet18). */
  netEWeights?: string;
  workers?: number;
  /** Stop after this many iterations of this run (tests, benchmarks); the state is saved as latest. */
  maxIters?: number;
  quiet?: boolean;
}

export interface TrainResult {
  model: BicycleGAN;
  state: TrainState;
  stopped: 'done' | 'interrupted' | 'max-iters';
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

export async function trainBicycleGAN(o: TrainOptions): Promise<TrainResult> {
  mkdirSync(o.outputDir, { recursive: true });
  const ckptDir = join(o.outputDir, 'checkpoints');
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
  });
  try {
    if (dataset.length < o.batchSize) {
      throw new Error(
        `${o.dataroot}/${o.phase} has ${dataset.length} images, fewer than --batch_size ${o.batchSize}`,
      );
    }
    manualSeed(o.seed);
    const model = await BicycleGAN.create(o.model, o.seed);
    let state: TrainState = {
      epoch: 1,
      batch: 0,
      iter: 0,
      rng: getRngState(),
      model: o.model,
      train: { ...o, model: undefined },
    };
    if (o.continueFrom) {
      const folder = checkpointDir(ckptDir, o.continueFrom);
      state = loadCheckpoint(folder, model);
      setRngState(state.rng);
      say(`resumed from ${folder}: epoch ${state.epoch}, batch ${state.batch}, iteration ${state.iter}`);
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
    const gridA = stackItems('A');
    const gridB = stackItems('B');

    const epochs = o.niter + o.niterDecay;
    const perEpoch = dataset.numBatches(o.batchSize);
    const remaining = (epochs - state.epoch + 1) * perEpoch - state.batch;
    const progress = new Progress(
      Math.max(1, Math.min(remaining, o.maxIters ?? Infinity)),
      o.printFreq,
      o.quiet ? devNull : process.stderr,
    );
    const logPath = join(o.outputDir, 'loss_log.jsonl');
    let stop: TrainResult['stopped'] | null = null;
    const onSigint = () => {
      if (stop === 'interrupted') process.exit(130);
      stop = 'interrupted';
      progress.log('interrupt: finishing this iteration, then saving latest (Ctrl-C again to quit now)');
    };
    process.on('SIGINT', onSigint);
    const snapshot = (epoch: number, batch: number): TrainState => ({
      ...state,
      epoch,
      batch,
      rng: getRngState(),
    });
    let ran = 0;
    try {
      for (let epoch = state.epoch; epoch <= epochs && !stop; epoch++) {
        const lr = o.model.lr * linearDecayFactor(epoch - 1, { niter: o.niter, niterDecay: o.niterDecay });
        model.setLr(lr);
        const start = epoch === state.epoch ? state.batch : 0;
        for await (const batch of dataset.batches(epoch, o.batchSize, { start, even: o.split })) {
          const t0 = performance.now();
          const A = toTensor(batch.A, batch.shapeA);
          const B = toTensor(batch.B, batch.shapeB);
          const lossT = tidy(() => keep(model.trainStep(A, B, { split: o.split })));
          let losses: Awaited<ReturnType<typeof readLosses>>;
          try {
            losses = await readLosses(lossT);
          } finally {
            A.dispose();
            B.dispose();
            lossT.dispose();
          }
          ran++;
          state = { ...state, epoch, batch: batch.batchIndex + 1, iter: state.iter + 1 };
          appendFileSync(
            logPath,
            `${JSON.stringify({ epoch, batch: batch.batchIndex, iter: state.iter, lr, ms: Math.round(performance.now() - t0), ...losses })}\n`,
          );
          progress.tick({
            epoch,
            epochs,
            step: batch.batchIndex + 1,
            steps: perEpoch,
            iter: state.iter,
            losses: { G_L1: losses.G_L1, z_L1: losses.z_L1, D: losses.D, D2: losses.D2 },
          });
          if (o.displayFreq > 0 && state.iter % o.displayFreq === 0) {
            const path = join(o.outputDir, 'samples', `iter_${String(state.iter).padStart(7, '0')}.png`);
            mkdirSync(join(o.outputDir, 'samples'), { recursive: true });
            await writeGridPNG(path, await sampleGrid(model, gridA, gridB, o.displaySamples, o.seed + 1000));
          }
          if (o.saveLatestFreq > 0 && state.iter % o.saveLatestFreq === 0)
            await saveCheckpoint(ckptDir, 'latest', model, snapshot(epoch, state.batch));
          if (o.maxIters !== undefined && ran >= o.maxIters) stop = 'max-iters';
          if (stop) break;
        }
        if (!stop) {
          state = { ...state, epoch: epoch + 1, batch: 0 };
          if (o.saveEpochFreq > 0 && epoch % o.saveEpochFreq === 0)
            await saveCheckpoint(ckptDir, String(epoch), model, snapshot(epoch + 1, 0));
          await saveCheckpoint(ckptDir, 'latest', model, snapshot(epoch + 1, 0));
        }
      }
      if (stop) await saveCheckpoint(ckptDir, 'latest', model, snapshot(state.epoch, state.batch));
      state = snapshot(state.epoch, state.batch);
      const path = join(o.outputDir, 'samples', 'final.png');
      mkdirSync(join(o.outputDir, 'samples'), { recursive: true });
      await writeGridPNG(path, await sampleGrid(model, gridA, gridB, o.displaySamples, o.seed + 1000));
    } catch (e) {
      if (e instanceof NonFiniteLossError) {
        progress.log(
          `error: ${e.message}. The last good checkpoint is ${ckptDir}/latest (if one was saved).`,
        );
      }
      throw e;
    } finally {
      process.off('SIGINT', onSigint);
      progress.end();
      gridA.dispose();
      gridB.dispose();
    }
    return { model, state, stopped: stop ?? 'done' };
  } finally {
    await dataset.close();
  }
}

const devNull = { write: () => true, isTTY: false, columns: 0 } as unknown as NodeJS.WriteStream;
