
/*
 * The workers' side of the helper's job scheduler: each question is one
 * connection to <dir>/ipc/jobs.sock, one length-prefixed JSON message
 * each way (ngx_cweb_jobs.h).  A question read whole becomes an operation
 * for the store thread (ngx_cweb_jobs_sched.c), whose answer comes back
 * through ngx_cweb_jobs_answer_peer(); a worker that leaves first only
 * loses the answer, the operation goes on.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs_sched.h"


struct ngx_cweb_jpeer_s {
    ngx_connection_t           *c;
    ngx_pool_t                 *pool;         /* the connection's */
    ngx_cweb_jobs_in_t          in;
    u_char                     *out;
    size_t                      out_len;
    size_t                      sent;
    ngx_uint_t                  waits;
    ngx_uint_t                  asked;        /* the question is read */
    ngx_cweb_jop_t             *op;           /* asked, not answered yet */
};


static void ngx_cweb_jobs_peer_read(ngx_event_t *ev);
static void ngx_cweb_jobs_peer_write(ngx_event_t *ev);
static void ngx_cweb_jobs_peer_close(ngx_cweb_jpeer_t *peer);
static void ngx_cweb_jobs_request(ngx_cweb_jpeer_t *peer, json_t *msg);
static ngx_uint_t ngx_cweb_jobs_new(ngx_cweb_jop_t *op, json_t *msg,
    const char **why);
static ngx_uint_t ngx_cweb_jobs_find(ngx_cweb_jop_t *op, const char *module,
    const char *job, const char **why);
static void ngx_cweb_jobs_reply(ngx_cweb_jpeer_t *peer, ngx_uint_t status,
    json_t *body);


void
ngx_cweb_jobs_accept(ngx_event_t *ev)
{
    int                fd;
    ngx_pool_t        *pool;
    ngx_connection_t  *lc, *c;
    ngx_cweb_jpeer_t  *peer;

    lc = ev->data;

    for ( ;; ) {
        fd = accept4(lc->fd, NULL, NULL, SOCK_NONBLOCK|SOCK_CLOEXEC);

        if (fd == -1) {
            if (ngx_errno != NGX_EAGAIN && ngx_errno != NGX_EINTR) {
                ngx_log_error(NGX_LOG_ERR, ev->log, ngx_errno,
                              "cweb jobs: accept4() failed");
            }

            break;
        }

        pool = ngx_create_pool(1024, ev->log);
        peer = pool ? ngx_pcalloc(pool, sizeof(ngx_cweb_jpeer_t)) : NULL;
        /* a worker whose client went away closes its question at once */
        c = peer ? ngx_cweb_jobs_conn(fd, ev->log, peer,
                                      ngx_cweb_jobs_peer_read,
                                      ngx_cweb_jobs_peer_write)
                 : NULL;

        if (c == NULL) {
            if (pool) {
                ngx_destroy_pool(pool);
            }

            close(fd);
            break;
        }

        peer->pool = pool;
        peer->c = c;

        /* a worker asks at once: a silent connection is not one */
        ngx_add_timer(c->read, 30000);
        ngx_cweb_jobs_peer_read(c->read);
    }

    (void) ngx_handle_read_event(ev, 0);
}


static void
ngx_cweb_jobs_peer_read(ngx_event_t *ev)
{
    u_char             byte;
    ssize_t            n;
    ngx_int_t          rc;
    json_t            *msg;
    json_error_t       jerr;
    ngx_connection_t  *c;
    ngx_cweb_jpeer_t  *peer;

    c = ev->data;
    peer = c->data;

    if (ev->timedout || peer->out) {
        ngx_cweb_jobs_peer_close(peer);
        return;
    }

    /* one question per connection: after it, only the worker's leaving */
    if (peer->asked) {
        n = c->recv(c, &byte, 1);

        if (n != NGX_AGAIN) {
            ngx_cweb_jobs_peer_close(peer);
        }

        return;
    }

    rc = ngx_cweb_jobs_recv(c, peer->pool, &peer->in,
                     ngx_cweb_jobs_max_message(ngx_cweb_jobs_sched_conf()));

    if (rc == NGX_AGAIN) {
        (void) ngx_handle_read_event(ev, 0);
        return;
    }

    if (rc != NGX_OK) {
        ngx_cweb_jobs_peer_close(peer);
        return;
    }

    if (ev->timer_set) {
        ngx_del_timer(ev);
    }

    msg = json_loadb((char *) peer->in.data + NGX_CWEB_JOBS_HDR,
                     peer->in.len - NGX_CWEB_JOBS_HDR, 0, &jerr);
    peer->asked = 1;

    ngx_cweb_jobs_request(peer, msg);
    json_decref(msg);
}


