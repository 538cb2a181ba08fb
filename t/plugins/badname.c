/* t/plugins/badname.c: a module name with a slash */
#include <cweb.h>

static int h(struct cweb_context *c, http_request_t *q, http_response_t *s)
{ return 0; }

export module_t config = {
    .name = "bad/name",
    .routes = { {"/badname", "GET", h, NONE} },
    .size = 1,
};
