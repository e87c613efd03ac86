// BicycleGAN's training options, once: the official code's names (snake_case), types, ranges, defaults
// and help texts. examples/edges2shoes.ts builds its command line, --help and --config checks from this
// table, and TrainOptions (what trainBicycleGAN takes) is derived from it. The presets are partial
// option sets checked by the same table.
import { basename, resolve } from 'node:path';
import { type BicycleGANOptions, DEFAULT_OPTIONS as D } from '../models/bicyclegan/model.ts';
import { NET_D, NET_E, NET_G } from '../models/bicyclegan/networks.ts';
import {
  cliParser,
  cliValues,
  OptionError,
  type OptionsOf,
  type OptionTable,
  propName,
  readConfig,
  resolveOptions,
  type ValuesOf,
  validateValues,
} from './options.ts';

/** Options of the command itself (where outputs go, resuming, the config file). */
export const RUN_OPTIONS = {
  config: { type: 'string', describe: 'JSON file of options (snake_case keys as below)', group: 'Run' },
  preset: {
    type: 'string',
    choices: ['edges2shoes', 'synthetic'],
    describe:
      'a named recipe under the config file and the command line: edges2shoes (the reference train_edges2shoes.sh: grayscale A, 256x256, dropout, no flip, 30 + 30 epochs), synthetic (small 64x64 networks on the embedded set; the default without --dataroot). With --dataroot and no preset: the official defaults',
    group: 'Run',
  },
  name: {
    type: 'string',
    describe:
      'run name: outputs go to <checkpoints_dir>/<name> (default: the preset, else the dataroot folder name)',
    group: 'Run',
  },
  checkpoints_dir: { type: 'string', default: 'runs', describe: 'where runs are written', group: 'Run' },
  continue_train: {
    type: 'boolean',
    default: false,
    describe: 'resume from a checkpoint of this run',
    group: 'Run',
  },
  epoch: {
    type: 'string',
    default: 'latest',
    describe: 'which checkpoint to resume: latest or an epoch number',
    group: 'Run',
  },
  verbose: { type: 'boolean', default: true, describe: 'print the WebGPU adapter', group: 'Run' },
} as const satisfies OptionTable;

export const DATA_OPTIONS = {
  dataroot: {
    type: 'string',
    describe: 'data set folder with train/ (and val/) of A|B images; omit for the synthetic set',
    group: 'Data',
  },
  phase: { type: 'string', default: 'train', describe: 'sub-folder of dataroot to train on', group: 'Data' },
  direction: {
    type: 'string',
    choices: ['AtoB', 'BtoA'],
    default: 'AtoB',
    describe: 'AtoB: left half is the input',
    group: 'Data',
  },
  load_size: { type: 'int', default: 286, min: 1, describe: 'resize to this size', group: 'Data' },
  crop_size: {
    type: 'int',
    default: 256,
    min: 1,
    describe: 'then random-crop to this size (the network size)',
    group: 'Data',
  },
  preprocess: {
    type: 'string',
    choices: ['resize_and_crop', 'crop', 'none'],
    default: 'resize_and_crop',
    describe: 'how images reach crop_size',
    group: 'Data',
  },
  no_flip: { type: 'boolean', default: false, describe: 'no random horizontal flip', group: 'Data' },
  skip_bad_images: {
    type: 'boolean',
    default: false,
    describe:
      'leave out truncated or corrupt images (every file header is checked before training; without this option a bad file is an error)',
    group: 'Data',
  },
  max_dataset_size: {
    type: 'int',
    min: 1,
    describe: 'use at most this many training images',
    group: 'Data',
  },
} as const satisfies OptionTable;

