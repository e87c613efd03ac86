// The GEMM bodies (kernels/gemm*.wgsl) and their matmul hooks (kernels/matmul.wgsl). The tile strategy
// is chosen here, per adapter and launch shape (gemmTile); the conv hook sets (src/kernels/conv.ts) ask
// the same function.
import { subgroupsOf8 } from '../gpu/device.ts';
import { rt } from '../gpu/runtime.ts';
import type { Tensor } from '../tensor.ts';
import { declareKernel, wgslConst } from './declare.ts';

/** Rows and columns of C that one invocation owns, per body (constants of its WGSL). */
const TILE = {
  gemm: { TM: wgslConst('gemm', 'TM'), TN: wgslConst('gemm', 'TN') },
  gemm_subgroup: { TM: wgslConst('gemm_subgroup', 'TM'), TN: wgslConst('gemm_subgroup', 'TN') },
  gemm_subgroup_rows: {
    TM: wgslConst('gemm_subgroup_rows', 'TM'),
    TN: wgslConst('gemm_subgroup_rows', 'TN'),
  },
  gemm_tiled: { TM: wgslConst('gemm_tiled', 'TM'), TN: wgslConst('gemm_tiled', 'TN') },
};

/**
 * The GEMM bodies over the same hooks: the portable register tile (gemm), the CPU driver's
 * subgroup-broadcast variants (gemm_subgroup: lanes along N, A shared; gemm_subgroup_rows: lanes
 * along M, B shared, for results of few columns) and the GPUs' workgroup-memory tiles (gemm_tiled).
 */
export type GemmBody = 'gemm' | 'gemm_subgroup' | 'gemm_subgroup_rows' | 'gemm_tiled';

export interface GemmTile {
  body: GemmBody;
  WG_X: number;
  WG_Y: number;
  /** Rows and columns of C per invocation (the body's constants). */
  TM: number;
  TN: number;
  /** Rows and columns of C one workgroup covers. */
  groupRows: number;
  groupCols: number;
  /** The workgroups a split-K launch aims for: what fills the device. */
  fill: number;
}

/** Results with at most this many columns take gemm_subgroup_rows where gemm_subgroup would be used. */
const FEW_COLUMNS = 8;
/** The reduction steps the subgroup bodies broadcast at a time (their KC). */
const KC = wgslConst('gemm_subgroup', 'KC');

let forced: GemmBody | null = null;

/** Pins the GEMM body of every launch (tests run each body on one adapter); null restores the choice. */
export function forceGemmBody(body: GemmBody | null): void {
  forced = body;
}

/** The CPU driver's body for a launch, on subgroups of exactly 8 lanes (see gemmTile). */
function subgroupBody(columns: number, depth: number): GemmBody {
  if (depth < KC) return 'gemm';
  return columns <= FEW_COLUMNS ? 'gemm_subgroup_rows' : 'gemm_subgroup';
}

/**
 * The strategy per adapter, and per launch for a result of `columns` columns summed over `depth`
 * steps. The CPU driver (8-lane SIMD, where loads dominate and barriers cost more than they save)
 * wants 8x1 workgroups, and with subgroups of exactly 8 a broadcast body: lanes along N, or along M
 * when N <= FEW_COLUMNS (with 8 lanes x 2 columns along N, a 4-column result would leave 3 lanes in 4
 * recomputing copies). A reduction shorter than one broadcast chunk (the weight gradients of the
 * U-Net's 2x2 and 1x1 layers) has nothing to share and runs 20-35% faster on the plain register
 * tile. A GPU gets 16x16 workgroups over workgroup-memory tiles.
 */
export function gemmTile(columns = Number.POSITIVE_INFINITY, depth = Number.POSITIVE_INFINITY): GemmTile {
  const info = rt().info;
  const sub8 = subgroupsOf8(info);
  const auto: GemmBody = info.isCpu ? (sub8 ? subgroupBody(columns, depth) : 'gemm') : 'gemm_tiled';
  const body: GemmBody = forced ?? auto;
  if ((body === 'gemm_subgroup' || body === 'gemm_subgroup_rows') && !sub8)
    throw new Error(`${body} needs subgroups of exactly 8 lanes`);
  // A GPU wants ~2k workgroups in flight. The CPU driver runs them on one thread per core: two per
  // core keep every core busy, and more splits would only add a pass summing the partials.
  const fill = info.isCpu && body !== 'gemm_tiled' ? 2 * info.hostThreads : 2048;
  const { TM, TN } = TILE[body];
  const [WG_X, WG_Y] = body === 'gemm_tiled' ? [16, 16] : info.isCpu || body !== 'gemm' ? [8, 1] : [8, 8];
  // gemm_subgroup_rows lays its WG_X lanes along M, every other body along N.
  const [groupRows, groupCols] = body === 'gemm_subgroup_rows' ? [WG_X * TM, TN] : [WG_Y * TM, WG_X * TN];
  return { body, WG_X, WG_Y, TM, TN, groupRows, groupCols, fill };
}

/** One declaration per GEMM body for a hook set (the same params, entries and constants). */
export function perBody<K>(make: (body: GemmBody) => K): Record<GemmBody, K> {
  return {
    gemm: make('gemm'),
    gemm_subgroup: make('gemm_subgroup'),
    gemm_subgroup_rows: make('gemm_subgroup_rows'),
    gemm_tiled: make('gemm_tiled'),
  };
}

/** The workgroup grid covering an M x N result per batch. */
export function gemmGrid(tile: GemmTile, M: number, N: number, batches: number): [number, number, number] {
  return [Math.ceil(N / tile.groupCols), Math.ceil(M / tile.groupRows), batches];
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
  const tile = gemmTile(N, K);
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
