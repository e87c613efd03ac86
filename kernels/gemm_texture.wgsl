// The GEMM body for the CPU driver that reads A from a texture: the same hooks as gemm.wgsl, with the
// 8 lanes of a workgroup along M. lavapipe loads a storage-buffer element lane by lane with a bounds
// check each, but fetches a whole rgba32float texel per lane at once, so A is first copied (entry
// gemm_pack, through the hooks' gemm_row_base / gemm_k / gemm_a) into a texture whose texel (m4, k)
// holds A's rows 4*m4 .. 4*m4+3 at step k, one array layer per distinct A. Then (entry gemm) each lane
// owns the TM = 4 rows of one texel and all lanes share TN columns of B: in each chunk of KC = 8 steps
// lane l loads B's TN values of step k0 + l through the hooks (zero outside gemm_bounds, the conv
// padding) and subgroupBroadcast hands them to every lane, which fetches one texel per step. The
// chunk is summed column by column: one column's 4 accumulators stay in registers for its 8 steps,
// where step by step all TN x 4 are live and spill to memory on every multiply-add (lavapipe has 16
// vector registers); the sums are the same, in the same order.
// Layer of batch b: b % A_LAYERS (the batches whose A differs: 1 for a conv forward, its stride phases
// for an input gradient, its splits for a weight gradient, the batches of a batched matmul).
// B's columns: gemm_columns.wgsl. Bindings: 7 = A's texture (read by gemm), 8 = the same texture as
// storage (written by gemm_pack).
// Needs the subgroups feature, a subgroup of exactly WG_X = KC = 8 lanes, WG_Y = 1. No early return
// in gemm: every lane takes part in every broadcast.
// Dispatch gemm as gemm.wgsl with lanes along M: (ceil(N / TN), ceil(M / (WG_X*TM)), batches);
// gemm_pack as (ceil(ceil(M / 4) / 8), ceil(depth / 8), A_LAYERS), depth the largest batch's.
enable subgroups;

override WG_X: u32 = 8u;
override WG_Y: u32 = 1u;
override A_LAYERS: u32 = 1u;
const TM: u32 = 4u;
const TN: u32 = 8u;
const TN4: u32 = TN / 4u;
const KC: u32 = 8u;
// gemm_pack's workgroup: texels along A's rows / TM, steps.
const PACK_X: u32 = 8u;
const PACK_Y: u32 = 8u;

struct GemmStep { a: u32, b: u32, pos: vec2i, ok: u32 }

@group(0) @binding(7) var gemm_at: texture_2d_array<f32>;
@group(0) @binding(8) var gemm_at_out: texture_storage_2d_array<rgba32float, write>;

// Texel (m4, k) of layer b: A's rows 4*m4 .. 4*m4+3 at step k (zero past M, past depth, or where the
// step does not count).
@compute @workgroup_size(PACK_X, PACK_Y, 1)
fn gemm_pack(@builtin(global_invocation_id) gid: vec3u) {
  let b = gid.z;
  let dims = gemm_dims(b);
  let m = gid.x * 4u;
  let k = gid.y;
  if (m >= dims.x + 3u || k >= textureDimensions(gemm_at_out).y) { return; }
  var v = vec4f(0.0);
  if (k < dims.z) {
    let o = gemm_k(b, k);
    if (o.ok != 0u) {
      for (var r = 0u; r < 4u; r++) {
        if (m + r < dims.x) { v[r] = gemm_a(gemm_row_base(b, m + r) + o.a); }
      }
    }
  }
  textureStore(gemm_at_out, vec2u(gid.x, k), b, v);
}

// acc[c] += B's column c at this step x the lane's 4 rows of A.
fn mac(acc: ptr<function, array<vec4f, TN>>, bv: array<vec4f, TN4>, av: vec4f) {
  for (var q = 0u; q < TN4; q++) {
    (*acc)[4u * q] += bv[q].x * av;
    (*acc)[4u * q + 1u] += bv[q].y * av;
    (*acc)[4u * q + 2u] += bv[q].z * av;
    (*acc)[4u * q + 3u] += bv[q].w * av;
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn gemm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = wid.z;
  let layer = b % A_LAYERS;
  let dims = gemm_dims(b);
  let M = dims.x;
  let N = dims.y;
  let K = dims.z;
  let m4 = wid.y * WG_X + lid.x;
  let row0 = m4 * TM;
  let col0 = wid.x * TN;
  let cols = gemm_columns(b, col0, N);
  let bounds = gemm_bounds(b);
  var acc: array<vec4f, TN>;
  let kfull = K - K % KC;
  for (var k0 = 0u; k0 < kfull; k0 += KC) {
    // This lane's step: its B values (0 when the step does not count).
    let o = gemm_k(b, k0 + lid.x);
    var bv: array<vec4f, TN4>;
    if (o.ok != 0u) { bv = load_b(cols, bounds, o.b, o.pos); }
    // The chunk's 8 texels, then column by column (see the header: no accumulator spills).
    let a0 = textureLoad(gemm_at, vec2u(m4, k0), layer, 0);
    let a1 = textureLoad(gemm_at, vec2u(m4, k0 + 1u), layer, 0);
    let a2 = textureLoad(gemm_at, vec2u(m4, k0 + 2u), layer, 0);
    let a3 = textureLoad(gemm_at, vec2u(m4, k0 + 3u), layer, 0);
    let a4 = textureLoad(gemm_at, vec2u(m4, k0 + 4u), layer, 0);
    let a5 = textureLoad(gemm_at, vec2u(m4, k0 + 5u), layer, 0);
    let a6 = textureLoad(gemm_at, vec2u(m4, k0 + 6u), layer, 0);
    let a7 = textureLoad(gemm_at, vec2u(m4, k0 + 7u), layer, 0);
    for (var c = 0u; c < TN; c++) {
      let v = bv[c / 4u][c % 4u];
      var s = acc[c];
      s += subgroupBroadcast(v, 0u) * a0;
      s += subgroupBroadcast(v, 1u) * a1;
      s += subgroupBroadcast(v, 2u) * a2;
      s += subgroupBroadcast(v, 3u) * a3;
      s += subgroupBroadcast(v, 4u) * a4;
      s += subgroupBroadcast(v, 5u) * a5;
      s += subgroupBroadcast(v, 6u) * a6;
      s += subgroupBroadcast(v, 7u) * a7;
      acc[c] = s;
    }
  }
  for (var k = kfull; k < K; k++) {
    let o = gemm_k(b, k);
    if (o.ok == 0u) { continue; }
    let bv = load_b(cols, bounds, o.b, o.pos);
    mac(&acc, bv, textureLoad(gemm_at, vec2u(m4, k), layer, 0));
  }
  for (var r = 0u; r < TM; r++) {
    let row = row0 + r;
    if (row >= M) { break; }
    var v: array<vec4f, TN4>;
    for (var q = 0u; q < TN4; q++) {
      let c = 4u * q;
      v[q] = vec4f(acc[c][r], acc[c + 1u][r], acc[c + 2u][r], acc[c + 3u][r]);
    }
    write_row(b, row, col0, N, v);
  }
}
