
/*
 * The frames of a plugin WebSocket on the wire, on the worker's event
 * loop.
 *
 * - Reads go to one buffer of the worker (a connection holds no read
 *   buffer while idle: the parser keeps a partial header and a control
 *   frame's payload itself); at most NGX_CWEB_WS_READS reads per event, so
 *   a client that floods does not hold the loop.
 * - A message is handed to on_message NUL-terminated (seed plugins treat
 *   it as a C string): in place when it is the last thing read, else
 *   copied into the connection's message buffer, which is freed after a
 *   large message.
 * - Frames to send are queued as one allocation each (never from the
 *   request's pool, which lives as long as the connection) and written
 *   by the write event; cweb_websocket_max_queue bounds the queue: a
 *   client that does not read is closed with 1008, the worker never
 *   holds more.  Sends from a handler post the write event: no
 *   connection is ever finished inside plugin code.
 * - Closing: our Close frame, then the peer's (or NGX_CWEB_WS_CLOSE_WAIT
 *   ms), then the TCP connection.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_ws.h"


#define NGX_CWEB_WS_READS       8
#define NGX_CWEB_WS_KEEP_MSG    4096      /* a larger buffer is freed */
#define NGX_CWEB_WS_CLOSE_WAIT  5000
#define NGX_CWEB_WS_EXIT_WAIT   1000      /* a quitting worker's */
#define NGX_CWEB_WS_DEFLATE_MIN 64        /* shorter: sent as it is */
#define NGX_CWEB_WS_KEEP_ZBUF   65536     /* a larger one is freed */


static ngx_int_t ngx_cweb_ws_message(ngx_cweb_ws_conn_t *wc,
    ngx_cweb_ws_event_t *ev, u_char *last);
static ngx_int_t ngx_cweb_ws_msg_append(ngx_cweb_ws_conn_t *wc,
    const u_char *p, size_t n);
static int ngx_cweb_ws_msg_out(void *data, const unsigned char *p,
    size_t len);
static ngx_int_t ngx_cweb_ws_text(u_char *p, size_t len);
static ngx_int_t ngx_cweb_ws_deliver(ngx_cweb_ws_conn_t *wc, u_char *msg,
    size_t len);
static void ngx_cweb_ws_control(ngx_cweb_ws_conn_t *wc,
    ngx_cweb_ws_event_t *ev);
static ngx_int_t ngx_cweb_ws_append(ngx_cweb_ws_conn_t *wc,
    ngx_uint_t opcode, const u_char *data, size_t len);
static void ngx_cweb_ws_out_free(ngx_cweb_ws_out_t *out);
static ngx_int_t ngx_cweb_ws_append_frame(ngx_cweb_ws_conn_t *wc,
    ngx_uint_t opcode, ngx_uint_t rsv1, const u_char *data, size_t len);
static ngx_int_t ngx_cweb_ws_compress(ngx_uint_t bits, const u_char *data,
    size_t len);
static int ngx_cweb_ws_zout(void *data, const unsigned char *p, size_t len);
static void ngx_cweb_ws_pong_payload(ngx_cweb_ws_out_t *out,
    const u_char *data, size_t len);
static void ngx_cweb_ws_drop_unsent(ngx_cweb_ws_conn_t *wc);
static void ngx_cweb_ws_post_write(ngx_cweb_ws_conn_t *wc);
static ngx_int_t ngx_cweb_ws_send_out(ngx_connection_t *c, ngx_chain_t *out);
static ngx_uint_t ngx_cweb_ws_done(ngx_cweb_ws_conn_t *wc);
static ngx_cweb_ws_conn_t *ngx_cweb_ws_of(ngx_connection_t *c);


/* one buffer for every connection's reads: + 1 for a message's NUL */
static u_char  ngx_cweb_ws_buf[16384 + 1];

