/* N-API glue of the inference kernels: weight packing (native/quant.c), int8 and bfloat16 Linear
 * layers (native/isa/qlinear.c), and the fused decoder (native/decoder.c). A decoder is created
 * once from the model's arrays, which it keeps alive with references and reads in place; each
 * forward then passes only the step's ids, positions, cache and masks. Every length is checked
 * here, so the C side can trust the indices it computes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "gemm.h"
#include "glue.h"

/* ---- packing and single Linear layers --------------------------------------------------------- */

static int64_t int8_bytes(int64_t N, int64_t K) { return rlhf_round_up(N, RLHF_QGROUP) * rlhf_round_up(K, RLHF_QBLOCK); }
static int64_t int8_wsum(int64_t N, int64_t K) { return rlhf_round_up(N, RLHF_QGROUP) * (rlhf_round_up(K, RLHF_QBLOCK) / RLHF_QBLOCK); }
static int64_t bf16_elems(int64_t N, int64_t K) { return rlhf_round_up(N, RLHF_QGROUP) * rlhf_round_up(K, 2); }

/* quantizeInt8(q, scales, wsum, w, N, K) */
static napi_value js_quantize_int8(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[4];
  if (!rlhf_args_init(&a, env, info, "quantizeInt8", 6)) return NULL;
  int8_t *q = rlhf_arg_i8(&a, 0, &l[0], 0);
  float *scales = rlhf_arg_f32(&a, 1, &l[1], 0);
  int32_t *wsum = rlhf_arg_i32(&a, 2, &l[2], 0);
  const float *w = rlhf_arg_f32(&a, 3, &l[3], 0);
  const int64_t N = rlhf_size_arg(&a, 4, "N"), K = rlhf_size_arg(&a, 5, "K");
  if (!rlhf_need(&a, l[0], int8_bytes(N, K), "q") || !rlhf_need(&a, l[1], rlhf_round_up(N, RLHF_QGROUP), "scales") ||
      !rlhf_need(&a, l[2], int8_wsum(N, K), "wsum") || !rlhf_need(&a, l[3], N * K, "w"))
    return NULL;
  rlhf_quantize_int8(q, scales, wsum, w, N, K);
  return rlhf_undefined(env);
}

/* packBf16(out, w, N, K) */
static napi_value js_pack_bf16(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[2];
  if (!rlhf_args_init(&a, env, info, "packBf16", 4)) return NULL;
  uint16_t *out = rlhf_arg_u16(&a, 0, &l[0], 0);
  const float *w = rlhf_arg_f32(&a, 1, &l[1], 0);
  const int64_t N = rlhf_size_arg(&a, 2, "N"), K = rlhf_size_arg(&a, 3, "K");
  if (!rlhf_need(&a, l[0], bf16_elems(N, K), "out") || !rlhf_need(&a, l[1], N * K, "w")) return NULL;
  rlhf_pack_bf16(out, w, N, K);
  return rlhf_undefined(env);
}

/* Runs one Linear layer through rlhf_linears with scratch of its own. */
static napi_value run_linear(rlhf_args *a, const rlhf_lin *w, float *y, const float *x, int M) {
  void *scratch = aligned_alloc(64, rlhf_linears_scratch(M, w->K));
  if (!rlhf_check(a, scratch != NULL, "out of memory")) return NULL;
  const rlhf_lin *ws[1] = {w};
  float *ys[1] = {y};
  rlhf_linears(ws, ys, 1, x, M, scratch);
  free(scratch);
  return rlhf_undefined(a->env);
}

