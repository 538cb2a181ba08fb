
/*
 * The workers' side of the helper's job scheduler: each worker keeps a
 * connection to <dir>/ipc/jobs.sock and asks many questions on it at
 * once, each a numbered message (ngx_cweb_jobs_proto.c).  A question
 * becomes an operation for the store thread (ngx_cweb_jobs_sched.c),
 * whose answer comes back through ngx_cweb_jobs_answer_peer() with the
 * question's number; a worker that leaves first only loses the answers,
 * the operations go on.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs_sched.h"


/* a worker's questions not answered yet, at most (then it is not read) */
#define NGX_CWEB_JOBS_ASKED_MAX   4096


struct ngx_cweb_jpeer_s {
    ngx_connection_t           *c;
    ngx_cweb_jbuf_t             in;
    ngx_cweb_jbuf_t             out;
    ngx_queue_t                 ops;          /* asked, not answered */
    ngx_uint_t                  nops;
    ngx_queue_t                 link;         /* in ngx_cweb_jobs_peers */
    ngx_uint_t                  waits;
    unsigned                    asked:1;      /* a first question came */
    unsigned                    paused:1;     /* too many asked */
    unsigned                    dead:1;       /* cannot write: to close */
};


/* the owner of the last job created (see ngx_cweb_jobs_find()) */
typedef struct {
    ngx_uint_t                  generation;
    ngx_uint_t                  any;          /* no "module" was named */
    char                        module[NGX_CWEB_NAME_LEN];
    char                        job[NGX_CWEB_JSTORE_NAME_LEN];
    char                        name[NGX_CWEB_NAME_LEN];
    char                        hash[NGX_CWEB_HASH_LEN + 1];
    ngx_uint_t                  version;
    ngx_uint_t                  valid;
} ngx_cweb_jobs_found_t;


static ngx_cweb_jobs_found_t  ngx_cweb_jobs_found;


static void ngx_cweb_jobs_peer_read(ngx_event_t *ev);
static ngx_int_t ngx_cweb_jobs_questions(ngx_cweb_jpeer_t *peer,
    ngx_uint_t again);
static void ngx_cweb_jobs_question(ngx_cweb_jpeer_t *peer, u_char *msg,
    size_t len, ngx_uint_t again);
static void ngx_cweb_jobs_peer_write(ngx_event_t *ev);
static void ngx_cweb_jobs_found_keep(ngx_cweb_jobs_found_t *f,
    ngx_uint_t gen, const char *module, const char *job,
    ngx_cweb_shm_module_t *m);
static ssize_t ngx_cweb_jobs_drain_recv(ngx_connection_t *c, u_char *buf,
    size_t size);
static void ngx_cweb_jobs_peer_close(ngx_cweb_jpeer_t *peer);
static void ngx_cweb_jobs_request(ngx_cweb_jpeer_t *peer, int64_t q,
    json_t *msg);
static ngx_uint_t ngx_cweb_jobs_new(ngx_cweb_jop_t *op, json_t *msg,
    const char **why);
static ngx_uint_t ngx_cweb_jobs_find(ngx_cweb_jop_t *op, const char *module,
    const char *job, const char **why);
static void ngx_cweb_jobs_reply(ngx_cweb_jpeer_t *peer, int64_t q,
    ngx_uint_t status, json_t *body, char *text, ngx_uint_t again);


/* the workers' connections */
static ngx_queue_t  ngx_cweb_jobs_peers = { &ngx_cweb_jobs_peers,
                                            &ngx_cweb_jobs_peers };


