
/*
 * SQLite: the truth behind the shared registry.
 *
 * Schema (cweb.db, WAL, synchronous=FULL):
 *   modules(name PRIMARY KEY, version, state 'active'|'deleted', updated_at)
 *   module_versions(name, version, module_hash, source_sha256, so_file,
 *                   manifest, compile_ms, created_at, PRIMARY KEY(name,
 *                   version))
 * Sources live next to it as src/<source_sha256>.c, compiled objects as
 * so/<so_file>; a missing object is rebuilt from its source at start.
 *
 * Who touches it: the master reads it when the zone is new (before
 * forking); workers write it from thread-pool tasks only, never from the
 * event loop, through one serialized connection per process.
 */


#include "ngx_cweb.h"

#include <sqlite3.h>


static ngx_int_t ngx_cweb_store_exec(sqlite3 *db, const char *sql,
    char *err, size_t errlen);
static ngx_int_t ngx_cweb_store_mkdirs(ngx_cweb_main_conf_t *cmcf,
    ngx_log_t *log);
static void ngx_cweb_store_chown(ngx_cweb_main_conf_t *cmcf, u_char *path,
    ngx_log_t *log);
static ngx_int_t ngx_cweb_store_restore_one(ngx_cweb_version_rec_t *rec,
    void *data);


static const char  ngx_cweb_store_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS modules ("
    "  name TEXT PRIMARY KEY,"
    "  version INTEGER NOT NULL,"
    "  state TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS module_versions ("
    "  name TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  module_hash TEXT NOT NULL,"
    "  source_sha256 TEXT NOT NULL,"
    "  so_file TEXT NOT NULL,"
    "  manifest TEXT NOT NULL,"
    "  compile_ms INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (name, version));";


static sqlite3          *ngx_cweb_worker_db;
static pthread_mutex_t   ngx_cweb_worker_db_lock = PTHREAD_MUTEX_INITIALIZER;


void *
ngx_cweb_store_open(ngx_str_t *path, ngx_log_t *log)
{
    char      err[256];
    sqlite3  *db;

    if (sqlite3_open_v2((char *) path->data, &db,
                        SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE
                        |SQLITE_OPEN_FULLMUTEX, NULL)
        != SQLITE_OK)
    {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "cweb sqlite3_open_v2(\"%V\") failed: %s",
                      path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return NULL;
    }

    sqlite3_busy_timeout(db, 5000);

    if (ngx_cweb_store_exec(db, ngx_cweb_store_schema, err, sizeof(err))
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "cweb database \"%V\" schema failed: %s", path, err);
        sqlite3_close(db);
        return NULL;
    }

    return db;
}


void
ngx_cweb_store_close(void *db)
{
    sqlite3_close(db);
}


static ngx_int_t
ngx_cweb_store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char  *msg;

    msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ngx_cpystrn((u_char *) err,
                    (u_char *) (msg ? msg : sqlite3_errmsg(db)), errlen);
        sqlite3_free(msg);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the process's connection; called from thread-pool tasks */

void *
ngx_cweb_store_worker_db(ngx_log_t *log)
{
    sqlite3               *db;
    ngx_cweb_main_conf_t  *cmcf;

    pthread_mutex_lock(&ngx_cweb_worker_db_lock);

    if (ngx_cweb_worker_db == NULL) {
        cmcf = ngx_cweb_shm_ctx()->cmcf;
        ngx_cweb_worker_db = ngx_cweb_store_open(&cmcf->database, log);
    }

    db = ngx_cweb_worker_db;

    pthread_mutex_unlock(&ngx_cweb_worker_db_lock);

    return db;
}


/* exit_process: the thread pool is gone, nobody else uses it */

void
ngx_cweb_store_worker_close(void)
{
    if (ngx_cweb_worker_db) {
        sqlite3_close(ngx_cweb_worker_db);
        ngx_cweb_worker_db = NULL;
    }
}


