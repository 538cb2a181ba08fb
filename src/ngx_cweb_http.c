
/*
 * "cweb" locations: dispatch to plugin routes.
 *
 * A request is served entirely by the version current when it started:
 * the route (and so the plugin version) is chosen once, before the body
 * is read, and the version is held until the handler has run.  Handlers
 * run synchronously, inside the call marker (ngx_cweb_fault.c); everything
 * they hand back is copied or owned by the request before the version can
 * go.
 *
 * Containment on this side:
 * - a version the fault limit flagged is never called again (503 JSON);
 * - res->body is a malloc()ed buffer of its own per call (recycled when the
 *   plugin leaves it in place) with a guard after its 8 KB; a broken guard
 *   is a fault, answered 500; a body the plugin swapped for its own
 *   malloc()ed one is free()d after the copy, as c-web-modules does;
 * - response header names and values with CR, LF or other control bytes
 *   are refused (500 + log), never sent (ngx_cweb_response.c);
 * - until the helper has restored the registry (a fresh start) or rebuilt
 *   the object of a version, requests for it wait on a timer.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_http.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_loader.h"
#include "ngx_cweb_ws.h"
#include "ngx_cweb_shm.h"

#include <dlfcn.h>


#define NGX_CWEB_GUARD_LEN       64      /* checked: the first 16 bytes */
#define NGX_CWEB_GUARD           0xcbcbcbcbcbcbcbcbULL
#define NGX_CWEB_WAIT_STEP       20
#define NGX_CWEB_WAIT_START      10000


static ngx_int_t ngx_cweb_http_dispatch(ngx_http_request_t *r,
    ngx_cweb_call_t *call);
static ngx_int_t ngx_cweb_http_wait(ngx_cweb_call_t *call, ngx_msec_t max,
    const char *why);
static void ngx_cweb_http_wait_handler(ngx_event_t *ev);
static void ngx_cweb_http_cleanup(void *data);
static ngx_int_t ngx_cweb_http_refuse(ngx_http_request_t *r,
    ngx_uint_t status, const char *error, ngx_cweb_plugin_t *p,
    const u_char *reason);
static void ngx_cweb_http_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_cweb_http_run(ngx_cweb_call_t *call);
static int ngx_cweb_http_more(ngx_cweb_call_t *call);
static ngx_uint_t ngx_cweb_http_faulted(ngx_cweb_call_t *call, int crashed,
    ngx_uint_t overflow);
static ngx_int_t ngx_cweb_http_call(ngx_cweb_call_t *call, entry_t fn,
    int *rc,
    ngx_uint_t *overflow, int *crashed);
static char *ngx_cweb_http_body_buffer(void);
static void ngx_cweb_http_recycle(char *buf);
static int ngx_cweb_http_foreign_body(ngx_cweb_call_t *call, char *body);
static ngx_int_t ngx_cweb_http_request(ngx_cweb_call_t *call,
    ngx_str_t *body);
static ngx_socket_t ngx_cweb_http_raw_fd(ngx_http_request_t *r);


/*
 * a res->body buffer the last call left in place, for the next one:
 * handlers run one at a time, and each call has the buffer to itself
 */
static char  *ngx_cweb_http_spare;


