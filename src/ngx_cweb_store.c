
/*
 * SQLite: the truth behind the shared registry.
 *
 * Schema (cweb.db, WAL, synchronous=FULL, user_version 2):
 *   modules(name PRIMARY KEY, version, state 'active'|'unavailable'|
 *           'deleted', updated_at, reason)
 *   module_versions(name, version, module_hash, source_sha256, so_file,
 *                   manifest, compile_ms, created_at, pruned,
 *                   quarantined_at, quarantine_reason,
 *                   PRIMARY KEY(name, version))
 *   module_faults(id, name, version, at, kind, signal, exit_code,
 *                 timeout_ms, route, pid)
 * Sources live next to it as src/<source_sha256>.c, compiled objects as
 * so/<name>-v<version>-<16 hex>.so; a version with pruned = 0 still has
 * both.  Version numbers come from here (MAX + 1), so they never repeat,
 * whatever was deleted.
 *
 * Who touches it: never the master.  The helper reads it to refill a new
 * zone and writes faults and quarantines; workers write deploys, deletes
 * and rollbacks from thread-pool tasks, never from the event loop.
 * Everything read back is distrusted: plugins can write this file, so a
 * row is used only when every field has the form this code writes.
 */


#include "ngx_cweb.h"

#include <sqlite3.h>


#define NGX_CWEB_SWEEP_AGE  300     /* seconds */

static ngx_int_t ngx_cweb_store_exec(sqlite3 *db, const char *sql,
    char *err, size_t errlen);
static ngx_int_t ngx_cweb_store_migrate(sqlite3 *db, char *err,
    size_t errlen);
static void ngx_cweb_store_row(sqlite3_stmt *stmt, int col,
    ngx_cweb_version_rec_t *rec);
static ngx_int_t ngx_cweb_store_prune(sqlite3 *db, ngx_str_t *name,
    ngx_uint_t keep, ngx_str_t *dir, ngx_pool_t *pool);
static ngx_int_t ngx_cweb_store_unlink(ngx_str_t *dir, const char *sub,
    u_char *file, const char *ext);
static ngx_int_t ngx_cweb_store_fsync_file(ngx_str_t *path);
static ngx_int_t ngx_cweb_store_failed(sqlite3 *db, char *err,
    size_t errlen);


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
    "  PRIMARY KEY (name, version));"
    "CREATE TABLE IF NOT EXISTS module_faults ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  signal INTEGER,"
    "  exit_code INTEGER,"
    "  timeout_ms INTEGER,"
    "  route TEXT,"
    "  pid INTEGER);"
    "CREATE INDEX IF NOT EXISTS module_faults_name"
    "  ON module_faults (name, id);";


/* what schema version 1 (the core's) lacks */
static const char  ngx_cweb_store_v2[] =
    "ALTER TABLE modules ADD COLUMN reason TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE module_versions ADD COLUMN"
    "  pruned INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE module_versions ADD COLUMN"
    "  quarantined_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE module_versions ADD COLUMN"
    "  quarantine_reason TEXT NOT NULL DEFAULT '';"
    "PRAGMA user_version = 2;";


#define NGX_CWEB_STORE_COLUMNS                                               \
    "v.name, v.version, v.module_hash, v.source_sha256, v.so_file,"         \
    " v.manifest, v.compile_ms, v.created_at, v.pruned, v.quarantined_at"


static sqlite3          *ngx_cweb_worker_db;
static pthread_mutex_t   ngx_cweb_worker_db_lock = PTHREAD_MUTEX_INITIALIZER;


void *
ngx_cweb_store_open(ngx_str_t *path, ngx_msec_t busy, ngx_log_t *log,
    u_char *err, size_t errlen)
{
    char      msg[256];
    sqlite3  *db;

    if (sqlite3_open_v2((char *) path->data, &db,
                        SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE
                        |SQLITE_OPEN_FULLMUTEX, NULL)
        != SQLITE_OK)
    {
        ngx_snprintf(err, errlen, "database \"%V\" cannot be opened: %s%Z",
                     path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return NULL;
    }

    sqlite3_busy_timeout(db, (int) busy);

    /* a database plugins can write must not run their SQL as ours */
    (void) sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    (void) sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);

    if (ngx_cweb_store_exec(db, ngx_cweb_store_schema, msg, sizeof(msg))
        != NGX_OK
        || ngx_cweb_store_migrate(db, msg, sizeof(msg)) != NGX_OK)
    {
        ngx_snprintf(err, errlen, "database \"%V\" is unusable: %s%Z",
                     path, msg);
        sqlite3_close(db);
        return NULL;
    }

    return db;
}


