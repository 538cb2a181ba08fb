
/*
 * The runner threads of the helper's job scheduler (cweb_job_threads).
 *
 * The event loop claims due jobs in batches into a ring the runners take
 * them from (a few per runner: one commit claims many).  A runner loads
 * the version the job was created for (module_hash fixed at creation: its
 * object so/<name>-v<version>-<hash>.so, dlopen()ed once per process and
 * kept) and calls the job's run() there, never on the event loop.  What the
 * plugin reports through job_ctx_t goes to the store thread in the order
 * it happened: emit_event() at once, set_result() / set_error() with the
 * end of the run.  A job whose cancel was requested while it ran has its
 * version's cancel hook called on a thread of its own; it then ends
 * canceled, whatever it sets afterwards.
 *
 * Plugin code here is not on a worker's event loop: the host's cweb_api
 * functions refuse job threads (ngx_cweb_api_gate_ctx()), onload() is not
 * run in this process, and a crash takes the helper down.  Before it goes,
 * the fault handler tells ngx_cweb_jobs_crash.c on the faulting thread:
 * the job and the signal are appended to <cweb_module_dir>/jobs.crash and
 * the fault is counted against the job's version (cweb_fault_limit
 * quarantines it as it would for a route).  The master respawns the
 * helper and the next scheduler fails (or retries) the jobs that were
 * running, the crashed one with its signal (ngx_cweb_jstore_recover()).
 *
 * A job over its timeout_ms (cweb_job_timeout when it gave none) is
 * failed by the loop's watch (or tried again while it has attempts
 * left), its version's cancel hook is called, and what it does after is
 * dropped; its runner is back once run() returns.  When every runner is
 * held by such a job for NGX_CWEB_JOBS_STUCK ms (code that never
 * returns), the helper exits and the master starts a new one: the only
 * way to stop a thread.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_loader.h"
#include "ngx_cweb_jobs_sched.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_jobs_store_int.h"
#include "ngx_cweb_store_int.h"


typedef struct ngx_cweb_jloaded_s  ngx_cweb_jloaded_t;

struct ngx_cweb_jloaded_s {
    ngx_cweb_jloaded_t         *next;
    char                        hash[NGX_CWEB_HASH_LEN + 1];
    void                       *handle;
    module_t                   *config;
    ngx_atomic_uint_t           what;         /* its fault marker, or 0 */
};


typedef struct {
    job_info_t                 *info;
    char                        uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    ngx_cweb_jmark_t            mark;
} ngx_cweb_jcancel_t;


static void *ngx_cweb_jobs_runner_thread(void *data);
static void ngx_cweb_jobs_run_one(ngx_cweb_jrunner_t *rn);
static job_info_t *ngx_cweb_jobs_info(ngx_cweb_jclaim_t *claim, char *err,
    size_t errlen, ngx_atomic_uint_t *what);
static ngx_atomic_uint_t ngx_cweb_jobs_what(ngx_cweb_jclaim_t *claim);
static void ngx_cweb_jobs_end(ngx_cweb_jrunner_t *rn, int rc,
    const char *why);
static void ngx_cweb_jobs_end_locked(ngx_cweb_jrunner_t *rn, int rc,
    const char *why, ngx_cweb_jop_t *op);
static char *ngx_cweb_jobs_compact(const char *json, char *why, size_t len);
static int ngx_cweb_jobs_emit_event(job_ctx_t *job, const char *type,
    const char *data_json);
static int ngx_cweb_jobs_set_result(job_ctx_t *job, const char *result_json);
static int ngx_cweb_jobs_set_error(job_ctx_t *job, const char *error_text);
static ngx_cweb_jrunner_t *ngx_cweb_jobs_caller(job_ctx_t *job,
    const char *fn);
static void *ngx_cweb_jobs_cancel_thread(void *data);
static void ngx_cweb_jobs_cancel_hook(ngx_cweb_jrunner_t *rn);
static void ngx_cweb_jobs_watch(ngx_event_t *ev);
static int64_t ngx_cweb_jobs_mono(void);
static ngx_uint_t ngx_cweb_jobs_requeue_one(ngx_cweb_jclaim_t *claim);


typedef struct {
    ngx_cweb_jclaim_t           claim;
    ngx_uint_t                  canceled;
} ngx_cweb_jready_t;


static ngx_cweb_jrunner_t  *ngx_cweb_jobs_runners;
static ngx_uint_t           ngx_cweb_jobs_nrunners;
static ngx_log_t           *ngx_cweb_jobs_run_log;

