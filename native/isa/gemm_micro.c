/* GEMM building blocks for one instruction set (binding.gyp compiles this file three times, and
 * RLHF_FN gives each copy its own names): the register-blocked micro-kernel, the packing routines
 * that lay A and B out in the order the kernel reads them, and the matrix-vector kernels. */
#include <string.h>

#include "../gemm.h"
#include "../rlhf.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

/* Register tile and cache blocks per ISA. AVX-512: 32 zmm registers hold 14×2 accumulators plus
 * two B vectors (the A value comes in as an embedded broadcast). AVX2: 16 ymm registers hold 6×2
 * accumulators, two B vectors and a broadcast. kc·nr·4 bytes of B stay in L1, mc·kc·4 of A in L2. */
#if defined(__AVX512F__)
#define MR 14
#define NV 2
#define VL 16
#define KC 256
#define MC 168
#define NC 3072
#elif defined(__AVX2__)
#define MR 6
#define NV 2
#define VL 8
#define KC 256
#define MC 120
#define NC 3072
#else
#define MR 4
#define NV 4
#define VL 4
#define KC 256
#define MC 128
#define NC 2048
#endif
#define NR (NV * VL)

/* ---- micro-kernel ---------------------------------------------------------------------------- */
#if defined(__AVX512F__)
static void kernel(int kc, const float *pa, const float *pb, float *c, long ldc, int m, int n, float beta) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = _mm512_setzero_ps();
  for (int k = 0; k < kc; k++) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = _mm512_load_ps(pb + v * VL);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      __m512 ai = _mm512_set1_ps(pa[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    pa += MR;
    pb += NR;
  }
  __mmask16 mask[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) {
    int lanes = n - v * VL;
    mask[v] = lanes >= VL ? (__mmask16)0xFFFF : lanes <= 0 ? 0 : (__mmask16)((1u << lanes) - 1);
  }
  __m512 vbeta = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    if (i >= m) break;
    float *ci = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      __m512 r = acc[i][v];
      if (beta != 0) r = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask[v], ci + v * VL), r);
      _mm512_mask_storeu_ps(ci + v * VL, mask[v], r);
    }
  }
}
#elif defined(__AVX2__)
/* The first 8 − lanes entries are all ones: loading at lanes_mask + 8 − lanes masks `lanes`. */
static const int lanes_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static void kernel(int kc, const float *pa, const float *pb, float *c, long ldc, int m, int n, float beta) {
  __m256 acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = _mm256_setzero_ps();
  for (int k = 0; k < kc; k++) {
    __m256 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = _mm256_load_ps(pb + v * VL);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      __m256 ai = _mm256_broadcast_ss(pa + i);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    pa += MR;
    pb += NR;
  }
  __m256i mask[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) {
    int lanes = n - v * VL;
    lanes = lanes < 0 ? 0 : lanes > VL ? VL : lanes;
    mask[v] = _mm256_loadu_si256((const __m256i *)(lanes_mask + 8 - lanes));
  }
  __m256 vbeta = _mm256_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    if (i >= m) break;
    float *ci = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      __m256 r = acc[i][v];
      if (n >= NR) {
        if (beta != 0) r = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(ci + v * VL), r);
        _mm256_storeu_ps(ci + v * VL, r);
      } else {
        if (beta != 0) r = _mm256_fmadd_ps(vbeta, _mm256_maskload_ps(ci + v * VL, mask[v]), r);
        _mm256_maskstore_ps(ci + v * VL, mask[v], r);
      }
    }
  }
}
#else
static void kernel(int kc, const float *pa, const float *pb, float *c, long ldc, int m, int n, float beta) {
  float acc[MR][NR] = {{0}};
  for (int k = 0; k < kc; k++) {
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) acc[i][j] += pa[i] * pb[j];
    pa += MR;
    pb += NR;
  }
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) c[i * ldc + j] = beta != 0 ? acc[i][j] + beta * c[i * ldc + j] : acc[i][j];
}
#endif

/* ---- packing ----------------------------------------------------------------------------------- */
static void pack_a(float *pa, const float *a, long rs, long cs, int m, int k) {
  for (int i0 = 0; i0 < m; i0 += MR, pa += (long)MR * k) {
    int rows = m - i0 < MR ? m - i0 : MR;
    const float *src = a + i0 * rs;
    for (int kk = 0; kk < k; kk++) {
      float *dst = pa + (long)kk * MR;
      for (int r = 0; r < rows; r++) dst[r] = src[r * rs + kk * cs];
      for (int r = rows; r < MR; r++) dst[r] = 0;
    }
  }
}

static void pack_b(float *pb, const float *b, long rs, long cs, int k, int n) {
  for (int j0 = 0; j0 < n; j0 += NR, pb += (long)NR * k) {
    int cols = n - j0 < NR ? n - j0 : NR;
    const float *src = b + j0 * cs;
    for (int kk = 0; kk < k; kk++) {
      float *dst = pb + (long)kk * NR;
      for (int j = 0; j < cols; j++) dst[j] = src[kk * rs + j * cs];
      for (int j = cols; j < NR; j++) dst[j] = 0;
    }
  }
}

/* ---- matrix-vector (decode: M = 1) -------------------------------------------------------------- */
static void gemv_rows(float *y, const float *w, long ldw, const float *x, int rows, int k, float beta) {
  for (int r = 0; r < rows; r++) {
    const float *wr = w + r * ldw;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int kk = 0; kk < k; kk++) s += wr[kk] * x[kk];
    y[r] = beta != 0 ? s + beta * y[r] : s;
  }
}

static void gemv_cols(float *y, const float *w, long ldw, const float *x, int k, int n, float beta) {
  for (int j = 0; j < n; j++) y[j] = beta != 0 ? beta * y[j] : 0;
  for (int kk = 0; kk < k; kk++) {
    const float *wk = w + kk * ldw;
    float xk = x[kk];
#pragma omp simd
    for (int j = 0; j < n; j++) y[j] += xk * wk[j];
  }
}

const rlhf_gemm_isa RLHF_FN(rlhf_gemm) = {MR, NR, KC, MC, NC, kernel, pack_a, pack_b, gemv_rows, gemv_cols};
