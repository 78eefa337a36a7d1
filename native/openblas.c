/* OpenBLAS as a baseline for the GEMM benchmark, measured in the same process: loaded with dlopen
 * on first use, so it is never a build or run-time dependency. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "gemm.h"
#include "rlhf.h"

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
typedef void (*sgemm_fn)(int order, int ta, int tb, int M, int N, int K, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn sgemm;
static void (*set_threads)(int);
static char *(*get_corename)(void);
static int threads_set;

/* OpenBLAS 0.3.21 (Debian 12) does not recognise every newer CPU and then falls back to its
 * SSE3 kernels, 4× slower; like ../shared/anchors/torch_bench.py we name the best kernel
 * family for the instruction set in use unless the caller chose one. */
static void choose_coretype(void) {
  if (getenv("OPENBLAS_CORETYPE")) return;
  switch (rlhf_isa()) {
    case RLHF_ISA_AVX512: setenv("OPENBLAS_CORETYPE", "SkylakeX", 1); break;
    case RLHF_ISA_AVX2: setenv("OPENBLAS_CORETYPE", "Haswell", 1); break;
    default: break;
  }
}

static void load(void) {
  static const char *names[] = {"libopenblas.so.0", "libopenblasp-r0.so", "libopenblas.so",
                                "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"};
  choose_coretype();
  /* Read once when the library loads: same thread count as our pool, for a fair comparison. */
  char n[16];
  snprintf(n, sizeof n, "%d", rlhf_threads());
  setenv("OPENBLAS_NUM_THREADS", n, 1);
  for (size_t i = 0; i < sizeof names / sizeof names[0] && !sgemm; i++) {
    void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) continue;
    sgemm = (sgemm_fn)dlsym(h, "cblas_sgemm");
    set_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
    get_corename = (char *(*)(void))dlsym(h, "openblas_get_corename");
    if (!sgemm) dlclose(h);
  }
  threads_set = rlhf_threads();
}

int rlhf_openblas_sgemm(float *c, const float *a, const float *b, int M, int N, int K, int transA, int transB) {
  pthread_once(&once, load);
  if (!sgemm) return 0;
  if (set_threads && threads_set != rlhf_threads()) set_threads(threads_set = rlhf_threads());
  if (M == 0 || N == 0) return 1;
  /* BLAS rejects leading dimensions below 1, even for empty operands. */
  int lda = transA ? M : K, ldb = transB ? K : N;
  sgemm(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS, transB ? CBLAS_TRANS : CBLAS_NO_TRANS, M, N, K, 1.0f,
        a, lda > 0 ? lda : 1, b, ldb > 0 ? ldb : 1, 0.0f, c, N);
  return 1;
}

const char *rlhf_openblas_core(void) {
  pthread_once(&once, load);
  return sgemm && get_corename ? get_corename() : NULL;
}
