
/*
 * ngx_cweb internal umbrella header: shared types, the module extern and
 * the prototypes of every subsystem, grouped by file.
 */


#ifndef _NGX_CWEB_H_INCLUDED_
#define _NGX_CWEB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <cweb.h>


#define NGX_CWEB_MAX_MODULES     256
#define NGX_CWEB_NAME_LEN        128
#define NGX_CWEB_HASH_LEN        64
#define NGX_CWEB_FILE_LEN        256

#define NGX_CWEB_LOC_NONE        0
#define NGX_CWEB_LOC_ROUTES      1
#define NGX_CWEB_LOC_MGNT        2

#define NGX_CWEB_MOD_FREE        0
#define NGX_CWEB_MOD_ACTIVE      1


typedef struct {
    ngx_flag_t                  enabled;
    ngx_str_t                   module_dir;
    size_t                      zone_size;
    ngx_str_t                   database;
    ngx_str_t                   cc;
    ngx_str_t                   cflags;
    ngx_msec_t                  compile_timeout;
    ngx_str_t                   admin_key;
    ngx_flag_t                  dev;
    ngx_flag_t                  purge_modules;

    ngx_array_t                *cc_argv;      /* of char *: cc + cflags */
    ngx_uint_t                  cc_nwords;    /* how many are cc's */
    ngx_shm_zone_t             *shm_zone;
    ngx_cycle_t                *cycle;
} ngx_cweb_main_conf_t;


typedef struct {
    ngx_uint_t                  kind;         /* NGX_CWEB_LOC_* */
} ngx_cweb_loc_conf_t;


/*
 * One plugin in the shared registry.  The registry mirrors the "modules"
 * and "module_versions" tables of SQLite and is guarded by the slab mutex.
 * manifest lists what the active version serves, one item a line:
 * "R <method> <path>", "W <path>", "J <name>"; it is slab memory and is
 * replaced, never edited.
 */
typedef struct {
    ngx_uint_t                  state;        /* NGX_CWEB_MOD_* */
    ngx_uint_t                  version;      /* active version, 1.. */
    ngx_uint_t                  next_version; /* reserved, not yet live */
    size_t                      name_len;
    u_char                      name[NGX_CWEB_NAME_LEN];
    u_char                      module_hash[NGX_CWEB_HASH_LEN];
    u_char                      source_sha256[NGX_CWEB_HASH_LEN];
    u_char                      so_file[NGX_CWEB_FILE_LEN];
    ngx_msec_t                  compile_ms;
    time_t                      updated;
    size_t                      manifest_len;
    u_char                     *manifest;
} ngx_cweb_shm_module_t;


typedef struct {
    ngx_atomic_t                generation;   /* bumped on every change */
    ngx_atomic_t                commit_lock;  /* pid of the committer */
    ngx_cweb_shm_module_t       modules[NGX_CWEB_MAX_MODULES];
} ngx_cweb_shm_t;


typedef struct {
    ngx_cweb_shm_t             *sh;
    ngx_slab_pool_t            *shpool;
    ngx_cweb_main_conf_t       *cmcf;
} ngx_cweb_shctx_t;


/* one compiled, validated version on its way to the registry */
typedef struct {
    ngx_str_t                   name;
    ngx_uint_t                  version;
    u_char                      module_hash[NGX_CWEB_HASH_LEN + 1];
    u_char                      source_sha256[NGX_CWEB_HASH_LEN + 1];
    ngx_str_t                   so_file;      /* relative to <dir>/so */
    ngx_str_t                   manifest;
    ngx_msec_t                  compile_ms;
    time_t                      created;
} ngx_cweb_version_rec_t;


/* a version of a plugin loaded in this process */
typedef struct ngx_cweb_plugin_s  ngx_cweb_plugin_t;

struct ngx_cweb_plugin_s {
    ngx_cweb_plugin_t          *next;
    ngx_str_t                   name;
    ngx_uint_t                  version;
    void                       *handle;
    module_t                   *config;
    ngx_uint_t                  refs;         /* route table + in flight */
    unsigned                    current:1;
};


typedef struct {
    ngx_str_t                   path;
    ngx_str_t                   method;
    regex_t                    *regex;        /* NULL: exact match */
    ngx_cweb_plugin_t          *plugin;
    route_info_t               *route;
} ngx_cweb_route_t;


typedef struct ngx_cweb_router_s  ngx_cweb_router_t;


