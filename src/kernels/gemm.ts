// The GEMM bodies (kernels/gemm*.wgsl) and their matmul hooks (kernels/matmul.wgsl). The tile strategy
// is chosen here, per adapter and launch shape (gemmTile); the conv hook sets (src/kernels/conv.ts) ask
// the same function.
import { subgroupsOf8 } from '../gpu/device.ts';
import { rt } from '../gpu/runtime.ts';
import type { Tensor } from '../tensor.ts';
import {
  declareKernel,
  type Kernel,
  type KernelDeclaration,
  type Launch,
  type ParamSpec,
  type WgslFile,
  wgslConst,
} from './declare.ts';

/** Rows and columns of C that one invocation owns, per body (constants of its WGSL). */
const TILE = {
  gemm: { TM: wgslConst('gemm', 'TM'), TN: wgslConst('gemm', 'TN') },
  gemm_subgroup: { TM: wgslConst('gemm_subgroup', 'TM'), TN: wgslConst('gemm_subgroup', 'TN') },
  gemm_subgroup_rows: {
    TM: wgslConst('gemm_subgroup_rows', 'TM'),
    TN: wgslConst('gemm_subgroup_rows', 'TN'),
  },
  gemm_tiled: { TM: wgslConst('gemm_tiled', 'TM'), TN: wgslConst('gemm_tiled', 'TN') },
  gemm_texture: { TM: wgslConst('gemm_texture', 'TM'), TN: wgslConst('gemm_texture', 'TN') },
};

/**
 * The GEMM bodies over the same hooks: the portable register tile (gemm), the CPU driver's
 * subgroup-broadcast variants (gemm_subgroup: lanes along N, A shared; gemm_subgroup_rows: lanes
 * along M, B shared, for results of few columns; gemm_texture: lanes along M reading A from a
 * texture it is first packed into) and the GPUs' workgroup-memory tiles (gemm_tiled).
 */
export type GemmBody = 'gemm' | 'gemm_subgroup' | 'gemm_subgroup_rows' | 'gemm_tiled' | 'gemm_texture';

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

let textureBody = true;

/** Lets gemmTile choose gemm_texture (the default) or not, for A/B timings against the other bodies. */
export function allowTextureBody(on: boolean): void {
  textureBody = on;
}

/** Pins the GEMM body of every launch (tests run each body on one adapter); null restores the choice. */
export function forceGemmBody(body: GemmBody | null): void {
  forced = body;
}

/**
 * A's rows, the depth of its texture and its layers (distinct A's), and the launch's GEMM batches,
 * where a launch can say them.
 */
export interface GemmA {
  rows: number;
  depth: number;
  layers: number;
  batches: number;
}

/** A's rows per texel of gemm_texture's texture: the rows one lane owns. */
const ROWS_PER_TEXEL = TILE.gemm_texture.TM;

/** Whether A fits a texture of this adapter (texel (row / 4, step), one layer per distinct A). */
function fitsTexture(a: GemmA): boolean {
  const l = rt().device.limits;
  const d = l.maxTextureDimension2D;
  return Math.ceil(a.rows / ROWS_PER_TEXEL) <= d && a.depth <= d && a.layers <= l.maxTextureArrayLayers;
}

/** Rows of A below which gemm_texture leaves lanes idle (its workgroup covers 8 lanes x 4 rows). */
const TEXTURE_MIN_ROWS = ROWS_PER_TEXEL * 8;

/**
 * Result columns per packed A value below which packing (and re-reading a texture larger than the
 * caches once per TN columns) costs more than the texture saves. Measured on a Zen 4 lavapipe
 * (session 12, texture vs gemm_subgroup): 64 columns 0.65x (conv 512@16 -> 512, convT 1024@8), 128
 * 0.65x (matmul 4096x1024 @ 1024x128), 256 1.0-1.35x (conv 256@32 -> 512, convT 1024@16 -> 256,
 * matmul 2048x1024 @ 1024x256), 1024 and more 1.2-1.5x (conv 64@128 -> 128, matmul 1024^3); 225
 * 1.45x with its pack (the 70x70 PatchGAN's stride-1 conv 128@16 -> 256 @15x15, session 15).
 */
const TEXTURE_MIN_REUSE = 192;

/** The CPU driver's body for a launch, on subgroups of exactly 8 lanes (see gemmTile). */
function subgroupBody(columns: number, depth: number, a: GemmA | null): GemmBody {
  if (depth < KC) return 'gemm';
  if (columns <= FEW_COLUMNS) return 'gemm_subgroup_rows';
  const texture =
    textureBody &&
    a !== null &&
    a.rows >= TEXTURE_MIN_ROWS &&
    (columns * a.batches) / a.layers >= TEXTURE_MIN_REUSE &&
    fitsTexture(a);
  return texture ? 'gemm_texture' : 'gemm_subgroup';
}

