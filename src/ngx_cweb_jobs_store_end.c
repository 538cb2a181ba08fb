
/*
 * The jobs store's endings: a running job finished, retried, requeued or
 * recovered after a crash, and cancels.  See ngx_cweb_jobs_store.c.
 */


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_cweb_jobs_store_int.h"


static int ngx_cweb_jstore_end_by(ngx_cweb_jstore_t *s, int i,
    ngx_cweb_jrow_t *r, const char *state, const char *result,
    const char *error, int64_t now, int64_t *event_id);
static int ngx_cweb_jstore_attempt_end(ngx_cweb_jstore_t *s,
    ngx_cweb_jrow_t *r, int64_t now, const char *error);
static int ngx_cweb_jstore_finish_ok(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *state, const char *result_json);
static int ngx_cweb_jstore_finish_read(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *state, const char *result_json, const char *error,
    int64_t now, char *state_out, int64_t *event_id);
static int ngx_cweb_jstore_end_running(ngx_cweb_jstore_t *s,
    int64_t job_id, const char *state, const char *result, const char *error,
    int64_t now, char *state_out, int64_t *event_id);
static int ngx_cweb_jstore_settle(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *error, int64_t run_at, int64_t backoff_ms, int64_t now,
    char *state_out, int64_t *event_id);
static int ngx_cweb_jstore_keep_started(ngx_cweb_jstore_t *s,
    int64_t job_id);
static int ngx_cweb_jstore_recover_one(ngx_cweb_jstore_t *s, int64_t id,
    const char *why,
    int64_t now, int64_t backoff_ms, ngx_cweb_jstore_event_pt handler,
    void *data);


/* *r the job, checked, and running; the statement is reset on return */

int
ngx_cweb_jstore_running(ngx_cweb_jstore_t *s, int64_t job_id,
    ngx_cweb_jrow_t *r)
{
    int            rc;
    sqlite3_stmt  *st;

    st = s->stmt[NGX_CWEB_JSTORE_BY_ID];
    sqlite3_bind_int64(st, 1, job_id);

    rc = sqlite3_step(st);

    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return (rc == SQLITE_DONE)
               ? ngx_cweb_jstore_fail(s, "no job %" PRId64, job_id)
               : ngx_cweb_jstore_db_error(s, "job");
    }

    rc = ngx_cweb_jstore_row(s, st, r);

    /* only the numbers and the state are used after the reset */
    if (rc == 0 && strcmp(r->state, "running") != 0) {
        rc = ngx_cweb_jstore_fail(s, "job %" PRId64 " is %s, not running",
                                  job_id, r->state);
    }

    sqlite3_reset(st);
    r->state = "running";

    return rc;
}


/*
 * a job ends: its row, which holds its event and, when it was running,
 * the attempt it ended in (a pending job's last attempt ended already)
 */

int
ngx_cweb_jstore_end(ngx_cweb_jstore_t *s, ngx_cweb_jrow_t *r,
    const char *state, const char *result, const char *error, int64_t now,
    int64_t *event_id)
{
    return ngx_cweb_jstore_end_by(s, NGX_CWEB_JSTORE_END, r, state, result,
                                  error, now, event_id);
}


/*
 * as ngx_cweb_jstore_end(), its row updated by statement i: END, or
 * FINISH_RUN, which updates it only while it is as its claim left it
 * (1: it is not, nothing written)
 */

