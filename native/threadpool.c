/* A persistent pool of worker threads: tasks are handed out through an atomic counter, so uneven
 * tasks balance themselves; the caller takes tasks too instead of sleeping. Between jobs a worker
 * polls for a short while before it sleeps, and so does the caller before it waits: on a virtual
 * machine, waking a thread whose core went idle costs hundreds of microseconds (a 512³ GEMM ran at
 * half speed), while back-to-back kernels come microseconds apart. The polling is kept short
 * because on an oversubscribed machine every microsecond of it is taken from other work. */
#include "rlhf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#define MAX_THREADS 256
/* How long an idle thread polls before it sleeps. */
#define SPIN_NS 20000L

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  pthread_t workers[MAX_THREADS];
  int n_workers;             /* threads started besides the caller */
  int n_threads;             /* threads a job may use, caller included */
  /* The current job's number << 16 | the threads taking part, in one word so that a worker
   * never pairs one job's number with another's thread count. */
  atomic_ulong job;
  rlhf_task_fn fn;
  void *ctx;
  int n_tasks;
  atomic_int next_task;
  atomic_int active;         /* workers still inside the current job */
  int busy;                  /* a job is running (nested calls run serially) */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Polls `done(arg)` for up to SPIN_NS; returns whether it came true. */
static int spin_until(int (*done)(unsigned long), unsigned long arg) {
  long deadline = 0;
  for (int i = 0;; i++) {
    if (done(arg)) return 1;
    cpu_relax();
    if ((i & 63) == 63) { /* reading the clock costs more than a pause: do it now and then */
      long t = now_ns();
      if (!deadline) deadline = t + SPIN_NS;
      else if (t > deadline) return 0;
    }
  }
}

static int job_changed(unsigned long seen) { return atomic_load_explicit(&pool.job, memory_order_acquire) != seen; }
static int workers_done(unsigned long unused) { return atomic_load_explicit(&pool.active, memory_order_acquire) == 0; }

static void run_tasks(int thread) {
  for (;;) {
    int t = atomic_fetch_add(&pool.next_task, 1);
    if (t >= pool.n_tasks) break;
    pool.fn(pool.ctx, t, thread);
  }
}

static void *worker_main(void *arg) {
  int id = (int)(intptr_t)arg; /* 1.. */
  unsigned long seen = 0;
  for (;;) {
    if (!spin_until(job_changed, seen)) {
      pthread_mutex_lock(&pool.lock);
      while (!job_changed(seen)) pthread_cond_wait(&pool.wake, &pool.lock);
      pthread_mutex_unlock(&pool.lock);
    }
    seen = atomic_load_explicit(&pool.job, memory_order_acquire);
    if (id >= (int)(seen & 0xFFFF)) continue; /* not needed for this job */
    run_tasks(id);
    if (atomic_fetch_sub_explicit(&pool.active, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&pool.lock);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.lock);
    }
  }
  return NULL;
}

static int default_threads(void) {
  const char *env = getenv("RLHF_THREADS");
  if (env && atoi(env) > 0) return atoi(env);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

int rlhf_threads(void) {
  if (pool.n_threads == 0) pool.n_threads = default_threads();
  return pool.n_threads;
}

void rlhf_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  pool.n_threads = n;
}

static void ensure_workers(int n) {
  while (pool.n_workers < n - 1) {
    int id = pool.n_workers + 1;
    if (pthread_create(&pool.workers[pool.n_workers], NULL, worker_main, (void *)(intptr_t)id) != 0) break;
    pthread_detach(pool.workers[pool.n_workers]);
    pool.n_workers++;
  }
}

void rlhf_parallel_for(int n_tasks, rlhf_task_fn fn, void *ctx) {
  if (n_tasks <= 0) return;
  int n = rlhf_threads();
  pthread_mutex_lock(&pool.lock);
  if (n == 1 || n_tasks == 1 || pool.busy) {
    pthread_mutex_unlock(&pool.lock);
    for (int t = 0; t < n_tasks; t++) fn(ctx, t, 0);
    return;
  }
  ensure_workers(n);
  if (n > pool.n_workers + 1) n = pool.n_workers + 1;
  if (n > n_tasks) n = n_tasks;
  pool.busy = 1;
  pool.fn = fn;
  pool.ctx = ctx;
  pool.n_tasks = n_tasks;
  atomic_store(&pool.next_task, 0);
  atomic_store(&pool.active, n - 1);
  unsigned long number = (atomic_load(&pool.job) >> 16) + 1;
  atomic_store_explicit(&pool.job, number << 16 | (unsigned long)n, memory_order_release); /* publishes it */
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);

  run_tasks(0);

  if (!spin_until(workers_done, 0)) {
    pthread_mutex_lock(&pool.lock);
    while (!workers_done(0)) pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
  }
  pthread_mutex_lock(&pool.lock);
  pool.busy = 0;
  pthread_mutex_unlock(&pool.lock);
}
