// The GEMM body (kernels/gemm.wgsl) and its matmul hooks (kernels/matmul.wgsl). The tile strategy is
// chosen per adapter here, once; the conv hook sets (src/kernels/conv.ts) use the same one.
import { rt } from '../gpu/runtime.ts';
import type { Tensor } from '../tensor.ts';
import { declareKernel, wgslConst } from './declare.ts';

/** Rows and columns of C that one invocation owns (constants of gemm.wgsl). */
export const TM = wgslConst('gemm', 'TM');
export const TN = wgslConst('gemm', 'TN');

export interface GemmTile {
  WG_X: number;
  WG_Y: number;
}

/** Tile shape per adapter: 8x1 workgroups suit the CPU driver's 8-lane SIMD, 8x8 a GPU. */
export function gemmTile(): GemmTile {
  return rt().info.isCpu ? { WG_X: 8, WG_Y: 1 } : { WG_X: 8, WG_Y: 8 };
}

/** The workgroup grid covering an M x N result per batch. */
export function gemmGrid(tile: GemmTile, M: number, N: number, batches: number): [number, number, number] {
  return [Math.ceil(N / (tile.WG_X * TN)), Math.ceil(M / (tile.WG_Y * TM)), batches];
}

const MATMUL = declareKernel({
  name: 'matmul',
  files: ['matmul', 'gemm'],
  params: {
    M: 'u32',
    N: 'u32',
    K: 'u32',
    batches: 'u32',
    sab: 'u32',
    sam: 'u32',
    sak: 'u32',
    sbb: 'u32',
    sbk: 'u32',
    sbn: 'u32',
  },
  entries: { gemm: ['A', 'B', 'C'] },
  constants: ['WG_X', 'WG_Y'],
});

/** A GEMM operand read through strides: element [b, r, c] at b*batchStride + r*rowStride + c*colStride. */
export interface Operand {
  t: Tensor;
  batchStride: number;
  rowStride: number;
  colStride: number;
}

/** out[b] = A[b] @ B[b] for dense out of shape [batches, M, N]. */
export function gemm(
  a: Operand,
  b: Operand,
  M: number,
  N: number,
  K: number,
  batches: number,
  out: Tensor,
): void {
  if (M * N * batches === 0) return;
  const tile = gemmTile();
  MATMUL.run('gemm', {
    params: {
      M,
      N,
      K,
      batches,
      sab: a.batchStride,
      sam: a.rowStride,
      sak: a.colStride,
      sbb: b.batchStride,
      sbk: b.rowStride,
      sbn: b.colStride,
    },
    bind: { A: a.t, B: b.t, C: out },
    workgroups: gemmGrid(tile, M, N, batches),
    constants: { WG_X: tile.WG_X, WG_Y: tile.WG_Y },
  });
}
