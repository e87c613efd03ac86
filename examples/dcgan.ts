// DCGAN (Radford et al. 2016) on the library's public API and its Trainer: G turns a noise vector into a
// 32x32 image through transposed convolutions, D tells real images from G's with strided convolutions
// (batch norm in both, LeakyReLU in D, the non-saturating BCE losses).
//
// Data: 32x32 images the project draws itself, held in memory: the filled shapes of its procedural set
// (src/data/synthetic.ts: shoe profiles, ellipses, stars and polygons at random positions, sizes and
// angles; --modes 1 fills them red, 2 adds blue stripes, up to 4 patterns).
//   bash scripts/run.sh examples/dcgan.ts [--iters 400] [--batch 32] [--width 16] [--out runs/dcgan]
//   bash scripts/run.sh examples/dcgan.ts --help          (every option; --continue_train resumes)
// The defaults take about 6 minutes on the shared 2-core CPU driver (~1 it/s).
// Writes runs/dcgan/: loss_log.jsonl, samples/final.png (first row: real images; then one row per
// batch of fixed noise vectors), checkpoints/latest.
import { join } from 'node:path';
import { hideBin } from 'yargs/helpers';
import { type GridBatch, mulberry32, permutation, syntheticSample, toCHW } from '../src/data/index.ts';
import { Adam, init, keep, nn, randn, stack, type Tensor, tensor, tidy } from '../src/index.ts';
import {
  checkpointable,
  type DataSource,
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
    default: 400,
    describe: 'training iterations in all (a resumed run does the rest)',
  },
  batch: { type: 'int', min: 1, default: 32, describe: 'images per batch' },
  width: { type: 'int', min: 1, default: 16, describe: "the networks' base width (channels)" },
  nz: { type: 'int', min: 1, default: 32, describe: 'length of the noise vector z' },
  lr: { type: 'number', above: 0, default: 0.0005, describe: 'Adam learning rate of G and D' },
  modes: { type: 'int', min: 1, max: MODES.length, default: 2, describe: 'fill patterns of the images' },
  images: { type: 'int', min: 1, default: 1024, describe: 'images in the data set' },
  out: { type: 'string', default: 'runs/dcgan', describe: 'run folder' },
  continue_train: {
    type: 'boolean',
    default: false,
    describe: "resume from the run folder's latest checkpoint",
  },
} as const satisfies OptionTable;
const args = await parseOptions(hideBin(process.argv), OPTIONS, {
  scriptName: 'dcgan',
  usage: '$0 [options]\n\nDCGAN on 32x32 images of filled shapes the project draws itself.',
}).catch((e: Error) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
const { iters, batch: batchSize, width: w, nz } = args;
const S = 32;
if (args.images < batchSize) {
  console.error(`error: --images (${args.images}) must be at least --batch (${batchSize})`);
  process.exit(1);
}

await init();

// The data set: `images` drawn filled shapes, as one NCHW float32 array in [-1, 1].
const count = args.images;
const images = new Float32Array(count * 3 * S * S);
for (let i = 0; i < count; i++) {
  toCHW(syntheticSample('train', i, { size: S, modes: args.modes }).B, images, i * 3 * S * S);
}
const batchesPerEpoch = Math.floor(count / batchSize);
const data: DataSource<Float32Array> = {
  batchesPerEpoch,
  // The order of an epoch depends only on the epoch, so a resumed run sees the same batches.
  async *batches(epoch, start) {
    const order = permutation(count, mulberry32(epoch));
    for (let b = start; b < batchesPerEpoch; b++) {
      const batch = new Float32Array(batchSize * 3 * S * S);
      for (let k = 0; k < batchSize; k++) {
        const i = order[b * batchSize + k];
        batch.set(images.subarray(i * 3 * S * S, (i + 1) * 3 * S * S), k * 3 * S * S);
      }
      yield batch;
    }
  },
};

// G: z [N, nz, 1, 1] -> 4x4 -> 8x8 -> 16x16 -> 32x32 RGB in [-1, 1].
const up = (cin: number, cout: number) => [
  new nn.ConvTranspose2d(cin, cout, 4, { stride: 2, padding: 1, bias: false }),
  new nn.BatchNorm2d(cout),
  new nn.ReLU(),
];
const G = new nn.Sequential(
  new nn.ConvTranspose2d(nz, w * 4, 4, { stride: 1, padding: 0, bias: false }),
  new nn.BatchNorm2d(w * 4),
  new nn.ReLU(),
  ...up(w * 4, w * 2),
  ...up(w * 2, w),
  new nn.ConvTranspose2d(w, 3, 4, { stride: 2, padding: 1, bias: false }),
  new nn.Tanh(),
);
// D: 32x32 -> 16x16 -> 8x8 -> 4x4 -> one logit per image.
const D = new nn.Sequential(
  new nn.Conv2d(3, w, 4, { stride: 2, padding: 1, bias: false }),
  new nn.LeakyReLU(0.2),
  new nn.Conv2d(w, w * 2, 4, { stride: 2, padding: 1, bias: false }),
  new nn.BatchNorm2d(w * 2),
  new nn.LeakyReLU(0.2),
  new nn.Conv2d(w * 2, w * 4, 4, { stride: 2, padding: 1, bias: false }),
  new nn.BatchNorm2d(w * 4),
  new nn.LeakyReLU(0.2),
  new nn.Conv2d(w * 4, 1, 4, { stride: 1, padding: 0, bias: false }),
);
// DCGAN's init: conv weights N(0, 0.02), batch-norm weights N(1, 0.02) and biases 0.
await nn.initWeights(G, 'normal', 0.02, 1);
await nn.initWeights(D, 'normal', 0.02, 2);
const adam = { lr: args.lr, betas: [0.5, 0.999] as [number, number] };
const optG = new Adam(G.namedParameters(), adam);
const optD = new Adam(D.namedParameters(), adam);
const epochs = Math.ceil(iters / batchesPerEpoch);

// Fixed noise for the sample grids: 6 rows of 8 images.
const gridZ: Tensor[] = Array.from({ length: 6 }, (_, r) => keep(randn([8, nz, 1, 1], { seed: 1000 + r })));
const realRow: GridBatch = { data: images.slice(0, 8 * 3 * S * S), shape: [8, 3, S, S] };

let step = 0;
const parts = checkpointable({ G, D }, { G: optG, D: optD });
const dcgan: TrainerModule<Float32Array, { D: number; G: number; 'D(x)': number; 'D(G(z))': number }> = {
  async trainStep(real) {
    step++;
    const losses = tidy(() => {
      const x = tensor(real, [batchSize, 3, S, S]);
      const fake = G.call(randn([batchSize, nz, 1, 1], { seed: 7919 * step }));
      // D: real -> 1, fake -> 0.
      optD.zeroGrad();
      const dReal = D.call(x);
      const dFake = D.call(fake.detach());
      const lossD = nn.bceWithLogitsLoss(dReal, 1).add(nn.bceWithLogitsLoss(dFake, 0));
      lossD.backward();
      optD.step();
      // G: make D say 1 on the fakes (the non-saturating loss).
      optG.zeroGrad();
      const lossG = nn.bceWithLogitsLoss(D.call(fake), 1);
      lossG.backward();
      optG.step();
      return keep(
        stack([lossD.detach(), lossG.detach(), dReal.detach().sigmoid().mean(), dFake.sigmoid().mean()]),
      );
    });
    const [d, g, px, pgz] = await losses.data();
    losses.dispose();
    return { D: d, G: g, 'D(x)': px, 'D(G(z))': pgz };
  },
  progressLosses: ['D', 'G'],
  async sampleGrid() {
    G.eval(); // batch norm on its running statistics
    const rows = gridZ.map((z) => tidy(() => G.call(z)));
    G.train();
    const grid = [realRow];
    for (const r of rows) {
      grid.push({ data: await r.data(), shape: r.shape });
      r.dispose();
    }
    return grid;
  },
  // G, D, their Adam states and the Trainer's counters (plus the noise step) in one folder, swapped
  // in whole (a kill mid-save leaves the previous checkpoint).
  saveCheckpoint: (dir, tag, state) => saveModelCheckpoint(dir, tag, parts, { ...state, step }),
  async loadCheckpoint(dir, tag) {
    const { state, folder } = loadModelCheckpoint<TrainerState & { step: number }>(dir, tag, parts);
    step = state.step;
    return { state, folder };
  },
};

const t0 = Date.now();
const trainer = new Trainer(dcgan, data, {
  outputDir: args.out,
  epochs,
  // --iters counts the whole run: a resumed one does what is left.
  untilIter: iters,
  printFreq: 50,
  resume: args.continueTrain ? 'latest' : undefined,
});
const { stopped, state, ran } = await trainer.fit();
console.log(
  ran === 0
    ? `nothing to do: ${args.out} is at iteration ${state.iter} of ${iters}`
    : `${stopped} after ${state.iter} iterations in ${((Date.now() - t0) / 1000).toFixed(0)} s; ` +
        `samples in ${join(args.out, 'samples', 'final.png')}`,
);
