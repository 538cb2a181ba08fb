
/*
 * The protocol between the workers and the helper's scheduler
 * (ngx_cweb_jobs.h): reading one message, for both sides.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs.h"


/*
 * One message (its length, then its JSON) from c into in, from pool:
 * NGX_OK once whole, NGX_AGAIN, NGX_ERROR when the peer closed, recv()
 * failed or the message is longer than max
 */

ngx_int_t
ngx_cweb_jobs_recv(ngx_connection_t *c, ngx_pool_t *pool,
    ngx_cweb_jobs_in_t *in, size_t max)
{
    u_char   *p;
    size_t    need;
    ssize_t   n;

    for ( ;; ) {
        need = NGX_CWEB_JOBS_HDR + (in->len < NGX_CWEB_JOBS_HDR
                                    ? 0 : ngx_cweb_jobs_frame_len(in->data));

        if (need > NGX_CWEB_JOBS_HDR + max) {
            ngx_log_error(NGX_LOG_ERR, c->log, 0, "cweb jobs: a message of "
                          "%uz bytes, more than %uz", need, max);
            return NGX_ERROR;
        }

        if (in->len == need && need > NGX_CWEB_JOBS_HDR) {
            return NGX_OK;
        }

        if (need > in->size) {
            p = ngx_pnalloc(pool, need);
            if (p == NULL) {
                return NGX_ERROR;
            }

            if (in->len) {
                ngx_memcpy(p, in->data, in->len);
            }

            in->data = p;
            in->size = need;
        }

        n = c->recv(c, in->data + in->len, need - in->len);

        if (n == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (n == 0 || n == NGX_ERROR) {
            return NGX_ERROR;
        }

        in->len += n;
    }
}


/*
 * an nginx connection for fd, either end of a question: a reset from the
 * other side is logged at info (the one that quits or dies; its caller
 * handles the lost answer), writable at once
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
