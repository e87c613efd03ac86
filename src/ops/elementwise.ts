// Elementwise ops: unary, broadcasting binary, comparisons, where, activations.
// Each op's forward launch and backward sit together; kernels are in kernels/elementwise.wgsl, whose
// op tables the U and B constants below mirror.
import { f32bits, packDims, rt } from '../gpu/runtime.ts';
import { fmt, record, type Scalar, type Shape, Tensor } from '../tensor.ts';
import { sum } from './reduce.ts';

const U = {
  copy: 0,
  neg: 1,
  exp: 2,
  log: 3,
  sqrt: 4,
  abs: 5,
  relu: 6,
  leaky: 7,
  tanh: 8,
  sigmoid: 9,
  addS: 10,
  mulS: 11,
  powS: 12,
  maxS: 13,
  minS: 14,
  rsubS: 15,
  rdivS: 16,
  sign: 17,
  gtS: 18,
  ltS: 19,
  geS: 20,
  leS: 21,
  eqS: 22,
  neS: 23,
  affine: 24,
} as const;

const B = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  max: 4,
  min: 5,
  pow: 6,
  gt: 7,
  lt: 8,
  ge: 9,
  le: 10,
  eq: 11,
  ne: 12,
  tanhGrad: 13,
  sigmoidGrad: 14,
  leakyGrad: 15,
  absGrad: 16,
  powGrad: 17,
} as const;

const FILE = ['elementwise'];
const MAX_RANK = 8;

function grid(n: number): [number, number] {
  return rt().grid(Math.ceil(n / 64));
}

/** Row-major strides of `shape` as read from an output of shape `out` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const strides = new Array(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1, j = out.length - 1; i >= 0; i--, j--) {
    strides[j] = shape[i] === 1 && out[j] !== 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + k] ?? 1;
      if (v === 1) continue;
      if (d !== 1 && d !== v) {
        throw new Error(`${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast together`);
      }
      d = v;
    }
    out.push(d);
  }
  if (rank > MAX_RANK) throw new Error(`${op}: at most ${MAX_RANK} dimensions are supported`);
  return out;
}

function launch(entry: string, out: Tensor, inputs: Tensor[], op: number, alpha = 0, beta = 0): Tensor {
  const n = out.size;
  if (n === 0) return out;
  const fast = inputs.every((t) => t.size === n) ? 1 : 0;
  const strides = inputs.map((t) => packDims(broadcastStrides(t.shape, out.shape)));
  while (strides.length < 3) strides.push(packDims([]));
  rt().dispatch({
    kernel: { files: FILE, entry },
    params: [
      n,
      op,
      out.ndim,
      fast,
      f32bits(alpha),
      f32bits(beta),
      0,
      0,
      ...packDims(out.shape),
      ...strides[0],
      ...strides[1],
      ...strides[2],
    ],
    bindings: [inputs[0]?.buffer, inputs[1]?.buffer, inputs[2]?.buffer, out.buffer],
    workgroups: grid(n),
  });
  return out;
}

function unaryRaw(x: Tensor, op: number, alpha = 0, beta = 0): Tensor {
  return launch('unary', Tensor.empty(x.shape), [x], op, alpha, beta);
}

function binaryRaw(name: string, a: Tensor, b: Tensor, op: number, alpha = 0): Tensor {
  const shape = broadcastShapes(name, a.shape, b.shape);
  return launch('binary', Tensor.empty(shape), [a, b], op, alpha);
}

/** A tensor filled with one value. */
export function full(shape: Shape, value: number): Tensor {
  const out = Tensor.empty(shape);
  if (out.size > 0) {
    rt().dispatch({
      kernel: { files: FILE, entry: 'fill' },
      params: [out.size, 0, 0, 0, f32bits(value), 0, 0, 0, ...new Array(32).fill(0)],
      bindings: [undefined, undefined, undefined, out.buffer],
      workgroups: grid(out.size),
    });
  }
  return out;
}

