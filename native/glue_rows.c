/* N-API glue of the row kernels: softmax family, cross-entropy, RMSNorm, LayerNorm, rotary
 * embedding and embedding lookup. Rows are split among tasks; the weight gradients of the norms
 * are summed per fixed chunk of rows and the chunks added in order, and embeddingBackward gives
 * each task its own slice of the table, so no result depends on the thread count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

typedef struct {
  const rlhf_kernel_table *kt;
  float *o[3];
  const float *in[5];
  const int32_t *ids;
  int64_t rows, n, per;
  int64_t H, D;
  float eps;
  int32_t ignore;
  int inverse;
  float *partial; /* norm backward: per-task dw (and db) sums, task-major */
} row_ctx;

static int64_t row_end(const row_ctx *c, int t) { return (t + 1) * c->per < c->rows ? (t + 1) * c->per : c->rows; }

static void run_rows(row_ctx *c, rlhf_task_fn fn) {
  int tasks = rlhf_split(c->rows, c->n, &c->per);
  rlhf_parallel_for(tasks, fn, c);
}

/* ---- softmax family ------------------------------------------------------------------------------ */

static void softmax_task(void *p, int t, int thread) {
  row_ctx *c = p;
  for (int64_t r = t * c->per; r < row_end(c, t); r++) c->kt->softmax_row(c->o[0] + r * c->n, c->in[0] + r * c->n, c->n);
}

static void log_softmax_task(void *p, int t, int thread) {
  row_ctx *c = p;
  for (int64_t r = t * c->per; r < row_end(c, t); r++)
    c->kt->log_softmax_row(c->o[0] + r * c->n, c->in[0] + r * c->n, c->n);
}

static void softmax_backward_task(void *p, int t, int thread) {
  row_ctx *c = p;
  for (int64_t r = t * c->per; r < row_end(c, t); r++)
    c->kt->softmax_backward_row(c->o[0] + r * c->n, c->in[0] + r * c->n, c->in[1] + r * c->n, c->n);
}

static void log_softmax_backward_task(void *p, int t, int thread) {
  row_ctx *c = p;
  for (int64_t r = t * c->per; r < row_end(c, t); r++)
    c->kt->log_softmax_backward_row(c->o[0] + r * c->n, c->in[0] + r * c->n, c->in[1] + r * c->n, c->n);
}

/* softmax(out, x, rows, n), logSoftmax(...), and the backwards (dx, y, dy, rows, n) */
static napi_value softmax_family(napi_env env, napi_callback_info info, const char *fn, int backward, rlhf_task_fn task) {
  rlhf_args a;
  size_t l[3] = {0};
  const size_t nargs = backward ? 5 : 4;
  if (!rlhf_args_init(&a, env, info, fn, nargs)) return NULL;
  row_ctx c = {.kt = rlhf_kernels()};
  c.o[0] = rlhf_arg_f32(&a, 0, &l[0], 0);
  c.in[0] = rlhf_arg_f32(&a, 1, &l[1], 0);
  if (backward) c.in[1] = rlhf_arg_f32(&a, 2, &l[2], 0);
  c.rows = rlhf_size_arg(&a, nargs - 2, "rows");
  c.n = rlhf_size_arg(&a, nargs - 1, "n");
  const int64_t total = c.rows * c.n;
  if (!rlhf_need(&a, l[0], total, backward ? "dx" : "out") || !rlhf_need(&a, l[1], total, backward ? "y" : "x") ||
      (backward && !rlhf_need(&a, l[2], total, "dy")))
    return NULL;
  if (c.n > 0) run_rows(&c, task);
  return rlhf_undefined(env);
}

static napi_value js_softmax(napi_env env, napi_callback_info info) {
  return softmax_family(env, info, "softmax", 0, softmax_task);
}
static napi_value js_softmax_backward(napi_env env, napi_callback_info info) {
  return softmax_family(env, info, "softmaxBackward", 1, softmax_backward_task);
}
static napi_value js_log_softmax(napi_env env, napi_callback_info info) {
  return softmax_family(env, info, "logSoftmax", 0, log_softmax_task);
}
static napi_value js_log_softmax_backward(napi_env env, napi_callback_info info) {
  return softmax_family(env, info, "logSoftmaxBackward", 1, log_softmax_backward_task);
}

