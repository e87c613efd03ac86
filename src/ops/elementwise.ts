// Elementwise ops: unary, broadcasting binary, comparisons, where, activations.
// Each op's forward launch and backward sit together; the kernels are kernels/elementwise.wgsl, launched
// through src/kernels/elementwise.ts (ops by name: 'leaky' is the WGSL's fn unary_leaky).
import { record } from '../autograd.ts';
import { binary, fill, select, unary } from '../kernels/elementwise.ts';
import { sumTo } from '../kernels/reduce.ts';
import type { Shape } from '../shape.ts';
import { type Scalar, Tensor } from '../tensor.ts';

/** A tensor filled with one value. */
export function full(shape: Shape, value: number): Tensor {
  return fill(shape, value);
}

// ---- unary ----

export function clone(x: Tensor): Tensor {
  return record(unary(x, 'copy'), [x], (g) => [g]);
}

/** Elementwise -x. */
export function neg(x: Tensor): Tensor {
  return record(unary(x, 'neg'), [x], (g) => [unary(g, 'neg')]);
}

/** Elementwise e^x. */
export function exp(x: Tensor): Tensor {
  const y = unary(x, 'exp');
  return record(y, [x], (g) => [binary('exp', g, y, 'mul')]);
}

/** Elementwise natural logarithm. */
export function log(x: Tensor): Tensor {
  return record(unary(x, 'log'), [x], (g) => [binary('log', g, x, 'div')]);
}

/** Elementwise square root. */
export function sqrt(x: Tensor): Tensor {
  const y = unary(x, 'sqrt');
  // d sqrt(x) = g / (2 sqrt(x))
  return record(y, [x], (g) => {
    const half = binary('sqrt', g, y, 'div');
    const r = unary(half, 'mul_scalar', 0.5);
    half.dispose();
    return [r];
  });
}

/** Elementwise |x|. */
export function abs(x: Tensor): Tensor {
  return record(unary(x, 'abs'), [x], (g) => [binary('abs', g, x, 'abs_grad')]);
}

/** Elementwise max(x, 0). */
export function relu(x: Tensor): Tensor {
  return record(unary(x, 'relu'), [x], (g) => [binary('relu', g, x, 'leaky_grad', 0)]);
}

/** Elementwise x for x > 0, slope * x otherwise. */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return record(unary(x, 'leaky', slope), [x], (g) => [binary('leakyRelu', g, x, 'leaky_grad', slope)]);
}

/** Elementwise hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  const y = unary(x, 'tanh');
  return record(y, [x], (g) => [binary('tanh', g, y, 'tanh_grad')]);
}

/** Elementwise 1 / (1 + e^-x). */
export function sigmoid(x: Tensor): Tensor {
  const y = unary(x, 'sigmoid');
  return record(y, [x], (g) => [binary('sigmoid', g, y, 'sigmoid_grad')]);
}

/** a * x + b in one launch. */
export function affine(x: Tensor, a: number, b: number): Tensor {
  return record(unary(x, 'affine', a, b), [x], (g) => [unary(g, 'mul_scalar', a)]);
}

// ---- binary (tensor or scalar operand) ----

function scalarCheck(op: string, s: Scalar): void {
  if (typeof s !== 'number') throw new Error(`${op}: operand must be a Tensor or a number, got ${typeof s}`);
}

/** a + b, broadcasting (b may be a number). */
export function add(a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck('add', b);
    return record(unary(a, 'add_scalar', b), [a], (g) => [g]);
  }
  return record(binary('add', a, b, 'add'), [a, b], (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

/** a - b, broadcasting (b may be a number). */
export function sub(a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck('sub', b);
    return record(unary(a, 'add_scalar', -b), [a], (g) => [g]);
  }
  return record(binary('sub', a, b, 'sub'), [a, b], (g) => {
    const ng = unary(g, 'neg');
    const gb = sumTo(ng, b.shape);
    if (gb !== ng) ng.dispose();
    return [sumTo(g, a.shape), gb];
  });
}

/** The broadcast product, reduced to `shape`. */
function mulTo(g: Tensor, o: Tensor, shape: Shape, op: string): Tensor {
  const p = binary(op, g, o, 'mul');
  const r = sumTo(p, shape);
  if (r !== p) p.dispose();
  return r;
}

/** a * b, broadcasting (b may be a number). */
export function mul(a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck('mul', b);
    return record(unary(a, 'mul_scalar', b), [a], (g) => [unary(g, 'mul_scalar', b)]);
  }
  return record(binary('mul', a, b, 'mul'), [a, b], (g) => [
    a.requiresGrad ? mulTo(g, b, a.shape, 'mul') : null,
    b.requiresGrad ? mulTo(g, a, b.shape, 'mul') : null,
  ]);
}

