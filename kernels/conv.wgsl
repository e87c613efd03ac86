// Convolution family: shared parameters and bindings for the three implicit-GEMM hook sets
// (conv_forward.wgsl, conv_dgrad.wgsl, conv_wgrad.wgsl), each compiled as conv + hooks + gemm.
// Layout: NCHW activations, conv weight [K, C, KH, KW] (PyTorch). "x" is always the conv's input
// [N, C, H, W] and "y" its output [N, K, OH, OW]; a transposed conv is the dgrad of the conv whose
// input is the transposed conv's output, so its weight [in, out, kH, kW] is used unchanged.
// No im2col is ever materialised: the hooks turn GEMM indices into offsets. The host zero-pads the
// operand that is read through the window (x for forward and wgrad, dy for dgrad) so that every
// offset is in range: no bounds tests, and an offset splits into a per-row/column part and a per-k
// part, which keeps the GEMM's inner loop free of index arithmetic.
// Bindings: 0 = params, 1..3 = read-only operands (per hook set), 4 = output (read_write).
// The meaning of H, W, OH, OW and e0..e15 is given by each hook file.

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  K: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, sh: u32, sw: u32, dh: u32,
  dw: u32, has_bias: u32, pad0: u32, pad1: u32,
  e0: u32, e1: u32, e2: u32, e3: u32,
  e4: u32, e5: u32, e6: u32, e7: u32,
  e8: u32, e9: u32, e10: u32, e11: u32,
  e12: u32, e13: u32, e14: u32, e15: u32,
  // conv_dgrad only: three words-of-four per stride phase (see there); up to 16 phases.
  phases: array<vec4u, 48>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read> in2: array<f32>;
@group(0) @binding(3) var<storage, read> in3: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

fn bias_of(c: u32) -> f32 {
  if (p.has_bias != 0u) { return in3[c]; }
  return 0.0;
}