static ngx_int_t
ngx_cweb_store_migrate(sqlite3 *db, char *err, size_t errlen)
{
    int            v;
    sqlite3_stmt  *stmt;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL)
        != SQLITE_OK)
    {
        return ngx_cweb_store_failed(db, err, errlen);
    }

    v = (sqlite3_step(stmt) == SQLITE_ROW) ? sqlite3_column_int(stmt, 0) : 0;
    sqlite3_finalize(stmt);

    if (v >= 2) {
        return NGX_OK;
    }

    if (ngx_cweb_store_exec(db, "BEGIN IMMEDIATE", err, errlen) != NGX_OK) {
        return NGX_ERROR;
    }

    /* another process may have migrated it meanwhile */
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL)
        == SQLITE_OK)
    {
        v = (sqlite3_step(stmt) == SQLITE_ROW)
            ? sqlite3_column_int(stmt, 0) : 0;
        sqlite3_finalize(stmt);
    }

    if (v < 2
        && ngx_cweb_store_exec(db, ngx_cweb_store_v2, err, errlen) != NGX_OK)
    {
        (void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return NGX_ERROR;
    }

    return ngx_cweb_store_exec(db, "COMMIT", err, errlen);
}


void
ngx_cweb_store_close(void *db)
{
    sqlite3_close(db);
}


/* a file that opens is not yet a database that can be trusted to read */

ngx_int_t
ngx_cweb_store_check(void *db, u_char *err, size_t errlen)
{
    int            rc;
    sqlite3_stmt  *stmt;
    const u_char  *res;

    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &stmt, NULL)
        != SQLITE_OK)
    {
        ngx_snprintf(err, errlen, "the database check failed: %s%Z",
                     sqlite3_errmsg(db));
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);
    res = (rc == SQLITE_ROW) ? sqlite3_column_text(stmt, 0) : NULL;

    if (res == NULL || ngx_strcmp(res, "ok") != 0) {
        ngx_snprintf(err, errlen, "the database is damaged: %s%Z",
                     res ? res : (u_char *) sqlite3_errmsg(db));
        sqlite3_finalize(stmt);
        return NGX_ERROR;
    }

    sqlite3_finalize(stmt);

    return NGX_OK;
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


static ngx_int_t
ngx_cweb_store_failed(sqlite3 *db, char *err, size_t errlen)
{
    ngx_cpystrn((u_char *) err, (u_char *) sqlite3_errmsg(db), errlen);

    return NGX_ERROR;
}


/*
 * the process's connection for thread-pool tasks; one task at a time
 * uses it (the lock is held until ngx_cweb_store_worker_release())
 */

void *
ngx_cweb_store_worker_db(ngx_log_t *log, char *err, size_t errlen)
{
    ngx_cweb_main_conf_t  *cmcf;

    pthread_mutex_lock(&ngx_cweb_worker_db_lock);

    if (ngx_cweb_worker_db == NULL) {
        cmcf = ngx_cweb_shm_ctx()->cmcf;
        ngx_cweb_worker_db = ngx_cweb_store_open(&cmcf->database, 5000, log,
                                                 (u_char *) err, errlen);
    }

    if (ngx_cweb_worker_db == NULL) {
        pthread_mutex_unlock(&ngx_cweb_worker_db_lock);
    }

    return ngx_cweb_worker_db;
}


