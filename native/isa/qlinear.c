/* Linear layers on int8 and bfloat16 weights (inference), compiled once per ISA. The packed
 * layouts, the activation rounding and the order of every floating-point operation are those of
 * the reference in src/engine/backends/ref/quant.ts, so the outputs are the same bits on every
 * ISA (see kernels.h for the layouts):
 *
 * int8   y[m][n] = s[n] · Σ_j d[m][j] · isum_j, the sum over 32-wide blocks j taken in order by FMA
 *        (acc = fma(d, isum, acc)), isum the exact integer dot product of the block's weights and
 *        the row's activations quantised to int8 with the block's scale d = amax / 127.
 *        AVX-512 VNNI: vpdpbusd takes unsigned × signed bytes, so activations go in as x + 128
 *        and the packed 128·Σ(block weights) is subtracted; without VNNI, maddubs on |x| and the
 *        weights with x's sign (llama.cpp's trick; products of |values| ≤ 127 cannot saturate).
 * bf16   y[m][n] = Σ over k in order of w·x as float, x rounded to bfloat16 (denormals to zero),
 *        each product exact in float32 and added with one rounding; pairs (2t, 2t+1) add the odd
 *        element first, as AVX512-BF16's vdpbf16ps does, which is used where the CPU has it.
 *
 * A group is 16 output rows; a task covers whole groups, and the register tile holds MB
 * activation rows × GB groups so the weights stream through once per MB rows. */
#include "isa.h"
#include "vmath.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#define QG RLHF_QGROUP /* rows per group */
#define QB RLHF_QBLOCK /* int8 activation block */

/* ---- activations ------------------------------------------------------------------------------ */

/* Rounds to nearest, ties to even, as cvtps2dq does under the default MXCSR. */
RL_INLINE int32_t round_even(float v) { return (int32_t)nearbyintf(v); }

/* xq[m·Kp + k] = round(x · 127/amax) per 32-wide block (0 past K), xd[m·Kp/32 + j] = amax/127;
 * a block holding a non-finite value gets d = NaN (the output row turns NaN). */
static void RLHF_FN(quantize_x_int8)(int8_t *xq, float *xd, const float *x, int64_t ldx, int M, int K) {
  const int Kp = (K + QB - 1) / QB * QB;
  for (int m = 0; m < M; m++) {
    const float *xr = x + (int64_t)m * ldx;
    int8_t *q = xq + (int64_t)m * Kp;
    for (int j = 0; j < Kp / QB; j++) {
      const int k0 = j * QB, n = K - k0 < QB ? K - k0 : QB;
      float amax = 0.0f;
      int finite = 1;
      for (int k = 0; k < n; k++) {
        const float a = fabsf(xr[k0 + k]);
        finite &= a <= 3.40282347e38f; /* false for inf and NaN */
        amax = a > amax ? a : amax;
      }
      const float id = amax > 0.0f ? 127.0f / amax : 0.0f;
      xd[(int64_t)m * (Kp / QB) + j] = finite ? amax / 127.0f : NAN;
      for (int k = 0; k < QB; k++) {
        int32_t v = k < n && finite ? round_even(xr[k0 + k] * id) : 0;
        q[k0 + k] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
      }
    }
  }
}

