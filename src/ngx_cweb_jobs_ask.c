
/*
 * A worker's questions to the helper's job scheduler (ngx_cweb_jobs.h):
 * asked on the worker's connection to it (ngx_cweb_jobs_chan.c), the
 * answer relayed as the helper wrote it (or handed to the caller), all on
 * the event loop without blocking.  While the helper is not there (a
 * start, a respawn) the worker retries for a while, then answers 503.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_json.h"


#define NGX_CWEB_JOBS_RETRY       50        /* ms between tries */
#define NGX_CWEB_JOBS_TRIES       100       /* 5 s of them */
#define NGX_CWEB_JOBS_WAIT        30000     /* ms for an answer */


typedef struct {
    ngx_http_request_t         *r;            /* NULL: a plugin's create */
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_cweb_jq_t               q;            /* the question */
    ngx_event_t                 retry;
    ngx_event_t                 wait;         /* for the answer */
    ngx_uint_t                  tries;
    ngx_cweb_jobs_answered_pt   answered;     /* NULL: relay the answer */
    ngx_cweb_jobs_got_pt        got;          /* a query's, without r */
    void                       *data;
} ngx_cweb_jobs_ctx_t;


static ngx_cweb_jobs_ctx_t *ngx_cweb_jobs_ctx(ngx_pool_t *pool,
    ngx_log_t *log, json_t *msg);
static void ngx_cweb_jobs_put_question(ngx_cweb_jobs_ctx_t *ctx);
static void ngx_cweb_jobs_retry_handler(ngx_event_t *ev);
static void ngx_cweb_jobs_wait_handler(ngx_event_t *ev);
static void ngx_cweb_jobs_answered(ngx_cweb_jq_t *q, ngx_uint_t status,
    u_char *body, size_t len);
static void ngx_cweb_jobs_lost(ngx_cweb_jq_t *q, ngx_uint_t sent);
static void ngx_cweb_jobs_created(ngx_cweb_jobs_ctx_t *ctx, ngx_uint_t code,
    json_t *body);
static ngx_int_t ngx_cweb_jobs_answer(ngx_cweb_jobs_ctx_t *ctx,
    ngx_uint_t code, u_char *text, size_t len);
static void ngx_cweb_jobs_done(ngx_cweb_jobs_ctx_t *ctx, ngx_int_t rc);
static void ngx_cweb_jobs_cleanup(void *data);


/*
 * The helper answers: connect, write the message, read the answer, relay
 * it.  NGX_DONE; the request is finalized when the answer (or the lack of
 * one) is known.
 */

ngx_int_t
ngx_cweb_jobs_ask(ngx_http_request_t *r, json_t *msg,
    ngx_cweb_jobs_answered_pt answered, void *data)
{
    ngx_cweb_jobs_ctx_t  *ctx;

    if (msg == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_cweb_jobs_ctx(r->pool, r->connection->log, msg);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->r = r;
    ctx->answered = answered;
    ctx->data = data;

    r->main->count++;
    ngx_cweb_jobs_put_question(ctx);

    return NGX_DONE;
}


/* the same without a request: a plugin's jobs_create() */

ngx_int_t
ngx_cweb_jobs_send(json_t *msg, const char *uuid)
{
    ngx_pool_t           *pool;
    ngx_cweb_jobs_ctx_t  *ctx;

    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        json_decref(msg);
        return NGX_ERROR;
    }

    ctx = ngx_cweb_jobs_ctx(pool, ngx_cycle->log, msg);
    if (ctx == NULL || (ctx->data = ngx_pstrdup(pool, &(ngx_str_t) {
                            ngx_strlen(uuid) + 1, (u_char *) uuid }))
                       == NULL)
    {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    ngx_cweb_jobs_put_question(ctx);

    return NGX_OK;
}


/*
 * a read without a request (a WebSocket's replay): got() is called once
 * with the answer, or with the error status and no body; the handle
 * cancels it until then
 */

void *
ngx_cweb_jobs_query(json_t *msg, ngx_log_t *log, ngx_cweb_jobs_got_pt got,
    void *data)
{
    ngx_pool_t           *pool;
    ngx_cweb_jobs_ctx_t  *ctx;

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        json_decref(msg);
        return NULL;
    }

    ctx = ngx_cweb_jobs_ctx(pool, log, msg);
    if (ctx == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    ctx->got = got;
    ctx->data = data;

    /*
     * connected after the caller has the handle: a failure at once
     * (no connection left, EMFILE) reaches got() from the loop, never
     * before this returns
     */
    ngx_post_event(&ctx->retry, &ngx_posted_events);

    return ctx;
}


void
ngx_cweb_jobs_query_cancel(void *query)
{
    ngx_cweb_jobs_ctx_t  *ctx = query;

    ngx_cweb_jobs_cleanup(ctx);
    ngx_destroy_pool(ctx->pool);
}


/* a question for the helper, in pool; msg's reference is taken */

static ngx_cweb_jobs_ctx_t *
ngx_cweb_jobs_ctx(ngx_pool_t *pool, ngx_log_t *log, json_t *msg)
{
    char                 *text;
    size_t                len;
    ngx_pool_cleanup_t   *cln;
    ngx_cweb_jobs_ctx_t  *ctx;

    text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);

    if (text == NULL) {
        return NULL;
    }

    len = strlen(text);

    ctx = ngx_pcalloc(pool, sizeof(ngx_cweb_jobs_ctx_t));
    cln = ngx_pool_cleanup_add(pool, 0);

    if (ctx == NULL || cln == NULL) {
        free(text);
        return NULL;
    }

    /* jansson's text itself, freed by the cleanup */
    ctx->q.text = (u_char *) text;
    ctx->q.len = len;
    ctx->q.answer = ngx_cweb_jobs_answered;
    ctx->q.lost = ngx_cweb_jobs_lost;
    ctx->q.data = ctx;

    ctx->pool = pool;
    ctx->log = log;
    ctx->retry.handler = ngx_cweb_jobs_retry_handler;
    ctx->retry.data = ctx;
    ctx->retry.log = log;
    ctx->wait.handler = ngx_cweb_jobs_wait_handler;
    ctx->wait.data = ctx;
    ctx->wait.log = log;

    cln->handler = ngx_cweb_jobs_cleanup;
    cln->data = ctx;

    return ctx;
}