/* ---- cross-entropy -------------------------------------------------------------------------------- */

/* Throws on the first target outside [0, V) that is not ignoreIndex. */
static int check_targets(rlhf_args *a, const int32_t *t, int64_t rows, int64_t V, int32_t ignore) {
  for (int64_t r = 0; r < rows; r++) {
    if (t[r] == ignore || (t[r] >= 0 && t[r] < V)) continue;
    char msg[160];
    snprintf(msg, sizeof msg, "target %d at row %lld is outside [0, %lld) and not ignoreIndex %d", t[r], (long long)r,
             (long long)V, ignore);
    return rlhf_check(a, 0, msg);
  }
  return 1;
}

static void ce_forward_task(void *p, int t, int thread) {
  row_ctx *c = p;
  for (int64_t r = t * c->per; r < row_end(c, t); r++) {
    const float *x = c->in[0] + r * c->n;
    const float lse = c->kt->logsumexp_row(x, c->n);
    c->o[1][r] = lse;
    c->o[0][r] = c->ids[r] == c->ignore ? 0.0f : lse - x[c->ids[r]];
  }
}

/* crossEntropyForward(loss, lse, logits, targets, rows, V, ignoreIndex) */
static napi_value js_ce_forward(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[4];
  if (!rlhf_args_init(&a, env, info, "crossEntropyForward", 7)) return NULL;
  row_ctx c = {.kt = rlhf_kernels()};
  c.o[0] = rlhf_arg_f32(&a, 0, &l[0], 0);
  c.o[1] = rlhf_arg_f32(&a, 1, &l[1], 0);
  c.in[0] = rlhf_arg_f32(&a, 2, &l[2], 0);
  c.ids = rlhf_arg_i32(&a, 3, &l[3], 0);
  c.rows = rlhf_size_arg(&a, 4, "rows");
  c.n = rlhf_size_arg(&a, 5, "V");
  c.ignore = (int32_t)rlhf_arg_int(&a, 6);
  if (!rlhf_need(&a, l[0], c.rows, "loss") || !rlhf_need(&a, l[1], c.rows, "lse") || !rlhf_need(&a, l[2], c.rows * c.n, "logits") ||
      !rlhf_need(&a, l[3], c.rows, "targets") || !check_targets(&a, c.ids, c.rows, c.n, c.ignore))
    return NULL;
  run_rows(&c, ce_forward_task);
  return rlhf_undefined(env);
}

static void ce_backward_task(void *p, int t, int thread) {
  row_ctx *c = p;
  for (int64_t r = t * c->per; r < row_end(c, t); r++) {
    float *dl = c->o[0] + r * c->n;
    if (c->ids[r] == c->ignore) memset(dl, 0, (size_t)c->n * sizeof *dl);
    else c->kt->ce_backward_row(dl, c->in[0] + r * c->n, c->in[1][r], c->ids[r], c->in[2][r], c->n);
  }
}

/* crossEntropyBackward(dlogits, logits, lse, targets, rowScale, rows, V, ignoreIndex) */
static napi_value js_ce_backward(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[5];
  if (!rlhf_args_init(&a, env, info, "crossEntropyBackward", 8)) return NULL;
  row_ctx c = {.kt = rlhf_kernels()};
  c.o[0] = rlhf_arg_f32(&a, 0, &l[0], 0);
  c.in[0] = rlhf_arg_f32(&a, 1, &l[1], 0);
  c.in[1] = rlhf_arg_f32(&a, 2, &l[2], 0);
  c.ids = rlhf_arg_i32(&a, 3, &l[3], 0);
  c.in[2] = rlhf_arg_f32(&a, 4, &l[4], 0);
  c.rows = rlhf_size_arg(&a, 5, "rows");
  c.n = rlhf_size_arg(&a, 6, "V");
  c.ignore = (int32_t)rlhf_arg_int(&a, 7);
  if (!rlhf_need(&a, l[0], c.rows * c.n, "dlogits") || !rlhf_need(&a, l[1], c.rows * c.n, "logits") || !rlhf_need(&a, l[2], c.rows, "lse") ||
      !rlhf_need(&a, l[3], c.rows, "targets") || !rlhf_need(&a, l[4], c.rows, "rowScale") ||
      !check_targets(&a, c.ids, c.rows, c.n, c.ignore))
    return NULL;
  run_rows(&c, ce_backward_task);
  return rlhf_undefined(env);
}

