
/*
 * The host side of include/map.h, container.h and scheduler.h.
 *
 * Maps: every struct map a plugin sees is the public head of an
 * ngx_cweb_map_t the host allocated (malloc), registered in a per-process
 * rbtree keyed by the head's address; every call looks its map up there
 * first, so NULL, a pointer the host did not give out and a destroyed map
 * are refused with an error-log line, never followed.  Open addressing
 * with linear probing; keys are copied, values are the plugin's.  A map
 * belongs to the plugin version that created it and is destroyed when
 * that version is unloaded in the process, if the plugin has not done so.
 *
 * The cache (ctx->cache): one map per process, static, not in the tree,
 * that also records per slot the version that set the entry, so that
 * ngx_cweb_api_forget() removes every entry a version set when the
 * version is unloaded: no reader gets a pointer into unloaded code.
 * Entries are set only from inside a plugin's call (the setter must be
 * known).
 *
 * The scheduler (ctx->scheduler): ASYNC work is posted to the event loop
 * and run after the current call returns, the version held until then;
 * SYNC work runs at once.  Its lifetime is the host's.
 *
 * Everything here runs on the worker's thread; plugin threads calling in
 * are outside the contract, as for the whole API.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_api_map.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_loader.h"


#define NGX_CWEB_MAP_MIN  8

#define ngx_cweb_container_lock(c)                                           \
    if ((c) != &ngx_cweb_cache) { (void) pthread_mutex_lock(&(c)->mutex); }

#define ngx_cweb_container_unlock(c)                                         \
    if ((c) != &ngx_cweb_cache) { (void) pthread_mutex_unlock(&(c)->mutex); }


typedef struct {
    ngx_rbtree_node_t           node;         /* key: (uintptr_t) &pub */
    struct map                  pub;
    ngx_cweb_plugin_t          *owner;        /* the version that made it */
    ngx_cweb_plugin_t         **setters;      /* the cache only, per slot */
} ngx_cweb_map_t;


typedef struct {
    ngx_event_t                 ev;
    work_t                      work;
    void                       *data;
    ngx_cweb_plugin_t          *plugin;
} ngx_cweb_work_t;


static ngx_cweb_map_t *ngx_cweb_map_lookup(const struct map *map,
    const char *fn);
static ngx_cweb_map_t *ngx_cweb_map_new(size_t n);
static void ngx_cweb_map_free(ngx_cweb_map_t *m);
static ngx_int_t ngx_cweb_map_find(ngx_cweb_map_t *m, const char *key,
    uint64_t hash, size_t *slot);
static map_error_t ngx_cweb_map_rehash(ngx_cweb_map_t *m);
static map_error_t ngx_cweb_map_set(ngx_cweb_map_t *m, const char *fn,
    const char *key, void *value);
static map_error_t ngx_cweb_map_unset(ngx_cweb_map_t *m, const char *key);
static void *ngx_cweb_map_value(ngx_cweb_map_t *m, const char *key);
static ngx_cweb_map_t *ngx_cweb_container_map(struct container *c,
    const char *name, const char *fn);
static int ngx_cweb_cache_set(const char *name, void *value);
static void *ngx_cweb_cache_get(const char *name);
static ngx_int_t ngx_cweb_scheduler_ours(struct scheduler *s,
    const char *fn);
static void ngx_cweb_scheduler_refuse(struct scheduler *s, const char *fn);
static int ngx_cweb_scheduler_add_seed(void (*work)(void *), void *data,
    worker_state_t state);
static void ngx_cweb_scheduler_handler(ngx_event_t *ev);


static ngx_cweb_map_t     ngx_cweb_cache_map;

static ngx_rbtree_t       ngx_cweb_maps;
static ngx_rbtree_node_t  ngx_cweb_maps_sentinel;


struct container  ngx_cweb_cache = {
    &ngx_cweb_cache_map.pub,
    PTHREAD_MUTEX_INITIALIZER,
    ngx_cweb_cache_set,
    ngx_cweb_cache_get
};

struct scheduler  ngx_cweb_scheduler = {
    NULL, NULL, 0, 0,
    PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_COND_INITIALIZER,
    1, 1, 0, 0,
    ngx_cweb_scheduler_add_seed
};


/* maps */