/* the helper's answer to a plugin's jobs_create(): only a refusal is told */

static void
ngx_cweb_jobs_created(ngx_cweb_jobs_ctx_t *ctx, ngx_uint_t code, json_t *body)
{
    if (code != NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, ctx->log, 0, "cweb jobs_create(): job %s "
                      "was not created: %s", ctx->data,
                      json_string_value(json_object_get(body, "error"))
                      ? json_string_value(json_object_get(body, "error"))
                      : "the helper refused it");
    }

    json_decref(body);
}


static void
ngx_cweb_jobs_put_question(ngx_cweb_jobs_ctx_t *ctx)
{
    ngx_int_t  rc;

    rc = ngx_cweb_jchan_ask(&ctx->q);

    if (rc == NGX_OK) {
        ngx_add_timer(&ctx->wait, NGX_CWEB_JOBS_WAIT);
        return;
    }

    /* the helper is (re)starting, or its backlog is full */
    if (rc == NGX_AGAIN && ++ctx->tries < NGX_CWEB_JOBS_TRIES) {
        ngx_add_timer(&ctx->retry, NGX_CWEB_JOBS_RETRY);
        return;
    }

    if (rc == NGX_AGAIN) {
        ngx_log_error(NGX_LOG_ERR, ctx->log, 0, "cweb jobs: the helper's "
                      "socket did not take a connection for %ui ms",
                      (ngx_uint_t) NGX_CWEB_JOBS_TRIES * NGX_CWEB_JOBS_RETRY);
    }

    ngx_cweb_jobs_done(ctx, rc == NGX_AGAIN ? NGX_HTTP_SERVICE_UNAVAILABLE
                                            : NGX_HTTP_INTERNAL_SERVER_ERROR);
}


static void
ngx_cweb_jobs_retry_handler(ngx_event_t *ev)
{
    ngx_cweb_jobs_put_question(ev->data);
}


static void
ngx_cweb_jobs_wait_handler(ngx_event_t *ev)
{
    ngx_cweb_jobs_ctx_t  *ctx = ev->data;

    ngx_log_error(NGX_LOG_ERR, ctx->log, NGX_ETIMEDOUT,
                  "cweb jobs: the helper did not answer");
    ngx_cweb_jchan_forget(&ctx->q);
    ngx_cweb_jobs_done(ctx, NGX_HTTP_GATEWAY_TIME_OUT);
}


