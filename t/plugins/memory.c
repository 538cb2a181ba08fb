/*
 * t/plugins/memory.c: what a plugin does with memory the host hands it:
 * response headers from request data, res->body replaced, exactly full,
 * cache entries pointing into the plugin (@V@: version marker).
 */
#include <cweb.h>


static char  data[] = "v@V@ data";


static int
inject(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    const char  *v = http_kv_get(req->params, "v");

    http_kv_insert(res->headers, "X-Echo", strdup(v ? v : ""));
    snprintf(res->body, HTTP_RESPONSE_SIZE, "injected\n");
    return 0;
}


static int
inject2(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    const char  *v = http_kv_get(req->params, "v");

    cweb_response_header(res, "X-Echo", v ? v : "");
    snprintf(res->body, HTTP_RESPONSE_SIZE, "injected\n");
    return 0;
}


static int
badname(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    http_kv_insert(res->headers, "Bad: Name", strdup("x"));
    snprintf(res->body, HTTP_RESPONSE_SIZE, "bad name\n");
    return 0;
}


/* framing headers of a plugin's own contradict the host's: ignored */
static int
framing(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    cweb_response_header(res, "Transfer-Encoding", "chunked");
    cweb_response_header(res, "Content-Length", "1000");
    snprintf(res->body, HTTP_RESPONSE_SIZE, "framed\n");
    return 0;
}


/* the seed's own pattern: free the host's buffer, hand over a bigger one */
static int
big(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    size_t   i, n = 20480;
    char    *p = malloc(n);

    for (i = 0; i < n; i++) {
        p[i] = 'a' + (i % 26);
    }

    free(res->body);
    res->body = p;
    res->content_length = (int) n;
    return 0;
}


static int
literal(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    res->body = "a string literal\n";
    return 0;
}


static int
full(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    memset(res->body, 'x', HTTP_RESPONSE_SIZE);
    res->content_length = HTTP_RESPONSE_SIZE;
    return 0;
}


static int
cache_set(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    ctx->cache->set("k", data);
    snprintf(res->body, HTTP_RESPONSE_SIZE, "set\n");
    return 0;
}


static int
cache_get(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    const char  *v = ctx->cache->get("k");

    snprintf(res->body, HTTP_RESPONSE_SIZE, "@V@ sees %s\n",
             v ? v : "(none)");
    return 0;
}


export module_t config = {
    .name = "memory",
    .author = "t",
    .routes = {
        {"/mem/inject", "GET", inject, NONE},
        {"/mem/inject2", "GET", inject2, NONE},
        {"/mem/badname", "GET", badname, NONE},
        {"/mem/framing", "GET", framing, NONE},
        {"/mem/big", "GET", big, NONE},
        {"/mem/literal", "GET", literal, NONE},
        {"/mem/full", "GET", full, NONE},
        {"/mem/cache-set", "GET", cache_set, NONE},
        {"/mem/cache-get", "GET", cache_get, NONE},
    },
    .size = 9,
};
