
/*
 * The helper's eye on plugin code (ngx_cweb_helper.c calls it every tick,
 * the watchdog part only in the helper process):
 * - the process table: a process inside one call for longer than
 *   cweb_handler_timeout gets SIGABRT (its fault handler answers the stuck
 *   request with 504), then SIGKILL; a process that died inside a call
 *   without recording it (_exit(), an outside SIGKILL) is recorded here.
 *   The SIGABRT is queued with the start of the call seen stuck, so a
 *   process whose call ended meanwhile ignores it (ngx_cweb_fault.c);
 * - fault events from the shared ring go to SQLite and the error log;
 *   those of a plugin deleted since (its slot free or taken by another
 *   name after the call began) are dropped;
 * - a version the fault limit flagged is quarantined in SQLite and the
 *   newest stored good version that still fits is made active again, like
 *   a deploy (under the commit lock); without one the plugin's routes
 *   answer 503 with the reason.  The fallback is chosen first, then one
 *   transaction writes the quarantine with its outcome.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_helper.h"
#include "ngx_cweb_manifest.h"
#include "ngx_cweb_shm.h"
#include "ngx_cweb_store.h"


#define NGX_CWEB_RETIRE_MAX  10000     /* msec */


static void ngx_cweb_watchdog_route(ngx_cweb_shm_module_t *m,
    ngx_atomic_uint_t what, ngx_str_t *route, u_char *buf, size_t size,
    ngx_pool_t *pool);
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
    union sigval        value;
    ngx_cweb_shm_t     *sh;
    ngx_cweb_proc_t    *p;
    ngx_atomic_uint_t   pid, since, what, again, flags;

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
                ngx_cweb_fault_record_call(what, since, NGX_CWEB_FAULT_DIED, 0,
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

        flags = __atomic_fetch_or(&p->flags,
                                  NGX_CWEB_PROC_KILLED|NGX_CWEB_PROC_REPORTED,
                                  __ATOMIC_SEQ_CST);

        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "cweb watchdog: process %P has been inside plugin code "
                      "for %M ms (cweb_handler_timeout %M ms), killing it",
                      (ngx_pid_t) pid, ngx_current_msec - since, timeout);

        /*
         * one that recorded this call's fault itself (exit(), a signal
         * re-raised) and is still there is ended all the same, but the
         * fault is not counted twice: leaving can outlast the timeout
         * (a core dump, valgrind's exit-time leak check)
         */
        if (!(flags & NGX_CWEB_PROC_REPORTED)) {
            ngx_cweb_fault_record_call(what, since, NGX_CWEB_FAULT_TIMEOUT,
                                       timeout, (ngx_pid_t) pid);
        }

        /*
         * its fault handler answers the stuck request (504), then it
         * dies; unless the call it was sent for has ended by then
         */
        value.sival_ptr = (void *) (uintptr_t) since;

        if (sigqueue((ngx_pid_t) pid, SIGABRT, value) == -1) {
            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                          "sigqueue(%P, SIGABRT) failed", (ngx_pid_t) pid);
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
    ngx_pool_t             *pool;
    ngx_cweb_shm_module_t   m;
    ngx_cweb_fault_event_t  ev;

    ngx_cweb_watchdog_db = db;
    ngx_cweb_watchdog_cmcf = cmcf;

    pool = NULL;

    for ( ;; ) {
        if (pool) {
            ngx_reset_pool(pool);
        }

        if (ngx_cweb_watchdog_has_pending) {
            ev = ngx_cweb_watchdog_pending;

        } else if (ngx_cweb_fault_next(&ev) != NGX_OK) {
            break;
        }

        if (pool == NULL) {
            pool = ngx_create_pool(4096, ngx_cycle->log);
            if (pool == NULL) {
                /* the event stays for the next tick */
                ngx_cweb_watchdog_pending = ev;
                ngx_cweb_watchdog_has_pending = 1;
                return;
            }
        }

        slot = ngx_cweb_what_slot(ev.what);
        version = ngx_cweb_what_version(ev.what);

        if (slot >= NGX_CWEB_MAX_MODULES) {
            ngx_cweb_watchdog_has_pending = 0;
            continue;
        }

        if (ngx_cweb_registry_get_slot(slot, &m, pool) != NGX_OK
            || ngx_cweb_fault_stale(&m, ev.since))
        {
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "cweb fault in registry slot %ui (version %ui) is "
                          "not recorded: the plugin that faulted was deleted",
                          slot, version);
            ngx_cweb_watchdog_has_pending = 0;
            continue;
        }

        name.data = m.name;
        name.len = ngx_min(m.name_len, NGX_CWEB_NAME_LEN - 1);

        ngx_cweb_watchdog_route(&m, ev.what, &route, buf, sizeof(buf), pool);

        (void) ngx_cweb_fault_describe(what, sizeof(what), ev.kind,
                                       (ngx_int_t) ev.value);

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
            break;
        }

        ngx_cweb_watchdog_has_pending = 0;
    }

    if (pool) {
        ngx_destroy_pool(pool);
    }
}


/*
 * "GET /crash", "onload", ... of the marker's route: the route's item of
 * the manifest of m (a copy of the slot), when m still runs that version
 */

