/*
 * cweb.h - the only header an ngx_cweb plugin needs.
 *
 * Source-compatible with c-web-modules plugins (module_t config, routes,
 * http_request_t / http_response_t, http_kv_*), plus cweb_* extensions.
 *
 * ABI: the host hands the plugin one versioned function table (cweb_api_t)
 * before anything else runs; every host service below goes through it, so
 * a plugin never links against nginx symbols.  Plugins are linked with
 * -Bsymbolic and opened RTLD_LOCAL: a plugin's own references bind to its
 * own definitions, two plugins may define the same global name, and a
 * plugin's symbols never interpose on nginx's; its non-static globals can
 * still be found by name through ctx->symbols->resolv().
 * The table only ever grows at its end; CWEB_ABI_VERSION changes when an
 * existing member changes, and the host refuses plugins built against
 * another version.
 *
 * Contexts named in the contracts below:
 *   init     - onload()/unload(), called in every nginx process that loads
 *              this version of the plugin (each process has its own copy
 *              of the plugin's globals), and once before that in the
 *              canary, a throwaway process that tries every new version
 *              before it goes live (cweb_is_canary() tells);
 *   request  - a route handler, for the duration of the call;
 *   work     - ctx->scheduler work, on the worker's event loop;
 *   any      - any of them, and constructors and destructors.
 * Every host function is for the worker's event loop only: called from a
 * thread the plugin started, or from code the host did not call into (a
 * signal handler, atexit()), it returns CWEB_ERROR (NULL, 0, MAP_ERR,
 * SQLITE_MISUSE) and logs why, without touching anything.
 *
 * Containment: a handler (or onload/unload, constructors, destructors)
 * that crashes, calls exit(), or runs longer than cweb_handler_timeout
 * costs the worker it runs in; cweb_fault_limit such faults within
 * cweb_fault_window quarantine the version and the previous good one comes
 * back.
 *
 * Return codes mirror nginx: CWEB_OK 0, CWEB_ERROR -1, CWEB_AGAIN -2,
 * CWEB_DECLINED -5.
 */

#ifndef CWEB_H
#define CWEB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <regex.h>
#include <sqlite3.h>

/* third party JSON library, available to every plugin */
#include <jansson.h>

/* upstream's headers, area db/uuid/http: constants, uuid, sqldb */
#include <cweb_config.h>
#include <uuid.h>
#include <db.h>
#include <http.h>

/* upstream's compatibility headers: map, container, scheduler */
#include <map.h>
#include <container.h>
#include <scheduler.h>

/* upstream's compatibility headers: crypto (OpenSSL's headers with it) */
#include <crypto.h>

