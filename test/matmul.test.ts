import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../src/index.ts';
import { forceGemmBody, gemmGrid, gemmTile, matmulTile } from '../src/kernels/gemm.ts';
import { assertClose, checkOp, randomNd, setup, toTensor } from './helpers.ts';
import * as R from './reference.ts';

test.before(setup);

const cases: [number[], number[]][] = [
  [
    [3, 4],
    [4, 5],
  ],
  [
    [1, 1],
    [1, 1],
  ],
  [
    [7, 9],
    [9, 13],
  ], // not multiples of the tile
  [
    [2, 5, 3],
    [2, 3, 6],
  ],
  [
    [2, 5, 3],
    [3, 6],
  ], // one matrix for every batch
  [
    [2, 1, 4, 3],
    [1, 3, 3, 2],
  ], // broadcast batch dims
  [
    [33, 17],
    [17, 65],
  ],
];

for (const [sa, sb] of cases) {
  test(`matmul ${JSON.stringify(sa)} @ ${JSON.stringify(sb)}`, async () => {
    await checkOp({
      inputs: [randomNd(sa, sa.length + sa[0]), randomNd(sb, sb.length + sb[1])],
      ref: ([a, b]) => R.matmul(a, b),
      gpu: ([a, b]) => a.matmul(b),
      fwdTol: { atol: 1e-5, rtol: 1e-4 },
    });
  });
}

test('matmul with vectors (torch.matmul semantics)', async () => {
  await checkOp({
    inputs: [randomNd([4], 1), randomNd([4, 3], 2)],
    ref: ([a, b]) => ({ shape: [3], data: R.matmul({ shape: [1, 4], data: a.data }, b).data }),
    gpu: ([a, b]) => a.matmul(b),
  });
  await checkOp({
    inputs: [randomNd([2, 4], 3), randomNd([4], 4)],
    ref: ([a, b]) => ({ shape: [2], data: R.matmul(a, { shape: [4, 1], data: b.data }).data }),
    gpu: ([a, b]) => a.matmul(b),
  });
});

test('matmul of a transposed (non-contiguous) operand', async () => {
  const a = randomNd([5, 3], 8);
  const b = randomNd([5, 4], 9);
  const got = await toTensor(a).transpose().matmul(toTensor(b)).data();
  assertClose(got, R.matmul(R.permute(a, [1, 0]), b).data, { atol: 1e-5 });
});

test('matmul 128x256 @ 256x64 (many tiles)', async () => {
  const a = randomNd([128, 256], 1);
  const b = randomNd([256, 64], 2);
  const got = await T.matmul(toTensor(a), toTensor(b)).data();
  assertClose(got, R.matmul(a, b).data, { atol: 1e-4, rtol: 1e-4 });
});

/** x [rows, in] @ w[out, in]^T + b[out], in float64. */
function linearRef(x: R.Nd, w: R.Nd, b: R.Nd): R.Nd {
  const [rows, I] = x.shape;
  const O = w.shape[0];
  const out = new Float64Array(rows * O);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < O; o++) {
      let s = b.data[o];
      for (let i = 0; i < I; i++) s += x.data[r * I + i] * w.data[o * I + i];
      out[r * O + o] = s;
    }
  return R.nd([rows, O], Array.from(out));
}

test('linear: the bias added by the GEMM as it writes (one launch), forward and gradients, every body', async () => {
  for (const body of ['gemm', 'gemm_subgroup', 'gemm_subgroup_rows', 'gemm_tiled', 'gemm_texture'] as const) {
    if (body !== 'gemm' && body !== 'gemm_tiled' && T.deviceStats().adapter.subgroupMinSize !== 8) continue;
    forceGemmBody(body);
    try {
      await checkOp({
        inputs: [randomNd([6, 9], 11), randomNd([5, 9], 12), randomNd([5], 13)],
        ref: ([x, w, b]) => linearRef(x, w, b),
        gpu: ([x, w, b]) => T.linear(x, w, b),
      });
    } finally {
      forceGemmBody(null);
    }
  }
  const [x, w, b] = [[2, 9], [5, 9], [5]].map((s) => T.rand(s, { seed: s[0] }));
  const d0 = T.deviceStats().dispatches;
  const y = T.linear(x, w, b);
  assert.is(T.deviceStats().dispatches - d0, 1);
  for (const t of [x, w, b, y]) t.dispose();
});

for (const body of ['gemm', 'gemm_subgroup', 'gemm_subgroup_rows', 'gemm_tiled', 'gemm_texture'] as const) {
  test(`GEMM body ${body}: edge tiles, batches and transposed operands`, async () => {
    if (body !== 'gemm' && body !== 'gemm_tiled' && T.deviceStats().adapter.subgroupMinSize !== 8) return; // needs 8 lanes
    forceGemmBody(body);
    try {
      for (const [batch, M, K, N] of [
        [1, 70, 37, 65],
        [3, 5, 17, 9],
        [2, 64, 16, 64],
      ]) {
        const a = randomNd([batch, M, K], M + K);
        const b = randomNd([batch, K, N], K + N);
        const got = await T.matmul(toTensor(a), toTensor(b)).data();
        const want: number[] = [];
        for (let i = 0; i < batch; i++) {
          const ai = { shape: [M, K], data: a.data.slice(i * M * K, (i + 1) * M * K) };
          const bi = { shape: [K, N], data: b.data.slice(i * K * N, (i + 1) * K * N) };
          want.push(...R.matmul(ai as typeof a, bi as typeof b).data);
        }
        assertClose(got, want, { atol: 1e-4, rtol: 1e-4 }, `${batch}x${M}x${K}x${N}`);
        const t = T.matmul(toTensor(b).transpose(), toTensor(a).transpose());
        assertClose(await t.transpose().data(), want, { atol: 1e-4, rtol: 1e-4 }, 'transposed');
      }
    } finally {
      forceGemmBody(null);
    }
  });
}

