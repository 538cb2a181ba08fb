
/*
 * The shared registry: name -> active version, hashes, .so file and
 * manifest of every plugin, plus the generation counter.
 *
 * Invariants:
 * - SQLite is the truth; this zone is its mirror.  A fresh zone (first
 *   start, restart, resized zone) is refilled from SQLite by the master
 *   before any worker exists; a reused zone (reload) is kept as it is.
 * - Every field is guarded by the slab mutex (shpool->mutex), which nginx
 *   force-unlocks when the holder dies.  Nothing blocking, no logging above
 *   debug and no return happen while it is held.
 * - A change is written completely, then generation is bumped after a
 *   barrier; processes compare the generation on every request and resync.
 * - commit_lock (pid of the committing process) serialises commits
 *   cluster-wide so that the conflict check and the publish of a version
 *   see the same registry; a dead owner's lock is taken over.
 */


#include "ngx_cweb.h"


static ngx_cweb_shm_module_t *ngx_cweb_registry_lookup_locked(
    ngx_cweb_shm_t *sh, ngx_str_t *name);
static ngx_cweb_shm_module_t *ngx_cweb_registry_slot_locked(
    ngx_cweb_shm_t *sh, ngx_str_t *name);
static ngx_int_t ngx_cweb_registry_copy_locked(ngx_cweb_shm_module_t *m,
    ngx_cweb_shm_module_t *out, ngx_pool_t *pool);
static ngx_int_t ngx_cweb_manifest_has(ngx_str_t *manifest, u_char *line,
    size_t len);


static ngx_cweb_shctx_t  *ngx_cweb_shctx;


