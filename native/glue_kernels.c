/* N-API glue of the flat element-wise kernels and reductions: reads and checks the arguments,
 * cuts the work into tasks for the thread pool, and calls the current ISA's loops
 * (native/isa/kernels.c). Also registers the strided, row and attention kernels
 * (glue_strided.c, glue_rows.c, glue_attention.c). */
#include <stdlib.h>

#include "glue.h"

/* ---- flat element-wise kernels: tasks are contiguous chunks -------------------------------------- */

typedef struct {
  const rlhf_kernel_table *kt;
  int op;
  float *o0, *o1, *o2;
  const float *i0, *i1, *i2;
  int64_t n, per;
  float f[2];
  double hyper[7]; /* adamw: lr, beta1, beta2, eps, weight decay, bc1, bc2 */
} flat_ctx;

static int64_t chunk(const flat_ctx *c, int t, int64_t *lo) {
  *lo = t * c->per;
  return c->n - *lo < c->per ? c->n - *lo : c->per;
}

static void run_flat(flat_ctx *c, rlhf_task_fn fn) {
  int tasks = rlhf_split(c->n, 1, &c->per);
  rlhf_parallel_for(tasks, fn, c);
}

static void unary_task(void *p, int t, int thread) {
  flat_ctx *c = p;
  int64_t lo, n = chunk(c, t, &lo);
  c->kt->unary(c->op, c->o0 + lo, c->i0 + lo, n);
}

/* i0 (x) or i1 (y) is NULL when the op reads only the other */
static void unary_backward_task(void *p, int t, int thread) {
  flat_ctx *c = p;
  int64_t lo, n = chunk(c, t, &lo);
  c->kt->unary_backward(c->op, c->o0 + lo, c->i0 ? c->i0 + lo : NULL, c->i1 ? c->i1 + lo : NULL, c->i2 + lo, n);
}

static void affine_task(void *p, int t, int thread) {
  flat_ctx *c = p;
  int64_t lo, n = chunk(c, t, &lo);
  c->kt->affine(c->o0 + lo, c->i0 + lo, n, c->f[0], c->f[1]);
}

static void clamp_task(void *p, int t, int thread) {
  flat_ctx *c = p;
  int64_t lo, n = chunk(c, t, &lo);
  c->kt->clamp(c->o0 + lo, c->i0 + lo, n, c->f[0], c->f[1]);
}

static void clamp_backward_task(void *p, int t, int thread) {
  flat_ctx *c = p;
  int64_t lo, n = chunk(c, t, &lo);
  c->kt->clamp_backward(c->o0 + lo, c->i0 + lo, c->i1 + lo, n, c->f[0], c->f[1]);
}

static void axpy_task(void *p, int t, int thread) {
  flat_ctx *c = p;
  int64_t lo, n = chunk(c, t, &lo);
  c->kt->axpy(c->o0 + lo, c->i0 + lo, n, c->f[0]);
}

static void swiglu_forward_task(void *p, int t, int thread) {
  flat_ctx *c = p;
  int64_t lo, n = chunk(c, t, &lo);
  c->kt->swiglu_forward(c->o0 + lo, c->i0 + lo, c->i1 + lo, n);
}

static void swiglu_backward_task(void *p, int t, int thread) {
  flat_ctx *c = p;
  int64_t lo, n = chunk(c, t, &lo);
  c->kt->swiglu_backward(c->o0 + lo, c->o1 + lo, c->i0 + lo, c->i1 + lo, c->i2 + lo, n);
}

static void adamw_task(void *p, int t, int thread) {
  flat_ctx *c = p;
  int64_t lo, n = chunk(c, t, &lo);
  const double *hp = c->hyper;
  c->kt->adamw(c->o0 + lo, c->i0 + lo, c->o1 + lo, c->o2 + lo, n, hp[0], hp[1], hp[2], hp[3], hp[4], hp[5], hp[6]);
}

