
/*
 * The /jobs API of the workers ("cweb_jobs" locations), DESIGN.md 5:
 *   POST /jobs                  {"module","job","payload", "run_at" |
 *                               "delay_ms", "timeout_ms", "max_attempts"}
 *   GET  /jobs?state=&limit=    newest first
 *   GET  /jobs/<uuid>
 *   POST /jobs/<uuid>/cancel
 * Each request is checked here (auth as /mgnt, the form of every field,
 * cweb_job_max_payload) and then asked of the helper, which owns jobs.db
 * (ngx_cweb_jobs.h): the worker connects to its socket, writes one
 * message and relays the answer, all on the event loop without blocking.
 * While the helper is not there (a start, a respawn) the worker retries
 * for a while, then answers 503.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_admin.h"
#include "ngx_cweb_http.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_shm.h"

#include <sys/un.h>


#define NGX_CWEB_JOBS_RETRY       50        /* ms between connects */
#define NGX_CWEB_JOBS_TRIES       100       /* 5 s of them */
#define NGX_CWEB_JOBS_WAIT        30000     /* ms for an answer */
#define NGX_CWEB_JOBS_LIMIT       100       /* GET /jobs without limit= */
#define NGX_CWEB_JOBS_LIMIT_MAX   1000


typedef struct {
    ngx_http_request_t         *r;            /* NULL: a plugin's create */
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_connection_t           *peer;
    u_char                     *out;          /* the message, framed */
    size_t                      out_len;
    size_t                      sent;
    u_char                     *in;           /* the answer, framed */
    size_t                      in_len;
    size_t                      in_size;
    ngx_event_t                 retry;
    ngx_uint_t                  tries;
    ngx_cweb_jobs_answered_pt   answered;     /* NULL: relay the answer */
    void                       *data;
} ngx_cweb_jobs_ctx_t;


static ngx_int_t ngx_cweb_jobs_route(ngx_http_request_t *r,
    ngx_str_t *uuid, ngx_str_t *action);
static ngx_int_t ngx_cweb_jobs_list(ngx_http_request_t *r);
static void ngx_cweb_jobs_create_body(ngx_http_request_t *r);
static const char *ngx_cweb_jobs_check_create(json_t *in, json_t *out,
    ngx_cweb_jobs_conf_t *jcf, ngx_uint_t *status);
static ngx_int_t ngx_cweb_jobs_uuid_valid(ngx_str_t *s);
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
static ngx_int_t ngx_cweb_jobs_init_process(ngx_cycle_t *cycle);
static void *ngx_cweb_jobs_create_conf(ngx_conf_t *cf);
static char *ngx_cweb_jobs_init_conf(ngx_conf_t *cf, void *conf);


static ngx_conf_num_bounds_t  ngx_cweb_jobs_threads_bounds = {
    ngx_conf_check_num_bounds, 1, 64
};

static ngx_conf_num_bounds_t  ngx_cweb_jobs_retries_bounds = {
    ngx_conf_check_num_bounds, 0, 100
};

