/* The GEMM driver, GotoBLAS/BLIS style: B is packed kc×nc at a time, A mc×kc at a time, into
 * per-thread buffers laid out as the micro-kernel reads them, and the kernel (native/isa/
 * gemm_micro.c, chosen by rlhf_isa()) sweeps the packed blocks tile by tile. Threads take whole
 * sub-problems (a batch entry, or a slab of rows or columns of one) with their own packing, so
 * they never wait on each other; the price is packing the shared operand once per thread, which
 * the split direction keeps to a few percent. Matrix-vector products, and products of a few rows
 * with a transposed B (decode's batched rows times a Linear weight), skip packing. */
#include "gemm.h"

#include <stdlib.h>

#include "rlhf.h"

/* Below this many multiply-adds a problem runs on the calling thread: waking the pool costs
 * more than the second core saves. */
#define SERIAL_MACS (96L * 96 * 96)

static const rlhf_gemm_isa *isa_impl(void) {
  switch (rlhf_isa()) {
    case RLHF_ISA_AVX512: return &rlhf_gemm_avx512;
    case RLHF_ISA_AVX2: return &rlhf_gemm_avx2;
    default: return &rlhf_gemm_generic;
  }
}

/* Packing buffers, one pair per thread (and so safe under nested or concurrent calls); they grow
 * to the largest blocks seen and live as long as the thread. */
static _Thread_local float *tls_buf;
static _Thread_local size_t tls_cap;

static float *scratch(size_t floats) {
  if (floats > tls_cap) {
    free(tls_buf);
    tls_cap = floats;
    tls_buf = aligned_alloc(64, (floats * sizeof(float) + 63) & ~(size_t)63);
  }
  return tls_buf;
}

static int ceil_div(int a, int b) { return (a + b - 1) / b; }
static int round_up(int a, int b) { return ceil_div(a, b) * b; }
static int min_int(int a, int b) { return a < b ? a : b; }

/* An operand op(X): row-major with leading dimension ld, stored transposed when trans. */
typedef struct {
  const float *p;
  long ld;
  int trans;
} view;

/* Address of op(X)[i][j]. */
static const float *at(view v, int i, int j) { return v.p + (v.trans ? (long)j * v.ld + i : (long)i * v.ld + j); }

/* c (m×n, row stride ldc) = a (m×k) · b (k×n) + beta · c, on the calling thread. */
static void gemm_blocked(const rlhf_gemm_isa *f, float *c, long ldc, view a, view b, int m, int n, int k, float beta) {
  /* Even blocks: K = 300 runs as 2×150, not 256 + 44, so no block starves the kernel. */
  int kc = ceil_div(k, ceil_div(k, f->kc));
  int mc = round_up(ceil_div(m, ceil_div(m, f->mc)), f->mr);
  int nc = min_int(round_up(n, f->nr), f->nc);
  /* 16 floats of slack after each buffer: the packing routines may overrun a panel by 8. */
  float *pb = scratch((size_t)kc * (nc + mc) + 32);
  float *pa = pb + (size_t)kc * nc + 16;
  for (int jc = 0; jc < n; jc += nc) {
    int nb = min_int(nc, n - jc);
    for (int pc = 0; pc < k; pc += kc) {
      int kb = min_int(kc, k - pc);
      f->pack_b(pb, at(b, pc, jc), b.ld, b.trans, kb, nb);
      float bet = pc == 0 ? beta : 1.0f; /* later K blocks accumulate onto the first */
      for (int ic = 0; ic < m; ic += mc) {
        int mb = min_int(mc, m - ic);
        f->pack_a(pa, at(a, ic, pc), a.ld, a.trans, mb, kb);
        for (int jr = 0; jr < nb; jr += f->nr)
          for (int ir = 0; ir < mb; ir += f->mr)
            f->kernel(kb, pa + (long)ir * kb, pb + (long)jr * kb, c + (long)(ic + ir) * ldc + jc + jr, ldc,
                      min_int(f->mr, mb - ir), min_int(f->nr, nb - jr), bet);
      }
    }
  }
}

typedef struct {
  const rlhf_gemm_isa *f;
  float *c;
  const float *a, *b;
  int M, N, K, transA, transB;
  float beta;
  long strideA, strideB, strideC;
  int splits, split_m, chunk; /* each batch entry is cut into `splits` slabs of `chunk` rows/cols */
} job;

