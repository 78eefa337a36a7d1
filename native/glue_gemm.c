/* N-API glue for the GEMM (native/gemm.c) and its OpenBLAS baseline (native/openblas.c): reads
 * and checks the arguments, so the C side can trust every index it computes. */
#include <stdio.h>

#include "gemm.h"
#include "napi_util.h"

/* A dimension or stride: a whole number in [0, 2^31). Messages are formatted only on failure:
 * this runs on every call, and tiny products take about a microsecond in all. */
static int64_t arg_dim(rlhf_args *a, size_t i, const char *name) {
  double v = rlhf_arg_num(a, i);
  if (!a->failed && !(v >= 0 && v < 2147483648.0 && v == (double)(int64_t)v)) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be an integer in [0, 2^31), got %g", name, v);
    rlhf_check(a, 0, msg);
  }
  return a->failed ? 0 : (int64_t)v;
}

/* Whether a typed array of `have` elements holds `batch` matrices of `elems`, `stride` apart. */
static int check_len(rlhf_args *a, const char *name, size_t have, int64_t batch, int64_t stride, int64_t elems) {
  if (a->failed || batch == 0 || elems == 0) return !a->failed;
  int64_t need = (batch - 1) * stride + elems;
  if ((int64_t)have >= need) return 1;
  char msg[160];
  snprintf(msg, sizeof msg, "%s has %zu elements, needs %lld for batch %lld with stride %lld", name, have,
           (long long)need, (long long)batch, (long long)stride);
  return rlhf_check(a, 0, msg);
}

/* gemm(c, a, b, batch, M, N, K, transA, transB, beta, strideA, strideB, strideC) */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  rlhf_args a;
  if (!rlhf_args_init(&a, env, info, "gemm", 13)) return NULL;
  size_t lc = 0, la = 0, lb = 0;
  float *c = rlhf_arg_f32(&a, 0, &lc, 0);
  const float *pa = rlhf_arg_f32(&a, 1, &la, 0), *pb = rlhf_arg_f32(&a, 2, &lb, 0);
  int64_t batch = arg_dim(&a, 3, "batch"), M = arg_dim(&a, 4, "M"), N = arg_dim(&a, 5, "N"), K = arg_dim(&a, 6, "K");
  int transA = rlhf_arg_bool(&a, 7), transB = rlhf_arg_bool(&a, 8);
  double beta = rlhf_arg_num(&a, 9);
  int64_t sa = arg_dim(&a, 10, "strideA"), sb = arg_dim(&a, 11, "strideB"), sc = arg_dim(&a, 12, "strideC");
  if (M == 0 || N == 0) batch = 0; /* nothing to write, nothing to read */
  check_len(&a, "a", la, batch, sa, M * K);
  check_len(&a, "b", lb, batch, sb, K * N);
  check_len(&a, "c", lc, batch, sc, M * N);
  if (a.failed) return NULL;
  rlhf_gemm(c, pa, pb, (int)batch, (int)M, (int)N, (int)K, transA, transB, (float)beta, sa, sb, sc);
  return rlhf_undefined(env);
}

/* openblasSgemm(c, a, b, M, N, K, transA, transB) -> false when OpenBLAS is not installed. */
static napi_value js_openblas_sgemm(napi_env env, napi_callback_info info) {
  rlhf_args a;
  if (!rlhf_args_init(&a, env, info, "openblasSgemm", 8)) return NULL;
  size_t lc = 0, la = 0, lb = 0;
  float *c = rlhf_arg_f32(&a, 0, &lc, 0);
  const float *pa = rlhf_arg_f32(&a, 1, &la, 0), *pb = rlhf_arg_f32(&a, 2, &lb, 0);
  int64_t M = arg_dim(&a, 3, "M"), N = arg_dim(&a, 4, "N"), K = arg_dim(&a, 5, "K");
  int transA = rlhf_arg_bool(&a, 6), transB = rlhf_arg_bool(&a, 7);
  check_len(&a, "a", la, 1, 0, M * K);
  check_len(&a, "b", lb, 1, 0, K * N);
  check_len(&a, "c", lc, 1, 0, M * N);
  if (a.failed) return NULL;
  napi_value ok;
  napi_get_boolean(env, rlhf_openblas_sgemm(c, pa, pb, (int)M, (int)N, (int)K, transA, transB), &ok);
  return ok;
}

/* openblasCore() -> the kernel family OpenBLAS runs ("SkylakeX", "Haswell", ...) or null. */
static napi_value js_openblas_core(napi_env env, napi_callback_info info) {
  const char *core = rlhf_openblas_core();
  napi_value v;
  if (core) napi_create_string_utf8(env, core, NAPI_AUTO_LENGTH, &v);
  else napi_get_null(env, &v);
  return v;
}

void rlhf_register_gemm(napi_env env, napi_value exports) {
  rlhf_export(env, exports, "gemm", js_gemm);
  rlhf_export(env, exports, "openblasSgemm", js_openblas_sgemm);
  rlhf_export(env, exports, "openblasCore", js_openblas_core);
}