/**
 * The strategy per adapter, and per launch for a result of `columns` columns summed over `depth`
 * steps. The CPU driver (8-lane SIMD, where loads dominate and barriers cost more than they save)
 * wants 8x1 workgroups, and with subgroups of exactly 8 a broadcast body: lanes along N, or along M
 * when N <= FEW_COLUMNS (with 8 lanes x 2 columns along N, a 4-column result would leave 3 lanes in 4
 * recomputing copies). A reduction shorter than one broadcast chunk (the weight gradients of the
 * U-Net's 2x2 and 1x1 layers) has nothing to share and runs 20-35% faster on the plain register
 * tile. Where the launch gives A's size (`a`, for launches through runGemm) and A fills the lanes
 * and fits a texture, gemm_texture replaces gemm_subgroup: the driver fetches a texel (4 floats) per
 * lane at about the cost of one checked storage load, so A costs a quarter of the loads (matmul
 * 1024^3 1.6x, pack included). A GPU gets 16x16 workgroups over workgroup-memory tiles.
 */
export function gemmTile(
  columns = Number.POSITIVE_INFINITY,
  depth = Number.POSITIVE_INFINITY,
  a: GemmA | null = null,
): GemmTile {
  const info = rt().info;
  const sub8 = subgroupsOf8(info);
  const auto: GemmBody = info.isCpu ? (sub8 ? subgroupBody(columns, depth, a) : 'gemm') : 'gemm_tiled';
  const body: GemmBody = forced ?? auto;
  if (body.startsWith('gemm_subgroup') || body === 'gemm_texture') {
    if (!sub8) throw new Error(`${body} needs subgroups of exactly 8 lanes`);
  }
  if (body === 'gemm_texture' && a && !fitsTexture(a))
    throw new Error(
      `gemm_texture: A (${a.rows} rows, ${a.depth} steps, ${a.layers} layers) fits no texture here`,
    );
  // A GPU wants ~2k workgroups in flight. The CPU driver runs them on one thread per core: two per
  // core keep every core busy, and more splits would only add a pass summing the partials.
  const fill = info.isCpu && body !== 'gemm_tiled' ? 2 * info.hostThreads : 2048;
  const { TM, TN } = TILE[body];
  const [WG_X, WG_Y] = body === 'gemm_tiled' ? [16, 16] : info.isCpu || body !== 'gemm' ? [8, 1] : [8, 8];
  // gemm_subgroup_rows and gemm_texture lay their WG_X lanes along M, every other body along N.
  const alongM = body === 'gemm_subgroup_rows' || body === 'gemm_texture';
  const [groupRows, groupCols] = alongM ? [WG_X * TM, TN] : [WG_Y * TM, WG_X * TN];
  return { body, WG_X, WG_Y, TM, TN, groupRows, groupCols, fill };
}

/**
 * The WGSL files of a GEMM body after its hooks: the bodies with lanes along M share gemm_columns.wgsl
 * (the TN columns every lane reads).
 */
export function bodyFiles(body: GemmBody): readonly WgslFile[] {
  return body === 'gemm_subgroup_rows' || body === 'gemm_texture' ? ['gemm_columns', body] : [body];
}

/** A hook set's kernels: its GEMM on every body, and the pack of its A for gemm_texture. */
export interface GemmKernels<P extends ParamSpec, B extends string, C extends string> {
  body: Record<GemmBody, Kernel<P, { gemm: readonly B[] }, C>>;
  pack: Kernel<P, { gemm_pack: readonly string[] }, C>;
  /** The binding name of A, the operand gemm_texture reads from its texture. */
  a: B;
}

/**
 * Declares a hook set's GEMM on every body (`make(body)`: the same params, entries and constants),
 * and for gemm_texture the pack of A (binding `a`) into the texture that replaces it.
 */
export function gemmKernels<P extends ParamSpec, const B extends string, C extends string>(
  make: (body: GemmBody) => KernelDeclaration<P, { gemm: readonly B[] }, C>,
  a: NoInfer<B>,
): GemmKernels<P, B, C> {
  const body = {} as Record<GemmBody, Kernel<P, { gemm: readonly B[] }, C>>;
  for (const name of Object.keys(TILE) as GemmBody[]) {
    const decl = make(name);
    body[name] = declareKernel(name === 'gemm_texture' ? { ...decl, rebind: { [a]: 'gemm_at' } } : decl);
  }
  const t = make('gemm_texture');
  const pack = declareKernel({ ...t, name: `${t.name} pack`, entries: { gemm_pack: [a, 'gemm_at_out'] } });
  return { body, pack, a };
}

/**
 * Records one GEMM launch of a hook set on `tile` (from gemmTile with the same `a`). On gemm_texture
 * it first packs A into the runtime's scratch texture of its size, then binds that texture as A.
 */
