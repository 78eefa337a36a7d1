/* Flash attention on the CPU: a task owns one (batch, head, 64-query block) and streams 64-key
 * blocks through a running-max softmax, so no more than a 64×64 tile of scores exists at a time.
 * Backward recomputes the probabilities from the forward's lse in two race-free passes: dk, dv
 * per (batch, kv head, key block), summed over the query heads of the GQA group; then dq per
 * (batch, head, query block). Each output element is written by one task, so results do not
 * depend on the thread count.
 *
 * The block a task keeps is packed transposed once (scaled by `scale`); the blocks it streams are
 * read in place (K, V, Q, dO rows, when D is a multiple of 16) or copied into D-padded rows. So
 * forward and dq work on Sᵀ (keys × queries), with the online softmax vectorised across queries,
 * and dk/dv on S (queries × keys).
 *
 * Layouts: q, out, dq: [B, Tq, Hq, D]; k, v, dk, dv: [B, kvCapacity, Hkv, D]; lse, delta: [B, Hq, Tq]. */
#include "isa.h"
#include "vmath.h"

#define BQ RLHF_ATTN_BQ
#define BK RLHF_ATTN_BK
_Static_assert(BQ == BK, "packed transposes use one row length for query and key blocks");

/* ---- tile product: C (M×N) = or += A (M×K) · Bm (K×N), A(r, k) = A[r·ars + k·acs] ---------------
 * N is a multiple of 16 (callers pad). A 4-row block of C stays in registers over K. */
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
/* Portable: a 4 × 8 block of C in local accumulators (registers with SSE or NEON) over K. */
RL_INLINE void mm_tile(int R, float *C, int64_t ldc, const float *A, int64_t ars, int64_t acs, const float *Bm, int64_t ldb,
                       int K, int acc) {
  float c[4][8];
  for (int r = 0; r < R; r++)
    for (int n = 0; n < 8; n++) c[r][n] = acc ? C[r * ldc + n] : 0.0f;
  for (int k = 0; k < K; k++) {
    const float *b = Bm + (int64_t)k * ldb;
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const float a = A[r * ars + k * acs];
#pragma omp simd
      for (int n = 0; n < 8; n++) c[r][n] += a * b[n];
    }
  }
  for (int r = 0; r < R; r++)
    for (int n = 0; n < 8; n++) C[r * ldc + n] = c[r][n];
}

static void mm(float *C, int64_t ldc, const float *A, int64_t ars, int64_t acs, const float *Bm, int64_t ldb, int M, int N,
               int K, int acc) {
  int i = 0;
  for (; i + 4 <= M; i += 4)
    for (int n = 0; n < N; n += 8) mm_tile(4, C + i * ldc + n, ldc, A + i * ars, ars, acs, Bm + n, ldb, K, acc);
  for (; i < M; i++)
    for (int n = 0; n < N; n += 8) mm_tile(1, C + i * ldc + n, ldc, A + i * ars, ars, acs, Bm + n, ldb, K, acc);
}
#endif

/* ---- geometry ------------------------------------------------------------------------------------ */

typedef struct {
  const rlhf_attn_geom *g;
  int64_t dp;
  int prefix;          /* keys below `prefix` are seen by every query (prefix-LM) */
  const int32_t *mask; /* this batch's key mask row, or NULL */
} view;

