
/*
 * A worker's questions to the helper's job scheduler (ngx_cweb_jobs.h):
 * connect to <dir>/ipc/jobs.sock, write one message, read the answer,
 * relay it (or hand it to the caller), all on the event loop without
 * blocking.  While the helper is not there (a start, a respawn) the
 * worker retries for a while, then answers 503.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_json.h"

#include <sys/un.h>


#define NGX_CWEB_JOBS_RETRY       50        /* ms between connects */
#define NGX_CWEB_JOBS_TRIES       100       /* 5 s of them */
#define NGX_CWEB_JOBS_WAIT        30000     /* ms for an answer */


typedef struct {
    ngx_http_request_t         *r;            /* NULL: a plugin's create */
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_connection_t           *peer;
    u_char                     *out;          /* the message, framed */
    size_t                      out_len;
    size_t                      sent;
    ngx_cweb_jobs_in_t          in;           /* the answer */
    ngx_event_t                 retry;
    ngx_uint_t                  tries;
    ngx_cweb_jobs_answered_pt   answered;     /* NULL: relay the answer */
    ngx_cweb_jobs_got_pt        got;          /* a query's, without r */
    void                       *data;
} ngx_cweb_jobs_ctx_t;


static ngx_cweb_jobs_ctx_t *ngx_cweb_jobs_ctx(ngx_pool_t *pool,
    ngx_log_t *log, json_t *msg);
static void ngx_cweb_jobs_connect(ngx_cweb_jobs_ctx_t *ctx);
static void ngx_cweb_jobs_retry_handler(ngx_event_t *ev);
static void ngx_cweb_jobs_write_handler(ngx_event_t *ev);
static void ngx_cweb_jobs_read_handler(ngx_event_t *ev);
static void ngx_cweb_jobs_lost(ngx_cweb_jobs_ctx_t *ctx);
static void ngx_cweb_jobs_created(ngx_cweb_jobs_ctx_t *ctx, ngx_uint_t code,
    json_t *body);
static ngx_int_t ngx_cweb_jobs_answer(ngx_cweb_jobs_ctx_t *ctx);
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
    ngx_cweb_jobs_connect(ctx);

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

    ngx_cweb_jobs_connect(ctx);

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


