// A small training loop for any model trained epoch by epoch (a PyTorch Lightning Trainer in
// miniature): epochs over a data source, the LR schedulers stepped once per epoch, a JSONL loss log, a
// progress bar, periodic sample grids, periodic and final checkpoints, resuming (bit-identical to an
// uninterrupted run when the model's step is deterministic), Ctrl-C (finish the iteration, save latest),
// a stop with a message on a non-finite loss, and an iteration budget (maxIters).
//
// What is model-specific comes from a TrainerModule: one iteration (trainStep), the images of a sample
// grid, and how a checkpoint is written and read. src/train/bicyclegan.ts is the BicycleGAN one.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeGridPNG } from '../data/files.ts';
import type { GridBatch } from '../data/grid.ts';
import { writeFileAtomic } from '../io/files.ts';
import { checkFinite, NonFiniteLossError } from '../nn/nonfinite.ts';
import { getRngState, setRngState } from '../ops/random.ts';
import type { LRScheduler } from '../optim/schedule.ts';
import { Progress } from './progress.ts';
import { type ReportExtras, writeRunReport } from './report.ts';

/** Where a run is: what a checkpoint records and a resumed run continues from. */
export interface TrainerState {
  /** The epoch to run next (1-based). */
  epoch: number;
  /** The batch of that epoch to run next (0 = its start). */
  batch: number;
  /** Iterations done so far (over every run of the training). */
  iter: number;
  /** Position of the global random stream (src/ops/random.ts). */
  rng: number;
}

/** Batches of one epoch at a time; deterministic in (epoch, index) so that resuming mid-epoch works. */
export interface DataSource<B> {
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  /** The batches of 1-based `epoch` with indices start, start + 1, ... batchesPerEpoch - 1. */
  batches(epoch: number, start: number): AsyncIterable<B>;
}

/** The losses of one iteration by name. */
export type Losses = Record<string, number>;

/** Where a training step is: epoch, batch in the epoch and iteration. */
export interface StepInfo {
  epoch: number;
  /** The batch index in the epoch (0-based). */
  batch: number;
  /** The iteration this step will be (1-based, counted over every run). */
  iter: number;
}

/** The model side of the loop. */
export interface TrainerModule<B, L extends Losses = Losses> {
  /** One iteration: forward, backward and the optimizer steps; the losses as numbers (for the log). */
  trainStep(batch: B, info: StepInfo): Promise<L>;
  /**
   * LR schedulers, built at their base rates: the trainer sets them to the epoch it starts at (also
   * when resuming) and steps them at the end of every epoch, after that epoch's checkpoints.
   */
  schedulers?: readonly LRScheduler[];
  /** The losses shown on the progress bar (default: all). */
  progressLosses?: readonly (keyof L & string)[];
  /** The rows of a sample grid of the model as it is now (written as PNG); omit for no grids. */
  sampleGrid?(): Promise<GridBatch[]>;
  /** Writes checkpoint `tag` (`latest`, `3`, ...) into folder dir, recording `state`. */
  saveCheckpoint(dir: string, tag: string, state: TrainerState): Promise<unknown>;
  /** Loads checkpoint `tag` of dir into the model; returns its state and the folder it came from. */
  loadCheckpoint(dir: string, tag: string): Promise<{ state: TrainerState; folder: string }>;
}

/**
 * Options of the Trainer: output folder, epochs, log/sample/checkpoint frequencies, iteration budget,
 * quiet.
 */
export interface TrainerOptions {
  /** loss_log.jsonl, samples/ and checkpoints/ go here. */
  outputDir: string;
  /** Epochs in the whole training (the last epoch is number `epochs`). */
  epochs: number;
  /** Progress lines every N iterations when not on a terminal (default 100). */
  printFreq?: number;
  /** A sample grid every N iterations (0 or absent: only the final one). */
  displayFreq?: number;
  /** Save `latest` every N iterations (0 or absent: at the end of every epoch only). */
  saveLatestFreq?: number;
  /** Keep a checkpoint named by the epoch every N epochs (0 or absent: never). */
  saveEpochFreq?: number;
  /** Stop after this many iterations of this run, saving latest. */
  maxIters?: number;
  /**
   * Stop when the iteration count over every run reaches this, saving latest: a whole-run budget, so
   * a resumed run does what is left (and nothing, touching no file, when it is already there).
   */
  untilIter?: number;
  /** Resume from this checkpoint tag of outputDir/checkpoints. */
  resume?: string;
  /** No progress bar and no messages. */
  quiet?: boolean;
  /**
   * Write outputDir/report.html (loss curves, sample grids, options, throughput, eval.json when there)
   * at every sample grid and checkpoint; an object gives its title and options. Default: no report.
   */
  report?: boolean | ReportExtras;
}

