// Batched matmul on the shared GEMM body (kernels/gemm.wgsl with the kernels/matmul.wgsl hooks,
// launched by src/kernels/gemm.ts).
// [..., M, K] @ [..., K, N] -> [..., M, N]; batch dims broadcast. Operands are read through strides,
// so the backward products (g @ B^T, A^T @ g) launch the same kernel with swapped strides, no copies.

import { record } from '../autograd.ts';
import { gemm, type Operand } from '../kernels/gemm.ts';
import { broadcastTo } from '../kernels/layout.ts';
import { sumTo } from '../kernels/reduce.ts';
import { broadcastShapes, fmt, type Shape, stridesOf } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { sum } from './reduce.ts';

/** Makes x's batch dims equal `batch` (copying only when a real broadcast is needed). */
function batchTo(x: Tensor, batch: Shape): Tensor {
  const want = [...batch, ...x.shape.slice(-2)];
  if (want.length === x.ndim && want.every((d, i) => d === x.shape[i])) return x;
  if (x.ndim === 2) return x; // one matrix for every batch: stride 0, no copy
  return broadcastTo(x, want);
}

function operand(x: Tensor, transposed: boolean, batched: boolean): Operand {
  const [r, c] = x.shape.slice(-2);
  const batchStride = batched && x.ndim > 2 ? r * c : 0;
  const s = stridesOf([r, c]);
  return transposed
    ? { t: x, batchStride, rowStride: s[1], colStride: s[0] }
    : { t: x, batchStride, rowStride: s[0], colStride: s[1] };
}

function product(a: Tensor, b: Tensor, ta: boolean, tb: boolean, batch: number[]): Tensor {
  const M = ta ? a.shape[a.ndim - 1] : a.shape[a.ndim - 2];
  const K = ta ? a.shape[a.ndim - 2] : a.shape[a.ndim - 1];
  const N = tb ? b.shape[b.ndim - 2] : b.shape[b.ndim - 1];
  const batches = batch.reduce((x, y) => x * y, 1);
  const out = Tensor.empty([...batch, M, N]);
  gemm(operand(a, ta, true), operand(b, tb, true), M, N, K, batches, out);
  return out;
}

/** The matrix form of an operand: a vector becomes a row (A) or a column (B), as in torch.matmul. */
function asMatrix(x: Tensor, isA: boolean): Tensor {
  if (x.ndim !== 1) return x;
  return x.view(isA ? [1, x.shape[0]] : [x.shape[0], 1]);
}

/** Matrix product as torch.matmul: batched, broadcasting the batch dims; 1-D operands are vectors. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 1 || b.ndim < 1)
    throw new Error(`matmul: scalars are not matrices (${fmt(a.shape)} @ ${fmt(b.shape)})`);
  const a2 = asMatrix(a, true);
  const b2 = asMatrix(b, false);
  const [M, K] = a2.shape.slice(-2);
  const N = b2.shape[b2.ndim - 1];
  if (b2.shape[b2.ndim - 2] !== K) {
    throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  }
  const batch = broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const ab = batchTo(a2, batch);
  const bb = batchTo(b2, batch);
  const full = product(ab, bb, false, false, batch);
  for (const t of [ab, bb, a2, b2]) if (t !== a && t !== b) t.dispose();
  // Drop the dimension a vector operand gained.
  const shape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  const out = full.view(shape);
  full.dispose();
  return record(out, [a, b], (g) => {
    const gm = g.view([...batch, M, N]);
    const res: (Tensor | null)[] = [null, null];
    if (a.requiresGrad) {
      const bm = asMatrix(b, false);
      const bx = batchTo(bm, batch);
      res[0] = reduceTo(product(gm, bx, false, true, batch), a2Shape(a), a.shape); // g @ B^T
      for (const t of [bx, bm]) if (t !== b) t.dispose();
    }
    if (b.requiresGrad) {
      const am = asMatrix(a, true);
      const ax = batchTo(am, batch);
      res[1] = reduceTo(product(ax, gm, true, false, batch), b2Shape(b), b.shape); // A^T @ g
      for (const t of [ax, am]) if (t !== a) t.dispose();
    }
    gm.dispose();
    return res;
  });
}

const a2Shape = (a: Tensor): number[] => (a.ndim === 1 ? [1, a.shape[0]] : a.shape);
const b2Shape = (b: Tensor): number[] => (b.ndim === 1 ? [b.shape[0], 1] : b.shape);

/** Sums broadcast batch dims of a product away, then restores the operand's own shape. */
function reduceTo(g: Tensor, matShape: Shape, shape: Shape): Tensor {
  const s = sumTo(g, matShape);
  const r = s.view(shape);
  if (s !== g) s.dispose();
  g.dispose();
  return r;
}

/** F.linear: x [..., in] @ weight[out, in]^T + bias[out], reading the weight transposed in place. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new Error(`linear: weight must be [out, in], got ${fmt(weight.shape)}`);
  const [O, I] = weight.shape;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== I) {
    throw new Error(
      `linear: input ${fmt(x.shape)} does not end in ${I} features of weight ${fmt(weight.shape)}`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) {
    throw new Error(`linear: bias of shape ${fmt(bias.shape)} does not match ${O} outputs`);
  }
  const rows = x.size / I;
  const out = Tensor.empty([...x.shape.slice(0, -1), O]);
  const wT: Operand = { t: weight, batchStride: 0, rowStride: 1, colStride: I };
  // The bias is added as the GEMM writes (one launch).
  gemm({ t: x, batchStride: 0, rowStride: I, colStride: 1 }, wT, rows, O, I, 1, out, bias ?? null);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, inputs, (g) => {
    const res: (Tensor | null)[] = [null, null, null];
    if (x.requiresGrad) {
      const dx = Tensor.empty(x.shape); // g [rows, O] @ W [O, I]
      gemm(
        { t: g, batchStride: 0, rowStride: O, colStride: 1 },
        { t: weight, batchStride: 0, rowStride: I, colStride: 1 },
        rows,
        I,
        O,
        1,
        dx,
      );
      res[0] = dx;
    }
    if (weight.requiresGrad) {
      const dw = Tensor.empty([O, I]); // g^T [O, rows] @ x [rows, I]
      gemm(
        { t: g, batchStride: 0, rowStride: 1, colStride: O },
        { t: x, batchStride: 0, rowStride: I, colStride: 1 },
        O,
        I,
        rows,
        1,
        dw,
      );
      res[1] = dw;
    }
    if (bias?.requiresGrad) {
      const g2 = g.view([rows, O]);
      res[2] = sum(g2, 0);
      g2.dispose();
    }
    return res;
  });
}
