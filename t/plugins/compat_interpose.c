/*
 * t/plugins/compat_interpose.c: a plugin defining malloc, a variable and
 * a function named like nginx's (ngx_pagesize, ngx_palloc).  Its own code
 * gets its own; nginx, the host API and other plugins keep theirs.
 */
#include <cweb.h>

static unsigned char  arena[4096];
static size_t         used;
static int            calls;

unsigned long  ngx_pagesize = 7;


void *
malloc(size_t size)
{
    void  *p;

    size = (size + 15) & ~(size_t) 15;

    if (used + size > sizeof(arena)) {
        return NULL;
    }

    p = arena + used;
    used += size;
    calls++;

    return p;
}


void *
ngx_palloc(void *pool, size_t size)
{
    return (void *) &calls;
}


static int
interpose(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    void   *own, *host;
    void *(*volatile m)(size_t) = malloc;

    own = m(16);
    host = cweb_palloc(req, 16);
    ngx_pagesize++;

    snprintf(res->body, HTTP_RESPONSE_SIZE,
             "malloc calls=%d own=%s pagesize=%lu ngx_palloc=%s host=%s\n",
             calls, own ? "yes" : "no", ngx_pagesize,
             ngx_palloc(NULL, 1) == (void *) &calls ? "own" : "nginx",
             host ? "ok" : "NULL");
    return 0;
}


export module_t config = {
    .name = "compat_interpose",
    .author = "t",
    .routes = { {"/compat/interpose", "GET", interpose, NONE} },
    .size = 1,
};
