// Shared test helpers: device start-up, seeded inputs, closeness checks and the gradient check.
import * as assert from 'uvu/assert';
import { mulberry32 } from '../src/data/rng.ts';
import { init, type Tensor, tensor } from '../src/index.ts';
import type { Nd } from './reference.ts';
import { nd, numel } from './reference.ts';

export async function setup(): Promise<void> {
  await init();
}

/** Deterministic pseudo-random numbers for test inputs. */
export const rng = mulberry32;

export function randomNd(shape: number[], seed: number, lo = -1, hi = 1): Nd {
  const r = rng(seed);
  const x = nd(shape);
  for (let i = 0; i < x.data.length; i++) x.data[i] = lo + (hi - lo) * r();
  return x;
}

export function toTensor(x: Nd, requiresGrad = false): Tensor {
  return tensor(Float32Array.from(x.data), x.shape, { requiresGrad });
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol?: number; rtol?: number } = {},
  what = 'values',
): void {
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-4;
  assert.is(actual.length, expected.length, `${what}: length`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const a = actual[i];
    const err = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (Number.isNaN(a) !== Number.isNaN(e) || err > worstErr) {
      worst = i;
      worstErr = Number.isNaN(err) ? Infinity : err;
    }
  }
  if (worst >= 0) {
    assert.unreachable(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}

export async function assertTensor(
  t: Tensor,
  expected: Nd,
  tol?: { atol?: number; rtol?: number },
  what = 'output',
) {
  assert.equal(t.shape, expected.shape, `${what}: shape`);
  assertClose(await t.data(), expected.data, tol, what);
}

export interface OpCase {
  /** Input tensors' values (float64). */
  inputs: Nd[];
  /** The CPU reference in float64. */
  ref: (xs: Nd[]) => Nd;
  /** The GPU op under test. */
  gpu: (xs: Tensor[]) => Tensor;
  /** Which inputs get a gradient check (default: all). */
  grad?: boolean[];
  fwdTol?: { atol?: number; rtol?: number };
  gradTol?: { atol?: number; rtol?: number };
  /** Finite-difference step. */
  h?: number;
}

/**
 * Forward against the reference, and the backward pass against central finite differences of the
 * float64 reference of L = sum(op(x) * w) for fixed random weights w.
 */
export async function checkOp(c: OpCase): Promise<void> {
  const expected = c.ref(c.inputs);
  const wants = c.grad ?? c.inputs.map(() => true);
  const xs = c.inputs.map((x, i) => toTensor(x, wants[i]));
  const out = c.gpu(xs);
  await assertTensor(out, expected, c.fwdTol ?? { atol: 1e-5, rtol: 1e-4 }, 'forward');
  if (!wants.some(Boolean)) return;
  const w = randomNd(expected.shape, 99);
  const wt = toTensor(w);
  const loss = out.mul(wt).sum();
  loss.backward();
  const L = (ins: Nd[]): number => {
    const y = c.ref(ins);
    let s = 0;
    for (let i = 0; i < y.data.length; i++) s += y.data[i] * w.data[i];
    return s;
  };
  const h = c.h ?? 1e-6;
  for (let k = 0; k < c.inputs.length; k++) {
    if (!wants[k]) continue;
    const x = c.inputs[k];
    const num = new Float64Array(numel(x.shape));
    for (let i = 0; i < num.length; i++) {
      const orig = x.data[i];
      x.data[i] = orig + h;
      const up = L(c.inputs);
      x.data[i] = orig - h;
      const down = L(c.inputs);
      x.data[i] = orig;
      num[i] = (up - down) / (2 * h);
    }
    const g = xs[k].grad;
    assert.ok(g, `input ${k} has no gradient`);
    assert.equal(g!.shape, x.shape, `gradient ${k}: shape`);
    assertClose(await g!.data(), num, c.gradTol ?? { atol: 1e-4, rtol: 1e-3 }, `gradient of input ${k}`);
  }
  for (const t of [...xs, out, wt, loss]) {
    t.grad?.dispose();
    t.dispose();
  }
}

/** Asserts that the promise rejects with an error whose message matches `pattern`. */
export async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}
