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
 * two B vectors (A values are broadcast from memory). AVX2: 16 ymm registers hold 6×2
 * accumulators, two B vectors and a broadcast. kc = 384 takes the transformer K's (256, 384) in
 * one block, so C is written once; the kc×nr B panel (48 KiB with AVX-512) then streams from L2,
 * which keeps up (measured on Zen 5: +7% at 2048×384×8192, +5% at 1024³ over kc = 256). The
 * mc×kc block of A (250 KiB) stays in L2. */
#if defined(__AVX512F__)
#define MR 14
#define NV 2
#define VL 16
#define KC 384
#define MC 168
#define NC 3072
#elif defined(__AVX2__)
#define MR 6
#define NV 2
#define VL 8
#define KC 384
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
#if defined(__AVX512F__) || defined(__AVX2__)
#if defined(__AVX512F__)
typedef __m512 vec;
#define vzero _mm512_setzero_ps
#define vload _mm512_load_ps
#define vbroadcast(p) _mm512_set1_ps(*(p))
#define vfma _mm512_fmadd_ps
#else
typedef __m256 vec;
#define vzero _mm256_setzero_ps
#define vload _mm256_load_ps
#define vbroadcast _mm256_broadcast_ss
#define vfma _mm256_fmadd_ps
#endif

/* C is read and written only after the k loop: its lines are requested this many iterations
 * before the end, late enough not to push the B panel out of L1, soon enough to hide L3. */
#define PREFETCH_C 48

/* acc += the next `steps` rank-1 updates of the packed panels. */
static inline __attribute__((always_inline)) void ksteps(vec acc[MR][NV], const float **pa, const float **pb, int steps) {
  const float *a = *pa, *b = *pb;
  for (int k = 0; k < steps; k++) {
    vec bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = vload(b + v * VL);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      vec ai = vbroadcast(a + i);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = vfma(ai, bv[v], acc[i][v]);
    }
    a += MR;
    b += NR;
  }
  *pa = a;
  *pb = b;
}

static void kernel(int kc, const float *pa, const float *pb, float *c, long ldc, int m, int n, float beta) {
  /* Kept in memory through the loop: with AVX2 every one of the 16 registers is in use there. */
  volatile float beta_mem = beta;
  vec acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = vzero();
  int k1 = kc > PREFETCH_C ? kc - PREFETCH_C : 0;
  ksteps(acc, &pa, &pb, k1);
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + i * ldc + NR - 1), _MM_HINT_T0);
  }
  ksteps(acc, &pa, &pb, kc - k1);
  beta = beta_mem;
#if defined(__AVX512F__)
  __mmask16 mask[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) {
    int lanes = n - v * VL;
    mask[v] = lanes >= VL ? (__mmask16)0xFFFF : lanes <= 0 ? 0 : (__mmask16)((1u << lanes) - 1);
  }
  __m512 vbeta = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < MR && i < m; i++) {
    float *ci = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      __m512 r = acc[i][v];
      if (beta != 0) r = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask[v], ci + v * VL), r);
      _mm512_mask_storeu_ps(ci + v * VL, mask[v], r);
    }
  }