static ngx_cweb_map_t *
ngx_cweb_map_lookup(const struct map *map, const char *fn)
{
    ngx_rbtree_node_t  *node;

    if (map == NULL) {
        ngx_cweb_api_error("%s(): NULL map", fn);
        return NULL;
    }

    if (map == &ngx_cweb_cache_map.pub) {
        return &ngx_cweb_cache_map;
    }

    node = ngx_cweb_addr_find(&ngx_cweb_maps, map);
    if (node != NULL) {
        return (ngx_cweb_map_t *) node;
    }

    ngx_cweb_api_error("%s(): %p is not a map of this process (not from "
                       "map_create(), or destroyed)", fn, map);

    return NULL;
}


/* n slots, a power of two; NULL when that does not fit in memory */

static ngx_cweb_map_t *
ngx_cweb_map_new(size_t n)
{
    ngx_cweb_map_t  *m;

    m = ngx_calloc(sizeof(ngx_cweb_map_t), ngx_cycle->log);
    if (m == NULL) {
        return NULL;
    }

    m->pub.entries = ngx_calloc(n * sizeof(struct map_entry), ngx_cycle->log);
    if (m->pub.entries == NULL) {
        ngx_free(m);
        return NULL;
    }

    m->pub.capacity = n;
    m->owner = ngx_cweb_api_current();

    if (ngx_cweb_maps.root == NULL) {
        ngx_rbtree_init(&ngx_cweb_maps, &ngx_cweb_maps_sentinel,
                        ngx_rbtree_insert_value);
    }

    m->node.key = (uintptr_t) &m->pub;
    ngx_rbtree_insert(&ngx_cweb_maps, &m->node);

    return m;
}


static void
ngx_cweb_map_free(ngx_cweb_map_t *m)
{
    size_t  i;

    for (i = 0; i < m->pub.capacity; i++) {
        if (m->pub.entries[i].state == MAP_ENTRY_OCCUPIED) {
            ngx_free(m->pub.entries[i].key);
        }
    }

    ngx_rbtree_delete(&ngx_cweb_maps, &m->node);
    ngx_free(m->pub.entries);
    ngx_free(m);
}


/*
 * the slot holding key, or NGX_ERROR with *slot set to the first slot an
 * insert may take (SIZE_MAX: none)
 */

static ngx_int_t
ngx_cweb_map_find(ngx_cweb_map_t *m, const char *key, uint64_t hash,
    size_t *slot)
{
    size_t             i, n, mask;
    struct map_entry  *e;

    *slot = SIZE_MAX;
    mask = m->pub.capacity - 1;

    for (n = 0; n < m->pub.capacity; n++) {
        i = (hash + n) & mask;
        e = &m->pub.entries[i];

        if (e->state == MAP_ENTRY_OCCUPIED) {
            if (e->hash == hash && ngx_strcmp(e->key, key) == 0) {
                return i;
            }

            continue;
        }

        if (*slot == SIZE_MAX) {
            *slot = i;
        }

        if (e->state == MAP_ENTRY_EMPTY) {
            break;
        }
    }

    return NGX_ERROR;
}


/*
 * Keeps the load (tombstones count) under 70%: new slots for twice the
 * live entries (MAP_FULL when that many slots would not fit in size_t)
 */

static map_error_t
ngx_cweb_map_rehash(ngx_cweb_map_t *m)
{
    size_t               i, j, n, k;
    struct map_entry    *old, *e;
    ngx_cweb_plugin_t  **setters;

    n = NGX_CWEB_MAP_MIN;

    while (n < (m->pub.size + 1) * 2) {
        if (n > SIZE_MAX / 2 / sizeof(struct map_entry)) {
            return MAP_FULL;
        }

        n *= 2;
    }

    e = ngx_calloc(n * sizeof(struct map_entry), ngx_cycle->log);
    setters = NULL;

    if (m == &ngx_cweb_cache_map && e) {
        setters = ngx_calloc(n * sizeof(ngx_cweb_plugin_t *), ngx_cycle->log);
    }

    if (e == NULL || (m == &ngx_cweb_cache_map && setters == NULL)) {
        ngx_free(e);
        return MAP_ERR;
    }

    old = m->pub.entries;

    for (i = 0; i < m->pub.capacity; i++) {
        if (old[i].state != MAP_ENTRY_OCCUPIED) {
            continue;
        }

        for (k = 0; /* void */; k++) {
            j = (old[i].hash + k) & (n - 1);

            if (e[j].state == MAP_ENTRY_EMPTY) {
                break;
            }
        }

        e[j] = old[i];

        if (setters) {
            setters[j] = m->setters[i];
        }
    }

    ngx_free(old);
    ngx_free(m->setters);

    m->pub.entries = e;
    m->pub.capacity = n;
    m->pub.tombstones = 0;
    m->setters = setters;

    return MAP_OK;
}


