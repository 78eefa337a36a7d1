/* Row kernels: softmax family, cross-entropy, RMSNorm, LayerNorm and rotary embedding, one row
 * per call (the glue splits rows among threads). Reductions use `omp simd` partial sums, so a
 * row's result depends only on the ISA, never on the thread count. */
#include "isa.h"
#include "vmath.h"

static float row_max(const float *x, int64_t n) {
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int64_t j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
  return m;
}

/* Σ exp(x − m), storing the exponentials in e (may be NULL). */
static float exp_sum(float *e, const float *x, float m, int64_t n) {
  float s = 0.0f;
  if (e) {
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; j++) {
      float t = rl_exp(x[j] - m);
      e[j] = t;
      s += t;
    }
  } else {
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; j++) s += rl_exp(x[j] - m);
  }
  return s;
}

static float dot(const float *a, const float *b, int64_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; j++) s += a[j] * b[j];
  return s;
}

void RLHF_FN(softmax_row)(float *out, const float *x, int64_t n) {
  float m = row_max(x, n);
  float s = exp_sum(out, x, m, n);
#pragma omp simd
  for (int64_t j = 0; j < n; j++) out[j] /= s;
}

/* dx = y ⊙ (dy − Σ dy ⊙ y) */
void RLHF_FN(softmax_backward_row)(float *dx, const float *y, const float *dy, int64_t n) {
  float d = dot(dy, y, n);
#pragma omp simd
  for (int64_t j = 0; j < n; j++) dx[j] = y[j] * (dy[j] - d);
}

/* out = (x − max) − log Σ exp(x − max), as PyTorch computes it */
void RLHF_FN(log_softmax_row)(float *out, const float *x, int64_t n) {
  float m = row_max(x, n);
  float ls = logf(exp_sum(NULL, x, m, n));
#pragma omp simd
  for (int64_t j = 0; j < n; j++) out[j] = (x[j] - m) - ls;
}

/* dx = dy − exp(y) · Σ dy */
void RLHF_FN(log_softmax_backward_row)(float *dx, const float *y, const float *dy, int64_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; j++) s += dy[j];
#pragma omp simd
  for (int64_t j = 0; j < n; j++) dx[j] = dy[j] - rl_exp(y[j]) * s;
}

/* log Σ exp(x); ±inf maxima give ±inf (x − max would be NaN there), NaN anywhere gives NaN. */
float RLHF_FN(logsumexp_row)(const float *x, int64_t n) {
  float m = row_max(x, n);
  if (isinf(m)) {
    for (int64_t j = 0; j < n; j++)
      if (x[j] != x[j]) return NAN;
    return m;
  }
  return m + logf(exp_sum(NULL, x, m, n));
}

/* dl = scale · (softmax(x) − onehot(target)), softmax from the forward's lse. */
void RLHF_FN(ce_backward_row)(float *dl, const float *x, float lse, int32_t target, float scale, int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) dl[j] = scale * rl_exp(x[j] - lse);
  dl[target] = scale * (rl_exp(x[target] - lse) - 1.0f);
}

/* ---- RMSNorm: y = x · rstd · w, rstd = 1/√(mean(x²) + eps) ------------------------------------ */

float RLHF_FN(rmsnorm_forward_row)(float *y, const float *x, const float *w, int64_t C, float eps) {
  float rstd = 1.0f / sqrtf(dot(x, x, C) / (float)C + eps);
#pragma omp simd
  for (int64_t j = 0; j < C; j++) y[j] = x[j] * rstd * w[j];
  return rstd;
}

/* With g = dy ⊙ w: dx = rstd · g − x · rstd³ · mean(g ⊙ x); dw += dy ⊙ x · rstd. */
void RLHF_FN(rmsnorm_backward_row)(float *dx, float *dw_acc, const float *dy, const float *x, const float *w, float rstd,
                                   int64_t C) {
  float gx = 0.0f;
#pragma omp simd reduction(+ : gx)
  for (int64_t j = 0; j < C; j++) gx += dy[j] * w[j] * x[j];
  const float c = rstd * rstd * rstd * gx / (float)C;
#pragma omp simd
  for (int64_t j = 0; j < C; j++) {
    dx[j] = rstd * dy[j] * w[j] - x[j] * c;
    dw_acc[j] += dy[j] * x[j] * rstd;
  }
}

/* ---- LayerNorm: y = (x − mean) · rstd · w + b, biased variance --------------------------------- */

void RLHF_FN(layernorm_forward_row)(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                                    int64_t C, float eps) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < C; j++) s += x[j];
  const float mu = s / (float)C;
  float var = 0.0f;
#pragma omp simd reduction(+ : var)
  for (int64_t j = 0; j < C; j++) var += (x[j] - mu) * (x[j] - mu);
  const float r = 1.0f / sqrtf(var / (float)C + eps);
#pragma omp simd
  for (int64_t j = 0; j < C; j++) y[j] = (x[j] - mu) * r * w[j] + b[j];
  *mean = mu;
  *rstd = r;
}

/* With xhat = (x − mean) · rstd and g = dy ⊙ w: dx = rstd · (g − mean(g) − xhat · mean(g ⊙ xhat));
 * dw += dy ⊙ xhat, db += dy. */
void RLHF_FN(layernorm_backward_row)(float *dx, float *dw_acc, float *db_acc, const float *dy, const float *x,
                                     const float *w, float mean, float rstd, int64_t C) {
  float sg = 0.0f, sgx = 0.0f;
#pragma omp simd reduction(+ : sg, sgx)
  for (int64_t j = 0; j < C; j++) {
    float g = dy[j] * w[j];
    sg += g;
    sgx += g * (x[j] - mean) * rstd;
  }
  const float mg = sg / (float)C, mgx = sgx / (float)C;
#pragma omp simd
  for (int64_t j = 0; j < C; j++) {
    float xhat = (x[j] - mean) * rstd;
    dx[j] = rstd * (dy[j] * w[j] - mg - xhat * mgx);
    dw_acc[j] += dy[j] * xhat;
    db_acc[j] += dy[j];
  }
}

/* ---- rotary embedding, rotate-half convention ---------------------------------------------------- */

/* Each (i, i + D/2) pair is read before it is written, so out == x is safe. */
void RLHF_FN(rope_row)(float *out, const float *x, const float *cos, const float *sin, int64_t H, int64_t D, int inverse) {
  const int64_t half = D / 2;
  const float sign = inverse ? -1.0f : 1.0f;
  for (int64_t h = 0; h < H; h++) {
    const float *xr = x + h * D;
    float *o = out + h * D;
#pragma omp simd
    for (int64_t i = 0; i < half; i++) {
      float a = xr[i], b = xr[i + half], c = cos[i], s = sign * sin[i];
      o[i] = a * c - b * s;
      o[i + half] = b * c + a * s;
    }
  }
}
