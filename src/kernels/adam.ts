// kernels/adam.wgsl: one Adam step in place on a parameter and its two moments.
import type { Tensor } from '../tensor.ts';
import { declareKernel, type ParamValues } from './declare.ts';

const ADAM = declareKernel({
  name: 'adam',
  files: ['adam'],
  params: {
    n: 'u32',
    step_size: 'f32',
    one_minus_beta1: 'f32',
    beta2: 'f32',
    one_minus_beta2: 'f32',
    eps: 'f32',
    weight_decay: 'f32',
    bc2_sqrt: 'f32',
  },
  entries: { adam: ['param', 'grad', 'exp_avg', 'exp_avg_sq'] },
});

export type AdamParams = Omit<ParamValues<typeof ADAM.decl.params>, 'n'>;

/** param, m, v updated in place from grad (the host folds the bias corrections into p). */
export function adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, p: AdamParams): void {
  if (param.size === 0) return;
  ADAM.run('adam', {
    params: { n: param.size, ...p },
    bind: { param, grad, exp_avg: m, exp_avg_sq: v },
    threads: param.size,
  });
}