static map_error_t
ngx_cweb_map_set(ngx_cweb_map_t *m, const char *fn, const char *key,
    void *value)
{
    char               *k;
    size_t              len, slot;
    uint64_t            hash;
    ngx_int_t           i;
    map_error_t         rc;
    ngx_cweb_plugin_t  *setter;

    slot = SIZE_MAX;
    setter = ngx_cweb_api_current();

    if (m == &ngx_cweb_cache_map && setter == NULL) {
        ngx_cweb_api_error("%s(): the cache is set only from a plugin's "
                           "call (onload, a handler, scheduled work)", fn);
        return MAP_ERR;
    }

    len = ngx_strlen(key);
    hash = ngx_hash_key((u_char *) key, len);

    i = m->pub.capacity ? ngx_cweb_map_find(m, key, hash, &slot) : NGX_ERROR;

    if (i == NGX_ERROR) {
        if ((m->pub.size + m->pub.tombstones + 1) * 10 > m->pub.capacity * 7)
        {
            rc = ngx_cweb_map_rehash(m);
            if (rc != MAP_OK) {
                return rc;
            }

            (void) ngx_cweb_map_find(m, key, hash, &slot);
        }

        if (slot == SIZE_MAX) {
            return MAP_FULL;
        }

        k = ngx_alloc(len + 1, ngx_cycle->log);
        if (k == NULL) {
            return MAP_ERR;
        }

        ngx_memcpy(k, key, len + 1);

        if (m->pub.entries[slot].state == MAP_ENTRY_TOMBSTONE) {
            m->pub.tombstones--;
        }

        m->pub.entries[slot].key = k;
        m->pub.entries[slot].hash = hash;
        m->pub.entries[slot].state = MAP_ENTRY_OCCUPIED;
        m->pub.size++;
        i = slot;
    }

    m->pub.entries[i].value = value;

    if (m->setters) {
        m->setters[i] = setter;
    }

    return MAP_OK;
}


static map_error_t
ngx_cweb_map_unset(ngx_cweb_map_t *m, const char *key)
{
    size_t             slot;
    ngx_int_t          i;
    struct map_entry  *e;

    if (m->pub.capacity == 0) {
        return MAP_KEY_NOT_FOUND;
    }

    i = ngx_cweb_map_find(m, key, ngx_hash_key((u_char *) key,
                                               ngx_strlen(key)), &slot);
    if (i == NGX_ERROR) {
        return MAP_KEY_NOT_FOUND;
    }

    e = &m->pub.entries[i];

    ngx_free(e->key);
    e->key = NULL;
    e->value = NULL;
    e->state = MAP_ENTRY_TOMBSTONE;

    if (m->setters) {
        m->setters[i] = NULL;
    }

    m->pub.size--;
    m->pub.tombstones++;

    return MAP_OK;
}


static void *
ngx_cweb_map_value(ngx_cweb_map_t *m, const char *key)
{
    size_t     slot;
    ngx_int_t  i;

    if (m->pub.capacity == 0) {
        return NULL;
    }

    i = ngx_cweb_map_find(m, key, ngx_hash_key((u_char *) key,
                                               ngx_strlen(key)), &slot);

    return (i == NGX_ERROR) ? NULL : m->pub.entries[i].value;
}


struct map *
ngx_cweb_map_create(size_t initial_capacity)
{
    size_t           n;
    ngx_cweb_map_t  *m;

    if (ngx_cweb_api_gate("map_create") != NGX_OK) {
        return NULL;
    }

    if (initial_capacity == 0
        || initial_capacity > SIZE_MAX / 2 / sizeof(struct map_entry))
    {
        ngx_cweb_api_error("map_create(): initial capacity %uz is out of "
                           "range", initial_capacity);
        return NULL;
    }

    n = NGX_CWEB_MAP_MIN;

    while (n < initial_capacity) {
        n *= 2;
    }

    m = ngx_cweb_map_new(n);

    return m ? &m->pub : NULL;
}


