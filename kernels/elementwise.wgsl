// Elementwise kernels: unary (with two scalar parameters), broadcasting binary, where, fill.
// Bindings: 0 = params (uniform); 1, 2, 3 = read-only inputs (as many as the entry uses); 4 = output.
// Layout: every tensor is dense row-major. Broadcasting reads the input through per-dimension strides
// (0 on a broadcast dimension), given in params for up to 8 dimensions.
// The op is a uniform value, not a pipeline constant: one compiled pipeline serves every op, because a
// pipeline costs 0.5-2 s to compile on the CPU driver while a uniform switch costs next to nothing.
// Dispatch: 64 threads per workgroup, 1D or 2D grid (element i = x + y * 64 * num_workgroups.x).

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

fn unary_op(x: f32) -> f32 {
  let a = p.alpha;
  switch p.op {
    case 0u: { return x; }
    case 1u: { return -x; }
    case 2u: { return exp(x); }
    case 3u: { return log(x); }
    case 4u: { return sqrt(x); }
    case 5u: { return abs(x); }
    case 6u: { return max(x, 0.0); }
    case 7u: { return select(a * x, x, x > 0.0); }
    case 8u: { return tanh(x); }
    case 9u: { return 1.0 / (1.0 + exp(-x)); }
    case 10u: { return x + a; }
    case 11u: { return x * a; }
    case 12u: { return pow_signed(x, a); }
    case 13u: { return max(x, a); }
    case 14u: { return min(x, a); }
    case 15u: { return a - x; }
    case 16u: { return a / x; }
    case 17u: { return sign(x); }
    case 18u: { return select(0.0, 1.0, x > a); }
    case 19u: { return select(0.0, 1.0, x < a); }
    case 20u: { return select(0.0, 1.0, x >= a); }
    case 21u: { return select(0.0, 1.0, x <= a); }
    case 22u: { return select(0.0, 1.0, x == a); }
    case 23u: { return select(0.0, 1.0, x != a); }
    case 24u: { return a * x + p.beta; }
    default: { return x; }
  }
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

fn binary_op(x: f32, y: f32) -> f32 {
  let a = p.alpha;
  switch p.op {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    case 4u: { return max(x, y); }
    case 5u: { return min(x, y); }
    case 6u: { return pow_signed(x, y); }
    case 7u: { return select(0.0, 1.0, x > y); }
    case 8u: { return select(0.0, 1.0, x < y); }
    case 9u: { return select(0.0, 1.0, x >= y); }
    case 10u: { return select(0.0, 1.0, x <= y); }
    case 11u: { return select(0.0, 1.0, x == y); }
    case 12u: { return select(0.0, 1.0, x != y); }
    // Backward helpers: x is the incoming gradient, y the saved forward value.
    case 13u: { return x * (1.0 - y * y); }              // tanh'(from output)
    case 14u: { return x * y * (1.0 - y); }              // sigmoid'(from output)
    case 15u: { return select(a * x, x, y > 0.0); }      // leaky ReLU' (ReLU: a = 0)
    case 16u: { return x * sign(y); }                    // abs'
    case 17u: { return x * a * pow_signed(y, a - 1.0); } // (y^a)'
    default: { return x; }
  }
}

@group(0) @binding(1) var<storage, read> in0: array<f32>;
@group(0) @binding(2) var<storage, read> in1: array<f32>;
@group(0) @binding(3) var<storage, read> in2: array<f32>;
@group(0) @binding(4) var<storage, read_write> out0: array<f32>;

@compute @workgroup_size(64)
fn unary(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  out0[i] = unary_op(in0[i]);
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
  out0[i] = binary_op(in0[o.x], in1[o.y]);
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
