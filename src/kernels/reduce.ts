// kernels/reduce.wgsl: sum or max over adjacent axes, and sumTo (a broadcast gradient summed back to
// its operand's shape). Launchers allocate their output and record no gradient.
import type { Shape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { declareKernel, wgslConst } from './declare.ts';

export const REDUCE_SUM = wgslConst('reduce', 'REDUCE_SUM');
export const REDUCE_MAX = wgslConst('reduce', 'REDUCE_MAX');

const REDUCE = declareKernel({
  name: 'reduce',
  files: ['reduce'],
  params: {
    outer: 'u32',
    red: 'u32',
    inner: 'u32',
    op: 'u32',
    scale: 'f32',
    accumulate: 'u32',
    split: 'u32',
  },
  entries: {
    reduce_wide: ['x', 'out'],
    reduce_narrow: ['x', 'out'],
    reduce_ends: ['x', 'out'],
    reduce_pair: ['x', 'out', 'out2'],
  },
});

const prod = (v: Shape) => v.reduce((a, b) => a * b, 1);

/** One launch: reduces the adjacent axes first..last of x over an [outer, reduced, inner] view. */
function reduceRun(x: Tensor, first: number, last: number, op: number, scale: number, into?: Tensor): Tensor {
  const dims = x.shape;
  const outer = prod(dims.slice(0, first));
  const red = prod(dims.slice(first, last + 1));
  const inner = prod(dims.slice(last + 1));
  const out = into ?? Tensor.empty(dims.map((d, i) => (i >= first && i <= last ? 1 : d)));
  const n = outer * inner;
  if (n > 0) {
    // Long reductions with few outputs: a workgroup per output; otherwise a thread per output.
    const wide = red > 64 && n < 65536;
    const params = { outer, red, inner, op, scale, accumulate: into ? 1 : 0, split: 0 };
    if (wide) REDUCE.run('reduce_wide', { params, bind: { x, out }, groups: n });
    else REDUCE.run('reduce_narrow', { params, bind: { x, out }, threads: n });
  }
  return out;
}

/**
 * Reduces `axes` (sorted, unique) of x, keeping them as size 1. The leading and trailing axes
 * together (a bias gradient's 0, 2, 3) take one launch; other scattered axes reduce one adjacent run at
 * a time, the run that shrinks the data most first: no permuted copy of the input. `scale` applies
 * once, at the last run. With `into` (a tensor of the result's size) the result is added to it in
 * place and `into` is returned: a gradient summed where it accumulates, with no separate add.
 */
export function reduce(x: Tensor, axes: number[], op: number, scale = 1, into?: Tensor): Tensor {
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = a;
    else runs.push([a, a]);
  }
  if (runs.length === 0) return reduceRun(x, 0, -1, op, scale, into);
  const rank = x.ndim;
  if (runs.length === 2 && runs[0][0] === 0 && runs[1][1] === rank - 1) {
    // The leading and trailing axes (a bias gradient's 0 and 2, 3): one launch, no intermediate.
    const outer = prod(x.shape.slice(0, runs[0][1] + 1));
    const inner = prod(x.shape.slice(runs[0][1] + 1, runs[1][0]));
    const red = prod(x.shape.slice(runs[1][0]));
    const out = into ?? Tensor.empty(x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
    if (inner > 0) {
      REDUCE.run('reduce_ends', {
        params: { outer, red, inner, op, scale, accumulate: into ? 1 : 0, split: 0 },
        bind: { x, out },
        groups: inner,
      });
    }
    return out;
  }
  const size = ([f, l]: [number, number]) => prod(x.shape.slice(f, l + 1));
  runs.sort((a, b) => size(b) - size(a));
  let cur = x;
  runs.forEach(([f, l], i) => {
    const lastRun = i === runs.length - 1;
    const next = reduceRun(cur, f, l, op, lastRun ? scale : 1, lastRun ? into : undefined);
    if (cur !== x) cur.dispose();
    cur = next;
  });
  return cur;
}

/**
 * The sum over the leading axis of x [R, n1 + n2], split into two tensors: the first n1 sums go to
 * `a`, the rest to `b` (each added in place when its flag says so). One launch: a weight gradient's
 * split-K partials and its bias gradient's together.
 */
export function sumPair(x: Tensor, a: Tensor, b: Tensor, accumulate: { a: boolean; b: boolean }): void {
  const [red, inner] = x.shape;
  if (inner !== a.size + b.size) throw new Error(`sumPair: ${inner} columns for ${a.size} + ${b.size}`);
  if (inner === 0) return;
  REDUCE.run('reduce_pair', {
    params: {
      outer: 1,
      red,
      inner,
      op: REDUCE_SUM,
      scale: 1,
      accumulate: (accumulate.a ? 1 : 0) | (accumulate.b ? 2 : 0),
      split: a.size,
    },
    bind: { x, out: a, out2: b },
    threads: inner,
  });
}

/** Sums a broadcast gradient back to the shape of the operand it came from (g itself if equal). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const s = reduce(g, axes, REDUCE_SUM);
  const r = s.view(shape);
  s.dispose();
  return r;
}
