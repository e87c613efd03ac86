// The CPU driver's GEMM body for results with few columns (N <= 8: the U-Net's 4x4, 2x2 and 1x1
// layers), over the same hooks as gemm.wgsl. gemm_subgroup.wgsl lays its 8 lanes along N, so with
// N = 1 or 4 most lanes recompute clamped copies of the same columns over a reduction of thousands of
// steps. Here the lanes run along M instead: each lane owns TM = 2 rows of C, and every lane of the
// workgroup shares the same TN = 8 columns, so B (not A) is the shared operand. In each chunk of KC =
// 8 steps lane l loads B's TN values and A's offset for step k0 + l, and subgroupBroadcast hands them
// to every lane; each lane then loads only its own rows of A (which it must: each A element is used
// once per column tile). With 8 columns per tile, a launch of 8 (two images of a 2x2 layer side by
// side) reads A once, and each A value loaded feeds 8 multiply-adds (4 rows x 4 columns: 4; 64 px
// width-64 step, session 13: input gradients 252-258 -> 232 ms, forwards 248-254 -> 232-245).
// B's columns: gemm_columns.wgsl; its reads outside gemm_bounds are zero (the conv padding).
// Needs the subgroups feature and a subgroup of exactly WG_X = KC = 8 lanes, WG_Y = 1 (chosen on the
// host only for such adapters). No early return: every lane takes part in every broadcast.
// Dispatch: (ceil(N / TN), ceil(M / (WG_X * TM)), batches).
enable subgroups;

override WG_X: u32 = 8u;
override WG_Y: u32 = 1u;
const TM: u32 = 2u;
const TN: u32 = 8u; // two vec4s of columns: fixed by the vec4f accumulators
const TN4: u32 = TN / 4u;
const KC: u32 = 8u;

struct GemmStep { a: u32, b: u32, pos: vec2i, ok: u32 }

// acc[2r + h] += A[row r, step at offset o] * bv[h]: this lane's TM rows, both halves of the columns.
fn mac(acc: ptr<function, array<vec4f, 4>>, rows: vec2u, o: u32, lo: vec4f, hi: vec4f) {
  let a0 = gemm_a(rows.x + o);
  let a1 = gemm_a(rows.y + o);
  (*acc)[0] += a0 * lo;
  (*acc)[1] += a0 * hi;
  (*acc)[2] += a1 * lo;
  (*acc)[3] += a1 * hi;
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
  let rows = vec2u(gemm_row_base(b, min(row0, M - 1u)), gemm_row_base(b, min(row0 + 1u, M - 1u)));
  let cols = gemm_columns(b, col0, N);
  let bounds = gemm_bounds(b);
  var acc: array<vec4f, 4>;
  let kfull = K - K % KC;
  for (var k0 = 0u; k0 < kfull; k0 += KC) {
    // This lane's step: B's columns (0 when the step does not count) and A's offset.
    let o = gemm_k(b, k0 + lid.x);
    var bv: array<vec4f, TN4>;
    if (o.ok != 0u) { bv = load_b(cols, bounds, o.b, o.pos); }
    let lo = bv[0];
    let hi = bv[1];
    let oa = select(0u, o.a, o.ok != 0u);
    mac(&acc, rows, subgroupBroadcast(oa, 0u), subgroupBroadcast(lo, 0u), subgroupBroadcast(hi, 0u));
    mac(&acc, rows, subgroupBroadcast(oa, 1u), subgroupBroadcast(lo, 1u), subgroupBroadcast(hi, 1u));
    mac(&acc, rows, subgroupBroadcast(oa, 2u), subgroupBroadcast(lo, 2u), subgroupBroadcast(hi, 2u));
    mac(&acc, rows, subgroupBroadcast(oa, 3u), subgroupBroadcast(lo, 3u), subgroupBroadcast(hi, 3u));
    mac(&acc, rows, subgroupBroadcast(oa, 4u), subgroupBroadcast(lo, 4u), subgroupBroadcast(hi, 4u));
    mac(&acc, rows, subgroupBroadcast(oa, 5u), subgroupBroadcast(lo, 5u), subgroupBroadcast(hi, 5u));
    mac(&acc, rows, subgroupBroadcast(oa, 6u), subgroupBroadcast(lo, 6u), subgroupBroadcast(hi, 6u));
    mac(&acc, rows, subgroupBroadcast(oa, 7u), subgroupBroadcast(lo, 7u), subgroupBroadcast(hi, 7u));
  }
  for (var k = kfull; k < K; k++) {
    let o = gemm_k(b, k);
    if (o.ok == 0u) { continue; }
    let bv = load_b(cols, bounds, o.b, o.pos);
    mac(&acc, rows, o.a, bv[0], bv[1]);
  }
  for (var r = 0u; r < TM; r++) {
    let row = row0 + r;
    if (row >= M) { break; }
    var v: array<vec4f, TN4>;
    for (var q = 0u; q < TN4; q++) { v[q] = acc[TN4 * r + q]; }
    write_row(b, row, col0, N, v);
  }
}
