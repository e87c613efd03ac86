// Conv weight-gradient hooks: dW [K, C*KH*KW] = sum over (n, oh, ow) of dy x im2col(x).
// The reduction (N*OH*OW, huge) is split into chunks of e0 positions: GEMM batch s handles
// positions [s*e0, (s+1)*e0) and writes its partial product to out[s]; the partials are summed
// afterwards (split-K), so no thread loops over every pixel.
// GEMM: M = K, N = C*KH*KW, depth = e0, batches = splits. Bindings: 1 = x, 2 = dy.

fn gemm_dims() -> vec4u { return vec4u(p.K, p.C * p.KH * p.KW, p.e0, p.e1); }

fn gemm_read_a(s: u32, m: u32, k: u32) -> f32 {
  let pos = s * p.e0 + k;
  let plane = p.OH * p.OW;
  if (pos >= p.N * plane) { return 0.0; }
  return in2[((pos / plane) * p.K + m) * plane + pos % plane];
}

fn gemm_read_b(s: u32, k: u32, col: u32) -> f32 {
  let pos = s * p.e0 + k;
  let plane = p.OH * p.OW;
  if (pos >= p.N * plane) { return 0.0; }
  let n = pos / plane;
  let q = pos % plane;
  let taps = p.KH * p.KW;
  let ci = col / taps;
  let r = col % taps;
  let ih = i32((q / p.OW) * p.sh + (r / p.KW) * p.dh) - i32(p.ph);
  let iw = i32((q % p.OW) * p.sw + (r % p.KW) * p.dw) - i32(p.pw);
  if (ih < 0 || iw < 0 || ih >= i32(p.H) || iw >= i32(p.W)) { return 0.0; }
  return in1[((n * p.C + ci) * p.H + u32(ih)) * p.W + u32(iw)];
}

fn gemm_write(s: u32, m: u32, col: u32, v: f32) {
  out[(s * p.K + m) * p.C * p.KH * p.KW + col] = v;
}
