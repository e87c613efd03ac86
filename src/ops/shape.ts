// Shape ops. reshape is a view (same storage); permute, expand, slice, pad and concat copy through
// the one strided-copy kernel in kernels/layout.wgsl (src/kernels/layout.ts), and each one's backward
// is another of them.
import { record } from '../autograd.ts';
import { concatJoin, concatSplit } from '../kernels/concat.ts';
import { broadcastTo, padGather, stridedCopy } from '../kernels/layout.ts';
import { REDUCE_SUM, reduce, sumTo } from '../kernels/reduce.ts';
import { axis, checkShape, fmt, MAX_RANK, numel, type Shape, stridesOf } from '../shape.ts';
import { Tensor } from '../tensor.ts';

/** The same elements in a new shape (one dimension may be -1); a view sharing storage. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) {
    const known = s.reduce((a, d, i) => (i === free ? a : a * d), 1);
    s[free] = known === 0 ? 0 : x.size / known;
  }
  checkShape(s, 'reshape');
  if (numel(s) !== x.size || !Number.isInteger(s[free] ?? 0)) {
    throw new Error(`reshape: cannot view shape ${fmt(x.shape)} (${x.size} elements) as ${fmt(shape)}`);
  }
  return record(x.view(s), [x], (g) => [reshape(g, x.shape)]);
}

/** Dimensions reordered: output dimension i is input dimension dims[i] (a copy). */
export function permute(x: Tensor, dims: number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new Error(
      `permute: ${dims.length} dims ${JSON.stringify(dims)} for a tensor of shape ${fmt(x.shape)}`,
    );
  }
  const d = dims.map((a) => axis('permute', a, x.ndim));
  if (new Set(d).size !== d.length) throw new Error(`permute: repeated dimension in ${JSON.stringify(dims)}`);
  const shape = d.map((k) => x.shape[k]);
  const xs = stridesOf(x.shape);
  const out = Tensor.empty(shape);
  stridedCopy(
    x,
    out,
    shape,
    d.map((k) => xs[k]),
    0,
    stridesOf(shape),
    0,
  );
  const inverse = new Array(d.length);
  d.forEach((k, i) => {
    inverse[k] = i;
  });
  return record(out, [x], (g) => [permute(g, inverse)]);
}

