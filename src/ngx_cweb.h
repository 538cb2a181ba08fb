
/*
 * ngx_cweb internal umbrella header: shared types, the module extern and
 * the prototypes of every subsystem, grouped by file.
 */


#ifndef _NGX_CWEB_H_INCLUDED_
#define _NGX_CWEB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#if !(NGX_THREADS)
#error "ngx_cweb_module needs nginx configured --with-threads"
#endif

#include <cweb.h>


#define NGX_CWEB_MAX_MODULES     256
#define NGX_CWEB_MAX_PROCS       256
#define NGX_CWEB_FAULT_EVENTS    256
#define NGX_CWEB_FAULT_RING      32      /* the largest cweb_fault_limit */
#define NGX_CWEB_NAME_LEN        128
#define NGX_CWEB_HASH_LEN        64
#define NGX_CWEB_FILE_LEN        256
#define NGX_CWEB_REASON_LEN      160
#define NGX_CWEB_KEEP_OBJECTS    3       /* stored versions per plugin */

#define NGX_CWEB_LOC_NONE        0
#define NGX_CWEB_LOC_ROUTES      1
#define NGX_CWEB_LOC_MGNT        2

/* the zone as a whole */
#define NGX_CWEB_ZONE_STARTING   0       /* registry not restored yet */
#define NGX_CWEB_ZONE_READY      1
#define NGX_CWEB_ZONE_DISABLED   2       /* database unusable: reason */

/* a registry slot */
#define NGX_CWEB_MOD_FREE         0
#define NGX_CWEB_MOD_ACTIVE       1
#define NGX_CWEB_MOD_REBUILDING   2      /* object missing, being rebuilt */
#define NGX_CWEB_MOD_UNAVAILABLE  3      /* no version may run: reason */

/* what plugin code a process is inside, besides a route index */
#define NGX_CWEB_CALL_LOAD       -1      /* dlopen(): constructors */
#define NGX_CWEB_CALL_ONLOAD     -2
#define NGX_CWEB_CALL_UNLOAD     -3      /* unload() and destructors */
#define NGX_CWEB_CALL_WORK       -4      /* ctx->scheduler work */

/* faults */
#define NGX_CWEB_FAULT_SIGNAL     1
#define NGX_CWEB_FAULT_EXIT       2
#define NGX_CWEB_FAULT_TIMEOUT    3
#define NGX_CWEB_FAULT_DIED       4      /* gone without a word: _exit() */
#define NGX_CWEB_FAULT_OVERFLOW   5      /* wrote past res->body */

/* ngx_cweb_proc_t flags */
#define NGX_CWEB_PROC_REPORTED   0x01    /* the process recorded its fault */
#define NGX_CWEB_PROC_KILLED     0x02    /* the watchdog killed it */
#define NGX_CWEB_PROC_SIGKILLED  0x04    /* ... and SIGABRT did not do */


typedef struct {
    ngx_str_t                   name;
    unsigned                    exact:1;
} ngx_cweb_reserved_t;


typedef struct {
    ngx_flag_t                  enabled;
    ngx_str_t                   module_dir;
    size_t                      zone_size;
    ngx_str_t                   database;
    ngx_array_t                *cc;           /* of char *: words */
    ngx_array_t                *cflags;       /* of char *: words */
    ngx_msec_t                  compile_timeout;
    size_t                      compile_memory;
    size_t                      compile_file_size;
    ngx_uint_t                  compile_processes;
    size_t                      max_object_size;
    ngx_msec_t                  handler_timeout;
    ngx_uint_t                  fault_limit;
    ngx_msec_t                  fault_window;
    ngx_str_t                   admin_key;
    ngx_array_t                *admin_origins;  /* of ngx_str_t */
    ngx_flag_t                  dev;
    ngx_flag_t                  purge_modules;
    ngx_str_t                   crypto_certificate;
    ngx_str_t                   crypto_certificate_key;
    SSL_CTX                    *crypto_ssl;   /* both, ctx->crypto's */

    ngx_array_t                *cc_argv;      /* of char *: cc + cflags */
    ngx_uint_t                  cc_nwords;    /* how many are cc's */
    ngx_array_t                *mgnt;         /* of ngx_cweb_reserved_t */
    ngx_shm_zone_t             *shm_zone;
    ngx_cycle_t                *cycle;
} ngx_cweb_main_conf_t;


typedef struct {
    ngx_uint_t                  kind;         /* NGX_CWEB_LOC_* */
} ngx_cweb_loc_conf_t;


