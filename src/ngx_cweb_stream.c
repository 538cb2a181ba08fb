
/*
 * Output of any size, streamed (cweb.h's cweb_write(), cweb_flush(),
 * cweb_stream(), cweb_send_file(), cweb_set_compression()).
 *
 * What a plugin writes is copied into buffers of NGX_CWEB_STREAM_BUF bytes
 * (recycled once nginx has sent them, ngx_chain_update_chains()) and goes
 * through nginx's filters: chunked for HTTP/1.1, DATA frames for HTTP/2,
 * gzip when "gzip on" takes it.  Nothing waits: a write that finds more
 * than NGX_CWEB_STREAM_MAX bytes unsent tries to send them, and if the
 * socket is still full it is refused with CWEB_AGAIN; a plugin that wants
 * to go on registers a function with cweb_stream(), which the host calls
 * again (as a route handler, watched the same way) each time everything
 * is sent.  So a response of any length holds at most what one call wrote
 * plus NGX_CWEB_STREAM_MAX.
 *
 * cweb_set_compression(res, 1, level) compresses with zlib here (gzip,
 * when the client and nginx's gzip_* settings allow it), nginx's gzip
 * filter then leaves the response alone; (res, 0, 0) keeps nginx's gzip
 * off it.
 */


#include <zlib.h>

#include "ngx_cweb.h"
#include "ngx_cweb_api.h"


#define NGX_CWEB_STREAM_BUF   16384
#define NGX_CWEB_STREAM_MAX   (256 * 1024)


static ngx_cweb_stream_t *ngx_cweb_stream_of(http_response_t *res,
    const char *fn, ngx_uint_t writes, ngx_cweb_call_t **callp);
static ngx_int_t ngx_cweb_stream_copy(ngx_cweb_call_t *call,
    const u_char *data, size_t len);
static ngx_int_t ngx_cweb_stream_deflate(ngx_cweb_call_t *call,
    const u_char *data, size_t len, int flush);
static ngx_int_t ngx_cweb_stream_header(ngx_cweb_call_t *call);
static void ngx_cweb_stream_writer(ngx_http_request_t *r);
static void ngx_cweb_stream_zfree(void *data);


/* writes: the call makes the answer a stream, which an envelope's is not */

static ngx_cweb_stream_t *
ngx_cweb_stream_of(http_response_t *res, const char *fn, ngx_uint_t writes,
    ngx_cweb_call_t **callp)
{
    ngx_cweb_call_t   *call;
    ngx_cweb_route_t  *rt;

    call = ngx_cweb_call_check(res, NULL, fn);
    if (call == NULL) {
        return NULL;
    }

    rt = call->route;

    /* an envelope route's answer is its envelope, not a stream */
    if (writes
        && (rt->plugin->config->routes[rt->index].flags
            & (CWEB_JSON|CWEB_JSON_STATUS)))
    {
        ngx_cweb_api_error("%s(): a CWEB_JSON or CWEB_JSON_STATUS route "
                           "answers its envelope (cweb_json_answer())", fn);
        return NULL;
    }

    *callp = call;

    if (call->stream == NULL) {
        call->stream = ngx_pcalloc(call->r->pool, sizeof(ngx_cweb_stream_t));
        if (call->stream == NULL) {
            return NULL;
        }

        call->stream->last_out = &call->stream->out;
    }

    return call->stream;
}


int
ngx_cweb_write_api(http_response_t *res, const void *data, size_t len)
{
    ngx_int_t           rc;
    ngx_cweb_call_t    *call;
    ngx_cweb_stream_t  *st;

    st = ngx_cweb_stream_of(res, "cweb_write", 1, &call);
    if (st == NULL) {
        return CWEB_ERROR;
    }

    if (data == NULL && len) {
        ngx_cweb_api_error("cweb_write(): NULL data of %uz bytes", len);
        return CWEB_ERROR;
    }

    if (st->file) {
        ngx_cweb_api_error("cweb_write(): the answer is a file "
                           "(cweb_send_file())");
        return CWEB_ERROR;
    }

    st->writing = 1;

    /* too much unsent: send it now, refuse more while the socket is full */
    if (st->pending > NGX_CWEB_STREAM_MAX) {
        rc = ngx_cweb_stream_send(call, 0);

        if (rc == NGX_ERROR || rc > NGX_OK) {
            return CWEB_ERROR;
        }

        if (st->pending > NGX_CWEB_STREAM_MAX) {
            return CWEB_AGAIN;
        }
    }

    return ngx_cweb_stream_deflate(call, data, len, Z_NO_FLUSH) == NGX_OK
           ? CWEB_OK : CWEB_ERROR;
}


