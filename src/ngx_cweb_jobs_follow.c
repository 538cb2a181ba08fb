
/*
 * The followers of jobs' events in a worker: one fan-out for both
 * transports, text/event-stream (ngx_cweb_jobs_sse.c) and WebSocket
 * (ngx_cweb_jobs_ws.c).  A follower is registered for the live events of
 * its job (the event ring, ngx_cweb_ipc.c) *before* the helper is asked
 * for the stored ones after its last id; live events that arrive during
 * that replay are held, and only ids above the last one written go out.
 * An event committed before the replay's read is in the replay; one
 * committed after it was published to the ring after the follower was
 * registered, so it is held.  Nothing falls between the two, and nothing
 * goes out twice.
 *
 * What is held is bounded (NGX_CWEB_FOLLOW_HOLD events): past it the
 * held events are dropped and another page is read once this one is
 * written; the store has them all.  A worker that fell a whole ring
 * behind (the ring tells it how many it lost) sends every follower back
 * to the store the same way: a follower never sees a gap, it only waits.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_ipc.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_json.h"


#define NGX_CWEB_FOLLOW_PAGE      1000
#define NGX_CWEB_FOLLOW_HOLD      1024
#define NGX_CWEB_FOLLOW_BUCKETS   1024


/* an event that came while the follower's replay was being read */
struct ngx_cweb_jheld_s {
    ngx_cweb_jheld_t           *next;
    int64_t                     id;
    size_t                      len;
    u_char                     *type;
    u_char                      data[1];
};


static ngx_int_t ngx_cweb_jobs_follow_page(ngx_cweb_jfollow_t *f);
static void ngx_cweb_jobs_follow_got(void *data, ngx_uint_t status,
    json_t *body);
static ngx_int_t ngx_cweb_jobs_follow_replay(ngx_cweb_jfollow_t *f,
    json_t *evs, size_t *n);
static ngx_int_t ngx_cweb_jobs_follow_release(ngx_cweb_jfollow_t *f);
static void ngx_cweb_jobs_follow_hold(ngx_cweb_jfollow_t *f, int64_t id,
    const char *type, u_char *data, size_t len);
static void ngx_cweb_jobs_follow_drop(ngx_cweb_jfollow_t *f);
static void ngx_cweb_jobs_follow_live(ngx_uint_t kind, u_char *data,
    size_t len);
static void ngx_cweb_jobs_follow_lost(void);
static ngx_queue_t *ngx_cweb_jobs_follow_bucket(const u_char *uuid);


static ngx_queue_t  *ngx_cweb_jobs_followers;     /* the worker's buckets */
static ngx_queue_t   ngx_cweb_jobs_follow_all;    /* the same, in one list */
static ngx_uint_t    ngx_cweb_jobs_follow_n;


ngx_int_t
ngx_cweb_jobs_follow_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t  i;

    ngx_cweb_jobs_followers = ngx_alloc(NGX_CWEB_FOLLOW_BUCKETS
                                        * sizeof(ngx_queue_t), cycle->log);
    if (ngx_cweb_jobs_followers == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_CWEB_FOLLOW_BUCKETS; i++) {
        ngx_queue_init(&ngx_cweb_jobs_followers[i]);
    }

    ngx_queue_init(&ngx_cweb_jobs_follow_all);

    return ngx_cweb_ipc_subscribe(NGX_CWEB_IPC_JOB_EVENT,
                                  ngx_cweb_jobs_follow_live);
}


/*
 * f follows job uuid of r from after since: registered, the first page
 * asked, r held until ops->opened() hears the answer; NGX_DONE, or an
 * HTTP error for r
 */

