
/*
 * The job scheduler of the cweb helper (DESIGN.md 3, 6).
 *
 * - One scheduler per state directory: the helper acting for the zone
 *   takes flock() on <dir>/jobs.lock (a reload's and a binary upgrade's
 *   helpers overlap; the kernel drops the lock of one that dies) and only
 *   then listens on <dir>/ipc/jobs.sock and runs jobs.
 * - The store thread is the one writer of jobs.db: it takes every queued
 *   operation, runs them in one transaction (a group commit: what many
 *   workers asked costs one fsync) and hands them back to the event loop
 *   with ngx_notify(); the loop answers the workers, announces the
 *   events in the event ring (ngx_cweb_ipc.c) and gives due jobs to idle
 *   runner threads (ngx_cweb_jobs_run.c).  The loop never waits for
 *   SQLite, so the watchdog's tick is never late because of jobs.
 * - A worker's question is answered only once its transaction committed:
 *   a job a worker was told about is on disk.
 * - Due jobs are claimed in batches (one commit) into the runners' queue
 *   while it has room (a few per runner), and at the earliest run_at of
 *   the ones that are not due yet (a timer).
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_ipc.h"
#include "ngx_cweb_jobs_sched.h"
#include "ngx_cweb_shm.h"

#include <sys/file.h>
#include <sys/un.h>


typedef struct {
    ngx_uint_t                  started;
    ngx_uint_t                  said;
    ngx_cweb_jobs_conf_t       *jcf;
    ngx_cweb_main_conf_t       *cmcf;
    ngx_log_t                  *log;
    int                         lock_fd;
    ngx_connection_t           *listen;
    ngx_event_t                 timer;        /* the next run_at */
    ngx_uint_t                  claiming;     /* the one claim op out */
    ngx_cweb_jclaim_t          *claims;       /* its array, kept for the next */
    ngx_uint_t                  nclaims;
    ngx_uint_t                  none_due;     /* the last claim found none */
    ngx_cweb_jclaim_t          *gives;        /* committed, for the runners */
    ngx_uint_t                  ngives;
    ngx_uint_t                  gives_size;
    ngx_uint_t                  exiting;      /* at exit: write blocking */

    ngx_cweb_jstore_t          *store;        /* the store thread's */
    pthread_t                   tid;
    pthread_mutex_t             mu;
    pthread_cond_t              cv;
    ngx_cweb_jop_t             *queue;        /* to the store thread */
    ngx_cweb_jop_t            **queue_last;
    ngx_cweb_jop_t             *done;         /* back to the loop */
    ngx_cweb_jop_t            **done_last;
    ngx_uint_t                  batch;        /* under mu: one is running */
} ngx_cweb_jobs_t;


static ngx_int_t ngx_cweb_jobs_start(ngx_cycle_t *cycle);
static ngx_int_t ngx_cweb_jobs_lock(void);
static ngx_int_t ngx_cweb_jobs_listen(void);
static void *ngx_cweb_jobs_store_thread(void *data);
static void ngx_cweb_jobs_store_batch(ngx_cweb_jop_t *ops);
static void ngx_cweb_jobs_exec(ngx_cweb_jop_t *op);
static void ngx_cweb_jobs_exec_create(ngx_cweb_jop_t *op, int64_t now);
static void ngx_cweb_jobs_exec_more(ngx_cweb_jop_t *op, int64_t now);
static void ngx_cweb_jobs_event(ngx_cweb_jop_t *op, const char *uuid,
    int64_t id, int64_t ts, const char *type, const char *data);
static void ngx_cweb_jobs_recovered(void *data, const char *uuid,
    int64_t event_id, int64_t ts, const char *type, const char *data_json);
static void ngx_cweb_jobs_notified(ngx_event_t *ev);
static void ngx_cweb_jobs_finished(ngx_cweb_jop_t *op);
static void ngx_cweb_jobs_give(ngx_cweb_jclaim_t *claims, ngx_uint_t n);
static void ngx_cweb_jobs_schedule(void);
static void ngx_cweb_jobs_timer_handler(ngx_event_t *ev);
static void ngx_cweb_jobs_exit(void);


