// Reverse-mode autograd: gradient recording (record, noGrad) and the backward sweep.
// A tensor made by a differentiable op remembers its inputs and a backward function (micrograd's
// _prev/_backward); backward() walks the graph once in reverse topological order.
// Sits above tensor.ts and the raw kernels, below the ops (which call record and noGrad).
import { binary, fill, unary } from './kernels/elementwise.ts';
import { keep } from './scope.ts';
import { fmt } from './shape.ts';
import type { BackwardFn, Tensor } from './tensor.ts';

let gradEnabled = true;

/** Whether operations record the autograd graph now (false inside noGrad). */
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

/**
 * Records `out` as made from `inputs` when any of them requires grad and recording is on.
 * `saved` are internal tensors the backward needs; they are freed with the node (or now, if none).
 * Inputs that do not require grad now never get a gradient from this node (a module frozen while it
 * ran stays frozen for this use, however its flags change before the backward).
 */
export function record(out: Tensor, inputs: Tensor[], backward: BackwardFn, saved?: Tensor[]): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    const frozen = inputs.filter((t) => !t.requiresGrad);
    out.node = frozen.length ? { inputs, backward, saved, frozen } : { inputs, backward, saved };
  } else for (const s of saved ?? []) s.dispose();
  return out;
}

/** Adds g into t.grad (taking ownership of g). */
function accumulateGrad(t: Tensor, g: Tensor): void {
  if (!t.grad) {
    t.grad = keep(g);
    return;
  }
  const sum = keep(binary('grad', t.grad, g, 'add'));
  t.grad.dispose();
  g.dispose();
  t.grad = sum;
}

/**
 * Backpropagates from `root`; a non-scalar needs the gradient of its output. The graph is freed
 * afterwards unless `retainGraph` (a second backward through shared parts, as BicycleGAN's z-loss).
 */
export function backward(root: Tensor, grad?: Tensor, opts: { retainGraph?: boolean } = {}): void {
  if (!root.requiresGrad) throw new Error('backward: tensor does not require grad (no input requires it)');
  if (!grad && root.size !== 1) {
    throw new Error(`backward: implicit gradient only for one-element outputs, got shape ${fmt(root.shape)}`);
  }
  if (grad && grad.size !== root.size) {
    throw new Error(`backward: gradient shape ${fmt(grad.shape)} does not match output ${fmt(root.shape)}`);
  }
  const seed = grad ? unary(grad, 'copy') : fill(root.shape, 1);
  runBackward(root, seed, opts.retainGraph ?? false);
}

/** Reverse-mode sweep from `root`, accumulating into `.grad` of leaves that require it. */
function runBackward(root: Tensor, seed: Tensor, retainGraph: boolean): void {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep graphs (long training unrolls) must not overflow the stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (t.graphFreed && !t.node) {
      throw new Error(
        'backward: trying to go through the graph a second time, but an earlier backward() freed it; ' +
          'pass { retainGraph: true } to the first backward() to keep it',
      );
    }
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !seen.has(next) && !t.node?.frozen?.includes(next)) {
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
      accumulateGrad(t, g);
      continue;
    }
    const { inputs, backward, frozen } = t.node;
    // Gradients an input already has, offered for in-place accumulation: pending in this sweep, or a
    // leaf's .grad (PyTorch accumulates into .grad in place too). Each at most once, never a shared one.
    // A leaf with neither has its optimizer's zeroed slot offered, which becomes .grad if used.
    const claimed = new Set<Tensor>();
    const slots = new Map<Tensor, Tensor>();
    const into = (j: number): Tensor | undefined => {
      const x = inputs[j];
      if (!x?.requiresGrad) return undefined;
      let target = grads.get(x) ?? (x.node ? undefined : (x.grad ?? undefined));
      if (!target && !x.node && x.gradSlot && !slots.has(x.gradSlot)) {
        target = x.gradSlot;
        slots.set(target, x);
        target.zeroed = true;
      }
      if (!target || target === g || target.sharesStorage || claimed.has(target)) return undefined;
      claimed.add(target);
      return target;
    };
    // Inputs frozen when the op ran look frozen to its backward (which reads requiresGrad).
    const thawed = frozen?.filter((x) => x.requiresGrad) ?? [];
    for (const x of thawed) x.requiresGrad = false;
    let inGrads: (Tensor | null)[];
    try {
      inGrads = noGrad(() => backward(g, into));
    } finally {
      for (const x of thawed) x.requiresGrad = true;
      for (const slot of slots.keys()) slot.zeroed = false;
    }
    for (const gi of inGrads) {
      const leaf = gi && slots.get(gi);
      if (!leaf) continue;
      leaf.grad = gi;
      leaf.gradSlot = null;
    }
    // Gradients are owned by this sweep: one stored twice (add passes g through to both inputs) becomes
    // a second view of the same storage (no copy: gradients are never written in place), and whatever
    // is not stored is disposed.
    const stored = new Set<Tensor>();
    inputs.forEach((x, j) => {
      let gi = inGrads[j];
      if (!gi || !x.requiresGrad || frozen?.includes(x) || claimed.has(gi)) return; // claimed: summed in place
      if (stored.has(gi)) gi = gi.view(gi.shape);
      const prev = grads.get(x);
      if (prev) {
        const sum = binary('grad', prev, gi, 'add');
        stored.delete(prev);
        prev.dispose();
        if (gi !== g) gi.dispose();
        gi = sum;
      }
      grads.set(x, gi);
      stored.add(gi);
    });
    for (const gi of inGrads) if (gi && !stored.has(gi) && !claimed.has(gi) && gi !== g) gi.dispose();
    if (!stored.has(g)) g.dispose();
    // Free the graph as PyTorch does, unless asked to keep it for a second backward.
    if (!retainGraph) {
      t.freeNode();
      t.graphFreed = true;
    }
  }
}
