
/*
 * The host side of include/cweb.h: the versioned function table handed to
 * every plugin, the key/value stores, and the cweb_context services.
 *
 * Stores: every http_kv_store_t a plugin sees is the public head of an
 * ngx_cweb_kv_t.  Host stores (request params/headers/data, response
 * headers) live in the request pool; values inserted with
 * http_kv_insert() are the plugin's malloc()ed strings and are free()d by
 * a pool cleanup.  Stores from http_kv_create() are malloc()ed and belong
 * to the plugin.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_api_map.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_http.h"
#include "ngx_cweb_loader.h"
#include "ngx_cweb_ws.h"

#include <dlfcn.h>


static ngx_cweb_kv_t *ngx_cweb_kv_check(const http_kv_store_t *store,
    const char *fn);
static http_kv_store_t *ngx_cweb_kv_create(size_t capacity);
static void ngx_cweb_kv_destroy(http_kv_store_t *store, int free_values);
static int ngx_cweb_kv_insert(http_kv_store_t *store, const char *key,
    char *value);
static char *ngx_cweb_kv_get(const http_kv_store_t *store, const char *key);
static size_t ngx_cweb_kv_size(const http_kv_store_t *store);
static int ngx_cweb_kv_set(http_kv_store_t *store, const char *key,
    const char *value);
static ngx_int_t ngx_cweb_kv_grow(ngx_cweb_kv_t *kv);
static void ngx_cweb_kv_cleanup(void *data);
static int ngx_cweb_response_body(http_response_t *res, const void *data,
    size_t len);
static void *ngx_cweb_palloc(http_request_t *req, size_t size);
static void ngx_cweb_log(int level, const char *fmt, va_list args);
static int ngx_cweb_jobs_create(const char *job_name,
    const char *payload_json, cweb_uuid_t *job_uuid_out);
static void ngx_cweb_jobs_bind(jobs_create_fn_t fn, void *user_data);
static int ngx_cweb_is_canary(void);
static ngx_uint_t ngx_cweb_api_context(const char **where);
static int ngx_cweb_body_release(void *p);
static void *ngx_cweb_symbols_resolv(void *user_data, const char *module,
    const char *symbol);


cweb_api_t  ngx_cweb_api = {
    CWEB_ABI_VERSION,
    sizeof(cweb_api_t),
    ngx_cweb_kv_create,
    ngx_cweb_kv_destroy,
    ngx_cweb_kv_insert,
    ngx_cweb_kv_get,
    ngx_cweb_kv_size,
    ngx_cweb_kv_set,
    ngx_cweb_response_body,
    ngx_cweb_response_header_api,
    ngx_cweb_palloc,
    ngx_cweb_log,
    ngx_cweb_jobs_create,
    ngx_cweb_is_canary,
    ngx_cweb_map_create,
    ngx_cweb_map_destroy,
    ngx_cweb_map_insert,
    ngx_cweb_map_get,
    ngx_cweb_map_remove,
    ngx_cweb_map_size,
    ngx_cweb_container_init,
    ngx_cweb_container_shutdown,
    ngx_cweb_container_set,
    ngx_cweb_container_get,
    ngx_cweb_container_remove,
    ngx_cweb_scheduler_init,
    ngx_cweb_scheduler_shutdown,
    ngx_cweb_scheduler_add,
    ngx_cweb_scheduler_request_stop,
    ngx_cweb_scheduler_pending_count,
    ngx_cweb_scheduler_cancel,
    ngx_cweb_crypto_init,
    ngx_cweb_crypto_shutdown,
    ngx_cweb_jobs_bind,
    ngx_cweb_body_release,
    ngx_cweb_ws_send_binary,
    ngx_cweb_ws_ping,
    ngx_cweb_ws_request,
    ngx_cweb_ws_protocol,
    ngx_cweb_ws_broadcast,
    ngx_cweb_arg_str_api,
    ngx_cweb_arg_num_api,
    ngx_cweb_arg_bool_api,
    ngx_cweb_arg_enum_api,
    ngx_cweb_arg_range_api,
    ngx_cweb_arg_error_api,
    ngx_cweb_url_escape_api,
    ngx_cweb_url_unescape_api,
    ngx_cweb_cookie_get_api,
    ngx_cweb_cookie_set_api,
    ngx_cweb_header_add_api,
    ngx_cweb_status_api,
    ngx_cweb_set_error_api,
    ngx_cweb_json_answer_api,
    ngx_cweb_part_api,
    ngx_cweb_shared_get_api,
    ngx_cweb_shared_store_api,
    ngx_cweb_shared_incr_api,
    ngx_cweb_shared_delete_api,
    ngx_cweb_write_api,
    ngx_cweb_flush_api,
    ngx_cweb_stream_api,
    ngx_cweb_stream_data_api,
    ngx_cweb_send_file_api,
    ngx_cweb_set_compression_api
};

static struct symbols  ngx_cweb_symbols = {
    NULL, ngx_cweb_symbols_resolv
};


cweb_context_t  ngx_cweb_context = {
    &ngx_cweb_cache,
    &ngx_cweb_scheduler,
    &ngx_cweb_database,
    &ngx_cweb_crypto,
    &ngx_cweb_symbols,
    NULL
};


/* which plugin (and which request) the code now running belongs to */
static ngx_cweb_call_t    *ngx_cweb_api_call;