/** The networks and losses: exactly BicycleGANOptions, defaults DEFAULT_OPTIONS. */
export const MODEL_OPTIONS = {
  input_nc: {
    type: 'int',
    choices: [1, 3],
    default: D.inputNc,
    describe: 'input channels (1 = grayscale edges)',
    group: 'Model',
  },
  output_nc: {
    type: 'int',
    choices: [1, 3],
    default: D.outputNc,
    describe: 'output channels',
    group: 'Model',
  },
  nz: { type: 'int', min: 1, default: D.nz, describe: 'latent code size', group: 'Model' },
  netG: { type: 'string', choices: NET_G, default: D.netG, describe: 'generator', group: 'Model' },
  netE: { type: 'string', choices: NET_E, default: D.netE, describe: 'encoder', group: 'Model' },
  netD: {
    type: 'string',
    choices: NET_D,
    default: D.netD,
    describe: 'discriminator of the cVAE-GAN branch',
    group: 'Model',
  },
  netD2: {
    type: 'string',
    choices: NET_D,
    default: D.netD2,
    describe: 'discriminator of the cLR-GAN branch',
    group: 'Model',
  },
  ngf: { type: 'int', min: 1, default: D.ngf, describe: 'generator width', group: 'Model' },
  nef: { type: 'int', min: 1, default: D.nef, describe: 'encoder width', group: 'Model' },
  ndf: { type: 'int', min: 1, default: D.ndf, describe: 'discriminator width', group: 'Model' },
  norm: {
    type: 'string',
    choices: ['instance', 'batch', 'none'],
    default: D.norm,
    describe: 'normalisation layers',
    group: 'Model',
  },
  norm_E: {
    type: 'string',
    choices: ['instance', 'batch', 'none'],
    describe: "the encoder's normalisation (default: --norm)",
    group: 'Model',
  },
  norm_D: {
    type: 'string',
    choices: ['instance', 'batch', 'none'],
    describe: "the discriminators' normalisation (default: --norm)",
    group: 'Model',
  },
  nl: {
    type: 'string',
    choices: ['relu', 'lrelu'],
    default: D.nl,
    describe: 'non-linearity of the generator up path',
    group: 'Model',
  },
  use_dropout: {
    type: 'boolean',
    default: D.useDropout,
    describe: 'dropout 0.5 in the generator',
    group: 'Model',
  },
  where_add: {
    type: 'string',
    choices: ['input', 'all'],
    default: D.whereAdd,
    describe: 'inject z at the input or into every down block',
    group: 'Model',
  },
  upsample: {
    type: 'string',
    choices: ['basic', 'bilinear'],
    default: D.upsample,
    describe: 'generator up-sampling',
    group: 'Model',
  },
  num_Ds: { type: 'int', min: 1, default: D.numDs, describe: 'discriminator scales', group: 'Model' },
  conditional_D: { type: 'boolean', default: D.conditionalD, describe: 'D sees cat(A, B)', group: 'Model' },
  use_same_D: { type: 'boolean', default: D.useSameD, describe: 'one D for both branches', group: 'Model' },
  gan_mode: {
    type: 'string',
    choices: ['lsgan', 'vanilla'],
    default: D.ganMode,
    describe: 'GAN loss',
    group: 'Model',
  },
  init_type: {
    type: 'string',
    choices: ['normal', 'xavier', 'kaiming', 'orthogonal'],
    default: D.initType,
    describe: 'weight initialisation',
    group: 'Model',
  },
  init_type_E: {
    type: 'string',
    choices: ['normal', 'xavier', 'kaiming', 'orthogonal'],
    describe: "the encoder's weight initialisation (default: --init_type)",
    group: 'Model',
  },
  init_type_D: {
    type: 'string',
    choices: ['normal', 'xavier', 'kaiming', 'orthogonal'],
    describe: "the discriminators' weight initialisation (default: --init_type)",
    group: 'Model',
  },
  init_gain: {
    type: 'number',
    min: 0,
    default: D.initGain,
    describe: 'scale of the initialisation',
    group: 'Model',
  },
  init_gain_D: {
    type: 'number',
    min: 0,
    describe: "the discriminators' init gain (default: --init_gain)",
    group: 'Model',
  },
  lambda_L1: {
    type: 'number',
    min: 0,
    default: D.lambdaL1,
    describe: 'weight of |G(A, E(B)) - B|',
    group: 'Model',
  },
  lambda_GAN: {
    type: 'number',
    min: 0,
    default: D.lambdaGAN,
    describe: 'weight of the cVAE-GAN adversarial loss',
    group: 'Model',
  },
  lambda_GAN2: {
    type: 'number',
    min: 0,
    default: D.lambdaGAN2,
    describe: 'weight of the cLR-GAN adversarial loss',
    group: 'Model',
  },
  lambda_z: {
    type: 'number',
    min: 0,
    default: D.lambdaZ,
    describe: 'weight of |E(G(A, z)) - z|',
    group: 'Model',
  },
  lambda_kl: {
    type: 'number',
    min: 0,
    default: D.lambdaKL,
    to: 'lambdaKL',
    describe: 'weight of the KL term',
    group: 'Model',
  },
  lr: { type: 'number', above: 0, default: D.lr, describe: 'initial Adam learning rate', group: 'Model' },
  lr_D: {
    type: 'number',
    above: 0,
    describe: "the discriminators' initial learning rate (default: --lr; decays with it)",
    group: 'Model',
  },
  beta1: { type: 'number', min: 0, max: 1, default: D.beta1, describe: 'Adam beta1', group: 'Model' },
} as const satisfies OptionTable;