ngx_int_t
ngx_cweb_http_handler(ngx_http_request_t *r)
{
    ngx_cweb_call_t     *call;
    ngx_pool_cleanup_t  *cln;

    call = ngx_http_get_module_ctx(r, ngx_cweb_module);

    if (call == NULL) {
        /* the call, its stores and the NUL-terminated path: one piece */
        call = ngx_pcalloc(r->pool, sizeof(ngx_cweb_call_t) + r->uri.len + 1);
        if (call == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cln->handler = ngx_cweb_http_cleanup;
        cln->data = call;

        call->r = r;
        *ngx_cpymem((u_char *) (call + 1), r->uri.data, r->uri.len) = '\0';
        call->req.path = (char *) (call + 1);

        ngx_http_set_ctx(r, call, ngx_cweb_module);
    }

    return ngx_cweb_http_dispatch(r, call);
}


static ngx_int_t
ngx_cweb_http_dispatch(ngx_http_request_t *r, ngx_cweb_call_t *call)
{
    u_char             *reason;
    ngx_str_t           body;
    ngx_int_t           rc;
    ngx_uint_t          state;
    ngx_cweb_route_t   *route;
    ngx_cweb_plugin_t  *p;
    ngx_cweb_router_t  *router;

    state = ngx_cweb_shm_state(&reason);

    if (state == NGX_CWEB_ZONE_DISABLED) {
        return ngx_cweb_http_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "plugins are disabled", NULL, reason);
    }

    if (state == NGX_CWEB_ZONE_STARTING) {
        return ngx_cweb_http_wait(call, NGX_CWEB_WAIT_START,
                                  "the registry is not restored yet");
    }

    if (ngx_cweb_loader_sync(r->connection->log) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    router = ngx_cweb_loader_router();

    rc = ngx_cweb_router_match(router, r, &route);

    if (rc != NGX_OK) {
        return rc;
    }

    p = route->plugin;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cweb http: \"%V\" -> plugin \"%V\" version %ui",
                   &r->uri, &p->name, p->version);

    if (p->state == NGX_CWEB_MOD_REBUILDING) {
        return ngx_cweb_http_wait(call,
                                  ngx_cweb_conf()->compile_timeout
                                  + 15000,
                                  "its object is being rebuilt");
    }

    if (p->state == NGX_CWEB_MOD_UNAVAILABLE) {
        return ngx_cweb_http_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "plugin unavailable", p, p->shm->reason);
    }

    if (p->shm->quarantine == p->version) {
        return ngx_cweb_http_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "plugin quarantined", p, NULL);
    }

    /* loaded at its first request: onload() runs, a crash there answers */
    if (p->handle == NULL) {
        ngx_cweb_fault_fd = ngx_cweb_http_raw_fd(r);
        rc = ngx_cweb_loader_ready(p, r->connection->log);
        ngx_cweb_fault_fd = -1;

        if (rc == NGX_ABORT) {
            return ngx_cweb_http_refuse(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "plugin fault", p,
                                        (u_char *) "its onload() crashed");
        }

        if (rc != NGX_OK) {
            return ngx_cweb_http_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "plugin could not be loaded", p,
                                        NULL);
        }
    }

    call->route = route;

    /* the opening request is on_open's (cweb_ws_request()) */
    if (route->ws) {
        ngx_str_set(&body, "");

        if (ngx_cweb_http_request(call, &body) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        call->req.websocket = 1;

        return ngx_cweb_ws_handler(call);
    }

    /* nothing to read or discard */
    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return ngx_cweb_http_run(call);
    }

    /* the version must outlive the body read, whatever is deployed */
    call->plugin = p;
    ngx_cweb_plugin_acquire(p);

    rc = ngx_http_read_client_request_body(r, ngx_cweb_http_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* the request waits (a timer) and is dispatched again */

static ngx_int_t
ngx_cweb_http_wait(ngx_cweb_call_t *call, ngx_msec_t max, const char *why)
{
    ngx_http_request_t  *r;

    r = call->r;

    if (call->waited >= max) {
        return ngx_cweb_http_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "plugins are not available yet", NULL,
                                    (u_char *) why);
    }

    if (call->waited == 0) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "cweb http: waiting, %s", why);
    }

    call->wait.handler = ngx_cweb_http_wait_handler;
    call->wait.data = call;
    call->wait.log = r->connection->log;
    call->waited += NGX_CWEB_WAIT_STEP;
    ngx_add_timer(&call->wait, NGX_CWEB_WAIT_STEP);

    r->main->count++;
    r->read_event_handler = ngx_http_test_reading;

    return NGX_DONE;
}


static void
ngx_cweb_http_wait_handler(ngx_event_t *ev)
{
    ngx_cweb_call_t  *call = ev->data;

    ngx_http_request_t  *r;
    ngx_connection_t    *c;

    r = call->r;
    c = r->connection;

    r->read_event_handler = ngx_http_block_reading;

    ngx_http_finalize_request(r, ngx_cweb_http_dispatch(r, call));
    ngx_http_run_posted_requests(c);
}