/* linearInt8(y, x, q, scales, wsum, M, N, K) */
static napi_value js_linear_int8(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[5];
  if (!rlhf_args_init(&a, env, info, "linearInt8", 8)) return NULL;
  float *y = rlhf_arg_f32(&a, 0, &l[0], 0);
  const float *x = rlhf_arg_f32(&a, 1, &l[1], 0);
  rlhf_lin w = {.dtype = RLHF_W_INT8};
  w.packed = rlhf_arg_i8(&a, 2, &l[2], 0);
  w.scales = rlhf_arg_f32(&a, 3, &l[3], 0);
  w.wsum = rlhf_arg_i32(&a, 4, &l[4], 0);
  const int64_t M = rlhf_size_arg(&a, 5, "M"), N = rlhf_size_arg(&a, 6, "N"), K = rlhf_size_arg(&a, 7, "K");
  if (!rlhf_check(&a, M < (1 << 30) && N < (1 << 30) && K < (1 << 30), "sizes must be < 2^30") ||
      !rlhf_need(&a, l[0], M * N, "y") || !rlhf_need(&a, l[1], M * K, "x") || !rlhf_need(&a, l[2], int8_bytes(N, K), "q") ||
      !rlhf_need(&a, l[3], rlhf_round_up(N, RLHF_QGROUP), "scales") || !rlhf_need(&a, l[4], int8_wsum(N, K), "wsum"))
    return NULL;
  w.N = (int)N, w.K = (int)K;
  return run_linear(&a, &w, y, x, (int)M);
}

/* linearBf16(y, x, w, M, N, K) */
static napi_value js_linear_bf16(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t l[3];
  if (!rlhf_args_init(&a, env, info, "linearBf16", 6)) return NULL;
  float *y = rlhf_arg_f32(&a, 0, &l[0], 0);
  const float *x = rlhf_arg_f32(&a, 1, &l[1], 0);
  rlhf_lin w = {.dtype = RLHF_W_BF16};
  w.packed = rlhf_arg_u16(&a, 2, &l[2], 0);
  const int64_t M = rlhf_size_arg(&a, 3, "M"), N = rlhf_size_arg(&a, 4, "N"), K = rlhf_size_arg(&a, 5, "K");
  if (!rlhf_check(&a, M < (1 << 30) && N < (1 << 30) && K < (1 << 30), "sizes must be < 2^30") ||
      !rlhf_need(&a, l[0], M * N, "y") || !rlhf_need(&a, l[1], M * K, "x") || !rlhf_need(&a, l[2], bf16_elems(N, K), "w"))
    return NULL;
  w.N = (int)N, w.K = (int)K;
  return run_linear(&a, &w, y, x, (int)M);
}

/* ---- the decoder handle ------------------------------------------------------------------------- */

#define DECODER_MAGIC 0x52444543 /* "RDEC" */

typedef struct {
  int magic;
  rlhf_decoder d;
  napi_ref *refs;
  int nrefs;
} dec_handle;

/* Every Linear of the decoder, the head last (it may be the embedding's weight, read as a table). */
static int all_linears(rlhf_decoder *d, rlhf_lin **out) {
  int n = 0;
  for (int l = 0; l < d->L; l++) {
    rlhf_dec_layer *ly = &d->layers[l];
    rlhf_lin *ws[7] = {&ly->q, &ly->k, &ly->v, &ly->o, &ly->gate, &ly->up, &ly->down};
    for (int i = 0; i < 7; i++) out[n++] = ws[i];
  }
  out[n++] = &d->head;
  return n;
}

static void free_handle(napi_env env, dec_handle *h) {
  for (int i = 0; i < h->nrefs; i++) napi_delete_reference(env, h->refs[i]);
  if (h->d.layers) {
    rlhf_lin **ws = malloc(sizeof *ws * (size_t)(7 * h->d.L + 1));
    const int n = ws ? all_linears(&h->d, ws) : 0;
    for (int i = 0; i < n; i++) free(ws[i]->prepacked);
    free(ws);
  }
  free(h->refs);
  free(h->d.layers);
  free(h->d.scratch);
  free(h);
}

static void dec_finalize(napi_env env, void *data, void *hint) { free_handle(env, data); }

