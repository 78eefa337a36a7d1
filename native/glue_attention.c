/* N-API glue of fused attention: reads the flattened AttentionGeometry, checks every length
 * against it, and runs the flash-attention tasks of native/isa/attention.c on the thread pool,
 * each thread with its own scratch tile. A forward of up to RLHF_ATTN_ROWS_TQ queries (decode)
 * runs one query row at a time, without scratch; a forward smaller than ATTN_PARALLEL_MIN runs on
 * the calling thread alone. Heavy tasks are numbered first (under a causal mask the last query
 * blocks and the first key blocks see the most keys), so the pool's queue ends on short tasks. */
#include <stdlib.h>
#include <string.h>

#include "glue.h"

typedef struct {
  const rlhf_kernel_table *kt;
  rlhf_attn_geom g;
  float *out, *lse, *dq, *dk, *dv, *delta;
  const float *q, *k, *v, *dout, *o;
  float *scratch;
  int64_t scratch_floats;
  int nqb, nkb;
  int64_t per; /* delta rows per task */
} attn_ctx;

/* Reads B, Tq, Tk, kvCapacity, Hq, Hkv, D, scale, qOffset, causal, window, prefixLen, keyMask,
 * alibiSlopes from argument i0 on. */
static int read_geometry(rlhf_args *a, size_t i0, rlhf_attn_geom *g) {
  int64_t d[7];
  for (int k = 0; k < 7; k++) d[k] = rlhf_arg_int(a, i0 + (size_t)k);
  g->scale = (float)rlhf_arg_num(a, i0 + 7);
  g->qOffset = (int)rlhf_arg_int(a, i0 + 8);
  g->causal = rlhf_arg_bool(a, i0 + 9);
  g->window = (int)rlhf_arg_int(a, i0 + 10);
  size_t lp = 0, lm = 0, ls = 0;
  g->prefixLen = rlhf_arg_i32(a, i0 + 11, &lp, 1);
  g->keyMask = rlhf_arg_i32(a, i0 + 12, &lm, 1);
  g->alibi = rlhf_arg_f32(a, i0 + 13, &ls, 1);
  if (a->failed) return 0;
  for (int k = 0; k < 7; k++)
    if (!rlhf_check(a, d[k] >= 0 && d[k] < (1 << 30), "geometry sizes must be in [0, 2^30)")) return 0;
  g->B = (int)d[0], g->Tq = (int)d[1], g->Tk = (int)d[2], g->kvCapacity = (int)d[3];
  g->Hq = (int)d[4], g->Hkv = (int)d[5], g->D = (int)d[6];
  if (!rlhf_check(a, g->Hq > 0 && g->Hkv > 0 && g->D > 0, "Hq, Hkv and D must be > 0") ||
      !rlhf_check(a, g->Hq % g->Hkv == 0, "Hq must be a multiple of Hkv") ||
      !rlhf_check(a, g->Tk <= g->kvCapacity, "Tk must be <= kvCapacity") ||
      (g->prefixLen && !rlhf_need(a, lp, g->B, "prefixLen")) || (g->alibi && !rlhf_need(a, ls, g->Hq, "alibiSlopes")))
    return 0;
  if (g->keyMask && !rlhf_need(a, lm, (int64_t)g->B * g->Tk, "keyMask")) return 0;
  return 1;
}

/* one aligned slice of scratch for each of `threads` threads */
static int alloc_scratch(rlhf_args *a, attn_ctx *c, int threads) {
  c->scratch_floats = (rlhf_attn_scratch_floats(c->g.D) + 15) & ~(int64_t)15;
  c->scratch = aligned_alloc(64, (size_t)(c->scratch_floats * threads) * sizeof(float));
  return rlhf_check(a, c->scratch != NULL, "out of memory for attention scratch");
}

static void forward_task(void *p, int t, int thread) {
  attn_ctx *c = p;
  const int bh = c->g.B * c->g.Hq, qb = c->nqb - 1 - t / bh, b = (t % bh) / c->g.Hq, h = t % c->g.Hq;
  c->kt->attn_forward_block(&c->g, c->out, c->lse, c->q, c->k, c->v, b, h, qb * RLHF_ATTN_BQ,
                            c->scratch + thread * c->scratch_floats);
}

static void rows_task(void *p, int t, int thread) {
  attn_ctx *c = p;
  c->kt->attn_forward_rows(&c->g, c->out, c->lse, c->q, c->k, c->v, t / c->g.Hq, t % c->g.Hq);
}

/* Below this many multiply-adds of Q·Kᵀ (B·Hq·Tq·Tk·D; about 15 µs on one core) the forward runs
 * on the calling thread: a decode step at B 1 (6 heads of 48, 256 keys: 74k) is done before the
 * pool's threads would be awake, and on a loaded machine a wake-up can cost 200 µs. */
#define ATTN_PARALLEL_MIN (1 << 17)

