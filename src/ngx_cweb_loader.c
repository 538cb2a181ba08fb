
/*
 * Per-process plugin versions.
 *
 * Design and invariants:
 * - Each process (worker) dlopen()s the versions the shared registry lists,
 *   lazily: on the first request that sees a new generation.  Objects are
 *   opened RTLD_NOW | RTLD_LOCAL from a path unique to the version, so
 *   several versions of one plugin coexist and glibc never hands back a
 *   stale handle.
 * - A loaded version has a refcount: +1 while it is current (the route
 *   table points at it) and +1 per in-flight user (a request waiting for
 *   its body, later WebSockets and jobs).  When a sync drops it from the
 *   table it is retired; it is unload()ed and dlclose()d when its count
 *   reaches zero, never earlier.
 * - Shared memory holds names only; function pointers never leave the
 *   process that resolved them.
 * - Before anything of a plugin runs, its ABI stamp is checked and the
 *   host table bound; a mismatch is refused with a clear error.
 */


#include "ngx_cweb.h"

#include <dlfcn.h>


static ngx_cweb_plugin_t *ngx_cweb_loader_load(ngx_cweb_shm_module_t *m,
    ngx_log_t *log);
static void ngx_cweb_loader_unload(ngx_cweb_plugin_t *p);
static ngx_int_t ngx_cweb_loader_check_path(const char *path,
    const char *what, u_char *err, size_t errlen);


static ngx_cweb_plugin_t  *ngx_cweb_plugins;
static ngx_cweb_router_t  *ngx_cweb_router;
static ngx_uint_t          ngx_cweb_generation;


