
/*
 * What the jobs store's files share: the store object, its cached
 * statements and the checks of what is read back.  See
 * ngx_cweb_jobs_store.c for the design.
 */


#ifndef _NGX_CWEB_JOBS_STORE_INT_H_INCLUDED_
#define _NGX_CWEB_JOBS_STORE_INT_H_INCLUDED_


#include <string.h>
#include <sqlite3.h>

#include "ngx_cweb_jobs_store.h"


#define NGX_CWEB_JSTORE_JOB_COLS                                             \
    "id, uuid, module, job, state, module_hash, version, created_at, "      \
    "updated_at, run_at, timeout_ms, max_attempts, attempts, "              \
    "cancel_requested, result, error, payload, started_at, ended_at"

/* the columns of NGX_CWEB_JSTORE_JOB_COLS */
enum {
    NGX_CWEB_JSTORE_C_ID = 0,
    NGX_CWEB_JSTORE_C_UUID,
    NGX_CWEB_JSTORE_C_MODULE,
    NGX_CWEB_JSTORE_C_JOB,
    NGX_CWEB_JSTORE_C_STATE,
    NGX_CWEB_JSTORE_C_HASH,
    NGX_CWEB_JSTORE_C_VERSION,
    NGX_CWEB_JSTORE_C_CREATED,
    NGX_CWEB_JSTORE_C_UPDATED,
    NGX_CWEB_JSTORE_C_RUN_AT,
    NGX_CWEB_JSTORE_C_TIMEOUT,
    NGX_CWEB_JSTORE_C_MAX,
    NGX_CWEB_JSTORE_C_ATTEMPTS,
    NGX_CWEB_JSTORE_C_CANCEL,
    NGX_CWEB_JSTORE_C_RESULT,
    NGX_CWEB_JSTORE_C_ERROR,
    NGX_CWEB_JSTORE_C_PAYLOAD,
    NGX_CWEB_JSTORE_C_STARTED,
    NGX_CWEB_JSTORE_C_ENDED
};


/*
 * the newest jobs in one state: one statement a state, its state written
 * in it so that its partial index (schema 3) can serve it, and the index
 * named: without statistics the planner would rather read every job
 * backwards than sort the pending ones.  Done jobs have no index: the
 * table read from its newest row finds them first.
 */
#define NGX_CWEB_JSTORE_LIST(X, name, from_where)                            \
    X(LIST_##name, "SELECT " NGX_CWEB_JSTORE_JOB_COLS " FROM jobs "          \
      from_where " ORDER BY id DESC LIMIT ?1")

/* jobs_ended serves a state when the query repeats its WHERE */
#define NGX_CWEB_JSTORE_ENDED(state)                                         \
    "INDEXED BY jobs_ended WHERE state = '" state "' "                       \
    "AND state IN ('failed', 'canceled')"

/*
 * The events of jobs (schema 4): the rows of job_event_rows (the
 * plugins' own events, retries, and the events of jobs older than
 * schema 4) and a job's built-in events, kept in its row: created, the
 * current attempt's started (an attempt that ends in a retry or a
 * requeue leaves its started event a row) and the end.  Their data is
 * composed from the row as the writer composed it when it announced
 * them (a replay parses the data again, so a "failed" event's error
 * may be written by SQLite's json_object() here and by jansson there).
 * rows_where filters job_event_rows, jobs_where the job and ev the
 * event ids of the job's columns, job_col adds the job's id or not; the
 * view job_events (for sqlite3 and the tests) is every arm unfiltered:
 * a change here is a migration that creates the view again.  A replay
 * orders the compound itself (ORDER BY 1), not a subquery of it: SQLite
 * then merges the arms as their indexes give them and stops at the
 * limit, where a subquery's rows are all read and sorted for each page.
 */
#define NGX_CWEB_JSTORE_STARTED_DATA                                         \
    "'{\"attempt\":' || attempts || '}'"

#define NGX_CWEB_JSTORE_ENDED_DATA                                           \
    "CASE WHEN state = 'done' THEN result WHEN error IS NULL THEN NULL "     \
    "ELSE json_object('error', error) END"

