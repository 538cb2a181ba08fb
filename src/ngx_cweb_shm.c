
/*
 * The shared zone: the registry (name -> active version, hashes, .so file
 * and manifest of every plugin), the generation counter, the process
 * table of call markers and the ring of faults.
 *
 * Invariants:
 * - SQLite is the truth; the registry is its mirror.  A fresh zone (first
 *   start, restart, resized zone) starts in state STARTING and is refilled
 *   by the cweb helper, running as the workers' user; the master never
 *   reads the database.  A reused zone (reload) is kept as it is.
 * - Registry fields are guarded by the slab mutex (shpool->mutex), which
 *   nginx force-unlocks when the holder dies.  Nothing blocking, no
 *   logging above debug and no return happen while it is held.  The fault
 *   fields of a slot, the process table and the fault ring are atomics
 *   written without the lock: a process dying inside plugin code writes
 *   them from a signal handler.
 * - A change is written completely, then generation is bumped after a
 *   barrier; processes compare the generation on every request and resync.
 * - A slot is freed when its plugin is deleted; version numbers come from
 *   SQLite, so a freed slot loses nothing.  Versions restart at 1 for a
 *   new name, so a slot records when its name claimed it (claimed, msec):
 *   a fault of a call that began earlier was not of this plugin.
 * - commit_lock (pid of the committing process) serialises commits
 *   cluster-wide so that the conflict check and the publish of a version
 *   see the same registry; a dead owner's lock is taken over.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_shm.h"


static ngx_cweb_shm_module_t *ngx_cweb_registry_lookup_locked(
    ngx_cweb_shm_t *sh, ngx_str_t *name);
static ngx_cweb_shm_module_t *ngx_cweb_registry_slot_locked(
    ngx_cweb_shm_t *sh, ngx_str_t *name);
static ngx_int_t ngx_cweb_registry_copy_locked(ngx_cweb_shm_module_t *m,
    ngx_cweb_shm_module_t *out, ngx_pool_t *pool);
static void ngx_cweb_registry_bump_locked(void);


static ngx_cweb_shctx_t  *ngx_cweb_shctx;


ngx_int_t
ngx_cweb_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_cweb_shctx_t  *octx = data;

    ngx_cweb_shctx_t  *ctx;

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

    /* the helper (or the single process) fills it, as the workers' user */
    ctx->sh->state = NGX_CWEB_ZONE_STARTING;

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


ngx_uint_t
ngx_cweb_shm_state(u_char **reason)
{
    if (reason) {
        *reason = ngx_cweb_shctx->sh->reason;
    }

    return ngx_cweb_shctx->sh->state;
}


void
ngx_cweb_shm_set_state(ngx_uint_t state, const char *reason)
{
    ngx_cweb_shm_t  *sh;

    sh = ngx_cweb_shctx->sh;

    ngx_shmtx_lock(&ngx_cweb_shctx->shpool->mutex);

    ngx_cpystrn(sh->reason, (u_char *) (reason ? reason : ""),
                NGX_CWEB_REASON_LEN);
    ngx_memory_barrier();
    sh->state = state;
    ngx_cweb_registry_bump_locked();

    ngx_shmtx_unlock(&ngx_cweb_shctx->shpool->mutex);
}


static void
ngx_cweb_registry_bump_locked(void)
{
    ngx_memory_barrier();
    ngx_atomic_fetch_add(&ngx_cweb_shctx->sh->generation, 1);
}


static ngx_cweb_shm_module_t *
ngx_cweb_registry_lookup_locked(ngx_cweb_shm_t *sh, ngx_str_t *name)
{
    ngx_uint_t              i;
    ngx_cweb_shm_module_t  *m;

    for (i = 0; i < NGX_CWEB_MAX_MODULES; i++) {
        m = &sh->modules[i];

        if (m->state != NGX_CWEB_MOD_FREE
            && m->name_len == name->len
            && ngx_strncmp(m->name, name->data, name->len) == 0)
        {
            return m;
        }
    }

    return NULL;
}


/* the slot of name, a free one for a new name (state still FREE) */

