/* A whole decoder's forward for cached generation in one native call (native/decoder.c): token
 * embedding, then per layer norm → q/k/v → RoPE → attention over the KV cache → output projection
 * → norm → MLP, then the final norm and the LM head, on weights held as float32 (the model's own
 * arrays, read in place), bfloat16 or int8 (packed once, kernels.h). The specification is
 * decoderForward in src/engine/backends/ref/decoder.ts, which composes the engine's kernels in the
 * same order: with float32 weights the two agree bit for bit. */
#ifndef RLHF_DECODER_H
#define RLHF_DECODER_H

#include <stddef.h>
#include <stdint.h>

enum { RLHF_W_F32 = 0, RLHF_W_BF16 = 1, RLHF_W_INT8 = 2 };

/* A Linear weight [N, K] (+ bias [N]) in one of the three storages; N == 0 marks an absent one. */
typedef struct {
  int dtype, N, K;
  const float *f32;       /* RLHF_W_F32: row-major [N, K] */
  const void *packed;     /* RLHF_W_INT8: q; RLHF_W_BF16: w (layouts in kernels.h) */
  const float *scales;    /* RLHF_W_INT8 */
  const int32_t *wsum;    /* RLHF_W_INT8 */
  const float *bias;      /* or NULL */
  float *prepacked;       /* RLHF_W_F32: the weight in the GEMM's panel layout (gemm.h), or NULL */
  int prepacked_isa;      /* the ISA it was packed for (used only while that ISA is current) */
} rlhf_lin;

typedef struct {
  const float *norm1_w, *norm1_b, *norm2_w, *norm2_b; /* the _b are NULL for RMSNorm */
  rlhf_lin q, k, v, o, gate, up, down;                /* gate.N == 0: GELU MLP */
} rlhf_dec_layer;

typedef struct {
  int C, L, Hq, Hkv, D, F, V;
  int layer_norm; /* 0: RMSNorm; 1: LayerNorm */
  float eps;
  rlhf_lin embed;          /* the token table [V, C], looked up by row */
  const float *pos_table;  /* learned or sinusoidal positions [pos_rows, C], added; or NULL */
  int pos_rows;
  const float *final_w, *final_b;
  rlhf_lin head;           /* [V, C] */
  rlhf_dec_layer *layers;  /* [L] */
  void *scratch;           /* activations, grown as needed */
  size_t scratch_bytes;
} rlhf_decoder;

/* One call: T tokens for each of B rows, appended to the cache at column `start`. */
typedef struct {
  const int32_t *ids, *pos; /* [B·T]; pos indexes the RoPE and position tables */
  int B, T;
  float *const *cache_k, *const *cache_v; /* per layer [B, capacity, Hkv, D] */
  int capacity, start;
  const int32_t *key_mask;   /* [B, start + T] or NULL */
  const int32_t *prefix_len; /* [B] or NULL */
  int window;
  float scale;
  const float *cos, *sin;    /* [rows, D/2] RoPE tables, or NULL */
  const float *alibi;        /* [Hq] or NULL */
  float *logits;             /* [B, V] (each row's last position) or [B·T, V] */
  int all_positions;
} rlhf_dec_step;

/* Returns 0 when scratch memory cannot be allocated. */
int rlhf_decoder_forward(rlhf_decoder *d, const rlhf_dec_step *s);

/* y [M, w->N] = x [M, w->K] · Wᵀ (+ bias) for each of n ≤ RLHF_MAX_LINEARS weights sharing x, as one pass over the
 * thread pool (int8: x is quantised once; bf16: rounded once); scratch as rlhf_linears_scratch. */
#define RLHF_MAX_LINEARS 4
int rlhf_linears(const rlhf_lin *const *w, float *const *y, int n, const float *x, int M, void *scratch);
/* Bytes of scratch rlhf_linears needs for M rows of K inputs. */
size_t rlhf_linears_scratch(int M, int K);

#endif