static ngx_uint_t          ngx_cweb_api_in_canary;

/* the event loop's thread: plugin threads may not call the host */
static pthread_t           ngx_cweb_api_thread;

/* a store a plugin made with http_kv_create(): found by its address */
typedef struct {
    ngx_cweb_kv_t               kv;           /* first: kv.pub is the key */
    ngx_rbtree_node_t           node;
} ngx_cweb_kv_own_t;


/* the stores plugins made with http_kv_create(), by address */
static ngx_rbtree_t        ngx_cweb_kv_own;
static ngx_rbtree_node_t   ngx_cweb_kv_own_sentinel;


void
ngx_cweb_api_set_plugin(ngx_cweb_plugin_t *p)
{
    ngx_cweb_loader_set_running(p);
}


void
ngx_cweb_api_set_call(ngx_cweb_call_t *call)
{
    ngx_cweb_api_call = call;
    ngx_cweb_loader_set_running(call ? call->route->plugin : NULL);
}


ngx_cweb_plugin_t *
ngx_cweb_api_current(void)
{
    return ngx_cweb_loader_running();
}


/*
 * where plugin code may call the host (lua-nginx-module's
 * ngx_http_lua_check_context() is the model): on the event loop's thread,
 * inside a call of the host into the plugin of a kind in "allowed"; the
 * host's structures (pools, trees, the running call) are the event loop's,
 * a thread of the plugin's own or a signal handler would race with it
 */

ngx_int_t
ngx_cweb_api_gate_ctx(const char *fn, ngx_uint_t allowed)
{
    ngx_uint_t   now;
    const char  *where;

    if (!pthread_equal(pthread_self(), ngx_cweb_api_thread)) {
        /* not ngx_cweb_api_error(): the running plugin is the loop's */
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      ngx_process == NGX_PROCESS_HELPER
                      ? "cweb plugin: %s(): called from a job (or a thread "
                        "of the plugin's own); in this release a job has "
                        "its payload and job_ctx_t, not the host's "
                        "functions, which run on a worker's event loop only"
                      : "cweb plugin: %s(): called from a thread of the "
                        "plugin's own; the host's functions run on the "
                        "worker's event loop only", fn);
        return NGX_DECLINED;
    }

    now = ngx_cweb_api_context(&where);

    if (now & allowed) {
        return NGX_OK;
    }

    if (allowed == NGX_CWEB_CTX_REQUEST) {
        ngx_cweb_api_error("%s(): called outside a route handler (%s)", fn,
                           where);

    } else {
        ngx_cweb_api_error("%s(): called %s", fn, where);
    }

    return NGX_DECLINED;
}


/* the kind of plugin code the event loop runs, NGX_CWEB_CTX_* or 0 */

