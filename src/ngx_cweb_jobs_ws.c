
/*
 * GET /jobs/ws?id=<uuid>&since_event_id=<n>: a job's events over a
 * WebSocket, each one text frame with the event's JSON
 * {"job_uuid","event_id","ts","type","data"}, the stored ones after n
 * first, then live.  The follower (ngx_cweb_jobs_follow.c) gives them
 * without gap or duplicate; this is the transport, on the frames of
 * ngx_cweb_ws_io.c.
 *
 * An event goes to all the followers of its job in a worker as one frame
 * (one per deflate window) queued on each by reference, as a broadcast's
 * (ngx_cweb_ws_bcast.c): built for the first of them, kept until the next
 * event.
 *
 * The first page of stored events is read before the 101: an unknown job
 * is a 404 JSON answer like the other endpoints', not an upgrade that
 * closes.  What the client sends is read (pings answered, close
 * honoured) and otherwise ignored.  After the job's final event (done,
 * failed, canceled) the server closes 1000; a job that has ended with
 * nothing after since_event_id is closed so right after the 101.  A
 * client that does not read is closed
 * 1008 at cweb_websocket_max_queue; one whose replay the helper can no
 * longer give is closed 1013.  Either reconnects with its last event_id.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_ws.h"


typedef struct {
    ngx_cweb_jfollow_t          follow;
    ngx_cweb_ws_conn_t         *wc;
    ngx_str_t                   key;          /* in r's header, until 101 */
} ngx_cweb_jws_t;


static ngx_int_t ngx_cweb_jobs_ws_opened(ngx_cweb_jfollow_t *f,
    ngx_uint_t status, json_t *body);
static ngx_int_t ngx_cweb_jobs_ws_event(ngx_cweb_jfollow_t *f, int64_t id,
    const char *type, const u_char *json, size_t len);
static ngx_cweb_ws_frame_t *ngx_cweb_jobs_ws_frame(int64_t id,
    const u_char *json, size_t len, ngx_uint_t bits);
static void ngx_cweb_jobs_ws_lost(ngx_cweb_jfollow_t *f);
static ngx_int_t ngx_cweb_jobs_ws_message(ngx_cweb_ws_conn_t *wc,
    u_char *msg, size_t len);
static ngx_uint_t ngx_cweb_jobs_ws_served(ngx_cweb_ws_conn_t *wc);
static void ngx_cweb_jobs_ws_done(ngx_cweb_ws_conn_t *wc);


/* the frames of the last event, per deflate window */
static int64_t               ngx_cweb_jobs_ws_frame_id;
static ngx_cweb_ws_frames_t  ngx_cweb_jobs_ws_frames;


static const ngx_cweb_jfollow_ops_t  ngx_cweb_jobs_ws_ops = {
    ngx_cweb_jobs_ws_opened,
    ngx_cweb_jobs_ws_event,
    NULL,
    ngx_cweb_jobs_ws_lost
};


