/* t/plugins/echo.c: returns what the host put into http_request_t, as JSON */
#include <cweb.h>


static json_t *
store_json(http_kv_store_t *s)
{
    size_t   i;
    json_t  *o = json_object();

    for (i = 0; i < http_kv_size(s); i++) {
        json_object_set_new(o, s->entries[i].key,
                            json_string(s->entries[i].value));
    }

    return o;
}


static int
echo(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    static const char  *methods[] = {
        "GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH"
    };

    char    *text;
    json_t  *o;

    o = json_pack("{s:s,s:s,s:i,s:s,s:o,s:o,s:s?,s:s?}",
                  "method", req->method >= 0 ? methods[req->method] : "?",
                  "path", req->path,
                  "content_length", req->content_length,
                  "body", req->body ? req->body : "",
                  "params", store_json(req->params),
                  "data", store_json(req->data),
                  "ua", http_kv_get(req->headers, "user-agent"),
                  "x_test", http_kv_get(req->headers, "X-TEST"));

    text = json_dumps(o, JSON_COMPACT|JSON_SORT_KEYS);
    snprintf(res->body, HTTP_RESPONSE_SIZE, "%s\n", text);
    free(text);
    json_decref(o);

    http_kv_insert(res->headers, "Content-Type", strdup("application/json"));
    http_kv_insert(res->headers, "X-Echo", strdup("yes"));
    res->status = HTTP_200_OK;

    return 0;
}


/* status enum, Location, a binary 8 KB body with content_length */
static int
created(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    map_insert(res->headers, "Location", "/echo/1");
    res->status = HTTP_201_CREATED;
    snprintf(res->body, HTTP_RESPONSE_SIZE, "created\n");
    return 0;
}


static int
binary(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int  i;

    for (i = 0; i < HTTP_RESPONSE_SIZE; i++) {
        res->body[i] = (char) (i % 256);
    }

    res->content_length = HTTP_RESPONSE_SIZE;
    return 0;
}


/* any size through cweb_response_body() */
static int
big(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    size_t  i, n = 100000;
    char   *p = malloc(n);

    for (i = 0; i < n; i++) {
        p[i] = 'a' + (i % 26);
    }

    cweb_response_body(res, p, n);
    free(p);
    cweb_response_header(res, "Content-Type", "text/plain");
    return 0;
}


static int
fail(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    return -1;
}


static int
regex_route(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "regex matched %s\n", req->path);
    return 0;
}


export module_t config = {
    .name = "echo",
    .author = "t",
    .routes = {
        {"/echo", "GET", echo, NONE},
        {"/echo", "POST", echo, NONE},
        {"/echo", "PUT", echo, NONE},
        {"/echo/created", "POST", created, NONE},
        {"/echo/binary", "GET", binary, NONE},
        {"/echo/big", "GET", big, NONE},
        {"/echo/fail", "GET", fail, NONE},
        {"/echo/re/[0-9]+", "GET", regex_route, NONE},
    },
    .size = 8,
};
