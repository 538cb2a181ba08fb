
/*
 * The jobs store's reads (see ngx_cweb_jobs_store.c) and the checks that
 * every row read back passes before it is used: plugins can write the
 * file, so a field that has not the form this code writes makes the row
 * damaged, reported as such, never passed on.
 */


#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_cweb_jobs_store_int.h"

#include <unistd.h>


static const char *ngx_cweb_jstore_row_ints(sqlite3_stmt *st,
    ngx_cweb_jrow_t *r);
static const char *ngx_cweb_jstore_row_texts(sqlite3_stmt *st,
    ngx_cweb_jrow_t *r);
static int ngx_cweb_jstore_time(sqlite3_stmt *st, int col, int64_t *v);
static json_t *ngx_cweb_jstore_job_json(ngx_cweb_jrow_t *r);
static int ngx_cweb_jstore_attempts(ngx_cweb_jstore_t *s,
    const ngx_cweb_jrow_t *r, int running, json_t *o);
static int ngx_cweb_jstore_find(ngx_cweb_jstore_t *s, const char *uuid,
    ngx_cweb_jrow_t *r);


static const char  *ngx_cweb_jstore_states[] = {
    "pending", "running", "done", "failed", "canceled", NULL
};

static const char  *ngx_cweb_jstore_builtin[] = {
    "created", "started", "done", "failed", "canceled", "retry", NULL
};


int
ngx_cweb_jstore_uuid_ok(const char *s, size_t len)
{
    size_t  i;

    if (len != NGX_CWEB_JSTORE_UUID_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }

        } else if (!ngx_cweb_jstore_hex_ok(&s[i], 1)) {
            return 0;
        }
    }

    return 1;
}


