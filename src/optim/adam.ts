// Adam, exactly as torch.optim.Adam (amsgrad=False, maximize=False): the update runs in
// kernels/adam.wgsl, in place on the parameters and their moment buffers, with no readback. The
// parameters are packed (src/optim/pack.ts), so one launch updates up to 128 of them.
import { rt } from '../gpu/runtime.ts';
import { ADAM_MAX_TENSORS, type AdamSpan, adamStep } from '../kernels/adam.ts';
import { checkStateDict, type StateValue, throwLoadProblems } from '../nn/state-dict.ts';
import { zeros } from '../ops/creation.ts';
import { keep } from '../scope.ts';
import { fmt, type Shape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { ParamPack, packable, packRuns } from './pack.ts';

/** Adam hyperparameters, as torch.optim.Adam: lr, betas, eps, weightDecay. */
export interface AdamOptions {
  /** Learning rate (default 1e-3); mutable later through `optimizer.lr` or a group's `lr`. */
  lr?: number;
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient, as torch.optim.Adam (not AdamW). Default 0. */
  weightDecay?: number;
}

/** Parameters as a list, or with names (module.namedParameters()); names key the saved state. */
export type ParamList = Tensor[] | [string, Tensor][];

/** One parameter group given to Adam: its parameters and hyperparameters overriding the defaults. */
export interface ParamGroupSpec extends AdamOptions {
  params: ParamList;
}

/**
 * A parameter group of an Adam optimizer: its parameters (with names) and hyperparameters; `lr` is
 * settable.
 */
export interface ParamGroup {
  params: Tensor[];
  /** The state key of each parameter: its name, or its index over all groups. */
  names: string[];
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** One parameter's state with the moment estimates as GPU tensors or host values. */
export interface AdamParamState<V = StateValue> {
  step: number;
  expAvg: V;
  expAvgSq: V;
}

/** Adam.stateDict(): per-parameter exp_avg / exp_avg_sq and steps, plus the groups' hyperparameters. */
export interface AdamStateDict<V = StateValue> {
  groups: { lr: number; betas: [number, number]; eps: number; weightDecay: number; params: string[] }[];
  /** By parameter name; parameters never stepped have no entry. */
  state: Record<string, AdamParamState<V>>;
}

interface Slot {
  step: number;
  m: Tensor;
  v: Tensor;
}

function checkOptions(o: AdamOptions, where: string): void {
  const bad = (msg: string) => {
    throw new Error(`Adam${where}: ${msg}`);
  };
  if (o.lr !== undefined && !(o.lr >= 0)) bad(`invalid learning rate ${o.lr}`);
  if (o.eps !== undefined && !(o.eps >= 0)) bad(`invalid epsilon ${o.eps}`);
  if (o.betas !== undefined) {
    if (!Array.isArray(o.betas) || o.betas.length !== 2) bad(`betas must be [beta1, beta2]`);
    o.betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) bad(`invalid beta parameter at index ${i}: ${b}`);
    });
  }
  if (o.weightDecay !== undefined && !(o.weightDecay >= 0)) bad(`invalid weightDecay ${o.weightDecay}`);
}

function isNamed(list: ParamList): list is [string, Tensor][] {
  return list.length > 0 && Array.isArray(list[0]);
}

/**
 * torch.optim.Adam: `step()` updates every parameter with a gradient in place (one WGSL launch per
 * pack of up to 128 parameters); `zeroGrad()`, `lr`, state dicts.
 */
export class Adam {
  readonly paramGroups: ParamGroup[] = [];
  private readonly slots = new Map<Tensor, Slot>();
  /** The packs holding the parameters (a parameter in none is updated on its own). */
  private readonly packs: ParamPack[] = [];
  private readonly packOf = new Map<Tensor, ParamPack>();

