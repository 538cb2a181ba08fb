
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
typedef struct ngx_cweb_jpeer_s   ngx_cweb_jpeer_t;
typedef struct ngx_cweb_jrunner_s ngx_cweb_jrunner_t;

struct ngx_cweb_jop_s {
    ngx_cweb_jop_t             *next;
    ngx_uint_t                  kind;         /* NGX_CWEB_JOP_* */
    ngx_cweb_jpeer_t           *peer;         /* a worker awaits the answer */
    ngx_cweb_jrunner_t         *runner;       /* a claim or a job's end */

    /* in (malloc'd strings, freed with the op) */
    ngx_cweb_jnew_t             job;
    char                       *uuid;
    char                       *state;
    char                       *type;
    char                       *data;         /* JSON text, or NULL */
    char                       *error;
    int64_t                     job_id;
    int64_t                     since;
    int                         limit;

    /* out */
    ngx_uint_t                  status;
    json_t                     *body;
    json_t                     *events;       /* to announce: an array */
    ngx_cweb_jclaim_t           claim;
    ngx_uint_t                  claimed;
    int64_t                     next_at;      /* 0: nothing pending */
    char                        state_out[16];
};


struct ngx_cweb_jrunner_s {
    job_ctx_t                   job;          /* first: the plugin's handle */
    pthread_t                   tid;
    pthread_mutex_t             mu;
    pthread_cond_t              cv;
    ngx_uint_t                  index;
    ngx_uint_t                  busy;         /* the loop's view */
    ngx_uint_t                  go;           /* under mu: a job is given */
    ngx_cweb_jclaim_t           claim;
    char                       *result;       /* set_result(), JSON text */
    char                       *error;        /* set_error() */
    ngx_uint_t                  canceled;     /* under mu */
};


/* ngx_cweb_jobs_sched.c */
void ngx_cweb_jobs_submit(ngx_cweb_jop_t *op);
ngx_cweb_jop_t *ngx_cweb_jobs_op(ngx_uint_t kind);
void ngx_cweb_jobs_op_free(ngx_cweb_jop_t *op);
int64_t ngx_cweb_jobs_now(void);
void ngx_cweb_jobs_flush(ngx_msec_t timeout);

/* ngx_cweb_jobs_run.c */
ngx_int_t ngx_cweb_jobs_runners_start(ngx_uint_t n, ngx_log_t *log);
ngx_cweb_jrunner_t *ngx_cweb_jobs_runner_idle(void);
ngx_cweb_jrunner_t *ngx_cweb_jobs_runner_of(const char *uuid);
void ngx_cweb_jobs_runner_give(ngx_cweb_jrunner_t *rn,
    ngx_cweb_jclaim_t *claim);
void ngx_cweb_jobs_runner_cancel(ngx_cweb_jrunner_t *rn);
void ngx_cweb_jobs_runner_free(ngx_cweb_jrunner_t *rn);
void ngx_cweb_jobs_runners_requeue(void);


#endif /* _NGX_CWEB_JOBS_SCHED_H_INCLUDED_ */
