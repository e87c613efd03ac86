// Instance normalisation for the CPU driver (lavapipe: subgroups of exactly 8 lanes), the same maths
// as norm.wgsl and compiled after it (files ['norm', 'norm_subgroup']: its Params, bindings, row_of and per-plane writers).
// norm.wgsl's 64-thread workgroups sum through workgroup memory with 7 barriers per sum; on lavapipe
// each barrier switches between coroutines, so a launch on a tiny plane cost ~0.4 ms. Here one
// workgroup is one subgroup of 8 lanes per plane: each lane strides the plane (4 loads in flight per
// step) and subgroupAdd makes the sums, with no workgroup memory and no barriers.
// Statistics stay two-pass (mean, then the mean of squared deviations).
// Needs the subgroups feature and a subgroup of exactly 8 lanes (chosen on the host only for such
// adapters). The row test is uniform per workgroup, so every lane reaches every subgroupAdd.
// Dispatch: one workgroup per plane (row), 1D or 2D grid.
enable subgroups;

const SG: u32 = 8u;

// Sum over the plane of f(i) for this lane's elements, 4 per step (f: x, or (x - mean)^2).
fn lane_sum(base: u32, lane: u32, mean: f32, squares: bool) -> f32 {
  var acc = vec4f(0.0);
  var i = lane;
  for (; i + 3u * SG < p.L; i += 4u * SG) {
    var v = vec4f(x[base + i], x[base + i + SG], x[base + i + 2u * SG], x[base + i + 3u * SG]);
    if (squares) { v -= mean; v *= v; }
    acc += v;
  }
  for (; i < p.L; i += SG) {
    var v = x[base + i];
    if (squares) { v -= mean; v *= v; }
    acc.x += v;
  }
  return (acc.x + acc.y) + (acc.z + acc.w);
}

@compute @workgroup_size(8)
fn instnorm_forward_sg(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32,
                       @builtin(num_workgroups) nwg: vec3u) {
  let row = row_of(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.L;
  let mean = subgroupAdd(lane_sum(base, lane, 0.0, false)) / f32(p.L);
  let rstd = inverseSqrt(subgroupAdd(lane_sum(base, lane, mean, true)) / f32(p.L) + p.eps);
  write_forward(row, lane, SG, mean, rstd);
}

// dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), gw = gy * gamma.
@compute @workgroup_size(8)
fn instnorm_backward_sg(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32,
                        @builtin(num_workgroups) nwg: vec3u) {
  let row = row_of(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.L;
  let mean = stats[row * 2u];
  let rstd = stats[row * 2u + 1u];
  let gmul = gamma_of(row);
  // Sums of gw and gw * xhat, 4 elements per step as in lane_sum.
  var sg = vec4f(0.0);
  var sgx = vec4f(0.0);
  var i = lane;
  for (; i + 3u * SG < p.L; i += 4u * SG) {
    let j = vec4u(base + i) + vec4u(0u, SG, 2u * SG, 3u * SG);
    let gw = vec4f(gy[j.x], gy[j.y], gy[j.z], gy[j.w]) * gmul;
    sg += gw;
    sgx += gw * (vec4f(x[j.x], x[j.y], x[j.z], x[j.w]) - mean) * rstd;
  }
  for (; i < p.L; i += SG) {
    let gw = gy[base + i] * gmul;
    sg.x += gw;
    sgx.x += gw * (x[base + i] - mean) * rstd;
  }
  let acc = vec2f((sg.x + sg.y) + (sg.z + sg.w), (sgx.x + sgx.y) + (sgx.z + sgx.w));
  write_backward(row, lane, SG, mean, rstd, gmul, subgroupAdd(acc) / f32(p.L));
}