#ifdef __cplusplus
extern "C" {
#endif


/* the host's ABI, not a knob: a -D in a plugin's build cannot change it */
#undef CWEB_ABI_VERSION
#define CWEB_ABI_VERSION  2

#define CWEB_OK         0
#define CWEB_ERROR     -1
#define CWEB_AGAIN     -2
#define CWEB_DECLINED  -5

/*
 * c-web-modules' marker for what the host looks up (module_t config);
 * plugin globals are visible without it, host-side entry code is not
 */
#define export  __attribute__((visibility("default")))

#define HTTP_VERSION        "HTTP/1.1"
#define HTTP_RESPONSE_SIZE  (8 * 1024)


/* key/value stores: request params, headers, form data, response headers */

typedef struct http_kv_pair {
    char                       *key;
    char                       *value;
} http_kv_pair_t;

typedef struct http_kv_store {
    http_kv_pair_t             *entries;
    size_t                      size;
    size_t                      capacity;
} http_kv_store_t;


typedef enum http_version {
    HTTP_VERSION_1_0,
    HTTP_VERSION_1_1,
    HTTP_VERSION_2
} http_version_t;

typedef enum http_method {
    HTTP_ERR = -1,
    HTTP_GET,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_OPTIONS,
    HTTP_HEAD,
    HTTP_PATCH
} http_method_t;

typedef enum http_error {
    HTTP_000_UNKNOWN,
    HTTP_101_SWITCHING_PROTOCOLS,
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_202_ACCEPTED,
    HTTP_204_NO_CONTENT,
    HTTP_301_MOVED_PERMANENTLY,
    HTTP_302_FOUND,
    HTTP_303_SEE_OTHER,
    HTTP_304_NOT_MODIFIED,
    HTTP_307_TEMPORARY_REDIRECT,
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_409_CONFLICT,
    HTTP_413_PAYLOAD_TOO_LARGE,
    HTTP_414_URI_TOO_LONG,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_426_UPGRADE_REQUIRED,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_501_NOT_IMPLEMENTED,
    HTTP_502_BAD_GATEWAY,
    HTTP_503_SERVICE_UNAVAILABLE,
    HTTP_504_GATEWAY_TIMEOUT
} http_error_t;


typedef struct http_request {
    http_method_t               method;
    http_version_t              version;
    http_error_t                status;
    char                       *path;         /* decoded, no query string */
    char                       *body;         /* NUL-terminated copy */
    int                         content_length;
    char                        keep_alive;
    char                        close;
    pthread_t                   tid;
    http_kv_store_t            *params;       /* query string arguments */
    http_kv_store_t            *headers;      /* case-insensitive names */
    http_kv_store_t            *data;         /* urlencoded/multipart form */
    int                         websocket;
    /* 1: the body came chunked; body and content_length are decoded */
    int                         transfer_encoding_chunked;
} http_request_t;

typedef struct http_response {
    http_error_t                status;
    http_kv_store_t            *headers;
    /*
     * A malloc()ed buffer of HTTP_RESPONSE_SIZE bytes, this call's own,
     * to write into; the host sends content_length bytes of it (or up to
     * the first NUL when content_length is 0).  Writing past its end is a
     * fault of the plugin: the request is answered 500 and the fault counts
     * towards quarantine.  The seed's contract holds: the host free()s
     * body after the call, so a plugin may free() it and point body at a
     * malloc()ed buffer of its own, of any size (string literals and other
     * static data are recognised and not freed).
     */
    char                       *body;
    int                         content_length;
} http_response_t;

typedef struct websocket {
    char                       *session;
    int                         client_fd;
    int                       (*send)(struct websocket *ws,
                                      const char *message, size_t length);
    int                       (*close)(struct websocket *ws);
} websocket_t;


/* struct cweb_context members (seed names) */

/* struct container (ctx->cache), struct scheduler: container.h, scheduler.h */

/* struct crypto (ctx->crypto): crypto.h */

struct symbols {
    /*
     * resolv(user_data, module, symbol): the address of a non-static
     * function or variable of the current version of the plugin whose
     * config.name is module (loaded here if it was not yet), or of a
     * library it links; NULL when no such plugin is active or it has no
     * such symbol (user_data is not used).  The host's own entry symbols
     * (cweb_plugin_bind, cweb_abi_version) are never handed out.  The
     * address is valid while that version is current.  Contexts: init,
     * request.
     */
    void                       *user_data;
    void                     *(*resolv)(void *user_data, const char *module,
                                        const char *symbol);
};

/* ctx->jobs: NULL until this host has durable jobs (jobs.h) */
struct job_system;

/*
 * upstream's hook by which its server hands a plugin jobs_create(); here
 * the host owns the job system and jobs_bind() is refused
 */
typedef int (*jobs_create_fn_t)(void *user_data, const char *job_name,
    const char *payload_json, cweb_uuid_t *job_uuid_out);

typedef struct cweb_context {
    struct container           *cache;
    struct scheduler           *scheduler;
    struct sqldb               *database;
    struct crypto              *crypto;
    struct symbols             *symbols;
    struct job_system          *jobs;
} cweb_context_t;


typedef int (*entry_t)(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res);

typedef enum {
    NONE = 0,
    FEATURE_FLAG_NONE = 0
} cweb_feature_flag_t;

/*
 * route_info_t.flags: JSON envelopes (AG_Web's "[json-status]" and
 * "[json]" command types; the handler's return value decides): see
 * cweb_set_error() below
 */
#define CWEB_JSON_STATUS  0x0100
#define CWEB_JSON         0x0200

typedef struct ws_info {
    const char                 *path;
    void                      (*on_open)(struct cweb_context *, websocket_t *);
    void                      (*on_message)(struct cweb_context *,
                                            websocket_t *,
                                            const char *message,
                                            size_t length);
    void                      (*on_close)(struct cweb_context *,
                                          websocket_t *);
} websocket_info_t;

typedef struct job_payload {
    const char                 *json;
    size_t                      json_len;
} job_payload_t;

typedef struct job_ctx {
    const char                 *job_uuid;
    int                       (*emit_event)(struct job_ctx *job,
                                            const char *type,
                                            const char *data_json);
    int                       (*set_result)(struct job_ctx *job,
                                            const char *result_json);
    int                       (*set_error)(struct job_ctx *job,
                                           const char *error_text);
} job_ctx_t;

typedef int (*job_run_t)(struct cweb_context *ctx,
    const job_payload_t *payload, job_ctx_t *job);

typedef struct job_info {
    const char                 *name;
    job_run_t                   run;
    void                      (*cancel)(struct cweb_context *ctx,
                                        const char *job_uuid);
} job_info_t;

/*
 * path is matched exactly, or, when it contains a regex metacharacter,
 * as an anchored POSIX extended regex ("/static/.*"); method is "GET",
 * "POST", ...; a GET route also answers HEAD.
 */
typedef struct route_info {
    const char                 *path;
    const char                 *method;
    entry_t                     handler;
    int                         flags;
    regex_t                     regex;          /* unused by the host */
    int                         regex_compiled; /* unused by the host */
} route_info_t;

typedef struct module {
    char                        name[128];
    char                        author[128];
    route_info_t                routes[MAX_ROUTES];
    int                         size;
    websocket_info_t            websockets[MAX_WEBSOCKETS];
    int                         ws_size;
    job_info_t                  jobs[MAX_JOBS];
    int                         job_size;
    void                      (*onload)(struct cweb_context *);
    void                      (*unload)(struct cweb_context *);
} module_t;


/* log levels, nginx's values */
#define CWEB_LOG_EMERG   1
#define CWEB_LOG_ALERT   2
#define CWEB_LOG_CRIT    3
#define CWEB_LOG_ERR     4
#define CWEB_LOG_WARN    5
#define CWEB_LOG_NOTICE  6
#define CWEB_LOG_INFO    7
#define CWEB_LOG_DEBUG   8
/* AG_Web's levels beyond syslog's: tagged, at debug / err / err */
#define CWEB_LOG_QUERY   9
#define CWEB_LOG_WORKER  10
#define CWEB_LOG_EVENT   11


/*
 * Typed arguments (cweb_arg_*): results besides CWEB_OK, and the number
 * types of cweb_arg_num()
 */
#define CWEB_ARG_MISSING  -20   /* no argument of that name */
#define CWEB_ARG_INVALID  -21   /* not a number, too long, not in the list */
#define CWEB_ARG_RANGE    -22   /* outside the bounds or the type's limits */

#define CWEB_ARG_INT       1    /* int */
#define CWEB_ARG_UINT      2    /* unsigned */
#define CWEB_ARG_INT64     3    /* int64_t */
#define CWEB_ARG_UINT64    4    /* uint64_t */
#define CWEB_ARG_FLOAT     5    /* float */
#define CWEB_ARG_DOUBLE    6    /* double */

/* cweb_cookie_t.same_site */
#define CWEB_SAMESITE_UNSET   0   /* no attribute: the browser's default */
#define CWEB_SAMESITE_LAX     1
#define CWEB_SAMESITE_STRICT  2
#define CWEB_SAMESITE_NONE    3   /* cross-site too: needs secure */

/* cweb_cookie_t.max_age: Max-Age=0, the cookie goes (cweb_cookie_del()) */
#define CWEB_COOKIE_DELETE   -1

/* the attributes of a cookie set (cweb_cookie_set()); 0/NULL: not sent */
typedef struct cweb_cookie {
    const char                 *path;
    const char                 *domain;
    long                        max_age;      /* seconds, > 0 */
    time_t                      expires;      /* a time, 1970-9999 */
    int                         secure;
    int                         http_only;
    int                         same_site;    /* CWEB_SAMESITE_* */
} cweb_cookie_t;


/* cweb_shared_*(): what an entry holds, and how a store treats one there */
#define CWEB_SHARED_STRING   1
#define CWEB_SHARED_NUMBER   2

#define CWEB_SHARED_SET      0    /* add or replace */
#define CWEB_SHARED_ADD      1    /* only if absent */
#define CWEB_SHARED_REPLACE  2    /* only if present */

/* one part of a multipart/form-data body (cweb_part()) */
typedef struct cweb_part {
    const char                 *name;
    const char                 *filename;     /* NULL: not a file part */
    const char                 *content_type; /* NULL: none was sent */
    const unsigned char        *data;         /* len bytes, any of them */
    size_t                      len;
} cweb_part_t;


/* the host function table; members are only ever appended */

typedef struct cweb_api_s {
    uint32_t                    abi_version;
    uint32_t                    size;        /* sizeof(cweb_api_t) */

    http_kv_store_t          *(*kv_create)(size_t capacity);
    void                      (*kv_destroy)(http_kv_store_t *store,
                                            int free_values);
    int                       (*kv_insert)(http_kv_store_t *store,
                                           const char *key, char *value);
    char                     *(*kv_get)(const http_kv_store_t *store,
                                        const char *key);
    size_t                    (*kv_size)(const http_kv_store_t *store);
    int                       (*kv_set)(http_kv_store_t *store,
                                        const char *key, const char *value);

    int                       (*response_body)(http_response_t *res,
                                               const void *data, size_t len);
    int                       (*response_header)(http_response_t *res,
                                                 const char *name,
                                                 const char *value);
    void                     *(*palloc)(http_request_t *req, size_t size);
    void                      (*log)(int level, const char *fmt,
                                     va_list args);
    int                       (*jobs_create)(const char *job_name,
                                             const char *payload_json,
                                             cweb_uuid_t *job_uuid_out);
    int                       (*is_canary)(void);

    /* map.h, container.h, scheduler.h */
    struct map               *(*map_create)(size_t initial_capacity);
    void                      (*map_destroy)(struct map *map);
    map_error_t               (*map_insert)(struct map *map,
                                            const char *key, void *value);
    void                     *(*map_get)(const struct map *map,
                                         const char *key);
    map_error_t               (*map_remove)(struct map *map,
                                            const char *key);
    size_t                    (*map_size)(const struct map *map);
    int                       (*container_init)(struct container *c,
                                                size_t initial_capacity);
    void                      (*container_shutdown)(struct container *c);
    map_error_t               (*container_set)(struct container *c,
                                               const char *name,
                                               void *value);
    void                     *(*container_get)(struct container *c,
                                               const char *name);
    map_error_t               (*container_remove)(struct container *c,
                                                  const char *name);
    int                       (*scheduler_init)(struct scheduler *s,
                                                size_t capacity);
    void                      (*scheduler_shutdown)(struct scheduler *s);
    int                       (*scheduler_add)(struct scheduler *s,
                                               work_t work, void *data,
                                               worker_state_t state);
    void                      (*scheduler_request_stop)(struct scheduler *s,
                                                        int drain);
    int                       (*scheduler_pending_count)(
                                  struct scheduler *s);
    void                      (*scheduler_cancel)(struct scheduler *s);

    /* crypto.h, jobs.h */
    int                       (*crypto_init)(struct crypto *crypto,
                                             const char *certificate,
                                             const char *private_key);
    void                      (*crypto_shutdown)(struct crypto *crypto);
    void                      (*jobs_bind)(jobs_create_fn_t fn,
                                           void *user_data);

    /* cweb_entry.c's free()/realloc() of the host's res->body buffer */
    int                       (*body_release)(void *p);

    /* WebSockets beyond websocket_t */
    int                       (*ws_send_binary)(websocket_t *ws,
                                                const void *data,
                                                size_t len);
    int                       (*ws_ping)(websocket_t *ws, const void *data,
                                         size_t len);
    http_request_t           *(*ws_request)(websocket_t *ws);
    int                       (*ws_protocol)(websocket_t *ws,
                                             const char *protocol);

    /* WebSockets across workers */
    int                       (*ws_broadcast)(const char *path,
                                              const void *data, size_t len,
                                              int opcode);

    /* typed arguments, URL escaping */
    int                       (*arg_str)(http_request_t *req,
                                         const char *name, size_t max_len,
                                         int trim, const char **value);
    int                       (*arg_num)(http_request_t *req,
                                         const char *name, int type,
                                         void *out, const void *min,
                                         const void *max);
    int                       (*arg_bool)(http_request_t *req,
                                          const char *name, int *out);
    int                       (*arg_enum)(http_request_t *req,
                                          const char *name,
                                          const char *const *list,
                                          unsigned *index);
    int                       (*arg_range)(http_request_t *req,
                                           const char *name,
                                           const char *sep, int *min,
                                           int *max);
    const char               *(*arg_error)(http_request_t *req);
    char                     *(*url_escape)(http_request_t *req,
                                            const char *s);
    char                     *(*url_unescape)(http_request_t *req,
                                              const char *s);

    /* cookies, headers, status */
    int                       (*cookie_get)(http_request_t *req,
                                            const char *name,
                                            const char **value);
    int                       (*cookie_set)(http_response_t *res,
                                            const char *name,
                                            const char *value,
                                            const cweb_cookie_t *attrs);
    int                       (*response_header_add)(http_response_t *res,
                                                     const char *name,
                                                     const char *value);
    int                       (*response_status)(http_response_t *res,
                                                 int code,
                                                 const char *reason);

    /* JSON answers and envelopes */
    int                       (*set_error)(http_response_t *res,
                                           const char *fmt, va_list args);
    int                       (*json_answer)(http_response_t *res,
                                             json_t *value);

    /* multipart parts */
    int                       (*part)(http_request_t *req, size_t i,
                                      const char *name, cweb_part_t *part);

    /* state shared by all workers (cweb_shared_zone) */
    int                       (*shared_get)(const char *zone,
                                            const char *key, int *type,
                                            void *buf, size_t size,
                                            size_t *len, int64_t *num);
    int                       (*shared_store)(int how, const char *zone,
                                              const char *key, int type,
                                              const void *data, size_t len,
                                              int64_t num, long ttl_ms);
    int                       (*shared_incr)(const char *zone,
                                             const char *key, int64_t delta,
                                             int64_t *value);
    int                       (*shared_delete)(const char *zone,
                                               const char *key);

    /* output of any size, streamed; files; compression */
    int                       (*write)(http_response_t *res,
                                       const void *data, size_t len);
    int                       (*flush)(http_response_t *res);
    int                       (*stream)(http_response_t *res, entry_t more,
                                        void *data);
    void                     *(*stream_data)(http_response_t *res);
    int                       (*send_file)(http_response_t *res,
                                           const char *path);
    int                       (*set_compression)(http_response_t *res,
                                                 int enable, int level);
} cweb_api_t;

/* set by the host before onload(); hidden, so private to each plugin */
extern const cweb_api_t  *cweb_api __attribute__((visibility("hidden")));


/*
 * http_kv_get: value stored under key (header names compare
 * case-insensitively), or NULL.  Contexts: request, init.  The string
 * belongs to the store; do not free it.
 */
static inline char *
http_kv_get(const http_kv_store_t *store, const char *key)
{
    return cweb_api->kv_get(store, key);
}

/*
 * http_kv_insert: adds key -> value.  value must come from malloc()
 * (strdup()): the host frees it when the store goes away, e.g. at the end
 * of the request for res->headers.  An existing key is kept (seed
 * semantics) and value is then freed.  Returns 0, or -1 on no memory.
 * Contexts: request, init.
 */
static inline int
http_kv_insert(http_kv_store_t *store, const char *key, char *value)
{
    return cweb_api->kv_insert(store, key, value);
}

/* http_kv_size: number of entries.  Contexts: any. */
static inline size_t
http_kv_size(const http_kv_store_t *store)
{
    return cweb_api->kv_size(store);
}

/*
 * http_kv_create/http_kv_destroy: a store owned by the plugin (malloc);
 * destroy frees the keys, and the values when free_values is non-zero.
 * Destroying a host store (req->headers, ...) does nothing.
 */
static inline http_kv_store_t *
http_kv_create(size_t capacity)
{
    return cweb_api->kv_create(capacity);
}

static inline void
http_kv_destroy(http_kv_store_t *store, int free_values)
{
    cweb_api->kv_destroy(store, free_values);
}

/*
 * map_insert/map_get on an http_kv_store_t *: the older seed form.  This
 * map_insert copies value, so string literals are fine, and replaces an
 * existing value; it returns 0 or -1.  On a struct map * they are map.h's.
 */
static inline int
cweb_kv_map_insert(http_kv_store_t *store, const char *key,
    const char *value)
{
    return cweb_api->kv_set(store, key, value);
}

static inline char *
cweb_kv_map_get(const http_kv_store_t *store, const char *key)
{
    return cweb_api->kv_get(store, key);
}

#define map_insert(m, key, value)                                            \
    _Generic((m),                                                            \
             http_kv_store_t *: cweb_kv_map_insert,                          \
             default: map_insert)(m, key, value)

#define map_get(m, key)                                                      \
    _Generic((m),                                                            \
             http_kv_store_t *: cweb_kv_map_get,                             \
             const http_kv_store_t *: cweb_kv_map_get,                       \
             default: map_get)(m, key)


/*
 * cweb_response_body: makes data[0..len) the response body, of any size,
 * instead of res->body.  The bytes are copied into request memory, so data
 * may be freed when the call returns.  Returns CWEB_OK or CWEB_ERROR (no
 * memory).  Context: request.
 */
static inline int
cweb_response_body(http_response_t *res, const void *data, size_t len)
{
    return cweb_api->response_body(res, data, len);
}

/*
 * cweb_response_header: sets a response header (an existing header of the
 * same name is replaced); both strings are copied.  Content-Type and
 * Location are accepted; Content-Length is computed by the host.
 * Returns CWEB_OK or CWEB_ERROR.  Context: request.
 */
static inline int
cweb_response_header(http_response_t *res, const char *name,
    const char *value)
{
    return cweb_api->response_header(res, name, value);
}

/*
 * cweb_palloc: size bytes that live until the request ends; freed by the
 * host, never by the plugin.  NULL on no memory.  Context: request.
 */
static inline void *
cweb_palloc(http_request_t *req, size_t size)
{
    return cweb_api->palloc(req, size);
}

/*
 * cweb_log (AG_Web's WEB_Log): writes to nginx's error_log at an nginx
 * level, prefixed with the plugin's name; in a route handler the line is
 * the request's (nginx's "*<connection>" before it, client, server and
 * request after it).  CWEB_LOG_EMERG ... CWEB_LOG_DEBUG are nginx's levels
 * (error_log's threshold applies; debug lines need "error_log ... debug");
 * AG_Web's CWEB_LOG_QUERY is logged at debug, CWEB_LOG_WORKER and
 * CWEB_LOG_EVENT at err, each tagged ("query: ", "worker: ", "event: ");
 * any other level at err.  At most 2 KB of text a line.  The shorthands
 * cweb_log_err() ... cweb_log_event() are WEB_LogErr() ... WEB_LogEvent().
 * Contexts: any.
 */
static inline void
cweb_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void
cweb_log(int level, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    cweb_api->log(level, fmt, args);
    va_end(args);
}

#define CWEB_LOG_FN(suffix, lvl)                                             \
    static inline void                                                       \
    cweb_log_##suffix(const char *fmt, ...)                                  \
        __attribute__((format(printf, 1, 2)));                               \
                                                                             \
    static inline void                                                       \
    cweb_log_##suffix(const char *fmt, ...)                                  \
    {                                                                        \
        va_list  args;                                                       \
                                                                             \
        va_start(args, fmt);                                                 \
        cweb_api->log(lvl, fmt, args);                                       \
        va_end(args);                                                        \
    }

CWEB_LOG_FN(err, CWEB_LOG_ERR)
CWEB_LOG_FN(warn, CWEB_LOG_WARN)
CWEB_LOG_FN(notice, CWEB_LOG_NOTICE)
CWEB_LOG_FN(info, CWEB_LOG_INFO)
CWEB_LOG_FN(debug, CWEB_LOG_DEBUG)
CWEB_LOG_FN(query, CWEB_LOG_QUERY)
CWEB_LOG_FN(worker, CWEB_LOG_WORKER)
CWEB_LOG_FN(event, CWEB_LOG_EVENT)

/*
 * cweb_is_canary: 1 while this code runs in the canary (the throwaway
 * process every new version is loaded in first: constructors, onload,
 * unload, destructors), 0 in nginx's workers.  onload() with side effects
 * outside the process (files, the database) thus runs once more than the
 * number of workers.  Contexts: any.
 */
static inline int
cweb_is_canary(void)
{
    return cweb_api->is_canary();
}

/*
 * jobs_create: seed API for background jobs.  job_name is looked up
 * among the calling plugin's own jobs first, else the one active plugin
 * with a job of that name; payload_json (NULL or "" for {}) must be JSON
 * of at most cweb_job_max_payload bytes.  Returns CWEB_OK with the new
 * job's uuid in *job_uuid_out at once (the helper commits the job within
 * milliseconds; GET /jobs/<uuid> may answer 404 until then, and a refusal
 * at commit is logged), or CWEB_ERROR and an error-log line saying why
 * (no such job, bad payload, called from a job or a thread).  Contexts:
 * any on a worker (a job cannot create another in this release).
 */
static inline int
jobs_create(const char *job_name, const char *payload_json,
    cweb_uuid_t *job_uuid_out)
{
    return cweb_api->jobs_create(job_name, payload_json, job_uuid_out);
}

/*
 * jobs_bind: upstream's server calls it to give a plugin its job system;
 * here the host owns the job system, so a plugin's call is refused with
 * an error-log line and changes nothing.  Contexts: any.
 */
static inline void
jobs_bind(jobs_create_fn_t fn, void *user_data)
{
    cweb_api->jobs_bind(fn, user_data);
}


/* cweb_ws_broadcast() opcodes: RFC 6455's */
#define CWEB_WS_TEXT    1
#define CWEB_WS_BINARY  2

/*
 * cweb_ws_broadcast: sends data[0..len) as one message to every open
 * WebSocket on path (as this plugin declares it in config.websockets[])
 * in every nginx worker, this one included; opcode is CWEB_WS_TEXT (data
 * must be UTF-8) or CWEB_WS_BINARY.  The bytes are copied: data may be
 * freed when the call returns.  Delivery is asynchronous, within
 * milliseconds, after the calling handler returned; broadcasts reach each
 * connection in the order they were made (a ws->send() made right after
 * one may arrive first).  It reaches connections only, never calls
 * on_message; a connection whose client does not read is closed 1008 as
 * for ws->send() (cweb_websocket_max_queue).  A worker that fell too far
 * behind (cweb_event_zone too small for the rate) loses broadcasts and
 * logs it.  Returns CWEB_OK once published, CWEB_ERROR (and an error-log
 * line) for a path this plugin does not declare, text that is not UTF-8,
 * another opcode, a message larger than a quarter of cweb_event_zone, or
 * another context.  Contexts: request, websocket, work.
 */
static inline int
cweb_ws_broadcast(const char *path, const void *data, size_t len,
    int opcode)
{
    return cweb_api->ws_broadcast(path, data, len, opcode);
}


/*
 * WebSockets, besides websocket_t's send (a text frame: UTF-8 only) and
 * close (1000).  ws is the handler's own or another open WebSocket of
 * this worker; each returns CWEB_OK, or CWEB_ERROR with an error-log line
 * (ws not open here, the connection closing, a bad argument).
 * Contexts: any (but a thread of the plugin's own).
 */

/* cweb_ws_send_binary: one binary frame of len bytes */
static inline int
cweb_ws_send_binary(websocket_t *ws, const void *data, size_t len)
{
    return cweb_api->ws_send_binary(ws, data, len);
}

/* cweb_ws_ping: a ping with up to 125 bytes; the client's pong is ignored */
static inline int
cweb_ws_ping(websocket_t *ws, const void *data, size_t len)
{
    return cweb_api->ws_ping(ws, data, len);
}

/*
 * cweb_ws_request: the opening request (method, path, params, headers,
 * websocket = 1), in on_open only (NULL elsewhere): e.g. a token in the
 * query, a cookie, the offered Sec-WebSocket-Protocol.
 */
static inline http_request_t *
cweb_ws_request(websocket_t *ws)
{
    return cweb_api->ws_request(ws);
}

/*
 * cweb_ws_protocol: in on_open, the subprotocol to answer with
 * (Sec-WebSocket-Protocol): one of those the client offered, compared
 * exactly; CWEB_ERROR for any other, or outside on_open.
 */
static inline int
cweb_ws_protocol(websocket_t *ws, const char *protocol)
{
    return cweb_api->ws_protocol(ws, protocol);
}


/*
 * Typed arguments (AG_Web's WEB_Get*): the argument name of the query
 * string, else of the form (urlencoded, or multipart fields), decoded;
 * the first of several of one name.  Each returns CWEB_OK and sets its
 * output, or CWEB_ARG_MISSING / CWEB_ARG_INVALID / CWEB_ARG_RANGE and
 * leaves it as it was; cweb_arg_error() then says which argument and why,
 * e.g. 'argument "n": out of range 1..10', ready for a 400 answer.
 * Numbers are the whole value in decimal (no space around, no hex, no
 * sign on unsigned ones, no inf or nan); the type's limits are a range
 * error as the bounds are.  CWEB_ERROR (and an error-log line) for a bad
 * call: NULL name, outside a route handler.  Context: request.
 */

/*
 * cweb_arg_str / cweb_arg_trim: the value (request memory, NUL-terminated),
 * at most max_len bytes (0: any length), trim: without the leading and
 * trailing isspace() bytes (the length checked after trimming)
 */
static inline int
cweb_arg_str(http_request_t *req, const char *name, size_t max_len,
    const char **value)
{
    return cweb_api->arg_str(req, name, max_len, 0, value);
}

static inline int
cweb_arg_trim(http_request_t *req, const char *name, size_t max_len,
    const char **value)
{
    return cweb_api->arg_str(req, name, max_len, 1, value);
}

/* 1/0, true/false, yes/no, on/off (any case); an absent checkbox: MISSING */
static inline int
cweb_arg_bool(http_request_t *req, const char *name, int *out)
{
    return cweb_api->arg_bool(req, name, out);
}

/*
 * cweb_arg_num: type is CWEB_ARG_INT ... CWEB_ARG_DOUBLE, out points to
 * that type, and min and max too (both NULL: no bounds); the wrappers
 * below are the usual way
 */
static inline int
cweb_arg_num(http_request_t *req, const char *name, int type, void *out,
    const void *min, const void *max)
{
    return cweb_api->arg_num(req, name, type, out, min, max);
}

#define CWEB_ARG_NUM_FNS(suffix, ctype, tcode)                               \
    static inline int                                                        \
    cweb_arg_##suffix(http_request_t *req, const char *name, ctype *out)     \
    {                                                                        \
        return cweb_api->arg_num(req, name, tcode, out, NULL, NULL);         \
    }                                                                        \
                                                                             \
    static inline int                                                        \
    cweb_arg_##suffix##_r(http_request_t *req, const char *name, ctype *out, \
        ctype min, ctype max)                                                \
    {                                                                        \
        return cweb_api->arg_num(req, name, tcode, out, &min, &max);         \
    }

