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


export module_t config = {
    .name = "compat_map_peer",
    .author = "t",
    .routes = {
        {"/peer/get", "GET", get, NONE},
        {"/peer/set", "GET", set, NONE},
    },
    .size = 2,
};