/* unary(op, out, x, n) */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t lo, lx;
  if (!rlhf_args_init(&a, env, info, "unary", 4)) return NULL;
  flat_ctx c = {.kt = rlhf_kernels(), .op = (int)rlhf_arg_int(&a, 0)};
  c.o0 = rlhf_arg_f32(&a, 1, &lo, 0);
  c.i0 = rlhf_arg_f32(&a, 2, &lx, 0);
  c.n = rlhf_size_arg(&a, 3, "n");
  if (!rlhf_check(&a, c.op >= 0 && c.op < UN_COUNT, "unknown UnaryOp") || !rlhf_need(&a, lo, c.n, "out") || !rlhf_need(&a, lx, c.n, "x"))
    return NULL;
  run_flat(&c, unary_task);
  return rlhf_undefined(env);
}

/* unaryBackward(op, dx, x, y, dy, n): exp, sigmoid, tanh and sqrt read y; the others read x. */
static napi_value js_unary_backward(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t ldx, lx, ly, ldy;
  if (!rlhf_args_init(&a, env, info, "unaryBackward", 6)) return NULL;
  flat_ctx c = {.kt = rlhf_kernels(), .op = (int)rlhf_arg_int(&a, 0)};
  c.o0 = rlhf_arg_f32(&a, 1, &ldx, 0);
  const float *x = rlhf_arg_f32(&a, 2, &lx, 0), *y = rlhf_arg_f32(&a, 3, &ly, 0);
  c.i2 = rlhf_arg_f32(&a, 4, &ldy, 0);
  c.n = rlhf_size_arg(&a, 5, "n");
  if (!rlhf_check(&a, c.op >= 0 && c.op < UN_COUNT, "unknown UnaryOp")) return NULL;
  const int uses_y = c.op == UN_EXP || c.op == UN_SIGMOID || c.op == UN_TANH || c.op == UN_SQRT;
  if (!rlhf_need(&a, ldx, c.n, "dx") || !rlhf_need(&a, ldy, c.n, "dy") || !rlhf_need(&a, uses_y ? ly : lx, c.n, uses_y ? "y" : "x"))
    return NULL;
  c.i0 = uses_y ? NULL : x;
  c.i1 = uses_y ? y : NULL;
  run_flat(&c, unary_backward_task);
  return rlhf_undefined(env);
}

/* affine(out, x, n, scale, shift) and clamp(out, x, n, lo, hi) */
static napi_value out_x_two_numbers(napi_env env, napi_callback_info info, const char *fn, rlhf_task_fn task) {
  rlhf_args a;
  size_t lo, lx;
  if (!rlhf_args_init(&a, env, info, fn, 5)) return NULL;
  flat_ctx c = {.kt = rlhf_kernels()};
  c.o0 = rlhf_arg_f32(&a, 0, &lo, 0);
  c.i0 = rlhf_arg_f32(&a, 1, &lx, 0);
  c.n = rlhf_size_arg(&a, 2, "n");
  c.f[0] = (float)rlhf_arg_num(&a, 3);
  c.f[1] = (float)rlhf_arg_num(&a, 4);
  if (!rlhf_need(&a, lo, c.n, "out") || !rlhf_need(&a, lx, c.n, "x")) return NULL;
  run_flat(&c, task);
  return rlhf_undefined(env);
}

static napi_value js_affine(napi_env env, napi_callback_info info) {
  return out_x_two_numbers(env, info, "affine", affine_task);
}

static napi_value js_clamp(napi_env env, napi_callback_info info) {
  return out_x_two_numbers(env, info, "clamp", clamp_task);
}

/* clampBackward(dx, x, dy, n, lo, hi) */
static napi_value js_clamp_backward(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t ldx, lx, ldy;
  if (!rlhf_args_init(&a, env, info, "clampBackward", 6)) return NULL;
  flat_ctx c = {.kt = rlhf_kernels()};
  c.o0 = rlhf_arg_f32(&a, 0, &ldx, 0);
  c.i0 = rlhf_arg_f32(&a, 1, &lx, 0);
  c.i1 = rlhf_arg_f32(&a, 2, &ldy, 0);
  c.n = rlhf_size_arg(&a, 3, "n");
  c.f[0] = (float)rlhf_arg_num(&a, 4);
  c.f[1] = (float)rlhf_arg_num(&a, 5);
  if (!rlhf_need(&a, ldx, c.n, "dx") || !rlhf_need(&a, lx, c.n, "x") || !rlhf_need(&a, ldy, c.n, "dy")) return NULL;
  run_flat(&c, clamp_backward_task);
  return rlhf_undefined(env);
}

