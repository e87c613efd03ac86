// Convolution family: shared parameters and bindings for the three implicit-GEMM hook sets
// (conv_forward.wgsl, conv_dgrad.wgsl, conv_wgrad.wgsl), each compiled as conv + hooks + gemm.
// Layout: NCHW activations, conv weight [K, C, KH, KW] (PyTorch). "x" is always the conv's input
// [N, C, H, W] and "y" its output [N, K, OH, OW]; a transposed conv is the dgrad of the conv whose
// input is the transposed conv's output, so its weight [in, out, kH, kW] is used unchanged.
// No im2col is ever materialised and nothing is padded: the hooks turn GEMM indices into offsets, each
// split into a per-column part and a per-step part (no index arithmetic in the inner loop), and give
// the 2D position of both parts in the operand read through the window (x for forward and wgrad, dy for
// dgrad); the GEMM body zeroes a read whose position falls outside gemm_bounds (the zero padding).
// Bindings: 0 = params, 1..3 = read-only operands (per hook set), 4 = output (read_write; declared with
// write_out by conv_out.wgsl as floats, by conv_wgrad.wgsl as vec4s), 5 = the fused activation's input
// (for its derivative, ACT_GRAD), 6 = a second output (conv_wgrad's bias gradient).
// ph, pw: the conv's zero padding.
// TAP_H, TAP_W (pipeline constants, the launch's KH and KW): the hooks split reduction and column
// indices into (channel, kh, kw) by dividing by them; a division by a constant compiles to shifts or a
// multiply, where a division by a uniform runs lane by lane on the CPU driver (a deep conv spent
// 20-35% of its time there: bench/gemm-shapes.ts). Params.KH and KW hold the same values.
// IN_ACT (pipeline constant): where a fused input activation applies, ACT_* bits. As a constant the
// activation costs nothing where it is off (as a uniform, its selects cost 3-6% of the main loop).

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  K: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, sh: u32, sw: u32, dh: u32,
  dw: u32, has_bias: u32, ph: u32, pw: u32,
  // conv_dgrad: stride phases in this launch; tap step and dy step per tap, along h and w.
  n_phases: u32, kstep_h: u32, kstep_w: u32, ostep_h: u32,
  ostep_w: u32, pad2: u32, pad3: u32, pad4: u32,
  // conv_wgrad: positions per split-K chunk, number of chunks (splits).
  chunk: u32, splits: u32,
  // A fused input activation's slope (leaky ReLU; ReLU: 0); where it applies is IN_ACT.
  pad10: u32, in_slope: f32,
  // accumulate bit 0: the output is added to what the buffer holds (a gradient summed in place);
  // bit 1: likewise for out2 (conv_wgrad's bias gradient). has_residual (conv_forward): in4, of the
  // output's shape, is added to it (a residual connection; never with ACT_GRAD, which reads in4 too).
  accumulate: u32, has_residual: u32, pad8: u32, pad9: u32,
  // conv_dgrad only: three words-of-four per stride phase (see there); up to 16 phases.
  phases: array<vec4u, 48>,
}

override TAP_H: u32;
override TAP_W: u32;
override IN_ACT: u32;
// FOLD (pipeline constant; conv_forward and conv_dgrad): 1 puts every image of the launch side by side
// along the GEMM's columns, one batch for all (per stride phase for dgrad), where an image has fewer
// result columns than a column tile (the 1x1 and 2x2 layers); 0: one image per batch. As a constant
// it costs the unfolded launches nothing.
override FOLD: u32 = 0u;

// Images per GEMM batch.
fn images_per_batch() -> u32 { return select(1u, p.N, FOLD != 0u); }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read> in2: array<f32>;
@group(0) @binding(3) var<storage, read> in3: array<f32>;
// With ACT_GRAD: the activation's input, for its derivative; with has_residual: the residual.
@group(0) @binding(5) var<storage, read> in4: array<f32>;
// conv_wgrad with has_bias: the bias gradient.
@group(0) @binding(6) var<storage, read_write> out2: array<f32>;

fn bias_of(c: u32) -> f32 {
  if (p.has_bias != 0u) { return in3[c]; }
  return 0.0;
}

// Where a fused input activation applies (IN_ACT bits; TypeScript reads these constants):
const ACT_B: u32 = 1u;    // to B as read (the operand read through the window)
const ACT_A: u32 = 2u;    // to A as read (a transposed conv's input in its weight gradient)
const ACT_GRAD: u32 = 4u; // to the output: times act'(in4), the gradient at the activation's input

fn leaky(v: f32) -> f32 { return select(v, v * p.in_slope, v < 0.0); }
fn act_b(v: f32) -> f32 { return select(v, leaky(v), (IN_ACT & ACT_B) != 0u); }
fn act_a(v: f32) -> f32 { return select(v, leaky(v), (IN_ACT & ACT_A) != 0u); }

// d act / dx at the x stored at in4[i] (1 when ACT_GRAD is off), as PyTorch: the slope at x <= 0.
fn act_grad(i: u32) -> f32 {
  if ((IN_ACT & ACT_GRAD) == 0u) { return 1.0; }
  return select(p.in_slope, 1.0, in4[i] > 0.0);
}

// GEMM column `col` of image group g (the batch, or the batch / n_phases for dgrad), of `per` columns
// per image: (image, its column).
fn fold_col(g: u32, col: u32, per: u32) -> vec2u {
  if (FOLD == 0u) { return vec2u(g, col); }
  let j = col / per;
  return vec2u(j, col - j * per);
}

