// kernels/adam.wgsl: one Adam step in place on tensors listed in a span table (one launch for many).
import type { Tensor } from '../tensor.ts';
import { type Bindable, declareKernel, wgslConst } from './declare.ts';

/** Tensors one launch updates. */
export const ADAM_MAX_TENSORS = wgslConst('adam', 'MAX_TENSORS');
const PER_THREAD = wgslConst('adam', 'PER_THREAD');

const ADAM = declareKernel({
  name: 'adam',
  files: ['adam'],
  params: { count: 'u32', spans: 'u32x512', rates: 'f32x512', decay: 'f32x512' },
  entries: { adam: ['param', 'grad', 'exp_avg', 'exp_avg_sq'] },
});

/** One tensor's hyperparameters (the host folds the bias corrections into step_size and bc2_sqrt). */
export interface AdamParams {
  step_size: number;
  one_minus_beta1: number;
  beta2: number;
  one_minus_beta2: number;
  eps: number;
  weight_decay: number;
  bc2_sqrt: number;
}

/** A tensor at elements [offset, offset + n) of the four buffers, with its hyperparameters. */
export interface AdamSpan extends AdamParams {
  offset: number;
  n: number;
}

/**
 * The kernel reads whole vec4s: a region's binding is widened to its last 16-byte word (regions start
 * 256-byte aligned and pooled buffers are multiples of 16 bytes, so the word lies in the buffer).
 */
function words(t: Tensor): Bindable {
  if (!t.isRegion) return t;
  const size = Math.min(t.buffer.size - t.byteOffset, Math.ceil((t.size * 4) / 16) * 16);
  return { binding: { buffer: t.buffer, offset: t.byteOffset, size } };
}

/**
 * param, m, v updated in place from grad over each span (sorted by offset, disjoint, at most
 * ADAM_MAX_TENSORS of them): one launch.
 */
export function adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, spans: AdamSpan[]): void {
  const live = spans.filter((s) => s.n > 0);
  if (live.length === 0) return;
  if (live.length > ADAM_MAX_TENSORS)
    throw new Error(`adam: ${live.length} tensors in one launch, at most ${ADAM_MAX_TENSORS}`);
  for (let i = 0; i < live.length; i++) {
    if (live[i].offset % 4 !== 0)
      throw new Error(`adam: span offset ${live[i].offset} is not a multiple of 4`);
    if (i > 0 && live[i].offset < live[i - 1].offset + live[i - 1].n)
      throw new Error('adam: spans overlap or are unsorted');
  }
  const last = live[live.length - 1];
  ADAM.run('adam', {
    params: {
      count: live.length,
      spans: live.flatMap((s) => [s.offset, s.n, 0, 0]),
      rates: live.flatMap((s) => [s.step_size, s.bc2_sqrt, s.one_minus_beta1, s.beta2]),
      decay: live.flatMap((s) => [s.one_minus_beta2, s.eps, s.weight_decay, 0]),
    },
    bind: { param: words(param), grad: words(grad), exp_avg: words(m), exp_avg_sq: words(v) },
    // 64 threads per 64 * PER_THREAD vec4s (the kernel's layout)
    threads: Math.ceil((last.offset + last.n) / (4 * 64 * PER_THREAD)) * 64,
  });
}
