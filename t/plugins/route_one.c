/*
 * t/plugins/route_one.c: plugin @NAME@ with the one route @METHOD@ @PATH@
 * (a C string literal: tests escape quotes and backslashes); it answers
 * "@NAME@ <path>".
 */
#include <cweb.h>


static int
route(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "@NAME@ %s\n", req->path);
    return 0;
}


export module_t config = {
    .name = "@NAME@",
    .author = "t",
    .routes = {
        {"@PATH@", "@METHOD@", route, NONE},
    },
    .size = 1,
};