static void
ngx_cweb_http_cleanup(void *data)
{
    ngx_cweb_call_t  *call = data;

    if (call->wait.timer_set) {
        ngx_del_timer(&call->wait);
    }

    if (call->plugin) {
        ngx_cweb_plugin_release(call->plugin);
        call->plugin = NULL;
    }
}


/* {"error": ..., "module": ..., "version": ..., "reason": ...} */

static ngx_int_t
ngx_cweb_http_refuse(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, ngx_cweb_plugin_t *p, const u_char *reason)
{
    json_t     *json;
    ngx_int_t   rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    json = json_pack("{s:s}", "error", error);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (p) {
        json_object_set_new(json, "module",
                            ngx_cweb_json_text(p->name.data, p->name.len));
        json_object_set_new(json, "version", json_integer(p->version));
    }

    if (reason && *reason) {
        json_object_set_new(json, "reason",
                            ngx_cweb_json_text(reason, ngx_strlen(reason)));
    }

    return ngx_cweb_send_json(r, status, json);
}


static void
ngx_cweb_http_body_handler(ngx_http_request_t *r)
{
    ngx_cweb_call_t  *call;

    call = ngx_http_get_module_ctx(r, ngx_cweb_module);

    ngx_http_finalize_request(r, ngx_cweb_http_run(call));
}


/* the whole body in one NUL-terminated piece, from memory or temp file */

ngx_int_t
ngx_cweb_http_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    size_t        len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    body->len = 0;
    body->data = (u_char *) "";

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "cweb reading the request body from \"%V\" failed",
                          &b->file->name);
            return NGX_ERROR;
        }

        p += n;
    }

    *p = '\0';
    body->len = p - body->data;

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_http_run(ngx_cweb_call_t *call)
{
    int                  rc, crashed, flags;
    ngx_str_t            body;
    ngx_uint_t           overflow;
    ngx_cweb_route_t    *rt;
    ngx_http_request_t  *r;

    r = call->r;
    rt = call->route;

    if (ngx_cweb_http_body(r, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_cweb_http_request(call, &body);

    if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return ngx_cweb_http_refuse(r, rc, "form too large", rt->plugin,
                                    call->refusal);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call->res.body = ngx_cweb_http_body_buffer();
    if (call->res.body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call->body_buf = call->res.body;

    call->res.headers = &call->res_headers.pub;
    ngx_cweb_kv_init_inline(&call->res_headers, r->pool, call->res_pairs,
                            call->res_owned, 4, 1);
    call->res.status = HTTP_200_OK;

    if (ngx_cweb_http_call(call, rt->plugin->config->routes[rt->index].handler,
                           &rc, &overflow, &crashed)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_cweb_http_faulted(call, crashed, overflow)) {

        /* after a cweb_flush(): the header is out, only the cut is left */
        if (call->stream && call->stream->header_sent) {
            return NGX_ERROR;
        }

        return ngx_cweb_http_refuse(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "plugin fault", rt->plugin,
                                    crashed
                                    ? (u_char *) "the plugin crashed while "
                                                 "handling this request"
                                    : (u_char *) "the handler wrote past "
                                                 "res->body");
    }

    /*
     * cweb_write(), cweb_stream(), cweb_send_file(), or compression of our
     * own: a streamed answer
     */
    if (call->stream && (call->stream->writing || call->stream->zlevel)) {
        if (call->plugin == NULL) {
            call->plugin = rt->plugin;
            ngx_cweb_plugin_acquire(rt->plugin);
        }

        call->stream->resume = ngx_cweb_http_more;

        return ngx_cweb_stream_start(call);
    }

    flags = rt->ws ? 0 : rt->plugin->config->routes[rt->index].flags;

    /* a JSON envelope's route: what the handler returns is the answer */
    if (flags & (CWEB_JSON_STATUS|CWEB_JSON)) {
        if (ngx_cweb_json_envelope(call, rc) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* compressed here (cweb_set_compression()): through the stream */
        return (call->stream && call->stream->zlevel)
               ? ngx_cweb_stream_start(call) : ngx_cweb_response_send(call);
    }

    /*
     * c-web-modules ignores what a handler returns and sends its answer:
     * plugins written for it set res->status and the body, then may
     * return -1 for an error they have already answered
     */
    if (rc < 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "cweb plugin \"%V\" route \"%V %V\" returned %d, "
                      "its status and body are sent", &rt->plugin->name,
                      &rt->method, &rt->path, rc);
    }

    return ngx_cweb_response_send(call);
}


/* a crash or an overflow of the call: logged and counted, 1 */

static ngx_uint_t
ngx_cweb_http_faulted(ngx_cweb_call_t *call, int crashed, ngx_uint_t overflow)
{
    ngx_cweb_route_t    *rt;
    ngx_http_request_t  *r;

    r = call->r;
    rt = call->route;

    if (crashed) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "cweb plugin \"%V\" version %ui route \"%V %V\" "
                      "crashed (%s): a fault, %s",
                      &rt->plugin->name, rt->plugin->version, &rt->method,
                      &rt->path, ngx_cweb_signal_name(crashed),
                      call->stream && call->stream->header_sent
                      ? "its answer cut short" : "answered 500");

        ngx_cweb_fault_recovered(crashed, r->connection->log);

        return 1;
    }

    if (overflow) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "cweb plugin \"%V\" version %ui route \"%V %V\" wrote "
                      "past res->body (%d bytes): a fault, %s",
                      &rt->plugin->name, rt->plugin->version, &rt->method,
                      &rt->path, HTTP_RESPONSE_SIZE,
                      call->stream && call->stream->header_sent
                      ? "its answer cut short" : "answered 500");

        ngx_cweb_fault_record(ngx_cweb_call_what(rt->plugin->slot,
                                                 rt->plugin->version,
                                                 (ngx_int_t) rt->index),
                              NGX_CWEB_FAULT_OVERFLOW, 0, ngx_pid);

        return 1;
    }

    return 0;
}


