
/*
 * A worker's connection to the helper's job scheduler: one per worker,
 * to <dir>/ipc/jobs.sock, opened by the first question and again after
 * the helper went away (a respawn, a reload's helper taking over).  Every
 * question on it is numbered (ngx_cweb_jobs_proto.c) and waits in a tree
 * for the answer with its number, so that many are asked at once and
 * answered in any order: the helper batches what all of them ask into
 * one commit, and one send() or recv() carries many messages either way.
 *
 * Questions are written from the loop (a posted write event), never from
 * ngx_cweb_jchan_ask(), and answers are told from the read handler, so
 * neither ever runs inside the other.  A quitting worker closes it once
 * nothing waits for an answer (nginx counts an open one left at exit as
 * a leak): while none does it is idle, and the last answer or
 * ngx_close_idle_connections() closes it from the read handler.  When the connection is lost, a
 * question whose bytes were all written may have been carried out (its
 * asker decides whether to ask again); one that was not written whole, or
 * that a quitting helper answered "again", was not.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs.h"

#include <sys/un.h>


typedef struct {
    ngx_connection_t           *c;
    ngx_cweb_jbuf_t             in;
    ngx_cweb_jbuf_t             out;
    ngx_rbtree_t                tree;         /* the questions by number */
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 asked;        /* the same, in order */
    ngx_rbtree_key_t            next;
    off_t                       put;          /* bytes given to out */
    off_t                       sent;         /* bytes written */
    ngx_uint_t                  write_failed; /* read to the end, then lost */
    ngx_uint_t                  hello;        /* the helper accepted it */
} ngx_cweb_jchan_t;


static ngx_int_t ngx_cweb_jchan_connect(ngx_cweb_jchan_t *ch);
static void ngx_cweb_jchan_write_handler(ngx_event_t *ev);
static void ngx_cweb_jchan_read_handler(ngx_event_t *ev);
static ngx_int_t ngx_cweb_jchan_answer(ngx_cweb_jchan_t *ch, u_char *msg,
    size_t len);
static void ngx_cweb_jchan_lost(ngx_cweb_jchan_t *ch);
static void ngx_cweb_jchan_close(ngx_cweb_jchan_t *ch);


static ngx_cweb_jchan_t  ngx_cweb_jchan;


/*
 * q (its text, callbacks and data set) to the helper: NGX_OK (answer()
 * or lost() follows, unless forgotten first), NGX_AGAIN (no helper
 * listens now: a start, a respawn, a full backlog), NGX_ERROR
 */

ngx_int_t
ngx_cweb_jchan_ask(ngx_cweb_jq_t *q)
{
    u_char             head[NGX_INT64_LEN + 8], *p;
    ngx_int_t          rc;
    ngx_cweb_jchan_t  *ch;

    ch = &ngx_cweb_jchan;

    if (ch->c == NULL) {
        rc = ngx_cweb_jchan_connect(ch);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    q->node.key = ++ch->next;
    p = ngx_sprintf(head, "{\"q\":%ui}", q->node.key);

    if (ngx_cweb_jobs_put(&ch->out, head, p - head, q->text, q->len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ch->put += NGX_CWEB_JOBS_HDR + (p - head) + q->len;
    q->end = ch->put;
    q->asked = 1;

    ngx_rbtree_insert(&ch->tree, &q->node);
    ngx_queue_insert_tail(&ch->asked, &q->queue);
    ch->c->idle = 0;
    ch->c->close = 0;

    if (!ch->c->write->posted) {
        ngx_post_event(ch->c->write, &ngx_posted_events);
    }

    return NGX_OK;
}


/* the asker no longer waits: an answer to q is dropped */

void
ngx_cweb_jchan_forget(ngx_cweb_jq_t *q)
{
    ngx_connection_t  *c;

    if (q->losing) {
        /* forgotten while the lost ones are told: not told */
        ngx_queue_remove(&q->queue);
        q->losing = 0;
        return;
    }

    if (!q->asked) {
        return;
    }

    ngx_rbtree_delete(&ngx_cweb_jchan.tree, &q->node);
    ngx_queue_remove(&q->queue);
    q->asked = 0;

    c = ngx_cweb_jchan.c;

    if (c == NULL || !ngx_queue_empty(&ngx_cweb_jchan.asked)) {
        return;
    }

    c->idle = 1;

    if (ngx_exiting && !c->read->posted) {
        c->close = 1;
        ngx_post_event(c->read, &ngx_posted_events);
    }
}


static ngx_int_t
ngx_cweb_jchan_connect(ngx_cweb_jchan_t *ch)
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
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                      "cweb jobs: socket() failed");
        return NGX_ERROR;
    }

    if (connect(fd, (struct sockaddr *) &sun,
                offsetof(struct sockaddr_un, sun_path) + len)
        == -1)
    {
        err = ngx_errno;
        close(fd);

        if (err == NGX_ENOENT || err == NGX_ECONNREFUSED
            || err == NGX_EAGAIN)
        {
            return NGX_AGAIN;
        }

        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, err,
                      "cweb jobs: connect() to \"%s\" failed", sun.sun_path);
        return NGX_ERROR;
    }

    /* a helper that quits or dies resets it: ngx_cweb_jchan_lost() */
    c = ngx_cweb_jobs_conn(fd, ngx_cycle->log, ch,
                           ngx_cweb_jchan_read_handler,
                           ngx_cweb_jchan_write_handler);
    if (c == NULL) {
        close(fd);
        return NGX_ERROR;
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_close_connection(c);
        return NGX_ERROR;
    }

    if (ch->tree.root == NULL) {
        ngx_rbtree_init(&ch->tree, &ch->sentinel, ngx_rbtree_insert_value);
        ngx_queue_init(&ch->asked);
    }

    ch->c = c;
    ch->put = 0;
    ch->sent = 0;
    ch->write_failed = 0;
    ch->hello = 0;
    c->idle = 1;

    return NGX_OK;
}