/* float → bfloat16, ties to even; NaN stays a (quiet) NaN; |x| below the smallest normal → ±0. */
RL_INLINE uint16_t to_bf16(float f) {
  uint32_t u = rl_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
  if ((u & 0x7f800000u) == 0) return (uint16_t)((u >> 16) & 0x8000);
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

RL_INLINE float from_bf16(uint16_t h) { return rl_from_bits((uint32_t)h << 16); }

/* xb[m·Kp2 + k] = bf16(x[m][k]) (0 past K, Kp2 = K rounded up to even). */
static void RLHF_FN(to_bf16_rows)(uint16_t *xb, const float *x, int64_t ldx, int M, int K) {
  const int Kp = (K + 1) & ~1;
  for (int m = 0; m < M; m++) {
    const float *xr = x + (int64_t)m * ldx;
    uint16_t *o = xb + (int64_t)m * Kp;
#pragma omp simd
    for (int k = 0; k < K; k++) o[k] = to_bf16(xr[k]);
    if (Kp > K) o[K] = 0;
  }
}

/* ---- int8 -------------------------------------------------------------------------------------- */

/* Stores 16 outputs of row y (columns n0.. of N). */
RL_INLINE void store_group(float *y, const float *v, int n0, int N) {
  const int n = N - n0 < QG ? N - n0 : QG;
  for (int i = 0; i < n; i++) y[n0 + i] = v[i];
}

#if defined(__AVX512F__)
#define MAXMB 4
#define MAXGB 4

/* The int8 register tile: MB activation rows × GB groups, as a macro so that the VNNI copy can be
 * compiled for avx512vnni alone. DOT(acc, xb, w) adds one dword lane's 4 byte products; VNNI
 * says whether the activations went in offset by 128 (vpdpbusd), so that 128·Σw comes off. */
#define UNROLL4 _Pragma("GCC unroll 4")
#define INT8_TILE_512(name, DOT, VNNI)                                                                                  \
  RL_INLINE void name(const int MB, const int GB, float *y, int64_t ldy, const int8_t *xq, const float *xd, int Kp,     \
                      const int8_t *q, const int32_t *wsum, const float *scales, int g, int m, int N) {                 \
    const int nt = Kp / 4, nb = Kp / QB;                                                                              \
    const __m512i flip = _mm512_set1_epi32((int)0x80808080u), ones = _mm512_set1_epi16(1),                           \
                  zero = _mm512_setzero_si512();                                                                      \
    (void)flip, (void)ones, (void)zero;                                                                               \
    __m512 facc[MAXMB][MAXGB];                                                                                        \
    UNROLL4 for (int a = 0; a < MB; a++) UNROLL4 for (int b = 0; b < GB; b++) facc[a][b] = _mm512_setzero_ps();      \
    for (int j = 0; j < nb; j++) {                                                                                    \
      __m512i iacc[MAXMB][MAXGB];                                                                                     \
      UNROLL4 for (int a = 0; a < MB; a++) UNROLL4 for (int b = 0; b < GB; b++) iacc[a][b] = zero;                   \
      _Pragma("GCC unroll 8") for (int t = 0; t < QB / 4; t++) {                                                      \
        __m512i w[MAXGB];                                                                                             \
        UNROLL4 for (int b = 0; b < GB; b++) w[b] = _mm512_loadu_si512(q + ((int64_t)(g + b) * nt + j * (QB / 4) + t) * 64); \
        UNROLL4 for (int a = 0; a < MB; a++) {                                                                        \
          int32_t xv;                                                                                                 \
          memcpy(&xv, xq + (int64_t)(m + a) * Kp + j * QB + t * 4, 4);                                                \
          const __m512i xb = _mm512_set1_epi32(xv);                                                                   \
          UNROLL4 for (int b = 0; b < GB; b++) iacc[a][b] = DOT(iacc[a][b], xb, w[b]);                               \
        }                                                                                                             \
      }                                                                                                               \
      UNROLL4 for (int b = 0; b < GB; b++) {                                                                          \
        const __m512i ws = VNNI ? _mm512_loadu_si512(wsum + ((int64_t)(g + b) * nb + j) * QG) : zero;               \
        UNROLL4 for (int a = 0; a < MB; a++) {                                                                        \
          const __m512i isum = VNNI ? _mm512_sub_epi32(iacc[a][b], ws) : iacc[a][b];                                 \
          const __m512 d = _mm512_set1_ps(xd[(int64_t)(m + a) * nb + j]);                                             \
          facc[a][b] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(isum), facc[a][b]);                                      \
        }                                                                                                             \
      }                                                                                                               \
    }                                                                                                                 \
    UNROLL4 for (int b = 0; b < GB; b++) {                                                                            \
      const __m512 s = _mm512_loadu_ps(scales + (int64_t)(g + b) * QG);                                               \
      const int n0 = (g + b) * QG;                                                                                    \
      UNROLL4 for (int a = 0; a < MB; a++) {                                                                          \
        float *yr = y + (int64_t)(m + a) * ldy;                                                                       \
        const __m512 r = _mm512_mul_ps(facc[a][b], s);                                                                \
        if (N - n0 >= QG) _mm512_storeu_ps(yr + n0, r);                                                               \
        else _mm512_mask_storeu_ps(yr + n0, (__mmask16)((1u << (N - n0)) - 1), r);                                   \
      }                                                                                                               \
    }                                                                                                                 \
  }

