/*
 * t/plugins/compat_sym_lib.c: plain globals (no export) that another
 * plugin finds with ctx->symbols->resolv(), as under c-web-modules.
 */
#include <cweb.h>

int  compat_counter = 40;


/* compat_sym_user.c defines the same name */
int
compat_twice(int x)
{
    return 2 * x;
}


int
compat_lib_only(int x)
{
    return x + compat_counter++;
}


static int
lib(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "lib twice(5)=%d\n",
             compat_twice(5));
    return 0;
}


export module_t config = {
    .name = "compat_lib",
    .author = "t",
    .routes = { {"/compat/lib", "GET", lib, NONE} },
    .size = 1,
};
