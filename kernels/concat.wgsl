// Concatenation of up to 4 tensors along one dimension in one launch, and its inverse (the gradient
// split back into the parts, also one launch). The output is viewed as [outer, along, inner]: the
// dimensions before the concatenated one, it, and those after. Part j covers rows
// [parts[j].x, parts[j].x + parts[j].y) of `along` and is dense [outer, parts[j].y, inner], except
// that with BCAST_INNER it is [outer, parts[j].y] and repeats over inner (z [N, nz, 1, 1] next to an
// image [N, C, H, W]: the tiled z image is never made).
// concat_join: one thread per output element; bindings 1..4 = the parts (read), 5 = out (read_write).
// concat_split: one thread per element of g (the output's gradient); 6 = g (read), 7..10 = the parts'
// gradients (read_write; dense, BCAST_INNER parts too), each written only with WRITE and added to
// with ACCUMULATE (a gradient summed in place).
// Dispatch: 64 threads per workgroup, 1D or 2D grid.

const BCAST_INNER: u32 = 1u;
const WRITE: u32 = 2u;
const ACCUMULATE: u32 = 4u;

struct Params {
  n: u32, count: u32, along: u32, inner: u32,
  // (first row, rows, flags, -) per part
  parts: array<vec4u, 4>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> in0: array<f32>;
@group(0) @binding(2) var<storage, read> in1: array<f32>;
@group(0) @binding(3) var<storage, read> in2: array<f32>;
@group(0) @binding(4) var<storage, read> in3: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read> g: array<f32>;
@group(0) @binding(7) var<storage, read_write> g0: array<f32>;
@group(0) @binding(8) var<storage, read_write> g1: array<f32>;
@group(0) @binding(9) var<storage, read_write> g2: array<f32>;
@group(0) @binding(10) var<storage, read_write> g3: array<f32>;

// Element o of the output: its part, and its index in that part (dense) and in a BCAST_INNER part;
// ok = 0 outside this launch's parts (more than 4 parts take several launches).
struct Where { part: u32, dense: u32, packed: u32, ok: bool }

fn locate(o: u32) -> Where {
  let i = o % p.inner;
  let ac = o / p.inner;
  let c = ac % p.along;
  let a = ac / p.along;
  var j = 0u;
  for (var k = 1u; k < p.count; k++) {
    if (c >= p.parts[k].x) { j = k; }
  }
  let rows = p.parts[j].y;
  let r = c - p.parts[j].x;
  return Where(j, (a * rows + r) * p.inner + i, a * rows + r, c >= p.parts[0].x && r < rows);
}

@compute @workgroup_size(64)
fn concat_join(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * 64u;
  if (o >= p.n) { return; }
  let w = locate(o);
  if (!w.ok) { return; }
  let s = select(w.dense, w.packed, (p.parts[w.part].z & BCAST_INNER) != 0u);
  var v: f32;
  switch (w.part) {
    case 0u: { v = in0[s]; }
    case 1u: { v = in1[s]; }
    case 2u: { v = in2[s]; }
    default: { v = in3[s]; }
  }
  out[o] = v;
}

@compute @workgroup_size(64)
fn concat_split(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * 64u;
  if (o >= p.n) { return; }
  let w = locate(o);
  let flags = p.parts[w.part].z;
  if (!w.ok || (flags & WRITE) == 0u) { return; }
  let v = g[o];
  let d = w.dense;
  let acc = (flags & ACCUMULATE) != 0u;
  switch (w.part) {
    case 0u: { if (acc) { g0[d] += v; } else { g0[d] = v; } }
    case 1u: { if (acc) { g1[d] += v; } else { g1[d] = v; } }
    case 2u: { if (acc) { g2[d] += v; } else { g2[d] = v; } }
    default: { if (acc) { g3[d] += v; } else { g3[d] = v; } }
  }
}