export const TRAIN_OPTIONS = {
  batch_size: {
    type: 'int',
    min: 1,
    default: 2,
    describe: 'images per iteration (even: halves feed cVAE-GAN and cLR-GAN)',
    group: 'Training',
  },
  no_split: {
    type: 'boolean',
    default: false,
    to: 'split',
    invert: true,
    describe: 'both branches see the whole batch (the seed port) instead of halves',
    group: 'Training',
  },
  pix2pix_noise: {
    type: 'boolean',
    default: false,
    describe:
      "the paper's pix2pix+noise baseline: L1 and GAN on G(A, z) with z ~ N(0, I), no encoder (set lambda_kl, lambda_z and lambda_GAN2 to 0 with it)",
    group: 'Training',
  },
  niter: {
    type: 'int',
    min: 0,
    default: 100,
    describe: 'epochs at the initial learning rate',
    group: 'Training',
  },
  niter_decay: {
    type: 'int',
    min: 0,
    default: 100,
    describe: 'epochs of linear decay to 0',
    group: 'Training',
  },
  print_freq: {
    type: 'int',
    min: 1,
    default: 100,
    describe: 'progress lines every N iterations when not on a terminal',
    group: 'Training',
  },
  display_freq: {
    type: 'int',
    min: 0,
    default: 400,
    describe: 'sample grid every N iterations (0: never)',
    group: 'Training',
  },
  display_count: { type: 'int', min: 1, default: 4, describe: 'inputs per sample grid', group: 'Training' },
  display_samples: {
    type: 'int',
    min: 0,
    default: 4,
    describe: 'random-z rows per sample grid',
    group: 'Training',
  },
  save_latest_freq: {
    type: 'int',
    min: 0,
    default: 10000,
    describe: 'save latest every N iterations (0: only at epoch ends)',
    group: 'Training',
  },
  save_epoch_freq: {
    type: 'int',
    min: 0,
    default: 5,
    describe: 'save a checkpoint every N epochs (0: never)',
    group: 'Training',
  },
  seed: { type: 'int', default: 0, describe: 'random seed (weights, data order, z)', group: 'Training' },
  netE_weights: {
    type: 'string',
    describe: 'torchvision ResNet-18 .safetensors to start E from (netE resnet18)',
    group: 'Training',
  },
  max_iters: {
    type: 'int',
    min: 1,
    describe: 'stop after N iterations of this run (saving latest)',
    group: 'Training',
  },
} as const satisfies OptionTable;