/* permessage-deflate: a compressor per window, and their output */
static ngx_cweb_ws_deflate_t   ngx_cweb_ws_compressors[16];
static ngx_cweb_ws_out_t      *ngx_cweb_ws_free_out;
static ngx_uint_t              ngx_cweb_ws_nfree_out;
static u_char                 *ngx_cweb_ws_zbuf;
static size_t                  ngx_cweb_ws_zlen;
static size_t                  ngx_cweb_ws_zsize;


void
ngx_cweb_ws_read_event(ngx_event_t *ev)
{
    ssize_t              n;
    ngx_uint_t           i;
    ngx_connection_t    *c;
    ngx_cweb_ws_conn_t  *wc;

    c = ev->data;
    wc = ngx_cweb_ws_of(c);

    if (c->close) {
        if (c->error) {
            ngx_cweb_ws_finish(wc);
            return;
        }

        /* the worker quits: tell the client, then go */
        c->close = 0;
        c->idle = 0;
        ngx_cweb_ws_close(wc, 1001, "going away");
        ngx_cweb_ws_write_event(c->write);
        return;
    }

    for (i = 0; i < NGX_CWEB_WS_READS; i++) {

        /* nginx knows the socket is drained (EPOLLRDHUP): no recv() */
        if (i > 0 && !c->read->ready) {
            break;
        }

        n = c->recv(c, ngx_cweb_ws_buf, sizeof(ngx_cweb_ws_buf) - 1);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            /* gone without a Close frame (or after ours) */
            ngx_cweb_ws_finish(wc);
            return;
        }

        wc->heard = ngx_current_msec;

        if (ngx_cweb_ws_feed(wc, ngx_cweb_ws_buf, n) != NGX_OK) {
            break;
        }
    }

    if (i == NGX_CWEB_WS_READS) {
        ngx_post_event(c->read, &ngx_posted_next_events);
    }

    if (ngx_cweb_ws_flush(wc) == NGX_ERROR || ngx_cweb_ws_done(wc)) {
        ngx_cweb_ws_finish(wc);
        return;
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_cweb_ws_finish(wc);
    }
}


void
ngx_cweb_ws_write_event(ngx_event_t *ev)
{
    ngx_connection_t    *c;
    ngx_cweb_ws_conn_t  *wc;

    c = ev->data;
    wc = ngx_cweb_ws_of(c);

    if (ev->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "cweb websocket \"%s\": the client did not read "
                      "within send_timeout", wc->path);
        c->timedout = 1;
        ngx_cweb_ws_finish(wc);
        return;
    }

    if (ngx_cweb_ws_flush(wc) == NGX_ERROR || ngx_cweb_ws_done(wc)) {
        ngx_cweb_ws_finish(wc);
    }
}


/*
 * the connection's WebSocket: c->data is its request until the request
 * is released (a request starts with its "HTTP" signature), then ours
 */

static ngx_cweb_ws_conn_t *
ngx_cweb_ws_of(ngx_connection_t *c)
{
    ngx_http_request_t  *r;

    if (*(uint32_t *) c->data == NGX_CWEB_WS_SIGNATURE) {
        return c->data;
    }

    r = c->data;

    return ngx_http_get_module_ctx(r, ngx_cweb_ws_module);
}


/* our Close frame is out, and the peer's is in (or it is gone) */

static ngx_uint_t
ngx_cweb_ws_done(ngx_cweb_ws_conn_t *wc)
{
    return wc->close_sent && wc->out == NULL && wc->close_heard;
}


/*
 * bytes the client sent with the handshake (in nginx's header buffer,
 * which may end right after them: no room for a message's NUL), fed from
 * the worker's read buffer
 */

void
ngx_cweb_ws_feed_early(ngx_cweb_ws_conn_t *wc, u_char *p, size_t n)
{
    size_t  chunk;

    while (n) {
        chunk = ngx_min(n, sizeof(ngx_cweb_ws_buf) - 1);
        ngx_memcpy(ngx_cweb_ws_buf, p, chunk);

        if (ngx_cweb_ws_feed(wc, ngx_cweb_ws_buf, chunk) != NGX_OK) {
            return;
        }

        p += chunk;
        n -= chunk;
    }
}