static ngx_uint_t
ngx_cweb_api_context(const char **where)
{
    switch (ngx_cweb_call_now) {

    case NGX_CWEB_CALL_NONE:
        *where = "outside any call of the host into the plugin (from a "
                 "signal handler or atexit()?)";
        return 0;

    case NGX_CWEB_CALL_LOAD:
        *where = "in a constructor";
        return NGX_CWEB_CTX_LOAD;

    case NGX_CWEB_CALL_ONLOAD:
        *where = "in onload()";
        return NGX_CWEB_CTX_INIT;

    case NGX_CWEB_CALL_UNLOAD:
        *where = "in unload() or a destructor";
        return NGX_CWEB_CTX_UNLOAD;

    case NGX_CWEB_CALL_WORK:
        *where = "in scheduler work";
        return NGX_CWEB_CTX_WORK;

    default:
        if (ngx_cweb_call_now >= NGX_CWEB_CALL_WS_BASE) {
            *where = "in a WebSocket handler";
            return NGX_CWEB_CTX_WEBSOCKET;
        }

        *where = "in a route handler";
        return ngx_cweb_call_now >= 0 ? NGX_CWEB_CTX_REQUEST : 0;
    }
}


/* stores */

/* a host store in request memory (kv itself is zeroed by the caller) */

ngx_int_t
ngx_cweb_kv_init(ngx_cweb_kv_t *kv, ngx_pool_t *pool, ngx_uint_t n,
    ngx_uint_t nocase)
{
    kv->pool = pool;
    kv->nocase = nocase;

    if (n == 0) {
        return NGX_OK;
    }

    /* entries, then the owned flags, in one piece */
    kv->pub.entries = ngx_palloc(pool, n * (sizeof(http_kv_pair_t) + 1));
    if (kv->pub.entries == NULL) {
        return NGX_ERROR;
    }

    kv->owned = (u_char *) (kv->pub.entries + n);
    ngx_memzero(kv->owned, n);
    kv->pub.capacity = n;

    return NGX_OK;
}


/* a host store starting in memory the caller provides (zeroed owned) */

void
ngx_cweb_kv_init_inline(ngx_cweb_kv_t *kv, ngx_pool_t *pool,
    http_kv_pair_t *pairs, u_char *owned, size_t n, ngx_uint_t nocase)
{
    kv->pool = pool;
    kv->nocase = nocase;
    kv->pub.entries = pairs;
    kv->pub.capacity = n;
    kv->owned = owned;
}


/*
 * The store a plugin handed in, if it may use it now: one of the running
 * call's (req->params, req->headers, req->data, res->headers) or one of
 * its own from http_kv_create() not destroyed yet.  Told by address
 * only, never by reading what a pointer points at: a store of a request
 * that is over, a freed store or any other pointer is refused (NULL)
 * with an error-log line naming fn.
 */

static ngx_cweb_kv_t *
ngx_cweb_kv_check(const http_kv_store_t *store, const char *fn)
{
    if (store == NULL) {
        ngx_cweb_api_error("%s(): NULL store", fn);
        return NULL;
    }

    if (ngx_cweb_kv_known(ngx_cweb_api_call, store)) {
        return (ngx_cweb_kv_t *) store;
    }

    ngx_cweb_api_error("%s(): %p is not a store of this request nor one "
                       "http_kv_create() made", fn, store);

    return NULL;
}


/* 1 when store is one of call's (call may be NULL) or a plugin's own */

ngx_uint_t
ngx_cweb_kv_known(ngx_cweb_call_t *c, const http_kv_store_t *store)
{
    if (c && (store == &c->params.pub || store == &c->headers.pub
              || store == &c->data.pub || store == &c->res_headers.pub))
    {
        return 1;
    }

    return ngx_cweb_addr_find(&ngx_cweb_kv_own, store) != NULL;
}


/* adds a reference to strings the host owns; no copy, no free */

