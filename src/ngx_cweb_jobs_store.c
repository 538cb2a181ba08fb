
/*
 * The durable jobs store: schema, migrations, cached statements,
 * transactions, and the writes that start jobs (create, claim, emit);
 * those that end them are in ngx_cweb_jobs_store_end.c, the reads and
 * the checks of what is read back in ngx_cweb_jobs_store_read.c.
 *
 * Schema (jobs.db, WAL, user_version 4):
 *   jobs(id, uuid UNIQUE, module, job, module_hash, version, payload,
 *        state, created_at, updated_at, run_at, timeout_ms, max_attempts,
 *        attempts, cancel_requested, result, error, started_at,
 *        created_event, started_event, ended_event, ended_at)
 *   job_attempts(job_id, attempt, started_at, ended_at, error,
 *                PRIMARY KEY (job_id, attempt))
 *   job_event_rows(id, job_id, ts, type, data)
 *   job_event_seq(one = 0, next)
 *   VIEW job_events(id, job_id, ts, type, data): both kinds of event
 * jobs_pending (run_at) WHERE state = 'pending' serves claims and
 * next_run_at, jobs_running (id) WHERE state = 'running' the recovery,
 * both and jobs_ended (state, id) WHERE state IN ('failed', 'canceled')
 * the lists by state; job_events_job (job_id, id) the replay of one
 * job's events.  A new schema version is one more entry of
 * ngx_cweb_jstore_migrations[], applied in order, each in its own
 * transaction; a file from a newer build is refused.
 *
 * States: pending -> running (claim) -> done | failed | canceled
 * (finish), running -> pending (retry while attempts < max_attempts,
 * requeue), pending -> canceled (cancel); a running job whose cancel was
 * requested (cancel_requested = 1) ends canceled however it ends.
 * attempts counts the claims that were not requeued; job_attempts has
 * one row per attempt that ended in a retry, the running one's start
 * being jobs.started_at (the last claim's time, NULL before the first)
 * and the one the job ended in told by the job's row (started_at,
 * ended_at, error).  jobs.error is the error the job ended with, and
 * while it waits for a retry its last attempt's.
 *
 * Event types and data (JSON text or NULL): created (null), started
 * ({"attempt"}), retry ({"error","attempt","run_at"}, or
 * {"interrupted":true} from a requeue), done (the result), failed and
 * canceled ({"error"} or null), and the plugins' own types.  created,
 * the current attempt's started and the end are the job row's
 * (created_event, started_event, ended_event: their ids; the data is
 * composed from the row), the others rows of job_event_rows.
 * Event ids are one sequence for all jobs: the writer gives them, past
 * job_event_seq.next (every id given is below it: the writer reserves a
 * block at a time, and gives back what is left at close) and past the
 * largest row, and while it runs never gives one twice, even one rolled
 * back or deleted since (past any row another connection wrote too).
 * Schema 1 had AUTOINCREMENT for that, which read and wrote
 * sqlite_sequence with every event (9% of the instructions of
 * create+claim+finish, a WAL frame a commit).
 *
 * Everything read back is distrusted: plugins run as the same user and
 * can write this file, so a row is used only when every field has the
 * form this code writes, and reported as damaged otherwise.
 */


#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_cweb_jobs_store_int.h"


static int ngx_cweb_jstore_version(ngx_cweb_jstore_t *s, int *v);
static int ngx_cweb_jstore_migrate(ngx_cweb_jstore_t *s);
static int ngx_cweb_jstore_prepare(ngx_cweb_jstore_t *s);
static int ngx_cweb_jstore_claim_row(ngx_cweb_jstore_t *s, int64_t now,
    ngx_cweb_jclaim_t *out, int64_t *event_id);
static int ngx_cweb_jstore_insert_job(ngx_cweb_jstore_t *s,
    const ngx_cweb_jnew_t *j, int64_t now, int64_t *event_id,
    ngx_cweb_jclaim_t *out, int64_t *started_id);
static int ngx_cweb_jstore_claimed(ngx_cweb_jstore_t *s,
    const ngx_cweb_jnew_t *j, int64_t id, int64_t attempt,
    ngx_cweb_jclaim_t *out);
static int ngx_cweb_jstore_start(ngx_cweb_jstore_t *s, ngx_cweb_jclaim_t *c,
    int64_t now, int64_t *event_id, int first);


