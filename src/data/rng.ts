// Deterministic, counter-based randomness for the data pipeline (pure: no Node imports).
// Every random choice is a function of (seed, purpose, epoch, index), never of call order, so the
// data a step sees does not depend on prefetching, worker timing or where a resumed run restarts.

/** A 32-bit hash of a list of integers (murmur3-style mixing). */
export function hash32(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    let k = Math.imul(v | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    // the high bits of values beyond 32 bits (seeds such as Date.now()) still count
    if (!Number.isInteger(v) || Math.abs(v) > 0x7fffffff) h ^= Math.floor(v / 4294967296) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: a small, fast generator of floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator seeded by the hash of the given integers. */
export function rngFor(...values: number[]): () => number {
  return mulberry32(hash32(...values));
}

/** An integer in [lo, hi] inclusive (like Python's random.randint). */
export function randint(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** A Fisher-Yates permutation of 0..n-1 drawn from `rand`. */
export function permutation(n: number, rand: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