ngx_int_t
ngx_cweb_kv_push(http_kv_store_t *store, char *key, char *value)
{
    ngx_cweb_kv_t  *kv = (ngx_cweb_kv_t *) store;

    if (store->size == store->capacity && ngx_cweb_kv_grow(kv) != NGX_OK) {
        return NGX_ERROR;
    }

    store->entries[store->size].key = key;
    store->entries[store->size].value = value;
    kv->owned[store->size] = 0;
    store->size++;

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_kv_grow(ngx_cweb_kv_t *kv)
{
    size_t           n;
    u_char          *owned;
    http_kv_pair_t  *entries;

    n = kv->pub.capacity ? kv->pub.capacity * 2 : 8;

    if (kv->pool) {
        entries = ngx_palloc(kv->pool, n * (sizeof(http_kv_pair_t) + 1));
        owned = entries ? (u_char *) (entries + n) : NULL;

        if (owned) {
            ngx_memzero(owned, n);
        }

    } else {
        entries = malloc(n * sizeof(http_kv_pair_t));
        owned = calloc(n, 1);
    }

    if (entries == NULL || owned == NULL) {
        if (kv->pool == NULL) {
            free(entries);
            free(owned);
        }

        return NGX_ERROR;
    }

    if (kv->pub.size) {
        ngx_memcpy(entries, kv->pub.entries,
                   kv->pub.size * sizeof(http_kv_pair_t));
        ngx_memcpy(owned, kv->owned, kv->pub.size);
    }

    if (kv->pool == NULL) {
        free(kv->pub.entries);
        free(kv->owned);
    }

    kv->pub.entries = entries;
    kv->owned = owned;
    kv->pub.capacity = n;

    return NGX_OK;
}


ngx_int_t
ngx_cweb_kv_find(ngx_cweb_kv_t *kv, const char *key)
{
    size_t  i;

    for (i = 0; i < kv->pub.size; i++) {
        if (kv->nocase
            ? ngx_strcasecmp((u_char *) kv->pub.entries[i].key,
                             (u_char *) key) == 0
            : ngx_strcmp(kv->pub.entries[i].key, key) == 0)
        {
            return i;
        }
    }

    return NGX_ERROR;
}


static char *
ngx_cweb_kv_get(const http_kv_store_t *store, const char *key)
{
    ngx_int_t  i;

    if (ngx_cweb_api_gate("http_kv_get") != NGX_OK) {
        return NULL;
    }

    if (ngx_cweb_kv_check(store, "http_kv_get") == NULL) {
        return NULL;
    }

    if (key == NULL) {
        ngx_cweb_api_error("http_kv_get(): NULL key");
        return NULL;
    }

    i = ngx_cweb_kv_find((ngx_cweb_kv_t *) store, key);

    return (i == NGX_ERROR) ? NULL : store->entries[i].value;
}


static size_t
ngx_cweb_kv_size(const http_kv_store_t *store)
{
    if (ngx_cweb_api_gate("http_kv_size") != NGX_OK) {
        return 0;
    }

    return ngx_cweb_kv_check(store, "http_kv_size") ? store->size : 0;
}


static int
ngx_cweb_kv_insert(http_kv_store_t *store, const char *key, char *value)
{
    char           *k;
    size_t          len;
    ngx_cweb_kv_t       *kv;
    ngx_pool_cleanup_t  *cln;

    if (ngx_cweb_api_gate("http_kv_insert") != NGX_OK) {
        return CWEB_ERROR;
    }

    kv = ngx_cweb_kv_check(store, "http_kv_insert");

    if (kv == NULL || key == NULL) {
        if (kv) {
            ngx_cweb_api_error("http_kv_insert(): NULL key");
        }

        free(value);
        return CWEB_ERROR;
    }

    /* seed semantics: the first value of a key stays */
    if (ngx_cweb_kv_find(kv, key) != NGX_ERROR) {
        free(value);
        return CWEB_OK;
    }

    if (store->size == store->capacity && ngx_cweb_kv_grow(kv) != NGX_OK) {
        free(value);
        return CWEB_ERROR;
    }

    len = ngx_strlen(key) + 1;
    k = kv->pool ? ngx_pnalloc(kv->pool, len) : malloc(len);
    if (k == NULL) {
        free(value);
        return CWEB_ERROR;
    }

    ngx_memcpy(k, key, len);

    if (kv->pool && !kv->cleanup) {
        cln = ngx_pool_cleanup_add(kv->pool, 0);
        if (cln == NULL) {
            free(value);
            return CWEB_ERROR;
        }

        cln->handler = ngx_cweb_kv_cleanup;
        cln->data = kv;
        kv->cleanup = 1;
    }

    store->entries[store->size].key = k;
    store->entries[store->size].value = value;
    kv->owned[store->size] = 1;
    store->size++;

    return CWEB_OK;
}


static int
ngx_cweb_kv_set(http_kv_store_t *store, const char *key, const char *value)
{
    if (ngx_cweb_api_gate("http_kv_set") != NGX_OK) {
        return CWEB_ERROR;
    }

    return ngx_cweb_kv_replace(store, key, value, "map_insert");
}


/* copying insert that replaces: map_insert(), cweb_response_header() */

int
ngx_cweb_kv_replace(http_kv_store_t *store, const char *key,
    const char *value, const char *fn)
{
    char           *v;
    size_t          len;
    ngx_int_t       i;
    ngx_cweb_kv_t  *kv;

    kv = ngx_cweb_kv_check(store, fn);
    if (kv == NULL) {
        return CWEB_ERROR;
    }

    if (key == NULL || value == NULL) {
        ngx_cweb_api_error("%s(): NULL %s", fn, key ? "value" : "key");
        return CWEB_ERROR;
    }

    len = ngx_strlen(value) + 1;

    i = ngx_cweb_kv_find(kv, key);

    if (i == NGX_ERROR) {
        v = malloc(len);
        if (v == NULL) {
            return CWEB_ERROR;
        }

        ngx_memcpy(v, value, len);

        return ngx_cweb_kv_insert(store, key, v);
    }

    v = kv->pool ? ngx_pnalloc(kv->pool, len) : malloc(len);
    if (v == NULL) {
        return CWEB_ERROR;
    }

    ngx_memcpy(v, value, len);

    if (kv->owned[i]) {
        free(store->entries[i].value);
    }

    store->entries[i].value = v;
    kv->owned[i] = (kv->pool == NULL);

    return CWEB_OK;
}


static void
ngx_cweb_kv_cleanup(void *data)
{
    ngx_cweb_kv_t  *kv = data;

    size_t  i;

    for (i = 0; i < kv->pub.size; i++) {
        if (kv->owned[i]) {
            free(kv->pub.entries[i].value);
        }
    }
}


static http_kv_store_t *
ngx_cweb_kv_create(size_t capacity)
{
    ngx_cweb_kv_t      *kv;
    ngx_cweb_kv_own_t  *own;

    if (ngx_cweb_api_gate("http_kv_create") != NGX_OK) {
        return NULL;
    }

    own = calloc(1, sizeof(ngx_cweb_kv_own_t));
    if (own == NULL) {
        return NULL;
    }

    kv = &own->kv;

    if (capacity) {
        kv->pub.entries = malloc(capacity * sizeof(http_kv_pair_t));
        kv->owned = calloc(capacity, 1);
        if (kv->pub.entries == NULL || kv->owned == NULL) {
            free(kv->pub.entries);
            free(kv->owned);
            free(own);
            return NULL;
        }

        kv->pub.capacity = capacity;
    }

    if (ngx_cweb_kv_own.root == NULL) {
        ngx_rbtree_init(&ngx_cweb_kv_own, &ngx_cweb_kv_own_sentinel,
                        ngx_rbtree_insert_value);
    }

    own->node.key = (ngx_rbtree_key_t) (uintptr_t) &kv->pub;
    ngx_rbtree_insert(&ngx_cweb_kv_own, &own->node);

    return &kv->pub;
}


static void
ngx_cweb_kv_destroy(http_kv_store_t *store, int free_values)
{
    size_t          i;
    ngx_cweb_kv_t  *kv;

    if (ngx_cweb_api_gate("http_kv_destroy") != NGX_OK) {
        return;
    }

    kv = ngx_cweb_kv_check(store, "http_kv_destroy");

    /* a host store goes with its request: nothing to do (seed semantics) */
    if (kv == NULL || kv->pool) {
        return;
    }

    /* not a host store: one of ours from ngx_cweb_kv_create() */
    ngx_rbtree_delete(&ngx_cweb_kv_own, &((ngx_cweb_kv_own_t *) kv)->node);

    for (i = 0; i < store->size; i++) {
        free(store->entries[i].key);

        if (free_values) {
            free(store->entries[i].value);
        }
    }

    free(store->entries);
    free(kv->owned);
    free(kv);             /* the ngx_cweb_kv_own_t it heads */
}


/* responses */

/*
 * the running call, if res (or req) is its own: the request context only,
 * and never a response of a request that is over
 */

ngx_cweb_call_t *
ngx_cweb_call_check(void *res, void *req, const char *fn)
{
    ngx_cweb_call_t  *c;

    if (ngx_cweb_api_gate_ctx(fn, NGX_CWEB_CTX_REQUEST) != NGX_OK) {
        return NULL;
    }

    c = ngx_cweb_api_call;

    if (c == NULL) {
        ngx_cweb_api_error("%s(): called outside a route handler", fn);
        return NULL;
    }

    if ((res && res != &c->res) || (req && req != &c->req)) {
        ngx_cweb_api_error("%s(): %p is not the %s of this request", fn,
                           res ? res : req, res ? "response" : "request");
        return NULL;
    }

    return c;
}


static int
ngx_cweb_response_body(http_response_t *res, const void *data, size_t len)
{
    ngx_cweb_call_t  *call;


    call = ngx_cweb_call_check(res, NULL, "cweb_response_body");
    if (call == NULL) {
        return CWEB_ERROR;
    }

    if (data == NULL && len) {
        ngx_cweb_api_error("cweb_response_body(): NULL data of %uz bytes",
                           len);
        return CWEB_ERROR;
    }

    call->out.data = ngx_pnalloc(call->r->pool, len ? len : 1);
    if (call->out.data == NULL) {
        return CWEB_ERROR;
    }

    if (len) {
        ngx_memcpy(call->out.data, data, len);
    }

    call->out.len = len;
    call->out_set = 1;

    return CWEB_OK;
}


static void *
ngx_cweb_palloc(http_request_t *req, size_t size)
{
    ngx_cweb_call_t  *call;


    call = ngx_cweb_call_check(NULL, req, "cweb_palloc");

    return call ? ngx_palloc(call->r->pool, size) : NULL;
}


static void
ngx_cweb_log(int level, const char *fmt, va_list args)
{
    char                buf[2048];
    ngx_log_t          *log;
    ngx_cweb_plugin_t  *p;

    /* AG_Web's three levels beyond syslog's, as nginx levels and a tag */
    static const char        *tag[] = { "", "query: ", "worker: ",
                                        "event: " };
    static const ngx_uint_t   beyond[] = { NGX_LOG_ERR, NGX_LOG_DEBUG,
                                           NGX_LOG_ERR, NGX_LOG_ERR };
    ngx_uint_t                k;

    if (ngx_cweb_api_gate("cweb_log") != NGX_OK) {
        return;
    }

    k = 0;

    if (level > CWEB_LOG_DEBUG && level <= CWEB_LOG_EVENT) {
        k = level - CWEB_LOG_DEBUG;
        level = beyond[k];

    } else if (level < NGX_LOG_EMERG || level > NGX_LOG_DEBUG) {
        level = NGX_LOG_ERR;
    }

    log = ngx_cweb_api_call ? ngx_cweb_api_call->r->connection->log
                            : ngx_cycle->log;

    if (log->log_level < (ngx_uint_t) level) {
        return;
    }

    (void) vsnprintf(buf, sizeof(buf), fmt, args);

    p = ngx_cweb_loader_running();

    if (p) {
        ngx_log_error((ngx_uint_t) level, log, 0, "cweb plugin \"%V\": %s%s",
                      &p->name, tag[k], buf);

    } else {
        ngx_log_error((ngx_uint_t) level, log, 0, "cweb plugin: %s%s", tag[k],
                      buf);
    }
}


/*
 * a plugin's bad call, at NGX_LOG_ERR, naming the plugin running:
 * "cweb plugin "x": fn(): reason"; nginx's formats (%V, %uz, ...)
 */

void
ngx_cweb_api_error(const char *fmt, ...)
{
    u_char             *p, buf[NGX_MAX_ERROR_STR];
    va_list             args;
    ngx_log_t          *log;
    ngx_cweb_plugin_t  *plugin;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    log = ngx_cweb_api_call ? ngx_cweb_api_call->r->connection->log
                            : ngx_cycle->log;

    plugin = ngx_cweb_loader_running();

    if (plugin) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "cweb plugin \"%V\": %*s",
                      &plugin->name, p - buf, buf);

    } else {
        ngx_log_error(NGX_LOG_ERR, log, 0, "cweb plugin: %*s", p - buf, buf);
    }
}


