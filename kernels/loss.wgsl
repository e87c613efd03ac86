// Fused pointwise losses: mean over every element of f(x - y), f = square (MSE) or abs (L1), with y a
// tensor of x's shape or the scalar `value`. loss_forward reduces everything in one workgroup (256
// threads, a tree in workgroup memory) into out[0]; loss_backward writes dx = g[0] * scale * f'(x - y)
// (g: the loss's gradient, one element), and its negation when `negate` = 1 (the gradient of y).
// Replaces sub + square/abs + mean and their three backward launches with one launch each way.
// Bindings: 0 = params; 1 = x; 2 = y (any buffer when has_target = 0); 3 = g (backward);
// 4 = out (forward: [1]; backward: [n]).

// Without a target, elements from `split` on take `value2` instead of `value` (a discriminator run once
// on fakes then reals: two targets, split = n when there is one). `scale` is 1/n times any weight of
// the loss (a lambda), so a weighted loss takes no extra launch. accumulate = 1: loss_forward adds
// into out[0] (the outputs of a multi-scale discriminator summed in their launches).
struct Params {
  n: u32, kind: u32, has_target: u32, negate: u32,
  value: f32, scale: f32, split: u32, value2: f32,
  accumulate: u32, pad0: u32, pad1: u32, pad2: u32,
}

const LOSS_MSE = 0u;
const LOSS_L1 = 1u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

fn diff(i: u32) -> f32 {
  if (p.has_target != 0u) { return x[i] - y[i]; }
  return x[i] - select(p.value, p.value2, i >= p.split);
}

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn loss_forward(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < p.n; i += 256u) {
    let d = diff(i);
    acc += select(d * d, abs(d), p.kind == LOSS_L1);
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let v = partial[0] * p.scale;
    out[0] = select(v, out[0] + v, p.accumulate != 0u);
  }
}

@compute @workgroup_size(64)
fn loss_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let d = diff(i);
  let dl = select(2.0 * d, sign(d), p.kind == LOSS_L1) * g[0] * p.scale;
  out[i] = select(dl, -dl, p.negate != 0u);
}
