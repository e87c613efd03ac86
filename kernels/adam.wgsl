// Adam update (torch.optim.Adam, single-tensor path), in place on one parameter and its two moments.
// Bindings: 0 = params (uniform); 1 = parameter (read_write); 2 = gradient (read);
// 3 = exp_avg m (read_write); 4 = exp_avg_sq v (read_write). All dense f32 arrays of n elements.
// Per element, with the host computing step_size = lr / (1 - beta1^t) and bc2_sqrt = sqrt(1 - beta2^t)
// in float64:
//   g = grad + weight_decay * param        (L2 penalty added to the gradient, as torch)
//   m = m + (1 - beta1) * (g - m)          (torch's exp_avg.lerp_(grad, 1 - beta1))
//   v = beta2 * v + (1 - beta2) * g * g
//   param = param - step_size * m / (sqrt(v) / bc2_sqrt + eps)
// Dispatch: 64 threads per workgroup, 1D or 2D grid (element i = x + y * 64 * num_workgroups.x).

struct Params {
  n: u32, pad0: u32, pad1: u32, pad2: u32,
  step_size: f32, one_minus_beta1: f32, beta2: f32, one_minus_beta2: f32,
  eps: f32, weight_decay: f32, bc2_sqrt: f32, pad3: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>;

@compute @workgroup_size(64)
fn adam(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let x = param[i];
  var g = grad[i];
  if (p.weight_decay != 0.0) { g = g + p.weight_decay * x; }
  let m0 = exp_avg[i];
  let m = m0 + p.one_minus_beta1 * (g - m0);
  let v = p.beta2 * exp_avg_sq[i] + p.one_minus_beta2 * (g * g);
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  param[i] = x - p.step_size * (m / (sqrt(v) / p.bc2_sqrt + p.eps));
}
