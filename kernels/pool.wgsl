// 2D average pooling over NCHW planes, forward and backward (PyTorch's AvgPool2d semantics).
// Bindings: 0 = params, 1 = input (x forward, dy backward), 2 = output (y forward, dx backward).
// Both directions gather, so no atomics are needed. Average pooling: one thread per E consecutive
// elements it writes; max pooling: one per element.
// Divisor: the window size (count_include_pad) or the number of window cells inside the input.
// accumulate = 1: avgpool_backward adds dx to what the output holds (a gradient summed in place).

const E: u32 = 4u;

struct Params {
  planes: u32, H: u32, W: u32, OH: u32,
  OW: u32, kh: u32, kw: u32, sh: u32,
  sw: u32, ph: u32, pw: u32, include_pad: u32,
  accumulate: u32, pad0: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// Number of cells dividing output (oh, ow).
fn divisor(oh: u32, ow: u32) -> f32 {
  if (p.include_pad != 0u) {
    // As PyTorch: the window is clipped to the padded input, not to the input.
    let h0 = i32(oh * p.sh) - i32(p.ph);
    let w0 = i32(ow * p.sw) - i32(p.pw);
    let h1 = min(h0 + i32(p.kh), i32(p.H + p.ph));
    let w1 = min(w0 + i32(p.kw), i32(p.W + p.pw));
    return f32((h1 - h0) * (w1 - w0));
  }
  let h0 = max(i32(oh * p.sh) - i32(p.ph), 0);
  let w0 = max(i32(ow * p.sw) - i32(p.pw), 0);
  let h1 = min(i32(oh * p.sh) - i32(p.ph) + i32(p.kh), i32(p.H));
  let w1 = min(i32(ow * p.sw) - i32(p.pw) + i32(p.kw), i32(p.W));
  return f32((h1 - h0) * (w1 - w0));
}

// The outputs whose window holds input cell (ih, iw): o with o*s <= i + pad < o*s + k, as
// (first row, first column, last row, last column). Both backward passes gather over this range.
fn window_outputs(ih: i32, iw: i32) -> vec4i {
  let h = ih + i32(p.ph);
  let w = iw + i32(p.pw);
  return vec4i(
    max((h - i32(p.kh) + i32(p.sh)) / i32(p.sh), 0),
    max((w - i32(p.kw) + i32(p.sw)) / i32(p.sw), 0),
    min(h / i32(p.sh), i32(p.OH) - 1),
    min(w / i32(p.sw), i32(p.OW) - 1),
  );
}

// A cell of planes of R rows and C columns (the output forward, the input backward): one thread
// walks E consecutive cells, so the index divisions (scalar per lane on the CPU driver) are paid
// once per E cells.
struct Cell { plane: u32, r: u32, c: u32 }

fn cell_at(i: u32, R: u32, C: u32) -> Cell {
  let rc = i / C;
  return Cell(rc / R, rc % R, i % C);
}

fn next_cell(cell: ptr<function, Cell>, R: u32, C: u32) {
  (*cell).c++;
  if ((*cell).c < C) { return; }
  (*cell).c = 0u;
  (*cell).r++;
  if ((*cell).r == R) { (*cell).r = 0u; (*cell).plane++; }
}

@compute @workgroup_size(64)
fn avgpool_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i0 = (gid.x + gid.y * nwg.x * 64u) * E;
  let n = p.planes * p.OH * p.OW;
  if (i0 >= n) { return; }
  var cell = cell_at(i0, p.OH, p.OW);
  for (var i = i0; i < min(i0 + E, n); i++) {
    let oh = cell.r;
    let ow = cell.c;
    var s = 0.0;
    for (var a = 0u; a < p.kh; a++) {
      let ih = i32(oh * p.sh + a) - i32(p.ph);
      if (ih < 0 || ih >= i32(p.H)) { continue; }
      for (var b = 0u; b < p.kw; b++) {
        let iw = i32(ow * p.sw + b) - i32(p.pw);
        if (iw < 0 || iw >= i32(p.W)) { continue; }
        s += src[(cell.plane * p.H + u32(ih)) * p.W + u32(iw)];
      }
    }
    dst[i] = s / divisor(oh, ow);
    next_cell(&cell, p.OH, p.OW);
  }
}

