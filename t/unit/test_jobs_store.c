
/*
 * Unit tests for the durable jobs store (src/ngx_cweb_jobs_store*.c):
 * every write and state transition, claim order, events (one sequence,
 * replay boundaries), lists, damaged rows planted with raw SQL, reopening,
 * and a throughput line; no nginx needed.  The database is a temporary
 * file under /tmp, removed at the end.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -Isrc -o objs/unit/test_jobs_store \
 *       t/unit/test_jobs_store.c src/ngx_cweb_jobs_store.c \
 *       src/ngx_cweb_jobs_store_end.c src/ngx_cweb_jobs_store_read.c \
 *       -lsqlite3 -ljansson
 */


#define _POSIX_C_SOURCE  200809L

#include "check.h"
#include "ngx_cweb_jobs_store_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>


#define HASH  "0123456789abcdef0123456789abcdef" \
              "0123456789abcdef0123456789abcdef"


static char  path[256];
static int   heard;
static char  heard_types[8][16];


static void
db_remove(const char *p)
{
    char  buf[300];

    unlink(p);
    snprintf(buf, sizeof(buf), "%s-wal", p);
    unlink(buf);
    snprintf(buf, sizeof(buf), "%s-shm", p);
    unlink(buf);
}


/* a new store; without one no check can run */
static ngx_cweb_jstore_t *
fresh(void)
{
    char                err[256];
    ngx_cweb_jstore_t  *s;

    db_remove(path);

    s = ngx_cweb_jstore_open(path, 0, err, sizeof(err));
    if (s == NULL) {
        printf("FAIL %s:%d: open: %s\n", __FILE__, __LINE__, err);
        db_remove(path);
        exit(1);
    }

    return s;
}


/* SQL as a plugin could run it, on a connection of its own */
static int
raw(const char *sql)
{
    int       rc;
    sqlite3  *db;

    if (sqlite3_open(path, &db) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }

    sqlite3_busy_timeout(db, 2000);
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);

    return rc == SQLITE_OK ? 0 : -1;
}


/*
 * the first column of the first row of sql on a connection of its own,
 * as sqlite3(1) opens it (the view job_events needs a trusted schema,
 * which the store's connection is not)
 */
static int64_t
rscalar(const char *sql)
{
    int64_t        v;
    sqlite3       *db;
    sqlite3_stmt  *st;

    v = -999;

    if (sqlite3_open(path, &db) == SQLITE_OK
        && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
    {
        if (sqlite3_step(st) == SQLITE_ROW) {
            v = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
    }

    sqlite3_close(db);

    return v;
}


/* the first column of the first row of sql on the store's connection */
static int64_t
scalar(ngx_cweb_jstore_t *s, const char *sql)
{
    int64_t        v;
    sqlite3_stmt  *st;

    v = -999;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            v = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
    }

    return v;
}


/* sql damages job 11's events: its replay is refused, nothing given */
static int
replay_refused(ngx_cweb_jstore_t *s, const char *sql)
{
    json_t   *a;
    int64_t   last;

    a = NULL;
    last = -1;

    return raw(sql) == 0
           && ngx_cweb_jstore_events(s, "0000000b-0000-4000-8000-"
                                     "00000000000b", 0, 10, &a, &last) == -1
           && a == NULL && last == 0;
}


/* v is the string str (strcmp() of a member that may be missing) */
static int
str_is(json_t *v, const char *str)
{
    return json_is_string(v) && strcmp(json_string_value(v), str) == 0;
}


static void
uuid_of(int n, char *buf)
{
    snprintf(buf, NGX_CWEB_JSTORE_UUID_LEN + 1,
             "%08x-0000-4000-8000-%012x", (unsigned) n, (unsigned) n);
}


/* an event's text parsed (and freed), or NULL */
static json_t *
got(char *text)
{
    json_t  *v;

    v = text ? json_loads(text, 0, NULL) : NULL;
    free(text);

    return v;
}


/* job n, its own transaction; its id */
static int64_t
add(ngx_cweb_jstore_t *s, int n, int64_t run_at, int64_t max_attempts)
{
    char             uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    int64_t          eid;
    ngx_cweb_jnew_t  j = { uuid, "mod", "job", HASH, 3, "{\"n\":1}",
                           run_at, 5000, max_attempts };

    uuid_of(n, uuid);
    eid = 0;

    if (ngx_cweb_jstore_begin(s) != 0
        || ngx_cweb_jstore_create(s, &j, 10, &eid) != 0
        || ngx_cweb_jstore_commit(s) != 0)
    {
        printf("add %d: %s\n", n, ngx_cweb_jstore_error(s));
        return -1;
    }

    return scalar(s, "SELECT max(id) FROM jobs");
}


/* job n, created and claimed (the only one due): its id */
static int64_t
started(ngx_cweb_jstore_t *s, int n, int64_t max_attempts, int64_t now)
{
    int64_t             id, eid;
    ngx_cweb_jclaim_t   c;

    id = add(s, n, 0, max_attempts);

    ngx_cweb_jstore_begin(s);
    if (ngx_cweb_jstore_claim(s, now, &c, &eid) != 1 || c.id != id) {
        id = -1;
    }
    ngx_cweb_jstore_claim_free(&c);
    ngx_cweb_jstore_commit(s);

    return id;
}


/* claims one in its own transaction: 1, 0 or -1 */
static int
claim(ngx_cweb_jstore_t *s, int64_t now, ngx_cweb_jclaim_t *c)
{
    int      rc;
    int64_t  eid;

    ngx_cweb_jstore_begin(s);
    rc = ngx_cweb_jstore_claim(s, now, c, &eid);
    ngx_cweb_jstore_commit(s);

    if (rc == 1) {
        ngx_cweb_jstore_claim_free(c);
    }

    return rc;
}


/* a string member of job n's get(), in a static buffer ("" when none) */
static const char *
field(ngx_cweb_jstore_t *s, int n, const char *key)
{
    char         uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    json_t      *o;
    const char  *v;

    static char  buf[256];

    uuid_of(n, uuid);
    buf[0] = '\0';

    if (ngx_cweb_jstore_get(s, uuid, &o) == 1) {
        v = json_string_value(json_object_get(o, key));
        snprintf(buf, sizeof(buf), "%s", v ? v : "");
        json_decref(o);
    }

    return buf;
}


static int64_t
field_int(ngx_cweb_jstore_t *s, int n, const char *key)
{
    char     uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    json_t  *o;
    int64_t  v;

    uuid_of(n, uuid);
    v = -1;

    if (ngx_cweb_jstore_get(s, uuid, &o) == 1) {
        v = json_integer_value(json_object_get(o, key));
        json_decref(o);
    }

    return v;
}


/*
 * job n's one attempt as "attempt started_at ended_at error", "-" for a
 * null; "(not one)" unless get() gives exactly one
 */
static const char *
only_attempt(ngx_cweb_jstore_t *s, int n)
{
    char     uuid[NGX_CWEB_JSTORE_UUID_LEN + 1], v[3][24];
    json_t  *o, *a, *att, *f;
    int      i;

    static char        buf[128];
    static const char *keys[] = { "started_at", "ended_at" };

    uuid_of(n, uuid);
    snprintf(buf, sizeof(buf), "(not one)");

    if (ngx_cweb_jstore_get(s, uuid, &o) != 1) {
        return buf;
    }

    a = json_object_get(o, "attempts");
    att = json_array_get(a, 0);

    if (json_array_size(a) == 1) {
        snprintf(v[0], sizeof(v[0]), "%" PRId64,
                 (int64_t) json_integer_value(json_object_get(att,
                                                              "attempt")));
        for (i = 0; i < 2; i++) {
            f = json_object_get(att, keys[i]);
            snprintf(v[i + 1], sizeof(v[0]), json_is_integer(f) ? "%" PRId64
                     : "-", (int64_t) json_integer_value(f));
        }

        f = json_object_get(att, "error");
        snprintf(buf, sizeof(buf), "%s %s %s %s", v[0], v[1], v[2],
                 json_is_string(f) ? json_string_value(f) : "-");
    }

    json_decref(o);

    return buf;
}


/* job n's events after since, as "type,type,..." */
static const char *
types(ngx_cweb_jstore_t *s, int n, int64_t since)
{
    char     uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    json_t      *a, *e;
    size_t       i;
    int64_t      last;
    const char  *t;

    static char  buf[512];

    uuid_of(n, uuid);
    buf[0] = '\0';

    if (ngx_cweb_jstore_events(s, uuid, since, 100, &a, &last) != 1) {
        return "(error)";
    }

    json_array_foreach(a, i, e) {
        t = json_string_value(json_object_get(e, "type"));
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
                 i ? "," : "", t ? t : "(none)");
    }

    json_decref(a);

    return buf;
}


static void
test_open(void)
{
    char                err[256];
    ngx_cweb_jstore_t  *s;

    s = fresh();
    CHECK(s != NULL);
    CHECK(scalar(s, "PRAGMA user_version") == 4);
    CHECK(scalar(s, "PRAGMA synchronous") == 1);
    CHECK(scalar(s, "SELECT count(*) FROM pragma_journal_mode "
                    "WHERE journal_mode = 'wal'") == 1);
    CHECK(scalar(s, "SELECT count(*) FROM sqlite_master WHERE name IN "
                    "('jobs', 'job_attempts', 'job_event_rows', "
                    "'job_event_seq', 'jobs_pending', 'jobs_running', "
                    "'jobs_ended', 'job_events_job')") == 8);
    CHECK(scalar(s, "SELECT count(*) FROM sqlite_master WHERE name = "
                    "'job_events' AND type = 'view'") == 1);
    CHECK(scalar(s, "SELECT count(*) FROM sqlite_master "
                    "WHERE type = 'index' AND sql IS NOT NULL") == 4);
    ngx_cweb_jstore_close(s);

    s = ngx_cweb_jstore_open(path, 1, err, sizeof(err));
    CHECK(s != NULL);
    CHECK(scalar(s, "PRAGMA synchronous") == 2);
    CHECK(scalar(s, "PRAGMA busy_timeout") >= 1000);
    ngx_cweb_jstore_close(s);


    /* a file of a newer build is refused, not written to */
    CHECK(raw("PRAGMA user_version = 7") == 0);
    err[0] = '\0';
    s = ngx_cweb_jstore_open(path, 0, err, sizeof(err));
    CHECK(s == NULL);
    CHECK(strstr(err, "newer") != NULL);
    ngx_cweb_jstore_close(s);

    CHECK(raw("PRAGMA user_version = -1") == 0);
    s = ngx_cweb_jstore_open(path, 0, err, sizeof(err));
    CHECK(s == NULL);
    CHECK(strstr(err, "damaged") != NULL);
    ngx_cweb_jstore_close(s);

    s = ngx_cweb_jstore_open("/nonexistent/dir/jobs.db", 0, err,
                             sizeof(err));
    CHECK(s == NULL);
    CHECK(strstr(err, "cannot be opened") != NULL);
}


/*
 * a file of schema 1 (as an earlier build wrote it, events numbered by
 * AUTOINCREMENT) opened: migrated to 2, its rows as they were, the ids
 * going on after the largest
 */
