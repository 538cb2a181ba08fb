
/*
 * The helper's eye on plugin code (ngx_cweb_helper.c calls it every tick,
 * the watchdog part only in the helper process):
 * - the process table: a process inside one call for longer than
 *   cweb_handler_timeout gets SIGABRT (its fault handler answers the stuck
 *   request with 504), then SIGKILL; a process that died inside a call
 *   without recording it (_exit(), an outside SIGKILL) is recorded here;
 * - fault events from the shared ring go to SQLite and the error log;
 * - a version the fault limit flagged is quarantined in SQLite and the
 *   newest stored good version that still fits is made active again, like
 *   a deploy (under the commit lock); without one the plugin's routes
 *   answer 503 with the reason.
 */


#include "ngx_cweb.h"


#define NGX_CWEB_RETIRE_MAX  10000     /* msec */


static void ngx_cweb_watchdog_route(ngx_atomic_uint_t what, ngx_str_t *route,
    u_char *buf, size_t size);
static void ngx_cweb_watchdog_quarantine(ngx_cweb_shm_module_t *m,
    ngx_uint_t version);
static ngx_int_t ngx_cweb_watchdog_fallback(ngx_str_t *name,
    ngx_uint_t version, ngx_cweb_version_rec_t *rec, ngx_pool_t *pool);


static ngx_cweb_main_conf_t   *ngx_cweb_watchdog_cmcf;
static void                   *ngx_cweb_watchdog_db;
static ngx_cweb_fault_event_t  ngx_cweb_watchdog_pending;
static ngx_uint_t              ngx_cweb_watchdog_has_pending;


/*
 * the process table: calls that outlived cweb_handler_timeout are killed,
 * processes that died inside a call without reporting it are recorded
 */

void
ngx_cweb_watchdog_run(void *db, ngx_cweb_main_conf_t *cmcf)
{
    ngx_uint_t          i;
    ngx_msec_t          timeout;
    ngx_cweb_shm_t     *sh;
    ngx_cweb_proc_t    *p;
    ngx_atomic_uint_t   pid, since, what, again;

    ngx_cweb_watchdog_db = db;
    ngx_cweb_watchdog_cmcf = cmcf;

    sh = ngx_cweb_shm_ctx()->sh;
    timeout = ngx_cweb_watchdog_cmcf->handler_timeout;

    for (i = 0; i < NGX_CWEB_MAX_PROCS; i++) {
        p = &sh->procs[i];
        pid = p->pid;

        if (pid == 0) {
            continue;
        }

        since = __atomic_load_n(&p->since, __ATOMIC_ACQUIRE);
        what = p->what;
        again = __atomic_load_n(&p->since, __ATOMIC_ACQUIRE);

        if (kill((ngx_pid_t) pid, 0) == -1 && ngx_errno == NGX_ESRCH) {
            if (since != 0
                && !(p->flags & (NGX_CWEB_PROC_REPORTED|NGX_CWEB_PROC_KILLED)))
            {
                ngx_cweb_fault_record(what, NGX_CWEB_FAULT_DIED, 0,
                                      (ngx_pid_t) pid);
            }

            ngx_cweb_proc_release(p);
            continue;
        }

        /* retiring after a recovered fault, but not getting anywhere */
        if (p->retiring
            && (ngx_msec_int_t) (ngx_current_msec - p->retiring)
               > (ngx_msec_int_t) ngx_max(NGX_CWEB_RETIRE_MAX, 2 * timeout))
        {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "cweb watchdog: process %P has been retiring for "
                          "%M ms, killing it", (ngx_pid_t) pid,
                          ngx_current_msec - p->retiring);
            p->retiring = 0;
            (void) kill((ngx_pid_t) pid, SIGKILL);
            continue;
        }

        if (since == 0 || since != again
            || (ngx_msec_int_t) (ngx_current_msec - since)
               < (ngx_msec_int_t) timeout)
        {
            continue;
        }

        if (p->flags & NGX_CWEB_PROC_KILLED) {
            /* SIGABRT blocked or ignored by the plugin: no more asking */
            if (!(p->flags & NGX_CWEB_PROC_SIGKILLED)
                && (ngx_msec_int_t) (ngx_current_msec - since)
                   > (ngx_msec_int_t) (timeout + 1000))
            {
                ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                              "cweb watchdog: process %P did not end on "
                              "SIGABRT, killing it with SIGKILL",
                              (ngx_pid_t) pid);

                (void) __atomic_fetch_or(&p->flags, NGX_CWEB_PROC_SIGKILLED,
                                         __ATOMIC_SEQ_CST);
                (void) kill((ngx_pid_t) pid, SIGKILL);
            }

            continue;
        }

        (void) __atomic_fetch_or(&p->flags,
                                 NGX_CWEB_PROC_KILLED|NGX_CWEB_PROC_REPORTED,
                                 __ATOMIC_SEQ_CST);

        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "cweb watchdog: process %P has been inside plugin code "
                      "for %M ms (cweb_handler_timeout %M ms), killing it",
                      (ngx_pid_t) pid, ngx_current_msec - since, timeout);

        ngx_cweb_fault_record(what, NGX_CWEB_FAULT_TIMEOUT, timeout,
                              (ngx_pid_t) pid);

        /* its fault handler answers the stuck request (504), then it dies */
        if (kill((ngx_pid_t) pid, SIGABRT) == -1) {
            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                          "kill(%P, SIGABRT) failed", (ngx_pid_t) pid);
        }
    }
}


