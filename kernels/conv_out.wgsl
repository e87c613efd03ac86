// The output binding of conv_forward and conv_dgrad (conv.wgsl's binding 4), one float per element,
// and write_out, through which their gemm_write stores. (conv_wgrad declares it as vec4s instead.)

@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// out[i] = v, or out[i] += v when accumulating.
fn write_out(i: u32, v: f32) {
  if ((p.accumulate & 1u) != 0u) { out[i] += v; } else { out[i] = v; }
}

// Four consecutive columns from col of row m: the scalar stores of gemm_write, one by one.
fn gemm_write4(b: u32, m: u32, col: u32, v: vec4f) {
  for (var i = 0u; i < 4u; i++) { gemm_write(b, m, col + i, v[i]); }
}
