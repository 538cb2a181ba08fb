/*
 * t/plugins/route_trie.c: regexes filed at different depths of the prefix
 * index (none, only "/", a deep one, one ending in a repeated byte, one
 * with escaped and bracketed literals); each must still be found.  Every
 * answer is "<label> <path>".
 */
#include <cweb.h>

#define ROUTE_HANDLER(fn, label)                                              \
    static int                                                                \
    fn(struct cweb_context *ctx, http_request_t *req, http_response_t *res)   \
    {                                                                         \
        snprintf(res->body, HTTP_RESPONSE_SIZE, label " %s\n", req->path);    \
        return 0;                                                             \
    }

ROUTE_HANDLER(alt, "alt")
ROUTE_HANDLER(anchored, "anchored")
ROUTE_HANDLER(deep, "deep")
ROUTE_HANDLER(group, "group")
ROUTE_HANDLER(plus, "plus")
ROUTE_HANDLER(literal, "literal")


export module_t config = {
    .name = "route_trie",
    .author = "t",
    .routes = {
        {"/t/x|/t/y/z", "GET", alt, NONE},          /* "|" on top: no prefix */
        {"/t/ab?$", "GET", anchored, NONE},         /* prefix "/t/a" */
        {"/t/a/b/c/[0-9]", "GET", deep, NONE},      /* prefix "/t/a/b/c/" */
        {"/(t/q|u/q)[0-9]", "GET", group, NONE},    /* prefix "/" */
        {"/t/p+q", "GET", plus, NONE},              /* prefix "/t/p" */
        {"/t/[.]x\\.y", "GET", literal, NONE},      /* prefix "/t/.x.y" */
    },
    .size = 6,
};