void
ngx_cweb_map_destroy(struct map *map)
{
    ngx_cweb_map_t  *m;

    if (ngx_cweb_api_gate("map_destroy") != NGX_OK) {
        return;
    }

    if (map == NULL) {
        return;
    }

    m = ngx_cweb_map_lookup(map, "map_destroy");

    if (m == &ngx_cweb_cache_map) {
        ngx_cweb_api_error("map_destroy(): ctx->cache->data belongs to "
                           "the host, not destroyed");
        return;
    }

    if (m) {
        ngx_cweb_map_free(m);
    }
}


map_error_t
ngx_cweb_map_insert(struct map *map, const char *key, void *value)
{
    ngx_cweb_map_t  *m;

    if (ngx_cweb_api_gate("map_insert") != NGX_OK) {
        return MAP_ERR;
    }

    m = ngx_cweb_map_lookup(map, "map_insert");
    if (m == NULL) {
        return MAP_ERR;
    }

    if (key == NULL) {
        ngx_cweb_api_error("map_insert(): NULL key");
        return MAP_ERR;
    }

    return ngx_cweb_map_set(m, "map_insert", key, value);
}


void *
ngx_cweb_map_get(const struct map *map, const char *key)
{
    ngx_cweb_map_t  *m;

    if (ngx_cweb_api_gate("map_get") != NGX_OK) {
        return NULL;
    }

    m = ngx_cweb_map_lookup(map, "map_get");
    if (m == NULL) {
        return NULL;
    }

    if (key == NULL) {
        ngx_cweb_api_error("map_get(): NULL key");
        return NULL;
    }

    return ngx_cweb_map_value(m, key);
}


map_error_t
ngx_cweb_map_remove(struct map *map, const char *key)
{
    ngx_cweb_map_t  *m;

    if (ngx_cweb_api_gate("map_remove") != NGX_OK) {
        return MAP_ERR;
    }

    m = ngx_cweb_map_lookup(map, "map_remove");
    if (m == NULL) {
        return MAP_ERR;
    }

    if (key == NULL) {
        ngx_cweb_api_error("map_remove(): NULL key");
        return MAP_ERR;
    }

    return ngx_cweb_map_unset(m, key);
}


size_t
ngx_cweb_map_size(const struct map *map)
{
    ngx_cweb_map_t  *m;

    if (ngx_cweb_api_gate("map_size") != NGX_OK) {
        return 0;
    }

    m = ngx_cweb_map_lookup(map, "map_size");

    return m ? m->pub.size : 0;
}


/* containers: a map and a mutex; ctx->cache is the host's */

int
ngx_cweb_container_init(struct container *c, size_t initial_capacity)
{
    if (ngx_cweb_api_gate("container_init") != NGX_OK) {
        return -1;
    }

    if (c == NULL || c == &ngx_cweb_cache) {
        ngx_cweb_api_error(c ? "container_init(): ctx->cache belongs to "
                               "the host, not initialised again"
                             : "container_init(): NULL container");
        return -1;
    }

    c->data = ngx_cweb_map_create(initial_capacity);
    if (c->data == NULL) {
        return -1;
    }

    if (pthread_mutex_init(&c->mutex, NULL) != 0) {
        ngx_cweb_map_destroy(c->data);
        c->data = NULL;
        return -1;
    }

    c->set = NULL;
    c->get = NULL;

    return 0;
}


void
ngx_cweb_container_shutdown(struct container *c)
{
    if (ngx_cweb_api_gate("container_shutdown") != NGX_OK) {
        return;
    }

    if (c == NULL) {
        return;
    }

    if (c == &ngx_cweb_cache) {
        ngx_cweb_api_error("container_shutdown(): ctx->cache belongs to "
                           "the host, not destroyed");
        return;
    }

    if (c->data && ngx_cweb_map_lookup(c->data, "container_shutdown")) {
        ngx_cweb_map_destroy(c->data);
        (void) pthread_mutex_destroy(&c->mutex);
    }

    c->data = NULL;
}


/*
 * the container's map, or NULL (logged).  A plugin's own container is
 * locked as upstream does; ctx->cache is not: only the worker's thread
 * calls in, and a fault in a plugin's string while the host held the lock
 * would leave it held for the rest of the retiring worker's life
 */