/*
 * n bytes from the client: NGX_OK to read on, NGX_DECLINED when nothing
 * more will be taken (the connection is closing)
 */

ngx_int_t
ngx_cweb_ws_feed(ngx_cweb_ws_conn_t *wc, u_char *p, size_t n)
{
    u_char               *last;
    size_t                used;
    ngx_int_t             rc;
    ngx_cweb_ws_event_t   ev;

    last = p + n;

    while (p < last && !wc->close_heard) {
        rc = ngx_cweb_ws_parse(&wc->parser, p, last - p, &used, &ev);
        p += used;

        switch (rc) {

        case NGX_CWEB_WS_NEED_MORE:
            break;

        case NGX_CWEB_WS_DATA:
            if (!wc->close_sent && ngx_cweb_ws_message(wc, &ev, last)
                                   != NGX_OK)
            {
                return NGX_DECLINED;
            }

            break;

        case NGX_CWEB_WS_CONTROL:
            ngx_cweb_ws_control(wc, &ev);
            break;

        default: /* NGX_CWEB_WS_ERROR */
            ngx_log_error(NGX_LOG_INFO, wc->c->log, 0,
                          "cweb websocket \"%s\": %s: closed %ui",
                          wc->path, wc->parser.error,
                          (ngx_uint_t) wc->parser.close_code);
            ngx_cweb_ws_close(wc, wc->parser.close_code, wc->parser.error);
            wc->close_heard = 1;    /* nothing more is read */
            return NGX_DECLINED;
        }
    }

    /* after our Close, frames are read and dropped until the peer's */
    return wc->close_heard ? NGX_DECLINED : NGX_OK;
}


/* a chunk of a data message; last: the end of what was read */

static ngx_int_t
ngx_cweb_ws_message(ngx_cweb_ws_conn_t *wc, ngx_cweb_ws_event_t *ev,
    u_char *last)
{
    ngx_int_t  rc;

    if (ev->first) {
        wc->msg_len = 0;
        wc->msg_opcode = ev->opcode;

        /* all of it, the last thing read: NUL-terminated where it is */
        if (ev->fin && !ev->compressed && ev->data + ev->len == last) {
            *last = '\0';
            return ngx_cweb_ws_deliver(wc, ev->data, ev->len);
        }
    }

    if (ev->compressed) {
        rc = ngx_cweb_ws_inflate_feed(wc->inflate, ev->data, ev->len, ev->fin,
                                      ngx_cweb_ws_msg_out, wc);

        if (rc == NGX_CWEB_WS_DEFLATE_TOO_BIG) {
            ngx_cweb_ws_close(wc, 1009, "message too big");
            return NGX_ERROR;
        }

        if (rc != NGX_CWEB_WS_DEFLATE_OK) {
            ngx_cweb_ws_close(wc, rc == NGX_CWEB_WS_DEFLATE_BAD_DATA ? 1007
                                                                  : 1011,
                              "the compressed message cannot be inflated");
            return NGX_ERROR;
        }

    } else if (ngx_cweb_ws_msg_append(wc, ev->data, ev->len) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!ev->fin) {
        return NGX_OK;
    }

    if (ev->compressed) {
        /* no window between messages: idle connections hold no zlib state */
        ngx_cweb_ws_inflate_free(wc->inflate);

        if (wc->msg_opcode == NGX_CWEB_WS_TEXT
            && ngx_cweb_ws_text(wc->msg, wc->msg_len) != NGX_OK)
        {
            ngx_cweb_ws_close(wc, 1007, "invalid utf-8 in text");
            return NGX_ERROR;
        }
    }

    if (ngx_cweb_ws_msg_append(wc, (u_char *) "", 0) != NGX_OK) {
        return NGX_ERROR;
    }

    wc->msg[wc->msg_len] = '\0';

    if (ngx_cweb_ws_deliver(wc, wc->msg, wc->msg_len) != NGX_OK) {
        return NGX_ERROR;
    }

    if (wc->msg_size > NGX_CWEB_WS_KEEP_MSG) {
        ngx_free(wc->msg);
        wc->msg = NULL;
        wc->msg_size = 0;
    }

    return NGX_OK;
}


