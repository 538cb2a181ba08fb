
/*
 * What the store thread's ops give back, besides their rows: the answer
 * to POST /jobs composed as text, a replay's page cut to what a worker
 * takes, and the texts of the events to announce (of the forms the
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
    size_t  len;

    if (ngx_strlen(op->job.module_hash) == NGX_CWEB_JSTORE_HASH_LEN
        && ngx_cweb_jstore_hex_ok(op->job.module_hash,
                                  NGX_CWEB_JSTORE_HASH_LEN))
    {
        len = sizeof("{\"job_uuid\":\"\",\"state\":\"pending\","
                     "\"module_hash\":\"\"}")
              + NGX_CWEB_JSTORE_UUID_LEN + NGX_CWEB_JSTORE_HASH_LEN;

        op->text = malloc(len);

        if (op->text) {
            (void) snprintf(op->text, len, "{\"job_uuid\":\"%s\",\"state\":"
                            "\"pending\",\"module_hash\":\"%s\"}",
                            op->job.uuid, op->job.module_hash);
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
 * wrote it (what a replay gives is what was announced)
 */

void
ngx_cweb_jobs_event_add(ngx_cweb_jop_t *op, ngx_cweb_jstore_t *store,
    const char *uuid, int64_t id, int64_t ts, const char *type,
    const char *data)
{
    char  *text, **events;

    /* as stored: the data the store wrote for it (retry, failed, ...) */
    text = ngx_cweb_jstore_event_get(store, uuid, id);

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