/*
 * One plugin in the shared registry.  The registry mirrors the "modules"
 * and "module_versions" tables of SQLite and is guarded by the slab mutex,
 * except the fault fields, which processes dying inside plugin code write
 * from a signal handler: they are atomics, written without the lock.
 * manifest lists what the active version serves, one item a line:
 * "R <method> <path>", "W <path>", "J <name>"; it is slab memory and is
 * replaced, never edited.
 */
typedef struct {
    ngx_uint_t                  state;        /* NGX_CWEB_MOD_* */
    ngx_uint_t                  slot;         /* index in modules[] */
    ngx_uint_t                  version;      /* active version, 1.. */
    size_t                      name_len;
    u_char                      name[NGX_CWEB_NAME_LEN];
    u_char                      module_hash[NGX_CWEB_HASH_LEN];
    u_char                      source_sha256[NGX_CWEB_HASH_LEN];
    u_char                      so_file[NGX_CWEB_FILE_LEN];
    u_char                      reason[NGX_CWEB_REASON_LEN];
    ngx_msec_t                  compile_ms;
    time_t                      updated;
    size_t                      manifest_len;
    u_char                     *manifest;

    /* faults of one version within cweb_fault_window, lock-free */
    ngx_atomic_t                fault_version;
    ngx_atomic_t                fault_next;
    ngx_atomic_t                quarantine;   /* version that must not run */
    ngx_atomic_t                quarantine_done;  /* the helper acted */
    ngx_atomic_t                fault_at[NGX_CWEB_FAULT_RING];   /* msec */
    ngx_msec_t                  claimed;      /* msec: name took the slot */
} ngx_cweb_shm_module_t;


/*
 * A process that may run plugin code.  The call marker is written only
 * by the process itself: "what" then "since" to enter plugin code,
 * "since = 0" to leave it; the watchdog reads "since", "what", "since".
 */
typedef struct {
    ngx_atomic_t                pid;          /* 0: free */
    ngx_atomic_t                since;        /* msec, 0: not in a call */
    ngx_atomic_t                what;         /* ngx_cweb_call_what() */
    ngx_atomic_t                flags;        /* NGX_CWEB_PROC_* */
    ngx_atomic_t                retiring;     /* msec: exits after a fault */
} ngx_cweb_proc_t;


/* a fault, written lock-free by whoever saw it, persisted by the helper */
typedef struct {
    ngx_atomic_t                seq;          /* index + 1 once complete */
    ngx_atomic_t                what;
    ngx_atomic_t                kind;         /* NGX_CWEB_FAULT_* */
    ngx_atomic_t                value;        /* signal, exit code, msec */
    ngx_atomic_t                pid;
    ngx_atomic_t                at;           /* unix time */
    ngx_atomic_t                count;        /* faults in the window */
    ngx_atomic_t                since;        /* msec: the call began */
} ngx_cweb_fault_event_t;


typedef struct {
    ngx_atomic_t                state;        /* NGX_CWEB_ZONE_* */
    u_char                      reason[NGX_CWEB_REASON_LEN];
    ngx_atomic_t                generation;   /* bumped on every change */
    ngx_atomic_t                commit_lock;  /* pid of the committer */
    ngx_atomic_t                helper;       /* pid of the acting helper */
    ngx_atomic_t                fault_head;   /* events written */
    ngx_atomic_t                fault_tail;   /* events persisted */
    ngx_cweb_fault_event_t      faults[NGX_CWEB_FAULT_EVENTS];
    ngx_cweb_proc_t             procs[NGX_CWEB_MAX_PROCS];
    ngx_cweb_shm_module_t       modules[NGX_CWEB_MAX_MODULES];
} ngx_cweb_shm_t;


typedef struct {
    ngx_cweb_shm_t             *sh;
    ngx_slab_pool_t            *shpool;
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
    ngx_uint_t                  state;        /* NGX_CWEB_MOD_* to publish */
    ngx_str_t                   reason;
    unsigned                    pruned:1;     /* object no longer stored */
    unsigned                    quarantined:1;
} ngx_cweb_version_rec_t;


