// Module: the base of every layer and network, shaped like torch.nn.Module.
// A module owns named parameters (trainable tensors), buffers (non-trainable state such as BatchNorm's
// running statistics) and submodules. Names are registered explicitly, once, in the constructor:
//   this.weight = this.registerParameter('weight', randn([out, inp]));
//   this.body = this.registerModule('body', new Sequential(...));
// and the dotted names PyTorch uses ('down.1.weight') follow from the registration names.
// Parameters and buffers are exempt from tidy() scopes; dispose() frees them.
import '../methods.ts';
import { noGrad } from '../autograd.ts';
import { keep } from '../scope.ts';
import { Tensor } from '../tensor.ts';
import {
  checkStateDict,
  type HostTensor,
  type StateValue,
  shapesOf,
  throwLoadProblems,
} from './state-dict.ts';

export type { HostTensor, StateValue };

/** Throws `<layer>: <what> must be a positive integer` unless v is one (layer constructors' checks). */
export function positiveInt(layer: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`${layer}: ${what} must be a positive integer, got ${v}`);
}

/**
 * What a layer is, for code that treats layers by type (initWeights). Layers added later set it too:
 * Conv2d/ConvTranspose2d 'conv', BatchNorm2d 'batchnorm', InstanceNorm2d 'norm'.
 */
export type LayerKind = 'conv' | 'linear' | 'batchnorm' | 'norm' | 'activation' | 'container' | 'other';

/** What loadStateDict left out (with strict: false). */
export interface LoadResult {
  /** Names the module has and the dict lacked (only possible with strict: false). */
  missingKeys: string[];
  /** Names the dict had and the module lacks (only possible with strict: false). */
  unexpectedKeys: string[];
}

/** A module of any forward signature. */
// biome-ignore lint/suspicious/noExplicitAny: the most general module, whatever its forward takes.
export type AnyModule = Module<any[], any>;

/**
 * torch.nn.Module: parameters, buffers and child modules registered by name in the constructor (PyTorch
 * state-dict names), `forward` called through `call`, train/eval modes, state dicts.
 */
export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  /** The layer's type, for initialisers; subclasses override it. */
  readonly kind: LayerKind = 'other';
  /** Training mode (Dropout, BatchNorm statistics); set with train()/eval() on the whole tree. */
  training = true;
  readonly #params = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, { t: Tensor | null; persistent: boolean }>();
  readonly #children = new Map<string, AnyModule>();

  abstract forward(...inputs: In): Out;

  /** Runs forward (the module(x) of PyTorch). */
  call(...inputs: In): Out {
    return this.forward(...inputs);
  }

  // ---- registration ----

  private checkName(name: string, what: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new Error(
        `${this.constructor.name}: ${what} name must be a non-empty string without '.', got '${name}'`,
      );
    }
    if (this.#params.has(name) || this.#buffers.has(name) || this.#children.has(name)) {
      throw new Error(`${this.constructor.name}: '${name}' is already registered`);
    }
  }

  /** Adds a trainable tensor under `name` (null: an absent optional parameter, like bias=False). */
  registerParameter<T extends Tensor | null>(name: string, t: T): T {
    this.checkName(name, 'parameter');
    if (t) {
      keep(t);
      t.requiresGrad = true;
    }
    this.#params.set(name, t);
    return t;
  }

  /** Adds a non-trainable tensor; persistent buffers are part of stateDict (running statistics). */
  registerBuffer<T extends Tensor | null>(name: string, t: T, opts: { persistent?: boolean } = {}): T {
    this.checkName(name, 'buffer');
    if (t) keep(t);
    this.#buffers.set(name, { t, persistent: opts.persistent ?? true });
    return t;
  }

  /** Adds a submodule; its parameters are named `${name}.${their name}`. */
  registerModule<M extends AnyModule>(name: string, m: M): M {
    this.checkName(name, 'submodule');
    if (!(m instanceof Module))
      throw new Error(`${this.constructor.name}: submodule '${name}' is not a Module`);
    this.#children.set(name, m);
    return m;
  }

  /** This module's own parameter (not a submodule's), or null when absent. */
  getParameter(name: string): Tensor | null {
    return this.#params.get(name) ?? null;
  }

  getBuffer(name: string): Tensor | null {
    return this.#buffers.get(name)?.t ?? null;
  }

  getModule(name: string): AnyModule | null {
    return this.#children.get(name) ?? null;
  }

  // ---- traversal ----

  /** Direct submodules with their names, in registration order. */
  namedChildren(): [string, AnyModule][] {
    return [...this.#children];
  }

  /** This module and all below it, pre-order, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, AnyModule][] {
    const out: [string, AnyModule][] = [[prefix, this]];
    for (const [name, m] of this.#children) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Calls fn on every module of the tree, children first (as torch's Module.apply). */
  apply(fn: (m: AnyModule) => void): this {
    for (const m of this.#children.values()) m.apply(fn);
    fn(this);
    return this;
  }

  /** Every parameter with its dotted name ('down.1.weight'), each tensor once, PyTorch's order. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of m.#params) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        out.push([prefix ? `${prefix}.${name}` : name, t]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every buffer with its dotted name (persistent ones only unless asked). */
  namedBuffers(opts: { all?: boolean } = {}): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m.#buffers) {
        if (!b.t || seen.has(b.t) || !(b.persistent || opts.all)) continue;
        seen.add(b.t);
        out.push([prefix ? `${prefix}.${name}` : name, b.t]);
      }
    }
    return out;
  }

  /** The number of trainable values. */
  numParameters(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  // ---- modes and gradients ----

  /** Sets training mode on this module and every submodule. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Freezes (false) or unfreezes every parameter, as torch's requires_grad_. */
  requiresGrad(flag = true): this {
    for (const t of this.parameters()) t.requiresGrad = flag;
    return this;
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    for (const t of this.parameters()) t.zeroGrad();
  }

  /** Frees every parameter, gradient and buffer of the tree. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const t of m.#params.values()) {
        t?.zeroGrad();
        t?.dispose();
      }
      for (const b of m.#buffers.values()) b.t?.dispose();
    }
  }

  // ---- state ----

  /**
   * Every parameter and persistent buffer by dotted name, in PyTorch's state_dict order (each module's
   * parameters, then its buffers, then its children's): the live tensors, not copies.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [prefix, m] of this.namedModules()) {
      const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
      for (const [name, t] of m.#params) if (t) out[at(name)] = t;
      for (const [name, b] of m.#buffers) if (b.t && b.persistent) out[at(name)] = b.t;
    }
    return out;
  }

  /**
   * Copies values into the parameters and buffers. Every name and shape is checked first and all
   * problems are reported in one error; on error nothing is changed. strict (default true) also
   * rejects missing and unexpected names; shape mismatches are always errors.
   */
  loadStateDict(
    dict: Record<string, StateValue>,
    opts: { strict?: boolean; source?: string } = {},
  ): LoadResult {
    const own = this.stateDict();
    const { missingKeys, unexpectedKeys, problems } = checkStateDict(shapesOf(own), dict, opts);
    throwLoadProblems(`${this.constructor.name}.loadStateDict`, problems, opts.source);
    noGrad(() => {
      for (const [name, target] of Object.entries(own)) {
        const v = Object.hasOwn(dict, name) ? dict[name] : undefined;
        if (v === undefined) continue; // missing (strict: false)
        if (v instanceof Tensor && v.sameStorage(target)) continue; // its own values (a view)
        target.assign(v instanceof Tensor ? v : v.data);
      }
    });
    return { missingKeys, unexpectedKeys };
  }
}
