/* The optional MPI binding, build/Release/rlhf_mpi.node: the collectives data-parallel training
 * needs, on typed arrays in place, over Open MPI (or any MPI: only the standard API is used).
 * scripts/build-native.mjs compiles this one file with `mpicc` when it is installed; without it the
 * package runs single-process and src/distributed/communicator.ts's size-1 communicator, the reference
 * for every collective here, stands in. src/distributed/mpi.ts wraps these functions:
 *
 *   version() -> string                      the MPI library's own (callable before init)
 *   init() -> {rank, size, localRank, localSize, thread}
 *   finalize(); abort(code); barrier()
 *   allReduce(buf, op)                       in place; op 0 sum, 1 mean, 2 max, 3 min
 *   allGather(local | null, out, counts | null)   out = every rank's local, in rank order (local
 *                                            null: in place, this rank's block already in out)
 *   reduceScatter(input, out | null, counts, op)  out = this rank's block of the reduced input
 *                                            (out null: in place, the block at input's start)
 *   broadcast(buf, root)
 *   gather(local, out | null, counts, root); scatter(input | null, out, counts, root)
 *
 * Buffers are Float32Array or Float64Array (reductions), or also Int32Array and Uint8Array (the
 * data movers). `counts` (an Int32Array, one per rank) gives each rank's block. Every error names
 * the function and the rank ("allGather on rank 1 of 2: ..."): with MPI_ERRORS_RETURN a failed
 * call comes back as a JS exception instead of killing the process, so the CLI can say which rank
 * failed before it aborts the job. A rank that dies outright is reported by mpirun itself. */
#include <mpi.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_rank = 0, g_size = 1, g_state = 0; /* 0 before init, 1 running, 2 finalized */

#define MAX_ARGS 5

typedef struct {
  napi_env env;
  const char *fn;
  size_t argc;
  napi_value argv[MAX_ARGS];
  int failed;
} args_t;

static void fail(args_t *a, const char *what) {
  if (a->failed) return;
  char msg[512];
  snprintf(msg, sizeof msg, "%s on rank %d of %d: %s", a->fn, g_rank, g_size, what);
  napi_throw_error(a->env, "ERR_RLHF_MPI", msg);
  a->failed = 1;
}

static int get_args(args_t *a, napi_env env, napi_callback_info info, const char *fn, size_t expected) {
  a->env = env;
  a->fn = fn;
  a->failed = 0;
  a->argc = MAX_ARGS;
  napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL);
  if (a->argc < expected) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", expected, a->argc);
    fail(a, msg);
    return 0;
  }
  if (g_state != 1 && strcmp(fn, "init") != 0) {
    fail(a, g_state == 0 ? "MPI is not initialised (call init first)" : "MPI was already finalised");
    return 0;
  }
  return 1;
}

/* Turns an MPI error code into an exception; returns whether the call succeeded. */
static int mpi_ok(args_t *a, int code, const char *call) {
  if (code == MPI_SUCCESS) return 1;
  char err[MPI_MAX_ERROR_STRING], msg[MPI_MAX_ERROR_STRING + 64];
  int len = 0;
  MPI_Error_string(code, err, &len);
  snprintf(msg, sizeof msg, "%s failed: %s", call, err);
  fail(a, msg);
  return 0;
}

typedef struct {
  void *data;
  size_t len;
  MPI_Datatype type;
  int floating; /* reductions accept float32 and float64 only */
  int present;  /* 0 for a null argument */
  napi_typedarray_type kind;
} buf_t;

/* A typed-array argument (or, with nullable, null/undefined: data NULL, len 0). */
static int get_buf(args_t *a, size_t i, const char *name, int nullable, buf_t *b) {
  memset(b, 0, sizeof *b);
  if (a->failed) return 0;
  napi_valuetype vt;
  napi_typeof(a->env, a->argv[i], &vt);
  if (nullable && (vt == napi_null || vt == napi_undefined)) return 1;
  bool is_ta = false;
  napi_is_typedarray(a->env, a->argv[i], &is_ta);
  char msg[128];
  if (!is_ta) {
    snprintf(msg, sizeof msg, "%s must be a Float32Array, Float64Array, Int32Array or Uint8Array", name);
    fail(a, msg);
    return 0;
  }
  napi_get_typedarray_info(a->env, a->argv[i], &b->kind, &b->len, &b->data, NULL, NULL);
  b->present = 1;
  switch (b->kind) {
    case napi_float32_array: b->type = MPI_FLOAT; b->floating = 1; break;
    case napi_float64_array: b->type = MPI_DOUBLE; b->floating = 1; break;
    case napi_int32_array: b->type = MPI_INT; break;
    case napi_uint8_array: b->type = MPI_BYTE; break;
    default:
      snprintf(msg, sizeof msg, "%s must be a Float32Array, Float64Array, Int32Array or Uint8Array", name);
      fail(a, msg);
      return 0;
  }
  /* An empty view may have no storage; MPI wants a valid address even for zero elements. */
  static double empty[1];
  if (!b->data) b->data = empty;
  return 1;
}

