
/*
 * The route table of one generation: exact paths in an nginx hash, regex
 * routes (anchored POSIX extended) in declaration order, plugins sorted
 * by name so that the order does not depend on load order.  No I/O.
 */


#include "ngx_cweb.h"


/*
 * exact paths: a chained hash of groups (one per distinct path); nginx's
 * ngx_hash_t lowercases its keys and paths are case-sensitive
 */
typedef struct ngx_cweb_route_group_s  ngx_cweb_route_group_t;

struct ngx_cweb_route_group_s {
    ngx_cweb_route_group_t     *next;
    ngx_uint_t                  key;
    ngx_cweb_route_t           *routes;       /* same path, any method */
    ngx_uint_t                  n;
};


struct ngx_cweb_router_s {
    ngx_pool_t                 *pool;
    ngx_cweb_route_group_t    **buckets;
    ngx_uint_t                  mask;         /* buckets - 1, power of 2 */
    ngx_array_t                 regex;        /* of ngx_cweb_route_t */
};


static ngx_int_t ngx_cweb_router_add(ngx_cweb_router_t *router,
    ngx_array_t *exact, ngx_cweb_plugin_t *p, route_info_t *rt);
static int ngx_libc_cdecl ngx_cweb_route_cmp(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_cweb_plugin_cmp(const void *one,
    const void *two);
static ngx_int_t ngx_cweb_router_method(ngx_http_request_t *r,
    ngx_cweb_route_t *rt);


ngx_uint_t
ngx_cweb_router_is_regex(u_char *path, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        switch (path[i]) {
        case '.': case '*': case '+': case '?': case '[': case ']':
        case '(': case ')': case '{': case '}': case '|': case '^':
        case '$': case '\\':
            return 1;
        }
    }

    return 0;
}


ngx_cweb_router_t *
ngx_cweb_router_create(ngx_cweb_plugin_t *plugins, ngx_log_t *log)
{
    int                      i;
    ngx_uint_t               n, k, start;
    ngx_pool_t              *pool;
    ngx_array_t              exact, sorted;
    ngx_cweb_plugin_t       *p, **pp;
    ngx_cweb_route_t        *rt;
    ngx_cweb_router_t       *router;
    ngx_cweb_route_group_t  *g;

    /* outlives the request that built it: not the request's log */
    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    router = ngx_pcalloc(pool, sizeof(ngx_cweb_router_t));
    if (router == NULL) {
        goto failed;
    }

    router->pool = pool;

    if (ngx_array_init(&router->regex, pool, 4, sizeof(ngx_cweb_route_t))
        != NGX_OK
        || ngx_array_init(&exact, pool, 16, sizeof(ngx_cweb_route_t))
           != NGX_OK
        || ngx_array_init(&sorted, pool, 16, sizeof(ngx_cweb_plugin_t *))
           != NGX_OK)
    {
        goto failed;
    }

    for (p = plugins; p; p = p->next) {
        if (p->current) {
            pp = ngx_array_push(&sorted);
            if (pp == NULL) {
                goto failed;
            }

            *pp = p;
        }
    }

    ngx_qsort(sorted.elts, sorted.nelts, sizeof(ngx_cweb_plugin_t *),
              ngx_cweb_plugin_cmp);

    pp = sorted.elts;

    for (n = 0; n < sorted.nelts; n++) {
        for (i = 0; i < pp[n]->config->size; i++) {
            if (ngx_cweb_router_add(router, &exact, pp[n],
                                    &pp[n]->config->routes[i])
                != NGX_OK)
            {
                goto failed;
            }
        }
    }

    /* one group per distinct path, pointing at its run of methods */
    ngx_qsort(exact.elts, exact.nelts, sizeof(ngx_cweb_route_t),
              ngx_cweb_route_cmp);

    for (n = 16; n < exact.nelts * 2; n *= 2) { /* void */ }

    router->mask = n - 1;
    router->buckets = ngx_pcalloc(pool, n * sizeof(ngx_cweb_route_group_t *));
    if (router->buckets == NULL) {
        goto failed;
    }

    rt = exact.elts;

    for (start = 0; start < exact.nelts; start = k) {
        for (k = start + 1;
             k < exact.nelts && rt[k].path.len == rt[start].path.len
             && ngx_strncmp(rt[k].path.data, rt[start].path.data,
                            rt[k].path.len) == 0;
             k++)
        {
            /* void */
        }

        g = ngx_palloc(pool, sizeof(ngx_cweb_route_group_t));
        if (g == NULL) {
            goto failed;
        }

        g->routes = &rt[start];
        g->n = k - start;
        g->key = ngx_hash_key(rt[start].path.data, rt[start].path.len);
        g->next = router->buckets[g->key & router->mask];
        router->buckets[g->key & router->mask] = g;
    }

    return router;

failed:

    ngx_log_error(NGX_LOG_ALERT, log, 0, "cweb route table not built");
    ngx_destroy_pool(pool);

    return NULL;
}


