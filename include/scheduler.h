/*
 * scheduler.h - c-web-modules' work scheduler, for ngx_cweb plugins:
 * upstream's names and types.
 *
 * ctx->scheduler is the host's scheduler, the only one there is: work
 * added ASYNC runs on the worker's event loop once the current handler
 * (or onload) has returned, and the plugin version stays loaded until it
 * has run; SYNC work runs at once, inside scheduler_add().  Upstream runs
 * all work on a thread of its own; here no plugin code runs outside the
 * threads the host knows (its watchdog and fault handling cover them).
 *
 * The scheduler's lifetime belongs to the host: scheduler_init(),
 * scheduler_shutdown(), scheduler_request_stop() and scheduler_cancel()
 * refuse it (an error-log line; scheduler_init() returns -1), and so
 * does every function for a struct scheduler the host did not give out.
 * The fields below are upstream's; on ctx->scheduler only size (work not
 * run yet) is kept up to date.  Contexts: see map.h.
 */

#ifndef SCHEDULER_H
#define SCHEDULER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef void (*work_t)(void *);

typedef enum {
    ASYNC,
    SYNC
} worker_state_t;

struct work {
    work_t                      work;
    void                       *data;
    struct work                *next;
};

struct scheduler {
    struct work                *head;
    struct work                *tail;
    size_t                      size;
    size_t                      capacity;
    pthread_mutex_t             mutex;
    pthread_cond_t              work_available;
    atomic_int                  running;
    atomic_int                  accepting;
    atomic_int                  draining;
    pthread_t                   thread;

    /* the older seed form of scheduler_add(ctx->scheduler, ...) */
    int                       (*add)(void (*work)(void *), void *data,
                                     worker_state_t state);
};


/* refused: -1 */
int scheduler_init(struct scheduler *scheduler, size_t capacity);

/* refused */
void scheduler_shutdown(struct scheduler *scheduler);

/* 0, or -1 (a NULL or foreign scheduler, NULL work, a bad state) */
int scheduler_add(struct scheduler *scheduler, work_t work, void *data,
    worker_state_t state);

/* refused */
void scheduler_request_stop(struct scheduler *scheduler, int drain);

/* ASYNC work added in this process and not run yet; 0 if not the host's */
int scheduler_pending_count(struct scheduler *scheduler);

/* refused */
void scheduler_cancel(struct scheduler *scheduler);


#ifdef __cplusplus
}
#endif

#endif /* SCHEDULER_H */
