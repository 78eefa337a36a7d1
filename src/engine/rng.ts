// Seeded random numbers: xoshiro128** (fast with 32-bit integer math in JS), seeded by splitmix32.
// All randomness of the engine comes from here, in TypeScript, so every backend sees the same
// numbers; the state is four integers, saved in checkpoints so a resumed run draws the same ones.

export type RngState = [number, number, number, number];

export class Rng {
  private s: Uint32Array;

  constructor(seed: number | RngState = 0) {
    this.s = new Uint32Array(4);
    if (Array.isArray(seed)) this.s.set(seed);
    else {
      let x = seed >>> 0;
      for (let i = 0; i < 4; i++) {
        // splitmix32: spreads any seed, even 0, over the whole state.
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        this.s[i] = (z ^ (z >>> 16)) >>> 0;
      }
    }
  }

  /** The whole state, to be restored with `new Rng(state)`. */
  state(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** Continues from `state` in place, so holders of this object draw the new stream too. */
  restore(state: RngState): void {
    this.s.set(state);
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5, lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller). The sine half is dropped so that the state alone, with no
   * cached spare, determines every later draw. */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Fills `out` with N(mean, std²) samples. */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }

  /** Fills `out` with U[lo, hi) samples. */
  fillUniform(out: Float32Array | Float64Array, lo = 0, hi = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
  }

  /** Samples an index with probability proportional to weights[i] (non-negative, not all zero). */
  categorical(weights: ArrayLike<number>, offset = 0, n = weights.length - offset): number {
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[offset + i];
    if (!(total > 0)) throw new RangeError('categorical: weights must be non-negative with a positive sum');
    let u = this.uniform() * total;
    for (let i = 0; i < n; i++) {
      u -= weights[offset + i];
      if (u < 0) return i;
    }
    // Rounding left u ≥ 0 after the loop: return the last index with nonzero weight.
    for (let i = n - 1; i >= 0; i--) if (weights[offset + i] > 0) return i;
    return n - 1;
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
