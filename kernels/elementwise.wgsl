// Elementwise kernels: unary (with two scalar parameters), broadcasting binary, where, fill.
// Bindings: 0 = params (uniform); 1, 2, 3 = read-only inputs (as many as the entry uses); 4 = output.
// Layout: every tensor is dense row-major. Broadcasting reads the input through per-dimension strides
// (0 on a broadcast dimension), given in params for up to 8 dimensions.
// Op tables: `apply_unary` and `apply_binary` are generated at embed time (scripts/embed-kernels.mjs,
// from the @optable lines below): op i is the i-th `fn unary_*` / `fn binary_*` in this file, and
// TypeScript reads the same numbering (UNARY / BINARY in src/kernels/elementwise.ts). A new op is one
// function here. The op is a uniform value, not a pipeline constant: one compiled pipeline serves every op, because a
// pipeline costs 0.5-2 s to compile on the CPU driver while a uniform switch costs next to nothing.
// Dispatch: 64 threads per workgroup, 1D or 2D grid (element i = x + y * 64 * num_workgroups.x).
// unary4, binary4: the same ops on four elements per thread through vec4 loads and stores (the CPU
// driver loads a vec4 about as fast as one float: leakyRelu on 2M floats 1.5-2x faster), taken by the
// host when n is a multiple of 4 and, for binary4, both operands have the output's shape; thread t
// handles elements 4t..4t+3 (vec4 t; the bindings, 256-byte aligned and 16n bytes long, hold whole vec4s).

