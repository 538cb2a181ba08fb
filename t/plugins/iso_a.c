/* t/plugins/iso_a.c: a global and a function named like nginx's own */
#include <stdint.h>
#include <cweb.h>

int  shared_value = 100;


/* nginx exports this name; the plugin's own must win inside the plugin */
uintptr_t
ngx_escape_html(void)
{
    return 4242;
}


static int
a(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "a %d own %lu\n", ++shared_value,
             (unsigned long) ngx_escape_html());
    return 0;
}


export module_t config = {
    .name = "iso_a",
    .routes = { {"/iso/a", "GET", a, NONE} },
    .size = 1,
};
