/**
 * Seeded randomness. Every proposal and every learning step draws from its own generator,
 * derived from (seed, stream, index): an agent rebuilt from a snapshot or from a replayed
 * journal therefore draws exactly the numbers an uninterrupted run would have drawn.
 */

/** murmur3's 32-bit finaliser: a bijective mix with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes integer keys (any safe integer, negative included) to one 32-bit seed. */
export function deriveSeed(...keys: number[]): number {
  let h = 0x243f6a88;
  for (const k of keys) {
    const lo = k >>> 0;
    const hi = Math.floor(k / 0x100000000) >>> 0;
    h = fmix32((h ^ lo) + 0x9e3779b9);
    h = fmix32((h ^ hi) + 0x7f4a7c15);
  }
  return h;
}

/** Streams, so proposals and learning steps never share a generator. */
export const STREAM_PROPOSE = 1;
export const STREAM_OBSERVE = 2;

/** mulberry32: small, fast, good enough for search decisions (not for cryptography). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  static for(...keys: number[]): Rng {
    return new Rng(deriveSeed(...keys));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Index of the largest value; ties broken uniformly at random (matters with an optimistic start). */
export function argmax(values: readonly number[], rng: Rng): number {
  let best = -Infinity;
  let ties = 0;
  let pick = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v > best) {
      best = v;
      ties = 1;
      pick = i;
    } else if (v === best) {
      // Reservoir sampling over the tied indexes: one pass, uniform choice.
      ties++;
      if (rng.int(ties) === 0) pick = i;
    }
  }
  return pick;
}

export function max(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) if (v > m) m = v;
  return m;
}
