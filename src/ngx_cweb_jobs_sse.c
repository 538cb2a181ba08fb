
/*
 * GET /jobs/<uuid>/events: a job's events as text/event-stream
 * (id: <event_id>, event: <type>, data: the event's JSON), from after
 * Last-Event-ID or ?since_event_id= (the larger), then live, with a
 * comment ping every NGX_CWEB_SSE_PING ms.
 *
 * No gap and no duplicate across the replay/live boundary: the
 * subscriber is registered for live events (the event ring,
 * ngx_cweb_ipc.c) *before* the helper is asked for the stored ones, live
 * events are held until the replay is written, and only ids above the
 * last one written go out.  An event committed before the replay's read
 * is in the replay; one committed after it reaches the ring after the
 * subscriber was registered.  A subscriber whose worker lost events of the
 * ring (it fell a whole ring behind) has its stream ended, and the
 * client's reconnect (EventSource does it by itself, with Last-Event-ID)
 * replays what it missed.
 *
 * Memory: the events of one response come from its pool; after
 * NGX_CWEB_SSE_MAX bytes the response ends and the reconnect starts a new
 * one, so a stream that lasts for days holds no more than that.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_ipc.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_json.h"


#define NGX_CWEB_SSE_PING      15000
#define NGX_CWEB_SSE_MAX       (4 * 1024 * 1024)
#define NGX_CWEB_SSE_PAGE      1000
#define NGX_CWEB_SSE_BUCKETS   1024


typedef struct {
    ngx_queue_t                 queue;        /* in its bucket */
    ngx_http_request_t         *r;
    u_char                      uuid[36];
    int64_t                     last_id;
    ngx_array_t                 held;         /* of ngx_str_t, until live */
    ngx_event_t                 ping;
    size_t                      streamed;
    unsigned                    live:1;
    unsigned                    started:1;    /* the headers are out */
    unsigned                    gone:1;
} ngx_cweb_jsub_t;


static ngx_int_t ngx_cweb_jobs_sse_since(ngx_http_request_t *r,
    int64_t *since);
static ngx_int_t ngx_cweb_jobs_sse_page(ngx_http_request_t *r,
    ngx_cweb_jsub_t *sub);
static ngx_int_t ngx_cweb_jobs_sse_replayed(ngx_http_request_t *r,
    void *data, ngx_uint_t status, json_t *body);
static ngx_int_t ngx_cweb_jobs_sse_headers(ngx_http_request_t *r);
static void ngx_cweb_jobs_sse_event(ngx_cweb_jsub_t *sub, int64_t id,
    const char *type, const u_char *text, size_t len);
static ngx_int_t ngx_cweb_jobs_sse_write(ngx_cweb_jsub_t *sub, u_char *p,
    size_t len);
static void ngx_cweb_jobs_sse_end(ngx_cweb_jsub_t *sub);
static void ngx_cweb_jobs_sse_ping(ngx_event_t *ev);
static void ngx_cweb_jobs_sse_writer(ngx_http_request_t *r);
static void ngx_cweb_jobs_sse_cleanup(void *data);
static void ngx_cweb_jobs_sse_live(ngx_uint_t kind, u_char *data,
    size_t len);
static void ngx_cweb_jobs_sse_deliver(ngx_cweb_jsub_t *sub, u_char *data,
    size_t len);
static ngx_queue_t *ngx_cweb_jobs_sse_bucket(const u_char *uuid);


static ngx_queue_t  *ngx_cweb_jobs_sse_subs;      /* the worker's buckets */
static ngx_uint_t    ngx_cweb_jobs_sse_n;         /* followers in them */


