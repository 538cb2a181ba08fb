/*
 * db.h - c-web-modules' database handle, ctx->database: one SQLite
 * connection per nginx process to <cweb_module_dir>/plugins.db, shared by
 * every plugin of that process and opened before the first plugin runs.
 * Calls block the worker for as long as SQLite takes.
 *
 * The members wrap the sqlite3_* call of the same name and return its
 * codes (SQLITE_OK, SQLITE_ROW, SQLITE_DONE, ...).  Contexts: init,
 * request, scheduled work.  The host checks its caller: a handle other
 * than ctx->database, or a statement that is not an open statement of
 * ctx->database (never prepared, or finalized already), is refused with
 * SQLITE_MISUSE (column_text NULL, column_int and column_count 0,
 * changes and last_insert_rowid -1) and an error-log line naming the
 * plugin, instead of undefined behaviour.
 *
 *   exec(db, sql, cb, arg)        sqlite3_exec(); an SQL error is logged
 *   prepare(db, sql, n, &st, &t)  sqlite3_prepare_v2()
 *   step, finalize, reset         on a statement of ctx->database
 *   bind_text(st, i, s, n, del)   sqlite3_bind_text(); del as SQLite's
 *                                 (NULL: s must outlive the statement's
 *                                 use, SQLITE_TRANSIENT: copied)
 *   bind_int, column_int          int values, columns from 0, binds from 1
 *   column_text                   the row's text, valid until the next
 *                                 step/reset/finalize; NULL for NULL
 *   column_count                  columns of the statement's result
 *   changes, last_insert_rowid    of the last statement on the connection
 *                                 (the rowid cut to int, as upstream)
 *   free(p)                       sqlite3_free(), for memory SQLite gave
 */

#ifndef DB_H
#define DB_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif


struct sqldb {
    sqlite3                    *db;
    int                       (*exec)(struct sqldb *db, const char *sql,
                                      int (*cb)(void *, int, char **,
                                                char **),
                                      void *arg);
    int                       (*prepare)(struct sqldb *db, const char *sql,
                                         int nbyte, sqlite3_stmt **stmt,
                                         const char **tail);
    int                       (*step)(sqlite3_stmt *stmt);
    int                       (*finalize)(sqlite3_stmt *stmt);
    int                       (*bind_text)(sqlite3_stmt *stmt, int pos,
                                           const char *text, int len,
                                           void (*free_fn)(void *));
    int                       (*bind_int)(sqlite3_stmt *stmt, int pos,
                                          int value);
    const char               *(*column_text)(sqlite3_stmt *stmt, int pos);
    int                       (*column_int)(sqlite3_stmt *stmt, int pos);
    int                       (*column_count)(sqlite3_stmt *stmt);
    int                       (*reset)(sqlite3_stmt *stmt);
    int                       (*changes)(struct sqldb *db);
    int                       (*last_insert_rowid)(struct sqldb *db);
    void                      (*free)(void *p);
};


/*
 * sqldb_init/sqldb_shutdown: upstream's server opens and closes its
 * database with them.  Here the host owns ctx->database, so a plugin's
 * call does nothing: sqldb_init returns -1 and both log an error naming
 * the plugin.  A plugin that wants a database file of its own uses
 * sqlite3_open_v2() (plugins link libsqlite3).
 */
__attribute__((visibility("hidden")))
int sqldb_init(struct sqldb *db, const char *filename);

__attribute__((visibility("hidden")))
void sqldb_shutdown(struct sqldb *db);


#ifdef __cplusplus
}
#endif

#endif /* DB_H */
