/*
 * t/plugins/parts.c: the parts of a multipart/form-data body as the
 * plugin sees them (cweb_part(), cweb_part_by_name(), req->data)
 */
#include <cweb.h>


/*
 * POST /parts[?name=<n>]: every part (or the first called n): its
 * name, file name, type, length, NUL bytes, first and last bytes in hex,
 * and what req->data shows of it
 */
static void
tk_part_line(char *out, size_t room, size_t i, const cweb_part_t *p,
    http_request_t *req)
{
    size_t        k, nul, edge;
    char          head[40], tail[40];
    const char   *d;

    for (nul = 0, k = 0; k < p->len; k++) {
        nul += (p->data[k] == 0);
    }

    edge = p->len < 8 ? p->len : 8;

    for (k = 0; k < edge; k++) {
        sprintf(head + 2 * k, "%02x", p->data[k]);
        sprintf(tail + 2 * k, "%02x", p->data[p->len - edge + k]);
    }

    head[2 * edge] = tail[2 * edge] = '\0';
    d = http_kv_get(req->data, p->name);

    snprintf(out, room, "%zu name=[%s] file=[%s] type=[%s] len=%zu nul=%zu "
             "head=%s tail=%s data=%zu\n", i, p->name,
             p->filename ? p->filename : "(none)",
             p->content_type ? p->content_type : "(none)", p->len, nul,
             head, tail, d ? strlen(d) : (size_t) 0);
}


static int
tk_parts(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int           rc;
    size_t        i, used;
    const char   *name;
    cweb_part_t   p;

    name = http_kv_get(req->params, "name");
    used = 0;
    res->body[0] = '\0';

    if (name) {
        rc = cweb_part_by_name(req, name, &p);

        if (rc == CWEB_OK) {
            tk_part_line(res->body, HTTP_RESPONSE_SIZE, 0, &p, req);
        }

        used = strlen(res->body);
        snprintf(res->body + used, HTTP_RESPONSE_SIZE - used, "rc=%d\n", rc);
        return 0;
    }

    for (i = 0; (rc = cweb_part(req, i, &p)) == CWEB_OK; i++) {
        tk_part_line(res->body + used, HTTP_RESPONSE_SIZE - used, i, &p, req);
        used += strlen(res->body + used);
    }

    snprintf(res->body + used, HTTP_RESPONSE_SIZE - used, "end rc=%d\n", rc);

    return 0;
}


export module_t config = {
    .name = "parts",
    .author = "t",
    .size = 1,
    .routes = {
        { "/parts", "POST", tk_parts, NONE },
    },
};