static void
test_migrate_v1(void)
{
    char                err[256];
    json_t             *a;
    int64_t             eid, last;
    ngx_cweb_jstore_t  *s;

    db_remove(path);
    CHECK(raw("PRAGMA journal_mode = WAL;"
              "CREATE TABLE jobs (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL "
              "UNIQUE, module TEXT NOT NULL, job TEXT NOT NULL, module_hash "
              "TEXT NOT NULL, version INTEGER NOT NULL, payload TEXT NOT NULL,"
              " state TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at "
              "INTEGER NOT NULL, run_at INTEGER NOT NULL, timeout_ms INTEGER "
              "NOT NULL, max_attempts INTEGER NOT NULL, attempts INTEGER NOT "
              "NULL, cancel_requested INTEGER NOT NULL, result TEXT, error "
              "TEXT);"
              "CREATE TABLE job_attempts (job_id INTEGER NOT NULL, attempt "
              "INTEGER NOT NULL, started_at INTEGER NOT NULL, ended_at "
              "INTEGER, error TEXT, PRIMARY KEY (job_id, attempt)) WITHOUT "
              "ROWID;"
              "CREATE TABLE job_events (id INTEGER PRIMARY KEY AUTOINCREMENT, "
              "job_id INTEGER NOT NULL, ts INTEGER NOT NULL, type TEXT NOT "
              "NULL, data TEXT);"
              "CREATE INDEX jobs_due ON jobs (state, run_at);"
              "CREATE INDEX job_events_job ON job_events (job_id, id);"
              "INSERT INTO jobs VALUES (1, '00000001-0000-4000-8000-"
              "000000000001', 'mod', 'job', '" HASH "', 3, '{}', 'running', "
              "10, 10, 0, 5000, 1, 1, 0, NULL, NULL);"
              "INSERT INTO job_attempts VALUES (1, 1, 11, NULL, NULL);"
              "INSERT INTO job_events (id, job_id, ts, type, data) VALUES "
              "(7, 1, 10, 'created', NULL), (9, 1, 11, 'started', "
              "'{\"attempt\":1}');"
              "PRAGMA user_version = 1;") == 0);

    s = ngx_cweb_jstore_open(path, 0, err, sizeof(err));
    CHECK(s != NULL);
    if (s == NULL) {
        return;
    }

    CHECK(scalar(s, "PRAGMA user_version") == 4);
    CHECK(scalar(s, "SELECT count(*) FROM sqlite_master WHERE name = "
                    "'job_events' AND sql LIKE '%AUTOINCREMENT%'") == 0);
    CHECK(scalar(s, "SELECT count(*) FROM sqlite_master WHERE name = "
                    "'jobs_due'") == 0);
    CHECK(scalar(s, "SELECT count(*) FROM jobs INDEXED BY jobs_running "
                    "WHERE state = 'running'") == 1);

    /* the running attempt's start moved to its job, its row gone */
    CHECK(scalar(s, "SELECT started_at FROM jobs WHERE id = 1") == 11);
    CHECK(scalar(s, "SELECT count(*) FROM job_attempts") == 0);
    CHECK(strcmp(only_attempt(s, 1), "1 11 - -") == 0);
    CHECK(scalar(s, "SELECT count(*) FROM sqlite_master WHERE name = "
                    "'job_events_job'") == 1);
    CHECK(strcmp(types(s, 1, 0), "created,started") == 0);
    CHECK(ngx_cweb_jstore_events(s, "00000001-0000-4000-8000-000000000001",
                                 7, 10, &a, &last) == 1);
    CHECK(json_array_size(a) == 1 && last == 9);
    CHECK(str_is(json_object_get(json_array_get(a, 0), "type"), "started"));
    json_decref(a);

    /* the next event after the largest, and the job ends as before */
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_emit(s, 1, "tick", NULL, 12, &eid) == 0);
    CHECK(eid == 10);
    CHECK(ngx_cweb_jstore_finish(s, 1, "done", "1", NULL, 13, NULL, &eid)
          == 0);
    CHECK(eid == 11);
    CHECK(ngx_cweb_jstore_commit(s) == 0);
    CHECK(strcmp(types(s, 1, 0), "created,started,tick,done") == 0);

    /* the attempt it ended in is its row's (schema 4), no row of its own */
    CHECK(scalar(s, "SELECT count(*) FROM job_attempts") == 0);
    CHECK(strcmp(only_attempt(s, 1), "1 11 13 -") == 0);
    ngx_cweb_jstore_close(s);

    /* and again: nothing to migrate, the ids go on */
    s = ngx_cweb_jstore_open(path, 0, err, sizeof(err));
    CHECK(s != NULL && rscalar("SELECT max(id) FROM job_events") == 11);
    ngx_cweb_jstore_close(s);
}


static void
test_create(void)
{
    char                uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    json_t             *o, *a;
    int64_t             eid, eid2;
    ngx_cweb_jstore_t  *s;
    ngx_cweb_jnew_t     j = { uuid, "mod", "job", HASH, 3, "[1,2]",
                              100, 5000, 2 };

    s = fresh();
    uuid_of(1, uuid);

    /* a write outside a transaction is refused */
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == -1);
    CHECK(strstr(ngx_cweb_jstore_error(s), "no transaction") != NULL);

    CHECK(ngx_cweb_jstore_begin(s) == 0);
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == 0);
    CHECK(eid == 1);

    /* a failing write undoes itself only: the batch still commits */
    CHECK(ngx_cweb_jstore_create(s, &j, 11, &eid2) == -1);
    CHECK(strstr(ngx_cweb_jstore_error(s), "UNIQUE") != NULL);
    CHECK(ngx_cweb_jstore_commit(s) == 0);
    CHECK(scalar(s, "SELECT count(*) FROM jobs") == 1);
    CHECK(rscalar("SELECT count(*) FROM job_events") == 1);

    CHECK(ngx_cweb_jstore_get(s, uuid, &o) == 1);
    CHECK(str_is(json_object_get(o, "job_uuid"), uuid));
    CHECK(str_is(json_object_get(o, "state"), "pending"));
    CHECK(str_is(json_object_get(o, "module"), "mod"));
    CHECK(str_is(json_object_get(o, "module_hash"), HASH));
    CHECK(json_integer_value(json_object_get(o, "version")) == 3);
    CHECK(json_integer_value(json_object_get(o, "created_at")) == 10);
    CHECK(json_integer_value(json_object_get(o, "run_at")) == 100);
    CHECK(json_integer_value(json_object_get(o, "timeout_ms")) == 5000);
    CHECK(json_integer_value(json_object_get(o, "max_attempts")) == 2);
    CHECK(json_is_null(json_object_get(o, "result")));
    CHECK(json_is_null(json_object_get(o, "error")));
    a = json_object_get(o, "attempts");
    CHECK(json_is_array(a) && json_array_size(a) == 0);
    json_decref(o);
    CHECK(strcmp(types(s, 1, 0), "created") == 0);

    /* a rolled-back create leaves nothing */
    uuid_of(2, uuid);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == 0);
    CHECK(ngx_cweb_jstore_rollback(s) == 0);
    CHECK(ngx_cweb_jstore_get(s, uuid, &o) == 0);

    /* forms the store would not read back are refused on the way in */
    ngx_cweb_jstore_begin(s);
    j.uuid = "0000000A-0000-4000-8000-00000000000a";
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == -1);
    j.uuid = uuid;
    j.module_hash = "abc";
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == -1);
    j.module_hash = HASH;
    j.payload = "{bad";
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == -1);
    j.payload = "{}";
    j.max_attempts = 0;
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == -1);
    j.max_attempts = 1;
    j.module = "";
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == -1);
    j.module = "mod";
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == 0);
    ngx_cweb_jstore_commit(s);
    CHECK(scalar(s, "SELECT count(*) FROM jobs") == 2);

    ngx_cweb_jstore_close(s);
}


/* SQLite failing half way through a write: the batch must be rolled back */
static void
test_broken(void)
{
    char                uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    json_t             *o;
    int64_t             eid;
    ngx_cweb_jstore_t  *s;
    ngx_cweb_jnew_t     j = { uuid, "mod", "job", HASH, 3, "{}", 0, 0, 1 };

    s = fresh();
    CHECK(started(s, 1, 2, 5) == 1);

    /* a retry: its attempt's row is written, then its event's refused */
    CHECK(raw("CREATE TRIGGER no_events BEFORE INSERT ON job_event_rows "
              "BEGIN SELECT RAISE(ABORT, 'planted'); END") == 0);

    CHECK(ngx_cweb_jstore_begin(s) == 0);
    CHECK(ngx_cweb_jstore_retry(s, 1, "e", 7, 6, NULL, &eid) == -1);
    CHECK(strstr(ngx_cweb_jstore_error(s), "planted") != NULL);
    uuid_of(3, uuid);
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == -1);
    CHECK(strstr(ngx_cweb_jstore_error(s), "roll it back") != NULL);
    CHECK(ngx_cweb_jstore_commit(s) == -1);
    CHECK(ngx_cweb_jstore_rollback(s) == 0);

    /* nothing of the half write is left; the store works again */
    CHECK(strcmp(field(s, 1, "state"), "running") == 0);
    CHECK(strcmp(types(s, 1, 0), "created,started") == 0);
    CHECK(ngx_cweb_jstore_get(s, uuid, &o) == 0);
    CHECK(scalar(s, "SELECT count(*) FROM job_attempts") == 0);
    CHECK(raw("DROP TRIGGER no_events") == 0);
    CHECK(ngx_cweb_jstore_begin(s) == 0);
    CHECK(ngx_cweb_jstore_retry(s, 1, "e", 7, 6, NULL, &eid) == 0);
    CHECK(ngx_cweb_jstore_create(s, &j, 10, &eid) == 0);
    CHECK(ngx_cweb_jstore_commit(s) == 0);
    CHECK(strcmp(types(s, 1, 0), "created,started,retry") == 0);
    CHECK(scalar(s, "SELECT count(*) FROM job_attempts") == 1);
    CHECK(strcmp(types(s, 3, 0), "created") == 0);

    ngx_cweb_jstore_close(s);
}


static void
test_claim(void)
{
    int64_t             at, eid, a, b;
    json_t             *o, *att;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    s = fresh();

    CHECK(ngx_cweb_jstore_next_run_at(s, &at) == 0);

    add(s, 1, 300, 1);
    a = add(s, 2, 100, 1);
    add(s, 3, 200, 1);
    b = add(s, 4, 100, 1);

    CHECK(ngx_cweb_jstore_next_run_at(s, &at) == 1 && at == 100);
    CHECK(claim(s, 99, &c) == 0);

    /* run_at first, then the older job */
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_claim(s, 150, &c, &eid) == 1);
    CHECK(c.id == a && c.attempt == 1 && c.max_attempts == 1);
    CHECK(c.version == 3 && c.timeout_ms == 5000);
    CHECK(strcmp(c.payload, "{\"n\":1}") == 0);
    CHECK(strcmp(c.module, "mod") == 0 && strcmp(c.job, "job") == 0);
    CHECK(strcmp(c.module_hash, HASH) == 0);
    CHECK(strcmp(c.uuid, "00000002-0000-4000-8000-000000000002") == 0);
    CHECK(eid == 5);
    ngx_cweb_jstore_claim_free(&c);
    CHECK(ngx_cweb_jstore_claim(s, 150, &c, &eid) == 1 && c.id == b);
    ngx_cweb_jstore_claim_free(&c);
    CHECK(ngx_cweb_jstore_claim(s, 150, &c, &eid) == 0);
    ngx_cweb_jstore_commit(s);

    CHECK(ngx_cweb_jstore_next_run_at(s, &at) == 1 && at == 200);
    CHECK(strcmp(field(s, 2, "state"), "running") == 0);
    CHECK(field_int(s, 2, "updated_at") == 150);
    CHECK(strcmp(types(s, 2, 0), "created,started") == 0);

    CHECK(ngx_cweb_jstore_get(s, "00000002-0000-4000-8000-000000000002",
                              &o) == 1);
    att = json_array_get(json_object_get(o, "attempts"), 0);
    CHECK(json_integer_value(json_object_get(att, "attempt")) == 1);
    CHECK(json_integer_value(json_object_get(att, "started_at")) == 150);
    CHECK(json_is_null(json_object_get(att, "ended_at")));
    json_decref(o);

    /* a running attempt has no row until it ends: its start is the job's */
    CHECK(scalar(s, "SELECT count(*) FROM job_attempts") == 0);
    CHECK(scalar(s, "SELECT started_at FROM jobs WHERE id = 2") == 150);

    /* a row of it would be damage */
    CHECK(raw("INSERT INTO job_attempts VALUES (2, 1, 150, NULL, NULL)")
          == 0);
    CHECK(ngx_cweb_jstore_get(s, "00000002-0000-4000-8000-000000000002",
                              &o) == -1 && o == NULL);
    CHECK(strstr(ngx_cweb_jstore_error(s), "damaged") != NULL);
    CHECK(raw("DELETE FROM job_attempts") == 0);

    /* an earlier run_at goes first, whatever the job's age */
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_claim(s, 1000, &c, &eid) == 1 && c.id == 3);
    ngx_cweb_jstore_claim_free(&c);
    CHECK(ngx_cweb_jstore_claim(s, 1000, &c, &eid) == 1 && c.id == 1);
    ngx_cweb_jstore_claim_free(&c);
    ngx_cweb_jstore_commit(s);
    CHECK(claim(s, 1000, &c) == 0);
    CHECK(ngx_cweb_jstore_next_run_at(s, &at) == 0);

    ngx_cweb_jstore_close(s);
}


