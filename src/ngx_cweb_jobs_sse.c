
/*
 * GET /jobs/<uuid>/events: a job's events as text/event-stream
 * (id: <event_id>, event: <type>, data: the event's JSON), from after
 * Last-Event-ID or ?since_event_id= (the larger), then live, with a
 * comment ping every NGX_CWEB_SSE_PING ms.  The replay and the live
 * events, without gap or duplicate, are the follower's
 * (ngx_cweb_jobs_follow.c); this is the transport.
 *
 * - The events of one turn of the event loop go out in one write: they
 *   are appended to a buffer that a posted event hands to nginx's output
 *   filters, and two buffers take turns (one being written, one being
 *   filled), so a stream that lasts for days holds no more memory than
 *   its largest burst; one that the client does not read past
 *   NGX_CWEB_SSE_QUEUE is ended (it reconnects with Last-Event-ID).
 * - The stream ends after the job's final event (done, failed,
 *   canceled); a reconnect with nothing newer is answered 204, which
 *   tells an EventSource to stop.
 * - A worker that quits (reload, graceful stop) ends its streams at once
 *   (the connection is idle to nginx's shutdown): the clients reconnect
 *   to a new worker and miss nothing.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_json.h"


#define NGX_CWEB_SSE_PING      15000
#define NGX_CWEB_SSE_QUEUE     (1024 * 1024)


typedef struct {
    ngx_cweb_jfollow_t          follow;
    ngx_http_request_t         *r;
    ngx_event_t                 ping;
    ngx_event_t                 flush;        /* posted: the turn's events */
    ngx_event_handler_pt        read;         /* nginx's, of the connection */
    u_char                     *fill;         /* events not given to nginx */
    size_t                      fill_len;
    size_t                      fill_size;
    u_char                     *sent;         /* given to nginx: b */
    size_t                      sent_size;
    ngx_buf_t                  *b;
    ngx_chain_t                 cl;
    unsigned                    started:1;    /* the headers are out */
    unsigned                    final:1;      /* the job's end is queued */
    unsigned                    gone:1;
} ngx_cweb_jsub_t;


static ngx_int_t ngx_cweb_jobs_sse_opened(ngx_cweb_jfollow_t *f,
    ngx_uint_t status, json_t *body);
static ngx_int_t ngx_cweb_jobs_sse_headers(ngx_http_request_t *r);
static ngx_int_t ngx_cweb_jobs_sse_event(ngx_cweb_jfollow_t *f, int64_t id,
    const char *type, const u_char *text, size_t len);
static void ngx_cweb_jobs_sse_live(ngx_cweb_jfollow_t *f);
static void ngx_cweb_jobs_sse_lost(ngx_cweb_jfollow_t *f);
static ngx_int_t ngx_cweb_jobs_sse_room(ngx_cweb_jsub_t *sub, size_t size);
static void ngx_cweb_jobs_sse_flush(ngx_event_t *ev);
static ngx_int_t ngx_cweb_jobs_sse_out(ngx_cweb_jsub_t *sub);
static void ngx_cweb_jobs_sse_end(ngx_cweb_jsub_t *sub);
static void ngx_cweb_jobs_sse_ping(ngx_event_t *ev);
static void ngx_cweb_jobs_sse_read(ngx_event_t *ev);
static void ngx_cweb_jobs_sse_writer(ngx_http_request_t *r);
static void ngx_cweb_jobs_sse_cleanup(void *data);


static const ngx_cweb_jfollow_ops_t  ngx_cweb_jobs_sse_ops = {
    ngx_cweb_jobs_sse_opened,
    ngx_cweb_jobs_sse_event,
    ngx_cweb_jobs_sse_live,
    ngx_cweb_jobs_sse_lost
};


