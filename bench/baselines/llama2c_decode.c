/* Decode baseline for bench/models.ts: the forward pass of llama2.c's run.c (Andrej Karpathy,
 * MIT licence) — fp32, OpenMP matmul rows, RoPE, MHA over a KV cache, SwiGLU, shared classifier —
 * at the stories15M shape with random weights (which do not change speed), plus greedy argmax.
 * It feeds a PROMPT-token prompt one token at a time, as run.c does, then times NEW further steps
 * and prints "tok/s <value>". Build: cc -Ofast -fopenmp -march=native llama2c_decode.c -lm */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { DIM = 288, HIDDEN = 768, LAYERS = 6, HEADS = 6, VOCAB = 32000, PROMPT = 128, NEW = 128, SEQ = PROMPT + NEW };
enum { HEAD = DIM / HEADS };

static float *tok, *rms_att, *rms_ffn, *wq, *wk, *wv, *wo, *w1, *w2, *w3, *rms_final;
static float x[DIM], xb[DIM], xb2[DIM], hb[HIDDEN], hb2[HIDDEN], q[DIM], att[HEADS * SEQ], logits[VOCAB];
static float *key_cache, *value_cache;

static float *random_weights(size_t n) {
  float *p = malloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = ((float)rand() / RAND_MAX - 0.5f) * 0.04f;
  return p;
}

static void rmsnorm(float *o, const float *in, const float *w, int n) {
  float ss = 0;
  for (int j = 0; j < n; j++) ss += in[j] * in[j];
  ss = 1.0f / sqrtf(ss / n + 1e-5f);
  for (int j = 0; j < n; j++) o[j] = w[j] * (ss * in[j]);
}

static void softmax(float *v, int n) {
  float m = v[0], s = 0;
  for (int i = 1; i < n; i++) if (v[i] > m) m = v[i];
  for (int i = 0; i < n; i++) { v[i] = expf(v[i] - m); s += v[i]; }
  for (int i = 0; i < n; i++) v[i] /= s;
}

/* xout (d) = W (d × n) · in (n): run.c's matmul, one OpenMP row each. */
static void matmul(float *xout, const float *in, const float *w, int n, int d) {
  int i;
#pragma omp parallel for private(i)
  for (i = 0; i < d; i++) {
    float val = 0.0f;
    for (int j = 0; j < n; j++) val += w[(size_t)i * n + j] * in[j];
    xout[i] = val;
  }
}

static void forward(int token, int pos) {
  memcpy(x, tok + (size_t)token * DIM, sizeof x);
  for (int l = 0; l < LAYERS; l++) {
    rmsnorm(xb, x, rms_att + l * DIM, DIM);
    size_t loff = (size_t)l * SEQ * DIM;
    float *k = key_cache + loff + pos * DIM, *v = value_cache + loff + pos * DIM;
    matmul(q, xb, wq + (size_t)l * DIM * DIM, DIM, DIM);
    matmul(k, xb, wk + (size_t)l * DIM * DIM, DIM, DIM);
    matmul(v, xb, wv + (size_t)l * DIM * DIM, DIM, DIM);
    for (int i = 0; i < DIM; i += 2) {
      float freq = 1.0f / powf(10000.0f, (i % HEAD) / (float)HEAD), a = pos * freq, c = cosf(a), s = sinf(a);
      float q0 = q[i], q1 = q[i + 1], k0 = k[i], k1 = k[i + 1];
      q[i] = q0 * c - q1 * s; q[i + 1] = q0 * s + q1 * c;
      k[i] = k0 * c - k1 * s; k[i + 1] = k0 * s + k1 * c;
    }
    int h;
#pragma omp parallel for private(h)
    for (h = 0; h < HEADS; h++) {
      float *qh = q + h * HEAD, *a = att + h * SEQ, *o = xb + h * HEAD;
      for (int t = 0; t <= pos; t++) {
        const float *kk = key_cache + loff + t * DIM + h * HEAD;
        float score = 0;
        for (int i = 0; i < HEAD; i++) score += qh[i] * kk[i];
        a[t] = score / sqrtf(HEAD);
      }
      softmax(a, pos + 1);
      memset(o, 0, HEAD * sizeof(float));
      for (int t = 0; t <= pos; t++) {
        const float *vv = value_cache + loff + t * DIM + h * HEAD;
        for (int i = 0; i < HEAD; i++) o[i] += a[t] * vv[i];
      }
    }
    matmul(xb2, xb, wo + (size_t)l * DIM * DIM, DIM, DIM);
    for (int i = 0; i < DIM; i++) x[i] += xb2[i];
    rmsnorm(xb, x, rms_ffn + l * DIM, DIM);
    matmul(hb, xb, w1 + (size_t)l * DIM * HIDDEN, DIM, HIDDEN);
    matmul(hb2, xb, w3 + (size_t)l * DIM * HIDDEN, DIM, HIDDEN);
    for (int i = 0; i < HIDDEN; i++) hb[i] = hb[i] / (1.0f + expf(-hb[i])) * hb2[i];
    matmul(xb, hb, w2 + (size_t)l * DIM * HIDDEN, HIDDEN, DIM);
    for (int i = 0; i < DIM; i++) x[i] += xb[i];
  }
  rmsnorm(x, x, rms_final, DIM);
  matmul(logits, x, tok, DIM, VOCAB);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
  srand(1);
  tok = random_weights((size_t)VOCAB * DIM);
  rms_att = random_weights(LAYERS * DIM); rms_ffn = random_weights(LAYERS * DIM); rms_final = random_weights(DIM);
  wq = random_weights((size_t)LAYERS * DIM * DIM); wk = random_weights((size_t)LAYERS * DIM * DIM);
  wv = random_weights((size_t)LAYERS * DIM * DIM); wo = random_weights((size_t)LAYERS * DIM * DIM);
  w1 = random_weights((size_t)LAYERS * DIM * HIDDEN); w2 = random_weights((size_t)LAYERS * DIM * HIDDEN);
  w3 = random_weights((size_t)LAYERS * DIM * HIDDEN);
  key_cache = calloc((size_t)LAYERS * SEQ * DIM, sizeof(float));
  value_cache = calloc((size_t)LAYERS * SEQ * DIM, sizeof(float));
  int token = 1;
  double start = 0;
  for (int pos = 0; pos < SEQ; pos++) {
    if (pos == PROMPT) start = now_s();
    forward(token, pos);
    int best = 0;
    for (int i = 1; i < VOCAB; i++) if (logits[i] > logits[best]) best = i;
    token = pos < PROMPT ? (pos * 37) % VOCAB : best;
  }
  printf("tok/s %f\n", NEW / (now_s() - start));
  return 0;
}