static const char  ngx_cweb_jstore_v1[] =
    "CREATE TABLE jobs ("
    "  id INTEGER PRIMARY KEY,"
    "  uuid TEXT NOT NULL UNIQUE,"
    "  module TEXT NOT NULL,"
    "  job TEXT NOT NULL,"
    "  module_hash TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  run_at INTEGER NOT NULL,"
    "  timeout_ms INTEGER NOT NULL,"
    "  max_attempts INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL,"
    "  cancel_requested INTEGER NOT NULL,"
    "  result TEXT,"
    "  error TEXT);"
    "CREATE TABLE job_attempts ("
    "  job_id INTEGER NOT NULL,"
    "  attempt INTEGER NOT NULL,"
    "  started_at INTEGER NOT NULL,"
    "  ended_at INTEGER,"
    "  error TEXT,"
    "  PRIMARY KEY (job_id, attempt)) WITHOUT ROWID;"
    "CREATE TABLE job_events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  job_id INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  data TEXT);"
    "CREATE INDEX jobs_due ON jobs (state, run_at);"
    "CREATE INDEX job_events_job ON job_events (job_id, id);"
    "PRAGMA user_version = 1;";


/*
 * 2: job_events without AUTOINCREMENT, its ids given by the writer
 * (ngx_cweb_jstore_insert_event()); the rows are copied as they are
 */
static const char  ngx_cweb_jstore_v2[] =
    "CREATE TABLE job_events_v2 ("
    "  id INTEGER PRIMARY KEY,"
    "  job_id INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  data TEXT);"
    "INSERT INTO job_events_v2 (id, job_id, ts, type, data) "
    "  SELECT id, job_id, ts, type, data FROM job_events ORDER BY id;"
    "DROP TABLE job_events;"
    "ALTER TABLE job_events_v2 RENAME TO job_events;"
    "CREATE INDEX job_events_job ON job_events (job_id, id);"
    "PRAGMA user_version = 2;";


/*
 * 3: what each job costs the writer, less.  jobs_due (state, run_at)
 * gives way to partial indexes of the states that are looked for: a
 * job's row then enters and leaves only the index of the state it is
 * in, and none while it is done (the commonest state, and one nothing
 * looks up by index: its list reads the table backwards).  jobs_due cost
 * a delete and an insert at each change of state, 4% of the instructions
 * of a job; each partial index costs some too, rows or not (2%: its
 * cursor is opened by every write of state), so failed and canceled
 * share one.  The queries that should use them name their state
 * literally (a bound state cannot choose a partial index), and
 * t/unit/test_jobs_store checks their plans.  And an attempt's row is
 * written once, when it ends, instead of at its start and again at its
 * end (5%): while it runs, its start is jobs.started_at.
 */
static const char  ngx_cweb_jstore_v3[] =
    "DROP INDEX jobs_due;"
    "CREATE INDEX jobs_pending ON jobs (run_at) WHERE state = 'pending';"
    "CREATE INDEX jobs_running ON jobs (id) WHERE state = 'running';"
    "CREATE INDEX jobs_ended ON jobs (state, id) "
    "  WHERE state IN ('failed', 'canceled');"
    "ALTER TABLE jobs ADD COLUMN started_at INTEGER;"
    "UPDATE jobs SET started_at = (SELECT a.started_at FROM job_attempts a "
    "  WHERE a.job_id = jobs.id AND a.attempt = jobs.attempts) "
    "  WHERE state = 'running';"
    "DELETE FROM job_attempts WHERE ended_at IS NULL;"
    "PRAGMA user_version = 3;";


/*
 * 4: a job's built-in events (created, its current attempt's started, its
 * end) are kept in its row instead of a row each in job_events: they were
 * a third of the instructions of a job that emits none (their table and
 * its index, three writes of each a job) and two or three WAL frames a
 * commit.  What job_events held is job_event_rows now, and job_events a
 * view of both (NGX_CWEB_JSTORE_EVENTS_OF()).  Their ids are still one
 * sequence, but no longer all in one table whose largest says where it
 * goes on: job_event_seq holds an id every id given is below, written
 * for blocks of NGX_CWEB_JSTORE_EVENT_BLOCK ids at a time.
 */