/* cweb_arg_int(req, name, &v), cweb_arg_int_r(req, name, &v, 1, 10), ... */
CWEB_ARG_NUM_FNS(int, int, CWEB_ARG_INT)
CWEB_ARG_NUM_FNS(uint, unsigned, CWEB_ARG_UINT)
CWEB_ARG_NUM_FNS(int64, int64_t, CWEB_ARG_INT64)
CWEB_ARG_NUM_FNS(uint64, uint64_t, CWEB_ARG_UINT64)
CWEB_ARG_NUM_FNS(float, float, CWEB_ARG_FLOAT)
CWEB_ARG_NUM_FNS(double, double, CWEB_ARG_DOUBLE)

/*
 * cweb_arg_enum: *index is the position of the value in list (a
 * NULL-terminated array of strings, compared exactly); the error lists
 * them ('argument "color": not one of red, green, blue')
 */
static inline int
cweb_arg_enum(http_request_t *req, const char *name,
    const char *const *list, unsigned *index)
{
    return cweb_api->arg_enum(req, name, list, index);
}

/*
 * cweb_arg_range: "<min><sep><max>" of two ints, min <= max ("1-10",
 * "-5-5" with sep "-"; "3..7" with sep "..")
 */
static inline int
cweb_arg_range(http_request_t *req, const char *name, const char *sep,
    int *min, int *max)
{
    return cweb_api->arg_range(req, name, sep, min, max);
}