/** Every option of examples/edges2shoes.ts, in --help order. */
export const OPTIONS = { ...RUN_OPTIONS, ...DATA_OPTIONS, ...MODEL_OPTIONS, ...TRAIN_OPTIONS } as const;
export type Preset = ValuesOf<typeof OPTIONS>;
/** The command line resolved: every option in camelCase. */
export type CliOptions = OptionsOf<typeof OPTIONS>;
export type ModelOptions = OptionsOf<typeof MODEL_OPTIONS>;

/** The model section gives every field of BicycleGANOptions (a type error here when one is missing). */
const MODEL_KEYS: Record<keyof BicycleGANOptions, true> = Object.fromEntries(
  Object.entries(MODEL_OPTIONS).map(([name, spec]) => [propName(name, spec), true]),
) as Record<keyof ModelOptions, true>;

/** What trainBicycleGAN takes: the data and training sections of the table, plus the model's options. */
export type TrainOptions = Omit<
  OptionsOf<typeof DATA_OPTIONS & typeof TRAIN_OPTIONS>,
  'dataroot' | 'skipBadImages' | 'pix2pixNoise'
> & {
  /** The pix2pix+noise baseline: the L1/GAN branch's z is random, E unused (default false). */
  pix2pixNoise?: boolean;
  /** Leave out images whose header check fails (default: they are an error, before training). */
  skipBadImages?: boolean;
  model: BicycleGANOptions;
  dataroot: string;
  /** Where loss_log.jsonl, samples/ and checkpoints/ go. */
  outputDir: string;
  /** Resume from a checkpoint tag ('latest' or an epoch number) of outputDir. */
  continueFrom?: string;
  /**
   * The model options the user set (command line, config file or a named preset). When resuming, the
   * others take the checkpoint's values, and a set one that differs from the checkpoint is refused
   * (resumeModelOptions). Default: all of them count as set.
   */
  givenModelOptions?: readonly (keyof BicycleGANOptions)[];
  /** Image decoding threads (0: on the main thread). */
  workers?: number;
  quiet?: boolean;
};

export const SYNTHETIC_ROOT = 'data/synthetic-64';

/**
 * `--preset edges2shoes`: the reference's scripts/train_edges2shoes.sh (input_nc 1, load and crop 256,
 * no_flip, use_dropout, niter 30 + niter_decay 30; the rest, such as unet_256, resnet_256,
 * basic_256_multi at width 64 and the frequencies, are the official defaults the table has anyway).
 */
