// Instance normalisation over each (n, c) plane of an NCHW tensor, forward and backward.
// Statistics are two-pass (mean, then the mean of squared deviations): never E[x^2] - E[x]^2,
// which cancels catastrophically in float32.
// One workgroup of 64 threads per plane (row = n*C + c, L = H*W elements), tree sums in shared memory.
// Bindings: 0 = params; 1 = x; 2 = upstream gradient (backward); 3 = gamma; 4 = beta;
// 5 = output (y or dx); 6 = stats [rows, 2] = (mean, 1/std), written forward, read backward.

// accumulate = 1: instnorm_backward adds dx to what out holds (a gradient summed in place).
struct Params { rows: u32, L: u32, C: u32, affine: u32, eps: f32, accumulate: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;

var<workgroup> red: array<vec2f, 64>;

// Sums v over the workgroup (two quantities at once); every thread gets the total.
fn wg_sum(v: vec2f, lid: u32) -> vec2f {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

fn row_of(wid: vec3u, nwg: vec3u) -> u32 { return wid.x + wid.y * nwg.x; }

// The per-plane work both bodies share (norm_subgroup.wgsl calls these too); `first`/`stride`: this
// thread's elements of the plane.

// y = x * a + b for the elements of plane `row`, and its statistics (by the thread of element 0).
fn write_forward(row: u32, first: u32, stride: u32, mean: f32, rstd: f32) {
  var a = rstd;
  var b = -mean * rstd;
  if (p.affine != 0u) {
    let c = row % p.C;
    a = rstd * gamma[c];
    b = beta[c] - mean * a;
  }
  let base = row * p.L;
  for (var i = first; i < p.L; i += stride) { out[base + i] = x[base + i] * a + b; }
  if (first == 0u) {
    stats[row * 2u] = mean;
    stats[row * 2u + 1u] = rstd;
  }
}

// gamma of plane `row`'s channel (1 without affine parameters).
fn gamma_of(row: u32) -> f32 {
  if (p.affine != 0u) { return gamma[row % p.C]; }
  return 1.0;
}

// dx of plane `row` from m = (mean(gw), mean(gw * xhat)), written or added (accumulate).
fn write_backward(row: u32, first: u32, stride: u32, mean: f32, rstd: f32, gmul: f32, m: vec2f) {
  let base = row * p.L;
  for (var i = first; i < p.L; i += stride) {
    let xhat = (x[base + i] - mean) * rstd;
    let v = rstd * (gy[base + i] * gmul - m.x - xhat * m.y);
    if (p.accumulate != 0u) { out[base + i] += v; } else { out[base + i] = v; }
  }
}

@compute @workgroup_size(64)
fn instnorm_forward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
                    @builtin(num_workgroups) nwg: vec3u) {
  let row = row_of(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.L;
  var s = 0.0;
  for (var i = lid; i < p.L; i += 64u) { s += x[base + i]; }
  let mean = wg_sum(vec2f(s, 0.0), lid).x / f32(p.L);
  var q = 0.0;
  for (var i = lid; i < p.L; i += 64u) { let d = x[base + i] - mean; q += d * d; }
  let rstd = inverseSqrt(wg_sum(vec2f(q, 0.0), lid).x / f32(p.L) + p.eps);
  write_forward(row, lid, 64u, mean, rstd);
}

// dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), gw = gy * gamma.
@compute @workgroup_size(64)
fn instnorm_backward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
                     @builtin(num_workgroups) nwg: vec3u) {
  let row = row_of(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.L;
  let mean = stats[row * 2u];
  let rstd = stats[row * 2u + 1u];
  let gmul = gamma_of(row);
  var acc = vec2f(0.0);
  for (var i = lid; i < p.L; i += 64u) {
    let gw = gy[base + i] * gmul;
    acc += vec2f(gw, gw * (x[base + i] - mean) * rstd);
  }
  write_backward(row, lid, 64u, mean, rstd, gmul, wg_sum(acc, lid) / f32(p.L));
}