test('a tall, narrow matmul runs transposed where only that takes the texture: values, bias, batches', async () => {
  const info = T.deviceStats().adapter;
  const sub8 = info.isCpu && info.subgroupMinSize === 8 && info.subgroupMaxSize === 8;
  // 300 x 130: 130 columns per packed row of A is too few for the texture; 300 per packed column of B
  // is not. Under 128 columns the transposed texture is slower than gemm_subgroup: kept as it is.
  assert.is(matmulTile(1, 1, 300, 130, 24, 1).transposed, sub8);
  assert.is(matmulTile(1, 1, 300, 100, 24, 1).transposed, false);
  assert.is(matmulTile(1, 1, 130, 300, 24, 1).transposed, false);
  assert.is(matmulTile(1, 1, 300, 300, 24, 1).transposed, false);
  for (const [batch, M, K, N] of [
    [1, 300, 24, 130],
    [3, 260, 17, 129],
  ]) {
    const a = randomNd([batch, M, K], M + K);
    const b = randomNd([batch, K, N], K + N);
    const want: number[] = [];
    for (let i = 0; i < batch; i++) {
      const ai = { shape: [M, K], data: a.data.slice(i * M * K, (i + 1) * M * K) };
      const bi = { shape: [K, N], data: b.data.slice(i * K * N, (i + 1) * K * N) };
      want.push(...R.matmul(ai as typeof a, bi as typeof b).data);
    }
    assertClose(
      await T.matmul(toTensor(a), toTensor(b)).data(),
      want,
      { atol: 1e-4, rtol: 1e-4 },
      `${M}x${N}`,
    );
    // A as the transposed view of [K, M] data (strided reads, swapped again inside).
    const kFirst = new Array<number>(batch * M * K);
    for (let i = 0; i < batch; i++)
      for (let m = 0; m < M; m++)
        for (let k = 0; k < K; k++) kFirst[(i * K + k) * M + m] = a.data[(i * M + m) * K + k];
    const at = T.tensor(kFirst, [batch, K, M]).transpose();
    assertClose(await T.matmul(at, toTensor(b)).data(), want, { atol: 1e-4, rtol: 1e-4 }, 'strided A');
  }
  // linear's bias follows the output column, which the transposed launch writes as its row.
  await checkOp({
    inputs: [randomNd([300, 24], 21), randomNd([130, 24], 22), randomNd([130], 23)],
    ref: ([x, w, bias]) => linearRef(x, w, bias),
    gpu: ([x, w, bias]) => T.linear(x, w, bias),
    grad: [false, false, false], // (its gradients are narrow products, not transposed; tested above)
  });
});

test('the GEMM body per launch: few columns lay the lanes along M, short reductions the register tile, A in a texture where it fits', () => {
  const info = T.deviceStats().adapter;
  const sub8 = info.isCpu && info.subgroupMinSize === 8 && info.subgroupMaxSize === 8;
  const body = (columns: number, depth: number) => gemmTile(columns, depth).body;
  if (!info.isCpu) {
    for (const [c, d] of [
      [4, 100],
      [16, 100],
      [100, 4],
    ])
      assert.is(body(c, d), 'gemm_tiled');
  } else if (sub8) {
    assert.is(body(1, 2048), 'gemm_subgroup_rows');
    assert.is(body(8, 2048), 'gemm_subgroup_rows');
    assert.is(body(9, 2048), 'gemm_subgroup');
    assert.is(body(2048, 4), 'gemm');
    assert.is(body(2048, 8), 'gemm_subgroup');
    assert.is(body(4, 7), 'gemm');
    // A that fills the lanes (>= 32 rows) and fits a texture: read from one (gemm_texture).
    const texture = (rows: number, depth: number, layers = 1, columns = 256) =>
      gemmTile(columns, depth, { rows, depth, layers, batches: layers }).body;
    assert.is(texture(64, 2048), 'gemm_texture');
    assert.is(texture(32, 8), 'gemm_texture');
    assert.is(texture(31, 2048), 'gemm_subgroup');
    assert.is(texture(64, 2048, 1, 8), 'gemm_subgroup_rows');
    assert.is(texture(64, 2048, 1, 128), 'gemm_subgroup'); // too few columns to pay for the pack
    assert.is(texture(256, 2048, 1, 225), 'gemm_texture'); // the PatchGAN's 15x15 stride-1 layer
    assert.is(texture(256, 2048, 1, 191), 'gemm_subgroup');
    assert.is(texture(64, 2048, 4, 128), 'gemm_subgroup'); // ... per distinct A
    assert.is(texture(64, 1 << 20), 'gemm_subgroup'); // deeper than any texture
    assert.is(texture(64, 64, 1 << 16), 'gemm_subgroup'); // more layers than any texture array
  } else assert.is(body(4, 100), 'gemm');
  // The grid covers the result whichever way the lanes lie.
  for (const [c, d] of [
    [4, 100],
    [100, 100],
    [100, 4],
  ]) {
    const tile = gemmTile(c, d);
    const [gx, gy] = gemmGrid(tile, 70, c, 1);
    assert.ok(gx * tile.groupCols >= c && (gx - 1) * tile.groupCols < c, `${tile.body}: columns`);
    assert.ok(gy * tile.groupRows >= 70 && (gy - 1) * tile.groupRows < 70, `${tile.body}: rows`);
  }
  // A forced body wins over the shape.
  forceGemmBody('gemm');
  try {
    assert.is(body(4, 100), 'gemm');
  } finally {
    forceGemmBody(null);
  }
});

test.run();