void
ngx_cweb_store_worker_release(void)
{
    pthread_mutex_unlock(&ngx_cweb_worker_db_lock);
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


/* v.* columns from col on; strings point into the statement */

static void
ngx_cweb_store_row(sqlite3_stmt *stmt, int col, ngx_cweb_version_rec_t *rec)
{
    const u_char  *s;

    ngx_memzero(rec, sizeof(ngx_cweb_version_rec_t));

    rec->name.data = (u_char *) sqlite3_column_text(stmt, col);
    rec->name.len = sqlite3_column_bytes(stmt, col);
    rec->version = (ngx_uint_t) sqlite3_column_int64(stmt, col + 1);

    s = sqlite3_column_text(stmt, col + 2);
    if (s && sqlite3_column_bytes(stmt, col + 2) == NGX_CWEB_HASH_LEN) {
        ngx_memcpy(rec->module_hash, s, NGX_CWEB_HASH_LEN);
    }

    s = sqlite3_column_text(stmt, col + 3);
    if (s && sqlite3_column_bytes(stmt, col + 3) == NGX_CWEB_HASH_LEN) {
        ngx_memcpy(rec->source_sha256, s, NGX_CWEB_HASH_LEN);
    }

    rec->so_file.data = (u_char *) sqlite3_column_text(stmt, col + 4);
    rec->so_file.len = sqlite3_column_bytes(stmt, col + 4);
    rec->manifest.data = (u_char *) sqlite3_column_text(stmt, col + 5);
    rec->manifest.len = sqlite3_column_bytes(stmt, col + 5);
    rec->compile_ms = sqlite3_column_int64(stmt, col + 6);
    rec->created = sqlite3_column_int64(stmt, col + 7);
    rec->pruned = sqlite3_column_int64(stmt, col + 8) != 0;
    rec->quarantined = sqlite3_column_int64(stmt, col + 9) != 0;
}


/* every field must look exactly like what this code writes */

ngx_int_t
ngx_cweb_store_row_valid(ngx_cweb_version_rec_t *rec, ngx_pool_t *pool,
    u_char *err, size_t errlen)
{
    u_char     expect[NGX_CWEB_FILE_LEN], *p;
    u_char     why[512];
    ngx_str_t  text;

    if (rec->name.data == NULL || rec->name.len >= NGX_CWEB_NAME_LEN
        || ngx_cweb_name_valid(rec->name.data, rec->name.len) != NGX_OK)
    {
        ngx_snprintf(err, errlen, "invalid plugin name%Z");
        return NGX_ERROR;
    }

    if (rec->version == 0 || rec->version > NGX_MAX_INT32_VALUE) {
        ngx_snprintf(err, errlen, "invalid version%Z");
        return NGX_ERROR;
    }

    if (ngx_cweb_store_hex(rec->module_hash, NGX_CWEB_HASH_LEN) != NGX_OK
        || ngx_cweb_store_hex(rec->source_sha256, NGX_CWEB_HASH_LEN)
           != NGX_OK)
    {
        ngx_snprintf(err, errlen, "a hash is not 64 hex digits%Z");
        return NGX_ERROR;
    }

    p = ngx_snprintf(expect, sizeof(expect), "%V-v%ui-%*s.so", &rec->name,
                     rec->version, (size_t) 16, rec->module_hash);

    if (rec->so_file.data == NULL
        || rec->so_file.len != (size_t) (p - expect)
        || ngx_strncmp(rec->so_file.data, expect, rec->so_file.len) != 0)
    {
        ngx_snprintf(err, errlen, "object name \"%*s\" is not \"%*s\"%Z",
                     ngx_min(rec->so_file.len, 64),
                     rec->so_file.data ? rec->so_file.data : (u_char *) "",
                     p - expect, expect);
        return NGX_ERROR;
    }

    text = rec->manifest;

    if (text.data == NULL
        || ngx_cweb_manifest_parse(&text, pool, NULL, why, sizeof(why))
           != NGX_OK)
    {
        ngx_snprintf(err, errlen, "manifest refused: %s%Z",
                     text.data ? why : (u_char *) "missing");
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_cweb_store_hex(u_char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the versions the modules table makes current (active or unavailable) */

ngx_int_t
ngx_cweb_store_load(void *db, ngx_log_t *log,
    ngx_int_t (*add)(ngx_cweb_version_rec_t *rec, void *data), void *data)
{
    int                      rc;
    ngx_int_t                n;
    sqlite3_stmt            *stmt;
    ngx_cweb_version_rec_t   rec;
    const u_char            *state;

    static const char  sql[] =
        "SELECT m.state, m.reason, " NGX_CWEB_STORE_COLUMNS
        "  FROM modules m JOIN module_versions v"
        "    ON v.name = m.name AND v.version = m.version"
        " WHERE m.state IN ('active', 'unavailable') ORDER BY v.name";

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "cweb loading modules failed: %s", sqlite3_errmsg(db));
        return NGX_ERROR;
    }

    n = NGX_OK;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ngx_cweb_store_row(stmt, 2, &rec);

        state = sqlite3_column_text(stmt, 0);
        rec.state = (state && ngx_strcmp(state, "unavailable") == 0)
                    ? NGX_CWEB_MOD_UNAVAILABLE : NGX_CWEB_MOD_ACTIVE;
        rec.reason.data = (u_char *) sqlite3_column_text(stmt, 1);
        rec.reason.len = sqlite3_column_bytes(stmt, 1);

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


/*
 * a new version: its number, its object under its final name, durable
 * files, then the rows; the objects of all but the newest few versions
 * go afterwards.  Runs in a pool thread; rec->so_file.data must have
 * room for NGX_CWEB_FILE_LEN bytes.
 */

ngx_int_t
ngx_cweb_store_commit(void *db, ngx_cweb_version_rec_t *rec, ngx_str_t *dir,
    ngx_str_t *tmp, ngx_str_t *src, ngx_uint_t *existed, ngx_pool_t *pool,
    char *err, size_t errlen)
{
    int            rc;
    u_char         path[NGX_MAX_PATH], *p;
    ngx_str_t      so;
    sqlite3_stmt  *stmt;

    static const char  next[] =
        "SELECT COALESCE(MAX(version), 0) + 1,"
        " (SELECT state FROM modules WHERE name = ?1)"
        " FROM module_versions WHERE name = ?1";

    static const char  ins[] =
        "INSERT INTO module_versions (name, version, module_hash,"
        " source_sha256, so_file, manifest, compile_ms, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

    static const char  upd[] =
        "INSERT INTO modules (name, version, state, updated_at)"
        " VALUES (?1, ?2, 'active', ?3)"
        " ON CONFLICT(name) DO UPDATE SET version = excluded.version,"
        " state = 'active', reason = '', updated_at = excluded.updated_at";

    if (ngx_cweb_store_exec(db, "BEGIN IMMEDIATE", err, errlen) != NGX_OK) {
        return NGX_ERROR;
    }

    stmt = NULL;
    so.len = 0;

    if (sqlite3_prepare_v2(db, next, -1, &stmt, NULL) != SQLITE_OK) {
        goto failed;
    }

    sqlite3_bind_text(stmt, 1, (char *) rec->name.data, rec->name.len,
                      SQLITE_STATIC);

    if (sqlite3_step(stmt) != SQLITE_ROW) {
        goto failed;
    }

    rec->version = (ngx_uint_t) sqlite3_column_int64(stmt, 0);
    p = (u_char *) sqlite3_column_text(stmt, 1);
    *existed = (p != NULL && ngx_strcmp(p, "deleted") != 0);

    sqlite3_finalize(stmt);
    stmt = NULL;

    rec->so_file.len = ngx_snprintf(rec->so_file.data, NGX_CWEB_FILE_LEN,
                                    "%V-v%ui-%*s.so", &rec->name,
                                    rec->version, (size_t) 16,
                                    rec->module_hash)
                       - rec->so_file.data;

    so.data = path;
    so.len = ngx_snprintf(path, sizeof(path) - 1, "%V/so/%V", dir,
                          &rec->so_file) - path;
    path[so.len] = '\0';

    /* the row may only point at files that survive a power loss */
    if (ngx_rename_file(tmp->data, path) == NGX_FILE_ERROR) {
        ngx_snprintf((u_char *) err, errlen, ngx_rename_file_n " \"%V\" to "
                     "\"%V\" failed (%d)%Z", tmp, &so, ngx_errno);
        so.len = 0;
        goto rolled_back;
    }

    if (ngx_cweb_store_fsync_file(&so) != NGX_OK
        || ngx_cweb_store_fsync_file(src) != NGX_OK
        || ngx_cweb_store_fsync_dir(dir, "so") != NGX_OK
        || ngx_cweb_store_fsync_dir(dir, "src") != NGX_OK)
    {
        ngx_snprintf((u_char *) err, errlen, "fsync() failed (%d)%Z",
                     ngx_errno);
        goto rolled_back;
    }

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

    if (ngx_cweb_store_exec(db, "COMMIT", err, errlen) != NGX_OK) {
        goto rolled_back;
    }

    (void) ngx_cweb_store_prune(db, &rec->name, NGX_CWEB_KEEP_OBJECTS, dir,
                                pool);

    return NGX_OK;

failed:

    ngx_cpystrn((u_char *) err, (u_char *) sqlite3_errmsg(db), errlen);

rolled_back:

    sqlite3_finalize(stmt);
    (void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);

    if (so.len) {
        (void) ngx_delete_file(path);
    }

    return NGX_ERROR;
}


/*
 * versions beyond the newest "keep" lose their object, and their source
 * when no stored version of any plugin still uses it
 */

static ngx_int_t
ngx_cweb_store_prune(sqlite3 *db, ngx_str_t *name, ngx_uint_t keep,
    ngx_str_t *dir, ngx_pool_t *pool)
{
    u_char                  err[256];
    ngx_uint_t              i, n;
    ngx_array_t             gone;
    sqlite3_stmt           *stmt, *used;
    ngx_cweb_version_rec_t  rec, *g;

    static const char  sql[] =
        "SELECT " NGX_CWEB_STORE_COLUMNS " FROM module_versions v"
        " WHERE v.name = ?1 AND v.pruned = 0 ORDER BY v.version DESC";

    if (ngx_array_init(&gone, pool, 4, sizeof(ngx_cweb_version_rec_t))
        != NGX_OK
        || sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
        return NGX_ERROR;
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);

    /* keep = 0: all of them (delete) */
    for (n = 0; sqlite3_step(stmt) == SQLITE_ROW; n++) {
        if (n < keep) {
            continue;
        }

        ngx_cweb_store_row(stmt, 0, &rec);

        /* only names of the form we write are ever unlinked */
        if (ngx_cweb_store_row_valid(&rec, pool, err, sizeof(err))
            != NGX_OK)
        {
            continue;
        }

        g = ngx_array_push(&gone);
        if (g == NULL) {
            break;
        }

        *g = rec;
        g->so_file.data = ngx_pstrdup(pool, &rec.so_file);
        g->name = *name;
        if (g->so_file.data == NULL) {
            gone.nelts--;
            break;
        }
    }

    sqlite3_finalize(stmt);

    g = gone.elts;

    if (sqlite3_prepare_v2(db, "UPDATE module_versions SET pruned = 1"
                           " WHERE name = ?1 AND version = ?2", -1, &stmt,
                           NULL)
        != SQLITE_OK
        || sqlite3_prepare_v2(db, "SELECT 1 FROM module_versions"
                              " WHERE source_sha256 = ?1 AND pruned = 0"
                              " LIMIT 1", -1, &used, NULL)
           != SQLITE_OK)
    {
        sqlite3_finalize(stmt);
        return NGX_ERROR;
    }

    for (i = 0; i < gone.nelts; i++) {
        sqlite3_bind_text(stmt, 1, (char *) name->data, name->len,
                          SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, g[i].version);
        (void) sqlite3_step(stmt);
        sqlite3_reset(stmt);

        (void) ngx_cweb_store_unlink(dir, "so", g[i].so_file.data, "");
    }

    for (i = 0; i < gone.nelts; i++) {
        sqlite3_bind_text(used, 1, (char *) g[i].source_sha256,
                          NGX_CWEB_HASH_LEN, SQLITE_STATIC);

        if (sqlite3_step(used) != SQLITE_ROW) {
            (void) ngx_cweb_store_unlink(dir, "src", g[i].source_sha256,
                                         ".c");
        }

        sqlite3_reset(used);
    }

    sqlite3_finalize(stmt);
    sqlite3_finalize(used);

    if (gone.nelts) {
        (void) ngx_cweb_store_fsync_dir(dir, "so");
        (void) ngx_cweb_store_fsync_dir(dir, "src");
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_store_unlink(ngx_str_t *dir, const char *sub, u_char *file,
    const char *ext)
{
    u_char  path[NGX_MAX_PATH];

    if (ngx_snprintf(path, sizeof(path) - 1, "%V/%s/%s%s%Z", dir, sub, file,
                     ext)
        == path + sizeof(path) - 1)
    {
        return NGX_ERROR;
    }

    if (unlink((char *) path) == -1 && ngx_errno != NGX_ENOENT) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_cweb_store_delete(void *db, ngx_str_t *name, ngx_str_t *dir,
    ngx_pool_t *pool, char *err, size_t errlen)
{
    int            rc;
    sqlite3_stmt  *stmt;

    static const char  sql[] =
        "UPDATE modules SET state = 'deleted', updated_at = ?2"
        " WHERE name = ?1 AND state != 'deleted'";

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        return ngx_cweb_store_failed(db, err, errlen);
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, time(NULL));

    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return ngx_cweb_store_failed(db, err, errlen);
    }

    if (sqlite3_changes(db) == 0) {
        return NGX_DECLINED;
    }

    /* rows stay for the numbering; files of every version go */
    (void) ngx_cweb_store_prune(db, name, 0, dir, pool);

    return NGX_OK;
}


/* {"versions": the 50 newest, "faults": the 50 newest} */

json_t *
ngx_cweb_store_history(void *db, ngx_str_t *name, char *err, size_t errlen)
{
    int            rc;
    json_t        *list, *faults, *item;
    const char    *kind;
    sqlite3_stmt  *stmt;

    static const char  versions[] =
        "SELECT version, module_hash, source_sha256, compile_ms, created_at,"
        "       pruned, quarantined_at, quarantine_reason"
        "  FROM module_versions WHERE name = ?1"
        " ORDER BY version DESC LIMIT 50";

    static const char  fsql[] =
        "SELECT version, at, kind, signal, exit_code, timeout_ms, route, pid"
        "  FROM module_faults WHERE name = ?1 ORDER BY id DESC LIMIT 50";

    if (sqlite3_prepare_v2(db, versions, -1, &stmt, NULL) != SQLITE_OK) {
        (void) ngx_cweb_store_failed(db, err, errlen);
        return NULL;
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);

    list = json_array();

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        item = json_pack("{s:I,s:s,s:s,s:I,s:I,s:b,s:b}",
                         "version", sqlite3_column_int64(stmt, 0),
                         "module_hash", sqlite3_column_text(stmt, 1),
                         "source_sha256", sqlite3_column_text(stmt, 2),
                         "compile_ms", sqlite3_column_int64(stmt, 3),
                         "created_at", sqlite3_column_int64(stmt, 4),
                         "stored", sqlite3_column_int64(stmt, 5) == 0,
                         "quarantined", sqlite3_column_int64(stmt, 6) != 0);

        if (item && sqlite3_column_int64(stmt, 6) != 0) {
            json_object_set_new(item, "quarantined_at",
                json_integer(sqlite3_column_int64(stmt, 6)));
            json_object_set_new(item, "quarantine_reason",
                ngx_cweb_json_text(sqlite3_column_text(stmt, 7),
                                   sqlite3_column_bytes(stmt, 7)));
        }

        json_array_append_new(list, item);
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE
        || sqlite3_prepare_v2(db, fsql, -1, &stmt, NULL) != SQLITE_OK)
    {
        (void) ngx_cweb_store_failed(db, err, errlen);
        json_decref(list);
        return NULL;
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);

    faults = json_array();

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        kind = (const char *) sqlite3_column_text(stmt, 2);

        item = json_pack("{s:I,s:I,s:s}",
                         "version", sqlite3_column_int64(stmt, 0),
                         "at", sqlite3_column_int64(stmt, 1),
                         "kind", kind ? kind : "");

        if (item == NULL) {
            continue;
        }

        if (sqlite3_column_type(stmt, 3) != SQLITE_NULL) {
            json_object_set_new(item, "signal", json_string(
                ngx_cweb_signal_name(sqlite3_column_int(stmt, 3))));
        }

        if (sqlite3_column_type(stmt, 4) != SQLITE_NULL) {
            json_object_set_new(item, "exit_code",
                                json_integer(sqlite3_column_int(stmt, 4)));
        }

        if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) {
            json_object_set_new(item, "timeout_ms",
                                json_integer(sqlite3_column_int(stmt, 5)));
        }

        json_object_set_new(item, "route",
                            ngx_cweb_json_text(sqlite3_column_text(stmt, 6),
                                               sqlite3_column_bytes(stmt, 6)));
        json_object_set_new(item, "pid",
                            json_integer(sqlite3_column_int64(stmt, 7)));

        json_array_append_new(faults, item);
    }

    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        (void) ngx_cweb_store_failed(db, err, errlen);
        json_decref(list);
        json_decref(faults);
        return NULL;
    }

    return json_pack("{s:o,s:o}", "versions", list, "faults", faults);
}