/*
 * cweb_arg_error: what the latest cweb_arg_*() call of this request
 * found wrong, NULL if it succeeded (request memory)
 */
static inline const char *
cweb_arg_error(http_request_t *req)
{
    return cweb_api->arg_error(req);
}

/*
 * cweb_url_escape: s with every byte but A-Z a-z 0-9 - . _ ~ as %XX (a
 * query value, a path segment, a cookie value); cweb_url_unescape: %XX
 * decoded as nginx decodes a URI ("+" stays "+", a malformed escape is
 * dropped), %00 as "_" so that the result stays a C string.  Request
 * memory; NULL on no memory or a bad call.  Context: request.
 */
static inline char *
cweb_url_escape(http_request_t *req, const char *s)
{
    return cweb_api->url_escape(req, s);
}

static inline char *
cweb_url_unescape(http_request_t *req, const char *s)
{
    return cweb_api->url_unescape(req, s);
}


/*
 * Cookies (AG_Web's WEB_GetCookie / WEB_SetCookie / WEB_DelCookie).
 *
 * cweb_cookie_get: the value of the request's cookie name (the first of
 * that name; names compare exactly, as RFC 6265 says), request memory.
 * CWEB_OK, CWEB_DECLINED when there is none.
 *
 * cweb_cookie_set: adds a Set-Cookie line (one per call; a later call of
 * the same name and path wins in the browser).  attrs NULL means
 * Path=/; HttpOnly; SameSite=Lax; given, exactly what it holds.  The name
 * must be a token and the value cookie-octets (no space, control byte,
 * '"', ',', ';' or '\\': cweb_url_escape() anything else), Path and
 * Domain printable and without ';', SameSite=None needs secure: anything
 * else is CWEB_ERROR with an error-log line saying which byte, and no
 * header (a broken Set-Cookie never goes out).
 *
 * cweb_cookie_del: a Set-Cookie that makes the browser drop it (empty
 * value, Max-Age=0 and an Expires in 1970); path and domain must be those
 * it was set with (NULL: none).  Context: request.
 */
