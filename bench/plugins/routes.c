/*
 * routes.c - bench/routes' plugin template: the script writes one copy per
 * plugin with @P@ replaced by its name (p00, p01, ...).  Five exact routes
 * /@P@/e0 .. /@P@/e4 and five regex routes /@P@/r0/[a-z]+ .. /@P@/r4/[0-9]+
 * (literal prefix "/@P@/rN/" each), all answering "ok" like
 * bench/plugins/ok.c, without its Content-Type header.
 *
 *   sed 's/@P@/p00/g' bench/plugins/routes.c \
 *       | curl --data-binary @- http://127.0.0.1:18083/mgnt
 */

#include <stdio.h>
#include <cweb.h>


static int
ok_route(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "ok");
    res->status = HTTP_200_OK;

    return 0;
}


export module_t config = {
    .name = "@P@",
    .author = "cweb bench",
    .routes = {
        {"/@P@/e0", "GET", ok_route, NONE},
        {"/@P@/e1", "GET", ok_route, NONE},
        {"/@P@/e2", "GET", ok_route, NONE},
        {"/@P@/e3", "GET", ok_route, NONE},
        {"/@P@/e4", "GET", ok_route, NONE},
        {"/@P@/r0/[a-z]+", "GET", ok_route, NONE},
        {"/@P@/r1/[0-9]+", "GET", ok_route, NONE},
        {"/@P@/r2/[a-z]+", "GET", ok_route, NONE},
        {"/@P@/r3/[0-9]+", "GET", ok_route, NONE},
        {"/@P@/r4/[0-9]+", "GET", ok_route, NONE},
    },
    .size = 10,
};