static view make_view(const rlhf_attn_geom *g, int b) {
  view w = {g, rlhf_attn_dpad(g->D), 0, g->keyMask ? g->keyMask + (int64_t)b * g->Tk : NULL};
  if (g->prefixLen) w.prefix = g->prefixLen[b] < g->Tk ? g->prefixLen[b] : g->Tk;
  return w;
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

/* Adds the ALiBi bias to a tile of scores and sets hidden (query, key) pairs to −∞. Element
 * S[r·ld + c] pairs query i0 + (qrows ? r : c) with key j0 + (qrows ? c : r). */
RL_INLINE void bias_and_mask(const view *w, float *S, int ld, int nr, int nc, int i0, int j0, int qrows, int partial,
                             float slope) {
  const rlhf_attn_geom *g = w->g;
  const int p0 = g->qOffset + i0, causal = g->causal, window = g->window, prefix = w->prefix;
  const int32_t *mask = w->mask;
  for (int r = 0; r < nr; r++) {
    float *s = S + (int64_t)r * ld;
    if (slope != 0.0f) {
#pragma omp simd
      for (int c = 0; c < nc; c++) {
        const int pos = p0 + (qrows ? r : c), j = j0 + (qrows ? c : r);
        s[c] -= slope * fabsf((float)(pos - j));
      }
    }
    if (!partial) continue;
#pragma omp simd
    for (int c = 0; c < nc; c++) {
      const int pos = p0 + (qrows ? r : c), j = j0 + (qrows ? c : r);
      const int seen = (!mask || mask[j] != 0) && (j < prefix || !causal || (j <= pos && (window <= 0 || pos - j < window)));
      s[c] = seen ? s[c] : -INFINITY;
    }
  }
}

/* ---- packing ------------------------------------------------------------------------------------- */

/* n rows of D (row stride ld), times scale, transposed into dst[d·BQ + r] (BQ = BK); columns
 * [n, ncols) zero */
static void pack_t(float *dst, const float *src, int64_t ld, int n, int ncols, int D, float scale) {
  for (int d = 0; d < D; d++) {
    float *o = dst + (int64_t)d * BQ;
    for (int r = 0; r < n; r++) o[r] = src[r * ld + d] * scale;
    for (int r = n; r < ncols; r++) o[r] = 0.0f;
  }
}

/* An operand of n rows of D for a tile product: the rows in place when D is a multiple of 16
 * (so *ldb = ld), else copied into dst with each row zero-padded to dp. */
static const float *rows_operand(float *dst, const float *src, int64_t ld, int n, int D, int64_t dp, int64_t *ldb) {
  if (D % 16 == 0) {
    *ldb = ld;
    return src;
  }
  for (int r = 0; r < n; r++) {
    memcpy(dst + r * dp, src + r * ld, (size_t)D * sizeof *dst);
    memset(dst + r * dp + D, 0, (size_t)(dp - D) * sizeof *dst);
  }
  *ldb = dp;
  return dst;
}

static int pad16(int n) { return (n + 15) & ~15; }

/* ---- forward ------------------------------------------------------------------------------------- */

void RLHF_FN(attn_forward_block)(const rlhf_attn_geom *g, float *out, float *lse, const float *q, const float *k,
                                 const float *v, int b, int h, int i0, float *scratch) {
  const view w = make_view(g, b);
  const int64_t dp = w.dp, ldq = (int64_t)g->Hq * g->D, ldk = (int64_t)g->Hkv * g->D;
  const int hk = h / (g->Hq / g->Hkv), nq = g->Tq - i0 < BQ ? g->Tq - i0 : BQ, nqp = pad16(nq);
  const int pmin = g->qOffset + i0, pmax = pmin + nq - 1;
  const float slope = g->alibi ? g->alibi[h] : 0.0f;
  const float *kb = k + ((int64_t)b * g->kvCapacity * g->Hkv + hk) * g->D, *vb = v + ((int64_t)b * g->kvCapacity * g->Hkv + hk) * g->D;
  float *QT = scratch, *O = QT + dp * BQ, *S = O + BQ * dp, *Vp = S + BK * BQ;
  float *m = Vp + BK * dp, *l = m + BQ, *alpha = l + BQ, *mref = alpha + BQ, *colsum = mref + BQ;

  pack_t(QT, q + ((int64_t)b * g->Tq + i0) * ldq + (int64_t)h * g->D, ldq, nq, nqp, g->D, g->scale);
  memset(O, 0, (size_t)(nq * dp) * sizeof *O);
  for (int i = 0; i < nqp; i++) m[i] = -INFINITY, l[i] = 0.0f;

  for (int j0 = 0; j0 < g->Tk; j0 += BK) {
    const int nk = g->Tk - j0 < BK ? g->Tk - j0 : BK;
    const int kind = classify(&w, pmin, pmax, j0, j0 + nk);
    if (kind == BLOCK_SKIP) continue;
    mm(S, BQ, kb + j0 * ldk, ldk, 1, QT, BQ, nk, nqp, g->D, 0); /* Sᵀ = K · (scale·Q)ᵀ */
    bias_and_mask(&w, S, BQ, nk, nqp, i0, j0, 0, kind == BLOCK_PARTIAL, slope);

    /* online softmax down each column (query): new max, rescale of the old sums, exponentials */
    for (int i = 0; i < nqp; i++) colsum[i] = m[i];
    for (int j = 0; j < nk; j++) {
      const float *s = S + j * BQ;
#pragma omp simd
      for (int i = 0; i < nqp; i++) colsum[i] = s[i] > colsum[i] ? s[i] : colsum[i];
    }
#pragma omp simd
    for (int i = 0; i < nqp; i++) {
      const float mx = colsum[i];
      alpha[i] = mx == -INFINITY ? 1.0f : rl_exp(m[i] - mx); /* old max −∞ gives 0 */
      mref[i] = mx == -INFINITY ? 0.0f : mx;                 /* all hidden so far: exp(−∞) = 0 */
      m[i] = mx;
      colsum[i] = 0.0f;
    }
    for (int j = 0; j < nk; j++) {
      float *s = S + j * BQ;
#pragma omp simd
      for (int i = 0; i < nqp; i++) {
        const float p = rl_exp(s[i] - mref[i]);
        s[i] = p;
        colsum[i] += p;
      }
    }
    for (int i = 0; i < nq; i++) {
      l[i] = l[i] * alpha[i] + colsum[i];
      if (alpha[i] == 1.0f) continue;
      float *o = O + i * dp;
#pragma omp simd
      for (int d = 0; d < dp; d++) o[d] *= alpha[i];
    }
    int64_t ldv;
    const float *V = rows_operand(Vp, vb + j0 * ldk, ldk, nk, g->D, dp, &ldv);
    mm(O, dp, S, 1, BQ, V, ldv, nq, (int)dp, nk, 1); /* O += P · V */
  }

  for (int i = 0; i < nq; i++) {
    float *o = out + ((int64_t)b * g->Tq + i0 + i) * ldq + (int64_t)h * g->D;
    float *L = lse + ((int64_t)b * g->Hq + h) * g->Tq + i0 + i;
    if (l[i] == 0.0f) { /* a query that sees no key */
      memset(o, 0, (size_t)g->D * sizeof *o);
      *L = -INFINITY;
      continue;
    }
    const float inv = 1.0f / l[i];
#pragma omp simd
    for (int d = 0; d < g->D; d++) o[d] = O[i * dp + d] * inv;
    *L = m[i] + logf(l[i]);
  }
}

/* ---- forward, a few queries (decode) -------------------------------------------------------------
 * One query against a KV cache gains nothing from 64×64 tiles: its keys are streamed once. So each
 * query row of a (batch, head) goes through the keys in chunks of RL_ROW_CHUNK, chunk-major so the
 * chunk's K and V rows stay in L1 across the rows: gather the row's visible keys, their scores (a
 * dot product over D each), an online softmax across chunks, and the weighted V rows added
 * straight into the output row, which is the only scratch besides the stack. */
#define RL_ROW_CHUNK 64

/* s[c] = scale · (q · k_{js[c]}) for c < n, key j at kb + j·ldk */
#if defined(__AVX512F__) || defined(__AVX2__)
RL_INLINE float hsum(vf x) {
#if defined(__AVX512F__)
  return _mm512_reduce_add_ps(x);
#else
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
#endif
}

/* the four sums of a0..a3, reduced together (one horizontal tree for all four) */
RL_INLINE __m128 hsum4(vf a0, vf a1, vf a2, vf a3) {
#if defined(__AVX512F__)
  const __m256 b0 = _mm256_add_ps(_mm512_castps512_ps256(a0), _mm512_extractf32x8_ps(a0, 1));
  const __m256 b1 = _mm256_add_ps(_mm512_castps512_ps256(a1), _mm512_extractf32x8_ps(a1, 1));
  const __m256 b2 = _mm256_add_ps(_mm512_castps512_ps256(a2), _mm512_extractf32x8_ps(a2, 1));
  const __m256 b3 = _mm256_add_ps(_mm512_castps512_ps256(a3), _mm512_extractf32x8_ps(a3, 1));
#else
  const __m256 b0 = a0, b1 = a1, b2 = a2, b3 = a3;
#endif
  const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(b0, b1), _mm256_hadd_ps(b2, b3));
  return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

/* the D % VW trailing elements of a row, zeros past them */
RL_INLINE vf load_tail(const float *x, int n) {
#if defined(__AVX512F__)
  return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), x);
