// Concatenation of up to 4 tensors along one dimension in one launch, and its inverse (the gradient
// split back into the parts, also one launch). The output is viewed as [outer, along, inner]: the
// dimensions before the concatenated one, it, and those after. Part j covers rows
// [parts[j].x, parts[j].x + parts[j].y) of `along` and is dense [outer, parts[j].y, inner], except
// that with BCAST_INNER it is [outer, parts[j].y] and repeats over inner (z [N, nz, 1, 1] next to an
// image [N, C, H, W]: the tiled z image is never made).
// concat_join: one thread per E consecutive output elements; bindings 1..4 = the parts (read),
// 5 = out (read_write). concat_split: one thread per E consecutive elements of g (the output's
// gradient); 6 = g (read), 7..10 = the parts' gradients (read_write; dense, BCAST_INNER parts too),
// each written only with WRITE and added to with ACCUMULATE (a gradient summed in place).
// Dispatch: 64 threads per workgroup (64 E elements), 1D or 2D grid.

// Consecutive output elements per thread: the index divisions are paid once for E elements.
const E: u32 = 4u;
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

// A position in the output viewed as [outer, along, inner], and its part; ok = false outside this
// launch's parts (more than 4 parts take several launches).
struct Cursor { a: u32, c: u32, i: u32, part: u32, ok: bool }

fn find_part(cur: ptr<function, Cursor>) {
  var j = 0u;
  for (var k = 1u; k < p.count; k++) {
    if ((*cur).c >= p.parts[k].x) { j = k; }
  }
  (*cur).part = j;
  (*cur).ok = (*cur).c >= p.parts[0].x && (*cur).c - p.parts[j].x < p.parts[j].y;
}

// The divisions (scalar per lane on the CPU driver) are paid once per thread, here.
fn cursor_at(o: u32) -> Cursor {
  let ac = o / p.inner;
  var cur = Cursor(ac / p.along, ac % p.along, o % p.inner, 0u, false);
  find_part(&cur);
  return cur;
}

// The next output element: i, then c (and the part), then a.
fn advance(cur: ptr<function, Cursor>) {
  (*cur).i++;
  if ((*cur).i < p.inner) { return; }
  (*cur).i = 0u;
  (*cur).c++;
  if ((*cur).c == p.along) { (*cur).c = 0u; (*cur).a++; }
  find_part(cur);
}

// The element's index in its part: dense [outer, rows, inner], or [outer, rows] with BCAST_INNER.
fn part_index(cur: Cursor) -> u32 {
  let rows = p.parts[cur.part].y;
  let ar = cur.a * rows + cur.c - p.parts[cur.part].x;
  if ((p.parts[cur.part].z & BCAST_INNER) != 0u) { return ar; }
  return ar * p.inner + cur.i;
}

@compute @workgroup_size(64)
fn concat_join(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o0 = (gid.x + gid.y * nwg.x * 64u) * E;
  if (o0 >= p.n) { return; }
  var cur = cursor_at(o0);
  for (var o = o0; o < min(o0 + E, p.n); o++) {
    if (cur.ok) {
      let s = part_index(cur);
      var v: f32;
      switch (cur.part) {
        case 0u: { v = in0[s]; }
        case 1u: { v = in1[s]; }
        case 2u: { v = in2[s]; }
        default: { v = in3[s]; }
      }
      out[o] = v;
    }
    advance(&cur);
  }
}

@compute @workgroup_size(64)
fn concat_split(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o0 = (gid.x + gid.y * nwg.x * 64u) * E;
  if (o0 >= p.n) { return; }
  var cur = cursor_at(o0);
  for (var o = o0; o < min(o0 + E, p.n); o++) {
    let flags = p.parts[cur.part].z;
    if (cur.ok && (flags & WRITE) != 0u) {
      let v = g[o];
      // The part's gradient is dense even for a BCAST_INNER part.
      let d = (cur.a * p.parts[cur.part].y + cur.c - p.parts[cur.part].x) * p.inner + cur.i;
      let acc = (flags & ACCUMULATE) != 0u;
      switch (cur.part) {
        case 0u: { if (acc) { g0[d] += v; } else { g0[d] = v; } }
        case 1u: { if (acc) { g1[d] += v; } else { g1[d] = v; } }
        case 2u: { if (acc) { g2[d] += v; } else { g2[d] = v; } }
        default: { if (acc) { g3[d] += v; } else { g3[d] = v; } }
      }
    }
    advance(&cur);
  }
}