/* ---- RMSNorm and LayerNorm ------------------------------------------------------------------------ */

static void rmsnorm_forward_task(void *p, int t, int thread) {
  row_ctx *c = p;
  for (int64_t r = t * c->per; r < row_end(c, t); r++)
    c->o[1][r] = c->kt->rmsnorm_forward_row(c->o[0] + r * c->n, c->in[0] + r * c->n, c->in[1], c->n, c->eps);
}

static void layernorm_forward_task(void *p, int t, int thread) {
  row_ctx *c = p;
  for (int64_t r = t * c->per; r < row_end(c, t); r++)
    c->kt->layernorm_forward_row(c->o[0] + r * c->n, &c->o[1][r], &c->o[2][r], c->in[0] + r * c->n, c->in[1], c->in[2], c->n,
                                 c->eps);
}

/* rmsnormForward(y, rstd, x, w, rows, C, eps) and layernormForward(y, mean, rstd, x, w, b, rows, C, eps) */
static napi_value norm_forward(napi_env env, napi_callback_info info, const char *fn, int layer) {
  rlhf_args a;
  size_t l[6];
  const size_t nout = layer ? 3 : 2, nin = layer ? 3 : 2;
  if (!rlhf_args_init(&a, env, info, fn, nout + nin + 3)) return NULL;
  row_ctx c = {.kt = rlhf_kernels()};
  for (size_t k = 0; k < nout; k++) c.o[k] = rlhf_arg_f32(&a, k, &l[k], 0);
  for (size_t k = 0; k < nin; k++) c.in[k] = rlhf_arg_f32(&a, nout + k, &l[nout + k], 0);
  c.rows = rlhf_size_arg(&a, nout + nin, "rows");
  c.n = rlhf_size_arg(&a, nout + nin + 1, "C");
  c.eps = (float)rlhf_arg_num(&a, nout + nin + 2);
  static const char *const names[2][6] = {{"y", "rstd", "x", "w"}, {"y", "mean", "rstd", "x", "w", "b"}};
  const int64_t sizes[2][6] = {{c.rows * c.n, c.rows, c.rows * c.n, c.n}, {c.rows * c.n, c.rows, c.rows, c.rows * c.n, c.n, c.n}};
  for (size_t k = 0; k < nout + nin; k++)
    if (!rlhf_need(&a, l[k], sizes[layer][k], names[layer][k])) return NULL;
  if (!rlhf_check(&a, c.n > 0 || c.rows == 0, "C must be > 0")) return NULL;
  run_rows(&c, layer ? layernorm_forward_task : rmsnorm_forward_task);
  return rlhf_undefined(env);
}

static napi_value js_rmsnorm_forward(napi_env env, napi_callback_info info) {
  return norm_forward(env, info, "rmsnormForward", 0);
}
static napi_value js_layernorm_forward(napi_env env, napi_callback_info info) {
  return norm_forward(env, info, "layernormForward", 1);
}

/* Rows per chunk of the norm backward: a function of (rows, C) only, never of the thread count,
 * so the chunked sums of dw and db are the same on every machine. */
static int64_t norm_chunk_rows(int64_t rows, int64_t C) {
  int64_t by_count = (rows + 63) / 64, by_size = (RLHF_MIN_TASK + C - 1) / C;
  return by_count > by_size ? by_count : by_size;
}