#else
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_maskload_ps(x, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane));
#endif
}

static void row_scores(float *s, const float *q, const float *kb, int64_t ldk, const int *js, int n, int D, float scale) {
  const int dv = D - D % VW, tail = D % VW;
  const vf qt = tail ? load_tail(q + dv, tail) : VZERO();
  int c = 0;
  for (; c + 4 <= n; c += 4) { /* four independent FMA chains */
    const float *k0 = kb + js[c] * ldk, *k1 = kb + js[c + 1] * ldk, *k2 = kb + js[c + 2] * ldk, *k3 = kb + js[c + 3] * ldk;
    vf a0 = VZERO(), a1 = VZERO(), a2 = VZERO(), a3 = VZERO();
    for (int d = 0; d < dv; d += VW) {
      const vf qd = VLOAD(q + d);
      a0 = VFMA(qd, VLOAD(k0 + d), a0);
      a1 = VFMA(qd, VLOAD(k1 + d), a1);
      a2 = VFMA(qd, VLOAD(k2 + d), a2);
      a3 = VFMA(qd, VLOAD(k3 + d), a3);
    }
    if (tail) {
      a0 = VFMA(qt, load_tail(k0 + dv, tail), a0);
      a1 = VFMA(qt, load_tail(k1 + dv, tail), a1);
      a2 = VFMA(qt, load_tail(k2 + dv, tail), a2);
      a3 = VFMA(qt, load_tail(k3 + dv, tail), a3);
    }
    _mm_storeu_ps(s + c, _mm_mul_ps(hsum4(a0, a1, a2, a3), _mm_set1_ps(scale)));
  }
  for (; c < n; c++) {
    const float *k0 = kb + js[c] * ldk;
    vf a0 = tail ? VFMA(qt, load_tail(k0 + dv, tail), VZERO()) : VZERO();
    for (int d = 0; d < dv; d += VW) a0 = VFMA(VLOAD(q + d), VLOAD(k0 + d), a0);
    s[c] = hsum(a0) * scale;
  }
}
#else
static void row_scores(float *s, const float *q, const float *kb, int64_t ldk, const int *js, int n, int D, float scale) {
  for (int c = 0; c < n; c++) {
    const float *kr = kb + js[c] * ldk;
    float a = 0.0f;
#pragma omp simd reduction(+ : a)
    for (int d = 0; d < D; d++) a += q[d] * kr[d];
    s[c] = a * scale;
  }
}
#endif