/*
 * the plugin free()s or realloc()s p: if it is the running call's res->body
 * buffer, the host keeps it (1) and takes it back after the call
 */

static int
ngx_cweb_body_release(void *p)
{
    ngx_cweb_call_t  *c;

    c = ngx_cweb_api_call;

    if (c == NULL || p != c->body_buf) {
        return 0;
    }

    /* a plugin thread's free() of it: kept, but the call is the loop's */
    if (pthread_equal(pthread_self(), ngx_cweb_api_thread)) {
        c->body_released = 1;
    }

    return 1;
}


/* onload() also runs once in the canary process: plugins may tell */

/*
 * this process's event loop hands plugins the API (canary: the canary's
 * child, where plugin code is being tried, not served); the loader hands
 * it on, and tells the API what goes when a version is unloaded
 */

void
ngx_cweb_api_init_process(ngx_uint_t canary,
    ngx_cweb_loader_unload_pt unloaded)
{
    ngx_cweb_api_thread = pthread_self();
    ngx_cweb_api_in_canary = canary;
    ngx_cweb_loader_init(&ngx_cweb_api, &ngx_cweb_context, unloaded);
}


static int
ngx_cweb_is_canary(void)
{
    return ngx_cweb_api_in_canary ? 1 : 0;
}


static int
ngx_cweb_jobs_create(const char *job_name, const char *payload_json,
    cweb_uuid_t *job_uuid_out)
{
    int                 rc;
    u_char              err[NGX_CWEB_REASON_LEN];
    ngx_cweb_plugin_t  *p;

    if (ngx_cweb_api_gate("jobs_create") != NGX_OK) {
        return CWEB_ERROR;
    }

    p = ngx_cweb_api_current();
    rc = ngx_cweb_jobs_create_api(p ? &p->name : NULL, job_name,
                                  payload_json, job_uuid_out, err,
                                  sizeof(err));
    if (rc != CWEB_OK) {
        ngx_cweb_api_error("%s", err);
    }

    return rc;
}


