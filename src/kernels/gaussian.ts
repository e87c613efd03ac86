// kernels/gaussian.wgsl: a VAE code's KL term and reparameterised sample, one launch each way.
// These launchers record no gradient; src/ops/gaussian.ts builds the differentiable ops on them.
import { rt } from '../gpu/runtime.ts';
import { Tensor } from '../tensor.ts';
import { declareKernel } from './declare.ts';

const GAUSSIAN = declareKernel({
  name: 'gaussian',
  files: ['gaussian'],
  params: { n: 'u32', write: 'u32', accumulate: 'u32', weight: 'f32' },
  entries: {
    kl_forward: ['mu', 'logvar', 'out'],
    kl_backward: ['mu', 'logvar', 'g', 'out', 'out2'],
    sample_forward: ['mu', 'logvar', 'eps', 'out'],
    sample_backward: ['logvar', 'eps', 'g', 'out'],
  },
});

/** Distinct small buffers bound where kl_backward writes nothing (writable bindings must not alias). */
const scratch: GPUBuffer[] = [];
function spare(i: number): GPUBuffer {
  scratch[i] ??= rt().pool.acquire(16);
  return scratch[i];
}

/** weight * -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) as a tensor of shape []. */
export function klForward(mu: Tensor, logvar: Tensor, weight: number): Tensor {
  const out = Tensor.empty([]);
  GAUSSIAN.run('kl_forward', {
    params: { n: mu.size, write: 0, accumulate: 0, weight },
    bind: { mu, logvar, out },
    workgroups: [1],
  });
  return out;
}

/**
 * The (weighted) KL term's gradients for its gradient g (shape []): dmu where wanted[0], dlogvar
 * where wanted[1] (null otherwise), each added into its `into` when given.
 */
export function klBackward(
  mu: Tensor,
  logvar: Tensor,
  weight: number,
  g: Tensor,
  wanted: [boolean, boolean],
  into: [Tensor | undefined, Tensor | undefined],
): [Tensor | null, Tensor | null] {
  const [dmu, dlv] = wanted.map((w, k) => (w ? (into[k] ?? Tensor.empty(mu.shape)) : null));
  if (mu.size > 0 && (dmu || dlv)) {
    GAUSSIAN.run('kl_backward', {
      params: {
        n: mu.size,
        write: (dmu ? 1 : 0) | (dlv ? 2 : 0),
        accumulate: (dmu && into[0] ? 1 : 0) | (dlv && into[1] ? 2 : 0),
        weight,
      },
      bind: { mu, logvar, g, out: dmu ?? spare(0), out2: dlv ?? spare(1) },
      threads: mu.size,
    });
  }
  return [dmu, dlv];
}

/** mu + eps * exp(logvar / 2). */
export function sampleForward(mu: Tensor, logvar: Tensor, eps: Tensor): Tensor {
  const out = Tensor.empty(mu.shape);
  if (out.size > 0) {
    GAUSSIAN.run('sample_forward', {
      params: { n: out.size, write: 0, accumulate: 0, weight: 1 },
      bind: { mu, logvar, eps, out },
      threads: out.size,
    });
  }
  return out;
}

/** The sample's gradient to logvar, g * eps * exp(logvar / 2) / 2 (added into `into` when given). */
export function sampleBackward(logvar: Tensor, eps: Tensor, g: Tensor, into?: Tensor): Tensor {
  const out = into ?? Tensor.empty(logvar.shape);
  if (out.size > 0) {
    GAUSSIAN.run('sample_backward', {
      params: { n: out.size, write: 1, accumulate: into ? 1 : 0, weight: 1 },
      bind: { logvar, eps, g, out },
      threads: out.size,
    });
  }
  return out;
}