#define NGX_CWEB_JSTORE_EVENTS_OF(job_col, rows_where, jobs_where, ev)       \
    "SELECT id" job_col(job_id) ", ts, type, data FROM job_event_rows "      \
    "WHERE " rows_where " "                                                  \
    "UNION ALL SELECT created_event" job_col(id) ", created_at, "            \
    "'created', NULL FROM jobs WHERE " jobs_where " AND created_event " ev   \
    " UNION ALL SELECT started_event" job_col(id) ", started_at, "           \
    "'started', " NGX_CWEB_JSTORE_STARTED_DATA " "                           \
    "FROM jobs WHERE " jobs_where " AND started_event " ev " "               \
    "UNION ALL SELECT ended_event" job_col(id) ", ended_at, state, "         \
    NGX_CWEB_JSTORE_ENDED_DATA " "                                           \
    "FROM jobs WHERE " jobs_where " AND ended_event " ev

/* the job's column of NGX_CWEB_JSTORE_EVENTS_OF(), or none */
#define NGX_CWEB_JSTORE_JOB_COL(col)   ", " #col
#define NGX_CWEB_JSTORE_NO_COL(col)    ""

/* event ids reserved at a time (job_event_seq): a restart skips fewer */
#define NGX_CWEB_JSTORE_EVENT_BLOCK  4096