ngx_int_t
ngx_cweb_loader_sync(ngx_log_t *log)
{
    ngx_uint_t              gen, i;
    ngx_pool_t             *pool;
    ngx_array_t             mods;
    ngx_cweb_plugin_t      *p, *next, **pp;
    ngx_cweb_router_t      *router;
    ngx_cweb_shm_module_t  *m;

    gen = ngx_cweb_shm_generation();

    if (gen == ngx_cweb_generation) {
        return NGX_OK;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "cweb loader: generation %ui -> %ui",
                   ngx_cweb_generation, gen);

    pool = ngx_create_pool(4096, log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    if (ngx_array_init(&mods, pool, 16, sizeof(ngx_cweb_shm_module_t))
        != NGX_OK
        || ngx_cweb_registry_snapshot(pool, &mods) != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    /* p->current marks membership of the new table for now */
    for (p = ngx_cweb_plugins; p; p = p->next) {
        p->refs -= p->current;
        p->current = 0;
    }

    m = mods.elts;

    for (i = 0; i < mods.nelts; i++) {
        for (p = ngx_cweb_plugins; p; p = p->next) {
            if (p->version == m[i].version
                && p->name.len == m[i].name_len
                && ngx_strncmp(p->name.data, m[i].name, m[i].name_len) == 0)
            {
                break;
            }
        }

        if (p == NULL) {
            p = ngx_cweb_loader_load(&m[i], log);
            if (p == NULL) {
                continue;
            }
        }

        p->current = 1;
        p->refs++;
    }

    ngx_destroy_pool(pool);

    router = ngx_cweb_router_create(ngx_cweb_plugins, log);

    if (ngx_cweb_router) {
        ngx_cweb_router_destroy(ngx_cweb_router);
    }

    ngx_cweb_router = router;

    /* without a table the next request tries again */
    if (router) {
        ngx_cweb_generation = gen;
    }

    /* retired versions nobody uses any more go now */
    pp = &ngx_cweb_plugins;

    for (p = ngx_cweb_plugins; p; p = next) {
        next = p->next;

        if (p->refs == 0) {
            *pp = next;
            ngx_cweb_loader_unload(p);
            continue;
        }

        pp = &p->next;
    }

    return router ? NGX_OK : NGX_ERROR;
}


ngx_cweb_router_t *
ngx_cweb_loader_router(void)
{
    return ngx_cweb_router;
}


void
ngx_cweb_plugin_acquire(ngx_cweb_plugin_t *p)
{
    p->refs++;
}


void
ngx_cweb_plugin_release(ngx_cweb_plugin_t *p)
{
    ngx_cweb_plugin_t  **pp;

    if (--p->refs) {
        return;
    }

    for (pp = &ngx_cweb_plugins; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }

    ngx_cweb_loader_unload(p);
}


ngx_cweb_plugin_t *
ngx_cweb_loader_find(const char *name)
{
    size_t              len;
    ngx_cweb_plugin_t  *p;

    len = ngx_strlen(name);

    for (p = ngx_cweb_plugins; p; p = p->next) {
        if (p->current && p->name.len == len
            && ngx_strncmp(p->name.data, name, len) == 0)
        {
            return p;
        }
    }

    return NULL;
}


static ngx_cweb_plugin_t *
ngx_cweb_loader_load(ngx_cweb_shm_module_t *m, ngx_log_t *log)
{
    u_char                 path[NGX_MAX_PATH], err[512];
    void                  *handle;
    ngx_str_t              file;
    module_t              *config;
    ngx_cweb_plugin_t     *p;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_cweb_shm_ctx()->cmcf;

    /* ctx->database must be usable from the first line of plugin code */
    (void) ngx_cweb_api_open_database(log);

    file.data = path;
    file.len = ngx_snprintf(path, sizeof(path) - 1, "%V/so/%s",
                            &cmcf->module_dir, m->so_file) - path;
    path[file.len] = '\0';

    handle = ngx_cweb_loader_open(&file, &config, err, sizeof(err));

    if (handle == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "cweb plugin \"%*s\" version %ui not loaded: %s",
                      m->name_len, m->name, m->version, err);
        return NULL;
    }

    p = ngx_alloc(sizeof(ngx_cweb_plugin_t) + m->name_len, log);
    if (p == NULL) {
        dlclose(handle);
        return NULL;
    }

    p->name.data = (u_char *) (p + 1);
    p->name.len = m->name_len;
    ngx_memcpy(p->name.data, m->name, m->name_len);
    p->version = m->version;
    p->handle = handle;
    p->config = config;
    p->refs = 0;
    p->current = 0;

    p->next = ngx_cweb_plugins;
    ngx_cweb_plugins = p;

    if (config->onload) {
        ngx_cweb_api_set_plugin(p);
        config->onload(&ngx_cweb_context);
        ngx_cweb_api_set_plugin(NULL);
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "cweb plugin \"%V\" version %ui loaded", &p->name,
                  p->version);

    return p;
}


static void
ngx_cweb_loader_unload(ngx_cweb_plugin_t *p)
{
    ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                  "cweb plugin \"%V\" version %ui unloaded", &p->name,
                  p->version);

    if (p->config->unload) {
        ngx_cweb_api_set_plugin(p);
        p->config->unload(&ngx_cweb_context);
        ngx_cweb_api_set_plugin(NULL);
    }

    dlclose(p->handle);
    ngx_free(p);
}


void
ngx_cweb_loader_shutdown(void)
{
    ngx_cweb_plugin_t  *p, *next;

    if (ngx_cweb_router) {
        ngx_cweb_router_destroy(ngx_cweb_router);
        ngx_cweb_router = NULL;
    }

    for (p = ngx_cweb_plugins; p; p = next) {
        next = p->next;
        ngx_cweb_loader_unload(p);
    }

    ngx_cweb_plugins = NULL;
}


/* dlopen + ABI check + binding of the host table */