ngx_int_t
ngx_cweb_jobs_ws(ngx_http_request_t *r, ngx_str_t *uuid)
{
    int64_t              since;
    ngx_str_t            key;
    ngx_uint_t           status;
    const char          *why;
    ngx_cweb_jws_t      *jw;
    ngx_cweb_ws_conn_t  *wc;

    if (ngx_cweb_jobs_follow_since(r, 0, &since) != NGX_OK) {
        return ngx_cweb_send_error(r, NGX_HTTP_BAD_REQUEST,
                                   "since_event_id= must be an event id "
                                   "(an integer >= 0)");
    }

    why = ngx_cweb_ws_check(r, &key, &status);
    if (why) {
        return ngx_cweb_send_error(r, status, "%s", why);
    }

    wc = ngx_cweb_ws_alloc(r, sizeof(ngx_cweb_jws_t));
    if (wc == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    jw = (ngx_cweb_jws_t *) (wc + 1);
    jw->wc = wc;
    jw->key = key;

    wc->plugin = (u_char *) "";
    wc->path = (u_char *) "/jobs/ws";
    wc->message = ngx_cweb_jobs_ws_message;
    wc->served = ngx_cweb_jobs_ws_served;
    wc->done = ngx_cweb_jobs_ws_done;

    return ngx_cweb_jobs_follow(&jw->follow, r, uuid, since,
                                &ngx_cweb_jobs_ws_ops, jw);
}


/* the first page: the 101 (its events follow it), or the refusal */

static ngx_int_t
ngx_cweb_jobs_ws_opened(ngx_cweb_jfollow_t *f, ngx_uint_t status,
    json_t *body)
{
    ngx_int_t            rc;
    ngx_cweb_jws_t      *jw;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    jw = f->data;
    r = jw->wc->r;
    c = r->connection;

    if (status == NGX_HTTP_OK
        && ngx_cweb_ws_upgrade(jw->wc, &jw->key) == NGX_OK)
    {
        /* the connection holds the request now (ngx_cweb_ws_takeover()) */
        ngx_http_finalize_request(r, NGX_DONE);
        ngx_http_run_posted_requests(c);

        if (!ngx_cweb_jobs_follow_over(body)) {
            return NGX_OK;
        }

        json_decref(body);
        ngx_cweb_jobs_unfollow(f);
        ngx_cweb_ws_close(jw->wc, 1000, "the job has ended");

        return NGX_ERROR;
    }

    ngx_cweb_jobs_unfollow(f);

    if (status == NGX_HTTP_OK) {
        json_decref(body);
        rc = NGX_ERROR;

    } else {
        rc = ngx_cweb_jobs_follow_refused(r, status, body);
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);

    return NGX_ERROR;
}


/* one event, one text frame (written after the current event) */

static ngx_int_t
ngx_cweb_jobs_ws_event(ngx_cweb_jfollow_t *f, int64_t id, const char *type,
    const u_char *json, size_t len)
{
    ngx_cweb_jws_t       *jw;
    ngx_cweb_ws_frame_t  *fr;

    jw = f->data;
    fr = ngx_cweb_jobs_ws_frame(id, json, len, jw->wc->deflate_bits);

    if (fr == NULL || ngx_cweb_ws_queue_frame(jw->wc, fr) != NGX_OK) {
        /* closed, or closing: the client resumes from its last event_id */
        ngx_cweb_jobs_unfollow(f);
        return NGX_ERROR;
    }

    if (ngx_cweb_jobs_follow_final(type)) {
        ngx_cweb_jobs_unfollow(f);
        ngx_cweb_ws_close(jw->wc, 1000, "the job has ended");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* event id's frame for a deflate window (0: none), built on first use */

static ngx_cweb_ws_frame_t *
ngx_cweb_jobs_ws_frame(int64_t id, const u_char *json, size_t len,
    ngx_uint_t bits)
{
    if (id != ngx_cweb_jobs_ws_frame_id) {
        ngx_cweb_ws_frames_free(&ngx_cweb_jobs_ws_frames);
        ngx_cweb_jobs_ws_frames.opcode = NGX_CWEB_WS_TEXT;
        ngx_cweb_jobs_ws_frame_id = id;
    }

    /* the caller's text of it: the same event, maybe another copy */
    ngx_cweb_jobs_ws_frames.msg = (u_char *) json;
    ngx_cweb_jobs_ws_frames.len = len;

    return ngx_cweb_ws_frames_get(&ngx_cweb_jobs_ws_frames, bits);
}


static void
ngx_cweb_jobs_ws_lost(ngx_cweb_jfollow_t *f)
{
    ngx_cweb_jws_t  *jw;

    jw = f->data;

    ngx_cweb_jobs_unfollow(f);
    ngx_cweb_ws_close(jw->wc, 1013, "the job scheduler did not answer: "
                      "reconnect with since_event_id");
}


/* a follower has nothing to say */

static ngx_int_t
ngx_cweb_jobs_ws_message(ngx_cweb_ws_conn_t *wc, u_char *msg, size_t len)
{
    return NGX_OK;
}


static ngx_uint_t
ngx_cweb_jobs_ws_served(ngx_cweb_ws_conn_t *wc)
{
    return 1;
}


static void
ngx_cweb_jobs_ws_done(ngx_cweb_ws_conn_t *wc)
{
    ngx_cweb_jws_t  *jw;

    jw = (ngx_cweb_jws_t *) (wc + 1);

    ngx_cweb_jobs_unfollow(&jw->follow);
    ngx_cweb_ws_release_conn(wc);
}