ngx_int_t
ngx_cweb_jobs_sse(ngx_http_request_t *r, ngx_str_t *uuid)
{
    int64_t              since;
    ngx_pool_cleanup_t  *cln;
    ngx_cweb_jsub_t     *sub;

    if (ngx_cweb_jobs_follow_since(r, 1, &since) != NGX_OK) {
        return ngx_cweb_send_error(r, NGX_HTTP_BAD_REQUEST,
                                   "since_event_id= and Last-Event-ID must "
                                   "be event ids (integers >= 0)");
    }

    sub = ngx_pcalloc(r->pool, sizeof(ngx_cweb_jsub_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (sub == NULL || cln == NULL
        || (sub->b = ngx_calloc_buf(r->pool)) == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sub->r = r;
    sub->ping.handler = ngx_cweb_jobs_sse_ping;
    sub->ping.data = sub;
    sub->ping.log = r->connection->log;
    sub->flush.handler = ngx_cweb_jobs_sse_flush;
    sub->flush.data = sub;
    sub->flush.log = r->connection->log;

    cln->handler = ngx_cweb_jobs_sse_cleanup;
    cln->data = sub;
    ngx_http_set_ctx(r, sub, ngx_cweb_jobs_module);

    /* held until the client goes or the stream ends */
    return ngx_cweb_jobs_follow(&sub->follow, r, uuid, since,
                                &ngx_cweb_jobs_sse_ops, sub);
}


/* the first page: the headers (its events follow), 204, or the refusal */

static ngx_int_t
ngx_cweb_jobs_sse_opened(ngx_cweb_jfollow_t *f, ngx_uint_t status,
    json_t *body)
{
    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_cweb_jsub_t     *sub;
    ngx_http_request_t  *r;

    sub = f->data;
    r = sub->r;
    c = r->connection;

    if (status == NGX_HTTP_OK && !ngx_cweb_jobs_follow_over(body)
        && ngx_cweb_jobs_sse_headers(r) == NGX_OK)
    {
        sub->started = 1;
        r->write_event_handler = ngx_cweb_jobs_sse_writer;
        return NGX_OK;
    }

    sub->gone = 1;
    ngx_cweb_jobs_unfollow(f);

    if (status != NGX_HTTP_OK) {
        rc = ngx_cweb_jobs_follow_refused(r, status, body);

    } else {
        /* the job ended and the client has it all: EventSource stops */
        rc = ngx_cweb_jobs_follow_over(body) ? NGX_HTTP_NO_CONTENT
                                             : NGX_ERROR;
        json_decref(body);
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);

    return NGX_ERROR;
}


static void
ngx_cweb_jobs_sse_live(ngx_cweb_jfollow_t *f)
{
    ngx_connection_t    *c;
    ngx_cweb_jsub_t     *sub;
    ngx_http_request_t  *r;

    sub = f->data;
    r = sub->r;
    c = r->connection;

    if (ngx_exiting || ngx_terminate) {
        ngx_cweb_jobs_sse_end(sub);
        return;
    }

    if (!sub->ping.timer_set) {
        ngx_add_timer(&sub->ping, NGX_CWEB_SSE_PING);
    }

    r->read_event_handler = ngx_http_test_reading;

    /* a quitting worker calls the read handler of idle connections */
    if (sub->read == NULL) {       /* live again after a lost ring */
        sub->read = c->read->handler;
        c->read->handler = ngx_cweb_jobs_sse_read;
    }

    c->idle = 1;
}


static void
ngx_cweb_jobs_sse_lost(ngx_cweb_jfollow_t *f)
{
    ngx_cweb_jobs_sse_end(f->data);
}


static ngx_int_t
ngx_cweb_jobs_sse_headers(ngx_http_request_t *r)
{
    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type, "text/event-stream");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = -1;

    /* a proxy in front must not hold the events back */
    if (ngx_cweb_header_set(r, "Cache-Control", "no-cache") == NULL
        || ngx_cweb_header_set(r, "X-Accel-Buffering", "no") == NULL)
    {
        return NGX_ERROR;
    }

    r->keepalive = 0;

    if (ngx_http_send_header(r) == NGX_ERROR) {
        return NGX_ERROR;
    }

    /* the client knows the stream is open before the first event */
    return ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR
           ? NGX_ERROR : NGX_OK;
}


/* one event (the follower gives each once, in order), out with the turn */

static ngx_int_t
ngx_cweb_jobs_sse_event(ngx_cweb_jfollow_t *f, int64_t id, const char *type,
    const u_char *text, size_t len)
{
    size_t            size;
    ngx_cweb_jsub_t  *sub;

    sub = f->data;

    if (sub->gone) {
        return NGX_ERROR;
    }

    if (type == NULL) {
        return NGX_OK;
    }

    size = sizeof("id: \nevent: \ndata: \n\n") + NGX_INT64_LEN
           + ngx_strlen(type) + len;

    if (ngx_cweb_jobs_sse_room(sub, size) != NGX_OK) {
        ngx_cweb_jobs_sse_end(sub);
        return NGX_ERROR;
    }

    sub->fill_len = ngx_sprintf(sub->fill + sub->fill_len,
                                "id: %L\nevent: %s\ndata: %*s\n\n", id, type,
                                len, text)
                    - sub->fill;

    if (ngx_cweb_jobs_follow_final(type)) {
        sub->final = 1;
        ngx_cweb_jobs_unfollow(f);
    }

    if (!sub->flush.posted) {
        ngx_post_event(&sub->flush, &ngx_posted_events);
    }

    return sub->final ? NGX_ERROR : NGX_OK;
}


static ngx_int_t
ngx_cweb_jobs_sse_room(ngx_cweb_jsub_t *sub, size_t size)
{
    u_char  *p;
    size_t   want;

    if (sub->fill_len + size <= sub->fill_size) {
        return NGX_OK;
    }

    /* one event of any size may wait; more than the bound may not */
    if (sub->fill_len && sub->fill_len + size > NGX_CWEB_SSE_QUEUE) {
        ngx_log_error(NGX_LOG_INFO, sub->r->connection->log, 0,
                      "cweb jobs: an event stream whose client does not "
                      "read (%uz bytes queued) is ended",
                      sub->fill_len + size);
        return NGX_ERROR;
    }

    want = ngx_max(2 * sub->fill_size, ngx_max(sub->fill_len + size, 4096));
    want = ngx_max(ngx_min(want, NGX_CWEB_SSE_QUEUE), sub->fill_len + size);

    p = ngx_alloc(want, sub->r->connection->log);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, sub->fill, sub->fill_len);
    ngx_free(sub->fill);
    sub->fill = p;
    sub->fill_size = want;

    return NGX_OK;
}


/* posted: what this turn of the loop queued, in one write */

static void
ngx_cweb_jobs_sse_flush(ngx_event_t *ev)
{
    ngx_cweb_jsub_t  *sub = ev->data;

    if (sub->gone) {
        return;
    }

    if (ngx_cweb_jobs_sse_out(sub) != NGX_OK) {
        ngx_cweb_jobs_sse_end(sub);
        return;
    }

    if (sub->final && sub->fill_len == 0) {
        ngx_cweb_jobs_sse_end(sub);
    }
}


/*
 * the filled buffer to nginx once the one before is written (they swap);
 * until then the events wait in it
 */

static ngx_int_t
ngx_cweb_jobs_sse_out(ngx_cweb_jsub_t *sub)
{
    u_char     *p;
    size_t      size;
    ngx_buf_t  *b;

    b = sub->b;

    if (sub->fill_len == 0 || b->pos != b->last) {
        return NGX_OK;
    }

    p = sub->sent;
    size = sub->sent_size;
    sub->sent = sub->fill;
    sub->sent_size = sub->fill_size;

    b->start = sub->sent;
    b->pos = sub->sent;
    b->last = sub->sent + sub->fill_len;
    b->end = sub->sent + sub->sent_size;
    b->memory = 1;
    b->flush = 1;

    sub->fill = p;
    sub->fill_size = size;
    sub->fill_len = 0;

    sub->cl.buf = b;
    sub->cl.next = NULL;

    return ngx_http_output_filter(sub->r, &sub->cl) == NGX_ERROR
           ? NGX_ERROR : NGX_OK;
}


/* the stream ends: what was queued goes first (the client reconnects) */

static void
ngx_cweb_jobs_sse_end(ngx_cweb_jsub_t *sub)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t         *cl;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    if (sub->gone) {
        return;
    }

    sub->gone = 1;
    r = sub->r;
    c = r->connection;

    ngx_cweb_jobs_unfollow(&sub->follow);

    if (sub->ping.timer_set) {
        ngx_del_timer(&sub->ping);
    }

    if (sub->flush.posted) {
        ngx_delete_posted_event(&sub->flush);
    }

    if (sub->read) {
        c->read->handler = sub->read;
        c->idle = 0;
    }

    /* the rest, after what nginx is writing (freed with the pool) */
    if (sub->fill_len && sub->started
        && (b = ngx_calloc_buf(r->pool)) != NULL
        && (cl = ngx_alloc_chain_link(r->pool)) != NULL)
    {
        b->pos = sub->fill;
        b->last = sub->fill + sub->fill_len;
        b->memory = 1;
        cl->buf = b;
        cl->next = NULL;
        (void) ngx_http_output_filter(r, cl);
    }

    /* what nginx still holds is written before the connection goes */
    rc = sub->started ? ngx_http_send_special(r, NGX_HTTP_LAST) : NGX_OK;

    ngx_http_finalize_request(r, rc == NGX_ERROR ? NGX_ERROR : NGX_OK);
}


