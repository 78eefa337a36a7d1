/* Flash attention on the CPU: a task owns one (batch, head, 64-query block) and streams 64-key
 * blocks through a running-max softmax, so no more than a 64×64 tile of scores exists at a time.
 * Backward recomputes the probabilities from the forward's lse in two race-free passes: dk, dv
 * per (batch, kv head, key block), summed over the query heads of the GQA group; then dq per
 * (batch, head, query block). Each output element is written by one task, so results do not
 * depend on the thread count.
 *
 * Layouts: q, out, dq: [B, Tq, Hq, D]; k, v, dk, dv: [B, kvCapacity, Hkv, D]; lse, delta: [B, Hq, Tq].
 * Tiles are packed into scratch with D padded to Dp (a multiple of 16) and zero-filled. */
#include "isa.h"
#include "vmath.h"

#define BQ RLHF_ATTN_BQ
#define BK RLHF_ATTN_BK

/* ---- tile product: C (M×N) = or += A (M×K) · Bm (K×N), A(r, k) = A[r·ars + k·acs] ---------------
 * N is a multiple of 16. With AVX a 4-row × NV-vector block of C stays in registers over K. */
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#if defined(__AVX512F__)
#define VW 16
#define NV 4
typedef __m512 vf;
#define VLOAD _mm512_loadu_ps
#define VSTORE _mm512_storeu_ps
#define VZERO _mm512_setzero_ps
#define VSET1 _mm512_set1_ps
#define VFMA _mm512_fmadd_ps
#else
#define VW 8
#define NV 2
typedef __m256 vf;
#define VLOAD _mm256_loadu_ps
#define VSTORE _mm256_storeu_ps
#define VZERO _mm256_setzero_ps
#define VSET1 _mm256_set1_ps
#define VFMA _mm256_fmadd_ps
#endif

RL_INLINE void mm_tile(int R, int nv, float *C, int64_t ldc, const float *A, int64_t ars, int64_t acs, const float *Bm,
                       int64_t ldb, int K, int acc) {
  vf c[4][NV];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) c[r][v] = acc ? VLOAD(C + r * ldc + v * VW) : VZERO();
  for (int k = 0; k < K; k++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) bv[v] = VLOAD(Bm + (int64_t)k * ldb + v * VW);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      vf a = VSET1(A[r * ars + k * acs]);
#pragma GCC unroll 4
      for (int v = 0; v < nv; v++) c[r][v] = VFMA(a, bv[v], c[r][v]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) VSTORE(C + r * ldc + v * VW, c[r][v]);
}

static void mm(float *C, int64_t ldc, const float *A, int64_t ars, int64_t acs, const float *Bm, int64_t ldb, int M, int N,
               int K, int acc) {
  int i = 0;
  for (; i + 4 <= M; i += 4) {
    int n = 0;
    for (; n + NV * VW <= N; n += NV * VW) mm_tile(4, NV, C + i * ldc + n, ldc, A + i * ars, ars, acs, Bm + n, ldb, K, acc);
    for (; n < N; n += VW) mm_tile(4, 1, C + i * ldc + n, ldc, A + i * ars, ars, acs, Bm + n, ldb, K, acc);
  }
  for (; i < M; i++) {
    int n = 0;
    for (; n + NV * VW <= N; n += NV * VW) mm_tile(1, NV, C + i * ldc + n, ldc, A + i * ars, ars, acs, Bm + n, ldb, K, acc);
    for (; n < N; n += VW) mm_tile(1, 1, C + i * ldc + n, ldc, A + i * ars, ars, acs, Bm + n, ldb, K, acc);
  }
}
#else
static void mm(float *C, int64_t ldc, const float *A, int64_t ars, int64_t acs, const float *Bm, int64_t ldb, int M, int N,
               int K, int acc) {
  for (int i = 0; i < M; i++) {
    float *c = C + i * ldc;
    if (!acc) memset(c, 0, (size_t)N * sizeof *c);
    for (int k = 0; k < K; k++) {
      const float a = A[i * ars + k * acs];
      const float *b = Bm + (int64_t)k * ldb;
#pragma omp simd
      for (int n = 0; n < N; n++) c[n] += a * b[n];
    }
  }
}
#endif