static void
ngx_cweb_jchan_write_handler(ngx_event_t *ev)
{
    ngx_int_t          rc;
    ngx_connection_t  *c;
    ngx_cweb_jchan_t  *ch;

    c = ev->data;
    ch = c->data;

    if (ch->write_failed) {
        return;
    }

    rc = ngx_cweb_jobs_write(c, &ch->out, &ch->sent);

    if (rc == NGX_ERROR) {
        /*
         * a quitting helper shut its reading down: what it answered
         * (its last answers, "again") is read to the end first
         */
        ch->write_failed = 1;

        if (!c->read->posted) {
            ngx_post_event(c->read, &ngx_posted_events);
        }

        return;
    }

    if (rc == NGX_AGAIN && ngx_handle_write_event(ev, 0) != NGX_OK) {
        ngx_cweb_jchan_lost(ch);
    }
}


static void
ngx_cweb_jchan_read_handler(ngx_event_t *ev)
{
    u_char                *msg;
    size_t                 len, max;
    ngx_int_t              rc, next;
    ngx_connection_t      *c;
    ngx_cweb_jchan_t      *ch;
    ngx_cweb_jobs_conf_t  *jcf;

    c = ev->data;
    ch = c->data;

    if (c->close) {
        /* quitting, and nothing waits for an answer */
        ngx_cweb_jchan_close(ch);
        return;
    }

    jcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_cweb_jobs_module);
    max = ngx_cweb_jobs_max_message(jcf);

    do {
        rc = ngx_cweb_jobs_recv(c, &ch->in, max);

        if (rc == NGX_ERROR) {
            ngx_cweb_jchan_lost(ch);
            return;
        }

        while ((next = ngx_cweb_jobs_next(&ch->in, max, &msg, &len))
               == NGX_OK)
        {
            if (ngx_cweb_jchan_answer(ch, msg, len) != NGX_OK) {
                ngx_cweb_jchan_lost(ch);
                return;
            }
        }

        if (next == NGX_ERROR) {
            ngx_cweb_jchan_lost(ch);
            return;
        }

    } while (rc == NGX_OK);

    if (ngx_handle_read_event(ev, 0) != NGX_OK) {
        ngx_cweb_jchan_lost(ch);
    }
}


/*
 * {"q":N,"status":S[,"again":true]} then the body: told to its asker;
 * {"hello":1}, the helper's first message, is the connection accepted
 */

static ngx_int_t
ngx_cweb_jchan_answer(ngx_cweb_jchan_t *ch, u_char *msg, size_t len)
{
    u_char             *body;
    size_t              body_len;
    int64_t             n, status;
    ngx_uint_t          again;
    ngx_cweb_jq_t      *q;
    ngx_cweb_jhead_t    head;
    ngx_rbtree_node_t  *node, *sentinel;

    if (ngx_cweb_jobs_head(msg, len, &head, &body, &body_len) == NGX_OK
        && head.hello)
    {
        ch->hello = 1;
        return NGX_OK;
    }

    n = head.q;
    status = head.status;
    again = head.again;

    if (n <= 0 || status < 200 || status > 599) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "cweb jobs: a malformed answer from the helper");
        return NGX_ERROR;
    }

    node = ch->tree.root;
    sentinel = ch->tree.sentinel;

    while (node != sentinel && node->key != (ngx_rbtree_key_t) n) {
        node = ((ngx_rbtree_key_t) n < node->key) ? node->left : node->right;
    }

    if (node == sentinel) {
        /* its asker left */
        return NGX_OK;
    }

    q = (ngx_cweb_jq_t *) node;
    ngx_cweb_jchan_forget(q);

    if (again) {
        q->lost(q, 0);
        return NGX_OK;
    }

    q->answer(q, (ngx_uint_t) status, body, body_len);

    return NGX_OK;
}


/* the helper went away: each question is told whether it was written */

static void
ngx_cweb_jchan_lost(ngx_cweb_jchan_t *ch)
{
    off_t           sent;
    ngx_queue_t     lost, *qq;
    ngx_cweb_jq_t  *q;

    /* a helper that never accepted the connection read none of it */
    sent = ch->hello ? ch->sent : 0;
    ngx_cweb_jchan_close(ch);

    /* the callbacks may ask again: on the next connection */
    ngx_queue_init(&lost);

    while (!ngx_queue_empty(&ch->asked)) {
        qq = ngx_queue_head(&ch->asked);
        q = ngx_queue_data(qq, ngx_cweb_jq_t, queue);
        ngx_cweb_jchan_forget(q);
        ngx_queue_insert_tail(&lost, &q->queue);
        q->losing = 1;
    }

    while (!ngx_queue_empty(&lost)) {
        qq = ngx_queue_head(&lost);
        ngx_queue_remove(qq);
        q = ngx_queue_data(qq, ngx_cweb_jq_t, queue);
        q->losing = 0;
        q->lost(q, q->end <= sent);
    }
}


/* what was not written is dropped with it */

static void
ngx_cweb_jchan_close(ngx_cweb_jchan_t *ch)
{
    ngx_close_connection(ch->c);
    ch->c = NULL;
    ngx_cweb_jbuf_free(&ch->in);
    ngx_cweb_jbuf_free(&ch->out);
}
