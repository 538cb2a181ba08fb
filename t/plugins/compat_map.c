/*
 * t/plugins/compat_map.c: c-web-modules' map.h, container.h and
 * scheduler.h as an upstream plugin uses them (@V@: the version).
 */
#include <cweb.h>
#include <stdint.h>

#define out(...)                                                             \
    (void) snprintf(res->body + strlen(res->body),                          \
                    HTTP_RESPONSE_SIZE - strlen(res->body), __VA_ARGS__)

static int  sync_runs, async_runs;


/* the map is never destroyed: the host destroys it with this version */

static void
onload(struct cweb_context *ctx)
{
    struct map  *m;

    container_set(ctx->cache, "compat.onload", "v@V@ onload");

    m = map_create(4);
    map_insert(m, "from", "v@V@");
    container_set(ctx->cache, "compat.map", m);
}


static int
map_basics(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    int          one = 1, two = 2, rc, ok;
    char         key[16], buf[16];
    size_t       i;
    struct map  *m;

    res->body[0] = '\0';

    m = map_create(2);
    out("create cap=%zu size=%zu\n", m->capacity, map_size(m));

    rc = map_insert(m, "a", &one);
    out("insert=%d get=%d missing=%s\n", rc, *(int *) map_get(m, "a"),
        map_get(m, "missing") ? "found" : "null");

    rc = map_insert(m, "a", &two);
    out("dup=%d size=%zu get=%d\n", rc, map_size(m), *(int *) map_get(m, "a"));

    out("remove=%d ", map_remove(m, "a"));
    out("again=%d get=%s size=%zu\n", map_remove(m, "a"),
        map_get(m, "a") ? "found" : "null", map_size(m));

    for (i = 0, rc = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        rc |= map_insert(m, key, (void *) (uintptr_t) (i + 1));
    }

    for (i = 0, ok = 1; i < 100; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        ok &= (map_get(m, key) == (void *) (uintptr_t) (i + 1));
    }

    out("grow=%d size=%zu grown=%s all=%s\n", rc, map_size(m),
        m->capacity > 100 ? "yes" : "no", ok ? "ok" : "LOST");

    for (i = 0; i < 100; i += 2) {
        snprintf(key, sizeof(key), "k%zu", i);
        rc |= map_remove(m, key);
    }

    for (i = 0, ok = 1; i < 100; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        ok &= (map_get(m, key) == ((i % 2) ? (void *) (uintptr_t) (i + 1)
                                           : NULL));
    }

    out("half=%d size=%zu rest=%s\n", rc, map_size(m), ok ? "ok" : "WRONG");

    strcpy(buf, "copied");
    map_insert(m, buf, &one);
    strcpy(buf, "changed");
    out("key copied=%s\n", map_get(m, "copied") == &one ? "yes" : "no");

    rc = map_insert(m, "nullv", NULL);
    out("null value=%d size=%zu get=%s\n", rc, map_size(m),
        map_get(m, "nullv") ? "found" : "null");

    map_destroy(m);

    return 0;
}


static void
work(void *data)
{
    (*(int *) data)++;
}


static int
map_misuse(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    int               v = 1;
    struct map        fake = { 0 };
    struct map       *m, *gone;
    struct container  zero = { 0 };
    struct scheduler  own;

    res->body[0] = '\0';
    m = map_create(4);
    gone = map_create(4);
    map_destroy(gone);

    out("create0=%s\n", map_create(0) ? "map" : "null");
    out("insert null map=%d key=%d\n", map_insert(NULL, "k", &v),
        map_insert(m, NULL, &v));
    out("get null map=%s key=%s\n", map_get(NULL, "k") ? "found" : "null",
        map_get(m, NULL) ? "found" : "null");
    out("remove null map=%d key=%d\n", map_remove(NULL, "k"),
        map_remove(m, NULL));
    out("size null=%zu\n", map_size(NULL));
    map_destroy(NULL);
    out("not a map insert=%d size=%zu\n", map_insert(&fake, "k", &v),
        map_size(&fake));
    out("destroyed get=%s insert=%d\n", map_get(gone, "k") ? "found" : "null",
        map_insert(gone, "k", &v));
    map_destroy(m);

    out("container null=%d name=%d value=%d get=%s\n",
        container_set(NULL, "k", &v), container_set(ctx->cache, NULL, &v),
        container_set(ctx->cache, "k", NULL),
        container_get(NULL, "k") ? "found" : "null");
    out("container uninit=%d missing=%d\n", container_set(&zero, "k", &v),
        container_remove(ctx->cache, "compat.never"));

    out("scheduler null=%d work=%d state=%d own=%d pending=%d\n",
        scheduler_add(NULL, work, &v, ASYNC),
        scheduler_add(ctx->scheduler, NULL, &v, ASYNC),
        scheduler_add(ctx->scheduler, work, &v, (worker_state_t) 7),
        scheduler_init(&own, 0), scheduler_pending_count(&own));

    return 0;
}


static int
refuse(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    res->body[0] = '\0';

    out("container_init=%d\n", container_init(ctx->cache, 8));
    container_shutdown(ctx->cache);
    map_destroy(ctx->cache->data);
    out("scheduler_init=%d\n", scheduler_init(ctx->scheduler, 4));
    scheduler_shutdown(ctx->scheduler);
    scheduler_request_stop(ctx->scheduler, 1);
    scheduler_cancel(ctx->scheduler);

    out("cache still set=%d ", container_set(ctx->cache, "compat.alive",
                                              "yes"));
    out("get=%s ", (char *) container_get(ctx->cache, "compat.alive"));
    out("remove=%d\n", container_remove(ctx->cache, "compat.alive"));
    out("onload entry=%s\n", (char *) container_get(ctx->cache,
                                                    "compat.onload"));
    return 0;
}


static int
own(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int               rc;
    struct container  c;

    res->body[0] = '\0';

    rc = container_init(&c, 4);
    out("init=%d set=%d ", rc, container_set(&c, "x", "one"));
    out("get=%s size=%zu ", (char *) container_get(&c, "x"), map_size(c.data));
    out("remove=%d ", container_remove(&c, "x"));
    out("again=%d ", container_remove(&c, "x"));
    container_shutdown(&c);
    out("shutdown data=%s\n", c.data ? "left" : "null");

    return 0;
}


static int
cache_set(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "set=%d direct=%d seed=%d\n",
             container_set(ctx->cache, "compat.entry", "v@V@ entry"),
             map_insert(ctx->cache->data, "compat.direct", "v@V@ direct"),
             ctx->cache->set("compat.seed", "v@V@ seed"));
    return 0;
}


static int
sched(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int  a, s;

    s = scheduler_add(ctx->scheduler, work, &sync_runs, SYNC);
    a = scheduler_add(ctx->scheduler, work, &async_runs, ASYNC);

    snprintf(res->body, HTTP_RESPONSE_SIZE,
             "add=%d/%d sync=%d async=%d pending=%d\n", s, a, sync_runs,
             async_runs, scheduler_pending_count(ctx->scheduler));
    return 0;
}


export module_t config = {
    .name = "compat_map",
    .author = "t",
    .routes = {
        {"/compat/map", "GET", map_basics, NONE},
        {"/compat/map/misuse", "GET", map_misuse, NONE},
        {"/compat/refuse", "GET", refuse, NONE},
        {"/compat/own", "GET", own, NONE},
        {"/compat/cache/set", "GET", cache_set, NONE},
        {"/compat/sched", "GET", sched, NONE},
    },
    .size = 6,
    .onload = onload,
};