static int64_t get_int(args_t *a, size_t i, const char *name, int64_t lo, int64_t hi) {
  double v = 0;
  if (a->failed) return 0;
  if (napi_get_value_double(a->env, a->argv[i], &v) != napi_ok || v != (double)(int64_t)v || v < (double)lo || v > (double)hi) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an integer in [%lld, %lld]", name, (long long)lo, (long long)hi);
    fail(a, msg);
    return 0;
  }
  return (int64_t)v;
}

/* counts: an Int32Array of one non-negative count per rank; fills displs; returns their sum or -1. */
static int64_t get_counts(args_t *a, size_t i, int **counts, int *displs) {
  buf_t b;
  if (!get_buf(a, i, "counts", 0, &b)) return -1;
  char msg[128];
  if (b.kind != napi_int32_array || (int)b.len != g_size) {
    snprintf(msg, sizeof msg, "counts must be an Int32Array of %d entries (one per rank), got %zu", g_size, b.len);
    fail(a, msg);
    return -1;
  }
  *counts = (int *)b.data;
  int64_t total = 0;
  for (int r = 0; r < g_size; r++) {
    if ((*counts)[r] < 0) {
      snprintf(msg, sizeof msg, "counts[%d] is negative (%d)", r, (*counts)[r]);
      fail(a, msg);
      return -1;
    }
    displs[r] = (int)total;
    total += (*counts)[r];
  }
  if (total > INT32_MAX) {
    fail(a, "counts sum past 2^31 elements; split the buffer");
    return -1;
  }
  return total;
}

static int same_type(args_t *a, const buf_t *x, const buf_t *y, const char *nx, const char *ny) {
  if (a->failed || x->kind == y->kind) return !a->failed;
  char msg[96];
  snprintf(msg, sizeof msg, "%s and %s must be typed arrays of the same type", nx, ny);
  fail(a, msg);
  return 0;
}

static int need(args_t *a, size_t have, int64_t want, const char *name, const char *why) {
  if (a->failed || (int64_t)have == want) return !a->failed;
  char msg[160];
  snprintf(msg, sizeof msg, "%s has %zu elements, %s %lld", name, have, why, (long long)want);
  fail(a, msg);
  return 0;
}

static MPI_Op reduce_op(args_t *a, size_t i, int *mean) {
  int64_t op = get_int(a, i, "op", 0, 3);
  *mean = op == 1;
  return op == 2 ? MPI_MAX : op == 3 ? MPI_MIN : MPI_SUM;
}

static void divide(const buf_t *b, size_t n, int by) {
  if (b->kind == napi_float32_array) {
    const float s = 1.0f / (float)by;
    for (size_t i = 0; i < n; i++) ((float *)b->data)[i] *= s;
  } else {
    const double s = 1.0 / (double)by;
    for (size_t i = 0; i < n; i++) ((double *)b->data)[i] *= s;
  }
}

static napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

static void set_int(napi_env env, napi_value obj, const char *key, int v) {
  napi_value x;
  napi_create_int32(env, v, &x);
  napi_set_named_property(env, obj, key, x);
}

