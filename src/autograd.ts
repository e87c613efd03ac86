// Reverse-mode autograd and memory scopes.
// A tensor made by a differentiable op remembers its inputs and a backward function (micrograd's
// _prev/_backward); backward() walks the graph once in reverse topological order.
// Scopes (like tfjs tidy): every tensor created inside tidy(fn) is disposed when fn returns, except
// what fn returns, what was kept with keep(), and gradients of leaves.
import type { Tensor } from './tensor.ts';

export type BackwardFn = (grad: Tensor) => (Tensor | null)[];

export interface GradNode {
  inputs: Tensor[];
  backward: BackwardFn;
  /** Internal tensors only the backward needs (e.g. normalisation statistics): freed with the node. */
  saved?: Tensor[];
}

/** Drops a tensor's graph node, freeing what only its backward needed. */
export function freeNode(t: Tensor): void {
  if (!t.node) return;
  for (const s of t.node.saved ?? []) s.dispose();
  t.node = null;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording off (like torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

const scopes: Set<Tensor>[] = [];

export function trackTensor(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Exempts tensors from every enclosing scope: they live until disposed by hand. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(value: unknown, into: Set<Tensor>, isTensor: (x: unknown) => x is Tensor): void {
  if (isTensor(value)) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, into, isTensor);
  else if (value && typeof value === 'object')
    for (const v of Object.values(value)) collect(v, into, isTensor);
}

let tensorCheck: (x: unknown) => x is Tensor = (_x): _x is Tensor => false;
export function setTensorCheck(fn: (x: unknown) => x is Tensor): void {
  tensorCheck = fn;
}

/**
 * Runs fn and disposes every tensor it created, except those it returns (a tensor, array or object of
 * tensors), which move to the enclosing scope. Async functions are not supported: await inside a
 * scope would let unrelated tensors join it.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const kept = new Set<Tensor>();
  collect(result, kept, tensorCheck);
  for (const t of scope) {
    if (kept.has(t)) trackTensor(t);
    else t.dispose();
  }
  return result;
}

/** Reverse-mode sweep from `root`, accumulating into `.grad` of leaves that require it. */
export function runBackward(root: Tensor, seed: Tensor, retainGraph = false): void {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep graphs (long training unrolls) must not overflow the stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    if (!t.node) {
      t.accumulateGrad(g);
      continue;
    }
    const { inputs, backward } = t.node;
    const inGrads = noGrad(() => backward(g));
    // Gradients are owned by this sweep: one stored twice (add passes g through to both inputs) is
    // cloned, and whatever is not stored is disposed.
    const stored = new Set<Tensor>();
    inputs.forEach((x, j) => {
      let gi = inGrads[j];
      if (!gi || !x.requiresGrad) return;
      if (stored.has(gi)) gi = noGrad(() => gi!.clone());
      const prev = grads.get(x);
      if (prev) {
        const sum = noGrad(() => prev.add(gi!));
        stored.delete(prev);
        prev.dispose();
        if (gi !== g) gi.dispose();
        gi = sum;
      }
      grads.set(x, gi);
      stored.add(gi);
    });
    for (const gi of inGrads) if (gi && !stored.has(gi) && gi !== g) gi.dispose();
    if (!stored.has(g)) g.dispose();
    // Free the graph as PyTorch does, unless asked to keep it for a second backward.
    if (!retainGraph) freeNode(t);
  }
}