static int
ngx_cweb_jstore_end_by(ngx_cweb_jstore_t *s, int i, ngx_cweb_jrow_t *r,
    const char *state, const char *result, const char *error, int64_t now,
    int64_t *event_id)
{
    int            rc;
    char          *data;
    sqlite3_stmt  *st;

    data = NULL;

    /* the event's data first: a refusal comes before any write */
    if (strcmp(state, "done") != 0 && error != NULL) {
        data = ngx_cweb_jstore_dump(json_pack("{s:s}", "error", error));
        if (data == NULL) {
            return ngx_cweb_jstore_fail(s, "the error of job %" PRId64
                                        " is not UTF-8 text", r->id);
        }
    }

    /* its event is the row's ended_event (schema 4) */
    if (ngx_cweb_jstore_event_room(s, 1) != 0) {
        free(data);
        return -1;
    }

    st = s->stmt[i];
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, result, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int64(st, 8, s->event_next);

    if (i == NGX_CWEB_JSTORE_FINISH_RUN) {
        sqlite3_bind_int64(st, 6, r->attempts);
        sqlite3_bind_int64(st, 7, r->started_at);
    }

    rc = ngx_cweb_jstore_run(s, i);

    if (rc == 0 && i == NGX_CWEB_JSTORE_FINISH_RUN
        && sqlite3_changes(s->db) == 0)
    {
        free(data);
        return 1;
    }

    /*
     * the row tells the end and, if it was running, the attempt it ended
     * in (schema 4); its event is kept as NGX_CWEB_JSTORE_ENDED_DATA
     * composes it from the row
     */
    if (rc == 0) {
        ngx_cweb_jstore_keep_event(s, s->event_next, now, state,
                                   (strcmp(state, "done") == 0) ? result
                                                                : data);
        if (event_id) {
            *event_id = s->event_next;
        }

        s->event_next++;
    }

    free(data);

    return rc;
}


static int
ngx_cweb_jstore_attempt_end(ngx_cweb_jstore_t *s, ngx_cweb_jrow_t *r,
    int64_t now, const char *error)
{
    sqlite3_stmt  *st;

    st = s->stmt[NGX_CWEB_JSTORE_ATTEMPT_END];
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->attempts);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);

    if (r->started_at >= 0) {
        sqlite3_bind_int64(st, 5, r->started_at);
    }

    return ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_ATTEMPT_END);
}


int
ngx_cweb_jstore_finish(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *state, const char *result_json, const char *error,
    int64_t now, char *state_out, int64_t *event_id)
{
    if (ngx_cweb_jstore_finish_ok(s, job_id, state, result_json) != 0
        || ngx_cweb_jstore_op(s) != 0)
    {
        return -1;
    }

    return ngx_cweb_jstore_finish_read(s, job_id, state, result_json, error,
                                       now, state_out, event_id);
}


/*
 * the runner's finish: its claim's attempt and start tell the row's, so
 * the row is not read first while it is as the claim left it (the cancel
 * not requested; 4% of a job's instructions); else as finish()
 */

int
ngx_cweb_jstore_finish_run(ngx_cweb_jstore_t *s, int64_t job_id,
    int64_t attempt, int64_t started_at, const char *state,
    const char *result_json, const char *error, int64_t now, char *state_out,
    int64_t *event_id)
{
    int              rc;
    ngx_cweb_jrow_t  r;

    if (ngx_cweb_jstore_finish_ok(s, job_id, state, result_json) != 0
        || ngx_cweb_jstore_op(s) != 0)
    {
        return -1;
    }

    memset(&r, 0, sizeof(ngx_cweb_jrow_t));
    r.id = job_id;
    r.attempts = attempt;
    r.started_at = started_at;
    r.state = "running";

    rc = ngx_cweb_jstore_end_by(s, NGX_CWEB_JSTORE_FINISH_RUN, &r, state,
                                result_json, error, now, event_id);

    if (rc == 1) {
        return ngx_cweb_jstore_finish_read(s, job_id, state, result_json,
                                           error, now, state_out, event_id);
    }

    if (rc == 0 && state_out) {
        snprintf(state_out, NGX_CWEB_JSTORE_STATE_LEN, "%s", state);
    }

    return ngx_cweb_jstore_op_end(s, rc);
}


static int
ngx_cweb_jstore_finish_ok(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *state, const char *result_json)
{
    if (state == NULL
        || (strcmp(state, "done") != 0 && strcmp(state, "failed") != 0
            && strcmp(state, "canceled") != 0))
    {
        return ngx_cweb_jstore_fail(s, "a job ends done, failed or "
                                    "canceled");
    }

    if (result_json && !ngx_cweb_jstore_json_ok(result_json)) {
        return ngx_cweb_jstore_fail(s, "the result of job %" PRId64
                                    " is not JSON", job_id);
    }

    return 0;
}