/** Two dimensions swapped (default the last two). */
export function transpose(x: Tensor, d0 = -2, d1 = -1): Tensor {
  const a = axis('transpose', d0, x.ndim);
  const b = axis('transpose', d1, x.ndim);
  const dims = x.shape.map((_, i) => i);
  [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

/** Size-1 dimensions repeated to `shape` (new leading dimensions allowed), as torch.expand. */
export function expand(x: Tensor, shape: Shape): Tensor {
  checkShape(shape, 'expand');
  const lead = shape.length - x.ndim;
  const ok = lead >= 0 && x.shape.every((d, i) => d === shape[lead + i] || d === 1);
  if (!ok) throw new Error(`expand: cannot expand shape ${fmt(x.shape)} to ${fmt(shape)}`);
  return record(broadcastTo(x, shape), [x], (g) => [sumTo(g, x.shape)]);
}

/** x[starts[0]:ends[0], starts[1]:ends[1], ...]; missing trailing dims are taken whole. */
export function slice(x: Tensor, starts: number[], ends: number[]): Tensor {
  const st = x.shape.map((d, i) => clampIndex(starts[i] ?? 0, d));
  const en = x.shape.map((d, i) => clampIndex(ends[i] ?? d, d));
  if (st.length !== x.ndim || starts.length > x.ndim || ends.length > x.ndim) {
    throw new Error(`slice: ${starts.length} starts / ${ends.length} ends for shape ${fmt(x.shape)}`);
  }
  const shape = st.map((s, i) => Math.max(0, en[i] - s));
  const xs = stridesOf(x.shape);
  const out = Tensor.empty(shape);
  stridedCopy(
    x,
    out,
    shape,
    xs,
    st.reduce((a, s, i) => a + s * xs[i], 0),
    stridesOf(shape),
    0,
  );
  return record(out, [x], (g) => [embed(g, x.shape, st, 0)]);
}

function clampIndex(i: number, d: number): number {
  const k = i < 0 ? i + d : i;
  return Math.min(Math.max(k, 0), d);
}

/** Elements start .. start + length - 1 of dimension dim. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const k = axis('narrow', dim, x.ndim);
  if (start < 0 || length < 0 || start + length > x.shape[k]) {
    throw new Error(
      `narrow: [${start}, ${start + length}) is outside dimension ${k} of shape ${fmt(x.shape)}`,
    );
  }
  const starts = x.shape.map((_, i) => (i === k ? start : 0));
  const ends = x.shape.map((d, i) => (i === k ? start + length : d));
  return slice(x, starts, ends);
}

/** A tensor of `shape` filled with `value`, with x written at offset `at` (one gather). */
function embed(x: Tensor, shape: Shape, at: number[], value: number): Tensor {
  return padGather(
    x,
    shape.map((d, i) => [at[i], d - at[i] - x.shape[i]] as [number, number]),
    value,
  );
}

/** Constant padding; pads[i] = [before, after] for dimension i (one pair per dimension). One gather. */
export function pad(x: Tensor, pads: [number, number][], value = 0): Tensor {
  if (
    pads.length !== x.ndim ||
    pads.some((p) => p.length !== 2 || p.some((v) => !Number.isInteger(v) || v < 0))
  ) {
    throw new Error(
      `pad: need one [before, after] pair of non-negative integers per dimension of ${fmt(x.shape)}`,
    );
  }
  if (x.ndim > MAX_RANK) throw new Error(`pad: at most ${MAX_RANK} dimensions are supported`);
  const at = pads.map((p) => p[0]);
  const out = padGather(x, pads, value);
  return record(out, [x], (g) => [
    slice(
      g,
      at,
      at.map((a, i) => a + x.shape[i]),
    ),
  ]);
}

/** Tensors joined along an existing dimension (one launch per 4 of them, and one back). */
export function concat(xs: Tensor[], dim = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors given');
  const rank = xs[0].ndim;
  const k = axis('concat', dim, rank);
  for (const t of xs) {
    if (t.ndim !== rank || t.shape.some((d, i) => i !== k && d !== xs[0].shape[i])) {
      throw new Error(`concat: shapes ${fmt(xs[0].shape)} and ${fmt(t.shape)} differ outside dimension ${k}`);
    }
  }
  return joined(xs, k, xs[0].shape, false);
}

/**
 * concat along dim of x-like tensors and tensors of size 1 in every dimension after dim, which repeat
 * there: concatExpand([x [N, C, H, W], z [N, nz, 1, 1]], 1) is concat([x, expand(z, [N, nz, H, W])], 1)
 * without the expanded copy (one launch); the gradient of a repeated input is summed back over them.
 */
export function concatExpand(xs: Tensor[], dim: number): Tensor {
  if (xs.length === 0) throw new Error('concatExpand: no tensors given');
  const rank = xs[0].ndim;
  const k = axis('concatExpand', dim, rank);
  const full = xs.find((t) => t.shape.slice(k + 1).some((d) => d !== 1)) ?? xs[0];
  for (const t of xs) {
    const ok =
      t.ndim === rank &&
      t.shape.every(
        (d, i) => i === k || d === full.shape[i] || (i > k && t.shape.slice(k + 1).every((e) => e === 1)),
      );
    if (!ok)
      throw new Error(
        `concatExpand: ${fmt(t.shape)} does not broadcast to ${fmt(full.shape)} outside dimension ${k}`,
      );
  }
  return joined(xs, k, full.shape, true);
}

/** concat / concatExpand: the output of `like`'s shape outside k, one join forward, one split back. */
function joined(xs: Tensor[], k: number, like: Shape, expand: boolean): Tensor {
  const shape = [...like];
  shape[k] = xs.reduce((a, t) => a + t.shape[k], 0);
  const out = Tensor.empty(shape);
  const inner = numel(shape.slice(k + 1));
  const geom = { along: shape[k], inner, n: out.size };
  let off = 0;
  const parts = xs.map((t) => {
    const part = {
      start: off,
      rows: t.shape[k],
      bcastInner: expand && inner > 1 && numel(t.shape.slice(k + 1)) === 1,
    };
    off += t.shape[k];
    return { t, part };
  });
  concatJoin(parts, out, geom);
  return record(out, xs, (g, into) => {
    // A repeated part's gradient is split out dense, then summed over the repeats (into its target).
    const grads = parts.map(({ t, part }, i) => {
      if (!t.requiresGrad) return { grad: null, accumulate: false, part };
      if (part.bcastInner) {
        return {
          grad: Tensor.empty([...t.shape.slice(0, k + 1), ...shape.slice(k + 1)]),
          accumulate: false,
          part,
        };
      }
      const target = into(i);
      return { grad: target ?? Tensor.empty(t.shape), accumulate: !!target, part };
    });
    concatSplit(g, grads, geom);
    const trailing = shape.slice(k + 1).map((_, j) => k + 1 + j);
    return grads.map(({ grad, part }, i) => {
      if (!grad || !part.bcastInner) return grad;
      const r = reduce(grad, trailing, REDUCE_SUM, 1, into(i));
      grad.dispose();
      return r;
    });
  });
}

/** Tensors of one shape joined along a new dimension. */
export function stack(xs: Tensor[], dim = 0): Tensor {
  const views = xs.map((t) => {
    const k = dim < 0 ? dim + t.ndim + 1 : dim;
    return reshape(t, [...t.shape.slice(0, k), 1, ...t.shape.slice(k)]);
  });
  const out = concat(views, dim);
  return out;
}