/* ---- geometry ------------------------------------------------------------------------------------ */

typedef struct {
  const rlhf_attn_geom *g;
  int64_t dp;
  int b, prefix;  /* keys below `prefix` are seen by every query (prefix-LM) */
  const int32_t *mask; /* this batch's key mask row, or NULL */
} view;

static view make_view(const rlhf_attn_geom *g, int b) {
  view w = {g, rlhf_attn_dpad(g->D), b, 0, g->keyMask ? g->keyMask + (int64_t)b * g->Tk : NULL};
  if (g->prefixLen) w.prefix = g->prefixLen[b] < g->Tk ? g->prefixLen[b] : g->Tk;
  return w;
}

RL_INLINE int visible(const view *w, int pos, int j) {
  if (w->mask && w->mask[j] == 0) return 0;
  if (j < w->prefix || !w->g->causal) return 1;
  return j <= pos && (w->g->window <= 0 || pos - j < w->g->window);
}

enum { BLOCK_SKIP, BLOCK_FULL, BLOCK_PARTIAL };

/* Whether queries at positions [pmin, pmax] see none, all, or some of keys [j0, j1). */
static int classify(const view *w, int pmin, int pmax, int j0, int j1) {
  const rlhf_attn_geom *g = w->g;
  if (g->causal && j0 >= w->prefix && (j0 > pmax || (g->window > 0 && pmin - (j1 - 1) >= g->window))) return BLOCK_SKIP;
  if (w->mask) return BLOCK_PARTIAL;
  if (!g->causal || j1 <= w->prefix) return BLOCK_FULL;
  if (j0 >= w->prefix && j1 - 1 <= pmin && (g->window <= 0 || pmax - j0 < g->window)) return BLOCK_FULL;
  return BLOCK_PARTIAL;
}

/* Adds the ALiBi bias to one row of scores s[0..nk) (keys j0..) and sets hidden keys to −∞. */
static void bias_and_mask(const view *w, float *s, int pos, int j0, int nk, int partial, float slope) {
  if (slope != 0.0f) {
#pragma omp simd
    for (int c = 0; c < nk; c++) s[c] -= slope * fabsf((float)(pos - j0 - c));
  }
  if (partial)
    for (int c = 0; c < nk; c++)
      if (!visible(w, pos, j0 + c)) s[c] = -INFINITY;
}

/* ---- packing ------------------------------------------------------------------------------------- */

/* rows [r0, r0+n) of head h of a [B, T, H, D] tensor, times `scale`, into dst (rows × dp, zero
 * padded to `rows` rows) */
static void pack_rows(float *dst, const float *src, int64_t dp, const rlhf_attn_geom *g, int T, int H, int b, int h, int r0,
                      int n, int rows, float scale) {
  memset(dst, 0, (size_t)(rows * dp) * sizeof *dst);
  for (int r = 0; r < n; r++) {
    const float *x = src + (((int64_t)b * T + r0 + r) * H + h) * g->D;
#pragma omp simd
    for (int d = 0; d < g->D; d++) dst[r * dp + d] = x[d] * scale;
  }
}

/* the same rows transposed: dst[d·BK + r] (D × BK) */
static void pack_cols(float *dst, const float *src, const rlhf_attn_geom *g, int T, int H, int b, int h, int r0, int n) {
  if (n < BK) memset(dst, 0, (size_t)g->D * BK * sizeof *dst);
  for (int r = 0; r < n; r++) {
    const float *x = src + (((int64_t)b * T + r0 + r) * H + h) * g->D;
    for (int d = 0; d < g->D; d++) dst[d * BK + r] = x[d];
  }
}