/* a job claimed at its creation: as a claim would have left it */
static void
test_create_claimed(void)
{
    char                uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    int64_t             eid, sid, at;
    json_t             *o, *att;
    ngx_cweb_jclaim_t   c, d;
    ngx_cweb_jstore_t  *s;
    ngx_cweb_jnew_t     j = { uuid, "mod", "job", HASH, 3, "{\"n\":1}",
                              50, 5000, 2 };

    s = fresh();

    uuid_of(1, uuid);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_create_claimed(s, &j, 60, &eid, &c, &sid) == 0);
    CHECK(c.id == 1 && c.attempt == 1 && c.max_attempts == 2);
    CHECK(c.version == 3 && c.timeout_ms == 5000);
    CHECK(strcmp(c.payload, "{\"n\":1}") == 0);
    CHECK(strcmp(c.module, "mod") == 0 && strcmp(c.job, "job") == 0);
    CHECK(strcmp(c.module_hash, HASH) == 0 && strcmp(c.uuid, uuid) == 0);
    CHECK(eid == 1 && sid == 2);
    ngx_cweb_jstore_claim_free(&c);
    CHECK(ngx_cweb_jstore_commit(s) == 0);

    CHECK(strcmp(field(s, 1, "state"), "running") == 0);
    CHECK(scalar(s, "SELECT attempts FROM jobs WHERE id = 1") == 1);
    CHECK(strcmp(types(s, 1, 0), "created,started") == 0);
    CHECK(ngx_cweb_jstore_get(s, uuid, &o) == 1);
    att = json_array_get(json_object_get(o, "attempts"), 0);
    CHECK(json_array_size(json_object_get(o, "attempts")) == 1);
    CHECK(json_integer_value(json_object_get(att, "started_at")) == 60);
    json_decref(o);
    CHECK(claim(s, 1000, &d) == 0);
    CHECK(ngx_cweb_jstore_next_run_at(s, &at) == 0);

    /* it ends as a claimed job does */
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_finish(s, 1, "done", "7", NULL, 70, NULL, &eid)
          == 0);
    ngx_cweb_jstore_commit(s);
    CHECK(strcmp(types(s, 1, 0), "created,started,done") == 0);

    /* an older job due goes first: this one is pending, not claimed */
    add(s, 2, 0, 1);
    uuid_of(3, uuid);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_create_claimed(s, &j, 60, &eid, &c, &sid) == 0);
    CHECK(c.id == 0 && c.payload == NULL);
    ngx_cweb_jstore_commit(s);
    CHECK(strcmp(field(s, 3, "state"), "pending") == 0);
    CHECK(strcmp(types(s, 3, 0), "created") == 0);
    CHECK(claim(s, 1000, &d) == 1 && d.id == 2);
    CHECK(claim(s, 1000, &d) == 1 && d.id == 3);

    /* one not due yet is pending; one due later than now does not count */
    add(s, 4, 500, 1);
    uuid_of(5, uuid);
    j.run_at = 100;
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_create_claimed(s, &j, 60, &eid, &c, &sid) == 0);
    CHECK(c.id == 0);
    ngx_cweb_jstore_commit(s);
    CHECK(strcmp(field(s, 5, "state"), "pending") == 0);
    uuid_of(6, uuid);
    j.run_at = 60;
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_create_claimed(s, &j, 60, &eid, &c, &sid) == 0);
    CHECK(c.id == 6);
    ngx_cweb_jstore_claim_free(&c);
    ngx_cweb_jstore_commit(s);
    CHECK(strcmp(field(s, 6, "state"), "running") == 0);

    /* checked as a create is: nothing written */
    uuid_of(7, uuid);
    j.payload = "{not json";
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_create_claimed(s, &j, 60, &eid, &c, &sid) == -1);
    CHECK(c.payload == NULL);
    CHECK(ngx_cweb_jstore_commit(s) == 0);
    CHECK(scalar(s, "SELECT count(*) FROM jobs") == 6);

    ngx_cweb_jstore_close(s);
}


static void
test_finish(void)
{
    char                state[16];
    json_t             *o, *att, *ev;
    int64_t             eid, last, id;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    s = fresh();
    id = add(s, 1, 0, 1);
    add(s, 2, 0, 1);
    claim(s, 5, &c);
    claim(s, 5, &c);

    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_finish(s, id, "bogus", NULL, NULL, 7, state, &eid)
          == -1);
    CHECK(ngx_cweb_jstore_finish(s, id, "done", "{oops", NULL, 7, state,
                                 &eid) == -1);
    CHECK(ngx_cweb_jstore_finish(s, id, "done", "{\"sum\":3}", NULL, 7,
                                 state, &eid) == 0);
    CHECK(strcmp(state, "done") == 0);
    CHECK(ngx_cweb_jstore_finish(s, id, "done", NULL, NULL, 8, state, &eid)
          == -1);
    CHECK(strstr(ngx_cweb_jstore_error(s), "not running") != NULL);
    CHECK(ngx_cweb_jstore_finish(s, 999, "done", NULL, NULL, 8, state, &eid)
          == -1);
    CHECK(ngx_cweb_jstore_finish(s, id + 1, "failed", NULL, "boom", 9,
                                 state, &eid) == 0);
    CHECK(strcmp(state, "failed") == 0);
    ngx_cweb_jstore_commit(s);

    CHECK(ngx_cweb_jstore_get(s, "00000001-0000-4000-8000-000000000001",
                              &o) == 1);
    CHECK(str_is(json_object_get(o, "state"), "done"));
    CHECK(json_integer_value(json_object_get(json_object_get(o, "result"),
                                             "sum")) == 3);
    att = json_array_get(json_object_get(o, "attempts"), 0);
    CHECK(json_integer_value(json_object_get(att, "ended_at")) == 7);
    CHECK(json_is_null(json_object_get(att, "error")));
    json_decref(o);

    CHECK(strcmp(types(s, 1, 0), "created,started,done") == 0);
    CHECK(ngx_cweb_jstore_events(s, "00000001-0000-4000-8000-000000000001",
                                 0, 10, &o, &last) == 1);
    ev = json_array_get(o, 2);
    CHECK(json_integer_value(json_object_get(json_object_get(ev, "data"),
                                             "sum")) == 3);
    CHECK(json_integer_value(json_object_get(ev, "ts")) == 7);
    json_decref(o);

    CHECK(strcmp(field(s, 2, "state"), "failed") == 0);
    CHECK(strcmp(field(s, 2, "error"), "boom") == 0);
    CHECK(ngx_cweb_jstore_events(s, "00000002-0000-4000-8000-000000000002",
                                 0, 10, &o, &last) == 1);
    ev = json_array_get(o, 2);
    CHECK(str_is(json_object_get(json_object_get(ev, "data"), "error"),
                 "boom"));
    json_decref(o);

    ngx_cweb_jstore_close(s);
}


/* the attempts of job n, as "attempt:started:ended:error;..." */
static const char *
attempts_of(ngx_cweb_jstore_t *s, int n)
{
    char         uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    json_t      *o, *a;
    size_t       i;
    const char  *e;

    static char  buf[256];

    uuid_of(n, uuid);
    buf[0] = '\0';

    if (ngx_cweb_jstore_get(s, uuid, &o) != 1) {
        return "(error)";
    }

    json_array_foreach(json_object_get(o, "attempts"), i, a) {
        e = json_string_value(json_object_get(a, "error"));
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
                 "%s%lld:%lld:%lld:%s", i ? ";" : "",
                 (long long) json_integer_value(json_object_get(a, "attempt")),
                 (long long) json_integer_value(json_object_get(a,
                                                "started_at")),
                 (long long) json_integer_value(json_object_get(a,
                                                "ended_at")),
                 e ? e : "-");
    }

    json_decref(o);

    return buf;
}


/*
 * finish_run(): with its claim's attempt and start, the same outcomes as
 * finish(); the row not read while it is as the claim left it, read (and
 * its word taken) when it is not
 */
