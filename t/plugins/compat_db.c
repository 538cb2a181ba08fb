/*
 * ctx->database the way upstream's historic webui plugin used it:
 * prepare / bind / step / column / finalize loops over a CRUD table, with
 * bound parameters, exec with a callback, reset, changes and
 * last_insert_rowid; /compat_db/misuse hands the host bad pointers.
 */

/* a name the headers fail to declare is an error, not a guess */
#pragma GCC diagnostic error "-Wimplicit-function-declaration"

#include <cweb.h>
#include <db.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <stddef.h>


/* upstream's member order (a4a06d9), one pointer each */
#define AT(m, n)                                                              \
    _Static_assert(offsetof(struct sqldb, m) == (n) * sizeof(void *), #m)

AT(db, 0); AT(exec, 1); AT(prepare, 2); AT(step, 3); AT(finalize, 4);
AT(bind_text, 5); AT(bind_int, 6); AT(column_text, 7); AT(column_int, 8);
AT(column_count, 9); AT(reset, 10); AT(changes, 11);
AT(last_insert_rowid, 12); AT(free, 13);
_Static_assert(sizeof(struct sqldb) == 14 * sizeof(void *), "size");


static int
count_cb(void *arg, int argc, char **argv, char **names)
{
    (void) names;

    if (argc == 1 && argv[0]) {
        *(int *) arg = atoi(argv[0]);
    }

    return 0;
}


static int
rows_total(struct sqldb *db)
{
    int  n = -1;

    db->exec(db, "SELECT count(*) FROM compat_db_items", count_cb, &n);
    return n;
}


static int
create(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    struct sqldb  *db = ctx->database;
    sqlite3_stmt  *stmt;
    const char    *name = http_kv_get(req->params, "name");
    const char    *qty = http_kv_get(req->params, "qty");

    if (db->prepare(db, "INSERT INTO compat_db_items (name, qty) VALUES (?, ?)",
                    -1, &stmt, NULL) != SQLITE_OK)
    {
        return -1;
    }

    if (db->bind_text(stmt, 1, name, -1, NULL) != SQLITE_OK
        || db->bind_int(stmt, 2, qty ? atoi(qty) : 0) != SQLITE_OK)
    {
        db->finalize(stmt);
        return -1;
    }

    if (db->step(stmt) != SQLITE_DONE) {
        db->finalize(stmt);
        return -1;
    }

    db->finalize(stmt);

    res->status = HTTP_201_CREATED;
    snprintf(res->body, HTTP_RESPONSE_SIZE, "id=%d changes=%d\n",
             db->last_insert_rowid(db), db->changes(db));
    return 0;
}


static int
list(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    struct sqldb  *db = ctx->database;
    sqlite3_stmt  *stmt;
    const char    *min = http_kv_get(req->params, "min");
    const char    *name;
    size_t         len = 0;

    if (db->prepare(db, "SELECT id, name, qty FROM compat_db_items "
                    "WHERE qty >= ? ORDER BY id", -1, &stmt, NULL)
        != SQLITE_OK)
    {
        return -1;
    }

    db->bind_int(stmt, 1, min ? atoi(min) : -1000000);

    len += snprintf(res->body + len, HTTP_RESPONSE_SIZE - len,
                    "columns=%d\n", db->column_count(stmt));

    while (db->step(stmt) == SQLITE_ROW) {
        name = db->column_text(stmt, 1);
        len += snprintf(res->body + len, HTTP_RESPONSE_SIZE - len,
                        "%d|%s|%d\n", db->column_int(stmt, 0),
                        name ? name : "(null)", db->column_int(stmt, 2));
    }

    db->finalize(stmt);

    snprintf(res->body + len, HTTP_RESPONSE_SIZE - len, "total=%d\n",
             rows_total(db));
    res->status = HTTP_200_OK;
    return 0;
}


static int
update(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    struct sqldb  *db = ctx->database;
    sqlite3_stmt  *stmt;
    const char    *id = http_kv_get(req->params, "id");
    const char    *qty = http_kv_get(req->params, "qty");
    int            rc;

    if (db->prepare(db, "UPDATE compat_db_items SET qty = ? WHERE id = ?",
                    -1, &stmt, NULL) != SQLITE_OK)
    {
        return -1;
    }

    db->bind_int(stmt, 1, qty ? atoi(qty) : 0);
    db->bind_int(stmt, 2, id ? atoi(id) : 0);
    rc = db->step(stmt);
    db->finalize(stmt);

    snprintf(res->body, HTTP_RESPONSE_SIZE, "step=%s changes=%d\n",
             rc == SQLITE_DONE ? "done" : "error", db->changes(db));
    res->status = HTTP_200_OK;
    return 0;
}


static int
delete(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    struct sqldb  *db = ctx->database;
    sqlite3_stmt  *stmt;
    const char    *name = http_kv_get(req->params, "name");
    int            rc;

    if (db->prepare(db, "DELETE FROM compat_db_items WHERE name = ?", -1,
                    &stmt, NULL) != SQLITE_OK)
    {
        return -1;
    }

    db->bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
    rc = db->step(stmt);
    db->finalize(stmt);

    snprintf(res->body, HTTP_RESPONSE_SIZE, "step=%s changes=%d\n",
             rc == SQLITE_DONE ? "done" : "error", db->changes(db));
    res->status = HTTP_200_OK;
    return 0;
}


static int  scrubbed;


/* a destructor of the plugin's own: what it frees is unreadable after */

static void
scrub(void *p)
{
    memset(p, 'X', strlen(p));
    free(p);
    scrubbed++;
}


/* one statement, reset and bound again for every row */

static int
batch(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    static const char *names[] = { "b1", "b2", "b3" };

    struct sqldb  *db = ctx->database;
    sqlite3_stmt  *stmt;
    size_t         len = 0;
    int            i, rc;

    if (db->prepare(db, "INSERT INTO compat_db_items (name, qty) VALUES (?, ?)",
                    -1, &stmt, NULL) != SQLITE_OK)
    {
        return -1;
    }

    for (i = 0; i < 3; i++) {
        db->bind_text(stmt, 1, strdup(names[i]), -1, scrub);
        db->bind_int(stmt, 2, 100 + i);
        rc = db->step(stmt);
        len += snprintf(res->body + len, HTTP_RESPONSE_SIZE - len,
                        "%s:%s:%d reset=%d\n", names[i],
                        rc == SQLITE_DONE ? "done" : "error",
                        db->last_insert_rowid(db), db->reset(stmt));
    }

    db->finalize(stmt);

    snprintf(res->body + len, HTTP_RESPONSE_SIZE - len, "scrubbed=%d\n",
             scrubbed);
    res->status = HTTP_200_OK;
    return 0;
}


/* bad inputs: each is refused with a log line, the worker carries on */

static int
misuse(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    struct sqldb   fake;
    struct sqldb  *db = ctx->database;
    sqlite3_stmt  *stmt, *made_up;
    int            fin, again, step_null;

    memcpy(&fake, db, sizeof(fake));
    made_up = (sqlite3_stmt *) &fake;

    db->prepare(db, "SELECT 1", -1, &stmt, NULL);
    fin = db->finalize(stmt);
    again = db->finalize(stmt);
    step_null = db->step(NULL);
    scrubbed = 0;
    db->bind_text(made_up, 1, strdup("refused"), -1, scrub);

    snprintf(res->body, HTTP_RESPONSE_SIZE,
             "finalize=%d again=%d step_null=%d step_made_up=%d "
             "text=%s int=%d count=%d reset=%d bind=%d/%d "
             "exec_fake=%d prepare_fake=%d changes_fake=%d rowid_fake=%d "
             "bad_sql=%d init=%d scrubbed=%d\n",
             fin, again, step_null, db->step(made_up),
             db->column_text(made_up, 0) ? "text" : "null",
             db->column_int(made_up, 0), db->column_count(made_up),
             db->reset(made_up), db->bind_text(made_up, 1, "x", -1, NULL),
             db->bind_int(made_up, 1, 1),
             fake.exec(&fake, "SELECT 1", NULL, NULL),
             fake.prepare(&fake, "SELECT 1", -1, &stmt, NULL),
             fake.changes(&fake), fake.last_insert_rowid(&fake),
             db->exec(db, "BOGUS STATEMENT", NULL, NULL),
             sqldb_init(&fake, "other.db"), scrubbed);

    sqldb_shutdown(db);

    res->status = HTTP_200_OK;
    return 0;
}


static void
onload(struct cweb_context *ctx)
{
    struct sqldb  *db = ctx->database;

    db->exec(db, "CREATE TABLE IF NOT EXISTS compat_db_items ("
                 "id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)",
             NULL, NULL);
}


export module_t config = {
    .name = "compat_db",
    .author = "t",
    .routes = {
        {"/compat_db/items", "POST", create, NONE},
        {"/compat_db/items", "GET", list, NONE},
        {"/compat_db/items", "PUT", update, NONE},
        {"/compat_db/items", "DELETE", delete, NONE},
        {"/compat_db/batch", "POST", batch, NONE},
        {"/compat_db/misuse", "GET", misuse, NONE},
    },
    .size = 6,
    .onload = onload,
};