static inline int
cweb_cookie_get(http_request_t *req, const char *name, const char **value)
{
    return cweb_api->cookie_get(req, name, value);
}

static inline int
cweb_cookie_set(http_response_t *res, const char *name, const char *value,
    const cweb_cookie_t *attrs)
{
    return cweb_api->cookie_set(res, name, value, attrs);
}

static inline int
cweb_cookie_del(http_response_t *res, const char *name, const char *path,
    const char *domain)
{
    cweb_cookie_t  del = { path, domain, CWEB_COOKIE_DELETE, 0, 0, 0, 0 };

    return cweb_api->cookie_set(res, name, "", &del);
}


/*
 * Headers and status (AG_Web's WEB_SetHeader / WEB_AppendHeader /
 * WEB_SetCode).
 *
 * cweb_response_header (above) sets a header, replacing one of that name
 * set before (by it, by res->headers or by cweb_response_header_add());
 * cweb_response_header_add appends one more line of that name
 * unconditionally (Link, Vary, ...), its name (a token) and value (no
 * CR, LF or other control byte but HTAB) checked when called: CWEB_ERROR
 * with an error-log line, nothing added.  Content-Type, Content-Length
 * and Transfer-Encoding are the host's to frame: set, not added; the
 * hop-by-hop Connection, Keep-Alive, Proxy-Connection, Upgrade and TE are
 * the connection's (nginx's): refused.
 *
 * cweb_response_status: the answer's status, any code 200-599 (1xx are
 * interim answers, not a handler's: refused), with nginx's reason phrase
 * (reason NULL) or reason (HTTP/1.x only: HTTP/2 has none; printable,
 * at most 64 bytes); it overrides res->status.  CWEB_ERROR for anything
 * else, with an error-log line.  Context: request.
 */
