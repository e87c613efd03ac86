// pix2pix (Isola et al. 2017) on the library's public API and its Trainer: a U-Net generator maps an
// image A to an image B, a PatchGAN discriminator judges (A, B) pairs patch by patch, and G minimises
// the GAN loss plus 100 x L1(G(A), B). It is BicycleGAN's nz = 0 case: the same U-Net without a latent
// code, so one A gives one B.
//
// Data: the project's procedural aligned set (outline -> filled shape), generated once into
// data/synthetic-64-pix2pix-m1 with one fill per outline (--modes 1, the default; with --modes 4 every
// outline has four right answers and pix2pix, having no z, can only pick or blend them).
// The defaults take about 5 minutes on the shared 2-core CPU driver (~2 it/s).
//   bash scripts/run.sh examples/pix2pix.ts [--iters 600] [--batch 4] [--ngf 8] [--modes 1] [--out runs/pix2pix]
//   bash scripts/run.sh examples/pix2pix.ts --help        (every option; --continue_train resumes)
// Writes runs/pix2pix/: loss_log.jsonl, samples/final.png (rows: A, real B, G(A)), checkpoints/latest.
import { join } from 'node:path';
import { hideBin } from 'yargs/helpers';
import { Adam, concat, init, keep, nn, optim, stack, type Tensor, tensor, tidy } from '../src/index.ts';
import { PatchDiscriminator, UnetGenerator } from '../src/models/index.ts';
import {
  type AlignedBatch,
  AlignedDataset,
  checkpointable,
  type DataSource,
  ensureSyntheticDataset,
  loadModelCheckpoint,
  MODES,
  type OptionTable,
  parseOptions,
  saveModelCheckpoint,
  Trainer,
  type TrainerModule,
  type TrainerState,
} from '../src/node.ts';