/* Outputs [lo, hi) of y = op(W)·x + beta·y: with rows_contig each output is the dot product of
 * a contiguous row of W with x, else each x[k] scales a contiguous row of W. */
static void gemv_slab(const rlhf_gemm_isa *f, float *y, const float *w, long ldw, const float *x, int rows_contig,
                      int k, int lo, int hi, float beta) {
  if (lo >= hi) return;
  if (rows_contig) f->gemv_rows(y + lo, w + lo * ldw, ldw, x, hi - lo, k, beta);
  else f->gemv_cols(y + lo, w + lo, ldw, x, k, hi - lo, beta);
}

static void run_task(void *ctx, int task, int thread) {
  const job *j = ctx;
  int p = task / j->splits, s = task % j->splits;
  float *c = j->c + p * j->strideC;
  const float *a = j->a + p * j->strideA, *b = j->b + p * j->strideB;
  int M = j->M, N = j->N, K = j->K;
  int lo = s * j->chunk, hi = min_int((s + 1) * j->chunk, j->split_m ? M : N);
  if (lo >= hi) return;
  if (K == 0) { /* op(A)·op(B) is empty: C = beta·C, and beta 0 must not read C */
    for (int i = j->split_m ? lo : 0; i < (j->split_m ? hi : M); i++)
      for (int jj = j->split_m ? 0 : lo; jj < (j->split_m ? N : hi); jj++)
        c[(long)i * N + jj] = j->beta != 0 ? j->beta * c[(long)i * N + jj] : 0;
    return;
  }
  if (M == 1) /* y[N] = op(B)ᵀ-weighted sum of x = a[K]: transB stores the dot products as rows */
    return gemv_slab(j->f, c, b, j->transB ? K : N, a, j->transB, K, lo, hi, j->beta);
  if (N == 1) /* y[M] = op(A)·x with x = b[K]: plain A stores the dot products as rows */
    return gemv_slab(j->f, c, a, j->transA ? M : K, b, !j->transA, K, lo, hi, j->beta);
  if (M <= RLHF_SMALL_M && j->transB && !j->transA) { /* a few rows against a Linear weight: no packing */
    int kc = ceil_div(K, ceil_div(K, j->f->kc)); /* gemm_blocked's K blocks, so the sums agree */
    return j->f->small_m(c, N, a, K, b, K, M, lo, hi, K, kc, j->beta, scratch((size_t)K * 16 + 16));
  }
  view va = {a, j->transA ? M : K, j->transA}, vb = {b, j->transB ? K : N, j->transB};
  if (j->split_m) {
    va.p = at(va, lo, 0);
    gemm_blocked(j->f, c + (long)lo * N, N, va, vb, hi - lo, N, K, j->beta);
  } else {
    vb.p = at(vb, 0, lo);
    gemm_blocked(j->f, c + lo, N, va, vb, M, hi - lo, K, j->beta);
  }
}

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

void rlhf_gemm(float *c, const float *a, const float *b, int batch, int M, int N, int K, int transA, int transB,
               float beta, long strideA, long strideB, long strideC) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  if (batch > 1 && strideC < (long)M * N) {
    /* Outputs overlap (strideC 0 with beta 1 sums the batch into one C): entries in order, as
     * the reference computes them. */
    for (int p = 0; p < batch; p++)
      rlhf_gemm(c + p * strideC, a + p * strideA, b + p * strideB, 1, M, N, K, transA, transB, beta, 0, 0, 0);
    return;
  }
  const rlhf_gemm_isa *f = isa_impl();
  job j = {f, c, a, b, M, N, K, transA, transB, beta, strideA, strideB, strideC, 1, 1, M};
  int threads = (long)batch * M * N * (K > 0 ? K : 1) < SERIAL_MACS ? 1 : rlhf_threads();
  /* Cut each entry so that the task count is a multiple of the thread count. */
  int splits = threads / gcd(batch, threads);
  if (M == 1 || N == 1) { /* matrix-vector: slabs of the output vector, whole cache lines each */
    j.split_m = N == 1;
    j.chunk = round_up(ceil_div(j.split_m ? M : N, splits), 16);
  } else if (M <= RLHF_SMALL_M && transB && !transA) { /* slabs of B's rows, 8 at a time */
    j.split_m = 0;
    j.chunk = round_up(ceil_div(N, splits), 8);
  } else if (splits > 1) {
    /* Per-thread packing: slabs of rows repack all of B once, slabs of columns repack all of A
     * once per nc block of their columns. Pick the cheaper; the kernel work is the same. */
    double pack_m = (double)K * N + (double)M / splits * K * ceil_div(N, f->nc);
    double pack_n = (double)K * N / splits + (double)M * K * ceil_div(ceil_div(N, splits), f->nc);
    j.split_m = pack_m <= pack_n;
    j.chunk = j.split_m ? round_up(ceil_div(M, splits), f->mr) : round_up(ceil_div(N, splits), f->nr);
  }
  j.splits = ceil_div(j.split_m ? M : N, j.chunk);
  rlhf_parallel_for(batch * j.splits, run_task, &j);
}

