/*
 * t/plugins/api_checks.c: a plugin that hands the host pointers it did not
 * get from it, or no longer may use: a request's store in work that runs
 * after the handler returned, a
 * made-up store, a destroyed one, a response or request that is not the
 * call's, calls outside a handler.  Each must come back as an error code
 * (and an error-log line), never as a crash of the worker.
 */
#include <cweb.h>


static http_kv_store_t   fake_store;
static http_response_t   fake_res;
static http_request_t    fake_req;
static void             *onload_palloc;
static int               onload_body;


/* work that runs after the handler returned, with the request's store */
static const char  *later_get = "not run";
static size_t       later_size = 99;

static void
later_work(void *data)
{
    later_get = http_kv_get(data, "Host") ? "found" : "NULL";
    later_size = http_kv_size(data);
}


static int
later(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int  rc;

    rc = scheduler_add(ctx->scheduler, later_work, req->headers, ASYNC);
    snprintf(res->body, HTTP_RESPONSE_SIZE, "scheduled rc=%d host=%s\n", rc,
             http_kv_get(req->headers, "Host"));
    return 0;
}


static int
result(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "later get=%s size=%zu\n",
             later_get, later_size);
    return 0;
}


static int
fake(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int    a, b, c;
    void  *p;

    a = http_kv_insert(&fake_store, "k", strdup("v"));
    b = cweb_response_body(&fake_res, "x", 1);
    c = cweb_response_header(&fake_res, "X-A", "b");
    p = cweb_palloc(&fake_req, 16);

    snprintf(res->body, HTTP_RESPONSE_SIZE,
             "insert=%d body=%d header=%d palloc=%s null=%s "
             "onload_palloc=%s onload_body=%d\n",
             a, b, c, p ? "ptr" : "NULL",
             http_kv_get(NULL, "k") ? "ptr" : "NULL",
             onload_palloc ? "ptr" : "NULL", onload_body);
    return 0;
}


/* a store of the plugin's own works with every function that takes one */
static int
own(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    http_kv_store_t  *s;
    size_t            n;
    char             *a, *b;

    s = http_kv_create(1);
    http_kv_insert(s, "a", strdup("1"));
    map_insert(s, "b", "2");
    map_insert(s, "b", "3");
    a = http_kv_get(s, "a");
    b = map_get(s, "b");
    n = http_kv_size(s);

    snprintf(res->body, HTTP_RESPONSE_SIZE, "a=%s b=%s size=%zu", a, b, n);

    http_kv_destroy(s, 1);

    snprintf(res->body + strlen(res->body), HTTP_RESPONSE_SIZE - 64,
             " after destroy: size=%zu\n", http_kv_size(s));
    return 0;
}


/* res->headers pointed at a store of the plugin's own: it is sent */
static int
swap_own(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    static http_kv_store_t  *mine;

    if (mine == NULL) {
        mine = http_kv_create(2);
        http_kv_insert(mine, "X-Own", strdup("yes"));
    }

    res->headers = mine;
    snprintf(res->body, HTTP_RESPONSE_SIZE, "swapped\n");
    return 0;
}


/* ... at a made-up one: the host answers 500 instead of reading it */
static int
swap_fake(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    res->headers = &fake_store;
    snprintf(res->body, HTTP_RESPONSE_SIZE, "never sent\n");
    return 0;
}


static void
onload(struct cweb_context *ctx)
{
    fake_store.size = 3;
    fake_store.capacity = 3;
    fake_store.entries = (http_kv_pair_t *) 16;
    onload_palloc = cweb_palloc(&fake_req, 16);
    onload_body = cweb_response_body(&fake_res, "x", 1);
}


export module_t config = {
    .name = "api_checks",
    .author = "t",
    .routes = {
        { "/chk/later", "GET", later, 0 },
        { "/chk/result", "GET", result, 0 },
        { "/chk/fake", "GET", fake, 0 },
        { "/chk/own", "GET", own, 0 },
        { "/chk/swap/own", "GET", swap_own, 0 },
        { "/chk/swap/fake", "GET", swap_fake, 0 },
    },
    .size = 6,
    .onload = onload,
};
