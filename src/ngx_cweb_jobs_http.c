
/*
 * The /jobs API of the workers ("cweb_jobs" locations), DESIGN.md 5:
 *   POST /jobs                  {"module","job","payload", "run_at" |
 *                               "delay_ms", "timeout_ms", "max_attempts"}
 *   GET  /jobs?state=&limit=    newest first
 *   GET  /jobs/<uuid>
 *   POST /jobs/<uuid>/cancel
 * Each request is checked here (auth as /mgnt, the form of every field,
 * cweb_job_max_payload) and then asked of the helper, which owns jobs.db
 * (ngx_cweb_jobs.h), through ngx_cweb_jobs_ask.c.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_admin.h"
#include "ngx_cweb_http.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_shm.h"


#define NGX_CWEB_JOBS_LIMIT       100       /* GET /jobs without limit= */
#define NGX_CWEB_JOBS_LIMIT_MAX   1000




static ngx_int_t ngx_cweb_jobs_route(ngx_http_request_t *r,
    ngx_str_t *uuid, ngx_str_t *action);
static ngx_int_t ngx_cweb_jobs_list(ngx_http_request_t *r);
static void ngx_cweb_jobs_create_body(ngx_http_request_t *r);
static const char *ngx_cweb_jobs_check_create(json_t *in, json_t *out,
    ngx_cweb_jobs_conf_t *jcf, ngx_uint_t *status);
static ngx_int_t ngx_cweb_jobs_uuid_valid(ngx_str_t *s);
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
                 "GET /jobs/<uuid>/events, GET /jobs/ws?id=<uuid>";
    }

    /* the WebSocket's job is in its query: ?id=<uuid>&since_event_id=<n> */
    if (rc == NGX_OK && action.len == 2
        && (r->method != NGX_HTTP_GET
            || ngx_http_arg(r, (u_char *) "id", 2, &uuid) != NGX_OK))
    {
        rc = r->method != NGX_HTTP_GET ? NGX_HTTP_NOT_ALLOWED
                                       : NGX_HTTP_BAD_REQUEST;
        reason = r->method != NGX_HTTP_GET
                 ? "GET /jobs/ws?id=<uuid>: a WebSocket opens with a GET"
                 : "GET /jobs/ws needs ?id=<the job's uuid>";
    }

    if (rc == NGX_OK && (uuid.len || action.len == 2)
        && ngx_cweb_jobs_uuid_valid(&uuid) != NGX_OK)
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

    if (action.len == 2) {
        return ngx_cweb_jobs_ws(r, &uuid);
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


/*
 * "/jobs", "/jobs/<uuid>", "/jobs/<uuid>/cancel", "/jobs/<uuid>/events";
 * "/jobs/ws" is action "ws" without a uuid
 */

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

    if (slash == NULL && uuid->len == 2 && ngx_strncmp(p, "ws", 2) == 0) {
        *action = *uuid;
        ngx_str_null(uuid);
        return NGX_OK;
    }

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

    /* stored and handed to the plugin as text; none is {} */
    v = json_object_get(in, "payload");
    text = v ? json_dumps(v, JSON_COMPACT|JSON_ENCODE_ANY) : NULL;

    if (v && text == NULL) {
        return "the payload cannot be encoded";
    }

    len = text ? strlen(text) : sizeof("{}") - 1;

    if (len > jcf->max_payload) {
        free(text);
        *status = NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        return "the payload is larger than cweb_job_max_payload";
    }

    json_object_set_new(out, "payload", text ? json_stringn(text, len)
                                             : json_string("{}"));
    free(text);

    return NULL;
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

    return ngx_cweb_jobs_follow_init_process(cycle);
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