/* every statement the store runs, prepared once at open */
#define NGX_CWEB_JSTORE_STMTS(X)                                             \
    X(BEGIN, "BEGIN IMMEDIATE")                                              \
    X(COMMIT, "COMMIT")                                                      \
    X(ROLLBACK, "ROLLBACK")                                                  \
    X(INSERT_JOB, "INSERT INTO jobs (uuid, module, job, module_hash, "       \
      "version, payload, state, created_at, updated_at, run_at, "            \
      "timeout_ms, max_attempts, attempts, cancel_requested, started_at, " \
      "created_event, started_event) "                                      \
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?11, ?7, ?7, ?8, ?9, ?10, ?12, 0, "  \
      "CASE ?11 WHEN 'running' THEN ?7 END, ?13, "                           \
      "CASE ?11 WHEN 'running' THEN ?13 + 1 END)")                           \
    X(INSERT_EVENT, "INSERT INTO job_event_rows (id, job_id, ts, type, "     \
      "data) VALUES (?5, ?1, ?2, ?3, ?4)")                                   \
    X(DUE, "SELECT " NGX_CWEB_JSTORE_JOB_COLS " FROM jobs "                  \
      "WHERE state = 'pending' AND run_at <= ?1 ORDER BY run_at, id "        \
      "LIMIT 1")                                                             \
    X(START, "UPDATE jobs SET state = 'running', attempts = ?2, "            \
      "updated_at = ?3, started_at = ?3, started_event = ?4 WHERE id = ?1")  \
    X(NEXT_RUN_AT, "SELECT run_at FROM jobs WHERE state = 'pending' "        \
      "ORDER BY run_at LIMIT 1")                                             \
    X(EMIT, "INSERT INTO job_event_rows (id, job_id, ts, type, data) "       \
      "SELECT ?5, id, ?2, ?3, ?4 FROM jobs "                                 \
      "WHERE id = ?1 AND state = 'running'")                                 \
    X(BY_ID, "SELECT " NGX_CWEB_JSTORE_JOB_COLS " FROM jobs WHERE id = ?1")  \
    X(BY_UUID, "SELECT " NGX_CWEB_JSTORE_JOB_COLS " FROM jobs "              \
      "WHERE uuid = ?1")                                                     \
    X(END, "UPDATE jobs SET state = ?2, result = ?3, error = ?4, "          \
      "updated_at = ?5, ended_at = ?5, ended_event = ?8 WHERE id = ?1")      \
    X(FINISH_RUN, "UPDATE jobs SET state = ?2, result = ?3, error = ?4, "   \
      "updated_at = ?5, ended_at = ?5, ended_event = ?8 "                    \
      "WHERE id = ?1 AND state = 'running' "                                 \
      "AND attempts = ?6 AND typeof(attempts) = 'integer' "                  \
      "AND typeof(max_attempts) = 'integer' AND attempts <= max_attempts "   \
      "AND cancel_requested = 0 AND typeof(cancel_requested) = 'integer' "   \
      "AND started_at = ?7 AND typeof(started_at) = 'integer'")              \
    X(RUNNING_END, "SELECT attempts, cancel_requested, started_at FROM jobs "\
      "WHERE id = ?1 AND state = 'running' "                                 \
      "AND typeof(attempts) = 'integer' AND attempts > 0 "                   \
      "AND typeof(max_attempts) = 'integer' AND attempts <= max_attempts "   \
      "AND typeof(cancel_requested) = 'integer' "                            \
      "AND cancel_requested IN (0, 1) "                                      \
      "AND (started_at IS NULL OR (typeof(started_at) = 'integer' "         \
      "AND started_at >= 0))")                                               \
    X(ATTEMPT_END, "INSERT OR REPLACE INTO job_attempts (job_id, attempt, "  \
      "started_at, ended_at, error) VALUES (?1, ?2, COALESCE(?5, ?3), ?3, "   \
      "?4)")                                                                 \
    X(KEEP_STARTED, "INSERT INTO job_event_rows (id, job_id, ts, type, "     \
      "data) SELECT started_event, id, started_at, 'started', "              \
      NGX_CWEB_JSTORE_STARTED_DATA " FROM jobs "                             \
      "WHERE id = ?1 AND started_event IS NOT NULL")                         \
    X(PEND, "UPDATE jobs SET state = 'pending', "                            \
      "run_at = COALESCE(?2, run_at), error = COALESCE(?3, error), "         \
      "updated_at = ?4, attempts = ?5, started_event = NULL WHERE id = ?1")  \
    X(CANCEL_REQ, "UPDATE jobs SET cancel_requested = 1, updated_at = ?2 "   \
      "WHERE id = ?1")                                                       \
    X(RUNNING, "SELECT id FROM jobs WHERE state = 'running' ORDER BY id")    \
    X(ATTEMPTS, "SELECT attempt, started_at, ended_at, error "               \
      "FROM job_attempts WHERE job_id = ?1 ORDER BY attempt")                \
    X(LIST_ALL, "SELECT " NGX_CWEB_JSTORE_JOB_COLS " FROM jobs "             \
      "ORDER BY id DESC LIMIT ?1")                                           \
    NGX_CWEB_JSTORE_LIST(X, PENDING,                                         \
        "INDEXED BY jobs_pending WHERE state = 'pending'")                   \
    NGX_CWEB_JSTORE_LIST(X, RUNNING,                                         \
        "INDEXED BY jobs_running WHERE state = 'running'")                   \
    NGX_CWEB_JSTORE_LIST(X, DONE, "WHERE state = 'done'")                    \
    NGX_CWEB_JSTORE_LIST(X, FAILED, NGX_CWEB_JSTORE_ENDED("failed"))         \
    NGX_CWEB_JSTORE_LIST(X, CANCELED, NGX_CWEB_JSTORE_ENDED("canceled"))     \
    X(EVENT_BY_ID, "SELECT j.uuid, e.type, e.data FROM ("                   \
      NGX_CWEB_JSTORE_EVENTS_OF(NGX_CWEB_JSTORE_JOB_COL,                     \
                                "id = ?1 AND job_id = ?2", "id = ?2",       \
                                "= ?1")                                      \
      ") e JOIN jobs j ON j.id = e.job_id")                                  \
    X(EVENT_ONE, "SELECT ts, type, data FROM ("                              \
      NGX_CWEB_JSTORE_EVENTS_OF(NGX_CWEB_JSTORE_NO_COL, "id = ?1",          \
                                "uuid = ?2", "= ?1") ")")                    \
    X(EVENT_SEQ, "SELECT (SELECT next FROM job_event_seq WHERE one = 0), "   \
      "(SELECT max(id) FROM job_event_rows)")                                \
    X(EVENT_RESERVE, "INSERT OR REPLACE INTO job_event_seq (one, next) "     \
      "VALUES (0, ?1)")                                                      \
    X(EVENT_RELEASE, "UPDATE job_event_seq SET next = ?1 "                  \
      "WHERE one = 0 AND next = ?2")                                         \
    X(EVENTS, NGX_CWEB_JSTORE_EVENTS_OF(NGX_CWEB_JSTORE_NO_COL,             \
                                        "job_id = ?1 AND id > ?2",          \
                                        "id = ?1", "> ?2")                   \
      " ORDER BY 1 LIMIT ?3")


#define NGX_CWEB_JSTORE_ENUM(name, sql)  NGX_CWEB_JSTORE_##name,

enum {
    NGX_CWEB_JSTORE_STMTS(NGX_CWEB_JSTORE_ENUM)
    NGX_CWEB_JSTORE_NSTMTS
};