static void
test_finish_run(void)
{
    char                state[16];
    int64_t             eid, id[6];
    ngx_cweb_jclaim_t   c[6];
    ngx_cweb_jstore_t  *s;
    int                 n;

    s = fresh();

    for (n = 0; n < 6; n++) {
        id[n] = add(s, n + 1, 0, 2);
    }

    ngx_cweb_jstore_begin(s);

    for (n = 0; n < 6; n++) {
        CHECK(ngx_cweb_jstore_claim(s, 20 + n, &c[n], &eid) == 1);
        CHECK(c[n].id == id[n] && c[n].attempt == 1
              && c[n].started_at == 20 + n);
        ngx_cweb_jstore_claim_free(&c[n]);
    }

    ngx_cweb_jstore_commit(s);

    /* as claimed: done, its attempt from the claim, its event */
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_finish_run(s, id[0], 1, 20, "done", "{\"v\":1}",
                                     NULL, 30, state, &eid) == 0);
    CHECK(strcmp(state, "done") == 0 && eid > 0);
    CHECK(ngx_cweb_jstore_finish_run(s, id[1], 1, 21, "failed", NULL,
                                     "boom", 31, state, &eid) == 0);
    CHECK(strcmp(state, "failed") == 0);

    /* the refusals of finish() */
    CHECK(ngx_cweb_jstore_finish_run(s, id[2], 1, 22, "bogus", NULL, NULL,
                                     32, state, &eid) == -1);
    CHECK(ngx_cweb_jstore_finish_run(s, id[2], 1, 22, "done", "{oops",
                                     NULL, 32, state, &eid) == -1);

    /* its cancel requested: canceled, its result dropped */
    CHECK(ngx_cweb_jstore_cancel(s, "00000003-0000-4000-8000-000000000003",
                                 32, state, &eid) == 0);
    CHECK(ngx_cweb_jstore_finish_run(s, id[2], 1, 22, "done", "7", NULL, 33,
                                     state, &eid) == 0);
    CHECK(strcmp(state, "canceled") == 0);

    /* finished already, or unknown: refused as by finish() */
    CHECK(ngx_cweb_jstore_finish_run(s, id[0], 1, 20, "done", NULL, NULL,
                                     34, state, &eid) == -1);
    CHECK(strstr(ngx_cweb_jstore_error(s), "not running") != NULL);
    CHECK(ngx_cweb_jstore_finish_run(s, 999, 1, 20, "done", NULL, NULL, 34,
                                     state, &eid) == -1);
    CHECK(ngx_cweb_jstore_commit(s) == 0);

    /* a claim that is not the row's (another attempt, another start) */
    CHECK(raw("UPDATE jobs SET attempts = 2 WHERE id = 4") == 0);
    CHECK(raw("UPDATE jobs SET started_at = 41 WHERE id = 5") == 0);
    CHECK(raw("UPDATE jobs SET attempts = 'one' WHERE id = 6") == 0);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_finish_run(s, id[3], 1, 23, "done", NULL, NULL,
                                     50, state, &eid) == 0);
    CHECK(strcmp(state, "done") == 0);
    CHECK(ngx_cweb_jstore_finish_run(s, id[4], 1, 24, "done", NULL, NULL,
                                     51, state, &eid) == 0);
    CHECK(ngx_cweb_jstore_finish_run(s, id[5], 1, 25, "done", NULL, NULL,
                                     52, state, &eid) == -1);
    CHECK(strstr(ngx_cweb_jstore_error(s), "damaged") != NULL);
    ngx_cweb_jstore_rollback(s);

    CHECK(strcmp(field(s, 1, "state"), "done") == 0);
    CHECK(strcmp(attempts_of(s, 1), "1:20:30:-") == 0);
    CHECK(strcmp(types(s, 1, 0), "created,started,done") == 0);
    CHECK(strcmp(field(s, 2, "state"), "failed") == 0);
    CHECK(strcmp(attempts_of(s, 2), "1:21:31:boom") == 0);
    CHECK(strcmp(field(s, 3, "state"), "canceled") == 0);
    CHECK(scalar(s, "SELECT result IS NULL FROM jobs WHERE id = 3") == 1);
    CHECK(strcmp(attempts_of(s, 3), "1:22:33:-") == 0);

    /* rolled back with the damaged one: the other two again, committed */
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_finish_run(s, id[3], 1, 23, "done", NULL, NULL,
                                     50, state, &eid) == 0);
    CHECK(ngx_cweb_jstore_finish_run(s, id[4], 1, 24, "done", NULL, NULL,
                                     51, state, &eid) == 0);
    CHECK(ngx_cweb_jstore_commit(s) == 0);

    /* the row's word: its attempt 2, its start 41 */
    CHECK(strcmp(attempts_of(s, 4), "2:23:50:-") == 0);
    CHECK(strcmp(attempts_of(s, 5), "1:41:51:-") == 0);

    ngx_cweb_jstore_close(s);
}


static void
test_emit(void)
{
    int64_t             eid, eid2, id, id2;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    s = fresh();
    id = add(s, 1, 0, 1);
    id2 = add(s, 2, 0, 1);
    claim(s, 5, &c);

    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_emit(s, id, "progress", "{\"pct\":50}", 6, &eid)
          == 0);
    CHECK(ngx_cweb_jstore_emit(s, id, "log.line", NULL, 6, &eid2) == 0);
    CHECK(eid2 == eid + 1);

    CHECK(ngx_cweb_jstore_emit(s, id2, "progress", NULL, 6, &eid) == -1);
    CHECK(strstr(ngx_cweb_jstore_error(s), "not running") != NULL);
    CHECK(ngx_cweb_jstore_emit(s, id, "done", NULL, 6, &eid) == -1);
    CHECK(ngx_cweb_jstore_emit(s, id, "retry", NULL, 6, &eid) == -1);
    CHECK(ngx_cweb_jstore_emit(s, id, "bad type", NULL, 6, &eid) == -1);
    CHECK(ngx_cweb_jstore_emit(s, id, "", NULL, 6, &eid) == -1);
    CHECK(ngx_cweb_jstore_emit(s, id, "x", "{nope", 6, &eid) == -1);
    CHECK(ngx_cweb_jstore_finish(s, id, "done", NULL, NULL, 7, NULL, &eid)
          == 0);
    CHECK(ngx_cweb_jstore_emit(s, id, "late", NULL, 8, &eid) == -1);
    ngx_cweb_jstore_commit(s);

    CHECK(strcmp(types(s, 1, 0), "created,started,progress,log.line,done")
          == 0);
    CHECK(strcmp(types(s, 2, 0), "created") == 0);

    ngx_cweb_jstore_close(s);
}


static void
test_cancel(void)
{
    char                state[16];
    int64_t             eid, id;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    s = fresh();
    add(s, 1, 0, 1);
    id = add(s, 2, 0, 1);
    add(s, 3, 0, 1);
    claim(s, 5, &c);
    claim(s, 5, &c);
    add(s, 4, 0, 1);

    ngx_cweb_jstore_begin(s);

    /* pending: at once */
    CHECK(ngx_cweb_jstore_cancel(s, "00000004-0000-4000-8000-000000000004",
                                 20, state, &eid) == 0);
    CHECK(strcmp(state, "canceled") == 0 && eid > 0);

    /* running: requested; the job's own ending is overruled */
    CHECK(ngx_cweb_jstore_cancel(s, "00000002-0000-4000-8000-000000000002",
                                 21, state, &eid) == 0);
    CHECK(strcmp(state, "running") == 0 && eid == 0);
    CHECK(ngx_cweb_jstore_cancel(s, "00000002-0000-4000-8000-000000000002",
                                 22, state, &eid) == 0);
    CHECK(strcmp(state, "running") == 0);
    CHECK(scalar(s, "SELECT cancel_requested FROM jobs WHERE id = 2") == 1);
    CHECK(ngx_cweb_jstore_finish(s, id, "done", "42", NULL, 23, state,
                                 &eid) == 0);
    CHECK(strcmp(state, "canceled") == 0);

    /* finished: nothing changes */
    CHECK(ngx_cweb_jstore_cancel(s, "00000002-0000-4000-8000-000000000002",
                                 24, state, &eid) == 0);
    CHECK(strcmp(state, "canceled") == 0 && eid == 0);

    /* unknown */
    CHECK(ngx_cweb_jstore_cancel(s, "00000009-0000-4000-8000-000000000009",
                                 24, state, &eid) == 0);
    CHECK(state[0] == '\0' && eid == 0);
    ngx_cweb_jstore_commit(s);

    CHECK(strcmp(field(s, 4, "state"), "canceled") == 0);
    CHECK(strcmp(types(s, 4, 0), "created,canceled") == 0);
    CHECK(claim(s, 100, &c) == 1 && strcmp(field(s, 3, "state"), "running")
          == 0);
    CHECK(claim(s, 100, &c) == 0);

    CHECK(strcmp(field(s, 2, "state"), "canceled") == 0);
    CHECK(strcmp(field(s, 1, "state"), "running") == 0);
    CHECK(field_int(s, 2, "updated_at") == 23);
    CHECK(scalar(s, "SELECT result IS NULL FROM jobs WHERE id = 2") == 1);
    CHECK(strcmp(types(s, 2, 0), "created,started,canceled") == 0);

    ngx_cweb_jstore_close(s);
}


static void
test_retry(void)
{
    char                state[16];
    json_t             *o, *a;
    int64_t             eid, id, last;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    s = fresh();
    id = started(s, 1, 3, 10);

    /* attempt 1 of 3 failed: again at 1000 */
    ngx_cweb_jstore_begin(s);
    CHECK(id > 0
          && ngx_cweb_jstore_retry(s, id, "e1", 1000, 11, state, &eid) == 0);
    CHECK(strcmp(state, "pending") == 0);
    CHECK(ngx_cweb_jstore_retry(s, id, "again", 1000, 11, state, &eid)
          == -1);
    ngx_cweb_jstore_commit(s);

    CHECK(ngx_cweb_jstore_events(s, "00000001-0000-4000-8000-000000000001",
                                 2, 10, &o, &last) == 1);
    CHECK(json_array_size(o) == 1);
    a = json_object_get(json_array_get(o, 0), "data");
    CHECK(str_is(json_object_get(a, "error"), "e1"));
    CHECK(json_integer_value(json_object_get(a, "attempt")) == 1);
    CHECK(json_integer_value(json_object_get(a, "run_at")) == 1000);
    json_decref(o);

    CHECK(strcmp(field(s, 1, "error"), "e1") == 0);
    CHECK(field_int(s, 1, "run_at") == 1000);
    CHECK(claim(s, 999, &c) == 0);

    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_claim(s, 1000, &c, &eid) == 1 && c.attempt == 2);
    ngx_cweb_jstore_claim_free(&c);
    CHECK(ngx_cweb_jstore_retry(s, id, "e2", 2000, 1001, state, &eid) == 0);
    CHECK(ngx_cweb_jstore_claim(s, 2000, &c, &eid) == 1 && c.attempt == 3);
    ngx_cweb_jstore_claim_free(&c);
    CHECK(ngx_cweb_jstore_retry(s, id, "e3", 3000, 2001, state, &eid) == 0);
    CHECK(strcmp(state, "failed") == 0);
    ngx_cweb_jstore_commit(s);

    CHECK(strcmp(field(s, 1, "state"), "failed") == 0);
    CHECK(strcmp(field(s, 1, "error"), "e3") == 0);
    CHECK(strcmp(types(s, 1, 0), "created,started,retry,started,retry,"
                                 "started,failed") == 0);

    CHECK(ngx_cweb_jstore_get(s, "00000001-0000-4000-8000-000000000001",
                              &o) == 1);
    a = json_object_get(o, "attempts");
    CHECK(json_array_size(a) == 3);
    CHECK(str_is(json_object_get(json_array_get(a, 1), "error"), "e2"));
    CHECK(json_integer_value(json_object_get(json_array_get(a, 2),
                                             "ended_at")) == 2001);
    json_decref(o);

    /* a retry of a job whose cancel was requested ends it canceled */
    id = add(s, 2, 0, 5);
    claim(s, 10, &c);
    ngx_cweb_jstore_begin(s);
    ngx_cweb_jstore_cancel(s, "00000002-0000-4000-8000-000000000002", 11,
                           state, &eid);
    CHECK(ngx_cweb_jstore_retry(s, id, "x", 20, 12, state, &eid) == 0);
    CHECK(strcmp(state, "canceled") == 0);
    ngx_cweb_jstore_commit(s);
    CHECK(strcmp(field(s, 2, "state"), "canceled") == 0);

    ngx_cweb_jstore_close(s);
}


/* the job's error is the one it ended with; the attempts keep theirs */
static void
test_retry_done(void)
{
    json_t             *o;
    int64_t             eid, id;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    s = fresh();
    id = started(s, 1, 2, 10);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_retry(s, id, "flaky", 20, 11, NULL, &eid) == 0);
    CHECK(ngx_cweb_jstore_claim(s, 20, &c, &eid) == 1 && c.attempt == 2);
    ngx_cweb_jstore_claim_free(&c);
    CHECK(ngx_cweb_jstore_finish(s, id, "done", "true", NULL, 21, NULL,
                                 &eid) == 0);
    ngx_cweb_jstore_commit(s);

    CHECK(ngx_cweb_jstore_get(s, "00000001-0000-4000-8000-000000000001",
                              &o) == 1);
    CHECK(json_is_null(json_object_get(o, "error")));
    CHECK(json_is_true(json_object_get(o, "result")));
    CHECK(str_is(json_object_get(json_array_get(
                 json_object_get(o, "attempts"), 0), "error"), "flaky"));
    json_decref(o);

    ngx_cweb_jstore_close(s);
}