// floor(v / d) and the remainder, for d > 0 and v of either sign; qr_next steps v by one without
// dividing.
struct QR { q: i32, r: i32 }

fn floor_div(v: i32, d: i32) -> QR {
  var q = v / d;
  if (q * d > v) { q -= 1; }
  return QR(q, v - q * d);
}

fn qr_next(x: ptr<function, QR>, d: i32) {
  (*x).r++;
  if ((*x).r == d) { (*x).r = 0; (*x).q++; }
}

// dx[ih, iw] = sum over the outputs whose window holds (ih, iw) of dy / divisor.
// The output range is window_outputs' (first column = max(floor((iw + pw - kw + sw) / sw), 0),
// last = min(floor((iw + pw) / sw), OW - 1)), with the divisions done at the thread's first cell
// and at each new row only: along a row the quotients step with qr_next.
@compute @workgroup_size(64)
fn avgpool_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i0 = (gid.x + gid.y * nwg.x * 64u) * E;
  let n = p.planes * p.H * p.W;
  if (i0 >= n) { return; }
  let sw = i32(p.sw);
  var cell = cell_at(i0, p.H, p.W);
  var rows = vec2i(0);
  var lo = QR(0, 0);
  var hi = QR(0, 0);
  for (var i = i0; i < min(i0 + E, n); i++) {
    if (i == i0 || cell.c == 0u) {
      rows = window_outputs(i32(cell.r), i32(cell.c)).xz;
      let w = i32(cell.c) + i32(p.pw);
      lo = floor_div(w - i32(p.kw) + sw, sw);
      hi = floor_div(w, sw);
    }
    let c0 = max(lo.q, 0);
    let c1 = min(hi.q, i32(p.OW) - 1);
    var s = 0.0;
    for (var oh = rows.x; oh <= rows.y; oh++) {
      for (var ow = c0; ow <= c1; ow++) {
        s += src[(cell.plane * p.OH + u32(oh)) * p.OW + u32(ow)] / divisor(u32(oh), u32(ow));
      }
    }
    if (p.accumulate != 0u) { dst[i] += s; } else { dst[i] = s; }
    qr_next(&lo, sw);
    qr_next(&hi, sw);
    next_cell(&cell, p.H, p.W);
  }
}

// Max pooling shares the avg-pool geometry. Forward writes the max and, into `arg`, the winning
// cell's index within its plane (exact in f32 for planes under 2^24 cells); the first maximum wins,
// as PyTorch. Backward: each input cell gathers dy from the outputs whose winner it is.
// Bindings: 1 = input, 2 = output, 3 = arg (written forward, read backward).
@group(0) @binding(3) var<storage, read_write> arg: array<f32>;

@compute @workgroup_size(64)
fn maxpool_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.planes * p.OH * p.OW) { return; }
  let plane = i / (p.OH * p.OW);
  let oh = (i / p.OW) % p.OH;
  let ow = i % p.OW;
  var best = -3.40282346e38;
  var at = 0u;
  for (var a = 0u; a < p.kh; a++) {
    let ih = i32(oh * p.sh + a) - i32(p.ph);
    if (ih < 0 || ih >= i32(p.H)) { continue; }
    for (var b = 0u; b < p.kw; b++) {
      let iw = i32(ow * p.sw + b) - i32(p.pw);
      if (iw < 0 || iw >= i32(p.W)) { continue; }
      let cell = u32(ih) * p.W + u32(iw);
      let v = src[plane * p.H * p.W + cell];
      if (v > best) { best = v; at = cell; }
    }
  }
  dst[i] = best;
  arg[i] = f32(at);
}

@compute @workgroup_size(64)
fn maxpool_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.planes * p.H * p.W) { return; }
  let plane = i / (p.H * p.W);
  let cell = i % (p.H * p.W);
  let r = window_outputs(i32(cell / p.W), i32(cell % p.W));
  var s = 0.0;
  for (var oh = r.x; oh <= r.z; oh++) {
    for (var ow = r.y; ow <= r.w; ow++) {
      let o = (plane * p.OH + u32(oh)) * p.OW + u32(ow);
      if (u32(arg[o]) == cell) { s += src[o]; }
    }
  }
  dst[i] = s;
}