/** Why fit() returned: all epochs done, Ctrl-C, or maxIters or untilIter reached. */
export type StopReason = 'done' | 'interrupted' | 'max-iters';

/** What fit() returns: why it stopped, the state reached and the iterations this run did. */
export interface FitResult {
  state: TrainerState;
  stopped: StopReason;
  ran: number;
}

const devNull = { write: () => true, isTTY: false, columns: 0 } as unknown as NodeJS.WriteStream;

/**
 * The training loop: `new Trainer(module, data, options).fit()` runs epochs of `module.trainStep` over
 * `data`, with schedules, logs, sample grids, checkpoints and resuming.
 */
export class Trainer<B, L extends Losses = Losses> {
  readonly checkpointDir: string;
  readonly logPath: string;
  state: TrainerState;
  private stop: StopReason | null = null;
  private progress: Progress | null = null;

  constructor(
    readonly module: TrainerModule<B, L>,
    readonly data: DataSource<B>,
    readonly options: TrainerOptions,
  ) {
    this.checkpointDir = join(options.outputDir, 'checkpoints');
    this.logPath = join(options.outputDir, 'loss_log.jsonl');
    this.state = { epoch: 1, batch: 0, iter: 0, rng: getRngState() };
  }

  /** Prints a message (above the progress bar while there is one). */
  say(msg: string): void {
    if (this.options.quiet) return;
    if (this.progress) this.progress.log(msg);
    else console.log(msg);
  }

  /** The state now, with the random stream's position. */
  snapshot(epoch = this.state.epoch, batch = this.state.batch): TrainerState {
    return { ...this.state, epoch, batch, rng: getRngState() };
  }

  /** Loads checkpoint `tag` and continues from its state (weights, random stream, position). */
  async resume(tag: string): Promise<void> {
    const { state, folder } = await this.module.loadCheckpoint(this.checkpointDir, tag);
    this.state = { epoch: state.epoch, batch: state.batch, iter: state.iter, rng: state.rng };
    setRngState(state.rng);
    this.truncateLog(state.iter);
    this.say(`resumed from ${folder}: epoch ${state.epoch}, batch ${state.batch}, iteration ${state.iter}`);
  }

  /** Sets every scheduler to 1-based `epoch` (its epoch counter is epoch - 1, from its base rates). */
  setEpoch(epoch: number): void {
    for (const s of this.module.schedulers ?? [])
      s.loadStateDict({ lastEpoch: epoch - 1, baseLrs: s.baseLrs });
  }

  /** The learning rate now (the first scheduler's), for the log. */
  get lr(): number | undefined {
    return this.module.schedulers?.[0]?.lr;
  }

  /** Drops log lines past iteration `iter` (the iterations a resumed run does again). */
  private truncateLog(iter: number): void {
    if (!existsSync(this.logPath)) return;
    const lines = readFileSync(this.logPath, 'utf8').split('\n').filter(Boolean);
    const kept = lines.filter((l) => {
      try {
        return (JSON.parse(l) as { iter?: number }).iter! <= iter;
      } catch {
        return false; // a line cut short by a crash
      }
    });
    if (kept.length !== lines.length) writeFileAtomic(this.logPath, kept.map((l) => `${l}\n`).join(''));
  }

  /** Appends one line to loss_log.jsonl. */
  log(entry: Record<string, unknown>): void {
    appendFileSync(this.logPath, `${JSON.stringify(entry)}\n`);
  }

  /** Writes the module's sample grid to samples/<name>.png. */
  async sample(name: string): Promise<void> {
    if (!this.module.sampleGrid) return;
    mkdirSync(join(this.options.outputDir, 'samples'), { recursive: true });
    await writeGridPNG(
      join(this.options.outputDir, 'samples', `${name}.png`),
      await this.module.sampleGrid(),
    );
    this.report();
  }