/* a question for the helper, framed, in pool; msg's reference is taken */

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

    if (ctx == NULL || cln == NULL
        || (ctx->out = ngx_pnalloc(pool, NGX_CWEB_JOBS_HDR + len)) == NULL)
    {
        free(text);
        return NULL;
    }

    ngx_memcpy(ngx_cweb_jobs_frame(ctx->out, len), text, len);
    ctx->out_len = NGX_CWEB_JOBS_HDR + len;
    free(text);

    ctx->pool = pool;
    ctx->log = log;
    ctx->retry.handler = ngx_cweb_jobs_retry_handler;
    ctx->retry.data = ctx;
    ctx->retry.log = log;

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
ngx_cweb_jobs_connect(ngx_cweb_jobs_ctx_t *ctx)
{
    int                    fd;
    socklen_t              len;
    ngx_err_t              err;
    ngx_connection_t      *c;
    struct sockaddr_un     sun;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_cweb_conf();

    ngx_memzero(&sun, sizeof(struct sockaddr_un));
    sun.sun_family = AF_UNIX;
    len = ngx_snprintf((u_char *) sun.sun_path, sizeof(sun.sun_path) - 1,
                       "%V" NGX_CWEB_JOBS_SOCKET, &cmcf->module_dir)
          - (u_char *) sun.sun_path;

    fd = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);

    if (fd == -1) {
        ngx_log_error(NGX_LOG_ALERT, ctx->log, ngx_errno,
                      "cweb jobs: socket() failed");
        ngx_cweb_jobs_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (connect(fd, (struct sockaddr *) &sun,
                offsetof(struct sockaddr_un, sun_path) + len)
        == -1)
    {
        err = ngx_errno;
        close(fd);

        /* the helper is (re)starting, or its backlog is full */
        if (++ctx->tries < NGX_CWEB_JOBS_TRIES
            && (err == NGX_ENOENT || err == NGX_ECONNREFUSED
                || err == NGX_EAGAIN))
        {
            ngx_add_timer(&ctx->retry, NGX_CWEB_JOBS_RETRY);
            return;
        }

        ngx_log_error(NGX_LOG_ERR, ctx->log, err,
                      "cweb jobs: connect() to \"%s\" failed", sun.sun_path);
        ngx_cweb_jobs_done(ctx, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    /* a helper that quits or dies resets it: ngx_cweb_jobs_lost() tells */
    c = ngx_cweb_jobs_conn(fd, ctx->log, ctx, ngx_cweb_jobs_read_handler,
                           ngx_cweb_jobs_write_handler);
    if (c == NULL) {
        close(fd);
        ngx_cweb_jobs_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->peer = c;

    ngx_add_timer(c->read, NGX_CWEB_JOBS_WAIT);
    ngx_cweb_jobs_write_handler(c->write);
}


static void
ngx_cweb_jobs_retry_handler(ngx_event_t *ev)
{
    ngx_cweb_jobs_connect(ev->data);
}


static void
ngx_cweb_jobs_write_handler(ngx_event_t *ev)
{
    ssize_t               n;
    ngx_connection_t     *c;
    ngx_cweb_jobs_ctx_t  *ctx;

    c = ev->data;
    ctx = c->data;

    while (ctx->sent < ctx->out_len) {
        n = c->send(c, ctx->out + ctx->sent, ctx->out_len - ctx->sent);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(ev, 0) != NGX_OK) {
                ngx_cweb_jobs_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
            }

            return;
        }

        if (n == NGX_ERROR) {
            ngx_cweb_jobs_done(ctx, NGX_HTTP_SERVICE_UNAVAILABLE);
            return;
        }

        ctx->sent += n;
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_cweb_jobs_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


static void
ngx_cweb_jobs_read_handler(ngx_event_t *ev)
{
    ngx_int_t              rc;
    ngx_connection_t      *c;
    ngx_cweb_jobs_ctx_t   *ctx;
    ngx_cweb_jobs_conf_t  *jcf;

    c = ev->data;
    ctx = c->data;

    if (ev->timedout) {
        ngx_log_error(NGX_LOG_ERR, c->log, NGX_ETIMEDOUT,
                      "cweb jobs: the helper did not answer");
        ngx_cweb_jobs_done(ctx, NGX_HTTP_GATEWAY_TIME_OUT);
        return;
    }

    jcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_cweb_jobs_module);
    rc = ngx_cweb_jobs_recv(c, ctx->pool, &ctx->in,
                            ngx_cweb_jobs_max_message(jcf));

    if (rc == NGX_OK) {
        ngx_cweb_jobs_done(ctx, ngx_cweb_jobs_answer(ctx));

    } else if (rc == NGX_AGAIN) {
        if (ngx_handle_read_event(ev, 0) != NGX_OK) {
            ngx_cweb_jobs_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

    } else {
        ngx_cweb_jobs_lost(ctx);
    }
}


/*
 * The helper went away with our question (it died; a helper that quits
 * answers what it was asked first).  A read is asked again of the next
 * one; a create or a cancel may have been committed, so it is not.
 */

static void
ngx_cweb_jobs_lost(ngx_cweb_jobs_ctx_t *ctx)
{
    ngx_http_request_t  *r;

    r = ctx->r;

    if ((r ? r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD) : ctx->got != NULL)
        && ++ctx->tries < NGX_CWEB_JOBS_TRIES)
    {
        ngx_close_connection(ctx->peer);
        ctx->peer = NULL;
        ctx->sent = 0;
        ctx->in.len = 0;
        ngx_add_timer(&ctx->retry, NGX_CWEB_JOBS_RETRY);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ctx->log, 0,
                  "cweb jobs: the helper closed the connection without an "
                  "answer");

    ngx_cweb_jobs_done(ctx, (r == NULL || r->method == NGX_HTTP_POST)
                            ? NGX_HTTP_BAD_GATEWAY
                            : NGX_HTTP_SERVICE_UNAVAILABLE);
}


/* {"status": 100..599, "body": {...}} as the HTTP answer */

static ngx_int_t
ngx_cweb_jobs_answer(ngx_cweb_jobs_ctx_t *ctx)
{
    json_t        *msg, *status, *body;
    ngx_uint_t     code;
    json_error_t   jerr;

    msg = json_loadb((char *) ctx->in.data + NGX_CWEB_JOBS_HDR,
                     ctx->in.len - NGX_CWEB_JOBS_HDR, 0, &jerr);

    status = json_object_get(msg, "status");
    body = json_object_get(msg, "body");

    if (!json_is_integer(status) || json_integer_value(status) < 200
        || json_integer_value(status) > 599 || !json_is_object(body))
    {
        json_decref(msg);
        ngx_log_error(NGX_LOG_ERR, ctx->log, 0,
                      "cweb jobs: a malformed answer from the helper");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    code = (ngx_uint_t) json_integer_value(status);
    json_incref(body);
    json_decref(msg);

    if (ctx->got) {
        ctx->got(ctx->data, code, body);
        return NGX_OK;
    }

    if (ctx->r == NULL) {
        ngx_cweb_jobs_created(ctx, code, body);
        return NGX_OK;
    }

    if (ctx->answered) {
        return ctx->answered(ctx->r, ctx->data, code, body);
    }

    return ngx_cweb_send_json(ctx->r, code, body);
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

    if (ctx->peer) {
        ngx_close_connection(ctx->peer);
        ctx->peer = NULL;
    }
}
