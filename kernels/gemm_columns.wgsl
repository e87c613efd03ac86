// B's columns for the CPU driver's bodies whose lanes run along M (gemm_subgroup_rows, gemm_texture):
// every lane of a workgroup reads the same TN columns col0 .. col0 + TN - 1 of B (past N: clamped
// copies, which nobody writes), and writes its results in those columns (write_row). Uses the body's TN and TN4 = TN / 4 (one step's B values as TN4
// vec4s) and the hooks' gemm_col_base, gemm_col_pos and gemm_b. No bindings of its own.

struct GemmColumns { base: array<u32, TN>, pos: array<vec2i, TN> }

// The hooks' offsets and positions of the TN columns from col0 of batch b.
fn gemm_columns(b: u32, col0: u32, N: u32) -> GemmColumns {
  var c: GemmColumns;
  for (var i = 0u; i < TN; i++) {
    let col = min(col0 + i, N - 1u);
    c.base[i] = gemm_col_base(b, col);
    c.pos[i] = gemm_col_pos(b, col);
  }
  return c;
}

// B of the TN columns at step offset o and position offset q (zero outside the bounds), as vec4s.
fn load_b(cols: GemmColumns, bounds: vec2u, o: u32, q: vec2i) -> array<vec4f, TN4> {
  var v: array<vec4f, TN4>;
  for (var i = 0u; i < TN; i++) {
    v[i / 4u][i % 4u] = select(0.0, gemm_b(cols.base[i] + o), all(vec2u(cols.pos[i] + q) < bounds));
  }
  return v;
}

// One row's results in the TN columns from col0 (v: TN4 vec4s of consecutive columns): four at a time
// through the hooks' gemm_write4 where all four are inside N, else one by one (past N: nothing).
fn write_row(b: u32, row: u32, col0: u32, N: u32, v: array<vec4f, TN4>) {
  for (var q = 0u; q < TN4; q++) {
    let col = col0 + 4u * q;
    if (col + 3u < N) {
      gemm_write4(b, row, col, v[q]);
      continue;
    }
    for (var c = 0u; c < 4u; c++) {
      if (col + c < N) { gemm_write(b, row, col + c, v[q][c]); }
    }
  }
}