static napi_value js_version(napi_env env, napi_callback_info info) {
  char v[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(v, &len);
  /* Open MPI's string runs on with its package and build details after the first comma. */
  v[strcspn(v, ",\n")] = 0;
  napi_value s;
  napi_create_string_utf8(env, v, NAPI_AUTO_LENGTH, &s);
  return s;
}

static napi_value js_init(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(&a, env, info, "init", 0)) return NULL;
  if (g_state != 0) {
    fail(&a, "MPI was already initialised in this process");
    return NULL;
  }
  /* A rank waiting in a collective yields its core rather than spin on it, unless the user chose
   * otherwise (--mca mpi_yield_when_idle 0): ranks often share cores with their own compute
   * threads, and a spinning rank waiting for rank 0's evaluation would slow it down. */
  setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
  /* Every MPI call comes from the JS main thread. */
  int provided = 0, local_rank = 0, local_size = 1;
  if (!mpi_ok(&a, MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread")) return NULL;
  g_state = 1;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  /* Ranks on this machine: they share its cores, so the caller divides the threads among them. */
  MPI_Comm local;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_rank, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
    MPI_Comm_rank(local, &local_rank);
    MPI_Comm_size(local, &local_size);
    MPI_Comm_free(&local);
  }
  napi_value obj;
  napi_create_object(env, &obj);
  set_int(env, obj, "rank", g_rank);
  set_int(env, obj, "size", g_size);
  set_int(env, obj, "localRank", local_rank);
  set_int(env, obj, "localSize", local_size);
  set_int(env, obj, "thread", provided);
  return obj;
}

static napi_value js_finalize(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(&a, env, info, "finalize", 0)) return NULL;
  g_state = 2;
  mpi_ok(&a, MPI_Finalize(), "MPI_Finalize");
  return a.failed ? NULL : undefined(env);
}

/* abort(code): ends every rank of the job (mpirun reports which rank called it). */
static napi_value js_abort(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(&a, env, info, "abort", 1)) return NULL;
  int code = (int)get_int(&a, 0, "code", 0, 255);
  fflush(stdout);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  exit(code); /* MPI_Abort does not return; this only satisfies the compiler's view */
}

static napi_value js_barrier(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(&a, env, info, "barrier", 0)) return NULL;
  return mpi_ok(&a, MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier") ? undefined(env) : NULL;
}

static napi_value js_all_reduce(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(&a, env, info, "allReduce", 2)) return NULL;
  buf_t b;
  int mean = 0;
  get_buf(&a, 0, "buf", 0, &b);
  MPI_Op op = reduce_op(&a, 1, &mean);
  if (!a.failed && !b.floating) fail(&a, "buf must be a Float32Array or Float64Array");
  if (!a.failed && b.len > INT32_MAX) fail(&a, "buf holds more than 2^31 elements; split it");
  if (a.failed) return NULL;
  if (!mpi_ok(&a, MPI_Allreduce(MPI_IN_PLACE, b.data, (int)b.len, b.type, op, MPI_COMM_WORLD), "MPI_Allreduce")) return NULL;
  if (mean) divide(&b, b.len, g_size);
  return undefined(env);
}

/* allGather(local, out, counts): with local null, in place (MPI_IN_PLACE): this rank's block
 * already sits at its place in out. */
static napi_value js_all_gather(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(&a, env, info, "allGather", 3)) return NULL;
  buf_t local, out;
  get_buf(&a, 0, "local", 1, &local);
  get_buf(&a, 1, "out", 0, &out);
  const int in_place = !a.failed && !local.present;
  if (!in_place) same_type(&a, &local, &out, "local", "out");
  if (a.failed) return NULL;
  napi_valuetype vt;
  napi_typeof(env, a.argv[2], &vt);
  if (vt == napi_null || vt == napi_undefined) { /* equal blocks */
    if (in_place) fail(&a, "an in-place allGather needs counts");
    if (!need(&a, out.len, (int64_t)local.len * g_size, "out", "needs size × local =")) return NULL;
    if (!mpi_ok(&a, MPI_Allgather(local.data, (int)local.len, local.type, out.data, (int)local.len, out.type, MPI_COMM_WORLD), "MPI_Allgather")) return NULL;
    return undefined(env);
  }
  int *counts = NULL, *displs = malloc(sizeof(int) * g_size);
  int64_t total = get_counts(&a, 2, &counts, displs);
  if (total >= 0 && (in_place || need(&a, local.len, counts[g_rank], "local", "but counts gives this rank")) &&
      need(&a, out.len, total, "out", "but the counts sum to"))
    mpi_ok(&a, MPI_Allgatherv(in_place ? MPI_IN_PLACE : local.data, in_place ? 0 : (int)local.len, in_place ? out.type : local.type,
                              out.data, counts, displs, out.type, MPI_COMM_WORLD), "MPI_Allgatherv");
  free(displs);
  return a.failed ? NULL : undefined(env);
}

/* reduceScatter(input, out, counts, op): with out null, in place (MPI_IN_PLACE): this rank's block
 * of the result lands at the start of input. */
