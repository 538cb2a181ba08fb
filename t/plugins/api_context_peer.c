/*
 * t/plugins/api_context_peer.c: found by api_context.c through
 * ctx->symbols->resolv(); its onload() uses the API, so it runs in the
 * resolving handler's call with the INIT context of its own.
 */
#include <cweb.h>


static void  *peer_map;

int
peer_value(void)
{
    return peer_map ? 42 : 0;
}


static void
onload(struct cweb_context *ctx)
{
    peer_map = map_create(2);
}


static int
index_page(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "peer\n");
    return 0;
}


export module_t config = {
    .name = "api_context_peer",
    .author = "t",
    .routes = {
        { "/ctxpeer", "GET", index_page, 0 },
    },
    .size = 1,
    .onload = onload,
};