#else
  /* The first 8 − lanes entries are all ones: loading at ones + 8 − lanes masks `lanes`. */
  static const int ones[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  __m256i mask[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) {
    int lanes = n - v * VL;
    lanes = lanes < 0 ? 0 : lanes > VL ? VL : lanes;
    mask[v] = _mm256_loadu_si256((const __m256i *)(ones + 8 - lanes));
  }
  __m256 vbeta = _mm256_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < MR && i < m; i++) {
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
#endif
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
/* Both packed layouts are "w values per k": an A panel holds mr rows, a B panel nr columns. Two
 * source shapes occur: the w values of one k are contiguous (A stored K×M, B stored K×N), a copy;
 * or each of the w lines is contiguous along k (A stored M×K, B stored N×K), a transpose. The
 * transposing packs may write up to 8 floats past a panel's end; the driver leaves that slack. */
#if defined(__AVX2__)
static inline void transpose8(__m256 r[8]) {
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Transposes the 8 lines from g (zero past `lines`) over columns t..t+8·blocks−1 into rows of
 * dst. Reading 16 columns at once uses each 64-byte source line whole: the lines of a block lie
 * ld apart, often a multiple of 4 KiB, and would not survive in L1 until the next 8 columns. */
static inline __attribute__((always_inline)) void transpose_group(float *dst, const float *src, long ld, int lines,
                                                                  int t, int g, const int w, const int blocks) {
#pragma GCC unroll 2
  for (int h = 0; h < blocks; h++) {
    __m256 r[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) r[i] = g + i < lines ? _mm256_loadu_ps(src + (g + i) * ld + t + 8 * h) : _mm256_setzero_ps();
    transpose8(r);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + (t + 8 * h + i) * w + g, r[i]);
  }
}

/* dst[t*w + i] = src[i*ld + t] for t < k, i < w (0 where i ≥ lines), in 8×8 blocks. A last group
 * of w % 8 lines is stored as 8 and first, so the full groups then overwrite its excess. */
static inline __attribute__((always_inline)) void pack_lines(float *dst, const float *src, long ld, int lines, int k,
                                                             const int w) {
  const int full = w - w % 8;
  int t = 0;
  for (; t + 16 <= k; t += 16) {
    if (full < w) transpose_group(dst, src, ld, lines, t, full, w, 2);
#pragma GCC unroll 4
    for (int g = 0; g < full; g += 8) transpose_group(dst, src, ld, lines, t, g, w, 2);
  }
  for (; t + 8 <= k; t += 8) {
    if (full < w) transpose_group(dst, src, ld, lines, t, full, w, 1);
#pragma GCC unroll 4
    for (int g = 0; g < full; g += 8) transpose_group(dst, src, ld, lines, t, g, w, 1);
  }
  for (; t < k; t++)
    for (int i = 0; i < w; i++) dst[t * w + i] = i < lines ? src[i * ld + t] : 0;
}
#else
static void pack_lines(float *dst, const float *src, long ld, int lines, int k, const int w) {
  for (int t = 0; t < k; t++)
    for (int i = 0; i < w; i++) dst[t * w + i] = i < lines ? src[i * ld + t] : 0;
}
#endif

/* dst[p*w*k + t*w + i] = src[t*ld + p*w + i] for every panel p of n values (0 past n): each k's
 * values are contiguous. B panels (w = nr, whole cache lines) go panel by panel, so the writes are
 * sequential: they lie kc·nr·4 bytes apart, a multiple of 4 KiB, and writing to all of them at
 * once would thrash one L1 set. A panels (w = mr) share cache lines of the source and go row by
 * row, reading each line once. */
static inline __attribute__((always_inline)) void pack_rows(float *dst, const float *src, long ld, int n, int k,
                                                            const int w, const int by_panel) {
  int panels = (n + w - 1) / w;
  for (int outer = 0; outer < (by_panel ? panels : k); outer++) {
    for (int inner = 0; inner < (by_panel ? k : panels); inner++) {
      int p = by_panel ? outer : inner, t = by_panel ? inner : outer;
      float *d = dst + ((long)p * k + t) * w;
      const float *s = src + t * ld + p * w;
      int cnt = n - p * w < w ? n - p * w : w;
      if (cnt == w) {
        memcpy(d, s, w * sizeof(float));
      } else {
        for (int i = 0; i < w; i++) d[i] = i < cnt ? s[i] : 0;
      }
    }
  }
}

/* A is m×k: stored K×M (trans, each k's rows contiguous) or M×K (each row contiguous along k). */
static void pack_a(float *pa, const float *a, long ld, int trans, int m, int k) {
  if (trans) return pack_rows(pa, a, ld, m, k, MR, 0);
  for (int i0 = 0; i0 < m; i0 += MR, pa += (long)MR * k) pack_lines(pa, a + i0 * ld, ld, m - i0 < MR ? m - i0 : MR, k, MR);
}

/* B is k×n: stored N×K (trans, each column contiguous along k) or K×N (each k's row contiguous). */
static void pack_b(float *pb, const float *b, long ld, int trans, int k, int n) {
  if (!trans) return pack_rows(pb, b, ld, n, k, NR, 1);
  for (int j0 = 0; j0 < n; j0 += NR, pb += (long)NR * k) pack_lines(pb, b + j0 * ld, ld, n - j0 < NR ? n - j0 : NR, k, NR);
}

/* ---- matrix-vector (decode: M = 1) -------------------------------------------------------------- */
#if defined(__AVX512F__) || defined(__AVX2__)
#if defined(__AVX512F__)
#define vloadu _mm512_loadu_ps
#define vstoreu _mm512_storeu_ps
#define vset1 _mm512_set1_ps
#define vhsum _mm512_reduce_add_ps
#else
#define vloadu _mm256_loadu_ps
#define vstoreu _mm256_storeu_ps
#define vset1 _mm256_set1_ps
static inline float vhsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
#endif

/* Four rows at a time: four independent FMA chains hide the FMA latency that one dot product
 * at a time would wait on (decode's lm_head ran at half the memory bandwidth that way). */
static void gemv_rows(float *y, const float *w, long ldw, const float *x, int rows, int k, float beta) {
  int r = 0, kv = k - k % VL;
  for (; r + 4 <= rows; r += 4) {
    const float *w0 = w + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
    vec a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
    for (int kk = 0; kk < kv; kk += VL) {
      vec xv = vloadu(x + kk);
      a0 = vfma(vloadu(w0 + kk), xv, a0);
      a1 = vfma(vloadu(w1 + kk), xv, a1);
      a2 = vfma(vloadu(w2 + kk), xv, a2);
      a3 = vfma(vloadu(w3 + kk), xv, a3);
    }
    float s[4] = {vhsum(a0), vhsum(a1), vhsum(a2), vhsum(a3)};
    for (int kk = kv; kk < k; kk++) {
      s[0] += w0[kk] * x[kk], s[1] += w1[kk] * x[kk], s[2] += w2[kk] * x[kk], s[3] += w3[kk] * x[kk];
    }
    for (int i = 0; i < 4; i++) y[r + i] = beta != 0 ? s[i] + beta * y[r + i] : s[i];
  }
  for (; r < rows; r++) {
    const float *wr = w + r * ldw;
    vec a = vzero();
    for (int kk = 0; kk < kv; kk += VL) a = vfma(vloadu(wr + kk), vloadu(x + kk), a);
    float sum = vhsum(a);
    for (int kk = kv; kk < k; kk++) sum += wr[kk] * x[kk];
    y[r] = beta != 0 ? sum + beta * y[r] : sum;
  }
}

/* Four vectors of y at a time, held in registers across all of k. */
static void gemv_cols(float *y, const float *w, long ldw, const float *x, int k, int n, float beta) {
  int j = 0;
  for (; j + 4 * VL <= n; j += 4 * VL) {
    vec a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
    for (int kk = 0; kk < k; kk++) {
      const float *wk = w + kk * ldw + j;
      vec xv = vset1(x[kk]);
      a0 = vfma(vloadu(wk), xv, a0);
      a1 = vfma(vloadu(wk + VL), xv, a1);
      a2 = vfma(vloadu(wk + 2 * VL), xv, a2);
      a3 = vfma(vloadu(wk + 3 * VL), xv, a3);
    }
    if (beta != 0) {
      vec vb = vset1(beta);
      a0 = vfma(vb, vloadu(y + j), a0);
      a1 = vfma(vb, vloadu(y + j + VL), a1);
      a2 = vfma(vb, vloadu(y + j + 2 * VL), a2);
      a3 = vfma(vb, vloadu(y + j + 3 * VL), a3);
    }
    vstoreu(y + j, a0);
    vstoreu(y + j + VL, a1);
    vstoreu(y + j + 2 * VL, a2);
    vstoreu(y + j + 3 * VL, a3);
  }
  if (j == n) return;
  for (int jj = j; jj < n; jj++) y[jj] = beta != 0 ? beta * y[jj] : 0;
  for (int kk = 0; kk < k; kk++)
    for (int jj = j; jj < n; jj++) y[jj] += x[kk] * w[kk * ldw + jj];
}
#else
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
#endif

/* ---- small M against a transposed B (decode: a few token rows times a Linear weight) -------------
 * C[i][n] for i < M ≤ 16 and n in [n0, n1), A M×K row-major, B N×K row-major (rows contiguous
 * along k). Nothing of B is packed: eight of its rows are read in place, each value broadcast and
 * multiplied into a vector of the M rows of Aᵀ (packed once, K×8 or K×16 floats), so the weights
 * stream from memory once. Every element is the same sequential chain over k, cut into K blocks of
 * kc, as the packed kernel computes it (block 0 from zero, then beta·C added by one FMA; each later
 * block's chain from zero with the sum so far added by an FMA with 1), so the result equals the
 * packed path's bit for bit. */
#define SM_NB 8 /* rows of B in flight: eight independent FMA chains hide the FMA latency */

/* at[k·w + i] = a[i·lda + k] for i < m, 0 for m ≤ i < w */
static void pack_at(float *at, const float *a, long lda, int m, int K, int w) {
  for (int k = 0; k < K; k++)
    for (int i = 0; i < w; i++) at[(long)k * w + i] = i < m ? a[(long)i * lda + k] : 0.0f;
}

#if defined(__AVX512F__) || defined(__AVX2__)
/* One pass over up to 8 rows of A with 8-lane vectors. */
static void small_m8(float *c, long ldc, const float *a, long lda, const float *b, long ldb, int m, int n0, int n1,
                     int K, int kc, float beta, float *at) {
  pack_at(at, a, lda, m, K, 8);
  for (int n = n0; n < n1; n += SM_NB) {
    const int nb = n1 - n < SM_NB ? n1 - n : SM_NB;
    const float *bp[SM_NB];
#pragma GCC unroll 8
    for (int j = 0; j < SM_NB; j++) bp[j] = b + (long)(n + (j < nb ? j : nb - 1)) * ldb;
    __m256 res[SM_NB] = {0}; /* K > 0: block 0 sets it */
    for (int p = 0; p < K; p += kc) {
      const int pe = K - p < kc ? K : p + kc;
      __m256 acc[SM_NB];
#pragma GCC unroll 8
      for (int j = 0; j < SM_NB; j++) acc[j] = _mm256_setzero_ps();
      for (int k = p; k < pe; k++) {
        const __m256 av = _mm256_load_ps(at + (long)k * 8);
#pragma GCC unroll 8
        for (int j = 0; j < SM_NB; j++) acc[j] = _mm256_fmadd_ps(_mm256_broadcast_ss(bp[j] + k), av, acc[j]);
      }
      if (p == 0) {
#pragma GCC unroll 8
        for (int j = 0; j < SM_NB; j++) {
          if (beta != 0 && j < nb) {
            float col[8] = {0};
            for (int i = 0; i < m; i++) col[i] = c[(long)i * ldc + n + j];
            res[j] = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(col), acc[j]);
          } else res[j] = acc[j];
        }
      } else {
#pragma GCC unroll 8
        for (int j = 0; j < SM_NB; j++) res[j] = _mm256_fmadd_ps(_mm256_set1_ps(1.0f), res[j], acc[j]);
      }
    }
    float tmp[SM_NB][8] __attribute__((aligned(32)));
#pragma GCC unroll 8
    for (int j = 0; j < SM_NB; j++) _mm256_store_ps(tmp[j], res[j]);
    for (int i = 0; i < m; i++)
      for (int j = 0; j < nb; j++) c[(long)i * ldc + n + j] = tmp[j][i];
  }
}
#endif

