/*
 * t/plugins/guards.c: behaviours t/066-guards.t pins down: the first value
 * of a key stays (http_kv_insert), 204/304 answers with a body, anchored
 * regex routes, and the worker's heap across many stores and requests
 * (mallinfo2(): this plugin runs in the worker that serves it).
 */
#include <cweb.h>
#include <malloc.h>


#define CHURN_STORES  2000
#define CHURN_KEYS    8
#define CHURN_VALUE   1024
#define HEADER_VALUE  65536


static size_t  mark;


static char *
value(size_t size, const char *text)
{
    char  *v = malloc(size);

    if (v != NULL) {
        snprintf(v, size, "%s", text);
    }

    return v;
}


static int
first(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    http_kv_store_t  *own;

    http_kv_insert(res->headers, "X-First", strdup("one"));
    http_kv_insert(res->headers, "x-first", strdup("two"));

    own = http_kv_create(0);
    http_kv_insert(own, "k", strdup("a"));
    http_kv_insert(own, "k", strdup("b"));
    http_kv_insert(req->params, "q", strdup("inserted"));

    snprintf(res->body, HTTP_RESPONSE_SIZE, "own k=%s size=%zu, params q=%s\n",
             http_kv_get(own, "k"), http_kv_size(own),
             http_kv_get(req->params, "q"));

    http_kv_destroy(own, 1);
    return 0;
}


static int
no_content(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    res->status = HTTP_204_NO_CONTENT;
    snprintf(res->body, HTTP_RESPONSE_SIZE, "a body a 204 must not carry\n");
    return 0;
}


static int
not_modified(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    res->status = HTTP_304_NOT_MODIFIED;
    snprintf(res->body, HTTP_RESPONSE_SIZE, "a body a 304 must not carry\n");
    return 0;
}


static int
anchored(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "anchored %s\n", req->path);
    return 0;
}


static size_t
in_use(void)
{
    struct mallinfo2  mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}


/*
 * plugin-owned stores made, filled (every key twice) and destroyed; and
 * response headers whose values are large allocations holding short text
 */
static int
churn(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int               i, k;
    char              key[16];
    http_kv_store_t  *own;

    for (i = 0; i < CHURN_STORES; i++) {
        own = http_kv_create(0);

        for (k = 0; k < 2 * CHURN_KEYS; k++) {
            snprintf(key, sizeof(key), "k%d", k % CHURN_KEYS);
            http_kv_insert(own, key, value(CHURN_VALUE, "v"));
        }

        http_kv_destroy(own, 1);
    }

    for (k = 0; k < 4; k++) {
        snprintf(key, sizeof(key), "X-Churn-%d", k);
        http_kv_insert(res->headers, key, value(HEADER_VALUE, "h"));
        http_kv_insert(res->headers, key, value(HEADER_VALUE, "again"));
    }

    snprintf(res->body, HTTP_RESPONSE_SIZE, "churned\n");
    return 0;
}


/*
 * the host's 8 KB buffer replaced by a literal (not freed), or grown with
 * realloc(): the host takes its buffer back either way
 */
static int
literal(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    res->body = "literal\n";
    return 0;
}


static int
grown(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    char  *body;

    body = realloc(res->body, 2 * HTTP_RESPONSE_SIZE);
    if (body == NULL) {
        return -1;
    }

    res->body = body;
    snprintf(res->body, 2 * HTTP_RESPONSE_SIZE, "grown\n");
    return 0;
}


static int
heap_mark(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    mark = in_use();
    snprintf(res->body, HTTP_RESPONSE_SIZE, "marked\n");
    return 0;
}


/* less than 1 MB more in use than at the mark: no leak of the churn */
static int
heap_check(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    size_t  now = in_use();

    if (now < mark + 1024 * 1024) {
        snprintf(res->body, HTTP_RESPONSE_SIZE, "heap ok\n");

    } else {
        snprintf(res->body, HTTP_RESPONSE_SIZE, "heap grew by %zu bytes\n",
                 now - mark);
    }

    return 0;
}


export module_t config = {
    .name = "guards",
    .author = "t",
    .routes = {
        {"/g/first", "GET", first, NONE},
        {"/g/204", "GET", no_content, NONE},
        {"/g/304", "GET", not_modified, NONE},
        {"/g/re/[a-z]+", "GET", anchored, NONE},
        {"(/g|/h)/alt", "GET", anchored, NONE},
        {"/g/churn", "GET", churn, NONE},
        {"/g/mark", "GET", heap_mark, NONE},
        {"/g/check", "GET", heap_check, NONE},
        {"/g/literal", "GET", literal, NONE},
        {"/g/grown", "GET", grown, NONE},
    },
    .size = 10,
};
