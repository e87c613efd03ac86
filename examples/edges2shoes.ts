// Train BicycleGAN. With --dataroot, on an aligned pix2pix data set (edges2shoes: A|B 512x256 JPEGs)
// with the reference's edges2shoes recipe; without it, on a procedural multimodal data set generated
// once into data/synthetic-64 (outlines -> one of four colour/texture fills), small enough to show
// learning within minutes on a CPU. Options are the official code's (snake_case); a JSON file given
// with --config supplies any of them; the command line wins.
//   npx tsx examples/edges2shoes.ts --help
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ensureSyntheticDataset } from '../src/data/synthetic-files.ts';
import { init } from '../src/index.ts';
import { DEFAULT_OPTIONS } from '../src/models/bicyclegan/model.ts';
import { NET_D, NET_E, NET_G } from '../src/models/bicyclegan/networks.ts';
import { type TrainOptions, trainBicycleGAN } from '../src/train/bicyclegan.ts';

const SYNTHETIC_ROOT = 'data/synthetic-64';

/**
 * The reference's train_edges2shoes.sh recipe, used when a real data set is given. The networks
 * (unet_256, resnet_256, basic_256_multi, width 64) are DEFAULT_OPTIONS' own.
 */
const RECIPE: Record<string, unknown> = {
  input_nc: 1,
  load_size: 256,
  crop_size: 256,
  no_flip: true,
  use_dropout: true,
  niter: 30,
  niter_decay: 30,
  display_freq: 400,
  print_freq: 100,
  save_latest_freq: 10000,
  save_epoch_freq: 5,
};

/** Small networks on the 64x64 synthetic set: about 12 minutes on a 2-core CPU. */
const EMBEDDED: Record<string, unknown> = {
  input_nc: 1,
  load_size: 64,
  crop_size: 64,
  no_flip: false,
  use_dropout: false,
  netG: 'unet_64',
  netE: 'resnet_64',
  netD: 'basic_64_multi',
  netD2: 'basic_64_multi',
  ngf: 8,
  nef: 8,
  ndf: 8,
  // Tiny networks learn this task within minutes at 5x the reference's learning rate.
  lr: 0.001,
  niter: 3,
  niter_decay: 2,
  display_freq: 50,
  print_freq: 10,
  save_latest_freq: 100,
  save_epoch_freq: 1,
};