/* head of the module ctx in cweb_mgnt locations, for ngx_cweb_json.c */
typedef struct {
    unsigned                    own:1;        /* our JSON, keep it */
    unsigned                    replace:1;    /* nginx's page, replace */
    unsigned                    replaced:1;
} ngx_cweb_json_state_t;


/*
 * the host's side of every http_kv_store_t a plugin sees (pub first);
 * pool NULL means plugin-owned (http_kv_create(), malloc)
 */
typedef struct {
    http_kv_store_t             pub;
    ngx_pool_t                 *pool;
    u_char                     *owned;        /* value i is ours to free */
    unsigned                    nocase:1;
    unsigned                    cleanup:1;
} ngx_cweb_kv_t;


/* one call of a route handler: what the plugin sees, and its request */
typedef struct {
    http_request_t              req;
    http_response_t             res;
    ngx_cweb_kv_t               params;
    ngx_cweb_kv_t               headers;
    ngx_cweb_kv_t               data;
    ngx_cweb_kv_t               res_headers;
    http_kv_pair_t              res_pairs[4]; /* most answers set fewer */
    u_char                      res_owned[4];
    ngx_http_request_t         *r;
    ngx_cweb_route_t            route;        /* a copy: the table can go */
    ngx_cweb_plugin_t          *plugin;       /* held while reading body */
    ngx_str_t                   out;          /* cweb_response_body() */
    unsigned                    out_set:1;
} ngx_cweb_call_t;


/* what a compile produced, handed to its done callback */
typedef struct ngx_cweb_compile_s  ngx_cweb_compile_t;

typedef void (*ngx_cweb_compile_done_pt)(ngx_cweb_compile_t *cc);

struct ngx_cweb_compile_s {
    ngx_str_t                   source;       /* path of the .c file */
    ngx_str_t                   output;       /* path of the .so to write */
    ngx_cweb_compile_done_pt    done;
    void                       *data;
    ngx_log_t                  *log;
    ngx_pool_t                 *pool;

    ngx_int_t                   status;       /* exit code, -1 unknown */
    unsigned                    timed_out:1;
    unsigned                    finished:1;
    ngx_buf_t                  *out;          /* cc stdout + stderr */
    ngx_msec_t                  elapsed;

    /* private to ngx_cweb_compile.c */
    ngx_pid_t                   pid;
    ngx_connection_t           *out_conn;
    ngx_connection_t           *status_conn;
    u_char                      status_buf[16];
    size_t                      status_len;
    ngx_event_t                 timer;
    ngx_msec_t                  start;
};


extern ngx_module_t  ngx_cweb_module;


/* ngx_cweb_shm.c: zone, registry, commit lock */
ngx_int_t ngx_cweb_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data);
ngx_cweb_shctx_t *ngx_cweb_shm_ctx(void);
void ngx_cweb_shm_use(ngx_cycle_t *cycle);
ngx_uint_t ngx_cweb_shm_generation(void);
ngx_int_t ngx_cweb_registry_snapshot(ngx_pool_t *pool, ngx_array_t *out);
ngx_int_t ngx_cweb_registry_get(ngx_str_t *name, ngx_cweb_shm_module_t *out,
    ngx_pool_t *pool);
ngx_int_t ngx_cweb_registry_find_source(u_char *sha256,
    ngx_cweb_shm_module_t *out, ngx_pool_t *pool);
ngx_int_t ngx_cweb_registry_reserve(ngx_str_t *name, ngx_uint_t *version);
ngx_int_t ngx_cweb_registry_seed(ngx_str_t *name, ngx_uint_t max);
ngx_int_t ngx_cweb_registry_conflict(ngx_str_t *name, ngx_str_t *manifest,
    ngx_pool_t *pool, ngx_str_t *conflict);
ngx_int_t ngx_cweb_registry_publish(ngx_cweb_version_rec_t *rec);
ngx_int_t ngx_cweb_registry_remove(ngx_str_t *name);
ngx_int_t ngx_cweb_commit_trylock(void);
void ngx_cweb_commit_unlock(void);

/* ngx_cweb_store.c: SQLite, the registry's truth */
void *ngx_cweb_store_open(ngx_str_t *path, ngx_log_t *log);
void ngx_cweb_store_close(void *db);
ngx_int_t ngx_cweb_store_load(void *db, ngx_log_t *log,
    ngx_int_t (*add)(ngx_cweb_version_rec_t *rec, void *data), void *data);
ngx_int_t ngx_cweb_store_commit(void *db, ngx_cweb_version_rec_t *rec,
    char *err, size_t errlen);
void ngx_cweb_store_prune(void *db, ngx_cweb_version_rec_t *rec,
    ngx_str_t *dir, ngx_uint_t keep);