struct ngx_cweb_jstore_s {
    sqlite3       *db;
    sqlite3_stmt  *stmt[NGX_CWEB_JSTORE_NSTMTS];
    unsigned       wrote:1;      /* the current write has written */
    unsigned       broken:1;     /* one failed after it had: roll back */
    char           err[NGX_CWEB_JSTORE_ERR_LEN];

    int64_t        event_next;   /* the next event's id (the writer's) */
    int64_t        event_upto;   /* reserved in job_event_seq below this */

    /* the event inserted last, as written: announced without a read */
    int64_t        last_id;
    int64_t        last_ts;
    char           last_type[NGX_CWEB_JSTORE_TYPE_LEN];
    char          *last_data;    /* its buffer */
    size_t         last_size;
    int            last_null;    /* the data is null */

    void          *wal;          /* ngx_cweb_jstore_on_wal()'s, or NULL */
};


/*
 * A job row read back and checked: the strings point into the statement
 * (valid until it is reset), result and payload are JSON text or NULL.
 */
typedef struct {
    int64_t        id;
    int64_t        version;
    int64_t        created_at;
    int64_t        updated_at;
    int64_t        run_at;
    int64_t        timeout_ms;
    int64_t        max_attempts;
    int64_t        attempts;
    int64_t        cancel_requested;
    int64_t        started_at;    /* the last claim's, -1: none */
    int64_t        ended_at;      /* its end's (schema 4), -1: none */
    const char    *uuid;
    const char    *module;
    const char    *job;
    const char    *state;
    const char    *module_hash;
    const char    *result;
    const char    *error;
    const char    *payload;
} ngx_cweb_jrow_t;


ngx_cweb_jstore_t *ngx_cweb_jstore_connect(const char *path, int flags,
    int sync_full, char *err, size_t len);
int ngx_cweb_jstore_exec(ngx_cweb_jstore_t *s, const char *sql);
int ngx_cweb_jstore_op(ngx_cweb_jstore_t *s);
int ngx_cweb_jstore_op_end(ngx_cweb_jstore_t *s, int rc);
int ngx_cweb_jstore_run(ngx_cweb_jstore_t *s, int i);
int ngx_cweb_jstore_event(ngx_cweb_jstore_t *s, int64_t job_id, int64_t now,
    const char *type, const char *data, int64_t *event_id);
int ngx_cweb_jstore_insert_event(ngx_cweb_jstore_t *s, int i, int64_t job_id,
    int64_t now, const char *type, const char *data, int64_t *event_id);
int ngx_cweb_jstore_event_seq(ngx_cweb_jstore_t *s);
int ngx_cweb_jstore_event_room(ngx_cweb_jstore_t *s, int64_t n);
void ngx_cweb_jstore_event_release(ngx_cweb_jstore_t *s);
void ngx_cweb_jstore_keep_event(ngx_cweb_jstore_t *s, int64_t id,
    int64_t now, const char *type, const char *data);
char *ngx_cweb_jstore_dump(json_t *o);

/* texts composed by hand, of the forms checked (cheaper than snprintf) */
#define NGX_CWEB_JSTORE_INT64_LEN  (sizeof("-9223372036854775808") - 1)

#define ngx_cweb_jstore_cat(p, s, len)                                       \
    ((char *) memcpy(p, s, len) + (len))

char *ngx_cweb_jstore_int64(char *p, int64_t v);
int ngx_cweb_jstore_running(ngx_cweb_jstore_t *s, int64_t job_id,
    ngx_cweb_jrow_t *r);
int ngx_cweb_jstore_end(ngx_cweb_jstore_t *s, ngx_cweb_jrow_t *r,
    const char *state, const char *result, const char *error, int64_t now,
    int64_t *event_id);
int ngx_cweb_jstore_fail(ngx_cweb_jstore_t *s, const char *fmt, ...);
int ngx_cweb_jstore_db_error(ngx_cweb_jstore_t *s, const char *what);
int ngx_cweb_jstore_row(ngx_cweb_jstore_t *s, sqlite3_stmt *st,
    ngx_cweb_jrow_t *r);
int ngx_cweb_jstore_json_ok(const char *text);
int ngx_cweb_jstore_name_ok(const char *s, size_t max);
int ngx_cweb_jstore_type_ok(const char *s, int builtin);


#endif /* _NGX_CWEB_JOBS_STORE_INT_H_INCLUDED_ */
