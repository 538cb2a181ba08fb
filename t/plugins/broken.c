/* t/plugins/broken.c: a compile error on line 6, column 12 */
#include <cweb.h>

static int h(struct cweb_context *c, http_request_t *q, http_response_t *s)
{
    return no_such_variable;
}

export module_t config = { .name = "broken" };