/* axpy(y, x, n, alpha) */
static napi_value js_axpy(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t ly, lx;
  if (!rlhf_args_init(&a, env, info, "axpy", 4)) return NULL;
  flat_ctx c = {.kt = rlhf_kernels()};
  c.o0 = rlhf_arg_f32(&a, 0, &ly, 0);
  c.i0 = rlhf_arg_f32(&a, 1, &lx, 0);
  c.n = rlhf_size_arg(&a, 2, "n");
  c.f[0] = (float)rlhf_arg_num(&a, 3);
  if (!rlhf_need(&a, ly, c.n, "y") || !rlhf_need(&a, lx, c.n, "x")) return NULL;
  run_flat(&c, axpy_task);
  return rlhf_undefined(env);
}

/* swigluForward(out, gate, up, n) */
static napi_value js_swiglu_forward(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t lo, lg, lu;
  if (!rlhf_args_init(&a, env, info, "swigluForward", 4)) return NULL;
  flat_ctx c = {.kt = rlhf_kernels()};
  c.o0 = rlhf_arg_f32(&a, 0, &lo, 0);
  c.i0 = rlhf_arg_f32(&a, 1, &lg, 0);
  c.i1 = rlhf_arg_f32(&a, 2, &lu, 0);
  c.n = rlhf_size_arg(&a, 3, "n");
  if (!rlhf_need(&a, lo, c.n, "out") || !rlhf_need(&a, lg, c.n, "gate") || !rlhf_need(&a, lu, c.n, "up")) return NULL;
  run_flat(&c, swiglu_forward_task);
  return rlhf_undefined(env);
}

/* swigluBackward(dgate, dup, dout, gate, up, n) */
static napi_value js_swiglu_backward(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[5];
  if (!rlhf_args_init(&a, env, info, "swigluBackward", 6)) return NULL;
  flat_ctx c = {.kt = rlhf_kernels()};
  c.o0 = rlhf_arg_f32(&a, 0, &l[0], 0);
  c.o1 = rlhf_arg_f32(&a, 1, &l[1], 0);
  c.i0 = rlhf_arg_f32(&a, 2, &l[2], 0);
  c.i1 = rlhf_arg_f32(&a, 3, &l[3], 0);
  c.i2 = rlhf_arg_f32(&a, 4, &l[4], 0);
  c.n = rlhf_size_arg(&a, 5, "n");
  static const char *names[5] = {"dgate", "dup", "dout", "gate", "up"};
  for (int k = 0; k < 5; k++)
    if (!rlhf_need(&a, l[k], c.n, names[k])) return NULL;
  run_flat(&c, swiglu_backward_task);
  return rlhf_undefined(env);
}

/* adamw(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2) */
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[4];
  if (!rlhf_args_init(&a, env, info, "adamw", 12)) return NULL;
  flat_ctx c = {.kt = rlhf_kernels()};
  c.o0 = rlhf_arg_f32(&a, 0, &l[0], 0);
  c.i0 = rlhf_arg_f32(&a, 1, &l[1], 0);
  c.o1 = rlhf_arg_f32(&a, 2, &l[2], 0);
  c.o2 = rlhf_arg_f32(&a, 3, &l[3], 0);
  c.n = rlhf_size_arg(&a, 4, "n");
  for (int k = 0; k < 7; k++) c.hyper[k] = rlhf_arg_num(&a, 5 + (size_t)k);
  static const char *names[4] = {"p", "g", "m", "v"};
  for (int k = 0; k < 4; k++)
    if (!rlhf_need(&a, l[k], c.n, names[k])) return NULL;
  if (!rlhf_check(&a, c.hyper[5] != 0.0 && c.hyper[6] != 0.0, "bias corrections bc1, bc2 must be nonzero")) return NULL;
  run_flat(&c, adamw_task);
  return rlhf_undefined(env);
}

