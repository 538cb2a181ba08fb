
/*
 * The route table of one generation.  No I/O.
 *
 * - Exact paths: a chained hash of groups, one per distinct path (nginx's
 *   ngx_hash_t lowercases keys; paths are case-sensitive).
 * - Regex paths: compiled once per plugin version (ngx_cweb_ere.h checks
 *   and translates them to PCRE2; JIT when available) and matched with a
 *   match limit, so no pattern can stall a worker.  A miss must not walk
 *   every regex: each one is filed in a byte trie under the literal prefix
 *   all its matches start with, and a request tries only the regexes on
 *   its path through the trie.
 * - Precedence: an exact route beats a regex; among regexes, plugins in
 *   name order, then each plugin's routes in declaration order.  Two
 *   plugins never hold overlapping routes for one method (the deploy
 *   refuses them), so this order only decides within a plugin.
 *
 * PCRE2 is called directly rather than through ngx_regex_compile(): its
 * allocator only works inside nginx's configuration and module init, so
 * patterns compiled at runtime could not get JIT code; the match context
 * carries our match and depth limits.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_ere.h"
#include "ngx_cweb_loader.h"

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>


#define NGX_CWEB_MATCH_LIMIT   100000
#define NGX_CWEB_DEPTH_LIMIT   1000


typedef struct ngx_cweb_route_group_s  ngx_cweb_route_group_t;

struct ngx_cweb_route_group_s {
    ngx_cweb_route_group_t     *next;
    ngx_uint_t                  key;
    ngx_cweb_route_t          **routes;       /* same path, any method */
    ngx_uint_t                  n;
};


typedef struct ngx_cweb_trie_s  ngx_cweb_trie_t;

struct ngx_cweb_trie_s {
    ngx_cweb_trie_t            *child;        /* first, sorted by byte */
    ngx_cweb_trie_t            *sibling;
    ngx_cweb_route_t          **routes;       /* regexes with this prefix */
    ngx_uint_t                  nroutes;
    ngx_uint_t                  nalloc;
    u_char                      byte;
};


struct ngx_cweb_router_s {
    ngx_pool_t                 *pool;
    ngx_cweb_route_group_t    **buckets;
    ngx_uint_t                  mask;         /* buckets - 1, power of 2 */
    ngx_cweb_trie_t            *trie;
    ngx_cweb_route_t          **candidates;   /* scratch, nregex entries */
    ngx_uint_t                  nregex;
};


static ngx_int_t ngx_cweb_router_file(ngx_cweb_router_t *router,
    ngx_cweb_route_t *rt);
static ngx_int_t ngx_cweb_router_exact(ngx_cweb_router_t *router,
    ngx_array_t *exact);
static int ngx_libc_cdecl ngx_cweb_route_cmp(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_cweb_plugin_cmp(const void *one,
    const void *two);
static ngx_int_t ngx_cweb_router_method(ngx_http_request_t *r,
    ngx_cweb_route_t *rt);
static ngx_int_t ngx_cweb_router_regex(ngx_cweb_route_t *rt,
    ngx_http_request_t *r);


static pcre2_match_context  *ngx_cweb_match_ctx;
static pcre2_match_data     *ngx_cweb_match_data;


/* per plugin version, when its record is made */

ngx_int_t
ngx_cweb_route_compile(ngx_cweb_route_t *rt, ngx_pool_t *pool, ngx_log_t *log)
{
    int              errcode;
    long             n;
    char             err[256];
    size_t           len;
    u_char           pat[8192], msg[128], prefix[NGX_CWEB_ERE_MAX_LEN + 1];
    PCRE2_SIZE       erroff;
    pcre2_code      *re;
    ngx_cweb_ere_t  *ere;

    ere = ngx_cweb_ere_parse(rt->path.data, rt->path.len, err, sizeof(err));
    if (ere == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "cweb route \"%V\" of plugin \"%V\" refused: %s",
                      &rt->path, &rt->plugin->name, err);
        return NGX_ERROR;
    }

    n = ngx_cweb_ere_pcre(ere, pat, sizeof(pat));

    /* where the route tables of every generation file it */
    len = ngx_min(ngx_cweb_ere_prefix(ere, prefix, sizeof(prefix)),
                  sizeof(prefix));
    ngx_cweb_ere_free(ere);

    rt->prefix.data = ngx_pnalloc(pool, len ? len : 1);
    if (rt->prefix.data == NULL) {
        return NGX_ERROR;
    }

    rt->prefix.len = ngx_cpymem(rt->prefix.data, prefix, len)
                     - rt->prefix.data;

    if (n < 0) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "cweb route \"%V\" of plugin \"%V\" is too long",
                      &rt->path, &rt->plugin->name);
        return NGX_ERROR;
    }

    re = pcre2_compile(pat, (PCRE2_SIZE) n, PCRE2_NO_AUTO_CAPTURE, &errcode,
                       &erroff, NULL);
    if (re == NULL) {
        (void) pcre2_get_error_message(errcode, msg, sizeof(msg));
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "cweb pcre2_compile() of route \"%V\" failed: %s",
                      &rt->path, msg);
        return NGX_ERROR;
    }

    /* without JIT the interpreter runs, under the same limits */
    rt->jit = (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0);

    rt->regex = re;

    return NGX_OK;
}


