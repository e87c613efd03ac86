// A VAE code's diagonal Gaussian N(mu, exp(logvar)): its KL divergence from N(0, I) and its
// reparameterised sample, one launch each way (src/kernels/gaussian.ts) instead of a dozen
// elementwise ops and their gradients.
import { record } from '../autograd.ts';
import { klBackward, klForward, sampleBackward, sampleForward } from '../kernels/gaussian.ts';
import { fmt } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { exp, mul } from './elementwise.ts';

function checkSame(op: string, names: string[], ts: Tensor[]): void {
  for (let k = 1; k < ts.length; k++) {
    if (ts[k].ndim !== ts[0].ndim || ts[k].shape.some((d, i) => d !== ts[0].shape[i]))
      throw new Error(
        `${op}: ${names[k]} ${fmt(ts[k].shape)} does not match ${names[0]} ${fmt(ts[0].shape)}`,
      );
  }
}

/**
 * KL(N(mu, exp(logvar)) || N(0, I)) summed over every element, -0.5 * sum(1 + logvar - mu^2 -
 * exp(logvar)), times `weight` (a lambda, in the same launch), as a tensor of shape [].
 */
export function gaussianKL(mu: Tensor, logvar: Tensor, weight = 1): Tensor {
  checkSame('gaussianKL', ['mu', 'logvar'], [mu, logvar]);
  return record(klForward(mu, logvar, weight), [mu, logvar], (g, into) =>
    klBackward(mu, logvar, weight, g, [mu.requiresGrad, logvar.requiresGrad], [into(0), into(1)]),
  );
}

/**
 * mu + eps * exp(logvar / 2): a sample of N(mu, exp(logvar)) from standard normal noise eps (the
 * reparameterisation trick), differentiable in mu and logvar.
 */
export function reparameterize(mu: Tensor, logvar: Tensor, eps: Tensor): Tensor {
  checkSame('reparameterize', ['mu', 'logvar', 'eps'], [mu, logvar, eps]);
  return record(sampleForward(mu, logvar, eps), [mu, logvar, eps], (g, into) => [
    mu.requiresGrad ? g : null,
    logvar.requiresGrad ? sampleBackward(logvar, eps, g, into(1)) : null,
    eps.requiresGrad ? epsGrad(logvar, g) : null,
  ]);
}

/** g * exp(logvar / 2): the sample's gradient to its noise (rarely wanted: composed, not fused). */
function epsGrad(logvar: Tensor, g: Tensor): Tensor {
  const half = mul(logvar, 0.5);
  const std = exp(half);
  half.dispose();
  const out = mul(g, std);
  std.dispose();
  return out;
}
