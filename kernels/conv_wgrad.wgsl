// Conv weight-gradient hooks: dW [K, C*KH*KW] = sum over positions (n, oh, ow) of dy x im2col(x).
// The reduction (N*OH*OW, huge) is split into chunks of `chunk` positions: GEMM batch s handles positions
// [s*chunk, (s+1)*chunk) and writes its partial product to out[s]; the partials are summed afterwards
// (split-K), so no thread loops over every pixel.
// GEMM: M = K, N = C*KH*KW (+ 1), depth = chunk, batches = splits. Bindings: 1 = x, 2 = dy,
// 4 = dW (or the partials; as vec4s, below), 6 = db.
// B = x through the window: column = tap (ci, kh, kw), step = output position (n, oh, ow); positions
// are (row, column) in x's plane, and reads in the padding are zero.
// has_bias = 1: one more column, of ones, gives the bias gradient db[co] = sum of dy[., co, ., .] in
// the same launch. Its base is BIAS_COL (past any x offset) at position (0, 0), so each step reads it
// at the window corner (oh*sh, ow*sw), which the host checks lies inside x. With one split it goes to
// db (accumulate bit 1); with several, after the splits' dW partials: out[s] = [dW partial, db partial].

const BIAS_COL: u32 = 0x80000000u;

fn taps_total() -> u32 { return p.C * TAP_H * TAP_W; }

// Split s sums positions [s*chunk, min((s+1)*chunk, N*OH*OW)): its own depth, so that every step the
// body takes is a real position (no per-step test: on the CPU driver that test's mask kept A's loads
// and broadcasts from folding, about 20% more instructions in the main loop).
fn gemm_dims(s: u32) -> vec4u {
  let depth = min(p.chunk, p.N * p.OH * p.OW - min(s * p.chunk, p.N * p.OH * p.OW));
  return vec4u(p.K, taps_total() + p.has_bias, depth, p.splits);
}

fn gemm_row_base(s: u32, co: u32) -> u32 { return co * p.OH * p.OW; }

// Column (ci, kh, kw): the tap's position relative to a window corner at (0, 0), padding included.
fn gemm_col_pos(s: u32, col: u32) -> vec2i {
  if (col == taps_total()) { return vec2i(0); }
  let taps = TAP_H * TAP_W;
  let r = col % taps;
  let kh = r / TAP_W;
  return vec2i(i32(kh * p.dh) - i32(p.ph), i32((r - kh * TAP_W) * p.dw) - i32(p.pw));
}

fn gemm_col_base(s: u32, col: u32) -> u32 {
  if (col == taps_total()) { return BIAS_COL; }
  let q = gemm_col_pos(s, col);
  return u32(i32((col / (TAP_H * TAP_W)) * p.H * p.W) + q.x * i32(p.W) + q.y);
}

fn gemm_bounds(s: u32) -> vec2u { return vec2u(p.H, p.W); }

// Step k = position (n, oh, ow) of split s: dy's element and the window's corner in x.
fn gemm_k(s: u32, k: u32) -> GemmStep {
  let pos = s * p.chunk + k;
  let plane = p.OH * p.OW;
  let n = pos / plane;
  let q = pos - n * plane;
  let oh = q / p.OW;
  let ow = q - oh * p.OW;
  let a = n * p.K * plane + q;
  let b = (n * p.C * p.H + oh * p.sh) * p.W + ow * p.sw;
  return GemmStep(a, b, vec2i(i32(oh * p.sh), i32(ow * p.sw)), 1u);
}

fn gemm_a(i: u32) -> f32 { return act_a(in2[i]); }
fn gemm_b(i: u32) -> f32 { return select(act_b(in1[i]), 1.0, i >= BIAS_COL); }

// The output (conv.wgsl's binding 4) as vec4s: four columns of a row go out in one store where the CPU
// driver stores a storage-buffer element lane by lane with a bounds check each (the innermost layers'
// weight gradients, 8-17M values over 2-8 positions each, were bound by those stores). The host binds
// a whole number of vec4s (a region's size rounded up into its padding).
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>;

// out[i] = v, or out[i] += v when accumulating (element i of the vec4 array's floats).
fn write_out(i: u32, v: f32) {
  if ((p.accumulate & 1u) != 0u) { out[i / 4u][i % 4u] += v; } else { out[i / 4u][i % 4u] = v; }
}

// Columns col .. col + 3 of row m: one vec4 store where they are dW columns starting on a vec4 (every
// row's start is when C*KH*KW and the split's size are multiples of 4), else gemm_write's one by one.
fn gemm_write4(s: u32, m: u32, col: u32, v: vec4f) {
  let n = taps_total();
  let i = s * p.K * (n + p.has_bias) + m * n + col;
  if (col + 3u < n && i % 4u == 0u) {
    if ((p.accumulate & 1u) != 0u) { out[i / 4u] += v; } else { out[i / 4u] = v; }
    return;
  }
  for (var k = 0u; k < 4u; k++) { gemm_write(s, m, col + k, v[k]); }
}

fn gemm_write(s: u32, m: u32, col: u32, v: f32) {
  let n = taps_total();
  let per_split = p.K * (n + p.has_bias);
  if (col < n) { write_out(s * per_split + m * n + col, v); }
  else if (p.splits > 1u) { write_out(s * per_split + p.K * n + m, v); }
  else if ((p.accumulate & 2u) != 0u) { out2[m] += v; }
  else { out2[m] = v; }
}
