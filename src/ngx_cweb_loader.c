
/*
 * Per-process plugin versions.
 *
 * Design and invariants:
 * - Each process keeps one record per version the shared registry lists,
 *   made from the registry entry alone: its manifest gives the record's
 *   routes (regexes compiled once per record), and the route table of a
 *   generation points into the records.  Nothing of a plugin runs for
 *   that.
 * - Code is loaded lazily, by the first request for that version in this
 *   process (ngx_cweb_loader_ready()): dlopen() under the LOAD marker,
 *   the ABI stamp checked and the host table bound before anything else,
 *   config compared with the manifest the canary wrote, then onload()
 *   under the ONLOAD marker.  A plugin whose code crashes costs requests
 *   for that plugin only; a version that cannot be loaded answers 503
 *   until the registry changes.
 * - Objects are opened RTLD_NOW | RTLD_LOCAL from a path unique to the
 *   version, so several versions of one plugin coexist and glibc never
 *   hands back a stale handle.
 * - A record has a refcount: +1 while it is current (the route table
 *   points at it) and +1 per in-flight user (a request waiting for its
 *   body, scheduled work, later WebSockets and jobs).  When a sync drops
 *   it from the table it is retired; it is unload()ed, dlclose()d (under
 *   the UNLOAD marker) and freed when its count reaches zero, never
 *   earlier; cache entries it set go with it.
 * - Shared memory holds names only; function pointers never leave the
 *   process that resolved them.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_loader.h"
#include "ngx_cweb_manifest.h"
#include "ngx_cweb_shm.h"

#include <dlfcn.h>


typedef struct {
    ngx_pool_t                 *pool;
    ngx_str_t                   manifest;     /* routes point into it */
    ngx_cweb_plugin_t           p;
} ngx_cweb_record_t;


#define ngx_cweb_record(pl)                                                  \
    ((ngx_cweb_record_t *) ((u_char *) (pl) - offsetof(ngx_cweb_record_t, p)))


static ngx_int_t ngx_cweb_loader_load(ngx_cweb_plugin_t *p,
    ngx_log_t *log);
static ngx_cweb_plugin_t *ngx_cweb_loader_record(ngx_cweb_shm_module_t *m,
    ngx_log_t *log);
static void ngx_cweb_loader_unload(ngx_cweb_plugin_t *p);


static ngx_cweb_plugin_t  *ngx_cweb_plugins;

/*
 * what plugins are handed and who forgets a version that goes, set by
 * the wiring (ngx_cweb_loader_init()) before anything loads: the loader
 * knows nothing of the API it hands out
 */
static const cweb_api_t         *ngx_cweb_loader_api;
static cweb_context_t           *ngx_cweb_loader_ctx;
static ngx_cweb_loader_unload_pt ngx_cweb_loader_unloaded;

/* whose code runs now (its onload, a handler, scheduled work) */
static ngx_cweb_plugin_t        *ngx_cweb_loader_current;
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

    if (gen == ngx_cweb_generation && ngx_cweb_router) {
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
            if (p->version == m[i].version && p->slot == m[i].slot
                && p->name.len == m[i].name_len
                && ngx_strncmp(p->name.data, m[i].name, m[i].name_len) == 0)
            {
                break;
            }
        }

        if (p == NULL) {
            p = ngx_cweb_loader_record(&m[i], log);
            if (p == NULL) {
                continue;
            }
        }

        /* rebuilt, or made unavailable, under the same version */
        p->state = m[i].state;
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


/* the table this worker serves: a version stays current while it holds */

ngx_uint_t
ngx_cweb_loader_generation(void)
{
    return ngx_cweb_generation;
}


ngx_cweb_router_t *
ngx_cweb_loader_router(void)
{
    return ngx_cweb_router;
}


/* a record from the registry: routes from the manifest, no code yet */

