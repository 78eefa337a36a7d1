/* Task splitting and strided n-d iteration for the kernel glue (see glue.h). */
#include <stdio.h>

#include "glue.h"

int rlhf_need(rlhf_args *a, size_t len, int64_t n, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s has %zu elements, needs %lld", what, len, (long long)n);
  return rlhf_check(a, (int64_t)len >= n, msg);
}

int64_t rlhf_size_arg(rlhf_args *a, size_t i, const char *what) {
  char msg[96];
  int64_t n = rlhf_arg_int(a, i);
  snprintf(msg, sizeof msg, "%s must be >= 0", what);
  rlhf_check(a, n >= 0, msg);
  return n;
}

int rlhf_split(int64_t count, int64_t cost, int64_t *per_task) {
  if (count <= 0) {
    *per_task = 1;
    return 0;
  }
  if (cost < 1) cost = 1;
  const int64_t by_size = (RLHF_MIN_TASK + cost - 1) / cost;
  const int64_t by_threads = (count + 4 * (int64_t)rlhf_threads() - 1) / (4 * (int64_t)rlhf_threads());
  int64_t per = by_size > by_threads ? by_size : by_threads;
  if (per < 1) per = 1;
  *per_task = per;
  return (int)((count + per - 1) / per);
}

void rlhf_box_simplify(rlhf_box *b) {
  int nd = 0;
  for (int d = 0; d < b->nd; d++) {
    if (b->shape[d] == 1) continue;
    int merge = nd > 0;
    for (int k = 0; k < b->nops && merge; k++) merge = b->st[k][nd - 1] == b->st[k][d] * b->shape[d];
    if (merge) {
      b->shape[nd - 1] *= b->shape[d];
      for (int k = 0; k < b->nops; k++) b->st[k][nd - 1] = b->st[k][d];
    } else {
      b->shape[nd] = b->shape[d];
      for (int k = 0; k < b->nops; k++) b->st[k][nd] = b->st[k][d];
      nd++;
    }
  }
  if (nd == 0) { /* a single element */
    b->shape[0] = 1;
    for (int k = 0; k < b->nops; k++) b->st[k][0] = 1;
    nd = 1;
  }
  b->nd = nd;
}

void rlhf_box_rows(const rlhf_box *b, int dim, int64_t lo, int64_t hi, rlhf_row_fn row, void *ctx) {
  int64_t shape[RLHF_MAX_DIMS], idx[RLHF_MAX_DIMS] = {0}, offs[RLHF_MAX_OPS];
  const int nd = b->nd;
  for (int d = 0; d < nd; d++) shape[d] = b->shape[d];
  shape[dim] = hi - lo;
  for (int d = 0; d < nd; d++)
    if (shape[d] <= 0) return;
  for (int k = 0; k < b->nops; k++) offs[k] = lo * b->st[k][dim];
  for (;;) {
    row(ctx, offs, shape[nd - 1]);
    int d = nd - 2;
    for (; d >= 0; d--) { /* odometer over the outer dimensions */
      for (int k = 0; k < b->nops; k++) offs[k] += b->st[k][d];
      if (++idx[d] < shape[d]) break;
      for (int k = 0; k < b->nops; k++) offs[k] -= b->st[k][d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

int64_t rlhf_box_read(rlhf_args *a, rlhf_box *b, size_t shape_arg, const size_t *stride_args, const size_t *lens,
                      const char *const *names, int nops) {
  char msg[200];
  size_t nd = 0;
  const int32_t *shape = rlhf_arg_i32(a, shape_arg, &nd, 0);
  if (!shape || !rlhf_check(a, nd <= RLHF_MAX_DIMS, "shape must have at most 16 dimensions")) return -1;
  if (nd == 0) {
    /* A 0-d (scalar) index space: one element, each operand read at its offset 0. */
    b->nd = 1;
    b->nops = nops;
    b->shape[0] = 1;
    for (int k = 0; k < nops; k++) {
      b->st[k][0] = 0;
      snprintf(msg, sizeof msg, "%s is empty but a 0-d shape needs one element", names[k]);
      if (!rlhf_check(a, lens[k] >= 1, msg)) return -1;
    }
    return 1;
  }
  b->nd = (int)nd;
  b->nops = nops;
  int64_t total = 1;
  for (size_t d = 0; d < nd; d++) {
    if (!rlhf_check(a, shape[d] >= 0, "shape has a negative dimension")) return -1;
    b->shape[d] = shape[d];
    total *= shape[d];
  }
  for (int k = 0; k < nops; k++) {
    if (stride_args[k] == RLHF_CONTIGUOUS) {
      int64_t s = 1;
      for (int d = (int)nd - 1; d >= 0; d--) b->st[k][d] = s, s *= b->shape[d];
      continue;
    }
    size_t ns = 0;
    const int32_t *st = rlhf_arg_i32(a, stride_args[k], &ns, 0);
    if (!st) return -1;
    snprintf(msg, sizeof msg, "%s strides have %zu entries for a shape of %zu dimensions", names[k], ns, nd);
    if (!rlhf_check(a, ns == nd, msg)) return -1;
    for (size_t d = 0; d < nd; d++) b->st[k][d] = st[d];
  }
  if (total == 0) return 0;
  for (int k = 0; k < nops; k++) {
    int64_t lo = 0, hi = 0;
    for (size_t d = 0; d < nd; d++) {
      int64_t reach = (b->shape[d] - 1) * b->st[k][d];
      if (reach < 0) lo += reach;
      else hi += reach;
    }
    snprintf(msg, sizeof msg, "%s offsets span [%lld, %lld] but %s has %zu elements", names[k], (long long)lo, (long long)hi,
             names[k], lens[k]);
    if (!rlhf_check(a, lo >= 0 && hi < (int64_t)lens[k], msg)) return -1;
  }
  return total;
}
