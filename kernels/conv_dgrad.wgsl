// Conv input-gradient hooks, also the transposed-conv forward: dx[n] = W^T (.) dy[n].
// Stride phases: input pixels with the same (ih mod sh, iw mod sw) receive only the taps
// kh = kh0 + t*sh, kw = kw0 + t*sw, so one launch per phase multiplies no inserted zeros
// (for dilation > 1 a single phase with every tap and a divisibility test is used instead).
// e0, e1 = phase row/col offset (rh, rw); e2, e3 = pixel step (sh, sw or 1);
// e4, e5 = first tap (kh0, kw0); e6, e7 = tap step; e8, e9 = taps in phase (nkh, nkw);
// e10, e11 = pixels in phase along h, w.
// GEMM: M = C, N = e10*e11, depth = K*nkh*nkw, batches = N. Bindings: 1 = dy, 2 = weight, 3 = bias.

fn gemm_dims() -> vec4u { return vec4u(p.C, p.e10 * p.e11, p.K * p.e8 * p.e9, p.N); }

// (co, kh, kw) of depth index k.
fn tap(k: u32) -> vec3u {
  let per = p.e8 * p.e9;
  let r = k % per;
  return vec3u(k / per, p.e4 + (r / p.e9) * p.e6, p.e5 + (r % p.e9) * p.e7);
}

fn gemm_read_a(b: u32, m: u32, k: u32) -> f32 {
  let t = tap(k);
  return in2[((t.x * p.C + m) * p.KH + t.y) * p.KW + t.z];
}

fn gemm_read_b(b: u32, k: u32, col: u32) -> f32 {
  let t = tap(k);
  let ih = p.e0 + (col / p.e11) * p.e2;
  let iw = p.e1 + (col % p.e11) * p.e3;
  let nh = i32(ih + p.ph) - i32(t.y * p.dh);
  let nw = i32(iw + p.pw) - i32(t.z * p.dw);
  if (nh < 0 || nw < 0 || u32(nh) % p.sh != 0u || u32(nw) % p.sw != 0u) { return 0.0; }
  let oh = u32(nh) / p.sh;
  let ow = u32(nw) / p.sw;
  if (oh >= p.OH || ow >= p.OW) { return 0.0; }
  return in1[((b * p.K + t.x) * p.OH + oh) * p.OW + ow];
}

fn gemm_write(b: u32, m: u32, col: u32, v: f32) {
  let ih = p.e0 + (col / p.e11) * p.e2;
  let iw = p.e1 + (col % p.e11) * p.e3;
  var bias = 0.0;
  if (p.has_bias != 0u) { bias = in3[m]; }
  out[((b * p.C + m) * p.H + ih) * p.W + iw] = v + bias;
}
