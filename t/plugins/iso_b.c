/* t/plugins/iso_b.c: the same global name as iso_a.c */
#include <cweb.h>

int  shared_value = 200;


static int
b(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "b %d\n", ++shared_value);
    return 0;
}


export module_t config = {
    .name = "iso_b",
    .routes = { {"/iso/b", "GET", b, NONE} },
    .size = 1,
};