static inline int
cweb_response_header_add(http_response_t *res, const char *name,
    const char *value)
{
    return cweb_api->response_header_add(res, name, value);
}

static inline int
cweb_response_status(http_response_t *res, int code, const char *reason)
{
    return cweb_api->response_status(res, code, reason);
}


/*
 * JSON answers (AG_Web's "[json-status]" and "[json]" methods).
 *
 * cweb_json_answer: the body is value serialized (compact, UTF-8; any
 * JSON value), Content-Type application/json; the caller keeps its
 * reference (json_decref() it as usual).  CWEB_ERROR for NULL.
 *
 * Route flags: with CWEB_JSON_STATUS the handler's return value is the
 * answer: >= 0 sends {"code":0}, < 0 sends {"code":<it>,"error":"<text>"}
 * (the handler's body is not sent).  With CWEB_JSON the handler's JSON
 * object (cweb_json_answer(), or the body it wrote) gets "code" (0, or
 * the negative return value) and on failure "error" added; a success
 * whose body is not a JSON object is the plugin's fault (500, an
 * error-log line).  The error text is the latest cweb_set_error() of the
 * call, else the latest cweb_arg_*() failure, else "the handler failed";
 * bytes that are not UTF-8 become "?".  The status stays res->status's.
 *
 * cweb_set_error: that text, printf-style (at most 1 KB kept).
 * Context: request.
 */