/* one item of a manifest */
typedef struct {
    u_char                      type;         /* 'R', 'W', 'J' */
    ngx_str_t                   method;       /* R */
    ngx_str_t                   value;        /* path or job name */
    ngx_uint_t                  regex;        /* R: path is a regex */
} ngx_cweb_manifest_item_t;


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
};



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
    ngx_cweb_route_t           *route;        /* in route->plugin, held */
    ngx_cweb_plugin_t          *plugin;       /* held while waiting */
    ngx_str_t                   out;          /* the body to send */
    ngx_event_t                 wait;         /* registry not ready yet */
    ngx_msec_t                  waited;
    char                       *body_buf;     /* the host's res->body */
    unsigned                    out_set:1;
    unsigned                    has_body:1;
    unsigned                    body_released:1;  /* the plugin free()d it */
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


/* a canary run of a new object, asked of the canary process */
typedef struct ngx_cweb_canary_s  ngx_cweb_canary_t;

typedef void (*ngx_cweb_canary_done_pt)(ngx_cweb_canary_t *cn);

struct ngx_cweb_canary_s {
    ngx_str_t                   path;         /* the object to try */
    ngx_cweb_canary_done_pt     done;
    void                       *data;
    ngx_log_t                  *log;
    ngx_pool_t                 *pool;

    /* NGX_OK passed, NGX_DECLINED refused (see result), NGX_ERROR */
    ngx_int_t                   rc;
    void                       *result;       /* json_t * */
    ngx_msec_t                  elapsed;

    /* private to ngx_cweb_canary.c */
    ngx_connection_t           *conn;
    ngx_event_t                 timer;
    ngx_buf_t                  *in;
    ngx_uint_t                  tries;
    ngx_msec_t                  start;
    unsigned                    started:1;    /* out of the queue */
};


extern ngx_module_t  ngx_cweb_module;

/* in cweb_module_dir */
#define NGX_CWEB_CANARY_SOCK  "/canary.sock"

/* the main conf of this process's cycle (not through the zone's context) */
#define ngx_cweb_conf()                                                       \
    ((ngx_cweb_main_conf_t *)                                                 \
     ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_cweb_module))


/* the call marker (two stores to enter plugin code, one to leave it) */

extern ngx_cweb_proc_t  *ngx_cweb_self;
extern ngx_socket_t      ngx_cweb_fault_fd;  /* raw answer if it dies */

#define ngx_cweb_call_what(slot, version, route)                           \
    (((ngx_atomic_uint_t) ((route) + 16) << 48)                              \
     | ((ngx_atomic_uint_t) (slot) << 32) | (uint32_t) (version))

#define ngx_cweb_what_slot(w)     ((ngx_uint_t) (((w) >> 32) & 0xffff))
#define ngx_cweb_what_version(w)  ((ngx_uint_t) ((w) & 0xffffffff))
#define ngx_cweb_what_route(w)    ((ngx_int_t) ((w) >> 48) - 16)

#define ngx_cweb_call_enter(p, route)                                        \
    if (ngx_cweb_self) {                                                     \
        __atomic_store_n(&ngx_cweb_self->what,                               \
                         ngx_cweb_call_what((p)->slot, (p)->version, route), \
                         __ATOMIC_RELAXED);                                  \
        __atomic_store_n(&ngx_cweb_self->since, ngx_current_msec | 1,        \
                         __ATOMIC_RELEASE);                                  \
    }

#define ngx_cweb_call_leave()                                                \
    if (ngx_cweb_self) {                                                     \
        __atomic_store_n(&ngx_cweb_self->since, 0, __ATOMIC_RELEASE);        \
    }


/* ngx_cweb_shm.c: zone, registry, commit lock, process table */
ngx_int_t ngx_cweb_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data);
ngx_cweb_shctx_t *ngx_cweb_shm_ctx(void);
void ngx_cweb_shm_use(ngx_cycle_t *cycle);
ngx_uint_t ngx_cweb_shm_generation(void);
ngx_uint_t ngx_cweb_shm_state(u_char **reason);
void ngx_cweb_shm_set_state(ngx_uint_t state, const char *reason);
ngx_int_t ngx_cweb_registry_snapshot(ngx_pool_t *pool, ngx_array_t *out);
ngx_int_t ngx_cweb_registry_get(ngx_str_t *name, ngx_cweb_shm_module_t *out,
    ngx_pool_t *pool);
ngx_int_t ngx_cweb_registry_get_slot(ngx_uint_t slot,
    ngx_cweb_shm_module_t *out, ngx_pool_t *pool);
ngx_int_t ngx_cweb_registry_find_source(u_char *sha256,
    ngx_cweb_shm_module_t *out, ngx_pool_t *pool);