void
ngx_cweb_route_free(ngx_cweb_route_t *rt)
{
    if (rt->regex) {
        pcre2_code_free(rt->regex);
        rt->regex = NULL;
    }
}


ngx_cweb_router_t *
ngx_cweb_router_create(ngx_cweb_plugin_t *plugins, ngx_log_t *log)
{
    ngx_uint_t           n, i, order;
    ngx_pool_t          *pool;
    ngx_array_t          exact, sorted;
    ngx_cweb_route_t   **e, *rt;
    ngx_cweb_plugin_t   *p, **pp;
    ngx_cweb_router_t   *router;

    if (ngx_cweb_match_ctx == NULL) {
        ngx_cweb_match_ctx = pcre2_match_context_create(NULL);
        ngx_cweb_match_data = pcre2_match_data_create(1, NULL);
        if (ngx_cweb_match_ctx == NULL || ngx_cweb_match_data == NULL) {
            return NULL;
        }

        (void) pcre2_set_match_limit(ngx_cweb_match_ctx,
                                     NGX_CWEB_MATCH_LIMIT);
        (void) pcre2_set_depth_limit(ngx_cweb_match_ctx,
                                     NGX_CWEB_DEPTH_LIMIT);
    }

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

    router->trie = ngx_pcalloc(pool, sizeof(ngx_cweb_trie_t));
    if (router->trie == NULL
        || ngx_array_init(&exact, pool, 16, sizeof(ngx_cweb_route_t *))
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
    order = 0;

    for (n = 0; n < sorted.nelts; n++) {
        for (i = 0; i < pp[n]->nroutes; i++) {
            rt = &pp[n]->routes[i];

            /* a regex that did not compile leaves its plugin failed */
            if (ngx_cweb_ere_is_regex(rt->path.data, rt->path.len)) {
                if (rt->regex == NULL) {
                    continue;
                }

                rt->order = order++;

                if (ngx_cweb_router_file(router, rt) != NGX_OK) {
                    goto failed;
                }

                continue;
            }

            e = ngx_array_push(&exact);
            if (e == NULL) {
                goto failed;
            }

            *e = rt;
        }
    }

    router->nregex = order;
    router->candidates = ngx_palloc(pool, (order ? order : 1)
                                          * sizeof(ngx_cweb_route_t *));

    if (router->candidates == NULL
        || ngx_cweb_router_exact(router, &exact) != NGX_OK)
    {
        goto failed;
    }

    return router;

failed:

    ngx_log_error(NGX_LOG_ALERT, log, 0, "cweb route table not built");
    ngx_destroy_pool(pool);

    return NULL;
}


/* a regex under the trie node of its literal prefix */

static ngx_int_t
ngx_cweb_router_file(ngx_cweb_router_t *router, ngx_cweb_route_t *rt)
{
    u_char           *prefix;
    size_t            len, i;
    ngx_cweb_trie_t  *node, *c, **cp;
    ngx_cweb_route_t **routes;

    prefix = rt->prefix.data;
    len = rt->prefix.len;
    node = router->trie;

    for (i = 0; i < len; i++) {
        for (cp = &node->child; *cp && (*cp)->byte < prefix[i];
             cp = &(*cp)->sibling)
        {
            /* void */
        }

        if (*cp == NULL || (*cp)->byte != prefix[i]) {
            c = ngx_pcalloc(router->pool, sizeof(ngx_cweb_trie_t));
            if (c == NULL) {
                return NGX_ERROR;
            }

            c->byte = prefix[i];
            c->sibling = *cp;
            *cp = c;
        }

        node = *cp;
    }

    if (node->nroutes == node->nalloc) {
        node->nalloc = node->nalloc ? node->nalloc * 2 : 2;

        routes = ngx_palloc(router->pool,
                            node->nalloc * sizeof(ngx_cweb_route_t *));
        if (routes == NULL) {
            return NGX_ERROR;
        }

        if (node->nroutes) {
            ngx_memcpy(routes, node->routes,
                       node->nroutes * sizeof(ngx_cweb_route_t *));
        }

        node->routes = routes;
    }

    node->routes[node->nroutes++] = rt;

    return NGX_OK;
}


/* one group per distinct path, pointing at its run of methods */

static ngx_int_t
ngx_cweb_router_exact(ngx_cweb_router_t *router, ngx_array_t *exact)
{
    ngx_uint_t                n, k, start;
    ngx_cweb_route_t        **rt;
    ngx_cweb_route_group_t   *g;

    ngx_qsort(exact->elts, exact->nelts, sizeof(ngx_cweb_route_t *),
              ngx_cweb_route_cmp);

    for (n = 16; n < exact->nelts * 2; n *= 2) { /* void */ }

    router->mask = n - 1;
    router->buckets = ngx_pcalloc(router->pool,
                                  n * sizeof(ngx_cweb_route_group_t *));
    if (router->buckets == NULL) {
        return NGX_ERROR;
    }

    rt = exact->elts;

    for (start = 0; start < exact->nelts; start = k) {
        for (k = start + 1;
             k < exact->nelts && rt[k]->path.len == rt[start]->path.len
             && ngx_strncmp(rt[k]->path.data, rt[start]->path.data,
                            rt[k]->path.len) == 0;
             k++)
        {
            /* void */
        }

        g = ngx_palloc(router->pool, sizeof(ngx_cweb_route_group_t));
        if (g == NULL) {
            return NGX_ERROR;
        }

        g->routes = &rt[start];
        g->n = k - start;
        g->key = ngx_hash_key(rt[start]->path.data, rt[start]->path.len);
        g->next = router->buckets[g->key & router->mask];
        router->buckets[g->key & router->mask] = g;
    }

    return NGX_OK;
}


void
ngx_cweb_router_destroy(ngx_cweb_router_t *router)
{
    /* the regexes belong to the plugin records */
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
 * methods, NGX_HTTP_NOT_FOUND otherwise
 */

ngx_int_t
ngx_cweb_router_match(ngx_cweb_router_t *router, ngx_http_request_t *r,
    ngx_cweb_route_t **route)
{
    u_char                  *p, *last;
    ngx_int_t                rc;
    ngx_uint_t               i, j, n, key, path_seen;
    ngx_cweb_trie_t         *node, *c;
    ngx_cweb_route_t        *rt, **cand;
    ngx_cweb_route_group_t  *g;

    path_seen = 0;
    key = ngx_hash_key(r->uri.data, r->uri.len);

    for (g = router->buckets[key & router->mask]; g; g = g->next) {
        if (g->key == key && g->routes[0]->path.len == r->uri.len
            && ngx_strncmp(g->routes[0]->path.data, r->uri.data, r->uri.len)
               == 0)
        {
            for (i = 0; i < g->n; i++) {
                if (ngx_cweb_router_method(r, g->routes[i])) {
                    *route = g->routes[i];
                    return NGX_OK;
                }
            }

            path_seen = 1;
            break;
        }
    }

    if (router->nregex == 0) {
        return path_seen ? NGX_HTTP_NOT_ALLOWED : NGX_HTTP_NOT_FOUND;
    }

    /* the regexes whose literal prefix this path starts with */
    cand = router->candidates;
    n = 0;
    node = router->trie;
    p = r->uri.data;
    last = p + r->uri.len;

    for ( ;; ) {
        for (i = 0; i < node->nroutes; i++) {
            /* in precedence order: a short insertion */
            rt = node->routes[i];

            for (j = n; j > 0 && cand[j - 1]->order > rt->order; j--) {
                cand[j] = cand[j - 1];
            }

            cand[j] = rt;
            n++;
        }

        if (p == last) {
            break;
        }

        for (c = node->child; c && c->byte < *p; c = c->sibling) {
            /* void */
        }

        if (c == NULL || c->byte != *p) {
            break;
        }

        node = c;
        p++;
    }

    for (i = 0; i < n; i++) {
        rc = ngx_cweb_router_regex(cand[i], r);

        if (rc != NGX_OK) {
            continue;
        }

        if (ngx_cweb_router_method(r, cand[i])) {
            *route = cand[i];
            return NGX_OK;
        }

        path_seen = 1;
    }

    return path_seen ? NGX_HTTP_NOT_ALLOWED : NGX_HTTP_NOT_FOUND;
}


static ngx_int_t
ngx_cweb_router_regex(ngx_cweb_route_t *rt, ngx_http_request_t *r)
{
    int     rc;
    u_char  msg[128];

    /* the JIT fast path skips pcre2_match()'s checks; same match limit */
    rc = rt->jit ? pcre2_jit_match(rt->regex, r->uri.data, r->uri.len, 0, 0,
                                   ngx_cweb_match_data, ngx_cweb_match_ctx)
                 : pcre2_match(rt->regex, r->uri.data, r->uri.len, 0, 0,
                               ngx_cweb_match_data, ngx_cweb_match_ctx);

    if (rc >= 0) {
        return NGX_OK;
    }

    if (rc != PCRE2_ERROR_NOMATCH) {
        /*
         * a pattern that backtracks without end (match limit), or one of
         * the other limits (depth, heap, JIT stack): no match, and say so
         */
        if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0) {
            ngx_cpystrn(msg, (u_char *) "unknown error", sizeof(msg));
        }

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "cweb route \"%V\" of plugin \"%V\" gave up on \"%V\" "
                      "(pcre2_match() %d: %s)", &rt->path,
                      &rt->plugin->name, &r->uri, rc, msg);
    }

    return NGX_DECLINED;
}


static int ngx_libc_cdecl
ngx_cweb_route_cmp(const void *one, const void *two)
{
    const ngx_cweb_route_t  *a = *(ngx_cweb_route_t **) one;
    const ngx_cweb_route_t  *b = *(ngx_cweb_route_t **) two;

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