/* ---- flat reductions: fixed chunks, partials summed in chunk order (thread-count independent) ---- */

#define REDUCE_CHUNK 65536

typedef struct {
  const rlhf_kernel_table *kt;
  const float *x;
  int64_t n;
  double *sums;
  int64_t *counts;
} reduce_ctx;

static void sum_squares_task(void *p, int t, int thread) {
  reduce_ctx *c = p;
  int64_t lo = (int64_t)t * REDUCE_CHUNK, n = c->n - lo < REDUCE_CHUNK ? c->n - lo : REDUCE_CHUNK;
  c->sums[t] = c->kt->sum_squares(c->x + lo, n);
}

static void count_nonfinite_task(void *p, int t, int thread) {
  reduce_ctx *c = p;
  int64_t lo = (int64_t)t * REDUCE_CHUNK, n = c->n - lo < REDUCE_CHUNK ? c->n - lo : REDUCE_CHUNK;
  c->counts[t] = c->kt->count_nonfinite(c->x + lo, n);
}

/* sumSquares(x, n) and countNonFinite(x, n) */
static napi_value flat_reduce(napi_env env, napi_callback_info info, const char *fn, int squares) {
  rlhf_args a;
  size_t lx;
  if (!rlhf_args_init(&a, env, info, fn, 2)) return NULL;
  reduce_ctx c = {.kt = rlhf_kernels(), .x = rlhf_arg_f32(&a, 0, &lx, 0), .n = rlhf_size_arg(&a, 1, "n")};
  if (!rlhf_need(&a, lx, c.n, "x")) return NULL;
  const int tasks = (int)((c.n + REDUCE_CHUNK - 1) / REDUCE_CHUNK);
  double total = 0.0;
  if (squares) {
    c.sums = malloc(((size_t)tasks + 1) * sizeof *c.sums);
    if (!rlhf_check(&a, c.sums != NULL, "out of memory")) return NULL;
    rlhf_parallel_for(tasks, sum_squares_task, &c);
    for (int t = 0; t < tasks; t++) total += c.sums[t];
    free(c.sums);
  } else {
    c.counts = malloc(((size_t)tasks + 1) * sizeof *c.counts);
    if (!rlhf_check(&a, c.counts != NULL, "out of memory")) return NULL;
    rlhf_parallel_for(tasks, count_nonfinite_task, &c);
    for (int t = 0; t < tasks; t++) total += (double)c.counts[t];
    free(c.counts);
  }
  return rlhf_number(env, total);
}

static napi_value js_sum_squares(napi_env env, napi_callback_info info) { return flat_reduce(env, info, "sumSquares", 1); }

static napi_value js_count_nonfinite(napi_env env, napi_callback_info info) {
  return flat_reduce(env, info, "countNonFinite", 0);
}

void rlhf_register_kernels(napi_env env, napi_value exports) {
  rlhf_export(env, exports, "unary", js_unary);
  rlhf_export(env, exports, "unaryBackward", js_unary_backward);
  rlhf_export(env, exports, "affine", js_affine);
  rlhf_export(env, exports, "clamp", js_clamp);
  rlhf_export(env, exports, "clampBackward", js_clamp_backward);
  rlhf_export(env, exports, "axpy", js_axpy);
  rlhf_export(env, exports, "sumSquares", js_sum_squares);
  rlhf_export(env, exports, "countNonFinite", js_count_nonfinite);
  rlhf_export(env, exports, "swigluForward", js_swiglu_forward);
  rlhf_export(env, exports, "swigluBackward", js_swiglu_backward);
  rlhf_export(env, exports, "adamw", js_adamw);
  rlhf_register_strided(env, exports);
  rlhf_register_rows(env, exports);
  rlhf_register_attention(env, exports);
  rlhf_register_decoder(env, exports);
}