/* fault events -> SQLite and the error log */

void
ngx_cweb_watchdog_faults(void *db, ngx_cweb_main_conf_t *cmcf)
{
    u_char                  buf[NGX_CWEB_NAME_LEN + 1100], err[256];
    u_char                  what[64];
    ngx_str_t               name, route;
    ngx_uint_t              slot, version, n;
    ngx_cweb_shm_module_t  *m;
    ngx_cweb_fault_event_t  ev;

    ngx_cweb_watchdog_db = db;
    ngx_cweb_watchdog_cmcf = cmcf;

    for ( ;; ) {
        if (ngx_cweb_watchdog_has_pending) {
            ev = ngx_cweb_watchdog_pending;

        } else if (ngx_cweb_fault_next(&ev) != NGX_OK) {
            return;
        }

        slot = ngx_cweb_what_slot(ev.what);
        version = ngx_cweb_what_version(ev.what);

        if (slot >= NGX_CWEB_MAX_MODULES) {
            ngx_cweb_watchdog_has_pending = 0;
            continue;
        }

        m = &ngx_cweb_shm_ctx()->sh->modules[slot];
        name.data = m->name;
        name.len = ngx_min(m->name_len, NGX_CWEB_NAME_LEN - 1);

        ngx_cweb_watchdog_route(ev.what, &route, buf, sizeof(buf));

        switch (ev.kind) {
        case NGX_CWEB_FAULT_SIGNAL:
            ngx_snprintf(what, sizeof(what), "%s%Z",
                         ngx_cweb_signal_name(ev.value));
            break;
        case NGX_CWEB_FAULT_EXIT:
            ngx_snprintf(what, sizeof(what), "exit(%i)%Z",
                         (ngx_int_t) ev.value);
            break;
        case NGX_CWEB_FAULT_TIMEOUT:
            ngx_snprintf(what, sizeof(what), "still running after %ui ms%Z",
                         (ngx_uint_t) ev.value);
            break;
        case NGX_CWEB_FAULT_OVERFLOW:
            ngx_snprintf(what, sizeof(what), "wrote past res->body%Z");
            break;
        default:
            ngx_snprintf(what, sizeof(what), "died%Z");
        }

        n = ev.count;

        if (!ngx_cweb_watchdog_has_pending) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "cweb plugin \"%V\" version %ui faulted: %s in %V "
                          "(process %P), %ui of %ui faults within %M ms",
                          &name, version, what, &route, (ngx_pid_t) ev.pid,
                          n, ngx_cweb_watchdog_cmcf->fault_limit,
                          ngx_cweb_watchdog_cmcf->fault_window);
        }

        if (ngx_cweb_watchdog_db == NULL
            || ngx_cweb_store_fault(ngx_cweb_watchdog_db, &name, version, &ev,
                                    &route, (char *) err, sizeof(err))
               != NGX_OK)
        {
            /* busy: the next tick tries again */
            ngx_cweb_watchdog_pending = ev;
            ngx_cweb_watchdog_has_pending = 1;
            return;
        }

        ngx_cweb_watchdog_has_pending = 0;
    }
}


/* "GET /crash", "onload", ... of the marker's route */

static void
ngx_cweb_watchdog_route(ngx_atomic_uint_t what, ngx_str_t *route, u_char *buf,
    size_t size)
{
    u_char                 *p, *last, *nl;
    ngx_int_t               idx, n;
    ngx_uint_t              slot;
    ngx_cweb_shm_module_t   m;

    static const char  *special[] = { "", "load", "onload", "unload",
                                      "scheduled work" };

    idx = ngx_cweb_what_route(what);
    route->data = buf;

    if (idx < 0) {
        route->len = ngx_snprintf(buf, size, "%s",
                                  special[-idx <= 4 ? -idx : 0]) - buf;
        return;
    }

    route->len = ngx_snprintf(buf, size, "route #%i", idx) - buf;

    slot = ngx_cweb_what_slot(what);

    ngx_shmtx_lock(&ngx_cweb_shm_ctx()->shpool->mutex);

    m = ngx_cweb_shm_ctx()->sh->modules[slot];

    if (m.version == ngx_cweb_what_version(what) && m.manifest) {
        p = m.manifest;
        last = p + m.manifest_len;

        for (n = 0; p < last; p = nl + 1) {
            nl = ngx_strlchr(p, last, '\n');
            nl = nl ? nl : last;

            if (*p == 'R' && n++ == idx) {
                route->len = ngx_min((size_t) (nl - p - 2), size);
                ngx_memcpy(buf, p + 2, route->len);
                break;
            }
        }
    }

    ngx_shmtx_unlock(&ngx_cweb_shm_ctx()->shpool->mutex);
}