static void
test_requeue(void)
{
    char                state[16];
    json_t             *o;
    int64_t             eid, id, last;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    s = fresh();
    id = started(s, 1, 1, 60);
    CHECK(id > 0);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_requeue(s, id, 61, &eid) == 0);
    CHECK(ngx_cweb_jstore_requeue(s, id, 62, &eid) == -1);
    ngx_cweb_jstore_commit(s);

    CHECK(strcmp(field(s, 1, "state"), "pending") == 0);
    CHECK(field_int(s, 1, "run_at") == 0);
    CHECK(ngx_cweb_jstore_get(s, "00000001-0000-4000-8000-000000000001",
                              &o) == 1);
    CHECK(json_array_size(json_object_get(o, "attempts")) == 0);
    json_decref(o);
    CHECK(ngx_cweb_jstore_events(s, "00000001-0000-4000-8000-000000000001",
                                 2, 10, &o, &last) == 1);
    CHECK(json_is_true(json_object_get(json_object_get(json_array_get(o, 0),
                                       "data"), "interrupted")));
    json_decref(o);

    /* the attempt was not counted: one of one is still left */
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_claim(s, 70, &c, &eid) == 1 && c.attempt == 1);
    ngx_cweb_jstore_claim_free(&c);
    ngx_cweb_jstore_cancel(s, "00000001-0000-4000-8000-000000000001", 71,
                           state, &eid);
    CHECK(ngx_cweb_jstore_requeue(s, id, 72, &eid) == 0);
    ngx_cweb_jstore_commit(s);

    CHECK(strcmp(field(s, 1, "state"), "canceled") == 0);
    CHECK(strcmp(types(s, 1, 0), "created,started,retry,started,canceled")
          == 0);

    ngx_cweb_jstore_close(s);
}


static void
hear(void *data, const char *uuid, int64_t event_id, int64_t ts,
    const char *type, const char *data_json)
{
    (void) data;
    (void) data_json;

    if (heard < 8 && strlen(uuid) == 36 && event_id > 0 && ts == 500) {
        snprintf(heard_types[heard++], 16, "%s", type);
    }
}


/* the crash the helper recorded for job 3 */
static const char *
why_crashed(void *data, int64_t job_id)
{
    (void) data;

    return job_id == 3 ? "crashed: signal 11" : NULL;
}


static void
test_recover(void)
{
    char                state[16];
    int64_t             eid, id3;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    CHECK(ngx_cweb_jstore_backoff(100, 1) == 100);
    CHECK(ngx_cweb_jstore_backoff(100, 2) == 200);
    CHECK(ngx_cweb_jstore_backoff(100, 4) == 800);
    CHECK(ngx_cweb_jstore_backoff(100, 1000) == 100LL << 20);
    CHECK(ngx_cweb_jstore_backoff(INT64_MAX / 2, 5) > 0);
    CHECK(ngx_cweb_jstore_backoff(0, 3) == 0);

    s = fresh();
    add(s, 1, 0, 1);
    add(s, 2, 0, 3);
    id3 = add(s, 3, 0, 2);
    add(s, 4, 0, 1);

    claim(s, 10, &c);
    claim(s, 10, &c);
    claim(s, 10, &c);
    ngx_cweb_jstore_begin(s);
    ngx_cweb_jstore_retry(s, id3, "first", 0, 11, state, &eid);
    ngx_cweb_jstore_commit(s);
    claim(s, 12, &c);

    /* 1, 2 and 3 running (3 on its last attempt), 4 pending */
    CHECK(ngx_cweb_jstore_recover(s, 500, 100, NULL, hear, NULL) == -1);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_recover(s, 500, 100, why_crashed, hear, NULL)
          == 3);
    ngx_cweb_jstore_commit(s);

    CHECK(heard == 3);
    CHECK(strcmp(heard_types[0], "failed") == 0);
    CHECK(strcmp(heard_types[1], "retry") == 0);
    CHECK(strcmp(heard_types[2], "failed") == 0);

    CHECK(strcmp(field(s, 1, "state"), "failed") == 0);
    CHECK(strcmp(field(s, 1, "error"), NGX_CWEB_JSTORE_INTERRUPTED) == 0);
    CHECK(strcmp(field(s, 3, "error"), "crashed: signal 11") == 0);
    CHECK(strcmp(field(s, 2, "state"), "pending") == 0);
    CHECK(field_int(s, 2, "run_at") == 600);
    CHECK(strcmp(field(s, 3, "state"), "failed") == 0);
    CHECK(strcmp(field(s, 4, "state"), "pending") == 0);

    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_recover(s, 600, 100, NULL, NULL, NULL) == 0);
    ngx_cweb_jstore_commit(s);

    ngx_cweb_jstore_close(s);
}


/*
 * an event emitted with data, its text as kept and as read back: 0 the
 * same, 1 different, -1 either missing or not starting as composed
 */
static int
kept_read(ngx_cweb_jstore_t *s, int64_t job, const char *data)
{
    int      rc;
    char    *kept, *read;
    int64_t  eid;

    eid = 0;
    ngx_cweb_jstore_begin(s);
    rc = ngx_cweb_jstore_emit(s, job, "a.b:c-d_e", data, 10, &eid);
    ngx_cweb_jstore_commit(s);

    kept = ngx_cweb_jstore_event_get(s, "00000001-0000-4000-8000-000000000001",
                                     eid);
    s->last_id = 0;
    read = ngx_cweb_jstore_event_get(s, "00000001-0000-4000-8000-000000000001",
                                     eid);

    if (rc != 0 || kept == NULL || read == NULL
        || strncmp(kept, "{\"job_uuid\":\"00000001-0000-4000-8000-"
                   "000000000001\",\"event_id\":", 62) != 0)
    {
        rc = -1;

    } else {
        rc = (strcmp(kept, read) != 0);
    }

    free(kept);
    free(read);

    return rc;
}


static void
test_events(void)
{
    json_t             *a, *e;
    size_t              i;
    int64_t             eid, last, prev, id1, id2;
    ngx_cweb_jstore_t  *s;

    s = fresh();
    id1 = started(s, 1, 1, 5);
    id2 = started(s, 2, 1, 5);

    /* the two jobs' events interleave in one sequence */
    ngx_cweb_jstore_begin(s);
    for (i = 0; i < 5; i++) {
        CHECK(ngx_cweb_jstore_emit(s, id1, "tick", "1", 6, &eid) == 0);
        CHECK(eid == (int64_t) (5 + 2 * i));
        CHECK(ngx_cweb_jstore_emit(s, id2, "tick", "2", 6, &eid) == 0);
        CHECK(eid == (int64_t) (6 + 2 * i));
    }
    ngx_cweb_jstore_commit(s);

    CHECK(ngx_cweb_jstore_events(s, "00000001-0000-4000-8000-000000000001",
                                 0, 100, &a, &last) == 1);
    CHECK(json_array_size(a) == 7);
    prev = 0;
    json_array_foreach(a, i, e) {
        CHECK(json_integer_value(json_object_get(e, "event_id")) > prev);
        prev = json_integer_value(json_object_get(e, "event_id"));
        CHECK(str_is(json_object_get(e, "job_uuid"),
                     "00000001-0000-4000-8000-000000000001"));
    }
    CHECK(last == prev && last == 13);
    e = json_array_get(a, 2);
    CHECK(json_integer_value(json_object_get(e, "data")) == 1);

    /* one event by its id is the same as in the page */
    {
        json_t  *one;

        one = got(ngx_cweb_jstore_event_get(s,
                  "00000001-0000-4000-8000-000000000001",
                  json_integer_value(json_object_get(e, "event_id"))));
        CHECK(one != NULL && json_equal(one, e));
        json_decref(one);
        CHECK(ngx_cweb_jstore_event_get(s,
                  "00000001-0000-4000-8000-000000000001", 9999) == NULL);
    }


    json_decref(a);

    /* since = the last id: nothing, and the position stays */
    CHECK(ngx_cweb_jstore_events(s, "00000001-0000-4000-8000-000000000001",
                                 13, 100, &a, &last) == 1);
    CHECK(json_array_size(a) == 0 && last == 13);
    json_decref(a);

    /* since in the middle (an id of the other job), and a limit */
    CHECK(ngx_cweb_jstore_events(s, "00000001-0000-4000-8000-000000000001",
                                 6, 2, &a, &last) == 1);
    CHECK(json_array_size(a) == 2 && last == 9);
    CHECK(json_integer_value(json_object_get(json_array_get(a, 0),
                                             "event_id")) == 7);
    json_decref(a);

    CHECK(ngx_cweb_jstore_events(s, "00000009-0000-4000-8000-000000000009",
                                 0, 100, &a, &last) == 0);
    CHECK(a == NULL && last == 0);
    CHECK(ngx_cweb_jstore_events(s, "not-a-uuid", 0, 100, &a, &last) == 0);

    /* ids are never reused, even after the newest event is gone */
    CHECK(raw("DELETE FROM job_event_rows WHERE id = 14") == 0);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_emit(s, id1, "tick", NULL, 7, &eid) == 0);
    ngx_cweb_jstore_commit(s);
    CHECK(eid == 15);

    /* nor one rolled back */
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_emit(s, id1, "tick", NULL, 7, &eid) == 0);
    CHECK(eid == 16);
    ngx_cweb_jstore_rollback(s);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_emit(s, id1, "tick", NULL, 7, &eid) == 0);
    ngx_cweb_jstore_commit(s);
    CHECK(eid == 17);

    /*
     * a row another connection wrote with the next id is stepped over,
     * and so is the rest of the block reserved, which it may be writing
     */
    CHECK(raw("INSERT INTO job_event_rows (id, job_id, ts, type, data) "
              "VALUES (18, 99, 1, 'x', NULL), (20, 99, 1, 'x', NULL)") == 0);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_emit(s, id1, "tick", NULL, 7, &eid) == 0);
    CHECK(ngx_cweb_jstore_commit(s) == 0);
    CHECK(eid > 20 && eid == scalar(s, "SELECT max(id) FROM job_event_rows"));
    CHECK(raw("DELETE FROM job_event_rows WHERE job_id = 99") == 0);

    e = ngx_cweb_jstore_event_json("00000001-0000-4000-8000-000000000001",
                                   3, 4, "x", "{\"a\":[1]}");
    CHECK(e != NULL && json_object_size(e) == 5);
    CHECK(json_integer_value(json_object_get(e, "event_id")) == 3);
    CHECK(json_integer_value(json_object_get(e, "ts")) == 4);
    CHECK(str_is(json_object_get(e, "type"), "x"));
    CHECK(json_is_array(json_object_get(json_object_get(e, "data"), "a")));
    json_decref(e);
    e = ngx_cweb_jstore_event_json("00000001-0000-4000-8000-000000000001",
                                   3, 4, "x", NULL);
    CHECK(e != NULL && json_is_null(json_object_get(e, "data")));
    json_decref(e);
    CHECK(ngx_cweb_jstore_event_json("u", 3, 4, "x", "{bad") == NULL);

    /*
     * the last event inserted is known without a read, and the same as
     * read back; one rolled back is not known at all
     */
    {
        json_t  *kept, *read;

        ngx_cweb_jstore_begin(s);
        CHECK(ngx_cweb_jstore_emit(s, id1, "note", "{\"k\":[1,\"x\"]}", 7,
                                   &eid) == 0);
        CHECK(ngx_cweb_jstore_emit(s, id1, "bare", NULL, 8, &prev) == 0);
        ngx_cweb_jstore_commit(s);

        kept = got(ngx_cweb_jstore_event_get(s,
                   "00000001-0000-4000-8000-000000000001", prev));
        read = got(ngx_cweb_jstore_event_get(s,
                   "00000001-0000-4000-8000-000000000001", eid));
        CHECK(kept && json_is_null(json_object_get(kept, "data"))
              && str_is(json_object_get(kept, "type"), "bare")
              && json_integer_value(json_object_get(kept, "ts")) == 8);
        CHECK(read && str_is(json_object_get(read, "type"), "note")
              && json_is_array(json_object_get(
                     json_object_get(read, "data"), "k")));
        json_decref(kept);
        json_decref(read);

        /* the older one again (a read), then the newer from the row */
        ngx_cweb_jstore_begin(s);
        CHECK(ngx_cweb_jstore_emit(s, id1, "gone", "3", 9, &eid) == 0);
        CHECK(ngx_cweb_jstore_rollback(s) == 0);
        CHECK(ngx_cweb_jstore_event_get(s,
                  "00000001-0000-4000-8000-000000000001", eid) == NULL);
        kept = got(ngx_cweb_jstore_event_get(s,
                   "00000001-0000-4000-8000-000000000001", prev));
        CHECK(kept && json_is_null(json_object_get(kept, "data"))
              && str_is(json_object_get(kept, "type"), "bare"));
        json_decref(kept);
    }

    /*
     * the text of the one kept is composed, of the one read back dumped
     * by jansson: the same bytes for compact data (not for \u00e9)
     */
    {
        char  *kept;

        CHECK(kept_read(s, id1, "{\"k\":[1,\"x\\n\\u00e9\"],\"f\":0.5}")
              == 1);
        CHECK(kept_read(s, id1, "{\"k\":[1,\"x\\n\xc3\xa9\"],\"f\":0.5}")
              == 0);

        kept = ngx_cweb_jstore_event_text("u", 3, -4, "t", NULL);
        CHECK(kept && strcmp(kept, "{\"job_uuid\":\"u\",\"event_id\":3,"
                             "\"ts\":-4,\"type\":\"t\",\"data\":null}") == 0);
        free(kept);

        /* the numbers composed by hand, to their ends */
        kept = ngx_cweb_jstore_event_text("u", INT64_MAX, INT64_MIN, "t",
                                          "[0]");
        CHECK(kept && strcmp(kept, "{\"job_uuid\":\"u\",\"event_id\":"
                             "9223372036854775807,\"ts\":"
                             "-9223372036854775808,\"type\":\"t\","
                             "\"data\":[0]}") == 0);
        free(kept);
        kept = ngx_cweb_jstore_event_text("", 0, 10, "", "{}");
        CHECK(kept && strcmp(kept, "{\"job_uuid\":\"\",\"event_id\":0,"
                             "\"ts\":10,\"type\":\"\",\"data\":{}}") == 0);
        free(kept);
    }

    ngx_cweb_jstore_close(s);
}