int
ngx_cweb_jstore_hex_ok(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


int
ngx_cweb_jstore_state_ok(const char *s)
{
    int  i;

    for (i = 0; s && ngx_cweb_jstore_states[i]; i++) {
        if (strcmp(s, ngx_cweb_jstore_states[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


/* 1 to max - 1 bytes, no control byte (valid UTF-8 is checked by jansson) */

int
ngx_cweb_jstore_name_ok(const char *s, size_t max)
{
    size_t  i;

    if (s == NULL || s[0] == '\0') {
        return 0;
    }

    for (i = 0; s[i]; i++) {
        if (i + 1 >= max || (unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* a plugin's type, or with builtin one of the host's too */

int
ngx_cweb_jstore_type_ok(const char *s, int builtin)
{
    int     i;
    size_t  n;

    if (s == NULL) {
        return 0;
    }

    n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789_-.:");

    if (n == 0 || s[n] != '\0' || n >= NGX_CWEB_JSTORE_TYPE_LEN) {
        return 0;
    }

    for (i = 0; ngx_cweb_jstore_builtin[i]; i++) {
        if (strcmp(s, ngx_cweb_jstore_builtin[i]) == 0) {
            return builtin;
        }
    }

    return 1;
}


int
ngx_cweb_jstore_json_ok(const char *text)
{
    json_t  *v;

    v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    json_decref(v);

    return v != NULL;
}


/*
 * *r from a row of NGX_CWEB_JSTORE_JOB_COLS, or -1 and why it is damaged;
 * the result and the payload are parsed by those who use them
 */

int
ngx_cweb_jstore_row(ngx_cweb_jstore_t *s, sqlite3_stmt *st,
    ngx_cweb_jrow_t *r)
{
    const char  *bad;

    memset(r, 0, sizeof(ngx_cweb_jrow_t));
    r->id = sqlite3_column_int64(st, NGX_CWEB_JSTORE_C_ID);

    bad = ngx_cweb_jstore_row_ints(st, r);

    if (bad == NULL) {
        bad = ngx_cweb_jstore_row_texts(st, r);
    }

    if (bad) {
        return ngx_cweb_jstore_fail(s, "the jobs database is damaged: job %"
                                    PRId64 " has %s", r->id, bad);
    }

    return 0;
}


/* a time column that may be NULL (*v -1): 0, or -1 when it is damaged */

static int
ngx_cweb_jstore_time(sqlite3_stmt *st, int col, int64_t *v)
{
    *v = -1;

    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        return 0;
    }

    if (sqlite3_column_type(st, col) != SQLITE_INTEGER
        || sqlite3_column_int64(st, col) < 0)
    {
        return -1;
    }

    *v = sqlite3_column_int64(st, col);

    return 0;
}


#define ngx_cweb_jstore_int(col, field)                                      \
    { NGX_CWEB_JSTORE_C_##col, offsetof(ngx_cweb_jrow_t, field),             \
      "a bad " #field }


static const char *
ngx_cweb_jstore_row_ints(sqlite3_stmt *st, ngx_cweb_jrow_t *r)
{
    int       i;
    int64_t  *v;

    static const struct {
        int          col;
        size_t       off;
        const char  *name;
    } ints[] = {
        ngx_cweb_jstore_int(VERSION, version),
        ngx_cweb_jstore_int(CREATED, created_at),
        ngx_cweb_jstore_int(UPDATED, updated_at),
        ngx_cweb_jstore_int(RUN_AT, run_at),
        ngx_cweb_jstore_int(TIMEOUT, timeout_ms),
        ngx_cweb_jstore_int(MAX, max_attempts),
        ngx_cweb_jstore_int(ATTEMPTS, attempts),
        ngx_cweb_jstore_int(CANCEL, cancel_requested),
    };

    for (i = 0; i < (int) (sizeof(ints) / sizeof(ints[0])); i++) {
        if (sqlite3_column_type(st, ints[i].col) != SQLITE_INTEGER) {
            return ints[i].name;
        }

        v = (int64_t *) ((char *) r + ints[i].off);
        *v = sqlite3_column_int64(st, ints[i].col);

        if (*v < 0) {
            return ints[i].name;
        }
    }

    /*
     * started_at NULL until the first claim (and in a row of schema 2
     * without one), ended_at until the end (and in a row ended before
     * schema 4)
     */
    if (ngx_cweb_jstore_time(st, NGX_CWEB_JSTORE_C_STARTED, &r->started_at)
        != 0)
    {
        return "a bad started_at";
    }

    if (ngx_cweb_jstore_time(st, NGX_CWEB_JSTORE_C_ENDED, &r->ended_at)
        != 0)
    {
        return "a bad ended_at";
    }

    if (r->version < 1 || r->max_attempts < 1 || r->cancel_requested > 1
        || r->attempts > r->max_attempts)
    {
        return "numbers out of range";
    }

    return NULL;
}


#define ngx_cweb_jstore_text(st, col)                                        \
    ((sqlite3_column_type(st, col) == SQLITE_TEXT)                           \
     ? (const char *) sqlite3_column_text(st, col) : NULL)

#define ngx_cweb_jstore_text_len(st, col, len)                               \
    (ngx_cweb_jstore_text(st, col) != NULL                                   \
     && (size_t) sqlite3_column_bytes(st, col) == (len)                      \
     && strlen((const char *) sqlite3_column_text(st, col)) == (len))


static const char *
ngx_cweb_jstore_row_texts(sqlite3_stmt *st, ngx_cweb_jrow_t *r)
{
    r->uuid = ngx_cweb_jstore_text(st, NGX_CWEB_JSTORE_C_UUID);
    if (!ngx_cweb_jstore_text_len(st, NGX_CWEB_JSTORE_C_UUID,
                                  NGX_CWEB_JSTORE_UUID_LEN)
        || !ngx_cweb_jstore_uuid_ok(r->uuid, NGX_CWEB_JSTORE_UUID_LEN))
    {
        return "a bad uuid";
    }

    r->module_hash = ngx_cweb_jstore_text(st, NGX_CWEB_JSTORE_C_HASH);
    if (!ngx_cweb_jstore_text_len(st, NGX_CWEB_JSTORE_C_HASH,
                                  NGX_CWEB_JSTORE_HASH_LEN)
        || !ngx_cweb_jstore_hex_ok(r->module_hash, NGX_CWEB_JSTORE_HASH_LEN))
    {
        return "a bad module_hash";
    }

    r->module = ngx_cweb_jstore_text(st, NGX_CWEB_JSTORE_C_MODULE);
    r->job = ngx_cweb_jstore_text(st, NGX_CWEB_JSTORE_C_JOB);
    if (!ngx_cweb_jstore_name_ok(r->module, NGX_CWEB_JSTORE_NAME_LEN)
        || !ngx_cweb_jstore_name_ok(r->job, NGX_CWEB_JSTORE_NAME_LEN))
    {
        return "a bad module or job name";
    }

    r->state = ngx_cweb_jstore_text(st, NGX_CWEB_JSTORE_C_STATE);
    if (!ngx_cweb_jstore_state_ok(r->state)) {
        return "an unknown state";
    }

    r->error = ngx_cweb_jstore_text(st, NGX_CWEB_JSTORE_C_ERROR);
    if (r->error == NULL
        && sqlite3_column_type(st, NGX_CWEB_JSTORE_C_ERROR) != SQLITE_NULL)
    {
        return "an error that is not text";
    }

    r->result = ngx_cweb_jstore_text(st, NGX_CWEB_JSTORE_C_RESULT);
    r->payload = ngx_cweb_jstore_text(st, NGX_CWEB_JSTORE_C_PAYLOAD);

    if (r->payload == NULL) {
        return "a payload that is not text";
    }

    /* whether it parses is known when it is parsed, if ever */
    if (r->result == NULL
        && sqlite3_column_type(st, NGX_CWEB_JSTORE_C_RESULT) != SQLITE_NULL)
    {
        return "a result that is not text";
    }

    return NULL;
}


/*
 * get's and list's shape; NULL: a result that is not JSON, a string not
 * UTF-8, or no memory
 */

static json_t *
ngx_cweb_jstore_job_json(ngx_cweb_jrow_t *r)
{
    json_t  *result;

    result = r->result ? json_loads(r->result, JSON_DECODE_ANY, NULL)
                       : json_null();
    if (result == NULL) {
        return NULL;
    }

    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o,"
                     "s:s?}",
                     "job_uuid", r->uuid, "module", r->module,
                     "job", r->job, "state", r->state,
                     "module_hash", r->module_hash,
                     "version", (json_int_t) r->version,
                     "created_at", (json_int_t) r->created_at,
                     "updated_at", (json_int_t) r->updated_at,
                     "run_at", (json_int_t) r->run_at,
                     "timeout_ms", (json_int_t) r->timeout_ms,
                     "max_attempts", (json_int_t) r->max_attempts,
                     "result", result, "error", r->error);
}


/* the job's row, checked (its JSON parsed): 1, 0 unknown, -1 */

static int
ngx_cweb_jstore_find(ngx_cweb_jstore_t *s, const char *uuid,
    ngx_cweb_jrow_t *r)
{
    int            rc;
    sqlite3_stmt  *st;

    if (uuid == NULL || !ngx_cweb_jstore_uuid_ok(uuid, strlen(uuid))) {
        return 0;
    }

    st = s->stmt[NGX_CWEB_JSTORE_BY_UUID];
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        return (ngx_cweb_jstore_row(s, st, r) == 0) ? 1 : -1;
    }

    sqlite3_reset(st);

    return (rc == SQLITE_DONE) ? 0 : ngx_cweb_jstore_db_error(s, "job");
}


int
ngx_cweb_jstore_get(ngx_cweb_jstore_t *s, const char *uuid, json_t **out)
{
    int              rc, running;
    ngx_cweb_jrow_t  r;

    *out = NULL;

    rc = ngx_cweb_jstore_find(s, uuid, &r);
    running = 0;

    if (rc == 1) {
        /* (r's texts are the statement's, gone once it is reset) */
        running = (strcmp(r.state, "running") == 0) ? 1
                  : (strcmp(r.state, "pending") == 0) ? 2 : 0;
        *out = ngx_cweb_jstore_job_json(&r);
        if (*out == NULL) {
            rc = ngx_cweb_jstore_fail(s, "the jobs database is damaged: "
                                      "job %" PRId64 " has a result that "
                                      "is not JSON or text not UTF-8",
                                      r.id);
        }
    }

    sqlite3_reset(s->stmt[NGX_CWEB_JSTORE_BY_UUID]);

    if (rc == 1 && ngx_cweb_jstore_attempts(s, &r, running, *out) != 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }

    return rc;
}


/*
 * the job's attempts: the rows of the ended ones, and for a running job
 * the one it is in, from its row (written when it ends: schema 3); the
 * attempt a job ended in has no row either (schema 4): the job's row
 * tells its start, its end and its error
 */

static int
ngx_cweb_jstore_attempts(ngx_cweb_jstore_t *s, const ngx_cweb_jrow_t *r,
    int running, json_t *o)
{
    int            rc;
    int64_t        last;
    json_t        *a, *one;
    sqlite3_stmt  *st;

    last = 0;
    a = json_array();
    if (a == NULL || json_object_set_new(o, "attempts", a) != 0) {
        return ngx_cweb_jstore_fail(s, "no memory");
    }

    st = s->stmt[NGX_CWEB_JSTORE_ATTEMPTS];
    sqlite3_bind_int64(st, 1, r->id);

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        one = (sqlite3_column_type(st, 0) == SQLITE_INTEGER
               && sqlite3_column_type(st, 1) == SQLITE_INTEGER
               && sqlite3_column_type(st, 2) == SQLITE_INTEGER
               && sqlite3_column_type(st, 3) != SQLITE_BLOB
               && (running != 1 || sqlite3_column_int64(st, 0) < r->attempts))
              ? json_pack("{s:I,s:I,s:I,s:s?}",
                          "attempt", (json_int_t) sqlite3_column_int64(st, 0),
                          "started_at",
                          (json_int_t) sqlite3_column_int64(st, 1),
                          "ended_at",
                          (json_int_t) sqlite3_column_int64(st, 2),
                          "error", (const char *) sqlite3_column_text(st, 3))
              : NULL;

        if (one == NULL || json_array_append_new(a, one) != 0) {
            sqlite3_reset(st);
            return ngx_cweb_jstore_fail(s, "the jobs database is damaged: "
                                        "an attempt of job %" PRId64
                                        " is not of the form written",
                                        r->id);
        }

        last = sqlite3_column_int64(st, 0);
    }

    sqlite3_reset(st);

    if (rc != SQLITE_DONE) {
        return ngx_cweb_jstore_db_error(s, "attempts");
    }

    if (running == 1) {
        one = json_pack("{s:I,s:o,s:n,s:n}",
                        "attempt", (json_int_t) r->attempts,
                        "started_at", r->started_at >= 0
                                      ? json_integer(r->started_at)
                                      : json_null(),
                        "ended_at", "error");

    } else if (running == 0 && r->attempts > last && r->started_at >= 0
               && r->ended_at >= 0)
    {
        one = json_pack("{s:I,s:I,s:I,s:O?}",
                        "attempt", (json_int_t) r->attempts,
                        "started_at", (json_int_t) r->started_at,
                        "ended_at", (json_int_t) r->ended_at,
                        "error", json_object_get(o, "error"));

    } else {
        return 0;
    }

    if (one == NULL || json_array_append_new(a, one) != 0) {
        return ngx_cweb_jstore_fail(s, "no memory");
    }

    return 0;
}


/* the statement listing jobs in state (NULL: all), -1 for no state */

static int
ngx_cweb_jstore_list_stmt(const char *state)
{
    int  i;

    static const int  stmt[] = {
        NGX_CWEB_JSTORE_LIST_PENDING, NGX_CWEB_JSTORE_LIST_RUNNING,
        NGX_CWEB_JSTORE_LIST_DONE, NGX_CWEB_JSTORE_LIST_FAILED,
        NGX_CWEB_JSTORE_LIST_CANCELED
    };

    if (state == NULL) {
        return NGX_CWEB_JSTORE_LIST_ALL;
    }

    /* in the order of ngx_cweb_jstore_states[] */
    for (i = 0; ngx_cweb_jstore_states[i]; i++) {
        if (strcmp(state, ngx_cweb_jstore_states[i]) == 0) {
            return stmt[i];
        }
    }

    return -1;
}


json_t *
ngx_cweb_jstore_list(ngx_cweb_jstore_t *s, const char *state, int limit)
{
    int               i, rc;
    json_t           *list, *o;
    sqlite3_stmt     *st;
    ngx_cweb_jrow_t   r;

    i = ngx_cweb_jstore_list_stmt(state);

    if (i < 0) {
        ngx_cweb_jstore_fail(s, "unknown state \"%s\"", state);
        return NULL;
    }

    st = s->stmt[i];
    /* SQLite reads a negative LIMIT as none */
    sqlite3_bind_int(st, 1, limit < 0 ? 0 : limit);

    list = json_array();
    rc = list ? SQLITE_OK : SQLITE_NOMEM;

    while (list && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (ngx_cweb_jstore_row(s, st, &r) != 0) {
            break;
        }

        o = ngx_cweb_jstore_job_json(&r);

        if (o == NULL || json_array_append_new(list, o) != 0) {
            ngx_cweb_jstore_fail(s, "the jobs database is damaged: job %"
                                 PRId64 " has a result that is not JSON or "
                                 "text not UTF-8", r.id);
            break;
        }
    }

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);

    if (rc != SQLITE_DONE) {
        if (rc != SQLITE_ROW) {
            ngx_cweb_jstore_db_error(s, "jobs");
        }

        json_decref(list);
        return NULL;
    }

    return list;
}


int
ngx_cweb_jstore_events(ngx_cweb_jstore_t *s, const char *uuid,
    int64_t since_id, int limit, json_t **out, int64_t *last_id)
{
    return ngx_cweb_jstore_events_state(s, uuid, since_id, limit, out,
                                        last_id, NULL);
}


int
ngx_cweb_jstore_events_state(ngx_cweb_jstore_t *s, const char *uuid,
    int64_t since_id, int limit, json_t **out, int64_t *last_id,
    char *state_out)
{
    int               rc;
    json_t           *e;
    sqlite3_stmt     *st;
    ngx_cweb_jrow_t   r;
    char              id[NGX_CWEB_JSTORE_UUID_LEN + 1];

    *out = NULL;
    *last_id = since_id;

    rc = ngx_cweb_jstore_find(s, uuid, &r);

    if (rc == 1 && state_out) {
        snprintf(state_out, NGX_CWEB_JSTORE_STATE_LEN, "%s", r.state);
    }

    sqlite3_reset(s->stmt[NGX_CWEB_JSTORE_BY_UUID]);

    if (rc != 1) {
        return rc;
    }

    memcpy(id, uuid, sizeof(id));

    *out = json_array();
    if (*out == NULL) {
        return ngx_cweb_jstore_fail(s, "no memory");
    }

    st = s->stmt[NGX_CWEB_JSTORE_EVENTS];
    sqlite3_bind_int64(st, 1, r.id);
    sqlite3_bind_int64(st, 2, since_id);
    sqlite3_bind_int(st, 3, limit < 0 ? 0 : limit);

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* an id from a job's row is not a key: checked as the rest */
        e = (sqlite3_column_type(st, 0) == SQLITE_INTEGER
             && sqlite3_column_type(st, 1) == SQLITE_INTEGER
             && sqlite3_column_type(st, 2) == SQLITE_TEXT
             && ngx_cweb_jstore_type_ok(
                    (const char *) sqlite3_column_text(st, 2), 1)
             && sqlite3_column_type(st, 3) != SQLITE_BLOB)
            ? ngx_cweb_jstore_event_json(id, sqlite3_column_int64(st, 0),
                  sqlite3_column_int64(st, 1),
                  (const char *) sqlite3_column_text(st, 2),
                  (const char *) sqlite3_column_text(st, 3))
            : NULL;

        if (e == NULL || json_array_append_new(*out, e) != 0) {
            ngx_cweb_jstore_fail(s, "the jobs database is damaged: event %"
                                 PRId64 " is not of the form written",
                                 (int64_t) sqlite3_column_int64(st, 0));
            break;
        }

        *last_id = sqlite3_column_int64(st, 0);
    }

    sqlite3_reset(st);

    if (rc != SQLITE_DONE) {
        if (rc != SQLITE_ROW) {
            ngx_cweb_jstore_db_error(s, "events");
        }

        json_decref(*out);
        *out = NULL;
        *last_id = since_id;
        return -1;
    }

    return 1;
}


/*
 * event id as it was stored, of the job uuid (the caller's), as compact
 * JSON text (malloc'd): one primary key lookup, for the events the
 * scheduler announces after its commit; the one inserted last is known
 * without it
 */

char *
ngx_cweb_jstore_event_get(ngx_cweb_jstore_t *s, const char *uuid, int64_t id)
{
    json_t        *ev;
    sqlite3_stmt  *st;

    if (id == s->last_id && id > 0) {
        /* as is unless a line break would split a stream's line */
        if (s->last_null || strpbrk(s->last_data, "\r\n") == NULL) {
            return ngx_cweb_jstore_event_text(uuid, id, s->last_ts,
                                              s->last_type,
                                              s->last_null ? NULL
                                                           : s->last_data);
        }

        return ngx_cweb_jstore_dump(ngx_cweb_jstore_event_json(uuid, id,
                   s->last_ts, s->last_type, s->last_data));
    }

    ev = NULL;
    st = s->stmt[NGX_CWEB_JSTORE_EVENT_ONE];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, uuid, -1, SQLITE_STATIC);

    /* read back: parsed, so that only JSON is announced */
    if (sqlite3_step(st) == SQLITE_ROW
        && sqlite3_column_type(st, 0) == SQLITE_INTEGER
        && sqlite3_column_type(st, 1) == SQLITE_TEXT
        && sqlite3_column_type(st, 2) != SQLITE_BLOB)
    {
        ev = ngx_cweb_jstore_event_json(uuid, id, sqlite3_column_int64(st, 0),
                 (const char *) sqlite3_column_text(st, 1),
                 (const char *) sqlite3_column_text(st, 2));
    }

    sqlite3_reset(st);

    return ngx_cweb_jstore_dump(ev);
}


/*
 * the text of an event this process wrote: its data is compact JSON as
 * jansson writes it (the runners compact what plugins give), its uuid
 * and type of the forms checked before they were written, so the text is
 * composed as is, the same bytes as json_dumps() of
 * ngx_cweb_jstore_event_json() without parsing the data again
 */

char *
ngx_cweb_jstore_event_text(const char *uuid, int64_t id, int64_t ts,
    const char *type, const char *data_json)
{
    char    *text, *p;
    size_t   lu, lt, ld;

    /* by hand: snprintf() took a tenth of the store thread's time a job */
    static const char  a[] = "{\"job_uuid\":\"", b[] = "\",\"event_id\":",
                       c[] = ",\"ts\":", d[] = ",\"type\":\"",
                       e[] = "\",\"data\":";

    if (data_json == NULL) {
        data_json = "null";
    }

    lu = strlen(uuid);
    lt = strlen(type);
    ld = strlen(data_json);

    text = malloc(sizeof(a) + sizeof(b) + sizeof(c) + sizeof(d) + sizeof(e)
                  + lu + lt + ld + 2 * NGX_CWEB_JSTORE_INT64_LEN + 2);
    if (text == NULL) {
        return NULL;
    }

    p = ngx_cweb_jstore_cat(text, a, sizeof(a) - 1);
    p = ngx_cweb_jstore_cat(p, uuid, lu);
    p = ngx_cweb_jstore_cat(p, b, sizeof(b) - 1);
    p = ngx_cweb_jstore_int64(p, id);
    p = ngx_cweb_jstore_cat(p, c, sizeof(c) - 1);
    p = ngx_cweb_jstore_int64(p, ts);
    p = ngx_cweb_jstore_cat(p, d, sizeof(d) - 1);
    p = ngx_cweb_jstore_cat(p, type, lt);
    p = ngx_cweb_jstore_cat(p, e, sizeof(e) - 1);
    p = ngx_cweb_jstore_cat(p, data_json, ld);
    *p++ = '}';
    *p = '\0';

    return text;
}


json_t *
ngx_cweb_jstore_event_json(const char *uuid, int64_t id, int64_t ts,
    const char *type, const char *data_json)
{
    json_t  *data;

    data = data_json ? json_loads(data_json, JSON_DECODE_ANY, NULL)
                     : json_null();
    if (data == NULL) {
        return NULL;
    }

    return json_pack("{s:s,s:I,s:I,s:s,s:o}", "job_uuid", uuid,
                     "event_id", (json_int_t) id, "ts", (json_int_t) ts,
                     "type", type, "data", data);
}


/*
 * whether a pending or running job of jobs.db at path was created for
 * version of module (its object must stay): 1, 0 (none, or no jobs.db),
 * -1 when the store cannot be read (the caller keeps the object); from
 * any process, read-only, beside the scheduler's writes (WAL)
 */

int
ngx_cweb_jstore_needs(const char *path, const char *module, size_t len,
    int64_t version)
{
    int            rc;
    sqlite3       *db;
    sqlite3_stmt  *st;

    if (access(path, F_OK) != 0) {
        return 0;
    }

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }

    (void) sqlite3_busy_timeout(db, 2000);

    /* two SELECTs, so that each reads its state's partial index */
    rc = sqlite3_prepare_v2(db, "SELECT 1 FROM jobs WHERE state = 'pending' "
                            "AND module = ?1 AND version = ?2 UNION ALL "
                            "SELECT 1 FROM jobs WHERE state = 'running' "
                            "AND module = ?1 AND version = ?2 LIMIT 1", -1,
                            &st, NULL);

    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, module, (int) len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, version);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
    }

    sqlite3_close(db);

    return rc == SQLITE_ROW ? 1 : (rc == SQLITE_DONE ? 0 : -1);
}


/* v in decimal (at most NGX_CWEB_JSTORE_INT64_LEN bytes), not terminated */

char *
ngx_cweb_jstore_int64(char *p, int64_t v)
{
    char      buf[NGX_CWEB_JSTORE_INT64_LEN], *q;
    uint64_t  u;

    /* the magnitude of INT64_MIN too, in unsigned arithmetic */
    u = (v < 0) ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;
    q = buf + sizeof(buf);

    do {
        *--q = (char) ('0' + u % 10);
        u /= 10;
    } while (u);

    if (v < 0) {
        *--q = '-';
    }

    return ngx_cweb_jstore_cat(p, q, (size_t) (buf + sizeof(buf) - q));
}