static ngx_cweb_shm_module_t *
ngx_cweb_registry_slot_locked(ngx_cweb_shm_t *sh, ngx_str_t *name)
{
    ngx_uint_t              i;
    ngx_cweb_shm_module_t  *m;

    if (name->len == 0 || name->len >= NGX_CWEB_NAME_LEN) {
        return NULL;
    }

    m = ngx_cweb_registry_lookup_locked(sh, name);
    if (m != NULL) {
        return m;
    }

    for (i = 0; i < NGX_CWEB_MAX_MODULES; i++) {
        m = &sh->modules[i];

        if (m->state == NGX_CWEB_MOD_FREE) {
            ngx_memzero(m, sizeof(ngx_cweb_shm_module_t));
            m->slot = i;
            ngx_memcpy(m->name, name->data, name->len);
            m->name_len = name->len;
            m->claimed = ngx_current_msec;
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


/* entries in use, copied out of the zone into pool memory */

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

        if (m->state == NGX_CWEB_MOD_FREE) {
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

    if (m == NULL) {
        rc = NGX_DECLINED;

    } else {
        rc = ngx_cweb_registry_copy_locked(m, out, pool);
    }

    ngx_shmtx_unlock(&ngx_cweb_shctx->shpool->mutex);

    return rc;
}


/* the entry in slot, copied out (NGX_DECLINED: the slot is free) */

ngx_int_t
ngx_cweb_registry_get_slot(ngx_uint_t slot, ngx_cweb_shm_module_t *out,
    ngx_pool_t *pool)
{
    ngx_int_t               rc;
    ngx_cweb_shm_module_t  *m;

    if (slot >= NGX_CWEB_MAX_MODULES) {
        return NGX_DECLINED;
    }

    ngx_shmtx_lock(&ngx_cweb_shctx->shpool->mutex);

    m = &ngx_cweb_shctx->sh->modules[slot];

    rc = (m->state == NGX_CWEB_MOD_FREE)
         ? NGX_DECLINED : ngx_cweb_registry_copy_locked(m, out, pool);

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
            && m->quarantine != m->version
            && ngx_strncmp(m->source_sha256, sha256, NGX_CWEB_HASH_LEN) == 0)
        {
            rc = ngx_cweb_registry_copy_locked(m, out, pool);
            break;
        }
    }

    ngx_shmtx_unlock(&ngx_cweb_shctx->shpool->mutex);

    return rc;
}


/* the version becomes what the slot serves (rec->state) */

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
    ngx_memcpy(m->module_hash, rec->module_hash, NGX_CWEB_HASH_LEN);
    ngx_memcpy(m->source_sha256, rec->source_sha256, NGX_CWEB_HASH_LEN);
    ngx_cpystrn(m->so_file, rec->so_file.data,
                ngx_min(rec->so_file.len + 1, NGX_CWEB_FILE_LEN));
    ngx_cpystrn(m->reason, rec->reason.data ? rec->reason.data
                                            : (u_char *) "",
                ngx_min(rec->reason.len + 1, NGX_CWEB_REASON_LEN));
    m->compile_ms = rec->compile_ms;
    m->updated = rec->created;
    m->manifest = manifest;
    m->manifest_len = rec->manifest.len;
    m->state = rec->state ? rec->state : NGX_CWEB_MOD_ACTIVE;

    if (old) {
        ngx_slab_free_locked(shpool, old);
    }

    ngx_cweb_registry_bump_locked();

done:

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/* the slot changes state, if it still serves that version */

ngx_int_t
ngx_cweb_registry_set_state(ngx_str_t *name, ngx_uint_t version,
    ngx_uint_t state, const char *reason)
{
    ngx_int_t               rc;
    ngx_cweb_shm_module_t  *m;

    ngx_shmtx_lock(&ngx_cweb_shctx->shpool->mutex);

    m = ngx_cweb_registry_lookup_locked(ngx_cweb_shctx->sh, name);

    if (m == NULL || m->version != version) {
        rc = NGX_DECLINED;

    } else {
        m->state = state;
        ngx_cpystrn(m->reason, (u_char *) (reason ? reason : ""),
                    NGX_CWEB_REASON_LEN);
        ngx_cweb_registry_bump_locked();
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&ngx_cweb_shctx->shpool->mutex);

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

    if (m == NULL) {
        rc = NGX_DECLINED;

    } else {
        if (m->manifest) {
            ngx_slab_free_locked(shpool, m->manifest);
        }

        /* the slot is free again; faults and flags go with it */
        ngx_memzero(m, sizeof(ngx_cweb_shm_module_t));

        ngx_cweb_registry_bump_locked();
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


/*
 * a process-table entry for pid; entries of dead processes are reclaimed
 * by the helper once it has looked at their markers
 */

ngx_cweb_proc_t *
ngx_cweb_proc_claim(ngx_pid_t pid)
{
    ngx_uint_t        i;
    ngx_cweb_proc_t  *p;

    for (i = 0; i < NGX_CWEB_MAX_PROCS; i++) {
        p = &ngx_cweb_shctx->sh->procs[i];

        if (p->pid == 0 && ngx_atomic_cmp_set(&p->pid, 0, pid)) {
            p->since = 0;
            p->what = 0;
            p->flags = 0;
            p->retiring = 0;
            return p;
        }
    }

    return NULL;
}


void
ngx_cweb_proc_release(ngx_cweb_proc_t *p)
{
    p->since = 0;
    p->flags = 0;
    p->retiring = 0;
    ngx_memory_barrier();
    p->pid = 0;
}