static void
test_list(void)
{
    int                 n;
    char                state[16];
    json_t             *a;
    int64_t             eid;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    static const char  *states[] = {
        "pending", "running", "done", "failed", "canceled"
    };
    static const char  *uuids[] = {
        "00000005-0000-4000-8000-000000000005", NULL,
        "00000001-0000-4000-8000-000000000001",
        "00000002-0000-4000-8000-000000000002",
        "00000003-0000-4000-8000-000000000003"
    };

    s = fresh();

    a = ngx_cweb_jstore_list(s, NULL, 10);
    CHECK(a != NULL && json_array_size(a) == 0);
    json_decref(a);

    for (n = 1; n <= 5; n++) {
        add(s, n, 0, 1);
    }
    claim(s, 1, &c);
    claim(s, 1, &c);

    a = ngx_cweb_jstore_list(s, NULL, 10);
    CHECK(json_array_size(a) == 5);
    CHECK(str_is(json_object_get(json_array_get(a, 0),
                 "job_uuid"), "00000005-0000-4000-8000-000000000005"));
    CHECK(json_object_get(json_array_get(a, 0), "attempts") == NULL);
    CHECK(json_object_get(json_array_get(a, 0), "module_hash") != NULL);
    json_decref(a);

    a = ngx_cweb_jstore_list(s, NULL, 2);
    CHECK(json_array_size(a) == 2);
    json_decref(a);

    a = ngx_cweb_jstore_list(s, NULL, -1);
    CHECK(a != NULL && json_array_size(a) == 0);
    json_decref(a);

    a = ngx_cweb_jstore_list(s, "running", 10);
    CHECK(json_array_size(a) == 2);
    CHECK(str_is(json_object_get(json_array_get(a, 0),
                 "job_uuid"), "00000002-0000-4000-8000-000000000002"));
    json_decref(a);

    a = ngx_cweb_jstore_list(s, "pending", 1);
    CHECK(json_array_size(a) == 1);
    CHECK(str_is(json_object_get(json_array_get(a, 0),
                 "state"), "pending"));
    json_decref(a);

    a = ngx_cweb_jstore_list(s, "done", 10);
    CHECK(a != NULL && json_array_size(a) == 0);
    json_decref(a);

    /* one job in each state: each list has its own */
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_finish(s, 1, "done", "1", NULL, 2, NULL, &eid)
          == 0);
    CHECK(ngx_cweb_jstore_finish(s, 2, "failed", NULL, "boom", 2, NULL,
                                 &eid) == 0);
    CHECK(ngx_cweb_jstore_cancel(s, "00000003-0000-4000-8000-000000000003",
                                 2, state, &eid) == 0);
    CHECK(ngx_cweb_jstore_commit(s) == 0);

    for (n = 0; n < 5; n++) {
        a = ngx_cweb_jstore_list(s, states[n], 10);
        CHECK(json_array_size(a) == (n == 0 ? 2 : n == 1 ? 0 : 1));
        CHECK(n == 1 || str_is(json_object_get(json_array_get(a, 0),
                               "job_uuid"), uuids[n]));
        CHECK(n == 1 || str_is(json_object_get(json_array_get(a, 0),
                               "state"), states[n]));
        json_decref(a);
    }

    CHECK(ngx_cweb_jstore_list(s, "sleeping", 10) == NULL);
    CHECK(strstr(ngx_cweb_jstore_error(s), "unknown state") != NULL);

    ngx_cweb_jstore_close(s);
}


/* the query plan of the store's statement i, its steps joined by "; " */
static const char *
plan(ngx_cweb_jstore_t *s, int i)
{
    char           sql[1024];
    const char    *d;
    sqlite3_stmt  *st;

    static char  buf[512];

    buf[0] = '\0';
    snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
             sqlite3_sql(s->stmt[i]));

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        return "(error)";
    }

    while (sqlite3_step(st) == SQLITE_ROW) {
        d = (const char *) sqlite3_column_text(st, 3);
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
                 buf[0] ? "; " : "", d ? d : "");
    }

    sqlite3_finalize(st);

    return buf;
}


/* statement i reads index (none: the table by rowid), and sorts or not */
static int
plan_is(ngx_cweb_jstore_t *s, int i, const char *index, int sorts)
{
    char         want[128];
    const char  *p;

    p = plan(s, i);

    if (index) {
        snprintf(want, sizeof(want), "USING INDEX %s", index);

    } else {
        snprintf(want, sizeof(want), "SCAN jobs");
    }

    if (strstr(p, want) == NULL
        || (strstr(p, "TEMP B-TREE") != NULL) != sorts
        || (index == NULL && strstr(p, "INDEX") != NULL))
    {
        printf("# plan of %s: %s\n", sqlite3_sql(s->stmt[i]), p);
        return 0;
    }

    return 1;
}


/*
 * the statements that look for jobs by state read that state's partial
 * index (a bound state, or a misspelt one, would scan every job); done
 * jobs are listed from the newest row without an index or a sort
 */
static void
test_plans(void)
{
    ngx_cweb_jstore_t  *s;

    s = fresh();

    CHECK(plan_is(s, NGX_CWEB_JSTORE_DUE, "jobs_pending", 0));
    CHECK(plan_is(s, NGX_CWEB_JSTORE_NEXT_RUN_AT, "jobs_pending", 0));
    CHECK(plan_is(s, NGX_CWEB_JSTORE_RUNNING, "jobs_running", 0));
    CHECK(plan_is(s, NGX_CWEB_JSTORE_LIST_PENDING, "jobs_pending", 1));
    CHECK(plan_is(s, NGX_CWEB_JSTORE_LIST_RUNNING, "jobs_running", 0));
    CHECK(plan_is(s, NGX_CWEB_JSTORE_LIST_FAILED, "jobs_ended", 0));
    CHECK(plan_is(s, NGX_CWEB_JSTORE_LIST_CANCELED, "jobs_ended", 0));
    CHECK(plan_is(s, NGX_CWEB_JSTORE_LIST_DONE, NULL, 0));
    CHECK(plan_is(s, NGX_CWEB_JSTORE_LIST_ALL, NULL, 0));

    /*
     * a replay's page: the rows by job_events_job merged with the job's
     * row, no sort of every event after since (schema 4), nor a scan
     */
    CHECK(plan_is(s, NGX_CWEB_JSTORE_EVENTS, "job_events_job", 0));
    CHECK(strstr(plan(s, NGX_CWEB_JSTORE_EVENTS), "MERGE") != NULL);
    CHECK(strstr(plan(s, NGX_CWEB_JSTORE_EVENTS), "SCAN") == NULL);
    CHECK(strstr(plan(s, NGX_CWEB_JSTORE_EVENT_ONE), "SCAN jobs") == NULL);
    CHECK(strstr(plan(s, NGX_CWEB_JSTORE_EVENT_BY_ID), "SCAN jobs") == NULL);

    ngx_cweb_jstore_close(s);
}


/*
 * needs(): a pending or a running job of the version keeps its object,
 * a finished one, another version or module, or no jobs.db does not
 */
static void
test_needs(void)
{
    int64_t             eid;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    db_remove(path);
    CHECK(ngx_cweb_jstore_needs(path, "mod", 3, 3) == 0);

    s = fresh();
    CHECK(ngx_cweb_jstore_needs(path, "mod", 3, 3) == 0);
    add(s, 1, 0, 1);
    CHECK(ngx_cweb_jstore_needs(path, "mod", 3, 3) == 1);
    CHECK(ngx_cweb_jstore_needs(path, "mod", 3, 4) == 0);
    CHECK(ngx_cweb_jstore_needs(path, "mo", 2, 3) == 0);
    CHECK(ngx_cweb_jstore_needs(path, "modx", 3, 3) == 1);

    claim(s, 5, &c);
    CHECK(ngx_cweb_jstore_needs(path, "mod", 3, 3) == 1);

    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_finish(s, c.id, "done", "1", NULL, 6, NULL, &eid)
          == 0);
    CHECK(ngx_cweb_jstore_commit(s) == 0);
    CHECK(ngx_cweb_jstore_needs(path, "mod", 3, 3) == 0);

    ngx_cweb_jstore_close(s);
}


/* job n's get() fails as damaged once sql has been run */
static int
damaged_by(ngx_cweb_jstore_t *s, int n, const char *sql)
{
    int      rc;
    char     uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    json_t  *o;

    uuid_of(n, uuid);

    if (raw(sql) != 0) {
        return 0;
    }

    rc = ngx_cweb_jstore_get(s, uuid, &o);
    json_decref(o);

    return rc == -1 && o == NULL
           && strstr(ngx_cweb_jstore_error(s), "damaged") != NULL;
}


