
/*
 * The cweb helper process.
 *
 * It takes nginx's cache manager slot (the state directory is an
 * ngx_path_t with a manager callback), so the master respawns it when it
 * dies and replaces it on reload; it is titled "cweb helper", runs as the
 * workers' user and never exits with code 2.  With master_process off the
 * single process does the same work itself, minus the watchdog.
 *
 * Its jobs:
 * - the canary process (ngx_cweb_canary.c): started here, before this
 *   process has any thread, and started again when it dies;
 * - restore: a new zone (start, restart) is filled from SQLite, every row
 *   checked field by field; objects that went missing, or that carry
 *   another ABI stamp than this server's (an upgrade; read from the file,
 *   ngx_cweb_elf.c), are rebuilt here from their sources, compiled and
 *   canaried like an upload, never by the master;
 * - the job scheduler (ngx_cweb_jobs_sched.c), once the zone is ready;
 * - the watchdog: a worker inside one call for longer than
 *   cweb_handler_timeout is killed, a worker that died inside a call
 *   without saying so is noticed; both are faults of that version;
 * - faults are written to SQLite, and a version the fault limit
 *   quarantined is replaced by the previous good one (or its plugin's
 *   routes answer 503), persistently;
 * - tmp/ is swept of files of processes that are gone.
 *
 * One helper acts per zone (sh->helper holds its pid): on reload the old
 * and the new helper overlap for ~100 ms, and the new one takes over once
 * the old one has exited.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_canary.h"
#include "ngx_cweb_compile.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_helper.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_loader.h"
#include "ngx_cweb_shm.h"
#include "ngx_cweb_store.h"

#include <dlfcn.h>


#define NGX_CWEB_HELPER_TICK    50
#define NGX_CWEB_SWEEP_EVERY    60000
#define NGX_CWEB_TMP_AGE        3600


typedef struct {
    ngx_str_t                   name;
    ngx_uint_t                  version;
    u_char                      so_file[NGX_CWEB_FILE_LEN];
    u_char                      source_sha256[NGX_CWEB_HASH_LEN + 1];
    ngx_str_t                   manifest;
} ngx_cweb_rebuild_t;


static void ngx_cweb_helper_tick(ngx_event_t *ev);
static ngx_uint_t ngx_cweb_helper_acting(void);
static void ngx_cweb_helper_restore(void);
static ngx_int_t ngx_cweb_helper_restore_one(ngx_cweb_version_rec_t *rec,
    void *data);
static void ngx_cweb_helper_restore_object(ngx_cweb_version_rec_t *rec,
    ngx_pool_t *pool);
static ngx_uint_t ngx_cweb_helper_db_open(void);
static void ngx_cweb_helper_disable(const char *fmt, u_char *why);
static void ngx_cweb_helper_purge(ngx_str_t *dir, ngx_log_t *log);
static void ngx_cweb_helper_sweep_tmp(ngx_str_t *dir, ngx_log_t *log);
static ngx_int_t ngx_cweb_helper_purge_file(u_char *path, u_char *name,
    size_t len, void *data);
static ngx_int_t ngx_cweb_helper_sweep_file(u_char *path, u_char *name,
    size_t len, void *data);
static void ngx_cweb_helper_rebuild_next(void);
static void ngx_cweb_helper_rebuilt(ngx_cweb_compile_t *cc);
static void ngx_cweb_helper_rebuild_checked(ngx_cweb_canary_t *cn);
static void ngx_cweb_helper_rebuild_failed(const char *what, u_char *why);
static void ngx_cweb_helper_rebuild_cleanup(void *data);


static ngx_cycle_t           *ngx_cweb_helper_cycle;
static ngx_cweb_main_conf_t  *ngx_cweb_helper_cmcf;
static void                  *ngx_cweb_helper_db;
static ngx_event_t            ngx_cweb_helper_event;
static ngx_msec_t             ngx_cweb_helper_swept;
static ngx_uint_t             ngx_cweb_helper_restored;
static ngx_array_t           *ngx_cweb_helper_rebuilds;
static ngx_cweb_rebuild_t    *ngx_cweb_helper_rebuilding;
static ngx_pool_t            *ngx_cweb_helper_rebuild_pool;


/* the cache manager's callback: only ever called in the helper */

