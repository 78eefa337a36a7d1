/* The decoder's cached forward in one call (see decoder.h). Each step is the kernel the reference
 * path runs for it (the same row kernels, GEMM slabs and attention tasks, in the same order), so
 * float32 results equal the op-by-op forward bit for bit; what changes is the overhead around
 * them: no tensors, no JavaScript between ops, the q/k/v and gate/up projections of a layer in one
 * pass over the thread pool, and decode-sized products (a few rows times a weight) that read the
 * weights in place instead of packing them. int8 and bfloat16 weights go through native/isa/
 * qlinear.c. Row-wise steps (norms, RoPE, residual adds) run on the calling thread: at decode
 * sizes they take microseconds, less than waking the pool. */
#include "decoder.h"

#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "glue.h"
#include "kernels.h"

/* Below this many multiply-adds a pass runs on the calling thread (about 10 µs of work). */
#define DEC_PARALLEL_MACS (1L << 16)
#define MAX_TASKS 1100 /* ≥ 4 tasks per thread for 256 threads, plus one per weight */

static int min_int(int a, int b) { return a < b ? a : b; }
static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* ---- projections ------------------------------------------------------------------------------- */

/* A task covers output rows [u0·UNIT, u1·UNIT) of one weight: whole int8/bf16 groups and whole
 * GEMM panels. */
#define UNIT RLHF_PACKED_COLS
_Static_assert(RLHF_PACKED_COLS % RLHF_QGROUP == 0, "a task unit holds whole groups");

typedef struct {
  short w;
  int u0, u1;
} lin_task;

typedef struct {
  const rlhf_lin *const *w;
  float *const *y;
  const float *x;
  int M, K;
  const int8_t *xq;
  const float *xd;
  const uint16_t *xb;
  lin_task tasks[MAX_TASKS];
} lin_ctx;

/* Whether a float32 weight's packed copy serves this call: several rows, and the ISA it was packed
 * for (one row goes through the matrix-vector kernel on the row-major weight, as rlhf_gemm does). */
static int use_packed(const rlhf_lin *w, int M) { return w->prepacked && M >= 2 && w->prepacked_isa == (int)rlhf_isa(); }

static void lin_run(void *p, int t, int thread) {
  const lin_ctx *c = p;
  const lin_task tk = c->tasks[t];
  const rlhf_lin *w = c->w[tk.w];
  float *y = c->y[tk.w];
  const int N = w->N, n0 = tk.u0 * UNIT, n1 = min_int(tk.u1 * UNIT, N), g0 = n0 / RLHF_QGROUP;
  const int g1 = (n1 + RLHF_QGROUP - 1) / RLHF_QGROUP;
  switch (w->dtype) {
    case RLHF_W_F32:
      if (use_packed(w, c->M)) rlhf_gemm_prepacked_cols(y, N, c->x, w->prepacked, c->M, N, c->K, n0, n1);
      else rlhf_gemm_rows_of_b(y, c->x, w->f32, c->M, N, c->K, n0, n1);
      break;
    case RLHF_W_INT8:
      rlhf_qlinear()->linear_int8(y, N, c->xq, c->xd, c->M, (int)rlhf_round_up(c->K, RLHF_QBLOCK), w->packed, w->wsum,
                                  w->scales, g0, g1, N);
      break;
    default: rlhf_qlinear()->linear_bf16(y, N, c->xb, c->M, (int)rlhf_round_up(c->K, 2), w->packed, g0, g1, N);
  }
  if (w->bias) { /* the reference adds the bias as its own op: the same sums */
    const rlhf_kernel_table *kt = rlhf_kernels();
    for (int m = 0; m < c->M; m++) kt->binary_row(BIN_ADD, y + (int64_t)m * N + n0, y + (int64_t)m * N + n0, 1, w->bias + n0, 1, n1 - n0);
  }
}

size_t rlhf_linears_scratch(int M, int K) {
  const size_t Kq = (size_t)rlhf_round_up(K, RLHF_QBLOCK);
  return align64((size_t)M * Kq) + align64((size_t)M * (Kq / RLHF_QBLOCK) * sizeof(float)) +
         align64((size_t)M * rlhf_round_up(K, 2) * sizeof(uint16_t)) + align64(sizeof(lin_ctx));
}

