/*
 * t/plugins/compat_names.c: a module name with a space, as c-web-modules
 * accepts it (@V@ tells versions apart).
 */
#include <cweb.h>


static int
names(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "my module @V@\n");
    return 0;
}


export module_t config = {
    .name = "My Module",
    .author = "Jane Doe",
    .routes = { {"/compat/names", "GET", names, NONE} },
    .size = 1,
};
