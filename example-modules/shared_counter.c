/*
 * shared_counter.c - a counter every nginx worker shares: GET
 * /shared_counter answers with a number that grows by one per request,
 * whichever worker takes it (counter.c's grows per worker).  It lives in
 * a cweb_shared_zone, so it survives "nginx -s reload" and a new version
 * of this plugin; POST /shared_counter/reset sets it back to 0.
 *
 * nginx.conf needs the zone (conf/nginx.conf has it):
 *
 *   cweb_shared_zone counters 1m;
 *
 *   curl --data-binary @example-modules/shared_counter.c localhost:8080/mgnt
 *   curl localhost:8080/shared_counter
 */

#include <inttypes.h>
#include <stdio.h>
#include <cweb.h>


static int
count(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int64_t  n;

    if (cweb_shared_incr("counters", "shared_counter", 1, &n) != CWEB_OK) {
        /* the error log says why (no such zone in nginx.conf?) */
        res->status = HTTP_500_INTERNAL_SERVER_ERROR;
        snprintf(res->body, HTTP_RESPONSE_SIZE, "no counter\n");
        return 0;
    }

    snprintf(res->body, HTTP_RESPONSE_SIZE, "shared counter: %" PRId64 "\n",
             n);
    http_kv_insert(res->headers, "Content-Type", strdup("text/plain"));

    return 0;
}


static int
reset(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    (void) cweb_shared_delete("counters", "shared_counter");
    snprintf(res->body, HTTP_RESPONSE_SIZE, "shared counter: 0\n");

    return 0;
}


export module_t config = {
    .name = "shared_counter",
    .author = "cweb",
    .routes = {
        {"/shared_counter", "GET", count, NONE},
        {"/shared_counter/reset", "POST", reset, NONE},
    },
    .size = 2,
};