export function runGemm<P extends ParamSpec, B extends string, C extends string>(
  k: GemmKernels<P, B, C>,
  tile: GemmTile,
  launch: Launch<P, B, C>,
  a: GemmA,
): void {
  if (tile.body !== 'gemm_texture') {
    k.body[tile.body].run('gemm', launch);
    return;
  }
  const width = Math.ceil(a.rows / ROWS_PER_TEXEL);
  const tex = rt().scratchTexture(width, a.depth, a.layers);
  const [px, py] = [wgslConst('gemm_texture', 'PACK_X'), wgslConst('gemm_texture', 'PACK_Y')];
  k.pack.run('gemm_pack', {
    params: launch.params,
    bind: { [k.a]: launch.bind[k.a], gemm_at_out: tex.view },
    workgroups: [Math.ceil(width / px), Math.ceil(a.depth / py), a.layers],
    constants: launch.constants,
  });
  k.body.gemm_texture.run('gemm', {
    ...launch,
    bind: { ...launch.bind, [k.a]: tex.view },
    // A_LAYERS is gemm_texture's own constant, outside the hook set's declared ones
    constants: { ...launch.constants, A_LAYERS: a.layers } as Record<C, number>,
  });
}

/** The workgroup grid covering an M x N result per batch. */
export function gemmGrid(tile: GemmTile, M: number, N: number, batches: number): [number, number, number] {
  return [Math.ceil(N / tile.groupCols), Math.ceil(M / tile.groupRows), batches];
}

const MATMUL = gemmKernels(
  (body) => ({
    name: 'matmul',
    files: ['matmul', ...bodyFiles(body)],
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
      transpose_c: 'u32',
    },
    entries: { gemm: ['A', 'B', 'C', 'bias'] },
    constants: ['WG_X', 'WG_Y'],
  }),
  'A',
);

/** A GEMM operand read through strides: element [b, r, c] at b*batchStride + r*rowStride + c*colStride. */
export interface Operand {
  t: Tensor;
  batchStride: number;
  rowStride: number;
  colStride: number;
}

/** A matmul's A as gemm_texture packs it: one layer per batch unless A is broadcast (stride 0). */
const matmulA = (batchStride: number, rows: number, depth: number, batches: number): GemmA => ({
  rows,
  depth,
  layers: batchStride === 0 ? 1 : batches,
  batches,
});

/**
 * Result columns from which a matmul that misses gemm_texture runs transposed to take it (they are the
 * transposed launch's rows of A). Zen 4 lavapipe, session 13: [4096, 1024] @ [1024, 128] 45.4 -> 39.2
 * ms transposed (1.15x), [2048, 512] @ [512, 64] 6.9 -> 8.1 ms (0.85x).
 */
const TRANSPOSE_MIN_COLUMNS = 128;

/**
 * The tile of a matmul launch of [M, N] over K (A's and B's batch strides given), and whether it runs
 * transposed (C^T = B^T A^T, written through transpose_c). On the CPU driver gemm_texture pays only
 * where each packed value of A serves many columns: a tall, narrow result (4096 x 128) gets that reuse
 * the other way round, so it runs transposed when only that orientation takes the texture.
 */
export function matmulTile(
  aBatchStride: number,
  bBatchStride: number,
  M: number,
  N: number,
  K: number,
  batches: number,
): { tile: GemmTile; transposed: boolean } {
  const tile = gemmTile(N, K, matmulA(aBatchStride, M, K, batches));
  if (tile.body === 'gemm_texture' || !rt().info.isCpu || N < TRANSPOSE_MIN_COLUMNS)
    return { tile, transposed: false };
  const t = gemmTile(M, K, matmulA(bBatchStride, N, K, batches));
  return t.body === 'gemm_texture' ? { tile: t, transposed: true } : { tile, transposed: false };
}

/** The transpose of a strided operand: the same elements, rows and columns swapped. */
const transposed = (o: Operand): Operand => ({ ...o, rowStride: o.colStride, colStride: o.rowStride });

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
  const t = matmulTile(a.batchStride, b.batchStride, M, N, K, batches);
  // Transposed: A' = B^T [N, K], B' = A^T [K, M], and C' [m, n] is C [n, m].
  const [A, B, m, n] = t.transposed ? [transposed(b), transposed(a), N, M] : [a, b, M, N];
  runGemm(
    MATMUL,
    t.tile,
    {
      params: {
        M: m,
        N: n,
        K,
        batches,
        sab: A.batchStride,
        sam: A.rowStride,
        sak: A.colStride,
        has_bias: bias ? 1 : 0,
        sbb: B.batchStride,
        sbk: B.rowStride,
        sbn: B.colStride,
        transpose_c: t.transposed ? 1 : 0,
      },
      bind: { A: A.t, B: B.t, C: out, bias: bias ?? a.t },
      workgroups: gemmGrid(t.tile, m, n, batches),
      constants: { WG_X: t.tile.WG_X, WG_Y: t.tile.WG_Y },
    },
    matmulA(A.batchStride, m, K, batches),
  );
}