/*
 * a streamed answer's next part: cweb_stream()'s function called as the
 * handler was (its own res->body, the marker, the watchdog); what it
 * returns, CWEB_ERROR for a fault
 */

static int
ngx_cweb_http_more(ngx_cweb_call_t *call)
{
    int         rc, crashed;
    ngx_uint_t  overflow;

    call->res.body = ngx_cweb_http_body_buffer();
    if (call->res.body == NULL) {
        return CWEB_ERROR;
    }

    call->body_buf = call->res.body;
    call->res.content_length = 0;
    call->out.len = 0;
    call->out_set = 0;

    if (ngx_cweb_http_call(call, call->stream->more, &rc, &overflow, &crashed)
        != NGX_OK)
    {
        return CWEB_ERROR;
    }

    if (ngx_cweb_http_faulted(call, crashed, overflow)) {
        return CWEB_ERROR;
    }

    if (ngx_cweb_stream_body(call) != NGX_OK) {
        return CWEB_ERROR;
    }

    return rc;
}


/*
 * The handler, inside the marker, and the plugin's memory it hands back:
 * the 8 KB buffer (guard checked, recycled) or a body of its own (copied,
 * then free()d, the seed's contract).
 */

static ngx_int_t
ngx_cweb_http_call(ngx_cweb_call_t *call, entry_t fn, int *rc,
    ngx_uint_t *overflow, int *crashed)
{
    char                *buf, *body;
    size_t               len;
    uint64_t            *guard;
    ngx_uint_t           nomem;
    ngx_cweb_route_t    *rt;
    ngx_http_request_t  *r;

    r = call->r;
    rt = call->route;
    buf = call->res.body;
    guard = (uint64_t *) (buf + HTTP_RESPONSE_SIZE);

    ngx_cweb_api_set_call(call);
    ngx_cweb_fault_fd = ngx_cweb_http_raw_fd(r);
    ngx_cweb_call_enter(rt->plugin, (ngx_int_t) rt->index);

    *rc = -1;
    *crashed = ngx_cweb_fault_call_route(fn, &ngx_cweb_context, &call->req,
                                         &call->res, rc);

    /* the plugin's free() never frees buf (cweb_entry.c): still ours */
    *overflow = (guard[0] != NGX_CWEB_GUARD || guard[1] != NGX_CWEB_GUARD);

    if (*crashed) {
        ngx_cweb_call_leave();
        ngx_cweb_fault_fd = -1;
        ngx_cweb_api_set_call(NULL);

        /* a broken guard may mean broken heap metadata: leaked, not freed */
        if (!*overflow) {
            ngx_cweb_http_recycle(buf);
        }

        *overflow = 0;
        return NGX_OK;
    }

    nomem = 0;

    body = call->res.body;

    if (body == buf) {
        if (!call->out_set && !*overflow) {
            len = (call->res.content_length > 0)
                  ? ngx_min((size_t) call->res.content_length,
                            (size_t) HTTP_RESPONSE_SIZE)
                  : ngx_strnlen((u_char *) buf, HTTP_RESPONSE_SIZE);

            call->out.data = ngx_pnalloc(r->pool, len ? len : 1);
            if (call->out.data == NULL) {
                nomem = 1;

            } else {
                call->out.len = ngx_cpymem(call->out.data, buf, len)
                                - call->out.data;
            }
        }

    } else if (body != NULL) {
        *crashed = ngx_cweb_http_foreign_body(call, body);
    }

    ngx_cweb_call_leave();
    ngx_cweb_fault_fd = -1;
    ngx_cweb_api_set_call(NULL);

    /* kept, freed or replaced by the plugin: buf is ours to reuse */
    guard[0] = NGX_CWEB_GUARD;
    guard[1] = NGX_CWEB_GUARD;
    ngx_cweb_http_recycle(buf);

    return nomem ? NGX_ERROR : NGX_OK;
}