static const char  ngx_cweb_jstore_v4[] =
    "ALTER TABLE job_events RENAME TO job_event_rows;"
    "ALTER TABLE jobs ADD COLUMN created_event INTEGER;"
    "ALTER TABLE jobs ADD COLUMN started_event INTEGER;"
    "ALTER TABLE jobs ADD COLUMN ended_event INTEGER;"
    "ALTER TABLE jobs ADD COLUMN ended_at INTEGER;"
    "CREATE TABLE job_event_seq ("
    "  one INTEGER PRIMARY KEY CHECK (one = 0),"
    "  next INTEGER NOT NULL);"
    "INSERT INTO job_event_seq (one, next) "
    "  SELECT 0, coalesce(max(id), 0) + 1 FROM job_event_rows;"
    "CREATE VIEW job_events (id, job_id, ts, type, data) AS "
    NGX_CWEB_JSTORE_EVENTS_OF(NGX_CWEB_JSTORE_JOB_COL, "1", "1",
                              "IS NOT NULL") ";"
    "PRAGMA user_version = 4;";


/* entry i takes the schema from version i to i + 1 */
static const char  *ngx_cweb_jstore_migrations[] = {
    ngx_cweb_jstore_v1,
    ngx_cweb_jstore_v2,
    ngx_cweb_jstore_v3,
    ngx_cweb_jstore_v4,
};

#define NGX_CWEB_JSTORE_SCHEMA                                               \
    (int) (sizeof(ngx_cweb_jstore_migrations) / sizeof(char *))


#define NGX_CWEB_JSTORE_SQL(name, sql)  sql,

static const char  *ngx_cweb_jstore_sql[] = {
    NGX_CWEB_JSTORE_STMTS(NGX_CWEB_JSTORE_SQL)
};


ngx_cweb_jstore_t *
ngx_cweb_jstore_open(const char *path, int sync_full, char *err, size_t len)
{
    ngx_cweb_jstore_t  *s;

    s = ngx_cweb_jstore_connect(path, SQLITE_OPEN_CREATE, sync_full, err,
                                len);
    if (s == NULL) {
        return NULL;
    }

    if (ngx_cweb_jstore_migrate(s) != 0 || ngx_cweb_jstore_prepare(s) != 0
        || ngx_cweb_jstore_event_seq(s) != 0)
    {
        snprintf(err, len, "jobs database \"%s\" is unusable: %s",
                 path, s->err);
        ngx_cweb_jstore_close(s);
        return NULL;
    }

    return s;
}


/* a connection in WAL mode with the durability asked for, no statements */

ngx_cweb_jstore_t *
ngx_cweb_jstore_connect(const char *path, int flags, int sync_full,
    char *err, size_t len)
{
    ngx_cweb_jstore_t  *s;

    s = calloc(1, sizeof(ngx_cweb_jstore_t));
    if (s == NULL) {
        snprintf(err, len, "no memory");
        return NULL;
    }

    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE|SQLITE_OPEN_NOMUTEX|flags, NULL)
        != SQLITE_OK)
    {
        snprintf(err, len, "jobs database \"%s\" cannot be opened: %s",
                 path, s->db ? sqlite3_errmsg(s->db) : "no memory");
        ngx_cweb_jstore_close(s);
        return NULL;
    }

    /* plugins can write this file: its schema must not run their SQL */
    (void) sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    (void) sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_busy_timeout(s->db, 5000);

    /* a WAL that grew while a checkpoint was held up shrinks when reset */
    if (ngx_cweb_jstore_exec(s, "PRAGMA journal_mode=WAL") != 0
        || ngx_cweb_jstore_exec(s, sync_full ? "PRAGMA synchronous=FULL"
                                             : "PRAGMA synchronous=NORMAL")
           != 0
        || ngx_cweb_jstore_exec(s, "PRAGMA journal_size_limit=16777216") != 0)
    {
        snprintf(err, len, "jobs database \"%s\" is unusable: %s",
                 path, s->err);
        ngx_cweb_jstore_close(s);
        return NULL;
    }

    return s;
}


void
ngx_cweb_jstore_close(ngx_cweb_jstore_t *s)
{
    int  i;

    if (s == NULL) {
        return;
    }

    ngx_cweb_jstore_event_release(s);

    for (i = 0; i < NGX_CWEB_JSTORE_NSTMTS; i++) {
        sqlite3_finalize(s->stmt[i]);
    }

    sqlite3_close(s->db);
    free(s->last_data);
    free(s->wal);
    free(s);
}


