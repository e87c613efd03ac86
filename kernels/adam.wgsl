// Adam update (torch.optim.Adam), in place on parameters and their two moments: one launch updates
// every tensor listed in the span table (torch's multi-tensor "foreach" apply, same per-element math).
// Bindings: 0 = params (uniform); 1 = parameter (read_write); 2 = gradient (read);
// 3 = exp_avg m (read_write); 4 = exp_avg_sq v (read_write). Four f32 buffers with one layout, read as
// vec4s (the CPU driver loads a vec4 about as fast as one float; the host binds whole 16-byte words):
// tensor t holds elements [spans[t].x, spans[t].x + spans[t].y). An optimizer packs its parameters
// that way (each tensor's offset a multiple of 64, so a vec4 never holds two tensors and a workgroup
// lies in one tensor or in the padding between); a single tensor is the table [(0, n)]. Spans are
// sorted by offset; elements outside every span keep their values (a vec4 past a span's end is
// written back with them unchanged).
// Per element, with the host computing step_size = lr / (1 - beta1^t) and bc2_sqrt = sqrt(1 - beta2^t)
// per tensor in float64:
//   g = grad + weight_decay * param        (L2 penalty added to the gradient, as torch)
//   m = m + (1 - beta1) * (g - m)          (torch's exp_avg.lerp_(grad, 1 - beta1))
//   v = beta2 * v + (1 - beta2) * g * g
//   param = param - step_size * m / (sqrt(v) / bc2_sqrt + eps)
// Dispatch: 64 threads per workgroup, 1D or 2D grid; workgroup w updates the PER_THREAD chunks of 64
// vec4s from vec4 w * 64 * PER_THREAD on (one span lookup per workgroup, then, where another span
// starts inside the workgroup, a step per lane to the next span when a chunk starts past the current
// one), so the grid covers the end of the last span / (4 * PER_THREAD).

// vec4s per thread: amortises the span search (a binary search over uniform memory).
const PER_THREAD: u32 = 2u;

// Tensors one launch can update (the length of the tables below).
const MAX_TENSORS: u32 = 128u;

struct Params {
  count: u32, pad0: u32, pad1: u32, pad2: u32,
  // (offset, n, -, -) per tensor
  spans: array<vec4u, 128>,
  // (step_size, bc2_sqrt, one_minus_beta1, beta2) per tensor
  rates: array<vec4f, 128>,
  // (one_minus_beta2, eps, weight_decay, -) per tensor
  decay: array<vec4f, 128>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(2) var<storage, read> grad: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<vec4f>;

@compute @workgroup_size(64)
fn adam(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) lane: u32,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let base = (wid.x + wid.y * nwg.x) * 64u * PER_THREAD; // the workgroup's first vec4
  // The last span starting at or before the workgroup's first element. Searched from workgroup-uniform
  // values only, so the CPU driver reads the table once per workgroup, not lane by lane.
  var lo = 0u;
  var hi = p.count;
  while (hi - lo > 1u) {
    let mid = (lo + hi) / 2u;
    if (p.spans[mid].x <= 4u * base) { lo = mid; } else { hi = mid; }
  }
  if (lo + 1u >= p.count || p.spans[lo + 1u].x >= 4u * (base + 64u * PER_THREAD)) {
    // No other span starts inside the workgroup (nearly every workgroup of a large tensor): span lo
    // for every lane, with no per-lane table reads.
    let s = p.spans[lo];
    let r = p.rates[lo];
    let d = p.decay[lo];
    for (var k = 0u; k < PER_THREAD; k++) {
      let q = base + lane + k * 64u;
      let e = 4u * q;
      if (e < s.x || e - s.x >= s.y) { continue; }
      update(q, vec4u(e - s.x) + vec4u(0u, 1u, 2u, 3u) < vec4u(s.y), r, d);
    }
    return;
  }
  // Small tensors: each lane steps to the last span starting at or before its vec4.
  for (var k = 0u; k < PER_THREAD; k++) {
    let q = base + lane + k * 64u;
    let e = 4u * q;
    while (lo + 1u < p.count && p.spans[lo + 1u].x <= e) { lo++; }
    let s = p.spans[lo];
    if (e < s.x || e - s.x >= s.y) { continue; }
    update(q, vec4u(e - s.x) + vec4u(0u, 1u, 2u, 3u) < vec4u(s.y), p.rates[lo], p.decay[lo]);
  }
}

// The update of vec4 q, kept where `inside` (the elements of the span).
fn update(q: u32, inside: vec4<bool>, r: vec4f, d: vec4f) {
  let step_size = r.x;
  let bc2_sqrt = r.y;
  let one_minus_beta1 = r.z;
  let beta2 = r.w;
  let one_minus_beta2 = d.x;
  let eps = d.y;
  let weight_decay = d.z;
  let x = param[q];
  var g = grad[q];
  if (weight_decay != 0.0) { g = g + weight_decay * x; }
  let m0 = exp_avg[q];
  let v0 = exp_avg_sq[q];
  let m = m0 + one_minus_beta1 * (g - m0);
  let v = beta2 * v0 + one_minus_beta2 * (g * g);
  exp_avg[q] = select(m0, m, inside);
  exp_avg_sq[q] = select(v0, v, inside);
  param[q] = select(x, x - step_size * (m / (sqrt(v) / bc2_sqrt + eps)), inside);
}
