/* Element-wise kernels and flat reductions, compiled once per ISA (see binding.gyp): each loop is
 * written once with the op as a compile-time constant after inlining, so every (op, stride
 * pattern) pair becomes its own vectorised loop. Also holds this ISA's kernel table. */
#include "isa.h"
#include "vmath.h"

/* ---- binary, where, copy: one run of n outputs, inputs at element strides ---------------------- */

RL_INLINE float bin_apply(int op, float x, float y) {
  switch (op) {
    case BIN_ADD: return x + y;
    case BIN_SUB: return x - y;
    case BIN_MUL: return x * y;
    case BIN_DIV: return x / y;
    /* NaN in either input propagates, as torch.maximum / Math.max do */
    case BIN_MAX: return x != x ? x : (x > y ? x : y);
    case BIN_MIN: return x != x ? x : (x < y ? x : y);
    case BIN_GT: return x > y ? 1.0f : 0.0f;
    default: return x == y ? 1.0f : 0.0f;
  }
}

RL_INLINE void bin_run(int op, float *out, const float *a, int64_t sa, const float *b, int64_t sb, int64_t n) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) out[j] = bin_apply(op, a[j], b[j]);
  } else if (sa == 1 && sb == 0) {
    const float y = b[0];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) out[j] = bin_apply(op, a[j], y);
  } else if (sa == 0 && sb == 1) {
    const float x = a[0];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) out[j] = bin_apply(op, x, b[j]);
  } else {
    for (int64_t j = 0; j < n; j++) out[j] = bin_apply(op, a[j * sa], b[j * sb]);
  }
}

static void RLHF_FN(binary_row)(int op, float *out, const float *a, int64_t sa, const float *b, int64_t sb, int64_t n) {
  switch (op) {
    case BIN_ADD: bin_run(BIN_ADD, out, a, sa, b, sb, n); break;
    case BIN_SUB: bin_run(BIN_SUB, out, a, sa, b, sb, n); break;
    case BIN_MUL: bin_run(BIN_MUL, out, a, sa, b, sb, n); break;
    case BIN_DIV: bin_run(BIN_DIV, out, a, sa, b, sb, n); break;
    case BIN_MAX: bin_run(BIN_MAX, out, a, sa, b, sb, n); break;
    case BIN_MIN: bin_run(BIN_MIN, out, a, sa, b, sb, n); break;
    case BIN_GT: bin_run(BIN_GT, out, a, sa, b, sb, n); break;
    default: bin_run(BIN_EQ, out, a, sa, b, sb, n); break;
  }
}

static void RLHF_FN(where_row)(float *out, const float *c, int64_t sc, const float *a, int64_t sa, const float *b,
                               int64_t sb, int64_t n) {
  if (sc == 1 && sa == 1 && sb == 1) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) out[j] = c[j] != 0.0f ? a[j] : b[j];
  } else {
    for (int64_t j = 0; j < n; j++) out[j] = c[j * sc] != 0.0f ? a[j * sa] : b[j * sb];
  }
}

static void RLHF_FN(copy_row)(float *out, const float *x, int64_t sx, int64_t n) {
  if (sx == 1) {
    memcpy(out, x, (size_t)n * sizeof *out);
  } else if (sx == 0) {
    const float v = x[0];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) out[j] = v;
  } else {
    for (int64_t j = 0; j < n; j++) out[j] = x[j * sx];
  }
}

/* A strided gather runs through one cache line per element; 32 × 32 tiles keep the lines of a
 * tile's columns in L1 while its rows are written. */
static void RLHF_FN(transpose)(float *out, int64_t ldo, const float *x, int64_t ldx, int64_t n1, int64_t n2) {
  enum { TILE = 32 };
  for (int64_t i0 = 0; i0 < n1; i0 += TILE) {
    const int64_t i1 = i0 + TILE < n1 ? i0 + TILE : n1;
    for (int64_t j0 = 0; j0 < n2; j0 += TILE) {
      const int64_t j1 = j0 + TILE < n2 ? j0 + TILE : n2;
      for (int64_t i = i0; i < i1; i++)
        for (int64_t j = j0; j < j1; j++) out[i * ldo + j] = x[i + j * ldx];
    }
  }
}

/* ---- sumInto's inner loops ---------------------------------------------------------------------- */

static void RLHF_FN(add_row)(float *out, int64_t so, const float *x, int64_t n) {
  if (so == 1) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) out[j] += x[j];
  } else {
    for (int64_t j = 0; j < n; j++) out[j * so] += x[j];
  }
}

static float RLHF_FN(sum_row)(const float *x, int64_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; j++) s += x[j];
  return s;
}

