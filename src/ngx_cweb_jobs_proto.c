
/*
 * The protocol between the workers and the helper's scheduler
 * (ngx_cweb_jobs.h), for both sides: a worker keeps one connection to
 * the helper and asks many questions on it at once, so a message is
 * framed (its length) and carries its question's number in a head:
 *
 *   question  <len> {"q":N} {...the question...}
 *   answer    <len> {"q":N,"status":S} {...the body...}
 *   hello     <len> {"hello":1} {}      the helper's first, at accept
 *
 * The head is a JSON object of its own, read without the body, so that a
 * worker relays a body as the bytes the helper wrote.  Both sides read
 * and write through a buffer of the connection's (ngx_cweb_jbuf_t): what
 * one recv() brings may be many messages, what one send() takes too.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs.h"


#define NGX_CWEB_JBUF_MIN   16384


static ngx_int_t ngx_cweb_jbuf_room(ngx_cweb_jbuf_t *b, size_t need);


/* room for need more bytes after last (moved to the front, or grown) */

static ngx_int_t
ngx_cweb_jbuf_room(ngx_cweb_jbuf_t *b, size_t need)
{
    u_char  *p;
    size_t   used, size;

    if ((size_t) (b->end - b->last) >= need) {
        return NGX_OK;
    }

    used = b->last - b->pos;

    if (b->start && (size_t) (b->end - b->start) >= used + need) {
        ngx_memmove(b->start, b->pos, used);
        b->pos = b->start;
        b->last = b->start + used;
        return NGX_OK;
    }

    size = ngx_max(NGX_CWEB_JBUF_MIN, 2 * (used + need));

    p = ngx_alloc(size, ngx_cycle->log);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (used) {
        ngx_memcpy(p, b->pos, used);
    }

    if (b->start) {
        ngx_free(b->start);
    }

    b->start = p;
    b->pos = p;
    b->last = p + used;
    b->end = p + size;

    return NGX_OK;
}


void
ngx_cweb_jbuf_free(ngx_cweb_jbuf_t *b)
{
    if (b->start) {
        ngx_free(b->start);
    }

    ngx_memzero(b, sizeof(ngx_cweb_jbuf_t));
}


/*
 * what c has to read, into in: NGX_OK (bytes came, or a message over max
 * bytes is there), NGX_AGAIN (none), NGX_ERROR (the peer closed, recv()
 * failed, no memory)
 */

ngx_int_t
ngx_cweb_jobs_recv(ngx_connection_t *c, ngx_cweb_jbuf_t *in, size_t max)
{
    size_t     need, len;
    ssize_t    n;
    ngx_int_t  rc;

    rc = NGX_AGAIN;

    for ( ;; ) {
        /* the rest of the message begun, at least */
        need = NGX_CWEB_JBUF_MIN;

        if (in->last - in->pos >= NGX_CWEB_JOBS_HDR) {
            len = ngx_cweb_jobs_frame_len(in->pos);

            if (len > max) {
                /* ngx_cweb_jobs_next() refuses it */
                return NGX_OK;
            }

            if (NGX_CWEB_JOBS_HDR + len > (size_t) (in->last - in->pos)) {
                need = ngx_max(need, NGX_CWEB_JOBS_HDR + len
                                     - (size_t) (in->last - in->pos));
            }
        }

        if (ngx_cweb_jbuf_room(in, need) != NGX_OK) {
            return NGX_ERROR;
        }

        n = in->eof ? 0 : c->recv(c, in->last, in->end - in->last);

        if (n == NGX_AGAIN) {
            return rc;
        }

        if (n == 0 || n == NGX_ERROR) {
            /* the messages that came with the end are read first */
            if (rc == NGX_OK) {
                in->eof = 1;
                return NGX_OK;
            }

            return NGX_ERROR;
        }

        in->last += n;
        rc = NGX_OK;

        if (in->last < in->end) {
            return rc;
        }
    }
}


/*
 * the next whole message in in, taken from it: NGX_OK (*msg, *len: its
 * head and body), NGX_AGAIN (not whole yet), NGX_ERROR (over max bytes)
 */

ngx_int_t
ngx_cweb_jobs_next(ngx_cweb_jbuf_t *in, size_t max, u_char **msg,
    size_t *len)
{
    size_t  n;

    if (in->last - in->pos < NGX_CWEB_JOBS_HDR) {
        return NGX_AGAIN;
    }

    n = ngx_cweb_jobs_frame_len(in->pos);

    if (n > max) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0, "cweb jobs: a message "
                      "of %uz bytes, more than %uz", n, max);
        return NGX_ERROR;
    }

    if ((size_t) (in->last - in->pos) < NGX_CWEB_JOBS_HDR + n) {
        return NGX_AGAIN;
    }

    *msg = in->pos + NGX_CWEB_JOBS_HDR;
    *len = n;
    in->pos += NGX_CWEB_JOBS_HDR + n;

    if (in->pos == in->last) {
        in->pos = in->start;
        in->last = in->start;
    }

    return NGX_OK;
}


/*
 * a message's head (NGX_ERROR when it is not a JSON object) and where its
 * body begins
 */

ngx_int_t
ngx_cweb_jobs_head(u_char *msg, size_t len, ngx_cweb_jhead_t *h,
    u_char **body, size_t *body_len)
{
    if (ngx_cweb_jhead_parse(msg, len, h) != 0) {
        return NGX_ERROR;
    }

    *body = msg + h->body;
    *body_len = len - h->body;

    return NGX_OK;
}


/* a message (head, then body) at the end of out */

ngx_int_t
ngx_cweb_jobs_put(ngx_cweb_jbuf_t *out, const u_char *head, size_t head_len,
    const u_char *body, size_t body_len)
{
    if (ngx_cweb_jbuf_room(out, NGX_CWEB_JOBS_HDR + head_len + body_len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    out->last = ngx_cweb_jobs_frame(out->last, head_len + body_len);
    out->last = ngx_cpymem(out->last, head, head_len);
    out->last = ngx_cpymem(out->last, body, body_len);

    return NGX_OK;
}


/*
 * what out holds, to c: NGX_OK (all of it), NGX_AGAIN (c is full),
 * NGX_ERROR; *sent counts the bytes that went
 */

ngx_int_t
ngx_cweb_jobs_write(ngx_connection_t *c, ngx_cweb_jbuf_t *out, off_t *sent)
{
    ssize_t  n;

    while (out->pos < out->last) {
        n = c->send(c, out->pos, out->last - out->pos);

        if (n == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        out->pos += n;
        *sent += n;
    }

    out->pos = out->start;
    out->last = out->start;

    /* a page of events made it large: not kept for the small ones */
    if (out->end - out->start > 4 * NGX_CWEB_JBUF_MIN) {
        ngx_cweb_jbuf_free(out);
    }

    return NGX_OK;
}


/*
 * an nginx connection for fd, either end: a reset from the other side is
 * logged at info (the one that quits or dies; its caller handles the lost
 * answers), writable at once
 */

ngx_connection_t *
ngx_cweb_jobs_conn(ngx_socket_t fd, ngx_log_t *log, void *data,
    ngx_event_handler_pt read, ngx_event_handler_pt write)
{
    ngx_connection_t  *c;

    c = ngx_get_connection(fd, log);
    if (c == NULL) {
        return NULL;
    }

    c->recv = ngx_recv;
    c->send = ngx_send;
    c->data = data;
    c->log_error = NGX_ERROR_INFO;
    c->read->handler = read;
    c->write->handler = write;
    c->read->log = log;
    c->write->log = log;
    c->write->ready = 1;

    return c;
}
