
/*
 * ctx->database: c-web-modules' struct sqldb over one SQLite connection
 * per process, <cweb_module_dir>/plugins.db, opened before the first
 * plugin runs (onload in a worker, or the canary) and shared by every
 * plugin of the process.  Calls block the worker for as long as SQLite
 * takes; plugins use it at their own cost.
 *
 * Every member checks what the plugin hands it before SQLite sees it: the
 * handle must be ngx_cweb_database, and a statement one of its open
 * statements (sqlite3_next_stmt() walks the connection's list, so a
 * finalized or made-up pointer is compared, never dereferenced).  A
 * refused call logs an error naming the plugin and returns SQLITE_MISUSE
 * (or the value that means "nothing" for the member).
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_store.h"


static ngx_int_t ngx_cweb_db_check(struct sqldb *db, const char *fn);
static ngx_int_t ngx_cweb_db_stmt(sqlite3_stmt *stmt, const char *fn);
static int ngx_cweb_db_exec(struct sqldb *db, const char *sql,
    int (*cb)(void *, int, char **, char **), void *arg);
static int ngx_cweb_db_prepare(struct sqldb *db, const char *sql, int nbyte,
    sqlite3_stmt **stmt, const char **tail);
static int ngx_cweb_db_step(sqlite3_stmt *stmt);
static int ngx_cweb_db_finalize(sqlite3_stmt *stmt);
static int ngx_cweb_db_bind_text(sqlite3_stmt *stmt, int pos,
    const char *text, int len, void (*free_fn)(void *));
static int ngx_cweb_db_bind_int(sqlite3_stmt *stmt, int pos, int value);
static const char *ngx_cweb_db_column_text(sqlite3_stmt *stmt, int pos);
static int ngx_cweb_db_column_int(sqlite3_stmt *stmt, int pos);
static int ngx_cweb_db_column_count(sqlite3_stmt *stmt);
static int ngx_cweb_db_reset(sqlite3_stmt *stmt);
static int ngx_cweb_db_changes(struct sqldb *db);
static int ngx_cweb_db_last_insert_rowid(struct sqldb *db);
static void ngx_cweb_db_free(void *p);


struct sqldb  ngx_cweb_database = {
    NULL,
    ngx_cweb_db_exec,
    ngx_cweb_db_prepare,
    ngx_cweb_db_step,
    ngx_cweb_db_finalize,
    ngx_cweb_db_bind_text,
    ngx_cweb_db_bind_int,
    ngx_cweb_db_column_text,
    ngx_cweb_db_column_int,
    ngx_cweb_db_column_count,
    ngx_cweb_db_reset,
    ngx_cweb_db_changes,
    ngx_cweb_db_last_insert_rowid,
    ngx_cweb_db_free
};


ngx_int_t
ngx_cweb_api_open_database(ngx_log_t *log)
{
    u_char                 path[NGX_MAX_PATH], err[NGX_MAX_PATH + 64];
    sqlite3               *db;
    ngx_str_t              file;
    ngx_cweb_main_conf_t  *cmcf;

    if (ngx_cweb_database.db) {
        return NGX_OK;
    }

    cmcf = ngx_cweb_conf();

    if (ngx_cweb_store_path(path, sizeof(path), "%V/plugins.db",
                            &cmcf->module_dir)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    file.data = path;
    file.len = ngx_strlen(path);

    db = ngx_cweb_store_connect(&file, 1000, err, sizeof(err));
    if (db == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "cweb plugin %s", err);
        return NGX_ERROR;
    }

    (void) sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);

    ngx_cweb_database.db = db;

    return NGX_OK;
}


/*
 * in a child just forked (the canary's): a SQLite connection must not
 * cross fork(), so the parent's is neither used nor closed here, just
 * dropped, and the child opens its own
 */

void
ngx_cweb_api_drop_database(void)
{
    ngx_cweb_database.db = NULL;
}


/* statements plugins left open would keep the connection from closing */

void
ngx_cweb_api_close_database(void)
{
    sqlite3_stmt  *stmt;

    if (ngx_cweb_database.db == NULL) {
        return;
    }

    while ((stmt = sqlite3_next_stmt(ngx_cweb_database.db, NULL))) {
        (void) sqlite3_finalize(stmt);
    }

    sqlite3_close(ngx_cweb_database.db);
    ngx_cweb_database.db = NULL;
}


