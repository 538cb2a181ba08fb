
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
 * Files (commits, pruning, deletes, sweeps, directories) are in
 * ngx_cweb_store_files.c.
 *
 * Who touches it: never the master.  The helper reads it to refill a new
 * zone and writes faults and quarantines; workers write deploys, deletes
 * and rollbacks from thread-pool tasks, never from the event loop.
 * Everything read back is distrusted: plugins can write this file, so a
 * row is used only when every field has the form this code writes.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_manifest.h"
#include "ngx_cweb_shm.h"
#include "ngx_cweb_store.h"
#include "ngx_cweb_store_int.h"


static ngx_int_t ngx_cweb_store_migrate(sqlite3 *db, char *err,
    size_t errlen);
static void ngx_cweb_store_damage(char *err, size_t errlen,
    const u_char *what);


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


static sqlite3          *ngx_cweb_worker_db;
static pthread_mutex_t   ngx_cweb_worker_db_lock = PTHREAD_MUTEX_INITIALIZER;


/*
 * Before this process's first SQLite call (the helper's): no counting of
 * SQLite's memory, whose global mutex and counters cost 10% of the
 * instructions of a job's writes (test_jobs_store under callgrind): every
 * statement allocates, as Debian's SQLite has no lookaside.  Plugins'
 * jobs in this process see sqlite3_memory_used() and sqlite3_status()
 * at 0, and sqlite3_soft_heap_limit64() has no effect.  Too late (SQLite
 * already initialized: single process mode) it is refused: harmless.
 */

void
ngx_cweb_store_uncounted(void)
{
    (void) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}


/*
 * the one place a SQLite file is opened (cweb.db here, plugins.db for
 * ctx->database): path NUL-terminated, created if missing, serialized
 * connection, busy for at most busy ms; NULL with why in err
 */

