// Tensors from host values, constants and ranges.
import { rt } from '../gpu/runtime.ts';
import { fill } from '../kernels/elementwise.ts';
import { checkShape, fmt, numel, type Shape } from '../shape.ts';
import { Tensor } from '../tensor.ts';

/** Options of the creation ops: whether the new tensor requires grad. */
export interface TensorOpts {
  requiresGrad?: boolean;
}

/** A tensor from row-major values. */
export function tensor(values: ArrayLike<number>, shape?: Shape, opts: TensorOpts = {}): Tensor {
  const s = shape ?? [values.length];
  checkShape(s, 'tensor');
  if (numel(s) !== values.length) {
    throw new Error(`tensor: ${values.length} values do not fill shape ${fmt(s)} (${numel(s)} elements)`);
  }
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  const t = Tensor.empty(s);
  if (t.size > 0) rt().upload(t.buffer, data, t.byteOffset);
  t.requiresGrad = opts.requiresGrad ?? false;
  return t;
}

/** A 0-dimensional tensor holding value. */
export function scalar(value: number, opts: TensorOpts = {}): Tensor {
  return tensor([value], [], opts);
}

function constant(shape: Shape, value: number, opts: TensorOpts): Tensor {
  checkShape(shape, 'full');
  const t = fill(shape, value);
  t.requiresGrad = opts.requiresGrad ?? false;
  return t;
}

/** A tensor of zeros. */
export function zeros(shape: Shape, opts: TensorOpts = {}): Tensor {
  return constant(shape, 0, opts);
}

/** A tensor of ones. */
export function ones(shape: Shape, opts: TensorOpts = {}): Tensor {
  return constant(shape, 1, opts);
}

/** A tensor filled with value (exported as `full`). */
export function fullOf(shape: Shape, value: number, opts: TensorOpts = {}): Tensor {
  return constant(shape, value, opts);
}

/** [start, start + step, ...) below end, as torch.arange. */
export function arange(start: number, end?: number, step = 1): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new Error('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + i * step;
  return tensor(v, [n]);
}