static ngx_cweb_jobs_t  ngx_cweb_jobs;


/* the helper's tick, while it acts for a ready zone */

void
ngx_cweb_jobs_helper_tick(ngx_cycle_t *cycle)
{
    if (ngx_cweb_jobs.started) {
        return;
    }

    if (ngx_cweb_jobs_start(cycle) == NGX_OK) {
        ngx_cweb_jobs.started = 1;
    }
}


static ngx_int_t
ngx_cweb_jobs_start(ngx_cycle_t *cycle)
{
    ngx_cweb_jop_t        *op;
    ngx_cweb_jobs_t       *j;
    ngx_cweb_main_conf_t  *cmcf;

    j = &ngx_cweb_jobs;
    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);

    j->cmcf = cmcf;
    j->jcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_jobs_module);
    j->log = cycle->log;

    if (ngx_cweb_jobs_lock() != NGX_OK) {
        return NGX_DECLINED;
    }

    /* plugins loaded for their jobs bind the host's table */
    ngx_cweb_api_init_process(0, NULL);
    ngx_cweb_ipc_use(cmcf->event_zone);

    j->queue_last = &j->queue;
    j->done_last = &j->done;
    j->timer.handler = ngx_cweb_jobs_timer_handler;
    j->timer.log = cycle->log;
    j->timer.data = cycle;            /* read as a connection by debug logs */
    j->timer.cancelable = 1;

    /* running jobs of a helper that died come first */
    op = ngx_cweb_jobs_op(0);
    if (op == NULL
        || pthread_mutex_init(&j->mu, NULL) != 0
        || pthread_cond_init(&j->cv, NULL) != 0)
    {
        return NGX_ERROR;
    }

    ngx_cweb_jobs_submit(op);

    if (pthread_create(&j->tid, NULL, ngx_cweb_jobs_store_thread, j) != 0
        || ngx_cweb_jobs_runners_start(j->jcf->threads, cycle->log) != NGX_OK
        || ngx_cweb_jobs_listen() != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "cweb jobs: the scheduler could not start; the helper "
                      "exits to be respawned");
        exit(1);
    }

    (void) atexit(ngx_cweb_jobs_exit);

    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "cweb jobs: scheduler started, %ui runner thread(s)",
                  j->jcf->threads);

    return NGX_OK;
}


/* the one scheduler of this state directory */