ngx_int_t ngx_cweb_store_delete(void *db, ngx_str_t *name,
    char *err, size_t errlen);
json_t *ngx_cweb_store_history(void *db, ngx_str_t *name,
    char *err, size_t errlen);
void *ngx_cweb_store_worker_db(ngx_log_t *log);
void ngx_cweb_store_worker_close(void);
ngx_int_t ngx_cweb_store_restore(ngx_cweb_main_conf_t *cmcf,
    ngx_cweb_shctx_t *ctx, ngx_log_t *log);

/* ngx_cweb_compile.c: the compiler as a watched child */
ngx_int_t ngx_cweb_compile_start(ngx_cweb_compile_t *cc);
void ngx_cweb_compile_abort(ngx_cweb_compile_t *cc);
ngx_int_t ngx_cweb_compile_sync(ngx_cweb_main_conf_t *cmcf, ngx_str_t *src,
    ngx_str_t *out, ngx_log_t *log);

/* ngx_cweb_loader.c: per-process dlopen, versions, refcounts */
ngx_int_t ngx_cweb_loader_sync(ngx_log_t *log);
ngx_cweb_router_t *ngx_cweb_loader_router(void);
void ngx_cweb_plugin_acquire(ngx_cweb_plugin_t *p);
void ngx_cweb_plugin_release(ngx_cweb_plugin_t *p);
ngx_cweb_plugin_t *ngx_cweb_loader_find(const char *name);
void *ngx_cweb_loader_open(ngx_str_t *path, module_t **config,
    u_char *err, size_t errlen);
ngx_int_t ngx_cweb_name_valid(u_char *name, size_t max);
ngx_int_t ngx_cweb_loader_validate(module_t *config, ngx_pool_t *pool,
    ngx_str_t *manifest, u_char *err, size_t errlen);
void ngx_cweb_loader_shutdown(void);

/* ngx_cweb_router.c: per-generation route table */
ngx_cweb_router_t *ngx_cweb_router_create(ngx_cweb_plugin_t *plugins,
    ngx_log_t *log);
void ngx_cweb_router_destroy(ngx_cweb_router_t *router);
ngx_int_t ngx_cweb_router_match(ngx_cweb_router_t *router,
    ngx_http_request_t *r, u_char *path, ngx_cweb_route_t **route);
ngx_uint_t ngx_cweb_router_is_regex(u_char *path, size_t len);

/* ngx_cweb_http.c: plugin routes */
ngx_int_t ngx_cweb_http_handler(ngx_http_request_t *r);
ngx_int_t ngx_cweb_http_body(ngx_http_request_t *r, ngx_str_t *body);
ngx_uint_t ngx_cweb_http_urlencoded(ngx_http_request_t *r);

/* ngx_cweb_api.c: the table handed to plugins */
extern cweb_api_t      ngx_cweb_api;
extern cweb_context_t  ngx_cweb_context;
void ngx_cweb_api_set_plugin(ngx_cweb_plugin_t *p);
void ngx_cweb_api_set_call(ngx_cweb_call_t *call);
ngx_int_t ngx_cweb_api_open_database(ngx_log_t *log);
void ngx_cweb_api_close_database(void);
ngx_int_t ngx_cweb_kv_init(ngx_cweb_kv_t *kv, ngx_pool_t *pool, ngx_uint_t n,
    ngx_uint_t nocase);
void ngx_cweb_kv_init_inline(ngx_cweb_kv_t *kv, ngx_pool_t *pool,
    http_kv_pair_t *pairs, u_char *owned, size_t n, ngx_uint_t nocase);
ngx_int_t ngx_cweb_kv_push(http_kv_store_t *store, char *key, char *value);

/* ngx_cweb_admin.c: /mgnt */
ngx_int_t ngx_cweb_admin_handler(ngx_http_request_t *r);
void *ngx_cweb_admin_ctx(ngx_http_request_t *r);

/* ngx_cweb_json.c: JSON answers and JSON error pages */
ngx_int_t ngx_cweb_json_init_filters(ngx_conf_t *cf);
json_t *ngx_cweb_json_text(const u_char *data, size_t len);
ngx_int_t ngx_cweb_send_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *json);
ngx_int_t ngx_cweb_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *fmt, ...);

/* ngx_cweb_auth.c: admin credentials */
ngx_int_t ngx_cweb_auth_check(ngx_http_request_t *r, const char **reason);


#endif /* _NGX_CWEB_H_INCLUDED_ */
