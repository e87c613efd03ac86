// Conv input-gradient hooks, also the transposed-conv forward: dx[n] = W^T (.) dy[n] (+ bias).
// Stride phases: the input pixels (ih, iw) = (rh + a*sh, rw + b*sw) of one phase receive only the
// taps kh = kh0 + th*kstep_h, kw = kw0 + tw*kstep_w, for which dy's row is oh = a + c0 - th*ostep_h
// (likewise for columns with ostep_w), so no work is spent on the zeros a stride inserts. All phases run in one launch:
// GEMM batch z is image z / n_phases (with FOLD: every image, side by side along the columns) and
// phase z % n_phases. A tap that falls outside dy (its row or column past an edge) reads zero:
// gemm_bounds is dy's plane.
// Per phase ph, phases[3ph] = (rh, rw, kh0, kw0), phases[3ph+1] = (taps along h, along w, pixels along
// h, along w), phases[3ph+2] = (c0, c1, -, -) as i32 bits: dy's row/column of the phase's first
// pixel for its first tap (may be negative).
// GEMM per batch: M = C, N = its phase's pixels (x N with FOLD), depth = K * its taps.
// Bindings: 1 = padded dy, 2 = weight, 3 = bias, 5 = x (the input activation's derivative).
// H, W are dx's size, OH, OW dy's.

// PHASE_TAPS_H, PHASE_TAPS_W (pipeline constants): the taps of every phase along h and w when all
// phases have the same (a 4x4 stride-2 kernel: 2 x 2; any stride-1 kernel: all of them), else 0.
// Each step splits its index by the phase's tap counts; by constants those divisions compile to
// shifts or multiplies, where by the phase table's values they run lane by lane on the CPU driver.
override PHASE_TAPS_H: u32;
override PHASE_TAPS_W: u32;

struct Phase { r: vec4u, n: vec4u, o: vec4u }

// The phase's taps along h and w (f.n.xy, or the constants when every phase has the same).
fn taps_of(f: Phase) -> vec2u {
  if (PHASE_TAPS_H != 0u) { return vec2u(PHASE_TAPS_H, PHASE_TAPS_W); }
  return f.n.xy;
}

fn phase_of(b: u32) -> Phase {
  let i = 3u * (b % p.n_phases);
  return Phase(p.phases[i], p.phases[i + 1u], p.phases[i + 2u]);
}

fn gemm_dims(b: u32) -> vec4u {
  let f = phase_of(b);
  let t = taps_of(f);
  let i = images_per_batch();
  return vec4u(p.C, i * f.n.z * f.n.w, p.K * t.x * t.y, (p.N / i) * p.n_phases);
}

// (image, pixel of its phase) of column `col` of batch b.
fn phase_col(b: u32, col: u32) -> vec2u {
  let f = phase_of(b);
  return fold_col(b / p.n_phases, col, f.n.z * f.n.w);
}

fn gemm_row_base(b: u32, ci: u32) -> u32 { return ci * TAP_H * TAP_W; }

// dy position (row, column) of phase pixel `col` for the phase's first tap.
fn gemm_col_pos(b: u32, col: u32) -> vec2i {
  let f = phase_of(b);
  let q = phase_col(b, col).y;
  let a = q / f.n.w;
  return vec2i(i32(a) + bitcast<i32>(f.o.x), i32(q - a * f.n.w) + bitcast<i32>(f.o.y));
}

fn gemm_col_base(b: u32, col: u32) -> u32 {
  let q = gemm_col_pos(b, col);
  return u32(i32(phase_col(b, col).x * p.K * p.OH * p.OW) + q.x * i32(p.OW) + q.y);
}

fn gemm_bounds(b: u32) -> vec2u { return vec2u(p.OH, p.OW); }

// Step k = (co, th, tw): weight [co, ci, kh, kw] and dy rows/columns stepping back from the base.
fn gemm_k(b: u32, k: u32) -> GemmStep {
  let f = phase_of(b);
  let t = taps_of(f);
  let per = t.x * t.y;
  let co = k / per;
  let r = k - co * per;
  let th = r / t.y;
  let tw = r - th * t.y;
  let kh = f.r.z + th * p.kstep_h;
  let kw = f.r.w + tw * p.kstep_w;
  let a = (co * p.C * TAP_H + kh) * TAP_W + kw;
  // Wrapping u32 arithmetic: the base plus this lands on dy[co, oh - th*ostep_h, ow - tw*ostep_w].
  let d = co * p.OH * p.OW - th * p.ostep_h * p.OW - tw * p.ostep_w;
  return GemmStep(a, d, vec2i(-i32(th * p.ostep_h), -i32(tw * p.ostep_w)), 1u);
}

fn gemm_a(i: u32) -> f32 { return in2[i]; }
fn gemm_b(i: u32) -> f32 { return act_b(in1[i]); }

fn gemm_write(b: u32, ci: u32, col: u32, v: f32) {
  let f = phase_of(b);
  let c = phase_col(b, col);
  let a = c.y / f.n.w;
  let ih = f.r.x + a * p.sh;
  let iw = f.r.y + (c.y - a * f.n.w) * p.sw;
  let i = ((c.x * p.C + ci) * p.H + ih) * p.W + iw;
  // With an input activation this is the gradient at x before it: times the activation's derivative.
  write_out(i, (v + bias_of(ci)) * act_grad(i));
}
