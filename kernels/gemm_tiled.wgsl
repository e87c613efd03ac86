// The GEMM body for real GPUs: the same hooks as gemm.wgsl, with workgroup-memory tiles. A workgroup
// of WG_X x WG_Y = 16 x 16 invocations computes a BM x BN = 64 x 64 block of C, each invocation a
// TM x TN = 4 x 4 sub-block in registers. Per chunk of KT = 16 reduction steps the workgroup stages
// A [BM x KT] and B [KT x BN] in workgroup memory (each invocation loads 4 + 4 values, computing the
// step offsets once for both), then every invocation runs 16 steps of vec4 x vec4 register products
// out of workgroup memory. Global loads per FMA: 1/8 (gemm.wgsl: 1/2). Reads of B outside gemm_bounds
// are zero (the conv padding); rows, columns and steps past the edges load zeros and write nothing.
// On the CPU driver workgroup barriers cost more than they save (see gemm_subgroup.wgsl); the host
// picks this body for GPUs. Dispatch: (ceil(N / 64), ceil(M / 64), batches).

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
const TM: u32 = 4u;
const TN: u32 = 4u;
const KT: u32 = 16u;
const BM: u32 = 64u; // WG_Y * TM
const BN: u32 = 64u; // WG_X * TN

struct GemmStep { a: u32, b: u32, pos: vec2i, ok: u32 }

// [k][m / 4] and [k][n / 4]: one vec4 read gives an invocation its 4 rows (columns) of a step.
var<workgroup> As: array<vec4f, 256>; // KT * BM / 4
var<workgroup> Bs: array<vec4f, 256>; // KT * BN / 4

fn put(tile: ptr<workgroup, array<vec4f, 256>>, k: u32, i: u32, v: f32) {
  (*tile)[k * 16u + i / 4u][i % 4u] = v;
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn gemm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let b = wid.z;
  let dims = gemm_dims(b);
  let M = dims.x;
  let N = dims.y;
  let K = dims.z;
  // What this invocation stages: row (and column) t % 64 of the block, steps t / 64 + 4 i of a chunk.
  let li = t % 64u;
  let lk = t / 64u;
  let m = wid.y * BM + li;
  let n = wid.x * BN + li;
  let abase = gemm_row_base(b, min(m, M - 1u));
  let bbase = gemm_col_base(b, min(n, N - 1u));
  let bpos = gemm_col_pos(b, min(n, N - 1u));
  let bounds = gemm_bounds(b);
  var acc: array<vec4f, TM>;
  for (var k0 = 0u; k0 < K; k0 += KT) {
    for (var i = 0u; i < 4u; i++) {
      let kk = lk + 4u * i;
      let k = k0 + kk;
      var av = 0.0;
      var bv = 0.0;
      if (k < K) {
        let o = gemm_k(b, k);
        if (o.ok != 0u) {
          if (m < M) { av = gemm_a(abase + o.a); }
          if (n < N && all(vec2u(bpos + o.pos) < bounds)) { bv = gemm_b(bbase + o.b); }
        }
      }
      put(&As, kk, li, av);
      put(&Bs, kk, li, bv);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      let a4 = As[kk * 16u + lid.y];
      let b4 = Bs[kk * 16u + lid.x];
      acc[0] += a4.x * b4;
      acc[1] += a4.y * b4;
      acc[2] += a4.z * b4;
      acc[3] += a4.w * b4;
    }
    workgroupBarrier();
  }
  let row0 = wid.y * BM + lid.y * TM;
  let col0 = wid.x * BN + lid.x * TN;
  for (var r = 0u; r < TM; r++) {
    let row = row0 + r;
    if (row >= M) { break; }
    for (var c = 0u; c < TN; c++) {
      if (col0 + c < N) { gemm_write(b, row, col0 + c, acc[r][c]); }
    }
  }
}