ngx_int_t
ngx_cweb_jobs_sse_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t  i;

    ngx_cweb_jobs_sse_subs = ngx_alloc(NGX_CWEB_SSE_BUCKETS
                                       * sizeof(ngx_queue_t), cycle->log);
    if (ngx_cweb_jobs_sse_subs == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_CWEB_SSE_BUCKETS; i++) {
        ngx_queue_init(&ngx_cweb_jobs_sse_subs[i]);
    }

    return ngx_cweb_ipc_subscribe(NGX_CWEB_IPC_JOB_EVENT,
                                  ngx_cweb_jobs_sse_live);
}


ngx_int_t
ngx_cweb_jobs_sse(ngx_http_request_t *r, ngx_str_t *uuid)
{
    int64_t              since;
    ngx_pool_cleanup_t  *cln;
    ngx_cweb_jsub_t     *sub;

    if (ngx_cweb_jobs_sse_since(r, &since) != NGX_OK) {
        return ngx_cweb_send_error(r, NGX_HTTP_BAD_REQUEST,
                                   "since_event_id= and Last-Event-ID must "
                                   "be event ids (integers >= 0)");
    }

    if (ngx_cweb_jobs_sse_subs == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sub = ngx_pcalloc(r->pool, sizeof(ngx_cweb_jsub_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (sub == NULL || cln == NULL
        || ngx_array_init(&sub->held, r->pool, 4, sizeof(ngx_str_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sub->r = r;
    ngx_memcpy(sub->uuid, uuid->data, 36);
    sub->last_id = since;
    sub->ping.handler = ngx_cweb_jobs_sse_ping;
    sub->ping.data = sub;
    sub->ping.log = r->connection->log;

    /* live first, then the replay: nothing falls between the two */
    ngx_queue_insert_tail(ngx_cweb_jobs_sse_bucket(sub->uuid), &sub->queue);
    ngx_cweb_jobs_sse_n++;
    cln->handler = ngx_cweb_jobs_sse_cleanup;
    cln->data = sub;

    return ngx_cweb_jobs_sse_page(r, sub);
}


/* the larger of ?since_event_id= and Last-Event-ID (a reconnect's) */

static ngx_int_t
ngx_cweb_jobs_sse_since(ngx_http_request_t *r, int64_t *since)
{
    off_t             n;
    ngx_str_t         v;
    ngx_uint_t        count;
    ngx_table_elt_t  *h;

    *since = 0;

    if (ngx_http_arg(r, (u_char *) "since_event_id", 14, &v) == NGX_OK) {
        n = ngx_atoof(v.data, v.len);
        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        *since = n;
    }

    h = ngx_cweb_header_in(r, "Last-Event-ID", sizeof("Last-Event-ID") - 1,
                           &count);

    if (count > 1) {
        return NGX_ERROR;
    }

    if (h) {
        n = ngx_atoof(h->value.data, h->value.len);
        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        *since = ngx_max(*since, (int64_t) n);
    }

    return NGX_OK;
}


/* the next page of stored events after what was written */

static ngx_int_t
ngx_cweb_jobs_sse_page(ngx_http_request_t *r, ngx_cweb_jsub_t *sub)
{
    json_t  *msg;

    msg = json_pack("{s:s,s:s%,s:I,s:i}", "op", "events", "uuid",
                    sub->uuid, (size_t) 36, "since",
                    (json_int_t) sub->last_id, "limit", NGX_CWEB_SSE_PAGE);

    return ngx_cweb_jobs_ask(r, msg, ngx_cweb_jobs_sse_replayed, sub);
}


static ngx_int_t
ngx_cweb_jobs_sse_replayed(ngx_http_request_t *r, void *data,
    ngx_uint_t status, json_t *body)
{
    ngx_cweb_jsub_t *sub = data;

    char       *text;
    json_t     *evs, *ev;
    size_t      i;
    int64_t     id;
    ngx_str_t  *held;

    if (status != NGX_HTTP_OK && !sub->started) {
        return ngx_cweb_send_json(r, status, body);
    }

    evs = json_object_get(body, "events");

    if (status != NGX_HTTP_OK || !json_is_array(evs)
        || (!sub->started && ngx_cweb_jobs_sse_headers(r) != NGX_OK))
    {
        json_decref(body);
        return NGX_ERROR;
    }

    sub->started = 1;

    json_array_foreach(evs, i, ev) {
        text = json_dumps(ev, JSON_COMPACT);
        id = json_integer_value(json_object_get(ev, "event_id"));

        if (text) {
            ngx_cweb_jobs_sse_event(sub, id, json_string_value(
                                        json_object_get(ev, "type")),
                                    (u_char *) text, strlen(text));
            free(text);
        }
    }

    json_decref(body);

    /* a full page: there may be more (the next ask holds the request) */
    if (i == NGX_CWEB_SSE_PAGE && !sub->gone) {
        return ngx_cweb_jobs_sse_page(r, sub);
    }

    sub->live = 1;
    held = sub->held.elts;

    for (i = 0; i < sub->held.nelts && !sub->gone; i++) {
        ngx_cweb_jobs_sse_deliver(sub, held[i].data, held[i].len);
    }

    sub->held.nelts = 0;

    if (sub->gone) {
        return NGX_ERROR;
    }

    ngx_add_timer(&sub->ping, NGX_CWEB_SSE_PING);

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_cweb_jobs_sse_writer;

    /* streamed until the client goes: the request is not finalized */
    r->main->count++;

    return NGX_DONE;
}


static ngx_int_t
ngx_cweb_jobs_sse_headers(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type, "text/event-stream");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = -1;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-cache");

    /* a proxy in front must not hold the events back */
    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "X-Accel-Buffering");
    ngx_str_set(&h->value, "no");

    r->keepalive = 0;

    if (ngx_http_send_header(r) == NGX_ERROR) {
        return NGX_ERROR;
    }

    /* the client knows the stream is open before the first event */
    return ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR
           ? NGX_ERROR : NGX_OK;
}


/* one event, if it is newer than what the client has */

static void
ngx_cweb_jobs_sse_event(ngx_cweb_jsub_t *sub, int64_t id, const char *type,
    const u_char *text, size_t len)
{
    u_char  *p, *last;
    size_t   size;

    if (id <= sub->last_id || sub->gone || type == NULL) {
        return;
    }

    size = sizeof("id: \nevent: \ndata: \n\n") + NGX_INT64_LEN
           + ngx_strlen(type) + len;

    p = ngx_pnalloc(sub->r->pool, size);
    if (p == NULL) {
        ngx_cweb_jobs_sse_end(sub);
        return;
    }

    last = ngx_sprintf(p, "id: %L\nevent: %s\ndata: %*s\n\n", id, type, len,
                       text);
    sub->last_id = id;

    (void) ngx_cweb_jobs_sse_write(sub, p, last - p);
}


static ngx_int_t
ngx_cweb_jobs_sse_write(ngx_cweb_jsub_t *sub, u_char *p, size_t len)
{
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_http_request_t  *r;

    if (sub == NULL) {
        return NGX_OK;
    }

    r = sub->r;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        ngx_cweb_jobs_sse_end(sub);
        return NGX_ERROR;
    }

    b->pos = p;
    b->last = p + len;
    b->memory = 1;
    b->flush = 1;

    out.buf = b;
    out.next = NULL;

    sub->streamed += len;

    if (ngx_http_output_filter(r, &out) == NGX_ERROR
        || sub->streamed > NGX_CWEB_SSE_MAX)
    {
        /* the client reconnects with Last-Event-ID: a fresh response */
        ngx_cweb_jobs_sse_end(sub);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the stream ends (the client reconnects), at the next turn of the loop */

static void
ngx_cweb_jobs_sse_end(ngx_cweb_jsub_t *sub)
{
    if (sub->gone) {
        return;
    }

    sub->gone = 1;
    ngx_queue_remove(&sub->queue);
    ngx_cweb_jobs_sse_n--;

    if (sub->ping.timer_set) {
        ngx_del_timer(&sub->ping);
    }

    if (sub->live) {
        (void) ngx_http_send_special(sub->r, NGX_HTTP_LAST);
        ngx_http_finalize_request(sub->r, NGX_DONE);
    }
}


static void
ngx_cweb_jobs_sse_ping(ngx_event_t *ev)
{
    ngx_cweb_jsub_t *sub = ev->data;

    static u_char  ping[] = ": ping\n\n";

    if (ngx_cweb_jobs_sse_write(sub, ping, sizeof(ping) - 1) == NGX_OK) {
        ngx_add_timer(&sub->ping, NGX_CWEB_SSE_PING);
    }
}


static void
ngx_cweb_jobs_sse_writer(ngx_http_request_t *r)
{
    if (ngx_http_output_filter(r, NULL) == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
    }
}


static void
ngx_cweb_jobs_sse_cleanup(void *data)
{
    ngx_cweb_jsub_t *sub = data;

    if (!sub->gone) {
        sub->gone = 1;
        ngx_queue_remove(&sub->queue);
    ngx_cweb_jobs_sse_n--;
    }

    if (sub->ping.timer_set) {
        ngx_del_timer(&sub->ping);
    }
}


/* an event of the ring: to the subscribers of its job in this worker */

static void
ngx_cweb_jobs_sse_live(ngx_uint_t kind, u_char *data, size_t len)
{
    json_t           *ev;
    const char       *uuid, *type;
    ngx_str_t        *held;
    ngx_queue_t      *bucket, *q, *next;
    json_error_t      jerr;
    ngx_cweb_jsub_t  *sub;

    /* every job's events reach every worker: most have nobody to tell */
    if (ngx_cweb_jobs_sse_subs == NULL || ngx_cweb_jobs_sse_n == 0) {
        return;
    }

    ev = json_loadb((char *) data, len, 0, &jerr);
    uuid = json_string_value(json_object_get(ev, "job_uuid"));
    type = json_string_value(json_object_get(ev, "type"));

    if (uuid == NULL || type == NULL || ngx_strlen(uuid) != 36) {
        json_decref(ev);
        return;
    }

    bucket = ngx_cweb_jobs_sse_bucket((u_char *) uuid);

    for (q = ngx_queue_head(bucket); q != ngx_queue_sentinel(bucket);
         q = next)
    {
        next = ngx_queue_next(q);
        sub = ngx_queue_data(q, ngx_cweb_jsub_t, queue);

        if (ngx_memcmp(sub->uuid, uuid, 36) != 0) {
            continue;
        }

        if (sub->live) {
            ngx_cweb_jobs_sse_event(sub, json_integer_value(
                                        json_object_get(ev, "event_id")),
                                    type, data, len);
            continue;
        }

        if (sub->gone) {
            continue;
        }

        /* the replay is not written yet */
        held = ngx_array_push(&sub->held);

        if (held == NULL
            || (held->data = ngx_pnalloc(sub->r->pool, len)) == NULL)
        {
            ngx_cweb_jobs_sse_end(sub);
            continue;
        }

        ngx_memcpy(held->data, data, len);
        held->len = len;
    }

    json_decref(ev);
}


/* an event held during the replay */

static void
ngx_cweb_jobs_sse_deliver(ngx_cweb_jsub_t *sub, u_char *data, size_t len)
{
    json_t  *ev;

    ev = json_loadb((char *) data, len, 0, NULL);

    ngx_cweb_jobs_sse_event(sub,
                            json_integer_value(json_object_get(ev,
                                                               "event_id")),
                            json_string_value(json_object_get(ev, "type")),
                            data, len);
    json_decref(ev);
}


static ngx_queue_t *
ngx_cweb_jobs_sse_bucket(const u_char *uuid)
{
    return &ngx_cweb_jobs_sse_subs[ngx_crc32_short((u_char *) uuid, 36)
                                   % NGX_CWEB_SSE_BUCKETS];
}