ngx_int_t
ngx_cweb_jobs_follow(ngx_cweb_jfollow_t *f, ngx_http_request_t *r,
    ngx_str_t *uuid, int64_t since, const ngx_cweb_jfollow_ops_t *ops,
    void *data)
{
    if (ngx_cweb_jobs_followers == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(f->uuid, uuid->data, 36);
    f->last_id = since;
    f->log = r->connection->log;
    f->ops = ops;
    f->data = data;

    /*
     * live first, then the replay: nothing falls between the two (the
     * helper publishes events only while some worker wants them, and
     * sees this one's want before it reads the replay)
     */
    ngx_queue_insert_tail(ngx_cweb_jobs_follow_bucket(f->uuid), &f->queue);
    ngx_queue_insert_tail(&ngx_cweb_jobs_follow_all, &f->all);

    if (ngx_cweb_jobs_follow_n++ == 0) {
        ngx_cweb_ipc_want(NGX_CWEB_IPC_JOB_EVENT, 1);
    }

    f->registered = 1;
    f->hold_last = &f->held;

    if (ngx_cweb_jobs_follow_page(f) != NGX_OK) {
        ngx_cweb_jobs_unfollow(f);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}


/* no more events for f: from its owner's end, wherever it is */

void
ngx_cweb_jobs_unfollow(ngx_cweb_jfollow_t *f)
{
    if (f->registered) {
        f->registered = 0;
        ngx_queue_remove(&f->queue);
        ngx_queue_remove(&f->all);

        if (--ngx_cweb_jobs_follow_n == 0) {
            ngx_cweb_ipc_want(NGX_CWEB_IPC_JOB_EVENT, 0);
        }
    }

    if (f->query) {
        ngx_cweb_jobs_query_cancel(f->query);
        f->query = NULL;
    }

    ngx_cweb_jobs_follow_drop(f);
}


/*
 * where a follower starts: ?since_event_id=, and with last_event_id the
 * Last-Event-ID of an EventSource's reconnect (the larger)
 */

ngx_int_t
ngx_cweb_jobs_follow_since(ngx_http_request_t *r, ngx_uint_t last_event_id,
    int64_t *since)
{
    off_t             n;
    ngx_str_t         v;
    ngx_uint_t        count;
    ngx_table_elt_t  *h;

    *since = 0;

    if (ngx_http_arg(r, (u_char *) "since_event_id", 14, &v) == NGX_OK) {
        n = ngx_atoof(v.data, v.len);
        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        *since = n;
    }

    if (!last_event_id) {
        return NGX_OK;
    }

    h = ngx_cweb_header_in(r, "Last-Event-ID", sizeof("Last-Event-ID") - 1,
                           &count);

    if (count > 1) {
        return NGX_ERROR;
    }

    if (h) {
        n = ngx_atoof(h->value.data, h->value.len);
        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        *since = ngx_max(*since, (int64_t) n);
    }

    return NGX_OK;
}


/* done, failed, canceled: nothing follows them */

ngx_uint_t
ngx_cweb_jobs_follow_final(const char *type)
{
    return type != NULL
           && (ngx_strcmp(type, "done") == 0 || ngx_strcmp(type, "failed") == 0
               || ngx_strcmp(type, "canceled") == 0);
}


/* the first page: the job has ended and nothing after since is left */

ngx_uint_t
ngx_cweb_jobs_follow_over(json_t *body)
{
    json_t  *evs;

    evs = json_object_get(body, "events");

    /* the final states are named as their events */
    return json_is_array(evs) && json_array_size(evs) == 0
           && ngx_cweb_jobs_follow_final(json_string_value(
                  json_object_get(body, "state")));
}


/* a follower the helper refused (unknown job) or could not answer */

ngx_int_t
ngx_cweb_jobs_follow_refused(ngx_http_request_t *r, ngx_uint_t status,
    json_t *body)
{
    if (body) {
        return ngx_cweb_send_json(r, status, body);
    }

    return ngx_cweb_send_error(r, status >= NGX_HTTP_SPECIAL_RESPONSE
                                  ? status : NGX_HTTP_BAD_GATEWAY,
                               "the job scheduler (the cweb helper) did not "
                               "answer with the job's events");
}


static ngx_int_t
ngx_cweb_jobs_follow_page(ngx_cweb_jfollow_t *f)
{
    json_t  *msg;

    msg = json_pack("{s:s,s:s%,s:I,s:i}", "op", "events", "uuid",
                    f->uuid, (size_t) 36, "since", (json_int_t) f->last_id,
                    "limit", NGX_CWEB_FOLLOW_PAGE);
    if (msg == NULL) {
        return NGX_ERROR;
    }

    f->live = 0;
    f->again = 0;
    /* the cycle's log: the owner's connection may end before the query */
    f->query = ngx_cweb_jobs_query(msg, ngx_cycle->log,
                                   ngx_cweb_jobs_follow_got, f);

    return f->query ? NGX_OK : NGX_ERROR;
}


/* a page of stored events: to the owner, then the next page or live */

static void
ngx_cweb_jobs_follow_got(void *data, ngx_uint_t status, json_t *body)
{
    ngx_cweb_jfollow_t *f = data;

    size_t      n;
    json_t     *evs;
    ngx_uint_t  more;

    f->query = NULL;               /* ended by the asker after this */

    if (!f->opened) {
        f->opened = 1;

        if (f->ops->opened(f, status, body) != NGX_OK) {
            return;                /* the owner answered and unfollowed */
        }

    } else if (status != NGX_HTTP_OK) {
        json_decref(body);
        f->ops->lost(f);
        return;
    }

    evs = json_object_get(body, "events");

    if (ngx_cweb_jobs_follow_replay(f, evs, &n) != NGX_OK) {
        json_decref(body);
        return;
    }

    /* a full page (by count or by size), or held events dropped */
    more = (n == NGX_CWEB_FOLLOW_PAGE || f->again
            || json_is_true(json_object_get(body, "more")));

    json_decref(body);

    if (more) {
        ngx_cweb_jobs_follow_drop(f);

        if (ngx_cweb_jobs_follow_page(f) != NGX_OK) {
            f->ops->lost(f);
        }

        return;
    }

    (void) ngx_cweb_jobs_follow_release(f);
}


/* the stored events of a page, newer than the last written */

static ngx_int_t
ngx_cweb_jobs_follow_replay(ngx_cweb_jfollow_t *f, json_t *evs, size_t *n)
{
    char     *text;
    json_t   *ev;
    size_t    i;
    int64_t   id;

    *n = 0;

    if (!json_is_array(evs)) {
        f->ops->lost(f);
        return NGX_ERROR;
    }

    json_array_foreach(evs, i, ev) {
        id = json_integer_value(json_object_get(ev, "event_id"));

        if (id <= f->last_id) {
            continue;
        }

        text = json_dumps(ev, JSON_COMPACT);

        if (text == NULL
            || f->ops->event(f, id, json_string_value(
                                 json_object_get(ev, "type")),
                             (u_char *) text, strlen(text))
               != NGX_OK)
        {
            free(text);
            return NGX_ERROR;       /* the owner ended */
        }

        free(text);
        f->last_id = id;
    }

    *n = i;

    return NGX_OK;
}


/* the events held during the replay, then live */

static ngx_int_t
ngx_cweb_jobs_follow_release(ngx_cweb_jfollow_t *f)
{
    ngx_cweb_jheld_t  *h;

    while (f->held) {
        h = f->held;
        f->held = h->next;
        f->nheld--;

        if (h->id > f->last_id
            && f->ops->event(f, h->id, (char *) h->type, h->data, h->len)
               != NGX_OK)
        {
            ngx_free(h);
            return NGX_ERROR;
        }

        if (h->id > f->last_id) {
            f->last_id = h->id;
        }

        ngx_free(h);
    }

    f->hold_last = &f->held;
    f->live = 1;

    /* last: the owner may end here */
    if (f->ops->live) {
        f->ops->live(f);
    }

    return NGX_OK;
}


static void
ngx_cweb_jobs_follow_hold(ngx_cweb_jfollow_t *f, int64_t id,
    const char *type, u_char *data, size_t len)
{
    size_t             tlen;
    ngx_cweb_jheld_t  *h;

    if (f->again) {
        return;                    /* the next page reads it */
    }

    tlen = ngx_strlen(type);

    h = (f->nheld < NGX_CWEB_FOLLOW_HOLD)
        ? ngx_alloc(sizeof(ngx_cweb_jheld_t) + len + tlen + 1, f->log)
        : NULL;

    if (h == NULL) {
        ngx_cweb_jobs_follow_drop(f);
        f->again = 1;
        return;
    }

    h->next = NULL;
    h->id = id;
    h->len = len;
    ngx_memcpy(h->data, data, len);
    h->type = h->data + len;
    ngx_memcpy(h->type, type, tlen + 1);

    *f->hold_last = h;
    f->hold_last = &h->next;
    f->nheld++;
}


static void
ngx_cweb_jobs_follow_drop(ngx_cweb_jfollow_t *f)
{
    ngx_cweb_jheld_t  *h;

    while (f->held) {
        h = f->held;
        f->held = h->next;
        ngx_free(h);
    }

    f->nheld = 0;
    f->hold_last = &f->held;
}


/* an event of the ring: to the followers of its job in this worker */

static void
ngx_cweb_jobs_follow_live(ngx_uint_t kind, u_char *data, size_t len)
{
    json_t              *ev;
    int64_t              id;
    const char          *uuid, *type;
    ngx_queue_t         *bucket, *q, *next;
    json_error_t         jerr;
    ngx_cweb_jfollow_t  *f;

    if (data == NULL) {
        ngx_cweb_jobs_follow_lost();
        return;
    }

    /* every job's events reach every worker: most have nobody to tell */
    if (ngx_cweb_jobs_follow_n == 0) {
        return;
    }

    ev = json_loadb((char *) data, len, 0, &jerr);
    uuid = json_string_value(json_object_get(ev, "job_uuid"));
    type = json_string_value(json_object_get(ev, "type"));
    id = json_integer_value(json_object_get(ev, "event_id"));

    if (uuid == NULL || type == NULL || ngx_strlen(uuid) != 36) {
        json_decref(ev);
        return;
    }

    bucket = ngx_cweb_jobs_follow_bucket((u_char *) uuid);

    for (q = ngx_queue_head(bucket); q != ngx_queue_sentinel(bucket);
         q = next)
    {
        next = ngx_queue_next(q);
        f = ngx_queue_data(q, ngx_cweb_jfollow_t, queue);

        if (ngx_memcmp(f->uuid, uuid, 36) != 0 || id <= f->last_id) {
            continue;
        }

        if (!f->live) {
            ngx_cweb_jobs_follow_hold(f, id, type, data, len);
            continue;
        }

        /* the owner may end (and unfollow) here: next is kept */
        if (f->ops->event(f, id, type, data, len) == NGX_OK) {
            f->last_id = id;
        }
    }

    json_decref(ev);
}


/* this worker lost events of the ring: every follower reads the store */

static void
ngx_cweb_jobs_follow_lost(void)
{
    ngx_queue_t         *q, *next;
    ngx_cweb_jfollow_t  *f;

    for (q = ngx_queue_head(&ngx_cweb_jobs_follow_all);
         q != ngx_queue_sentinel(&ngx_cweb_jobs_follow_all);
         q = next)
    {
        next = ngx_queue_next(q);
        f = ngx_queue_data(q, ngx_cweb_jfollow_t, all);

        if (!f->live) {
            ngx_cweb_jobs_follow_drop(f);
            f->again = 1;           /* its replay is read again */
            continue;
        }

        if (ngx_cweb_jobs_follow_page(f) != NGX_OK) {
            f->ops->lost(f);
        }
    }
}


static ngx_queue_t *
ngx_cweb_jobs_follow_bucket(const u_char *uuid)
{
    return &ngx_cweb_jobs_followers[ngx_crc32_short((u_char *) uuid, 36)
                                    % NGX_CWEB_FOLLOW_BUCKETS];
}