/*
 * one version of a plugin, valid and copied into pool: version N, or
 * (version 0) the newest stored, not quarantined one other than exclude,
 * older ones first; NGX_DECLINED when there is none
 */

ngx_int_t
ngx_cweb_store_version(void *db, ngx_str_t *name, ngx_uint_t version,
    ngx_uint_t exclude, ngx_cweb_version_rec_t *rec, ngx_pool_t *pool,
    char *err, size_t errlen)
{
    int            rc;
    sqlite3_stmt  *stmt;

    static const char  one[] =
        "SELECT " NGX_CWEB_STORE_COLUMNS " FROM module_versions v"
        " WHERE v.name = ?1 AND v.version = ?2";

    static const char  good[] =
        "SELECT " NGX_CWEB_STORE_COLUMNS " FROM module_versions v"
        " WHERE v.name = ?1 AND v.version != ?2 AND v.pruned = 0"
        "   AND v.quarantined_at = 0"
        " ORDER BY v.version > ?2, v.version DESC LIMIT 1";

    if (sqlite3_prepare_v2(db, version ? one : good, -1, &stmt, NULL)
        != SQLITE_OK)
    {
        return ngx_cweb_store_failed(db, err, errlen);
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, version ? version : exclude);

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_DONE) {
        sqlite3_finalize(stmt);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        return ngx_cweb_store_failed(db, err, errlen);
    }

    ngx_cweb_store_row(stmt, 0, rec);

    if (ngx_cweb_store_row_valid(rec, pool, (u_char *) err, errlen)
        != NGX_OK)
    {
        sqlite3_finalize(stmt);
        return NGX_ERROR;
    }

    rec->name.data = ngx_pstrdup(pool, &rec->name);
    rec->so_file.data = ngx_pstrdup(pool, &rec->so_file);
    rec->manifest.data = ngx_pstrdup(pool, &rec->manifest);

    sqlite3_finalize(stmt);

    if (rec->name.data == NULL || rec->so_file.data == NULL
        || rec->manifest.data == NULL)
    {
        ngx_cpystrn((u_char *) err, (u_char *) "no memory", errlen);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_cweb_store_activate(void *db, ngx_str_t *name, ngx_uint_t version,
    char *err, size_t errlen)
{
    int            rc;
    sqlite3_stmt  *stmt;

    static const char  sql[] =
        "UPDATE modules SET version = ?2, state = 'active', reason = '',"
        " updated_at = ?3 WHERE name = ?1 AND state != 'deleted'";

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        return ngx_cweb_store_failed(db, err, errlen);
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, version);
    sqlite3_bind_int64(stmt, 3, time(NULL));

    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return ngx_cweb_store_failed(db, err, errlen);
    }

    return sqlite3_changes(db) ? NGX_OK : NGX_DECLINED;
}