ngx_msec_t
ngx_cweb_helper_manager(void *data)
{
    if (ngx_cweb_helper_cycle == NULL) {
        ngx_setproctitle("cweb helper");
        (void) ngx_cweb_helper_start((ngx_cycle_t *) ngx_cycle);
    }

    /* our own timers drive the work; the manager is not needed again */
    return 3600 * 1000;
}


ngx_int_t
ngx_cweb_helper_start(ngx_cycle_t *cycle)
{
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);

    ngx_cweb_helper_cycle = cycle;
    ngx_cweb_helper_cmcf = cmcf;

    ngx_cweb_fault_conf(cmcf);
    ngx_cweb_store_uncounted();

    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0, "cweb helper started");

    (void) ngx_cweb_store_mkdirs(&cmcf->module_dir, cycle->log);

    /* first, while this process has no thread: canaries are its forks */
    (void) ngx_cweb_canary_spawn(cycle);

    ngx_cweb_helper_event.handler = ngx_cweb_helper_tick;
    ngx_cweb_helper_event.log = cycle->log;
    ngx_cweb_helper_event.data = cycle;
    ngx_cweb_helper_event.cancelable = 1;

    /* the single process serves only once the registry is there */
    ngx_cweb_helper_tick(&ngx_cweb_helper_event);

    return NGX_OK;
}


static void
ngx_cweb_helper_tick(ngx_event_t *ev)
{
    ngx_uint_t  state;

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    if (!ngx_cweb_canary_alive()) {
        (void) ngx_cweb_canary_spawn(ngx_cweb_helper_cycle);
    }

    if (ngx_cweb_helper_acting()) {
        state = ngx_cweb_shm_state(NULL);

        if (state == NGX_CWEB_ZONE_STARTING
            || (state == NGX_CWEB_ZONE_DISABLED && !ngx_cweb_helper_restored))
        {
            ngx_cweb_helper_restore();
        }

        if (ngx_cweb_shm_state(NULL) == NGX_CWEB_ZONE_READY) {
            if (ngx_process == NGX_PROCESS_HELPER) {
                ngx_cweb_watchdog_run(ngx_cweb_helper_db,
                                      ngx_cweb_helper_cmcf);
            }

            /* faults and rollbacks are persisted: they wait for SQLite */
            if (ngx_cweb_helper_db != NULL || ngx_cweb_helper_db_open()) {
                ngx_cweb_watchdog_faults(ngx_cweb_helper_db,
                                         ngx_cweb_helper_cmcf);
                ngx_cweb_watchdog_quarantines(ngx_cweb_helper_db,
                                              ngx_cweb_helper_cmcf);
            }

            ngx_cweb_helper_rebuild_next();

            if (ngx_process == NGX_PROCESS_HELPER) {
                ngx_cweb_jobs_helper_tick(ngx_cweb_helper_cycle);
            }

            if (ngx_current_msec - ngx_cweb_helper_swept
                > NGX_CWEB_SWEEP_EVERY)
            {
                ngx_cweb_helper_swept = ngx_current_msec;
                ngx_cweb_helper_sweep_tmp(&ngx_cweb_helper_cmcf->module_dir,
                                          ev->log);
            }
        }
    }

    ngx_add_timer(ev, NGX_CWEB_HELPER_TICK);
}