const parser = yargs(hideBin(process.argv))
  .scriptName('edges2shoes')
  .usage(
    '$0 [options]\n\nTrain BicycleGAN on an aligned A|B data set, or on the embedded synthetic set when no --dataroot is given.',
  )
  .option('config', { type: 'string', describe: 'JSON file of options (snake_case keys as below)' })
  .option('dataroot', {
    type: 'string',
    describe: 'data set folder with train/ (and val/) of A|B images; omit for the synthetic set',
  })
  .option('name', { type: 'string', describe: 'run name: outputs go to <checkpoints_dir>/<name>' })
  .option('checkpoints_dir', { type: 'string', describe: 'where runs are written', default: 'runs' })
  .option('phase', { type: 'string', describe: 'sub-folder of dataroot to train on' })
  .option('direction', { choices: ['AtoB', 'BtoA'] as const, describe: 'AtoB: left half is the input' })
  .option('input_nc', { type: 'number', describe: 'input channels (1 = grayscale edges)' })
  .option('output_nc', { type: 'number', describe: 'output channels' })
  .option('load_size', { type: 'number', describe: 'resize to this size' })
  .option('crop_size', { type: 'number', describe: 'then random-crop to this size (the network size)' })
  .option('preprocess', { choices: ['resize_and_crop', 'crop', 'none'] as const })
  .option('no_flip', { type: 'boolean', describe: 'no random horizontal flip' })
  .option('max_dataset_size', { type: 'number', describe: 'use at most this many training images' })
  .option('batch_size', {
    type: 'number',
    describe: 'images per iteration (even: halves feed cVAE-GAN and cLR-GAN)',
  })
  .option('no_split', {
    type: 'boolean',
    describe: 'both branches see the whole batch (the seed port) instead of halves',
  })
  .option('nz', { type: 'number', describe: 'latent code size' })
  .option('netG', { choices: NET_G, describe: 'generator' })
  .option('netE', { choices: NET_E, describe: 'encoder' })
  .option('netD', { choices: NET_D, describe: 'discriminator of the cVAE-GAN branch' })
  .option('netD2', { choices: NET_D, describe: 'discriminator of the cLR-GAN branch' })
  .option('netE_weights', {
    type: 'string',
    describe: 'torchvision ResNet-18 .safetensors to start E from (netE resnet18)',
  })
  .option('ngf', { type: 'number', describe: 'generator width' })
  .option('nef', { type: 'number', describe: 'encoder width' })
  .option('ndf', { type: 'number', describe: 'discriminator width' })
  .option('norm', { choices: ['instance', 'batch', 'none'] as const })
  .option('nl', { choices: ['relu', 'lrelu'] as const, describe: 'non-linearity of the generator up path' })
  .option('use_dropout', { type: 'boolean', describe: 'dropout 0.5 in the generator' })
  .option('where_add', {
    choices: ['input', 'all'] as const,
    describe: 'inject z at the input or into every down block',
  })
  .option('upsample', { choices: ['basic', 'bilinear'] as const })
  .option('num_Ds', { type: 'number', describe: 'discriminator scales' })
  .option('conditional_D', { type: 'boolean', describe: 'D sees cat(A, B)' })
  .option('use_same_D', { type: 'boolean', describe: 'one D for both branches' })
  .option('gan_mode', { choices: ['lsgan', 'vanilla'] as const })
  .option('init_type', { choices: ['normal', 'xavier', 'kaiming', 'orthogonal'] as const })
  .option('init_gain', { type: 'number' })
  .option('lambda_L1', { type: 'number', describe: 'weight of |G(A, E(B)) - B|' })
  .option('lambda_GAN', { type: 'number', describe: 'weight of the cVAE-GAN adversarial loss' })
  .option('lambda_GAN2', { type: 'number', describe: 'weight of the cLR-GAN adversarial loss' })
  .option('lambda_z', { type: 'number', describe: 'weight of |E(G(A, z)) - z|' })
  .option('lambda_kl', { type: 'number', describe: 'weight of the KL term' })
  .option('lr', { type: 'number', describe: 'initial Adam learning rate' })
  .option('beta1', { type: 'number', describe: 'Adam beta1' })
  .option('niter', { type: 'number', describe: 'epochs at the initial learning rate' })
  .option('niter_decay', { type: 'number', describe: 'epochs of linear decay to 0' })
  .option('print_freq', {
    type: 'number',
    describe: 'progress lines every N iterations when not on a terminal',
  })
  .option('display_freq', { type: 'number', describe: 'sample grid every N iterations (0: never)' })
  .option('display_count', { type: 'number', describe: 'inputs per sample grid', default: 4 })
  .option('display_samples', { type: 'number', describe: 'random-z rows per sample grid', default: 4 })
  .option('save_latest_freq', { type: 'number', describe: 'save latest every N iterations' })
  .option('save_epoch_freq', { type: 'number', describe: 'save a checkpoint every N epochs' })
  .option('continue_train', { type: 'boolean', describe: 'resume from a checkpoint of this run' })
  .option('epoch', {
    type: 'string',
    describe: 'which checkpoint to resume: latest or an epoch number',
    default: 'latest',
  })
  .option('seed', { type: 'number', describe: 'random seed (weights, data order, z)' })
  .option('max_iters', { type: 'number', describe: 'stop after N iterations (saving latest)' })
  .option('verbose', { type: 'boolean', describe: 'print the WebGPU adapter' })
  .strict()
  .help();