static ngx_conf_enum_t  ngx_cweb_jobs_sync_modes[] = {
    { ngx_string("full"), NGX_CWEB_JOBS_SYNC_FULL },
    { ngx_string("normal"), NGX_CWEB_JOBS_SYNC_NORMAL },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_cweb_jobs_commands[] = {

    { ngx_string("cweb_job_threads"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_jobs_conf_t, threads),
      &ngx_cweb_jobs_threads_bounds },

    { ngx_string("cweb_job_max_payload"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_jobs_conf_t, max_payload),
      NULL },

    { ngx_string("cweb_job_retries"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_jobs_conf_t, retries),
      &ngx_cweb_jobs_retries_bounds },

    { ngx_string("cweb_job_retry_backoff"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_jobs_conf_t, backoff),
      NULL },

    { ngx_string("cweb_job_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_jobs_conf_t, timeout),
      NULL },

    { ngx_string("cweb_job_sync"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_jobs_conf_t, sync),
      &ngx_cweb_jobs_sync_modes },

      ngx_null_command
};


static ngx_http_module_t  ngx_cweb_jobs_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_cweb_jobs_create_conf,             /* create main configuration */
    ngx_cweb_jobs_init_conf,               /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_cweb_jobs_module = {
    NGX_MODULE_V1,
    &ngx_cweb_jobs_module_ctx,             /* module context */
    ngx_cweb_jobs_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_cweb_jobs_init_process,            /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static const char  *ngx_cweb_jobs_states[] = {
    "pending", "running", "done", "failed", "canceled", NULL
};


ngx_int_t
ngx_cweb_jobs_handler(ngx_http_request_t *r)
{
    json_t       *msg;
    ngx_int_t     rc;
    ngx_str_t     uuid, action;
    const char   *reason;

    rc = ngx_cweb_auth_check(r, &reason);

    if (rc == NGX_OK && ngx_cweb_shm_state(NULL) != NGX_CWEB_ZONE_READY) {
        rc = NGX_HTTP_SERVICE_UNAVAILABLE;
        reason = "plugins are not available (the registry is starting or "
                 "disabled)";
    }

    if (rc == NGX_OK && ngx_cweb_jobs_route(r, &uuid, &action) != NGX_OK) {
        rc = NGX_HTTP_NOT_FOUND;
        reason = "no such jobs endpoint: POST /jobs, GET /jobs, "
                 "GET /jobs/<uuid>, POST /jobs/<uuid>/cancel, "
                 "GET /jobs/<uuid>/events";
    }

    if (rc == NGX_OK && uuid.len && ngx_cweb_jobs_uuid_valid(&uuid) != NGX_OK)
    {
        rc = NGX_HTTP_BAD_REQUEST;
        reason = "malformed job uuid";
    }

    if (rc != NGX_OK) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_cweb_send_error(r, rc, "%s", reason);
    }

    if (uuid.len == 0 && r->method == NGX_HTTP_POST) {
        rc = ngx_http_read_client_request_body(r, ngx_cweb_jobs_create_body);

        return rc >= NGX_HTTP_SPECIAL_RESPONSE ? rc : NGX_DONE;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (uuid.len == 0 && r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        return ngx_cweb_jobs_list(r);
    }

    if (action.len && action.data[0] == 'e' && r->method == NGX_HTTP_GET) {
        return ngx_cweb_jobs_sse(r, &uuid);
    }

    if (action.len == 0 && r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        msg = json_pack("{s:s,s:s%}", "op", "get", "uuid", uuid.data,
                        uuid.len);

    } else if (action.len && action.data[0] == 'c'
               && r->method == NGX_HTTP_POST)
    {
        msg = json_pack("{s:s,s:s%}", "op", "cancel", "uuid", uuid.data,
                        uuid.len);

    } else {
        return ngx_cweb_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                   "use POST /jobs, GET /jobs, "
                                   "GET /jobs/<uuid>, "
                                   "POST /jobs/<uuid>/cancel or "
                                   "GET /jobs/<uuid>/events");
    }

    return ngx_cweb_jobs_ask(r, msg, NULL, NULL);
}


/* "/jobs", "/jobs/<uuid>", "/jobs/<uuid>/cancel", "/jobs/<uuid>/events" */

static ngx_int_t
ngx_cweb_jobs_route(ngx_http_request_t *r, ngx_str_t *uuid,
    ngx_str_t *action)
{
    u_char  *p, *last, *slash;

    ngx_str_null(uuid);
    ngx_str_null(action);

    p = r->uri.data;
    last = p + r->uri.len;

    if (r->uri.len < 5 || ngx_strncmp(p, "/jobs", 5) != 0) {
        return NGX_DECLINED;
    }

    p += 5;

    if (p == last || (p + 1 == last && *p == '/')) {
        return NGX_OK;
    }

    if (*p++ != '/') {
        return NGX_DECLINED;
    }

    slash = ngx_strlchr(p, last, '/');

    uuid->data = p;
    uuid->len = (slash ? slash : last) - p;

    if (slash == NULL) {
        return NGX_OK;
    }

    action->data = slash + 1;
    action->len = last - action->data;

    return ((action->len == 6 && ngx_strncmp(action->data, "cancel", 6) == 0)
            || (action->len == 6
                && ngx_strncmp(action->data, "events", 6) == 0))
           ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_cweb_jobs_uuid_valid(ngx_str_t *s)
{
    ngx_uint_t  i;

    if (s->len != 36) {
        return NGX_DECLINED;
    }

    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s->data[i] != '-') {
                return NGX_DECLINED;
            }

        } else if (!((s->data[i] >= '0' && s->data[i] <= '9')
                     || (s->data[i] >= 'a' && s->data[i] <= 'f')))
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* GET /jobs?state=<state>&limit=<1..1000> */

static ngx_int_t
ngx_cweb_jobs_list(ngx_http_request_t *r)
{
    json_t      *msg;
    ngx_int_t    limit;
    ngx_str_t    state, v;
    ngx_uint_t   i;

    ngx_str_null(&state);
    limit = NGX_CWEB_JOBS_LIMIT;

    if (ngx_http_arg(r, (u_char *) "state", 5, &state) == NGX_OK) {
        for (i = 0; ngx_cweb_jobs_states[i]; i++) {
            if (state.len == ngx_strlen(ngx_cweb_jobs_states[i])
                && ngx_strncmp(state.data, ngx_cweb_jobs_states[i],
                               state.len) == 0)
            {
                break;
            }
        }

        if (ngx_cweb_jobs_states[i] == NULL) {
            return ngx_cweb_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "state= must be pending, running, "
                                       "done, failed or canceled");
        }
    }

    if (ngx_http_arg(r, (u_char *) "limit", 5, &v) == NGX_OK) {
        limit = ngx_atoi(v.data, v.len);

        if (limit < 1 || limit > NGX_CWEB_JOBS_LIMIT_MAX) {
            return ngx_cweb_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "limit= must be 1..%d",
                                       NGX_CWEB_JOBS_LIMIT_MAX);
        }
    }

    msg = json_pack("{s:s,s:I}", "op", "list", "limit", (json_int_t) limit);

    if (msg && state.len) {
        json_object_set_new(msg, "state",
                            json_stringn((char *) state.data, state.len));
    }

    return ngx_cweb_jobs_ask(r, msg, NULL, NULL);
}