/* upstream's server binds its job system into plugins; this host owns it */

static void
ngx_cweb_jobs_bind(jobs_create_fn_t fn, void *user_data)
{
    if (ngx_cweb_api_gate("jobs_bind") != NGX_OK) {
        return;
    }

    ngx_cweb_api_error("jobs_bind() refused: the host owns the job system");
}


/*
 * a global of another plugin's current version, looked up in that
 * plugin's own handle only (c-web-modules' dlsym() on the module), never
 * in the process's global scope; the ABI entry points stay the host's
 */

static void *
ngx_cweb_symbols_resolv(void *user_data, const char *module,
    const char *symbol)
{
    void               *sym;
    ngx_cweb_plugin_t  *p;

    if (ngx_cweb_api_gate("ctx->symbols->resolv") != NGX_OK) {
        return NULL;
    }

    if (module == NULL || symbol == NULL) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "cweb ctx->symbols->resolv() called with a NULL %s",
                      module ? "symbol" : "module");
        return NULL;
    }

    if (ngx_strcmp(symbol, "cweb_plugin_bind") == 0
        || ngx_strncmp(symbol, "cweb_abi_", 9) == 0)
    {
        return NULL;
    }

    p = ngx_cweb_loader_find(module);

    if (p == NULL || p->handle == NULL) {
        ngx_log_debug1(NGX_LOG_DEBUG_CORE, ngx_cycle->log, 0,
                       "cweb api: resolv: no active plugin \"%s\"", module);
        return NULL;
    }

    sym = dlsym(p->handle, symbol);

    if (sym == NULL) {
        /* clears the error dlsym() left for the next caller */
        (void) dlerror();

        ngx_log_debug2(NGX_LOG_DEBUG_CORE, ngx_cycle->log, 0,
                       "cweb api: resolv: \"%s\" has no \"%s\"",
                       module, symbol);
    }

    return sym;
}