/* finish(), the row read first: how the job ends is the row's to say */

static int
ngx_cweb_jstore_finish_read(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *state, const char *result_json, const char *error,
    int64_t now, char *state_out, int64_t *event_id)
{
    int              rc;
    ngx_cweb_jrow_t  r;

    rc = ngx_cweb_jstore_end_running(s, job_id, state, result_json, error,
                                     now, state_out, event_id);
    if (rc != 1) {
        return ngx_cweb_jstore_op_end(s, rc);
    }

    /* not running, or damaged: read for why, and say it */
    rc = ngx_cweb_jstore_running(s, job_id, &r);

    if (rc == 0) {
        /* of the forms written, but not of a running job (attempts 0) */
        rc = ngx_cweb_jstore_fail(s, "the jobs database is damaged: job %"
                                  PRId64 " is running with numbers out of "
                                  "range", job_id);
    }

    return ngx_cweb_jstore_op_end(s, rc);
}


/*
 * a running job's end, read with only the numbers it uses, checked in the
 * query as ngx_cweb_jstore_row() checks them (its texts are not read: the
 * runner has its claim's); the cancel hook ran, so whatever the job did
 * after it is ignored; 1: the job is not running or its row is damaged,
 * nothing written
 */

static int
ngx_cweb_jstore_end_running(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *state, const char *result, const char *error, int64_t now,
    char *state_out, int64_t *event_id)
{
    int              rc;
    sqlite3_stmt    *st;
    ngx_cweb_jrow_t  r;

    st = s->stmt[NGX_CWEB_JSTORE_RUNNING_END];
    sqlite3_bind_int64(st, 1, job_id);

    rc = sqlite3_step(st);

    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return (rc == SQLITE_DONE) ? 1
                                   : ngx_cweb_jstore_db_error(s, "job");
    }

    r.id = job_id;
    r.attempts = sqlite3_column_int64(st, 0);
    r.cancel_requested = sqlite3_column_int64(st, 1);
    r.started_at = (sqlite3_column_type(st, 2) == SQLITE_INTEGER)
                   ? sqlite3_column_int64(st, 2) : -1;
    r.state = "running";
    sqlite3_reset(st);

    if (r.cancel_requested) {
        state = "canceled";
        result = NULL;
    }

    rc = ngx_cweb_jstore_end(s, &r, state, result, error, now, event_id);

    if (rc == 0 && state_out) {
        snprintf(state_out, NGX_CWEB_JSTORE_STATE_LEN, "%s", state);
    }

    return rc;
}


int
ngx_cweb_jstore_retry(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *error, int64_t run_at, int64_t now, char *state_out,
    int64_t *event_id)
{
    if (run_at < 0) {
        return ngx_cweb_jstore_fail(s, "run_at is negative");
    }

    if (ngx_cweb_jstore_op(s) != 0) {
        return -1;
    }

    return ngx_cweb_jstore_op_end(s,
               ngx_cweb_jstore_settle(s, job_id, error, run_at, 0, now,
                                      state_out, event_id));
}


/*
 * a running job's attempt failed: pending again at run_at (or, when
 * run_at is -1, after the backoff for its attempts) while attempts are
 * left, else failed; canceled when its cancel was requested
 */

