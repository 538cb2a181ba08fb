
/*
 * The files behind the database rows (ngx_cweb_store.c): a commit makes
 * the new object durable, renames it to its final name and makes its
 * source and both directories durable before the row that points at them
 * (a rebuild installs an object the same way, under a name its row
 * already has); pruning and
 * deleting remove what no stored version uses any more (a source may be
 * shared by versions); a sweep removes what a crash left between the two.
 * Only names of the forms this code writes are ever unlinked.  All of it
 * runs in pool threads (workers) or in the helper, never in the master.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_store.h"
#include "ngx_cweb_store_int.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_jobs_store.h"


#define NGX_CWEB_SWEEP_AGE  300     /* seconds */


static ngx_int_t ngx_cweb_store_fsync_dir(ngx_str_t *dir, const char *sub);
static ngx_uint_t ngx_cweb_store_job_needs(ngx_str_t *dir, ngx_str_t *name,
    ngx_uint_t version);
static ngx_int_t ngx_cweb_store_prune(sqlite3 *db, ngx_str_t *name,
    ngx_uint_t keep, ngx_str_t *dir, ngx_pool_t *pool);
static ngx_int_t ngx_cweb_store_unlink(ngx_str_t *dir, const char *sub,
    u_char *file, size_t len, const char *ext);
static ngx_int_t ngx_cweb_store_sweep_file(u_char *path, u_char *name,
    size_t len, void *data);