/* x + 128 as unsigned bytes times the signed weights */
#define DOT_VNNI(acc, xb, w) _mm512_dpbusd_epi32(acc, _mm512_xor_si512(xb, flip), w)
/* |x| times the weights with x's sign: pairs of products of magnitudes ≤ 127 fit int16 */
#define DOT_BW(acc, xb, w)                                                                                              \
  _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(_mm512_abs_epi8(xb),                                    \
                                                               _mm512_mask_sub_epi8(w, _mm512_movepi8_mask(xb), zero, w)), \
                                          ones))

/* Every (m, g) pair of groups [g0, g1) and rows [0, M), tiled 4×1, 2×2, or 1×4 (one row: four
 * groups' chains in flight hide the dot product's latency). */
#define INT8_DRIVER(name, tile)                                                                                         \
  static void name(float *y, int64_t ldy, const int8_t *xq, const float *xd, int M, int Kp, const int8_t *q,           \
                   const int32_t *wsum, const float *scales, int g0, int g1, int N) {                                    \
    int m = 0;                                                                                                          \
    for (; m + 4 <= M; m += 4)                                                                                          \
      for (int g = g0; g < g1; g++) tile(4, 1, y, ldy, xq, xd, Kp, q, wsum, scales, g, m, N);                           \
    for (; m + 2 <= M; m += 2) {                                                                                        \
      int g = g0;                                                                                                       \
      for (; g + 2 <= g1; g += 2) tile(2, 2, y, ldy, xq, xd, Kp, q, wsum, scales, g, m, N);                             \
      for (; g < g1; g++) tile(2, 1, y, ldy, xq, xd, Kp, q, wsum, scales, g, m, N);                                     \
    }                                                                                                                   \
    for (; m < M; m++) {                                                                                                \
      int g = g0;                                                                                                       \
      for (; g + 4 <= g1; g += 4) tile(1, 4, y, ldy, xq, xd, Kp, q, wsum, scales, g, m, N);                             \
      for (; g < g1; g++) tile(1, 1, y, ldy, xq, xd, Kp, q, wsum, scales, g, m, N);                                     \
    }                                                                                                                   \
  }

INT8_TILE_512(int8_tile_bw, DOT_BW, 0)
INT8_DRIVER(linear_int8_bw, int8_tile_bw)
#pragma GCC push_options
#pragma GCC target("avx512vnni")
INT8_TILE_512(int8_tile_vnni, DOT_VNNI, 1)
INT8_DRIVER(linear_int8_vnni, int8_tile_vnni)
#pragma GCC pop_options

static void RLHF_FN(linear_int8)(float *y, int64_t ldy, const int8_t *xq, const float *xd, int M, int Kp,
                                 const int8_t *q, const int32_t *wsum, const float *scales, int g0, int g1, int N) {
  if (rlhf_isa_ext() & RLHF_EXT_VNNI) linear_int8_vnni(y, ldy, xq, xd, M, Kp, q, wsum, scales, g0, g1, N);
  else linear_int8_bw(y, ldy, xq, xd, M, Kp, q, wsum, scales, g0, g1, N);
}

#elif defined(__AVX2__)

