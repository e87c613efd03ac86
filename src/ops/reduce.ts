// Reductions: sum, mean, max over all or given axes, with keepDim. Adjacent axes reduce in one launch
// of kernels/reduce.wgsl over an [outer, reduced, inner] view; scattered axes are permuted together
// first. Gradients broadcast back (max: split evenly among tied maxima, as torch.amax).
import { f32bits, rt } from '../gpu/runtime.ts';
import { fmt, record, type Shape, Tensor } from '../tensor.ts';
import { compare } from './elementwise.ts';
import { expand } from './shape.ts';

const OP = { sum: 0, max: 1 } as const;

export function normAxes(op: string, shape: Shape, axes?: number | number[]): number[] {
  const list = axes === undefined ? shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => {
    const k = a < 0 ? a + shape.length : a;
    if (!Number.isInteger(k) || k < 0 || k >= Math.max(1, shape.length)) {
      throw new Error(`${op}: axis ${a} is out of range for shape ${fmt(shape)}`);
    }
    return k;
  });
  if (new Set(out).size !== out.length) throw new Error(`${op}: repeated axis in ${JSON.stringify(list)}`);
  return out.sort((a, b) => a - b).filter((k) => k < shape.length);
}

function reducedShape(shape: Shape, axes: number[], keepDim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDim) out.push(1);
  });
  return out;
}

/** One launch: reduces the adjacent axes first..last of x over an [outer, reduced, inner] view. */
function reduceRun(x: Tensor, first: number, last: number, op: number, scale: number): Tensor {
  const dims = x.shape;
  const prod = (v: number[]) => v.reduce((a, b) => a * b, 1);
  const outer = prod(dims.slice(0, first));
  const red = prod(dims.slice(first, last + 1));
  const inner = prod(dims.slice(last + 1));
  const out = Tensor.empty(dims.map((d, i) => (i >= first && i <= last ? 1 : d)));
  const n = outer * inner;
  if (n > 0) {
    const wide = red > 64 && n < 65536;
    const r = rt();
    r.dispatch({
      kernel: { files: ['reduce'], entry: wide ? 'reduce_wide' : 'reduce_narrow' },
      params: [outer, red, inner, op, f32bits(scale), 0, 0, 0],
      bindings: [x.buffer, out.buffer],
      workgroups: wide ? r.grid(n) : r.grid(Math.ceil(n / 64)),
    });
  }
  return out;
}

/**
 * Reduces `axes` (sorted, unique) of x, keeping them as size 1. Scattered axes (a bias gradient's
 * 0, 2, 3) reduce one adjacent run at a time, the run that shrinks the data most first: no permuted
 * copy of the input. `scale` applies once, at the last run.
 */
function reduceRaw(x: Tensor, axes: number[], op: number, scale: number): Tensor {
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = a;
    else runs.push([a, a]);
  }
  if (runs.length === 0) return reduceRun(x, 0, -1, op, scale);
  const size = ([f, l]: [number, number]) => x.shape.slice(f, l + 1).reduce((a, b) => a * b, 1);
  runs.sort((a, b) => size(b) - size(a));
  let cur = x;
  runs.forEach(([f, l], i) => {
    const next = reduceRun(cur, f, l, op, i === runs.length - 1 ? scale : 1);
    if (cur !== x) cur.dispose();
    cur = next;
  });
  return cur;
}

function finish(kept: Tensor, shape: Shape, axes: number[], keepDim: boolean): Tensor {
  if (keepDim) return kept;
  const r = kept.reshape(reducedShape(shape, axes, false));
  kept.dispose();
  return r;
}

/** g (reduced shape) broadcast back over x's shape. */
function spread(g: Tensor, shape: Shape, axes: number[]): Tensor {
  const v = g.reshape(reducedShape(shape, axes, true));
  const e = expand(v, shape);
  v.dispose();
  return e;
}

export function sum(x: Tensor, axes?: number | number[], keepDim = false): Tensor {
  const ax = normAxes('sum', x.shape, axes);
  const out = finish(reduceRaw(x, ax, OP.sum, 1), x.shape, ax, keepDim);
  return record(out, [x], (g) => [spread(g, x.shape, ax)]);
}

export function mean(x: Tensor, axes?: number | number[], keepDim = false): Tensor {
  const ax = normAxes('mean', x.shape, axes);
  const count = ax.reduce((a, k) => a * x.shape[k], 1);
  const out = finish(reduceRaw(x, ax, OP.sum, 1 / count), x.shape, ax, keepDim);
  return record(out, [x], (g) => {
    const e = spread(g, x.shape, ax);
    const r = e.mul(1 / count);
    e.dispose();
    return [r];
  });
}

export function max(x: Tensor, axes?: number | number[], keepDim = false): Tensor {
  const ax = normAxes('max', x.shape, axes);
  if (x.size === 0) throw new Error(`max: cannot reduce an empty tensor of shape ${fmt(x.shape)}`);
  const out = finish(reduceRaw(x, ax, OP.max, 1), x.shape, ax, keepDim);
  return record(out, [x], (g) => {
    const m = out.reshape(reducedShape(x.shape, ax, true));
    const mask = compare('eq', x, m);
    const count = reduceRaw(mask, ax, OP.sum, 1);
    const share = mask.div(count);
    const gk = g.reshape(m.shape);
    const r = share.mul(gk);
    for (const t of [m, mask, count, share, gk]) t.dispose();
    return [r];
  });
}