/* ---- unary ------------------------------------------------------------------------------------ */

RL_INLINE float un_apply(int op, float x) {
  switch (op) {
    case UN_EXP: return rl_exp(x);
    case UN_LOG: return logf(x);
    case UN_SIGMOID: return rl_sigmoid(x);
    case UN_TANH: return rl_tanh(x);
    case UN_SILU: return x * rl_sigmoid(x);
    case UN_GELU: return rl_gelu(x);
    case UN_RELU: return x > 0.0f ? x : (x != x ? x : 0.0f);
    case UN_SQRT: return sqrtf(x);
    case UN_NEG: return -x;
    default: return fabsf(x);
  }
}

/* dx = dy · f'(x), from y = f(x) where that is cheaper (exp, sigmoid, tanh, sqrt). Relu and abs
 * take the subgradient 0 at x = 0, as PyTorch does. */
RL_INLINE float unb_apply(int op, float x, float y, float dy) {
  switch (op) {
    case UN_EXP: return dy * y;
    case UN_LOG: return dy / x;
    case UN_SIGMOID: return dy * y * (1.0f - y);
    case UN_TANH: return dy * (1.0f - y * y);
    case UN_SILU: return dy * rl_silu_grad(x);
    case UN_GELU: return dy * rl_gelu_grad(x);
    case UN_RELU: return x > 0.0f ? dy : 0.0f;
    case UN_SQRT: return dy * 0.5f / y;
    case UN_NEG: return -dy;
    default: return x > 0.0f ? dy : (x < 0.0f ? -dy : 0.0f);
  }
}

RL_INLINE void un_run(int op, float *out, const float *x, int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) out[j] = un_apply(op, x[j]);
}

static void RLHF_FN(unary)(int op, float *out, const float *x, int64_t n) {
  switch (op) {
    case UN_EXP: un_run(UN_EXP, out, x, n); break;
    case UN_LOG: for (int64_t j = 0; j < n; j++) out[j] = logf(x[j]); break; /* libm: no vector logf */
    case UN_SIGMOID: un_run(UN_SIGMOID, out, x, n); break;
    case UN_TANH: un_run(UN_TANH, out, x, n); break;
    case UN_SILU: un_run(UN_SILU, out, x, n); break;
    case UN_GELU: un_run(UN_GELU, out, x, n); break;
    case UN_RELU: un_run(UN_RELU, out, x, n); break;
    case UN_SQRT: un_run(UN_SQRT, out, x, n); break;
    case UN_NEG: un_run(UN_NEG, out, x, n); break;
    default: un_run(UN_ABS, out, x, n); break;
  }
}

RL_INLINE void unb_run(int op, float *dx, const float *x, const float *y, const float *dy, int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) dx[j] = unb_apply(op, x ? x[j] : 0.0f, y ? y[j] : 0.0f, dy[j]);
}

static void RLHF_FN(unary_backward)(int op, float *dx, const float *x, const float *y, const float *dy, int64_t n) {
  switch (op) {
    case UN_EXP: unb_run(UN_EXP, dx, NULL, y, dy, n); break;
    case UN_LOG: unb_run(UN_LOG, dx, x, NULL, dy, n); break;
    case UN_SIGMOID: unb_run(UN_SIGMOID, dx, NULL, y, dy, n); break;
    case UN_TANH: unb_run(UN_TANH, dx, NULL, y, dy, n); break;
    case UN_SILU: unb_run(UN_SILU, dx, x, NULL, dy, n); break;
    case UN_GELU: unb_run(UN_GELU, dx, x, NULL, dy, n); break;
    case UN_RELU: unb_run(UN_RELU, dx, x, NULL, dy, n); break;
    case UN_SQRT: unb_run(UN_SQRT, dx, NULL, y, dy, n); break;
    case UN_NEG: unb_run(UN_NEG, dx, NULL, NULL, dy, n); break;
    default: unb_run(UN_ABS, dx, x, NULL, dy, n); break;
  }
}

/* ---- small element-wise kernels ---------------------------------------------------------------- */

static void RLHF_FN(affine)(float *out, const float *x, int64_t n, float scale, float shift) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) out[j] = x[j] * scale + shift;
}

/* min(max(x, lo), hi) as torch.clamp: NaN passes through, and lo > hi gives hi. */
static void RLHF_FN(clamp)(float *out, const float *x, int64_t n, float lo, float hi) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) {
    float v = x[j] < lo ? lo : x[j];
    out[j] = v > hi ? hi : v;
  }
}