/* Packs every float32 Linear (M ≥ 2 products then skip packing B); returns 0 when out of memory. */
static int prepack(rlhf_decoder *d) {
  rlhf_lin **ws = malloc(sizeof *ws * (size_t)(7 * d->L + 1));
  if (!ws) return 0;
  const int n = all_linears(d, ws);
  int ok = 1;
  for (int i = 0; i < n && ok; i++) {
    rlhf_lin *w = ws[i];
    if (w->dtype != RLHF_W_F32 || !w->N) continue;
    w->prepacked = aligned_alloc(64, (rlhf_gemm_packed_size(w->N, w->K) * sizeof(float) + 63) & ~(size_t)63);
    if (!w->prepacked) ok = 0;
    else w->prepacked_isa = rlhf_gemm_pack_b(w->prepacked, w->f32, w->N, w->K);
  }
  free(ws);
  return ok;
}

/* Reads element i of the tensors array: a typed array (kept alive by a reference) or null. */
typedef struct {
  rlhf_args *a;
  napi_value arr;
  dec_handle *h;
  uint32_t count;
} tensor_reader;

static void *tensor(tensor_reader *r, uint32_t i, napi_typedarray_type *type, size_t *len, const char *what) {
  if (r->a->failed) return NULL;
  char msg[160];
  if (i >= r->count) {
    snprintf(msg, sizeof msg, "tensors has %u entries, needs more (at %s)", r->count, what);
    rlhf_check(r->a, 0, msg);
    return NULL;
  }
  napi_value v;
  napi_get_element(r->a->env, r->arr, i, &v);
  napi_valuetype vt;
  napi_typeof(r->a->env, v, &vt);
  *len = 0;
  if (vt == napi_null || vt == napi_undefined) return NULL;
  bool is_ta = false;
  napi_is_typedarray(r->a->env, v, &is_ta);
  void *data = NULL;
  if (is_ta) napi_get_typedarray_info(r->a->env, v, type, len, &data, NULL, NULL);
  if (!is_ta) {
    snprintf(msg, sizeof msg, "%s must be a typed array or null", what);
    rlhf_check(r->a, 0, msg);
    return NULL;
  }
  napi_create_reference(r->a->env, v, 1, &r->h->refs[r->h->nrefs++]);
  static double empty_storage[1];
  return data ? data : (void *)empty_storage;
}

static int need(tensor_reader *r, const void *p, size_t len, int64_t n, const char *what) {
  if (r->a->failed) return 0;
  char msg[160];
  snprintf(msg, sizeof msg, "%s is missing", what);
  if (!rlhf_check(r->a, p != NULL, msg)) return 0;
  return rlhf_need(r->a, len, n, what);
}

/* A Linear weight [N, K] from 4 entries (data, scales, wsum, bias); its storage follows the data's
 * type: Float32Array, Int8Array (int8) or Uint16Array (bf16). */
static void read_linear(tensor_reader *r, uint32_t *i, rlhf_lin *w, int N, int K, const char *what) {
  napi_typedarray_type type = napi_float32_array;
  size_t len, ls, lw, lb;
  char name[96];
  const void *data = tensor(r, (*i)++, &type, &len, what);
  napi_typedarray_type ts = napi_float32_array, tw = napi_int32_array, tb = napi_float32_array;
  const void *scales = tensor(r, (*i)++, &ts, &ls, what), *wsum = tensor(r, (*i)++, &tw, &lw, what);
  const void *bias = tensor(r, (*i)++, &tb, &lb, what);
  *w = (rlhf_lin){.N = N, .K = K, .bias = bias};
  if (r->a->failed || !data) {
    w->N = 0; /* absent (a GELU model's gate) */
    return;
  }
  snprintf(name, sizeof name, "%s bias", what);
  if (bias && (tb != napi_float32_array || !rlhf_need(r->a, lb, N, name))) return;
  if (type == napi_float32_array) {
    w->dtype = RLHF_W_F32;
    w->f32 = data;
    rlhf_need(r->a, len, (int64_t)N * K, what);
  } else if (type == napi_int8_array) {
    w->dtype = RLHF_W_INT8;
    w->packed = data, w->scales = scales, w->wsum = wsum;
    snprintf(name, sizeof name, "%s scales", what);
    if (!rlhf_need(r->a, len, int8_bytes(N, K), what) || !need(r, scales, ts == napi_float32_array ? ls : 0, rlhf_round_up(N, RLHF_QGROUP), name)) return;
    snprintf(name, sizeof name, "%s wsum", what);
    need(r, wsum, tw == napi_int32_array ? lw : 0, int8_wsum(N, K), name);
  } else if (type == napi_uint16_array) {
    w->dtype = RLHF_W_BF16;
    w->packed = data;
    rlhf_need(r->a, len, bf16_elems(N, K), what);
  } else {
    snprintf(name, sizeof name, "%s must be a Float32Array, Int8Array or Uint16Array", what);
    rlhf_check(r->a, 0, name);
  }
}