static void
test_damaged(void)
{
    char                state[16], sql[64];
    json_t             *a;
    int64_t             eid, id;
    ngx_cweb_jstore_t  *s;

    s = fresh();

    for (id = 1; id <= 12; id++) {
        add(s, id, 0, 2);
    }

    CHECK(damaged_by(s, 1, "UPDATE jobs SET state = 'bogus' WHERE id = 1"));
    a = ngx_cweb_jstore_list(s, NULL, 100);
    CHECK(a == NULL && strstr(ngx_cweb_jstore_error(s), "damaged"));
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_cancel(s, "00000001-0000-4000-8000-000000000001",
                                 9, state, &eid) == -1);
    ngx_cweb_jstore_commit(s);
    CHECK(raw("UPDATE jobs SET state = 'pending' WHERE id = 1") == 0);

    CHECK(damaged_by(s, 2, "UPDATE jobs SET result = '{x' WHERE id = 2"));
    CHECK(damaged_by(s, 3, "UPDATE jobs SET run_at = 'soon' WHERE id = 3"));
    CHECK(damaged_by(s, 4, "UPDATE jobs SET module_hash = upper(module_hash) "
                           "WHERE id = 4"));
    CHECK(damaged_by(s, 5, "UPDATE jobs SET attempts = 7 WHERE id = 5"));
    CHECK(damaged_by(s, 6, "UPDATE jobs SET module = '' WHERE id = 6"));
    CHECK(damaged_by(s, 7, "UPDATE jobs SET error = x'41ff' WHERE id = 7"));
    CHECK(damaged_by(s, 8, "INSERT INTO job_attempts VALUES "
                           "(8, 1, 'then', NULL, NULL)"));
    CHECK(damaged_by(s, 9, "UPDATE jobs SET error = 'caf' || x'e9' "
                           "WHERE id = 9"));
    CHECK(damaged_by(s, 12, "UPDATE jobs SET result = x'7b7d' WHERE id = 12"));

    /* each of them alone makes the list fail */
    for (id = 2; id <= 12; id++) {
        if (id == 10 || id == 11) {
            continue;
        }

        a = ngx_cweb_jstore_list(s, NULL, 100);
        CHECK(a == NULL);
        json_decref(a);
        snprintf(sql, sizeof(sql), "DELETE FROM jobs WHERE id = %d",
                 (int) id);
        CHECK(raw(sql) == 0);
    }

    a = ngx_cweb_jstore_list(s, NULL, 100);
    CHECK(json_array_size(a) == 3);
    json_decref(a);
    CHECK(raw("UPDATE jobs SET uuid = upper(uuid) WHERE id = 10") == 0);
    CHECK(ngx_cweb_jstore_list(s, "pending", 100) == NULL);
    CHECK(raw("DELETE FROM jobs WHERE id = 10") == 0);
    CHECK(raw("UPDATE jobs SET started_at = 'soon' WHERE id = 11") == 0);
    CHECK(ngx_cweb_jstore_list(s, "pending", 100) == NULL);
    CHECK(strstr(ngx_cweb_jstore_error(s), "a bad started_at") != NULL);
    CHECK(raw("UPDATE jobs SET started_at = -1 WHERE id = 11") == 0);
    CHECK(ngx_cweb_jstore_list(s, "pending", 100) == NULL);
    CHECK(raw("UPDATE jobs SET started_at = 5 WHERE id = 11") == 0);
    a = ngx_cweb_jstore_list(s, "pending", 100);
    CHECK(json_array_size(a) == 2);
    json_decref(a);

    ngx_cweb_jstore_close(s);
}


/* damaged rows met by the writer: a claim, an ending; damaged events */
static void
test_damaged_writer(void)
{
    char                state[16];
    size_t              i;
    int64_t             eid;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    /* what a finish reads, each made what this code never writes */
    static const char  *damage[] = {
        "UPDATE jobs SET max_attempts = 'many' WHERE id = 11",
        "UPDATE jobs SET attempts = 2 WHERE id = 11",
        "UPDATE jobs SET attempts = 0 WHERE id = 11",
        "UPDATE jobs SET attempts = 'one' WHERE id = 11",
        "UPDATE jobs SET cancel_requested = 2 WHERE id = 11",
        "UPDATE jobs SET cancel_requested = -1 WHERE id = 11",
        "UPDATE jobs SET cancel_requested = 'yes' WHERE id = 11",
    };

    s = fresh();

    for (eid = 1; eid <= 11; eid++) {
        add(s, eid, 0, 2);
    }

    CHECK(raw("DELETE FROM jobs WHERE id BETWEEN 2 AND 10") == 0);

    /* a damaged pending job is failed, not run; the next one is claimed */
    CHECK(raw("UPDATE jobs SET payload = 'not json' WHERE id = 1") == 0);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_claim(s, 100, &c, &eid) == 1 && c.id == 11);
    ngx_cweb_jstore_claim_free(&c);
    ngx_cweb_jstore_commit(s);
    CHECK(strcmp(field(s, 1, "state"), "failed") == 0);
    CHECK(strstr(field(s, 1, "error"), "payload") != NULL);

    /* an event that is not of the form written: in the job's row ... */
    CHECK(replay_refused(s, "UPDATE jobs SET attempts = 'x' WHERE id = 11"));
    CHECK(replay_refused(s, "UPDATE jobs SET attempts = 1, started_at = 'x' "
                            "WHERE id = 11"));
    CHECK(replay_refused(s, "UPDATE jobs SET started_at = 100, "
                            "created_event = 'x' WHERE id = 11"));
    CHECK(raw("UPDATE jobs SET created_event = 11 WHERE id = 11") == 0);
    CHECK(strcmp(types(s, 11, 0), "created,started") == 0);

    /* ... and of its own */
    CHECK(replay_refused(s, "INSERT INTO job_event_rows (id, job_id, ts, "
                            "type, data) VALUES (900, 11, 1, 'no spaces', "
                            "NULL)"));
    CHECK(replay_refused(s, "UPDATE job_event_rows SET type = 'tick', "
                            "data = '{' WHERE id = 900"));
    CHECK(raw("DELETE FROM job_event_rows WHERE id = 900") == 0);

    /* a running job made damaged: its ending is refused, not guessed */
    for (i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
        CHECK(raw("UPDATE jobs SET attempts = 1, max_attempts = 1, "
                  "cancel_requested = 0 WHERE id = 11") == 0);
        CHECK(raw(damage[i]) == 0);
        ngx_cweb_jstore_begin(s);
        CHECK(ngx_cweb_jstore_finish(s, 11, "done", NULL, NULL, 101, state,
                                     &eid) == -1);
        CHECK(strstr(ngx_cweb_jstore_error(s), "damaged") != NULL);
        ngx_cweb_jstore_commit(s);
        CHECK(scalar(s, "SELECT count(*) FROM jobs WHERE id = 11 "
                        "AND state = 'running'") == 1);
    }

    ngx_cweb_jstore_close(s);
}


/* the text of view job_events' data of event id (sqlite3(1)'s view), or "" */
static const char *
view_data(int64_t id)
{
    sqlite3       *db;
    sqlite3_stmt  *st;

    static char    buf[256];

    snprintf(buf, sizeof(buf), "(none)");

    if (sqlite3_open(path, &db) == SQLITE_OK
        && sqlite3_prepare_v2(db, "SELECT coalesce(data, 'null') FROM "
                              "job_events WHERE id = ?1", -1, &st, NULL)
           == SQLITE_OK)
    {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }

    sqlite3_close(db);

    return buf;
}


/*
 * schema 4: built-in events live in their job's row; a replay gives each
 * as it was announced when written, the view job_events gives the same
 */
static void
test_events_in_row(void)
{
    char                state[16];
    const char         *uuid = "00000001-0000-4000-8000-000000000001";
    json_t             *said[8], *a, *e, *d;
    size_t              i, n;
    int64_t             id, eid, ids[8], last;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    s = fresh();
    n = 0;

    /* created, started (1), retry, started (2), failed: each as kept */
    id = add(s, 1, 0, 2);
    ids[n] = 1;
    said[n++] = got(ngx_cweb_jstore_event_get(s, uuid, 1));

    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_claim(s, 20, &c, &eid) == 1 && c.id == id);
    ngx_cweb_jstore_claim_free(&c);
    ids[n] = eid;
    said[n++] = got(ngx_cweb_jstore_event_get(s, uuid, eid));
    CHECK(ngx_cweb_jstore_retry(s, id, "e1", 30, 21, state, &eid) == 0);
    ids[n] = eid;
    said[n++] = got(ngx_cweb_jstore_event_get(s, uuid, eid));
    CHECK(ngx_cweb_jstore_claim(s, 40, &c, &eid) == 1 && c.attempt == 2);
    ngx_cweb_jstore_claim_free(&c);
    ids[n] = eid;
    said[n++] = got(ngx_cweb_jstore_event_get(s, uuid, eid));
    CHECK(ngx_cweb_jstore_retry(s, id, "e \"2\"\n\xc3\xbc", 50, 41, state,
                                &eid) == 0);
    CHECK(strcmp(state, "failed") == 0);
    ids[n] = eid;
    said[n++] = got(ngx_cweb_jstore_event_get(s, uuid, eid));
    CHECK(ngx_cweb_jstore_commit(s) == 0);

    CHECK(ngx_cweb_jstore_events(s, uuid, 0, 100, &a, &last) == 1);
    CHECK(json_array_size(a) == n && last == ids[n - 1]);
    CHECK(strcmp(types(s, 1, 0), "created,started,retry,started,failed")
          == 0);

    json_array_foreach(a, i, e) {
        CHECK(i < n && said[i] != NULL && json_equal(e, said[i]));
        CHECK(json_integer_value(json_object_get(e, "event_id")) == ids[i]);

        /* and one by its id, read back (not the one kept last) */
        d = got(ngx_cweb_jstore_event_get(s, uuid, ids[i]));
        CHECK(d != NULL && json_equal(d, e));
        json_decref(d);
    }

    e = json_array_get(a, 1);
    CHECK(json_integer_value(json_object_get(e, "ts")) == 20);
    CHECK(json_integer_value(json_object_get(json_object_get(e, "data"),
                                             "attempt")) == 1);
    e = json_array_get(a, 3);
    CHECK(json_integer_value(json_object_get(e, "ts")) == 40);
    CHECK(json_integer_value(json_object_get(json_object_get(e, "data"),
                                             "attempt")) == 2);
    e = json_array_get(a, 4);
    CHECK(json_integer_value(json_object_get(e, "ts")) == 41);
    CHECK(str_is(json_object_get(json_object_get(e, "data"), "error"),
                 "e \"2\"\n\xc3\xbc"));

    /* the view: the same data, as JSON text */
    d = json_loads(view_data(ids[4]), 0, NULL);
    CHECK(d != NULL && json_equal(d, json_object_get(e, "data")));
    json_decref(d);
    CHECK(strcmp(view_data(ids[0]), "null") == 0);
    CHECK(strcmp(view_data(ids[3]), "{\"attempt\":2}") == 0);
    json_decref(a);

    for (i = 0; i < n; i++) {
        json_decref(said[i]);
    }

    /* the first attempt's start became a row: only it and the retries */
    CHECK(rscalar("SELECT count(*) FROM job_event_rows") == 2);
    CHECK(rscalar("SELECT count(*) FROM job_events") == 5);

    /* a job through create, claim and finish writes no event row */
    id = started(s, 2, 1, 60);
    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_finish(s, id, "done", "{\"r\":[1]}", NULL, 61,
                                 state, &eid) == 0);
    CHECK(ngx_cweb_jstore_commit(s) == 0);
    CHECK(rscalar("SELECT count(*) FROM job_event_rows") == 2);
    CHECK(strcmp(types(s, 2, 0), "created,started,done") == 0);
    CHECK(strcmp(view_data(eid), "{\"r\":[1]}") == 0);
    CHECK(rscalar("SELECT max(id) FROM job_events") == eid);

    ngx_cweb_jstore_close(s);
}


