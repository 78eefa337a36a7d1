/* Packing Linear weights for int8 and bfloat16 inference (layouts in kernels.h), once per model:
 * plain C, the same on every ISA, mirroring src/engine/backends/ref/quant.ts operation for
 * operation so both give the same bytes. */
#include <math.h>
#include <string.h>

#include "kernels.h"

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static uint32_t bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* float16 bits → float (finite, non-negative: the scales) */
static float f16_value(uint32_t h) {
  const uint32_t exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  return exp == 0 ? ldexpf((float)frac, -24) : ldexpf((float)(frac | 0x400), (int)exp - 25);
}

/* The smallest float16 value ≥ v, for a finite v ≥ 0, capped at 65504: round to nearest even
 * (as dtypes.ts's f32ToF16), then one step up if that fell below v. */
static float f16_at_least(float v) {
  const uint32_t x = bits(v), exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  const int e = (int)exp - 127 + 15;
  uint32_t h;
  if (e >= 31) return 65504.0f;
  if (e <= 0) {
    if (e < -10) h = 0;
    else {
      const uint32_t m = mant | 0x800000, shift = (uint32_t)(14 - e), half = 1u << (shift - 1), rest = m & ((1u << shift) - 1);
      h = m >> shift;
      if (rest > half || (rest == half && (h & 1))) h++;
    }
  } else {
    h = ((uint32_t)e << 10) | (mant >> 13);
    const uint32_t rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
  }
  if (h >= 0x7c00) return 65504.0f;
  if (f16_value(h) < v) h++;
  return h >= 0x7c00 ? 65504.0f : f16_value(h);
}

void rlhf_quantize_int8(int8_t *q, float *scales, int32_t *wsum, const float *w, int64_t N, int64_t K) {
  const int64_t Np = rlhf_round_up(N, RLHF_QGROUP), Kp = rlhf_round_up(K, RLHF_QBLOCK), nt = Kp / 4, nb = Kp / RLHF_QBLOCK;
  memset(q, 0, (size_t)(Np * Kp));
  memset(wsum, 0, (size_t)(Np * nb) * sizeof *wsum);
  for (int64_t n = 0; n < Np; n++) {
    const int64_t g = n / RLHF_QGROUP, r = n % RLHF_QGROUP;
    if (n >= N) {
      scales[n] = 0.0f;
      continue;
    }
    const float *row = w + n * K;
    float amax = 0.0f;
    for (int64_t k = 0; k < K; k++) amax = fabsf(row[k]) > amax ? fabsf(row[k]) : amax;
    const float s = f16_at_least(amax / 127.0f);
    scales[n] = s;
    for (int64_t k = 0; k < K; k++) {
      const float v = s > 0.0f ? nearbyintf(row[k] / s) : 0.0f;
      const int8_t qv = (int8_t)(v != v ? 0 : v > 127.0f ? 127 : v < -127.0f ? -127 : (int)v);
      const int64_t t = k / 4;
      q[((g * nt + t) * RLHF_QGROUP + r) * 4 + k % 4] = qv;
      wsum[(g * nb + k / RLHF_QBLOCK) * RLHF_QGROUP + r] += 128 * qv;
    }
  }
}

/* float → bfloat16, ties to even; NaN stays NaN; below the smallest normal → ±0 (as vdpbf16ps
 * reads its inputs). */
static uint16_t to_bf16(float f) {
  const uint32_t u = bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
  if ((u & 0x7f800000u) == 0) return (uint16_t)((u >> 16) & 0x8000);
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

void rlhf_pack_bf16(uint16_t *out, const float *w, int64_t N, int64_t K) {
  const int64_t Np = rlhf_round_up(N, RLHF_QGROUP), Kp = rlhf_round_up(K, 2), nt = Kp / 2;
  memset(out, 0, (size_t)(Np * Kp) * sizeof *out);
  for (int64_t n = 0; n < N; n++) {
    const int64_t g = n / RLHF_QGROUP, r = n % RLHF_QGROUP;
    for (int64_t k = 0; k < K; k++) out[((g * nt + k / 2) * RLHF_QGROUP + r) * 2 + k % 2] = to_bf16(w[n * K + k]);
  }
}

void rlhf_unpack_row_int8(float *out, const int8_t *q, const float *scales, int64_t n, int64_t K) {
  const int64_t Kp = rlhf_round_up(K, RLHF_QBLOCK), g = n / RLHF_QGROUP, r = n % RLHF_QGROUP;
  for (int64_t k = 0; k < K; k++) out[k] = scales[n] * (float)q[((g * (Kp / 4) + k / 4) * RLHF_QGROUP + r) * 4 + k % 4];
}

void rlhf_unpack_row_bf16(float *out, const uint16_t *w, int64_t n, int64_t K) {
  const int64_t Kp = rlhf_round_up(K, 2), g = n / RLHF_QGROUP, r = n % RLHF_QGROUP;
  for (int64_t k = 0; k < K; k++) out[k] = from_bits((uint32_t)w[((g * (Kp / 2) + k / 2) * RLHF_QGROUP + r) * 2 + k % 2] << 16);
}
