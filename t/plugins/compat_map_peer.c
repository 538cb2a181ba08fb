/*
 * t/plugins/compat_map_peer.c: another plugin in the same worker reads
 * what compat_map put in ctx->cache, and keeps an entry of its own.
 */
#include <cweb.h>

#define show(v)  ((v) ? (char *) (v) : "(none)")


static int
get(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE,
             "entry=%s direct=%s seed=%s onload=%s own=%s\n",
             show(container_get(ctx->cache, "compat.entry")),
             show(map_get(ctx->cache->data, "compat.direct")),
             show(ctx->cache->get("compat.seed")),
             show(container_get(ctx->cache, "compat.onload")),
             show(container_get(ctx->cache, "peer.own")));
    return 0;
}


static int
set(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "set=%d\n",
             container_set(ctx->cache, "peer.own", "peer data"));
    return 0;
}


/* keeps the pointer to compat_map's map past that version's life */

static int
leftover(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    static struct map  *saved;

    if (saved == NULL) {
        saved = container_get(ctx->cache, "compat.map");
    }

    snprintf(res->body, HTTP_RESPONSE_SIZE, "size=%zu from=%s\n",
             map_size(saved), show(map_get(saved, "from")));
    return 0;
}


export module_t config = {
    .name = "compat_map_peer",
    .author = "t",
    .routes = {
        {"/peer/get", "GET", get, NONE},
        {"/peer/set", "GET", set, NONE},
        {"/peer/map", "GET", leftover, NONE},
    },
    .size = 3,
};
