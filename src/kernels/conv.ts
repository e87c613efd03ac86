// Implicit-GEMM convolution on the GEMM body: the hook sets kernels/conv_{forward,dgrad,wgrad}.wgsl,
// sharing kernels/conv.wgsl's params and bindings. Three launchers cover every conv and transposed
// conv, forward and backward: forward (conv y, convT dx), dgrad (conv dx, convT y, all stride phases
// in one launch), wgrad (both weight gradients, split-K). The zero padding is never copied: the hooks
// give each read's position and the GEMM body zeroes those outside the operand. No gradient is recorded.
import { rt } from '../gpu/runtime.ts';
import { Tensor } from '../tensor.ts';
import { type Bindable, type KernelDeclaration, type ParamSpec, wgslConst } from './declare.ts';
import { bodyFiles, type GemmBody, type GemmTile, gemmGrid, gemmKernels, gemmTile, runGemm } from './gemm.ts';
import { REDUCE_SUM, reduce, sumPair } from './reduce.ts';

/** A conv's geometry: x [N, C, H, W] * w [K, C, KH, KW] -> y [N, K, OH, OW]. */
export interface ConvGeom {
  N: number;
  C: number;
  H: number;
  W: number;
  K: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

const PARAMS = {
  N: 'u32',
  C: 'u32',
  H: 'u32',
  W: 'u32',
  K: 'u32',
  OH: 'u32',
  OW: 'u32',
  KH: 'u32',
  KW: 'u32',
  sh: 'u32',
  sw: 'u32',
  dh: 'u32',
  dw: 'u32',
  has_bias: 'u32',
  ph: 'u32',
  pw: 'u32',
  n_phases: 'u32',
  kstep_h: 'u32',
  kstep_w: 'u32',
  ostep_h: 'u32',
  ostep_w: 'u32',
  chunk: 'u32',
  splits: 'u32',
  in_slope: 'f32',
  accumulate: 'u32',
  has_residual: 'u32',
  phases: 'u32x192',
} as const satisfies ParamSpec;

/** Pipeline constants of every conv launch: the GEMM tile's workgroup and the kernel's size. */
type ConvConstant = 'WG_X' | 'WG_Y' | 'TAP_H' | 'TAP_W' | 'IN_ACT' | 'FOLD';
const CONV_CONSTANTS = ['WG_X', 'WG_Y', 'TAP_H', 'TAP_W', 'IN_ACT', 'FOLD'] as const;

const conv = <const E extends Record<string, readonly string[]>, C extends string = ConvConstant>(
  name: 'conv_forward' | 'conv_dgrad' | 'conv_wgrad',
  entries: E,
  body: GemmBody,
  constants: readonly C[] = CONV_CONSTANTS as readonly string[] as readonly C[],
): KernelDeclaration<typeof PARAMS, E, C> => ({
  name,
  // conv_wgrad declares its output as vec4s; the others through conv_out.wgsl, as floats
  files:
    name === 'conv_wgrad'
      ? ['conv', name, ...bodyFiles(body)]
      : ['conv', 'conv_out', name, ...bodyFiles(body)],
  params: PARAMS,
  entries,
  constants,
});

/**
 * The pipeline constants of a conv launch on `tile`: a pipeline per kernel size, tile, place of a
 * fused activation, and whether its images lie side by side in one GEMM batch (`fold` images).
 */
function convConstants(tile: GemmTile, g: ConvGeom, act: InputAct, fold = 1): Record<ConvConstant, number> {
  const FOLD = fold > 1 ? 1 : 0;
  return { WG_X: tile.WG_X, WG_Y: tile.WG_Y, TAP_H: g.KH, TAP_W: g.KW, IN_ACT: act?.where ?? 0, FOLD };
}

// A (the weight for forward and dgrad, dy for wgrad) is in2 in every hook set.
const FORWARD = gemmKernels(
  (b) => conv('conv_forward', { gemm: ['in1', 'in2', 'in3', 'out', 'in4'] }, b),
  'in2',
);
/** conv_dgrad's own constants: the taps of every stride phase when all phases have the same. */
const DGRAD_CONSTANTS = [...CONV_CONSTANTS, 'PHASE_TAPS_H', 'PHASE_TAPS_W'] as const;
const DGRAD = gemmKernels(
  (b) => conv('conv_dgrad', { gemm: ['in1', 'in2', 'in3', 'out', 'in4'] }, b, DGRAD_CONSTANTS),
  'in2',
);
const WGRAD = gemmKernels((b) => conv('conv_wgrad', { gemm: ['in1', 'in2', 'out', 'out2'] }, b), 'in2');

/** Stride phases one dgrad launch can hold (the phase table of kernels/conv.wgsl). */
const MAX_PHASES = 16;

type Extra = Partial<
  Record<
    | 'n_phases'
    | 'kstep_h'
    | 'kstep_w'
    | 'ostep_h'
    | 'ostep_w'
    | 'chunk'
    | 'splits'
    | 'in_slope'
    | 'accumulate'
    | 'has_residual',
    number
  >
>;

/** Where a fused leaky ReLU applies (kernels/conv.wgsl's ACT_* bits). */
export const ACT_B = wgslConst('conv', 'ACT_B');
export const ACT_A = wgslConst('conv', 'ACT_A');
export const ACT_GRAD = wgslConst('conv', 'ACT_GRAD');

/**
 * A leaky ReLU (slope 0: ReLU) fused into a launch: applied to B or A as read, or, for ACT_GRAD, the
 * output multiplied by its derivative at `x` (null: none).
 */
export type InputAct = { slope: number; where: number; x?: Tensor } | null;

const actParams = (act: InputAct): Extra => (act ? { in_slope: act.slope } : {});

function actInput(act: InputAct): Tensor | null {
  if (!act || !(act.where & ACT_GRAD)) return null;
  if (!act.x) throw new Error('conv: an ACT_GRAD activation needs its input x');
  return act.x;
}

/** kernels/conv.wgsl's params: the geometry, the hook set's own fields (others 0), the phase table. */
function params(g: ConvGeom, hasBias: boolean, extra: Extra = {}, phases: number[] = []) {
  const { N, C, H, W, K, OH, OW, KH, KW, sh, sw, dh, dw, ph, pw } = g;
  const unused = {
    n_phases: 0,
    kstep_h: 0,
    kstep_w: 0,
    ostep_h: 0,
    ostep_w: 0,
    chunk: 0,
    splits: 0,
    accumulate: 0,
    in_slope: 0,
    has_residual: 0,
  };
  const geometry = { N, C, H, W, K, OH, OW, KH, KW, sh, sw, dh, dw, ph, pw, has_bias: hasBias ? 1 : 0 };
  return { ...geometry, ...unused, ...extra, phases };
}

/**
 * y = conv(x, w) + bias (+ residual, of y's shape); the hooks read the zero padding as zeros (no
 * padded copy). Every launcher here takes `into`: a tensor of the output's size that the result is
 * added to in place (a gradient summed where it accumulates) and that is returned.
 */
export function convForward(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  g: ConvGeom,
  act: InputAct = null,
  into?: Tensor,
  residual?: Tensor,
): Tensor {
  // Both bind in4: the activation's input (a transposed conv's input gradient) or the residual.
  if (residual && actInput(act)) throw new Error('convForward: a residual with an ACT_GRAD activation');
  const y = into ?? Tensor.empty([g.N, g.K, g.OH, g.OW]);
  const M = g.K;
  const fold = foldImages(g.OH * g.OW, g.N);
  const N = fold * g.OH * g.OW;
  if (M * N * g.N === 0) return y;
  const texA = { rows: M, depth: g.C * g.KH * g.KW, layers: 1, batches: g.N / fold };
  const tile = gemmTile(N, texA.depth, texA);
  // An absent bias still needs a buffer bound; the kernel never reads it (has_bias = 0).
  runGemm(
    FORWARD,
    tile,
    {
      params: params(g, !!bias, {
        ...actParams(act),
        accumulate: into ? 1 : 0,
        has_residual: residual ? 1 : 0,
      }),
      bind: { in1: x, in2: w, in3: bias ?? x, out: y, in4: residual ?? actInput(act) ?? x },
      workgroups: gemmGrid(tile, M, N, g.N / fold),
      constants: convConstants(tile, g, act, fold),
    },
    texA,
  );
  return y;
}

const FOLD_BELOW_COLUMNS = wgslConst('gemm_subgroup_rows', 'TN');

/**
 * Images a conv_forward or conv_dgrad launch puts side by side in one GEMM batch: all of them where an
 * image has fewer result columns than gemm_subgroup_rows' column tile (8: the 1x1 and 2x2 layers),
 * else 1. The batch's A is then read once per column tile for all images instead of once per image
 * (64 px width-64 step, interleaved, with 4-column tiles then: input gradients 251 -> 241 ms;
 * bench/RESULTS.md).
 */
function foldImages(columns: number, images: number): number {
  return columns < FOLD_BELOW_COLUMNS ? images : 1;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The taps of one stride phase along a dimension, as the dgrad hooks walk them. */
interface PhaseTaps {
  /** First pixel, pixels in the phase. */
  start: number;
  count: number;
  /** First tap, tap step, number of taps. */
  k0: number;
  kstep: number;
  nk: number;
  /** dy row of the phase's first pixel for the first tap, and how far it moves per tap. */
  c0: number;
  ostep: number;
}

/**
 * Pixels i = r + j*s (j < count) of an input dimension of `size` receive the taps k with
 * (i + p - k*d) divisible by s; those form an arithmetic progression, and dy's index is
 * (i + p - k*d) / s = j + c0 - t*ostep for the t-th tap.
 */
function phaseTaps(r: number, size: number, s: number, p: number, d: number, kernel: number): PhaseTaps {
  const count = Math.ceil((size - r) / s);
  const ks: number[] = [];
  for (let k = 0; k < kernel; k++) if ((((r + p - k * d) % s) + s) % s === 0) ks.push(k);
  const k0 = ks[0] ?? 0;
  // Solutions of k*d = r + p (mod s) step by s / gcd(s, d); dy's index then moves by d / gcd(s, d).
  const g = gcd(s, d);
  // With no taps (nk = 0) the phase only receives the bias: c0 is then unused.
  const c0 = ks.length ? (r + p - k0 * d) / s : 0;
  return { start: r, count, k0, kstep: s / g, nk: ks.length, c0, ostep: d / g };
}

/**
 * dx = dgrad(dy, w) + bias[c]: the conv input gradient (also a transposed conv's output), every
 * stride phase in one launch.
 */
export function convDgrad(
  dy: Tensor,
  w: Tensor,
  bias: Tensor | null,
  g: ConvGeom,
  act: InputAct = null,
  into?: Tensor,
): Tensor {
  const dx = into ?? Tensor.empty([g.N, g.C, g.H, g.W]);
  const rows: PhaseTaps[] = [];
  const cols: PhaseTaps[] = [];
  for (let r = 0; r < g.sh; r++) rows.push(phaseTaps(r, g.H, g.sh, g.ph, g.dh, g.KH));
  for (let r = 0; r < g.sw; r++) cols.push(phaseTaps(r, g.W, g.sw, g.pw, g.dw, g.KW));
  const live: [PhaseTaps, PhaseTaps][] = [];
  for (const th of rows) for (const tw of cols) if (th.count > 0 && tw.count > 0) live.push([th, tw]);
  if (live.length > MAX_PHASES)
    throw new Error(`conv: stride ${g.sh}x${g.sw} has more than ${MAX_PHASES} phases`);
  const table = live.flatMap(([th, tw]) => [
    ...[th.start, tw.start, th.k0, tw.k0],
    ...[th.nk, tw.nk, th.count, tw.count],
    ...[th.c0, tw.c0, 0, 0], // may be negative: the hooks read them as i32
  ]);
  // Steps are the same for every phase of a dimension: they depend on stride and dilation only.
  const [th0, tw0] = live[0] ?? [rows[0], cols[0]];
  // Phases of few pixels put the images side by side (fold), as conv_forward does.
  const pixels = Math.max(0, ...live.map(([th, tw]) => th.count * tw.count));
  const fold = foldImages(pixels, g.N);
  const maxN = fold * pixels;
  const extra = {
    ...actParams(act),
    accumulate: into ? 1 : 0,
    n_phases: live.length,
    kstep_h: th0.kstep,
    kstep_w: tw0.kstep,
    ostep_h: th0.ostep,
    ostep_w: tw0.ostep,
  };
  // Every phase with the same taps (none without any): the hooks split steps by constants.
  const same = th0.nk > 0 && tw0.nk > 0 && live.every(([th, tw]) => th.nk === th0.nk && tw.nk === tw0.nk);
  if (g.C * maxN * g.N * live.length > 0) {
    // A per phase: the weight's taps of that phase (depth K x taps), one texture layer each.
    const depth = g.K * Math.max(...live.map(([th, tw]) => th.nk * tw.nk));
    const texA = { rows: g.C, depth, layers: live.length, batches: (g.N / fold) * live.length };
    const tile = gemmTile(maxN, depth, texA);
    runGemm(
      DGRAD,
      tile,
      {
        params: params(g, !!bias, extra, table),
        bind: { in1: dy, in2: w, in3: bias ?? dy, out: dx, in4: actInput(act) ?? dy },
        workgroups: gemmGrid(tile, g.C, maxN, (g.N / fold) * live.length),
        constants: {
          ...convConstants(tile, g, act, fold),
          PHASE_TAPS_H: same ? th0.nk : 0,
          PHASE_TAPS_W: same ? tw0.nk : 0,
        },
      },
      texA,
    );
  }
  return dx;
}

/** dW = sum over positions of dy x im2col(x), split-K, then a sum of the splits. */
export function convWgrad(x: Tensor, dy: Tensor, g: ConvGeom, act: InputAct = null, into?: Tensor): Tensor {
  return wgrad(x, dy, g, act, into, null)[0];
}

/**
 * Whether convWgradBias applies: every window corner (oh*sh, ow*sw) lies inside x, where the extra
 * column of ones is read (true unless the padding is wider than the kernel reaches).
 */
export function wgradTakesBias(g: ConvGeom): boolean {
  return (g.OH - 1) * g.sh < g.H && (g.OW - 1) * g.sw < g.W;
}

/**
 * convWgrad and the bias gradient db[k] = sum of dy[., k, ., .] from the same launch (one more GEMM
 * column, of ones), the split-K partials of both summed by one more; each added into its `into` when
 * given. Needs wgradTakesBias(g).
 */
export function convWgradBias(
  x: Tensor,
  dy: Tensor,
  g: ConvGeom,
  act: InputAct = null,
  into?: Tensor,
  biasInto?: Tensor,
): [Tensor, Tensor] {
  if (!wgradTakesBias(g)) throw new Error('convWgradBias: a window corner lies outside the input');
  const [dw, db] = wgrad(x, dy, g, act, into, { into: biasInto });
  return [dw, db!];
}

/**
 * conv_wgrad's output binding: the kernel reads it as vec4s, so a region (an optimizer's gradient
 * slot) is bound rounded up to 16 bytes, into the padding that follows it in its pack (pool buffers
 * are whole multiples of 16 bytes already).
 */
function vec4Binding(t: Tensor): Bindable {
  const b = t.binding;
  if (b.size === undefined && t.buffer.size % 16 === 0) return t;
  const offset = b.offset ?? 0;
  const size = Math.ceil((b.size ?? t.buffer.size - offset) / 16) * 16;
  if (offset + size > t.buffer.size)
    throw new Error(
      `conv_wgrad: ${t.size} values at byte ${offset} leave no room for a whole vec4 in their buffer`,
    );
  return { binding: { buffer: t.buffer, offset, size } };
}

/** A buffer bound where a launch binds nothing (conv_wgrad's out2 without a bias). */
let unbound: GPUBuffer | null = null;

function wgrad(
  x: Tensor,
  dy: Tensor,
  g: ConvGeom,
  act: InputAct,
  into: Tensor | undefined,
  bias: { into?: Tensor } | null,
): [Tensor, Tensor | null] {
  const M = g.K;
  const taps = g.C * g.KH * g.KW;
  const N = taps + (bias ? 1 : 0);
  const depth = g.N * g.OH * g.OW;
  // The split count is found on the body chosen without A's texture (whose layers are the splits):
  // it only has to fill the device, which on the CPU driver every U-Net layer does with one split.
  const grid = gemmTile(N, depth);
  const tiles = Math.ceil(M / grid.groupRows) * Math.ceil(N / grid.groupCols);
  // Enough splits to fill the device (tile.fill workgroups), but never chunks under 256 positions.
  const splits = Math.max(1, Math.min(Math.ceil(depth / 256), Math.ceil(grid.fill / tiles)));
  const chunk = Math.ceil(depth / splits);
  const texA = { rows: M, depth: chunk, layers: splits, batches: splits };
  const tile = gemmTile(N, chunk, texA);
  const shape = [g.K, g.C, g.KH, g.KW];
  // One split writes the gradients (or adds them into `into`); several write partials, summed after.
  const db = bias ? (bias.into ?? Tensor.empty([g.K])) : null;
  const direct = splits === 1 || db !== null;
  const dw = into ?? (direct ? Tensor.empty(shape) : null);
  const part = splits === 1 ? dw! : Tensor.empty([splits, M * N]);
  if (M * taps === 0) {
    if (part !== dw) part.dispose();
    return [dw ?? Tensor.empty(shape), db];
  }
  // Gradients add into `into` and bias.into, unless they are still-zeroed slots (written instead).
  const addW = !!into && !into.zeroed;
  const addB = !!bias?.into && !bias.into.zeroed;
  const accumulate = splits === 1 ? (addW ? 1 : 0) | (addB ? 2 : 0) : 0;
  unbound ??= rt().pool.acquire(16);
  runGemm(
    WGRAD,
    tile,
    {
      params: { ...params(g, !!bias, { chunk, splits, ...actParams(act) }), accumulate },
      bind: { in1: x, in2: dy, out: vec4Binding(part), out2: splits === 1 && db ? db : unbound },
      workgroups: gemmGrid(tile, M, N, splits),
      constants: convConstants(tile, g, act),
    },
    texA,
  );
  if (into) into.zeroed = false;
  if (bias?.into) bias.into.zeroed = false;
  if (splits === 1) return [dw!, db];
  if (db) sumPair(part, dw!, db, { a: addW, b: addB });
  else if (into) reduce(part, [0], REDUCE_SUM, 1, into);
  else {
    const s = reduce(part, [0], REDUCE_SUM);
    part.dispose();
    const r = s.view(shape);
    s.dispose();
    return [r, null];
  }
  part.dispose();
  return [dw!, db];
}
