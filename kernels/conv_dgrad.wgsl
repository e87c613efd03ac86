// Conv input-gradient hooks, also the transposed-conv forward: dx[n] = W^T (.) dy[n] (+ bias).
// Stride phases: the input pixels (ih, iw) = (e0 + a*e2, e1 + b*e3) of one phase receive only the
// taps kh = e4 + th*e6, kw = e5 + tw*e7 (th < e8, tw < e9), for which dy's row is
// oh = a + c0 - th*e12 (and likewise for columns), so one launch per phase multiplies no inserted
// zeros. dy is zero-padded by the host (OH, OW are its padded size) so that every such row is in
// range; e14, e15 = c0, c1 plus that padding. e10, e11 = pixels of the phase along h, w.
// GEMM: M = C, N = e10*e11, depth = K*e8*e9, batches = N. Bindings: 1 = padded dy, 2 = weight,
// 3 = bias. H, W are dx's own size.

fn gemm_dims() -> vec4u { return vec4u(p.C, p.e10 * p.e11, p.K * p.e8 * p.e9, p.N); }

fn gemm_row_base(b: u32, ci: u32) -> u32 { return ci * p.KH * p.KW; }

fn gemm_col_base(b: u32, col: u32) -> u32 {
  let a = col / p.e11;
  return (b * p.K * p.OH + a + p.e14) * p.OW + (col - a * p.e11) + p.e15;
}

// Step k = (co, th, tw): weight [co, ci, kh, kw] and dy rows/columns stepping back from the base.
fn gemm_k(b: u32, k: u32) -> vec3u {
  let per = p.e8 * p.e9;
  let co = k / per;
  let r = k - co * per;
  let th = r / p.e9;
  let tw = r - th * p.e9;
  let kh = p.e4 + th * p.e6;
  let kw = p.e5 + tw * p.e7;
  let a = (co * p.C * p.KH + kh) * p.KW + kw;
  // Wrapping u32 arithmetic: the base plus this lands on dy[co, oh - th*e12, ow - tw*e13].
  let d = co * p.OH * p.OW - th * p.e12 * p.OW - tw * p.e13;
  return vec3u(a, d, 1u);
}

fn gemm_a(i: u32) -> f32 { return in2[i]; }
fn gemm_b(i: u32) -> f32 { return in1[i]; }

fn gemm_write(b: u32, ci: u32, col: u32, v: f32) {
  let a = col / p.e11;
  let ih = p.e0 + a * p.e2;
  let iw = p.e1 + (col - a * p.e11) * p.e3;
  out[((b * p.C + ci) * p.H + ih) * p.W + iw] = v + bias_of(ci);
}
