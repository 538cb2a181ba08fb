
/*
 * Unit tests for src/ngx_cweb_router.c: exact routes before regexes,
 * regexes in plugin name then declaration order, the prefix index (a regex
 * is tried only when the path starts with its literal prefix, wherever in
 * the trie that is), method matching (HEAD takes a GET route), and
 * NGX_HTTP_NOT_ALLOWED for a path that exists only for other methods,
 * NGX_HTTP_NOT_FOUND otherwise.
 *
 * The router is compiled against the nginx headers of the configured tree
 * (the Makefile's NGX_BUILD) and linked with the ERE translator and
 * PCRE2; the few nginx functions it calls (pools, ngx_hash_key, logging)
 * are stubbed below with malloc, as nginx's own objects would pull in the
 * whole core.  `make unit` builds and runs it.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_ere.h"
#include "ngx_cweb_loader.h"

#include <stdio.h>
#include <stdlib.h>


#include "check.h"


/* nginx stubs: a pool is a list of malloc()ed blocks */

typedef struct stub_block_s  stub_block_t;

struct stub_block_s {
    stub_block_t  *next;
};


volatile ngx_cycle_t  *ngx_cycle;
static ngx_cycle_t     stub_cycle;
static ngx_log_t       stub_log;


ngx_pool_t *
ngx_create_pool(size_t size, ngx_log_t *log)
{
    (void) size;
    (void) log;

    return calloc(1, sizeof(ngx_pool_t));
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    stub_block_t  *b;

    b = malloc(sizeof(stub_block_t) + size + 16);
    if (b == NULL) {
        return NULL;
    }

    /* the pool's "d.next" holds the list head */
    b->next = (stub_block_t *) pool->d.next;
    pool->d.next = (ngx_pool_t *) b;

    return (u_char *) b + 16;
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_palloc(pool, size);
    if (p) {
        memset(p, 0, size);
    }

    return p;
}


void
ngx_destroy_pool(ngx_pool_t *pool)
{
    stub_block_t  *b, *next;

    for (b = (stub_block_t *) pool->d.next; b; b = next) {
        next = b->next;
        free(b);
    }

    free(pool);
}


void *
ngx_array_push(ngx_array_t *a)
{
    void  *elts;

    if (a->nelts == a->nalloc) {
        elts = ngx_palloc(a->pool, 2 * a->nalloc * a->size);
        if (elts == NULL) {
            return NULL;
        }

        memcpy(elts, a->elts, a->nelts * a->size);
        a->elts = elts;
        a->nalloc *= 2;
    }

    return (u_char *) a->elts + a->size * a->nelts++;
}


ngx_uint_t
ngx_hash_key(u_char *data, size_t len)
{
    ngx_uint_t  i, key;

    key = 0;

    for (i = 0; i < len; i++) {
        key = ngx_hash(key, data[i]);
    }

    return key;
}


ngx_int_t
ngx_memn2cmp(u_char *s1, u_char *s2, size_t n1, size_t n2)
{
    int  m;

    m = memcmp(s1, s2, n1 < n2 ? n1 : n2);

    return m ? m : (n1 == n2 ? 0 : (n1 < n2 ? -1 : 1));
}


u_char *
ngx_cpystrn(u_char *dst, u_char *src, size_t n)
{
    if (n == 0) {
        return dst;
    }

    while (--n) {
        *dst = *src;

        if (*dst == '\0') {
            return dst;
        }

        dst++;
        src++;
    }

    *dst = '\0';

    return dst;
}


void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    (void) level;
    (void) log;
    (void) err;

    printf("# log: %s\n", fmt);
}


/* fixtures: plugins with routes "METHOD path" */

#define MAX_ROUTES_PER  8

typedef struct {
    const char         *name;
    const char         *routes[MAX_ROUTES_PER][2];
} fixture_t;


