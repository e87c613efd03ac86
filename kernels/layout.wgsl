// Strided copies: every view-like op (permute, expand, slice, concat) is one strided copy, and
// constant padding one gather (pad_gather, at the end).
// Bindings: 0 = params, 1 = src (read), 2 = dst (read_write).
// `shape` is the iteration shape (up to 8 dims, row-major); element i of it sits at
//   src[src_off + sum(idx_d * ss_d)] and dst[dst_off + sum(idx_d * ds_d)].
// gather: dst strides are dense (the output is contiguous); scatter: src strides are dense.
// Both are the same loop; they differ only in which side is strided, so one entry serves both.
// Dispatch: 64 threads per workgroup, 1D or 2D grid.

struct Params {
  n: u32, rank: u32, src_off: u32, dst_off: u32,
  value: f32, pad0: u32, pad1: u32, pad2: u32, // pad_gather's fill value
  shape: array<vec4u, 2>,
  ss: array<vec4u, 2>,
  ds: array<vec4u, 2>,
  before: array<vec4u, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn dim(v: array<vec4u, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

@compute @workgroup_size(64)
fn strided_copy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var rem = i;
  var s = p.src_off;
  var d = p.dst_off;
  for (var k = i32(p.rank) - 1; k >= 0; k--) {
    let e = dim(p.shape, u32(k));
    let idx = rem % e;
    rem = rem / e;
    s += idx * dim(p.ss, u32(k));
    d += idx * dim(p.ds, u32(k));
  }
  dst[d] = src[s];
}

// Constant padding as one gather: output element i reads src at (idx - before) when that lies inside
// the source (whose shape is in `ds`), else `value`; `ss` holds the
// source's dense strides and `before` the padding before each dimension.
@compute @workgroup_size(64)
fn pad_gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var rem = i;
  var s = 0u;
  var inside = true;
  for (var k = i32(p.rank) - 1; k >= 0; k--) {
    let e = dim(p.shape, u32(k));
    let idx = i32(rem % e) - i32(dim(p.before, u32(k)));
    rem = rem / e;
    inside = inside && idx >= 0 && idx < i32(dim(p.ds, u32(k)));
    s += u32(max(idx, 0)) * dim(p.ss, u32(k));
  }
  dst[i] = select(p.value, src[s], inside);
}
