
/*
 * Manifests: what a version of a plugin serves, as text kept in SQLite
 * and the shared registry, one item a line:
 *   "R <method> <path>"   a route (path exact, or a regex: ngx_cweb_ere.h)
 *   "W <path>"            a WebSocket path
 *   "J <name>"            a job
 *   "A <author>"          config.author, when not empty (listed only;
 *                         control bytes written as "?")
 * The canary writes it from the plugin's config; everyone else reads it
 * back through ngx_cweb_manifest_parse(), which checks every item again
 * (the text may come from a database that plugins can write).
 *
 * URL space: routes may not reach what the server owns, judged by what a
 * pattern can match, not by how it is written: /jobs always (every parse),
 * and the cweb_mgnt locations of the running configuration, where no
 * plugin route is ever served (ngx_cweb_manifest_served(), when a version
 * is deployed or rolled back to); and two plugins may not serve
 * overlapping routes for the same method.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_ere.h"
#include "ngx_cweb_manifest.h"
#include "ngx_cweb_shm.h"


#define NGX_CWEB_PATH_MAX  1024


static ngx_int_t ngx_cweb_manifest_item(ngx_cweb_manifest_item_t *it,
    u_char *p, u_char *nl, ngx_uint_t *n, u_char *err, size_t errlen);
static ngx_int_t ngx_cweb_manifest_unique(ngx_array_t *items, u_char *err,
    size_t errlen);
static ngx_int_t ngx_cweb_manifest_config_name(module_t *config, u_char *err,
    size_t errlen);
static ngx_int_t ngx_cweb_manifest_config_len(module_t *config, size_t *len,
    u_char *err, size_t errlen);
static u_char *ngx_cweb_manifest_config_write(module_t *config, u_char *p);
static size_t ngx_cweb_manifest_author_len(module_t *config);
static ngx_int_t ngx_cweb_manifest_path(ngx_str_t *path, ngx_uint_t *regex,
    const char *what, u_char *err, size_t errlen);
static ngx_int_t ngx_cweb_manifest_under(ngx_str_t *path, ngx_uint_t regex,
    ngx_cweb_ere_t *re, ngx_str_t *base, ngx_uint_t prefix);
static ngx_int_t ngx_cweb_manifest_method(ngx_str_t *m);
static ngx_int_t ngx_cweb_manifest_clean(const char *s, size_t max);
static ngx_int_t ngx_cweb_manifest_clean_n(u_char *p, size_t len);
static ngx_uint_t ngx_cweb_manifest_methods_meet(ngx_cweb_manifest_item_t *a,
    ngx_cweb_manifest_item_t *b);
static ngx_int_t ngx_cweb_manifest_overlap(ngx_cweb_manifest_item_t *a,
    ngx_cweb_ere_t *ra, ngx_cweb_manifest_item_t *b, ngx_cweb_ere_t *rb,
    u_char *example, size_t *len);
static ngx_int_t ngx_cweb_manifest_conflict_one(ngx_cweb_shm_module_t *m,
    ngx_array_t *items, ngx_cweb_ere_t **ours, ngx_pool_t *pool,
    ngx_str_t *conflict);
static ngx_cweb_ere_t **ngx_cweb_manifest_automata(ngx_array_t *items,
    ngx_pool_t *pool);
static void ngx_cweb_manifest_automata_free(ngx_array_t *items,
    ngx_cweb_ere_t **re);


static const char  *ngx_cweb_methods[] = {
    "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", NULL
};


/*
 * job names: 1-127 of letters, digits, "_", "-", "." (not first); they
 * become URL path segments.  len is the whole name: a NUL inside it is
 * refused, not taken as its end
 */

ngx_int_t
ngx_cweb_name_valid(u_char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!(isalnum(name[i]) || name[i] == '_' || name[i] == '-'
              || name[i] == '.'))
        {
            return NGX_ERROR;
        }
    }

    return (i == 0 || i >= NGX_CWEB_NAME_LEN || name[0] == '.')
           ? NGX_ERROR : NGX_OK;
}