/* One activation row × GB groups, each group two ymm halves of 8 rows. */
RL_INLINE void int8_tile_256(const int GB, float *y, const int8_t *xq, const float *xd, int Kp, const int8_t *q,
                             const float *scales, int g, int N) {
  const int nt = Kp / 4, nb = Kp / QB;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 facc[4][2];
#pragma GCC unroll 4
  for (int b = 0; b < GB; b++) facc[b][0] = facc[b][1] = _mm256_setzero_ps();
  for (int j = 0; j < nb; j++) {
    __m256i iacc[4][2];
#pragma GCC unroll 4
    for (int b = 0; b < GB; b++) iacc[b][0] = iacc[b][1] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int t = 0; t < QB / 4; t++) {
      int32_t xv;
      memcpy(&xv, xq + j * QB + t * 4, 4);
      const __m256i xb = _mm256_set1_epi32(xv), xa = _mm256_abs_epi8(xb);
#pragma GCC unroll 4
      for (int b = 0; b < GB; b++) {
        const int8_t *wp = q + ((int64_t)(g + b) * nt + j * (QB / 4) + t) * 64;
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
          const __m256i w = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(wp + 32 * h)), xb);
          iacc[b][h] = _mm256_add_epi32(iacc[b][h], _mm256_madd_epi16(_mm256_maddubs_epi16(xa, w), ones));
        }
      }
    }
    const __m256 d = _mm256_set1_ps(xd[j]);
#pragma GCC unroll 4
    for (int b = 0; b < GB; b++)
#pragma GCC unroll 2
      for (int h = 0; h < 2; h++) facc[b][h] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(iacc[b][h]), facc[b][h]);
  }
#pragma GCC unroll 4
  for (int b = 0; b < GB; b++) {
    float out[QG];
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++)
      _mm256_storeu_ps(out + 8 * h, _mm256_mul_ps(facc[b][h], _mm256_loadu_ps(scales + (int64_t)(g + b) * QG + 8 * h)));
    store_group(y, out, (g + b) * QG, N);
  }
}

static void RLHF_FN(linear_int8)(float *y, int64_t ldy, const int8_t *xq, const float *xd, int M, int Kp,
                                 const int8_t *q, const int32_t *wsum, const float *scales, int g0, int g1, int N) {
  const int nb = Kp / QB;
  for (int m = 0; m < M; m++) {
    const int8_t *xm = xq + (int64_t)m * Kp;
    const float *dm = xd + (int64_t)m * nb;
    float *ym = y + (int64_t)m * ldy;
    int g = g0;
    for (; g + 2 <= g1; g += 2) int8_tile_256(2, ym, xm, dm, Kp, q, scales, g, N);
    for (; g < g1; g++) int8_tile_256(1, ym, xm, dm, Kp, q, scales, g, N);
  }
}

#else

static void RLHF_FN(linear_int8)(float *y, int64_t ldy, const int8_t *xq, const float *xd, int M, int Kp,
                                 const int8_t *q, const int32_t *wsum, const float *scales, int g0, int g1, int N) {
  const int nt = Kp / 4, nb = Kp / QB;
  for (int g = g0; g < g1; g++) {
    for (int m = 0; m < M; m++) {
      const int8_t *xm = xq + (int64_t)m * Kp;
      float out[QG];
      for (int r = 0; r < QG; r++) {
        float acc = 0.0f;
        for (int j = 0; j < nb; j++) {
          int32_t isum = 0;
          for (int t = j * (QB / 4); t < (j + 1) * (QB / 4); t++) {
            const int8_t *w = q + (((int64_t)g * nt + t) * QG + r) * 4;
            for (int b = 0; b < 4; b++) isum += (int32_t)w[b] * xm[t * 4 + b];
          }
          acc = fmaf(xd[(int64_t)m * nb + j], (float)isum, acc);
        }
        out[r] = acc * scales[(int64_t)g * QG + r];
      }
      store_group(y + (int64_t)m * ldy, out, g * QG, N);
    }
  }
}
#endif

/* ---- bf16 -------------------------------------------------------------------------------------- */

#if defined(__AVX512F__)
/* The bf16 register tile, as a macro so that the vdpbf16ps copy can be compiled for avx512bf16
 * alone. DOT(acc, x, w) adds both products of one pair (odd element first). */
