/* N-API glue of the broadcasting kernels (binary, where, copyStrided, sumInto): the shape and
 * strides become a simplified n-d box (glue_util.c), split along one dimension into tasks; each
 * innermost run goes to the current ISA's row loop. */
#include <stdlib.h>

#include "glue.h"

typedef struct {
  const rlhf_kernel_table *kt;
  int op;
  rlhf_box box;
  rlhf_row_fn row;
  int dim;
  int64_t per;
  float *out;
  const float *in[3];
  int64_t n2, sx; /* copyStrided of a transpose: length and x stride of the dropped last dimension */
} box_ctx;

static void binary_row(void *p, const int64_t *o, int64_t n) {
  box_ctx *c = p;
  const int in = c->box.nd - 1;
  c->kt->binary_row(c->op, c->out + o[0], c->in[0] + o[1], c->box.st[1][in], c->in[1] + o[2], c->box.st[2][in], n);
}

static void where_row(void *p, const int64_t *o, int64_t n) {
  box_ctx *c = p;
  const int in = c->box.nd - 1;
  c->kt->where_row(c->out + o[0], c->in[0] + o[1], c->box.st[1][in], c->in[1] + o[2], c->box.st[2][in], c->in[2] + o[3],
                   c->box.st[3][in], n);
}

static void copy_row(void *p, const int64_t *o, int64_t n) {
  box_ctx *c = p;
  c->kt->copy_row(c->out + o[0], c->in[0] + o[1], c->box.st[1][c->box.nd - 1], n);
}

/* a run of n output rows, each n2 long, of a transpose: x has stride 1 down the run, sx along rows */
static void transpose_row(void *p, const int64_t *o, int64_t n) {
  box_ctx *c = p;
  c->kt->transpose(c->out + o[0], c->n2, c->in[0] + o[1], c->sx, n, c->n2);
}

/* operand 0 is out (strided, accumulated), operand 1 is x (contiguous) */
static void sum_into_row(void *p, const int64_t *o, int64_t n) {
  box_ctx *c = p;
  const int64_t so = c->box.st[0][c->box.nd - 1];
  if (so == 0) c->out[o[0]] += c->kt->sum_row(c->in[0] + o[1], n);
  else c->kt->add_row(c->out + o[0], so, c->in[0] + o[1], n);
}

static void box_task(void *p, int t, int thread) {
  box_ctx *c = p;
  const int64_t lo = t * c->per, end = c->box.shape[c->dim];
  rlhf_box_rows(&c->box, c->dim, lo, lo + c->per < end ? lo + c->per : end, c->row, c);
}

/* Splits the box along dimension `dim` (or runs it as one task when dim < 0). */
static void run_box(box_ctx *c, int64_t total, int dim) {
  int64_t per_elems;
  int tasks = rlhf_split(total, 1, &per_elems);
  if (dim < 0 || tasks <= 1) {
    c->dim = 0;
    c->per = c->box.shape[0];
    rlhf_parallel_for(1, box_task, c);
    return;
  }
  const int64_t n = c->box.shape[dim];
  if (tasks > n) tasks = (int)n;
  c->dim = dim;
  c->per = (n + tasks - 1) / tasks;
  rlhf_parallel_for((int)((n + c->per - 1) / c->per), box_task, c);
}

/* Where to split an element-wise box: the outermost dimension long enough to give every task a
 * slice, else the longest. */
static int split_dim(const rlhf_box *b, int64_t total) {
  int64_t per;
  const int tasks = rlhf_split(total, 1, &per);
  int longest = 0;
  for (int d = 0; d < b->nd; d++) {
    if (b->shape[d] >= tasks) return d;
    if (b->shape[d] > b->shape[longest]) longest = d;
  }
  return longest;
}

/* binary(op, out, a, b, shape, aStrides, bStrides) */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t len[3];
  if (!rlhf_args_init(&a, env, info, "binary", 7)) return NULL;
  box_ctx c = {.kt = rlhf_kernels(), .op = (int)rlhf_arg_int(&a, 0)};
  c.out = rlhf_arg_f32(&a, 1, &len[0], 0);
  c.in[0] = rlhf_arg_f32(&a, 2, &len[1], 0);
  c.in[1] = rlhf_arg_f32(&a, 3, &len[2], 0);
  if (!rlhf_check(&a, c.op >= 0 && c.op < BIN_COUNT, "unknown BinaryOp")) return NULL;
  static const size_t strides[3] = {RLHF_CONTIGUOUS, 5, 6};
  static const char *const names[3] = {"out", "a", "b"};
  int64_t total = rlhf_box_read(&a, &c.box, 4, strides, len, names, 3);
  if (total <= 0) return total < 0 ? NULL : rlhf_undefined(env);
  rlhf_box_simplify(&c.box);
  c.row = binary_row;
  run_box(&c, total, split_dim(&c.box, total));
  return rlhf_undefined(env);
}

