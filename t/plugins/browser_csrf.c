/* t/plugins/browser_csrf.c: what a hostile page tries to deploy through a
 * visitor's browser; @NAME@ is the module name and its route (/@NAME@) */
#include <cweb.h>


static int
pwned(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "@NAME@ deployed\n");
    res->status = HTTP_200_OK;
    return 0;
}


export module_t config = {
    .name = "@NAME@",
    .author = "t",
    .routes = {
        {"/@NAME@", "GET", pwned, NONE},
    },
    .size = 1,
};