const char *
ngx_cweb_jstore_error(ngx_cweb_jstore_t *s)
{
    return s->err;
}


int
ngx_cweb_jstore_fail(ngx_cweb_jstore_t *s, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, args);
    va_end(args);

    return -1;
}


int
ngx_cweb_jstore_db_error(ngx_cweb_jstore_t *s, const char *what)
{
    return ngx_cweb_jstore_fail(s, "%s: %s", what, sqlite3_errmsg(s->db));
}


int
ngx_cweb_jstore_exec(ngx_cweb_jstore_t *s, const char *sql)
{
    char  *msg;

    msg = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ngx_cweb_jstore_fail(s, "%s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }

    return 0;
}


static int
ngx_cweb_jstore_version(ngx_cweb_jstore_t *s, int *v)
{
    int            rc;
    sqlite3_stmt  *st;

    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL)
        != SQLITE_OK)
    {
        return ngx_cweb_jstore_db_error(s, "user_version");
    }

    rc = sqlite3_step(st);
    *v = (rc == SQLITE_ROW) ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);

    return (rc == SQLITE_ROW) ? 0 : ngx_cweb_jstore_db_error(s, "version");
}


/*
 * one transaction per step, the version read again inside it: another
 * process (an old helper during a reload) may have migrated meanwhile
 */

static int
ngx_cweb_jstore_migrate(ngx_cweb_jstore_t *s)
{
    int  v, from;

    for (from = -1; /* void */; from = v) {
        if (ngx_cweb_jstore_version(s, &v) != 0) {
            return -1;
        }

        if (v > NGX_CWEB_JSTORE_SCHEMA) {
            return ngx_cweb_jstore_fail(s, "schema version %d is newer "
                                        "than this build's %d", v,
                                        NGX_CWEB_JSTORE_SCHEMA);
        }

        if (v == NGX_CWEB_JSTORE_SCHEMA) {
            return 0;
        }

        if (v < 0 || v == from) {
            return ngx_cweb_jstore_fail(s, "the database is damaged: schema "
                                        "version %d", v);
        }

        if (ngx_cweb_jstore_exec(s, "BEGIN IMMEDIATE") != 0) {
            return -1;
        }

        if (ngx_cweb_jstore_version(s, &v) != 0
            || (v >= 0 && v < NGX_CWEB_JSTORE_SCHEMA
                && ngx_cweb_jstore_exec(s, ngx_cweb_jstore_migrations[v])
                   != 0)
            || ngx_cweb_jstore_exec(s, "COMMIT") != 0)
        {
            (void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
}


static int
ngx_cweb_jstore_prepare(ngx_cweb_jstore_t *s)
{
    int  i;

    for (i = 0; i < NGX_CWEB_JSTORE_NSTMTS; i++) {
        if (sqlite3_prepare_v3(s->db, ngx_cweb_jstore_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL)
            != SQLITE_OK)
        {
            return ngx_cweb_jstore_db_error(s, ngx_cweb_jstore_sql[i]);
        }
    }

    return 0;
}


/* a statement that returns no rows, its parameters already bound */

int
ngx_cweb_jstore_run(ngx_cweb_jstore_t *s, int i)
{
    int  rc;

    rc = sqlite3_step(s->stmt[i]);
    sqlite3_reset(s->stmt[i]);
    sqlite3_clear_bindings(s->stmt[i]);

    /* SQLite's reason first: the statement may not fit after it */
    if (rc != SQLITE_DONE) {
        return ngx_cweb_jstore_fail(s, "%s, in: %s", sqlite3_errmsg(s->db),
                                    ngx_cweb_jstore_sql[i]);
    }

    /* a failed statement undoes itself: only one that changed rows counts */
    if (sqlite3_changes(s->db) > 0) {
        s->wrote = 1;
    }

    return 0;
}


int
ngx_cweb_jstore_begin(ngx_cweb_jstore_t *s)
{
    return ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_BEGIN);
}


int
ngx_cweb_jstore_commit(ngx_cweb_jstore_t *s)
{
    if (s->broken) {
        return ngx_cweb_jstore_fail(s, "a write failed half way in this "
                                    "transaction: roll it back");
    }

    return ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_COMMIT);
}


int
ngx_cweb_jstore_rollback(ngx_cweb_jstore_t *s)
{
    s->broken = 0;
    s->last_id = 0;                 /* rolled back: never announced */
    s->event_upto = 0;              /* and its block not reserved */

    return ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_ROLLBACK);
}