int rlhf_linears(const rlhf_lin *const *w, float *const *y, int n, const float *x, int M, void *scratch) {
  if (M == 0 || n <= 0 || n > RLHF_MAX_LINEARS) return n <= RLHF_MAX_LINEARS;
  const int K = w[0]->K;
  const size_t Kq = (size_t)rlhf_round_up(K, RLHF_QBLOCK);
  char *sp = scratch;
  lin_ctx *c = (lin_ctx *)sp;
  sp += align64(sizeof(lin_ctx));
  *c = (lin_ctx){.w = w, .y = y, .x = x, .M = M, .K = K};
  c->xq = (int8_t *)sp;
  sp += align64((size_t)M * Kq);
  c->xd = (float *)sp;
  sp += align64((size_t)M * (Kq / RLHF_QBLOCK) * sizeof(float));
  c->xb = (uint16_t *)sp;
  int any_int8 = 0, any_bf16 = 0;
  int64_t units = 0, macs = 0;
  for (int i = 0; i < n; i++) {
    any_int8 |= w[i]->dtype == RLHF_W_INT8;
    any_bf16 |= w[i]->dtype == RLHF_W_BF16;
    units += (w[i]->N + UNIT - 1) / UNIT;
    macs += (int64_t)M * w[i]->N * K;
  }
  if (any_int8) rlhf_qlinear()->quantize_x_int8((int8_t *)c->xq, (float *)c->xd, x, K, M, K);
  if (any_bf16) rlhf_qlinear()->to_bf16_rows((uint16_t *)c->xb, x, K, M, K);
  /* Many float32 rows without a packed copy: rlhf_gemm (it threads itself), as the reference runs
   * them. */
  int whole[RLHF_MAX_LINEARS];
  for (int i = 0; i < n; i++) {
    whole[i] = w[i]->dtype == RLHF_W_F32 && M > RLHF_SMALL_M && !use_packed(w[i], M);
    if (whole[i]) {
      rlhf_gemm(y[i], x, w[i]->f32, 1, M, w[i]->N, K, 0, 1, 0.0f, 0, 0, 0);
      if (w[i]->bias) {
        const rlhf_kernel_table *kt = rlhf_kernels();
        for (int m = 0; m < M; m++) kt->binary_row(BIN_ADD, y[i] + (int64_t)m * w[i]->N, y[i] + (int64_t)m * w[i]->N, 1, w[i]->bias, 1, w[i]->N);
      }
    }
  }
  const int threads = macs < DEC_PARALLEL_MACS ? 1 : rlhf_threads();
  int64_t per = (units + 4 * (int64_t)threads - 1) / (4 * (int64_t)threads);
  if (per < 1) per = 1;
  int nt = 0;
  for (int i = 0; i < n; i++) {
    if (whole[i]) continue;
    const int U = (w[i]->N + UNIT - 1) / UNIT;
    for (int u = 0; u < U && nt < MAX_TASKS; u += (int)per) c->tasks[nt++] = (lin_task){(short)i, u, min_int(u + (int)per, U)};
  }
  if (threads == 1)
    for (int t = 0; t < nt; t++) lin_run(c, t, 0);
  else rlhf_parallel_for(nt, lin_run, c);
  return 1;
}

/* ---- the forward ------------------------------------------------------------------------------- */

/* Carves the activations out of d->scratch, growing it; returns 0 on failure. */
typedef struct {
  float *x, *xn, *q, *k, *v, *att, *h1, *h2, *lse, *rows;
  void *lin;
} buffers;

static int carve(rlhf_decoder *d, const rlhf_dec_step *s, buffers *b) {
  const size_t M = (size_t)s->B * s->T, R = s->all_positions ? M : (size_t)s->B;
  const int kmax = d->C > d->Hq * d->D ? (d->C > d->F ? d->C : d->F) : (d->Hq * d->D > d->F ? d->Hq * d->D : d->F);
  const size_t sizes[10] = {M * d->C, M * d->C, M * d->Hq * d->D, M * d->Hkv * d->D, M * d->Hkv * d->D, M * d->Hq * d->D,
                            M * d->F, M * d->F, (size_t)s->B * d->Hq * s->T, R * d->C};
  size_t total = rlhf_linears_scratch((int)M, kmax);
  for (int i = 0; i < 10; i++) total += align64(sizes[i] * sizeof(float));
  if (total > d->scratch_bytes) {
    free(d->scratch);
    d->scratch = aligned_alloc(64, total);
    d->scratch_bytes = d->scratch ? total : 0;
    if (!d->scratch) return 0;
  }
  char *p = d->scratch;
  float **slots[10] = {&b->x, &b->xn, &b->q, &b->k, &b->v, &b->att, &b->h1, &b->h2, &b->lse, &b->rows};
  for (int i = 0; i < 10; i++) {
    *slots[i] = (float *)p;
    p += align64(sizes[i] * sizeof(float));
  }
  b->lin = p;
  return 1;
}

static void norm_rows(const rlhf_decoder *d, float *y, const float *x, const float *w, const float *bias, int rows) {
  const rlhf_kernel_table *kt = rlhf_kernels();
  for (int r = 0; r < rows; r++) {
    float mean, rstd;
    if (d->layer_norm) kt->layernorm_forward_row(y + (int64_t)r * d->C, &mean, &rstd, x + (int64_t)r * d->C, w, bias, d->C, d->eps);
    else kt->rmsnorm_forward_row(y + (int64_t)r * d->C, x + (int64_t)r * d->C, w, d->C, d->eps);
  }
}

