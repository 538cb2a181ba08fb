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


export module_t config = {
    .name = "bench_ok",
    .author = "cweb bench",
    .routes = {
        {"/p/ok", "GET", ok_route, NONE},
    },
    .size = 1,
};
