// kernels/elementwise.wgsl: unary and broadcasting binary ops, where, fill. The op numbering comes
// from the WGSL's @optable lines (UNARY, BINARY): adding an op is one WGSL function there.
// These launchers allocate their output and record no gradient; src/ops/elementwise.ts builds the
// differentiable ops on them.
import { broadcastShapes, broadcastStrides, type Shape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { declareKernel, wgslOps } from './declare.ts';

export const UNARY = wgslOps('elementwise', 'apply_unary');
export const BINARY = wgslOps('elementwise', 'apply_binary');
export type UnaryOp = keyof typeof UNARY;
export type BinaryOp = keyof typeof BINARY;

const ELEMENTWISE = declareKernel({
  name: 'elementwise',
  files: ['elementwise'],
  params: {
    n: 'u32',
    op: 'u32',
    rank: 'u32',
    fast: 'u32',
    alpha: 'f32',
    beta: 'f32',
    shape: 'u32x8',
    sa: 'u32x8',
    sb: 'u32x8',
    sc: 'u32x8',
  },
  entries: {
    unary: ['in0', 'out0'],
    unary4: ['in0v', 'out0v'],
    binary: ['in0', 'in1', 'out0'],
    binary4: ['in0v', 'in1v', 'out0v'],
    where_select: ['in0', 'in1', 'in2', 'out0'],
    fill: ['out0'],
  },
});

/** out = op(inputs) elementwise; inputs broadcast to out's shape. */
function launch(
  entry: 'unary' | 'binary' | 'where_select',
  out: Tensor,
  inputs: Tensor[],
  op: number,
  alpha = 0,
  beta = 0,
): Tensor {
  const n = out.size;
  if (n === 0) return out;
  const fast = inputs.every((t) => t.size === n) ? 1 : 0;
  const [sa = [], sb = [], sc = []] = inputs.map((t) => broadcastStrides(t.shape, out.shape));
  const [in0, in1 = in0, in2 = in0] = inputs;
  const params = { n, op, rank: out.ndim, fast, alpha, beta, shape: out.shape, sa, sb, sc };
  // Four elements per thread when every operand is n whole vec4s (see the WGSL).
  if (n % 4 === 0 && (entry === 'unary' || (entry === 'binary' && fast))) {
    ELEMENTWISE.run(entry === 'unary' ? 'unary4' : 'binary4', {
      params,
      bind: { in0v: in0, in1v: in1, out0v: out },
      threads: n / 4,
    });
  } else ELEMENTWISE.run(entry, { params, bind: { in0, in1, in2, out0: out }, threads: n });
  return out;
}

/** op(x, alpha, beta) elementwise. */
export function unary(x: Tensor, op: UnaryOp, alpha = 0, beta = 0): Tensor {
  return launch('unary', Tensor.empty(x.shape), [x], UNARY[op], alpha, beta);
}

/** op(a, b, alpha) with broadcasting; `name` is the op shown in a shape error. */
export function binary(name: string, a: Tensor, b: Tensor, op: BinaryOp, alpha = 0): Tensor {
  const shape = broadcastShapes(name, a.shape, b.shape);
  return launch('binary', Tensor.empty(shape), [a, b], BINARY[op], alpha);
}

/** cond != 0 ? a : b, broadcasting all three. */
export function select(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  return launch('where_select', Tensor.empty(shape), [cond, a, b], 0);
}

/** A tensor filled with one value. */
export function fill(shape: Shape, value: number): Tensor {
  const out = Tensor.empty(shape);
  if (out.size > 0) {
    ELEMENTWISE.run('fill', {
      params: {
        n: out.size,
        op: 0,
        rank: 0,
        fast: 0,
        alpha: value,
        beta: 0,
        shape: [],
        sa: [],
        sb: [],
        sc: [],
      },
      bind: { out0: out },
      threads: out.size,
    });
  }
  return out;
}