static ngx_int_t ngx_cweb_store_fsync_path(const char *path, int flags);
static ngx_int_t ngx_cweb_store_fsync_file(ngx_str_t *path);


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
    ngx_uint_t     installed;
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
    installed = 0;

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

    rec->so_file.len = ngx_cweb_store_so_name(rec->so_file.data, &rec->name,
                                              rec->version, rec->module_hash);

    if (ngx_cweb_store_path(path, sizeof(path), "%V/so/%V", dir,
                            &rec->so_file)
        != NGX_OK)
    {
        ngx_cweb_errf((u_char *) err, errlen, "the path of \"%V\" is "
                      "too long", &rec->so_file);
        goto rolled_back;
    }

    /* the row may only point at files that survive a power loss */
    if (ngx_cweb_store_install(tmp, dir, &rec->so_file, err, errlen)
        != NGX_OK)
    {
        goto rolled_back;
    }

    installed = 1;

    if (ngx_cweb_store_fsync_file(src) != NGX_OK
        || ngx_cweb_store_fsync_dir(dir, "src") != NGX_OK)
    {
        ngx_cweb_errf((u_char *) err, errlen, "fsync() failed (%d)",
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

    if (installed) {
        (void) ngx_delete_file(path);
    }

    return NGX_ERROR;
}


/*
 * versions beyond the newest "keep" lose their object, and their source
 * when no stored version of any plugin still uses it
 */

static ngx_uint_t
ngx_cweb_store_job_needs(ngx_str_t *dir, ngx_str_t *name, ngx_uint_t version)
{
    u_char  path[NGX_MAX_PATH];

    ngx_snprintf(path, sizeof(path) - 1, "%V" NGX_CWEB_JOBS_DB "%Z", dir);

    /* unknown (busy, damaged): kept, a later deploy prunes it */
    return ngx_cweb_jstore_needs((char *) path, (char *) name->data,
                                 name->len, (int64_t) version)
           != 0;
}


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

        /* a job created for it runs it later: its object stays till then */
        if (keep && ngx_cweb_store_job_needs(dir, name, rec.version)) {
            continue;
        }

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

        (void) ngx_cweb_store_unlink(dir, "so", g[i].so_file.data,
                                     g[i].so_file.len, "");
    }

    for (i = 0; i < gone.nelts; i++) {
        sqlite3_bind_text(used, 1, (char *) g[i].source_sha256,
                          NGX_CWEB_HASH_LEN, SQLITE_STATIC);

        if (sqlite3_step(used) != SQLITE_ROW) {
            (void) ngx_cweb_store_unlink(dir, "src", g[i].source_sha256,
                                         NGX_CWEB_HASH_LEN, ".c");
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
    size_t len, const char *ext)
{
    u_char  path[NGX_MAX_PATH];

    if (ngx_cweb_store_path(path, sizeof(path), "%V/%s/%*s%s", dir, sub, len,
                            file, ext)
        != NGX_OK)
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


/*
 * objects and sources no stored version names (a delete or prune cut
 * short by a crash) go; only file names of our own forms are considered
 */

typedef struct {
    sqlite3_stmt  *stmt;
    ngx_uint_t     src;          /* src/ (sources), else so/ (objects) */
} ngx_cweb_store_sweep_t;


ngx_int_t
ngx_cweb_store_sweep(void *db, ngx_str_t *dir, ngx_log_t *log)
{
    ngx_int_t               n, total;
    ngx_uint_t              i;
    ngx_cweb_store_sweep_t  sw;

    static const char  *subs[] = { "so", "src" };
    static const char  *sql[] = {
        "SELECT 1 FROM module_versions WHERE so_file = ?1 AND pruned = 0",
        "SELECT 1 FROM module_versions WHERE source_sha256 = ?1"
        " AND pruned = 0"
    };

    total = 0;

    for (i = 0; i < 2; i++) {
        if (sqlite3_prepare_v2(db, sql[i], -1, &sw.stmt, NULL) != SQLITE_OK) {
            return NGX_ERROR;
        }

        sw.src = i;
        n = ngx_cweb_store_each(dir, subs[i], ngx_cweb_store_sweep_file, &sw);
        sqlite3_finalize(sw.stmt);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        total += n;
    }

    if (total) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "cweb removed %i files no stored version uses", total);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_store_sweep_file(u_char *path, u_char *name, size_t len, void *data)
{
    ngx_cweb_store_sweep_t *sw = data;

    int              rc;
    ngx_file_info_t  fi;

    if (!sw->src && (len < 4 || ngx_strcmp(name + len - 3, ".so") != 0)) {
        return NGX_DECLINED;
    }

    if (sw->src && (len != NGX_CWEB_HASH_LEN + 2
                    || ngx_strcmp(name + NGX_CWEB_HASH_LEN, ".c") != 0
                    || ngx_cweb_store_hex(name, NGX_CWEB_HASH_LEN) != NGX_OK))
    {
        return NGX_DECLINED;
    }

    sqlite3_bind_text(sw->stmt, 1, (char *) name,
                      sw->src ? NGX_CWEB_HASH_LEN : (int) len,
                      SQLITE_TRANSIENT);
    rc = sqlite3_step(sw->stmt);
    sqlite3_reset(sw->stmt);

    if (rc != SQLITE_DONE) {
        return NGX_DECLINED;
    }

    /*
     * a commit renames its object in before its row exists (and a rename
     * sets ctime): young files may be on their way
     */
    if (ngx_link_info(path, &fi) != NGX_FILE_ERROR && ngx_is_file(&fi)
        && ngx_time() - fi.st_ctime > NGX_CWEB_SWEEP_AGE
        && unlink((char *) path) == 0)
    {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/*
 * handler(path, name, len, data) for every entry of <dir>/<sub> but "."
 * names, path NUL-terminated; an entry whose path would not fit is
 * skipped (never cut short into another name).  Nothing is followed or
 * recursed into: ngx_walk_tree() would follow a link to a directory, and
 * plugin code can plant one here.  The number of entries the handler
 * returned NGX_OK for (it removed them), or NGX_ERROR.
 */

ngx_int_t
ngx_cweb_store_each(ngx_str_t *dir, const char *sub,
    ngx_cweb_store_each_pt handler, void *data)
{
    u_char     path[NGX_MAX_PATH], *name;
    ngx_int_t  n, rc;
    ngx_str_t  base;
    ngx_dir_t  d;

    if (ngx_cweb_store_path(path, sizeof(path), "%V/%s", dir, sub)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    base.data = path;
    base.len = ngx_strlen(path);

    if (ngx_open_dir(&base, &d) != NGX_OK) {
        return 0;
    }

    n = 0;

    while (ngx_read_dir(&d) == NGX_OK) {
        name = ngx_de_name(&d);

        if (name[0] == '.'
            || ngx_cweb_store_path(path + base.len, sizeof(path) - base.len,
                                   "/%s", name)
               != NGX_OK)
        {
            continue;
        }

        rc = handler(path, name, ngx_de_namelen(&d), data);
        path[base.len] = '\0';

        if (rc == NGX_ERROR) {
            n = NGX_ERROR;
            break;
        }

        n += (rc == NGX_OK);
    }

    ngx_close_dir(&d);

    return n;
}


static ngx_int_t
ngx_cweb_store_fsync_path(const char *path, int flags)
{
    int  fd, rc;

    fd = open(path, O_RDONLY|O_NOFOLLOW|O_CLOEXEC|flags);
    if (fd == -1) {
        return NGX_ERROR;
    }

    rc = fsync(fd);
    close(fd);

    return rc == 0 ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
ngx_cweb_store_fsync_file(ngx_str_t *path)
{
    return ngx_cweb_store_fsync_path((char *) path->data, 0);
}


/* a rename is durable once the directory holding it is */

static ngx_int_t
ngx_cweb_store_fsync_dir(ngx_str_t *dir, const char *sub)
{
    u_char  path[NGX_MAX_PATH];

    if (ngx_cweb_store_path(path, sizeof(path), "%V/%s", dir, sub) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_cweb_store_fsync_path((char *) path, O_DIRECTORY);
}


/*
 * the object tmp (NUL-terminated) becomes <dir>/so/<file>: its data are
 * durable before it takes a name that a row may already point at (a
 * rebuild), and the name is durable once so/ is; on NGX_ERROR (the failed
 * call in err) the new name does not exist, tmp may still
 */

ngx_int_t
ngx_cweb_store_install(ngx_str_t *tmp, ngx_str_t *dir, ngx_str_t *file,
    char *err, size_t errlen)
{
    u_char  path[NGX_MAX_PATH];

    if (ngx_cweb_store_path(path, sizeof(path), "%V/so/%V", dir, file)
        != NGX_OK)
    {
        ngx_cweb_errf((u_char *) err, errlen, "the path of \"%V\" is "
                      "too long", file);
        return NGX_ERROR;
    }

    if (ngx_cweb_store_fsync_file(tmp) != NGX_OK) {
        ngx_cweb_errf((u_char *) err, errlen, "fsync(\"%V\") failed (%d)",
                      tmp, ngx_errno);
        return NGX_ERROR;
    }

    if (ngx_rename_file(tmp->data, path) == NGX_FILE_ERROR) {
        ngx_cweb_errf((u_char *) err, errlen, ngx_rename_file_n " \"%V\" "
                      "to \"%s\" failed (%d)", tmp, path, ngx_errno);
        return NGX_ERROR;
    }

    if (ngx_cweb_store_fsync_dir(dir, "so") != NGX_OK) {
        ngx_cweb_errf((u_char *) err, errlen, "fsync() of \"%V/so\" "
                      "failed (%d)", dir, ngx_errno);
        (void) ngx_delete_file(path);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * a path from fmt, NUL-terminated; NGX_ERROR when it does not fit: a path
 * is never cut short into another name
 */

ngx_int_t
ngx_cweb_store_path(u_char *buf, size_t size, const char *fmt, ...)
{
    ngx_int_t  rc;
    va_list    args;

    va_start(args, fmt);
    rc = ngx_cweb_store_vpath(buf, size, fmt, args);
    va_end(args);

    return rc;
}


ngx_int_t
ngx_cweb_store_vpath(u_char *buf, size_t size, const char *fmt, va_list args)
{
    u_char  *p;

    p = ngx_vslprintf(buf, buf + size - 1, fmt, args);

    if (p == buf + size - 1) {
        return NGX_ERROR;
    }

    *p = '\0';

    return NGX_OK;
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
        if (ngx_cweb_store_path(path, sizeof(path), "%V/%s", dir, dirs[i])
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_CRIT, log, 0,
                          "cweb state directory \"%V\" is too long", dir);
            return NGX_ERROR;
        }

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