/*
 * A write refuses what it must (bad input, a job not in the state it
 * needs, a damaged row) before its first statement that writes, so a
 * refusal leaves the caller's batch whole.  Only SQLite failing in the
 * middle of a write (disk full, I/O) can leave half of it behind: then
 * the batch is broken, further writes and the commit are refused, and
 * the caller rolls back.  (A savepoint per write would make each one undo
 * itself instead, for 17% more instructions in create+claim+finish: every
 * page a write touches is copied again for each savepoint.)
 */

int
ngx_cweb_jstore_op(ngx_cweb_jstore_t *s)
{
    if (sqlite3_get_autocommit(s->db)) {
        return ngx_cweb_jstore_fail(s, "no transaction: call "
                                    "ngx_cweb_jstore_begin() first");
    }

    if (s->broken) {
        return ngx_cweb_jstore_fail(s, "a write failed half way in this "
                                    "transaction: roll it back");
    }

    s->wrote = 0;

    return 0;
}


int
ngx_cweb_jstore_op_end(ngx_cweb_jstore_t *s, int rc)
{
    if (rc < 0 && s->wrote) {
        s->broken = 1;
    }

    return rc;
}


/* compact JSON text of o (NULL: no memory, or a string not UTF-8) */

char *
ngx_cweb_jstore_dump(json_t *o)
{
    char  *text;

    text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);

    return text;
}


int
ngx_cweb_jstore_create(ngx_cweb_jstore_t *s, const ngx_cweb_jnew_t *j,
    int64_t now, int64_t *event_id)
{
    return ngx_cweb_jstore_insert_job(s, j, now, event_id, NULL, NULL);
}


int
ngx_cweb_jstore_create_claimed(ngx_cweb_jstore_t *s,
    const ngx_cweb_jnew_t *j, int64_t now, int64_t *event_id,
    ngx_cweb_jclaim_t *out, int64_t *started_id)
{
    int      rc;
    int64_t  at;

    memset(out, 0, sizeof(ngx_cweb_jclaim_t));

    if (ngx_cweb_jstore_op(s) != 0) {
        return -1;
    }

    /* an older job due goes first: this one waits its turn, pending */
    rc = ngx_cweb_jstore_next_run_at(s, &at);

    /* one unreadable: this one is pending, and claims take what is due */
    if (rc != 0 && (rc < 0 || at <= now)) {
        out = NULL;
    }

    if (j->run_at > now) {
        out = NULL;
    }

    return ngx_cweb_jstore_insert_job(s, j, now, event_id, out, started_id);
}


/*
 * pending; or, when out is given, running in its first attempt with its
 * "started" event after "created", as a claim would have left it
 */

static int
ngx_cweb_jstore_insert_job(ngx_cweb_jstore_t *s, const ngx_cweb_jnew_t *j,
    int64_t now, int64_t *event_id, ngx_cweb_jclaim_t *out,
    int64_t *started_id)
{
    int            rc;
    int64_t        id;
    sqlite3_stmt  *st;

    if (j->uuid == NULL || !ngx_cweb_jstore_uuid_ok(j->uuid, strlen(j->uuid))
        || !ngx_cweb_jstore_name_ok(j->module, NGX_CWEB_JSTORE_NAME_LEN)
        || !ngx_cweb_jstore_name_ok(j->job, NGX_CWEB_JSTORE_NAME_LEN)
        || !ngx_cweb_jstore_name_ok(j->module_hash,
                                    NGX_CWEB_JSTORE_HASH_LEN + 1)
        || strlen(j->module_hash) != NGX_CWEB_JSTORE_HASH_LEN
        || j->version < 1 || j->run_at < 0 || j->timeout_ms < 0
        || j->max_attempts < 1 || !ngx_cweb_jstore_json_ok(j->payload))
    {
        return ngx_cweb_jstore_fail(s, "a new job must have a uuid, names, "
                                    "a module hash, a version, JSON payload "
                                    "and times of the forms stored");
    }

    /* its "created" event and a claimed one's "started" are in its row */
    if (ngx_cweb_jstore_op(s) != 0
        || ngx_cweb_jstore_event_room(s, out ? 2 : 1) != 0)
    {
        return -1;
    }

    st = s->stmt[NGX_CWEB_JSTORE_INSERT_JOB];

    sqlite3_bind_text(st, 1, j->uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, j->module, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, j->job, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, j->module_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, j->version);
    sqlite3_bind_text(st, 6, j->payload, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_int64(st, 8, j->run_at);
    sqlite3_bind_int64(st, 9, j->timeout_ms);
    sqlite3_bind_int64(st, 10, j->max_attempts);
    sqlite3_bind_text(st, 11, out ? "running" : "pending", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, out ? 1 : 0);
    sqlite3_bind_int64(st, 13, s->event_next);

    rc = ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_INSERT_JOB);

    if (rc == 0) {
        id = sqlite3_last_insert_rowid(s->db);
        ngx_cweb_jstore_keep_event(s, s->event_next, now, "created", NULL);

        if (event_id) {
            *event_id = s->event_next;
        }

        s->event_next++;
    }

    if (rc == 0 && out) {
        rc = ngx_cweb_jstore_claimed(s, j, id, 1, out);

        /* the row is running already, its event in it: kept only */
        if (rc == 0
            && ngx_cweb_jstore_start(s, out, now, started_id, 1) != 1)
        {
            rc = -1;
        }
    }

    return ngx_cweb_jstore_op_end(s, rc);
}


