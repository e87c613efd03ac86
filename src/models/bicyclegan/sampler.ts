// Test-time use of a trained BicycleGAN (eval mode, no graph): many outputs for one input from random
// z, the output for a reference image's encoded z, and walks through latent space (linear and slerp).
import { noGrad } from '../../autograd.ts';
import { tensor } from '../../ops/creation.ts';
import { randn } from '../../ops/random.ts';
import { keep, tidy } from '../../scope.ts';
import type { Tensor } from '../../tensor.ts';
import type { BicycleGAN } from './model.ts';

/** n latent codes [n, nz] from N(0, I), reproducible from `seed`. */
export function randomCodes(model: BicycleGAN, n: number, seed: number): Tensor {
  return randn([n, model.opts.nz], { seed });
}

/** G(A, z_k) for each code: one [N, C, H, W] tensor per code (the same z for every input: --sync). */
export function samplesPerCode(model: BicycleGAN, a: Tensor, codes: Float32Array[]): Tensor[] {
  model.eval();
  const n = a.shape[0];
  return tidy(() =>
    codes.map((c) => {
      const z = tensor(
        Float32Array.from({ length: n * c.length }, (_, i) => c[i % c.length]),
        [n, c.length],
      );
      return keep(model.generate(a, z));
    }),
  );
}

/** G(A, z) with a different z for every input and sample: [samples] tensors of [N, C, H, W]. */
export function samplesIndependent(model: BicycleGAN, a: Tensor, samples: number, seed: number): Tensor[] {
  model.eval();
  return tidy(() =>
    Array.from({ length: samples }, (_, k) =>
      keep(model.generate(a, randn([a.shape[0], model.opts.nz], { seed: seed + k }))),
    ),
  );
}

/** G(A, z) for given codes z, [N, nz] (eval mode, no graph). */
export function decode(model: BicycleGAN, a: Tensor, z: Tensor): Tensor {
  model.eval();
  return noGrad(() => tidy(() => keep(model.generate(a, z))));
}

/** G(A, mu(E(reference))): the reference's style on A's content (E's mean, no sampling). */
export function encodedOutput(model: BicycleGAN, a: Tensor, reference: Tensor): Tensor {
  model.eval();
  return noGrad(() =>
    tidy(() => {
      const { mu } = model.E.call(reference);
      return keep(model.generate(a, mu));
    }),
  );
}

/** E's posterior for each reference image: mu and logvar, [N, nz] each (eval mode, no graph). */
export function posterior(model: BicycleGAN, reference: Tensor): { mu: Tensor; logvar: Tensor } {
  model.eval();
  return noGrad(() =>
    tidy(() => {
      const { mu, logvar } = model.E.call(reference);
      if (!logvar) throw new Error('posterior: the encoder must return logvar (vaeLike)');
      return { mu: keep(mu), logvar: keep(logvar) };
    }),
  );
}

/** Points from z0 to z1 in `steps` steps: straight (linear) or along the great circle (slerp). */
export function interpolate(
  z0: Float32Array,
  z1: Float32Array,
  steps: number,
  mode: 'linear' | 'slerp',
): Float32Array[] {
  const dot = z0.reduce((s, v, i) => s + v * z1[i], 0);
  const n0 = Math.hypot(...z0);
  const n1 = Math.hypot(...z1);
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / (n0 * n1))));
  return Array.from({ length: steps }, (_, s) => {
    const t = steps === 1 ? 0 : s / (steps - 1);
    let w0 = 1 - t;
    let w1 = t;
    if (mode === 'slerp' && Math.sin(omega) > 1e-6) {
      w0 = Math.sin((1 - t) * omega) / Math.sin(omega);
      w1 = Math.sin(t * omega) / Math.sin(omega);
    }
    return Float32Array.from(z0, (v, i) => w0 * v + w1 * z1[i]);
  });
}
