// State dicts: the values loadStateDict accepts, and the one check that modules, Adam and checkpoint
// files run before they change anything. It reads shapes only (no GPU work, no Node imports), so every
// loader can collect all problems first and report them in one error, with nothing changed.

import { fmt, numel, type Shape } from '../shape.ts';
import { Tensor } from '../tensor.ts';

/** A tensor's values on the host, as a checkpoint holds them. */
export interface HostTensor {
  shape: Shape;
  data: Float32Array;
}

/** What loadStateDict accepts per name: a GPU tensor or host values. */
export type StateValue = Tensor | HostTensor;

/** A value that cannot be loaded where it is given. */
export interface StateMismatch {
  key: string;
  /** The shape wanted there (null: any). */
  expected: Shape | null;
  /** The given value's shape, when it has one. */
  got: Shape | null;
  /** Why, e.g. 'expected [2, 3], got [3, 2]'. */
  problem: string;
}

/** What checkStateDict found: missing and unexpected names, and values that do not fit. */
export interface StateDictCheck {
  /** Expected names the dict lacks (absent or undefined). */
  missingKeys: string[];
  /** Names the dict has beyond the expected ones. */
  unexpectedKeys: string[];
  /** Values of expected names that cannot be loaded (wrong shape, type, element count; disposed). */
  mismatches: StateMismatch[];
  /**
   * Everything that forbids the load, as parts of one error: missing and unexpected keys (when strict),
   * then the mismatches. Empty when the dict loads.
   */
  problems: string[];
}

/** Why `v` cannot be loaded into a tensor of shape `shape` (null: of any shape), or null when it can. */
function valueProblem(v: unknown, shape: Shape | null): string | null {
  if (v instanceof Tensor) {
    if (v.isDisposed) return 'the given tensor was disposed';
    return shape && !sameShape(v.shape, shape) ? `expected ${fmt(shape)}, got ${fmt(v.shape)}` : null;
  }
  const h = v as Partial<HostTensor> | null | undefined;
  if (!h || !Array.isArray(h.shape) || !(h.data instanceof Float32Array))
    return 'not a tensor or {shape, data}';
  if (shape && !sameShape(h.shape, shape)) return `expected ${fmt(shape)}, got ${fmt(h.shape)}`;
  const want = shape ?? h.shape;
  if (h.data.length !== numel(want)) return `${h.data.length} values for shape ${fmt(want)}`;
  return null;
}

/**
 * Checks `given` against the `expected` names and shapes (null: any shape). Missing and unexpected
 * names are problems only when strict (default true); mismatches always are.
 */
export function checkStateDict(
  expected: Readonly<Record<string, Shape | null>>,
  given: Readonly<Record<string, unknown>>,
  opts: { strict?: boolean } = {},
): StateDictCheck {
  const strict = opts.strict ?? true;
  const has = (k: string) => Object.hasOwn(given, k) && given[k] !== undefined;
  const missingKeys = Object.keys(expected).filter((k) => !has(k));
  const unexpectedKeys = Object.keys(given).filter((k) => !Object.hasOwn(expected, k));
  const mismatches: StateMismatch[] = [];
  for (const [key, shape] of Object.entries(expected)) {
    if (!has(key)) continue;
    const v = given[key];
    const problem = valueProblem(v, shape);
    if (problem) mismatches.push({ key, expected: shape, got: shapeOf(v), problem });
  }
  const problems: string[] = [];
  if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
  if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
  if (mismatches.length)
    problems.push(`shape mismatches: ${mismatches.map((m) => `${m.key}: ${m.problem}`).join('; ')}`);
  return { missingKeys, unexpectedKeys, mismatches, problems };
}

/** The shapes of a dict of tensors (a module's stateDict()), for checkStateDict. */
export function shapesOf(dict: Readonly<Record<string, { shape: Shape }>>): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  for (const [k, t] of Object.entries(dict)) out[k] = t.shape;
  return out;
}

/**
 * Throws `${what}: cannot load from ${source} (nothing was changed): problem; problem` when there are
 * problems; callers check everything first and change state only after this returns.
 */
export function throwLoadProblems(what: string, problems: readonly string[], source?: string): void {
  if (!problems.length) return;
  const where = source ? ` from ${source}` : '';
  throw new Error(`${what}: cannot load${where} (nothing was changed): ${problems.join('; ')}`);
}

function shapeOf(v: unknown): Shape | null {
  const s = (v as { shape?: unknown } | null | undefined)?.shape;
  return Array.isArray(s) ? s : null;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
