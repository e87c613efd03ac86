// Memory scopes (like tfjs tidy): every tensor created inside tidy(fn) is disposed when fn returns,
// except what fn returns and what was kept with keep(). GPU memory is invisible to the garbage
// collector, so this is how intermediate tensors of a step die with the step.
// Nothing here knows the Tensor class: tensors register themselves with track() when made, and a
// returned value is recognised as a tensor by that registration. That keeps this module below tensor.ts.

export interface Disposable {
  dispose(): void;
}

const scopes: Set<Disposable>[] = [];
/** Every tracked object ever made: how tidy tells a tensor from a plain container in its result. */
const tracked = new WeakSet<object>();

/** Registers a new tensor with the innermost scope. */
export function track(t: Disposable): void {
  tracked.add(t);
  scopes[scopes.length - 1]?.add(t);
}

/** Exempts tensors from every enclosing scope: they live until disposed by hand. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(value: unknown, into: Set<Disposable>, seen: Set<object>): void {
  if (!value || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (tracked.has(value)) into.add(value as Disposable);
  else if (Array.isArray(value)) for (const v of value) collect(v, into, seen);
  else for (const v of Object.values(value)) collect(v, into, seen);
}

/**
 * Runs fn and disposes every tensor it created, except those it returns (a tensor, array or object of
 * tensors), which move to the enclosing scope. If fn throws, everything it created is disposed.
 * Async functions are not supported: await inside a scope would let unrelated tensors join it.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  const kept = new Set<Disposable>();
  collect(result, kept, new Set());
  for (const t of scope) {
    if (kept.has(t)) scopes[scopes.length - 1]?.add(t);
    else t.dispose();
  }
  return result;
}