#define BF16_TILE_512(name, DOT)                                                                                        \
  RL_INLINE void name(const int MB, const int GB, float *y, int64_t ldy, const uint16_t *xb, int Kp, const uint16_t *w, \
                      int g, int m, int N) {                                                                            \
    const int nt = Kp / 2;                                                                                            \
    const __m512i hi = _mm512_set1_epi32((int)0xffff0000u);                                                           \
    (void)hi;                                                                                                         \
    __m512 acc[MAXMB][MAXGB];                                                                                         \
    UNROLL4 for (int a = 0; a < MB; a++) UNROLL4 for (int b = 0; b < GB; b++) acc[a][b] = _mm512_setzero_ps();       \
    for (int t = 0; t < nt; t++) {                                                                                    \
      __m512i wv[MAXGB];                                                                                              \
      UNROLL4 for (int b = 0; b < GB; b++) wv[b] = _mm512_loadu_si512(w + ((int64_t)(g + b) * nt + t) * 32);         \
      UNROLL4 for (int a = 0; a < MB; a++) {                                                                          \
        int32_t xv;                                                                                                   \
        memcpy(&xv, xb + (int64_t)(m + a) * Kp + 2 * t, 4);                                                           \
        UNROLL4 for (int b = 0; b < GB; b++) acc[a][b] = DOT(acc[a][b], xv, wv[b]);                                  \
      }                                                                                                               \
    }                                                                                                                 \
    UNROLL4 for (int b = 0; b < GB; b++) {                                                                            \
      const int n0 = (g + b) * QG;                                                                                    \
      UNROLL4 for (int a = 0; a < MB; a++) {                                                                          \
        float *yr = y + (int64_t)(m + a) * ldy;                                                                       \
        if (N - n0 >= QG) _mm512_storeu_ps(yr + n0, acc[a][b]);                                                       \
        else _mm512_mask_storeu_ps(yr + n0, (__mmask16)((1u << (N - n0)) - 1), acc[a][b]);                           \
      }                                                                                                               \
    }                                                                                                                 \
  }

#define DOT_BF16_HW(acc, xv, w) _mm512_dpbf16_ps(acc, (__m512bh)_mm512_set1_epi32(xv), (__m512bh)(w))
/* both halves widened to float (the low half shifted up, the high half masked), odd first */
#define DOT_BF16_FMA(acc, xv, w)                                                                                        \
  _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w, 16)), _mm512_set1_ps(rl_from_bits((uint32_t)(xv) << 16)),   \
                  _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(w, hi)),                                        \
                                  _mm512_set1_ps(rl_from_bits((uint32_t)(xv)&0xffff0000u)), acc))

#define BF16_DRIVER(name, tile)                                                                                         \
  static void name(float *y, int64_t ldy, const uint16_t *xb, int M, int Kp, const uint16_t *w, int g0, int g1, int N) { \
    int m = 0;                                                                                                          \
    for (; m + 4 <= M; m += 4)                                                                                          \
      for (int g = g0; g < g1; g++) tile(4, 1, y, ldy, xb, Kp, w, g, m, N);                                             \
    for (; m + 2 <= M; m += 2) {                                                                                        \
      int g = g0;                                                                                                       \
      for (; g + 2 <= g1; g += 2) tile(2, 2, y, ldy, xb, Kp, w, g, m, N);                                               \
      for (; g < g1; g++) tile(2, 1, y, ldy, xb, Kp, w, g, m, N);                                                       \
    }                                                                                                                   \
    for (; m < M; m++) {                                                                                                \
      int g = g0;                                                                                                       \
      for (; g + 4 <= g1; g += 4) tile(1, 4, y, ldy, xb, Kp, w, g, m, N);                                               \
      for (; g < g1; g++) tile(1, 1, y, ldy, xb, Kp, w, g, m, N);                                                       \
    }                                                                                                                   \
  }

BF16_TILE_512(bf16_tile_fma, DOT_BF16_FMA)
BF16_DRIVER(linear_bf16_fma, bf16_tile_fma)
#pragma GCC push_options
#pragma GCC target("avx512bf16")
BF16_TILE_512(bf16_tile_hw, DOT_BF16_HW)
BF16_DRIVER(linear_bf16_hw, bf16_tile_hw)
#pragma GCC pop_options