static const float *read_f32(tensor_reader *r, uint32_t *i, int64_t n, int required, const char *what) {
  napi_typedarray_type type = napi_float32_array;
  size_t len;
  const float *p = tensor(r, (*i)++, &type, &len, what);
  if (r->a->failed) return NULL;
  char msg[96];
  snprintf(msg, sizeof msg, "%s must be a Float32Array", what);
  if (p && !rlhf_check(r->a, type == napi_float32_array, msg)) return NULL;
  if (required || p) need(r, p, len, n, what);
  return p;
}

/* decoderCreate(ints, eps, tensors) -> handle. ints: [C, L, Hq, Hkv, D, F, V, layerNorm, posRows,
 * packF32] (packF32: keep a copy of each float32 weight in the GEMM's panel layout);
 * tensors: embed (4 linear entries), posTable, finalW, finalB, head (4), then per layer norm1W,
 * norm1B, norm2W, norm2B and q, k, v, o, gate, up, down (4 entries each). */
static napi_value js_decoder_create(napi_env env, napi_callback_info info) {
  rlhf_args a;
  size_t li;
  if (!rlhf_args_init(&a, env, info, "decoderCreate", 3)) return NULL;
  const int32_t *ints = rlhf_arg_i32(&a, 0, &li, 0);
  const double eps = rlhf_arg_num(&a, 1);
  bool is_array = false;
  napi_is_array(env, a.argv[2], &is_array);
  if (!rlhf_need(&a, li, 10, "ints") || !rlhf_check(&a, is_array, "tensors must be an array")) return NULL;
  for (int k = 0; k < 9; k++)
    if (!rlhf_check(&a, ints[k] >= 0 && (k >= 7 || ints[k] > 0), "sizes must be positive")) return NULL;
  dec_handle *h = calloc(1, sizeof *h);
  tensor_reader r = {&a, a.argv[2], h, 0};
  napi_get_array_length(env, a.argv[2], &r.count);
  h->magic = DECODER_MAGIC;
  rlhf_decoder *d = &h->d;
  d->C = ints[0], d->L = ints[1], d->Hq = ints[2], d->Hkv = ints[3], d->D = ints[4], d->F = ints[5], d->V = ints[6];
  d->layer_norm = ints[7] != 0, d->pos_rows = ints[8];
  d->eps = (float)eps;
  h->refs = calloc(r.count + 1, sizeof *h->refs);
  d->layers = calloc((size_t)d->L, sizeof *d->layers);
  if (!rlhf_check(&a, h->refs && d->layers, "out of memory") ||
      !rlhf_check(&a, d->Hq % d->Hkv == 0, "Hq must be a multiple of Hkv") ||
      !rlhf_check(&a, d->D % 2 == 0, "D must be even"))
    goto fail;
  uint32_t i = 0;
  const int C = d->C, QD = d->Hq * d->D, KD = d->Hkv * d->D, F = d->F;
  read_linear(&r, &i, &d->embed, d->V, C, "embed");
  d->pos_table = read_f32(&r, &i, (int64_t)d->pos_rows * C, 0, "posTable");
  d->final_w = read_f32(&r, &i, C, 1, "finalW");
  d->final_b = read_f32(&r, &i, C, 0, "finalB");
  read_linear(&r, &i, &d->head, d->V, C, "head");
  if (!a.failed && !rlhf_check(&a, d->embed.N && d->head.N && (d->pos_table == NULL) == (d->pos_rows == 0), "embed and head are required; posTable needs posRows"))
    goto fail;
  for (int l = 0; l < d->L && !a.failed; l++) {
    rlhf_dec_layer *ly = &d->layers[l];
    ly->norm1_w = read_f32(&r, &i, C, 1, "norm1W");
    ly->norm1_b = read_f32(&r, &i, C, d->layer_norm, "norm1B");
    ly->norm2_w = read_f32(&r, &i, C, 1, "norm2W");
    ly->norm2_b = read_f32(&r, &i, C, d->layer_norm, "norm2B");
    read_linear(&r, &i, &ly->q, QD, C, "q");
    read_linear(&r, &i, &ly->k, KD, C, "k");
    read_linear(&r, &i, &ly->v, KD, C, "v");
    read_linear(&r, &i, &ly->o, C, QD, "o");
    read_linear(&r, &i, &ly->gate, F, C, "gate");
    read_linear(&r, &i, &ly->up, F, C, "up");
    read_linear(&r, &i, &ly->down, C, F, "down");
    if (!a.failed && !rlhf_check(&a, ly->q.N && ly->k.N && ly->v.N && ly->o.N && ly->up.N && ly->down.N, "a layer's q, k, v, o, up and down are required"))
      goto fail;
  }
  if (a.failed || (ints[9] && !rlhf_check(&a, prepack(d), "out of memory packing the weights"))) goto fail;
  napi_value out;
  napi_create_external(env, h, dec_finalize, NULL, &out);
  return out;
fail:
  free_handle(env, h);
  return NULL;
}