/* a claim for the runners: its own copies of the job's (checked) fields */

static int
ngx_cweb_jstore_claimed(ngx_cweb_jstore_t *s, const ngx_cweb_jnew_t *j,
    int64_t id, int64_t attempt, ngx_cweb_jclaim_t *out)
{
    size_t  len;

    len = strlen(j->payload) + 1;
    out->payload = malloc(len);
    if (out->payload == NULL) {
        return ngx_cweb_jstore_fail(s, "no memory");
    }

    memcpy(out->payload, j->payload, len);
    out->id = id;
    out->version = j->version;
    out->timeout_ms = j->timeout_ms;
    out->attempt = attempt;
    out->max_attempts = j->max_attempts;
    memcpy(out->uuid, j->uuid, NGX_CWEB_JSTORE_UUID_LEN + 1);
    strcpy(out->module, j->module);
    strcpy(out->job, j->job);
    strcpy(out->module_hash, j->module_hash);

    return 0;
}


int
ngx_cweb_jstore_claim(ngx_cweb_jstore_t *s, int64_t now,
    ngx_cweb_jclaim_t *out, int64_t *event_id)
{
    int  rc, n;

    memset(out, 0, sizeof(ngx_cweb_jclaim_t));

    if (ngx_cweb_jstore_op(s) != 0) {
        return -1;
    }

    /* each damaged candidate is failed, so the loop ends; bounded anyway */
    for (n = 0; n < 64; n++) {
        rc = ngx_cweb_jstore_claim_row(s, now, out, event_id);
        if (rc != 2) {
            return ngx_cweb_jstore_op_end(s, rc);
        }
    }

    return ngx_cweb_jstore_op_end(s, 0);
}


/* 1 claimed, 0 none due, 2 a damaged candidate was failed, -1 error */

static int
ngx_cweb_jstore_claim_row(ngx_cweb_jstore_t *s, int64_t now,
    ngx_cweb_jclaim_t *out, int64_t *event_id)
{
    int              rc;
    sqlite3_stmt    *st;
    ngx_cweb_jnew_t  j;
    ngx_cweb_jrow_t  r;

    st = s->stmt[NGX_CWEB_JSTORE_DUE];
    sqlite3_bind_int64(st, 1, now);

    rc = sqlite3_step(st);

    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return (rc == SQLITE_DONE) ? 0
                                   : ngx_cweb_jstore_db_error(s, "claim");
    }

    rc = ngx_cweb_jstore_row(s, st, &r);

    if (rc == 0 && !ngx_cweb_jstore_json_ok(r.payload)) {
        rc = ngx_cweb_jstore_fail(s, "the jobs database is damaged: job %"
                                  PRId64 " has a payload that is not JSON",
                                  r.id);
    }

    if (rc == 0 && (r.attempts >= r.max_attempts || r.cancel_requested)) {
        rc = ngx_cweb_jstore_fail(s, "the jobs database is damaged: job %"
                                  PRId64 " is pending with no attempt left "
                                  "or its cancel requested", r.id);
    }

    if (rc != 0) {
        sqlite3_reset(st);
        r.state = "pending";
        return (ngx_cweb_jstore_end(s, &r, "failed", NULL, s->err, now, NULL)
                == 0) ? 2 : -1;
    }

    /* the row's strings are the statement's: copied before its reset */
    j.uuid = r.uuid;
    j.module = r.module;
    j.job = r.job;
    j.module_hash = r.module_hash;
    j.version = r.version;
    j.payload = r.payload;
    j.run_at = r.run_at;
    j.timeout_ms = r.timeout_ms;
    j.max_attempts = r.max_attempts;

    rc = ngx_cweb_jstore_claimed(s, &j, r.id, r.attempts + 1, out);
    sqlite3_reset(st);

    if (rc != 0) {
        return -1;
    }

    return ngx_cweb_jstore_start(s, out, now, event_id, 0);
}