static ngx_uint_t
ngx_cweb_helper_acting(void)
{
    ngx_cweb_shm_t     *sh;
    ngx_atomic_uint_t   owner;

    sh = ngx_cweb_shm_ctx()->sh;
    owner = sh->helper;

    if (owner == (ngx_atomic_uint_t) ngx_pid) {
        return 1;
    }

    /* the previous helper (reload, crash) is gone */
    if ((owner == 0 || (kill((ngx_pid_t) owner, 0) == -1
                        && ngx_errno == NGX_ESRCH))
        && ngx_atomic_cmp_set(&sh->helper, owner, ngx_pid))
    {
        ngx_log_debug1(NGX_LOG_DEBUG_CORE, ngx_cycle->log, 0,
                       "cweb helper: %P acts for the zone", ngx_pid);
        return 1;
    }

    return 0;
}


/*
 * A helper started for a zone that is already restored (a reload, or the
 * master respawning a helper that died) has no database handle yet: open
 * it here; a failure is said once and tried again at the next tick.
 */

static ngx_uint_t
ngx_cweb_helper_db_open(void)
{
    u_char             err[NGX_CWEB_REASON_LEN];
    static ngx_uint_t  said;

    ngx_cweb_helper_db = ngx_cweb_store_open(&ngx_cweb_helper_cmcf->database,
                                             200, ngx_cweb_helper_cycle->log,
                                             err, sizeof(err));
    if (ngx_cweb_helper_db != NULL) {
        said = 0;
        return 1;
    }

    if (!said) {
        said = 1;
        ngx_log_error(NGX_LOG_CRIT, ngx_cycle->log, 0,
                      "cweb helper: %s; faults are not recorded until it "
                      "opens", err);
    }

    return 0;
}


/* a new zone: SQLite -> registry, every field distrusted */

static void
ngx_cweb_helper_restore(void)
{
    u_char                 err[NGX_CWEB_REASON_LEN];
    ngx_log_t             *log;
    ngx_str_t             *dir;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_cweb_helper_cmcf;
    log = ngx_cweb_helper_cycle->log;
    dir = &cmcf->module_dir;

    ngx_cweb_helper_restored = 1;

    if (ngx_cweb_store_mkdirs(dir, log) != NGX_OK) {
        ngx_cweb_helper_disable("the state directory \"%s\" is unusable",
                                dir->data);
        return;
    }

    if (cmcf->purge_modules) {
        ngx_cweb_helper_purge(dir, log);
    }

    ngx_cweb_helper_sweep_tmp(dir, log);
    ngx_cweb_helper_swept = ngx_current_msec;

    if (ngx_cweb_helper_db == NULL) {
        ngx_cweb_helper_db = ngx_cweb_store_open(&cmcf->database, 200, log,
                                                 err, sizeof(err));
        if (ngx_cweb_helper_db == NULL) {
            ngx_cweb_helper_disable("%s", err);
            return;
        }
    }

    if (ngx_cweb_store_check(ngx_cweb_helper_db, err, sizeof(err))
        != NGX_OK)
    {
        ngx_cweb_store_close(ngx_cweb_helper_db);
        ngx_cweb_helper_db = NULL;
        ngx_cweb_helper_disable("%s", err);
        return;
    }

    if (ngx_cweb_store_load(ngx_cweb_helper_db, log,
                            ngx_cweb_helper_restore_one, NULL)
        != NGX_OK)
    {
        ngx_cweb_helper_disable("the database \"%s\" cannot be read",
                                cmcf->database.data);
        return;
    }

    (void) ngx_cweb_store_sweep(ngx_cweb_helper_db, dir, log);

    ngx_cweb_shm_set_state(NGX_CWEB_ZONE_READY, NULL);

    ngx_log_error(NGX_LOG_NOTICE, log, 0, "cweb registry restored from \"%V\"",
                  &cmcf->database);
}


