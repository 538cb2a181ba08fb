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