/* bytes of the message being read, with room for its NUL */

static ngx_int_t
ngx_cweb_ws_msg_append(ngx_cweb_ws_conn_t *wc, const u_char *p, size_t n)
{
    u_char  *m;
    size_t   size;

    if (wc->msg_len + n + 1 > wc->msg_size) {
        size = ngx_max(wc->msg_size * 2, wc->msg_len + n + 1);
        size = ngx_max(size, 256);

        m = ngx_alloc(size, wc->c->log);
        if (m == NULL) {
            ngx_cweb_ws_close(wc, 1011, "out of memory");
            return NGX_ERROR;
        }

        if (wc->msg_len) {
            ngx_memcpy(m, wc->msg, wc->msg_len);
        }

        ngx_free(wc->msg);
        wc->msg = m;
        wc->msg_size = size;
    }

    if (n) {
        ngx_memcpy(wc->msg + wc->msg_len, p, n);
        wc->msg_len += n;
    }

    return NGX_OK;
}


/* the inflater's output */

static int
ngx_cweb_ws_msg_out(void *data, const unsigned char *p, size_t len)
{
    return ngx_cweb_ws_msg_append(data, p, len) == NGX_OK ? 0 : -1;
}


/* a whole inflated text message is UTF-8 */

static ngx_int_t
ngx_cweb_ws_text(u_char *p, size_t len)
{
    ngx_cweb_ws_utf8_t  utf8;

    ngx_memzero(&utf8, sizeof(ngx_cweb_ws_utf8_t));

    return ngx_cweb_ws_utf8(&utf8, p, len) == NGX_CWEB_WS_UTF8_OK
           ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
ngx_cweb_ws_deliver(ngx_cweb_ws_conn_t *wc, u_char *msg, size_t len)
{
    ngx_int_t  rc;

    rc = wc->message(wc, msg, len);

    if (rc == NGX_OK) {
        return NGX_OK;
    }

    if (rc == NGX_ABORT) {
        ngx_cweb_ws_close(wc, 1011, "the plugin failed");

    } else {
        ngx_cweb_ws_close(wc, 1001, "the plugin no longer serves this path");
    }

    return NGX_ERROR;
}


static void
ngx_cweb_ws_control(ngx_cweb_ws_conn_t *wc, ngx_cweb_ws_event_t *ev)
{
    switch (ev->opcode) {

    case NGX_CWEB_WS_PING:
        if (wc->close_sent) {
            return;
        }

        /*
         * one pong waits at most: a client that pings and does not read
         * gets the answer to its latest ping only (RFC 6455 5.5.3)
         */
        if (wc->pong && wc->pong->buf.pos == wc->pong->buf.start) {
            ngx_cweb_ws_pong_payload(wc->pong, ev->data, ev->len);
            return;
        }

        (void) ngx_cweb_ws_append(wc, NGX_CWEB_WS_PONG, ev->data, ev->len);
        return;

    case NGX_CWEB_WS_CLOSE:
        wc->close_heard = 1;

        /* the answer repeats the code (none if there was none) */
        if (!wc->close_sent) {
            ngx_cweb_ws_close(wc, ev->close_code, "");
        }

        return;

    default: /* an unsolicited pong, or the answer to our ping */
        return;
    }
}


/* a data frame from the plugin; NGX_DECLINED when it cannot be queued */

ngx_int_t
ngx_cweb_ws_queue(ngx_cweb_ws_conn_t *wc, ngx_uint_t opcode,
    const u_char *data, size_t len)
{
    ngx_cweb_ws_conf_t  *wcf;

    if (wc->close_sent) {
        ngx_cweb_api_error("ws->send(): the WebSocket is closing");
        return NGX_DECLINED;
    }

    if (ngx_cweb_ws_room(wc, len) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (ngx_cweb_ws_append(wc, opcode, data, len) != NGX_OK) {
        return NGX_ERROR;
    }

    wcf = wc->conf;

    /*
     * a handler that sends much: write some now, so that a client that
     * reads gets it all (flushing never ends the connection, the posted
     * write event does)
     */
    if (wc->upgraded && wc->queued > wcf->max_queue / 2) {
        (void) ngx_cweb_ws_flush(wc);
    }

    return NGX_OK;
}


/* one message of any size may wait; more than the bound may not */

ngx_int_t
ngx_cweb_ws_room(ngx_cweb_ws_conn_t *wc, size_t len)
{
    if (wc->queued == 0 || wc->queued + len <= wc->conf->max_queue) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_WARN, wc->c->log, 0,
                  "cweb websocket \"%s\": the client does not read, "
                  "%uz bytes are queued for it (cweb_websocket_max_"
                  "queue %uz): closed 1008", wc->path, wc->queued + len,
                  wc->conf->max_queue);
    ngx_cweb_ws_close(wc, 1008, "the client does not read");

    return NGX_DECLINED;
}


static ngx_int_t
ngx_cweb_ws_append(ngx_cweb_ws_conn_t *wc, ngx_uint_t opcode,
    const u_char *data, size_t len)
{
    ngx_int_t   rc;
    ngx_uint_t  rsv1;

    rsv1 = 0;

    if (wc->deflate_bits && opcode <= NGX_CWEB_WS_BINARY
        && len >= NGX_CWEB_WS_DEFLATE_MIN
        && ngx_cweb_ws_compress(wc->deflate_bits, data, len) == NGX_OK
        && ngx_cweb_ws_zlen < len)
    {
        data = ngx_cweb_ws_zbuf;
        len = ngx_cweb_ws_zlen;
        rsv1 = 1;
    }

    rc = ngx_cweb_ws_append_frame(wc, opcode, rsv1, data, len);

    ngx_cweb_ws_zbuf_trim();

    return rc;
}


/* the worker keeps no large compression output between messages */

void
ngx_cweb_ws_zbuf_trim(void)
{
    if (ngx_cweb_ws_zsize > NGX_CWEB_WS_KEEP_ZBUF) {
        ngx_free(ngx_cweb_ws_zbuf);
        ngx_cweb_ws_zbuf = NULL;
        ngx_cweb_ws_zsize = 0;
    }
}


static ngx_int_t
ngx_cweb_ws_append_frame(ngx_cweb_ws_conn_t *wc, ngx_uint_t opcode,
    ngx_uint_t rsv1, const u_char *data, size_t len)
{
    u_char             *p;
    size_t              hlen;
    u_char              header[NGX_CWEB_WS_MAX_HEADER];
    ngx_cweb_ws_out_t  *out;

    hlen = ngx_cweb_ws_frame_header(header, opcode, 1, rsv1, len);

    /* a pong has room for any other pong's payload (it may be replaced) */
    out = ngx_cweb_ws_out_alloc(hlen + (opcode == NGX_CWEB_WS_PONG
                                        ? NGX_CWEB_WS_MAX_CONTROL : len),
                                wc->c->log);
    if (out == NULL) {
        return NGX_ERROR;
    }

    p = (u_char *) (out + 1);
    out->buf.start = p;
    out->buf.pos = p;
    p = ngx_cpymem(p, header, hlen);

    if (len) {
        p = ngx_cpymem(p, data, len);
    }

    out->buf.last = p;
    out->size = hlen + len;

    if (opcode == NGX_CWEB_WS_PONG) {
        wc->pong = out;
    }

    ngx_cweb_ws_link(wc, out);

    return NGX_OK;
}


void
ngx_cweb_ws_link(ngx_cweb_ws_conn_t *wc, ngx_cweb_ws_out_t *out)
{
    out->buf.end = out->buf.last;
    out->buf.memory = 1;
    out->buf.flush = 1;
    out->chain.buf = &out->buf;

    *wc->last_out = &out->chain;
    wc->last_out = &out->chain.next;
    wc->queued += out->size;

    ngx_cweb_ws_post_write(wc);
}


/*
 * a zeroed node with room for "room" bytes after it; the small ones come
 * from the worker's free list (an echo or a chat line is one of them)
 */

ngx_cweb_ws_out_t *
ngx_cweb_ws_out_alloc(size_t room, ngx_log_t *log)
{
    ngx_uint_t          small;
    ngx_cweb_ws_out_t  *out;

    small = (room <= NGX_CWEB_WS_SMALL_OUT);

    if (small && ngx_cweb_ws_free_out) {
        out = ngx_cweb_ws_free_out;
        ngx_cweb_ws_free_out = (ngx_cweb_ws_out_t *) out->chain.next;
        ngx_cweb_ws_nfree_out--;

    } else {
        out = ngx_alloc(sizeof(ngx_cweb_ws_out_t)
                        + (small ? NGX_CWEB_WS_SMALL_OUT : room), log);
        if (out == NULL) {
            return NULL;
        }
    }

    ngx_memzero(out, sizeof(ngx_cweb_ws_out_t));
    out->small = small;

    return out;
}


static void
ngx_cweb_ws_out_free(ngx_cweb_ws_out_t *out)
{
    ngx_cweb_ws_frame_release(out->frame);

    if (out->small && ngx_cweb_ws_nfree_out < NGX_CWEB_WS_KEEP_OUT) {
        out->chain.next = (ngx_chain_t *) ngx_cweb_ws_free_out;
        ngx_cweb_ws_free_out = out;
        ngx_cweb_ws_nfree_out++;
        return;
    }

    ngx_free(out);
}


/* the waiting pong answers the latest ping instead */

static void
ngx_cweb_ws_pong_payload(ngx_cweb_ws_out_t *out, const u_char *data,
    size_t len)
{
    u_char  *p;

    p = out->buf.start;
    p += ngx_cweb_ws_frame_header(p, NGX_CWEB_WS_PONG, 1, 0, len);

    if (len) {
        p = ngx_cpymem(p, data, len);
    }

    /* control payloads are at most 125 bytes: the frame's size is kept */
    out->buf.last = p;
}


/*
 * a message compressed for the window "bits", in the worker's buffer until
 * the next compression or ngx_cweb_ws_zbuf_trim(); NULL when that is not
 * shorter (or fails)
 */

u_char *
ngx_cweb_ws_deflated(ngx_uint_t bits, const u_char *data, size_t len,
    size_t *zlen)
{
    if (len < NGX_CWEB_WS_DEFLATE_MIN
        || ngx_cweb_ws_compress(bits, data, len) != NGX_OK
        || ngx_cweb_ws_zlen >= len)
    {
        return NULL;
    }

    *zlen = ngx_cweb_ws_zlen;

    return ngx_cweb_ws_zbuf;
}


/*
 * one message compressed into ngx_cweb_ws_zbuf (ngx_cweb_ws_zlen bytes)
 * by this worker's compressor for that window: without context takeover
 * every message is a stream of its own, valid on every connection that
 * agreed to the window
 */

static ngx_int_t
ngx_cweb_ws_compress(ngx_uint_t bits, const u_char *data, size_t len)
{
    ngx_cweb_ws_deflate_t  *d;

    d = &ngx_cweb_ws_compressors[bits & 0xf];

    if (!d->ready
        && ngx_cweb_ws_deflate_init(d, Z_DEFAULT_COMPRESSION, bits, NULL,
                                    NULL, NULL)
           != NGX_CWEB_WS_DEFLATE_OK)
    {
        return NGX_ERROR;
    }

    ngx_cweb_ws_zlen = 0;

    return ngx_cweb_ws_deflate_message(d, data, len, ngx_cweb_ws_zout, NULL)
           == NGX_CWEB_WS_DEFLATE_OK ? NGX_OK : NGX_ERROR;
}


static int
ngx_cweb_ws_zout(void *data, const unsigned char *p, size_t len)
{
    u_char  *b;
    size_t   size;

    if (ngx_cweb_ws_zlen + len > ngx_cweb_ws_zsize) {
        size = ngx_max(ngx_cweb_ws_zsize * 2, ngx_cweb_ws_zlen + len);

        b = ngx_alloc(size, ngx_cycle->log);
        if (b == NULL) {
            return -1;
        }

        ngx_memcpy(b, ngx_cweb_ws_zbuf, ngx_cweb_ws_zlen);
        ngx_free(ngx_cweb_ws_zbuf);
        ngx_cweb_ws_zbuf = b;
        ngx_cweb_ws_zsize = size;
    }

    ngx_memcpy(ngx_cweb_ws_zbuf + ngx_cweb_ws_zlen, p, len);
    ngx_cweb_ws_zlen += len;

    return 0;
}


/* written after the current event (no write inside plugin code) */

static void
ngx_cweb_ws_post_write(ngx_cweb_ws_conn_t *wc)
{
    if (wc->upgraded && !wc->finished && !wc->c->write->posted) {
        ngx_post_event(wc->c->write, &ngx_posted_events);
    }
}


/* our Close frame: whatever is queued goes first (or, for 1008, not) */

void
ngx_cweb_ws_close(ngx_cweb_ws_conn_t *wc, ngx_uint_t code,
    const char *reason)
{
    u_char  payload[125];
    size_t  len;

    if (wc->close_sent) {
        return;
    }

    if (code == 1008) {
        ngx_cweb_ws_drop_unsent(wc);
    }

    len = (code == 1005 || code == 0)
          ? 0
          : ngx_cweb_ws_close_payload(payload, code, reason,
                                      ngx_strlen(reason));

    (void) ngx_cweb_ws_append(wc, NGX_CWEB_WS_CLOSE, payload, len);

    wc->close_sent = 1;
    wc->close_code = code;

    /* the peer has that long to answer: then the connection goes */
    if (wc->ping.timer_set) {
        ngx_del_timer(&wc->ping);
    }

    ngx_add_timer(&wc->ping, ngx_exiting ? NGX_CWEB_WS_EXIT_WAIT
                                         : NGX_CWEB_WS_CLOSE_WAIT);
}


/* the frames no byte of which is sent yet */

static void
ngx_cweb_ws_drop_unsent(ngx_cweb_ws_conn_t *wc)
{
    ngx_chain_t        **ll, *cl, *next;
    ngx_cweb_ws_out_t   *out;

    ll = &wc->out;

    /* a frame begun must be finished, or the stream breaks */
    if (*ll && (*ll)->buf->pos != (*ll)->buf->start) {
        ll = &(*ll)->next;
    }

    for (cl = *ll; cl; cl = next) {
        next = cl->next;
        out = (ngx_cweb_ws_out_t *) cl;
        wc->queued -= out->size;

        if (out == wc->pong) {
            wc->pong = NULL;
        }

        ngx_cweb_ws_out_free(out);
    }

    *ll = NULL;
    wc->last_out = ll;
}


/*
 * One frame waiting (an echo, a chat line) goes with send(), more with
 * nginx's writev() chain; both move buf->pos past what the kernel took.
 * Nothing is written while the socket is known to be full (as the chain
 * writer does): a pong squeezed into the last bytes of the buffer would be
 * begun, no longer replaceable by the next one.
 */

static ngx_int_t
ngx_cweb_ws_send_out(ngx_connection_t *c, ngx_chain_t *out)
{
    ssize_t  n;

    /* as the chain's writer: nothing while the socket is known full */
    if (!c->write->ready) {
        return NGX_OK;
    }

    if (out->next == NULL && !c->buffered) {
        n = c->send(c, out->buf->pos, out->buf->last - out->buf->pos);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (n > 0) {
            out->buf->pos += n;
        }

        return NGX_OK;
    }

    return c->send_chain(c, out, 0) == NGX_CHAIN_ERROR ? NGX_ERROR : NGX_OK;
}


/* NGX_OK: all written; NGX_AGAIN: the rest on the next write event */

ngx_int_t
ngx_cweb_ws_flush(ngx_cweb_ws_conn_t *wc)
{
    off_t               sent;
    ngx_connection_t   *c;
    ngx_cweb_ws_out_t  *out;

    c = wc->c;

    if (wc->out == NULL) {
        return NGX_OK;
    }

    sent = c->sent;

    if (ngx_cweb_ws_send_out(c, wc->out) == NGX_ERROR) {
        c->error = 1;
        return NGX_ERROR;
    }

    /* send_timeout is the time between two writes, as ngx_http_writer's */
    if (c->sent != sent && c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (wc->pong && wc->pong->buf.pos != wc->pong->buf.start) {
        wc->pong = NULL;           /* begun: it can no longer change */
    }

    while (wc->out && wc->out->buf->pos == wc->out->buf->last) {
        out = (ngx_cweb_ws_out_t *) wc->out;
        wc->out = wc->out->next;
        wc->queued -= out->size;
        ngx_cweb_ws_out_free(out);
    }

    if (wc->out == NULL) {
        wc->last_out = &wc->out;

        if (c->write->timer_set) {
            ngx_del_timer(c->write);
        }

        return NGX_OK;
    }

    if (!c->write->timer_set) {
        ngx_add_timer(c->write, wc->send_timeout);
    }

    if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_AGAIN;
}


void
ngx_cweb_ws_free_queue(ngx_cweb_ws_conn_t *wc)
{
    ngx_chain_t  *cl, *next;

    for (cl = wc->out; cl; cl = next) {
        next = cl->next;
        ngx_cweb_ws_out_free((ngx_cweb_ws_out_t *) cl);
    }

    wc->out = NULL;
    wc->last_out = &wc->out;
    wc->queued = 0;
    wc->pong = NULL;
}


/* pings the client, closes it when it is silent, ends a slow close */

void
ngx_cweb_ws_ping_handler(ngx_event_t *ev)
{
    ngx_cweb_ws_conn_t  *wc;
    ngx_cweb_ws_conf_t  *wcf;

    wc = ev->data;

    if (wc->close_sent) {
        ngx_cweb_ws_finish(wc);
        return;
    }

    wcf = wc->conf;

    if (ngx_current_msec - wc->heard >= 2 * wcf->ping_interval) {
        ngx_cweb_ws_close(wc, 1001, "idle");

    } else if (!wc->served(wc)) {
        /* a deploy took the path away while the connection was quiet */
        ngx_cweb_ws_close(wc, 1001, "the plugin no longer serves this path");

    } else {
        (void) ngx_cweb_ws_append(wc, NGX_CWEB_WS_PING, NULL, 0);
        ngx_add_timer(&wc->ping, wcf->ping_interval);
    }

    ngx_cweb_ws_write_event(wc->c->write);
}


/*
 * the end: on_close and our memory (wc->done), the connection; before the
 * release the request still holds it all, and its cleanup does that part
 */

void
ngx_cweb_ws_finish(ngx_cweb_ws_conn_t *wc)
{
    ngx_connection_t  *c;

    if (wc->finished) {
        return;
    }

    wc->finished = 1;
    wc->close_sent = 1;        /* nothing more may be queued */

    c = wc->c;
    c->idle = 0;

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    if (wc->r) {
        ngx_http_finalize_request(wc->r, NGX_DONE);
        return;
    }

    wc->done(wc);
    ngx_http_close_connection(c);
}