struct Params {
  n: u32, op: u32, rank: u32, fast: u32,
  alpha: f32, beta: f32, pad0: u32, pad1: u32,
  shape: array<vec4u, 2>,
  sa: array<vec4u, 2>,
  sb: array<vec4u, 2>,
  sc: array<vec4u, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;

fn dim(v: array<vec4u, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

fn linear(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

// Offsets of element i of the output in up to three broadcast inputs.
fn offsets(i: u32) -> vec3u {
  var rem = i;
  var o = vec3u(0u);
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let s = dim(p.shape, u32(d));
    let idx = rem % s;
    rem = rem / s;
    o += idx * vec3u(dim(p.sa, u32(d)), dim(p.sb, u32(d)), dim(p.sc, u32(d)));
  }
  return o;
}

// x^a as PyTorch computes it: integer exponents work for negative bases.
fn pow_signed(x: f32, a: f32) -> f32 {
  if (a == 2.0) { return x * x; }
  if (a == 1.0) { return x; }
  if (a == 0.0) { return 1.0; }
  let r = pow(abs(x), a);
  if (x < 0.0 && fract(a) == 0.0) {
    return select(r, -r, fract(a * 0.5) != 0.0);
  }
  if (x < 0.0) { return sqrt(x); } // NaN, as pow of a negative base to a fractional power
  return r;
}

// Unary ops: x is the input, a and b the two scalar parameters (alpha, beta).
// @optable apply_unary unary_ (x: f32, a: f32, b: f32) -> f32
fn unary_copy(x: f32, a: f32, b: f32) -> f32 { return x; }
fn unary_neg(x: f32, a: f32, b: f32) -> f32 { return -x; }
fn unary_exp(x: f32, a: f32, b: f32) -> f32 { return exp(x); }
fn unary_log(x: f32, a: f32, b: f32) -> f32 { return log(x); }
fn unary_sqrt(x: f32, a: f32, b: f32) -> f32 { return sqrt(x); }
fn unary_abs(x: f32, a: f32, b: f32) -> f32 { return abs(x); }
fn unary_relu(x: f32, a: f32, b: f32) -> f32 { return max(x, 0.0); }
fn unary_leaky(x: f32, a: f32, b: f32) -> f32 { return select(a * x, x, x > 0.0); }
fn unary_tanh(x: f32, a: f32, b: f32) -> f32 { return tanh(x); }
fn unary_sigmoid(x: f32, a: f32, b: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn unary_add_scalar(x: f32, a: f32, b: f32) -> f32 { return x + a; }
fn unary_mul_scalar(x: f32, a: f32, b: f32) -> f32 { return x * a; }
fn unary_pow_scalar(x: f32, a: f32, b: f32) -> f32 { return pow_signed(x, a); }
fn unary_max_scalar(x: f32, a: f32, b: f32) -> f32 { return max(x, a); }
fn unary_min_scalar(x: f32, a: f32, b: f32) -> f32 { return min(x, a); }
fn unary_rsub_scalar(x: f32, a: f32, b: f32) -> f32 { return a - x; }
fn unary_gt_scalar(x: f32, a: f32, b: f32) -> f32 { return select(0.0, 1.0, x > a); }
fn unary_lt_scalar(x: f32, a: f32, b: f32) -> f32 { return select(0.0, 1.0, x < a); }
fn unary_ge_scalar(x: f32, a: f32, b: f32) -> f32 { return select(0.0, 1.0, x >= a); }
fn unary_le_scalar(x: f32, a: f32, b: f32) -> f32 { return select(0.0, 1.0, x <= a); }
fn unary_eq_scalar(x: f32, a: f32, b: f32) -> f32 { return select(0.0, 1.0, x == a); }
fn unary_ne_scalar(x: f32, a: f32, b: f32) -> f32 { return select(0.0, 1.0, x != a); }
fn unary_affine(x: f32, a: f32, b: f32) -> f32 { return a * x + b; }

// Binary ops: x and y the operands, a the scalar parameter. The *_grad ops are backward helpers:
// x is the incoming gradient, y the saved forward value.
// @optable apply_binary binary_ (x: f32, y: f32, a: f32) -> f32
fn binary_add(x: f32, y: f32, a: f32) -> f32 { return x + y; }
fn binary_sub(x: f32, y: f32, a: f32) -> f32 { return x - y; }
fn binary_mul(x: f32, y: f32, a: f32) -> f32 { return x * y; }
fn binary_div(x: f32, y: f32, a: f32) -> f32 { return x / y; }
fn binary_max(x: f32, y: f32, a: f32) -> f32 { return max(x, y); }
fn binary_min(x: f32, y: f32, a: f32) -> f32 { return min(x, y); }
fn binary_pow(x: f32, y: f32, a: f32) -> f32 { return pow_signed(x, y); }
fn binary_gt(x: f32, y: f32, a: f32) -> f32 { return select(0.0, 1.0, x > y); }
fn binary_lt(x: f32, y: f32, a: f32) -> f32 { return select(0.0, 1.0, x < y); }
fn binary_ge(x: f32, y: f32, a: f32) -> f32 { return select(0.0, 1.0, x >= y); }
fn binary_le(x: f32, y: f32, a: f32) -> f32 { return select(0.0, 1.0, x <= y); }
fn binary_eq(x: f32, y: f32, a: f32) -> f32 { return select(0.0, 1.0, x == y); }
fn binary_ne(x: f32, y: f32, a: f32) -> f32 { return select(0.0, 1.0, x != y); }
fn binary_tanh_grad(x: f32, y: f32, a: f32) -> f32 { return x * (1.0 - y * y); } // tanh' from its output
fn binary_sigmoid_grad(x: f32, y: f32, a: f32) -> f32 { return x * y * (1.0 - y); } // sigmoid' from its output
fn binary_leaky_grad(x: f32, y: f32, a: f32) -> f32 { return select(a * x, x, y > 0.0); } // leaky ReLU' (ReLU: a = 0)
fn binary_abs_grad(x: f32, y: f32, a: f32) -> f32 { return x * sign(y); } // abs'
fn binary_pow_grad(x: f32, y: f32, a: f32) -> f32 { return x * a * pow_signed(y, a - 1.0); } // (y^a)'

@group(0) @binding(1) var<storage, read> in0: array<f32>;
@group(0) @binding(2) var<storage, read> in1: array<f32>;
@group(0) @binding(3) var<storage, read> in2: array<f32>;
@group(0) @binding(4) var<storage, read_write> out0: array<f32>;

@compute @workgroup_size(64)
fn unary(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  out0[i] = apply_unary(p.op, in0[i], p.alpha, p.beta);
}

@group(0) @binding(1) var<storage, read> in0v: array<vec4f>;
@group(0) @binding(2) var<storage, read> in1v: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> out0v: array<vec4f>;

@compute @workgroup_size(64)
fn unary4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= p.n / 4u) { return; }
  let x = in0v[i];
  out0v[i] = vec4f(apply_unary(p.op, x.x, p.alpha, p.beta), apply_unary(p.op, x.y, p.alpha, p.beta),
                   apply_unary(p.op, x.z, p.alpha, p.beta), apply_unary(p.op, x.w, p.alpha, p.beta));
}

@compute @workgroup_size(64)
fn binary4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= p.n / 4u) { return; }
  let x = in0v[i];
  let y = in1v[i];
  out0v[i] = vec4f(apply_binary(p.op, x.x, y.x, p.alpha), apply_binary(p.op, x.y, y.y, p.alpha),
                   apply_binary(p.op, x.z, y.z, p.alpha), apply_binary(p.op, x.w, y.w, p.alpha));
}

@compute @workgroup_size(64)
fn fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  out0[i] = p.alpha;
}

// Broadcasting binary op. `fast` = 1 when both operands have the output's shape.
@compute @workgroup_size(64)
fn binary(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  var o = vec3u(i);
  if (p.fast == 0u) { o = offsets(i); }
  out0[i] = apply_binary(p.op, in0[o.x], in1[o.y], p.alpha);
}

// where(c, a, b): c != 0 picks a. Bindings: 1 = c, 2 = a, 3 = b.
@compute @workgroup_size(64)
fn where_select(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  var o = vec3u(i);
  if (p.fast == 0u) { o = offsets(i); }
  out0[i] = select(in2[o.z], in1[o.y], in0[o.x] != 0.0);
}