static inline int
cweb_json_answer(http_response_t *res, json_t *value)
{
    return cweb_api->json_answer(res, value);
}

static inline int
cweb_set_error(http_response_t *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline int
cweb_set_error(http_response_t *res, const char *fmt, ...)
{
    int      rc;
    va_list  args;

    va_start(args, fmt);
    rc = cweb_api->set_error(res, fmt, args);
    va_end(args);

    return rc;
}

/*
 * Multipart parts (AG_Web's binary form parts): the parts of a
 * multipart/form-data body in their order, each with its name, file name
 * (NULL when the part is no file; "" for filename=""), Content-Type (NULL
 * when it sent none) and all its bytes (len of them, NUL bytes included;
 * data is not NUL-terminated), whether nginx kept the body in memory or
 * spooled it to a temp file.  req->data has the same parts as C strings
 * (cut at a NUL).  The strings and the bytes are request memory.
 *
 * cweb_part: part i (from 0) into *part; CWEB_DECLINED past the last one
 * (so "for (i = 0; cweb_part(req, i, &p) == CWEB_OK; i++)" visits them
 * all), and for a body that is not multipart or did not parse (the
 * handler still has req->body).  cweb_part_by_name: the first part called
 * name.  A body with more than cweb_form_max_parts parts, or a part
 * larger than cweb_form_max_part_size, never reaches the handler: the
 * client is answered 413.  Context: request.
 */
static inline int
cweb_part(http_request_t *req, size_t i, cweb_part_t *part)
{
    return cweb_api->part(req, i, NULL, part);
}

static inline int
cweb_part_by_name(http_request_t *req, const char *name, cweb_part_t *part)
{
    return cweb_api->part(req, 0, name, part);
}

/*
 * State shared by all workers (AG_Web's shared global variables,
 * OpenResty's lua_shared_dict): "cweb_shared_zone NAME SIZE;" in nginx.conf
 * makes a zone; its entries (a string of any bytes, or an int64) are seen
 * by every worker, survive "nginx -s reload" (not a restart), and are
 * each one atomic.  ttl_ms > 0 expires an entry that long after it was
 * stored (0: never).  A full zone makes room by evicting expired entries,
 * then the least recently used (read or stored), and logs a warning; a
 * value the empty zone could not hold is CWEB_ERROR.  Keys are 1-65535
 * bytes, compared exactly.  CWEB_ERROR and an error-log line for an
 * unknown zone, a bad key, a bad call.  Contexts: any on a worker.
 *
 * cweb_shared_get: the string into buf (size bytes), its length in *len;
 * CWEB_AGAIN (nothing copied, *len the length needed) when it does not
 * fit, CWEB_DECLINED when there is no such entry (or it expired or is a
 * number: cweb_shared_get_num()).  The copy is not NUL-terminated.
 * cweb_shared_set / add / replace (and _num): store; add only when absent,
 * replace only when present, else CWEB_DECLINED.
 * cweb_shared_incr: adds delta to a number (an absent one starts at 0,
 * without expiry; a present one keeps its expiry), the result in *value
 * (may be NULL); a string there is CWEB_ERROR.  Wraps around at the int64
 * limits.  cweb_shared_delete: CWEB_OK, or CWEB_DECLINED when absent.
 */
static inline int
cweb_shared_get(const char *zone, const char *key, void *buf, size_t size,
    size_t *len)
{
    int      type, rc;
    int64_t  num;

    rc = cweb_api->shared_get(zone, key, &type, buf, size, len, &num);

    return (rc == CWEB_OK && type != CWEB_SHARED_STRING) ? CWEB_DECLINED : rc;
}

static inline int
cweb_shared_get_num(const char *zone, const char *key, int64_t *value)
{
    int      type, rc;
    size_t   len;

    rc = cweb_api->shared_get(zone, key, &type, NULL, 0, &len, value);

    return (rc == CWEB_AGAIN || (rc == CWEB_OK && type != CWEB_SHARED_NUMBER))
           ? CWEB_DECLINED : rc;
}

#define CWEB_SHARED_FNS(prefix, how)                                         \
    static inline int                                                        \
    cweb_shared_##prefix(const char *zone, const char *key,                  \
        const void *data, size_t len, long ttl_ms)                           \
    {                                                                        \
        return cweb_api->shared_store(how, zone, key, CWEB_SHARED_STRING,    \
                                      data, len, 0, ttl_ms);                 \
    }                                                                        \
                                                                             \
    static inline int                                                        \
    cweb_shared_##prefix##_num(const char *zone, const char *key,            \
        int64_t value, long ttl_ms)                                          \
    {                                                                        \
        return cweb_api->shared_store(how, zone, key, CWEB_SHARED_NUMBER,    \
                                      NULL, 0, value, ttl_ms);               \
    }