void
ngx_cweb_jobs_accept(ngx_event_t *ev)
{
    int                fd;
    off_t              sent;
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

        peer = ngx_calloc(sizeof(ngx_cweb_jpeer_t), ev->log);
        c = peer ? ngx_cweb_jobs_conn(fd, ev->log, peer,
                                      ngx_cweb_jobs_peer_read,
                                      ngx_cweb_jobs_peer_write)
                 : NULL;

        if (c == NULL) {
            ngx_free(peer);
            close(fd);
            break;
        }

        peer->c = c;
        ngx_queue_init(&peer->ops);
        ngx_queue_insert_tail(&ngx_cweb_jobs_peers, &peer->link);

        /*
         * the first message, before any answer: a worker that never read
         * it knows its questions were never read either (a connection in
         * the backlog of a helper that quit)
         */
        ngx_cweb_jobs_reply(peer, 0, 200, NULL, NULL, 0);

        /* written before a question is read (a fresh socket takes it) */
        sent = 0;

        if (peer->dead
            || ngx_cweb_jobs_write(c, &peer->out, &sent) == NGX_ERROR)
        {
            ngx_cweb_jobs_peer_close(peer);
            continue;
        }

        /* a worker asks at once: a silent connection is not one */
        ngx_add_timer(c->read, 30000);
        ngx_cweb_jobs_peer_read(c->read);
    }

    (void) ngx_handle_read_event(ev, 0);
}


static void
ngx_cweb_jobs_peer_read(ngx_event_t *ev)
{
    size_t             max;
    ngx_int_t          rc;
    ngx_connection_t  *c;
    ngx_cweb_jpeer_t  *peer;

    c = ev->data;
    peer = c->data;

    if (ev->timedout) {
        ngx_cweb_jobs_peer_close(peer);
        return;
    }

    max = ngx_cweb_jobs_max_message(ngx_cweb_jobs_sched_conf());

    for ( ;; ) {
        /* what was read already first: a paused peer's are there */
        if (ngx_cweb_jobs_questions(peer, 0) != NGX_OK || peer->dead) {
            ngx_cweb_jobs_peer_close(peer);
            return;
        }

        if (peer->paused) {
            return;
        }

        rc = ngx_cweb_jobs_recv(c, &peer->in, max);

        if (rc == NGX_ERROR) {
            ngx_cweb_jobs_peer_close(peer);
            return;
        }

        if (rc == NGX_AGAIN) {
            break;
        }
    }

    (void) ngx_handle_read_event(ev, 0);
}


/*
 * the whole questions read: asked of the store thread, or (again) told
 * to be asked again; NGX_ERROR: the worker broke the protocol.  A worker
 * with too many questions open, or that does not read its answers, is not
 * read until that changes: what it can make the helper hold is bounded.
 */

static ngx_int_t
ngx_cweb_jobs_questions(ngx_cweb_jpeer_t *peer, ngx_uint_t again)
{
    u_char     *msg;
    size_t      len, max;
    ngx_int_t   rc;

    max = ngx_cweb_jobs_max_message(ngx_cweb_jobs_sched_conf());

    while (!peer->dead
           && (again
               || (peer->nops < NGX_CWEB_JOBS_ASKED_MAX
                   && (size_t) (peer->out.last - peer->out.pos) < 4 * max)))
    {
        rc = ngx_cweb_jobs_next(&peer->in, max, &msg, &len);

        if (rc == NGX_AGAIN) {
            peer->paused = 0;
            return NGX_OK;
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (!peer->asked && peer->c->read->timer_set) {
            ngx_del_timer(peer->c->read);
        }

        peer->asked = 1;
        ngx_cweb_jobs_question(peer, msg, len, again);
    }

    /* read again once half of them are answered, or the answers read */
    peer->paused = 1;

    return NGX_OK;
}


/* one message: {"q":N} then the question (its JSON) */

static void
ngx_cweb_jobs_question(ngx_cweb_jpeer_t *peer, u_char *msg, size_t len,
    ngx_uint_t again)
{
    u_char            *body;
    size_t             body_len;
    int64_t            q;
    json_t            *m;
    json_error_t       jerr;
    ngx_cweb_jhead_t   head;

    q = (ngx_cweb_jobs_head(msg, len, &head, &body, &body_len) == NGX_OK)
        ? head.q : 0;

    /* not one of our workers: closed by the caller */
    if (q <= 0) {
        ngx_log_error(NGX_LOG_ERR, peer->c->log, 0,
                      "cweb jobs: a malformed question on jobs.sock");
        peer->dead = 1;
        return;
    }

    if (again) {
        ngx_cweb_jobs_reply(peer, q, 503, json_pack("{s:s}", "error",
                            "the job scheduler is restarting"), NULL, 1);
        return;
    }

    m = json_loadb((char *) body, body_len, 0, &jerr);
    ngx_cweb_jobs_request(peer, q, m);
    json_decref(m);
}


/* one question of a worker (ngx_cweb_jobs_http.c checked its form) */

static void
ngx_cweb_jobs_request(ngx_cweb_jpeer_t *peer, int64_t q, json_t *msg)
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

        ngx_cweb_jobs_reply(peer, q, status ? status : 500,
                            json_pack("{s:s}", "error",
                                      status == 500 ? "out of memory" : why),
                            NULL, 0);
        return;
    }

    op->peer = peer;
    op->q = q;
    ngx_queue_insert_tail(&peer->ops, &op->peer_link);
    peer->nops++;

    if (op->kind == NGX_CWEB_JOP_CREATE) {
        ngx_cweb_jobs_submit_new(op);
        return;
    }

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