static void rmsnorm_backward_task(void *p, int t, int thread) {
  row_ctx *c = p;
  float *dw = c->partial + t * c->n;
  for (int64_t r = t * c->per; r < row_end(c, t); r++)
    c->kt->rmsnorm_backward_row(c->o[0] + r * c->n, dw, c->in[0] + r * c->n, c->in[1] + r * c->n, c->in[2], c->in[3][r], c->n);
}

static void layernorm_backward_task(void *p, int t, int thread) {
  row_ctx *c = p;
  float *dw = c->partial + 2 * t * c->n, *db = dw + c->n;
  for (int64_t r = t * c->per; r < row_end(c, t); r++)
    c->kt->layernorm_backward_row(c->o[0] + r * c->n, dw, db, c->in[0] + r * c->n, c->in[1] + r * c->n, c->in[2],
                                  c->in[3][r], c->in[4][r], c->n);
}

/* dw[j] (and db[j]) = Σ over chunks in order; a task is a range of columns */
typedef struct {
  const float *partial;
  float *dst[2];
  int64_t chunks, C, per, nvec;
} reduce_cols_ctx;

static void reduce_cols_task(void *p, int t, int thread) {
  reduce_cols_ctx *c = p;
  const int64_t lo = t * c->per, hi = lo + c->per < c->C ? lo + c->per : c->C;
  for (int64_t v = 0; v < c->nvec; v++) {
    float *dst = c->dst[v];
    for (int64_t j = lo; j < hi; j++) dst[j] = 0.0f;
    for (int64_t k = 0; k < c->chunks; k++) {
      const float *src = c->partial + (k * c->nvec + v) * c->C;
      for (int64_t j = lo; j < hi; j++) dst[j] += src[j];
    }
  }
}

/* rmsnormBackward(dx, dw, dy, x, w, rstd, rows, C) and
 * layernormBackward(dx, dw, db, dy, x, w, mean, rstd, rows, C) */
static napi_value norm_backward(napi_env env, napi_callback_info info, const char *fn, int layer) {
  rlhf_args a;
  size_t l[8];
  const size_t nout = layer ? 3 : 2, nin = layer ? 5 : 4;
  if (!rlhf_args_init(&a, env, info, fn, nout + nin + 2)) return NULL;
  row_ctx c = {.kt = rlhf_kernels()};
  for (size_t k = 0; k < nout; k++) c.o[k] = rlhf_arg_f32(&a, k, &l[k], 0);
  for (size_t k = 0; k < nin; k++) c.in[k] = rlhf_arg_f32(&a, nout + k, &l[nout + k], 0);
  c.rows = rlhf_size_arg(&a, nout + nin, "rows");
  c.n = rlhf_size_arg(&a, nout + nin + 1, "C");
  const int64_t RC = c.rows * c.n, R = c.rows, C = c.n;
  static const char *const names[2][8] = {{"dx", "dw", "dy", "x", "w", "rstd"}, {"dx", "dw", "db", "dy", "x", "w", "mean", "rstd"}};
  const int64_t sizes[2][8] = {{RC, C, RC, RC, C, R}, {RC, C, C, RC, RC, C, R, R}};
  for (size_t k = 0; k < nout + nin; k++)
    if (!rlhf_need(&a, l[k], sizes[layer][k], names[layer][k])) return NULL;
  if (C == 0) return rlhf_undefined(env);

  const int64_t nvec = layer ? 2 : 1;
  c.per = norm_chunk_rows(R, C);
  const int64_t chunks = R > 0 ? (R + c.per - 1) / c.per : 0;
  c.partial = calloc((size_t)((chunks > 0 ? chunks : 1) * nvec * C), sizeof *c.partial);
  if (!rlhf_check(&a, c.partial != NULL, "out of memory")) return NULL;
  rlhf_parallel_for((int)chunks, layer ? layernorm_backward_task : rmsnorm_backward_task, &c);

  reduce_cols_ctx rc = {.partial = c.partial, .dst = {c.o[1], layer ? c.o[2] : NULL}, .chunks = chunks, .C = C, .nvec = nvec};
  rlhf_parallel_for(rlhf_split(C, chunks * nvec + 1, &rc.per), reduce_cols_task, &rc);
  free(c.partial);
  return rlhf_undefined(env);
}

