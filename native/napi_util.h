/* Argument helpers for the N-API glue files: each reads one JS argument or throws a TypeError
 * naming the function and argument, so a wrong call fails loudly instead of reading garbage. */
#ifndef RLHF_NAPI_UTIL_H
#define RLHF_NAPI_UTIL_H

#include <node_api.h>
#include <stdint.h>

#define RLHF_MAX_ARGS 24

typedef struct {
  napi_env env;
  const char *fn;
  size_t argc;
  napi_value argv[RLHF_MAX_ARGS];
  int failed;
} rlhf_args;

/* Reads the call's arguments; fails if fewer than `expected` were passed. */
int rlhf_args_init(rlhf_args *a, napi_env env, napi_callback_info info, const char *fn, size_t expected);
/* Typed-array views: return the data pointer (the view's own storage, offset applied) and its
 * length in elements; `nullable` accepts null/undefined and returns NULL. */
float *rlhf_arg_f32(rlhf_args *a, size_t i, size_t *len, int nullable);
int32_t *rlhf_arg_i32(rlhf_args *a, size_t i, size_t *len, int nullable);
int8_t *rlhf_arg_i8(rlhf_args *a, size_t i, size_t *len, int nullable);
uint16_t *rlhf_arg_u16(rlhf_args *a, size_t i, size_t *len, int nullable);
double rlhf_arg_num(rlhf_args *a, size_t i);
int64_t rlhf_arg_int(rlhf_args *a, size_t i);
int rlhf_arg_bool(rlhf_args *a, size_t i);
/* Throws `msg` (prefixed with the function name) unless `cond`; returns cond. */
int rlhf_check(rlhf_args *a, int cond, const char *msg);

napi_value rlhf_undefined(napi_env env);
napi_value rlhf_number(napi_env env, double v);
void rlhf_export(napi_env env, napi_value exports, const char *name, napi_callback cb);

/* Registration hooks, one per glue file. */
void rlhf_register_gemm(napi_env env, napi_value exports);
void rlhf_register_kernels(napi_env env, napi_value exports);

#endif