/* Reads a JS array of L Float32Arrays, each ≥ n elements, into out. */
static int cache_arrays(rlhf_args *a, size_t i, float **out, int L, int64_t n, const char *what) {
  bool is_array = false;
  uint32_t count = 0;
  char msg[128];
  napi_is_array(a->env, a->argv[i], &is_array);
  if (is_array) napi_get_array_length(a->env, a->argv[i], &count);
  snprintf(msg, sizeof msg, "%s must be an array of %d Float32Arrays", what, L);
  if (!rlhf_check(a, is_array && (int)count >= L, msg)) return 0;
  for (int l = 0; l < L; l++) {
    napi_value v;
    napi_get_element(a->env, a->argv[i], (uint32_t)l, &v);
    bool is_ta = false;
    napi_typedarray_type type = napi_int8_array;
    size_t len = 0;
    void *data = NULL;
    napi_is_typedarray(a->env, v, &is_ta);
    if (is_ta) napi_get_typedarray_info(a->env, v, &type, &len, &data, NULL, NULL);
    if (!rlhf_check(a, is_ta && type == napi_float32_array, msg) || !rlhf_need(a, len, n, what)) return 0;
    out[l] = data;
  }
  return 1;
}

/* decoderForward(handle, ids, pos, B, T, cacheK, cacheV, capacity, start, keyMask, prefixLen, window,
 * scale, cos, sin, alibi, logits, allPositions) */
