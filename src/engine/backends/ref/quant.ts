// int8 and bfloat16 inference weights: packing and Linear layers, written for reading. Every
// rounding is spelled out (Math.fround after each float32 operation, fmaF32 for a fused
// multiply-add), so native/quant.c and native/isa/qlinear.c can be held to the same bits.
import { QBLOCK, QGROUP, bf16Index, int8Index, roundUp, type F32, type I32 } from '../../kernels.js';

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number): number => { f32[0] = x; return u32[0]; };
const fromBits = (u: number): number => { u32[0] = u >>> 0; return f32[0]; };

/** Round half to even (the default rounding of cvtps2dq and nearbyintf); NaN stays NaN. */
export function roundEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** fl32(a·b + c) with one rounding, for float32 a, b, c whose product is exact in float64 (the
 * int8 block sums: a 24-bit scale times an integer below 2^29). A float64 sum can round onto a
 * float32 tie that the exact sum is not on; TwoSum's error term breaks such ties. */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b, s = p + c, r = Math.fround(s);
  if (r === s || !Number.isFinite(s)) return r;
  const bb = s - p, err = (p - (s - bb)) + (c - bb);
  if (err === 0) return r;
  const other = s > r ? stepF32(r, 1) : stepF32(r, -1);
  if (s - r !== other - s && r - s !== s - other) return r; // not a tie
  return err > 0 ? Math.max(r, other) : Math.min(r, other);
}

/** The float32 next to x towards +∞ (dir 1) or −∞ (dir −1). */
function stepF32(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * fromBits(1);
  const u = bitsOf(x);
  return fromBits((x > 0) === (dir > 0) ? u + 1 : u - 1);
}

/** float32 → bfloat16 bits: round half to even, NaN stays (quiet) NaN, |x| below the smallest
 * normal → ±0 (as AVX512-BF16 reads its inputs). */
export function toBf16(x: number): number {
  const u = bitsOf(x);
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  if ((u & 0x7f800000) === 0) return (u >>> 16) & 0x8000;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}
export const bf16Value = (h: number): number => fromBits(h << 16);

/** The smallest float16 value ≥ v (finite, ≥ 0), at most 65504: round to nearest even, then one
 * step up if that fell below. */
export function f16AtLeast(v: number): number {
  const x = bitsOf(v), exp = (x >>> 23) & 0xff, mant = x & 0x7fffff, e = exp - 127 + 15;
  if (e >= 31) return 65504;
  let h: number;
  if (e <= 0) {
    if (e < -10) h = 0;
    else {
      const m = mant | 0x800000, shift = 14 - e, half = 2 ** (shift - 1), rest = m % 2 ** shift;
      h = Math.floor(m / 2 ** shift);
      if (rest > half || (rest === half && h & 1)) h++;
    }
  } else {
    h = (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  }
  if (h >= 0x7c00) return 65504;
  if (f16Value(h) < v) h++;
  return h >= 0x7c00 ? 65504 : f16Value(h);
}
const f16Value = (h: number): number => {
  const exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  return exp === 0 ? frac * 2 ** -24 : (frac | 0x400) * 2 ** (exp - 25);
};

export function quantizeInt8(q: Int8Array, scales: F32, wsum: I32, w: F32, N: number, K: number): void {
  const Np = roundUp(N, QGROUP), Kp = roundUp(K, QBLOCK), nb = Kp / QBLOCK;
  q.fill(0, 0, Np * Kp);
  wsum.fill(0, 0, Np * nb);
  scales.fill(0, 0, Np);
  for (let n = 0; n < N; n++) {
    let amax = 0;
    for (let k = 0; k < K; k++) if (Math.abs(w[n * K + k]) > amax) amax = Math.abs(w[n * K + k]);
    const s = f16AtLeast(Math.fround(amax / 127));
    scales[n] = s;
    for (let k = 0; k < K; k++) {
      const v = s > 0 ? roundEven(Math.fround(w[n * K + k] / s)) : 0;
      const qv = Number.isNaN(v) ? 0 : Math.max(-127, Math.min(127, v));
      q[int8Index(n, k, Kp)] = qv;
      wsum[(Math.floor(n / QGROUP) * nb + Math.floor(k / QBLOCK)) * QGROUP + (n % QGROUP)] += 128 * qv;
    }
  }
}

/** Row n of a packed int8 weight as float: fl(s · q). */
export function unpackInt8Row(out: F32, q: Int8Array, scales: F32, n: number, K: number): void {
  const Kp = roundUp(K, QBLOCK);
  for (let k = 0; k < K; k++) out[k] = Math.fround(scales[n] * q[int8Index(n, k, Kp)]);
}

export function linearInt8(y: F32, x: F32, q: Int8Array, scales: F32, _wsum: I32, M: number, N: number, K: number): void {
  const Kp = roundUp(K, QBLOCK), nb = Kp / QBLOCK;
  const xq = new Int8Array(Kp), xd = new Float32Array(nb);
  for (let m = 0; m < M; m++) {
    // Each 32-wide block of the row: its scale d = amax/127 and the values rounded to int8.
    for (let j = 0; j < nb; j++) {
      const k0 = j * QBLOCK, n = Math.min(QBLOCK, K - k0);
      let amax = 0, finite = true;
      for (let k = 0; k < n; k++) {
        const a = Math.abs(x[m * K + k0 + k]);
        finite &&= a <= 3.4028234663852886e38;
        if (a > amax) amax = a;
      }
      const id = amax > 0 ? Math.fround(127 / amax) : 0;
      xd[j] = finite ? Math.fround(amax / 127) : NaN;
      for (let k = 0; k < QBLOCK; k++) {
        const v = k < n && finite ? roundEven(Math.fround(x[m * K + k0 + k] * id)) : 0;
        xq[k0 + k] = Math.max(-127, Math.min(127, v));
      }
    }
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let j = 0; j < nb; j++) {
        let isum = 0;
        for (let k = j * QBLOCK; k < (j + 1) * QBLOCK; k++) isum += q[int8Index(n, k, Kp)] * xq[k];
        acc = fmaF32(xd[j], isum, acc);
      }
      y[m * N + n] = Math.fround(acc * scales[n]);
    }
  }
}

export function packBf16(out: Uint16Array, w: F32, N: number, K: number): void {
  const Kp = roundUp(K, 2);
  out.fill(0, 0, roundUp(N, QGROUP) * Kp);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[bf16Index(n, k, Kp)] = toBf16(w[n * K + k]);
}

/** Row n of a packed bfloat16 weight as float. */
export function unpackBf16Row(out: F32, w: Uint16Array, n: number, K: number): void {
  const Kp = roundUp(K, 2);
  for (let k = 0; k < K; k++) out[k] = bf16Value(w[bf16Index(n, k, Kp)]);
}

export function linearBf16(y: F32, x: F32, w: Uint16Array, M: number, N: number, K: number): void {
  const Kp = roundUp(K, 2), xb = new Float32Array(Kp);
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) xb[k] = bf16Value(toBf16(x[m * K + k]));
    if (Kp > K) xb[K] = 0;
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let t = 0; t < Kp / 2; t++) {
        // bfloat16 products are exact in float32 (and float64): one rounding per addition.
        acc = Math.fround(acc + bf16Value(w[bf16Index(n, 2 * t + 1, Kp)]) * xb[2 * t + 1]);
        acc = Math.fround(acc + bf16Value(w[bf16Index(n, 2 * t, Kp)]) * xb[2 * t]);
      }
      y[m * N + n] = acc;
    }
  }
}
