
/*
 * ngx_cweb internal core header: the configuration, the limits and the
 * version record every subsystem shares, the module extern.  Each
 * subsystem declares its own types and functions in ngx_cweb_<sub>.h.
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
#define NGX_CWEB_NAME_LEN        128
#define NGX_CWEB_HASH_LEN        64
#define NGX_CWEB_FILE_LEN        256
#define NGX_CWEB_REASON_LEN      160
#define NGX_CWEB_KEEP_OBJECTS    3       /* stored versions per plugin */

#define NGX_CWEB_LOC_NONE        0
#define NGX_CWEB_LOC_ROUTES      1
#define NGX_CWEB_LOC_MGNT        2
#define NGX_CWEB_LOC_JOBS        3

/* the zone as a whole */
#define NGX_CWEB_ZONE_STARTING   0       /* registry not restored yet */
#define NGX_CWEB_ZONE_READY      1
#define NGX_CWEB_ZONE_DISABLED   2       /* database unusable: reason */

/* a registry slot */
#define NGX_CWEB_MOD_FREE         0
#define NGX_CWEB_MOD_ACTIVE       1
#define NGX_CWEB_MOD_REBUILDING   2      /* object missing, being rebuilt */
#define NGX_CWEB_MOD_UNAVAILABLE  3      /* no version may run: reason */


typedef struct {
    ngx_str_t                   name;
    unsigned                    exact:1;
} ngx_cweb_reserved_t;


typedef struct {
    ngx_flag_t                  enabled;
    ngx_str_t                   module_dir;
    size_t                      zone_size;
    size_t                      event_zone_size;
    ngx_str_t                   database;
    ngx_array_t                *cc;           /* of char *: words */
    ngx_array_t                *cflags;       /* of char *: words */
    ngx_msec_t                  compile_timeout;
    size_t                      compile_memory;
    size_t                      compile_file_size;
    ngx_uint_t                  compile_processes;
    size_t                      max_object_size;
    ngx_msec_t                  handler_timeout;
    ngx_uint_t                  form_max_parts;
    size_t                      form_max_part_size;  /* 0: no bound */
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
    ngx_shm_zone_t             *event_zone;   /* ngx_cweb_ipc.c's */
    ngx_array_t                *shared;       /* cweb_shared_zone's */
    ngx_cycle_t                *cycle;
} ngx_cweb_main_conf_t;


typedef struct {
    ngx_uint_t                  kind;         /* NGX_CWEB_LOC_* */
} ngx_cweb_loc_conf_t;


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


extern ngx_module_t  ngx_cweb_module;

/* the main conf of this process's cycle (not through the zone's context) */
#define ngx_cweb_conf()                                                       \
    ((ngx_cweb_main_conf_t *)                                                 \
     ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_cweb_module))


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


/*
 * the node keyed by an address a plugin handed back (a store, a map, a
 * websocket_t): found in the tree of those the host gave out, never read
 * through
 */
static ngx_inline ngx_rbtree_node_t *
ngx_cweb_addr_find(ngx_rbtree_t *tree, const void *addr)
{
    ngx_rbtree_key_t    key;
    ngx_rbtree_node_t  *node, *sentinel;

    key = (ngx_rbtree_key_t) (uintptr_t) addr;
    node = tree->root;
    sentinel = tree->sentinel;

    while (node != NULL && node != sentinel) {
        if (key == node->key) {
            return node;
        }

        node = (key < node->key) ? node->left : node->right;
    }

    return NULL;
}


/* a response header; key and value are kept, not copied: NULL on ENOMEM */
static ngx_inline ngx_table_elt_t *
ngx_cweb_header_out(ngx_http_request_t *r, const char *key, size_t klen,
    u_char *value, size_t vlen)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = klen;
    h->value.data = value;
    h->value.len = vlen;

    return h;
}

/* the same for two string literals */
#define ngx_cweb_header_set(r, key, value)                                   \
    ngx_cweb_header_out(r, key, sizeof(key) - 1, (u_char *) value,           \
                        sizeof(value) - 1)


/* the first request header of that name (*n: how many there are) */
static ngx_inline ngx_table_elt_t *
ngx_cweb_header_in(ngx_http_request_t *r, const char *name, size_t len,
    ngx_uint_t *n)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *found;

    found = NULL;
    *n = 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == len
                && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
            {
                found = found ? found : &h[i];
                (*n)++;
            }
        }
    }

    return found;
}


#endif /* _NGX_CWEB_H_INCLUDED_ */