static ngx_pool_t         *fixture_pool;
static ngx_cweb_plugin_t  *made[4];
static ngx_uint_t          nmade;


static ngx_cweb_plugin_t *
plugin_make(const fixture_t *f, ngx_cweb_plugin_t *next)
{
    ngx_uint_t          i, n;
    ngx_cweb_plugin_t  *p;
    ngx_cweb_route_t   *rt;

    for (n = 0; n < MAX_ROUTES_PER && f->routes[n][0]; n++) { /* void */ }

    p = ngx_pcalloc(fixture_pool, sizeof(ngx_cweb_plugin_t));
    p->routes = ngx_pcalloc(fixture_pool, n * sizeof(ngx_cweb_route_t));
    p->name.data = (u_char *) f->name;
    p->name.len = strlen(f->name);
    p->nroutes = n;
    p->current = 1;
    p->next = next;
    made[nmade++] = p;

    for (i = 0; i < n; i++) {
        rt = &p->routes[i];
        rt->method.data = (u_char *) f->routes[i][0];
        rt->method.len = strlen(f->routes[i][0]);
        rt->path.data = (u_char *) f->routes[i][1];
        rt->path.len = strlen(f->routes[i][1]);
        rt->plugin = p;
        rt->index = i;

        if (ngx_cweb_ere_is_regex(rt->path.data, rt->path.len)) {
            CHECK(ngx_cweb_route_compile(rt, fixture_pool, &stub_log)
                  == NGX_OK);
        }
    }

    return p;
}


/* "plugin index" of the route matched, or "404" / "405" */

static const char *
match(ngx_cweb_router_t *router, const char *method, const char *uri)
{
    static char          out[64];
    ngx_int_t            rc;
    ngx_connection_t     c;
    ngx_cweb_route_t    *rt;
    ngx_http_request_t   r;

    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    c.log = &stub_log;
    r.connection = &c;
    r.uri.data = (u_char *) uri;
    r.uri.len = strlen(uri);
    r.method_name.data = (u_char *) method;
    r.method_name.len = strlen(method);
    r.method = strcmp(method, "HEAD") == 0 ? NGX_HTTP_HEAD
               : strcmp(method, "GET") == 0 ? NGX_HTTP_GET
               : NGX_HTTP_POST;

    rt = NULL;
    rc = ngx_cweb_router_match(router, &r, &rt);

    if (rc == NGX_OK) {
        snprintf(out, sizeof(out), "%.*s %d", (int) rt->plugin->name.len,
                 rt->plugin->name.data, (int) rt->index);

    } else {
        snprintf(out, sizeof(out), "%d", (int) rc);
    }

    return out;
}


#define EXPECT(router, method, uri, want)                                    \
    do {                                                                     \
        const char  *got = match(router, method, uri);                       \
        if (strcmp(got, want) == 0) {                                        \
            passed++;                                                        \
        } else {                                                             \
            failed++;                                                        \
            printf("FAIL %s:%d: %s %s: got \"%s\", want \"%s\"\n",           \
                   __FILE__, __LINE__, method, uri, got, want);              \
        }                                                                    \
    } while (0)


static const fixture_t  fixtures[] = {
    /* "zeta" sorts after "alpha": its regexes come after alpha's */
    { "zeta", {
        { "GET", "/z/[0-9]+" },
        { "GET", "/.*" },                        /* prefix "/" */
        { "POST", "/p/[a-z]+" },
        { NULL, NULL } } },
    { "alpha", {
        { "GET", "/a/[a-z]+" },                  /* declared first */
        { "GET", "/a/new" },                     /* exact: beats it */
        { "GET", "/a/.*" },
        { "POST", "/a/new" },
        { "PUT", "/only-put" },
        { "GET", "(/x|/y)/alt" },                /* prefix "/" */
        { "GET", "/deep/er/[0-9]+" },
        { NULL, NULL } } },
};


