/* Float32 GEMM: the driver in native/gemm.c (blocking, packing order, threads) and the per-ISA
 * pieces in native/isa/gemm_micro.c (register-blocked micro-kernel, packing, matrix-vector). */
#ifndef RLHF_GEMM_H
#define RLHF_GEMM_H

#include <stddef.h>

/* C[p] = op(A[p]) · op(B[p]) + beta · C[p] for p < batch; see Kernels.gemm in src/engine/kernels.ts.
 * Row-major; op(A) is M×K (stored K×M when transA), op(B) is K×N (stored N×K when transB); batch
 * strides in elements, 0 repeats an operand; outputs that overlap (strideC < M·N) are computed
 * entry by entry, in order. beta == 0 never reads C. */
void rlhf_gemm(float *c, const float *a, const float *b, int batch, int M, int N, int K, int transA,
               int transB, float beta, long strideA, long strideB, long strideC);

/* Columns [n0, n1) of C (M×N) = A (M×K) · Bᵀ (B: N×K, a Linear weight) for M ≤ RLHF_SMALL_M, on
 * the calling thread: the slab rlhf_gemm's task would compute, with the same bits. The decoder
 * (native/decoder.c) splits its decode-sized projections into such slabs itself. */
void rlhf_gemm_rows_of_b(float *c, const float *a, const float *b, int M, int N, int K, int n0, int n1);

/* A Linear weight B (N×K) packed once for products with several rows, in the current ISA's panel
 * layout: rlhf_gemm_pack_b fills rlhf_gemm_packed_size(N, K) floats and returns the ISA it packed
 * for. rlhf_gemm_prepacked_cols then computes columns [n0, n1) of C = A·Bᵀ (A M×K row-major, C
 * with row stride ldc; n0 a multiple of RLHF_PACKED_COLS) on the calling thread without packing
 * B, bit for bit as rlhf_gemm does for M ≥ 2, while the ISA is the one packed for. */
#define RLHF_PACKED_COLS 32 /* a multiple of every ISA's register tile width */
size_t rlhf_gemm_packed_size(int N, int K);
int rlhf_gemm_pack_b(float *pb, const float *b, int N, int K);
void rlhf_gemm_prepacked_cols(float *c, long ldc, const float *a, const float *pb, int M, int N, int K, int n0, int n1);

/* One instruction set's building blocks. Operands are row-major with leading dimension ld; trans
 * says an operand is stored transposed (A as K×M, B as N×K). */
typedef struct {
  int mr, nr;     /* register tile: mr rows of C by nr columns (nr = a whole number of vectors) */
  int kc, mc, nc; /* cache blocks: a kc×nr panel of B stays in L1, an mc×kc block of A in L2 */
  /* c[m×n] = pa·pb + beta·c (beta 0: c not read) for a packed mr×kc panel pa (kc columns of mr)
   * and kc×nr panel pb (kc rows of nr); m ≤ mr and n ≤ nr select the part of the tile stored. */
  void (*kernel)(int kc, const float *pa, const float *pb, float *c, long ldc, int m, int n, float beta);
  /* Packs the m×k block of op(A) at a into ceil(m/mr) panels of k columns of mr, zero-padded to
   * mr rows; may write 8 floats past the last panel. */
  void (*pack_a)(float *pa, const float *a, long ld, int trans, int m, int k);
  /* Packs the k×n block of op(B) at b into ceil(n/nr) panels of k rows of nr, zero-padded to nr
   * columns; may write 8 floats past the last panel. */
  void (*pack_b)(float *pb, const float *b, long ld, int trans, int k, int n);
  /* y[r] = Σ_k w[r*ldw + k] · x[k] + beta·y[r] for r < rows: matrix-vector with contiguous rows. */
  void (*gemv_rows)(float *y, const float *w, long ldw, const float *x, int rows, int k, float beta);
  /* y[j] = Σ_k x[k] · w[k*ldw + j] + beta·y[j] for j < n: vector-matrix with contiguous columns. */
  void (*gemv_cols)(float *y, const float *w, long ldw, const float *x, int k, int n, float beta);
  /* c[i·ldc + n] = Σ_k a[i·lda + k] · b[n·ldb + k] + beta·c for i < M ≤ RLHF_SMALL_M and n in
   * [n0, n1), without packing B, equal bit for bit to the packed path with K blocks of kc; `at`
   * is scratch of K·16 floats, 64-byte aligned. */
  void (*small_m)(float *c, long ldc, const float *a, long lda, const float *b, long ldb, int M, int n0, int n1, int K,
                  int kc, float beta, float *at);
} rlhf_gemm_isa;

/* Up to this many rows of op(A), a product with a transposed B (a Linear weight) skips packing. */
#define RLHF_SMALL_M 16

extern const rlhf_gemm_isa rlhf_gemm_generic, rlhf_gemm_avx2, rlhf_gemm_avx512;

/* The OpenBLAS baseline (native/openblas.c), loaded with dlopen on first use and never linked:
 * cblas_sgemm on one row-major product; returns 0 when no OpenBLAS is installed. */
int rlhf_openblas_sgemm(float *c, const float *a, const float *b, int M, int N, int K, int transA, int transB);
/* The kernel family OpenBLAS runs (e.g. "SkylakeX"), or NULL when it is not installed. */
const char *rlhf_openblas_core(void);

#endif