int rlhf_attention_forward(const rlhf_attn_geom *g, float *out, float *lse, const float *q, const float *k,
                           const float *v) {
  attn_ctx c = {.kt = rlhf_kernels(), .g = *g, .out = out, .lse = lse, .q = q, .k = k, .v = v};
  if ((int64_t)g->B * g->Tq * g->Hq * g->D == 0) return 1;
  const int parallel = (int64_t)g->B * g->Hq * g->Tq * g->Tk * g->D >= ATTN_PARALLEL_MIN;
  if (g->Tq <= RLHF_ATTN_ROWS_TQ) { /* one task per (batch, head), no scratch */
    if (parallel) rlhf_parallel_for(g->B * g->Hq, rows_task, &c);
    else
      for (int t = 0; t < g->B * g->Hq; t++) rows_task(&c, t, 0);
    return 1;
  }
  const int threads = parallel ? rlhf_threads() : 1;
  c.scratch_floats = (rlhf_attn_scratch_floats(g->D) + 15) & ~(int64_t)15;
  c.scratch = aligned_alloc(64, (size_t)(c.scratch_floats * threads) * sizeof(float));
  if (!c.scratch) return 0;
  c.nqb = (g->Tq + RLHF_ATTN_BQ - 1) / RLHF_ATTN_BQ;
  if (parallel) rlhf_parallel_for(c.nqb * g->B * g->Hq, forward_task, &c);
  else
    for (int t = 0; t < c.nqb * g->B * g->Hq; t++) forward_task(&c, t, 0);
  free(c.scratch);
  return 1;
}

/* attentionForward(out, lse, q, k, v, ...geometry) */
static napi_value js_attention_forward(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[5];
  if (!rlhf_args_init(&a, env, info, "attentionForward", 19)) return NULL;
  float *out = rlhf_arg_f32(&a, 0, &l[0], 0), *lse = rlhf_arg_f32(&a, 1, &l[1], 0);
  const float *q = rlhf_arg_f32(&a, 2, &l[2], 0), *k = rlhf_arg_f32(&a, 3, &l[3], 0), *v = rlhf_arg_f32(&a, 4, &l[4], 0);
  rlhf_attn_geom g;
  if (!read_geometry(&a, 5, &g)) return NULL;
  const int64_t nq = (int64_t)g.B * g.Tq * g.Hq * g.D, nkv = (int64_t)g.B * g.kvCapacity * g.Hkv * g.D;
  if (!rlhf_need(&a, l[0], nq, "out") || !rlhf_need(&a, l[1], (int64_t)g.B * g.Hq * g.Tq, "lse") || !rlhf_need(&a, l[2], nq, "q") ||
      !rlhf_need(&a, l[3], nkv, "k") || !rlhf_need(&a, l[4], nkv, "v"))
    return NULL;
  if (!rlhf_check(&a, rlhf_attention_forward(&g, out, lse, q, k, v), "out of memory for attention scratch")) return NULL;
  return rlhf_undefined(env);
}

/* delta = rowsum(dout ⊙ out), one [Tq, Hq] slab of rows per batch, split into row chunks */
static void delta_task(void *p, int t, int thread) {
  attn_ctx *c = p;
  const rlhf_attn_geom *g = &c->g;
  const int64_t rows = (int64_t)g->B * g->Tq * g->Hq, end = (t + 1) * c->per < rows ? (t + 1) * c->per : rows;
  for (int64_t r = t * c->per; r < end; r++) { /* r indexes [B, Tq, Hq] */
    const int64_t b = r / ((int64_t)g->Tq * g->Hq), i = (r / g->Hq) % g->Tq, h = r % g->Hq;
    c->delta[(b * g->Hq + h) * g->Tq + i] = c->kt->attn_delta_row(c->dout + r * g->D, c->o + r * g->D, g->D);
  }
}

static void dkdv_task(void *p, int t, int thread) {
  attn_ctx *c = p;
  const int bh = c->g.B * c->g.Hkv, kb = t / bh, b = (t % bh) / c->g.Hkv, hk = t % c->g.Hkv;
  c->kt->attn_backward_dkdv_block(&c->g, c->dk, c->dv, NULL, c->dout, c->q, c->k, c->v, c->lse, c->delta, b, hk,
                                  kb * RLHF_ATTN_BK, c->scratch + thread * c->scratch_floats);
}

/* Single pass for one (batch, kv head): its key blocks in order, each adding into the dq rows of
 * the group's heads, which no other task touches; then those rows times scale. */
static void fused_task(void *p, int t, int thread) {
  attn_ctx *c = p;
  const rlhf_attn_geom *g = &c->g;
  const int b = t / g->Hkv, hk = t % g->Hkv, group = g->Hq / g->Hkv;
  for (int j0 = 0; j0 < g->Tk; j0 += RLHF_ATTN_BK)
    c->kt->attn_backward_dkdv_block(g, c->dk, c->dv, c->dq, c->dout, c->q, c->k, c->v, c->lse, c->delta, b, hk, j0,
                                    c->scratch + thread * c->scratch_floats);
  for (int i = 0; i < g->Tq; i++) {
    float *row = c->dq + (((int64_t)b * g->Tq + i) * g->Hq + (int64_t)hk * group) * g->D;
    for (int64_t d = 0; d < (int64_t)group * g->D; d++) row[d] *= g->scale;
  }
}