static ngx_int_t
ngx_cweb_helper_restore_one(ngx_cweb_version_rec_t *rec, void *data)
{
    u_char               err[512];
    ngx_log_t           *log;
    ngx_pool_t          *pool;
    ngx_cweb_rebuild_t  *rb;

    log = ngx_cweb_helper_cycle->log;

    pool = ngx_create_pool(4096, log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    if (ngx_cweb_store_row_valid(rec, pool, err, sizeof(err)) != NGX_OK) {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "cweb database row of plugin \"%*s\" version %ui is "
                      "refused: %s", ngx_min(rec->name.len, 64),
                      rec->name.data ? rec->name.data : (u_char *) "",
                      rec->version, err);
        ngx_destroy_pool(pool);
        return NGX_OK;
    }

    if (rec->state == NGX_CWEB_MOD_ACTIVE) {
        ngx_cweb_helper_restore_object(rec, pool);
    }

    ngx_destroy_pool(pool);

    if (ngx_cweb_registry_publish(rec) != NGX_OK) {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "cweb registry full, plugin \"%V\" not restored",
                      &rec->name);
        return NGX_OK;
    }

    if (rec->state != NGX_CWEB_MOD_REBUILDING) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "cweb plugin \"%V\" version %ui: rebuilding \"%V\"",
                  &rec->name, rec->version, &rec->so_file);

    if (ngx_cweb_helper_rebuilds == NULL) {
        ngx_cweb_helper_rebuilds = ngx_array_create(
                                       ngx_cweb_helper_cycle->pool, 4,
                                       sizeof(ngx_cweb_rebuild_t));
        if (ngx_cweb_helper_rebuilds == NULL) {
            return NGX_ERROR;
        }
    }

    rb = ngx_array_push(ngx_cweb_helper_rebuilds);
    if (rb == NULL) {
        return NGX_ERROR;
    }

    rb->name.data = ngx_pstrdup(ngx_cweb_helper_cycle->pool, &rec->name);
    rb->name.len = rec->name.len;
    rb->manifest.data = ngx_pstrdup(ngx_cweb_helper_cycle->pool,
                                    &rec->manifest);
    rb->manifest.len = rec->manifest.len;
    rb->version = rec->version;
    ngx_cpystrn(rb->so_file, rec->so_file.data,
                ngx_min(rec->so_file.len + 1, NGX_CWEB_FILE_LEN));
    ngx_cpystrn(rb->source_sha256, rec->source_sha256,
                NGX_CWEB_HASH_LEN + 1);

    if (rb->name.data == NULL || rb->manifest.data == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * an active version's object is loaded by the workers as it is only if it
 * is there and carries this server's ABI stamp; otherwise (gone, or built
 * by another release of ngx_cweb: an upgrade) it is rebuilt from its
 * source, and without a source the version is unavailable
 */

static void
ngx_cweb_helper_restore_object(ngx_cweb_version_rec_t *rec, ngx_pool_t *pool)
{
    u_char           err[NGX_CWEB_REASON_LEN * 2], path[NGX_MAX_PATH];
    ngx_log_t       *log;
    ngx_str_t       *dir;
    ngx_uint_t       stale;
    ngx_file_info_t  fi;

    log = ngx_cweb_helper_cycle->log;
    dir = &ngx_cweb_helper_cmcf->module_dir;
    stale = 0;

    ngx_snprintf(path, sizeof(path), "%V/so/%V%Z", dir, &rec->so_file);

    if (ngx_link_info(path, &fi) != NGX_FILE_ERROR && ngx_is_file(&fi)) {

        /* read from the file: the helper never runs plugin code */
        if (ngx_cweb_elf_stamp(path, ngx_cweb_helper_cmcf->max_object_size,
                               pool, err, sizeof(err))
            == NGX_OK)
        {
            return;
        }

        stale = 1;
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "cweb plugin \"%V\" version %ui: its object \"%V\" "
                      "is not this server's: %s", &rec->name, rec->version,
                      &rec->so_file, err);
    }

    ngx_snprintf(path, sizeof(path), "%V/src/%s.c%Z", dir,
                 rec->source_sha256);

    if (ngx_link_info(path, &fi) != NGX_FILE_ERROR && ngx_is_file(&fi)) {
        rec->state = NGX_CWEB_MOD_REBUILDING;
        return;
    }

    rec->state = NGX_CWEB_MOD_UNAVAILABLE;

    if (stale) {
        ngx_str_set(&rec->reason, "its object was built for another ABI "
                    "of ngx_cweb and its source is gone");

    } else {
        ngx_str_set(&rec->reason, "its object and its source are gone");
    }

    ngx_log_error(NGX_LOG_CRIT, log, 0, "cweb plugin \"%V\" version %ui: %V",
                  &rec->name, rec->version, &rec->reason);
}