static int
ngx_cweb_jstore_settle(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *error, int64_t run_at, int64_t backoff_ms, int64_t now,
    char *state_out, int64_t *event_id)
{
    int               rc;
    char             *data;
    const char       *state;
    sqlite3_stmt     *st;
    ngx_cweb_jrow_t   r;

    if (ngx_cweb_jstore_running(s, job_id, &r) != 0) {
        return -1;
    }

    state = r.cancel_requested ? "canceled"
            : (r.attempts >= r.max_attempts) ? "failed" : "pending";

    if (state_out) {
        snprintf(state_out, NGX_CWEB_JSTORE_STATE_LEN, "%s", state);
    }

    if (state[0] != 'p') {
        return ngx_cweb_jstore_end(s, &r, state, NULL, error, now, event_id);
    }

    if (run_at < 0) {
        run_at = now + ngx_cweb_jstore_backoff(backoff_ms, r.attempts);
    }

    data = ngx_cweb_jstore_dump(json_pack("{s:s?,s:I,s:I}", "error", error,
                                          "attempt", (json_int_t) r.attempts,
                                          "run_at", (json_int_t) run_at));
    if (data == NULL) {
        return ngx_cweb_jstore_fail(s, "the error of job %" PRId64
                                    " is not UTF-8 text", job_id);
    }

    rc = ngx_cweb_jstore_attempt_end(s, &r, now, error);

    if (rc == 0) {
        rc = ngx_cweb_jstore_keep_started(s, job_id);
    }

    if (rc == 0) {
        st = s->stmt[NGX_CWEB_JSTORE_PEND];
        sqlite3_bind_int64(st, 1, job_id);
        sqlite3_bind_int64(st, 2, run_at);
        sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, r.attempts);
        rc = ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_PEND);
    }

    if (rc == 0) {
        rc = ngx_cweb_jstore_event(s, job_id, now, "retry", data, event_id);
    }

    free(data);

    return rc;
}


/*
 * a job goes back to pending: its attempt's "started" event, which the
 * next start replaces in its row, becomes a row of its own (as it was
 * announced: the row's attempts and started_at are still the attempt's)
 */

static int
ngx_cweb_jstore_keep_started(ngx_cweb_jstore_t *s, int64_t job_id)
{
    sqlite3_bind_int64(s->stmt[NGX_CWEB_JSTORE_KEEP_STARTED], 1, job_id);

    return ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_KEEP_STARTED);
}


int
ngx_cweb_jstore_cancel(ngx_cweb_jstore_t *s, const char *uuid,
    int64_t now, char *state_out, int64_t *event_id)
{
    int               rc;
    sqlite3_stmt     *st;
    ngx_cweb_jrow_t   r;

    state_out[0] = '\0';
    *event_id = 0;

    if (ngx_cweb_jstore_op(s) != 0) {
        return -1;
    }

    st = s->stmt[NGX_CWEB_JSTORE_BY_UUID];
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);

    rc = sqlite3_step(st);

    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return ngx_cweb_jstore_op_end(s, (rc == SQLITE_DONE) ? 0
                                      : ngx_cweb_jstore_db_error(s, "job"));
    }

    rc = ngx_cweb_jstore_row(s, st, &r);

    if (rc == 0) {
        snprintf(state_out, NGX_CWEB_JSTORE_STATE_LEN, "%s", r.state);
    }

    sqlite3_reset(st);

    if (rc == 0 && strcmp(state_out, "pending") == 0) {
        r.state = "pending";
        snprintf(state_out, NGX_CWEB_JSTORE_STATE_LEN, "canceled");
        rc = ngx_cweb_jstore_end(s, &r, "canceled", NULL, NULL, now,
                                 event_id);

    } else if (rc == 0 && strcmp(state_out, "running") == 0
               && !r.cancel_requested)
    {
        st = s->stmt[NGX_CWEB_JSTORE_CANCEL_REQ];
        sqlite3_bind_int64(st, 1, r.id);
        sqlite3_bind_int64(st, 2, now);
        rc = ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_CANCEL_REQ);
    }

    return ngx_cweb_jstore_op_end(s, rc);
}


