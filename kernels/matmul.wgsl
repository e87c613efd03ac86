// GEMM hooks for batched matmul (prepended to gemm.wgsl).
// A and B are read through strides, so transposed operands (as in the backward pass) and a broadcast
// batch (stride 0) need no copy. C is dense [batches, M, N].
// has_bias = 1: C[b, m, n] gets bias[n] added as it is written (F.linear's bias, no second launch).
// transpose_c = 1: the launch computes C's transpose, D = B^T A^T, with A and B bound swapped: its
// [m, n] is written to C[b, n, m] (C is [batches, N, M] for this launch's M, N), and the bias follows
// m. The host does that on the CPU driver where only the transposed result reuses a texture-fed A.
// Bindings: 0 = params, 1 = A (read), 2 = B (read), 3 = C (read_write), 4 = bias (read).

struct Params {
  M: u32, N: u32, K: u32, batches: u32,
  sab: u32, sam: u32, sak: u32, has_bias: u32,
  sbb: u32, sbk: u32, sbn: u32, transpose_c: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn gemm_dims(b: u32) -> vec4u { return vec4u(p.M, p.N, p.K, p.batches); }
fn gemm_row_base(b: u32, m: u32) -> u32 { return b * p.sab + m * p.sam; }
fn gemm_col_base(b: u32, n: u32) -> u32 { return b * p.sbb + n * p.sbn; }
fn gemm_col_pos(b: u32, n: u32) -> vec2i { return vec2i(0); }
fn gemm_bounds(b: u32) -> vec2u { return vec2u(1u); } // every read is in range
fn gemm_k(b: u32, k: u32) -> GemmStep { return GemmStep(k * p.sak, k * p.sbk, vec2i(0), 1u); }
fn gemm_a(i: u32) -> f32 { return A[i]; }
fn gemm_b(i: u32) -> f32 { return B[i]; }
fn gemm_write(b: u32, m: u32, n: u32, v: f32) {
  if (p.transpose_c != 0u) {
    C[(b * p.N + n) * p.M + m] = select(v, v + bias[m], p.has_bias != 0u);
  } else {
    C[(b * p.M + m) * p.N + n] = select(v, v + bias[n], p.has_bias != 0u);
  }
}
// Four consecutive columns from n of row m, one by one.
fn gemm_write4(b: u32, m: u32, n: u32, v: vec4f) {
  for (var i = 0u; i < 4u; i++) { gemm_write(b, m, n + i, v[i]); }
}
