// The diagonal Gaussian N(mu, exp(logvar)) of a VAE encoder's code (BicycleGAN's E), one launch each:
//   kl_forward       out[0] = weight * -0.5 * sum(1 + logvar - mu^2 - exp(logvar)), weight (a lambda)
//                    times KL(N(mu, exp(logvar)) || N(0, I)) over every element (one workgroup, a tree
//                    in workgroup memory)
//   kl_backward      dmu = weight * g[0] * mu, dlogvar = weight * g[0] * (exp(logvar) - 1) / 2
//   sample_forward   z = mu + eps * exp(logvar / 2) (the reparameterisation)
//   sample_backward  dlogvar = g * eps * exp(logvar / 2) / 2 (dmu = g takes no launch)
// They replace a dozen elementwise launches each way.
// Bindings: 0 = params; 1 = mu; 2 = logvar; 3 = eps; 4 = g (the output's gradient); 5 = out (kl: [1];
// z; kl_backward: dmu; sample_backward: dlogvar); 6 = out2 (kl_backward: dlogvar).
// `write` bits (kl_backward): 1 = dmu, 2 = dlogvar; `accumulate` bits: add into what out (1) or out2 (2)
// holds instead of overwriting it (a gradient summed in place).

struct Params { n: u32, write: u32, accumulate: u32, weight: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mu: array<f32>;
@group(0) @binding(2) var<storage, read> logvar: array<f32>;
@group(0) @binding(3) var<storage, read> eps: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> out2: array<f32>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn kl_forward(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < p.n; i += 256u) {
    let m = mu[i];
    let lv = logvar[i];
    acc += 1.0 + lv - m * m - exp(lv);
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = -0.5 * p.weight * partial[0]; }
}

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

@compute @workgroup_size(64)
fn kl_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  let gk = p.weight * g[0];
  if ((p.write & 1u) != 0u) {
    let d = gk * mu[i];
    out[i] = select(d, out[i] + d, (p.accumulate & 1u) != 0u);
  }
  if ((p.write & 2u) != 0u) {
    let d = gk * 0.5 * (exp(logvar[i]) - 1.0);
    out2[i] = select(d, out2[i] + d, (p.accumulate & 2u) != 0u);
  }
}

@compute @workgroup_size(64)
fn sample_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = eps[i] * exp(0.5 * logvar[i]) + mu[i];
}

@compute @workgroup_size(64)
fn sample_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  let d = g[i] * eps[i] * 0.5 * exp(0.5 * logvar[i]);
  out[i] = select(d, out[i] + d, (p.accumulate & 1u) != 0u);
}
