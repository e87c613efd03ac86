// The one tiled GEMM body: C[b, m, n] = sum_k A[b, m, k] * B[b, k, n].
// It is never compiled alone: a hooks file (matmul.wgsl, conv_forward.wgsl, ...) is prepended and
// supplies the addressing, split so that almost no index arithmetic stays in the inner loop:
//   gemm_dims(b) -> vec4u                  (M, N, K, batches) of batch b
//   gemm_row_base(b, m), gemm_col_base(b, n) -> u32   offsets of row m of A / column n of B,
//                                                    computed once per thread before the loop
//   gemm_col_pos(b, n) -> vec2i, gemm_bounds(b) -> vec2u   2D position of column n's base in the
//                                          operand B is read through, and that operand's extent
//   gemm_k(b, k) -> GemmStep               step k: offset in A, in B, position offset, 1 if it counts
//   gemm_a(i), gemm_b(i) -> f32            the element at an offset (A[row base + k offset] ...)
//   gemm_write(b, m, n, value)
//   gemm_write4(b, m, n, vec4 value)       columns n .. n + 3 of row m (gemm, gemm_subgroup_rows,
//                                          gemm_texture: one vector store where the hooks can)
// so matmul, implicit-GEMM convolution and its gradients share this loop (the read/write hooks of
// tfjs-backend-webgpu's matmul programs). Offsets are u32 and may wrap: a hook can step backwards.
// Tiling: each invocation owns a TM x TN (= 4) block of C (rows x vec4 of columns), kept in registers;
// a workgroup is WG_X x WG_Y invocations, so one workgroup covers (WG_Y * TM) x (WG_X * TN) of C.
// WG_X and WG_Y are pipeline constants: the CPU driver prefers 8 x 1 (one SIMD register of lanes),
// a real GPU larger workgroups. Dispatch: (ceil(N / (WG_X*TN)), ceil(M / (WG_Y*TM)), batches), with
// the largest N and M of any batch: batches may differ in size (the stride phases of a conv dgrad).
// Out-of-range rows/columns are clamped on read and skipped on write, so any M, N, K is exact. A read
// of B whose position (column position + step position) lies outside gemm_bounds is zero: the zero
// padding of a convolution, with no padded copy (matmul's positions are always inside).

struct GemmStep { a: u32, b: u32, pos: vec2i, ok: u32 }

fn read_b(i: u32, pos: vec2i, bounds: vec2u) -> f32 {
  return select(0.0, gemm_b(i), all(vec2u(pos) < bounds));
}

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
const TM: u32 = 4u;
const TN: u32 = 4u; // one vec4 of columns: fixed by the vec4f accumulators

@compute @workgroup_size(WG_X, WG_Y, 1)
fn gemm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = wid.z;
  let dims = gemm_dims(b);
  let M = dims.x;
  let N = dims.y;
  let K = dims.z;
  let col0 = (wid.x * WG_X + lid.x) * TN;
  let row0 = (wid.y * WG_Y + lid.y) * TM;
  if (col0 >= N || row0 >= M) { return; }
  var rows: array<u32, TM>;
  for (var r = 0u; r < TM; r++) { rows[r] = gemm_row_base(b, min(row0 + r, M - 1u)); }
  let cols = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), vec4u(N - 1u));
  let cb = vec4u(gemm_col_base(b, cols.x), gemm_col_base(b, cols.y),
                 gemm_col_base(b, cols.z), gemm_col_base(b, cols.w));
  let cp = array<vec2i, 4>(gemm_col_pos(b, cols.x), gemm_col_pos(b, cols.y),
                           gemm_col_pos(b, cols.z), gemm_col_pos(b, cols.w));
  let bounds = gemm_bounds(b);
  var acc: array<vec4f, TM>;
  for (var k = 0u; k < K; k++) {
    let o = gemm_k(b, k);
    if (o.ok == 0u) { continue; }
    let bv = vec4f(read_b(cb.x + o.b, cp[0] + o.pos, bounds), read_b(cb.y + o.b, cp[1] + o.pos, bounds),
                   read_b(cb.z + o.b, cp[2] + o.pos, bounds), read_b(cb.w + o.b, cp[3] + o.pos, bounds));
    for (var r = 0u; r < TM; r++) {
      acc[r] += gemm_a(rows[r] + o.a) * bv;
    }
  }
  for (var r = 0u; r < TM; r++) {
    let row = row0 + r;
    if (row >= M) { break; }
    // the CPU driver stores element by element with a check each: a vec4 where the hooks can
    if (col0 + 3u < N) {
      gemm_write4(b, row, col0, acc[r]);
      continue;
    }
    for (var c = 0u; c < 4u; c++) {
      if (col0 + c < N) { gemm_write(b, row, col0 + c, acc[r][c]); }
    }
  }
}