void *
ngx_cweb_loader_open(ngx_str_t *path, module_t **config, u_char *err,
    size_t errlen)
{
    void      *handle;
    char      *e;
    uint32_t  *abi;
    int      (*bind)(const cweb_api_t *api);

    handle = dlopen((char *) path->data, RTLD_NOW|RTLD_LOCAL);

    if (handle == NULL) {
        e = dlerror();
        ngx_snprintf(err, errlen, "%s%Z", e ? e : "dlopen() failed");
        return NULL;
    }

    abi = dlsym(handle, "cweb_abi_version");
    bind = (int (*)(const cweb_api_t *)) dlsym(handle, "cweb_plugin_bind");

    if (abi == NULL || bind == NULL) {
        ngx_snprintf(err, errlen,
                     "not an ngx_cweb plugin (no ABI stamp)%Z");
        goto failed;
    }

    if (*abi != CWEB_ABI_VERSION) {
        ngx_snprintf(err, errlen,
                     "plugin ABI version %uD, this server supports %d; "
                     "rebuild it against this server's cweb.h%Z",
                     *abi, CWEB_ABI_VERSION);
        goto failed;
    }

    if (bind(&ngx_cweb_api) != CWEB_OK) {
        ngx_snprintf(err, errlen, "plugin refused the host API table%Z");
        goto failed;
    }

    *config = dlsym(handle, "config");

    if (*config == NULL) {
        ngx_snprintf(err, errlen, "no \"config\" symbol: a plugin must "
                     "define \"export module_t config\"%Z");
        goto failed;
    }

    return handle;

failed:

    dlclose(handle);
    return NULL;
}


/*
 * plugin and job names: 1-127 of letters, digits, "_", "-", "." (not
 * first); they become file names and URL path segments
 */

ngx_int_t
ngx_cweb_name_valid(u_char *name, size_t max)
{
    size_t  i;

    for (i = 0; i < max && name[i]; i++) {
        if (!(isalnum(name[i]) || name[i] == '_' || name[i] == '-'
              || name[i] == '.'))
        {
            return NGX_ERROR;
        }
    }

    return (i == 0 || i >= NGX_CWEB_NAME_LEN || name[0] == '.')
           ? NGX_ERROR : NGX_OK;
}