#if defined(__AVX512F__)
/* One pass over 9..16 rows of A with 16-lane vectors. */
static void small_m16(float *c, long ldc, const float *a, long lda, const float *b, long ldb, int m, int n0, int n1,
                      int K, int kc, float beta, float *at) {
  pack_at(at, a, lda, m, K, 16);
  for (int n = n0; n < n1; n += SM_NB) {
    const int nb = n1 - n < SM_NB ? n1 - n : SM_NB;
    const float *bp[SM_NB];
#pragma GCC unroll 8
    for (int j = 0; j < SM_NB; j++) bp[j] = b + (long)(n + (j < nb ? j : nb - 1)) * ldb;
    __m512 res[SM_NB] = {0}; /* K > 0: block 0 sets it */
    for (int p = 0; p < K; p += kc) {
      const int pe = K - p < kc ? K : p + kc;
      __m512 acc[SM_NB];
#pragma GCC unroll 8
      for (int j = 0; j < SM_NB; j++) acc[j] = _mm512_setzero_ps();
      for (int k = p; k < pe; k++) {
        const __m512 av = _mm512_load_ps(at + (long)k * 16);
#pragma GCC unroll 8
        for (int j = 0; j < SM_NB; j++) acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(bp[j][k]), av, acc[j]);
      }
      if (p == 0) {
#pragma GCC unroll 8
        for (int j = 0; j < SM_NB; j++) {
          if (beta != 0 && j < nb) {
            float col[16] = {0};
            for (int i = 0; i < m; i++) col[i] = c[(long)i * ldc + n + j];
            res[j] = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_loadu_ps(col), acc[j]);
          } else res[j] = acc[j];
        }
      } else {
#pragma GCC unroll 8
        for (int j = 0; j < SM_NB; j++) res[j] = _mm512_fmadd_ps(_mm512_set1_ps(1.0f), res[j], acc[j]);
      }
    }
    float tmp[SM_NB][16] __attribute__((aligned(64)));