export const RECIPE: Preset = {
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

/**
 * `--preset synthetic`, the default without --dataroot: small networks on the 64x64 synthetic set, 7
 * epochs of 200 iterations (2 at the full rate, 5 of decay), about 2 minutes on an idle 2-core CPU
 * (1400 iterations at ~11 it/s on an AVX-512 VM).
 */
export const EMBEDDED: Preset = {
  input_nc: 1,
  load_size: 64,
  crop_size: 64,
  no_flip: false,
  use_dropout: false,
  netG: 'unet_64',
  netE: 'resnet_64',
  netD: 'basic_64_multi',
  netD2: 'basic_64_multi',
  // G at width 16: at width 8 its fills stayed speckled and washed out (docs/RESULTS.md).
  ngf: 16,
  nef: 8,
  ndf: 8,
  // Tiny networks learn this task within minutes at 5x the reference's learning rate.
  lr: 0.001,
  // E without instance norm: on flat fills, instance norm leaves only the sign of each channel's
  // object/background contrast, so E(B) could not tell the modes apart (the encoded-z output kept B's
  // mode 23% of the time, chance level). Without a norm E needs a scale-keeping init: at xavier gain
  // 0.02 its signal dies within a few layers and E stays constant. With both, 100% (docs/RESULTS.md).
  norm_E: 'none',
  init_type_E: 'kaiming',
  // D without instance norm, for the same reason: with it D cannot see an image's absolute colours, so
  // G's random-z outputs drifted to tinted backgrounds and colours between the modes (docs/RESULTS.md).
  // D keeps the reference's xavier init: with Kaiming and no norm the GAN diverged.
  norm_D: 'none',
  // 3x the reference's KL weight: at 0.01 E's codes sit in tight clusters away from the origin, so
  // random z lands between them and decodes to colours between the fills; at 0.03 E's aggregate
  // posterior is close to N(0, I). A longer decay (2 + 5 epochs, the same 1400 iterations) makes G
  // render the mode it is given better. Two seeds each, against the previous preset (docs/RESULTS.md).
  lambda_kl: 0.03,
  niter: 2,
  niter_decay: 5,
  display_freq: 50,
  print_freq: 10,
  save_latest_freq: 100,
  save_epoch_freq: 1,
};

/** The named option presets: the edges2shoes recipe and the embedded synthetic demo. */
export const PRESETS = { edges2shoes: RECIPE, synthetic: EMBEDDED } as const satisfies Record<
  (typeof RUN_OPTIONS.preset.choices)[number],
  Preset
>;

/** The command-line name of a model option (`lambdaKL` -> `lambda_kl`). */
export function modelOptionName(key: keyof BicycleGANOptions): string {
  return Object.entries(MODEL_OPTIONS).find(([n, spec]) => propName(n, spec) === key)?.[0] ?? key;
}

/**
 * Options that only shape fresh weights: on resume the checkpoint's weights replace them, so a
 * difference is harmless and the saved value is kept silently.
 */
const INIT_ONLY: readonly (keyof BicycleGANOptions)[] = [
  'initType',
  'initTypeE',
  'initTypeD',
  'initGain',
  'initGainD',
];

/**
 * The model options of a resumed run: the checkpoint's `saved` values, except that an option the user
 * set (`given`) must equal the saved one; every difference is listed in one error (name, saved value,
 * given value) naming `where` (the checkpoint's state.json).
 */
export function resumeModelOptions(
  saved: BicycleGANOptions,
  wanted: BicycleGANOptions,
  given: readonly (keyof BicycleGANOptions)[] | undefined,
  where: string,
): BicycleGANOptions {
  const out = { ...wanted };
  const diffs: string[] = [];
  for (const key of Object.keys(D) as (keyof BicycleGANOptions)[]) {
    const set = (given ?? Object.keys(D)).includes(key) && !INIT_ONLY.includes(key);
    if (set && wanted[key] !== saved[key]) {
      diffs.push(
        `--${modelOptionName(key)}: the checkpoint has ${JSON.stringify(saved[key])}, given ${JSON.stringify(wanted[key])}`,
      );
    }
    (out as Record<string, unknown>)[key] = saved[key];
  }
  if (diffs.length) {
    throw new OptionError(
      `cannot resume from ${where}: ${diffs.length} option${diffs.length > 1 ? 's' : ''} of the networks or losses differ from the checkpoint's:\n  ${diffs.join('\n  ')}\n` +
        'Leave them out to resume with the saved values, or start a new run (another --name).',
    );
  }
  return out;
}

/** trainBicycleGAN's options from resolved command-line options (dataroot: the synthetic set if none). */
export function toTrainOptions(c: CliOptions, given?: readonly string[]): TrainOptions {
  const fromTable = Object.fromEntries(
    Object.keys(MODEL_KEYS).map((k) => [k, c[k as keyof ModelOptions]]),
  ) as ModelOptions;
  // DEFAULT_OPTIONS first: its key order is the one state.json has always recorded.
  const model: BicycleGANOptions = { ...D, ...fromTable };
  return {
    model,
    dataroot: c.dataroot ?? SYNTHETIC_ROOT,
    phase: c.phase,
    direction: c.direction,
    loadSize: c.loadSize,
    cropSize: c.cropSize,
    preprocess: c.preprocess,
    noFlip: c.noFlip,
    maxDatasetSize: c.maxDatasetSize,
    skipBadImages: c.skipBadImages,
    batchSize: c.batchSize,
    split: c.split,
    ...(c.pix2pixNoise ? { pix2pixNoise: true } : {}),
    niter: c.niter,
    niterDecay: c.niterDecay,
    printFreq: c.printFreq,
    displayFreq: c.displayFreq,
    displayCount: c.displayCount,
    displaySamples: c.displaySamples,
    saveLatestFreq: c.saveLatestFreq,
    saveEpochFreq: c.saveEpochFreq,
    seed: c.seed,
    outputDir: `${c.checkpointsDir}/${c.name ?? c.preset ?? basename(resolve(c.dataroot ?? SYNTHETIC_ROOT))}`,
    continueFrom: c.continueTrain ? c.epoch : undefined,
    givenModelOptions: given
      ? (Object.keys(MODEL_KEYS) as (keyof BicycleGANOptions)[]).filter((k) =>
          given.includes(modelOptionName(k)),
        )
      : undefined,
    netEWeights: c.netEWeights,
    maxIters: c.maxIters,
  };
}

/**
 * Resolves options: table defaults (the official ones) < preset < config < cli. The preset is --preset
 * (or the config's), else synthetic when no dataroot is given, else none.
 */
export function resolveTrainCommand(
  cli: Preset,
  config: Preset = {},
): { options: CliOptions; train: TrainOptions } {
  const dataroot = cli.dataroot ?? config.dataroot;
  const presetName = cli.preset ?? config.preset ?? (dataroot ? undefined : 'synthetic');
  if (presetName === 'edges2shoes' && !dataroot) {
    throw new OptionError(
      '--preset edges2shoes needs --dataroot (e.g. datasets/edges2shoes, from examples/download.ts)',
    );
  }
  const preset: Preset = presetName
    ? { ...PRESETS[presetName as keyof typeof PRESETS], preset: presetName }
    : {};
  validateValues(preset, OPTIONS, { where: `preset ${presetName}` });
  const options = resolveOptions(OPTIONS, preset, config, cli);
  // What the user chose: the command line, the config file, and a preset named by them (the implicit
  // synthetic preset is a default, as the table's).
  const named = (cli.preset ?? config.preset) ? Object.keys(preset) : [];
  const given = [...new Set([...Object.keys(cli), ...Object.keys(config), ...named])];
  return { options, train: toTrainOptions(options, given) };
}

/** The presets in one line each, for --help. */
function presetsHelp(): string {
  return Object.entries(PRESETS)
    .map(
      ([name, p]) =>
        `  ${name}: ${Object.entries(p)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
    )
    .join('\n');
}

/** The yargs parser of examples/edges2shoes.ts (strict; --help lists every option of the table). */
export function trainParser(args: string[]) {
  return cliParser(args, OPTIONS, {
    scriptName: 'edges2shoes',
    usage: `$0 [options]\n\nTrain BicycleGAN on an aligned A|B data set (--dataroot; with --preset edges2shoes the reference's edges2shoes recipe, else the official defaults), or on the embedded synthetic set when no --dataroot is given (--preset synthetic). Precedence: defaults < preset < --config file < command line.\n\nPresets (--preset NAME):\n${presetsHelp()}`,
    presets: PRESETS,
  });
}

/** Parses a command line (and its --config file) into checked options; throws OptionError on a bad value. */
export async function parseTrainCommand(
  args: string[],
  opts: { exitProcess?: boolean } = {},
): Promise<{ options: CliOptions; train: TrainOptions }> {
  let parser = trainParser(args);
  // For tests: --help and --version return instead of exiting (errors are thrown either way).
  if (opts.exitProcess === false) parser = parser.exitProcess(false);
  const cli = cliValues(await parser.parse(), OPTIONS);
  const config = cli.config ? readConfig(cli.config, OPTIONS) : {};
  return resolveTrainCommand(cli, config);
}
