// The GEMM body (kernels/gemm.wgsl) and its matmul hooks (kernels/matmul.wgsl). The tile strategy is
// chosen per adapter here, once; the conv hook sets (src/kernels/conv.ts) use the same one.
import { subgroupsOf8 } from '../gpu/device.ts';
import { rt } from '../gpu/runtime.ts';
import type { Tensor } from '../tensor.ts';
import { declareKernel, wgslConst } from './declare.ts';

/** Rows and columns of C that one invocation owns, per body (constants of its WGSL). */
const TILE = {
  gemm: { TM: wgslConst('gemm', 'TM'), TN: wgslConst('gemm', 'TN') },
  gemm_subgroup: { TM: wgslConst('gemm_subgroup', 'TM'), TN: wgslConst('gemm_subgroup', 'TN') },
  gemm_tiled: { TM: wgslConst('gemm_tiled', 'TM'), TN: wgslConst('gemm_tiled', 'TN') },
};

/**
 * The GEMM bodies over the same hooks: the portable register tile (gemm), the CPU driver's
 * subgroup-broadcast variant (gemm_subgroup) and the GPUs' workgroup-memory tiles (gemm_tiled).
 */
export type GemmBody = 'gemm' | 'gemm_subgroup' | 'gemm_tiled';

export interface GemmTile {
  body: GemmBody;
  WG_X: number;
  WG_Y: number;
  /** Rows and columns of C per invocation (the body's constants). */
  TM: number;
  TN: number;
  /** The workgroups a split-K launch aims for: what fills the device. */
  fill: number;
}

let forced: GemmBody | null = null;

/** Pins the GEMM body (tests run both on one adapter); null restores the adapter's choice. */
export function forceGemmBody(body: GemmBody | null): void {
  forced = body;
}

/**
 * The strategy per adapter. The CPU driver (8-lane SIMD, where loads dominate and barriers cost more
 * than they save) wants 8x1 workgroups, and with subgroups of exactly 8 the broadcast body; a GPU
 * gets 16x16 workgroups over workgroup-memory tiles.
 */
export function gemmTile(): GemmTile {
  const info = rt().info;
  const sub8 = subgroupsOf8(info);
  const body: GemmBody = forced ?? (info.isCpu ? (sub8 ? 'gemm_subgroup' : 'gemm') : 'gemm_tiled');
  if (body === 'gemm_subgroup' && !sub8) throw new Error('gemm_subgroup needs subgroups of exactly 8 lanes');
  // A GPU wants ~2k workgroups in flight. The CPU driver runs them on one thread per core: two per
  // core keep every core busy, and more splits would only add a pass summing the partials.
  const fill = info.isCpu && body !== 'gemm_tiled' ? 2 * info.hostThreads : 2048;
  if (body === 'gemm_tiled') return { body, WG_X: 16, WG_Y: 16, ...TILE[body], fill };
  return info.isCpu || body === 'gemm_subgroup'
    ? { body, WG_X: 8, WG_Y: 1, ...TILE[body], fill }
    : { body, WG_X: 8, WG_Y: 8, ...TILE[body], fill };
}

/** One declaration per GEMM body for a hook set (the same params, entries and constants). */
export function perBody<K>(make: (body: GemmBody) => K): Record<GemmBody, K> {
  return { gemm: make('gemm'), gemm_subgroup: make('gemm_subgroup'), gemm_tiled: make('gemm_tiled') };
}

/** The workgroup grid covering an M x N result per batch. */
export function gemmGrid(tile: GemmTile, M: number, N: number, batches: number): [number, number, number] {
  return [Math.ceil(N / (tile.WG_X * tile.TN)), Math.ceil(M / (tile.WG_Y * tile.TM)), batches];
}

const MATMUL = perBody((body) =>
  declareKernel({
    name: 'matmul',
    files: ['matmul', body],
    params: {
      M: 'u32',
      N: 'u32',
      K: 'u32',
      batches: 'u32',
      sab: 'u32',
      sam: 'u32',
      sak: 'u32',
      has_bias: 'u32',
      sbb: 'u32',
      sbk: 'u32',
      sbn: 'u32',
    },
    entries: { gemm: ['A', 'B', 'C', 'bias'] },
    constants: ['WG_X', 'WG_Y'],
  }),
);

/** A GEMM operand read through strides: element [b, r, c] at b*batchStride + r*rowStride + c*colStride. */
export interface Operand {
  t: Tensor;
  batchStride: number;
  rowStride: number;
  colStride: number;
}

/** out[b] = A[b] @ B[b] (+ bias[n] on every row) for dense out of shape [batches, M, N]. */
export function gemm(
  a: Operand,
  b: Operand,
  M: number,
  N: number,
  K: number,
  batches: number,
  out: Tensor,
  bias: Tensor | null = null,
): void {
  if (M * N * batches === 0) return;
  const tile = gemmTile();
  MATMUL[tile.body].run('gemm', {
    params: {
      M,
      N,
      K,
      batches,
      sab: a.batchStride,
      sam: a.rowStride,
      sak: a.colStride,
      has_bias: bias ? 1 : 0,
      sbb: b.batchStride,
      sbk: b.rowStride,
      sbn: b.colStride,
    },
    bind: { A: a.t, B: b.t, C: out, bias: bias ?? a.t },
    workgroups: gemmGrid(tile, M, N, batches),
    constants: { WG_X: tile.WG_X, WG_Y: tile.WG_Y },
  });
}