  constructor(params: ParamList | ParamGroupSpec[], opts: AdamOptions = {}) {
    checkOptions(opts, '');
    const defaults = {
      lr: opts.lr ?? 1e-3,
      betas: [...(opts.betas ?? [0.9, 0.999])] as [number, number],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
    };
    const specs: ParamGroupSpec[] =
      params.length > 0 && !(params[0] instanceof Tensor) && !Array.isArray(params[0])
        ? (params as ParamGroupSpec[])
        : [{ params: params as ParamList }];
    const seen = new Set<Tensor>();
    const names = new Set<string>();
    let index = 0;
    specs.forEach((spec, gi) => {
      checkOptions(spec, ` (group ${gi})`);
      const named = isNamed(spec.params);
      const group: ParamGroup = {
        params: [],
        names: [],
        lr: spec.lr ?? defaults.lr,
        betas: [...(spec.betas ?? defaults.betas)] as [number, number],
        eps: spec.eps ?? defaults.eps,
        weightDecay: spec.weightDecay ?? defaults.weightDecay,
      };
      for (const item of spec.params) {
        const [name, t] = named ? (item as [string, Tensor]) : [String(index), item as Tensor];
        index++;
        if (!(t instanceof Tensor)) throw new Error(`Adam: parameter ${name} is not a Tensor`);
        if (seen.has(t)) throw new Error(`Adam: parameter ${name} appears more than once`);
        if (names.has(name)) throw new Error(`Adam: two parameters are named '${name}'`);
        seen.add(t);
        names.add(name);
        group.params.push(t);
        group.names.push(name);
      }
      this.paramGroups.push(group);
    });
    if (index === 0) throw new Error('Adam: got an empty parameter list');
    const all = this.paramGroups.flatMap((g) => g.params).filter(packable);
    for (const run of packRuns(all, ADAM_MAX_TENSORS, rt().maxBinding)) {
      const pack = new ParamPack(run);
      this.packs.push(pack);
      for (const p of run) this.packOf.set(p, pack);
    }
  }

  /** The learning rate of the first group. */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  /** Sets the learning rate of every group. */
  set lr(value: number) {
    if (!(value >= 0)) throw new Error(`Adam: invalid learning rate ${value}`);
    for (const g of this.paramGroups) g.lr = value;
  }

  /** One update of every parameter that has a gradient (others are skipped, as torch). */
  step(): void {
    const spans = new Map<ParamPack, AdamSpan[]>();
    for (const group of this.paramGroups) {
      const [beta1, beta2] = group.betas;
      group.params.forEach((p, i) => {
        const g = p.grad;
        if (!g) return;
        if (g.size !== p.size) {
          throw new Error(`Adam: gradient ${fmt(g.shape)} of parameter ${group.names[i]} ${fmt(p.shape)}`);
        }
        const pack = this.packOf.get(p);
        let s = this.slots.get(p);
        if (!s) {
          s = pack
            ? { step: 0, m: pack.zeroedRegion(pack.m, p), v: pack.zeroedRegion(pack.v, p) }
            : { step: 0, m: keep(zeros(p.shape)), v: keep(zeros(p.shape)) };
          this.slots.set(p, s);
        }
        s.step++;
        if (p.size === 0) return;
        const span: AdamSpan = {
          offset: 0,
          n: p.size,
          step_size: group.lr / (1 - beta1 ** s.step),
          one_minus_beta1: 1 - beta1,
          beta2,
          one_minus_beta2: 1 - beta2,
          eps: group.eps,
          weight_decay: group.weightDecay,
          bc2_sqrt: Math.sqrt(1 - beta2 ** s.step),
        };
        if (!pack) {
          adamStep(p, g, s.m, s.v, [span]);
          return;
        }
        pack.gatherGrad(p);
        span.offset = pack.offset(p);
        let list = spans.get(pack);
        if (!list) spans.set(pack, (list = []));
        list.push(span);
      });
    }
    for (const [pack, list] of spans) {
      list.sort((a, b) => a.offset - b.offset);
      adamStep(pack.param, pack.grad, pack.m, pack.v, list);
    }
  }

  /** Drops every parameter's gradient (packed ones get a zeroed slot for the next backward). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.zeroGrad();
    for (const pack of this.packs) pack.zeroGrads();
  }

  /** Hyperparameters, and per stepped parameter its step and the live moment tensors (not copies). */
  stateDict(): AdamStateDict<Tensor> {
    const state: Record<string, AdamParamState<Tensor>> = {};
    for (const g of this.paramGroups) {
      g.params.forEach((p, i) => {
        const s = this.slots.get(p);
        if (s) state[g.names[i]] = { step: s.step, expAvg: s.m, expAvgSq: s.v };
      });
    }
    return {
      groups: this.paramGroups.map((g) => ({
        lr: g.lr,
        betas: [...g.betas] as [number, number],
        eps: g.eps,
        weightDecay: g.weightDecay,
        params: [...g.names],
      })),
      state,
    };
  }

