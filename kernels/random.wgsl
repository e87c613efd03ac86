// Counter-based random numbers: element i of a tensor drawn with seed (s0, s1) is a pure function of
// (s0, s1, i), so the same seed gives the same numbers on every device and every dispatch shape.
// Hash: PCG output permutation applied twice with the seed mixed in (Jarzynski & Olano 2020).
// Bindings: 0 = params, 1 = out (read_write). Dispatch: 64 threads per workgroup, 1D or 2D grid.
// dist: DIST_UNIFORM on [a, b), DIST_NORMAL (mean a, std b) by Box-Muller, DIST_DROPOUT the scaled
// Bernoulli mask (1 / (1 - a) with probability 1 - a, else 0). TypeScript reads these constants.

struct Params { n: u32, s0: u32, s1: u32, dist: u32, a: f32, b: f32, pad0: u32, pad1: u32 }

const DIST_UNIFORM = 0u;
const DIST_NORMAL = 1u;
const DIST_DROPOUT = 2u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn draw(i: u32, k: u32) -> u32 { return pcg(pcg(i * 2u + k + p.s0) ^ p.s1); }

// Uniform in (0, 1]: 24 random bits, never 0 so log() stays finite.
fn unit(bits: u32) -> f32 { return (f32(bits >> 8u) + 1.0) * (1.0 / 16777216.0); }

@compute @workgroup_size(64)
fn random(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let u1 = unit(draw(i, 0u));
  switch p.dist {
    case DIST_NORMAL: {
      let u2 = unit(draw(i, 1u));
      out[i] = p.a + p.b * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    }
    case DIST_DROPOUT: {
      out[i] = select(0.0, 1.0 / (1.0 - p.a), u1 > p.a);
    }
    default: {
      out[i] = p.a + (p.b - p.a) * (u1 - 1.0 / 16777216.0);
    }
  }
}
