
/*
 * Private to the helper's job scheduler: ngx_cweb_jobs_sched.c (the
 * socket, the store thread, the scheduling) and ngx_cweb_jobs_run.c (the
 * runner threads).
 */


#ifndef _NGX_CWEB_JOBS_SCHED_H_INCLUDED_
#define _NGX_CWEB_JOBS_SCHED_H_INCLUDED_


#include "ngx_cweb.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_jobs_store.h"

#include <pthread.h>


/* what the store thread is asked to do */
#define NGX_CWEB_JOP_CREATE     1
#define NGX_CWEB_JOP_GET        2
#define NGX_CWEB_JOP_LIST       3
#define NGX_CWEB_JOP_CANCEL     4
#define NGX_CWEB_JOP_CLAIM      5
#define NGX_CWEB_JOP_EMIT       6
#define NGX_CWEB_JOP_FINISH     7
#define NGX_CWEB_JOP_REQUEUE    8
#define NGX_CWEB_JOP_EVENTS     9


typedef struct ngx_cweb_jop_s     ngx_cweb_jop_t;

/* what a job's fault is recorded as: its job, its version, since when */
typedef struct {
    int64_t                     id;
    const char                 *uuid;
    ngx_atomic_uint_t           what;
    ngx_msec_t                  since;
} ngx_cweb_jmark_t;

typedef struct ngx_cweb_jpeer_s   ngx_cweb_jpeer_t;
typedef struct ngx_cweb_jrunner_s ngx_cweb_jrunner_t;

struct ngx_cweb_jop_s {
    ngx_cweb_jop_t             *next;
    ngx_uint_t                  kind;         /* NGX_CWEB_JOP_* */
    ngx_cweb_jpeer_t           *peer;         /* a worker awaits the answer */
    ngx_queue_t                 peer_link;    /* in its peer's asked ops */
    int64_t                     q;            /* its number there */
    ngx_cweb_jrunner_t         *runner;       /* a claim or a job's end */

    /* in (malloc'd strings, freed with the op) */
    ngx_cweb_jnew_t             job;
    char                       *uuid;
    char                       *state;
    char                       *type;
    char                       *data;         /* JSON text, or NULL */
    char                       *error;
    int64_t                     job_id;
    int64_t                     attempt;      /* a finish: its claim's */
    int64_t                     started_at;
    int64_t                     since;
    int                         limit;

    /* out */
    ngx_uint_t                  status;
    json_t                     *body;
    char                       *text;         /* or the body as JSON text */
    char                      **events;       /* to announce: their texts */
    ngx_uint_t                  nevents;
    ngx_cweb_jclaim_t          *claims;       /* a claim's, or &claim */
    ngx_cweb_jclaim_t           claim;        /* a create's own */
    ngx_uint_t                  claimed;      /* how many of them */
    int64_t                     next_at;      /* 0: nothing pending */
    char                        state_out[16];
};


struct ngx_cweb_jrunner_s {
    job_ctx_t                   job;          /* first: the plugin's handle */
    pthread_t                   tid;
    ngx_uint_t                  index;
    ngx_cweb_jclaim_t           claim;        /* the job it runs (mu) */
    char                       *result;       /* set_result(), JSON text */
    char                       *error;        /* set_error() */
    ngx_uint_t                  canceled;     /* under the runners' mutex */

    /* the fault marker of the run: its version and since when */
    ngx_atomic_uint_t           what;
    ngx_msec_t                  since;

    /* timeout_ms: when it is over (0: never), and the job left over it */
    int64_t                     deadline;     /* monotonic ms, under mu */
    int64_t                     abandoned;    /* since when, or 0 (mu) */

    /* the thread's signal stack: it runs until the process exits */
    void                       *altstack;
};


/* ngx_cweb_jobs_sched.c */
void ngx_cweb_jobs_submit(ngx_cweb_jop_t *op);
void ngx_cweb_jobs_submit_new(ngx_cweb_jop_t *op);
void ngx_cweb_jobs_peers_flush(void);
ngx_cweb_jop_t *ngx_cweb_jobs_op(ngx_uint_t kind);
void ngx_cweb_jobs_op_free(ngx_cweb_jop_t *op);
int64_t ngx_cweb_jobs_now(void);
void ngx_cweb_jobs_flush(ngx_msec_t timeout);

ngx_cweb_jobs_conf_t *ngx_cweb_jobs_sched_conf(void);
ngx_uint_t ngx_cweb_jobs_exiting(void);

/* ngx_cweb_jobs_peer.c */
void ngx_cweb_jobs_accept(ngx_event_t *ev);
void ngx_cweb_jobs_answer_peer(ngx_cweb_jop_t *op, ngx_uint_t status,
    json_t *body);
void ngx_cweb_jobs_peers_drain(void);

/* ngx_cweb_jobs_run.c */
ngx_int_t ngx_cweb_jobs_runners_start(ngx_uint_t n, ngx_log_t *log);
ngx_uint_t ngx_cweb_jobs_runners_room(void);
ngx_uint_t ngx_cweb_jobs_runners_take(void);
void ngx_cweb_jobs_runners_close(void);
void ngx_cweb_jobs_runners_untake(ngx_uint_t n);
void ngx_cweb_jobs_runners_give(ngx_cweb_jclaim_t *claims, ngx_uint_t n);
void ngx_cweb_jobs_runner_done(void);
void ngx_cweb_jobs_runner_cancel(const char *uuid);
void ngx_cweb_jobs_runners_requeue(void);

/* ngx_cweb_jobs_said.c */
void ngx_cweb_jobs_created(ngx_cweb_jop_t *op);
void ngx_cweb_jobs_said_read(ngx_cweb_jop_t *op, ngx_cweb_jstore_t *store,
    int rc, json_t *body, const char *failed);
void ngx_cweb_jobs_said_cancel(ngx_cweb_jop_t *op, ngx_cweb_jstore_t *store,
    int64_t now);
void ngx_cweb_jobs_said_events(ngx_cweb_jop_t *op, ngx_cweb_jstore_t *store,
    size_t budget);
ngx_uint_t ngx_cweb_jobs_page_trim(json_t *evs, int64_t *last,
    size_t budget);
void ngx_cweb_jobs_event_add(ngx_cweb_jop_t *op, ngx_cweb_jstore_t *store,
    const char *uuid, int64_t id, int64_t ts, const char *type,
    const char *data);
void ngx_cweb_jobs_events_free(ngx_cweb_jop_t *op);

/* ngx_cweb_jobs_ckpt.c */
void ngx_cweb_jobs_ckpt_start(ngx_cweb_jstore_t *writer, const char *path,
    int sync_full, ngx_log_t *log);

/* ngx_cweb_jobs_crash.c */
ngx_int_t ngx_cweb_jobs_crash_init(ngx_log_t *log);
void ngx_cweb_jobs_mark(ngx_cweb_jmark_t *m);
void ngx_cweb_jobs_crashes_load(void);
const char *ngx_cweb_jobs_crash_why(void *data, int64_t job_id);
void ngx_cweb_jobs_crashes_clear(void);


#endif /* _NGX_CWEB_JOBS_SCHED_H_INCLUDED_ */
