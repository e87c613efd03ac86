// Typed kernel declarations: the one place where TypeScript meets a kernel family's WGSL.
// A declaration names the WGSL files, the Params fields the launcher sets (typed), the entry points
// with the storage bindings each one uses (by their WGSL names), and the pipeline constants. It is
// checked against what scripts/embed-kernels.mjs read from the WGSL (struct layout, binding numbers,
// entry points, overrides) when the module loads, so a drift fails every test at once instead of
// silently reading the wrong uniform word. Launches then pass named values: no word packing by hand.

import { type Binding, rt } from '../gpu/runtime.ts';
import { WGSL } from './wgsl.gen.ts';

export type WgslFile = keyof typeof WGSL;

type Scalar = 'u32' | 'i32' | 'f32';
/** A Params field: a scalar, or `u32x8` = 8 words in `array<vec4u, 2>` (likewise f32x, i32x). */
export type FieldType = Scalar | `${Scalar}x${number}`;
export type ParamSpec = Record<string, FieldType>;
type FieldValue<T> = T extends Scalar ? number : readonly number[];
export type ParamValues<P extends ParamSpec> = { [K in keyof P]: FieldValue<P[K]> };

/** Anything bound: a GPUBuffer, a tensor (its buffer or region), or a texture view. */
export type Bindable = GPUBuffer | { readonly binding: GPUBufferBinding } | GPUTextureView;

export interface KernelDeclaration<P extends ParamSpec, E extends Record<string, readonly string[]>, C> {
  /** Shown in profiles and errors. */
  name: string;
  /** WGSL files concatenated in order (hooks first, then a shared body). */
  files: readonly WgslFile[];
  /** The fields of `struct Params` the launcher sets; WGSL fields named pad* are left out. */
  params: P;
  /** Entry points -> the storage bindings each one uses. */
  entries: E;
  /** Pipeline-overridable constants each launch gives. */
  constants?: readonly C[];
  /**
   * Binding names of `entries` bound to another WGSL binding than their own: gemm_texture reads a
   * hook set's A from its texture (`gemm_at`), so the launch binds the texture under A's name.
   */
  rebind?: Readonly<Record<string, string>>;
}

export interface Launch<P extends ParamSpec, B extends string, C extends string> {
  params: ParamValues<P>;
  bind: Record<B, Bindable>;
  /** Exact workgroup grid. */
  workgroups?: [number, number?, number?];
  /** One thread per item: workgroups = ceil(threads / workgroup size), spread over a 2D grid. */
  threads?: number;
  /** One workgroup per item, spread over a 2D grid. */
  groups?: number;
  constants?: Record<C, number>;
}

interface FieldPlan {
  name: string;
  offset: number;
  kind: Scalar;
  length: number;
}

interface FileInfo {
  source: string;
  params: { fields: Record<string, { offset: number; type: string }>; words: number } | null;
  bindings: Record<string, number>;
  consts: Record<string, number>;
  overrides: readonly string[];
  entries: Record<string, readonly (number | string)[]>;
  ops: Record<string, Record<string, number>>;
}

const info = (f: WgslFile): FileInfo => WGSL[f] as unknown as FileInfo;

/** An integer constant of a WGSL file (`const TM: u32 = 4u;`), so TypeScript never repeats it. */
export function wgslConst(file: WgslFile, name: string): number {
  const v = info(file).consts[name];
  if (v === undefined) throw new Error(`kernels/${file}.wgsl has no integer constant ${name}`);
  return v;
}

type OpTables<F extends WgslFile> = (typeof WGSL)[F]['ops'];

/** The op numbering of an `@optable` in a WGSL file: { opName: number }, typed from the WGSL. */
export function wgslOps<F extends WgslFile, T extends keyof OpTables<F> & string>(
  file: F,
  table: T,
): OpTables<F>[T] {
  const t = info(file).ops[table];
  if (!t) throw new Error(`kernels/${file}.wgsl has no @optable ${table}`);
  return t as OpTables<F>[T];
}

export class Kernel<
  P extends ParamSpec,
  E extends Record<string, readonly string[]>,
  C extends string = never,