ngx_int_t ngx_cweb_registry_publish(ngx_cweb_version_rec_t *rec);
ngx_int_t ngx_cweb_registry_remove(ngx_str_t *name);
ngx_int_t ngx_cweb_registry_set_state(ngx_str_t *name, ngx_uint_t version,
    ngx_uint_t state, const char *reason);
ngx_int_t ngx_cweb_commit_trylock(void);
void ngx_cweb_commit_unlock(void);
ngx_cweb_proc_t *ngx_cweb_proc_claim(ngx_pid_t pid);
void ngx_cweb_proc_release(ngx_cweb_proc_t *p);

/* ngx_cweb_fault.c: faults of plugin code, quarantine flags */
void ngx_cweb_fault_conf(ngx_cweb_main_conf_t *cmcf);
ngx_int_t ngx_cweb_fault_init_process(ngx_cycle_t *cycle);
void ngx_cweb_fault_exit_process(void);
void ngx_cweb_fault_record(ngx_atomic_uint_t what, ngx_uint_t kind,
    ngx_int_t value, ngx_pid_t pid);
void ngx_cweb_fault_record_call(ngx_atomic_uint_t what, ngx_msec_t since,
    ngx_uint_t kind, ngx_int_t value, ngx_pid_t pid);
ngx_uint_t ngx_cweb_fault_stale(ngx_cweb_shm_module_t *m, ngx_msec_t since);
u_char *ngx_cweb_fault_describe(u_char *buf, size_t size, ngx_uint_t kind,
    ngx_int_t value);
int ngx_cweb_fault_call_route(entry_t handler, http_request_t *req,
    http_response_t *res, int *rc);
int ngx_cweb_fault_call_hook(void (*hook)(struct cweb_context *));
void ngx_cweb_fault_recovered(int signo, ngx_log_t *log);
ngx_uint_t ngx_cweb_fault_count(ngx_cweb_shm_module_t *m,
    ngx_uint_t version);
ngx_int_t ngx_cweb_fault_next(ngx_cweb_fault_event_t *ev);
const char *ngx_cweb_signal_name(ngx_int_t signo);

/* ngx_cweb_manifest.c: what a plugin serves; names; reserved URLs */
ngx_int_t ngx_cweb_name_valid(u_char *name, size_t len);
ngx_int_t ngx_cweb_module_name_valid(u_char *name, size_t len);

/*
 * err = the formatted reason, cut to errlen - 1 and always NUL-terminated
 * (ngx_snprintf() with "%Z" leaves no NUL when it has to cut: reasons
 * carry paths and names a plugin chose)
 */
static ngx_inline void
ngx_cweb_errf(u_char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (errlen == 0) {
        return;
    }

    va_start(args, fmt);
    *ngx_vslprintf(err, err + errlen - 1, fmt, args) = '\0';
    va_end(args);
}
ngx_int_t ngx_cweb_manifest_from_config(module_t *config, ngx_pool_t *pool,
    ngx_str_t *text, u_char *err, size_t errlen);
ngx_int_t ngx_cweb_manifest_parse(ngx_str_t *text, ngx_pool_t *pool,
    ngx_array_t *items, u_char *err, size_t errlen);
ngx_int_t ngx_cweb_manifest_parse_all(ngx_str_t *text, ngx_pool_t *pool,
    ngx_array_t *items, ngx_str_t *author, u_char *err, size_t errlen);
ngx_int_t ngx_cweb_manifest_served(ngx_array_t *items, u_char *err,
    size_t errlen);
ngx_int_t ngx_cweb_manifest_conflict(ngx_str_t *name, ngx_array_t *items,
    ngx_pool_t *pool, ngx_str_t *conflict);
ngx_int_t ngx_cweb_manifest_matches(module_t *config, ngx_array_t *items);

/* ngx_cweb_store.c: SQLite, the registry's truth */
void *ngx_cweb_store_open(ngx_str_t *path, ngx_msec_t busy, ngx_log_t *log,
    u_char *err, size_t errlen);
void ngx_cweb_store_close(void *db);
ngx_int_t ngx_cweb_store_check(void *db, u_char *err, size_t errlen);
ngx_int_t ngx_cweb_store_load(void *db, ngx_log_t *log,
    ngx_int_t (*add)(ngx_cweb_version_rec_t *rec, void *data), void *data);
ngx_int_t ngx_cweb_store_row_valid(ngx_cweb_version_rec_t *rec,
    ngx_pool_t *pool, u_char *err, size_t errlen);
