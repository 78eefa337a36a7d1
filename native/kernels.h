/* The non-GEMM kernels of the native backend (semantics: src/engine/kernels.ts). The loop bodies
 * live in native/isa/ and are compiled once per instruction set; each copy fills one table of
 * function pointers, and the N-API glue (native/glue_*.c) picks the table of the current ISA at
 * every call, splits the work into tasks and runs them on the thread pool.
 *
 * Row functions work on one contiguous run (a row, or a chunk of a flat array); the glue owns
 * threading, argument checks and strided iteration, so everything here is single-threaded. */
#ifndef RLHF_KERNELS_H
#define RLHF_KERNELS_H

#include <stdint.h>

#include "rlhf.h"

/* Numbering of BinaryOp and UnaryOp in src/engine/kernels.ts. */
enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_MAX, BIN_MIN, BIN_GT, BIN_EQ, BIN_COUNT };
enum { UN_EXP, UN_LOG, UN_SIGMOID, UN_TANH, UN_SILU, UN_GELU, UN_RELU, UN_SQRT, UN_NEG, UN_ABS, UN_COUNT };

/* AttentionGeometry of kernels.ts. */
typedef struct {
  int B, Tq, Tk, kvCapacity, Hq, Hkv, D;
  float scale;
  int qOffset, causal, window;
  const int32_t *prefixLen; /* [B] or NULL */
  const int32_t *keyMask;   /* [B, Tk] or NULL */
  const float *alibi;       /* [Hq] or NULL */
} rlhf_attn_geom;

/* Query and key blocks of the flash-attention tiles. */
#define RLHF_ATTN_BQ 64
#define RLHF_ATTN_BK 64

/* Up to this many queries, forward runs one query row at a time (attn_forward_rows), no tiles. */
#define RLHF_ATTN_ROWS_TQ 3

/* Per-thread scratch of the attention tasks, in floats (D rounded up to a multiple of 16). */
static inline int64_t rlhf_attn_dpad(int D) { return (D + 15) & ~15; }
static inline int64_t rlhf_attn_scratch_floats(int D) {
  int64_t dp = rlhf_attn_dpad(D);
  /* the dk/dv task needs the most: Kᵀ, Vᵀ, dK, dV (dp×BK each); S, dP (BQ×BK); padded Q, dO rows
   * (BQ×dp each); lse, delta (BQ); plus slack to keep each thread's slice 64-byte aligned */
  return 3 * RLHF_ATTN_BQ * dp + 3 * RLHF_ATTN_BK * dp + 2 * RLHF_ATTN_BQ * RLHF_ATTN_BK + 2 * RLHF_ATTN_BQ + 16;
}

typedef struct {
  /* element-wise over contiguous runs; sa/sb/sc are the inputs' element strides (often 0 or 1) */
  void (*binary_row)(int op, float *out, const float *a, int64_t sa, const float *b, int64_t sb, int64_t n);
  void (*where_row)(float *out, const float *c, int64_t sc, const float *a, int64_t sa, const float *b, int64_t sb, int64_t n);
  void (*copy_row)(float *out, const float *x, int64_t sx, int64_t n);
  /* out[i·ldo + j] = x[i + j·ldx] for i < n1, j < n2, in cache-sized tiles (copyStrided of a transpose) */
  void (*transpose)(float *out, int64_t ldo, const float *x, int64_t ldx, int64_t n1, int64_t n2);
  /* sumInto's inner loops: out[j·so] += x[j], and the sum of a contiguous run */
  void (*add_row)(float *out, int64_t so, const float *x, int64_t n);
  float (*sum_row)(const float *x, int64_t n);
  void (*unary)(int op, float *out, const float *x, int64_t n);
  void (*unary_backward)(int op, float *dx, const float *x, const float *y, const float *dy, int64_t n);
  void (*affine)(float *out, const float *x, int64_t n, float scale, float shift);
  void (*clamp)(float *out, const float *x, int64_t n, float lo, float hi);
  void (*clamp_backward)(float *dx, const float *x, const float *dy, int64_t n, float lo, float hi);
  void (*axpy)(float *y, const float *x, int64_t n, float alpha);
  double (*sum_squares)(const float *x, int64_t n);
  int64_t (*count_nonfinite)(const float *x, int64_t n);
  void (*swiglu_forward)(float *out, const float *gate, const float *up, int64_t n);
  void (*swiglu_backward)(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int64_t n);
  void (*adamw)(float *p, const float *g, float *m, float *v, int64_t n, double lr, double beta1, double beta2,
                double eps, double weight_decay, double bc1, double bc2);

  /* one row of n (softmax family, cross-entropy) or C (norms) */
  void (*softmax_row)(float *out, const float *x, int64_t n);
  void (*softmax_backward_row)(float *dx, const float *y, const float *dy, int64_t n);
  void (*log_softmax_row)(float *out, const float *x, int64_t n);
  void (*log_softmax_backward_row)(float *dx, const float *y, const float *dy, int64_t n);
  /* returns lse; the loss is lse − logits[target] */
  float (*logsumexp_row)(const float *x, int64_t n);
  /* dl = scale · (exp(x − lse) − onehot(target)) */
  void (*ce_backward_row)(float *dl, const float *x, float lse, int32_t target, float scale, int64_t n);
  float (*rmsnorm_forward_row)(float *y, const float *x, const float *w, int64_t C, float eps);
  /* writes dx; dw_acc[c] += dy·x·rstd */
  void (*rmsnorm_backward_row)(float *dx, float *dw_acc, const float *dy, const float *x, const float *w, float rstd, int64_t C);
  void (*layernorm_forward_row)(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b, int64_t C, float eps);
  void (*layernorm_backward_row)(float *dx, float *dw_acc, float *db_acc, const float *dy, const float *x, const float *w,
                                 float mean, float rstd, int64_t C);
  /* one token's H heads of D; out may alias x */
  void (*rope_row)(float *out, const float *x, const float *cos, const float *sin, int64_t H, int64_t D, int inverse);

  /* attention tasks (native/isa/attention.c); scratch holds rlhf_attn_scratch_floats(D) floats */
  void (*attn_forward_block)(const rlhf_attn_geom *g, float *out, float *lse, const float *q, const float *k, const float *v,
                             int b, int h, int i0, float *scratch);
  /* every query row of (batch b, head h), one at a time, no scratch: the few-query path (decode) */
  void (*attn_forward_rows)(const rlhf_attn_geom *g, float *out, float *lse, const float *q, const float *k, const float *v,
                            int b, int h);
  /* delta[b, h, i] = Σ_d dout · out (the softmax-backward row term) for one query row */
  float (*attn_delta_row)(const float *dout, const float *out, int D);
  /* dk, dv of one key block [j0, j0+BK) of kv head hk, summed over its query heads; with dq
   * non-NULL (D a multiple of 16) also accumulates the unscaled dS · K of this block into dq */
  void (*attn_backward_dkdv_block)(const rlhf_attn_geom *g, float *dk, float *dv, float *dq, const float *dout,
                                   const float *q, const float *k, const float *v, const float *lse, const float *delta,
                                   int b, int hk, int j0, float *scratch);
  /* dq of one query block [i0, i0+BQ) of head h */
  void (*attn_backward_dq_block)(const rlhf_attn_geom *g, float *dq, const float *dout, const float *q, const float *k,
                                 const float *v, const float *lse, const float *delta, int b, int h, int i0, float *scratch);
} rlhf_kernel_table;