/*
 * The plugin declaring the job: its current version is the one to run.
 * The last one found is kept with the registry's generation (bumped by
 * every deploy, state change and delete): a burst of jobs of one kind
 * reads the registry once, not a copy of it per job.  The loop's only.
 */

static ngx_uint_t
ngx_cweb_jobs_find(ngx_cweb_jop_t *op, const char *module, const char *job,
    const char **why)
{
    ngx_uint_t              status, gen;
    ngx_pool_t             *pool;
    ngx_cweb_jobs_found_t  *f;
    ngx_cweb_shm_module_t   m;

    if (job == NULL) {
        *why = "\"job\" is missing";
        return 400;
    }

    f = &ngx_cweb_jobs_found;
    gen = ngx_cweb_shm_generation();

    if (!(f->valid && f->generation == gen
          && (module ? !f->any && ngx_strcmp(f->module, module) == 0
                     : f->any)
          && ngx_strcmp(f->job, job) == 0))
    {
        pool = ngx_create_pool(4096, ngx_cycle->log);
        if (pool == NULL) {
            return 500;
        }

        status = ngx_cweb_jobs_owner(pool, module, job, &m, why);

        if (status == 0) {
            ngx_cweb_jobs_found_keep(f, gen, module, job, &m);
        }

        ngx_destroy_pool(pool);

        if (status) {
            return status;
        }
    }

    op->job.module = strdup(f->name);
    op->job.job = strdup(job);
    op->job.module_hash = strdup(f->hash);
    op->job.version = f->version;

    if (op->job.module == NULL || op->job.job == NULL
        || op->job.module_hash == NULL)
    {
        *why = "out of memory";
        return 500;
    }

    return 0;
}


/* names too long to keep are found again each time */

static void
ngx_cweb_jobs_found_keep(ngx_cweb_jobs_found_t *f, ngx_uint_t gen,
    const char *module, const char *job, ngx_cweb_shm_module_t *m)
{
    f->valid = (module == NULL || ngx_strlen(module) < sizeof(f->module))
               && ngx_strlen(job) < sizeof(f->job)
               && m->name_len < sizeof(f->name);

    f->generation = gen;
    f->any = (module == NULL);
    ngx_cpystrn((u_char *) f->module, (u_char *) (module ? module : ""),
                sizeof(f->module));
    ngx_cpystrn((u_char *) f->job, (u_char *) job, sizeof(f->job));
    ngx_cpystrn((u_char *) f->name, m->name,
                ngx_min(m->name_len + 1, sizeof(f->name)));
    ngx_memcpy(f->hash, m->module_hash, NGX_CWEB_HASH_LEN);
    f->hash[NGX_CWEB_HASH_LEN] = '\0';
    f->version = m->version;
}