static int pad16(int n) { return (n + 15) & ~15; }

/* ---- forward ------------------------------------------------------------------------------------- */

void RLHF_FN(attn_forward_block)(const rlhf_attn_geom *g, float *out, float *lse, const float *q, const float *k,
                                 const float *v, int b, int h, int i0, float *scratch) {
  const view w = make_view(g, b);
  const int64_t dp = w.dp;
  const int hk = h / (g->Hq / g->Hkv), nq = g->Tq - i0 < BQ ? g->Tq - i0 : BQ;
  const int pmin = g->qOffset + i0, pmax = pmin + nq - 1;
  const float slope = g->alibi ? g->alibi[h] : 0.0f;
  float *Qs = scratch, *O = Qs + BQ * dp, *KT = O + BQ * dp, *Vp = KT + dp * BK, *S = Vp + BK * dp;
  float *m = S + BQ * BK, *l = m + BQ;

  pack_rows(Qs, q, dp, g, g->Tq, g->Hq, b, h, i0, nq, nq, g->scale);
  memset(O, 0, (size_t)(nq * dp) * sizeof *O);
  for (int r = 0; r < nq; r++) m[r] = -INFINITY, l[r] = 0.0f;

  for (int j0 = 0; j0 < g->Tk; j0 += BK) {
    const int nk = g->Tk - j0 < BK ? g->Tk - j0 : BK, nkp = pad16(nk);
    const int kind = classify(&w, pmin, pmax, j0, j0 + nk);
    if (kind == BLOCK_SKIP) continue;
    pack_cols(KT, k, g, g->kvCapacity, g->Hkv, b, hk, j0, nk);
    mm(S, BK, Qs, dp, 1, KT, BK, nq, nkp, g->D, 0); /* S = Qs · Kᵀ */
    for (int r = 0; r < nq; r++) {
      float *s = S + r * BK;
      bias_and_mask(&w, s, pmin + r, j0, nk, kind == BLOCK_PARTIAL, slope);
      float mx = m[r];
      for (int c = 0; c < nk; c++) mx = s[c] > mx ? s[c] : mx;
      if (mx == -INFINITY) { /* nothing visible yet: contributes nothing */
        memset(s, 0, (size_t)nkp * sizeof *s);
        continue;
      }
      /* online softmax: rescale what was summed under the old max */
      const float alpha = m[r] == -INFINITY ? 0.0f : rl_exp(m[r] - mx);
      float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
      for (int c = 0; c < nk; c++) {
        float p = rl_exp(s[c] - mx);
        s[c] = p;
        sum += p;
      }
      for (int c = nk; c < nkp; c++) s[c] = 0.0f;
      l[r] = l[r] * alpha + sum;
      m[r] = mx;
      if (alpha != 1.0f) {
        float *o = O + r * dp;
#pragma omp simd
        for (int d = 0; d < dp; d++) o[d] *= alpha;
      }
    }
    pack_rows(Vp, v, dp, g, g->kvCapacity, g->Hkv, b, hk, j0, nk, nkp, 1.0f);
    mm(O, dp, S, BK, 1, Vp, dp, nq, (int)dp, nkp, 1); /* O += P · V */
  }

  for (int r = 0; r < nq; r++) {
    float *o = out + (((int64_t)b * g->Tq + i0 + r) * g->Hq + h) * g->D;
    float *L = lse + ((int64_t)b * g->Hq + h) * g->Tq + i0 + r;
    if (l[r] == 0.0f) { /* a query that sees no key */
      memset(o, 0, (size_t)g->D * sizeof *o);
      *L = -INFINITY;
      continue;
    }
    const float inv = 1.0f / l[r];
#pragma omp simd
    for (int d = 0; d < g->D; d++) o[d] = O[r * dp + d] * inv;
    *L = m[r] + logf(l[r]);
  }
}

/* ---- backward ------------------------------------------------------------------------------------ */