extern const rlhf_kernel_table rlhf_kernels_generic, rlhf_kernels_avx2, rlhf_kernels_avx512;

/* ---- int8 and bfloat16 Linear weights (native/isa/qlinear.c, packed by native/quant.c) ----------
 * A weight W [N, K] is packed in groups of RLHF_QGROUP output rows (N rounded up, pad rows zero);
 * within a group, the row index varies fastest below a few k's, so one vector load holds 16 rows.
 * int8 (Kp = K rounded up to RLHF_QBLOCK):
 *   q[((g·Kp/4 + t)·16 + r)·4 + b] = round(W[16g + r][4t + b] / s[16g + r]) in [−127, 127]
 *   scales[n] = s[n], a float16 value ≥ max_k |W[n][k]| / 127 (so Q8_0 files hold it exactly)
 *   wsum[(g·Kp/32 + j)·16 + r] = 128 · Σ over block j of row 16g + r's q (the VNNI correction)
 * bf16 (Kp = K rounded up to even):
 *   w[((g·Kp/2 + t)·16 + r)·2 + b] = bf16(W[16g + r][2t + b]) */
#define RLHF_QGROUP 16
#define RLHF_QBLOCK 32

typedef struct {
  /* xq [M, Kp] int8 and xd [M, Kp/32] float: each row quantised per 32-wide block */
  void (*quantize_x_int8)(int8_t *xq, float *xd, const float *x, int64_t ldx, int M, int K);
  /* y[m·ldy + n] for rows m < M and the columns of groups [g0, g1) (n < N) */
  void (*linear_int8)(float *y, int64_t ldy, const int8_t *xq, const float *xd, int M, int Kp, const int8_t *q,
                      const int32_t *wsum, const float *scales, int g0, int g1, int N);
  /* xb [M, Kp] bfloat16 (Kp = K rounded up to even) */
  void (*to_bf16_rows)(uint16_t *xb, const float *x, int64_t ldx, int M, int K);
  void (*linear_bf16)(float *y, int64_t ldy, const uint16_t *xb, int M, int Kp, const uint16_t *w, int g0, int g1, int N);
} rlhf_qlinear_table;

extern const rlhf_qlinear_table rlhf_qlinear_generic, rlhf_qlinear_avx2, rlhf_qlinear_avx512;

static inline const rlhf_qlinear_table *rlhf_qlinear(void) {
  switch (rlhf_isa()) {
    case RLHF_ISA_AVX512: return &rlhf_qlinear_avx512;
    case RLHF_ISA_AVX2: return &rlhf_qlinear_avx2;
    default: return &rlhf_qlinear_generic;
  }
}

/* Weight packing (native/quant.c): one copy for every ISA, run once per model. */
void rlhf_quantize_int8(int8_t *q, float *scales, int32_t *wsum, const float *w, int64_t N, int64_t K);
void rlhf_pack_bf16(uint16_t *out, const float *w, int64_t N, int64_t K);
/* out[k] = row n of a packed weight as float (the dequantised value s·q, or the bfloat16 value) */
void rlhf_unpack_row_int8(float *out, const int8_t *q, const float *scales, int64_t n, int64_t K);
void rlhf_unpack_row_bf16(float *out, const uint16_t *w, int64_t n, int64_t K);
static inline int64_t rlhf_round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

/* The table of the ISA in use (rlhf_isa()), looked up at each call so setIsa takes effect. */
static inline const rlhf_kernel_table *rlhf_kernels(void) {
  switch (rlhf_isa()) {
    case RLHF_ISA_AVX512: return &rlhf_kernels_avx512;
    case RLHF_ISA_AVX2: return &rlhf_kernels_avx2;
    default: return &rlhf_kernels_generic;
  }
}

#endif