static void
ngx_cweb_jobs_sse_ping(ngx_event_t *ev)
{
    ngx_cweb_jsub_t *sub = ev->data;

    static u_char  ping[] = ": ping\n\n";

    if (ngx_cweb_jobs_sse_room(sub, sizeof(ping) - 1) != NGX_OK) {
        ngx_cweb_jobs_sse_end(sub);
        return;
    }

    sub->fill_len = ngx_cpymem(sub->fill + sub->fill_len, ping,
                               sizeof(ping) - 1)
                    - sub->fill;

    /* written with the turn's events: ending here would free sub */
    ngx_add_timer(&sub->ping, NGX_CWEB_SSE_PING);

    if (!sub->flush.posted) {
        ngx_post_event(&sub->flush, &ngx_posted_events);
    }
}


/* a quitting worker ends the stream; anything else is nginx's */

static void
ngx_cweb_jobs_sse_read(ngx_event_t *ev)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;
    ngx_cweb_jsub_t     *sub;

    c = ev->data;
    r = c->data;
    sub = ngx_http_get_module_ctx(r, ngx_cweb_jobs_module);

    if (c->close && sub && !sub->gone) {
        c->close = 0;
        ngx_cweb_jobs_sse_end(sub);
        ngx_http_run_posted_requests(c);
        return;
    }

    if (sub && sub->read) {
        sub->read(ev);
    }
}


/* nginx wrote: the buffer that waited goes next */

static void
ngx_cweb_jobs_sse_writer(ngx_http_request_t *r)
{
    ngx_cweb_jsub_t  *sub;

    if (ngx_http_output_filter(r, NULL) == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    sub = ngx_http_get_module_ctx(r, ngx_cweb_jobs_module);

    if (sub && !sub->gone && sub->fill_len && !sub->flush.posted) {
        ngx_post_event(&sub->flush, &ngx_posted_events);
    }
}


static void
ngx_cweb_jobs_sse_cleanup(void *data)
{
    ngx_cweb_jsub_t *sub = data;

    if (!sub->gone) {
        sub->gone = 1;
        ngx_cweb_jobs_unfollow(&sub->follow);
    }

    if (sub->ping.timer_set) {
        ngx_del_timer(&sub->ping);
    }

    if (sub->flush.posted) {
        ngx_delete_posted_event(&sub->flush);
    }

    /* the pool goes once the last byte is written or dropped */
    ngx_free(sub->fill);
    ngx_free(sub->sent);
    sub->fill = NULL;
    sub->sent = NULL;
}