/** Sums a broadcast gradient back to the shape of the operand it came from. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const s = sum(g, axes, true);
  const r = s.reshape(shape);
  s.dispose();
  return r;
}

// ---- unary ----

export function clone(x: Tensor): Tensor {
  return record(unaryRaw(x, U.copy), [x], (g) => [g]);
}

export function neg(x: Tensor): Tensor {
  return record(unaryRaw(x, U.neg), [x], (g) => [unaryRaw(g, U.neg)]);
}

export function exp(x: Tensor): Tensor {
  const y = unaryRaw(x, U.exp);
  return record(y, [x], (g) => [binaryRaw('exp', g, y, B.mul)]);
}

export function log(x: Tensor): Tensor {
  return record(unaryRaw(x, U.log), [x], (g) => [binaryRaw('log', g, x, B.div)]);
}

export function sqrt(x: Tensor): Tensor {
  const y = unaryRaw(x, U.sqrt);
  // d sqrt(x) = g / (2 sqrt(x))
  return record(y, [x], (g) => {
    const half = binaryRaw('sqrt', g, y, B.div);
    const r = unaryRaw(half, U.mulS, 0.5);
    half.dispose();
    return [r];
  });
}

export function abs(x: Tensor): Tensor {
  return record(unaryRaw(x, U.abs), [x], (g) => [binaryRaw('abs', g, x, B.absGrad)]);
}

export function relu(x: Tensor): Tensor {
  return record(unaryRaw(x, U.relu), [x], (g) => [binaryRaw('relu', g, x, B.leakyGrad, 0)]);
}

export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return record(unaryRaw(x, U.leaky, slope), [x], (g) => [binaryRaw('leakyRelu', g, x, B.leakyGrad, slope)]);
}

export function tanh(x: Tensor): Tensor {
  const y = unaryRaw(x, U.tanh);
  return record(y, [x], (g) => [binaryRaw('tanh', g, y, B.tanhGrad)]);
}

export function sigmoid(x: Tensor): Tensor {
  const y = unaryRaw(x, U.sigmoid);
  return record(y, [x], (g) => [binaryRaw('sigmoid', g, y, B.sigmoidGrad)]);
}

/** a * x + b in one launch. */
export function affine(x: Tensor, a: number, b: number): Tensor {
  return record(unaryRaw(x, U.affine, a, b), [x], (g) => [unaryRaw(g, U.mulS, a)]);
}

// ---- binary (tensor or scalar operand) ----

function scalarCheck(op: string, s: Scalar): void {
  if (typeof s !== 'number') throw new Error(`${op}: operand must be a Tensor or a number, got ${typeof s}`);
}

export function add(a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck('add', b);
    return record(unaryRaw(a, U.addS, b), [a], (g) => [g]);
  }
  return record(binaryRaw('add', a, b, B.add), [a, b], (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

export function sub(a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck('sub', b);
    return record(unaryRaw(a, U.addS, -b), [a], (g) => [g]);
  }
  return record(binaryRaw('sub', a, b, B.sub), [a, b], (g) => {
    const ng = unaryRaw(g, U.neg);
    const gb = sumTo(ng, b.shape);
    if (gb !== ng) ng.dispose();
    return [sumTo(g, a.shape), gb];
  });
}

/** The broadcast product, reduced to `shape`. */
function mulTo(g: Tensor, o: Tensor, shape: Shape, op: string): Tensor {
  const p = binaryRaw(op, g, o, B.mul);
  const r = sumTo(p, shape);
  if (r !== p) p.dispose();
  return r;
}

export function mul(a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck('mul', b);
    return record(unaryRaw(a, U.mulS, b), [a], (g) => [unaryRaw(g, U.mulS, b)]);
  }
  return record(binaryRaw('mul', a, b, B.mul), [a, b], (g) => [
    a.requiresGrad ? mulTo(g, b, a.shape, 'mul') : null,
    b.requiresGrad ? mulTo(g, a, b.shape, 'mul') : null,
  ]);
}