static ngx_cweb_map_t *
ngx_cweb_container_map(struct container *c, const char *name,
    const char *fn)
{
    if (c == NULL || name == NULL) {
        ngx_cweb_api_error(c ? "%s(): NULL name" : "%s(): NULL container",
                           fn);
        return NULL;
    }

    if (c->data == NULL) {
        ngx_cweb_api_error("%s(): container not initialised "
                           "(container_init())", fn);
        return NULL;
    }

    return ngx_cweb_map_lookup(c->data, fn);
}


map_error_t
ngx_cweb_container_set(struct container *c, const char *name, void *value)
{
    map_error_t      rc;
    ngx_cweb_map_t  *m;

    if (ngx_cweb_api_gate("container_set") != NGX_OK) {
        return MAP_ERR;
    }

    m = ngx_cweb_container_map(c, name, "container_set");
    if (m == NULL) {
        return MAP_ERR;
    }

    if (value == NULL) {
        ngx_cweb_api_error("container_set(): NULL value");
        return MAP_ERR;
    }

    ngx_cweb_container_lock(c);
    rc = ngx_cweb_map_set(m, "container_set", name, value);
    ngx_cweb_container_unlock(c);

    return rc;
}


void *
ngx_cweb_container_get(struct container *c, const char *name)
{
    void            *value;
    ngx_cweb_map_t  *m;

    if (ngx_cweb_api_gate("container_get") != NGX_OK) {
        return NULL;
    }

    m = ngx_cweb_container_map(c, name, "container_get");
    if (m == NULL) {
        return NULL;
    }

    ngx_cweb_container_lock(c);
    value = ngx_cweb_map_value(m, name);
    ngx_cweb_container_unlock(c);

    return value;
}


map_error_t
ngx_cweb_container_remove(struct container *c, const char *name)
{
    map_error_t      rc;
    ngx_cweb_map_t  *m;

    if (ngx_cweb_api_gate("container_remove") != NGX_OK) {
        return MAP_ERR;
    }

    m = ngx_cweb_container_map(c, name, "container_remove");
    if (m == NULL) {
        return MAP_ERR;
    }

    ngx_cweb_container_lock(c);
    rc = ngx_cweb_map_unset(m, name);
    ngx_cweb_container_unlock(c);

    return rc;
}


/* ctx->cache->set/get, the older seed form: a NULL value is stored too */

static int
ngx_cweb_cache_set(const char *name, void *value)
{
    ngx_cweb_map_t  *m;

    if (ngx_cweb_api_gate("ctx->cache->set") != NGX_OK) {
        return CWEB_ERROR;
    }

    m = ngx_cweb_container_map(&ngx_cweb_cache, name, "ctx->cache->set");
    if (m == NULL) {
        return CWEB_ERROR;
    }

    return ngx_cweb_map_set(m, "ctx->cache->set", name, value) == MAP_OK
           ? CWEB_OK : CWEB_ERROR;
}


static void *
ngx_cweb_cache_get(const char *name)
{
    if (ngx_cweb_api_gate("ctx->cache->get") != NGX_OK) {
        return NULL;
    }

    return ngx_cweb_container_get(&ngx_cweb_cache, name);
}


/*
 * a version is unloaded: what it cached may point into its code or data,
 * which are gone, so its cache entries go, and the maps it left behind
 */

void
ngx_cweb_api_forget(ngx_cweb_plugin_t *p)
{
    size_t              i;
    ngx_cweb_map_t     *m;
    ngx_rbtree_node_t  *node, *next;

    for (i = 0; i < ngx_cweb_cache_map.pub.capacity; i++) {
        if (ngx_cweb_cache_map.setters[i] == p
            && ngx_cweb_cache_map.pub.entries[i].state == MAP_ENTRY_OCCUPIED)
        {
            (void) ngx_cweb_map_unset(&ngx_cweb_cache_map,
                                      ngx_cweb_cache_map.pub.entries[i].key);
        }
    }

    if (ngx_cweb_maps.root == NULL
        || ngx_cweb_maps.root == ngx_cweb_maps.sentinel)
    {
        return;
    }

    for (node = ngx_rbtree_min(ngx_cweb_maps.root, ngx_cweb_maps.sentinel);
         node;
         node = next)
    {
        next = ngx_rbtree_next(&ngx_cweb_maps, node);
        m = (ngx_cweb_map_t *) node;

        if (m->owner == p) {
            ngx_cweb_map_free(m);
        }
    }
}


/* the scheduler: only ctx->scheduler, whose lifetime is the host's */