static napi_value js_decoder_forward(napi_env env, napi_callback_info info) {
  rlhf_args a;
  if (!rlhf_args_init(&a, env, info, "decoderForward", 18)) return NULL;
  dec_handle *h = NULL;
  napi_valuetype vt;
  napi_typeof(env, a.argv[0], &vt);
  if (vt == napi_external) napi_get_value_external(env, a.argv[0], (void **)&h);
  if (!rlhf_check(&a, h && h->magic == DECODER_MAGIC, "the first argument must be a decoderCreate handle")) return NULL;
  rlhf_decoder *d = &h->d;
  rlhf_dec_step s = {0};
  size_t l_ids, l_pos, l_mask, l_prefix, l_cos, l_sin, l_alibi, l_logits;
  s.ids = rlhf_arg_i32(&a, 1, &l_ids, 0);
  s.pos = rlhf_arg_i32(&a, 2, &l_pos, 0);
  const int64_t B = rlhf_size_arg(&a, 3, "B"), T = rlhf_size_arg(&a, 4, "T");
  const int64_t capacity = rlhf_size_arg(&a, 7, "capacity"), start = rlhf_size_arg(&a, 8, "start");
  s.key_mask = rlhf_arg_i32(&a, 9, &l_mask, 1);
  s.prefix_len = rlhf_arg_i32(&a, 10, &l_prefix, 1);
  s.window = (int)rlhf_arg_int(&a, 11);
  s.scale = (float)rlhf_arg_num(&a, 12);
  s.cos = rlhf_arg_f32(&a, 13, &l_cos, 1);
  s.sin = rlhf_arg_f32(&a, 14, &l_sin, 1);
  s.alibi = rlhf_arg_f32(&a, 15, &l_alibi, 1);
  s.logits = rlhf_arg_f32(&a, 16, &l_logits, 0);
  s.all_positions = rlhf_arg_bool(&a, 17);
  if (a.failed) return NULL;
  if (!rlhf_check(&a, B > 0 && T > 0 && B < (1 << 20) && T < (1 << 20), "B and T must be in [1, 2^20)") ||
      !rlhf_check(&a, start + T <= capacity && capacity < (1 << 30), "start + T must be <= capacity < 2^30") ||
      !rlhf_check(&a, s.window >= 0, "window must be >= 0"))
    return NULL;
  const int64_t M = B * T, half = d->D / 2, kv = B * capacity * d->Hkv * d->D;
  if (!rlhf_need(&a, l_ids, M, "ids") || !rlhf_need(&a, l_pos, M, "pos") ||
      (s.key_mask && !rlhf_need(&a, l_mask, B * (start + T), "keyMask")) || (s.prefix_len && !rlhf_need(&a, l_prefix, B, "prefixLen")) ||
      (s.alibi && !rlhf_need(&a, l_alibi, d->Hq, "alibi")) || !rlhf_need(&a, l_logits, (s.all_positions ? M : B) * d->V, "logits") ||
      !rlhf_check(&a, (s.cos == NULL) == (s.sin == NULL) && l_cos == l_sin && l_cos % half == 0, "cos and sin must be given together, [rows, D/2] each"))
    return NULL;
  const int64_t rope_rows = s.cos ? (int64_t)l_cos / half : 0;
  for (int64_t m = 0; m < M; m++) {
    char msg[128];
    snprintf(msg, sizeof msg, "token id %d at %lld is outside the vocabulary [0, %d)", s.ids[m], (long long)m, d->V);
    if (!rlhf_check(&a, s.ids[m] >= 0 && s.ids[m] < d->V, msg)) return NULL;
    const int64_t rows = s.cos && d->pos_table ? (rope_rows < d->pos_rows ? rope_rows : d->pos_rows) : s.cos ? rope_rows : d->pos_rows;
    snprintf(msg, sizeof msg, "position %d at %lld is outside the tables [0, %lld)", s.pos[m], (long long)m, (long long)rows);
    if ((s.cos || d->pos_table) && !rlhf_check(&a, s.pos[m] >= 0 && s.pos[m] < rows, msg)) return NULL;
  }
  float *ck[d->L], *cv[d->L];
  if (!cache_arrays(&a, 5, ck, d->L, kv, "cacheK") || !cache_arrays(&a, 6, cv, d->L, kv, "cacheV")) return NULL;
  s.B = (int)B, s.T = (int)T, s.capacity = (int)capacity, s.start = (int)start;
  s.cache_k = ck, s.cache_v = cv;
  if (!rlhf_check(&a, rlhf_decoder_forward(d, &s), "out of memory for the decoder's activations")) return NULL;
  return rlhf_undefined(env);
}

void rlhf_register_decoder(napi_env env, napi_value exports) {
  rlhf_export(env, exports, "quantizeInt8", js_quantize_int8);
  rlhf_export(env, exports, "packBf16", js_pack_bf16);
  rlhf_export(env, exports, "linearInt8", js_linear_int8);
  rlhf_export(env, exports, "linearBf16", js_linear_bf16);
  rlhf_export(env, exports, "decoderCreate", js_decoder_create);
  rlhf_export(env, exports, "decoderForward", js_decoder_forward);
}