/* one question of a worker (ngx_cweb_jobs_http.c checked its form) */

static void
ngx_cweb_jobs_request(ngx_cweb_jpeer_t *peer, json_t *msg)
{
    ngx_uint_t       status;
    const char      *opname, *why, *s;
    ngx_cweb_jop_t  *op;

    opname = json_string_value(json_object_get(msg, "op"));
    s = json_string_value(json_object_get(msg, "uuid"));
    why = "malformed question";
    status = 400;
    op = NULL;

    if (opname == NULL) {
        /* void */

    } else if (ngx_strcmp(opname, "create") == 0) {
        op = ngx_cweb_jobs_op(NGX_CWEB_JOP_CREATE);
        status = op ? ngx_cweb_jobs_new(op, msg, &why) : 500;

    } else if (ngx_strcmp(opname, "list") == 0) {
        op = ngx_cweb_jobs_op(NGX_CWEB_JOP_LIST);
        s = json_string_value(json_object_get(msg, "state"));
        status = (op && (s == NULL || (op->state = strdup(s)))) ? 0 : 500;

        if (op) {
            op->limit = json_integer_value(json_object_get(msg, "limit"));
        }

    } else if (s && ngx_strcmp(opname, "events") == 0) {
        op = ngx_cweb_jobs_op(NGX_CWEB_JOP_EVENTS);
        status = (op && (op->uuid = strdup(s))) ? 0 : 500;

        if (op) {
            op->since = json_integer_value(json_object_get(msg, "since"));
            op->limit = json_integer_value(json_object_get(msg, "limit"));
        }

    } else if (s && (ngx_strcmp(opname, "get") == 0
                     || ngx_strcmp(opname, "cancel") == 0))
    {
        op = ngx_cweb_jobs_op(opname[0] == 'g' ? NGX_CWEB_JOP_GET
                                               : NGX_CWEB_JOP_CANCEL);
        status = (op && (op->uuid = strdup(s))) ? 0 : 500;
    }

    if (op == NULL || status) {
        if (op) {
            ngx_cweb_jobs_op_free(op);
        }

        ngx_cweb_jobs_reply(peer, status ? status : 500,
                            json_pack("{s:s}", "error",
                                      status == 500 ? "out of memory" : why));
        return;
    }

    op->peer = peer;
    peer->op = op;
    ngx_cweb_jobs_submit(op);
}


/* a new job: its plugin's current version, its uuid, its times */

static ngx_uint_t
ngx_cweb_jobs_new(ngx_cweb_jop_t *op, json_t *msg, const char **why)
{
    char                   uuid[37];
    int64_t                now, v;
    const char            *s;
    ngx_uint_t             status;
    ngx_cweb_jobs_conf_t  *jcf;

    jcf = ngx_cweb_jobs_sched_conf();

    status = ngx_cweb_jobs_find(op,
                 json_string_value(json_object_get(msg, "module")),
                 json_string_value(json_object_get(msg, "job")), why);
    if (status) {
        return status;
    }

    /* a plugin's jobs_create() made its uuid already */
    s = json_string_value(json_object_get(msg, "uuid"));

    if (s && !ngx_cweb_jstore_uuid_ok(s, ngx_strlen(s))) {
        *why = "malformed job uuid";
        return 400;
    }

    if (s) {
        ngx_memcpy(uuid, s, sizeof(uuid));

    } else if (ngx_cweb_jobs_uuid(uuid) != NGX_OK) {
        *why = "no random bytes for the job's uuid";
        return 500;
    }

    now = ngx_cweb_jobs_now();
    op->job.run_at = now;

    v = json_integer_value(json_object_get(msg, "delay_ms"));
    if (v > 0) {
        op->job.run_at = now + v;
    }

    v = json_integer_value(json_object_get(msg, "run_at"));
    if (v > 0) {
        op->job.run_at = v;
    }

    v = json_integer_value(json_object_get(msg, "timeout_ms"));
    op->job.timeout_ms = v > 0 ? v : (int64_t) jcf->timeout;

    v = json_integer_value(json_object_get(msg, "max_attempts"));
    op->job.max_attempts = v > 0 ? v : (int64_t) jcf->retries + 1;

    op->job.uuid = strdup(uuid);
    op->job.payload = strdup(json_string_value(json_object_get(msg,
                                                               "payload"))
                             ? json_string_value(json_object_get(msg,
                                                                 "payload"))
                             : "{}");

    if (op->job.uuid == NULL || op->job.payload == NULL) {
        *why = "out of memory";
        return 500;
    }

    return 0;
}