static void RLHF_FN(clamp_backward)(float *dx, const float *x, const float *dy, int64_t n, float lo, float hi) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) dx[j] = (x[j] >= lo && x[j] <= hi) ? dy[j] : 0.0f;
}

static void RLHF_FN(axpy)(float *y, const float *x, int64_t n, float alpha) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) y[j] += alpha * x[j];
}

static double RLHF_FN(sum_squares)(const float *x, int64_t n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; j++) s += (double)x[j] * (double)x[j];
  return s;
}

static int64_t RLHF_FN(count_nonfinite)(const float *x, int64_t n) {
  int64_t c = 0;
#pragma omp simd reduction(+ : c)
  for (int64_t j = 0; j < n; j++) c += !(fabsf(x[j]) <= 3.40282347e38f); /* NaN compares false */
  return c;
}

static void RLHF_FN(swiglu_forward)(float *out, const float *gate, const float *up, int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) out[j] = gate[j] * rl_sigmoid(gate[j]) * up[j];
}

/* out = g·s(g)·u: dgate = dout·u·silu'(g), dup = dout·silu(g). */
static void RLHF_FN(swiglu_backward)(float *dgate, float *dup, const float *dout, const float *gate, const float *up,
                                     int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) {
    float g = gate[j], s = rl_sigmoid(g), d = dout[j];
    dgate[j] = d * up[j] * s * (1.0f + g * (1.0f - s));
    dup[j] = d * g * s;
  }
}

/* In float64 like the reference, stored as float32: 1 − β2 taken from a float β2 would lose five
 * digits (0.999f → 1 − 0.99900001), and the step is memory-bound anyway. */
static void RLHF_FN(adamw)(float *p, const float *g, float *m, float *v, int64_t n, double lr, double beta1, double beta2,
                           double eps, double weight_decay, double bc1, double bc2) {
  const double decay = 1.0 - lr * weight_decay, c1 = 1.0 - beta1, c2 = 1.0 - beta2;
#pragma omp simd
  for (int64_t j = 0; j < n; j++) {
    const double gj = g[j];
    const float mj = (float)(beta1 * m[j] + c1 * gj), vj = (float)(beta2 * v[j] + c2 * gj * gj);
    m[j] = mj;
    v[j] = vj;
    p[j] = (float)(p[j] * decay - lr * (mj / bc1) / (sqrt(vj / bc2) + eps));
  }
}

/* ---- this ISA's table --------------------------------------------------------------------------- */

const rlhf_kernel_table RLHF_CAT(rlhf_kernels, RLHF_ISA) = {
  .binary_row = RLHF_FN(binary_row),
  .where_row = RLHF_FN(where_row),
  .copy_row = RLHF_FN(copy_row),
  .transpose = RLHF_FN(transpose),
  .add_row = RLHF_FN(add_row),
  .sum_row = RLHF_FN(sum_row),
  .unary = RLHF_FN(unary),
  .unary_backward = RLHF_FN(unary_backward),
  .affine = RLHF_FN(affine),
  .clamp = RLHF_FN(clamp),
  .clamp_backward = RLHF_FN(clamp_backward),
  .axpy = RLHF_FN(axpy),
  .sum_squares = RLHF_FN(sum_squares),
  .count_nonfinite = RLHF_FN(count_nonfinite),
  .swiglu_forward = RLHF_FN(swiglu_forward),
  .swiglu_backward = RLHF_FN(swiglu_backward),
  .adamw = RLHF_FN(adamw),
  .softmax_row = RLHF_FN(softmax_row),
  .softmax_backward_row = RLHF_FN(softmax_backward_row),
  .log_softmax_row = RLHF_FN(log_softmax_row),
  .log_softmax_backward_row = RLHF_FN(log_softmax_backward_row),
  .logsumexp_row = RLHF_FN(logsumexp_row),
  .ce_backward_row = RLHF_FN(ce_backward_row),
  .rmsnorm_forward_row = RLHF_FN(rmsnorm_forward_row),
  .rmsnorm_backward_row = RLHF_FN(rmsnorm_backward_row),
  .layernorm_forward_row = RLHF_FN(layernorm_forward_row),
  .layernorm_backward_row = RLHF_FN(layernorm_backward_row),
  .rope_row = RLHF_FN(rope_row),
  .attn_forward_block = RLHF_FN(attn_forward_block),
  .attn_forward_rows = RLHF_FN(attn_forward_rows),
  .attn_delta_row = RLHF_FN(attn_delta_row),
  .attn_backward_dkdv_block = RLHF_FN(attn_backward_dkdv_block),
  .attn_backward_dq_block = RLHF_FN(attn_backward_dq_block),
};