/* POST /jobs: the body is one JSON object */

static void
ngx_cweb_jobs_create_body(ngx_http_request_t *r)
{
    json_t                *in, *msg;
    ngx_str_t              body;
    ngx_uint_t             status;
    const char            *why;
    json_error_t           jerr;
    ngx_cweb_jobs_conf_t  *jcf;

    jcf = ngx_http_get_module_main_conf(r, ngx_cweb_jobs_module);

    if (ngx_cweb_http_body(r, &body) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    in = json_loadb((char *) body.data, body.len, 0, &jerr);

    if (!json_is_object(in)) {
        json_decref(in);
        ngx_http_finalize_request(r,
            ngx_cweb_send_error(r, NGX_HTTP_BAD_REQUEST,
                                "the body must be a JSON object "
                                "{\"module\",\"job\",\"payload\"}%s%s",
                                in ? "" : ": ", in ? "" : jerr.text));
        return;
    }

    msg = json_pack("{s:s}", "op", "create");
    status = NGX_HTTP_BAD_REQUEST;

    why = msg ? ngx_cweb_jobs_check_create(in, msg, jcf, &status)
              : "out of memory";
    json_decref(in);

    if (why) {
        json_decref(msg);
        ngx_http_finalize_request(r, ngx_cweb_send_error(r, status, "%s",
                                                         why));
        return;
    }

    ngx_http_finalize_request(r, ngx_cweb_jobs_ask(r, msg, NULL, NULL));
}


/* the fields of a POST /jobs, copied into out once each is right */

static const char *
ngx_cweb_jobs_check_create(json_t *in, json_t *out, ngx_cweb_jobs_conf_t *jcf,
    ngx_uint_t *status)
{
    char        *text;
    size_t       len;
    json_t      *v;
    ngx_uint_t   i;

    static const char  *ints[] = {
        "run_at", "delay_ms", "timeout_ms", "max_attempts", NULL
    };

    v = json_object_get(in, "job");
    if (!json_is_string(v) || json_string_length(v) == 0) {
        return "\"job\" must be the name of a job (a string)";
    }

    json_object_set(out, "job", v);

    v = json_object_get(in, "module");
    if (v && !json_is_string(v)) {
        return "\"module\" must be a plugin's name (a string)";
    }

    if (v) {
        json_object_set(out, "module", v);
    }

    for (i = 0; ints[i]; i++) {
        v = json_object_get(in, ints[i]);

        if (v == NULL) {
            continue;
        }

        if (!json_is_integer(v) || json_integer_value(v) < 0
            || (i >= 2 && json_integer_value(v) == 0))
        {
            return i < 2 ? "\"run_at\" (ms since the epoch) and \"delay_ms\" "
                           "must be integers >= 0"
                         : "\"timeout_ms\" and \"max_attempts\" must be "
                           "integers > 0";
        }

        json_object_set(out, ints[i], v);
    }

    /* stored and handed to the plugin as text */
    v = json_object_get(in, "payload");
    text = json_dumps(v ? v : json_object(), JSON_COMPACT|JSON_ENCODE_ANY);

    if (text == NULL) {
        return "the payload cannot be encoded";
    }

    len = strlen(text);

    if (len > jcf->max_payload) {
        free(text);
        *status = NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        return "the payload is larger than cweb_job_max_payload";
    }

    json_object_set_new(out, "payload", json_stringn(text, len));
    free(text);

    return NULL;
}


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

    c = ngx_get_connection(fd, ctx->log);
    if (c == NULL) {
        close(fd);
        ngx_cweb_jobs_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    c->recv = ngx_recv;
    c->send = ngx_send;
    c->data = ctx;
    c->read->handler = ngx_cweb_jobs_read_handler;
    c->write->handler = ngx_cweb_jobs_write_handler;
    c->read->log = c->log;
    c->write->log = c->log;
    c->write->ready = 1;

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
    u_char                *p;
    size_t                 need;
    ssize_t                n;
    ngx_connection_t      *c;
    ngx_cweb_jobs_ctx_t   *ctx;

    c = ev->data;
    ctx = c->data;

    if (ev->timedout) {
        ngx_log_error(NGX_LOG_ERR, c->log, NGX_ETIMEDOUT,
                      "cweb jobs: the helper did not answer");
        ngx_cweb_jobs_done(ctx, NGX_HTTP_GATEWAY_TIME_OUT);
        return;
    }

    for ( ;; ) {
        need = NGX_CWEB_JOBS_HDR + (ctx->in_len < NGX_CWEB_JOBS_HDR
                                    ? 0 : ngx_cweb_jobs_frame_len(ctx->in));

        if (ctx->in_len == need && need > NGX_CWEB_JOBS_HDR) {
            ngx_cweb_jobs_done(ctx, ngx_cweb_jobs_answer(ctx));
            return;
        }

        if (need > ctx->in_size) {
            p = ngx_pnalloc(ctx->pool, need);
            if (p == NULL) {
                ngx_cweb_jobs_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }

            if (ctx->in_len) {
                ngx_memcpy(p, ctx->in, ctx->in_len);
            }

            ctx->in = p;
            ctx->in_size = need;
        }

        n = c->recv(c, ctx->in + ctx->in_len, need - ctx->in_len);

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(ev, 0) != NGX_OK) {
                ngx_cweb_jobs_done(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
            }

            return;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_cweb_jobs_lost(ctx);
            return;
        }

        ctx->in_len += n;
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

    if (r && r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)
        && ++ctx->tries < NGX_CWEB_JOBS_TRIES)
    {
        ngx_close_connection(ctx->peer);
        ctx->peer = NULL;
        ctx->sent = 0;
        ctx->in_len = 0;
        ngx_add_timer(&ctx->retry, NGX_CWEB_JOBS_RETRY);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
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

    msg = json_loadb((char *) ctx->in + NGX_CWEB_JOBS_HDR,
                     ctx->in_len - NGX_CWEB_JOBS_HDR, 0, &jerr);

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

    if (ctx->peer) {
        ngx_close_connection(ctx->peer);
        ctx->peer = NULL;
    }
}


/* the workers follow job events (GET /jobs/<uuid>/events) */

static ngx_int_t
ngx_cweb_jobs_init_process(ngx_cycle_t *cycle)
{
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);

    if (cmcf == NULL || !cmcf->enabled
        || (ngx_process != NGX_PROCESS_WORKER
            && ngx_process != NGX_PROCESS_SINGLE))
    {
        return NGX_OK;
    }

    return ngx_cweb_jobs_sse_init_process(cycle);
}


