// Upsampling (nearest, bilinear with align_corners = false, integer scale) and reflection padding
// over NCHW planes, forward and backward. Every backward gathers from the outputs that read an input
// cell, so no atomics are needed; the weights are recomputed exactly as the forward uses them.
// Bindings: 0 = params, 1 = input (x forward, dy backward), 2 = output (y forward, dx backward).
// One thread per written element, 64 per workgroup, 1D or 2D grid.

struct Params {
  planes: u32, H: u32, W: u32, OH: u32,
  OW: u32, scale: u32, top: u32, left: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

// Bilinear source coordinate of output o (PyTorch, align_corners = false).
fn bil_src(o: u32) -> f32 { return max((f32(o) + 0.5) / f32(p.scale) - 0.5, 0.0); }

// Weight of input cell i in output o along a dimension of `n` input cells.
fn bil_weight(o: u32, i: u32, n: u32) -> f32 {
  let s = bil_src(o);
  let i0 = u32(floor(s));
  let i1 = min(i0 + 1u, n - 1u);
  let l1 = s - f32(i0);
  var w = 0.0;
  if (i0 == i) { w += 1.0 - l1; }
  if (i1 == i) { w += l1; }
  return w;
}

@compute @workgroup_size(64)
fn upsample_nearest_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.planes * p.OH * p.OW) { return; }
  let plane = i / (p.OH * p.OW);
  let oh = (i / p.OW) % p.OH;
  let ow = i % p.OW;
  dst[i] = src[(plane * p.H + oh / p.scale) * p.W + ow / p.scale];
}

@compute @workgroup_size(64)
fn upsample_nearest_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.planes * p.H * p.W) { return; }
  let plane = i / (p.H * p.W);
  let ih = (i / p.W) % p.H;
  let iw = i % p.W;
  var s = 0.0;
  for (var a = 0u; a < p.scale; a++) {
    for (var b = 0u; b < p.scale; b++) {
      s += src[(plane * p.OH + ih * p.scale + a) * p.OW + iw * p.scale + b];
    }
  }
  dst[i] = s;
}

@compute @workgroup_size(64)
fn upsample_bilinear_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.planes * p.OH * p.OW) { return; }
  let plane = i / (p.OH * p.OW);
  let sh = bil_src((i / p.OW) % p.OH);
  let sw = bil_src(i % p.OW);
  let h0 = u32(floor(sh));
  let w0 = u32(floor(sw));
  let h1 = min(h0 + 1u, p.H - 1u);
  let w1 = min(w0 + 1u, p.W - 1u);
  let lh = sh - f32(h0);
  let lw = sw - f32(w0);
  let base = plane * p.H;
  let top = (1.0 - lw) * src[(base + h0) * p.W + w0] + lw * src[(base + h0) * p.W + w1];
  let bottom = (1.0 - lw) * src[(base + h1) * p.W + w0] + lw * src[(base + h1) * p.W + w1];
  dst[i] = (1.0 - lh) * top + lh * bottom;
}

@compute @workgroup_size(64)
fn upsample_bilinear_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.planes * p.H * p.W) { return; }
  let plane = i / (p.H * p.W);
  let ih = (i / p.W) % p.H;
  let iw = i % p.W;
  // Outputs that read cell i lie within about one input cell of it: scan that band.
  let oh0 = u32(max(i32(ih) - 1, 0)) * p.scale;
  let oh1 = min((ih + 2u) * p.scale, p.OH);
  let ow0 = u32(max(i32(iw) - 1, 0)) * p.scale;
  let ow1 = min((iw + 2u) * p.scale, p.OW);
  var s = 0.0;
  for (var oh = oh0; oh < oh1; oh++) {
    let wh = bil_weight(oh, ih, p.H);
    if (wh == 0.0) { continue; }
    for (var ow = ow0; ow < ow1; ow++) {
      let ww = bil_weight(ow, iw, p.W);
      if (ww == 0.0) { continue; }
      s += wh * ww * src[(plane * p.OH + oh) * p.OW + ow];
    }
  }
  dst[i] = s;
}

// Input cell read by output o of a reflection-padded dimension (pad before = b, n cells).
fn reflect(o: u32, b: u32, n: u32) -> u32 {
  var j = i32(o) - i32(b);
  if (j < 0) { j = -j; }
  if (j >= i32(n)) { j = 2 * (i32(n) - 1) - j; }
  return u32(j);
}

@compute @workgroup_size(64)
fn reflect_pad_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.planes * p.OH * p.OW) { return; }
  let plane = i / (p.OH * p.OW);
  let ih = reflect((i / p.OW) % p.OH, p.top, p.H);
  let iw = reflect(i % p.OW, p.left, p.W);
  dst[i] = src[(plane * p.H + ih) * p.W + iw];
}

// Outputs reading input cell i along one dimension: itself, its left mirror, its right mirror.
fn mirrors(i: u32, b: u32, n: u32, out_n: u32) -> vec3i {
  var m = vec3i(i32(i + b), -1, -1);
  if (i >= 1u && i <= b) { m.y = i32(b - i); }
  let r = i32(b) + 2 * (i32(n) - 1) - i32(i);
  if (i + 1u < n && r >= i32(b + n) && r < i32(out_n)) { m.z = r; }
  return m;
}

@compute @workgroup_size(64)
fn reflect_pad_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.planes * p.H * p.W) { return; }
  let plane = i / (p.H * p.W);
  let mh = mirrors((i / p.W) % p.H, p.top, p.H, p.OH);
  let mw = mirrors(i % p.W, p.left, p.W, p.OW);
  var s = 0.0;
  for (var a = 0; a < 3; a++) {
    if (mh[a] < 0) { continue; }
    for (var b = 0; b < 3; b++) {
      if (mw[b] < 0) { continue; }
      s += src[(plane * p.OH + u32(mh[a])) * p.OW + u32(mw[b])];
    }
  }
  dst[i] = s;
}
