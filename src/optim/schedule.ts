// Learning-rate schedules stepped once per epoch, as torch.optim.lr_scheduler: the scheduler keeps the
// base learning rates and the epoch counter, and writes lr = rule(epoch, base) into every parameter
// group of the optimizer. Construction applies epoch 0 (as torch does).
import { throwLoadProblems } from '../nn/state-dict.ts';

/** Anything with parameter groups that carry an lr (Adam). */
export interface HasParamGroups {
  paramGroups: { lr: number }[];
}

/** lr of a group at `epoch` (0-based count of scheduler.step() calls) from its base lr. */
export type LrRule = (epoch: number, baseLr: number) => number;

/** A scheduler's state for checkpoints: epochs stepped and base rates. */
export interface SchedulerState {
  lastEpoch: number;
  baseLrs: number[];
}

/**
 * A per-epoch learning-rate schedule over an optimizer's groups: `step()` once per epoch sets each group's
 * lr from its rule.
 */
export class LRScheduler {
  readonly baseLrs: number[];
  /** Epochs stepped so far (0 right after construction). */
  lastEpoch = -1;

  constructor(
    readonly optimizer: HasParamGroups,
    readonly rule: LrRule,
  ) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.step();
  }

  /** Advances one epoch and sets the new learning rates. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  private apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.rule(this.lastEpoch, this.baseLrs[i]);
    });
  }

  /** The current learning rate of the first group. */
  get lr(): number {
    return this.optimizer.paramGroups[0].lr;
  }

  /** The current learning rate of every group (torch's get_last_lr). */
  get lrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SchedulerState {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /** Restores the epoch counter and base rates and sets the optimizer's lr to match (all or nothing). */
  loadStateDict(sd: SchedulerState): void {
    const n = this.optimizer.paramGroups.length;
    const problems: string[] = [];
    if (!sd || !Number.isInteger(sd.lastEpoch) || sd.lastEpoch < 0)
      problems.push(`lastEpoch must be a non-negative integer, got ${sd?.lastEpoch}`);
    if (!Array.isArray(sd?.baseLrs) || sd.baseLrs.length !== n || sd.baseLrs.some((v) => !(v >= 0)))
      problems.push(`baseLrs must be ${n} non-negative numbers, got ${JSON.stringify(sd?.baseLrs)}`);
    throwLoadProblems('LRScheduler.loadStateDict', problems);
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...sd.baseLrs);
    this.apply();
  }
}

/** torch's LambdaLR: lr = base * factor(epoch). */
export function lambdaLR(optimizer: HasParamGroups, factor: (epoch: number) => number): LRScheduler {
  return new LRScheduler(optimizer, (e, base) => base * factor(e));
}

/**
 * Options of linearDecay: epochs at the base rate (niter), epochs decaying to 0 (niterDecay), the first
 * epoch's number.
 */
export interface LinearDecayOpts {
  /** Epochs at the initial rate. */
  niter: number;
  /** Epochs of linear decay towards 0 after that. */
  niterDecay: number;
  /** The 1-based number of the first epoch (BicycleGAN's --epoch_count, default 1; larger on resume). */
  epochCount?: number;
}

/**
 * BicycleGAN's lambda_rule: 1 - max(0, epoch + epochCount - niter) / (niterDecay + 1). With 1-based
 * epoch numbers E = epoch + epochCount this is the reference's 1 - max(0, E - niter) / (niterDecay + 1).
 */
export function linearDecayFactor(epoch: number, opts: LinearDecayOpts): number {
  return 1 - Math.max(0, epoch + (opts.epochCount ?? 1) - opts.niter) / (opts.niterDecay + 1);
}

/** Constant for niter epochs, then linear decay to 0 over niterDecay epochs (BicycleGAN's 'linear'). */
export function linearDecay(optimizer: HasParamGroups, opts: LinearDecayOpts): LRScheduler {
  for (const k of ['niter', 'niterDecay'] as const) {
    if (!Number.isInteger(opts[k]) || opts[k] < 0)
      throw new Error(`linearDecay: ${k} must be an integer >= 0`);
  }
  return lambdaLR(optimizer, (e) => linearDecayFactor(e, opts));
}

/** torch's StepLR: lr = base * gamma^floor(epoch / stepSize). */
export function stepLR(optimizer: HasParamGroups, opts: { stepSize: number; gamma?: number }): LRScheduler {
  if (!Number.isInteger(opts.stepSize) || opts.stepSize < 1) {
    throw new Error(`stepLR: stepSize must be a positive integer, got ${opts.stepSize}`);
  }
  const gamma = opts.gamma ?? 0.1;
  return lambdaLR(optimizer, (e) => gamma ** Math.floor(e / opts.stepSize));
}

/** torch's CosineAnnealingLR (closed form): etaMin + (base - etaMin) * (1 + cos(pi * epoch / tMax)) / 2. */
export function cosineLR(optimizer: HasParamGroups, opts: { tMax: number; etaMin?: number }): LRScheduler {
  if (!(opts.tMax > 0)) throw new Error(`cosineLR: tMax must be > 0, got ${opts.tMax}`);
  const etaMin = opts.etaMin ?? 0;
  return new LRScheduler(
    optimizer,
    (e, base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * e) / opts.tMax))) / 2,
  );
}