static void
test_router(void)
{
    ngx_cweb_plugin_t  *plugins;
    ngx_cweb_router_t  *router;

    /* listed zeta first: the router sorts them */
    plugins = plugin_make(&fixtures[1], NULL);
    plugins = plugin_make(&fixtures[0], plugins);

    router = ngx_cweb_router_create(plugins, &stub_log);
    CHECK(router != NULL);

    if (router == NULL) {
        return;
    }

    /* an exact route beats a regex declared before it */
    EXPECT(router, "GET", "/a/new", "alpha 1");
    EXPECT(router, "POST", "/a/new", "alpha 3");

    /* among regexes: declaration order within a plugin ... */
    EXPECT(router, "GET", "/a/news", "alpha 0");
    EXPECT(router, "GET", "/a/NEWS", "alpha 2");

    /* ... and plugins in name order: alpha's "/a/.*" before zeta's "/.*" */
    EXPECT(router, "GET", "/a/", "alpha 2");
    EXPECT(router, "GET", "/z/12", "zeta 0");
    EXPECT(router, "GET", "/z/x", "zeta 1");

    /* the prefix index: "/deep/er/" is a deep node, "/" the shallowest */
    EXPECT(router, "GET", "/deep/er/7", "alpha 6");
    EXPECT(router, "GET", "/deep/er/x", "zeta 1");
    EXPECT(router, "GET", "/y/alt", "alpha 5");
    EXPECT(router, "GET", "/q/x/alt", "zeta 1");

    /* HEAD takes a GET route, exact or regex; nothing else does */
    EXPECT(router, "HEAD", "/a/new", "alpha 1");
    EXPECT(router, "HEAD", "/z/3", "zeta 0");
    EXPECT(router, "HEAD", "/only-put", "zeta 1");

    /* 405: the path exists for other methods only */
    EXPECT(router, "POST", "/only-put", "405");
    EXPECT(router, "POST", "/z/3", "405");
    EXPECT(router, "PUT", "/a/new", "405");
    EXPECT(router, "POST", "/p/abc", "zeta 2");
    EXPECT(router, "POST", "/p/abc1", "405");

    ngx_cweb_router_destroy(router);

    /* without the catch-all: 404 for what nothing matches, anchored */
    plugins = plugin_make(&fixtures[1], NULL);
    router = ngx_cweb_router_create(plugins, &stub_log);
    CHECK(router != NULL);

    if (router == NULL) {
        return;
    }

    EXPECT(router, "GET", "/nothing", "404");
    EXPECT(router, "GET", "/a/abc", "alpha 0");
    EXPECT(router, "GET", "/x/alt", "alpha 5");
    EXPECT(router, "GET", "/q/x/alt", "404");
    EXPECT(router, "GET", "/x/altq", "404");
    EXPECT(router, "GET", "/deep/er/7x", "404");
    EXPECT(router, "GET", "/deep/er", "404");
    EXPECT(router, "GET", "/only-put", "405");
    EXPECT(router, "POST", "/a/abc", "405");
    EXPECT(router, "DELETE", "/nothing", "404");

    ngx_cweb_router_destroy(router);

    /* no plugin at all */
    router = ngx_cweb_router_create(NULL, &stub_log);
    CHECK(router != NULL);

    if (router) {
        EXPECT(router, "GET", "/", "404");
        ngx_cweb_router_destroy(router);
    }
}


int
main(void)
{
    ngx_uint_t  i, k;

    stub_log.log_level = NGX_LOG_DEBUG;
    stub_cycle.log = &stub_log;
    ngx_cycle = &stub_cycle;

    fixture_pool = ngx_create_pool(0, &stub_log);

    test_router();

    for (i = 0; i < nmade; i++) {
        for (k = 0; k < made[i]->nroutes; k++) {
            ngx_cweb_route_free(&made[i]->routes[k]);
        }
    }

    ngx_destroy_pool(fixture_pool);

    return check_report();
}