export function div(a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck('div', b);
    return record(unaryRaw(a, U.mulS, 1 / b), [a], (g) => [unaryRaw(g, U.mulS, 1 / b)]);
  }
  const y = binaryRaw('div', a, b, B.div);
  return record(y, [a, b], (g) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      const q = binaryRaw('div', g, b, B.div);
      ga = sumTo(q, a.shape);
      if (ga !== q) q.dispose();
    }
    if (b.requiresGrad) {
      // d(a/b)/db = -y / b
      const q = binaryRaw('div', y, b, B.div);
      const gq = binaryRaw('div', g, q, B.mul);
      q.dispose();
      const n = unaryRaw(gq, U.neg);
      gq.dispose();
      gb = sumTo(n, b.shape);
      if (gb !== n) n.dispose();
    }
    return [ga, gb];
  });
}

export function pow(a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck('pow', b);
    return record(unaryRaw(a, U.powS, b), [a], (g) => [binaryRaw('pow', g, a, B.powGrad, b)]);
  }
  const y = binaryRaw('pow', a, b, B.pow);
  return record(y, [a, b], (g) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      // b * a^(b-1) = b * y / a
      const t1 = binaryRaw('pow', y, a, B.div);
      const t2 = binaryRaw('pow', t1, b, B.mul);
      t1.dispose();
      ga = mulTo(g, t2, a.shape, 'pow');
      t2.dispose();
    }
    if (b.requiresGrad) {
      const la = unaryRaw(a, U.log);
      const t = binaryRaw('pow', y, la, B.mul);
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
    const y = unaryRaw(a, isMax ? U.maxS : U.minS, b);
    return record(y, [a], (g) => {
      // 1 where a wins, 0.5 on ties, 0 where b wins.
      const win = unaryRaw(a, isMax ? U.gtS : U.ltS, b);
      const tie = unaryRaw(a, U.eqS, b);
      const half = unaryRaw(tie, U.mulS, 0.5);
      const w = binaryRaw(name, win, half, B.add);
      const r = binaryRaw(name, g, w, B.mul);
      for (const t of [win, tie, half, w]) t.dispose();
      return [r];
    });
  }
  const y = binaryRaw(name, a, b, isMax ? B.max : B.min);
  return record(y, [a, b], (g) => {
    const winA = binaryRaw(name, a, b, isMax ? B.gt : B.lt);
    const tie = binaryRaw(name, a, b, B.eq);
    const halfTie = unaryRaw(tie, U.mulS, 0.5);
    const wa = binaryRaw(name, winA, halfTie, B.add);
    const wb = unaryRaw(wa, U.rsubS, 1);
    const ga = a.requiresGrad ? mulTo(g, wa, a.shape, name) : null;
    const gb = b.requiresGrad ? mulTo(g, wb, b.shape, name) : null;
    for (const t of [winA, tie, halfTie, wa, wb]) t.dispose();
    return [ga, gb];
  });
}

export function maximum(a: Tensor, b: Tensor | Scalar): Tensor {
  return extremum('maximum', a, b);
}

export function minimum(a: Tensor, b: Tensor | Scalar): Tensor {
  return extremum('minimum', a, b);
}

export type Comparison = 'gt' | 'lt' | 'ge' | 'le' | 'eq' | 'ne';

/** 1 where the comparison holds, else 0. Not differentiable. */
export function compare(op: Comparison, a: Tensor, b: Tensor | Scalar): Tensor {
  if (!(b instanceof Tensor)) {
    scalarCheck(op, b);
    return unaryRaw(a, U[`${op}S`], b);
  }
  return binaryRaw(op, a, b, B[op]);
}

/** cond != 0 ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  const out = launch('where_select', Tensor.empty(shape), [cond, a, b], 0);
  return record(out, [a, b], (g) => {
    const zero = full([], 0);
    const ga = a.requiresGrad ? whereRaw(cond, g, zero, a.shape) : null;
    const gb = b.requiresGrad ? whereRaw(cond, zero, g, b.shape) : null;
    zero.dispose();
    return [ga, gb];
  });
}

function whereRaw(cond: Tensor, a: Tensor, b: Tensor, to: Shape): Tensor {
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  const t = launch('where_select', Tensor.empty(shape), [cond, a, b], 0);
  const r = sumTo(t, to);
  if (r !== t) t.dispose();
  return r;
}
