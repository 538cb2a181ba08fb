/*
 * t/plugins/route_main.c: overlapping routes inside one plugin, for route
 * precedence (exact before regex, regexes in declaration order whatever
 * their literal prefixes), HEAD, 404 and 405.  Every answer is
 * "<label> @V@ <path>".
 */
#include <cweb.h>

#define ROUTE_HANDLER(fn, label)                                              \
    static int                                                                \
    fn(struct cweb_context *ctx, http_request_t *req, http_response_t *res)   \
    {                                                                         \
        snprintf(res->body, HTTP_RESPONSE_SIZE, label " @V@ %s\n", req->path);\
        return 0;                                                             \
    }

ROUTE_HANDLER(item_az, "item-az")
ROUTE_HANDLER(exact_new, "exact-new")
ROUTE_HANDLER(exact_post, "exact-post")
ROUTE_HANDLER(rm_any, "rm-any")
ROUTE_HANDLER(rn_any, "rn-any")
ROUTE_HANDLER(rn_deep, "rn-deep")
ROUTE_HANDLER(rp_post, "rp-post")
ROUTE_HANDLER(rh, "rh")
ROUTE_HANDLER(rx, "rx")


export module_t config = {
    .name = "route_main",
    .author = "t",
    .routes = {
        /* declared before the exact route it overlaps: exact still wins */
        {"/rm/item/[a-z]+", "GET", item_az, NONE},
        {"/rm/item/new", "GET", exact_new, NONE},
        {"/rm/item/postonly", "POST", exact_post, NONE},
        /* overlaps the first regex, shorter prefix, declared after it */
        {"/rm/.*", "GET", rm_any, NONE},
        /* shorter prefix declared first: the second one never answers */
        {"/rn/.+", "GET", rn_any, NONE},
        {"/rn/deep/[0-9]+", "GET", rn_deep, NONE},
        {"/rp/[0-9]+", "POST", rp_post, NONE},
        {"/rh/[0-9]+", "GET", rh, NONE},
        {"/rx", "GET", rx, NONE},
    },
    .size = 9,
};