static ngx_cweb_plugin_t *
ngx_cweb_loader_record(ngx_cweb_shm_module_t *m, ngx_log_t *log)
{
    u_char                    *so, err[512];
    ngx_str_t                  text;
    ngx_uint_t                 i, n, nr, nws;
    ngx_pool_t                *pool;
    ngx_array_t                items;
    ngx_cweb_route_t          *rt;
    ngx_cweb_plugin_t         *p;
    ngx_cweb_record_t         *rec;
    ngx_cweb_manifest_item_t  *it;

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    rec = ngx_pcalloc(pool, sizeof(ngx_cweb_record_t));
    if (rec == NULL) {
        goto failed;
    }

    rec->pool = pool;
    p = &rec->p;

    text.data = ngx_pnalloc(pool, m->manifest_len + 1);
    p->name.data = ngx_pnalloc(pool, m->name_len);
    so = ngx_pnalloc(pool, NGX_CWEB_FILE_LEN);
    if (text.data == NULL || p->name.data == NULL || so == NULL) {
        goto failed;
    }

    ngx_memcpy(text.data, m->manifest, m->manifest_len);
    text.len = m->manifest_len;
    rec->manifest = text;
    p->name.len = m->name_len;
    ngx_memcpy(p->name.data, m->name, m->name_len);

    ngx_cpystrn(so, m->so_file, NGX_CWEB_FILE_LEN);
    p->so_file = so;
    p->version = m->version;
    p->slot = m->slot;
    p->shm = &ngx_cweb_shm_ctx()->sh->modules[m->slot];
    p->state = m->state;

    if (ngx_cweb_manifest_parse(&text, pool, &items, err, sizeof(err))
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "cweb plugin \"%V\" version %ui not served: %s",
                      &p->name, p->version, err);
        goto failed;
    }

    it = items.elts;

    for (n = 0, i = 0; i < items.nelts; i++) {
        n += (it[i].type == 'R' || it[i].type == 'W');
    }

    p->routes = ngx_pcalloc(pool, (n ? n : 1) * sizeof(ngx_cweb_route_t));
    if (p->routes == NULL) {
        goto failed;
    }

    /* a WebSocket path is a GET route of its own kind */
    for (nr = 0, nws = 0, i = 0; i < items.nelts; i++) {
        if (it[i].type != 'R' && it[i].type != 'W') {
            continue;
        }

        rt = &p->routes[p->nroutes++];
        rt->path = it[i].value;
        rt->plugin = p;

        if (it[i].type == 'R') {
            rt->method = it[i].method;
            rt->index = nr++;

        } else {
            ngx_str_set(&rt->method, "GET");
            rt->index = nws++;
            rt->ws = 1;
        }

        if (it[i].regex && ngx_cweb_route_compile(rt, pool, log) != NGX_OK) {
            /* answers 503 rather than leaving a hole in the URL space */
            p->failed = 1;
        }
    }

    p->next = ngx_cweb_plugins;
    ngx_cweb_plugins = p;

    return p;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


/*
 * the version's code, loaded at its first use here: NGX_OK, NGX_ERROR
 * (cannot be loaded), NGX_ABORT (onload() crashed just now).  dlopen() and
 * onload() may run inside another plugin's call (its ctx->symbols->resolv()
 * loads the plugin it names): that call's marker, API context and running
 * plugin are its own again afterwards.
 */

ngx_int_t
ngx_cweb_loader_ready(ngx_cweb_plugin_t *p, ngx_log_t *log)
{
    ngx_int_t           rc, now;
    ngx_atomic_uint_t   what, since;
    ngx_cweb_plugin_t  *running;

    if (p->handle) {
        return NGX_OK;
    }

    if (p->failed) {
        return NGX_ERROR;
    }

    what = ngx_cweb_self ? ngx_cweb_self->what : 0;
    since = ngx_cweb_self ? ngx_cweb_self->since : 0;
    now = ngx_cweb_call_now;
    running = ngx_cweb_loader_current;

    rc = ngx_cweb_loader_load(p, log);

    ngx_cweb_loader_current = running;
    ngx_cweb_call_now = now;

    if (ngx_cweb_self && since) {
        ngx_cweb_self->what = what;
        __atomic_store_n(&ngx_cweb_self->since, since, __ATOMIC_RELEASE);
    }

    return rc;
}