static napi_value js_rmsnorm_backward(napi_env env, napi_callback_info info) {
  return norm_backward(env, info, "rmsnormBackward", 0);
}
static napi_value js_layernorm_backward(napi_env env, napi_callback_info info) {
  return norm_backward(env, info, "layernormBackward", 1);
}

/* ---- rotary embedding ---------------------------------------------------------------------------- */

static void rope_task(void *p, int t, int thread) {
  row_ctx *c = p;
  const int64_t half = c->D / 2;
  for (int64_t r = t * c->per; r < row_end(c, t); r++)
    c->kt->rope_row(c->o[0] + r * c->n, c->in[0] + r * c->n, c->in[1] + c->ids[r] * half, c->in[2] + c->ids[r] * half, c->H,
                    c->D, c->inverse);
}

/* rope(out, x, cos, sin, pos, rows, H, D, inverse) */
static napi_value js_rope(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[5];
  if (!rlhf_args_init(&a, env, info, "rope", 9)) return NULL;
  row_ctx c = {.kt = rlhf_kernels()};
  c.o[0] = rlhf_arg_f32(&a, 0, &l[0], 0);
  for (int k = 0; k < 3; k++) c.in[k] = rlhf_arg_f32(&a, 1 + (size_t)k, &l[1 + k], 0);
  c.ids = rlhf_arg_i32(&a, 4, &l[4], 0);
  c.rows = rlhf_size_arg(&a, 5, "rows");
  c.H = rlhf_size_arg(&a, 6, "H");
  c.D = rlhf_size_arg(&a, 7, "D");
  c.inverse = rlhf_arg_bool(&a, 8);
  c.n = c.H * c.D;
  if (!rlhf_check(&a, c.D % 2 == 0 && c.D > 0, "D must be even and > 0") || !rlhf_need(&a, l[0], c.rows * c.n, "out") ||
      !rlhf_need(&a, l[1], c.rows * c.n, "x") || !rlhf_need(&a, l[4], c.rows, "pos"))
    return NULL;
  const int64_t half = c.D / 2, max_pos = (int64_t)(l[2] < l[3] ? l[2] : l[3]) / half;
  for (int64_t r = 0; r < c.rows; r++) {
    if (c.ids[r] >= 0 && c.ids[r] < max_pos) continue;
    char msg[160];
    snprintf(msg, sizeof msg, "pos %d at row %lld is outside the %lld-row cos/sin tables", c.ids[r], (long long)r,
             (long long)max_pos);
    rlhf_check(&a, 0, msg);
    return NULL;
  }
  run_rows(&c, rope_task);
  return rlhf_undefined(env);
}

/* ---- embedding ------------------------------------------------------------------------------------ */

static int check_ids(rlhf_args *a, const int32_t *ids, int64_t n, int64_t V) {
  for (int64_t r = 0; r < n; r++) {
    if (ids[r] >= 0 && ids[r] < V) continue;
    char msg[160];
    snprintf(msg, sizeof msg, "id %d at row %lld is outside the %lld-row table", ids[r], (long long)r, (long long)V);
    return rlhf_check(a, 0, msg);
  }
  return 1;
}

static void embedding_forward_task(void *p, int t, int thread) {
  row_ctx *c = p;
  for (int64_t r = t * c->per; r < row_end(c, t); r++)
    memcpy(c->o[0] + r * c->n, c->in[0] + (int64_t)c->ids[r] * c->n, (size_t)c->n * sizeof(float));
}

/* Task = (slice of table rows) × (block of columns): it scans every id in order and adds the rows
 * that fall in its slice, so each element of dtable gets its terms in row order, from one task. */
