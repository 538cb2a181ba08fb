/*
 * t/plugins/compat_hdr.c: a file that includes one upstream header only
 * (@HDR@), not <cweb.h>, and calls its functions: it must compile and
 * link (it has no config, so the upload is then refused for that).
 */
#include <@HDR@>

#ifdef MAP_H
size_t
probe_map(void)
{
    size_t       n;
    struct map  *m;

    m = map_create(4);
    (void) map_insert(m, "k", m);
    n = map_size(m);
    (void) map_get(m, "k");
    (void) map_remove(m, "k");
    map_destroy(m);

    return n;
}
#endif

#ifdef CONTAINER_H
void *
probe_container(struct container *c)
{
    (void) container_init(c, 4);
    (void) container_set(c, "k", c);
    (void) container_remove(c, "k");
    container_shutdown(c);

    return container_get(c, "k");
}
#endif

#ifdef SCHEDULER_H
static void
probe_work(void *data)
{
}

int
probe_scheduler(struct scheduler *s)
{
    struct work  w = { probe_work, NULL, NULL };

    (void) scheduler_init(s, 0);
    (void) scheduler_add(s, w.work, w.data, SYNC);
    scheduler_request_stop(s, 0);
    scheduler_cancel(s);
    scheduler_shutdown(s);

    return scheduler_pending_count(s) + atomic_load(&s->running);
}
#endif

#ifdef CRYPTO_H
int
probe_crypto(struct crypto *c)
{
    char           out[512];
    unsigned char  md[SHA256_DIGEST_LENGTH];
    EVP_MD_CTX    *mdctx = EVP_MD_CTX_new();

    (void) EVP_DigestInit_ex(mdctx, EVP_sha256(), NULL);
    (void) EVP_DigestFinal_ex(mdctx, md, NULL);
    EVP_MD_CTX_free(mdctx);

    if (crypto_init(c, NULL, NULL) != 0 || c->status != CRYPTO_LOADED) {
        return -1;
    }

    (void) c->ops.sign_token(c, "t", out, sizeof(out));
    crypto_shutdown(c);

    return c->ops.verify_token(c, out, "t", 1) + md[0];
}
#endif

#ifdef JOBS_H
int
probe_jobs(struct cweb_context *ctx, cweb_uuid_t *id)
{
    jobs_create_fn_t   fn = NULL;
    job_system_t      *js = ctx->jobs;

    jobs_bind(fn, js);

    return jobs_create("j", "{}", id);
}
#endif

#ifdef LIST_H
size_t
probe_list(void)
{
    size_t        n = 0;
    struct list  *l = list_create();

    list_add(l, l);
    LIST_FOREACH_SAFE(l, node, tmp) {
        n += list_remove(l, node->data);
    }
    list_iterate(l, NULL);
    list_destroy(l);

    return n;
}
#endif

#ifdef QUEUE_H
size_t
probe_queue(void)
{
    void          *item;
    struct queue  *q = queue_create(1);

    (void) queue_enqueue(q, q);
    (void) queue_try_enqueue(q, q);
    (void) queue_dequeue(q, &item);
    (void) queue_try_dequeue(q, &item);
    queue_destroy(q);

    return queue_size(NULL) + QUEUE_ERROR;
}
#endif

#ifdef POOL_H
int
probe_pool(void)
{
    struct thread_pool  *p = thread_pool_init(2);

    thread_pool_add_task(p, free, NULL);
    thread_pool_request_stop(p);
    thread_pool_cancel_all(p);
    thread_pool_destroy(p);

    return thread_pool_pending_count(p) + thread_pool_is_full(p);
}
#endif

#ifdef DEFER_H
int
probe_defer(int *out)
{
    defer { *out = 1; };

    return 0;
}
#endif

/* the server-internal headers: their types can be named */

#ifdef ROUTER_H
handler_t            probe_handler;
struct router       *probe_router;
struct module_ref   *probe_ref;
#endif

#ifdef WS_H
struct ws_server    *probe_ws;
#endif

#ifdef ACTIVE_CONN_H
active_conn_list_t  *probe_conns;
#endif

#ifdef SHUTDOWN_H
shutdown_policy_t    probe_policy = SHUTDOWN_POLICY_FORCE;
shutdown_context_t  *probe_shutdown;
#endif

#ifdef SERVER_H
env_t                 probe_env = PROD;
struct server_state  *probe_state;
#endif

#ifdef LIBEVENT_H
event_callback_t     probe_event_cb;
struct event        *probe_event;
#endif