static napi_value js_reduce_scatter(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(&a, env, info, "reduceScatter", 4)) return NULL;
  buf_t in, out;
  int mean = 0;
  get_buf(&a, 0, "input", 0, &in);
  get_buf(&a, 1, "out", 1, &out);
  const int in_place = !a.failed && !out.present;
  if (!in_place) same_type(&a, &in, &out, "input", "out");
  if (!a.failed && !in.floating) fail(&a, "input must be a Float32Array or Float64Array");
  MPI_Op op = reduce_op(&a, 3, &mean);
  if (a.failed) return NULL;
  int *counts = NULL, *displs = malloc(sizeof(int) * g_size);
  int64_t total = get_counts(&a, 2, &counts, displs);
  if (total >= 0 && need(&a, in.len, total, "input", "but the counts sum to") &&
      (in_place || need(&a, out.len, counts[g_rank], "out", "but counts gives this rank")) &&
      mpi_ok(&a, MPI_Reduce_scatter(in_place ? MPI_IN_PLACE : in.data, in_place ? in.data : out.data, counts, in.type, op, MPI_COMM_WORLD), "MPI_Reduce_scatter") &&
      mean)
    divide(in_place ? &in : &out, (size_t)counts[g_rank], g_size);
  free(displs);
  return a.failed ? NULL : undefined(env);
}

static napi_value js_broadcast(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(&a, env, info, "broadcast", 2)) return NULL;
  buf_t b;
  get_buf(&a, 0, "buf", 0, &b);
  int root = (int)get_int(&a, 1, "root", 0, g_size - 1);
  if (!a.failed && b.len > INT32_MAX) fail(&a, "buf holds more than 2^31 elements; split it");
  if (a.failed) return NULL;
  return mpi_ok(&a, MPI_Bcast(b.data, (int)b.len, b.type, root, MPI_COMM_WORLD), "MPI_Bcast") ? undefined(env) : NULL;
}

/* gather(local, out, counts, root) and scatter(input, out, counts, root): the root's big buffer
 * may be null on the other ranks. */
static napi_value gather_scatter(napi_env env, napi_callback_info info, int gather) {
  args_t a;
  if (!get_args(&a, env, info, gather ? "gather" : "scatter", 4)) return NULL;
  buf_t small, big;
  int root = (int)get_int(&a, 3, "root", 0, g_size - 1);
  const int is_root = !a.failed && g_rank == root;
  get_buf(&a, gather ? 0 : 1, gather ? "local" : "out", 0, &small);
  get_buf(&a, gather ? 1 : 0, gather ? "out" : "input", !is_root, &big);
  if (is_root) same_type(&a, &small, &big, gather ? "local" : "out", gather ? "out" : "input");
  if (a.failed) return NULL;
  int *counts = NULL, *displs = malloc(sizeof(int) * g_size);
  int64_t total = get_counts(&a, 2, &counts, displs);
  if (total >= 0 && need(&a, small.len, counts[g_rank], gather ? "local" : "out", "but counts gives this rank") &&
      (!is_root || need(&a, big.len, total, gather ? "out" : "input", "but the counts sum to"))) {
    if (gather)
      mpi_ok(&a, MPI_Gatherv(small.data, (int)small.len, small.type, big.data, counts, displs, small.type, root, MPI_COMM_WORLD), "MPI_Gatherv");
    else
      mpi_ok(&a, MPI_Scatterv(big.data, counts, displs, small.type, small.data, (int)small.len, small.type, root, MPI_COMM_WORLD), "MPI_Scatterv");
  }
  free(displs);
  return a.failed ? NULL : undefined(env);
}

static napi_value js_gather(napi_env env, napi_callback_info info) { return gather_scatter(env, info, 1); }
static napi_value js_scatter(napi_env env, napi_callback_info info) { return gather_scatter(env, info, 0); }

static napi_value init(napi_env env, napi_value exports) {
  const struct { const char *name; napi_callback fn; } fns[] = {
    {"version", js_version}, {"init", js_init}, {"finalize", js_finalize}, {"abort", js_abort},
    {"barrier", js_barrier}, {"allReduce", js_all_reduce}, {"allGather", js_all_gather},
    {"reduceScatter", js_reduce_scatter}, {"broadcast", js_broadcast}, {"gather", js_gather}, {"scatter", js_scatter},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