const OPTIONS = {
  iters: {
    type: 'int',
    min: 1,
    default: 600,
    describe: 'training iterations in all (a resumed run does the rest)',
  },
  batch: { type: 'int', min: 1, default: 4, describe: 'image pairs per batch' },
  ngf: { type: 'int', min: 1, default: 8, describe: "the networks' base width (channels)" },
  lr: { type: 'number', above: 0, default: 0.001, describe: 'Adam learning rate of G and D' },
  modes: {
    type: 'int',
    min: 1,
    max: MODES.length,
    default: 1,
    describe: 'fills per outline in the data set',
  },
  out: { type: 'string', default: 'runs/pix2pix', describe: 'run folder' },
  continue_train: {
    type: 'boolean',
    default: false,
    describe: "resume from the run folder's latest checkpoint",
  },
} as const satisfies OptionTable;
const args = await parseOptions(hideBin(process.argv), OPTIONS, {
  scriptName: 'pix2pix',
  usage: "$0 [options]\n\npix2pix on the project's synthetic outline -> filled shape pairs.",
}).catch((e: Error) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
const { iters, batch: batchSize, ngf: width } = args;
const lambdaL1 = 100;

await init();
const dataroot = `data/synthetic-64-pix2pix-m${args.modes}`;
await ensureSyntheticDataset(dataroot, { size: 64, train: 400, val: 8, modes: args.modes, seed: 0 });
const open = (phase: string) =>
  AlignedDataset.open({ dataroot, phase, loadSize: 64, cropSize: 64, noFlip: phase !== 'train', seed: 0 });
const train = await open('train');
const val = await open('val');

// G: U-Net 64 -> 1 -> 64 (6 down-samplings), no z. D: a 70x70-style PatchGAN on A and B stacked.
const G = new UnetGenerator({ inputNc: 3, outputNc: 3, nz: 0, numDowns: 6, ngf: width, whereAdd: 'input' });
const D = new PatchDiscriminator({ inputNc: 6, ndf: width, nLayers: 2 });
await nn.initWeights(G, 'normal', 0.02, 1);
await nn.initWeights(D, 'normal', 0.02, 2);
const adam = { lr: args.lr, betas: [0.5, 0.999] as [number, number] };
const optG = new Adam(G.namedParameters(), adam);
const optD = new Adam(D.namedParameters(), adam);
const parts = checkpointable({ G, D }, { G: optG, D: optD });

const batchesPerEpoch = train.numBatches(batchSize);
const epochs = Math.ceil(iters / batchesPerEpoch);
const data: DataSource<AlignedBatch> = {
  batchesPerEpoch,
  batches: (epoch, start) => train.batches(epoch, batchSize, { start }),
};

// The first val images, fixed for every sample grid.
const shown = await Promise.all(Array.from({ length: val.length }, (_, i) => val.item(i)));
const stackImages = (key: 'A' | 'B'): Tensor => {
  const per = shown[0][key].length;
  const all = new Float32Array(per * shown.length);
  shown.forEach((item, i) => all.set(item[key], i * per));
  return keep(tensor(all, [shown.length, 3, 64, 64]));
};
const [valA, valB] = [stackImages('A'), stackImages('B')];

const pix2pix: TrainerModule<AlignedBatch, { G_GAN: number; G_L1: number; D: number }> = {
  async trainStep(batch) {
    const losses = tidy(() => {
      const A = tensor(batch.A, batch.shapeA);
      const B = tensor(batch.B, batch.shapeB);
      const fake = G.call(A);
      // D: real pairs -> 1, fake pairs -> 0 (the fake detached: this step does not reach G).
      optD.zeroGrad();
      const lossD = nn
        .ganLoss(D.call(concat([A, B], 1)), true, 'lsgan')
        .add(nn.ganLoss(D.call(concat([A, fake.detach()], 1)), false, 'lsgan'))
        .mul(0.5);
      lossD.backward();
      optD.step();
      // G: fool D, and stay close to B.
      optG.zeroGrad();
      const lossGAN = nn.ganLoss(D.call(concat([A, fake], 1)), true, 'lsgan');
      const lossL1 = nn.l1Loss(fake, B);
      lossGAN.add(lossL1.mul(lambdaL1)).backward();
      optG.step();
      return keep(stack([lossGAN.detach(), lossL1.detach(), lossD.detach()]));
    });
    const [gan, l1, d] = await losses.data();
    losses.dispose();
    return { G_GAN: gan, G_L1: l1, D: d };
  },
  // Constant for the first half of the epochs, then linearly to 0 (pix2pix's lambda_rule).
  schedulers: [optG, optD].map((o) =>
    optim.linearDecay(o, { niter: Math.ceil(epochs / 2), niterDecay: epochs - Math.ceil(epochs / 2) }),
  ),
  async sampleGrid() {
    G.eval();
    const fake = tidy(() => G.call(valA));
    G.train();
    const rows = [valA, valB, fake].map(async (t) => ({ data: await t.data(), shape: t.shape }));
    const grid = await Promise.all(rows);
    fake.dispose();
    return grid;
  },
  // G, D, their Adam states and the Trainer's counters in one folder, swapped in whole.
  saveCheckpoint: (dir, tag, state) => saveModelCheckpoint(dir, tag, parts, state),
  loadCheckpoint: async (dir, tag) => loadModelCheckpoint<TrainerState>(dir, tag, parts),
};

const t0 = Date.now();
const trainer = new Trainer(pix2pix, data, {
  outputDir: args.out,
  epochs,
  // --iters counts the whole run: a resumed one does what is left.
  untilIter: iters,
  printFreq: 50,
  resume: args.continueTrain ? 'latest' : undefined,
});
const { stopped, state, ran } = await trainer.fit();
await Promise.all([train.close(), val.close()]);
console.log(
  ran === 0
    ? `nothing to do: ${args.out} is at iteration ${state.iter} of ${iters}`
    : `${stopped} after ${state.iter} iterations in ${((Date.now() - t0) / 1000).toFixed(0)} s; ` +
        `samples in ${join(args.out, 'samples', 'final.png')}`,
);