  /** Rewrites report.html when options.report is set (a failure to write it is only a message). */
  report(): void {
    const r = this.options.report;
    if (!r) return;
    try {
      writeRunReport(this.options.outputDir, r === true ? {} : r);
    } catch (e) {
      this.say(`report.html not written: ${(e as Error).message}`);
    }
  }

  /** Saves checkpoint `tag` recording `state`. */
  async checkpoint(tag: string, state: TrainerState = this.snapshot()): Promise<void> {
    await this.module.saveCheckpoint(this.checkpointDir, tag, state);
    this.report();
  }

  /** Asks the loop to stop after the current iteration (what Ctrl-C does). */
  requestStop(reason: StopReason = 'interrupted'): void {
    this.stop = reason;
  }

  /** Runs the training from the current state (or options.resume) to the last epoch or a stop. */
  async fit(): Promise<FitResult> {
    const o = this.options;
    mkdirSync(o.outputDir, { recursive: true });
    this.stop = null;
    if (o.resume) await this.resume(o.resume);
    const untilLeft = (o.untilIter ?? Infinity) - this.state.iter;
    // The budget is already spent: nothing to train, sample or save.
    if (untilLeft <= 0) return { state: this.state, stopped: 'max-iters', ran: 0 };
    const perEpoch = this.data.batchesPerEpoch;
    const remaining = (o.epochs - this.state.epoch + 1) * perEpoch - this.state.batch;
    const progress = new Progress(
      Math.max(1, Math.min(remaining, o.maxIters ?? Infinity, untilLeft)),
      o.printFreq ?? 100,
      o.quiet ? devNull : process.stderr,
    );
    this.progress = progress;
    const onSigint = () => {
      if (this.stop === 'interrupted') process.exit(130);
      this.stop = 'interrupted';
      progress.log('interrupt: finishing this iteration, then saving latest (Ctrl-C again to quit now)');
    };
    process.on('SIGINT', onSigint);
    let ran = 0;
    try {
      this.setEpoch(this.state.epoch);
      for (let epoch = this.state.epoch; epoch <= o.epochs && !this.stop; epoch++) {
        let index = epoch === this.state.epoch ? this.state.batch : 0;
        for await (const batch of this.data.batches(epoch, index)) {
          const t0 = performance.now();
          const losses = await this.module.trainStep(batch, {
            epoch,
            batch: index,
            iter: this.state.iter + 1,
          });
          checkFinite(losses);
          ran++;
          this.state = { ...this.state, epoch, batch: index + 1, iter: this.state.iter + 1 };
          this.log({
            epoch,
            batch: index,
            iter: this.state.iter,
            lr: this.lr,
            ms: Math.round(performance.now() - t0),
            ...losses,
          });
          const shown = this.module.progressLosses;
          progress.tick({
            epoch,
            epochs: o.epochs,
            step: index + 1,
            steps: perEpoch,
            iter: this.state.iter,
            losses: shown ? Object.fromEntries(shown.map((k) => [k, losses[k]])) : losses,
          });
          const every = (n: number | undefined) => n !== undefined && n > 0 && this.state.iter % n === 0;
          if (every(o.displayFreq)) await this.sample(`iter_${String(this.state.iter).padStart(7, '0')}`);
          if (every(o.saveLatestFreq)) await this.checkpoint('latest');
          if (ran >= (o.maxIters ?? Infinity) || ran >= untilLeft) this.stop = 'max-iters';
          index++;
          if (this.stop) break;
        }
        if (!this.stop) {
          this.state = { ...this.state, epoch: epoch + 1, batch: 0 };
          if (o.saveEpochFreq && o.saveEpochFreq > 0 && epoch % o.saveEpochFreq === 0)
            await this.checkpoint(String(epoch));
          await this.checkpoint('latest');
          for (const s of this.module.schedulers ?? []) s.step();
        }
      }
      if (this.stop) await this.checkpoint('latest');
      this.state = this.snapshot();
      await this.sample('final');
    } catch (e) {
      if (e instanceof NonFiniteLossError) {
        progress.log(
          `error: ${e.message}. The last good checkpoint is ${this.checkpointDir}/latest (if one was saved).`,
        );
      }
      throw e;
    } finally {
      process.off('SIGINT', onSigint);
      progress.end();
      this.progress = null;
    }
    return { state: this.state, stopped: this.stop ?? 'done', ran };
  }
}