/*
 * the answers put so far, written now (what a full socket does not take
 * waits for its write event): before a job may run, since one that
 * crashes the helper would take its POST's answer down with it
 */

void
ngx_cweb_jobs_peers_flush(void)
{
    ngx_queue_t       *q, *next;
    ngx_cweb_jpeer_t  *peer;

    for (q = ngx_queue_head(&ngx_cweb_jobs_peers);
         q != ngx_queue_sentinel(&ngx_cweb_jobs_peers);
         q = next)
    {
        next = ngx_queue_next(q);
        peer = ngx_queue_data(q, ngx_cweb_jpeer_t, link);

        if (!peer->dead && peer->out.pos < peer->out.last) {
            ngx_cweb_jobs_peer_write(peer->c->write);
        }
    }
}


/* the answer to a worker's question (body's reference is taken) */

void
ngx_cweb_jobs_answer_peer(ngx_cweb_jop_t *op, ngx_uint_t status,
    json_t *body)
{
    char              *text;
    ngx_cweb_jpeer_t  *peer;

    peer = op->peer;
    op->peer = NULL;
    ngx_queue_remove(&op->peer_link);
    peer->nops--;

    if (peer->paused && peer->nops < NGX_CWEB_JOBS_ASKED_MAX / 2
        && !ngx_cweb_jobs_exiting() && !peer->c->read->posted)
    {
        ngx_post_event(peer->c->read, &ngx_posted_events);
    }

    /* a body the store thread wrote as text already */
    text = op->text;
    op->text = NULL;

    ngx_cweb_jobs_reply(peer, op->q, status, body, text, 0);
}


/*
 * {"q":N,"status":S} then the body, to the worker: written from the loop
 * (many answers in one send()), or at once at exit; again: the question
 * was not carried out, the worker asks it again
 */

static void
ngx_cweb_jobs_reply(ngx_cweb_jpeer_t *peer, int64_t q, ngx_uint_t status,
    json_t *body, char *text, ngx_uint_t again)
{
    size_t      len;
    u_char      head[NGX_INT64_LEN * 2 + 48], *p, *out;
    ngx_int_t   rc;

    static u_char  too_large[] = "{\"error\":\"the answer is larger than "
                                 "cweb_job_max_payload allows: ask for less\"}";

    if (peer->dead) {
        json_decref(body);
        free(text);
        return;
    }

    if (text == NULL) {
        if (body == NULL) {
            body = json_object();
        }

        text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    }

    json_decref(body);

    out = (u_char *) text;
    len = text ? ngx_strlen(text) : 0;

    /* a worker refuses a message over the maximum, with its connection */
    if (len + sizeof(head)
        > ngx_cweb_jobs_max_message(ngx_cweb_jobs_sched_conf()))
    {
        out = too_large;
        len = sizeof(too_large) - 1;
        status = 500;
    }

    p = q ? ngx_sprintf(head, "{\"q\":%L,\"status\":%ui%s}", q, status,
                        again ? ",\"again\":true" : "")
          : ngx_cpymem(head, "{\"hello\":1}", sizeof("{\"hello\":1}") - 1);

    rc = text ? ngx_cweb_jobs_put(&peer->out, head, p - head, out, len)
              : NGX_ERROR;
    free(text);

    if (rc != NGX_OK) {
        /* closed from its write handler, never under a caller's feet */
        peer->dead = 1;

        if (!ngx_cweb_jobs_exiting() && !peer->c->write->posted) {
            ngx_post_event(peer->c->write, &ngx_posted_events);
        }

        return;
    }

    if (ngx_cweb_jobs_exiting()) {
        ngx_cweb_jobs_peer_write(peer->c->write);
        return;
    }

    if (!peer->c->write->posted) {
        ngx_post_event(peer->c->write, &ngx_posted_events);
    }
}