#define EMB_COLS 256
static void embedding_backward_task(void *p, int t, int thread) {
  row_ctx *c = p;
  const int64_t nblocks = (c->n + EMB_COLS - 1) / EMB_COLS, part = t / nblocks, c0 = (t % nblocks) * EMB_COLS;
  const int64_t v0 = part * c->per, v1 = v0 + c->per, w = c->n - c0 < EMB_COLS ? c->n - c0 : EMB_COLS;
  for (int64_t r = 0; r < c->rows; r++) {
    const int64_t id = c->ids[r];
    if (id < v0 || id >= v1) continue;
    c->kt->axpy(c->o[0] + id * c->n + c0, c->in[0] + r * c->n + c0, w, 1.0f);
  }
}

/* embeddingForward(out, table, ids, n, C) and embeddingBackward(dtable, dout, ids, n, C) */
static napi_value embedding(napi_env env, napi_callback_info info, const char *fn, int backward) {
  rlhf_args a;
  size_t l[3];
  if (!rlhf_args_init(&a, env, info, fn, 5)) return NULL;
  row_ctx c = {.kt = rlhf_kernels()};
  c.o[0] = rlhf_arg_f32(&a, 0, &l[0], 0);
  c.in[0] = rlhf_arg_f32(&a, 1, &l[1], 0);
  c.ids = rlhf_arg_i32(&a, 2, &l[2], 0);
  c.rows = rlhf_size_arg(&a, 3, "n");
  c.n = rlhf_size_arg(&a, 4, "C");
  const size_t table_len = backward ? l[0] : l[1];
  if (!rlhf_check(&a, c.n > 0, "C must be > 0") || !rlhf_need(&a, l[2], c.rows, "ids") ||
      !rlhf_need(&a, backward ? l[1] : l[0], c.rows * c.n, backward ? "dout" : "out"))
    return NULL;
  const int64_t V = (int64_t)table_len / c.n;
  if (!check_ids(&a, c.ids, c.rows, V)) return NULL;
  if (!backward) {
    run_rows(&c, embedding_forward_task);
    return rlhf_undefined(env);
  }
  const int64_t nblocks = (c.n + EMB_COLS - 1) / EMB_COLS;
  int64_t parts = 4 * rlhf_threads() / nblocks + 1;
  if (parts > V) parts = V > 0 ? V : 1;
  c.per = (V + parts - 1) / parts;
  if (c.rows > 0) rlhf_parallel_for((int)(parts * nblocks), embedding_backward_task, &c);
  return rlhf_undefined(env);
}

static napi_value js_embedding_forward(napi_env env, napi_callback_info info) {
  return embedding(env, info, "embeddingForward", 0);
}
static napi_value js_embedding_backward(napi_env env, napi_callback_info info) {
  return embedding(env, info, "embeddingBackward", 1);
}

void rlhf_register_rows(napi_env env, napi_value exports) {
  rlhf_export(env, exports, "softmax", js_softmax);
  rlhf_export(env, exports, "softmaxBackward", js_softmax_backward);
  rlhf_export(env, exports, "logSoftmax", js_log_softmax);
  rlhf_export(env, exports, "logSoftmaxBackward", js_log_softmax_backward);
  rlhf_export(env, exports, "crossEntropyForward", js_ce_forward);
  rlhf_export(env, exports, "crossEntropyBackward", js_ce_backward);
  rlhf_export(env, exports, "rmsnormForward", js_rmsnorm_forward);
  rlhf_export(env, exports, "rmsnormBackward", js_rmsnorm_backward);
  rlhf_export(env, exports, "layernormForward", js_layernorm_forward);
  rlhf_export(env, exports, "layernormBackward", js_layernorm_backward);
  rlhf_export(env, exports, "rope", js_rope);
  rlhf_export(env, exports, "embeddingForward", js_embedding_forward);
  rlhf_export(env, exports, "embeddingBackward", js_embedding_backward);
}
