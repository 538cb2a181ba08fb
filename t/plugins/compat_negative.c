/*
 * t/plugins/compat_negative.c: handlers that answer, then return -1;
 * c-web-modules sends what they answered.
 */
#include <cweb.h>


static int
missing(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    res->status = HTTP_404_NOT_FOUND;
    http_kv_insert(res->headers, "X-Compat", strdup("yes"));
    snprintf(res->body, HTTP_RESPONSE_SIZE, "not here\n");
    return -1;
}


static int
partial(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "partial answer\n");
    return -2;
}


export module_t config = {
    .name = "compat_negative",
    .author = "t",
    .routes = {
        {"/compat/negative", "GET", missing, NONE},
        {"/compat/negative/partial", "GET", partial, NONE},
    },
    .size = 2,
};