  /**
   * Restores hyperparameters and state. Everything is checked first (group layout, parameter names,
   * shapes, steps) and all problems are reported in one error; on error nothing changes.
   */
  loadStateDict(sd: AdamStateDict, opts: { source?: string } = {}): void {
    const problems: string[] = [];
    const byName = new Map<string, Tensor>();
    for (const g of this.paramGroups) g.params.forEach((p, i) => byName.set(g.names[i], p));
    if (!sd || !Array.isArray(sd.groups) || typeof sd.state !== 'object' || sd.state === null) {
      problems.push('not an Adam state dict ({groups, state})');
    } else {
      if (sd.groups.length !== this.paramGroups.length) {
        problems.push(`${sd.groups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
      } else {
        sd.groups.forEach((g, gi) => {
          const mine = this.paramGroups[gi].names;
          if (!Array.isArray(g.params) || g.params.join('\u0000') !== mine.join('\u0000')) {
            problems.push(
              `group ${gi} holds parameters [${(g.params ?? []).join(', ')}], the optimizer's are [${mine.join(', ')}]`,
            );
          }
          try {
            checkOptions(g, ` (group ${gi})`);
            if ([g.lr, g.eps, g.weightDecay].some((v) => typeof v !== 'number'))
              throw new Error('missing options');
          } catch (e) {
            problems.push(`group ${gi}: ${(e as Error).message}`);
          }
        });
      }
      // The moments are checked as the flat dict an optimizer file holds ('<param>.exp_avg').
      const expected: Record<string, Shape> = {};
      const moments: Record<string, StateValue | undefined> = {};
      for (const [name, s] of Object.entries(sd.state)) {
        const p = byName.get(name);
        if (!p) {
          problems.push(`state for unknown parameter '${name}'`);
          continue;
        }
        if (!s || !Number.isInteger(s.step) || s.step < 1)
          problems.push(`${name}: step must be a positive integer`);
        expected[`${name}.exp_avg`] = expected[`${name}.exp_avg_sq`] = p.shape;
        moments[`${name}.exp_avg`] = s?.expAvg;
        moments[`${name}.exp_avg_sq`] = s?.expAvgSq;
      }
      problems.push(...checkStateDict(expected, moments).problems);
    }
    throwLoadProblems('Adam.loadStateDict', problems, opts.source);
    sd.groups.forEach((g, gi) => {
      const mine = this.paramGroups[gi];
      mine.lr = g.lr;
      mine.betas = [...g.betas] as [number, number];
      mine.eps = g.eps;
      mine.weightDecay = g.weightDecay;
    });
    // Copies first: the dict may hold this optimizer's own moment tensors.
    const fresh = Object.entries(sd.state).map(([name, s]) => {
      const p = byName.get(name)!;
      const m = keep(zeros(p.shape)).assign(toValues(s.expAvg));
      const v = keep(zeros(p.shape)).assign(toValues(s.expAvgSq));
      return [p, { step: s.step, m, v }] as const;
    });
    this.disposeState();
    for (const [p, slot] of fresh) {
      const pack = this.packOf.get(p);
      if (pack) {
        // Into the parameter's regions of the moment arenas.
        const m = pack.zeroedRegion(pack.m, p).assign(slot.m);
        const v = pack.zeroedRegion(pack.v, p).assign(slot.v);
        slot.m.dispose();
        slot.v.dispose();
        this.slots.set(p, { step: slot.step, m, v });
      } else this.slots.set(p, slot);
    }
  }

  /** The step count of a parameter (0 before its first update). */
  stepOf(p: Tensor): number {
    return this.slots.get(p)?.step ?? 0;
  }

  private disposeState(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }

  /** Frees the moment buffers and arenas (the parameters, which hold their own arena, stay). */
  dispose(): void {
    this.disposeState();
    for (const pack of this.packs) pack.dispose();
    this.packs.length = 0;
    this.packOf.clear();
  }
}

function toValues(v: StateValue): Float32Array | Tensor {
  return v instanceof Tensor ? v : v.data;
}