static ngx_int_t
ngx_cweb_jobs_lock(void)
{
    int               fd;
    u_char            path[NGX_MAX_PATH];
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;

    ngx_snprintf(path, sizeof(path) - 1, "%V" NGX_CWEB_JOBS_LOCK "%Z",
                 &j->cmcf->module_dir);

    fd = open((char *) path, O_RDWR|O_CREAT|O_CLOEXEC, 0600);

    if (fd == -1) {
        if (!j->said++) {
            ngx_log_error(NGX_LOG_CRIT, j->log, ngx_errno,
                          "cweb jobs: open(\"%s\") failed", path);
        }

        return NGX_ERROR;
    }

    if (flock(fd, LOCK_EX|LOCK_NB) == -1) {
        close(fd);

        if (!j->said++) {
            ngx_log_error(NGX_LOG_NOTICE, j->log, 0,
                          "cweb jobs: another helper schedules the jobs of "
                          "this directory; waiting for it to exit");
        }

        return NGX_DECLINED;
    }

    j->lock_fd = fd;

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_jobs_listen(void)
{
    int                 fd;
    socklen_t           len;
    ngx_connection_t   *c;
    struct sockaddr_un  sun;
    ngx_cweb_jobs_t    *j;

    j = &ngx_cweb_jobs;

    ngx_memzero(&sun, sizeof(struct sockaddr_un));
    sun.sun_family = AF_UNIX;
    len = ngx_snprintf((u_char *) sun.sun_path, sizeof(sun.sun_path) - 1,
                       "%V" NGX_CWEB_JOBS_SOCKET, &j->cmcf->module_dir)
          - (u_char *) sun.sun_path;

    if (ngx_cweb_ipc_mkdir(j->log) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a socket file a previous scheduler left (we hold the lock) */
    (void) unlink(sun.sun_path);

    fd = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);

    if (fd == -1
        || bind(fd, (struct sockaddr *) &sun,
                offsetof(struct sockaddr_un, sun_path) + len) == -1
        || listen(fd, 511) == -1)
    {
        ngx_log_error(NGX_LOG_ALERT, j->log, ngx_errno,
                      "cweb jobs: listening on \"%s\" failed", sun.sun_path);
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, j->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->read->handler = ngx_cweb_jobs_accept;
    c->read->log = j->log;
    j->listen = c;

    return ngx_handle_read_event(c->read, 0);
}


/* ---- the store thread ---- */


ngx_cweb_jop_t *
ngx_cweb_jobs_op(ngx_uint_t kind)
{
    ngx_cweb_jop_t  *op;

    op = calloc(1, sizeof(ngx_cweb_jop_t));

    if (op != NULL) {
        op->kind = kind;
    }

    return op;
}


void
ngx_cweb_jobs_op_free(ngx_cweb_jop_t *op)
{
    free((void *) op->job.uuid);
    free((void *) op->job.module);
    free((void *) op->job.job);
    free((void *) op->job.module_hash);
    free((void *) op->job.payload);
    free(op->uuid);
    free(op->state);
    free(op->type);
    free(op->data);
    free(op->error);
    json_decref(op->body);
    free(op->text);
    ngx_cweb_jobs_events_free(op);
    free(op);                     /* claims: the scheduler's (see schedule) */
}


ngx_cweb_jobs_conf_t *
ngx_cweb_jobs_sched_conf(void)
{
    return ngx_cweb_jobs.jcf;
}


ngx_uint_t
ngx_cweb_jobs_exiting(void)
{
    return ngx_cweb_jobs.exiting;
}


/* from any thread of the helper */

void
ngx_cweb_jobs_submit(ngx_cweb_jop_t *op)
{
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;

    pthread_mutex_lock(&j->mu);
    op->next = NULL;
    *j->queue_last = op;
    j->queue_last = &op->next;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
}


/* at exit: until the store thread has committed all it was given */

void
ngx_cweb_jobs_flush(ngx_msec_t timeout)
{
    ngx_uint_t        i, idle;
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;

    for (i = 0; i < timeout / 10; i++) {
        pthread_mutex_lock(&j->mu);
        idle = (j->queue == NULL && !j->batch && j->store != NULL);
        pthread_mutex_unlock(&j->mu);

        if (idle) {
            return;
        }

        ngx_msleep(10);
    }
}


int64_t
ngx_cweb_jobs_now(void)
{
    struct timeval  tv;

    ngx_gettimeofday(&tv);

    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}


static void *
ngx_cweb_jobs_store_thread(void *data)
{
    ngx_cweb_jobs_t  *j = data;

    char             err[256];
    u_char           path[NGX_MAX_PATH];
    ngx_cweb_jop_t  *ops;

    ngx_snprintf(path, sizeof(path) - 1, "%V" NGX_CWEB_JOBS_DB "%Z",
                 &j->cmcf->module_dir);

    while (j->store == NULL) {
        j->store = ngx_cweb_jstore_open((char *) path,
                                        j->jcf->sync == NGX_CWEB_JOBS_SYNC_FULL,
                                        err, sizeof(err));
        if (j->store == NULL) {
            ngx_log_error(NGX_LOG_CRIT, j->log, 0,
                          "cweb jobs: %s; retrying in 1 s", err);
            sleep(1);
        }
    }

    ngx_cweb_jobs_ckpt_start(j->store, (char *) path,
                             j->jcf->sync == NGX_CWEB_JOBS_SYNC_FULL, j->log);

    for ( ;; ) {
        pthread_mutex_lock(&j->mu);

        while (j->queue == NULL) {
            pthread_cond_wait(&j->cv, &j->mu);
        }

        ops = j->queue;
        j->queue = NULL;
        j->queue_last = &j->queue;
        j->batch = 1;
        pthread_mutex_unlock(&j->mu);

        ngx_cweb_jobs_store_batch(ops);
    }

    return NULL;
}


/* one transaction for all of them; each learns its own outcome */

static void
ngx_cweb_jobs_store_batch(ngx_cweb_jop_t *ops)
{
    ngx_uint_t        ok;
    ngx_cweb_jop_t   *op, *last;
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;

    ok = (ngx_cweb_jstore_begin(j->store) == 0);

    for (op = ops; ok && op; op = op->next) {
        ngx_cweb_jobs_exec(op);
        last = op;
    }

    if (ok && ngx_cweb_jstore_commit(j->store) != 0) {
        ok = 0;
    }

    /*
     * what the crashes of jobs.crash told is in jobs.db only now: a
     * recovery rolled back leaves them for the next helper's
     */
    for (op = ops; ok && op; op = op->next) {
        if (op->kind == 0 && op->status == 200) {
            ngx_cweb_jobs_crashes_clear();
        }
    }

    if (!ok) {
        ngx_log_error(NGX_LOG_CRIT, j->log, 0, "cweb jobs: jobs.db: %s",
                      ngx_cweb_jstore_error(j->store));
        (void) ngx_cweb_jstore_rollback(j->store);

        for (op = ops; op; op = op->next) {
            json_decref(op->body);
            free(op->text);
            op->text = NULL;
            ngx_cweb_jobs_events_free(op);

            /* claims made and rolled back: the payloads are ours to free */
            ngx_cweb_jobs_runners_untake(op->claimed);

            while (op->claimed) {
                ngx_cweb_jstore_claim_free(&op->claims[--op->claimed]);
            }

            op->status = 500;
            op->body = json_pack("{s:s}", "error", "the job store failed");
        }
    }

    for (last = ops; last->next; last = last->next) { /* void */ }

    pthread_mutex_lock(&j->mu);
    *j->done_last = ops;
    j->done_last = &last->next;
    j->batch = 0;
    pthread_mutex_unlock(&j->mu);

    (void) ngx_notify(ngx_cweb_jobs_notified);
}


static void
ngx_cweb_jobs_exec(ngx_cweb_jop_t *op)
{
    int               rc;
    int64_t           now;
    json_t           *job;
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;
    now = ngx_cweb_jobs_now();

    switch (op->kind) {

    case 0:
        ngx_cweb_jobs_crashes_load();

        /* jobs.crash is emptied once the recovery is committed */
        if (ngx_cweb_jstore_recover(j->store, now, j->jcf->backoff,
                                    ngx_cweb_jobs_crash_why,
                                    ngx_cweb_jobs_recovered, op)
            >= 0)
        {
            op->status = 200;
        }

        return;

    case NGX_CWEB_JOP_CREATE:
        ngx_cweb_jobs_exec_create(op, now);
        return;

    case NGX_CWEB_JOP_GET:
        job = NULL;
        rc = ngx_cweb_jstore_get(j->store, op->uuid, &job);
        ngx_cweb_jobs_said_read(op, j->store, rc, job,
                                "the job cannot be read");
        return;

    case NGX_CWEB_JOP_LIST:
        job = ngx_cweb_jstore_list(j->store, op->state, op->limit);
        op->status = job ? 200 : 500;
        op->body = job ? json_pack("{s:o}", "jobs", job)
                       : json_pack("{s:s,s:s}", "error", "the jobs cannot "
                                   "be read", "reason",
                                   ngx_cweb_jstore_error(j->store));
        return;

    default:
        ngx_cweb_jobs_exec_more(op, now);
        return;
    }
}


/* op->limit: claimed in the same write (see ngx_cweb_jobs_submit_new) */

static void
ngx_cweb_jobs_exec_create(ngx_cweb_jop_t *op, int64_t now)
{
    int               rc;
    int64_t           id, started;
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;
    id = 0;

    if (op->limit && !ngx_cweb_jobs_runners_take()) {
        op->limit = 0;
    }

    rc = op->limit
         ? ngx_cweb_jstore_create_claimed(j->store, &op->job, now, &id,
                                          op->claims, &started)
         : ngx_cweb_jstore_create(j->store, &op->job, now, &id);

    if (op->limit && (rc != 0 || op->claims->id == 0)) {
        ngx_cweb_jobs_runners_untake(1);
        op->limit = 0;
    }

    if (rc != 0) {
        op->status = 500;
        op->body = json_pack("{s:s,s:s}", "error", "the job was not "
                             "stored", "reason",
                             ngx_cweb_jstore_error(j->store));
        return;
    }

    op->status = 200;
    ngx_cweb_jobs_created(op);

    if (!op->limit) {
        ngx_cweb_jobs_event(op, op->job.uuid, id, now, "created", NULL);
        return;
    }

    /* "created" is not the event the store kept: its null data as is */
    ngx_cweb_jobs_event_add(op, NULL, op->job.uuid, id, now, "created",
                            NULL);
    ngx_cweb_jobs_event(op, op->job.uuid, started, now, "started", NULL);
    op->claimed = 1;
}


static void
ngx_cweb_jobs_exec_more(ngx_cweb_jop_t *op, int64_t now)
{
    int               rc;
    int64_t           id;
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;
    id = 0;

    switch (op->kind) {

    case NGX_CWEB_JOP_CANCEL:
        ngx_cweb_jobs_said_cancel(op, j->store, now);
        return;

    case NGX_CWEB_JOP_CLAIM:
        /* as many due jobs as the runners have room for, one commit */
        while (op->claimed < (ngx_uint_t) op->limit) {

            /* the runners' places went to creates: as if all were claimed */
            if (!ngx_cweb_jobs_runners_take()) {
                op->limit = (int) op->claimed;
                break;
            }

            rc = ngx_cweb_jstore_claim(j->store, now,
                                       &op->claims[op->claimed], &id);
            if (rc != 1) {
                ngx_cweb_jobs_runners_untake(1);
                break;
            }

            ngx_cweb_jobs_event(op, op->claims[op->claimed].uuid, id, now,
                                "started", NULL);
            op->claimed++;
        }

        if (op->claimed < (ngx_uint_t) op->limit
            && ngx_cweb_jstore_next_run_at(j->store, &op->next_at) != 1)
        {
            op->next_at = 0;
        }

        return;

    case NGX_CWEB_JOP_EMIT:
        if (ngx_cweb_jstore_emit(j->store, op->job_id, op->type, op->data,
                                 now, &id) == 0)
        {
            ngx_cweb_jobs_event(op, op->uuid, id, now, op->type, op->data);
        }

        return;

    case NGX_CWEB_JOP_FINISH:
        /* op->limit: the number of a failed attempt with more left */
        rc = op->limit
             ? ngx_cweb_jstore_retry(j->store, op->job_id, op->error,
                   now + ngx_cweb_jstore_backoff(j->jcf->backoff,
                                                 op->limit),
                   now, op->state_out, &id)
             : ngx_cweb_jstore_finish_run(j->store, op->job_id, op->attempt,
                                          op->started_at, op->state,
                                          op->data, op->error, now,
                                          op->state_out, &id);
        if (rc == 0 && id) {
            ngx_cweb_jobs_event(op, op->uuid, id, now,
                                op->limit && ngx_strcmp(op->state_out,
                                                        "pending") == 0
                                ? "retry" : op->state_out, NULL);
        }

        return;

    case NGX_CWEB_JOP_REQUEUE:
        if (ngx_cweb_jstore_requeue(j->store, op->job_id, now, &id) == 0
            && id)
        {
            ngx_cweb_jobs_event(op, op->uuid, id, now, "retry", NULL);
        }

        return;

    case NGX_CWEB_JOP_EVENTS:
        ngx_cweb_jobs_said_events(op, j->store,
                                  ngx_cweb_jobs_max_message(j->jcf) / 2);
        return;
    }
}


/* an event committed with the op, to be announced (ngx_cweb_jobs_said.c) */

static void
ngx_cweb_jobs_event(ngx_cweb_jop_t *op, const char *uuid, int64_t id,
    int64_t ts, const char *type, const char *data)
{
    ngx_cweb_jobs_event_add(op, ngx_cweb_jobs.store, uuid, id, ts, type,
                            data);
}


static void
ngx_cweb_jobs_recovered(void *data, const char *uuid, int64_t event_id,
    int64_t ts, const char *type, const char *data_json)
{
    ngx_cweb_jobs_event(data, uuid, event_id, ts, type, data_json);
}


/* ---- the event loop: what the store thread finished ---- */


static void
ngx_cweb_jobs_notified(ngx_event_t *ev)
{
    char             *text;
    ngx_uint_t        i, wanted;
    ngx_cweb_jop_t   *op, *next;
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;

    pthread_mutex_lock(&j->mu);
    op = j->done;
    j->done = NULL;
    j->done_last = &j->done;
    pthread_mutex_unlock(&j->mu);

    ngx_cweb_ipc_hold(1);

    /* no worker has a follower: the events are in jobs.db for any later */
    wanted = ngx_cweb_ipc_wanted(NGX_CWEB_IPC_JOB_EVENT);

    for ( /* void */ ; op; op = next) {
        next = op->next;

        if (!wanted && op->nevents) {
            ngx_log_debug1(NGX_LOG_DEBUG_CORE, ngx_cycle->log, 0,
                           "cweb jobs: %ui event(s) not announced: no "
                           "worker follows a job", op->nevents);
        }

        for (i = 0; wanted && i < op->nevents; i++) {
            text = op->events[i];
            (void) ngx_cweb_ipc_publish(NGX_CWEB_IPC_JOB_EVENT, text,
                                        strlen(text));
        }

        ngx_cweb_jobs_events_free(op);

        ngx_cweb_jobs_finished(op);
    }

    ngx_cweb_jobs_give(NULL, 0);
    ngx_cweb_ipc_hold(0);

    if (!j->exiting) {
        ngx_cweb_jobs_schedule();
    }
}


static void
ngx_cweb_jobs_finished(ngx_cweb_jop_t *op)
{
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;

    if (op->peer) {
        ngx_cweb_jobs_answer_peer(op, op->status, op->body);
        op->body = NULL;
    }

    /* a cancel finds the jobs claimed before it with the runners */
    if (op->kind == NGX_CWEB_JOP_CANCEL) {
        ngx_cweb_jobs_give(NULL, 0);
    }

    switch (op->kind) {

    case NGX_CWEB_JOP_CREATE:
        if (op->claimed) {
            ngx_cweb_jobs_give(op->claims, 1);
            break;
        }

        j->none_due = 0;
        break;

    case 0:
        j->none_due = 0;
        break;

    case NGX_CWEB_JOP_CLAIM:
        j->claiming = 0;

        if (op->claimed) {
            ngx_cweb_jobs_give(op->claims, op->claimed);
        }

        if (op->claimed < (ngx_uint_t) op->limit) {
            /* until a job is created or becomes due again */
            j->none_due = 1;

            if (op->next_at) {
                ngx_add_timer(&j->timer,
                              ngx_max(1, op->next_at - ngx_cweb_jobs_now()));
            }
        }

        break;

    case NGX_CWEB_JOP_FINISH:
    case NGX_CWEB_JOP_REQUEUE:
        if (op->runner) {
            ngx_cweb_jobs_runner_done();
        }

        /* a retry is pending again */
        j->none_due = 0;

        break;

    case NGX_CWEB_JOP_CANCEL:
        if (ngx_strcmp(op->state_out, "running") == 0) {
            ngx_cweb_jobs_runner_cancel(op->uuid);
        }

        break;
    }

    ngx_cweb_jobs_op_free(op);
}


/*
 * Claims committed go to the runners in the order they were made (a
 * claim's and those made at their creation), together (one wake-up of
 * the runners), and only once the answers put so far are written: a job
 * may crash the helper as soon as a runner has it.  n 0: now.
 */

static void
ngx_cweb_jobs_give(ngx_cweb_jclaim_t *claims, ngx_uint_t n)
{
    size_t              size;
    ngx_cweb_jclaim_t  *p;
    ngx_cweb_jobs_t    *j;

    j = &ngx_cweb_jobs;

    if (n && j->ngives + n > j->gives_size) {
        size = ngx_max(2 * j->gives_size, ngx_max(j->ngives + n, 64));
        p = realloc(j->gives, size * sizeof(ngx_cweb_jclaim_t));

        if (p != NULL) {
            j->gives = p;
            j->gives_size = size;
        }
    }

    if (n && j->ngives + n <= j->gives_size) {
        ngx_memcpy(&j->gives[j->ngives], claims,
                   n * sizeof(ngx_cweb_jclaim_t));
        j->ngives += n;
        return;
    }

    if (j->ngives == 0 && n == 0) {
        return;
    }

    /* now: what waits, then (no memory to keep them) these */
    ngx_cweb_jobs_peers_flush();

    if (j->ngives) {
        ngx_cweb_jobs_runners_give(j->gives, j->ngives);
        j->ngives = 0;
    }

    if (n) {
        ngx_cweb_jobs_runners_give(claims, n);
    }
}


/*
 * A create from a worker.  A job due now is claimed in the commit that
 * creates it when the store thread finds a runner's place free and no
 * older job due (so claims keep their order: run_at, then id): the claim
 * that would read it back and start it was a third of the store's work
 * per job.
 */

void
ngx_cweb_jobs_submit_new(ngx_cweb_jop_t *op)
{
    if (op->job.run_at <= ngx_cweb_jobs_now() && !ngx_exiting && !ngx_quit
        && !ngx_terminate)
    {
        op->claims = &op->claim;
        op->limit = 1;
    }

    ngx_cweb_jobs_submit(op);
}


/* an idle runner and no claim out: claim the next due job */

static void
ngx_cweb_jobs_schedule(void)
{
    ngx_uint_t        room;
    ngx_cweb_jop_t   *op;
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;

    if (j->claiming || j->none_due || ngx_exiting || ngx_quit
        || ngx_terminate)
    {
        return;
    }

    room = ngx_cweb_jobs_runners_room();
    if (room == 0) {
        return;
    }

    op = ngx_cweb_jobs_op(NGX_CWEB_JOP_CLAIM);
    if (op == NULL) {
        return;
    }

    /*
     * one claim is out at a time, so its array is kept for the next: a
     * window of claims is some 400 KB, zeroed and faulted in anew for
     * each claim when it was calloc()ed (a fifth of the loop's time); the
     * store fills in each claim it makes, and the payloads belong to the
     * runners
     */
    if (room > j->nclaims) {
        op->claims = realloc(j->claims, room * sizeof(ngx_cweb_jclaim_t));
        if (op->claims == NULL) {
            ngx_cweb_jobs_op_free(op);
            return;
        }

        j->claims = op->claims;
        j->nclaims = room;
    }

    op->claims = j->claims;

    if (j->timer.timer_set) {
        ngx_del_timer(&j->timer);
    }

    op->limit = (int) room;
    j->claiming = 1;
    ngx_cweb_jobs_submit(op);
}


static void
ngx_cweb_jobs_timer_handler(ngx_event_t *ev)
{
    ngx_cweb_jobs.none_due = 0;
    ngx_cweb_jobs_schedule();
}


/*
 * exit(0) on quit or reload (the helper has no exit_process): no new
 * questions (the workers retry until the next helper listens), the jobs
 * its runners are in the middle of go back to pending, not failed, and
 * what it was asked is committed and answered before it goes
 */

static void
ngx_cweb_jobs_exit(void)
{
    ngx_cweb_jobs_t  *j;

    j = &ngx_cweb_jobs;

    if (!j->started || ngx_process != NGX_PROCESS_HELPER) {
        return;
    }

    if (j->listen) {
        ngx_close_connection(j->listen);
        j->listen = NULL;
    }

    /* no job is claimed any more: what is created now stays pending */
    ngx_cweb_jobs_runners_close();
    ngx_cweb_jobs_runners_requeue();
    ngx_cweb_jobs_flush(3000);

    /* the loop is not running any more: answers are written blocking */
    j->exiting = 1;
    ngx_cweb_jobs_notified(NULL);

    /* the jobs claimed by what was committed last went back: said too */
    ngx_cweb_jobs_flush(2000);
    ngx_cweb_jobs_notified(NULL);

    /* and what the workers asked after that is to be asked again */
    ngx_cweb_jobs_peers_drain();
}