static void
ngx_cweb_helper_disable(const char *fmt, u_char *why)
{
    u_char  reason[NGX_CWEB_REASON_LEN];

    ngx_cweb_errf(reason, sizeof(reason), fmt, why);

    ngx_log_error(NGX_LOG_CRIT, ngx_cweb_helper_cycle->log, 0,
                  "cweb plugins are disabled: %s", reason);

    ngx_cweb_shm_set_state(NGX_CWEB_ZONE_DISABLED, (char *) reason);
}


/* cweb_purge_modules after an unclean stop: nothing compiled stays */

static void
ngx_cweb_helper_purge(ngx_str_t *dir, ngx_log_t *log)
{
    (void) ngx_cweb_store_each(dir, "so", ngx_cweb_helper_purge_file, NULL);
}


static ngx_int_t
ngx_cweb_helper_purge_file(u_char *path, u_char *name, size_t len,
    void *data)
{
    if (len < 4 || ngx_strcmp(name + len - 3, ".so") != 0) {
        return NGX_DECLINED;
    }

    return (unlink((char *) path) == 0) ? NGX_OK : NGX_DECLINED;
}


/*
 * tmp/ holds "<hex>.<pid>.<...>" files of uploads and rebuilds in
 * progress; those of processes that are gone (killed mid-compile) go, and
 * anything else an hour old
 */

static void
ngx_cweb_helper_sweep_tmp(ngx_str_t *dir, ngx_log_t *log)
{
    ngx_int_t  n;

    n = ngx_cweb_store_each(dir, "tmp", ngx_cweb_helper_sweep_file, NULL);

    if (n > 0) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "cweb removed %i files left in \"%V/tmp\"", n, dir);
    }
}


static ngx_int_t
ngx_cweb_helper_sweep_file(u_char *path, u_char *name, size_t len,
    void *data)
{
    u_char           *dot, *end;
    ngx_int_t         pid;
    ngx_uint_t        gone;
    ngx_file_info_t   fi;

    gone = 0;
    dot = (u_char *) ngx_strchr(name, '.');
    end = dot ? (u_char *) ngx_strchr(dot + 1, '.') : NULL;
    pid = end ? ngx_atoi(dot + 1, end - dot - 1) : NGX_ERROR;

    if (pid > 0) {
        gone = (kill((ngx_pid_t) pid, 0) == -1 && ngx_errno == NGX_ESRCH);

    } else if (ngx_link_info(path, &fi) != NGX_FILE_ERROR) {
        gone = (ngx_time() - fi.st_mtime > NGX_CWEB_TMP_AGE);
    }

    return (gone && unlink((char *) path) == 0) ? NGX_OK : NGX_DECLINED;
}


/* missing and stale objects are rebuilt one at a time, like an upload */