/* the plugin declaring the job: its current version is the one to run */

static ngx_uint_t
ngx_cweb_jobs_find(ngx_cweb_jop_t *op, const char *module, const char *job,
    const char **why)
{
    ngx_uint_t              status;
    ngx_pool_t             *pool;
    ngx_cweb_shm_module_t   m;

    if (job == NULL) {
        *why = "\"job\" is missing";
        return 400;
    }

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return 500;
    }

    status = ngx_cweb_jobs_owner(pool, module, job, &m, why);

    if (status == 0) {
        op->job.module = strndup((char *) m.name, m.name_len);
        op->job.job = strdup(job);
        op->job.module_hash = strndup((char *) m.module_hash,
                                      NGX_CWEB_HASH_LEN);
        op->job.version = m.version;

        if (op->job.module == NULL || op->job.job == NULL
            || op->job.module_hash == NULL)
        {
            *why = "out of memory";
            status = 500;
        }
    }

    ngx_destroy_pool(pool);

    return status;
}


/* the answer to the worker's question (body's reference is taken) */

void
ngx_cweb_jobs_answer_peer(ngx_cweb_jpeer_t *peer, ngx_uint_t status,
    json_t *body)
{
    peer->op = NULL;
    ngx_cweb_jobs_reply(peer, status, body);
}


static void
ngx_cweb_jobs_reply(ngx_cweb_jpeer_t *peer, ngx_uint_t status, json_t *body)
{
    char    *text;
    size_t   len;
    json_t  *msg;

    msg = json_pack("{s:I,s:o}", "status", (json_int_t) status, "body",
                    body ? body : json_object());
    text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);

    len = text ? strlen(text) : 0;
    peer->out = text ? ngx_pnalloc(peer->pool, NGX_CWEB_JOBS_HDR + len)
                     : NULL;

    if (peer->out == NULL) {
        free(text);
        ngx_cweb_jobs_peer_close(peer);
        return;
    }

    ngx_memcpy(ngx_cweb_jobs_frame(peer->out, len), text, len);
    peer->out_len = NGX_CWEB_JOBS_HDR + len;
    free(text);

    ngx_cweb_jobs_peer_write(peer->c->write);
}


static void
ngx_cweb_jobs_peer_write(ngx_event_t *ev)
{
    ssize_t            n;
    ngx_connection_t  *c;
    ngx_cweb_jpeer_t  *peer;

    c = ev->data;
    peer = c->data;

    while (peer->out && peer->sent < peer->out_len) {
        n = c->send(c, peer->out + peer->sent, peer->out_len - peer->sent);

        if (n == NGX_AGAIN && ngx_cweb_jobs_exiting()) {
            /* a worker reads its answer at once; not for long, though */
            if (++peer->waits > 100) {
                break;
            }

            ngx_msleep(10);
            continue;
        }

        if (n == NGX_AGAIN) {
            (void) ngx_handle_write_event(ev, 0);
            return;
        }

        if (n == NGX_ERROR) {
            break;
        }

        peer->sent += n;
    }

    if (peer->out) {
        ngx_cweb_jobs_peer_close(peer);
    }
}


static void
ngx_cweb_jobs_peer_close(ngx_cweb_jpeer_t *peer)
{
    /* the worker left before the answer: the op goes on, unanswered */
    if (peer->op) {
        peer->op->peer = NULL;
    }

    ngx_close_connection(peer->c);
    ngx_destroy_pool(peer->pool);
}