static ngx_int_t
ngx_cweb_router_add(ngx_cweb_router_t *router, ngx_array_t *exact,
    ngx_cweb_plugin_t *p, route_info_t *info)
{
    u_char            *pat;
    ngx_cweb_route_t  *rt;

    rt = ngx_array_push(ngx_cweb_router_is_regex((u_char *) info->path,
                                                 ngx_strlen(info->path))
                        ? &router->regex : exact);
    if (rt == NULL) {
        return NGX_ERROR;
    }

    rt->path.data = (u_char *) info->path;
    rt->path.len = ngx_strlen(info->path);
    rt->method.data = (u_char *) info->method;
    rt->method.len = ngx_strlen(info->method);
    rt->plugin = p;
    rt->route = info;
    rt->regex = NULL;

    if (!ngx_cweb_router_is_regex(rt->path.data, rt->path.len)) {
        return NGX_OK;
    }

    pat = ngx_pnalloc(router->pool, rt->path.len + 5);
    rt->regex = ngx_palloc(router->pool, sizeof(regex_t));
    if (pat == NULL || rt->regex == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(pat, "^(%V)$%Z", &rt->path);

    /* validated at upload; a failure here only drops the route */
    if (regcomp(rt->regex, (char *) pat, REG_EXTENDED|REG_NOSUB) != 0) {
        router->regex.nelts--;
        return NGX_OK;
    }

    return NGX_OK;
}


void
ngx_cweb_router_destroy(ngx_cweb_router_t *router)
{
    ngx_uint_t         i;
    ngx_cweb_route_t  *rt;

    rt = router->regex.elts;

    for (i = 0; i < router->regex.nelts; i++) {
        regfree(rt[i].regex);
    }

    ngx_destroy_pool(router->pool);
}


static ngx_int_t
ngx_cweb_router_method(ngx_http_request_t *r, ngx_cweb_route_t *rt)
{
    if (rt->method.len == r->method_name.len
        && ngx_strncmp(rt->method.data, r->method_name.data,
                       rt->method.len) == 0)
    {
        return 1;
    }

    return (r->method == NGX_HTTP_HEAD && rt->method.len == 3
            && ngx_strncmp(rt->method.data, "GET", 3) == 0);
}


/*
 * NGX_OK and *route, NGX_HTTP_NOT_ALLOWED when the path exists for other
 * methods, NGX_HTTP_NOT_FOUND otherwise; path is r->uri NUL-terminated
 */

ngx_int_t
ngx_cweb_router_match(ngx_cweb_router_t *router, ngx_http_request_t *r,
    u_char *path, ngx_cweb_route_t **route)
{
    ngx_uint_t               i, key, path_seen;
    ngx_cweb_route_t        *rt;
    ngx_cweb_route_group_t  *g;

    path_seen = 0;
    key = ngx_hash_key(r->uri.data, r->uri.len);

    for (g = router->buckets[key & router->mask]; g; g = g->next) {
        if (g->key == key && g->routes[0].path.len == r->uri.len
            && ngx_strncmp(g->routes[0].path.data, r->uri.data, r->uri.len)
               == 0)
        {
            break;
        }
    }

    if (g) {
        for (i = 0; i < g->n; i++) {
            if (ngx_cweb_router_method(r, &g->routes[i])) {
                *route = &g->routes[i];
                return NGX_OK;
            }
        }

        path_seen = 1;
    }

    rt = router->regex.elts;

    for (i = 0; i < router->regex.nelts; i++) {
        if (regexec(rt[i].regex, (char *) path, 0, NULL, 0) != 0) {
            continue;
        }

        if (ngx_cweb_router_method(r, &rt[i])) {
            *route = &rt[i];
            return NGX_OK;
        }

        path_seen = 1;
    }

    return path_seen ? NGX_HTTP_NOT_ALLOWED : NGX_HTTP_NOT_FOUND;
}


static int ngx_libc_cdecl
ngx_cweb_route_cmp(const void *one, const void *two)
{
    const ngx_cweb_route_t  *a = one;
    const ngx_cweb_route_t  *b = two;

    if (a->path.len != b->path.len) {
        return (a->path.len < b->path.len) ? -1 : 1;
    }

    return ngx_strncmp(a->path.data, b->path.data, a->path.len);
}


static int ngx_libc_cdecl
ngx_cweb_plugin_cmp(const void *one, const void *two)
{
    ngx_cweb_plugin_t  *a = *(ngx_cweb_plugin_t **) one;
    ngx_cweb_plugin_t  *b = *(ngx_cweb_plugin_t **) two;

    return ngx_memn2cmp(a->name.data, b->name.data, a->name.len, b->name.len);
}