static void RLHF_FN(linear_bf16)(float *y, int64_t ldy, const uint16_t *xb, int M, int Kp, const uint16_t *w, int g0,
                                 int g1, int N) {
  if (rlhf_isa_ext() & RLHF_EXT_BF16) linear_bf16_hw(y, ldy, xb, M, Kp, w, g0, g1, N);
  else linear_bf16_fma(y, ldy, xb, M, Kp, w, g0, g1, N);
}

#elif defined(__AVX2__)

RL_INLINE void bf16_tile_256(const int GB, float *y, const uint16_t *xb, int Kp, const uint16_t *w, int g, int N) {
  const int nt = Kp / 2;
  const __m256i hi = _mm256_set1_epi32((int)0xffff0000u);
  __m256 acc[4][2];
#pragma GCC unroll 4
  for (int b = 0; b < GB; b++) acc[b][0] = acc[b][1] = _mm256_setzero_ps();
  for (int t = 0; t < nt; t++) {
    int32_t xv;
    memcpy(&xv, xb + 2 * t, 4);
    const __m256 xo = _mm256_set1_ps(rl_from_bits((uint32_t)xv & 0xffff0000u)), xe = _mm256_set1_ps(rl_from_bits((uint32_t)xv << 16));
#pragma GCC unroll 4
    for (int b = 0; b < GB; b++)
#pragma GCC unroll 2
      for (int h = 0; h < 2; h++) {
        const __m256i wv = _mm256_loadu_si256((const __m256i *)(w + ((int64_t)(g + b) * nt + t) * 32 + 16 * h));
        acc[b][h] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(wv, hi)), xo, acc[b][h]);
        acc[b][h] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(wv, 16)), xe, acc[b][h]);
      }
  }
#pragma GCC unroll 4
  for (int b = 0; b < GB; b++) {
    float out[QG];
    _mm256_storeu_ps(out, acc[b][0]);
    _mm256_storeu_ps(out + 8, acc[b][1]);
    store_group(y, out, (g + b) * QG, N);
  }
}

static void RLHF_FN(linear_bf16)(float *y, int64_t ldy, const uint16_t *xb, int M, int Kp, const uint16_t *w, int g0,
                                 int g1, int N) {
  for (int m = 0; m < M; m++) {
    int g = g0;
    for (; g + 2 <= g1; g += 2) bf16_tile_256(2, y + (int64_t)m * ldy, xb + (int64_t)m * Kp, Kp, w, g, N);
    for (; g < g1; g++) bf16_tile_256(1, y + (int64_t)m * ldy, xb + (int64_t)m * Kp, Kp, w, g, N);
  }
}

#else

static void RLHF_FN(linear_bf16)(float *y, int64_t ldy, const uint16_t *xb, int M, int Kp, const uint16_t *w, int g0,
                                 int g1, int N) {
  const int nt = Kp / 2;
  for (int g = g0; g < g1; g++)
    for (int m = 0; m < M; m++) {
      const uint16_t *xm = xb + (int64_t)m * Kp;
      float acc[QG] = {0};
      for (int t = 0; t < nt; t++) {
        /* Widened first: GCC 12 at -O3 miscompiles the loop below when it reads the odd halves
         * before the even ones straight from the uint16 array (a sum of 16 came out 17). */
        float wf[2 * QG];
        for (int i = 0; i < 2 * QG; i++) wf[i] = from_bf16(w[((int64_t)g * nt + t) * QG * 2 + i]);
        const float xo = from_bf16(xm[2 * t + 1]), xe = from_bf16(xm[2 * t]);
        /* products of bfloat16 values are exact in float: one rounding per addition, as an FMA */
        for (int r = 0; r < QG; r++) {
          acc[r] += wf[2 * r + 1] * xo;
          acc[r] += wf[2 * r] * xe;
        }
      }
      store_group(y + (int64_t)m * ldy, acc, g * QG, N);
    }
}
#endif

const rlhf_qlinear_table RLHF_CAT(rlhf_qlinear, RLHF_ISA) = {
  .quantize_x_int8 = RLHF_FN(quantize_x_int8),
  .linear_int8 = RLHF_FN(linear_int8),
  .to_bf16_rows = RLHF_FN(to_bf16_rows),
  .linear_bf16 = RLHF_FN(linear_bf16),
};