void *
ngx_cweb_store_connect(ngx_str_t *path, ngx_msec_t busy, u_char *err,
    size_t errlen)
{
    sqlite3  *db;

    if (sqlite3_open_v2((char *) path->data, &db,
                        SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE
                        |SQLITE_OPEN_FULLMUTEX, NULL)
        != SQLITE_OK)
    {
        ngx_cweb_errf(err, errlen, "database \"%V\" cannot be opened: "
                      "%s", path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return NULL;
    }

    sqlite3_busy_timeout(db, (int) busy);

    return db;
}


void *
ngx_cweb_store_open(ngx_str_t *path, ngx_msec_t busy, ngx_log_t *log,
    u_char *err, size_t errlen)
{
    char      msg[256];
    sqlite3  *db;

    db = ngx_cweb_store_connect(path, busy, err, errlen);
    if (db == NULL) {
        return NULL;
    }

    /* a database plugins can write must not run their SQL as ours */
    (void) sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    (void) sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);

    if (ngx_cweb_store_exec(db, ngx_cweb_store_schema, msg, sizeof(msg))
        != NGX_OK
        || ngx_cweb_store_migrate(db, msg, sizeof(msg)) != NGX_OK)
    {
        ngx_cweb_errf(err, errlen, "database \"%V\" is unusable: %s",
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


/*
 * quick_check's first row, e.g. "*** in database main ***\nPage 17: ...",
 * on one line: it goes to the error log and into JSON
 */

static void
ngx_cweb_store_damage(char *err, size_t errlen, const u_char *what)
{
    u_char  *p, *last;

    last = ngx_snprintf((u_char *) err, errlen - 1,
                        "the database is damaged: %s", what);
    *last = '\0';

    for (p = (u_char *) err; p < last; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
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
        ngx_cweb_errf(err, errlen, "the database check failed: %s",
                      sqlite3_errmsg(db));
        return NGX_ERROR;
    }

    rc = sqlite3_step(stmt);
    res = (rc == SQLITE_ROW) ? sqlite3_column_text(stmt, 0) : NULL;

    if (res == NULL || ngx_strcmp(res, "ok") != 0) {
        ngx_cweb_store_damage((char *) err, errlen,
                              res ? res : (u_char *) sqlite3_errmsg(db));
        sqlite3_finalize(stmt);
        return NGX_ERROR;
    }

    sqlite3_finalize(stmt);

    return NGX_OK;
}


ngx_int_t
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


ngx_int_t
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
        cmcf = ngx_cweb_conf();
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

void
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


/*
 * a version's object file name, "<name>-v<version>-<hash16>.so", in buf
 * of NGX_CWEB_FILE_LEN bytes.  The bytes of a name other than letters,
 * digits, "_", "-" and "." (and a "." first) are written %XX, so the file
 * name has no "/", space, control byte or leading "." whatever the plugin
 * name, and the names earlier releases accepted keep their file names.
 * An encoding longer than NGX_CWEB_SO_NAME_MAX (a long name of many such
 * bytes) is cut at a whole escape and followed by "~" and the CRC32 of the
 * whole name, so that the file name stays within NAME_MAX; the module hash
 * after it keeps file names of distinct versions apart either way.
 */

#define NGX_CWEB_SO_NAME_MAX  200

size_t
ngx_cweb_store_so_name(u_char *buf, ngx_str_t *name, ngx_uint_t version,
    u_char *hash)
{
    u_char      *p, *cut, c;
    ngx_uint_t   i;

    static u_char  hex[] = "0123456789ABCDEF";

    p = buf;
    cut = NULL;

    for (i = 0; i < name->len && p - buf <= NGX_CWEB_SO_NAME_MAX; i++) {
        c = name->data[i];

        if (p - buf > NGX_CWEB_SO_NAME_MAX - 12 && cut == NULL) {
            cut = p;
        }

        if (isalnum(c) || c == '_' || c == '-' || (c == '.' && i > 0)) {
            *p++ = c;
            continue;
        }

        *p++ = '%';
        *p++ = hex[c >> 4];
        *p++ = hex[c & 0xf];
    }

    if (i < name->len || p - buf > NGX_CWEB_SO_NAME_MAX) {
        p = ngx_sprintf(cut, "~%08xD",
                        ngx_crc32_long(name->data, name->len));
    }

    p = ngx_snprintf(p, NGX_CWEB_FILE_LEN - 1 - (p - buf), "-v%ui-%*s.so",
                     version, (size_t) 16, hash);
    *p = '\0';

    return p - buf;
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
        || ngx_cweb_module_name_valid(rec->name.data, rec->name.len)
           != NGX_OK)
    {
        ngx_cpystrn(err, (u_char *) "invalid plugin name", errlen);
        return NGX_ERROR;
    }

    if (rec->version == 0 || rec->version > NGX_MAX_INT32_VALUE) {
        ngx_cpystrn(err, (u_char *) "invalid version", errlen);
        return NGX_ERROR;
    }

    if (ngx_cweb_store_hex(rec->module_hash, NGX_CWEB_HASH_LEN) != NGX_OK
        || ngx_cweb_store_hex(rec->source_sha256, NGX_CWEB_HASH_LEN)
           != NGX_OK)
    {
        ngx_cpystrn(err, (u_char *) "a hash is not 64 hex digits", errlen);
        return NGX_ERROR;
    }

    p = expect + ngx_cweb_store_so_name(expect, &rec->name, rec->version,
                                        rec->module_hash);

    if (rec->so_file.data == NULL
        || rec->so_file.len != (size_t) (p - expect)
        || ngx_strncmp(rec->so_file.data, expect, rec->so_file.len) != 0)
    {
        ngx_cweb_errf(err, errlen, "object name \"%*s\" is not \"%*s\"",
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
        ngx_cweb_errf(err, errlen, "manifest refused: %s",
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


/*
 * the versions the modules table makes current (active or unavailable);
 * a current version that is quarantined (a quarantine half written: an
 * older build, or a crash between its writes) is never served again: it
 * is restored unavailable, with the quarantine's reason
 */

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
        "SELECT m.state, m.reason, v.quarantine_reason, "
        NGX_CWEB_STORE_COLUMNS
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
        ngx_cweb_store_row(stmt, 3, &rec);

        state = sqlite3_column_text(stmt, 0);
        rec.state = (state && ngx_strcmp(state, "unavailable") == 0)
                    ? NGX_CWEB_MOD_UNAVAILABLE : NGX_CWEB_MOD_ACTIVE;
        rec.reason.data = (u_char *) sqlite3_column_text(stmt, 1);
        rec.reason.len = sqlite3_column_bytes(stmt, 1);

        if (rec.quarantined && rec.state == NGX_CWEB_MOD_ACTIVE) {
            rec.state = NGX_CWEB_MOD_UNAVAILABLE;
            rec.reason.data = (u_char *) sqlite3_column_text(stmt, 2);
            rec.reason.len = sqlite3_column_bytes(stmt, 2);

            if (rec.reason.len == 0) {
                ngx_str_set(&rec.reason, "its version is quarantined");
            }

            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "cweb plugin \"%*s\" version %ui is quarantined, "
                          "restored unavailable", ngx_min(rec.name.len, 64),
                          rec.name.data ? rec.name.data : (u_char *) "",
                          rec.version);
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


/*
 * the version is quarantined and, when it is the plugin's current one,
 * fallback (another stored version) becomes active or, with fallback 0,
 * the plugin unavailable: one transaction, so a crash leaves all of it or
 * nothing; NGX_DECLINED when the plugin's row did not change (deleted)
 */

ngx_int_t
ngx_cweb_store_quarantine(void *db, ngx_str_t *name, ngx_uint_t version,
    const char *reason, ngx_uint_t current, ngx_uint_t fallback,
    char *err, size_t errlen)
{
    int            rc, changes;
    time_t         now;
    sqlite3_stmt  *stmt;

    static const char  q[] =
        "UPDATE module_versions SET quarantined_at = ?3,"
        " quarantine_reason = ?4 WHERE name = ?1 AND version = ?2";

    static const char  activate[] =
        "UPDATE modules SET version = ?2, state = 'active', reason = '',"
        " updated_at = ?3 WHERE name = ?1 AND state != 'deleted'";

    static const char  disable[] =
        "UPDATE modules SET state = 'unavailable', reason = ?4,"
        " updated_at = ?3 WHERE name = ?1 AND version = ?2"
        " AND state = 'active'";

    if (ngx_cweb_store_exec(db, "BEGIN IMMEDIATE", err, errlen) != NGX_OK) {
        return NGX_ERROR;
    }

    now = time(NULL);
    changes = 1;

    if (sqlite3_prepare_v2(db, q, -1, &stmt, NULL) != SQLITE_OK) {
        goto failed;
    }

    sqlite3_bind_text(stmt, 1, (char *) name->data, name->len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, version);
    sqlite3_bind_int64(stmt, 3, now);
    sqlite3_bind_text(stmt, 4, reason, -1, SQLITE_STATIC);

    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);

    if (rc != SQLITE_DONE) {
        goto failed;
    }

    if (current) {
        if (sqlite3_prepare_v2(db, fallback ? activate : disable, -1, &stmt,
                               NULL)
            != SQLITE_OK)
        {
            goto failed;
        }

        sqlite3_bind_text(stmt, 1, (char *) name->data, name->len,
                          SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, fallback ? fallback : version);
        sqlite3_bind_int64(stmt, 3, now);

        if (!fallback) {
            sqlite3_bind_text(stmt, 4, reason, -1, SQLITE_STATIC);
        }

        rc = sqlite3_step(stmt);
        sqlite3_finalize(stmt);

        if (rc != SQLITE_DONE) {
            goto failed;
        }

        changes = sqlite3_changes(db);
    }

    if (ngx_cweb_store_exec(db, "COMMIT", err, errlen) != NGX_OK) {
        (void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return NGX_ERROR;
    }

    return changes ? NGX_OK : NGX_DECLINED;

failed:

    (void) ngx_cweb_store_failed(db, err, errlen);
    (void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);

    return NGX_ERROR;
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
