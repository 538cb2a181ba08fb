/* t/plugins/compat_badname.c: config.name is @NAME@ (a C literal) */
#include <cweb.h>


static int
h(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    return 0;
}


export module_t config = {
    .name = @NAME@,
    .routes = { {"/compat/badname", "GET", h, NONE} },
    .size = 1,
};
