/*
 * t/plugins/compat_sym_user.c: resolves compat_sym_lib.c's globals by
 * name; defines compat_twice itself, which must stay its own; the host's
 * entry symbols and compat_lib's globals are not reachable otherwise.
 */
#include <dlfcn.h>
#include <cweb.h>


int
compat_twice(int x)
{
    return 3 * x;
}


static const char *
found(void *p)
{
    return p ? "found" : "null";
}


static int
user(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int              own, lib, only, *counter;
    int            (*twice)(int);
    int            (*lib_only)(int);
    struct symbols  *s;

    s = ctx->symbols;
    twice = s->resolv(s->user_data, "compat_lib", "compat_twice");
    lib_only = s->resolv(s->user_data, "compat_lib", "compat_lib_only");
    counter = s->resolv(s->user_data, "compat_lib", "compat_counter");

    own = compat_twice(5);
    lib = twice ? twice(5) : -1;
    only = lib_only ? lib_only(1) : -1;

    snprintf(res->body, HTTP_RESPONSE_SIZE,
             "own=%d lib=%d only=%d counter=%d nomod=%s nosym=%s api=%s "
             "bind=%s abi=%s global=%s\n",
             own, lib, only, counter ? *counter : -1,
             found(s->resolv(s->user_data, "compat_nope", "compat_twice")),
             found(s->resolv(s->user_data, "compat_lib", "compat_nothing")),
             found(s->resolv(s->user_data, "compat_lib", "cweb_api")),
             found(s->resolv(s->user_data, "compat_lib", "cweb_plugin_bind")),
             found(s->resolv(s->user_data, "compat_lib", "cweb_abi_version")),
             found(dlsym(RTLD_DEFAULT, "compat_lib_only")));
    return 0;
}


static int
null_args(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "null module=%s symbol=%s\n",
             found(ctx->symbols->resolv(NULL, NULL, "compat_twice")),
             found(ctx->symbols->resolv(NULL, "compat_lib", NULL)));
    return 0;
}


export module_t config = {
    .name = "compat_user",
    .author = "t",
    .routes = {
        {"/compat/user", "GET", user, NONE},
        {"/compat/user/null", "GET", null_args, NONE},
    },
    .size = 2,
};
