// Conv forward hooks: y[n] = W [K, C*KH*KW] @ im2col(x[n]) [C*KH*KW, OH*OW] (+ bias).
// x is zero-padded by the host: H, W are its padded size. GEMM: M = K, N = OH*OW,
// depth = C*KH*KW, batches = N. Bindings: 1 = padded x, 2 = weight, 3 = bias.

fn gemm_dims(b: u32) -> vec4u { return vec4u(p.K, p.OH * p.OW, p.C * p.KH * p.KW, p.N); }

fn gemm_row_base(b: u32, m: u32) -> u32 { return m * p.C * p.KH * p.KW; }

// Top-left corner of output pixel `col`'s window in image b.
fn gemm_col_base(b: u32, col: u32) -> u32 {
  let oh = col / p.OW;
  return (b * p.C * p.H + oh * p.sh) * p.W + (col - oh * p.OW) * p.sw;
}

// Step k = (ci, kh, kw): the weight column k, and the tap's offset inside the window.
fn gemm_k(b: u32, k: u32) -> vec3u {
  let taps = p.KH * p.KW;
  let ci = k / taps;
  let r = k - ci * taps;
  let kh = r / p.KW;
  return vec3u(k, (ci * p.H + kh * p.dh) * p.W + (r - kh * p.KW) * p.dw, 1u);
}

fn gemm_a(i: u32) -> f32 { return in2[i]; }
fn gemm_b(i: u32) -> f32 { return in1[i]; }

fn gemm_write(b: u32, m: u32, col: u32, v: f32) {
  out[(b * p.K + m) * p.OH * p.OW + col] = v + bias_of(m);
}
