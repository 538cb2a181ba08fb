
/*
 * What the management requests share outside their own handlers: their
 * ctx (created with a cleanup), the cluster-wide commit lock retried from
 * a timer, SQLite work in "default" thread-pool tasks (the request blocked
 * meanwhile, as nginx does for aio threads), the answer prepared by a step
 * and sent once, and the hold that keeps a quitting worker alive until
 * the answer is out.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_admin.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_shm.h"
#include "ngx_cweb_store.h"


#define NGX_CWEB_LOCK_RETRY       5
#define NGX_CWEB_LOCK_TRIES       2000


typedef struct {
    ngx_cweb_admin_ctx_t       *ctx;
} ngx_cweb_admin_task_t;


static void ngx_cweb_admin_retry_handler(ngx_event_t *ev);
static void ngx_cweb_admin_task_handler(void *data, ngx_log_t *log);
static void ngx_cweb_admin_task_done(ngx_event_t *ev);
static void ngx_cweb_admin_cleanup(void *data);
static void ngx_cweb_admin_hold_handler(ngx_event_t *ev);


static ngx_str_t  ngx_cweb_thread_pool_name = ngx_string("default");


void *
ngx_cweb_admin_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t    *cln;
    ngx_cweb_admin_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_cweb_module);
    if (ctx) {
        return ctx;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cweb_admin_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_cweb_admin_cleanup;
    cln->data = ctx;

    ctx->r = r;
    ngx_http_set_ctx(r, ctx, ngx_cweb_module);

    return ctx;
}


ngx_int_t
ngx_cweb_admin_prepare(ngx_cweb_admin_ctx_t *ctx, ngx_uint_t status,
    json_t *answer)
{
    ctx->status = status;
    ctx->answer = answer;

    return NGX_DECLINED;
}


/* the answer ngx_cweb_admin_prepare() made (NGX_DECLINED), or a 500 */

void
ngx_cweb_admin_answer(ngx_cweb_admin_ctx_t *ctx, ngx_int_t rc)
{
    json_t  *answer;

    if (rc == NGX_DECLINED && ctx->answer) {
        answer = ctx->answer;
        ctx->answer = NULL;
        ngx_cweb_admin_finish(ctx,
                              ngx_cweb_send_json(ctx->r, ctx->status, answer));
        return;
    }

    ngx_cweb_admin_finish(ctx,
        ngx_cweb_send_error(ctx->r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                            "internal error, see the error log"));
}


/* the cluster-wide commit lock, retried from a timer while busy */

void
ngx_cweb_admin_lock(ngx_cweb_admin_ctx_t *ctx, ngx_cweb_admin_step_pt locked)
{
    ctx->locked = locked;

    if (ngx_cweb_commit_trylock() == NGX_OK) {
        ctx->has_lock = 1;
        locked(ctx);
        return;
    }

    if (++ctx->tries > NGX_CWEB_LOCK_TRIES) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(ctx->r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                "another deployment holds the registry"));
        return;
    }

    ctx->retry.handler = ngx_cweb_admin_retry_handler;
    ctx->retry.data = ctx;
    ctx->retry.log = ctx->r->connection->log;
    ngx_add_timer(&ctx->retry, NGX_CWEB_LOCK_RETRY);
}


static void
ngx_cweb_admin_retry_handler(ngx_event_t *ev)
{
    ngx_cweb_admin_ctx_t  *ctx = ev->data;

    ngx_connection_t  *c;

    c = ctx->r->connection;

    ngx_cweb_admin_lock(ctx, ctx->locked);

    /* not one of the request's own handlers: what it posted runs now */
    ngx_http_run_posted_requests(c);
}


/*
 * SQLite work runs in the "default" thread pool with a pool of its own;
 * the request is blocked (as nginx does for aio threads) so it cannot be
 * freed meanwhile
 */

