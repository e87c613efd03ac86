// The GEMM body for the CPU driver (lavapipe): the same hooks and tiling as gemm.wgsl (each
// invocation owns TM x TN of C in registers), but the operand that every lane of a workgroup shares
// (A: all 8 lanes own the same TM rows) is loaded once per subgroup instead of once per lane.
// lavapipe loads storage elements lane by lane with a bounds check each, so loads, not FMAs, set the
// speed: in each chunk of KC = 8 reduction steps lane l loads A's TM values of step k0 + l and the
// step's B offset and position, and subgroupBroadcast hands them to every lane. Reads of B outside
// gemm_bounds are zero (the conv padding), as in gemm.wgsl.
// Needs the subgroups feature, a subgroup of exactly WG_X = KC = 8 lanes, WG_Y = 1 (chosen on the
// host only for such adapters). No early return: every lane takes part in every broadcast.
// Dispatch as gemm.wgsl: (ceil(N / (WG_X*TN)), ceil(M / (WG_Y*TM)), batches).
enable subgroups;

override WG_X: u32 = 8u;
override WG_Y: u32 = 1u;
const TM: u32 = 8u;
const TN: u32 = 2u;
const KC: u32 = 8u;

struct GemmStep { a: u32, b: u32, pos: vec2i, ok: u32 }

// B of this lane's two columns at step offset o and position offset q (zero outside the bounds).
fn load_b(cb: vec2u, cp0: vec2i, cp1: vec2i, bounds: vec2u, o: u32, q: vec2i) -> vec2f {
  return vec2f(select(0.0, gemm_b(cb.x + o), all(vec2u(cp0 + q) < bounds)),
               select(0.0, gemm_b(cb.y + o), all(vec2u(cp1 + q) < bounds)));
}

// This lane's TM values of A at step offset o (rows: the TM row bases).
fn load_a(rows: array<u32, TM>, o: u32) -> array<vec4f, 2> {
  return array<vec4f, 2>(
    vec4f(gemm_a(rows[0] + o), gemm_a(rows[1] + o), gemm_a(rows[2] + o), gemm_a(rows[3] + o)),
    vec4f(gemm_a(rows[4] + o), gemm_a(rows[5] + o), gemm_a(rows[6] + o), gemm_a(rows[7] + o)));
}

fn mac(acc: ptr<function, array<vec2f, TM>>, lo: vec4f, hi: vec4f, bv: vec2f) {
  (*acc)[0] += lo.x * bv;
  (*acc)[1] += lo.y * bv;
  (*acc)[2] += lo.z * bv;
  (*acc)[3] += lo.w * bv;
  (*acc)[4] += hi.x * bv;
  (*acc)[5] += hi.y * bv;
  (*acc)[6] += hi.z * bv;
  (*acc)[7] += hi.w * bv;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn gemm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = wid.z;
  let dims = gemm_dims(b);
  let M = dims.x;
  let N = dims.y;
  let K = dims.z;
  let col0 = (wid.x * WG_X + lid.x) * TN;
  let row0 = (wid.y * WG_Y + lid.y) * TM;
  // Lanes past the edge compute on clamped rows/columns and write nothing.
  var rows: array<u32, TM>;
  for (var r = 0u; r < TM; r++) { rows[r] = gemm_row_base(b, min(row0 + r, M - 1u)); }
  let cols = min(vec2u(col0) + vec2u(0u, 1u), vec2u(N - 1u));
  let cb = vec2u(gemm_col_base(b, cols.x), gemm_col_base(b, cols.y));
  let cp0 = gemm_col_pos(b, cols.x);
  let cp1 = gemm_col_pos(b, cols.y);
  let bounds = gemm_bounds(b);
  var acc: array<vec2f, TM>;
  let kfull = K - K % KC;
  for (var k0 = 0u; k0 < kfull; k0 += KC) {
    // This lane's step: its A values (0 when the step does not count) and its B offset.
    let o = gemm_k(b, k0 + lid.x);
    var a = array<vec4f, 2>(vec4f(0.0), vec4f(0.0));
    if (o.ok != 0u) { a = load_a(rows, o.a); }
    let lo = a[0];
    let hi = a[1];
    mac(&acc, subgroupBroadcast(lo, 0u), subgroupBroadcast(hi, 0u), load_b(cb, cp0, cp1, bounds, subgroupBroadcast(o.b, 0u), subgroupBroadcast(o.pos, 0u)));
    mac(&acc, subgroupBroadcast(lo, 1u), subgroupBroadcast(hi, 1u), load_b(cb, cp0, cp1, bounds, subgroupBroadcast(o.b, 1u), subgroupBroadcast(o.pos, 1u)));
    mac(&acc, subgroupBroadcast(lo, 2u), subgroupBroadcast(hi, 2u), load_b(cb, cp0, cp1, bounds, subgroupBroadcast(o.b, 2u), subgroupBroadcast(o.pos, 2u)));
    mac(&acc, subgroupBroadcast(lo, 3u), subgroupBroadcast(hi, 3u), load_b(cb, cp0, cp1, bounds, subgroupBroadcast(o.b, 3u), subgroupBroadcast(o.pos, 3u)));
    mac(&acc, subgroupBroadcast(lo, 4u), subgroupBroadcast(hi, 4u), load_b(cb, cp0, cp1, bounds, subgroupBroadcast(o.b, 4u), subgroupBroadcast(o.pos, 4u)));
    mac(&acc, subgroupBroadcast(lo, 5u), subgroupBroadcast(hi, 5u), load_b(cb, cp0, cp1, bounds, subgroupBroadcast(o.b, 5u), subgroupBroadcast(o.pos, 5u)));
    mac(&acc, subgroupBroadcast(lo, 6u), subgroupBroadcast(hi, 6u), load_b(cb, cp0, cp1, bounds, subgroupBroadcast(o.b, 6u), subgroupBroadcast(o.pos, 6u)));
    mac(&acc, subgroupBroadcast(lo, 7u), subgroupBroadcast(hi, 7u), load_b(cb, cp0, cp1, bounds, subgroupBroadcast(o.b, 7u), subgroupBroadcast(o.pos, 7u)));
  }
  for (var k = kfull; k < K; k++) {
    let o = gemm_k(b, k);
    if (o.ok == 0u) { continue; }
    let a = load_a(rows, o.a);
    mac(&acc, a[0], a[1], load_b(cb, cp0, cp1, bounds, o.b, o.pos));
  }
  for (var r = 0u; r < TM; r++) {
    let row = row0 + r;
    if (row >= M) { break; }
    for (var c = 0u; c < TN; c++) {
      if (col0 + c < N) { gemm_write(b, row, col0 + c, acc[r][c]); }
    }
  }
}