static ngx_int_t
ngx_cweb_scheduler_ours(struct scheduler *s, const char *fn)
{
    if (s == &ngx_cweb_scheduler) {
        return NGX_OK;
    }

    ngx_cweb_api_error(s ? "%s(): not ctx->scheduler (the only scheduler "
                           "there is)" : "%s(): NULL scheduler", fn);

    return NGX_ERROR;
}


static void
ngx_cweb_scheduler_refuse(struct scheduler *s, const char *fn)
{
    if (ngx_cweb_scheduler_ours(s, fn) == NGX_OK) {
        ngx_cweb_api_error("%s(): ctx->scheduler belongs to the host, "
                           "refused", fn);
    }
}


int
ngx_cweb_scheduler_init(struct scheduler *s, size_t capacity)
{
    if (ngx_cweb_api_gate("scheduler_init") != NGX_OK) {
        return -1;
    }

    ngx_cweb_scheduler_refuse(s, "scheduler_init");
    return -1;
}


void
ngx_cweb_scheduler_shutdown(struct scheduler *s)
{
    if (ngx_cweb_api_gate("scheduler_shutdown") != NGX_OK) {
        return;
    }

    ngx_cweb_scheduler_refuse(s, "scheduler_shutdown");
}


void
ngx_cweb_scheduler_request_stop(struct scheduler *s, int drain)
{
    if (ngx_cweb_api_gate("scheduler_request_stop") != NGX_OK) {
        return;
    }

    ngx_cweb_scheduler_refuse(s, "scheduler_request_stop");
}


void
ngx_cweb_scheduler_cancel(struct scheduler *s)
{
    if (ngx_cweb_api_gate("scheduler_cancel") != NGX_OK) {
        return;
    }

    ngx_cweb_scheduler_refuse(s, "scheduler_cancel");
}


int
ngx_cweb_scheduler_pending_count(struct scheduler *s)
{
    if (ngx_cweb_api_gate("scheduler_pending_count") != NGX_OK) {
        return 0;
    }

    if (ngx_cweb_scheduler_ours(s, "scheduler_pending_count") != NGX_OK) {
        return 0;
    }

    return (int) ngx_cweb_scheduler.size;
}


int
ngx_cweb_scheduler_add(struct scheduler *s, work_t work, void *data,
    worker_state_t state)
{
    ngx_cweb_work_t    *w;
    ngx_cweb_plugin_t  *p;

    if (ngx_cweb_api_gate("scheduler_add") != NGX_OK) {
        return -1;
    }

    if (ngx_cweb_scheduler_ours(s, "scheduler_add") != NGX_OK) {
        return -1;
    }

    if (work == NULL || (state != ASYNC && state != SYNC)) {
        ngx_cweb_api_error(work ? "scheduler_add(): state %d is neither "
                                  "ASYNC nor SYNC"
                                : "scheduler_add(): NULL work", (int) state);
        return -1;
    }

    p = ngx_cweb_api_current();

    if (state == SYNC || p == NULL) {
        work(data);
        return 0;
    }

    w = ngx_calloc(sizeof(ngx_cweb_work_t), ngx_cycle->log);
    if (w == NULL) {
        return -1;
    }

    w->work = work;
    w->data = data;
    w->plugin = p;
    w->ev.handler = ngx_cweb_scheduler_handler;
    w->ev.data = w;
    w->ev.log = ngx_cycle->log;

    ngx_cweb_plugin_acquire(p);
    ngx_post_event(&w->ev, &ngx_posted_events);
    ngx_cweb_scheduler.size++;

    return 0;
}


static int
ngx_cweb_scheduler_add_seed(void (*work)(void *), void *data,
    worker_state_t state)
{
    return ngx_cweb_scheduler_add(&ngx_cweb_scheduler, work, data, state);
}


static void
ngx_cweb_scheduler_handler(ngx_event_t *ev)
{
    ngx_cweb_work_t  *w = ev->data;

    ngx_cweb_scheduler.size--;

    ngx_cweb_api_set_plugin(w->plugin);
    ngx_cweb_call_enter(w->plugin, NGX_CWEB_CALL_WORK);
    w->work(w->data);
    ngx_cweb_call_leave();
    ngx_cweb_api_set_plugin(NULL);

    ngx_cweb_plugin_release(w->plugin);
    ngx_free(w);
}
