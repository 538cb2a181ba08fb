/*
 * ver.c - bench/deploy's plugin: GET /p/ver answers "ver <marker>\n".
 * bench/deploy rewrites the BENCH_MARKER line for every deploy, so each
 * version has its own source (and so its own compile) and its own answer.
 *
 *   curl --data-binary @bench/plugins/ver.c http://127.0.0.1:18081/mgnt
 *   curl http://127.0.0.1:18081/p/ver
 */

#include <stdio.h>
#include <cweb.h>

#define BENCH_MARKER "v0"


static int
ver_route(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "ver %s\n", BENCH_MARKER);
    http_kv_insert(res->headers, "Content-Type", strdup("text/plain"));
    res->status = HTTP_200_OK;

    return 0;
}


export module_t config = {
    .name = "bench_ver",
    .author = "cweb bench",
    .routes = {
        {"/p/ver", "GET", ver_route, NONE},
    },
    .size = 1,
};
