// Plain-TypeScript float64 references for the ops: the ground truth every GPU kernel is tested against,
// and the function finite differences are taken of.

export interface Nd {
  shape: number[];
  data: Float64Array;
}

export const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export function nd(shape: number[], data?: ArrayLike<number>): Nd {
  return { shape: [...shape], data: data ? Float64Array.from(data) : new Float64Array(numel(shape)) };
}

export function strides(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Calls fn with the multi-index of every element of `shape`, in row-major order. */
export function forEachIndex(shape: readonly number[], fn: (idx: number[], flat: number) => void): void {
  const n = numel(shape);
  const idx = new Array(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    fn(idx, f);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

export function broadcastShape(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 0; k < rank; k++) out.push(Math.max(...shapes.map((s) => s[s.length - rank + k] ?? 1)));
  return out;
}

/** Element of x at the broadcast position idx of a larger shape. */
export function at(x: Nd, idx: number[]): number {
  const lead = idx.length - x.shape.length;
  let off = 0;
  const st = strides(x.shape);
  for (let d = 0; d < x.shape.length; d++) off += (x.shape[d] === 1 ? 0 : idx[lead + d]) * st[d];
  return x.data[off];
}

export function map(x: Nd, f: (v: number) => number): Nd {
  return { shape: [...x.shape], data: x.data.map(f) };
}

export function zip(xs: Nd[], f: (...v: number[]) => number): Nd {
  const shape = broadcastShape(...xs.map((x) => x.shape));
  const out = nd(shape);
  forEachIndex(shape, (idx, i) => {
    out.data[i] = f(...xs.map((x) => at(x, idx)));
  });
  return out;
}

export function reduce(x: Nd, axes: number[], keepDim: boolean, op: 'sum' | 'mean' | 'max'): Nd {
  const ax = axes.map((a) => (a < 0 ? a + x.shape.length : a));
  const kshape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const out = nd(kshape, new Float64Array(numel(kshape)).fill(op === 'max' ? -Infinity : 0));
  const ks = strides(kshape);
  let count = 1;
  for (const a of ax) count *= x.shape[a];
  forEachIndex(x.shape, (idx, i) => {
    let o = 0;
    idx.forEach((v, d) => {
      o += (ax.includes(d) ? 0 : v) * ks[d];
    });
    out.data[o] = op === 'max' ? Math.max(out.data[o], x.data[i]) : out.data[o] + x.data[i];
  });
  if (op === 'mean') for (let i = 0; i < out.data.length; i++) out.data[i] /= count;
  if (!keepDim) out.shape = x.shape.filter((_, i) => !ax.includes(i));
  return out;
}

export function matmul(a: Nd, b: Nd): Nd {
  const [M, K] = a.shape.slice(-2);
  const N = b.shape[b.shape.length - 1];
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = nd([...batch, M, N]);
  forEachIndex(out.shape, (idx, i) => {
    const bi = idx.slice(0, -2);
    const [m, n] = idx.slice(-2);
    let s = 0;
    for (let k = 0; k < K; k++) s += at(a, [...bi, m, k]) * at(b, [...bi, k, n]);
    out.data[i] = s;
  });
  return out;
}

export function permute(x: Nd, dims: number[]): Nd {
  const shape = dims.map((d) => x.shape[d]);
  const out = nd(shape);
  const st = strides(x.shape);
  forEachIndex(shape, (idx, i) => {
    let o = 0;
    idx.forEach((v, k) => {
      o += v * st[dims[k]];
    });
    out.data[i] = x.data[o];
  });
  return out;
}

export function slice(x: Nd, starts: number[], ends: number[]): Nd {
  const shape = x.shape.map((_, i) => ends[i] - starts[i]);
  const out = nd(shape);
  const st = strides(x.shape);
  forEachIndex(shape, (idx, i) => {
    let o = 0;
    idx.forEach((v, k) => {
      o += (v + starts[k]) * st[k];
    });
    out.data[i] = x.data[o];
  });
  return out;
}

export function pad(x: Nd, pads: [number, number][], value: number): Nd {
  const shape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const out = nd(shape, new Float64Array(numel(shape)).fill(value));
  const st = strides(shape);
  forEachIndex(x.shape, (idx, i) => {
    let o = 0;
    idx.forEach((v, k) => {
      o += (v + pads[k][0]) * st[k];
    });
    out.data[o] = x.data[i];
  });
  return out;
}

export function concat(xs: Nd[], dim: number): Nd {
  const shape = [...xs[0].shape];
  shape[dim] = xs.reduce((a, x) => a + x.shape[dim], 0);
  const out = nd(shape);
  const st = strides(shape);
  let off = 0;
  for (const x of xs) {
    forEachIndex(x.shape, (idx, i) => {
      let o = 0;
      idx.forEach((v, k) => {
        o += (k === dim ? v + off : v) * st[k];
      });
      out.data[o] = x.data[i];
    });
    off += x.shape[dim];
  }
  return out;
}

export function expand(x: Nd, shape: number[]): Nd {
  const out = nd(shape);
  forEachIndex(shape, (idx, i) => (out.data[i] = at(x, idx)));
  return out;
}
