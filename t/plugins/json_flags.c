/* t/plugins/json_flags.c: one route with the flags @FLAGS@ */
#include <cweb.h>

static int
h(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    return 0;
}

export module_t config = {
    .name = "json_flags",
    .size = 1,
    .routes = { { "/jf", "GET", h, @FLAGS@ } },
};
