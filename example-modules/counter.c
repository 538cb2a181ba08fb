/*
 * counter.c - the smallest useful plugin: GET /counter answers with a
 * number that grows by one per request.
 *
 *   curl --data-binary @example-modules/counter.c localhost:8080/mgnt
 *   curl localhost:8080/counter
 *
 * Every nginx worker has its own copy of a plugin's globals, so with two
 * workers two counters grow side by side; a new version starts from 0.
 */

#include <stdio.h>
#include <cweb.h>

static int  counter;


static int
index_route(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "counter: %d\n", ++counter);
    http_kv_insert(res->headers, "Content-Type", strdup("text/plain"));
    res->status = HTTP_200_OK;

    return 0;
}


export module_t config = {
    .name = "counter",
    .author = "cweb",
    .routes = {
        {"/counter", "GET", index_route, NONE},
    },
    .size = 1,
};
