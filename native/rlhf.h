/* Shared declarations of the native backend: the thread pool, the run-time ISA choice, and the
 * naming macro that lets native/isa/ files be compiled once per instruction set (see binding.gyp). */
#ifndef RLHF_H
#define RLHF_H

#include <stddef.h>
#include <stdint.h>

/* ---- instruction sets ------------------------------------------------------------------------ */
typedef enum { RLHF_ISA_GENERIC = 0, RLHF_ISA_AVX2 = 1, RLHF_ISA_AVX512 = 2 } rlhf_isa_t;

/* The ISA picked at load: the best the CPU supports, or RLHF_ISA=generic|avx2|avx512 if set and
 * supported (tests use it to check every path the machine can run). */
rlhf_isa_t rlhf_isa(void);
const char *rlhf_isa_name(rlhf_isa_t isa);
/* Whether this CPU can run `isa` at all. */
int rlhf_isa_supported(rlhf_isa_t isa);
/* Switch the ISA at run time (returns 0 if unsupported). */
int rlhf_set_isa(rlhf_isa_t isa);

/* Extensions the AVX-512 kernels use when the CPU has them: VNNI (int8 dot products) and BF16
 * (bfloat16 dot products). rlhf_isa_ext() is the set in use; rlhf_set_isa_ext(0) turns them off,
 * so tests reach the plain AVX-512 paths too (it never enables what the CPU lacks). */
enum { RLHF_EXT_VNNI = 1, RLHF_EXT_BF16 = 2 };
int rlhf_isa_ext(void);
void rlhf_set_isa_ext(int mask);

/* Inside native/isa/ files, RLHF_FN(gemm_micro) expands to gemm_micro_generic / _avx2 / _avx512. */
#define RLHF_CAT_(a, b) a##_##b
#define RLHF_CAT(a, b) RLHF_CAT_(a, b)
#ifdef RLHF_ISA
#define RLHF_FN(name) RLHF_CAT(name, RLHF_ISA)
#endif

/* ---- thread pool ----------------------------------------------------------------------------- */
/* fn(ctx, task, thread) is called once for every task in [0, n_tasks); the calling thread works
 * too, and the call returns when all tasks are done. `thread` is in [0, rlhf_threads()) so tasks
 * can use per-thread scratch. Nested calls run serially on the caller. */
typedef void (*rlhf_task_fn)(void *ctx, int task, int thread);
void rlhf_parallel_for(int n_tasks, rlhf_task_fn fn, void *ctx);
/* Number of threads: RLHF_THREADS if set, else the number of online cores. */
int rlhf_threads(void);
void rlhf_set_threads(int n);

#endif
