// The error a training loop stops with on a NaN or infinite loss. No Node imports: the model code
// (browser-safe) throws it from readLosses and the Trainer checks every step's losses with it.

/** A training loss came out NaN or infinite (the message names it); the Trainer stops without saving. */
export class NonFiniteLossError extends Error {}

/** Throws NonFiniteLossError naming every loss that is NaN or infinite. */
export function checkFinite(losses: Record<string, number>): void {
  const bad = Object.keys(losses).filter((name) => !Number.isFinite(losses[name]));
  if (bad.length) {
    throw new NonFiniteLossError(
      `loss ${bad.map((b) => `${b} = ${losses[b]}`).join(', ')} is not finite: training stopped before saving these weights`,
    );
  }
}