ngx_int_t
ngx_cweb_store_load(void *db, ngx_log_t *log,
    ngx_int_t (*add)(ngx_cweb_version_rec_t *rec, void *data), void *data)
{
    int                      rc;
    ngx_int_t                n;
    sqlite3_stmt            *stmt;
    ngx_cweb_version_rec_t   rec;

    static const char  sql[] =
        "SELECT v.name, v.version, v.module_hash, v.source_sha256,"
        "       v.so_file, v.manifest, v.compile_ms, v.created_at"
        "  FROM modules m JOIN module_versions v"
        "    ON v.name = m.name AND v.version = m.version"
        " WHERE m.state = 'active' ORDER BY v.name";

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "cweb loading modules failed: %s", sqlite3_errmsg(db));
        return NGX_ERROR;
    }

    n = NGX_OK;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ngx_memzero(&rec, sizeof(ngx_cweb_version_rec_t));

        rec.name.data = (u_char *) sqlite3_column_text(stmt, 0);
        rec.name.len = sqlite3_column_bytes(stmt, 0);
        rec.version = sqlite3_column_int64(stmt, 1);
        ngx_cpystrn(rec.module_hash, (u_char *) sqlite3_column_text(stmt, 2),
                    sizeof(rec.module_hash));
        ngx_cpystrn(rec.source_sha256,
                    (u_char *) sqlite3_column_text(stmt, 3),
                    sizeof(rec.source_sha256));
        rec.so_file.data = (u_char *) sqlite3_column_text(stmt, 4);
        rec.so_file.len = sqlite3_column_bytes(stmt, 4);
        rec.manifest.data = (u_char *) sqlite3_column_text(stmt, 5);
        rec.manifest.len = sqlite3_column_bytes(stmt, 5);
        rec.compile_ms = sqlite3_column_int64(stmt, 6);
        rec.created = sqlite3_column_int64(stmt, 7);

        if (rec.name.len == 0 || rec.name.len >= NGX_CWEB_NAME_LEN) {
            continue;
        }

        if (add(&rec, data) != NGX_OK) {
            n = NGX_ERROR;
            break;
        }
    }

    if (rc != SQLITE_DONE && n == NGX_OK) {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "cweb loading modules failed: %s", sqlite3_errmsg(db));
        n = NGX_ERROR;
    }

    sqlite3_finalize(stmt);

    return n;
}


ngx_int_t
ngx_cweb_store_commit(void *db, ngx_cweb_version_rec_t *rec,
    char *err, size_t errlen)
{
    int            rc;
    sqlite3_stmt  *stmt;

    static const char  ins[] =
        "INSERT INTO module_versions (name, version, module_hash,"
        " source_sha256, so_file, manifest, compile_ms, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

    static const char  upd[] =
        "INSERT INTO modules (name, version, state, updated_at)"
        " VALUES (?1, ?2, 'active', ?3)"
        " ON CONFLICT(name) DO UPDATE SET version = excluded.version,"
        " state = 'active', updated_at = excluded.updated_at";

    if (ngx_cweb_store_exec(db, "BEGIN IMMEDIATE", err, errlen) != NGX_OK) {
        return NGX_ERROR;
    }

    stmt = NULL;

    if (sqlite3_prepare_v2(db, ins, -1, &stmt, NULL) != SQLITE_OK) {
        goto failed;
    }

    sqlite3_bind_text(stmt, 1, (char *) rec->name.data, rec->name.len,
                      SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, rec->version);
    sqlite3_bind_text(stmt, 3, (char *) rec->module_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, (char *) rec->source_sha256, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, (char *) rec->so_file.data, rec->so_file.len,
                      SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, (char *) rec->manifest.data, rec->manifest.len,
                      SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 7, rec->compile_ms);
    sqlite3_bind_int64(stmt, 8, rec->created);

    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    stmt = NULL;

    if (rc != SQLITE_DONE) {
        goto failed;
    }

    if (sqlite3_prepare_v2(db, upd, -1, &stmt, NULL) != SQLITE_OK) {
        goto failed;
    }

    sqlite3_bind_text(stmt, 1, (char *) rec->name.data, rec->name.len,
                      SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, rec->version);
    sqlite3_bind_int64(stmt, 3, rec->created);

    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    stmt = NULL;

    if (rc != SQLITE_DONE) {
        goto failed;
    }

    return ngx_cweb_store_exec(db, "COMMIT", err, errlen);

failed:

    ngx_cpystrn((u_char *) err, (u_char *) sqlite3_errmsg(db), errlen);
    sqlite3_finalize(stmt);
    (void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);

    return NGX_ERROR;
}