static void embed_rows(const rlhf_decoder *d, const rlhf_dec_step *s, float *x) {
  const int M = s->B * s->T, C = d->C;
  const rlhf_lin *e = &d->embed;
  for (int m = 0; m < M; m++) {
    float *row = x + (int64_t)m * C;
    const int id = s->ids[m];
    if (e->dtype == RLHF_W_F32) memcpy(row, e->f32 + (int64_t)id * C, (size_t)C * sizeof(float));
    else if (e->dtype == RLHF_W_INT8) rlhf_unpack_row_int8(row, e->packed, e->scales, id, C);
    else rlhf_unpack_row_bf16(row, e->packed, id, C);
    if (d->pos_table) rlhf_kernels()->binary_row(BIN_ADD, row, row, 1, d->pos_table + (int64_t)s->pos[m] * C, 1, C);
  }
}

/* RoPE on this call's q rows in place and k rows into the cache; v rows copied into the cache. */
static void rotate_and_cache(const rlhf_decoder *d, const rlhf_dec_step *s, int l, float *q, const float *k, const float *v) {
  const rlhf_kernel_table *kt = rlhf_kernels();
  const int64_t wq = (int64_t)d->Hq * d->D, wk = (int64_t)d->Hkv * d->D, half = d->D / 2;
  for (int b = 0; b < s->B; b++)
    for (int t = 0; t < s->T; t++) {
      const int64_t m = (int64_t)b * s->T + t, col = (int64_t)b * s->capacity + s->start + t;
      float *kc = s->cache_k[l] + col * wk, *vc = s->cache_v[l] + col * wk;
      if (s->cos) {
        const float *cs = s->cos + s->pos[m] * half, *sn = s->sin + s->pos[m] * half;
        kt->rope_row(q + m * wq, q + m * wq, cs, sn, d->Hq, d->D, 0);
        kt->rope_row(kc, k + m * wk, cs, sn, d->Hkv, d->D, 0);
      } else memcpy(kc, k + m * wk, (size_t)wk * sizeof(float));
      memcpy(vc, v + m * wk, (size_t)wk * sizeof(float));
    }
}

static void add_rows(float *x, const float *y, int64_t n) { rlhf_kernels()->binary_row(BIN_ADD, x, x, 1, y, 1, n); }

int rlhf_decoder_forward(rlhf_decoder *d, const rlhf_dec_step *s) {
  buffers b;
  if (!carve(d, s, &b)) return 0;
  const int M = s->B * s->T, C = d->C;
  const rlhf_kernel_table *kt = rlhf_kernels();
  embed_rows(d, s, b.x);
  for (int l = 0; l < d->L; l++) {
    const rlhf_dec_layer *ly = &d->layers[l];
    norm_rows(d, b.xn, b.x, ly->norm1_w, ly->norm1_b, M);
    const rlhf_lin *qkv[3] = {&ly->q, &ly->k, &ly->v};
    float *qkv_out[3] = {b.q, b.k, b.v};
    rlhf_linears(qkv, qkv_out, 3, b.xn, M, b.lin);
    rotate_and_cache(d, s, l, b.q, b.k, b.v);
    const rlhf_attn_geom g = {.B = s->B, .Tq = s->T, .Tk = s->start + s->T, .kvCapacity = s->capacity, .Hq = d->Hq,
                              .Hkv = d->Hkv, .D = d->D, .scale = s->scale, .qOffset = s->start, .causal = 1,
                              .window = s->window, .prefixLen = s->prefix_len, .keyMask = s->key_mask, .alibi = s->alibi};
    if (!rlhf_attention_forward(&g, b.att, b.lse, b.q, s->cache_k[l], s->cache_v[l])) return 0;
    const rlhf_lin *o[1] = {&ly->o};
    float *o_out[1] = {b.xn};
    rlhf_linears(o, o_out, 1, b.att, M, b.lin);
    add_rows(b.x, b.xn, (int64_t)M * C);
    norm_rows(d, b.xn, b.x, ly->norm2_w, ly->norm2_b, M);
    if (ly->gate.N) {
      const rlhf_lin *gu[2] = {&ly->gate, &ly->up};
      float *gu_out[2] = {b.h1, b.h2};
      rlhf_linears(gu, gu_out, 2, b.xn, M, b.lin);
      kt->swiglu_forward(b.h1, b.h1, b.h2, (int64_t)M * d->F);
    } else {
      const rlhf_lin *u[1] = {&ly->up};
      float *u_out[1] = {b.h1};
      rlhf_linears(u, u_out, 1, b.xn, M, b.lin);
      kt->unary(UN_GELU, b.h1, b.h1, (int64_t)M * d->F);
    }
    const rlhf_lin *dn[1] = {&ly->down};
    float *dn_out[1] = {b.xn};
    rlhf_linears(dn, dn_out, 1, b.h1, M, b.lin);
    add_rows(b.x, b.xn, (int64_t)M * C);
  }
  /* the final norm and the head for the rows wanted: all, or each row's last position */
  const int R = s->all_positions ? M : s->B;
  for (int r = 0; r < R; r++) {
    const int m = s->all_positions ? r : r * s->T + s->T - 1;
    norm_rows(d, b.rows + (int64_t)r * C, b.x + (int64_t)m * C, d->final_w, d->final_b, 1);
  }
  const rlhf_lin *head[1] = {&d->head};
  float *head_out[1] = {s->logits};
  rlhf_linears(head, head_out, 1, b.rows, R, b.lin);
  return 1;
}
