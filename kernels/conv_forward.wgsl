// Conv forward hooks: y[n] = W [K, C*KH*KW] @ im2col(x[n]) [C*KH*KW, OH*OW] (+ bias).
// GEMM: M = K, N = OH*OW (all images' side by side with FOLD), depth = C*KH*KW, batches = N (1).
// Bindings: 1 = x, 2 = weight, 3 = bias, 5 = the fused activation's input (ACT_GRAD: a transposed
// conv's input gradient) or the residual added to the output (has_residual).
// B = x through the window: column = output pixel (its window's top-left corner, which may lie in
// the padding), step = tap (ci, kh, kw); positions are (row, column) in x's plane.

fn gemm_dims(b: u32) -> vec4u {
  let f = images_per_batch();
  return vec4u(p.K, f * p.OH * p.OW, p.C * TAP_H * TAP_W, p.N / f);
}

fn gemm_row_base(b: u32, m: u32) -> u32 { return m * p.C * TAP_H * TAP_W; }

// Top-left corner of output pixel `col`'s window in its image (row, column; negative in the padding).
fn gemm_col_pos(b: u32, col: u32) -> vec2i {
  let q = fold_col(b, col, p.OH * p.OW).y;
  let oh = q / p.OW;
  return vec2i(i32(oh * p.sh) - i32(p.ph), i32((q - oh * p.OW) * p.sw) - i32(p.pw));
}

fn gemm_col_base(b: u32, col: u32) -> u32 {
  let n = fold_col(b, col, p.OH * p.OW).x;
  let q = gemm_col_pos(b, col);
  return u32(i32(n * p.C * p.H * p.W) + q.x * i32(p.W) + q.y);
}

fn gemm_bounds(b: u32) -> vec2u { return vec2u(p.H, p.W); }

// Step k = (ci, kh, kw): the weight column k, and the tap's offset and position inside the window.
fn gemm_k(b: u32, k: u32) -> GemmStep {
  let taps = TAP_H * TAP_W;
  let ci = k / taps;
  let r = k - ci * taps;
  let kh = r / TAP_W;
  let kw = r - kh * TAP_W;
  return GemmStep(k, (ci * p.H + kh * p.dh) * p.W + kw * p.dw, vec2i(i32(kh * p.dh), i32(kw * p.dw)), 1u);
}

fn gemm_a(i: u32) -> f32 { return in2[i]; }
fn gemm_b(i: u32) -> f32 { return act_b(in1[i]); }

fn residual(i: u32) -> f32 {
  if (p.has_residual != 0u) { return in4[i]; }
  return 0.0;
}

fn gemm_write(b: u32, m: u32, col: u32, v: f32) {
  let c = fold_col(b, col, p.OH * p.OW);
  let i = (c.x * p.K + m) * p.OH * p.OW + c.y;
  write_out(i, (v + bias_of(m)) * act_grad(i) + residual(i));
}