> {
  readonly name: string;
  private readonly code: string;
  private readonly label: string;
  private readonly words: number;
  private readonly plan: FieldPlan[];
  private readonly slots: Record<string, [number, string][]> = {};
  private readonly wgSize: Record<string, number> = {};

  constructor(readonly decl: KernelDeclaration<P, E, C>) {
    const fail = (msg: string): never => {
      throw new Error(`kernel ${decl.name}: ${msg} (kernels/${decl.files.join('.wgsl + kernels/')}.wgsl)`);
    };
    this.name = decl.name;
    this.label = decl.files.join('+');
    const files = decl.files.map(info);
    // `enable` directives must open the module: hoist them out of the concatenated files.
    const enables = new Set<string>();
    const bodies = files.map((f) =>
      f.source.replace(/^enable\s+[\w, ]+;[^\n]*$/gm, (line) => {
        enables.add(line.replace(/;.*$/, ';'));
        return '';
      }),
    );
    this.code = [...enables, ...bodies].join('\n');
    // Params: exactly one file defines the struct; every declared field must match its WGSL type.
    const withParams = files.filter((f) => f.params);
    if (withParams.length > 1) fail('more than one file defines struct Params');
    const layout = withParams[0]?.params ?? { fields: {}, words: 0 };
    this.words = layout.words;
    this.plan = Object.entries(decl.params).map(([name, type]) => {
      const f = layout.fields[name];
      if (!f) return fail(`Params has no field '${name}'`);
      if (f.type !== type) fail(`Params.${name} is ${f.type} in WGSL but declared ${type}`);
      const [kind, n] = type.split('x');
      return { name, offset: f.offset, kind: kind as Scalar, length: n ? Number(n) : 1 };
    });
    for (const name of Object.keys(layout.fields))
      if (!(name in decl.params) && !/^pad\d*$/.test(name)) fail(`Params.${name} is not declared`);
    // Entries and bindings.
    const bindings = Object.assign({}, ...files.map((f) => f.bindings)) as Record<string, number>;
    const entries = Object.assign({}, ...files.map((f) => f.entries)) as FileInfo['entries'];
    const overrides = files.flatMap((f) => f.overrides);
    for (const c of decl.constants ?? []) if (!overrides.includes(c)) fail(`no override constant ${c}`);
    for (const [entry, names] of Object.entries(decl.entries)) {
      const size = entries[entry];
      if (!size) fail(`no compute entry point ${entry}`);
      this.wgSize[entry] = size.every((d) => typeof d === 'number')
        ? (size as number[]).reduce((a, b) => a * b)
        : 0;
      this.slots[entry] = names.map((b) => {
        const slot = bindings[decl.rebind?.[b] ?? b];
        if (slot === undefined) fail(`entry ${entry} binds '${b}', which no file declares`);
        return [slot, b] as [number, string];
      });
    }
  }

  /** Packs named values into the uniform words of struct Params. */
  pack(values: ParamValues<P>): Uint32Array {
    const words = new Uint32Array(this.words);
    const floats = new Float32Array(words.buffer);
    const ints = new Int32Array(words.buffer);
    const v = values as Record<string, number | readonly number[]>;
    for (const f of this.plan) {
      const x = v[f.name];
      const list = typeof x === 'number' ? [x] : x;
      if (list === undefined || list.length > f.length)
        throw new Error(
          `kernel ${this.name}: param ${f.name} needs ${f.length} value(s), got ${JSON.stringify(x)}`,
        );
      for (let i = 0; i < list.length; i++) {
        const e = list[i];
        if (f.kind === 'f32') floats[f.offset + i] = e;
        else if (!Number.isInteger(e))
          throw new Error(`kernel ${this.name}: param ${f.name} must be an integer, got ${e}`);
        else if (f.kind === 'i32') ints[f.offset + i] = e;
        else words[f.offset + i] = e >>> 0;
      }
    }
    return words;
  }

  /** Records one dispatch of `entry` into the runtime's open pass. */
  run<K extends keyof E & string>(entry: K, l: Launch<P, E[K][number], C>): void {
    const r = rt();
    const bindings: Binding[] = [];
    for (const [slot, name] of this.slots[entry]) {
      const b = (l.bind as Record<string, Bindable>)[name];
      bindings[slot - 1] = 'binding' in b ? b.binding : b instanceof GPUBuffer ? { buffer: b } : b;
    }
    let workgroups = l.workgroups;
    if (!workgroups && l.threads !== undefined) {
      const size = this.wgSize[entry];
      if (!size)
        throw new Error(
          `kernel ${this.name}: entry ${entry} has a pipeline-sized workgroup; give workgroups`,
        );
      workgroups = r.grid(Math.ceil(l.threads / size));
    } else if (!workgroups && l.groups !== undefined) workgroups = r.grid(l.groups);
    if (!workgroups) throw new Error(`kernel ${this.name}: give workgroups, threads or groups`);
    r.dispatch({
      kernel: { label: this.label, name: this.name, code: this.code, entry, constants: l.constants },
      params: this.pack(l.params),
      bindings,
      workgroups,
    });
  }
}

export function declareKernel<
  P extends ParamSpec,
  const E extends Record<string, readonly string[]>,
  C extends string = never,
>(decl: KernelDeclaration<P, E, C>): Kernel<P, E, C> {
  return new Kernel(decl);
}
