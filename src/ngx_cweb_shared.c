
/*
 * State shared by all workers (AG_Web's global variables shared between
 * processes; OpenResty's lua_shared_dict): "cweb_shared_zone NAME SIZE;"
 * and cweb.h's cweb_shared_*() calls.
 *
 * Each zone is a slab pool holding a red-black tree of entries keyed by
 * the CRC32 of the key (then the key's bytes) and a queue of them by use,
 * most recent first.  An entry holds a string or an int64 and an optional
 * expiry (ngx_current_msec: the monotonic clock, the same in every process
 * of the machine).  When the pool is full, expired entries go first, then
 * the least recently used, until the new one fits; that is counted and
 * logged, never silent.  nginx reuses a zone of the same name and size
 * across "nginx -s reload" (the init below carries the tree over), and its
 * master unlocks a zone's mutex a dead worker held.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_manifest.h"


#define NGX_CWEB_SHARED_PREFIX   "cweb_shared_"
#define NGX_CWEB_SHARED_KEY_MAX  65535
#define NGX_CWEB_SHARED_MIN      (8 * 4096)


typedef struct {
    ngx_rbtree_t                rbtree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 lru;          /* most recent first */
    uint64_t                    evicted;      /* since the zone was made */
} ngx_cweb_shared_sh_t;


typedef struct {
    ngx_str_t                   name;         /* the directive's */
    ngx_cweb_shared_sh_t       *sh;
    ngx_slab_pool_t            *shpool;
    ngx_msec_t                  warned;       /* this process's last line */
} ngx_cweb_shared_ctx_t;


typedef struct {
    ngx_rbtree_node_t           node;         /* key: crc32 of the key */
    ngx_queue_t                 queue;
    ngx_msec_t                  expires;      /* 0: never */
    uint32_t                    value_len;
    uint16_t                    key_len;
    u_char                      type;         /* CWEB_SHARED_STRING, ... */
    u_char                      data[1];      /* the key, then the value */
} ngx_cweb_shared_node_t;


static ngx_int_t ngx_cweb_shared_init_zone(ngx_shm_zone_t *zone, void *data);
static void ngx_cweb_shared_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_cweb_shared_ctx_t *ngx_cweb_shared_zone(const char *zone,
    const char *key, const char *fn, ngx_str_t *k);
static ngx_cweb_shared_node_t *ngx_cweb_shared_find(
    ngx_cweb_shared_ctx_t *ctx, ngx_str_t *key, uint32_t hash);
static ngx_cweb_shared_node_t *ngx_cweb_shared_lock(
    ngx_cweb_shared_ctx_t *ctx, ngx_str_t *key, uint32_t *hash);
static void ngx_cweb_shared_free(ngx_cweb_shared_ctx_t *ctx,
    ngx_cweb_shared_node_t *sn);
static ngx_cweb_shared_node_t *ngx_cweb_shared_alloc(
    ngx_cweb_shared_ctx_t *ctx, size_t size, ngx_uint_t *evicted);
static void ngx_cweb_shared_evicted(ngx_cweb_shared_ctx_t *ctx,
    ngx_str_t *key, ngx_uint_t n);
static int ngx_cweb_shared_put(ngx_cweb_shared_ctx_t *ctx, ngx_str_t *key,
    uint32_t hash, int type, const void *data, size_t len, long ttl);


/* "cweb_shared_zone NAME SIZE;" in http{} */