/** a / b, broadcasting (b may be a number). */
export function div(a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck('div', b);
    return record(unary(a, 'mul_scalar', 1 / b), [a], (g) => [unary(g, 'mul_scalar', 1 / b)]);
  }
  const y = binary('div', a, b, 'div');
  return record(y, [a, b], (g) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      const q = binary('div', g, b, 'div');
      ga = sumTo(q, a.shape);
      if (ga !== q) q.dispose();
    }
    if (b.requiresGrad) {
      // d(a/b)/db = -y / b
      const q = binary('div', y, b, 'div');
      const gq = binary('div', g, q, 'mul');
      q.dispose();
      const n = unary(gq, 'neg');
      gq.dispose();
      gb = sumTo(n, b.shape);
      if (gb !== n) n.dispose();
    }
    return [ga, gb];
  });
}

/** a ^ b, broadcasting (b may be a number). */
export function pow(a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck('pow', b);
    return record(unary(a, 'pow_scalar', b), [a], (g) => [binary('pow', g, a, 'pow_grad', b)]);
  }
  const y = binary('pow', a, b, 'pow');
  return record(y, [a, b], (g) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      // b * a^(b-1) = b * y / a
      const t1 = binary('pow', y, a, 'div');
      const t2 = binary('pow', t1, b, 'mul');
      t1.dispose();
      ga = mulTo(g, t2, a.shape, 'pow');
      t2.dispose();
    }
    if (b.requiresGrad) {
      const la = unary(a, 'log');
      const t = binary('pow', y, la, 'mul');
      la.dispose();
      gb = mulTo(g, t, b.shape, 'pow');
      t.dispose();
    }
    return [ga, gb];
  });
}

/** max/min with the gradient going to the selected operand (split evenly on ties, as PyTorch). */
function extremum(name: 'maximum' | 'minimum', a: Tensor, b: Tensor | Scalar): Tensor {
  const isMax = name === 'maximum';
  if (!(b instanceof Tensor)) {
    scalarCheck(name, b);
    const y = unary(a, isMax ? 'max_scalar' : 'min_scalar', b);
    return record(y, [a], (g) => {
      // 1 where a wins, 0.5 on ties, 0 where b wins.
      const win = unary(a, isMax ? 'gt_scalar' : 'lt_scalar', b);
      const tie = unary(a, 'eq_scalar', b);
      const half = unary(tie, 'mul_scalar', 0.5);
      const w = binary(name, win, half, 'add');
      const r = binary(name, g, w, 'mul');
      for (const t of [win, tie, half, w]) t.dispose();
      return [r];
    });
  }
  const y = binary(name, a, b, isMax ? 'max' : 'min');
  return record(y, [a, b], (g) => {
    const winA = binary(name, a, b, isMax ? 'gt' : 'lt');
    const tie = binary(name, a, b, 'eq');
    const halfTie = unary(tie, 'mul_scalar', 0.5);
    const wa = binary(name, winA, halfTie, 'add');
    const wb = unary(wa, 'rsub_scalar', 1);
    const ga = a.requiresGrad ? mulTo(g, wa, a.shape, name) : null;
    const gb = b.requiresGrad ? mulTo(g, wb, b.shape, name) : null;
    for (const t of [winA, tie, halfTie, wa, wb]) t.dispose();
    return [ga, gb];
  });
}

/** Elementwise max(a, b), broadcasting; the gradient goes to the larger one (half each on ties). */
export function maximum(a: Tensor, b: Tensor | Scalar): Tensor {
  return extremum('maximum', a, b);
}

/** Elementwise min(a, b), broadcasting; the gradient goes to the smaller one (half each on ties). */
export function minimum(a: Tensor, b: Tensor | Scalar): Tensor {
  return extremum('minimum', a, b);
}

/** The comparisons of compare (and x.gt, x.lt, ...): 1 where true, 0 where false. */
export type Comparison = 'gt' | 'lt' | 'ge' | 'le' | 'eq' | 'ne';

/** 1 where the comparison holds, else 0. Not differentiable. */
export function compare(op: Comparison, a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck(op, b);
    return unary(a, `${op}_scalar`, b);
  }
  return binary(op, a, b, op);
}

/** cond != 0 ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const out = select(cond, a, b);
  return record(out, [a, b], (g) => {
    const zero = full([], 0);
    const ga = a.requiresGrad ? whereRaw(cond, g, zero, a.shape) : null;
    const gb = b.requiresGrad ? whereRaw(cond, zero, g, b.shape) : null;
    zero.dispose();
    return [ga, gb];
  });
}

function whereRaw(cond: Tensor, a: Tensor, b: Tensor, to: Shape): Tensor {
  const t = select(cond, a, b);
  const r = sumTo(t, to);
  if (r !== t) t.dispose();
  return r;
}