/* o += Σ_c p[c] · v_{js[c]}, four keys per pass over o */
static void row_add_values(float *o, const float *vb, int64_t ldk, const int *js, const float *p, int n, int D) {
  int c = 0;
  for (; c + 4 <= n; c += 4) {
    const float *v0 = vb + js[c] * ldk, *v1 = vb + js[c + 1] * ldk, *v2 = vb + js[c + 2] * ldk, *v3 = vb + js[c + 3] * ldk;
    const float p0 = p[c], p1 = p[c + 1], p2 = p[c + 2], p3 = p[c + 3];
#pragma omp simd
    for (int d = 0; d < D; d++) o[d] += p0 * v0[d] + p1 * v1[d] + p2 * v2[d] + p3 * v3[d];
  }
  for (; c < n; c++) {
    const float *v0 = vb + js[c] * ldk, p0 = p[c];
#pragma omp simd
    for (int d = 0; d < D; d++) o[d] += p0 * v0[d];
  }
}

/* The visible keys of query row i among [c0, c1), into js; returns how many. */
static int visible_keys(int *js, const view *w, int pos, int c0, int c1) {
  const rlhf_attn_geom *g = w->g;
  int n = 0, ranges[2][2] = {{c0, c1}, {0, 0}};
  if (g->causal) { /* the prefix [0, prefix), then [lo, hi) up to the query and inside the window */
    const int hi = pos + 1, lo = g->window > 0 && pos - g->window + 1 > w->prefix ? pos - g->window + 1 : w->prefix;
    ranges[0][1] = c1 < w->prefix ? c1 : w->prefix;
    ranges[1][0] = c0 > lo ? c0 : lo;
    ranges[1][1] = c1 < hi ? c1 : hi;
  }
  for (int r = 0; r < 2; r++)
    for (int j = ranges[r][0]; j < ranges[r][1]; j++) {
      js[n] = j;
      n += !w->mask || w->mask[j] != 0;
    }
  return n;
}