/*
 * objects of versions older than the newest "keep" of a plugin go; the
 * sources stay, so any version can be rebuilt.  Unlinking an object that
 * a process still has mapped is safe, and processes only ever load the
 * active version.  Runs in a pool thread, after the commit.
 */

void
ngx_cweb_store_prune(void *db, ngx_cweb_version_rec_t *rec, ngx_str_t *dir,
    ngx_uint_t keep)
{
    char           path[NGX_MAX_PATH];
    sqlite3_stmt  *stmt;

    static const char  sql[] =
        "SELECT so_file FROM module_versions"
        " WHERE name = ?1 AND version <= ?2";

    if (rec->version <= keep) {
        return;
    }

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        return;
    }

    sqlite3_bind_text(stmt, 1, (char *) rec->name.data, rec->name.len,
                      SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, rec->version - keep);

    while (sqlite3_step(stmt) == SQLITE_ROW) {
        if (snprintf(path, sizeof(path), "%.*s/so/%s", (int) dir->len,
                     dir->data, sqlite3_column_text(stmt, 0))
            < (int) sizeof(path))
        {
            (void) unlink(path);
        }
    }

    sqlite3_finalize(stmt);
}


ngx_int_t
ngx_cweb_store_delete(void *db, ngx_str_t *name, char *err, size_t errlen)
{
    int            rc;
    sqlite3_stmt  *stmt;

    static const char  sql[] =
        "UPDATE modules SET state = 'deleted', updated_at = ?2"
        " WHERE name = ?1 AND state = 'active'";

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        ngx_cpystrn((u_char *) err, (u_char *) sqlite3_errmsg(db), errlen);
        return NGX_ERROR;
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, time(NULL));

    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        ngx_cpystrn((u_char *) err, (u_char *) sqlite3_errmsg(db), errlen);
        return NGX_ERROR;
    }

    return sqlite3_changes(db) ? NGX_OK : NGX_DECLINED;
}


/* the 50 newest versions of a plugin, newest first */

json_t *
ngx_cweb_store_history(void *db, ngx_str_t *name, char *err, size_t errlen)
{
    int            rc;
    json_t        *list, *item;
    sqlite3_stmt  *stmt;

    static const char  sql[] =
        "SELECT version, module_hash, source_sha256, compile_ms, created_at"
        "  FROM module_versions WHERE name = ?1"
        " ORDER BY version DESC LIMIT 50";

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        ngx_cpystrn((u_char *) err, (u_char *) sqlite3_errmsg(db), errlen);
        return NULL;
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);

    list = json_array();

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        item = json_pack("{s:I,s:s,s:s,s:I,s:I}",
                         "version", sqlite3_column_int64(stmt, 0),
                         "module_hash", sqlite3_column_text(stmt, 1),
                         "source_sha256", sqlite3_column_text(stmt, 2),
                         "compile_ms", sqlite3_column_int64(stmt, 3),
                         "created_at", sqlite3_column_int64(stmt, 4));
        json_array_append_new(list, item);
    }

    if (rc != SQLITE_DONE) {
        ngx_cpystrn((u_char *) err, (u_char *) sqlite3_errmsg(db), errlen);
        json_decref(list);
        list = NULL;
    }

    sqlite3_finalize(stmt);

    return list;
}


/*
 * Master, fresh zone: state directories, the database, and the registry
 * refilled from it; objects that went missing (cweb_purge_modules, a
 * wiped so/) are rebuilt from their sources now, before workers start.
 */

typedef struct {
    ngx_cweb_main_conf_t  *cmcf;
    ngx_log_t             *log;
    sqlite3               *db;
} ngx_cweb_restore_t;