/* a writer that dies holding its block: its ids are never given again */
static int64_t
crashed_writer(int rollback_first)
{
    int                 fd[2];
    char                err[256];
    pid_t               pid;
    int64_t             eid;
    ngx_cweb_jstore_t  *s;
    ngx_cweb_jnew_t     j = { "00000063-0000-4000-8000-000000000063", "mod",
                              "job", HASH, 3, "{}", 0, 0, 1 };

    eid = -1;

    if (pipe(fd) != 0) {
        return -1;
    }

    pid = fork();

    if (pid == 0) {
        s = ngx_cweb_jstore_open(path, 0, err, sizeof(err));

        if (s && rollback_first) {
            ngx_cweb_jstore_begin(s);
            (void) ngx_cweb_jstore_emit(s, 1, "tick", NULL, 5, &eid);
            ngx_cweb_jstore_rollback(s);
        }

        /* its "created" is in the job's row: no key refuses a reuse */
        if (s == NULL || ngx_cweb_jstore_begin(s) != 0
            || ngx_cweb_jstore_create(s, &j, 5, &eid) != 0
            || ngx_cweb_jstore_commit(s) != 0)
        {
            eid = -1;
        }

        (void) write(fd[1], &eid, sizeof(eid));
        _exit(0);                           /* no close: as a crash */
    }

    close(fd[1]);

    if (pid < 0 || read(fd[0], &eid, sizeof(eid)) != sizeof(eid)) {
        eid = -1;
    }

    close(fd[0]);
    waitpid(pid, NULL, 0);

    return eid;
}


static void
test_event_seq(void)
{
    char                err[256];
    int64_t             eid, before, after;
    ngx_cweb_jstore_t  *s;
    int                 rb;

    for (rb = 0; rb < 2; rb++) {
        s = fresh();
        CHECK(started(s, 1, 1, 5) == 1);
        ngx_cweb_jstore_close(s);

        /* a clean close gives the block back: the ids go on */
        CHECK(rscalar("SELECT next FROM job_event_seq") == 3);

        before = crashed_writer(rb);
        CHECK(before >= 3);

        /* past the dead writer's block, which is in the file */
        CHECK(rscalar("SELECT next FROM job_event_seq") > before);

        s = ngx_cweb_jstore_open(path, 0, err, sizeof(err));
        CHECK(s != NULL);
        if (s == NULL) {
            continue;
        }

        /*
         * (with rb, the dead writer's first block was rolled back: the
         * block its commit used must have been reserved again)
         */
        add(s, 2, 0, 1);
        after = rscalar("SELECT created_event FROM jobs WHERE id = 3");
        CHECK(after > before);
        CHECK(rscalar("SELECT count(DISTINCT id) = count(*) "
                      "FROM job_events") == 1);

        ngx_cweb_jstore_begin(s);
        CHECK(ngx_cweb_jstore_emit(s, 1, "tick", NULL, 6, &eid) == 0);
        CHECK(ngx_cweb_jstore_commit(s) == 0);
        CHECK(eid == after + 1);
        ngx_cweb_jstore_close(s);
        CHECK(rscalar("SELECT next FROM job_event_seq") == eid + 1);
    }
}


static void
test_reopen(void)
{
    char                err[256];
    int64_t             eid;
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    s = fresh();
    add(s, 1, 0, 1);
    add(s, 2, 0, 1);
    claim(s, 5, &c);
    ngx_cweb_jstore_close(s);

    s = ngx_cweb_jstore_open(path, 1, err, sizeof(err));
    CHECK(s != NULL);
    CHECK(scalar(s, "PRAGMA user_version") == 4);
    CHECK(strcmp(field(s, 1, "state"), "running") == 0);
    CHECK(strcmp(field(s, 2, "state"), "pending") == 0);

    ngx_cweb_jstore_begin(s);
    CHECK(ngx_cweb_jstore_emit(s, 1, "after", NULL, 6, &eid) == 0);
    ngx_cweb_jstore_commit(s);
    CHECK(eid == 4);
    CHECK(strcmp(types(s, 1, 0), "created,started,after") == 0);

    ngx_cweb_jstore_close(s);
}


static double
now_s(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* what the commits of test_wal() said of the WAL; restart from where */
static int  wal_calls, wal_frames, wal_dropped, wal_restart;


static int
wal_seen(void *data, int frames)
{
    int  *last = data;

    wal_calls++;
    wal_dropped |= (frames < *last);
    *last = frames;

    return wal_restart && frames >= wal_restart;
}


/*
 * checkpoints away from the writer: its commits report the WAL's frames
 * and never checkpoint; a second connection copies (PASSIVE) or starts
 * the WAL over (RESTART), and the writer's next commit begins it again
 */
static void
test_wal(void)
{
    int                 i, frames, copied, seen;
    char                err[256];
    double              t;
    sqlite3            *reader;
    ngx_cweb_jstore_t  *s, *k;

    s = fresh();
    wal_frames = 0;
    CHECK(ngx_cweb_jstore_on_wal(s, wal_seen, &wal_frames) == 0);

    /* past SQLite's 1,000 frames: its own checkpoint would start over */
    for (i = 0; i < 600; i++) {
        add(s, 1 + i, 0, 1);
    }

    CHECK(wal_calls == 600);
    CHECK(wal_frames > 1200);
    CHECK(!wal_dropped);

    k = ngx_cweb_jstore_open_checkpointer(path, 0, err, sizeof(err));
    CHECK(k != NULL);

    if (k == NULL) {
        printf("# checkpointer: %s\n", err);
        ngx_cweb_jstore_close(s);
        return;
    }

    CHECK(ngx_cweb_jstore_checkpoint(k, 0, &frames, &copied) == 0);
    CHECK(frames == wal_frames && copied == frames);

    /* all of it copied and nobody reading: the next commit starts over */
    add(s, 601, 0, 1);
    CHECK(wal_dropped && wal_frames < 20);

    for (i = 0; i < 100; i++) {
        add(s, 602 + i, 0, 1);
    }

    /*
     * a reader of an older snapshot: PASSIVE copies up to it, RESTART
     * waits for it NGX_CWEB_JSTORE_CKPT_BUSY ms and gives up
     */
    CHECK(sqlite3_open(path, &reader) == SQLITE_OK);
    CHECK(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM jobs", NULL,
                       NULL, NULL) == SQLITE_OK);
    seen = wal_frames;
    add(s, 702, 0, 1);
    CHECK(ngx_cweb_jstore_checkpoint(k, 0, &frames, &copied) == 0);
    CHECK(copied == seen && frames == wal_frames);
    CHECK(ngx_cweb_jstore_checkpoint(k, 1, &frames, &copied) == 1);
    snprintf(err, sizeof(err), "the writer or a reader held it up: "
             "%d of %d frames copied", seen, frames);
    CHECK(strcmp(ngx_cweb_jstore_error(k), err) == 0);
    sqlite3_close(reader);

    wal_dropped = 0;
    CHECK(ngx_cweb_jstore_checkpoint(k, 1, &frames, &copied) == 0);
    CHECK(frames == wal_frames && frames > 200);
    add(s, 703, 0, 1);
    CHECK(wal_dropped && wal_frames < 20);

    /*
     * the writer restarts it itself when its handler says so, in the
     * commit; a reader holds that up 20 ms and the WAL goes on
     */
    for (i = 0; i < 50; i++) {
        add(s, 704 + i, 0, 1);
    }

    wal_dropped = 0;
    wal_restart = wal_frames + 1;
    add(s, 754, 0, 1);
    add(s, 755, 0, 1);
    CHECK(wal_dropped && wal_frames < 20);

    CHECK(sqlite3_open(path, &reader) == SQLITE_OK);
    CHECK(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM jobs", NULL,
                       NULL, NULL) == SQLITE_OK);
    wal_dropped = 0;
    wal_restart = 1;
    add(s, 756, 0, 1);
    t = now_s();
    add(s, 757, 0, 1);
    t = now_s() - t;
    add(s, 758, 0, 1);
    CHECK(!wal_dropped && wal_frames > 10);
    CHECK(t < 1.0);
    sqlite3_close(reader);
    wal_restart = 0;

    /* what was copied is the database: read without the WAL */
    ngx_cweb_jstore_close(k);
    ngx_cweb_jstore_close(s);
    s = ngx_cweb_jstore_open(path, 0, err, sizeof(err));
    CHECK(s && scalar(s, "SELECT count(*) FROM jobs") == 758);

    /* no handler: SQLite's own checkpoints again */
    CHECK(s && ngx_cweb_jstore_on_wal(s, wal_seen, &wal_frames) == 0);
    CHECK(s && ngx_cweb_jstore_on_wal(s, NULL, NULL) == 0);
    CHECK(s && scalar(s, "PRAGMA wal_autocheckpoint") == 1000);
    ngx_cweb_jstore_close(s);

    k = ngx_cweb_jstore_open_checkpointer("/tmp/no/such/dir/jobs.db", 0, err,
                                          sizeof(err));
    CHECK(k == NULL);
    CHECK(strcmp(err, "jobs database \"/tmp/no/such/dir/jobs.db\" cannot "
                 "be opened: unable to open database file") == 0);
}




/* create+claim+finish of 10,000 jobs, 100 to a commit: printed only */
static void
test_throughput(int sync_full)
{
    int                 i, b, ok;
    char                err[256], uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    double              t;
    int64_t             eid;
    ngx_cweb_jnew_t     j = { uuid, "mod", "job", HASH, 1, "{}", 0, 0, 1 };
    ngx_cweb_jclaim_t   c;
    ngx_cweb_jstore_t  *s;

    db_remove(path);
    s = ngx_cweb_jstore_open(path, sync_full, err, sizeof(err));
    ok = (s != NULL);
    t = now_s();

    for (b = 0; ok && b < 100; b++) {
        ok = ngx_cweb_jstore_begin(s) == 0;
        for (i = 0; ok && i < 100; i++) {
            uuid_of(b * 100 + i + 1, uuid);
            ok = ngx_cweb_jstore_create(s, &j, 1, &eid) == 0;
        }
        ok = ok && ngx_cweb_jstore_commit(s) == 0;

        ok = ok && ngx_cweb_jstore_begin(s) == 0;
        for (i = 0; ok && i < 100; i++) {
            ok = ngx_cweb_jstore_claim(s, 2, &c, &eid) == 1;
            ngx_cweb_jstore_claim_free(&c);
            ok = ok && ngx_cweb_jstore_finish(s, c.id, "done", NULL, NULL,
                                              3, NULL, &eid) == 0;
        }
        ok = ok && ngx_cweb_jstore_commit(s) == 0;
    }

    t = now_s() - t;
    CHECK(ok);
    CHECK(s && scalar(s, "SELECT count(*) FROM jobs WHERE state = 'done'")
               == 10000);

    printf("# throughput (synchronous=%s): 10000 jobs, 30000 ops in %.3f s: "
           "%.0f ops/s, %.0f jobs/s\n", sync_full ? "FULL" : "NORMAL", t,
           30000 / t, 10000 / t);

    ngx_cweb_jstore_close(s);
}


int
main(void)
{
    snprintf(path, sizeof(path), "/tmp/test_jobs_store.%d.db",
             (int) getpid());

    test_open();
    test_migrate_v1();
    test_create();
    test_broken();
    test_claim();
    test_create_claimed();
    test_finish();
    test_finish_run();
    test_emit();
    test_cancel();
    test_retry();
    test_retry_done();
    test_requeue();
    test_recover();
    test_events();
    test_list();
    test_plans();
    test_needs();
    test_damaged();
    test_damaged_writer();
    test_reopen();
    test_events_in_row();
    test_event_seq();
    test_wal();
    test_throughput(0);
    test_throughput(1);

    db_remove(path);

    return check_report();
}
