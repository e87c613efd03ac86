// The CPU driver's GEMM body for results with few columns (N <= 8: the U-Net's 4x4, 2x2 and 1x1
// layers), over the same hooks as gemm.wgsl. gemm_subgroup.wgsl lays its 8 lanes along N, so with
// N = 1 or 4 most lanes recompute clamped copies of the same columns over a reduction of thousands of
// steps. Here the lanes run along M instead: each lane owns TM rows of C, and every lane of the
// workgroup shares the same TN columns, so B (not A) is the shared operand. In each chunk of KC = 8
// steps lane l loads B's TN values and A's offset for step k0 + l, and subgroupBroadcast hands them to
// every lane; each lane then loads only its own rows of A (which it must: each A element is used once
// per column tile). Reads of B outside gemm_bounds are zero (the conv padding), as in gemm.wgsl.
// Needs the subgroups feature and a subgroup of exactly WG_X = KC = 8 lanes, WG_Y = 1 (chosen on the
// host only for such adapters). No early return: every lane takes part in every broadcast.
// Dispatch: (ceil(N / TN), ceil(M / (WG_X * TM)), batches).
enable subgroups;

override WG_X: u32 = 8u;
override WG_Y: u32 = 1u;
const TM: u32 = 4u;
const TN: u32 = 4u; // one vec4 of columns: fixed by the vec4f accumulators
const KC: u32 = 8u;

struct GemmStep { a: u32, b: u32, pos: vec2i, ok: u32 }

// B of the workgroup's TN columns at step offset o and position offset q (zero outside the bounds).
fn load_b(cb: vec4u, cp: array<vec2i, 4>, bounds: vec2u, o: u32, q: vec2i) -> vec4f {
  return vec4f(select(0.0, gemm_b(cb.x + o), all(vec2u(cp[0] + q) < bounds)),
               select(0.0, gemm_b(cb.y + o), all(vec2u(cp[1] + q) < bounds)),
               select(0.0, gemm_b(cb.z + o), all(vec2u(cp[2] + q) < bounds)),
               select(0.0, gemm_b(cb.w + o), all(vec2u(cp[3] + q) < bounds)));
}

// acc[r] += A[row r, step at offset o] * bv: this lane's TM rows.
fn mac(acc: ptr<function, array<vec4f, TM>>, rows: vec4u, o: u32, bv: vec4f) {
  (*acc)[0] += gemm_a(rows.x + o) * bv;
  (*acc)[1] += gemm_a(rows.y + o) * bv;
  (*acc)[2] += gemm_a(rows.z + o) * bv;
  (*acc)[3] += gemm_a(rows.w + o) * bv;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn gemm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = wid.z;
  let dims = gemm_dims(b);
  let M = dims.x;
  let N = dims.y;
  let K = dims.z;
  let col0 = wid.x * TN;
  let row0 = (wid.y * WG_X + lid.x) * TM;
  // Lanes past the edge compute on clamped rows/columns and write nothing.
  let rows = vec4u(gemm_row_base(b, min(row0, M - 1u)), gemm_row_base(b, min(row0 + 1u, M - 1u)),
                   gemm_row_base(b, min(row0 + 2u, M - 1u)), gemm_row_base(b, min(row0 + 3u, M - 1u)));
  let cols = min(vec4u(col0) + vec4u(0u, 1u, 2u, 3u), vec4u(N - 1u));
  let cb = vec4u(gemm_col_base(b, cols.x), gemm_col_base(b, cols.y),
                 gemm_col_base(b, cols.z), gemm_col_base(b, cols.w));
  let cp = array<vec2i, 4>(gemm_col_pos(b, cols.x), gemm_col_pos(b, cols.y),
                           gemm_col_pos(b, cols.z), gemm_col_pos(b, cols.w));
  let bounds = gemm_bounds(b);
  var acc: array<vec4f, TM>;
  let kfull = K - K % KC;
  for (var k0 = 0u; k0 < kfull; k0 += KC) {
    // This lane's step: B's columns (0 when the step does not count) and A's offset.
    let o = gemm_k(b, k0 + lid.x);
    var bv = vec4f(0.0);
    if (o.ok != 0u) { bv = load_b(cb, cp, bounds, o.b, o.pos); }
    let oa = select(0u, o.a, o.ok != 0u);
    mac(&acc, rows, subgroupBroadcast(oa, 0u), subgroupBroadcast(bv, 0u));
    mac(&acc, rows, subgroupBroadcast(oa, 1u), subgroupBroadcast(bv, 1u));
    mac(&acc, rows, subgroupBroadcast(oa, 2u), subgroupBroadcast(bv, 2u));
    mac(&acc, rows, subgroupBroadcast(oa, 3u), subgroupBroadcast(bv, 3u));
    mac(&acc, rows, subgroupBroadcast(oa, 4u), subgroupBroadcast(bv, 4u));
    mac(&acc, rows, subgroupBroadcast(oa, 5u), subgroupBroadcast(bv, 5u));
    mac(&acc, rows, subgroupBroadcast(oa, 6u), subgroupBroadcast(bv, 6u));
    mac(&acc, rows, subgroupBroadcast(oa, 7u), subgroupBroadcast(bv, 7u));
  }
  for (var k = kfull; k < K; k++) {
    let o = gemm_k(b, k);
    if (o.ok == 0u) { continue; }
    mac(&acc, rows, o.a, load_b(cb, cp, bounds, o.b, o.pos));
  }
  for (var r = 0u; r < TM; r++) {
    let row = row0 + r;
    if (row >= M) { break; }
    for (var c = 0u; c < TN; c++) {
      if (col0 + c < N) { gemm_write(b, row, col0 + c, acc[r][c]); }
    }
  }
}