CWEB_SHARED_FNS(set, CWEB_SHARED_SET)
CWEB_SHARED_FNS(add, CWEB_SHARED_ADD)
CWEB_SHARED_FNS(replace, CWEB_SHARED_REPLACE)

static inline int
cweb_shared_incr(const char *zone, const char *key, int64_t delta,
    int64_t *value)
{
    return cweb_api->shared_incr(zone, key, delta, value);
}

static inline int
cweb_shared_delete(const char *zone, const char *key)
{
    return cweb_api->shared_delete(zone, key);
}

/*
 * Output of any size, streamed (AG_Web's WEB_Write / WEB_Flush): what the
 * plugin writes goes through nginx's filters, chunked for HTTP/1.1 (a
 * closed connection ends it for HTTP/1.0), DATA frames for HTTP/2, gzip'd
 * when "gzip on" and gzip_types take it.  Nothing in the worker waits for
 * a client: the host holds at most 256 KB unsent, and a plugin that has
 * more goes on in a function it registers with cweb_stream().
 *
 * cweb_write: appends data[0..len) to the answer (copied).  CWEB_OK;
 * CWEB_AGAIN when 256 KB already wait for a slow client (nothing taken:
 * return CWEB_AGAIN from the stream function, or from the handler after
 * cweb_stream(), and write it at the next call).  What the call leaves in
 * res->body is sent after what it wrote.  The first flush (or the end of
 * the call) sends the header: headers, cookies and the status set after
 * it are refused.
 * cweb_flush: sends the header and what was written so far now.
 * cweb_stream: once the handler returns, more(ctx, req, res) is called
 * each time everything written is sent, until it returns anything but
 * CWEB_AGAIN: >= 0 ends the answer, < 0 cuts it short (the client sees no
 * end: chunked encoding unfinished, the connection closed).  more runs as
 * a route handler does (cweb_handler_timeout for each call, a crash is
 * the route's fault and cuts the answer) and may use every request
 * function; data is handed back by cweb_stream_data(res) (keep state in
 * cweb_palloc() memory: a client that goes away ends the stream without
 * another call).
 * cweb_send_file: the answer is the file at path (absolute), sent by
 * nginx from its file buffers (sendfile where nginx uses it, open_file_cache,
 * ranges, Content-Length, Last-Modified), its type by extension unless set;
 * CWEB_DECLINED when it cannot be opened or is no regular file (answer 404
 * yourself).  The plugin chooses the path: check what a client may ask for.
 * cweb_set_compression (AG_Web's WEB_SetCompression): enable 0 keeps nginx's
 * gzip off this answer; 1 with level 0 leaves it to nginx's gzip settings;
 * 1 with level 1-9 compresses it here (gzip, when the client accepts it and
 * gzip_http_version, gzip_proxied and gzip_disable allow it; not a file).
 * Before the header is sent.  Context: request.
 */
static inline int
cweb_write(http_response_t *res, const void *data, size_t len)
{
    return cweb_api->write(res, data, len);
}

static inline int
cweb_flush(http_response_t *res)
{
    return cweb_api->flush(res);
}

static inline int
cweb_stream(http_response_t *res, entry_t more, void *data)
{
    return cweb_api->stream(res, more, data);
}

static inline void *
cweb_stream_data(http_response_t *res)
{
    return cweb_api->stream_data(res);
}

static inline int
cweb_send_file(http_response_t *res, const char *path)
{
    return cweb_api->send_file(res, path);
}

static inline int
cweb_set_compression(http_response_t *res, int enable, int level)
{
    return cweb_api->set_compression(res, enable, level);
}

/*
 * The layout of everything host and plugin share, stamped into every
 * plugin (cweb_abi_layout[], include/cweb_entry.c) and compared entry by
 * entry by the host before any plugin code runs, like nginx's module
 * signature: a plugin built with flags that change the layout
 * (-fshort-enums, -fpack-struct, ...) or against other headers of the
 * same ABI version is refused, naming the first entry that differs.
 */
#define CWEB_ABI_LAYOUT(X)                                                   \
    X(sizeof(http_kv_store_t))                                               \
    X(sizeof(http_request_t))                                                \
    X(sizeof(http_response_t))                                               \
    X(sizeof(websocket_t))                                                   \
    X(sizeof(cweb_context_t))                                                \
    X(sizeof(route_info_t))                                                  \
    X(sizeof(websocket_info_t))                                              \
    X(sizeof(job_info_t))                                                    \
    X(sizeof(job_ctx_t))                                                     \
    X(sizeof(job_payload_t))                                                 \
    X(sizeof(module_t))                                                      \
    X(offsetof(module_t, websockets))                                        \
    X(offsetof(module_t, jobs))                                              \
    X(offsetof(module_t, onload))                                            \
    X(sizeof(struct sqldb))                                                  \
    X(sizeof(struct container))                                              \
    X(sizeof(struct scheduler))                                              \
    X(sizeof(struct crypto))                                                 \
    X(sizeof(struct symbols))                                                \
    X(sizeof(struct map))                                                    \
    X(sizeof(cweb_uuid_t))                                                   \
    X(sizeof(http_method_t))                                                 \
    X(sizeof(cweb_cookie_t))                                                 \
    X(sizeof(cweb_part_t))                                                   \
    X(sizeof(cweb_api_t))

#define CWEB_ABI_VALUE(e)  (uint32_t) (e),


#ifdef __cplusplus
}
#endif

#endif /* CWEB_H */