static ngx_int_t
ngx_cweb_loader_load(ngx_cweb_plugin_t *p, ngx_log_t *log)
{
    int                    signo;
    u_char                 path[NGX_MAX_PATH], err[512];
    ngx_uint_t             crashed;
    void                  *handle;
    ngx_str_t              file;
    module_t              *config;
    ngx_array_t            items;
    ngx_file_info_t        fi;
    ngx_cweb_record_t     *rec;
    ngx_cweb_main_conf_t  *cmcf;

    crashed = 0;
    cmcf = ngx_cweb_conf();

    file.data = path;
    file.len = ngx_snprintf(path, sizeof(path) - 1, "%V/so/%s",
                            &cmcf->module_dir, p->so_file) - path;
    path[file.len] = '\0';

    if (ngx_link_info(path, &fi) == NGX_FILE_ERROR || !ngx_is_file(&fi)) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "cweb plugin \"%V\" version %ui not loaded: \"%V\" is "
                      "not a file", &p->name, p->version, &file);
        p->failed = 1;
        return NGX_ERROR;
    }

    ngx_cweb_call_enter(p, NGX_CWEB_CALL_LOAD);
    handle = ngx_cweb_loader_open(&file, &config, err, sizeof(err));
    ngx_cweb_call_leave();

    if (handle == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "cweb plugin \"%V\" version %ui not loaded: %s",
                      &p->name, p->version, err);
        p->failed = 1;
        goto done;
    }

    rec = ngx_cweb_record(p);

    if (ngx_cweb_manifest_parse(&rec->manifest, rec->pool, &items, err,
                                sizeof(err))
        != NGX_OK
        || !ngx_cweb_manifest_matches(config, &items))
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "cweb plugin \"%V\" version %ui not loaded: its "
                      "config does not declare what its canary saw",
                      &p->name, p->version);
        ngx_cweb_call_enter(p, NGX_CWEB_CALL_UNLOAD);
        dlclose(handle);
        ngx_cweb_call_leave();
        p->failed = 1;
        goto done;
    }

    p->handle = handle;
    p->config = config;

    if (config->onload) {
        ngx_cweb_loader_set_running(p);
        ngx_cweb_call_enter(p, NGX_CWEB_CALL_ONLOAD);
        signo = ngx_cweb_fault_call_hook(config->onload,
                                         ngx_cweb_loader_ctx);
        ngx_cweb_call_leave();
        ngx_cweb_loader_set_running(NULL);

        if (signo) {
            /* half initialised: never called again here, never unloaded */
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "cweb plugin \"%V\" version %ui: onload() crashed "
                          "(%s)", &p->name, p->version,
                          ngx_cweb_signal_name(signo));
            p->failed = 1;
            ngx_cweb_fault_recovered(signo, log);
            crashed = 1;
            goto done;
        }
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "cweb plugin \"%V\" version %ui loaded", &p->name,
                  p->version);

done:

    if (p->failed) {
        p->config = NULL;
        p->handle = NULL;
    }

    return p->handle ? NGX_OK : (crashed ? NGX_ABORT : NGX_ERROR);
}


void
ngx_cweb_loader_init(const cweb_api_t *api, cweb_context_t *ctx,
    ngx_cweb_loader_unload_pt unloaded)
{
    ngx_cweb_loader_api = api;
    ngx_cweb_loader_ctx = ctx;
    ngx_cweb_loader_unloaded = unloaded;
}


void
ngx_cweb_loader_set_running(ngx_cweb_plugin_t *p)
{
    ngx_cweb_loader_current = p;
}


