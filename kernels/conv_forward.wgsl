// Conv forward hooks: y[n] = W [K, C*KH*KW] @ im2col(x[n]) [C*KH*KW, OH*OW] (+ bias).
// GEMM: M = K, N = OH*OW, depth = C*KH*KW, batches = N. Bindings: 1 = x, 2 = weight, 3 = bias.

fn gemm_dims() -> vec4u { return vec4u(p.K, p.OH * p.OW, p.C * p.KH * p.KW, p.N); }

fn gemm_read_a(b: u32, m: u32, k: u32) -> f32 { return in2[m * p.C * p.KH * p.KW + k]; }

fn gemm_read_b(b: u32, k: u32, col: u32) -> f32 {
  let taps = p.KH * p.KW;
  let ci = k / taps;
  let r = k % taps;
  let ih = i32((col / p.OW) * p.sh + (r / p.KW) * p.dh) - i32(p.ph);
  let iw = i32((col % p.OW) * p.sw + (r % p.KW) * p.dw) - i32(p.pw);
  if (ih < 0 || iw < 0 || ih >= i32(p.H) || iw >= i32(p.W)) { return 0.0; }
  return in1[((b * p.C + ci) * p.H + u32(ih)) * p.W + u32(iw)];
}

fn gemm_write(b: u32, m: u32, col: u32, v: f32) {
  var bias = 0.0;
  if (p.has_bias != 0u) { bias = in3[m]; }
  out[(b * p.K + m) * p.OH * p.OW + col] = v + bias;
}