/* a res->body buffer back: the spare for the next call, or freed */

static void
ngx_cweb_http_recycle(char *buf)
{
    if (ngx_cweb_http_spare == NULL) {
        ngx_cweb_http_spare = buf;

    } else {
        free(buf);
    }
}


/*
 * taken at process start, before requests churn the heap: a long-lived
 * buffer first malloc()ed between request pools would make every later
 * pool allocation work harder (measured: +270 instructions a request)
 */

ngx_int_t
ngx_cweb_http_init_process(ngx_cycle_t *cycle)
{
    ngx_cweb_response_init();

    ngx_cweb_http_spare = ngx_cweb_http_body_buffer();

    return ngx_cweb_http_spare ? NGX_OK : NGX_ERROR;
}


static char *
ngx_cweb_http_body_buffer(void)
{
    char      *buf;
    uint64_t  *guard;

    buf = ngx_cweb_http_spare;
    ngx_cweb_http_spare = NULL;

    if (buf == NULL) {
        /* plugins may free() it and put their own: it must be malloc()ed */
        buf = malloc(HTTP_RESPONSE_SIZE + NGX_CWEB_GUARD_LEN);
        if (buf == NULL) {
            return NULL;
        }

        guard = (uint64_t *) (buf + HTTP_RESPONSE_SIZE);
        guard[0] = NGX_CWEB_GUARD;
        guard[1] = NGX_CWEB_GUARD;
    }

    /*
     * all of it: a plugin that sends content_length bytes of it without
     * writing them would send the previous answer's (another client's)
     */
    ngx_memzero(buf, HTTP_RESPONSE_SIZE);

    return buf;
}


/*
 * res->body replaced: copied (content_length bytes, or a C string), then
 * free()d unless it points into a loaded object (a string literal), at
 * the stack or into the host's own buffer, which free() would abort on
 */

static int
ngx_cweb_http_foreign_body(ngx_cweb_call_t *call, char *body)
{
    int      signo;
    u_char   here;
    size_t   len;
    Dl_info  info;

    if (!call->out_set) {
        len = (call->res.content_length > 0)
              ? (size_t) call->res.content_length
              : ngx_strnlen((u_char *) body, NGX_MAX_INT32_VALUE);

        call->out.data = ngx_pnalloc(call->r->pool, len ? len : 1);

        /* a content_length past the plugin's buffer is the plugin's fault */
        signo = call->out.data
                ? ngx_cweb_fault_copy(call->out.data, body, len) : 0;

        if (signo) {
            return signo;           /* not freed: it may be no heap block */
        }

        call->out.len = call->out.data ? len : 0;
    }

    if (dladdr(body, &info) != 0
        || (body < (char *) &here + 1024 * 1024
            && body > (char *) &here - 16 * 1024 * 1024)
        || (body >= call->body_buf
            && body < call->body_buf + HTTP_RESPONSE_SIZE + NGX_CWEB_GUARD_LEN))
    {
        return 0;
    }

    free(body);

    return 0;
}