void RLHF_FN(attn_forward_rows)(const rlhf_attn_geom *g, float *out, float *lse, const float *q, const float *k,
                                const float *v, int b, int h) {
  const view w = make_view(g, b);
  const int64_t ldq = (int64_t)g->Hq * g->D, ldk = (int64_t)g->Hkv * g->D;
  const int D = g->D, hk = h / (g->Hq / g->Hkv), nq = g->Tq;
  const float slope = g->alibi ? g->alibi[h] : 0.0f;
  const float *kb = k + ((int64_t)b * g->kvCapacity * g->Hkv + hk) * D, *vb = v + ((int64_t)b * g->kvCapacity * g->Hkv + hk) * D;
  const float *qb = q + (int64_t)b * g->Tq * ldq + (int64_t)h * D;
  float *ob = out + (int64_t)b * g->Tq * ldq + (int64_t)h * D;
  int js[RL_ROW_CHUNK];
  float s[RL_ROW_CHUNK], m[RLHF_ATTN_ROWS_TQ], l[RLHF_ATTN_ROWS_TQ];
  /* keys past the last query's position are hidden from every row, unless in the prefix */
  const int last = g->qOffset + nq - 1, end = !g->causal ? g->Tk : last + 1 > w.prefix ? (last + 1 < g->Tk ? last + 1 : g->Tk) : w.prefix;

  for (int i = 0; i < nq; i++) {
    m[i] = -INFINITY, l[i] = 0.0f;
    memset(ob + i * ldq, 0, (size_t)D * sizeof *ob);
  }
  /* chunk-major, so the rows of a chunk's K and V stay in L1 for every query row */
  for (int c0 = 0; c0 < end; c0 += RL_ROW_CHUNK) {
    const int c1 = end - c0 < RL_ROW_CHUNK ? end : c0 + RL_ROW_CHUNK;
    for (int i = 0; i < nq; i++) {
      const int pos = g->qOffset + i, n = visible_keys(js, &w, pos, c0, c1);
      if (n == 0) continue;
      float *o = ob + i * ldq;
      row_scores(s, qb + i * ldq, kb, ldk, js, n, D, g->scale);
      if (slope != 0.0f) {
#pragma omp simd
        for (int c = 0; c < n; c++) s[c] -= slope * fabsf((float)(pos - js[c]));
      }
      float mx = m[i];
#pragma omp simd reduction(max : mx)
      for (int c = 0; c < n; c++) mx = s[c] > mx ? s[c] : mx;
      if (mx == -INFINITY) continue; /* every score −∞: these keys add nothing */
      if (mx > m[i] && l[i] != 0.0f) { /* a new running max: rescale what was summed so far */
        const float alpha = rl_exp(m[i] - mx);
        l[i] *= alpha;
#pragma omp simd
        for (int d = 0; d < D; d++) o[d] *= alpha;
      }
      m[i] = mx;
      float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
      for (int c = 0; c < n; c++) {
        s[c] = rl_exp(s[c] - mx);
        sum += s[c];
      }
      l[i] += sum;
      row_add_values(o, vb, ldk, js, s, n, D);
    }
  }

  for (int i = 0; i < nq; i++) {
    float *o = ob + i * ldq, *L = lse + ((int64_t)b * g->Hq + h) * g->Tq + i;
    if (l[i] == 0.0f) { /* a query that sees no key */
      memset(o, 0, (size_t)D * sizeof *o);
      *L = -INFINITY;
      continue;
    }
    const float inv = 1.0f / l[i];
#pragma omp simd
    for (int d = 0; d < D; d++) o[d] *= inv;
    *L = m[i] + logf(l[i]);
  }
}

/* ---- backward ------------------------------------------------------------------------------------ */

float RLHF_FN(attn_delta_row)(const float *dout, const float *out, int D) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int d = 0; d < D; d++) s += dout[d] * out[d];
  return s;
}