static void
ngx_cweb_jobs_answered(ngx_cweb_jq_t *q, ngx_uint_t status, u_char *body,
    size_t len)
{
    ngx_cweb_jobs_ctx_t  *ctx = q->data;

    if (ctx->wait.timer_set) {
        ngx_del_timer(&ctx->wait);
    }

    ngx_cweb_jobs_done(ctx, ngx_cweb_jobs_answer(ctx, status, body, len));
}


/*
 * The helper went away with our question (it died; a helper that quits
 * answers what it was asked first, and "again" to what it did not read).
 * A question not written whole, and a read, are asked again of the next
 * one; a create or a cancel may have been committed, so it is not.
 */

static void
ngx_cweb_jobs_lost(ngx_cweb_jq_t *q, ngx_uint_t sent)
{
    ngx_http_request_t   *r;
    ngx_cweb_jobs_ctx_t  *ctx;

    ctx = q->data;
    r = ctx->r;

    if (ctx->wait.timer_set) {
        ngx_del_timer(&ctx->wait);
    }

    if ((!sent || (r ? r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)
                     : ctx->got != NULL))
        && ++ctx->tries < NGX_CWEB_JOBS_TRIES)
    {
        ngx_add_timer(&ctx->retry, NGX_CWEB_JOBS_RETRY);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ctx->log, 0,
                  "cweb jobs: the helper closed the connection without an "
                  "answer");

    ngx_cweb_jobs_done(ctx, !sent ? NGX_HTTP_SERVICE_UNAVAILABLE
                            : (r == NULL || r->method == NGX_HTTP_POST)
                            ? NGX_HTTP_BAD_GATEWAY
                            : NGX_HTTP_SERVICE_UNAVAILABLE);
}


/*
 * the helper's answer: relayed as it is, or parsed for the caller (a body
 * that is not a JSON object is the helper's fault: 500)
 */

static ngx_int_t
ngx_cweb_jobs_answer(ngx_cweb_jobs_ctx_t *ctx, ngx_uint_t code, u_char *text,
    size_t len)
{
    json_t        *body;
    json_error_t   jerr;

    if (ctx->r && ctx->answered == NULL && ctx->got == NULL) {
        return ngx_cweb_send_json_text(ctx->r, code, text, len);
    }

    body = json_loadb((char *) text, len, 0, &jerr);

    if (!json_is_object(body)) {
        json_decref(body);
        ngx_log_error(NGX_LOG_ERR, ctx->log, 0,
                      "cweb jobs: a malformed answer from the helper");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->got) {
        ctx->got(ctx->data, code, body);
        return NGX_OK;
    }

    if (ctx->r == NULL) {
        ngx_cweb_jobs_created(ctx, code, body);
        return NGX_OK;
    }

    return ctx->answered(ctx->r, ctx->data, code, body);
}


static void
ngx_cweb_jobs_done(ngx_cweb_jobs_ctx_t *ctx, ngx_int_t rc)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ctx->r;

    ngx_cweb_jobs_cleanup(ctx);

    if (r == NULL && ctx->got) {
        if (rc != NGX_OK) {
            ctx->got(ctx->data, rc, NULL);
        }

        ngx_destroy_pool(ctx->pool);
        return;
    }

    if (r == NULL) {
        if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, ctx->log, 0, "cweb jobs_create(): "
                          "job %s: the helper did not take it (%i): it was "
                          "not created", ctx->data, rc);
        }

        ngx_destroy_pool(ctx->pool);
        return;
    }

    c = r->connection;

    if (rc == NGX_HTTP_SERVICE_UNAVAILABLE) {
        rc = ngx_cweb_send_error(r, rc, "the job scheduler (the cweb helper) "
                                 "is not answering");

    } else if (rc == NGX_HTTP_BAD_GATEWAY) {
        rc = ngx_cweb_send_error(r, rc, "the job scheduler went away before "
                                 "it answered: the request may or may not "
                                 "have been carried out");

    } else if (rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        rc = ngx_cweb_send_error(r, rc, "the job scheduler did not answer "
                                 "in time");
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_cweb_jobs_cleanup(void *data)
{
    ngx_cweb_jobs_ctx_t  *ctx = data;

    if (ctx->retry.timer_set) {
        ngx_del_timer(&ctx->retry);
    }

    if (ctx->retry.posted) {
        ngx_delete_posted_event(&ctx->retry);
    }

    if (ctx->wait.timer_set) {
        ngx_del_timer(&ctx->wait);
    }

    ngx_cweb_jchan_forget(&ctx->q);

    /* a query's cleanup runs again with its pool: once is enough */
    free(ctx->q.text);
    ctx->q.text = NULL;
}