/* the version is quarantined; disable: the plugin has no version left */

ngx_int_t
ngx_cweb_store_quarantine(void *db, ngx_str_t *name, ngx_uint_t version,
    const char *reason, ngx_uint_t disable, char *err, size_t errlen)
{
    int            rc;
    sqlite3_stmt  *stmt;

    static const char  q[] =
        "UPDATE module_versions SET quarantined_at = ?3,"
        " quarantine_reason = ?4 WHERE name = ?1 AND version = ?2";

    static const char  d[] =
        "UPDATE modules SET state = 'unavailable', reason = ?4,"
        " updated_at = ?3 WHERE name = ?1 AND version = ?2"
        " AND state = 'active'";

    if (sqlite3_prepare_v2(db, disable ? d : q, -1, &stmt, NULL)
        != SQLITE_OK)
    {
        return ngx_cweb_store_failed(db, err, errlen);
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, version);
    sqlite3_bind_int64(stmt, 3, time(NULL));
    sqlite3_bind_text(stmt, 4, reason, -1, SQLITE_STATIC);

    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return ngx_cweb_store_failed(db, err, errlen);
    }

    return NGX_OK;
}


ngx_int_t
ngx_cweb_store_fault(void *db, ngx_str_t *name, ngx_uint_t version,
    ngx_cweb_fault_event_t *ev, ngx_str_t *route, char *err, size_t errlen)
{
    int            rc;
    sqlite3_stmt  *stmt;

    static const char  *kinds[] = {
        "", "signal", "exit", "timeout", "died", "overflow"
    };

    static const char  sql[] =
        "INSERT INTO module_faults (name, version, at, kind, signal,"
        " exit_code, timeout_ms, route, pid)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        return ngx_cweb_store_failed(db, err, errlen);
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, version);
    sqlite3_bind_int64(stmt, 3, ev->at);
    sqlite3_bind_text(stmt, 4, kinds[ev->kind <= 5 ? ev->kind : 0], -1,
                      SQLITE_STATIC);

    if (ev->kind == NGX_CWEB_FAULT_SIGNAL) {
        sqlite3_bind_int64(stmt, 5, ev->value);

    } else if (ev->kind == NGX_CWEB_FAULT_EXIT) {
        sqlite3_bind_int64(stmt, 6, (ngx_int_t) ev->value);

    } else if (ev->kind == NGX_CWEB_FAULT_TIMEOUT) {
        sqlite3_bind_int64(stmt, 7, ev->value);
    }

    sqlite3_bind_text(stmt, 8, (char *) route->data, route->len,
                      SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 9, ev->pid);

    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        return ngx_cweb_store_failed(db, err, errlen);
    }

    return NGX_OK;
}


