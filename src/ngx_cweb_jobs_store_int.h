
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
    "cancel_requested, result, error, payload, started_at"

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
    NGX_CWEB_JSTORE_C_STARTED
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

/* every statement the store runs, prepared once at open */
#define NGX_CWEB_JSTORE_STMTS(X)                                             \
    X(BEGIN, "BEGIN IMMEDIATE")                                              \
    X(COMMIT, "COMMIT")                                                      \
    X(ROLLBACK, "ROLLBACK")                                                  \
    X(INSERT_JOB, "INSERT INTO jobs (uuid, module, job, module_hash, "       \
      "version, payload, state, created_at, updated_at, run_at, "            \
      "timeout_ms, max_attempts, attempts, cancel_requested, started_at) "  \
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?11, ?7, ?7, ?8, ?9, ?10, ?12, 0, "  \
      "CASE ?11 WHEN 'running' THEN ?7 END)")                                \
    X(INSERT_EVENT, "INSERT INTO job_events (id, job_id, ts, type, data) "   \
      "VALUES (?5, ?1, ?2, ?3, ?4)")                                         \
    X(DUE, "SELECT " NGX_CWEB_JSTORE_JOB_COLS " FROM jobs "                  \
      "WHERE state = 'pending' AND run_at <= ?1 ORDER BY run_at, id "        \
      "LIMIT 1")                                                             \
    X(START, "UPDATE jobs SET state = 'running', attempts = ?2, "            \
      "updated_at = ?3, started_at = ?3 WHERE id = ?1")                      \
    X(NEXT_RUN_AT, "SELECT run_at FROM jobs WHERE state = 'pending' "        \
      "ORDER BY run_at LIMIT 1")                                             \
    X(EMIT, "INSERT INTO job_events (id, job_id, ts, type, data) "           \
      "SELECT ?5, id, ?2, ?3, ?4 FROM jobs "                                 \
      "WHERE id = ?1 AND state = 'running'")                                 \
    X(BY_ID, "SELECT " NGX_CWEB_JSTORE_JOB_COLS " FROM jobs WHERE id = ?1")  \
    X(BY_UUID, "SELECT " NGX_CWEB_JSTORE_JOB_COLS " FROM jobs "              \
      "WHERE uuid = ?1")                                                     \
    X(END, "UPDATE jobs SET state = ?2, result = ?3, error = ?4, "          \
      "updated_at = ?5 WHERE id = ?1")                                       \
    X(FINISH_RUN, "UPDATE jobs SET state = ?2, result = ?3, error = ?4, "   \
      "updated_at = ?5 WHERE id = ?1 AND state = 'running' "                 \
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
    X(PEND, "UPDATE jobs SET state = 'pending', "                            \
      "run_at = COALESCE(?2, run_at), error = COALESCE(?3, error), "         \
      "updated_at = ?4, attempts = ?5 WHERE id = ?1")                        \
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
    X(EVENT_BY_ID, "SELECT j.uuid, e.type, e.data FROM job_events e "     \
      "JOIN jobs j ON j.id = e.job_id WHERE e.id = ?1")                      \
    X(EVENT_ONE, "SELECT ts, type, data FROM job_events WHERE id = ?1")      \
    X(EVENT_MAX, "SELECT max(id) FROM job_events")                           \
    X(EVENTS, "SELECT id, ts, type, data FROM job_events "                   \
      "WHERE job_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3")


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