int
ngx_cweb_jstore_requeue(ngx_cweb_jstore_t *s, int64_t job_id,
    int64_t now, int64_t *event_id)
{
    int               rc;
    sqlite3_stmt     *st;
    ngx_cweb_jrow_t   r;

    if (ngx_cweb_jstore_op(s) != 0) {
        return -1;
    }

    rc = ngx_cweb_jstore_running(s, job_id, &r);

    if (rc == 0 && r.cancel_requested) {
        rc = ngx_cweb_jstore_end(s, &r, "canceled", NULL, NULL, now,
                                 event_id);
        return ngx_cweb_jstore_op_end(s, rc);
    }

    /* the attempt not counted: it has no row until it ends (schema 3) */
    if (rc == 0) {
        rc = ngx_cweb_jstore_keep_started(s, job_id);
    }

    if (rc == 0) {
        st = s->stmt[NGX_CWEB_JSTORE_PEND];
        sqlite3_bind_int64(st, 1, job_id);
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, r.attempts - 1);
        rc = ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_PEND);
    }

    if (rc == 0) {
        rc = ngx_cweb_jstore_event(s, job_id, now, "retry",
                                   "{\"interrupted\":true}", event_id);
    }

    return ngx_cweb_jstore_op_end(s, rc);
}


int64_t
ngx_cweb_jstore_backoff(int64_t base, int64_t attempt)
{
    if (base <= 0 || attempt < 1) {
        return 0;
    }

    attempt = (attempt > 21) ? 20 : attempt - 1;

    /* past this the delay would not fit: it means "much later" anyway */
    if (base > (INT64_MAX >> attempt)) {
        return INT64_MAX >> 1;
    }

    return base << attempt;
}


int
ngx_cweb_jstore_recover(ngx_cweb_jstore_t *s, int64_t now,
    int64_t backoff_ms, ngx_cweb_jstore_why_pt why,
    ngx_cweb_jstore_event_pt handler, void *data)
{
    const char    *reason;
    int            rc, n, i;
    int64_t       *ids, *p;
    size_t         nalloc;
    sqlite3_stmt  *st;

    ids = NULL;
    nalloc = 0;
    n = 0;
    st = s->stmt[NGX_CWEB_JSTORE_RUNNING];

    /* the ids first: the rows change under a running SELECT otherwise */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((size_t) n == nalloc) {
            nalloc = nalloc ? 2 * nalloc : 64;
            p = realloc(ids, nalloc * sizeof(int64_t));
            if (p == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            ids = p;
        }

        ids[n++] = sqlite3_column_int64(st, 0);
    }

    sqlite3_reset(st);

    if (rc != SQLITE_DONE) {
        free(ids);
        return ngx_cweb_jstore_db_error(s, "running jobs");
    }

    for (i = 0; i < n; i++) {
        reason = why ? why(data, ids[i]) : NULL;

        if (ngx_cweb_jstore_recover_one(s, ids[i],
                                        reason ? reason
                                        : NGX_CWEB_JSTORE_INTERRUPTED,
                                        now, backoff_ms, handler, data)
            != 0)
        {
            free(ids);
            return -1;
        }
    }

    free(ids);

    return n;
}


static int
ngx_cweb_jstore_recover_one(ngx_cweb_jstore_t *s, int64_t id,
    const char *why, int64_t now, int64_t backoff_ms,
    ngx_cweb_jstore_event_pt handler, void *data)
{
    int            rc;
    int64_t        eid;
    sqlite3_stmt  *st;

    if (ngx_cweb_jstore_op(s) != 0) {
        return -1;
    }

    rc = ngx_cweb_jstore_settle(s, id, why, -1, backoff_ms, now, NULL, &eid);

    if (rc == 0 && handler) {
        st = s->stmt[NGX_CWEB_JSTORE_EVENT_BY_ID];
        sqlite3_bind_int64(st, 1, eid);
        sqlite3_bind_int64(st, 2, id);

        if (sqlite3_step(st) == SQLITE_ROW) {
            handler(data, (const char *) sqlite3_column_text(st, 0), eid,
                    now, (const char *) sqlite3_column_text(st, 1),
                    (const char *) sqlite3_column_text(st, 2));
        } else {
            rc = ngx_cweb_jstore_db_error(s, "event");
        }

        sqlite3_reset(st);
    }

    return ngx_cweb_jstore_op_end(s, rc);
}
