/* Prototypes shared by the files of native/isa/ within one ISA build: the row kernels
 * (rows.c) and attention tasks (attention.c) that kernels.c puts into this ISA's table. */
#ifndef RLHF_ISA_H
#define RLHF_ISA_H

#include "../kernels.h"

void RLHF_FN(softmax_row)(float *out, const float *x, int64_t n);
void RLHF_FN(softmax_backward_row)(float *dx, const float *y, const float *dy, int64_t n);
void RLHF_FN(log_softmax_row)(float *out, const float *x, int64_t n);
void RLHF_FN(log_softmax_backward_row)(float *dx, const float *y, const float *dy, int64_t n);
float RLHF_FN(logsumexp_row)(const float *x, int64_t n);
void RLHF_FN(ce_backward_row)(float *dl, const float *x, float lse, int32_t target, float scale, int64_t n);
float RLHF_FN(rmsnorm_forward_row)(float *y, const float *x, const float *w, int64_t C, float eps);
void RLHF_FN(rmsnorm_backward_row)(float *dx, float *dw_acc, const float *dy, const float *x, const float *w, float rstd,
                                   int64_t C);
void RLHF_FN(layernorm_forward_row)(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                                    int64_t C, float eps);
void RLHF_FN(layernorm_backward_row)(float *dx, float *dw_acc, float *db_acc, const float *dy, const float *x,
                                     const float *w, float mean, float rstd, int64_t C);
void RLHF_FN(rope_row)(float *out, const float *x, const float *cos, const float *sin, int64_t H, int64_t D, int inverse);

void RLHF_FN(attn_forward_block)(const rlhf_attn_geom *g, float *out, float *lse, const float *q, const float *k,
                                 const float *v, int b, int h, int i0, float *scratch);
void RLHF_FN(attn_forward_rows)(const rlhf_attn_geom *g, float *out, float *lse, const float *q, const float *k,
                                const float *v, int b, int h);
float RLHF_FN(attn_delta_row)(const float *dout, const float *out, int D);
void RLHF_FN(attn_backward_dkdv_block)(const rlhf_attn_geom *g, float *dk, float *dv, float *dq, const float *dout,
                                       const float *q, const float *k, const float *v, const float *lse,
                                       const float *delta, int b, int hk, int j0, float *scratch);
void RLHF_FN(attn_backward_dq_block)(const rlhf_attn_geom *g, float *dq, const float *dout, const float *q,
                                     const float *k, const float *v, const float *lse, const float *delta, int b, int h,
                                     int i0, float *scratch);

#endif
