/* Scalar float functions written so that GCC vectorises them inside `#pragma omp simd` loops
 * (plain arithmetic and integer bit tricks, no libm calls), accurate to a few ulp. Included by the
 * files of native/isa/, so each ISA build gets its own vector width. */
#ifndef RLHF_VMATH_H
#define RLHF_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define RL_INLINE static inline __attribute__((always_inline))

RL_INLINE float rl_from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

RL_INLINE uint32_t rl_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* e^x, relative error ~1e-7 over the whole float range (Cephes expf polynomial). x = n·ln2 + r with
 * |r| ≤ ln2/2; 2^n is applied as two halves so results down to the subnormals (x ≥ −104) and the
 * overflow to +inf (x > 88.72) come out right. NaN stays NaN (the clamps compare, so NaN passes). */
RL_INLINE float rl_exp(float x) {
  const float magic = 12582912.0f; /* 1.5·2^23: adding it rounds to an integer in the low bits */
  x = x > 89.0f ? 89.0f : x;
  x = x < -104.0f ? -104.0f : x;
  float t = x * 1.44269504088896341f + magic;
  int32_t n = (int32_t)(rl_bits(t) - rl_bits(magic));
  float nf = t - magic;
  float r = x - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  int32_t n1 = n >> 1, n2 = n - n1;
  return p * rl_from_bits((uint32_t)(n1 + 127) << 23) * rl_from_bits((uint32_t)(n2 + 127) << 23);
}

RL_INLINE float rl_sigmoid(float x) { return 1.0f / (1.0f + rl_exp(-x)); }

/* tanh: an odd polynomial below |x| = 0.625 (where 1 − 2/(e^2x + 1) would cancel), else the
 * exponential form (Cephes tanhf). */
RL_INLINE float rl_tanh(float x) {
  float ax = fabsf(x);
  float z = x * x;
  float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
                 3.33332819422e-1f) * z * x + x;
  float big = 1.0f - 2.0f / (rl_exp(2.0f * ax) + 1.0f);
  big = x < 0.0f ? -big : big;
  return ax < 0.625f ? small : big;
}

/* GELU, tanh form: 0.5·x·(1 + tanh(u)) = x · sigmoid(2u), u = √(2/π)·(x + 0.044715·x³); the
 * sigmoid form keeps full relative accuracy for large negative x. */
#define RL_GELU_K 0.7978845608028654f
#define RL_GELU_C 0.044715f
RL_INLINE float rl_gelu(float x) { return x * rl_sigmoid(2.0f * RL_GELU_K * (x + RL_GELU_C * x * x * x)); }

/* d gelu / dx with s = sigmoid(2u): 0.5(1 + t) = s and 1 − t² = 4s(1 − s). */
RL_INLINE float rl_gelu_grad(float x) {
  float s = rl_sigmoid(2.0f * RL_GELU_K * (x + RL_GELU_C * x * x * x));
  return s + 2.0f * x * s * (1.0f - s) * RL_GELU_K * (1.0f + 3.0f * RL_GELU_C * x * x);
}

/* d silu / dx = s · (1 + x · (1 − s)). */
RL_INLINE float rl_silu_grad(float x) {
  float s = rl_sigmoid(x);
  return s * (1.0f + x * (1.0f - s));
}

#endif
