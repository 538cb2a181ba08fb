
/*
 * What the store thread's ops give back, besides their rows: the answer
 * to POST /jobs composed as text, the answers to reads and cancels, a
 * replay's page cut to what a worker takes, and the texts of the events
 * to announce (of the forms the
 * store writes; see ngx_cweb_jstore_event_text()).  Only the store and
 * the op are used: nothing of the scheduler's state.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs_sched.h"


/*
 * the answer to POST /jobs, composed: the uuid and the module hash are
 * of the forms the store has checked (jansson's text for anything else)
 */

void
ngx_cweb_jobs_created(ngx_cweb_jop_t *op)
{
    u_char  *p;

    static const char  a[] = "{\"job_uuid\":\"",
                       b[] = "\",\"state\":\"pending\",\"module_hash\":\"";

    if (ngx_strlen(op->job.uuid) == NGX_CWEB_JSTORE_UUID_LEN
        && ngx_strlen(op->job.module_hash) == NGX_CWEB_JSTORE_HASH_LEN
        && ngx_cweb_jstore_hex_ok(op->job.module_hash,
                                  NGX_CWEB_JSTORE_HASH_LEN))
    {
        op->text = malloc(sizeof(a) + sizeof(b) + NGX_CWEB_JSTORE_UUID_LEN
                          + NGX_CWEB_JSTORE_HASH_LEN + 2);

        if (op->text) {
            p = ngx_cpymem(op->text, a, sizeof(a) - 1);
            p = ngx_cpymem(p, op->job.uuid, NGX_CWEB_JSTORE_UUID_LEN);
            p = ngx_cpymem(p, b, sizeof(b) - 1);
            p = ngx_cpymem(p, op->job.module_hash, NGX_CWEB_JSTORE_HASH_LEN);
            *p++ = '"';
            *p++ = '}';
            *p = '\0';
            return;
        }
    }

    op->body = json_pack("{s:s,s:s,s:s}", "job_uuid", op->job.uuid,
                         "state", "pending", "module_hash",
                         op->job.module_hash);
}


/*
 * a page fits in a message the worker takes: events past half of it
 * wait for the next page ("more"); one event always goes (emit_event()
 * data is bounded by cweb_job_max_payload)
 */

ngx_uint_t
ngx_cweb_jobs_page_trim(json_t *evs, int64_t *last, size_t budget)
{
    size_t   i, size;
    json_t  *ev;

    size = 0;

    json_array_foreach(evs, i, ev) {
        size += json_dumpb(ev, NULL, 0, JSON_COMPACT) + 1;

        if (size > budget && i > 0) {
            break;
        }
    }

    if (i == json_array_size(evs)) {
        return 0;
    }

    while (json_array_size(evs) > i) {
        (void) json_array_remove(evs, json_array_size(evs) - 1);
    }

    *last = json_integer_value(json_object_get(json_array_get(evs, i - 1),
                                               "event_id"));

    return 1;
}


/*
 * an event committed with the op, announced by the loop as the store
 * wrote it (what a replay gives is what was announced); store NULL: its
 * data is the data given (a "created" event's null), composed as is
 */

void
ngx_cweb_jobs_event_add(ngx_cweb_jop_t *op, ngx_cweb_jstore_t *store,
    const char *uuid, int64_t id, int64_t ts, const char *type,
    const char *data)
{
    char  *text, **events;

    /* as stored: the data the store wrote for it (retry, failed, ...) */
    text = store ? ngx_cweb_jstore_event_get(store, uuid, id) : NULL;

    if (text == NULL) {
        text = ngx_cweb_jstore_event_text(uuid, id, ts, type, data);
        if (text == NULL) {
            return;
        }
    }

    /* a power of two: a claim's events grow one at a time */
    if ((op->nevents & (op->nevents - 1)) == 0) {
        events = realloc(op->events,
                         ngx_max(2 * op->nevents, 1) * sizeof(char *));
        if (events == NULL) {
            free(text);
            return;
        }

        op->events = events;
    }

    op->events[op->nevents++] = text;
}


void
ngx_cweb_jobs_events_free(ngx_cweb_jop_t *op)
{
    while (op->nevents) {
        free(op->events[--op->nevents]);
    }

    free(op->events);
    op->events = NULL;
}


/* a cancel: at once for a pending job, through its hook for a running one */

void
ngx_cweb_jobs_said_cancel(ngx_cweb_jop_t *op, ngx_cweb_jstore_t *store,
    int64_t now)
{
    int      rc;
    int64_t  id;

    id = 0;

    rc = ngx_cweb_jstore_cancel(store, op->uuid, now, op->state_out, &id);
    if (rc != 0) {
        op->status = 500;
        op->body = json_pack("{s:s}", "error", "the cancel failed");

    } else if (op->state_out[0] == '\0') {
        op->status = 404;
        op->body = json_pack("{s:s}", "error", "unknown job");

    } else if (ngx_strcmp(op->state_out, "canceled") == 0 && id) {
        op->status = 200;
        op->body = json_pack("{s:s,s:s}", "job_uuid", op->uuid,
                             "state", "canceled");
        ngx_cweb_jobs_event_add(op, store, op->uuid, id, now, "canceled",
                                NULL);

    } else if (ngx_strcmp(op->state_out, "running") == 0) {
        /* its cancel hook runs; it ends canceled when its run ends */
        op->status = 202;
        op->body = json_pack("{s:s,s:s,s:b}", "job_uuid", op->uuid,
                             "state", "running", "cancel_requested", 1);

    } else {
        op->status = 409;
        op->body = json_pack("{s:s,s:s,s:s}", "error", "the job has "
                             "finished", "job_uuid", op->uuid, "state",
                             op->state_out);
    }
}


/*
 * a replay: the job's events after op->since, a page of op->limit cut to
 * budget bytes
 */

void
ngx_cweb_jobs_said_events(ngx_cweb_jop_t *op, ngx_cweb_jstore_t *store,
    size_t budget)
{
    int         rc;
    json_t     *evs;
    int64_t     last;
    ngx_uint_t  more;

    rc = ngx_cweb_jstore_events_state(store, op->uuid, op->since, op->limit,
                                      &evs, &last, op->state_out);

    more = (rc == 1) ? ngx_cweb_jobs_page_trim(evs, &last, budget) : 0;

    /* the state: a follower of a job that has ended stops at its end */
    ngx_cweb_jobs_said_read(op, store, rc, rc == 1 ? json_pack("{s:o,s:I,s:s,s:b}",
                                                   "events", evs, "last_id",
                                                   (json_int_t) last,
                                                   "state", op->state_out,
                                                   "more", (int) more)
                                       : NULL,
                       "the events cannot be read");
}


/* a read's answer: 1 found (body), 0 unknown uuid, -1 the store failed */

void
ngx_cweb_jobs_said_read(ngx_cweb_jop_t *op, ngx_cweb_jstore_t *store, int rc,
    json_t *body, const char *failed)
{
    if (rc == 1) {
        op->status = 200;
        op->body = body;
        return;
    }

    op->status = rc == 0 ? 404 : 500;
    op->body = rc == 0
               ? json_pack("{s:s}", "error", "unknown job")
               : json_pack("{s:s,s:s}", "error", failed, "reason",
                           ngx_cweb_jstore_error(store));
}