ngx_int_t
ngx_cweb_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_cweb_shctx_t  *octx = data;

    ngx_cweb_shctx_t      *ctx;
    ngx_cweb_main_conf_t  *cmcf;

    ctx = shm_zone->data;
    ngx_cweb_shctx = ctx;

    if (octx) {
        /* reload with the same zone: the registry carries over */
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_calloc(ctx->shpool, sizeof(ngx_cweb_shm_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;
    ctx->shpool->log_ctx = (u_char *) " in cweb zone";
    ctx->shpool->log_nomem = 0;

    if (ngx_test_config) {
        return NGX_OK;
    }

    cmcf = ctx->cmcf;

    /* the zone is new: refill it from SQLite before any worker exists */
    if (ngx_cweb_store_restore(cmcf, ctx, shm_zone->shm.log) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->sh->generation++;

    return NGX_OK;
}


ngx_cweb_shctx_t *
ngx_cweb_shm_ctx(void)
{
    return ngx_cweb_shctx;
}


/*
 * init_zone sets the context while the master builds a cycle; a cycle
 * that then fails (a reload whose listen fails) is rolled back, so every
 * process takes it again from its own, live cycle at start
 */

void
ngx_cweb_shm_use(ngx_cycle_t *cycle)
{
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);

    if (cmcf && cmcf->shm_zone) {
        ngx_cweb_shctx = cmcf->shm_zone->data;
    }
}


ngx_uint_t
ngx_cweb_shm_generation(void)
{
    return ngx_cweb_shctx->sh->generation;
}


static ngx_cweb_shm_module_t *
ngx_cweb_registry_lookup_locked(ngx_cweb_shm_t *sh, ngx_str_t *name)
{
    ngx_uint_t              i;
    ngx_cweb_shm_module_t  *m;

    for (i = 0; i < NGX_CWEB_MAX_MODULES; i++) {
        m = &sh->modules[i];

        if (m->name_len == name->len
            && ngx_strncmp(m->name, name->data, name->len) == 0)
        {
            return m;
        }
    }

    return NULL;
}


/* the entry of name, created (not active) when it has none yet */

static ngx_cweb_shm_module_t *
ngx_cweb_registry_slot_locked(ngx_cweb_shm_t *sh, ngx_str_t *name)
{
    ngx_uint_t              i;
    ngx_cweb_shm_module_t  *m;

    m = ngx_cweb_registry_lookup_locked(sh, name);
    if (m != NULL) {
        return m;
    }

    for (i = 0; i < NGX_CWEB_MAX_MODULES; i++) {
        m = &sh->modules[i];

        if (m->name_len == 0) {
            ngx_memcpy(m->name, name->data, name->len);
            m->name_len = name->len;
            m->state = NGX_CWEB_MOD_FREE;
            return m;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_cweb_registry_copy_locked(ngx_cweb_shm_module_t *m,
    ngx_cweb_shm_module_t *out, ngx_pool_t *pool)
{
    *out = *m;

    if (m->manifest_len == 0) {
        out->manifest = NULL;
        return NGX_OK;
    }

    out->manifest = ngx_pnalloc(pool, m->manifest_len);
    if (out->manifest == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(out->manifest, m->manifest, m->manifest_len);

    return NGX_OK;
}


/* active entries, copied out of the zone into pool memory */

ngx_int_t
ngx_cweb_registry_snapshot(ngx_pool_t *pool, ngx_array_t *out)
{
    ngx_int_t               rc;
    ngx_uint_t              i;
    ngx_cweb_shm_t         *sh;
    ngx_cweb_shm_module_t  *m, *copy;

    sh = ngx_cweb_shctx->sh;
    rc = NGX_OK;

    ngx_shmtx_lock(&ngx_cweb_shctx->shpool->mutex);

    for (i = 0; i < NGX_CWEB_MAX_MODULES; i++) {
        m = &sh->modules[i];

        if (m->state != NGX_CWEB_MOD_ACTIVE) {
            continue;
        }

        copy = ngx_array_push(out);
        if (copy == NULL
            || ngx_cweb_registry_copy_locked(m, copy, pool) != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }
    }

    ngx_shmtx_unlock(&ngx_cweb_shctx->shpool->mutex);

    return rc;
}


ngx_int_t
ngx_cweb_registry_get(ngx_str_t *name, ngx_cweb_shm_module_t *out,
    ngx_pool_t *pool)
{
    ngx_int_t               rc;
    ngx_cweb_shm_module_t  *m;

    ngx_shmtx_lock(&ngx_cweb_shctx->shpool->mutex);

    m = ngx_cweb_registry_lookup_locked(ngx_cweb_shctx->sh, name);

    if (m == NULL || m->state != NGX_CWEB_MOD_ACTIVE) {
        rc = NGX_DECLINED;

    } else {
        rc = ngx_cweb_registry_copy_locked(m, out, pool);
    }

    ngx_shmtx_unlock(&ngx_cweb_shctx->shpool->mutex);

    return rc;
}


/* an active plugin whose current version was built from this source */

ngx_int_t
ngx_cweb_registry_find_source(u_char *sha256, ngx_cweb_shm_module_t *out,
    ngx_pool_t *pool)
{
    ngx_int_t               rc;
    ngx_uint_t              i;
    ngx_cweb_shm_module_t  *m;

    rc = NGX_DECLINED;

    ngx_shmtx_lock(&ngx_cweb_shctx->shpool->mutex);

    for (i = 0; i < NGX_CWEB_MAX_MODULES; i++) {
        m = &ngx_cweb_shctx->sh->modules[i];

        if (m->state == NGX_CWEB_MOD_ACTIVE
            && ngx_strncmp(m->source_sha256, sha256, NGX_CWEB_HASH_LEN) == 0)
        {
            rc = ngx_cweb_registry_copy_locked(m, out, pool);
            break;
        }
    }

    ngx_shmtx_unlock(&ngx_cweb_shctx->shpool->mutex);

    return rc;
}


/*
 * the next version number of a plugin; the slot is created (not active)
 * for a new name so that concurrent uploads never share a number
 */

ngx_int_t
ngx_cweb_registry_reserve(ngx_str_t *name, ngx_uint_t *version)
{
    ngx_int_t               rc;
    ngx_cweb_shm_module_t  *m;

    rc = NGX_OK;

    ngx_shmtx_lock(&ngx_cweb_shctx->shpool->mutex);

    m = ngx_cweb_registry_slot_locked(ngx_cweb_shctx->sh, name);

    if (m == NULL) {
        rc = NGX_DECLINED;

    } else {
        if (m->next_version <= m->version) {
            m->next_version = m->version + 1;
        }

        *version = m->next_version++;
    }

    ngx_shmtx_unlock(&ngx_cweb_shctx->shpool->mutex);

    return rc;
}


/* versions up to max were used once: the next one is max + 1 */

ngx_int_t
ngx_cweb_registry_seed(ngx_str_t *name, ngx_uint_t max)
{
    ngx_int_t               rc;
    ngx_cweb_shm_module_t  *m;

    ngx_shmtx_lock(&ngx_cweb_shctx->shpool->mutex);

    m = ngx_cweb_registry_slot_locked(ngx_cweb_shctx->sh, name);

    if (m == NULL) {
        rc = NGX_DECLINED;

    } else {
        if (m->next_version <= max) {
            m->next_version = max + 1;
        }

        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&ngx_cweb_shctx->shpool->mutex);

    return rc;
}


static ngx_int_t
ngx_cweb_manifest_has(ngx_str_t *manifest, u_char *line, size_t len)
{
    u_char  *p, *last, *nl;

    p = manifest->data;
    last = p + manifest->len;

    while (p < last) {
        nl = ngx_strlchr(p, last, '\n');
        if (nl == NULL) {
            nl = last;
        }

        if ((size_t) (nl - p) == len && ngx_strncmp(p, line, len) == 0) {
            return 1;
        }

        p = nl + 1;
    }

    return 0;
}


/*
 * NGX_DECLINED when no other active plugin serves one of the routes or
 * WebSocket paths of manifest, NGX_OK with "<plugin>: <item>" in conflict
 * otherwise
 */

ngx_int_t
ngx_cweb_registry_conflict(ngx_str_t *name, ngx_str_t *manifest,
    ngx_pool_t *pool, ngx_str_t *conflict)
{
    u_char                 *p, *last, *nl;
    ngx_uint_t              i;
    ngx_array_t             mods;
    ngx_cweb_shm_module_t  *m;
    ngx_str_t               other;

    if (ngx_array_init(&mods, pool, 8, sizeof(ngx_cweb_shm_module_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_cweb_registry_snapshot(pool, &mods) != NGX_OK) {
        return NGX_ERROR;
    }

    m = mods.elts;

    for (i = 0; i < mods.nelts; i++) {
        if (m[i].name_len == name->len
            && ngx_strncmp(m[i].name, name->data, name->len) == 0)
        {
            continue;
        }

        other.data = m[i].manifest;
        other.len = m[i].manifest_len;

        p = manifest->data;
        last = p + manifest->len;

        while (p < last) {
            nl = ngx_strlchr(p, last, '\n');
            if (nl == NULL) {
                nl = last;
            }

            if ((*p == 'R' || *p == 'W')
                && ngx_cweb_manifest_has(&other, p, nl - p))
            {
                conflict->len = m[i].name_len + 2 + (nl - p) - 2;
                conflict->data = ngx_pnalloc(pool, conflict->len);
                if (conflict->data == NULL) {
                    return NGX_ERROR;
                }

                ngx_sprintf(conflict->data, "%*s: %*s",
                            m[i].name_len, m[i].name,
                            (size_t) (nl - p - 2), p + 2);
                return NGX_OK;
            }

            p = nl + 1;
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_cweb_registry_publish(ngx_cweb_version_rec_t *rec)
{
    u_char                 *manifest, *old;
    ngx_int_t               rc;
    ngx_slab_pool_t        *shpool;
    ngx_cweb_shm_module_t  *m;

    shpool = ngx_cweb_shctx->shpool;
    rc = NGX_OK;

    ngx_shmtx_lock(&shpool->mutex);

    manifest = NULL;

    if (rec->manifest.len) {
        manifest = ngx_slab_alloc_locked(shpool, rec->manifest.len);
        if (manifest == NULL) {
            rc = NGX_ERROR;
            goto done;
        }

        ngx_memcpy(manifest, rec->manifest.data, rec->manifest.len);
    }

    m = ngx_cweb_registry_slot_locked(ngx_cweb_shctx->sh, &rec->name);

    if (m == NULL) {
        if (manifest) {
            ngx_slab_free_locked(shpool, manifest);
        }

        rc = NGX_DECLINED;
        goto done;
    }

    old = m->manifest;

    m->version = rec->version;
    if (m->next_version <= rec->version) {
        m->next_version = rec->version + 1;
    }

    ngx_memcpy(m->module_hash, rec->module_hash, NGX_CWEB_HASH_LEN);
    ngx_memcpy(m->source_sha256, rec->source_sha256, NGX_CWEB_HASH_LEN);
    ngx_cpystrn(m->so_file, rec->so_file.data,
                ngx_min(rec->so_file.len + 1, NGX_CWEB_FILE_LEN));
    m->compile_ms = rec->compile_ms;
    m->updated = rec->created;
    m->manifest = manifest;
    m->manifest_len = rec->manifest.len;
    m->state = NGX_CWEB_MOD_ACTIVE;

    if (old) {
        ngx_slab_free_locked(shpool, old);
    }

    ngx_memory_barrier();
    ngx_atomic_fetch_add(&ngx_cweb_shctx->sh->generation, 1);

done:

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


ngx_int_t
ngx_cweb_registry_remove(ngx_str_t *name)
{
    ngx_int_t               rc;
    ngx_slab_pool_t        *shpool;
    ngx_cweb_shm_module_t  *m;

    shpool = ngx_cweb_shctx->shpool;

    ngx_shmtx_lock(&shpool->mutex);

    m = ngx_cweb_registry_lookup_locked(ngx_cweb_shctx->sh, name);

    if (m == NULL || m->state != NGX_CWEB_MOD_ACTIVE) {
        rc = NGX_DECLINED;

    } else {
        if (m->manifest) {
            ngx_slab_free_locked(shpool, m->manifest);
        }

        /* the name keeps its slot so that version numbers keep growing */
        m->state = NGX_CWEB_MOD_FREE;
        m->manifest = NULL;
        m->manifest_len = 0;
        ngx_memzero(m->source_sha256, NGX_CWEB_HASH_LEN);

        ngx_memory_barrier();
        ngx_atomic_fetch_add(&ngx_cweb_shctx->sh->generation, 1);
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


ngx_int_t
ngx_cweb_commit_trylock(void)
{
    ngx_atomic_t      *lock;
    ngx_atomic_uint_t  owner;

    lock = &ngx_cweb_shctx->sh->commit_lock;

    if (ngx_atomic_cmp_set(lock, 0, ngx_pid)) {
        return NGX_OK;
    }

    owner = *lock;

    /* a committer that died (kill -9) leaves its pid behind */
    if (owner != 0
        && kill((ngx_pid_t) owner, 0) == -1 && ngx_errno == NGX_ESRCH
        && ngx_atomic_cmp_set(lock, owner, ngx_pid))
    {
        return NGX_OK;
    }

    return NGX_AGAIN;
}


void
ngx_cweb_commit_unlock(void)
{
    (void) ngx_atomic_cmp_set(&ngx_cweb_shctx->sh->commit_lock, ngx_pid, 0);
}