/* where(out, cond, a, b, shape, condStrides, aStrides, bStrides) */
static napi_value js_where(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t len[4];
  if (!rlhf_args_init(&a, env, info, "where", 8)) return NULL;
  box_ctx c = {.kt = rlhf_kernels()};
  c.out = rlhf_arg_f32(&a, 0, &len[0], 0);
  for (int k = 0; k < 3; k++) c.in[k] = rlhf_arg_f32(&a, 1 + (size_t)k, &len[1 + k], 0);
  static const size_t strides[4] = {RLHF_CONTIGUOUS, 5, 6, 7};
  static const char *const names[4] = {"out", "cond", "a", "b"};
  int64_t total = rlhf_box_read(&a, &c.box, 4, strides, len, names, 4);
  if (total <= 0) return total < 0 ? NULL : rlhf_undefined(env);
  rlhf_box_simplify(&c.box);
  c.row = where_row;
  run_box(&c, total, split_dim(&c.box, total));
  return rlhf_undefined(env);
}

/* copyStrided(out, x, shape, xStrides) */
static napi_value js_copy_strided(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t len[2];
  if (!rlhf_args_init(&a, env, info, "copyStrided", 4)) return NULL;
  box_ctx c = {.kt = rlhf_kernels()};
  c.out = rlhf_arg_f32(&a, 0, &len[0], 0);
  c.in[0] = rlhf_arg_f32(&a, 1, &len[1], 0);
  static const size_t strides[2] = {RLHF_CONTIGUOUS, 3};
  static const char *const names[2] = {"out", "x"};
  int64_t total = rlhf_box_read(&a, &c.box, 2, strides, len, names, 2);
  if (total <= 0) return total < 0 ? NULL : rlhf_undefined(env);
  rlhf_box_simplify(&c.box);
  const int nd = c.box.nd;
  c.row = copy_row;
  if (nd >= 2 && c.box.st[1][nd - 2] == 1 && c.box.st[1][nd - 1] > 1) {
    /* the last two dimensions swapped: tiled transposes over them, looping over the rest */
    c.n2 = c.box.shape[nd - 1];
    c.sx = c.box.st[1][nd - 1];
    c.box.nd--;
    c.row = transpose_row;
  }
  run_box(&c, total, split_dim(&c.box, total));
  return rlhf_undefined(env);
}

/* A dimension of sumInto's box that can be split among tasks without two tasks adding into the
 * same output: one with a nonzero out stride, provided the nonzero-stride dimensions never map
 * two indices to one element (each stride exceeds the span of the smaller ones). Within a task
 * every output element still receives its terms in index order, so the result equals the serial
 * loop's whatever the thread count. Returns the longest such dimension, or −1. */
static int sum_into_split_dim(const rlhf_box *b) {
  int order[RLHF_MAX_DIMS], n = 0, best = -1;
  for (int d = 0; d < b->nd; d++)
    if (b->st[0][d] != 0) order[n++] = d;
  for (int i = 1; i < n; i++) /* insertion sort by |stride| */
    for (int j = i; j > 0 && llabs(b->st[0][order[j]]) < llabs(b->st[0][order[j - 1]]); j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  int64_t span = 0;
  for (int i = 0; i < n; i++) {
    const int d = order[i];
    if (llabs(b->st[0][d]) <= span) return -1;
    span += (b->shape[d] - 1) * llabs(b->st[0][d]);
    if (best < 0 || b->shape[d] > b->shape[best] || (b->shape[d] == b->shape[best] && d < best)) best = d;
  }
  return best;
}

/* sumInto(out, x, shape, outStrides): accumulates */
static napi_value js_sum_into(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t len[2];
  if (!rlhf_args_init(&a, env, info, "sumInto", 4)) return NULL;
  box_ctx c = {.kt = rlhf_kernels()};
  c.out = rlhf_arg_f32(&a, 0, &len[0], 0);
  c.in[0] = rlhf_arg_f32(&a, 1, &len[1], 0);
  static const size_t strides[2] = {3, RLHF_CONTIGUOUS};
  static const char *const names[2] = {"out", "x"};
  int64_t total = rlhf_box_read(&a, &c.box, 2, strides, len, names, 2);
  if (total <= 0) return total < 0 ? NULL : rlhf_undefined(env);
  rlhf_box_simplify(&c.box);
  c.row = sum_into_row;
  run_box(&c, total, sum_into_split_dim(&c.box));
  return rlhf_undefined(env);
}

void rlhf_register_strided(napi_env env, napi_value exports) {
  rlhf_export(env, exports, "binary", js_binary);
  rlhf_export(env, exports, "where", js_where);
  rlhf_export(env, exports, "copyStrided", js_copy_strided);
  rlhf_export(env, exports, "sumInto", js_sum_into);
}