/* lse and delta of queries [i0, i0+nq) of head h; padding up to ncols gets lse −∞ (sees nothing) */
static void load_row_stats(float *L, float *Dl, const rlhf_attn_geom *g, const float *lse, const float *delta, int b, int h,
                           int i0, int nq, int ncols) {
  const int64_t base = ((int64_t)b * g->Hq + h) * g->Tq + i0;
  memcpy(L, lse + base, (size_t)nq * sizeof *L);
  memcpy(Dl, delta + base, (size_t)nq * sizeof *Dl);
  for (int i = nq; i < ncols; i++) L[i] = -INFINITY, Dl[i] = 0.0f;
}

/* P = exp(S − lse) and dS = P ⊙ (dP − delta), in place of S and dP, along one row of a tile. A
 * query with lse −∞ sees nothing: P = 0. This one: a row of keys × queries, one lse per column. */
RL_INLINE void probs_row(float *s, float *dp, int n, const float *L, const float *Dl) {
#pragma omp simd
  for (int c = 0; c < n; c++) {
    const float p = L[c] == -INFINITY ? 0.0f : rl_exp(s[c] - L[c]);
    s[c] = p;
    dp[c] = p * (dp[c] - Dl[c]);
  }
}

/* the same along a row of queries × keys: one query, one lse */
RL_INLINE void probs_row_scalar(float *s, float *dp, int n, float L, float Dl) {
#pragma omp simd
  for (int c = 0; c < n; c++) {
    const float p = L == -INFINITY ? 0.0f : rl_exp(s[c] - L);
    s[c] = p;
    dp[c] = p * (dp[c] - Dl);
  }
}

/* With dq non-NULL (D a multiple of 16) also adds this key block's dS · K into dq's rows of the
 * group's heads, unscaled: the single-pass backward, for tasks that own those rows. */
void RLHF_FN(attn_backward_dkdv_block)(const rlhf_attn_geom *g, float *dk, float *dv, float *dq, const float *dout,
                                       const float *q, const float *k, const float *v, const float *lse,
                                       const float *delta, int b, int hk, int j0, float *scratch) {
  const view w = make_view(g, b);
  const int64_t dp = w.dp, ldq = (int64_t)g->Hq * g->D, ldk = (int64_t)g->Hkv * g->D;
  const int group = g->Hq / g->Hkv, nk = g->Tk - j0 < BK ? g->Tk - j0 : BK, nkp = pad16(nk);
  const int64_t kv0 = ((int64_t)b * g->kvCapacity + j0) * ldk + (int64_t)hk * g->D;
  float *KT = scratch, *VT = KT + dp * BK, *dK = VT + dp * BK, *dV = dK + BK * dp, *S = dV + BK * dp, *dP = S + BQ * BK;
  float *Qp = dP + BQ * BK, *dOp = Qp + BQ * dp, *L = dOp + BQ * dp, *Dl = L + BQ;

  pack_t(KT, k + kv0, ldk, nk, nkp, g->D, g->scale); /* (scale·K)ᵀ: D × BK */
  pack_t(VT, v + kv0, ldk, nk, nkp, g->D, 1.0f);
  memset(dK, 0, (size_t)(nk * dp) * sizeof *dK);
  memset(dV, 0, (size_t)(nk * dp) * sizeof *dV);

  for (int h = hk * group; h < (hk + 1) * group; h++) {
    const float slope = g->alibi ? g->alibi[h] : 0.0f;
    for (int i0 = 0; i0 < g->Tq; i0 += BQ) {
      const int nq = g->Tq - i0 < BQ ? g->Tq - i0 : BQ, pmin = g->qOffset + i0;
      const int kind = classify(&w, pmin, pmin + nq - 1, j0, j0 + nk);
      if (kind == BLOCK_SKIP) continue;
      const int64_t q0 = ((int64_t)b * g->Tq + i0) * ldq + (int64_t)h * g->D;
      mm(S, BK, q + q0, ldq, 1, KT, BK, nq, nkp, g->D, 0);     /* S = Q · (scale·K)ᵀ */
      mm(dP, BK, dout + q0, ldq, 1, VT, BK, nq, nkp, g->D, 0); /* dP = dO · Vᵀ */
      bias_and_mask(&w, S, BK, nq, nk, i0, j0, 1, kind == BLOCK_PARTIAL, slope);
      load_row_stats(L, Dl, g, lse, delta, b, h, i0, nq, nq);
      for (int i = 0; i < nq; i++) probs_row_scalar(S + i * BK, dP + i * BK, nk, L[i], Dl[i]);
      int64_t ldo, ldqq;
      const float *dO = rows_operand(dOp, dout + q0, ldq, nq, g->D, dp, &ldo);
      const float *Q = rows_operand(Qp, q + q0, ldq, nq, g->D, dp, &ldqq);
      mm(dV, dp, S, 1, BK, dO, ldo, nk, (int)dp, nq, 1); /* dV += Pᵀ · dO */
      mm(dK, dp, dP, 1, BK, Q, ldqq, nk, (int)dp, nq, 1); /* dK += dSᵀ · Q */
      if (dq) mm(dq + q0, ldq, dP, BK, 1, k + kv0, ldk, nq, g->D, nk, 1); /* dQ += dS · K */
    }
  }

  for (int c = 0; c < nk; c++) {
    float *ok = dk + kv0 + c * ldk, *ov = dv + kv0 + c * ldk;
#pragma omp simd
    for (int d = 0; d < g->D; d++) ok[d] = dK[c * dp + d] * g->scale;
    memcpy(ov, dV + c * dp, (size_t)g->D * sizeof *ov);
  }
}