ngx_int_t
ngx_cweb_store_restore(ngx_cweb_main_conf_t *cmcf, ngx_cweb_shctx_t *ctx,
    ngx_log_t *log)
{
    int                  rc;
    u_char               path[NGX_MAX_PATH];
    sqlite3             *db;
    ngx_str_t            name;
    sqlite3_stmt        *stmt;
    ngx_cweb_restore_t   rs;

    if (ngx_cweb_store_mkdirs(cmcf, log) != NGX_OK) {
        return NGX_ERROR;
    }

    db = ngx_cweb_store_open(&cmcf->database, log);
    if (db == NULL) {
        return NGX_ERROR;
    }

    rs.cmcf = cmcf;
    rs.log = log;
    rs.db = db;

    if (ngx_cweb_store_load(db, log, ngx_cweb_store_restore_one, &rs)
        != NGX_OK)
    {
        sqlite3_close(db);
        return NGX_ERROR;
    }

    /* deleted names keep counting: versions are never reused */
    rc = sqlite3_prepare_v2(db, "SELECT name, MAX(version)"
                            " FROM module_versions GROUP BY name",
                            -1, &stmt, NULL);

    if (rc == SQLITE_OK) {
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            name.data = (u_char *) sqlite3_column_text(stmt, 0);
            name.len = sqlite3_column_bytes(stmt, 0);

            if (name.len == 0 || name.len >= NGX_CWEB_NAME_LEN) {
                continue;
            }

            (void) ngx_cweb_registry_seed(&name,
                                          sqlite3_column_int64(stmt, 1));
        }

        sqlite3_finalize(stmt);
    }

    sqlite3_close(db);

    ngx_cweb_store_chown(cmcf, cmcf->database.data, log);

    ngx_snprintf(path, sizeof(path), "%V-wal%Z", &cmcf->database);
    ngx_cweb_store_chown(cmcf, path, log);
    ngx_snprintf(path, sizeof(path), "%V-shm%Z", &cmcf->database);
    ngx_cweb_store_chown(cmcf, path, log);

    (void) ctx;

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_store_restore_one(ngx_cweb_version_rec_t *rec, void *data)
{
    ngx_cweb_restore_t *rs = data;

    u_char           so[NGX_MAX_PATH], src[NGX_MAX_PATH];
    ngx_str_t        so_path, src_path;
    ngx_file_info_t  fi;

    so_path.data = so;
    so_path.len = ngx_snprintf(so, sizeof(so) - 1, "%V/so/%V",
                               &rs->cmcf->module_dir, &rec->so_file) - so;
    so[so_path.len] = '\0';

    if (ngx_file_info(so, &fi) == NGX_FILE_ERROR) {
        src_path.data = src;
        src_path.len = ngx_snprintf(src, sizeof(src) - 1, "%V/src/%s.c",
                                    &rs->cmcf->module_dir,
                                    rec->source_sha256) - src;
        src[src_path.len] = '\0';

        ngx_log_error(NGX_LOG_NOTICE, rs->log, 0,
                      "cweb plugin \"%V\" version %ui: rebuilding \"%V\"",
                      &rec->name, rec->version, &so_path);

        if (ngx_cweb_compile_sync(rs->cmcf, &src_path, &so_path, rs->log)
            != NGX_OK)
        {
            /* the rest of the registry still comes up */
            return NGX_OK;
        }

        ngx_cweb_store_chown(rs->cmcf, so, rs->log);
    }

    if (ngx_cweb_registry_publish(rec) != NGX_OK) {
        ngx_log_error(NGX_LOG_CRIT, rs->log, 0,
                      "cweb registry full, plugin \"%V\" not restored",
                      &rec->name);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_store_mkdirs(ngx_cweb_main_conf_t *cmcf, ngx_log_t *log)
{
    u_char            path[NGX_MAX_PATH];
    ngx_uint_t        i;
    ngx_file_info_t   fi;

    static const char  *dirs[] = { "src", "so", "tmp" };

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        ngx_snprintf(path, sizeof(path), "%V/%s%Z", &cmcf->module_dir,
                     dirs[i]);

        if (ngx_file_info(path, &fi) != NGX_FILE_ERROR) {
            continue;
        }

        if (ngx_create_dir(path, 0700) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          ngx_create_dir_n " \"%s\" failed", path);
            return NGX_ERROR;
        }

        ngx_cweb_store_chown(cmcf, path, log);
    }

    return NGX_OK;
}


/* files the master creates must belong to the workers' user */

static void
ngx_cweb_store_chown(ngx_cweb_main_conf_t *cmcf, u_char *path, ngx_log_t *log)
{
    ngx_core_conf_t  *ccf;

    ccf = (ngx_core_conf_t *) ngx_get_conf(cmcf->cycle->conf_ctx,
                                           ngx_core_module);

    if (ccf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT || geteuid() != 0) {
        return;
    }

    if (chown((char *) path, ccf->user, -1) == -1 && ngx_errno != NGX_ENOENT) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "chown(\"%s\", %d) failed", path, ccf->user);
    }
}