/*
 * the job running (first: the row was inserted running) and its started
 * event; its attempt is written when it ends (schema 3)
 */

static int
ngx_cweb_jstore_start(ngx_cweb_jstore_t *s, ngx_cweb_jclaim_t *c,
    int64_t now, int64_t *event_id, int first)
{
    char           data[48], *p;
    sqlite3_stmt  *st;

    /* jobs.started_at, as START or INSERT_JOB writes it */
    c->started_at = now;

    /* its "started" event is the row's started_event (schema 4) */
    if (!first) {
        if (ngx_cweb_jstore_event_room(s, 1) != 0) {
            goto failed;
        }

        st = s->stmt[NGX_CWEB_JSTORE_START];
        sqlite3_bind_int64(st, 1, c->id);
        sqlite3_bind_int64(st, 2, c->attempt);
        sqlite3_bind_int64(st, 3, now);
        sqlite3_bind_int64(st, 4, s->event_next);

        if (ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_START) != 0) {
            goto failed;
        }
    }

    /* as NGX_CWEB_JSTORE_STARTED_DATA composes it from the row */
    p = ngx_cweb_jstore_cat(data, "{\"attempt\":", 11);
    p = ngx_cweb_jstore_int64(p, c->attempt);
    *p++ = '}';
    *p = '\0';

    ngx_cweb_jstore_keep_event(s, s->event_next, now, "started", data);

    if (event_id) {
        *event_id = s->event_next;
    }

    s->event_next++;

    return 1;

failed:

    ngx_cweb_jstore_claim_free(c);

    return -1;
}


void
ngx_cweb_jstore_claim_free(ngx_cweb_jclaim_t *c)
{
    free(c->payload);
    c->payload = NULL;
}


int
ngx_cweb_jstore_next_run_at(ngx_cweb_jstore_t *s, int64_t *at)
{
    int            rc;
    sqlite3_stmt  *st;

    st = s->stmt[NGX_CWEB_JSTORE_NEXT_RUN_AT];

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) {
            sqlite3_reset(st);
            return ngx_cweb_jstore_fail(s, "the jobs database is damaged: "
                                        "a pending job's run_at is not an "
                                        "integer");
        }

        *at = sqlite3_column_int64(st, 0);
    }

    sqlite3_reset(st);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return ngx_cweb_jstore_db_error(s, "next run_at");
    }

    return rc == SQLITE_ROW;
}


int
ngx_cweb_jstore_emit(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *type, const char *data_json, int64_t now, int64_t *event_id)
{
    int  rc;

    if (!ngx_cweb_jstore_type_ok(type, 0)) {
        return ngx_cweb_jstore_fail(s, "an event type is 1 to %d letters, "
                                    "digits, \"_-.:\", not a built-in one",
                                    NGX_CWEB_JSTORE_TYPE_LEN - 1);
    }

    if (data_json && !ngx_cweb_jstore_json_ok(data_json)) {
        return ngx_cweb_jstore_fail(s, "event data is not JSON");
    }

    if (ngx_cweb_jstore_op(s) != 0) {
        return -1;
    }

    rc = ngx_cweb_jstore_insert_event(s, NGX_CWEB_JSTORE_EMIT, job_id, now,
                                      type, data_json, event_id);

    if (rc == 0 && sqlite3_changes(s->db) == 0) {
        rc = ngx_cweb_jstore_fail(s, "job %" PRId64 " is not running",
                                  job_id);
    }

    return ngx_cweb_jstore_op_end(s, rc);
}
