
/*
 * The jobs store's events: the writer's sequence of event ids (reserved
 * in job_event_seq a block at a time), the rows of job_event_rows, and
 * the event written last, kept to be announced without a read.  See
 * ngx_cweb_jobs_store.c.
 */


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_cweb_jobs_store_int.h"


/*
 * the writer's next event id: past every id given before (job_event_seq)
 * and the largest row (one written by another connection too); no block
 * is reserved until an event is written
 */

int
ngx_cweb_jstore_event_seq(ngx_cweb_jstore_t *s)
{
    int            rc, i;
    int64_t        next, v;
    sqlite3_stmt  *st;

    st = s->stmt[NGX_CWEB_JSTORE_EVENT_SEQ];
    rc = sqlite3_step(st);
    next = 1;

    for (i = 0; rc == SQLITE_ROW && i < 2; i++) {
        if (sqlite3_column_type(st, i) == SQLITE_NULL) {
            continue;
        }

        v = sqlite3_column_int64(st, i);

        if (sqlite3_column_type(st, i) != SQLITE_INTEGER || v < 0) {
            sqlite3_reset(st);
            return ngx_cweb_jstore_fail(s, "the database is damaged: an "
                                        "event id is not an integer");
        }

        /* the largest row's successor; the sequence's as it is */
        if (i == 1 && v < INT64_MAX) {
            v++;
        }

        next = (v > next) ? v : next;
    }

    sqlite3_reset(st);

    if (rc != SQLITE_ROW) {
        return ngx_cweb_jstore_db_error(s, "event ids");
    }

    if (next > INT64_MAX - 2 * NGX_CWEB_JSTORE_EVENT_BLOCK) {
        return ngx_cweb_jstore_fail(s, "the database is damaged: no event "
                                    "id is left");
    }

    s->event_next = next;
    s->event_upto = 0;

    return 0;
}


/*
 * room for n more event ids in the block reserved, else a block reserved
 * in this transaction; the reservation does not count as the op's write:
 * kept or rolled back with the batch, it never half-does an op
 */

int
ngx_cweb_jstore_event_room(ngx_cweb_jstore_t *s, int64_t n)
{
    int       rc;
    unsigned  wrote;
    int64_t   upto;

    if (s->event_next + n <= s->event_upto) {
        return 0;
    }

    if (s->event_next > INT64_MAX - 2 * NGX_CWEB_JSTORE_EVENT_BLOCK - n) {
        return ngx_cweb_jstore_fail(s, "no event id is left");
    }

    upto = s->event_next + n + NGX_CWEB_JSTORE_EVENT_BLOCK;

    wrote = s->wrote;
    sqlite3_bind_int64(s->stmt[NGX_CWEB_JSTORE_EVENT_RESERVE], 1, upto);
    rc = ngx_cweb_jstore_run(s, NGX_CWEB_JSTORE_EVENT_RESERVE);
    s->wrote = wrote;

    if (rc != 0) {
        return -1;
    }

    s->event_upto = upto;

    return 0;
}


/*
 * at close, what is left of the block reserved is given back, so that a
 * restart (a reload) goes on from the next id; after a crash the next
 * writer starts past the block
 */

void
ngx_cweb_jstore_event_release(ngx_cweb_jstore_t *s)
{
    sqlite3_stmt  *st;

    st = s->stmt[NGX_CWEB_JSTORE_EVENT_RELEASE];

    if (st == NULL || s->event_upto <= s->event_next
        || !sqlite3_get_autocommit(s->db))
    {
        return;
    }

    sqlite3_bind_int64(st, 1, s->event_next);
    sqlite3_bind_int64(st, 2, s->event_upto);
    (void) sqlite3_step(st);
    sqlite3_reset(st);
    s->event_upto = 0;
}


int
ngx_cweb_jstore_event(ngx_cweb_jstore_t *s, int64_t job_id, int64_t now,
    const char *type, const char *data, int64_t *event_id)
{
    return ngx_cweb_jstore_insert_event(s, NGX_CWEB_JSTORE_INSERT_EVENT,
                                        job_id, now, type, data, event_id);
}


/* an event by statement i, which may insert none */

int
ngx_cweb_jstore_insert_event(ngx_cweb_jstore_t *s, int i, int64_t job_id,
    int64_t now, const char *type, const char *data, int64_t *event_id)
{
    int            tries;
    int64_t        id;
    sqlite3_stmt  *st;

    st = s->stmt[i];

    for (tries = 0; /* void */; tries++) {
        if (ngx_cweb_jstore_event_room(s, 1) != 0) {
            return -1;
        }

        sqlite3_bind_int64(st, 1, job_id);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, data, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, s->event_next);

        if (ngx_cweb_jstore_run(s, i) == 0) {
            break;
        }

        /*
         * the id is a row's that another connection wrote: past the
         * largest, once (or every insert after would be refused)
         */
        if (tries > 0
            || sqlite3_extended_errcode(s->db) != SQLITE_CONSTRAINT_PRIMARYKEY
            || ngx_cweb_jstore_event_seq(s) != 0)
        {
            return -1;
        }
    }

    /* an id is never given twice, even one rolled back or deleted since */
    if (sqlite3_changes(s->db) > 0) {
        id = sqlite3_last_insert_rowid(s->db);
        ngx_cweb_jstore_keep_event(s, id, now, type, data);

        if (event_id) {
            *event_id = id;
        }

        s->event_next = id + 1;
    }

    return 0;
}


/*
 * what the event just inserted holds, for ngx_cweb_jstore_event_get();
 * a copy that does not fit (no memory) leaves none kept
 */

void
ngx_cweb_jstore_keep_event(ngx_cweb_jstore_t *s, int64_t id, int64_t now,
    const char *type, const char *data)
{
    char    *p;
    size_t   len;

    s->last_id = 0;

    if (strlen(type) >= sizeof(s->last_type)) {
        return;
    }

    if (data) {
        len = strlen(data) + 1;

        if (len > s->last_size) {
            p = realloc(s->last_data, len);
            if (p == NULL) {
                return;
            }

            s->last_data = p;
            s->last_size = len;
        }

        memcpy(s->last_data, data, len);
    }

    strcpy(s->last_type, type);
    s->last_ts = now;
    s->last_id = id;
    s->last_null = (data == NULL);
}