ngx_int_t ngx_cweb_store_commit(void *db, ngx_cweb_version_rec_t *rec,
    ngx_str_t *dir, ngx_str_t *tmp, ngx_str_t *src, ngx_uint_t *existed,
    ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_cweb_store_delete(void *db, ngx_str_t *name, ngx_str_t *dir,
    ngx_pool_t *pool, char *err, size_t errlen);
json_t *ngx_cweb_store_history(void *db, ngx_str_t *name,
    char *err, size_t errlen);
ngx_int_t ngx_cweb_store_version(void *db, ngx_str_t *name,
    ngx_uint_t version, ngx_uint_t exclude, ngx_cweb_version_rec_t *rec,
    ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_cweb_store_activate(void *db, ngx_str_t *name,
    ngx_uint_t version, char *err, size_t errlen);
ngx_int_t ngx_cweb_store_quarantine(void *db, ngx_str_t *name,
    ngx_uint_t version, const char *reason, ngx_uint_t current,
    ngx_uint_t fallback, char *err, size_t errlen);
ngx_int_t ngx_cweb_store_fault(void *db, ngx_str_t *name,
    ngx_uint_t version, ngx_cweb_fault_event_t *ev, ngx_str_t *route,
    char *err, size_t errlen);
ngx_int_t ngx_cweb_store_sweep(void *db, ngx_str_t *dir, ngx_log_t *log);
void *ngx_cweb_store_worker_db(ngx_log_t *log, char *err, size_t errlen);
void ngx_cweb_store_worker_release(void);
void ngx_cweb_store_worker_close(void);
void *ngx_cweb_store_connect(ngx_str_t *path, ngx_msec_t busy, u_char *err,
    size_t errlen);
ngx_int_t ngx_cweb_store_mkdirs(ngx_str_t *dir, ngx_log_t *log);
ngx_int_t ngx_cweb_store_fsync_dir(ngx_str_t *dir, const char *sub);
ngx_int_t ngx_cweb_store_install(ngx_str_t *tmp, ngx_str_t *dir,
    ngx_str_t *file, char *err, size_t errlen);
ngx_int_t ngx_cweb_store_path(u_char *buf, size_t size, const char *fmt,
    ...);
ngx_int_t ngx_cweb_store_vpath(u_char *buf, size_t size, const char *fmt,
    va_list args);
typedef ngx_int_t (*ngx_cweb_store_each_pt)(u_char *path, u_char *name,
    size_t len, void *data);
ngx_int_t ngx_cweb_store_each(ngx_str_t *dir, const char *sub,
    ngx_cweb_store_each_pt handler, void *data);
ngx_int_t ngx_cweb_store_hex(u_char *s, size_t len);

/* ngx_cweb_rollback.c: stored versions made active again */
ngx_int_t ngx_cweb_rollback_usable(ngx_str_t *dir,
    ngx_cweb_version_rec_t *rec, ngx_pool_t *pool, ngx_str_t *conflict,
    u_char *err, size_t errlen);

/* ngx_cweb_helper.c: the cweb helper process */
ngx_msec_t ngx_cweb_helper_manager(void *data);
ngx_int_t ngx_cweb_helper_start(ngx_cycle_t *cycle);
void ngx_cweb_purge_at_exit(ngx_cycle_t *cycle);

/* ngx_cweb_watchdog.c: stuck and dead processes, faults, quarantines */
void ngx_cweb_watchdog_run(void *db, ngx_cweb_main_conf_t *cmcf);
void ngx_cweb_watchdog_faults(void *db, ngx_cweb_main_conf_t *cmcf);
void ngx_cweb_watchdog_quarantines(void *db, ngx_cweb_main_conf_t *cmcf);

/* ngx_cweb_canary.c: new code runs first in a throwaway process */
ngx_int_t ngx_cweb_canary_spawn(ngx_cycle_t *cycle);
ngx_int_t ngx_cweb_canary_alive(void);
ngx_int_t ngx_cweb_canary_start(ngx_cweb_canary_t *cn);
void ngx_cweb_canary_abort(ngx_cweb_canary_t *cn);

/* ngx_cweb_compile.c: the compiler as a watched child */
ngx_int_t ngx_cweb_compile_start(ngx_cweb_compile_t *cc);
void ngx_cweb_compile_abort(ngx_cweb_compile_t *cc);

/* ngx_cweb_loader.c: per-process versions, lazy dlopen, refcounts */
ngx_int_t ngx_cweb_loader_sync(ngx_log_t *log);
ngx_cweb_router_t *ngx_cweb_loader_router(void);
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

/* ngx_cweb_router.c: per-generation route table */
ngx_int_t ngx_cweb_route_compile(ngx_cweb_route_t *rt, ngx_pool_t *pool,
    ngx_log_t *log);
void ngx_cweb_route_free(ngx_cweb_route_t *rt);
ngx_cweb_router_t *ngx_cweb_router_create(ngx_cweb_plugin_t *plugins,
    ngx_log_t *log);
void ngx_cweb_router_destroy(ngx_cweb_router_t *router);
ngx_int_t ngx_cweb_router_match(ngx_cweb_router_t *router,
    ngx_http_request_t *r, ngx_cweb_route_t **route);

/* ngx_cweb_http.c: plugin routes */
ngx_int_t ngx_cweb_http_init_process(ngx_cycle_t *cycle);
ngx_int_t ngx_cweb_http_handler(ngx_http_request_t *r);
ngx_int_t ngx_cweb_http_body(ngx_http_request_t *r, ngx_str_t *body);
ngx_uint_t ngx_cweb_http_urlencoded(ngx_http_request_t *r);

/* ngx_cweb_response.c: what a handler answered, on the wire */
void ngx_cweb_response_init(void);
ngx_int_t ngx_cweb_response_send(ngx_cweb_call_t *call);

/* ngx_cweb_api.c: the table handed to plugins */
extern cweb_api_t      ngx_cweb_api;
extern cweb_context_t  ngx_cweb_context;
void ngx_cweb_api_set_plugin(ngx_cweb_plugin_t *p);
void ngx_cweb_api_set_canary(void);
void ngx_cweb_api_set_call(ngx_cweb_call_t *call);
ngx_cweb_plugin_t *ngx_cweb_api_current(void);
void ngx_cweb_api_error(const char *fmt, ...);
ngx_int_t ngx_cweb_kv_init(ngx_cweb_kv_t *kv, ngx_pool_t *pool, ngx_uint_t n,
    ngx_uint_t nocase);
void ngx_cweb_kv_init_inline(ngx_cweb_kv_t *kv, ngx_pool_t *pool,
    http_kv_pair_t *pairs, u_char *owned, size_t n, ngx_uint_t nocase);
ngx_int_t ngx_cweb_kv_push(http_kv_store_t *store, char *key, char *value);
ngx_cweb_kv_t *ngx_cweb_kv_check(const http_kv_store_t *store,
    const char *fn);
ngx_uint_t ngx_cweb_kv_known(ngx_cweb_call_t *c,
    const http_kv_store_t *store);

/* ngx_cweb_api_map.c: maps, ctx->cache, ctx->scheduler */
void ngx_cweb_api_forget(ngx_cweb_plugin_t *p);

/* ngx_cweb_api_crypto.c: ctx->crypto, crypto_init(), crypto_shutdown() */
extern struct crypto   ngx_cweb_crypto;
char *ngx_cweb_crypto_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_cweb_crypto_conf(ngx_conf_t *cf, ngx_cweb_main_conf_t *cmcf);
void ngx_cweb_crypto_init_process(ngx_cycle_t *cycle);
int ngx_cweb_crypto_init(struct crypto *crypto, const char *certificate,
    const char *private_key);
void ngx_cweb_crypto_shutdown(struct crypto *crypto);
void ngx_cweb_crypto_forget(ngx_cweb_plugin_t *p);

/* ngx_cweb_api_db.c: ctx->database */
extern struct sqldb    ngx_cweb_database;
ngx_int_t ngx_cweb_api_open_database(ngx_log_t *log);
void ngx_cweb_api_close_database(void);
void ngx_cweb_api_drop_database(void);

/* ngx_cweb_admin.c: /mgnt */
ngx_int_t ngx_cweb_admin_handler(ngx_http_request_t *r);
void *ngx_cweb_admin_ctx(ngx_http_request_t *r);

/* ngx_cweb_json.c: JSON answers and JSON error pages */
json_t *ngx_cweb_json_text(const u_char *data, size_t len);
ngx_int_t ngx_cweb_send_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *json);
ngx_int_t ngx_cweb_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *fmt, ...);

/* ngx_cweb_auth.c: admin credentials and browser checks */
ngx_int_t ngx_cweb_auth_check(ngx_http_request_t *r, const char **reason);


#endif /* _NGX_CWEB_H_INCLUDED_ */