static void
ngx_cweb_jobs_peer_write(ngx_event_t *ev)
{
    off_t              sent;
    ngx_int_t          rc;
    ngx_connection_t  *c;
    ngx_cweb_jpeer_t  *peer;

    c = ev->data;
    peer = c->data;
    sent = 0;

    if (peer->dead) {
        /* at exit the peers are closed by ngx_cweb_jobs_peers_drain() */
        if (!ngx_cweb_jobs_exiting()) {
            ngx_cweb_jobs_peer_close(peer);
        }

        return;
    }

    for ( ;; ) {
        rc = ngx_cweb_jobs_write(c, &peer->out, &sent);

        if (rc == NGX_AGAIN && ngx_cweb_jobs_exiting()) {
            /* a worker reads its answers at once; not for long, though */
            if (++peer->waits > 100) {
                break;
            }

            ngx_msleep(10);
            continue;
        }

        if (rc == NGX_AGAIN) {
            (void) ngx_handle_write_event(ev, 0);
            return;
        }

        if (rc == NGX_OK) {
            if (peer->paused && !ngx_cweb_jobs_exiting()
                && !c->read->posted)
            {
                ngx_post_event(c->read, &ngx_posted_events);
            }

            return;
        }

        break;
    }

    /* at exit the peers are closed by ngx_cweb_jobs_peers_drain() */
    if (ngx_cweb_jobs_exiting()) {
        peer->dead = 1;
        return;
    }

    ngx_cweb_jobs_peer_close(peer);
}


/*
 * at exit, after the last answers: a worker's questions not read yet are
 * answered "again"; shutdown() first, so that what it writes after them
 * fails (EPIPE) and it knows they did not arrive
 */

void
ngx_cweb_jobs_peers_drain(void)
{
    size_t             max;
    ngx_int_t          rc;
    ngx_queue_t       *q;
    ngx_cweb_jpeer_t  *peer;

    max = ngx_cweb_jobs_max_message(ngx_cweb_jobs_sched_conf());

    while (!ngx_queue_empty(&ngx_cweb_jobs_peers)) {
        q = ngx_queue_head(&ngx_cweb_jobs_peers);
        peer = ngx_queue_data(q, ngx_cweb_jpeer_t, link);

        (void) shutdown(peer->c->fd, SHUT_RD);
        peer->c->recv = ngx_cweb_jobs_drain_recv;

        do {
            rc = ngx_cweb_jobs_questions(peer, 1);

            if (rc == NGX_OK && !peer->dead) {
                rc = ngx_cweb_jobs_recv(peer->c, &peer->in, max);
            }

        } while (rc == NGX_OK && !peer->dead);

        /* answers the loop had not written yet */
        if (!peer->dead) {
            ngx_cweb_jobs_peer_write(peer->c->write);
        }

        ngx_cweb_jobs_peer_close(peer);
    }
}


/*
 * recv() itself: the loop is over, and ngx_recv() would go by what epoll
 * last reported (nothing left) rather than by what the socket holds
 */

static ssize_t
ngx_cweb_jobs_drain_recv(ngx_connection_t *c, u_char *buf, size_t size)
{
    ssize_t  n;

    do {
        n = recv(c->fd, buf, size, 0);
    } while (n == -1 && ngx_socket_errno == NGX_EINTR);

    if (n >= 0) {
        return n;
    }

    return ngx_socket_errno == NGX_EAGAIN ? NGX_AGAIN : NGX_ERROR;
}


static void
ngx_cweb_jobs_peer_close(ngx_cweb_jpeer_t *peer)
{
    ngx_queue_t     *q;
    ngx_cweb_jop_t  *op;

    /* the worker left before the answers: the ops go on, unanswered */
    while (!ngx_queue_empty(&peer->ops)) {
        q = ngx_queue_head(&peer->ops);
        op = ngx_queue_data(q, ngx_cweb_jop_t, peer_link);
        ngx_queue_remove(q);
        op->peer = NULL;
    }

    ngx_queue_remove(&peer->link);
    ngx_close_connection(peer->c);
    ngx_cweb_jbuf_free(&peer->in);
    ngx_cweb_jbuf_free(&peer->out);
    ngx_free(peer);
}
