// Reductions: sum, mean, max over all or given axes, with keepDim. The launches are
// src/kernels/reduce.ts (adjacent axes in one launch; scattered axes one run at a time).
// Gradients broadcast back (max: split evenly among tied maxima, as torch.amax).
import { record } from '../autograd.ts';
import { binary, unary } from '../kernels/elementwise.ts';
import { broadcastTo } from '../kernels/layout.ts';
import { REDUCE_MAX, REDUCE_SUM, reduce } from '../kernels/reduce.ts';
import { fmt, normAxes, reducedShape, type Shape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';

/** The reduced tensor (axes kept as 1) in its final shape. */
function finish(kept: Tensor, shape: Shape, axes: number[], keepDim: boolean): Tensor {
  if (keepDim) return kept;
  const r = kept.view(reducedShape(shape, axes, false));
  kept.dispose();
  return r;
}

/** g (reduced shape) broadcast back over x's shape. */
function spread(g: Tensor, shape: Shape, axes: number[]): Tensor {
  const v = g.view(reducedShape(shape, axes, true));
  const e = broadcastTo(v, shape);
  v.dispose();
  return e;
}

/** Sum over axes (default all), dropping them unless keepDim. */
export function sum(x: Tensor, axes?: number | number[], keepDim = false): Tensor {
  const ax = normAxes('sum', x.shape, axes);
  const out = finish(reduce(x, ax, REDUCE_SUM), x.shape, ax, keepDim);
  return record(out, [x], (g) => [spread(g, x.shape, ax)]);
}

/** Mean over axes (default all), dropping them unless keepDim. */
export function mean(x: Tensor, axes?: number | number[], keepDim = false): Tensor {
  const ax = normAxes('mean', x.shape, axes);
  const count = ax.reduce((a, k) => a * x.shape[k], 1);
  const out = finish(reduce(x, ax, REDUCE_SUM, 1 / count), x.shape, ax, keepDim);
  return record(out, [x], (g) => {
    const e = spread(g, x.shape, ax);
    const r = unary(e, 'mul_scalar', 1 / count);
    e.dispose();
    return [r];
  });
}

/** Maximum over axes (default all), dropping them unless keepDim; the gradient is split evenly among tied maxima (torch.amax). */
export function max(x: Tensor, axes?: number | number[], keepDim = false): Tensor {
  const ax = normAxes('max', x.shape, axes);
  if (x.size === 0) throw new Error(`max: cannot reduce an empty tensor of shape ${fmt(x.shape)}`);
  const out = finish(reduce(x, ax, REDUCE_MAX), x.shape, ax, keepDim);
  return record(out, [x], (g) => {
    const m = out.view(reducedShape(x.shape, ax, true));
    const mask = binary('max', x, m, 'eq');
    const count = reduce(mask, ax, REDUCE_SUM);
    const share = binary('max', mask, count, 'div');
    const gk = g.view(m.shape);
    const r = binary('max', share, gk, 'mul');
    for (const t of [m, mask, count, share, gk]) t.dispose();
    return [r];
  });
}