int
ngx_cweb_flush_api(http_response_t *res)
{
    ngx_int_t           rc;
    ngx_cweb_call_t    *call;
    ngx_cweb_stream_t  *st;

    st = ngx_cweb_stream_of(res, "cweb_flush", 1, &call);
    if (st == NULL) {
        return CWEB_ERROR;
    }

    st->writing = 1;

    rc = ngx_cweb_stream_send(call, 0);

    return (rc == NGX_ERROR || rc > NGX_OK) ? CWEB_ERROR : CWEB_OK;
}


int
ngx_cweb_stream_api(http_response_t *res, entry_t more, void *data)
{
    ngx_cweb_call_t    *call;
    ngx_cweb_stream_t  *st;

    st = ngx_cweb_stream_of(res, "cweb_stream", 1, &call);
    if (st == NULL) {
        return CWEB_ERROR;
    }

    st->writing = 1;
    st->more = more;
    st->data = data;

    return CWEB_OK;
}


void *
ngx_cweb_stream_data_api(http_response_t *res)
{
    ngx_cweb_call_t    *call;
    ngx_cweb_stream_t  *st;

    st = ngx_cweb_stream_of(res, "cweb_stream_data", 0, &call);

    return st ? st->data : NULL;
}


int
ngx_cweb_set_compression_api(http_response_t *res, int enable, int level)
{
    ngx_cweb_call_t    *call;
    ngx_cweb_stream_t  *st;

    st = ngx_cweb_stream_of(res, "cweb_set_compression", 0, &call);
    if (st == NULL) {
        return CWEB_ERROR;
    }

    if (level < 0 || level > 9 || (!enable && level)) {
        ngx_cweb_api_error("cweb_set_compression(%d, %d): the level is 1-9, "
                           "or 0 for nginx's gzip settings", enable, level);
        return CWEB_ERROR;
    }

    if (st->header_sent || st->zlevel) {
        ngx_cweb_api_error("cweb_set_compression(): %s",
                           st->zlevel ? "already set"
                                      : "the header is already sent");
        return CWEB_ERROR;
    }

    if (!enable) {
        /* what nginx's gzip filter reads: tested, not for this one */
        call->r->gzip_tested = 1;
        call->r->gzip_ok = 0;
        return CWEB_OK;
    }

    /* the answer depends on Accept-Encoding now (with gzip_vary on) */
    call->r->gzip_vary = 1;

    if (level == 0) {
        return CWEB_OK;
    }

#if (NGX_HTTP_GZIP)
    /* what gzip_http_version, gzip_proxied, gzip_disable and the client say */
    if (ngx_http_gzip_ok(call->r) == NGX_OK) {
        st->zlevel = level;
    }
#endif

    return CWEB_OK;
}


/* data through the response's deflate stream, if any, into buffers */