static void
ngx_cweb_helper_rebuild_next(void)
{
    ngx_pool_t          *pool;
    ngx_cweb_compile_t  *cc;
    ngx_cweb_rebuild_t  *rb;
    ngx_pool_cleanup_t  *cln;
    ngx_str_t           *dir;

    static ngx_uint_t    seq;

    if (ngx_cweb_helper_rebuilding || ngx_cweb_helper_rebuilds == NULL
        || ngx_cweb_helper_rebuilds->nelts == 0)
    {
        return;
    }

    /* no pool, no rebuild under way: the next tick tries again */
    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    rb = ngx_cweb_helper_rebuilds->elts;
    ngx_cweb_helper_rebuilding = rb;
    ngx_cweb_helper_rebuild_pool = pool;
    dir = &ngx_cweb_helper_cmcf->module_dir;

    cc = ngx_pcalloc(pool, sizeof(ngx_cweb_compile_t));
    if (cc == NULL) {
        goto failed;
    }

    cc->pool = pool;
    cc->log = ngx_cycle->log;
    cc->done = ngx_cweb_helper_rebuilt;
    cc->source.data = ngx_pnalloc(pool, NGX_MAX_PATH);
    cc->output.data = ngx_pnalloc(pool, NGX_MAX_PATH);
    if (cc->source.data == NULL || cc->output.data == NULL) {
        goto failed;
    }

    cc->source.len = ngx_snprintf(cc->source.data, NGX_MAX_PATH - 1,
                                  "%V/src/%s.c", dir, rb->source_sha256)
                     - cc->source.data;
    cc->source.data[cc->source.len] = '\0';

    cc->output.len = ngx_snprintf(cc->output.data, NGX_MAX_PATH - 1,
                                  "%V/tmp/%*s.%P.r%ui.so", dir, (size_t) 16,
                                  rb->source_sha256, ngx_pid, seq++)
                     - cc->output.data;
    cc->output.data[cc->output.len] = '\0';

    if (cc->source.len == NGX_MAX_PATH - 1
        || cc->output.len == NGX_MAX_PATH - 1)
    {
        goto failed;
    }

    /* whatever the compiler left in tmp/ goes with the rebuild */
    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        goto failed;
    }

    cln->handler = ngx_cweb_helper_rebuild_cleanup;
    cln->data = cc->output.data;

    if (ngx_cweb_compile_start(cc) == NGX_OK) {
        return;
    }

failed:

    ngx_cweb_helper_rebuild_failed("could not start the compiler", NULL);
}


static void
ngx_cweb_helper_rebuilt(ngx_cweb_compile_t *cc)
{
    ngx_cweb_canary_t  *cn;

    if (cc->timed_out || cc->status != 0) {
        *(cc->out->last < cc->out->end ? cc->out->last : cc->out->last - 1)
            = '\0';
        ngx_cweb_helper_rebuild_failed("the compiler failed", cc->out->pos);
        return;
    }

    cn = ngx_pcalloc(cc->pool, sizeof(ngx_cweb_canary_t));
    if (cn == NULL) {
        ngx_cweb_helper_rebuild_failed("no memory", NULL);
        return;
    }

    cn->path = cc->output;
    cn->pool = cc->pool;
    cn->log = ngx_cycle->log;
    cn->done = ngx_cweb_helper_rebuild_checked;
    cn->data = cc;

    if (ngx_cweb_canary_start(cn) != NGX_OK) {
        ngx_cweb_helper_rebuild_failed("the canary could not be asked", NULL);
    }
}


static void
ngx_cweb_helper_rebuild_checked(ngx_cweb_canary_t *cn)
{
    char                 err[256];
    u_char              *text;
    json_t              *res, *manifest;
    ngx_str_t            name, file;
    ngx_cweb_compile_t  *cc;
    ngx_cweb_rebuild_t  *rb;

    cc = cn->data;
    rb = ngx_cweb_helper_rebuilding;

    /* ours from here, whichever way this ends */
    res = cn->result;
    cn->result = NULL;

    if (cn->rc != NGX_OK) {
        text = res ? (u_char *) json_dumps(res, JSON_COMPACT) : NULL;
        ngx_cweb_helper_rebuild_failed("the rebuilt object failed its canary",
                                       text);
        free(text);
        json_decref(res);
        return;
    }

    /* the same source must still declare the same routes */
    manifest = json_object_get(res, "manifest");

    if (!json_is_string(manifest)
        || json_string_length(manifest) != rb->manifest.len
        || ngx_strncmp(json_string_value(manifest), rb->manifest.data,
                       rb->manifest.len) != 0)
    {
        json_decref(res);
        ngx_cweb_helper_rebuild_failed("the rebuilt object declares other "
                                       "routes than the stored version", NULL);
        return;
    }

    json_decref(res);

    /* its row names it already: durable before it has that name */
    file.data = rb->so_file;
    file.len = ngx_strlen(rb->so_file);

    if (ngx_cweb_store_install(&cc->output, &ngx_cweb_helper_cmcf->module_dir,
                               &file, err, sizeof(err))
        != NGX_OK)
    {
        ngx_cweb_helper_rebuild_failed("the object could not be installed",
                                       (u_char *) err);
        return;
    }

    name = rb->name;
    (void) ngx_cweb_registry_set_state(&name, rb->version,
                                       NGX_CWEB_MOD_ACTIVE, NULL);

    ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                  "cweb plugin \"%V\" version %ui rebuilt in %M ms", &name,
                  rb->version, cc->elapsed + cn->elapsed);

    ngx_cweb_helper_rebuild_failed(NULL, NULL);
}