#define NGX_CWEB_JOBS_WATCH   100        /* ms between two looks */
#define NGX_CWEB_JOBS_STUCK   10000

static ngx_event_t          ngx_cweb_jobs_watch_ev;


/* claimed jobs waiting for a runner: a ring, and how many are out */
static pthread_mutex_t      ngx_cweb_jobs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t       ngx_cweb_jobs_cv = PTHREAD_COND_INITIALIZER;
static ngx_cweb_jready_t   *ngx_cweb_jobs_ready;
static ngx_uint_t           ngx_cweb_jobs_ready_size;
static ngx_uint_t           ngx_cweb_jobs_window;     /* claimed ahead */
static ngx_uint_t           ngx_cweb_jobs_window_min;
static ngx_uint_t           ngx_cweb_jobs_ready_head;
static ngx_uint_t           ngx_cweb_jobs_ready_n;
static ngx_uint_t           ngx_cweb_jobs_out;        /* taken, ready, running */
static ngx_uint_t           ngx_cweb_jobs_closed;     /* at exit: no more */

static pthread_mutex_t      ngx_cweb_jobs_loaded_mu = PTHREAD_MUTEX_INITIALIZER;
static ngx_cweb_jloaded_t  *ngx_cweb_jobs_loaded;


ngx_int_t
ngx_cweb_jobs_runners_start(ngx_uint_t n, ngx_log_t *log)
{
    ngx_uint_t           i;
    ngx_cweb_jrunner_t  *rn;

    /*
     * a few jobs per runner claimed ahead: one commit claims them all; the
     * window grows while the runners wait for claims (short jobs: one
     * commit claims hundreds) and shrinks while claimed jobs wait for
     * runners (long ones: few of them show "running" before they run)
     */
    ngx_cweb_jobs_window_min = 4 * n + 28;
    ngx_cweb_jobs_window = ngx_cweb_jobs_window_min;
    ngx_cweb_jobs_ready_size = 4 * n + 1024;
    ngx_cweb_jobs_ready = calloc(ngx_cweb_jobs_ready_size,
                                 sizeof(ngx_cweb_jready_t));
    ngx_cweb_jobs_runners = calloc(n, sizeof(ngx_cweb_jrunner_t));

    if (ngx_cweb_jobs_runners == NULL || ngx_cweb_jobs_ready == NULL) {
        return NGX_ERROR;
    }

    ngx_cweb_jobs_nrunners = n;
    ngx_cweb_jobs_run_log = log;

    if (ngx_cweb_jobs_crash_init(log) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a look at the running jobs' timeouts; it does not keep an exit */
    ngx_cweb_jobs_watch_ev.handler = ngx_cweb_jobs_watch;
    ngx_cweb_jobs_watch_ev.log = log;
    ngx_cweb_jobs_watch_ev.data = (void *) ngx_cycle;
    ngx_cweb_jobs_watch_ev.cancelable = 1;
    ngx_add_timer(&ngx_cweb_jobs_watch_ev, NGX_CWEB_JOBS_WATCH);

    for (i = 0; i < n; i++) {
        rn = &ngx_cweb_jobs_runners[i];
        rn->index = i;
        rn->job.emit_event = ngx_cweb_jobs_emit_event;
        rn->job.set_result = ngx_cweb_jobs_set_result;
        rn->job.set_error = ngx_cweb_jobs_set_error;

        if (pthread_create(&rn->tid, NULL, ngx_cweb_jobs_runner_thread, rn)
            != 0)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the loop's side: how many more jobs to claim */

ngx_uint_t
ngx_cweb_jobs_runners_room(void)
{
    ngx_uint_t  room;

    pthread_mutex_lock(&ngx_cweb_jobs_mu);

    if (ngx_cweb_jobs_ready_n == 0) {
        ngx_cweb_jobs_window = ngx_min(2 * ngx_cweb_jobs_window,
                                       ngx_cweb_jobs_ready_size);

    } else if (ngx_cweb_jobs_ready_n > ngx_cweb_jobs_window / 2) {
        ngx_cweb_jobs_window = ngx_max(ngx_cweb_jobs_window / 2,
                                       ngx_cweb_jobs_window_min);
    }

    room = (ngx_cweb_jobs_window > ngx_cweb_jobs_out)
           ? ngx_cweb_jobs_window - ngx_cweb_jobs_out : 0;

    pthread_mutex_unlock(&ngx_cweb_jobs_mu);

    return room;
}


/*
 * one job's place in the window, taken by the store thread as it claims
 * the job (in a claim, or at its creation): what is claimed never
 * outgrows the ready ring, however many claims and creates are out
 */

ngx_uint_t
ngx_cweb_jobs_runners_take(void)
{
    ngx_uint_t  taken;

    pthread_mutex_lock(&ngx_cweb_jobs_mu);

    taken = (ngx_cweb_jobs_window > ngx_cweb_jobs_out
             && !ngx_cweb_jobs_closed);
    if (taken) {
        ngx_cweb_jobs_out++;
    }

    pthread_mutex_unlock(&ngx_cweb_jobs_mu);

    return taken;
}


/* at exit, before the runners' jobs go back: no place for another */

void
ngx_cweb_jobs_runners_close(void)
{
    pthread_mutex_lock(&ngx_cweb_jobs_mu);
    ngx_cweb_jobs_closed = 1;
    pthread_mutex_unlock(&ngx_cweb_jobs_mu);
}


/* places taken for claims that were not made, or not committed */

void
ngx_cweb_jobs_runners_untake(ngx_uint_t n)
{
    pthread_mutex_lock(&ngx_cweb_jobs_mu);
    ngx_cweb_jobs_out -= n;
    pthread_mutex_unlock(&ngx_cweb_jobs_mu);
}


/*
 * claims committed: the runners take them; at exit, when the runners'
 * jobs went back to pending already, these go back too, not run
 */

void
ngx_cweb_jobs_runners_give(ngx_cweb_jclaim_t *claims, ngx_uint_t n)
{
    ngx_uint_t          i, k;
    ngx_cweb_jready_t  *e;

    if (ngx_cweb_jobs_exiting()) {
        for (i = 0; i < n; i++) {
            (void) ngx_cweb_jobs_requeue_one(&claims[i]);
            ngx_cweb_jstore_claim_free(&claims[i]);
        }

        ngx_cweb_jobs_runners_untake(n);
        return;
    }

    pthread_mutex_lock(&ngx_cweb_jobs_mu);

    for (i = 0; i < n; i++) {
        k = (ngx_cweb_jobs_ready_head + ngx_cweb_jobs_ready_n)
            % ngx_cweb_jobs_ready_size;
        e = &ngx_cweb_jobs_ready[k];
        e->claim = claims[i];
        e->canceled = 0;
        ngx_cweb_jobs_ready_n++;        /* its place was taken */
    }

    pthread_cond_broadcast(&ngx_cweb_jobs_cv);
    pthread_mutex_unlock(&ngx_cweb_jobs_mu);
}


/* a job's end is committed */

void
ngx_cweb_jobs_runner_done(void)
{
    pthread_mutex_lock(&ngx_cweb_jobs_mu);
    ngx_cweb_jobs_out--;
    pthread_mutex_unlock(&ngx_cweb_jobs_mu);
}


/* POST /jobs/<uuid>/cancel of a job that is claimed: waiting, or running */

void
ngx_cweb_jobs_runner_cancel(const char *uuid)
{
    ngx_uint_t            i;
    ngx_cweb_jrunner_t   *rn;

    rn = NULL;
    pthread_mutex_lock(&ngx_cweb_jobs_mu);

    for (i = 0; i < ngx_cweb_jobs_ready_n; i++) {
        if (ngx_strcmp(ngx_cweb_jobs_ready[(ngx_cweb_jobs_ready_head + i)
                                           % ngx_cweb_jobs_ready_size]
                       .claim.uuid, uuid) == 0)
        {
            /* not begun: it ends canceled without running */
            ngx_cweb_jobs_ready[(ngx_cweb_jobs_ready_head + i)
                                % ngx_cweb_jobs_ready_size].canceled = 1;
        }
    }

    for (i = 0; i < ngx_cweb_jobs_nrunners; i++) {
        if (ngx_cweb_jobs_runners[i].claim.id
            && ngx_strcmp(ngx_cweb_jobs_runners[i].claim.uuid, uuid) == 0)
        {
            rn = &ngx_cweb_jobs_runners[i];
            rn->canceled = 1;
        }
    }

    if (rn) {
        ngx_cweb_jobs_cancel_hook(rn);
    }

    pthread_mutex_unlock(&ngx_cweb_jobs_mu);
}


/* rn's version's cancel hook, on a thread of its own; under the mutex */

static void
ngx_cweb_jobs_cancel_hook(ngx_cweb_jrunner_t *rn)
{
    pthread_t             tid;
    job_info_t           *info;
    pthread_attr_t        attr;
    ngx_cweb_jcancel_t   *cn;

    info = ngx_cweb_jobs_info(&rn->claim, NULL, 0, NULL);
    cn = (info && info->cancel) ? calloc(1, sizeof(ngx_cweb_jcancel_t))
                                : NULL;

    if (cn == NULL || pthread_attr_init(&attr) != 0) {
        free(cn);
        return;
    }

    /* the loaded version outlives the hook: objects are never closed */
    cn->info = info;
    ngx_memcpy(cn->uuid, rn->claim.uuid, NGX_CWEB_JSTORE_UUID_LEN);

    /* a crash in the hook is the job's, like one in its run() */
    cn->mark.id = rn->claim.id;
    cn->mark.uuid = cn->uuid;
    cn->mark.what = rn->what;
    cn->mark.since = ngx_current_msec | 1;

    /* the hook is plugin code: not on the loop, on a thread of its own */
    (void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

    if (pthread_create(&tid, &attr, ngx_cweb_jobs_cancel_thread, cn) != 0) {
        free(cn);
    }

    (void) pthread_attr_destroy(&attr);
}


/*
 * the loop, every NGX_CWEB_JOBS_WATCH ms: a job over its timeout is
 * failed now (its end written for it), its cancel hook called; a helper
 * whose every runner is held by one for long exits to be replaced
 */

static void
ngx_cweb_jobs_watch(ngx_event_t *ev)
{
    char                 why[128];
    int64_t              now;
    ngx_uint_t           i, stuck;
    ngx_cweb_jop_t      *op;
    ngx_cweb_jrunner_t  *rn;

    now = ngx_cweb_jobs_mono();
    stuck = 0;

    for (i = 0; i < ngx_cweb_jobs_nrunners; i++) {
        rn = &ngx_cweb_jobs_runners[i];

        op = ngx_cweb_jobs_op(NGX_CWEB_JOP_FINISH);

        pthread_mutex_lock(&ngx_cweb_jobs_mu);

        if (rn->abandoned && now - rn->abandoned >= NGX_CWEB_JOBS_STUCK) {
            stuck++;
        }

        if (op == NULL || rn->claim.id == 0 || rn->deadline == 0
            || rn->abandoned || now < rn->deadline)
        {
            pthread_mutex_unlock(&ngx_cweb_jobs_mu);

            if (op) {
                ngx_cweb_jobs_op_free(op);
            }

            continue;
        }

        /*
         * all of it under the mutex the run's own end takes: it comes
         * before (and this job is not timed out) or after (and only gives
         * the runner back)
         */
        ngx_log_error(NGX_LOG_WARN, ev->log, 0, "cweb jobs: job %s (\"%s\" "
                      "of plugin \"%s\" version %L) is over its timeout of "
                      "%L ms: failed, its cancel hook called",
                      rn->claim.uuid, rn->claim.job, rn->claim.module,
                      rn->claim.version, rn->claim.timeout_ms);

        ngx_snprintf((u_char *) why, sizeof(why) - 1, "timed out: the job "
                     "ran over its timeout_ms of %L ms%Z",
                     rn->claim.timeout_ms);

        rn->abandoned = now;
        free(rn->error);
        free(rn->result);
        rn->error = NULL;
        rn->result = NULL;

        ngx_cweb_jobs_end_locked(rn, -1, why, op);

        /* the runner's count goes down when the run returns */
        op->runner = NULL;

        ngx_cweb_jobs_cancel_hook(rn);
        pthread_mutex_unlock(&ngx_cweb_jobs_mu);

        ngx_cweb_jobs_submit(op);
    }

    if (stuck == ngx_cweb_jobs_nrunners && stuck) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "cweb jobs: every runner thread is held by a job that "
                      "timed out %d ms ago and has not returned: the helper "
                      "exits to be replaced", NGX_CWEB_JOBS_STUCK);
        exit(1);
    }

    ngx_add_timer(ev, NGX_CWEB_JOBS_WATCH);
}


static int64_t
ngx_cweb_jobs_mono(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* at exit: the jobs claimed and not finished go back to pending */

void
ngx_cweb_jobs_runners_requeue(void)
{
    ngx_uint_t  i, n;

    n = 0;
    pthread_mutex_lock(&ngx_cweb_jobs_mu);

    /* a job over its timeout was failed already */
    for (i = 0; i < ngx_cweb_jobs_nrunners; i++) {
        if (!ngx_cweb_jobs_runners[i].abandoned) {
            n += ngx_cweb_jobs_requeue_one(&ngx_cweb_jobs_runners[i].claim);
        }
    }

    for (i = 0; i < ngx_cweb_jobs_ready_n; i++) {
        n += ngx_cweb_jobs_requeue_one(
                 &ngx_cweb_jobs_ready[(ngx_cweb_jobs_ready_head + i)
                                      % ngx_cweb_jobs_ready_size].claim);
    }

    pthread_mutex_unlock(&ngx_cweb_jobs_mu);

    if (n) {
        ngx_cweb_jobs_flush(2000);
    }
}


static ngx_uint_t
ngx_cweb_jobs_requeue_one(ngx_cweb_jclaim_t *claim)
{
    ngx_cweb_jop_t  *op;

    if (claim->id == 0) {
        return 0;
    }

    op = ngx_cweb_jobs_op(NGX_CWEB_JOP_REQUEUE);
    if (op == NULL || (op->uuid = strdup(claim->uuid)) == NULL) {
        free(op);
        return 0;
    }

    op->job_id = claim->id;
    ngx_cweb_jobs_submit(op);

    return 1;
}


/* ---- the runner threads ---- */


static void *
ngx_cweb_jobs_runner_thread(void *data)
{
    ngx_cweb_jrunner_t  *rn = data;

    ngx_cweb_jready_t  *e;

    /* a job that recurses without end still has its crash recorded */
    rn->altstack = ngx_cweb_fault_altstack_thread();

    for ( ;; ) {
        pthread_mutex_lock(&ngx_cweb_jobs_mu);

        while (ngx_cweb_jobs_ready_n == 0) {
            pthread_cond_wait(&ngx_cweb_jobs_cv, &ngx_cweb_jobs_mu);
        }

        e = &ngx_cweb_jobs_ready[ngx_cweb_jobs_ready_head];
        ngx_cweb_jobs_ready_head = (ngx_cweb_jobs_ready_head + 1)
                                   % ngx_cweb_jobs_ready_size;
        ngx_cweb_jobs_ready_n--;

        rn->claim = e->claim;
        rn->canceled = e->canceled;
        rn->result = NULL;
        rn->error = NULL;
        rn->deadline = (rn->claim.timeout_ms > 0)
                       ? ngx_cweb_jobs_mono() + rn->claim.timeout_ms : 0;
        rn->abandoned = 0;
        ngx_memzero(&e->claim, sizeof(ngx_cweb_jclaim_t));
        pthread_mutex_unlock(&ngx_cweb_jobs_mu);

        ngx_cweb_jobs_run_one(rn);

        pthread_mutex_lock(&ngx_cweb_jobs_mu);
        ngx_cweb_jstore_claim_free(&rn->claim);
        ngx_memzero(&rn->claim, sizeof(ngx_cweb_jclaim_t));
        pthread_mutex_unlock(&ngx_cweb_jobs_mu);
    }

    return NULL;
}


static void
ngx_cweb_jobs_run_one(ngx_cweb_jrunner_t *rn)
{
    int               rc;
    char              err[512];
    job_info_t       *info;
    job_payload_t     payload;
    ngx_cweb_jmark_t  mark;

    if (rn->canceled) {
        ngx_cweb_jobs_end(rn, 0, NULL);
        return;
    }

    info = ngx_cweb_jobs_info(&rn->claim, err, sizeof(err), &rn->what);

    if (info == NULL) {
        ngx_cweb_jobs_end(rn, -1, err);
        return;
    }

    payload.json = rn->claim.payload ? rn->claim.payload : "{}";
    payload.json_len = strlen(payload.json);
    rn->job.job_uuid = rn->claim.uuid;

    /* the fault marker: a crash in run() is this job's and this version's */
    rn->since = ngx_current_msec | 1;
    mark.id = rn->claim.id;
    mark.uuid = rn->claim.uuid;
    mark.what = rn->what;
    mark.since = rn->since;
    ngx_cweb_jobs_mark(&mark);

    rc = info->run(&ngx_cweb_context, &payload, &rn->job);

    ngx_cweb_jobs_mark(NULL);

    ngx_cweb_jobs_end(rn, rc, NULL);
}


/* the job's function in the version it was created for, loaded once */

static job_info_t *
ngx_cweb_jobs_info(ngx_cweb_jclaim_t *claim, char *err, size_t errlen,
    ngx_atomic_uint_t *what)
{
    int                  i;
    u_char               so[NGX_CWEB_FILE_LEN], path[NGX_MAX_PATH], e[512];
    ngx_str_t            name, file;
    ngx_cweb_jloaded_t  *l;

    pthread_mutex_lock(&ngx_cweb_jobs_loaded_mu);

    for (l = ngx_cweb_jobs_loaded; l; l = l->next) {
        if (ngx_strcmp(l->hash, claim->module_hash) == 0) {
            break;
        }
    }

    if (l == NULL && err) {
        name.data = (u_char *) claim->module;
        name.len = ngx_strlen(claim->module);

        so[ngx_cweb_store_so_name(so, &name, claim->version,
                                  (u_char *) claim->module_hash)] = '\0';

        file.data = path;
        file.len = ngx_snprintf(path, sizeof(path) - 1, "%V/so/%s",
                                &ngx_cweb_conf()->module_dir, so) - path;
        path[file.len] = '\0';

        l = calloc(1, sizeof(ngx_cweb_jloaded_t));

        if (l != NULL) {
            l->handle = ngx_cweb_loader_open(&file, &l->config, e, sizeof(e));

            if (l->handle == NULL) {
                ngx_cweb_errf((u_char *) err, errlen, "version %L of "
                              "plugin \"%s\" cannot be loaded: %s",
                              claim->version, claim->module, e);
                free(l);
                l = NULL;

            } else {
                ngx_memcpy(l->hash, claim->module_hash, NGX_CWEB_HASH_LEN);
                l->what = ngx_cweb_jobs_what(claim);
                l->next = ngx_cweb_jobs_loaded;
                ngx_cweb_jobs_loaded = l;
            }
        }
    }

    pthread_mutex_unlock(&ngx_cweb_jobs_loaded_mu);

    if (what) {
        *what = l ? l->what : 0;
    }

    for (i = 0; l && i < l->config->job_size && i < MAX_JOBS; i++) {
        if (l->config->jobs[i].name && l->config->jobs[i].run
            && ngx_strcmp(l->config->jobs[i].name, claim->job) == 0)
        {
            return &l->config->jobs[i];
        }
    }

    if (l && err) {
        ngx_cweb_errf((u_char *) err, errlen, "version %L of plugin \"%s\" "
                      "has no job \"%s\"", claim->version, claim->module,
                      claim->job);
    }

    return NULL;
}


/*
 * the fault marker of the plugin's version in the registry (its slot
 * there), 0 when the plugin is gone: a crash is then the job's only
 */

static ngx_atomic_uint_t
ngx_cweb_jobs_what(ngx_cweb_jclaim_t *claim)
{
    ngx_str_t              name;
    ngx_pool_t            *pool;
    ngx_atomic_uint_t      what;
    ngx_cweb_shm_module_t  m;

    pool = ngx_create_pool(1024, ngx_cweb_jobs_run_log);
    if (pool == NULL) {
        return 0;
    }

    name.data = (u_char *) claim->module;
    name.len = ngx_strlen(claim->module);

    what = (ngx_cweb_registry_get(&name, &m, pool) == NGX_OK)
           ? ngx_cweb_call_what(m.slot, (ngx_uint_t) claim->version,
                                NGX_CWEB_CALL_JOB)
           : 0;

    ngx_destroy_pool(pool);

    return what;
}


/*
 * the run returned: its end goes to the store after what it emitted; a
 * job the watch ended over its timeout only gives its runner back
 */

static void
ngx_cweb_jobs_end(ngx_cweb_jrunner_t *rn, int rc, const char *why)
{
    ngx_cweb_jop_t  *op;

    op = ngx_cweb_jobs_op(NGX_CWEB_JOP_FINISH);

    pthread_mutex_lock(&ngx_cweb_jobs_mu);

    if (rn->abandoned || op == NULL) {
        if (op == NULL && !rn->abandoned) {
            ngx_log_error(NGX_LOG_CRIT, ngx_cweb_jobs_run_log, 0,
                          "cweb jobs: out of memory: the end of job %s is "
                          "lost until the helper restarts", rn->claim.uuid);
        }

        rn->abandoned = 0;
        rn->deadline = 0;
        ngx_cweb_jobs_out--;
        free(rn->result);
        free(rn->error);
        rn->result = NULL;
        rn->error = NULL;
        pthread_mutex_unlock(&ngx_cweb_jobs_mu);

        if (op) {
            ngx_cweb_jobs_op_free(op);
        }

        return;
    }

    ngx_cweb_jobs_end_locked(rn, rc, why, op);
    pthread_mutex_unlock(&ngx_cweb_jobs_mu);

    ngx_cweb_jobs_submit(op);
}


/* the FINISH of rn's job, from what the run set; under the mutex */

static void
ngx_cweb_jobs_end_locked(ngx_cweb_jrunner_t *rn, int rc, const char *why,
    ngx_cweb_jop_t *op)
{
    char  buf[64];

    if (why == NULL && rn->error == NULL && rc != 0) {
        ngx_snprintf((u_char *) buf, sizeof(buf), "run() returned %d%Z", rc);
        why = buf;
    }

    op->runner = rn;
    op->job_id = rn->claim.id;
    op->attempt = rn->claim.attempt;
    op->started_at = rn->claim.started_at;
    op->uuid = strdup(rn->claim.uuid);
    op->state = strdup(rn->canceled ? "canceled"
                       : (why || rn->error) ? "failed" : "done");
    op->error = rn->error ? rn->error : (why ? strdup(why) : NULL);
    op->data = rn->canceled ? NULL : rn->result;

    if (rn->canceled) {
        free(rn->result);
    }

    /* a failed attempt is tried again while the job has attempts left */
    op->limit = (!rn->canceled && (why || rn->error)
                 && rn->claim.attempt < rn->claim.max_attempts)
                ? (int) rn->claim.attempt : 0;

    rn->result = NULL;
    rn->error = NULL;
}


/* ---- job_ctx_t, from the run's thread ---- */


static ngx_cweb_jrunner_t *
ngx_cweb_jobs_caller(job_ctx_t *job, const char *fn)
{
    ngx_uint_t           i;
    ngx_cweb_jrunner_t  *rn;

    for (i = 0; i < ngx_cweb_jobs_nrunners; i++) {
        rn = &ngx_cweb_jobs_runners[i];

        if (job == &rn->job && pthread_equal(pthread_self(), rn->tid)) {
            return rn;
        }
    }

    ngx_log_error(NGX_LOG_ERR, ngx_cweb_jobs_run_log, 0,
                  "cweb jobs: job->%s(): only from the job's run(), on its "
                  "thread", fn);

    return NULL;
}


/*
 * a plugin's JSON text as it is stored: compact, as jansson writes it, so
 * that an event is announced with its data as is (no newline or space a
 * stream's framing could trip on) and reads back the same; NULL and why
 * ("not JSON: ...", "no memory") when it cannot be
 */

static char *
ngx_cweb_jobs_compact(const char *json, char *why, size_t len)
{
    char          *text;
    json_t        *v;
    json_error_t   jerr;

    v = json_loads(json, JSON_DECODE_ANY, &jerr);
    if (v == NULL) {
        ngx_snprintf((u_char *) why, len - 1, "not JSON: %s%Z", jerr.text);
        return NULL;
    }

    text = json_dumps(v, JSON_COMPACT|JSON_ENCODE_ANY);
    json_decref(v);

    if (text == NULL) {
        ngx_cpystrn((u_char *) why, (u_char *) "no memory", len);
    }

    return text;
}


static int
ngx_cweb_jobs_emit_event(job_ctx_t *job, const char *type,
    const char *data_json)
{
    char                *data, why[JSON_ERROR_TEXT_LENGTH + 16];
    ngx_cweb_jop_t      *op;
    ngx_cweb_jrunner_t  *rn;

    rn = ngx_cweb_jobs_caller(job, "emit_event");
    if (rn == NULL) {
        return CWEB_ERROR;
    }

    if (type == NULL || !ngx_cweb_jstore_type_ok(type, 0)) {
        ngx_log_error(NGX_LOG_ERR, ngx_cweb_jobs_run_log, 0,
                      "cweb jobs: job %s: emit_event(): the type must be 1 "
                      "to 63 letters, digits, \"_\", \"-\", \".\" or \":\" "
                      "and not one of the built-in types (created, started, "
                      "done, failed, canceled, retry)", rn->claim.uuid);
        return CWEB_ERROR;
    }

    /* what any follower's replay carries in one message */
    if (data_json
        && strlen(data_json) > ngx_cweb_jobs_sched_conf()->max_payload)
    {
        ngx_log_error(NGX_LOG_ERR, ngx_cweb_jobs_run_log, 0,
                      "cweb jobs: job %s: emit_event(\"%s\"): the data is "
                      "larger than cweb_job_max_payload (%uz bytes)",
                      rn->claim.uuid, type,
                      ngx_cweb_jobs_sched_conf()->max_payload);
        return CWEB_ERROR;
    }

    data = NULL;

    if (data_json) {
        data = ngx_cweb_jobs_compact(data_json, why, sizeof(why));

        if (data == NULL) {
            ngx_log_error(NGX_LOG_ERR, ngx_cweb_jobs_run_log, 0,
                          "cweb jobs: job %s: emit_event(\"%s\"): the data: "
                          "%s", rn->claim.uuid, type, why);
            return CWEB_ERROR;
        }
    }

    op = ngx_cweb_jobs_op(NGX_CWEB_JOP_EMIT);

    if (op == NULL || (op->uuid = strdup(rn->claim.uuid)) == NULL
        || (op->type = strdup(type)) == NULL)
    {
        if (op) {
            ngx_cweb_jobs_op_free(op);
        }

        free(data);
        return CWEB_ERROR;
    }

    op->data = data;

    op->job_id = rn->claim.id;

    /* a job over its timeout has ended: nothing it says is written */
    pthread_mutex_lock(&ngx_cweb_jobs_mu);

    if (rn->abandoned) {
        pthread_mutex_unlock(&ngx_cweb_jobs_mu);
        ngx_cweb_jobs_op_free(op);
        return CWEB_ERROR;
    }

    ngx_cweb_jobs_submit(op);
    pthread_mutex_unlock(&ngx_cweb_jobs_mu);

    return CWEB_OK;
}


static int
ngx_cweb_jobs_set_result(job_ctx_t *job, const char *result_json)
{
    char                *copy, why[JSON_ERROR_TEXT_LENGTH + 16];
    ngx_cweb_jrunner_t  *rn;

    rn = ngx_cweb_jobs_caller(job, "set_result");
    if (rn == NULL || result_json == NULL) {
        return CWEB_ERROR;
    }

    /* GET /jobs/<uuid> and the done event carry it in one message */
    if (strlen(result_json) > ngx_cweb_jobs_sched_conf()->max_payload) {
        ngx_log_error(NGX_LOG_ERR, ngx_cweb_jobs_run_log, 0,
                      "cweb jobs: job %s: set_result(): the result is larger "
                      "than cweb_job_max_payload (%uz bytes)", rn->claim.uuid,
                      ngx_cweb_jobs_sched_conf()->max_payload);
        return CWEB_ERROR;
    }

    copy = ngx_cweb_jobs_compact(result_json, why, sizeof(why));
    if (copy == NULL) {
        ngx_log_error(NGX_LOG_ERR, ngx_cweb_jobs_run_log, 0,
                      "cweb jobs: job %s: set_result(): %s",
                      rn->claim.uuid, why);
        return CWEB_ERROR;
    }

    pthread_mutex_lock(&ngx_cweb_jobs_mu);
    free(rn->result);
    rn->result = copy;
    pthread_mutex_unlock(&ngx_cweb_jobs_mu);

    return CWEB_OK;
}


static int
ngx_cweb_jobs_set_error(job_ctx_t *job, const char *error_text)
{
    char                *copy;
    ngx_cweb_jrunner_t  *rn;

    rn = ngx_cweb_jobs_caller(job, "set_error");
    if (rn == NULL) {
        return CWEB_ERROR;
    }

    copy = strdup(error_text ? error_text : "error");
    if (copy == NULL) {
        return CWEB_ERROR;
    }

    pthread_mutex_lock(&ngx_cweb_jobs_mu);
    free(rn->error);
    rn->error = copy;
    pthread_mutex_unlock(&ngx_cweb_jobs_mu);

    return CWEB_OK;
}


static void *
ngx_cweb_jobs_cancel_thread(void *data)
{
    ngx_cweb_jcancel_t  *cn = data;

    void  *alt;

    alt = ngx_cweb_fault_altstack_thread();

    ngx_cweb_jobs_mark(&cn->mark);
    cn->info->cancel(&ngx_cweb_context, cn->uuid);
    ngx_cweb_jobs_mark(NULL);

    free(cn);
    ngx_cweb_fault_altstack_end(alt);

    return NULL;
}