static ngx_int_t
ngx_cweb_stream_deflate(ngx_cweb_call_t *call, const u_char *data,
    size_t len, int flush)
{
    u_char              out[NGX_CWEB_STREAM_BUF];
    ngx_pool_cleanup_t *cln;
    ngx_cweb_stream_t  *st;

    st = call->stream;

    if (st->zlevel == 0 || st->file) {
        return ngx_cweb_stream_copy(call, data, len);
    }

    if (st->z == NULL) {
        st->z = ngx_pcalloc(call->r->pool, sizeof(z_stream));
        cln = ngx_pool_cleanup_add(call->r->pool, 0);

        if (st->z == NULL || cln == NULL) {
            return NGX_ERROR;
        }

        /* 16 + 15: the gzip wrapper, a 32 KB window */
        if (deflateInit2((z_stream *) st->z, st->zlevel, Z_DEFLATED, 16 + 15,
                         8, Z_DEFAULT_STRATEGY)
            != Z_OK)
        {
            st->z = NULL;
            return NGX_ERROR;
        }

        cln->handler = ngx_cweb_stream_zfree;
        cln->data = st->z;
    }

    /* avail_in is 32 bits: a larger write goes in parts */
    while (len > NGX_MAX_UINT32_VALUE / 2) {
        if (ngx_cweb_stream_deflate(call, data, NGX_MAX_UINT32_VALUE / 2,
                                    Z_NO_FLUSH)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        data += NGX_MAX_UINT32_VALUE / 2;
        len -= NGX_MAX_UINT32_VALUE / 2;
    }

    ((z_stream *) st->z)->next_in = (u_char *) data;
    ((z_stream *) st->z)->avail_in = len;

    do {
        ((z_stream *) st->z)->next_out = out;
        ((z_stream *) st->z)->avail_out = sizeof(out);

        if (deflate((z_stream *) st->z, flush) == Z_STREAM_ERROR) {
            return NGX_ERROR;
        }

        if (ngx_cweb_stream_copy(call, out,
                                 sizeof(out) - ((z_stream *) st->z)->avail_out)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } while (((z_stream *) st->z)->avail_out == 0);

    return NGX_OK;
}


static void
ngx_cweb_stream_zfree(void *data)
{
    (void) deflateEnd(data);
}


/* into the last buffer with room, then recycled or new ones */

static ngx_int_t
ngx_cweb_stream_copy(ngx_cweb_call_t *call, const u_char *data, size_t len)
{
    size_t              n;
    ngx_buf_t          *b;
    ngx_chain_t        *cl;
    ngx_cweb_stream_t  *st;

    st = call->stream;

    while (len) {
        b = st->tail;

        if (b == NULL || b->last == b->end) {
            cl = ngx_chain_get_free_buf(call->r->pool, &st->free);
            if (cl == NULL) {
                return NGX_ERROR;
            }

            b = cl->buf;

            if (b->start == NULL) {
                b->start = ngx_palloc(call->r->pool, NGX_CWEB_STREAM_BUF);
                if (b->start == NULL) {
                    return NGX_ERROR;
                }

                b->end = b->start + NGX_CWEB_STREAM_BUF;
            }

            b->pos = b->start;
            b->last = b->start;
            b->temporary = 1;
            b->flush = 0;
            b->sync = 0;
            b->last_buf = 0;
            b->last_in_chain = 0;
            b->tag = (ngx_buf_tag_t) &ngx_cweb_module;

            *st->last_out = cl;
            st->last_out = &cl->next;
            st->tail = b;
        }

        n = ngx_min(len, (size_t) (b->end - b->last));
        b->last = ngx_cpymem(b->last, data, n);
        data += n;
        len -= n;
        st->pending += n;
    }

    return NGX_OK;
}


/* the header once, with no length: chunked, framed or closed by nginx */

static ngx_int_t
ngx_cweb_stream_header(ngx_cweb_call_t *call)
{
    ngx_int_t            rc;
    ngx_table_elt_t     *h;
    ngx_http_request_t  *r;

    r = call->r;

    /* a bad header: nothing is sent yet, nginx answers 500 */
    rc = ngx_cweb_response_prepare(call);
    if (rc != NGX_OK) {
        return rc;
    }

    if (call->stream->file) {
        r->headers_out.content_length_n = call->stream->file_size;
        r->allow_ranges = 1;

    } else {
        ngx_http_clear_content_length(r);
        ngx_http_clear_accept_ranges(r);
    }

    if (call->stream->zlevel && !call->stream->file) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Content-Encoding");
        ngx_str_set(&h->value, "gzip");
        r->headers_out.content_encoding = h;
        r->gzip_vary = 1;
    }

    call->stream->header_sent = 1;

    rc = ngx_http_send_header(r);

    return (rc == NGX_ERROR || rc > NGX_OK) ? NGX_ERROR : rc;
}


/*
 * what is written, to nginx's filters (last: the end of the answer):
 * NGX_OK all of it sent, NGX_AGAIN some wait for the socket, NGX_ERROR
 */

ngx_int_t
ngx_cweb_stream_send(ngx_cweb_call_t *call, ngx_uint_t last)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t         *cl, *out;
    ngx_cweb_stream_t   *st;
    ngx_http_request_t  *r;

    r = call->r;
    st = call->stream;

    if (!st->header_sent) {
        rc = ngx_cweb_stream_header(call);

        if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
            return rc;
        }
    }

    if (last && st->z
        && ngx_cweb_stream_deflate(call, NULL, 0, Z_FINISH) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!last && st->z
        && ngx_cweb_stream_deflate(call, NULL, 0, Z_SYNC_FLUSH) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * a flush (or the last) buffer ends what goes out now; recycled as the
     * data buffers are (one each send would grow the pool of a long stream)
     */
    cl = ngx_chain_get_free_buf(r->pool, &st->free);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    b = cl->buf;
    b->pos = b->start;
    b->last = b->start;
    b->temporary = 0;
    b->tag = (ngx_buf_tag_t) &ngx_cweb_module;
    b->flush = 1;
    b->last_buf = (last && r == r->main) ? 1 : 0;
    b->last_in_chain = last;
    b->sync = !b->last_buf;
    cl->buf = b;
    cl->next = NULL;

    *st->last_out = cl;
    out = st->out;
    st->out = NULL;
    st->last_out = &st->out;
    st->tail = NULL;

    rc = ngx_http_output_filter(r, out);

    ngx_chain_update_chains(r->pool, &st->free, &st->busy, &out,
                            (ngx_buf_tag_t) &ngx_cweb_module);

    /* what the filters still hold of ours */
    st->pending = 0;

    for (cl = st->busy; cl; cl = cl->next) {
        st->pending += ngx_buf_size(cl->buf);
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    return (st->busy || r->connection->buffered) ? NGX_AGAIN : NGX_OK;
}


/*
 * the handler has returned: the answer goes out as a stream; NGX_DONE
 * while more is to come (the request is kept), else what the last send
 * gave, for ngx_http_finalize_request()
 */

ngx_int_t
ngx_cweb_stream_start(ngx_cweb_call_t *call)
{
    ngx_int_t            rc;
    ngx_cweb_stream_t   *st;
    ngx_http_request_t  *r;

    r = call->r;
    st = call->stream;

    if (ngx_cweb_stream_body(call) != NGX_OK) {
        return NGX_ERROR;
    }

    if (st->more == NULL || r->method == NGX_HTTP_HEAD) {
        return ngx_cweb_stream_send(call, 1);
    }

    rc = ngx_cweb_stream_send(call, 0);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    /* kept until the stream ends: ngx_cweb_stream_writer() finalizes it */
    r->main->count++;
    r->write_event_handler = ngx_cweb_stream_writer;
    r->read_event_handler = ngx_http_test_reading;

    ngx_post_event(r->connection->write, &ngx_posted_next_events);

    return NGX_DONE;
}


/* what a call left in res->body follows what it wrote with cweb_write() */

ngx_int_t
ngx_cweb_stream_body(ngx_cweb_call_t *call)
{
    ngx_int_t  rc;

    rc = NGX_OK;

    if (call->out.len && !call->stream->file) {
        rc = ngx_cweb_stream_deflate(call, call->out.data, call->out.len,
                                     Z_NO_FLUSH);
    }

    call->out.len = 0;

    return rc;
}


/* all sent: the plugin's next part; some waiting: the socket's turn */

static void
ngx_cweb_stream_writer(ngx_http_request_t *r)
{
    int                 rc;
    ngx_int_t           sent;
    ngx_event_t        *wev;
    ngx_cweb_call_t    *call;
    ngx_cweb_stream_t  *st;
    ngx_http_core_loc_conf_t  *clcf;

    wev = r->connection->write;
    call = ngx_http_get_module_ctx(r, ngx_cweb_module);
    st = call->stream;

    if (wev->timedout) {
        r->connection->timedout = 1;
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    /* limit_rate's delay (its timer is the write filter's), as ngx_http_writer */
    if (wev->delayed || r->aio) {
        if (!wev->delayed) {
            ngx_add_timer(wev, clcf->send_timeout);
        }

        if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_ERROR);
        }

        return;
    }

    /* send_timeout is the time between two writes */
    if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    sent = ngx_cweb_stream_send(call, 0);

    if (sent == NGX_OK && st->more) {
        rc = st->resume(call);

        if (rc == CWEB_AGAIN) {
            sent = ngx_cweb_stream_send(call, 0);

            if (sent == NGX_OK) {
                /*
                 * the next part after the other connections' turn: the next
                 * loop (ngx_posted_events would run it again in this pass,
                 * and a stream with nothing to say would spin the worker)
                 */
                ngx_post_event(wev, &ngx_posted_next_events);
                return;
            }

        } else {
            /* done, an error (cut short: the client sees no end), a crash */
            st->more = NULL;
            ngx_http_finalize_request(r, rc >= 0 ? ngx_cweb_stream_send(call, 1)
                                                 : NGX_ERROR);
            return;
        }
    }

    if (sent == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    if (!wev->delayed) {
        ngx_add_timer(wev, clcf->send_timeout);
    }

    if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}


/* cweb_send_file(): the file as the answer, in nginx's file buffers */

int
ngx_cweb_send_file_api(http_response_t *res, const char *path)
{
    u_char                    *p;
    ngx_str_t                  name;
    ngx_buf_t                 *b;
    ngx_chain_t               *cl;
    ngx_cweb_call_t           *call;
    ngx_cweb_stream_t         *st;
    ngx_open_file_info_t       of;
    ngx_http_core_loc_conf_t  *clcf;

    st = ngx_cweb_stream_of(res, "cweb_send_file", 1, &call);
    if (st == NULL) {
        return CWEB_ERROR;
    }

    if (path == NULL || path[0] != '/' || st->writing) {
        ngx_cweb_api_error("cweb_send_file(): %s",
                           st->writing ? "the answer is already being written"
                                       : "an absolute path is needed");
        return CWEB_ERROR;
    }

    name.len = ngx_strlen(path);
    name.data = ngx_pnalloc(call->r->pool, name.len + 1);
    if (name.data == NULL) {
        return CWEB_ERROR;
    }

    ngx_memcpy(name.data, path, name.len + 1);

    clcf = ngx_http_get_module_loc_conf(call->r, ngx_http_core_module);

    ngx_memzero(&of, sizeof(ngx_open_file_info_t));
    of.read_ahead = clcf->read_ahead;
    of.directio = clcf->directio;
    of.valid = clcf->open_file_cache_valid;
    of.min_uses = clcf->open_file_cache_min_uses;
    of.errors = clcf->open_file_cache_errors;
    of.events = clcf->open_file_cache_events;

    if (ngx_open_cached_file(clcf->open_file_cache, &name, &of, call->r->pool)
        != NGX_OK)
    {
        return CWEB_DECLINED;
    }

    if (!of.is_file) {
        return CWEB_DECLINED;
    }

    st->file = 1;
    st->writing = 1;
    st->file_size = of.size;
    call->r->headers_out.last_modified_time = of.mtime;

    /* an empty file: the header and the last buffer alone */
    if (of.size == 0) {
        goto type;
    }

    b = ngx_calloc_buf(call->r->pool);
    cl = ngx_alloc_chain_link(call->r->pool);
    if (b == NULL || cl == NULL) {
        return CWEB_ERROR;
    }

    b->file = ngx_pcalloc(call->r->pool, sizeof(ngx_file_t));
    if (b->file == NULL) {
        return CWEB_ERROR;
    }

    b->file_pos = 0;
    b->file_last = of.size;
    b->in_file = 1;
    b->file->fd = of.fd;
    b->file->name = name;
    b->file->log = call->r->connection->log;
    b->file->directio = of.is_directio;

    cl->buf = b;
    cl->next = NULL;
    *st->last_out = cl;
    st->last_out = &cl->next;

type:

    /* a type by the file's extension, unless the plugin set one */
    ngx_str_null(&call->r->exten);

    for (p = name.data + name.len; p > name.data && p[-1] != '/'; p--) {
        if (p[-1] == '.') {
            call->r->exten.data = p;
            call->r->exten.len = name.data + name.len - p;
            break;
        }
    }

    return CWEB_OK;
}
