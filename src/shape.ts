// Shapes, strides, broadcasting and axis arithmetic: pure functions that every layer above uses
// (tensor, kernels, ops, nn). No GPU and no tensors here, so nothing below the ops imports an op.

/** A tensor shape: sizes of the dimensions, outermost first. */
export type Shape = readonly number[];

/** The most dimensions a kernel's stride tables hold (the u32x8 fields of kernels/*.wgsl). */
export const MAX_RANK = 8;

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function checkShape(shape: Shape, op: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

/** Row-major (dense) strides. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
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

/** The broadcast of several shapes (NumPy rules); the error names the op and every shape. */
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

/** A dimension index, negative counting from the end, checked against the rank. */
export function axis(op: string, a: number, rank: number): number {
  const k = a < 0 ? a + rank : a;
  if (!Number.isInteger(k) || k < 0 || k >= rank)
    throw new Error(`${op}: dimension ${a} out of range for rank ${rank}`);
  return k;
}

/** Reduction axes: all when undefined; sorted, unique, checked. */
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

/** `shape` with the given axes removed, or kept as 1. */
export function reducedShape(shape: Shape, axes: number[], keepDim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDim) out.push(1);
  });
  return out;
}

export type Pair = number | [number, number];

/** A size given as one number or as [height, width]. */
export const pair = (v: Pair | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;