void RLHF_FN(attn_backward_dq_block)(const rlhf_attn_geom *g, float *dq, const float *dout, const float *q,
                                     const float *k, const float *v, const float *lse, const float *delta, int b, int h,
                                     int i0, float *scratch) {
  const view w = make_view(g, b);
  const int64_t dp = w.dp, ldq = (int64_t)g->Hq * g->D, ldk = (int64_t)g->Hkv * g->D;
  const int hk = h / (g->Hq / g->Hkv), nq = g->Tq - i0 < BQ ? g->Tq - i0 : BQ, nqp = pad16(nq);
  const int pmin = g->qOffset + i0, pmax = pmin + nq - 1;
  const float slope = g->alibi ? g->alibi[h] : 0.0f;
  const int64_t q0 = ((int64_t)b * g->Tq + i0) * ldq + (int64_t)h * g->D;
  const float *kb = k + ((int64_t)b * g->kvCapacity * g->Hkv + hk) * g->D, *vb = v + ((int64_t)b * g->kvCapacity * g->Hkv + hk) * g->D;
  float *QT = scratch, *dOT = QT + dp * BQ, *dQ = dOT + dp * BQ, *S = dQ + BQ * dp, *dP = S + BK * BQ, *Kp = dP + BK * BQ;
  float *L = Kp + BK * dp, *Dl = L + BQ;

  pack_t(QT, q + q0, ldq, nq, nqp, g->D, g->scale); /* (scale·Q)ᵀ: D × BQ */
  pack_t(dOT, dout + q0, ldq, nq, nqp, g->D, 1.0f);
  load_row_stats(L, Dl, g, lse, delta, b, h, i0, nq, nqp);
  memset(dQ, 0, (size_t)(nq * dp) * sizeof *dQ);

  for (int j0 = 0; j0 < g->Tk; j0 += BK) {
    const int nk = g->Tk - j0 < BK ? g->Tk - j0 : BK;
    const int kind = classify(&w, pmin, pmax, j0, j0 + nk);
    if (kind == BLOCK_SKIP) continue;
    mm(S, BQ, kb + j0 * ldk, ldk, 1, QT, BQ, nk, nqp, g->D, 0);   /* Sᵀ = K · (scale·Q)ᵀ */
    mm(dP, BQ, vb + j0 * ldk, ldk, 1, dOT, BQ, nk, nqp, g->D, 0); /* dPᵀ = V · dOᵀ */
    bias_and_mask(&w, S, BQ, nk, nqp, i0, j0, 0, kind == BLOCK_PARTIAL, slope);
    for (int j = 0; j < nk; j++) probs_row(S + j * BQ, dP + j * BQ, nqp, L, Dl);
    int64_t ldkk;
    const float *K = rows_operand(Kp, kb + j0 * ldk, ldk, nk, g->D, dp, &ldkk);
    mm(dQ, dp, dP, 1, BQ, K, ldkk, nq, (int)dp, nk, 1); /* dQ += dS · K */
  }

  for (int i = 0; i < nq; i++) {
    float *o = dq + q0 + i * ldq;
#pragma omp simd
    for (int d = 0; d < g->D; d++) o[d] = dQ[i * dp + d] * g->scale;
  }
}