static ngx_int_t
ngx_cweb_loader_check_path(const char *path, const char *what, u_char *err,
    size_t errlen)
{
    size_t  i, len;

    if (path == NULL || path[0] != '/') {
        ngx_snprintf(err, errlen, "%s path \"%s\" must start with \"/\"%Z",
                     what, path ? path : "(null)");
        return NGX_ERROR;
    }

    len = ngx_strlen(path);

    if (len > 1024) {
        ngx_snprintf(err, errlen, "%s path is longer than 1024 bytes%Z",
                     what);
        return NGX_ERROR;
    }

    for (i = 0; i < len; i++) {
        if ((u_char) path[i] <= ' ' || path[i] == 0x7f) {
            ngx_snprintf(err, errlen,
                         "%s path \"%s\" has a space or control character%Z",
                         what, path);
            return NGX_ERROR;
        }
    }

    if (ngx_strncmp(path, "/jobs", 5) == 0
        && (path[5] == '\0' || path[5] == '/'))
    {
        ngx_snprintf(err, errlen,
                     "%s path \"%s\" is under /jobs, which the server "
                     "owns%Z", what, path);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * checks what config declares and writes the manifest:
 * "R <method> <path>\n", "W <path>\n", "J <name>\n"
 */

ngx_int_t
ngx_cweb_loader_validate(module_t *config, ngx_pool_t *pool,
    ngx_str_t *manifest, u_char *err, size_t errlen)
{
    int            i, j;
    u_char        *p;
    size_t         len;
    regex_t        re;
    ngx_str_t      pat;
    route_info_t  *rt;

    static const char  *methods[] = {
        "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", NULL
    };

    if (ngx_cweb_name_valid((u_char *) config->name,
                                   sizeof(config->name))
        != NGX_OK)
    {
        ngx_snprintf(err, errlen, "invalid module name \"%*s\": use 1-127 "
                     "letters, digits, \"_\", \"-\" or \".\"%Z",
                     ngx_strnlen((u_char *) config->name,
                                 sizeof(config->name)),
                     config->name);
        return NGX_ERROR;
    }

    if (config->size < 0 || config->size > MAX_ROUTES
        || config->ws_size < 0 || config->ws_size > MAX_WEBSOCKETS
        || config->job_size < 0 || config->job_size > MAX_JOBS)
    {
        ngx_snprintf(err, errlen, "counts out of range: size %d, ws_size "
                     "%d, job_size %d (each 0..10)%Z", config->size,
                     config->ws_size, config->job_size);
        return NGX_ERROR;
    }

    len = 0;

    for (i = 0; i < config->size; i++) {
        rt = &config->routes[i];

        if (ngx_cweb_loader_check_path(rt->path, "route", err, errlen)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        for (j = 0; methods[j]; j++) {
            if (rt->method && ngx_strcmp(rt->method, methods[j]) == 0) {
                break;
            }
        }

        if (methods[j] == NULL) {
            ngx_snprintf(err, errlen, "route \"%s\" has an unknown method "
                         "\"%s\"%Z", rt->path,
                         rt->method ? rt->method : "(null)");
            return NGX_ERROR;
        }

        if (rt->handler == NULL) {
            ngx_snprintf(err, errlen, "route \"%s %s\" has no handler%Z",
                         rt->method, rt->path);
            return NGX_ERROR;
        }

        for (j = 0; j < i; j++) {
            if (ngx_strcmp(config->routes[j].path, rt->path) == 0
                && ngx_strcmp(config->routes[j].method, rt->method) == 0)
            {
                ngx_snprintf(err, errlen, "route \"%s %s\" is declared "
                             "twice%Z", rt->method, rt->path);
                return NGX_ERROR;
            }
        }

        pat.data = (u_char *) rt->path;
        pat.len = ngx_strlen(rt->path);

        if (ngx_cweb_router_is_regex(pat.data, pat.len)) {
            p = ngx_pnalloc(pool, pat.len + 5);
            if (p == NULL) {
                return NGX_ERROR;
            }

            ngx_sprintf(p, "^(%V)$%Z", &pat);

            if (regcomp(&re, (char *) p, REG_EXTENDED|REG_NOSUB) != 0) {
                ngx_snprintf(err, errlen, "route \"%s\" is not a valid "
                             "POSIX extended regex%Z", rt->path);
                return NGX_ERROR;
            }

            regfree(&re);
        }

        len += sizeof("R  \n") + ngx_strlen(rt->method) + pat.len;
    }

    for (i = 0; i < config->ws_size; i++) {
        if (ngx_cweb_loader_check_path(config->websockets[i].path,
                                       "websocket", err, errlen)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        len += sizeof("W \n") + ngx_strlen(config->websockets[i].path);
    }

    for (i = 0; i < config->job_size; i++) {
        if (config->jobs[i].name == NULL || config->jobs[i].name[0] == '\0'
            || config->jobs[i].run == NULL
            || ngx_cweb_name_valid((u_char *) config->jobs[i].name,
                                          NGX_CWEB_NAME_LEN)
               != NGX_OK)
        {
            ngx_snprintf(err, errlen, "job %d needs a name (letters, digits, "
                         "\"_\", \"-\", \".\") and a run function%Z", i);
            return NGX_ERROR;
        }

        len += sizeof("J \n") + ngx_strlen(config->jobs[i].name);
    }

    manifest->data = ngx_pnalloc(pool, len + 1);
    if (manifest->data == NULL) {
        return NGX_ERROR;
    }

    p = manifest->data;

    for (i = 0; i < config->size; i++) {
        p = ngx_sprintf(p, "R %s %s\n", config->routes[i].method,
                        config->routes[i].path);
    }

    for (i = 0; i < config->ws_size; i++) {
        p = ngx_sprintf(p, "W %s\n", config->websockets[i].path);
    }

    for (i = 0; i < config->job_size; i++) {
        p = ngx_sprintf(p, "J %s\n", config->jobs[i].name);
    }

    manifest->len = p - manifest->data;

    return NGX_OK;
}