/* ends the current rebuild; what == NULL: it worked */

static void
ngx_cweb_helper_rebuild_failed(const char *what, u_char *why)
{
    u_char              reason[NGX_CWEB_REASON_LEN];
    ngx_cweb_rebuild_t *rb;

    rb = ngx_cweb_helper_rebuilding;

    if (what) {
        ngx_log_error(NGX_LOG_CRIT, ngx_cycle->log, 0,
                      "cweb plugin \"%V\" version %ui could not be rebuilt: "
                      "%s%s%s", &rb->name, rb->version, what,
                      why ? ": " : "", why ? why : (u_char *) "");

        ngx_cweb_errf(reason, sizeof(reason), "it could not be rebuilt: "
                      "%s", what);
        (void) ngx_cweb_registry_set_state(&rb->name, rb->version,
                                           NGX_CWEB_MOD_UNAVAILABLE,
                                           (char *) reason);
    }

    if (ngx_cweb_helper_rebuild_pool) {
        ngx_destroy_pool(ngx_cweb_helper_rebuild_pool);
        ngx_cweb_helper_rebuild_pool = NULL;
    }

    /* the queue is small: shift it */
    ngx_memmove(ngx_cweb_helper_rebuilds->elts,
                (ngx_cweb_rebuild_t *) ngx_cweb_helper_rebuilds->elts + 1,
                (ngx_cweb_helper_rebuilds->nelts - 1)
                * sizeof(ngx_cweb_rebuild_t));
    ngx_cweb_helper_rebuilds->nelts--;
    ngx_cweb_helper_rebuilding = NULL;
}


/* the rebuild's pool goes: its compiler output too, unless installed */

static void
ngx_cweb_helper_rebuild_cleanup(void *data)
{
    u_char  *path = data;

    if (ngx_delete_file(path) == NGX_FILE_ERROR && ngx_errno != NGX_ENOENT) {
        ngx_log_error(NGX_LOG_CRIT, ngx_cycle->log, ngx_errno,
                      ngx_delete_file_n " \"%s\" failed", path);
    }
}


/*
 * master, at exit, cweb_purge_modules on: the objects go, deleted by a
 * child that first becomes the workers' user (the master acts on nothing
 * plugins can write)
 */

void
ngx_cweb_purge_at_exit(ngx_cycle_t *cycle)
{
    int                    status;
    ngx_pid_t              pid;
    ngx_core_conf_t       *ccf;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);

    if (cmcf == NULL || !cmcf->enabled || !cmcf->purge_modules) {
        return;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    pid = fork();

    if (pid == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno, "fork() failed");
        return;
    }

    if (pid == 0) {
        if (geteuid() == 0 && ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT
            && (setgid(ccf->group) == -1 || setuid(ccf->user) == -1))
        {
            _exit(1);
        }

        ngx_cweb_helper_purge(&cmcf->module_dir, cycle->log);
        _exit(0);
    }

    while (waitpid(pid, &status, 0) == -1 && ngx_errno == NGX_EINTR) {
        /* void */
    }

    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "cweb purged compiled modules in \"%V/so\"",
                  &cmcf->module_dir);
}
