// Reductions over the middle axis of a [O, R, I] view of a dense tensor: out[o, i] = op_r x[o, r, i].
// Any set of adjacent axes reduces in one launch; scattered axes one run at a time, except the first
// and last runs together, which reduce_ends does in one launch.
// Bindings: 0 = params, 1 = x (read), 2 = out (read_write, [O, I]).
// op: REDUCE_SUM or REDUCE_MAX (TypeScript reads these constants from here). The result is
// multiplied by `scale` (1/R gives the mean).
// reduce_wide: one workgroup of 64 threads per output, for long reductions (tree in shared memory).
// reduce_narrow: one thread per output, for short reductions with many outputs.
// reduce_ends (below): the first and last axes at once (scattered axes such as a bias gradient's).
// Dispatch: wide = one workgroup per output (2D grid past 65535); narrow = 64 outputs per workgroup.

// accumulate bit 0: out += result instead of out = result (a gradient summed into one already there);
// bit 1: likewise for out2 (reduce_pair).
// split: reduce_pair's first output size.
struct Params { outer: u32, red: u32, inner: u32, op: u32, scale: f32, accumulate: u32, split: u32, pad2: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// reduce_pair: where outputs split and after go.
@group(0) @binding(3) var<storage, read_write> out2: array<f32>;

const REDUCE_SUM = 0u;
const REDUCE_MAX = 1u;
const NEG_INF = -3.40282346e38;

fn combine(a: f32, b: f32) -> f32 {
  if (p.op == REDUCE_MAX) { return max(a, b); }
  return a + b;
}

fn identity() -> f32 {
  if (p.op == REDUCE_MAX) { return NEG_INF; }
  return 0.0;
}

fn store(j: u32, v: f32) {
  if ((p.accumulate & 1u) != 0u) { out[j] += v; } else { out[j] = v; }
}

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn reduce_wide(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
               @builtin(num_workgroups) nwg: vec3u) {
  let j = wid.x + wid.y * nwg.x;
  let total = p.outer * p.inner;
  let o = j / p.inner;
  let i = j % p.inner;
  var acc = identity();
  if (j < total) {
    let base = o * p.red * p.inner + i;
    for (var r = lid; r < p.red; r += 64u) {
      acc = combine(acc, x[base + r * p.inner]);
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = combine(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u && j < total) { store(j, partial[0] * p.scale); }
}

@compute @workgroup_size(64)
fn reduce_narrow(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * 64u;
  if (j >= p.outer * p.inner) { return; }
  let o = j / p.inner;
  let i = j % p.inner;
  let base = o * p.red * p.inner + i;
  var acc = identity();
  for (var r = 0u; r < p.red; r++) {
    acc = combine(acc, x[base + r * p.inner]);
  }
  store(j, acc * p.scale);
}

// reduce_ends: the first and last axes of an [outer, inner, red] view at once, keeping the middle:
// out[i] = op over o, r of x[(o * inner + i) * red + r] (a bias gradient: [N, C, H*W] -> [C]).
// One workgroup per output; its 64 threads stride over the outer*red values.
@compute @workgroup_size(64)
fn reduce_ends(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
               @builtin(num_workgroups) nwg: vec3u) {
  let i = wid.x + wid.y * nwg.x;
  var acc = identity();
  if (i < p.inner) {
    let count = p.outer * p.red;
    for (var t = lid; t < count; t += 64u) {
      let o = t / p.red;
      acc = combine(acc, x[(o * p.inner + i) * p.red + (t - o * p.red)]);
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = combine(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u && i < p.inner) { store(i, partial[0] * p.scale); }
}

// reduce_pair: reduce_narrow's sums with outer = 1, the outputs from `split` on going to out2 (the
// split-K partials of a weight gradient and its bias gradient, [splits, dW + db], in one launch).
@compute @workgroup_size(64)
fn reduce_pair(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * 64u;
  if (j >= p.inner) { return; }
  var acc = identity();
  for (var r = 0u; r < p.red; r++) {
    acc = combine(acc, x[j + r * p.inner]);
  }
  let v = acc * p.scale;
  if (j < p.split) { store(j, v); }
  else if ((p.accumulate & 2u) != 0u) { out2[j - p.split] += v; }
  else { out2[j - p.split] = v; }
}