char *
ngx_cweb_shared_zone_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_cweb_main_conf_t *cmcf = conf;

    ssize_t                 size;
    ngx_str_t              *value, name;
    ngx_uint_t              i;
    ngx_shm_zone_t         *zone, **zones;
    ngx_cweb_shared_ctx_t  *ctx;

    value = cf->args->elts;
    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR || size < NGX_CWEB_SHARED_MIN) {
        return "has a size below 32k";
    }

    if (value[1].len > 64
        || ngx_cweb_name_valid(value[1].data, value[1].len) != NGX_OK)
    {
        return "needs a name of 1-64 letters, digits, \"_\", \"-\" or \".\"";
    }

    if (cmcf->shared == NULL) {
        cmcf->shared = ngx_array_create(cf->pool, 4, sizeof(ngx_shm_zone_t *));
        if (cmcf->shared == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    zones = cmcf->shared->elts;

    for (i = 0; i < cmcf->shared->nelts; i++) {
        ctx = zones[i]->data;

        if (ctx->name.len == value[1].len
            && ngx_strncmp(ctx->name.data, value[1].data, value[1].len) == 0)
        {
            return "is duplicate";
        }
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_cweb_shared_ctx_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    ctx->name = value[1];

    name.len = sizeof(NGX_CWEB_SHARED_PREFIX) - 1 + value[1].len;
    name.data = ngx_pnalloc(cf->pool, name.len);
    if (name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(name.data, NGX_CWEB_SHARED_PREFIX "%V", &value[1]);

    zone = ngx_shared_memory_add(cf, &name, size, &ngx_cweb_module);
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zone->init = ngx_cweb_shared_init_zone;
    zone->data = ctx;

    zones = ngx_array_push(cmcf->shared);
    if (zones == NULL) {
        return NGX_CONF_ERROR;
    }

    *zones = zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_cweb_shared_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_cweb_shared_ctx_t  *octx = data;

    ngx_cweb_shared_ctx_t  *ctx;

    ctx = zone->data;

    if (octx) {
        /* a reload with the same zone: the entries carry over */
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_alloc(ctx->shpool, sizeof(ngx_cweb_shared_sh_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel,
                    ngx_cweb_shared_insert);
    ngx_queue_init(&ctx->sh->lru);
    ctx->sh->evicted = 0;

    ctx->shpool->data = ctx->sh;
    ctx->shpool->log_ctx = (u_char *) " in cweb_shared_zone";

    /* a full zone evicts, and says so itself */
    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


static void
ngx_cweb_shared_insert(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t       **p;
    ngx_cweb_shared_node_t   *a, *b;

    for ( ;; ) {
        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            a = (ngx_cweb_shared_node_t *) node;
            b = (ngx_cweb_shared_node_t *) temp;

            p = (ngx_memn2cmp(a->data, b->data, a->key_len, b->key_len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* the zone called zone and key as a string, or NULL after an error line */

static ngx_cweb_shared_ctx_t *
ngx_cweb_shared_zone(const char *zone, const char *key, const char *fn,
    ngx_str_t *k)
{
    size_t                  len;
    ngx_uint_t              i;
    ngx_shm_zone_t        **zones;
    ngx_cweb_shared_ctx_t  *ctx;
    ngx_cweb_main_conf_t   *cmcf;

    if (ngx_cweb_api_gate(fn) != NGX_OK) {
        return NULL;
    }

    /*
     * a version on trial must not change what the live ones share, and a
     * canary killed holding a zone's lock would hold it for good (nginx's
     * master unlocks a dead child's locks for its own children only)
     */
    if (ngx_cweb_api.is_canary()) {
        ngx_cweb_api_error("%s(): not in the canary (cweb_is_canary())", fn);
        return NULL;
    }

    if (zone == NULL || key == NULL) {
        ngx_cweb_api_error("%s(): NULL %s", fn, zone ? "key" : "zone");
        return NULL;
    }

    k->len = ngx_strlen(key);
    k->data = (u_char *) key;

    if (k->len == 0 || k->len > NGX_CWEB_SHARED_KEY_MAX) {
        ngx_cweb_api_error("%s(\"%s\"): a key of 1-65535 bytes is needed",
                           fn, zone);
        return NULL;
    }

    cmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_cweb_module);
    len = ngx_strlen(zone);
    zones = cmcf->shared ? cmcf->shared->elts : NULL;

    for (i = 0; cmcf->shared && i < cmcf->shared->nelts; i++) {
        ctx = zones[i]->data;

        if (ctx->name.len == len && ngx_strncmp(ctx->name.data, zone, len) == 0)
        {
            return ctx;
        }
    }

    ngx_cweb_api_error("%s(): no cweb_shared_zone \"%s\" in nginx.conf", fn,
                       zone);
    return NULL;
}


/* the live entry of key (an expired one is freed on the way), locked */

static ngx_cweb_shared_node_t *
ngx_cweb_shared_find(ngx_cweb_shared_ctx_t *ctx, ngx_str_t *key,
    uint32_t hash)
{
    ngx_int_t                rc;
    ngx_rbtree_node_t       *node, *sentinel;
    ngx_cweb_shared_node_t  *sn;

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    while (node != sentinel) {
        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        sn = (ngx_cweb_shared_node_t *) node;
        rc = ngx_memn2cmp(key->data, sn->data, key->len, sn->key_len);

        if (rc == 0) {
            if (sn->expires && (ngx_msec_int_t) (sn->expires - ngx_current_msec)
                               <= 0)
            {
                ngx_cweb_shared_free(ctx, sn);
                return NULL;
            }

            /* a use: to the front of the queue */
            ngx_queue_remove(&sn->queue);
            ngx_queue_insert_head(&ctx->sh->lru, &sn->queue);

            return sn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* the zone locked, and the live entry of key (NULL: none) */

static ngx_cweb_shared_node_t *
ngx_cweb_shared_lock(ngx_cweb_shared_ctx_t *ctx, ngx_str_t *key,
    uint32_t *hash)
{
    *hash = ngx_crc32_short(key->data, key->len);

    ngx_shmtx_lock(&ctx->shpool->mutex);

    return ngx_cweb_shared_find(ctx, key, *hash);
}


static void
ngx_cweb_shared_free(ngx_cweb_shared_ctx_t *ctx, ngx_cweb_shared_node_t *sn)
{
    ngx_queue_remove(&sn->queue);
    ngx_rbtree_delete(&ctx->sh->rbtree, &sn->node);
    ngx_slab_free_locked(ctx->shpool, sn);
}


/* room for an entry: expired ones first, then the least recently used */

static ngx_cweb_shared_node_t *
ngx_cweb_shared_alloc(ngx_cweb_shared_ctx_t *ctx, size_t size,
    ngx_uint_t *evicted)
{
    void                    *p;
    ngx_uint_t               n;
    ngx_queue_t             *q, *prev;
    ngx_cweb_shared_node_t  *sn;

    *evicted = 0;

    p = ngx_slab_alloc_locked(ctx->shpool, size);
    if (p) {
        return p;
    }

    /* more than the zone's pages: evicting everything would not help */
    if (size > (size_t) (ctx->shpool->end - ctx->shpool->start)) {
        return NULL;
    }

    /* expired entries among the least recently used (a few: the lock) */
    for (q = ngx_queue_last(&ctx->sh->lru), n = 0;
         q != ngx_queue_sentinel(&ctx->sh->lru) && n < 64;
         q = prev, n++)
    {
        prev = ngx_queue_prev(q);
        sn = ngx_queue_data(q, ngx_cweb_shared_node_t, queue);

        if (sn->expires
            && (ngx_msec_int_t) (sn->expires - ngx_current_msec) <= 0)
        {
            ngx_cweb_shared_free(ctx, sn);
        }
    }

    for ( ;; ) {
        p = ngx_slab_alloc_locked(ctx->shpool, size);
        if (p || ngx_queue_empty(&ctx->sh->lru)) {
            return p;
        }

        q = ngx_queue_last(&ctx->sh->lru);
        ngx_cweb_shared_free(ctx, ngx_queue_data(q, ngx_cweb_shared_node_t,
                                                 queue));
        (*evicted)++;
        ctx->sh->evicted++;
    }
}


/* at most one line a second a process: a full zone evicts on every store */

static void
ngx_cweb_shared_evicted(ngx_cweb_shared_ctx_t *ctx, ngx_str_t *key,
    ngx_uint_t n)
{
    if (n == 0 || ngx_current_msec - ctx->warned < 1000) {
        return;
    }

    ctx->warned = ngx_current_msec;

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "cweb_shared_zone \"%V\" is full: %ui least recently used "
                  "entries evicted to store \"%*s\" (%uL since the zone was "
                  "made); a larger zone keeps them",
                  &ctx->name, n, ngx_min(key->len, 64), key->data,
                  ctx->sh->evicted);
}


/* a new entry for key (the old one freed first), locked */

static int
ngx_cweb_shared_put(ngx_cweb_shared_ctx_t *ctx, ngx_str_t *key,
    uint32_t hash, int type, const void *data, size_t len, long ttl)
{
    ngx_uint_t               evicted;
    ngx_cweb_shared_node_t  *sn, *old;

    /*
     * the old entry (if any) is the most recently used now: evicted last,
     * and kept when the new one cannot be stored
     */
    (void) ngx_cweb_shared_find(ctx, key, hash);

    sn = ngx_cweb_shared_alloc(ctx, offsetof(ngx_cweb_shared_node_t, data)
                                    + key->len + len, &evicted);

    ngx_cweb_shared_evicted(ctx, key, evicted);

    old = ngx_cweb_shared_find(ctx, key, hash);

    if (sn && old) {
        ngx_cweb_shared_free(ctx, old);
    }

    if (sn == NULL) {
        ngx_cweb_api_error("cweb_shared_zone \"%V\": no room for \"%*s\" "
                           "(%uz bytes) even when empty", &ctx->name,
                           ngx_min(key->len, 64), key->data, len);
        return CWEB_ERROR;
    }

    sn->node.key = hash;
    sn->key_len = (uint16_t) key->len;
    sn->value_len = (uint32_t) len;
    sn->type = (u_char) type;
    sn->expires = ttl > 0 ? ngx_current_msec + (ngx_msec_t) ttl : 0;

    ngx_memcpy(ngx_cpymem(sn->data, key->data, key->len), data, len);

    ngx_rbtree_insert(&ctx->sh->rbtree, &sn->node);
    ngx_queue_insert_head(&ctx->sh->lru, &sn->queue);

    return CWEB_OK;
}


/*
 * the plugin's pointers are touched only with the lock released: a fault
 * there (a bad buffer) must not leave the zone locked for every worker
 */

int
ngx_cweb_shared_get_api(const char *zone, const char *key, int *type,
    void *buf, size_t size, size_t *len, int64_t *num)
{
    int                      rc, t;
    u_char                  *copy;
    int64_t                  v;
    uint32_t                 hash;
    ngx_str_t                k;
    ngx_uint_t               vlen;
    ngx_cweb_shared_ctx_t   *ctx;
    ngx_cweb_shared_node_t  *sn;

    ctx = ngx_cweb_shared_zone(zone, key, "cweb_shared_get", &k);
    if (ctx == NULL) {
        return CWEB_ERROR;
    }

    if (type == NULL || len == NULL || num == NULL || (size && buf == NULL)) {
        ngx_cweb_api_error("cweb_shared_get(\"%s\"): a NULL output", zone);
        return CWEB_ERROR;
    }

    rc = CWEB_DECLINED;
    copy = NULL;
    t = 0;
    v = 0;
    vlen = 0;

    sn = ngx_cweb_shared_lock(ctx, &k, &hash);

    if (sn) {
        t = sn->type;
        vlen = sn->value_len;
        rc = CWEB_OK;

        if (t == CWEB_SHARED_NUMBER) {
            ngx_memcpy(&v, sn->data + sn->key_len, sizeof(int64_t));

        } else if (vlen > size) {
            rc = CWEB_AGAIN;

        } else if (vlen) {
            /* host memory, out of the lock below */
            copy = ngx_alloc(vlen, ngx_cycle->log);

            if (copy == NULL) {
                rc = CWEB_ERROR;

            } else {
                ngx_memcpy(copy, sn->data + sn->key_len, vlen);
            }
        }
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    /* what the entry holds goes out, the other output stays untouched */
    if (rc == CWEB_OK || rc == CWEB_AGAIN) {
        *type = t;

        if (t == CWEB_SHARED_NUMBER) {
            *num = v;

        } else {
            *len = vlen;
        }
    }

    if (copy) {
        ngx_memcpy(buf, copy, vlen);
        ngx_free(copy);
    }

    return rc;
}


int
ngx_cweb_shared_store_api(int how, const char *zone, const char *key,
    int type, const void *data, size_t len, int64_t num, long ttl)
{
    int                      rc;
    u_char                  *copy;
    uint32_t                 hash;
    ngx_str_t                k;
    const char              *fn;
    ngx_cweb_shared_ctx_t   *ctx;
    ngx_cweb_shared_node_t  *sn;

    fn = (how == CWEB_SHARED_ADD) ? "cweb_shared_add"
         : (how == CWEB_SHARED_REPLACE) ? "cweb_shared_replace"
         : "cweb_shared_set";

    ctx = ngx_cweb_shared_zone(zone, key, fn, &k);
    if (ctx == NULL) {
        return CWEB_ERROR;
    }

    if ((type != CWEB_SHARED_STRING && type != CWEB_SHARED_NUMBER)
        || (how < CWEB_SHARED_SET || how > CWEB_SHARED_REPLACE)
        || (type == CWEB_SHARED_STRING && data == NULL && len)
        || len > NGX_MAX_UINT32_VALUE || ttl < 0)
    {
        ngx_cweb_api_error("%s(\"%s\", \"%V\"): a bad type, NULL data, a "
                           "negative ttl or a value over 4 GB", fn, zone, &k);
        return CWEB_ERROR;
    }

    copy = NULL;

    if (type == CWEB_SHARED_NUMBER) {
        data = &num;
        len = sizeof(int64_t);

    } else if (len) {
        /* read out of the lock: a bad pointer faults with it released */
        copy = ngx_alloc(len, ngx_cycle->log);
        if (copy == NULL) {
            return CWEB_ERROR;
        }

        ngx_memcpy(copy, data, len);
        data = copy;
    }

    sn = ngx_cweb_shared_lock(ctx, &k, &hash);

    if ((how == CWEB_SHARED_ADD && sn) || (how == CWEB_SHARED_REPLACE && !sn))
    {
        rc = CWEB_DECLINED;

    } else {
        rc = ngx_cweb_shared_put(ctx, &k, hash, type, data, len, ttl);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (copy) {
        ngx_free(copy);
    }

    return rc;
}


int
ngx_cweb_shared_incr_api(const char *zone, const char *key, int64_t delta,
    int64_t *out)
{
    int                      rc;
    int64_t                  v;
    uint32_t                 hash;
    ngx_str_t                k;
    ngx_cweb_shared_ctx_t   *ctx;
    ngx_cweb_shared_node_t  *sn;

    ctx = ngx_cweb_shared_zone(zone, key, "cweb_shared_incr", &k);
    if (ctx == NULL) {
        return CWEB_ERROR;
    }

    rc = CWEB_OK;
    sn = ngx_cweb_shared_lock(ctx, &k, &hash);

    if (sn == NULL) {
        /* a counter starts at 0, without expiry */
        rc = ngx_cweb_shared_put(ctx, &k, hash, CWEB_SHARED_NUMBER, &delta,
                                 sizeof(int64_t), 0);
        v = delta;

    } else if (sn->type != CWEB_SHARED_NUMBER) {
        rc = CWEB_ERROR;
        v = 0;

    } else {
        /* in place: its expiry stays; wraps as unsigned, no UB */
        ngx_memcpy(&v, sn->data + sn->key_len, sizeof(int64_t));
        v = (int64_t) ((uint64_t) v + (uint64_t) delta);
        ngx_memcpy(sn->data + sn->key_len, &v, sizeof(int64_t));
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (rc == CWEB_ERROR && sn) {
        ngx_cweb_api_error("cweb_shared_incr(\"%s\", \"%V\"): the value is "
                           "a string, not a number", zone, &k);
    }

    if (rc == CWEB_OK && out) {
        *out = v;
    }

    return rc;
}


int
ngx_cweb_shared_delete_api(const char *zone, const char *key)
{
    uint32_t                 hash;
    ngx_str_t                k;
    ngx_cweb_shared_ctx_t   *ctx;
    ngx_cweb_shared_node_t  *sn;

    ctx = ngx_cweb_shared_zone(zone, key, "cweb_shared_delete", &k);
    if (ctx == NULL) {
        return CWEB_ERROR;
    }

    sn = ngx_cweb_shared_lock(ctx, &k, &hash);

    if (sn) {
        ngx_cweb_shared_free(ctx, sn);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return sn ? CWEB_OK : CWEB_DECLINED;
}