static ngx_int_t
ngx_cweb_http_request(ngx_cweb_call_t *call, ngx_str_t *body)
{
    char                *key, *value;
    ngx_uint_t           i, n;
    ngx_list_part_t     *part;
    ngx_table_elt_t     *h;
    http_request_t      *req;
    ngx_http_request_t  *r;

    r = call->r;
    req = &call->req;

    switch (r->method) {
    case NGX_HTTP_GET:     req->method = HTTP_GET;     break;
    case NGX_HTTP_HEAD:    req->method = HTTP_HEAD;    break;
    case NGX_HTTP_POST:    req->method = HTTP_POST;    break;
    case NGX_HTTP_PUT:     req->method = HTTP_PUT;     break;
    case NGX_HTTP_DELETE:  req->method = HTTP_DELETE;  break;
    case NGX_HTTP_OPTIONS: req->method = HTTP_OPTIONS; break;
    case NGX_HTTP_PATCH:   req->method = HTTP_PATCH;   break;
    default:               req->method = HTTP_ERR;     break;
    }

    req->version = (r->http_version >= NGX_HTTP_VERSION_20) ? HTTP_VERSION_2
                   : (r->http_version == NGX_HTTP_VERSION_11)
                     ? HTTP_VERSION_1_1 : HTTP_VERSION_1_0;
    req->status = HTTP_200_OK;
    req->keep_alive = r->keepalive;
    req->close = !r->keepalive;
    req->tid = pthread_self();
    req->body = (char *) body->data;
    req->content_length = (int) ngx_min(body->len,
                                        (size_t) NGX_MAX_INT32_VALUE);
    req->transfer_encoding_chunked = r->headers_in.chunked;

    /*
     * HTTP/1 header lines are NUL-terminated in place by nginx's parser;
     * HTTP/2 ones are copied to be sure
     */
    n = 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        n += part->nelts;
    }

    req->headers = &call->headers.pub;
    req->params = &call->params.pub;
    req->data = &call->data.pub;

    if (ngx_cweb_kv_init(&call->headers, r->pool, n, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    /* room for every argument: no store growing on the way */
    n = r->args.len ? 1 : 0;

    for (i = 0; i < r->args.len; i++) {
        n += (r->args.data[i] == '&');
    }

    if (ngx_cweb_kv_init(&call->params, r->pool, n, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    (void) ngx_cweb_kv_init(&call->data, r->pool, 0, 0);

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (r->http_version < NGX_HTTP_VERSION_20) {
                key = (char *) h[i].key.data;
                value = (char *) h[i].value.data;

            } else {
                key = ngx_cweb_cstr(r->pool, h[i].key.data,
                                         h[i].key.len);
                value = ngx_cweb_cstr(r->pool, h[i].value.data,
                                           h[i].value.len);
                if (key == NULL || value == NULL) {
                    return NGX_ERROR;
                }
            }

            if (ngx_cweb_kv_push(req->headers, key, value) != NGX_OK) {
                return NGX_ERROR;
            }
        }
    }

    if (r->args.len
        && ngx_cweb_form_args(r->pool, req->params, r->args.data,
                              r->args.data + r->args.len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return body->len ? ngx_cweb_form_parse(call, body) : NGX_OK;
}




/* where a dying process may still write a whole answer itself */

static ngx_socket_t
ngx_cweb_http_raw_fd(ngx_http_request_t *r)
{
#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        return -1;
    }
#endif

    if (r != r->main || r->header_sent
        || r->http_version >= NGX_HTTP_VERSION_20)
    {
        return -1;
    }

    return r->connection->fd;
}