/*
 * objects and sources no stored version names (a delete or prune cut
 * short by a crash) go; only file names of our own forms are considered
 */

ngx_int_t
ngx_cweb_store_sweep(void *db, ngx_str_t *dir, ngx_log_t *log)
{
    int            rc;
    size_t         len;
    u_char         path[NGX_MAX_PATH], *name;
    ngx_str_t      sub;
    ngx_dir_t      d;
    ngx_uint_t       i, n;
    sqlite3_stmt    *stmt;
    ngx_file_info_t  fi;

    static const char  *subs[] = { "so", "src" };
    static const char  *sql[] = {
        "SELECT 1 FROM module_versions WHERE so_file = ?1 AND pruned = 0",
        "SELECT 1 FROM module_versions WHERE source_sha256 = ?1"
        " AND pruned = 0"
    };

    n = 0;

    for (i = 0; i < 2; i++) {
        sub.data = path;
        sub.len = ngx_snprintf(path, sizeof(path) - 1, "%V/%s", dir, subs[i])
                  - path;
        path[sub.len] = '\0';

        if (ngx_open_dir(&sub, &d) != NGX_OK) {
            continue;
        }

        if (sqlite3_prepare_v2(db, sql[i], -1, &stmt, NULL) != SQLITE_OK) {
            ngx_close_dir(&d);
            return NGX_ERROR;
        }

        while (ngx_read_dir(&d) == NGX_OK) {
            name = ngx_de_name(&d);
            len = ngx_de_namelen(&d);

            if (i == 0 && (len < 4 || ngx_strcmp(name + len - 3, ".so") != 0))
            {
                continue;
            }

            if (i == 1 && (len != NGX_CWEB_HASH_LEN + 2
                           || ngx_strcmp(name + NGX_CWEB_HASH_LEN, ".c") != 0
                           || ngx_cweb_store_hex(name, NGX_CWEB_HASH_LEN)
                              != NGX_OK))
            {
                continue;
            }

            sqlite3_bind_text(stmt, 1, (char *) name,
                              i ? NGX_CWEB_HASH_LEN : (int) len,
                              SQLITE_TRANSIENT);
            rc = sqlite3_step(stmt);
            sqlite3_reset(stmt);

            if (rc != SQLITE_DONE) {
                continue;
            }

            ngx_snprintf(path + sub.len, sizeof(path) - sub.len, "/%s%Z",
                         name);

            /*
             * a commit renames its object in before its row exists (and
             * a rename sets ctime): young files may be on their way
             */
            if (ngx_link_info(path, &fi) != NGX_FILE_ERROR
                && ngx_is_file(&fi)
                && ngx_time() - fi.st_ctime > NGX_CWEB_SWEEP_AGE
                && unlink((char *) path) == 0)
            {
                n++;
            }

            path[sub.len] = '\0';
        }

        sqlite3_finalize(stmt);
        ngx_close_dir(&d);
    }

    if (n) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "cweb removed %ui files no stored version uses", n);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_store_fsync_file(ngx_str_t *path)
{
    int  fd, rc;

    fd = open((char *) path->data, O_RDONLY|O_NOFOLLOW|O_CLOEXEC);
    if (fd == -1) {
        return NGX_ERROR;
    }

    rc = fsync(fd);
    close(fd);

    return rc == 0 ? NGX_OK : NGX_ERROR;
}


