/*
 * ok.c - bench/http's plugin: GET /p/ok answers "ok", the same two bytes
 * as the `return 200 "ok"` baseline, so the difference measured is the
 * cost of the cweb dispatch (router, request/response structs, copy).
 *
 *   curl --data-binary @bench/plugins/ok.c http://127.0.0.1:18080/mgnt
 */

#include <stdio.h>
#include <cweb.h>


static int
ok_route(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "ok");
    http_kv_insert(res->headers, "Content-Type", strdup("text/plain"));
    res->status = HTTP_200_OK;

    return 0;
}


/*
 * GET /p/typed?a=1&b=2&c=3 with "Cookie: sid=...": bench/instructions'
 * typed-argument route (issue 9, item 11): three ints in range and a
 * cookie read through the toolkit, then the same "ok"
 */
static int
typed_route(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    int          a, b, c;
    const char  *sid;

    if (cweb_arg_int_r(req, "a", &a, 0, 100) != CWEB_OK
        || cweb_arg_int_r(req, "b", &b, 0, 100) != CWEB_OK
        || cweb_arg_int(req, "c", &c) != CWEB_OK
        || cweb_cookie_get(req, "sid", &sid) != CWEB_OK)
    {
        res->status = HTTP_400_BAD_REQUEST;
        snprintf(res->body, HTTP_RESPONSE_SIZE, "bad");
        return 0;
    }

    return ok_route(ctx, req, res);
}


/* GET /p/get, /p/incr: one cweb_shared_zone read or increment, then "ok" */
static int
get_route(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int64_t  n;

    (void) cweb_shared_get_num("bench", "n", &n);

    return ok_route(ctx, req, res);
}


static int
incr_route(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    int64_t  n;

    (void) cweb_shared_incr("bench", "n", 1, &n);

    return ok_route(ctx, req, res);
}


export module_t config = {
    .name = "bench_ok",
    .author = "cweb bench",
    .routes = {
        {"/p/ok", "GET", ok_route, NONE},
        {"/p/typed", "GET", typed_route, NONE},
        {"/p/get", "GET", get_route, NONE},
        {"/p/incr", "GET", incr_route, NONE},
    },
    .size = 4,
};
