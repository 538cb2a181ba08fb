/*
 * pool.h - c-web-modules' thread pool, which is not available to a plugin
 * here: thread_pool_init returns NULL with an error-log line.
 *
 * Why: the host API (responses, maps, ctx->cache, the database, the log)
 * belongs to the worker's event loop and is not thread-safe; and a plugin
 * version is dlclose()d when it is replaced, so a thread still running
 * its code (a task, or a worker thread waiting for one) would jump into
 * unmapped memory and crash the nginx worker.  Work that must not block
 * the request goes to scheduler_add(ctx->scheduler, fn, data, ASYNC).
 *
 * The other functions take upstream's NULL pool as upstream does (nothing
 * to do, 0); thread_pool_add_task on it drops the task and logs that.
 * No pool can exist, so any other pointer is logged and not touched.
 */

#ifndef POOL_H
#define POOL_H

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdatomic.h>

#ifdef __cplusplus
extern "C" {
#endif


struct task {
    void                      (*function)(void *);
    void                       *arg;
    struct task                *next;
};

/* upstream's members, so that code naming them compiles; never filled */
struct thread_pool {
    pthread_mutex_t             lock;
    pthread_cond_t              cond;
    pthread_t                  *threads;
    pthread_t                  *active_thread_ids;
    unsigned char              *active_flags;
    struct task                *task_queue;
    struct task                *task_tail;
    int                         max_threads;
    int                         queue_length;
    atomic_int                  stop;
    atomic_int                  active_threads;
};


#define CWEB_POOL_API  __attribute__((visibility("hidden"), weak))

/* thread_pool_init: NULL, with an error-log line (see above) */
CWEB_POOL_API struct thread_pool *thread_pool_init(int num_threads);

/* thread_pool_add_task: the task is dropped, with an error-log line */
CWEB_POOL_API void thread_pool_add_task(struct thread_pool *pool,
    void (*function)(void *), void *arg);

CWEB_POOL_API void thread_pool_request_stop(struct thread_pool *pool);

/* thread_pool_pending_count: 0 */
CWEB_POOL_API int thread_pool_pending_count(struct thread_pool *pool);

CWEB_POOL_API void thread_pool_cancel_all(struct thread_pool *pool);

CWEB_POOL_API void thread_pool_destroy(struct thread_pool *pool);

/* thread_pool_is_full: 0 */
CWEB_POOL_API int thread_pool_is_full(struct thread_pool *pool);


#ifdef __cplusplus
}
#endif

#endif /* POOL_H */
