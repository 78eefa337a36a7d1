/* Helpers shared by the kernel glue files (glue_kernels.c, glue_rows.c, glue_attention.c): how
 * work is cut into thread-pool tasks, and an iterator over strided n-d boxes. */
#ifndef RLHF_GLUE_H
#define RLHF_GLUE_H

#include <stdint.h>

#include "kernels.h"
#include "napi_util.h"

/* Throws a RangeError unless `what` (an array of len elements) holds at least n; returns whether
 * it does. */
int rlhf_need(rlhf_args *a, size_t len, int64_t n, const char *what);
/* Reads a size argument, throwing unless it is >= 0 (`what` names it). */
int64_t rlhf_size_arg(rlhf_args *a, size_t i, const char *what);

/* Below this many elements a task is not worth handing to another thread. */
#define RLHF_MIN_TASK 16384

/* Splits `count` items, each about `cost` elements of work, into tasks of `*per_task` items: at
 * least RLHF_MIN_TASK elements each, at most 4 tasks per thread. Returns the number of tasks. */
int rlhf_split(int64_t count, int64_t cost, int64_t *per_task);

/* ---- strided boxes: the loops of binary, where, copyStrided and sumInto ------------------------ */

#define RLHF_MAX_DIMS 16
#define RLHF_MAX_OPS 4

typedef struct {
  int nd, nops;
  int64_t shape[RLHF_MAX_DIMS];
  int64_t st[RLHF_MAX_OPS][RLHF_MAX_DIMS]; /* element strides per operand */
} rlhf_box;

/* Drops size-1 dimensions and merges neighbours that are contiguous for every operand, so the
 * innermost loop is as long as possible. Leaves at least one dimension. */
void rlhf_box_simplify(rlhf_box *b);

/* Calls row(ctx, offs, n) for every innermost run of the box with dimension `dim` limited to
 * [lo, hi); offs[k] is operand k's element offset of the run's first element, and the run is n
 * long with inner strides st[k][nd − 1]. Runs come in row-major order. */
typedef void (*rlhf_row_fn)(void *ctx, const int64_t *offs, int64_t n);
void rlhf_box_rows(const rlhf_box *b, int dim, int64_t lo, int64_t hi, rlhf_row_fn row, void *ctx);

/* Reads the shape (argument shape_arg) and each operand's strides (argument stride_args[k], or
 * RLHF_CONTIGUOUS for a contiguous row-major operand) into b, checking that every offset operand
 * k can reach lies inside its lens[k] elements; names[k] goes into the error. Returns the element
 * count, or −1 after throwing. */
#define RLHF_CONTIGUOUS ((size_t)-1)
int64_t rlhf_box_read(rlhf_args *a, rlhf_box *b, size_t shape_arg, const size_t *stride_args, const size_t *lens,
                      const char *const *names, int nops);

/* Fused attention forward on the thread pool (the body of attentionForward, also run by the
 * decoder); returns 0 when its scratch cannot be allocated. */
int rlhf_attention_forward(const rlhf_attn_geom *g, float *out, float *lse, const float *q, const float *k,
                           const float *v);

/* Registration of the strided, row and attention kernels (called from rlhf_register_kernels). */
void rlhf_register_strided(napi_env env, napi_value exports);
void rlhf_register_rows(napi_env env, napi_value exports);
void rlhf_register_attention(napi_env env, napi_value exports);
void rlhf_register_decoder(napi_env env, napi_value exports);

#endif