const cli = await parser.parse();
const fromFile = cli.config ? JSON.parse(readFileSync(cli.config, 'utf8')) : {};
const given = Object.fromEntries(
  Object.entries(cli).filter(([k, v]) => v !== undefined && !k.includes('-') && k !== '_' && k !== '$0'),
);
const dataroot: string | undefined = (given.dataroot as string | undefined) ?? fromFile.dataroot;
// biome-ignore lint/suspicious/noExplicitAny: options merged from the recipe, a JSON file and yargs (which checked the choices)
const a: Record<string, any> = { ...(dataroot ? RECIPE : EMBEDDED), ...fromFile, ...given };

await init({ verbose: a.verbose ?? true });
let root = dataroot;
if (!root) {
  root = SYNTHETIC_ROOT;
  const m = await ensureSyntheticDataset(root, { size: 64, train: 400, val: 16, modes: 4, seed: 0 });
  console.log(`no --dataroot: using the synthetic set ${root} (${m.modeNames.join(', ')})`);
}

const d = DEFAULT_OPTIONS;
const opts: TrainOptions = {
  model: {
    ...d,
    inputNc: a.input_nc ?? d.inputNc,
    outputNc: a.output_nc ?? d.outputNc,
    nz: a.nz ?? d.nz,
    netG: a.netG ?? d.netG,
    netE: a.netE ?? d.netE,
    netD: a.netD ?? d.netD,
    netD2: a.netD2 ?? d.netD2,
    ngf: a.ngf ?? d.ngf,
    nef: a.nef ?? d.nef,
    ndf: a.ndf ?? d.ndf,
    norm: a.norm ?? d.norm,
    nl: a.nl ?? d.nl,
    useDropout: a.use_dropout ?? d.useDropout,
    whereAdd: a.where_add ?? d.whereAdd,
    upsample: a.upsample ?? d.upsample,
    numDs: a.num_Ds ?? d.numDs,
    conditionalD: a.conditional_D ?? d.conditionalD,
    useSameD: a.use_same_D ?? d.useSameD,
    ganMode: a.gan_mode ?? d.ganMode,
    initType: a.init_type ?? d.initType,
    initGain: a.init_gain ?? d.initGain,
    lambdaL1: a.lambda_L1 ?? d.lambdaL1,
    lambdaGAN: a.lambda_GAN ?? d.lambdaGAN,
    lambdaGAN2: a.lambda_GAN2 ?? d.lambdaGAN2,
    lambdaZ: a.lambda_z ?? d.lambdaZ,
    lambdaKL: a.lambda_kl ?? d.lambdaKL,
    lr: a.lr ?? d.lr,
    beta1: a.beta1 ?? d.beta1,
  },
  dataroot: root,
  phase: a.phase ?? 'train',
  direction: a.direction ?? 'AtoB',
  loadSize: a.load_size,
  cropSize: a.crop_size,
  preprocess: a.preprocess ?? 'resize_and_crop',
  noFlip: a.no_flip ?? false,
  maxDatasetSize: a.max_dataset_size,
  batchSize: a.batch_size ?? 2,
  split: !(a.no_split ?? false),
  niter: a.niter,
  niterDecay: a.niter_decay,
  printFreq: a.print_freq,
  displayFreq: a.display_freq,
  displayCount: a.display_count,
  displaySamples: a.display_samples,
  saveLatestFreq: a.save_latest_freq,
  saveEpochFreq: a.save_epoch_freq,
  seed: a.seed ?? 0,
  outputDir: `${a.checkpoints_dir}/${a.name ?? (dataroot ? 'edges2shoes' : 'synthetic')}`,
  continueFrom: a.continue_train ? a.epoch : undefined,
  netEWeights: a.netE_weights,
  maxIters: a.max_iters,
};

try {
  const r = await trainBicycleGAN(opts);
  console.log(`${r.stopped}: ${r.state.iter} iterations; checkpoints and samples in ${opts.outputDir}`);
  process.exit(r.stopped === 'interrupted' ? 130 : 0);
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