float RLHF_FN(attn_delta_row)(const float *dout, const float *out, int D) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int d = 0; d < D; d++) s += dout[d] * out[d];
  return s;
}

/* Scores of an (nq × nk) tile back to probabilities P = exp(S + bias − lse), then dS = P ⊙ (dP − delta)
 * in place of dP. Rows with lse = −∞ (no visible key) and padding columns get P = dS = 0. */
static void probs_and_dscores(const view *w, float *S, float *dP, const float *L, const float *delta, int pmin, int j0,
                              int nq, int nk, int nkp, int partial, float slope) {
  for (int r = 0; r < nq; r++) {
    float *s = S + r * BK, *dp = dP + r * BK;
    if (L[r] == -INFINITY) {
      memset(s, 0, (size_t)nkp * sizeof *s);
      memset(dp, 0, (size_t)nkp * sizeof *dp);
      continue;
    }
    bias_and_mask(w, s, pmin + r, j0, nk, partial, slope);
    const float lr = L[r], dr = delta[r];
#pragma omp simd
    for (int c = 0; c < nk; c++) {
      float p = rl_exp(s[c] - lr);
      s[c] = p;
      dp[c] = p * (dp[c] - dr);
    }
    for (int c = nk; c < nkp; c++) s[c] = dp[c] = 0.0f;
  }
}

/* lse and delta of rows [i0, i0+nq) of head h */
static void load_row_stats(float *L, float *Dl, const rlhf_attn_geom *g, const float *lse, const float *delta, int b, int h,
                           int i0, int nq) {
  const int64_t base = ((int64_t)b * g->Hq + h) * g->Tq + i0;
  memcpy(L, lse + base, (size_t)nq * sizeof *L);
  memcpy(Dl, delta + base, (size_t)nq * sizeof *Dl);
}

void RLHF_FN(attn_backward_dkdv_block)(const rlhf_attn_geom *g, float *dk, float *dv, const float *dout, const float *q,
                                       const float *k, const float *v, const float *lse, const float *delta, int b,
                                       int hk, int j0, float *scratch) {
  const view w = make_view(g, b);
  const int64_t dp = w.dp;
  const int group = g->Hq / g->Hkv, nk = g->Tk - j0 < BK ? g->Tk - j0 : BK, nkp = pad16(nk);
  float *Qs = scratch, *dO = Qs + BQ * dp, *KT = dO + BQ * dp, *VT = KT + dp * BK, *dK = VT + dp * BK, *dV = dK + BK * dp;
  float *S = dV + BK * dp, *dP = S + BQ * BK, *L = dP + BQ * BK, *Dl = L + BQ;

  pack_cols(KT, k, g, g->kvCapacity, g->Hkv, b, hk, j0, nk);
  pack_cols(VT, v, g, g->kvCapacity, g->Hkv, b, hk, j0, nk);
  memset(dK, 0, (size_t)(nkp * dp) * sizeof *dK);
  memset(dV, 0, (size_t)(nkp * dp) * sizeof *dV);

  for (int h = hk * group; h < (hk + 1) * group; h++) {
    const float slope = g->alibi ? g->alibi[h] : 0.0f;
    for (int i0 = 0; i0 < g->Tq; i0 += BQ) {
      const int nq = g->Tq - i0 < BQ ? g->Tq - i0 : BQ, pmin = g->qOffset + i0;
      const int kind = classify(&w, pmin, pmin + nq - 1, j0, j0 + nk);
      if (kind == BLOCK_SKIP) continue;
      pack_rows(Qs, q, dp, g, g->Tq, g->Hq, b, h, i0, nq, nq, g->scale);
      pack_rows(dO, dout, dp, g, g->Tq, g->Hq, b, h, i0, nq, nq, 1.0f);
      load_row_stats(L, Dl, g, lse, delta, b, h, i0, nq);
      mm(S, BK, Qs, dp, 1, KT, BK, nq, nkp, g->D, 0);  /* S = Qs · Kᵀ */
      mm(dP, BK, dO, dp, 1, VT, BK, nq, nkp, g->D, 0); /* dP = dO · Vᵀ */
      probs_and_dscores(&w, S, dP, L, Dl, pmin, j0, nq, nk, nkp, kind == BLOCK_PARTIAL, slope);
      mm(dV, dp, S, 1, BK, dO, dp, nkp, (int)dp, nq, 1); /* dV += Pᵀ · dO */
      mm(dK, dp, dP, 1, BK, Qs, dp, nkp, (int)dp, nq, 1); /* dK += dSᵀ · (scale · Q) */
    }
  }

  for (int c = 0; c < nk; c++) {
    const int64_t off = (((int64_t)b * g->kvCapacity + j0 + c) * g->Hkv + hk) * g->D;
    memcpy(dk + off, dK + c * dp, (size_t)g->D * sizeof *dk);
    memcpy(dv + off, dV + c * dp, (size_t)g->D * sizeof *dv);
  }
}