#pragma GCC unroll 8
    for (int j = 0; j < SM_NB; j++) _mm512_store_ps(tmp[j], res[j]);
    for (int i = 0; i < m; i++)
      for (int j = 0; j < nb; j++) c[(long)i * ldc + n + j] = tmp[j][i];
  }
}
#endif

/* `at` holds K·16 floats, 64-byte aligned. */
static void small_m(float *c, long ldc, const float *a, long lda, const float *b, long ldb, int M, int n0, int n1, int K,
                    int kc, float beta, float *at) {
#if defined(__AVX512F__)
  if (M > 8) return small_m16(c, ldc, a, lda, b, ldb, M, n0, n1, K, kc, beta, at);
  small_m8(c, ldc, a, lda, b, ldb, M, n0, n1, K, kc, beta, at);
#elif defined(__AVX2__)
  /* rows of C are independent: 9..16 rows go as two passes of at most 8 */
  for (int i0 = 0; i0 < M; i0 += 8)
    small_m8(c + (long)i0 * ldc, ldc, a + (long)i0 * lda, lda, b, ldb, M - i0 < 8 ? M - i0 : 8, n0, n1, K, kc, beta, at);
#else
  pack_at(at, a, lda, M, K, 16);
  for (int n = n0; n < n1; n++) {
    const float *bn = b + (long)n * ldb;
    for (int i = 0; i < M; i++) {
      float r = 0;
      for (int p = 0; p < K; p += kc) {
        const int pe = K - p < kc ? K : p + kc;
        float acc = 0;
        for (int k = p; k < pe; k++) acc += at[(long)k * 16 + i] * bn[k];
        /* the packed kernel's store: acc + bet·c, bet = beta for block 0 and 1 after */
        const float bet = p == 0 ? beta : 1.0f, prev = p == 0 ? c[(long)i * ldc + n] : r;
        r = bet != 0 ? acc + bet * prev : acc;
      }
      c[(long)i * ldc + n] = r;
    }
  }
#endif
}

const rlhf_gemm_isa RLHF_FN(rlhf_gemm) = {MR, NR, KC, MC, NC, kernel, pack_a, pack_b, gemv_rows, gemv_cols, small_m};
