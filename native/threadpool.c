/* A persistent pool of worker threads: tasks are handed out through an atomic counter, so uneven
 * tasks balance themselves; the caller takes tasks too instead of sleeping. */
#include "rlhf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_THREADS 256

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  pthread_t workers[MAX_THREADS];
  int n_workers;      /* threads started besides the caller */
  int n_threads;      /* threads used by the next job, caller included */
  unsigned long generation;
  rlhf_task_fn fn;
  void *ctx;
  int n_tasks;
  atomic_int next_task;
  int active;         /* workers still inside the current job */
  int busy;           /* a job is running (nested calls run serially) */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};

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
  pthread_mutex_lock(&pool.lock);
  for (;;) {
    while (pool.generation == seen) pthread_cond_wait(&pool.wake, &pool.lock);
    seen = pool.generation;
    if (id >= pool.n_threads) continue; /* not needed for this job */
    pthread_mutex_unlock(&pool.lock);
    run_tasks(id);
    pthread_mutex_lock(&pool.lock);
    if (--pool.active == 0) pthread_cond_signal(&pool.done);
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
  int saved = pool.n_threads;
  pool.n_threads = n;
  pool.active = n - 1;
  pool.generation++;
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);

  run_tasks(0);

  pthread_mutex_lock(&pool.lock);
  while (pool.active > 0) pthread_cond_wait(&pool.done, &pool.lock);
  pool.n_threads = saved;
  pool.busy = 0;
  pthread_mutex_unlock(&pool.lock);
}
