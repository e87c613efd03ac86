// Conv weight-gradient hooks: dW [K, C*KH*KW] = sum over positions (n, oh, ow) of dy x im2col(x).
// The reduction (N*OH*OW, huge) is split into chunks of `chunk` positions: GEMM batch s handles positions
// [s*chunk, (s+1)*chunk) and writes its partial product to out[s]; the partials are summed afterwards
// (split-K), so no thread loops over every pixel. x is zero-padded by the host (H, W: padded size).
// GEMM: M = K, N = C*KH*KW, depth = chunk, batches = splits. Bindings: 1 = padded x, 2 = dy.

fn gemm_dims(b: u32) -> vec4u { return vec4u(p.K, p.C * p.KH * p.KW, p.chunk, p.splits); }

fn gemm_row_base(s: u32, co: u32) -> u32 { return co * p.OH * p.OW; }

// Column (ci, kh, kw): the tap's offset inside a window.
fn gemm_col_base(s: u32, col: u32) -> u32 {
  let taps = p.KH * p.KW;
  let ci = col / taps;
  let r = col - ci * taps;
  let kh = r / p.KW;
  return (ci * p.H + kh * p.dh) * p.W + (r - kh * p.KW) * p.dw;
}

// Step k = position (n, oh, ow) of split s: dy's element and the window's corner in x.
fn gemm_k(s: u32, k: u32) -> vec3u {
  let pos = s * p.chunk + k;
  let plane = p.OH * p.OW;
  if (pos >= p.N * plane) { return vec3u(0u); }
  let n = pos / plane;
  let q = pos - n * plane;
  let oh = q / p.OW;
  let a = n * p.K * plane + q;
  let b = (n * p.C * p.H + oh * p.sh) * p.W + (q - oh * p.OW) * p.sw;
  return vec3u(a, b, 1u);
}

fn gemm_a(i: u32) -> f32 { return in2[i]; }
fn gemm_b(i: u32) -> f32 { return in1[i]; }

fn gemm_write(s: u32, m: u32, col: u32, v: f32) {
  out[(s * p.K + m) * p.C * p.KH * p.KW + col] = v;
}