ngx_cweb_plugin_t *
ngx_cweb_loader_running(void)
{
    return ngx_cweb_loader_current;
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


/* another plugin's current version, loaded (ctx->symbols) */

ngx_cweb_plugin_t *
ngx_cweb_loader_find(const char *name)
{
    size_t              len;
    ngx_cweb_plugin_t  *p;

    len = ngx_strlen(name);

    for (p = ngx_cweb_plugins; p; p = p->next) {
        if (p->current && p->state == NGX_CWEB_MOD_ACTIVE
            && p->name.len == len
            && ngx_strncmp(p->name.data, name, len) == 0
            && p->shm->quarantine != p->version)
        {
            return ngx_cweb_loader_ready(p, ngx_cycle->log) == NGX_OK
                   ? p : NULL;
        }
    }

    return NULL;
}


static void
ngx_cweb_loader_unload(ngx_cweb_plugin_t *p)
{
    ngx_uint_t          i;
    ngx_cweb_record_t  *rec;

    if (p->handle) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "cweb plugin \"%V\" version %ui unloaded", &p->name,
                      p->version);

        ngx_cweb_loader_set_running(p);
        ngx_cweb_call_enter(p, NGX_CWEB_CALL_UNLOAD);

        if (p->config->unload) {
            p->config->unload(ngx_cweb_loader_ctx);
        }

        dlclose(p->handle);

        ngx_cweb_call_leave();
        ngx_cweb_loader_set_running(NULL);

        /* what it cached may point into the code that just went */
        if (ngx_cweb_loader_unloaded) {
            ngx_cweb_loader_unloaded(p);
        }
    }

    for (i = 0; i < p->nroutes; i++) {
        ngx_cweb_route_free(&p->routes[i]);
    }

    rec = ngx_cweb_record(p);
    ngx_destroy_pool(rec->pool);
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
        ngx_cweb_errf(err, errlen, "%s", e ? e : "dlopen() failed");
        return NULL;
    }

    abi = dlsym(handle, "cweb_abi_version");
    bind = (int (*)(const cweb_api_t *)) dlsym(handle, "cweb_plugin_bind");

    if (abi == NULL || bind == NULL) {
        ngx_cweb_errf(err, errlen,
                      "not an ngx_cweb plugin (no ABI stamp)");
        goto failed;
    }

    if (ngx_cweb_loader_stamp(abi, dlsym(handle, "cweb_abi_layout"),
                              dlsym(handle, "cweb_abi_layout_n"),
                              err, errlen)
        != NGX_OK)
    {
        goto failed;
    }

    if (ngx_cweb_loader_api == NULL || bind(ngx_cweb_loader_api) != CWEB_OK) {
        ngx_cweb_errf(err, errlen, "plugin refused the host API table");
        goto failed;
    }

    *config = dlsym(handle, "config");

    if (*config == NULL) {
        ngx_cweb_errf(err, errlen, "no \"config\" symbol: a plugin must "
                      "define \"export module_t config\"");
        goto failed;
    }

    return handle;

failed:

    dlclose(handle);
    return NULL;
}


/*
 * a plugin's stamp (its cweb_abi_version, cweb_abi_layout[] and
 * cweb_abi_layout_n, any of them NULL if it has none) against ours, the
 * first entry that differs named in err (the expressions of cweb.h's
 * CWEB_ABI_LAYOUT); the loader and the helper's check of a stored object
 * (ngx_cweb_elf.c) say the same
 */

#define ngx_cweb_abi_name(e)  #e,

ngx_int_t
ngx_cweb_loader_stamp(const uint32_t *abi, const uint32_t *layout,
    const uint32_t *n, u_char *err, size_t errlen)
{
    ngx_uint_t  i;

    static const uint32_t  ours[] = { CWEB_ABI_LAYOUT(CWEB_ABI_VALUE) };
    static const char     *names[] = { CWEB_ABI_LAYOUT(ngx_cweb_abi_name) };

    if (abi == NULL) {
        ngx_cweb_errf(err, errlen, "not an ngx_cweb plugin (no ABI stamp)");
        return NGX_ERROR;
    }

    if (*abi != CWEB_ABI_VERSION) {
        ngx_cweb_errf(err, errlen,
                      "plugin ABI version %uD, this server supports %d; "
                      "rebuild it against this server's cweb.h",
                      *abi, CWEB_ABI_VERSION);
        return NGX_ERROR;
    }

    if (layout == NULL || n == NULL || *n != sizeof(ours) / sizeof(ours[0])) {
        ngx_cweb_errf(err, errlen, "plugin built against other headers (no "
                      "layout stamp of this server's); rebuild it against "
                      "this server's cweb.h");
        return NGX_ERROR;
    }

    for (i = 0; i < *n; i++) {
        if (layout[i] != ours[i]) {
            ngx_cweb_errf(err, errlen, "plugin built with another layout of "
                          "the shared structures: %s is %uD in the plugin, "
                          "%uD here; rebuild it without flags that change "
                          "struct layout", names[i], layout[i], ours[i]);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