static ngx_int_t
ngx_cweb_db_check(struct sqldb *db, const char *fn)
{
    if (db != &ngx_cweb_database) {
        ngx_cweb_api_error("ctx->database->%s(): the handle is not "
                           "ctx->database", fn);
        return NGX_ERROR;
    }

    if (db->db == NULL) {
        ngx_cweb_api_error("ctx->database->%s(): the database is not open",
                           fn);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_db_stmt(sqlite3_stmt *stmt, const char *fn)
{
    sqlite3_stmt  *s;

    if (stmt && ngx_cweb_database.db) {
        for (s = sqlite3_next_stmt(ngx_cweb_database.db, NULL);
             s;
             s = sqlite3_next_stmt(ngx_cweb_database.db, s))
        {
            if (s == stmt) {
                return NGX_OK;
            }
        }
    }

    ngx_cweb_api_error("ctx->database->%s(): %p is not an open statement "
                       "of ctx->database", fn, (void *) stmt);

    return NGX_ERROR;
}


/* upstream prints an SQL error of exec(); here it goes to the error log */

static int
ngx_cweb_db_exec(struct sqldb *db, const char *sql,
    int (*cb)(void *, int, char **, char **), void *arg)
{
    int    rc;
    char  *err;

    if (ngx_cweb_api_gate("ctx->database->exec") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    if (ngx_cweb_db_check(db, "exec") != NGX_OK || sql == NULL) {
        return SQLITE_MISUSE;
    }

    err = NULL;

    rc = sqlite3_exec(db->db, sql, cb, arg, &err);

    if (rc != SQLITE_OK) {
        ngx_cweb_api_error("ctx->database->exec(): %s",
                           err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
    }

    return rc;
}


static int
ngx_cweb_db_prepare(struct sqldb *db, const char *sql, int nbyte,
    sqlite3_stmt **stmt, const char **tail)
{
    if (ngx_cweb_api_gate("ctx->database->prepare") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    if (stmt == NULL) {
        ngx_cweb_api_error("ctx->database->prepare(): no statement pointer");
        return SQLITE_MISUSE;
    }

    *stmt = NULL;

    if (ngx_cweb_db_check(db, "prepare") != NGX_OK || sql == NULL) {
        return SQLITE_MISUSE;
    }

    return sqlite3_prepare_v2(db->db, sql, nbyte, stmt, tail);
}


static int
ngx_cweb_db_step(sqlite3_stmt *stmt)
{
    if (ngx_cweb_api_gate("ctx->database->step") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    if (ngx_cweb_db_stmt(stmt, "step") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    return sqlite3_step(stmt);
}


/* finalize(NULL) is a no-op, as sqlite3_finalize(NULL) */

static int
ngx_cweb_db_finalize(sqlite3_stmt *stmt)
{
    if (ngx_cweb_api_gate("ctx->database->finalize") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    if (stmt == NULL) {
        return SQLITE_OK;
    }

    if (ngx_cweb_db_stmt(stmt, "finalize") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    return sqlite3_finalize(stmt);
}


/*
 * A destructor of the plugin's (free, or a function of its own) is called
 * at once, on a copy's behalf: a statement left open never points into a
 * version that may be unloaded before the statement goes.  As in SQLite,
 * the destructor runs even when the call fails.
 */

static int
ngx_cweb_db_bind_text(sqlite3_stmt *stmt, int pos, const char *text, int len,
    void (*free_fn)(void *))
{
    int         rc;
    ngx_uint_t  own;

    if (ngx_cweb_api_gate("ctx->database->bind_text") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    own = (free_fn != SQLITE_STATIC && free_fn != SQLITE_TRANSIENT);

    rc = (ngx_cweb_db_stmt(stmt, "bind_text") == NGX_OK)
         ? sqlite3_bind_text(stmt, pos, text, len,
                             own ? SQLITE_TRANSIENT : free_fn)
         : SQLITE_MISUSE;

    if (own && text) {
        free_fn((void *) text);
    }

    return rc;
}


static int
ngx_cweb_db_bind_int(sqlite3_stmt *stmt, int pos, int value)
{
    if (ngx_cweb_api_gate("ctx->database->bind_int") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    if (ngx_cweb_db_stmt(stmt, "bind_int") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    return sqlite3_bind_int(stmt, pos, value);
}


static const char *
ngx_cweb_db_column_text(sqlite3_stmt *stmt, int pos)
{
    if (ngx_cweb_api_gate("ctx->database->column_text") != NGX_OK) {
        return NULL;
    }

    if (ngx_cweb_db_stmt(stmt, "column_text") != NGX_OK) {
        return NULL;
    }

    return (const char *) sqlite3_column_text(stmt, pos);
}


static int
ngx_cweb_db_column_int(sqlite3_stmt *stmt, int pos)
{
    if (ngx_cweb_api_gate("ctx->database->column_int") != NGX_OK) {
        return 0;
    }

    if (ngx_cweb_db_stmt(stmt, "column_int") != NGX_OK) {
        return 0;
    }

    return sqlite3_column_int(stmt, pos);
}


static int
ngx_cweb_db_column_count(sqlite3_stmt *stmt)
{
    if (ngx_cweb_api_gate("ctx->database->column_count") != NGX_OK) {
        return 0;
    }

    if (ngx_cweb_db_stmt(stmt, "column_count") != NGX_OK) {
        return 0;
    }

    return sqlite3_column_count(stmt);
}


static int
ngx_cweb_db_reset(sqlite3_stmt *stmt)
{
    if (ngx_cweb_api_gate("ctx->database->reset") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    if (ngx_cweb_db_stmt(stmt, "reset") != NGX_OK) {
        return SQLITE_MISUSE;
    }

    return sqlite3_reset(stmt);
}


static int
ngx_cweb_db_changes(struct sqldb *db)
{
    if (ngx_cweb_api_gate("ctx->database->changes") != NGX_OK) {
        return -1;
    }

    if (ngx_cweb_db_check(db, "changes") != NGX_OK) {
        return -1;
    }

    return sqlite3_changes(db->db);
}


/* upstream's type: the rowid cut to int */

static int
ngx_cweb_db_last_insert_rowid(struct sqldb *db)
{
    if (ngx_cweb_api_gate("ctx->database->last_insert_rowid") != NGX_OK) {
        return -1;
    }

    if (ngx_cweb_db_check(db, "last_insert_rowid") != NGX_OK) {
        return -1;
    }

    return (int) sqlite3_last_insert_rowid(db->db);
}


static void
ngx_cweb_db_free(void *p)
{
    if (ngx_cweb_api_gate("ctx->database->free") != NGX_OK) {
        return;
    }

    sqlite3_free(p);
}
