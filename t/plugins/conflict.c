/* t/plugins/conflict.c: another module claiming GET /hello */
#include <cweb.h>

static int h(struct cweb_context *c, http_request_t *q, http_response_t *s)
{
    snprintf(s->body, HTTP_RESPONSE_SIZE, "conflict\n");
    return 0;
}

export module_t config = {
    .name = "conflict",
    .routes = { {"/hello", "GET", h, NONE} },
    .size = 1,
};
