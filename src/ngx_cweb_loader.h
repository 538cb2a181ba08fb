
/*
 * The versions of plugins this process knows, their routes and the
 * route table (ngx_cweb_loader.c, ngx_cweb_router.c).
 */


#ifndef _NGX_CWEB_LOADER_H_INCLUDED_
#define _NGX_CWEB_LOADER_H_INCLUDED_


#include "ngx_cweb_shm.h"


typedef struct ngx_cweb_route_s   ngx_cweb_route_t;
typedef struct ngx_cweb_router_s  ngx_cweb_router_t;


/* a version of a plugin as this process knows it (loaded or not yet) */
typedef struct ngx_cweb_plugin_s  ngx_cweb_plugin_t;

struct ngx_cweb_plugin_s {
    ngx_cweb_plugin_t          *next;
    ngx_str_t                   name;
    ngx_uint_t                  version;
    ngx_uint_t                  slot;         /* registry index */
    ngx_cweb_shm_module_t      *shm;
    ngx_uint_t                  state;        /* NGX_CWEB_MOD_* of the slot */
    u_char                     *so_file;
    void                       *handle;       /* NULL: not loaded */
    module_t                   *config;
    ngx_cweb_route_t           *routes;       /* from the manifest */
    ngx_uint_t                  nroutes;
    ngx_uint_t                  refs;         /* route table + in flight */
    unsigned                    current:1;
    unsigned                    failed:1;     /* could not be loaded */
};


struct ngx_cweb_route_s {
    ngx_str_t                   path;
    ngx_str_t                   method;
    void                       *regex;        /* pcre2_code, NULL: exact */
    ngx_str_t                   prefix;       /* regex: its literal prefix */
    ngx_cweb_plugin_t          *plugin;
    ngx_uint_t                  index;        /* in config->routes */
    ngx_uint_t                  order;        /* precedence among regexes */
    unsigned                    jit:1;        /* regex has JIT code */
    unsigned                    ws:1;         /* index: in websockets[] */
};



/* ngx_cweb_loader.c: per-process versions, lazy dlopen, refcounts */
ngx_int_t ngx_cweb_loader_sync(ngx_log_t *log);
ngx_cweb_router_t *ngx_cweb_loader_router(void);
ngx_uint_t ngx_cweb_loader_generation(void);
ngx_int_t ngx_cweb_loader_ready(ngx_cweb_plugin_t *p, ngx_log_t *log);
typedef void (*ngx_cweb_loader_unload_pt)(ngx_cweb_plugin_t *p);
void ngx_cweb_loader_init(const cweb_api_t *api, cweb_context_t *ctx,
    ngx_cweb_loader_unload_pt unloaded);
void ngx_cweb_loader_set_running(ngx_cweb_plugin_t *p);
ngx_cweb_plugin_t *ngx_cweb_loader_running(void);
void ngx_cweb_plugin_acquire(ngx_cweb_plugin_t *p);
void ngx_cweb_plugin_release(ngx_cweb_plugin_t *p);
ngx_cweb_plugin_t *ngx_cweb_loader_find(const char *name);
void *ngx_cweb_loader_open(ngx_str_t *path, module_t **config,
    u_char *err, size_t errlen);
void ngx_cweb_loader_shutdown(void);
ngx_int_t ngx_cweb_loader_stamp(const uint32_t *abi, const uint32_t *layout,
    const uint32_t *n, u_char *err, size_t errlen);

/* ngx_cweb_elf.c: the stamp of a stored object, read without loading it */
ngx_int_t ngx_cweb_elf_stamp(u_char *path, size_t max, ngx_pool_t *pool,
    u_char *err, size_t errlen);

/* ngx_cweb_router.c: per-generation route table */
ngx_int_t ngx_cweb_route_compile(ngx_cweb_route_t *rt, ngx_pool_t *pool,
    ngx_log_t *log);
void ngx_cweb_route_free(ngx_cweb_route_t *rt);
ngx_cweb_router_t *ngx_cweb_router_create(ngx_cweb_plugin_t *plugins,
    ngx_log_t *log);
void ngx_cweb_router_destroy(ngx_cweb_router_t *router);
ngx_int_t ngx_cweb_router_match(ngx_cweb_router_t *router,
    ngx_http_request_t *r, ngx_cweb_route_t **route);


#endif /* _NGX_CWEB_LOADER_H_INCLUDED_ */
