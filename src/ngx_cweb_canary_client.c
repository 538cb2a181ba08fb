
/*
 * The requester's side of the canary, in a worker's (or the helper's)
 * event loop: a non-blocking connection to <cweb_module_dir>/canary.sock,
 * retried while the canary is (re)starting, with a deadline for the wait
 * in the canary's queue and another for the run once it is taken up.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_canary.h"
#include "ngx_cweb_canary_int.h"


static void ngx_cweb_canary_connect(ngx_cweb_canary_t *cn);
static void ngx_cweb_canary_retry_handler(ngx_event_t *ev);
static void ngx_cweb_canary_read_handler(ngx_event_t *ev);
static void ngx_cweb_canary_finish(ngx_cweb_canary_t *cn, ngx_int_t rc);


ngx_int_t
ngx_cweb_canary_start(ngx_cweb_canary_t *cn)
{
    cn->rc = NGX_ERROR;
    cn->start = ngx_current_msec;
    cn->timer.handler = ngx_cweb_canary_retry_handler;
    cn->timer.data = cn;
    cn->timer.log = cn->log;

    cn->in = ngx_create_temp_buf(cn->pool, 4096);
    if (cn->in == NULL) {
        return NGX_ERROR;
    }

    ngx_cweb_canary_connect(cn);

    return NGX_OK;
}


static void
ngx_cweb_canary_connect(ngx_cweb_canary_t *cn)
{
    int                    fd;
    u_char                 req[NGX_MAX_PATH + 1], *p;
    ngx_connection_t      *c;
    struct sockaddr_un     sa;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_cweb_conf();

    if (ngx_cweb_canary_path(&cmcf->module_dir, &sa, cn->log) != NGX_OK) {
        ngx_cweb_canary_finish(cn, NGX_ERROR);
        return;
    }

    fd = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
    if (fd == -1) {
        ngx_cweb_canary_finish(cn, NGX_ERROR);
        return;
    }

    p = ngx_snprintf(req, sizeof(req), "%V\n", &cn->path);

    /* a canary that is (re)starting: try again shortly */
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == -1
        || write(fd, req, p - req) != p - req)
    {
        close(fd);

        if (++cn->tries > NGX_CWEB_CANARY_TRIES) {
            ngx_log_error(NGX_LOG_ERR, cn->log, ngx_socket_errno,
                          "cweb canary at \"%s\" is not answering",
                          sa.sun_path);
            ngx_cweb_canary_finish(cn, NGX_ERROR);
            return;
        }

        ngx_add_timer(&cn->timer, NGX_CWEB_CANARY_RETRY);
        return;
    }

    c = ngx_get_connection(fd, cn->log);
    if (c == NULL) {
        close(fd);
        ngx_cweb_canary_finish(cn, NGX_ERROR);
        return;
    }

    c->data = cn;
    c->read->handler = ngx_cweb_canary_read_handler;
    c->read->log = cn->log;
    c->write->log = cn->log;
    cn->conn = c;
    cn->in->last = cn->in->pos;
    cn->started = 0;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_cweb_canary_finish(cn, NGX_ERROR);
        return;
    }

    /*
     * the canary runs one request at a time: this one may wait behind
     * every other one the listen queue holds, each bounded like a run;
     * its own run gets its deadline when the canary takes it up
     */
    ngx_add_timer(&cn->timer, NGX_CWEB_CANARY_BACKLOG
                              * (cmcf->handler_timeout
                                 + NGX_CWEB_CANARY_SLACK));
}


static void
ngx_cweb_canary_retry_handler(ngx_event_t *ev)
{
    ngx_cweb_canary_t  *cn = ev->data;

    if (cn->conn) {
        ngx_log_error(NGX_LOG_ERR, cn->log, 0, "cweb canary did not %s",
                      cn->started ? "answer" : "take the request up");
        ngx_cweb_canary_finish(cn, NGX_ERROR);
        return;
    }

    ngx_cweb_canary_connect(cn);
}


static void
ngx_cweb_canary_read_handler(ngx_event_t *ev)
{
    size_t              size;
    ssize_t             n;
    ngx_buf_t          *b, *nb;
    json_t             *res;
    const char         *status;
    ngx_connection_t   *c;
    ngx_cweb_canary_t  *cn;

    c = ev->data;
    cn = c->data;

    for ( ;; ) {
        b = cn->in;

        if (b->last == b->end) {
            size = (b->end - b->start) * 2;

            if (size > NGX_CWEB_CANARY_MAX_REPLY) {
                ngx_cweb_canary_finish(cn, NGX_ERROR);
                return;
            }

            nb = ngx_create_temp_buf(cn->pool, size);
            if (nb == NULL) {
                ngx_cweb_canary_finish(cn, NGX_ERROR);
                return;
            }

            nb->last = ngx_cpymem(nb->last, b->pos, b->last - b->pos);
            cn->in = b = nb;
        }

        n = read(c->fd, b->last, b->end - b->last);

        if (n == -1 && ngx_errno == NGX_EAGAIN) {
            if (ngx_handle_read_event(ev, 0) != NGX_OK) {
                ngx_cweb_canary_finish(cn, NGX_ERROR);
            }

            return;
        }

        if (n == -1 && ngx_errno == NGX_EINTR) {
            continue;
        }

        if (n <= 0) {
            break;
        }

        b->last += n;

        if (!cn->started) {
            /* out of the queue: the run's own deadline from now */
            cn->started = 1;

            if (*b->pos == '\n') {
                b->pos++;
            }

            ngx_add_timer(&cn->timer,
                          ngx_cweb_conf()->handler_timeout
                          + NGX_CWEB_CANARY_SLACK);
        }
    }

    ngx_close_connection(c);
    cn->conn = NULL;

    if (cn->timer.timer_set) {
        ngx_del_timer(&cn->timer);
    }

    /* an empty answer: the canary went away mid-run (reload): again */
    if (cn->in->last == cn->in->pos) {
        if (++cn->tries > NGX_CWEB_CANARY_TRIES) {
            ngx_cweb_canary_finish(cn, NGX_ERROR);
            return;
        }

        ngx_add_timer(&cn->timer, NGX_CWEB_CANARY_RETRY);
        return;
    }

    res = json_loadb((char *) cn->in->pos, cn->in->last - cn->in->pos, 0,
                     NULL);

    if (!json_is_object(res)) {
        json_decref(res);
        ngx_cweb_canary_finish(cn, NGX_ERROR);
        return;
    }

    cn->result = res;
    status = json_string_value(json_object_get(res, "status"));

    ngx_cweb_canary_finish(cn, (status && ngx_strcmp(status, "ok") == 0)
                               ? NGX_OK : NGX_DECLINED);
}


static void
ngx_cweb_canary_finish(ngx_cweb_canary_t *cn, ngx_int_t rc)
{
    if (cn->timer.timer_set) {
        ngx_del_timer(&cn->timer);
    }

    if (cn->conn) {
        ngx_close_connection(cn->conn);
        cn->conn = NULL;
    }

    cn->rc = rc;
    cn->elapsed = ngx_current_msec - cn->start;

    if (cn->done) {
        cn->done(cn);
    }
}


/* the requester went away; nothing of it may be touched again */

void
ngx_cweb_canary_abort(ngx_cweb_canary_t *cn)
{
    if (cn->timer.timer_set) {
        ngx_del_timer(&cn->timer);
    }

    if (cn->conn) {
        ngx_close_connection(cn->conn);
        cn->conn = NULL;
    }

    if (cn->result) {
        json_decref(cn->result);
        cn->result = NULL;
    }

    cn->done = NULL;
}