size_t
ngx_cweb_jobs_max_message(ngx_cweb_jobs_conf_t *jcf)
{
    /* a payload and a result of the maximum size, and the rest */
    return 2 * jcf->max_payload + 65536;
}


static void *
ngx_cweb_jobs_create_conf(ngx_conf_t *cf)
{
    ngx_cweb_jobs_conf_t  *jcf;

    jcf = ngx_pcalloc(cf->pool, sizeof(ngx_cweb_jobs_conf_t));
    if (jcf == NULL) {
        return NULL;
    }

    jcf->threads = NGX_CONF_UNSET_UINT;
    jcf->max_payload = NGX_CONF_UNSET_SIZE;
    jcf->retries = NGX_CONF_UNSET_UINT;
    jcf->backoff = NGX_CONF_UNSET_MSEC;
    jcf->timeout = NGX_CONF_UNSET_MSEC;
    jcf->sync = NGX_CONF_UNSET_UINT;

    return jcf;
}


static char *
ngx_cweb_jobs_init_conf(ngx_conf_t *cf, void *conf)
{
    ngx_cweb_jobs_conf_t  *jcf = conf;

    ngx_conf_init_uint_value(jcf->threads, 1);
    ngx_conf_init_size_value(jcf->max_payload, 1024 * 1024);
    ngx_conf_init_uint_value(jcf->retries, 0);
    ngx_conf_init_msec_value(jcf->backoff, 1000);
    ngx_conf_init_msec_value(jcf->timeout, 0);
    ngx_conf_init_uint_value(jcf->sync, NGX_CWEB_JOBS_SYNC_FULL);

    if (jcf->max_payload == 0 || jcf->max_payload > 64 * 1024 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"cweb_job_max_payload\" must be 1..64m");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
