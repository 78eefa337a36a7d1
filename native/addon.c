/* N-API entry point: argument helpers shared by the glue files, the thread/ISA controls, and the
 * registration of the GEMM and kernel functions (native/glue_*.c). */
#include <stdio.h>
#include <string.h>

#include "napi_util.h"
#include "rlhf.h"

int rlhf_args_init(rlhf_args *a, napi_env env, napi_callback_info info, const char *fn, size_t expected) {
  a->env = env;
  a->fn = fn;
  a->failed = 0;
  a->argc = RLHF_MAX_ARGS;
  napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL);
  if (a->argc < expected) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: expected %zu arguments, got %zu", fn, expected, a->argc);
    napi_throw_type_error(env, NULL, msg);
    a->failed = 1;
    return 0;
  }
  return 1;
}

static void *typed_arg(rlhf_args *a, size_t i, size_t *len, int nullable, napi_typedarray_type want, const char *what) {
  if (a->failed) return NULL;
  napi_valuetype vt;
  napi_typeof(a->env, a->argv[i], &vt);
  if (nullable && (vt == napi_null || vt == napi_undefined)) {
    if (len) *len = 0;
    return NULL;
  }
  bool is_ta = false;
  napi_is_typedarray(a->env, a->argv[i], &is_ta);
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (is_ta) napi_get_typedarray_info(a->env, a->argv[i], &type, &length, &data, NULL, NULL);
  if (!is_ta || type != want) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: argument %zu must be a %s", a->fn, i, what);
    napi_throw_type_error(a->env, NULL, msg);
    a->failed = 1;
    return NULL;
  }
  if (len) *len = length;
  /* An empty view may have no storage at all (NULL); callers read NULL as a failed argument, so
   * hand them a valid pointer that is never dereferenced. */
  static double empty_storage[1];
  return data ? data : (void *)empty_storage;
}

float *rlhf_arg_f32(rlhf_args *a, size_t i, size_t *len, int nullable) {
  return (float *)typed_arg(a, i, len, nullable, napi_float32_array, "Float32Array");
}

int32_t *rlhf_arg_i32(rlhf_args *a, size_t i, size_t *len, int nullable) {
  return (int32_t *)typed_arg(a, i, len, nullable, napi_int32_array, "Int32Array");
}

int8_t *rlhf_arg_i8(rlhf_args *a, size_t i, size_t *len, int nullable) {
  return (int8_t *)typed_arg(a, i, len, nullable, napi_int8_array, "Int8Array");
}

uint16_t *rlhf_arg_u16(rlhf_args *a, size_t i, size_t *len, int nullable) {
  return (uint16_t *)typed_arg(a, i, len, nullable, napi_uint16_array, "Uint16Array");
}

double rlhf_arg_num(rlhf_args *a, size_t i) {
  double v = 0;
  if (a->failed) return 0;
  if (napi_get_value_double(a->env, a->argv[i], &v) != napi_ok) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: argument %zu must be a number", a->fn, i);
    napi_throw_type_error(a->env, NULL, msg);
    a->failed = 1;
  }
  return v;
}

int64_t rlhf_arg_int(rlhf_args *a, size_t i) { return (int64_t)rlhf_arg_num(a, i); }

int rlhf_arg_bool(rlhf_args *a, size_t i) {
  bool b = false;
  if (a->failed) return 0;
  napi_valuetype vt;
  napi_typeof(a->env, a->argv[i], &vt);
  if (vt == napi_boolean) napi_get_value_bool(a->env, a->argv[i], &b);
  else return rlhf_arg_num(a, i) != 0;
  return b;
}

int rlhf_check(rlhf_args *a, int cond, const char *msg) {
  if (a->failed) return 0;
  if (!cond) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s: %s", a->fn, msg);
    napi_throw_range_error(a->env, NULL, buf);
    a->failed = 1;
  }
  return cond;
}

napi_value rlhf_undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

napi_value rlhf_number(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

void rlhf_export(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

/* info() -> { isa, threads, extensions } (extensions: the AVX-512 ones in use, e.g. "vnni,bf16") */
static napi_value js_info(napi_env env, napi_callback_info info) {
  napi_value obj, isa;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, rlhf_isa_name(rlhf_isa()), NAPI_AUTO_LENGTH, &isa);
  napi_set_named_property(env, obj, "isa", isa);
  napi_set_named_property(env, obj, "threads", rlhf_number(env, rlhf_threads()));
  napi_value ext;
  const int e = rlhf_isa() == RLHF_ISA_AVX512 ? rlhf_isa_ext() : 0;
  const char *names = e == (RLHF_EXT_VNNI | RLHF_EXT_BF16) ? "vnni,bf16" : e == RLHF_EXT_VNNI ? "vnni" : e == RLHF_EXT_BF16 ? "bf16" : "";
  napi_create_string_utf8(env, names, NAPI_AUTO_LENGTH, &ext);
  napi_set_named_property(env, obj, "extensions", ext);
  return obj;
}

/* setThreads(n) */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  rlhf_args a;
  if (!rlhf_args_init(&a, env, info, "setThreads", 1)) return NULL;
  int n = (int)rlhf_arg_int(&a, 0);
  if (!rlhf_check(&a, n >= 1, "thread count must be >= 1")) return NULL;
  rlhf_set_threads(n);
  return rlhf_undefined(env);
}

/* setIsa(name) -> boolean: whether the CPU supports it (the choice changes only then). */
static napi_value js_set_isa(napi_env env, napi_callback_info info) {
  rlhf_args a;
  if (!rlhf_args_init(&a, env, info, "setIsa", 1)) return NULL;
  char name[32] = {0};
  size_t n = 0;
  napi_get_value_string_utf8(env, a.argv[0], name, sizeof name, &n);
  rlhf_isa_t isa = strcmp(name, "avx512") == 0 ? RLHF_ISA_AVX512 : strcmp(name, "avx2") == 0 ? RLHF_ISA_AVX2 : RLHF_ISA_GENERIC;
  if (!rlhf_check(&a, strcmp(name, "avx512") == 0 || strcmp(name, "avx2") == 0 || strcmp(name, "generic") == 0,
                  "ISA must be generic, avx2 or avx512"))
    return NULL;
  napi_value ok;
  napi_get_boolean(env, rlhf_set_isa(isa), &ok);
  return ok;
}

/* setIsaExtensions(on): whether the AVX-512 kernels may use VNNI and BF16 (when the CPU has them). */
static napi_value js_set_isa_extensions(napi_env env, napi_callback_info info) {
  rlhf_args a;
  if (!rlhf_args_init(&a, env, info, "setIsaExtensions", 1)) return NULL;
  rlhf_set_isa_ext(rlhf_arg_bool(&a, 0) ? RLHF_EXT_VNNI | RLHF_EXT_BF16 : 0);
  return rlhf_undefined(env);
}

static napi_value init(napi_env env, napi_value exports) {
  rlhf_export(env, exports, "info", js_info);
  rlhf_export(env, exports, "setThreads", js_set_threads);
  rlhf_export(env, exports, "setIsa", js_set_isa);
  rlhf_export(env, exports, "setIsaExtensions", js_set_isa_extensions);
  rlhf_register_gemm(env, exports);
  rlhf_register_kernels(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