ngx_int_t
ngx_cweb_admin_post_task(ngx_cweb_admin_ctx_t *ctx,
    ngx_cweb_admin_task_pt task, ngx_cweb_admin_step_pt done)
{
    ngx_thread_pool_t      *tp;
    ngx_thread_task_t      *t;
    ngx_http_request_t     *r;
    ngx_cweb_admin_task_t  *at;

    r = ctx->r;

    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle,
                             &ngx_cweb_thread_pool_name);
    if (tp == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "cweb thread pool \"default\" not found");
        return NGX_ERROR;
    }

    t = ngx_thread_task_alloc(r->pool, sizeof(ngx_cweb_admin_task_t));
    if (t == NULL) {
        return NGX_ERROR;
    }

    if (ctx->task_pool == NULL) {
        ctx->task_pool = ngx_create_pool(4096, r->connection->log);
        if (ctx->task_pool == NULL) {
            return NGX_ERROR;
        }
    }

    at = t->ctx;
    at->ctx = ctx;

    ctx->task = task;
    ctx->task_done = done;
    ctx->task_err[0] = '\0';

    t->handler = ngx_cweb_admin_task_handler;
    t->event.handler = ngx_cweb_admin_task_done;
    t->event.data = ctx;

    if (ngx_thread_task_post(tp, t) != NGX_OK) {
        return NGX_ERROR;
    }

    r->main->blocked++;
    r->aio = 1;

    return NGX_OK;
}


/* runs in a pool thread: the task's own pool, no events */

static void
ngx_cweb_admin_task_handler(void *data, ngx_log_t *log)
{
    ngx_cweb_admin_task_t *at = data;

    void                  *db;
    ngx_cweb_admin_ctx_t  *ctx;

    ctx = at->ctx;

    db = ngx_cweb_store_worker_db(log, ctx->task_err, sizeof(ctx->task_err));
    if (db == NULL) {
        ctx->task_rc = NGX_ERROR;
        return;
    }

    ctx->task_rc = ctx->task(ctx, db, ctx->task_pool);

    ngx_cweb_store_worker_release();
}


static void
ngx_cweb_admin_task_done(ngx_event_t *ev)
{
    ngx_cweb_admin_ctx_t  *ctx = ev->data;

    ngx_http_request_t  *r;
    ngx_connection_t    *c;

    r = ctx->r;
    c = r->connection;

    r->main->blocked--;
    r->aio = 0;

    ctx->task_done(ctx);
    ngx_http_run_posted_requests(c);
}


/*
 * A quitting worker (reload) exits as soon as only cancelable timers are
 * left, even with a request in progress.  From its first asynchronous
 * step until the answer, an admin request therefore holds a
 * non-cancelable timer; it is only a backstop and never expected to fire.
 */

void
ngx_cweb_admin_hold(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_cweb_main_conf_t  *cmcf;

    if (ctx->hold.timer_set) {
        return;
    }

    cmcf = ngx_cweb_conf();

    ctx->hold.handler = ngx_cweb_admin_hold_handler;
    ctx->hold.data = ctx;
    ctx->hold.log = ctx->r->connection->log;
    ngx_add_timer(&ctx->hold, cmcf->compile_timeout + cmcf->handler_timeout
                              + 60000);
}


static void
ngx_cweb_admin_hold_handler(ngx_event_t *ev)
{
    ngx_cweb_admin_ctx_t  *ctx = ev->data;

    ngx_connection_t  *c;

    /*
     * a thread task (the commit) still runs: it will finish the request,
     * and must find it and the commit lock as it left them; keep holding
     */
    if (ctx->r->main->blocked) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "cweb mgnt request still waiting for its commit");
        ngx_add_timer(&ctx->hold, 60000);
        return;
    }

    ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                  "cweb mgnt request still unanswered after its deadline");

    c = ctx->r->connection;
    ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    ngx_http_run_posted_requests(c);
}


void
ngx_cweb_admin_finish(ngx_cweb_admin_ctx_t *ctx, ngx_int_t rc)
{
    if (ctx->hold.timer_set) {
        ngx_del_timer(&ctx->hold);
    }

    if (ctx->has_lock) {
        ctx->has_lock = 0;
        ngx_cweb_commit_unlock();
    }

    ngx_http_finalize_request(ctx->r, rc);
}


static void
ngx_cweb_admin_cleanup(void *data)
{
    ngx_cweb_admin_ctx_t  *ctx = data;

    if (ctx->retry.timer_set) {
        ngx_del_timer(&ctx->retry);
    }

    if (ctx->hold.timer_set) {
        ngx_del_timer(&ctx->hold);
    }

    if (ctx->has_lock) {
        ctx->has_lock = 0;
        ngx_cweb_commit_unlock();
    }

    if (ctx->task_json) {
        json_decref(ctx->task_json);
    }

    if (ctx->answer) {
        json_decref(ctx->answer);
    }

    if (ctx->task_pool) {
        ngx_destroy_pool(ctx->task_pool);
    }
}