/* versions the fault limit flagged: roll back, persistently */

void
ngx_cweb_watchdog_quarantines(void *db, ngx_cweb_main_conf_t *cmcf)
{
    ngx_uint_t              i;
    ngx_atomic_uint_t       q;
    ngx_cweb_shm_module_t  *m;

    ngx_cweb_watchdog_db = db;
    ngx_cweb_watchdog_cmcf = cmcf;

    for (i = 0; i < NGX_CWEB_MAX_MODULES; i++) {
        m = &ngx_cweb_shm_ctx()->sh->modules[i];
        q = m->quarantine;

        if (m->state == NGX_CWEB_MOD_FREE || q == 0
            || m->quarantine_done == q)
        {
            continue;
        }

        /* the registry and the database change together, as in a deploy */
        if (ngx_cweb_commit_trylock() != NGX_OK) {
            return;
        }

        m->quarantine_done = q;
        ngx_cweb_watchdog_quarantine(m, q);

        ngx_cweb_commit_unlock();
    }
}


static void
ngx_cweb_watchdog_quarantine(ngx_cweb_shm_module_t *m, ngx_uint_t version)
{
    u_char                  reason[NGX_CWEB_REASON_LEN], err[256];
    ngx_str_t               name;
    ngx_pool_t             *pool;
    ngx_cweb_version_rec_t  rec;

    name.len = m->name_len;
    name.data = ngx_pnalloc(ngx_cycle->pool, name.len);
    if (name.data == NULL) {
        return;
    }

    ngx_memcpy(name.data, m->name, name.len);

    *ngx_snprintf(reason, sizeof(reason) - 1,
                  "version %ui quarantined after %ui faults within %M ms",
                  version, ngx_cweb_watchdog_cmcf->fault_limit,
                  ngx_cweb_watchdog_cmcf->fault_window) = '\0';

    if (ngx_cweb_watchdog_db == NULL
        || ngx_cweb_store_quarantine(ngx_cweb_watchdog_db, &name, version,
                                     (char *) reason, 0, (char *) err,
                                     sizeof(err))
           != NGX_OK)
    {
        ngx_log_error(NGX_LOG_CRIT, ngx_cycle->log, 0,
                      "cweb plugin \"%V\" %s, not persisted: %s", &name,
                      reason, ngx_cweb_watchdog_db ? err : (u_char *) "no db");
    }

    /* an older version that faulted needs no fallback */
    if (m->version != version || m->state != NGX_CWEB_MOD_ACTIVE) {
        return;
    }

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    if (ngx_cweb_watchdog_fallback(&name, version, &rec, pool) == NGX_OK
        && ngx_cweb_store_activate(ngx_cweb_watchdog_db, &name, rec.version,
                                   (char *) err, sizeof(err))
           == NGX_OK)
    {
        rec.state = NGX_CWEB_MOD_ACTIVE;
        (void) ngx_cweb_registry_publish(&rec);

        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "cweb plugin \"%V\" %s; version %ui is active again",
                      &name, reason, rec.version);

        ngx_destroy_pool(pool);
        return;
    }

    ngx_destroy_pool(pool);

    (void) ngx_cweb_store_quarantine(ngx_cweb_watchdog_db, &name, version,
                                     (char *) reason, 1, (char *) err,
                                     sizeof(err));
    (void) ngx_cweb_registry_set_state(&name, version,
                                       NGX_CWEB_MOD_UNAVAILABLE,
                                       (char *) reason);

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "cweb plugin \"%V\" %s; no earlier good version is stored, "
                  "its routes answer 503", &name, reason);
}


/* the newest stored good version that is still there and fits */

static ngx_int_t
ngx_cweb_watchdog_fallback(ngx_str_t *name, ngx_uint_t version,
    ngx_cweb_version_rec_t *rec, ngx_pool_t *pool)
{
    u_char            path[NGX_MAX_PATH], err[256];
    ngx_str_t         conflict;
    ngx_array_t       items;
    ngx_file_info_t   fi;

    if (ngx_cweb_store_version(ngx_cweb_watchdog_db, name, 0, version, rec,
                               pool, (char *) err, sizeof(err))
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    ngx_snprintf(path, sizeof(path), "%V/so/%V%Z",
                 &ngx_cweb_watchdog_cmcf->module_dir, &rec->so_file);

    if (ngx_link_info(path, &fi) == NGX_FILE_ERROR || !ngx_is_file(&fi)) {
        return NGX_DECLINED;
    }

    /* a route taken by another plugin since would then be served twice */
    if (ngx_cweb_manifest_parse(&rec->manifest, pool, &items, err,
                                sizeof(err))
        != NGX_OK
        || ngx_cweb_manifest_conflict(name, &items, pool, &conflict)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}