static void dq_task(void *p, int t, int thread) {
  attn_ctx *c = p;
  const int bh = c->g.B * c->g.Hq, qb = c->nqb - 1 - t / bh, b = (t % bh) / c->g.Hq, h = t % c->g.Hq;
  c->kt->attn_backward_dq_block(&c->g, c->dq, c->dout, c->q, c->k, c->v, c->lse, c->delta, b, h, qb * RLHF_ATTN_BQ,
                                c->scratch + thread * c->scratch_floats);
}

/* attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, ...geometry) */
static napi_value js_attention_backward(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[9];
  if (!rlhf_args_init(&a, env, info, "attentionBackward", 23)) return NULL;
  attn_ctx c = {.kt = rlhf_kernels()};
  c.dq = rlhf_arg_f32(&a, 0, &l[0], 0);
  c.dk = rlhf_arg_f32(&a, 1, &l[1], 0);
  c.dv = rlhf_arg_f32(&a, 2, &l[2], 0);
  c.dout = rlhf_arg_f32(&a, 3, &l[3], 0);
  c.q = rlhf_arg_f32(&a, 4, &l[4], 0);
  c.k = rlhf_arg_f32(&a, 5, &l[5], 0);
  c.v = rlhf_arg_f32(&a, 6, &l[6], 0);
  c.o = rlhf_arg_f32(&a, 7, &l[7], 0);
  c.lse = rlhf_arg_f32(&a, 8, &l[8], 0);
  if (!read_geometry(&a, 9, &c.g)) return NULL;
  const rlhf_attn_geom *g = &c.g;
  const int64_t nq = (int64_t)g->B * g->Tq * g->Hq * g->D, nkv = (int64_t)g->B * g->kvCapacity * g->Hkv * g->D;
  const int64_t nl = (int64_t)g->B * g->Hq * g->Tq;
  static const char *const names[9] = {"dq", "dk", "dv", "dout", "q", "k", "v", "out", "lse"};
  const int64_t sizes[9] = {nq, nkv, nkv, nq, nq, nkv, nkv, nq, nl};
  for (int k = 0; k < 9; k++)
    if (!rlhf_need(&a, l[k], sizes[k], names[k])) return NULL;

  /* dk, dv rows past Tk belong to no key: zero */
  const int64_t row = (int64_t)g->Hkv * g->D;
  for (int b = 0; b < g->B; b++) {
    const int64_t off = (int64_t)b * g->kvCapacity * row + (int64_t)g->Tk * row, n = (int64_t)(g->kvCapacity - g->Tk) * row;
    memset(c.dk + off, 0, (size_t)n * sizeof(float));
    memset(c.dv + off, 0, (size_t)n * sizeof(float));
  }
  if (nq == 0) { /* no query: every key's gradient is zero */
    for (int b = 0; b < g->B; b++) {
      memset(c.dk + (int64_t)b * g->kvCapacity * row, 0, (size_t)((int64_t)g->Tk * row) * sizeof(float));
      memset(c.dv + (int64_t)b * g->kvCapacity * row, 0, (size_t)((int64_t)g->Tk * row) * sizeof(float));
    }
    return rlhf_undefined(env);
  }
  c.delta = malloc((size_t)nl * sizeof(float));
  if (!rlhf_check(&a, c.delta != NULL, "out of memory") || !alloc_scratch(&a, &c, rlhf_threads())) {
    free(c.delta);
    return NULL;
  }
  rlhf_parallel_for(rlhf_split((int64_t)g->B * g->Tq * g->Hq, g->D, &c.per), delta_task, &c);
  /* One pass (5 tile products per tile pair) when there are enough (batch, kv head) tasks to
   * keep a pool busy; else dk, dv then dq in finer tasks (7 products). Chosen from the shape
   * alone, so the result does not depend on the thread count. */
  if (g->D % 16 == 0 && g->B * g->Hkv >= 16) {
    memset(c.dq, 0, (size_t)nq * sizeof(float));
    rlhf_parallel_for(g->B * g->Hkv, fused_task, &c);
  } else {
    c.nkb = (g->Tk + RLHF_ATTN_BK - 1) / RLHF_ATTN_BK;
    c.nqb = (g->Tq + RLHF_ATTN_BQ - 1) / RLHF_ATTN_BQ;
    rlhf_parallel_for(c.nkb * g->B * g->Hkv, dkdv_task, &c);
    rlhf_parallel_for(c.nqb * g->B * g->Hq, dq_task, &c);
  }
  free(c.scratch);
  free(c.delta);
  return rlhf_undefined(env);
}

void rlhf_register_attention(napi_env env, napi_value exports) {
  rlhf_export(env, exports, "attentionForward", js_attention_forward);
  rlhf_export(env, exports, "attentionBackward", js_attention_backward);
}
