/* t/plugins/bigdata.c: an object of @KB@ KB of initialised data */
#include <cweb.h>

static const char  blob[@KB@ * 1024] = { 1 };


static int
size(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "%zu %d\n", sizeof(blob),
             blob[0]);
    return 0;
}


export module_t config = {
    .name = "bigdata",
    .author = "t",
    .routes = {
        {"/bigdata", "GET", size, NONE},
    },
    .size = 1,
};