void rlhf_gemm_rows_of_b(float *c, const float *a, const float *b, int M, int N, int K, int n0, int n1) {
  const rlhf_gemm_isa *f = isa_impl();
  if (n0 >= n1) return;
  if (M == 1) return gemv_slab(f, c, b, K, a, 1, K, n0, n1, 0.0f);
  int kc = ceil_div(K, ceil_div(K, f->kc));
  f->small_m(c, N, a, K, b, K, M, n0, n1, K, kc, 0.0f, scratch((size_t)K * 16 + 16));
}

/* ---- B packed once (inference weights) ---------------------------------------------------------
 * Layout: for each K block (gemm_blocked's even blocks of kc), every nr-wide panel of B's columns
 * as pack_b writes it (kb rows of nr), panels in order; so the block gemm_blocked would pack for
 * columns [jc, jc + nb) and K block pc is the contiguous run at pc·Npad + (jc / nr)·kb·nr. */
static int packed_npad(const rlhf_gemm_isa *f, int N) { return round_up(N, f->nr); }

size_t rlhf_gemm_packed_size(int N, int K) { return (size_t)packed_npad(isa_impl(), N) * K + 16; }

int rlhf_gemm_pack_b(float *pb, const float *b, int N, int K) {
  const rlhf_gemm_isa *f = isa_impl();
  const int npad = packed_npad(f, N), kc = ceil_div(K, ceil_div(K, f->kc));
  for (int pc = 0; pc < K; pc += kc) f->pack_b(pb + (long)pc * npad, b + pc, K, 1, min_int(kc, K - pc), N);
  return (int)rlhf_isa();
}

void rlhf_gemm_prepacked_cols(float *c, long ldc, const float *a, const float *pb, int M, int N, int K, int n0, int n1) {
  const rlhf_gemm_isa *f = isa_impl();
  if (M <= 0 || n0 >= n1) return;
  if (K == 0) {
    for (int i = 0; i < M; i++)
      for (int n = n0; n < n1; n++) c[(long)i * ldc + n] = 0.0f;
    return;
  }
  /* gemm_blocked's loops with B's blocks read from the packed copy: the same kernel calls on the
   * same values, so the same bits */
  const int npad = packed_npad(f, N), kc = ceil_div(K, ceil_div(K, f->kc));
  const int mc = round_up(ceil_div(M, ceil_div(M, f->mc)), f->mr);
  float *pa = scratch((size_t)kc * mc + 32);
  for (int jc = n0; jc < n1; jc += f->nc) {
    const int nb = min_int(f->nc, n1 - jc);
    for (int pc = 0; pc < K; pc += kc) {
      const int kb = min_int(kc, K - pc);
      const float *pbb = pb + (long)pc * npad + (long)(jc / f->nr) * kb * f->nr;
      const float bet = pc == 0 ? 0.0f : 1.0f;
      for (int ic = 0; ic < M; ic += mc) {
        const int mb = min_int(mc, M - ic);
        f->pack_a(pa, a + (long)ic * K + pc, K, 0, mb, kb);
        for (int jr = 0; jr < nb; jr += f->nr)
          for (int ir = 0; ir < mb; ir += f->mr)
            f->kernel(kb, pa + (long)ir * kb, pbb + (long)jr * kb, c + (long)(ic + ir) * ldc + jc + jr, ldc,
                      min_int(f->mr, mb - ir), min_int(f->nr, nb - jr), bet);
      }
    }
  }
}