/*
 * plugin names, as c-web-modules takes them (any 1-127 bytes of
 * config.name) but for what cannot be stored or addressed: UTF-8 text
 * without control bytes or "/" (nginx decodes %2F in /mgnt/<name>), and
 * not "." or ".." (nginx resolves those path segments away).  Object file
 * names encode the rest (ngx_cweb_store_so_name()).
 */

ngx_int_t
ngx_cweb_module_name_valid(u_char *name, size_t len)
{
    u_char    *p, *last;
    uint32_t   c;

    if (len == 0 || len >= NGX_CWEB_NAME_LEN
        || (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'))))
    {
        return NGX_ERROR;
    }

    p = name;
    last = name + len;

    while (p < last) {
        if (*p < 0x80) {
            c = *p++;

        } else {
            c = ngx_utf8_decode(&p, last - p);
        }

        /* C0, "/", DEL, C1, and what does not decode */
        if (c < 0x20 || c == '/' || (c >= 0x7f && c < 0xa0) || c > 0x10ffff) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* canary: config as declared -> text, refusing what cannot be one */

ngx_int_t
ngx_cweb_manifest_from_config(module_t *config, ngx_pool_t *pool,
    ngx_str_t *text, u_char *err, size_t errlen)
{
    size_t       len;
    ngx_array_t  items;

    if (ngx_cweb_manifest_config_name(config, err, errlen) != NGX_OK
        || ngx_cweb_manifest_config_len(config, &len, err, errlen) != NGX_OK)
    {
        return NGX_ERROR;
    }

    text->data = ngx_pnalloc(pool, len + 1);
    if (text->data == NULL) {
        return NGX_ERROR;
    }

    text->len = ngx_cweb_manifest_config_write(config, text->data)
                - text->data;

    /* the same checks as every later reader of the text, and where */
    if (ngx_cweb_manifest_parse(text, pool, &items, err, errlen) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_cweb_manifest_served(&items, err, errlen);
}


/* config->author as listed: at most sizeof - 1 bytes, NUL or not */

static size_t
ngx_cweb_manifest_author_len(module_t *config)
{
    size_t  len;

    len = ngx_strnlen((u_char *) config->author, sizeof(config->author));

    return (len == sizeof(config->author)) ? len - 1 : len;
}


/* config->name and the counts */

static ngx_int_t
ngx_cweb_manifest_config_name(module_t *config, u_char *err, size_t errlen)
{
    size_t  len;

    len = ngx_strnlen((u_char *) config->name, sizeof(config->name));

    if (len == sizeof(config->name)) {
        ngx_cweb_errf(err, errlen, "invalid module name \"%*s...\": longer "
                      "than 127 bytes", (size_t) 32, config->name);
        return NGX_ERROR;
    }

    if (ngx_cweb_module_name_valid((u_char *) config->name, len) != NGX_OK) {
        ngx_cweb_errf(err, errlen, "invalid module name \"%*s\": use 1-127 "
                      "bytes of UTF-8 text without control characters or "
                      "\"/\", not \".\" or \"..\"", len, config->name);
        return NGX_ERROR;
    }

    if (config->size < 0 || config->size > MAX_ROUTES
        || config->ws_size < 0 || config->ws_size > MAX_WEBSOCKETS
        || config->job_size < 0 || config->job_size > MAX_JOBS)
    {
        ngx_cweb_errf(err, errlen, "counts out of range: size %d, ws_size "
                      "%d, job_size %d (each 0..10)", config->size,
                      config->ws_size, config->job_size);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* every item can be one manifest line: *len, the text's size */

static ngx_int_t
ngx_cweb_manifest_config_len(module_t *config, size_t *len, u_char *err,
    size_t errlen)
{
    int            i;
    size_t         alen;
    route_info_t  *rt;

    *len = 0;

    for (i = 0; i < config->size; i++) {
        rt = &config->routes[i];

        if (rt->path == NULL || rt->method == NULL || rt->handler == NULL) {
            ngx_cweb_errf(err, errlen, "route %d needs a path, a method and "
                          "a handler", i);
            return NGX_ERROR;
        }

        /* a flag this host does not know would be silently ignored */
        if ((rt->flags & ~(CWEB_JSON_STATUS|CWEB_JSON))
            || (rt->flags & CWEB_JSON_STATUS && rt->flags & CWEB_JSON))
        {
            ngx_cweb_errf(err, errlen, "route %d has flags 0x%xd: known are "
                          "CWEB_JSON_STATUS (0x100) or CWEB_JSON (0x200), "
                          "one of them", i, rt->flags);
            return NGX_ERROR;
        }

        /* one line per item: no byte of a path may end or split it */
        if (ngx_cweb_manifest_clean(rt->path, NGX_CWEB_PATH_MAX) != NGX_OK
            || ngx_cweb_manifest_clean(rt->method, 16) != NGX_OK)
        {
            ngx_cweb_errf(err, errlen, "route %d has a newline in its path "
                          "or method", i);
            return NGX_ERROR;
        }

        *len += sizeof("R  \n") + ngx_strnlen((u_char *) rt->method, 16)
               + ngx_strnlen((u_char *) rt->path, NGX_CWEB_PATH_MAX + 1);
    }

    for (i = 0; i < config->ws_size; i++) {
        if (config->websockets[i].path == NULL
            || ngx_cweb_manifest_clean(config->websockets[i].path,
                                       NGX_CWEB_PATH_MAX)
               != NGX_OK)
        {
            ngx_cweb_errf(err, errlen, "websocket %d needs a path without "
                          "newlines", i);
            return NGX_ERROR;
        }

        *len += sizeof("W \n")
               + ngx_strnlen((u_char *) config->websockets[i].path,
                             NGX_CWEB_PATH_MAX + 1);
    }

    for (i = 0; i < config->job_size; i++) {
        if (config->jobs[i].name == NULL || config->jobs[i].run == NULL
            || ngx_cweb_name_valid((u_char *) config->jobs[i].name,
                                   ngx_strnlen((u_char *) config->jobs[i].name,
                                               NGX_CWEB_NAME_LEN))
               != NGX_OK)
        {
            ngx_cweb_errf(err, errlen, "job %d needs a name (letters, digits, "
                          "\"_\", \"-\", \".\") and a run function", i);
            return NGX_ERROR;
        }

        *len += sizeof("J \n") + ngx_strlen(config->jobs[i].name);
    }

    alen = ngx_cweb_manifest_author_len(config);
    *len += alen ? sizeof("A \n") + alen : 0;

    return NGX_OK;
}


/* the manifest text of a checked config, at p; returns its end */

static u_char *
ngx_cweb_manifest_config_write(module_t *config, u_char *p)
{
    int     i;
    u_char  c;
    size_t  alen;

    alen = ngx_cweb_manifest_author_len(config);

    if (alen) {
        *p++ = 'A';
        *p++ = ' ';

        for (i = 0; i < (int) alen; i++) {
            c = (u_char) config->author[i];
            *p++ = (c < 0x20 || c == 0x7f) ? '?' : c;
        }

        *p++ = '\n';
    }

    for (i = 0; i < config->size; i++) {
        p = ngx_sprintf(p, "R %*s %*s\n",
                        ngx_strnlen((u_char *) config->routes[i].method, 16),
                        config->routes[i].method,
                        ngx_strnlen((u_char *) config->routes[i].path,
                                    NGX_CWEB_PATH_MAX + 1),
                        config->routes[i].path);
    }

    for (i = 0; i < config->ws_size; i++) {
        p = ngx_sprintf(p, "W %*s\n",
                        ngx_strnlen((u_char *) config->websockets[i].path,
                                    NGX_CWEB_PATH_MAX + 1),
                        config->websockets[i].path);
    }

    for (i = 0; i < config->job_size; i++) {
        p = ngx_sprintf(p, "J %s\n", config->jobs[i].name);
    }

    return p;
}


/*
 * text -> items (when items is not NULL), every item checked; NGX_ERROR
 * with the reason in err otherwise
 */

ngx_int_t
ngx_cweb_manifest_parse(ngx_str_t *text, ngx_pool_t *pool,
    ngx_array_t *items, u_char *err, size_t errlen)
{
    return ngx_cweb_manifest_parse_all(text, pool, items, NULL, err, errlen);
}


/* the same, and config.author (not one of the items) in *author */

ngx_int_t
ngx_cweb_manifest_parse_all(ngx_str_t *text, ngx_pool_t *pool,
    ngx_array_t *items, ngx_str_t *author_out, u_char *err, size_t errlen)
{
    u_char                    *p, *last, *nl;
    ngx_str_t                  author;
    ngx_uint_t                 n[3];
    ngx_array_t                local;
    ngx_cweb_manifest_item_t  *it;

    if (items == NULL) {
        items = &local;
    }

    if (ngx_array_init(items, pool, 8, sizeof(ngx_cweb_manifest_item_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    n[0] = n[1] = n[2] = 0;
    ngx_str_null(&author);

    p = text->data;
    last = p + text->len;

    for ( /* void */ ; p < last; p = nl + 1) {
        nl = ngx_strlchr(p, last, '\n');
        if (nl == NULL) {
            nl = last;
        }

        if (nl - p < 3 || p[1] != ' ') {
            ngx_cweb_errf(err, errlen, "malformed manifest line");
            return NGX_ERROR;
        }

        if (p[0] == 'A') {
            /* listed, not served: not one of the items */
            if (author.data
                || ngx_cweb_manifest_clean_n(p + 2, nl - p - 2) != NGX_OK)
            {
                ngx_cweb_errf(err, errlen, "malformed manifest author");
                return NGX_ERROR;
            }

            author.data = p + 2;
            author.len = nl - p - 2;
            continue;
        }

        it = ngx_array_push(items);
        if (it == NULL) {
            return NGX_ERROR;
        }

        if (ngx_cweb_manifest_item(it, p, nl, n, err, errlen) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (n[0] > MAX_ROUTES || n[1] > MAX_WEBSOCKETS || n[2] > MAX_JOBS) {
        ngx_cweb_errf(err, errlen, "counts out of range: size %ui, ws_size "
                      "%ui, job_size %ui (each 0..10)", n[0], n[1], n[2]);
        return NGX_ERROR;
    }

    if (author_out && author.data) {
        *author_out = author;
    }

    return ngx_cweb_manifest_unique(items, err, errlen);
}


/* one "R <method> <path>", "W <path>" or "J <name>" line; n counts them */

static ngx_int_t
ngx_cweb_manifest_item(ngx_cweb_manifest_item_t *it, u_char *p, u_char *nl,
    ngx_uint_t *n, u_char *err, size_t errlen)
{
    u_char  *sp;

    ngx_memzero(it, sizeof(ngx_cweb_manifest_item_t));
    it->type = p[0];
    it->value.data = p + 2;
    it->value.len = nl - p - 2;

    switch (it->type) {

    case 'R':
        sp = ngx_strlchr(p + 2, nl, ' ');
        if (sp == NULL) {
            ngx_cweb_errf(err, errlen, "malformed manifest route");
            return NGX_ERROR;
        }

        it->method.data = p + 2;
        it->method.len = sp - p - 2;
        it->value.data = sp + 1;
        it->value.len = nl - sp - 1;

        if (ngx_cweb_manifest_method(&it->method) != NGX_OK) {
            ngx_cweb_errf(err, errlen, "route \"%V\" has an unknown "
                          "method \"%V\"", &it->value, &it->method);
            return NGX_ERROR;
        }

        n[0]++;
        return ngx_cweb_manifest_path(&it->value, &it->regex, "route", err,
                                      errlen);

    case 'W':
        n[1]++;
        return ngx_cweb_manifest_path(&it->value, &it->regex, "websocket",
                                      err, errlen);

    case 'J':
        if (it->value.len >= NGX_CWEB_NAME_LEN
            || ngx_cweb_name_valid(it->value.data, it->value.len) != NGX_OK)
        {
            ngx_cweb_errf(err, errlen, "invalid job name \"%V\"",
                          &it->value);
            return NGX_ERROR;
        }

        n[2]++;
        return NGX_OK;

    default:
        ngx_cweb_errf(err, errlen, "malformed manifest line");
        return NGX_ERROR;
    }
}


/* no item declared twice (a method and path, a WebSocket path, a job) */

static ngx_int_t
ngx_cweb_manifest_unique(ngx_array_t *items, u_char *err, size_t errlen)
{
    ngx_uint_t                 i;
    ngx_cweb_manifest_item_t  *it, *all;

    all = items->elts;

    for (i = 1; i < items->nelts; i++) {
        for (it = all; it < &all[i]; it++) {
            if (it->type == all[i].type
                && it->value.len == all[i].value.len
                && ngx_strncmp(it->value.data, all[i].value.data,
                               it->value.len) == 0
                && it->method.len == all[i].method.len
                && ngx_strncmp(it->method.data, all[i].method.data,
                               it->method.len) == 0)
            {
                ngx_cweb_errf(err, errlen, "\"%*s%s%V\" is declared twice",
                              it->method.len, it->method.data,
                              it->method.len ? " " : "", &it->value);
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/* an author line as the canary writes it: no control bytes */

static ngx_int_t
ngx_cweb_manifest_clean_n(u_char *p, size_t len)
{
    size_t  i;

    if (len >= NGX_CWEB_NAME_LEN) {
        return NGX_ERROR;
    }

    for (i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_manifest_clean(const char *s, size_t max)
{
    size_t  i;

    for (i = 0; i <= max && s[i]; i++) {
        if (s[i] == '\n') {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_manifest_method(ngx_str_t *m)
{
    ngx_uint_t  i;

    for (i = 0; ngx_cweb_methods[i]; i++) {
        if (ngx_strlen(ngx_cweb_methods[i]) == m->len
            && ngx_strncmp(ngx_cweb_methods[i], m->data, m->len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_cweb_manifest_path(ngx_str_t *path, ngx_uint_t *regex, const char *what,
    u_char *err, size_t errlen)
{
    char             why[256];
    size_t           i;
    ngx_str_t        jobs, jobs_dir;
    ngx_uint_t       under;
    ngx_cweb_ere_t  *re;

    if (path->len > NGX_CWEB_PATH_MAX) {
        ngx_cweb_errf(err, errlen, "%s path is longer than %d bytes",
                      what, NGX_CWEB_PATH_MAX);
        return NGX_ERROR;
    }

    /*
     * c-web-modules compiles "^<path>$", so its plugins may spell the
     * anchors out ("^/x$") or start with a group ("(/a|/b)")
     */
    if (path->len == 0
        || (path->data[0] != '/'
            && !((path->data[0] == '^' || path->data[0] == '(')
                 && ngx_cweb_ere_is_regex(path->data, path->len))))
    {
        ngx_cweb_errf(err, errlen, "%s path \"%V\" must start with \"/\"",
                      what, path);
        return NGX_ERROR;
    }

    for (i = 0; i < path->len; i++) {
        if (path->data[i] <= ' ' || path->data[i] == 0x7f) {
            ngx_cweb_errf(err, errlen,
                          "%s path \"%V\" has a space or control character",
                          what, path);
            return NGX_ERROR;
        }
    }

    *regex = ngx_cweb_ere_is_regex(path->data, path->len);
    re = NULL;

    if (*regex) {
        re = ngx_cweb_ere_parse(path->data, path->len, why, sizeof(why));
        if (re == NULL) {
            ngx_cweb_errf(err, errlen, "%s \"%V\" is refused: %s",
                          what, path, why);
            return NGX_ERROR;
        }
    }

    /* /jobs belongs to the server whatever the configuration */
    ngx_str_set(&jobs, "/jobs");
    ngx_str_set(&jobs_dir, "/jobs/");

    under = ngx_cweb_manifest_under(path, *regex, re, &jobs, 0)
            || ngx_cweb_manifest_under(path, *regex, re, &jobs_dir, 1);

    if (re) {
        ngx_cweb_ere_free(re);
    }

    if (under) {
        ngx_cweb_errf(err, errlen, "%s path \"%V\" is under /jobs, which "
                      "the server owns", what, path);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Routes and WebSocket paths under a cweb_mgnt location of this
 * configuration are never served there: refused when a version is
 * deployed or rolled back to, by what a pattern can match (NGX_DECLINED,
 * why in err).  Not part of ngx_cweb_manifest_parse(): a stored version
 * stays readable when the configuration changes.
 */

ngx_int_t
ngx_cweb_manifest_served(ngx_array_t *items, u_char *err, size_t errlen)
{
    ngx_uint_t                 i, j, hit;
    ngx_cweb_ere_t            *re;
    ngx_cweb_reserved_t       *res;
    ngx_cweb_main_conf_t      *cmcf;
    ngx_cweb_manifest_item_t  *it;

    cmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_cweb_module);

    if (cmcf == NULL || cmcf->mgnt == NULL) {
        return NGX_OK;
    }

    it = items->elts;
    res = cmcf->mgnt->elts;

    for (i = 0; i < items->nelts; i++) {
        if (it[i].type == 'J') {
            continue;
        }

        re = NULL;

        if (it[i].regex) {
            re = ngx_cweb_ere_parse(it[i].value.data, it[i].value.len,
                                    NULL, 0);
            if (re == NULL) {
                ngx_cweb_errf(err, errlen, "no memory");
                return NGX_ERROR;
            }
        }

        for (hit = 0, j = 0; !hit && j < cmcf->mgnt->nelts; j++) {
            hit = ngx_cweb_manifest_under(&it[i].value, it[i].regex, re,
                                          &res[j].name, !res[j].exact);
        }

        if (re) {
            ngx_cweb_ere_free(re);
        }

        if (hit) {
            ngx_cweb_errf(err, errlen, "%s path \"%V\" is under the "
                          "management location \"%V\", where it is never "
                          "served", it[i].type == 'R' ? "route" : "websocket",
                          &it[i].value, &res[j - 1].name);
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* 1 when path (or what the regex re can match) reaches base[...] */

static ngx_int_t
ngx_cweb_manifest_under(ngx_str_t *path, ngx_uint_t regex,
    ngx_cweb_ere_t *re, ngx_str_t *base, ngx_uint_t prefix)
{
    ngx_int_t        rc;
    ngx_cweb_ere_t  *lit;

    if (!regex) {
        if (prefix) {
            return path->len >= base->len
                   && ngx_strncmp(path->data, base->data, base->len) == 0;
        }

        return path->len == base->len
               && ngx_strncmp(path->data, base->data, base->len) == 0;
    }

    lit = ngx_cweb_ere_literal(base->data, base->len, prefix);
    if (lit == NULL) {
        return 1;
    }

    rc = ngx_cweb_ere_intersect(re, lit, NULL, NULL, 0);
    ngx_cweb_ere_free(lit);

    /* undecidable within bounds counts as reaching it */
    return rc != 0;
}


/*
 * NGX_OK when no other plugin serves a route (or WebSocket path) that one
 * of items can also match for the same method; NGX_DECLINED with
 * "<plugin>: <method> <path>[ ...]" in conflict otherwise
 */

ngx_int_t
ngx_cweb_manifest_conflict(ngx_str_t *name, ngx_array_t *items,
    ngx_pool_t *pool, ngx_str_t *conflict)
{
    ngx_int_t               rc;
    ngx_uint_t              i;
    ngx_array_t             mods;
    ngx_cweb_ere_t        **ours;
    ngx_cweb_shm_module_t  *m;

    if (ngx_array_init(&mods, pool, 8, sizeof(ngx_cweb_shm_module_t))
        != NGX_OK
        || ngx_cweb_registry_snapshot(pool, &mods) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* each path is parsed once, not once for every path it meets */
    ours = ngx_cweb_manifest_automata(items, pool);
    if (ours == NULL) {
        return NGX_ERROR;
    }

    m = mods.elts;
    rc = NGX_OK;

    for (i = 0; rc == NGX_OK && i < mods.nelts; i++) {
        if (m[i].name_len == name->len
            && ngx_strncmp(m[i].name, name->data, name->len) == 0)
        {
            continue;
        }

        rc = ngx_cweb_manifest_conflict_one(&m[i], items, ours, pool,
                                            conflict);
    }

    ngx_cweb_manifest_automata_free(items, ours);

    return rc;
}


static ngx_int_t
ngx_cweb_manifest_conflict_one(ngx_cweb_shm_module_t *m, ngx_array_t *items,
    ngx_cweb_ere_t **ours, ngx_pool_t *pool, ngx_str_t *conflict)
{
    u_char                     err[256], example[64], *p;
    size_t                     elen;
    ngx_int_t                  rc;
    ngx_str_t                  text;
    ngx_uint_t                 i, j;
    ngx_array_t                theirs;
    ngx_cweb_ere_t           **their;
    ngx_cweb_manifest_item_t  *a, *b;

    text.data = m->manifest;
    text.len = m->manifest_len;

    /* a row that no longer parses serves nothing, so it blocks nothing */
    if (ngx_cweb_manifest_parse(&text, pool, &theirs, err, sizeof(err))
        != NGX_OK)
    {
        return NGX_OK;
    }

    their = ngx_cweb_manifest_automata(&theirs, pool);
    if (their == NULL) {
        return NGX_ERROR;
    }

    a = items->elts;
    b = theirs.elts;
    rc = NGX_OK;

    for (j = 0; rc == NGX_OK && j < theirs.nelts; j++) {
        for (i = 0; i < items->nelts; i++) {
            if (!ngx_cweb_manifest_methods_meet(&a[i], &b[j])) {
                continue;
            }

            rc = ngx_cweb_manifest_overlap(&a[i], ours[i], &b[j], their[j],
                                           example, &elen);
            if (rc == 0) {
                continue;
            }

            rc = NGX_DECLINED;

            conflict->data = ngx_pnalloc(pool, NGX_CWEB_NAME_LEN + 3 * 1100);
            if (conflict->data == NULL) {
                rc = NGX_ERROR;
                break;
            }

            if (b[j].type == 'R') {
                p = ngx_sprintf(conflict->data, "%*s: %V %V", m->name_len,
                                m->name, &b[j].method, &b[j].value);

            } else {
                p = ngx_sprintf(conflict->data, "%*s: WebSocket %V",
                                m->name_len, m->name, &b[j].value);
            }

            if (a[i].value.len != b[j].value.len
                || ngx_strncmp(a[i].value.data, b[j].value.data,
                               a[i].value.len) != 0)
            {
                p = ngx_sprintf(p, " overlaps %V", &a[i].value);
                p = (elen != (size_t) -1)
                    ? ngx_sprintf(p, " (both match \"%*s\")", elen, example)
                    : ngx_sprintf(p, " (too complex to prove they do not)");
            }

            conflict->len = p - conflict->data;
            break;
        }
    }

    ngx_cweb_manifest_automata_free(&theirs, their);

    return rc;
}


/*
 * the automaton of every route and WebSocket path of items (NULL for jobs,
 * and when one cannot be made: it is then taken as overlapping everything)
 */

static ngx_cweb_ere_t **
ngx_cweb_manifest_automata(ngx_array_t *items, ngx_pool_t *pool)
{
    ngx_uint_t                 i;
    ngx_cweb_ere_t           **re;
    ngx_cweb_manifest_item_t  *it;

    re = ngx_pcalloc(pool, (items->nelts + 1) * sizeof(ngx_cweb_ere_t *));
    if (re == NULL) {
        return NULL;
    }

    it = items->elts;

    for (i = 0; i < items->nelts; i++) {
        if (it[i].type == 'J') {
            continue;
        }

        re[i] = it[i].regex
                ? ngx_cweb_ere_parse(it[i].value.data, it[i].value.len,
                                     NULL, 0)
                : ngx_cweb_ere_literal(it[i].value.data, it[i].value.len, 0);
    }

    return re;
}


static void
ngx_cweb_manifest_automata_free(ngx_array_t *items, ngx_cweb_ere_t **re)
{
    ngx_uint_t  i;

    for (i = 0; i < items->nelts; i++) {
        ngx_cweb_ere_free(re[i]);
    }
}


/* GET also answers HEAD; a WebSocket path is a GET */

static ngx_uint_t
ngx_cweb_manifest_methods_meet(ngx_cweb_manifest_item_t *a,
    ngx_cweb_manifest_item_t *b)
{
    ngx_str_t  ma, mb;

    if (a->type == 'J' || b->type == 'J') {
        return 0;
    }

    ma = a->type == 'W' ? (ngx_str_t) ngx_string("GET") : a->method;
    mb = b->type == 'W' ? (ngx_str_t) ngx_string("GET") : b->method;

    if (ma.len == mb.len && ngx_strncmp(ma.data, mb.data, ma.len) == 0) {
        return 1;
    }

    return (ma.len == 3 && mb.len == 4 && ngx_strncmp(ma.data, "GET", 3) == 0
            && ngx_strncmp(mb.data, "HEAD", 4) == 0)
           || (ma.len == 4 && mb.len == 3
               && ngx_strncmp(mb.data, "GET", 3) == 0
               && ngx_strncmp(ma.data, "HEAD", 4) == 0);
}


/*
 * 1 when a and b (with their automata) can match one path: *len is then the length of an example, or (size_t) -1 when it
 * could not be decided (taken as overlapping); 0 when they are disjoint
 */

static ngx_int_t
ngx_cweb_manifest_overlap(ngx_cweb_manifest_item_t *a, ngx_cweb_ere_t *ra,
    ngx_cweb_manifest_item_t *b, ngx_cweb_ere_t *rb, u_char *example,
    size_t *len)
{
    int  rc;

    *len = (size_t) -1;

    if (!a->regex && !b->regex) {
        if (a->value.len != b->value.len
            || ngx_strncmp(a->value.data, b->value.data, a->value.len) != 0)
        {
            return 0;
        }

        *len = ngx_min(a->value.len, 64);
        ngx_memcpy(example, a->value.data, *len);
        return 1;
    }

    rc = (ra && rb) ? ngx_cweb_ere_intersect(ra, rb, example, len, 64) : -1;

    if (rc != 1) {
        *len = (size_t) -1;
    }

    return rc != 0;
}


/* the loaded config is still what the canary saw (same routes in order) */

ngx_int_t
ngx_cweb_manifest_matches(module_t *config, ngx_array_t *items)
{
    ngx_uint_t                 i, n;
    ngx_cweb_manifest_item_t  *it;

    it = items->elts;
    n = 0;

    for (i = 0; i < items->nelts; i++) {
        if (it[i].type != 'R') {
            continue;
        }

        if ((ngx_int_t) n >= config->size
            || config->routes[n].path == NULL
            || config->routes[n].method == NULL
            || ngx_strlen(config->routes[n].path) != it[i].value.len
            || ngx_strncmp(config->routes[n].path, it[i].value.data,
                           it[i].value.len) != 0
            || ngx_strlen(config->routes[n].method) != it[i].method.len
            || ngx_strncmp(config->routes[n].method, it[i].method.data,
                           it[i].method.len) != 0
            || config->routes[n].handler == NULL)
        {
            return 0;
        }

        n++;
    }

    return (ngx_int_t) n == config->size;
}