void RLHF_FN(attn_backward_dq_block)(const rlhf_attn_geom *g, float *dq, const float *dout, const float *q,
                                     const float *k, const float *v, const float *lse, const float *delta, int b, int h,
                                     int i0, float *scratch) {
  const view w = make_view(g, b);
  const int64_t dp = w.dp;
  const int hk = h / (g->Hq / g->Hkv), nq = g->Tq - i0 < BQ ? g->Tq - i0 : BQ;
  const int pmin = g->qOffset + i0, pmax = pmin + nq - 1;
  const float slope = g->alibi ? g->alibi[h] : 0.0f;
  float *Qs = scratch, *dO = Qs + BQ * dp, *dQ = dO + BQ * dp, *KT = dQ + BQ * dp, *VT = KT + dp * BK, *Kp = VT + dp * BK;
  float *S = Kp + BK * dp, *dP = S + BQ * BK, *L = dP + BQ * BK, *Dl = L + BQ;

  pack_rows(Qs, q, dp, g, g->Tq, g->Hq, b, h, i0, nq, nq, g->scale);
  pack_rows(dO, dout, dp, g, g->Tq, g->Hq, b, h, i0, nq, nq, 1.0f);
  load_row_stats(L, Dl, g, lse, delta, b, h, i0, nq);
  memset(dQ, 0, (size_t)(nq * dp) * sizeof *dQ);

  for (int j0 = 0; j0 < g->Tk; j0 += BK) {
    const int nk = g->Tk - j0 < BK ? g->Tk - j0 : BK, nkp = pad16(nk);
    const int kind = classify(&w, pmin, pmax, j0, j0 + nk);
    if (kind == BLOCK_SKIP) continue;
    pack_cols(KT, k, g, g->kvCapacity, g->Hkv, b, hk, j0, nk);
    pack_cols(VT, v, g, g->kvCapacity, g->Hkv, b, hk, j0, nk);
    pack_rows(Kp, k, dp, g, g->kvCapacity, g->Hkv, b, hk, j0, nk, nkp, 1.0f);
    mm(S, BK, Qs, dp, 1, KT, BK, nq, nkp, g->D, 0);
    mm(dP, BK, dO, dp, 1, VT, BK, nq, nkp, g->D, 0);
    probs_and_dscores(&w, S, dP, L, Dl, pmin, j0, nq, nk, nkp, kind == BLOCK_PARTIAL, slope);
    mm(dQ, dp, dP, BK, 1, Kp, dp, nq, (int)dp, nkp, 1); /* dQ += dS · K */
  }

  for (int r = 0; r < nq; r++) {
    float *o = dq + (((int64_t)b * g->Tq + i0 + r) * g->Hq + h) * g->D;
#pragma omp simd
    for (int d = 0; d < g->D; d++) o[d] = dQ[r * dp + d] * g->scale;
  }
}