static void
ngx_cweb_watchdog_route(ngx_cweb_shm_module_t *m, ngx_atomic_uint_t what,
    ngx_str_t *route, u_char *buf, size_t size, ngx_pool_t *pool)
{
    u_char                    err[256];
    ngx_int_t                 idx;
    ngx_str_t                 text;
    ngx_uint_t                i, n, ws;
    ngx_array_t               items;
    ngx_cweb_manifest_item_t *it;

    static const char  *special[] = { "", "load", "onload", "unload",
                                      "scheduled work", "a job" };

    idx = ngx_cweb_what_route(what);
    route->data = buf;

    if (idx < 0) {
        route->len = ngx_snprintf(buf, size, "%s",
                                  special[-idx <= 5 ? -idx : 0]) - buf;
        return;
    }

    ws = (idx >= NGX_CWEB_CALL_WS_BASE);
    idx -= ws ? NGX_CWEB_CALL_WS_BASE : 0;

    route->len = ngx_snprintf(buf, size, "%s #%i", ws ? "websocket" : "route",
                              idx)
                 - buf;

    if (m->version != ngx_cweb_what_version(what) || m->manifest == NULL) {
        return;
    }

    text.data = m->manifest;
    text.len = m->manifest_len;

    if (ngx_cweb_manifest_parse(&text, pool, &items, err, sizeof(err))
        != NGX_OK)
    {
        return;
    }

    it = items.elts;

    for (i = 0, n = 0; i < items.nelts; i++) {
        if (it[i].type == (ws ? 'W' : 'R') && n++ == (ngx_uint_t) idx) {
            route->len = (ws ? ngx_snprintf(buf, size, "websocket %V",
                                            &it[i].value)
                             : ngx_snprintf(buf, size, "%V %V",
                                            &it[i].method, &it[i].value))
                         - buf;
            return;
        }
    }
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


/*
 * the fallback is chosen first; then one transaction writes the
 * quarantine with what follows from it, and the registry follows the
 * database (unavailable when nothing could be written)
 */

static void
ngx_cweb_watchdog_quarantine(ngx_cweb_shm_module_t *m, ngx_uint_t version)
{
    u_char                  reason[NGX_CWEB_REASON_LEN], err[256];
    u_char                  buf[NGX_CWEB_NAME_LEN];
    ngx_int_t               rc;
    ngx_str_t               name;
    ngx_uint_t              current, fallback;
    ngx_pool_t             *pool;
    ngx_cweb_version_rec_t  rec;

    name.len = ngx_min(m->name_len, NGX_CWEB_NAME_LEN);
    name.data = buf;
    ngx_memcpy(buf, m->name, name.len);

    ngx_cweb_errf(reason, sizeof(reason),
                  "version %ui quarantined after %ui faults within %M ms",
                  version, ngx_cweb_watchdog_cmcf->fault_limit,
                  ngx_cweb_watchdog_cmcf->fault_window);

    /* an older version that faulted needs no fallback */
    current = (m->version == version && m->state == NGX_CWEB_MOD_ACTIVE);
    fallback = 0;

    pool = ngx_create_pool(4096, ngx_cycle->log);

    if (current && pool != NULL && ngx_cweb_watchdog_db != NULL
        && ngx_cweb_watchdog_fallback(&name, version, &rec, pool) == NGX_OK)
    {
        fallback = rec.version;
    }

    rc = NGX_ERROR;

    if (ngx_cweb_watchdog_db != NULL) {
        rc = ngx_cweb_store_quarantine(ngx_cweb_watchdog_db, &name, version,
                                       (char *) reason, current, fallback,
                                       (char *) err, sizeof(err));
    }

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, ngx_cycle->log, 0,
                      "cweb plugin \"%V\" %s, not persisted: %s", &name,
                      reason, ngx_cweb_watchdog_db ? err : (u_char *) "no db");
    }

    if (!current) {
        goto done;
    }

    if (rc == NGX_OK && fallback) {
        rec.state = NGX_CWEB_MOD_ACTIVE;
        (void) ngx_cweb_registry_publish(&rec);

        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "cweb plugin \"%V\" %s; version %ui is active again",
                      &name, reason, rec.version);
        goto done;
    }

    (void) ngx_cweb_registry_set_state(&name, version,
                                       NGX_CWEB_MOD_UNAVAILABLE,
                                       (char *) reason);

    if (rc != NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "cweb plugin \"%V\" %s; no earlier good version is "
                      "stored, its routes answer 503", &name, reason);
    }

done:

    if (pool) {
        ngx_destroy_pool(pool);
    }
}


/* the newest stored good version that is still there and fits */

static ngx_int_t
ngx_cweb_watchdog_fallback(ngx_str_t *name, ngx_uint_t version,
    ngx_cweb_version_rec_t *rec, ngx_pool_t *pool)
{
    u_char     err[512];
    ngx_str_t  conflict;

    if (ngx_cweb_store_version(ngx_cweb_watchdog_db, name, 0, version, rec,
                               pool, (char *) err, sizeof(err))
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    /* a route taken by another plugin since would then be served twice */
    if (ngx_cweb_rollback_usable(&ngx_cweb_watchdog_cmcf->module_dir, rec,
                                 pool, &conflict, err, sizeof(err))
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "cweb plugin \"%V\" version %ui cannot take over: %s",
                      name, rec->version, err);
        return NGX_DECLINED;
    }

    return NGX_OK;
}