/* a rename is durable once the directory holding it is */

ngx_int_t
ngx_cweb_store_fsync_dir(ngx_str_t *dir, const char *sub)
{
    int     fd, rc;
    u_char  path[NGX_MAX_PATH];

    ngx_snprintf(path, sizeof(path), "%V/%s%Z", dir, sub);

    fd = open((char *) path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
    if (fd == -1) {
        return NGX_ERROR;
    }

    rc = fsync(fd);
    close(fd);

    return rc == 0 ? NGX_OK : NGX_ERROR;
}


/* src/, so/, tmp/: made by whoever gets there first, as the workers' user */

ngx_int_t
ngx_cweb_store_mkdirs(ngx_str_t *dir, ngx_log_t *log)
{
    u_char             path[NGX_MAX_PATH];
    ngx_uint_t         i;
    ngx_file_info_t    fi;

    static const char  *dirs[] = { "src", "so", "tmp" };

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        ngx_snprintf(path, sizeof(path), "%V/%s%Z", dir, dirs[i]);

        if (ngx_create_dir(path, 0700) == NGX_FILE_ERROR
            && ngx_errno != NGX_EEXIST)
        {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          ngx_create_dir_n " \"%s\" failed", path);
            return NGX_ERROR;
        }

        /* a plugin may have put a symlink there */
        if (ngx_link_info(path, &fi) == NGX_FILE_ERROR
            || !ngx_is_dir(&fi))
        {
            ngx_log_error(NGX_LOG_CRIT, log, 0,
                          "cweb state directory \"%s\" is not a directory",
                          path);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
