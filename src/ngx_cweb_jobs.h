
/*
 * Durable jobs: the /jobs API of the workers (ngx_cweb_jobs_http.c), the
 * scheduler of the cweb helper (ngx_cweb_jobs_sched.c) and its runner
 * threads (ngx_cweb_jobs_run.c), the store (ngx_cweb_jobs_store.c).
 *
 * A worker never touches jobs.db: every /jobs request becomes one message
 * to the helper over the unix stream socket <cweb_module_dir>/ipc/jobs.sock,
 * which each worker keeps open and asks many questions on at once
 * (ngx_cweb_jobs_chan.c; the framing in ngx_cweb_jobs_proto.c), and the
 * body of the helper's answer, with its status, is the HTTP answer.  The helper is the one
 * writer: it commits what many workers asked in one transaction, and it
 * answers a create only once the job is committed.
 */


#ifndef _NGX_CWEB_JOBS_H_INCLUDED_
#define _NGX_CWEB_JOBS_H_INCLUDED_


#include "ngx_cweb.h"
#include "ngx_cweb_shm.h"
#include "ngx_cweb_jobs_head.h"


#define NGX_CWEB_JOBS_SOCKET     "/ipc/jobs.sock"
#define NGX_CWEB_JOBS_LOCK       "/jobs.lock"
#define NGX_CWEB_JOBS_DB         "/jobs.db"
/* jobs whose code crashed the helper: "<job id> <signal> <uuid>" lines */
#define NGX_CWEB_JOBS_CRASH      "/jobs.crash"

/* a message of the protocol: its length (4 bytes, big-endian), then it */
#define NGX_CWEB_JOBS_HDR        4

#define NGX_CWEB_JOBS_SYNC_FULL    1
#define NGX_CWEB_JOBS_SYNC_NORMAL  0


typedef struct {
    ngx_uint_t                  threads;      /* cweb_job_threads */
    size_t                      max_payload;  /* cweb_job_max_payload */
    ngx_uint_t                  retries;      /* cweb_job_retries */
    ngx_msec_t                  backoff;      /* cweb_job_retry_backoff */
    ngx_msec_t                  timeout;      /* cweb_job_timeout */
    ngx_uint_t                  sync;         /* cweb_job_sync */
} ngx_cweb_jobs_conf_t;


extern ngx_module_t  ngx_cweb_jobs_module;


/*
 * what the helper answered, for a request of the worker's own: the body's
 * reference passes to it; its value finalizes the request
 */
typedef ngx_int_t (*ngx_cweb_jobs_answered_pt)(ngx_http_request_t *r,
    void *data, ngx_uint_t status, json_t *body);

/* what the helper answered a query: status and body (NULL: it failed) */
typedef void (*ngx_cweb_jobs_got_pt)(void *data, ngx_uint_t status,
    json_t *body);

/* a cweb_jobs location's handler */
ngx_int_t ngx_cweb_jobs_handler(ngx_http_request_t *r);

/*
 * asks the helper msg (its reference is taken) for r: NGX_DONE, and r is
 * finalized with the answer (relayed, or answered's value) or an error
 */
ngx_int_t ngx_cweb_jobs_ask(ngx_http_request_t *r, json_t *msg,
    ngx_cweb_jobs_answered_pt answered, void *data);

/* a read of the store without a request: a handle to cancel it, or NULL */
void *ngx_cweb_jobs_query(json_t *msg, ngx_log_t *log,
    ngx_cweb_jobs_got_pt got, void *data);
void ngx_cweb_jobs_query_cancel(void *query);

/* a plugin's jobs_create(): sent, answered into the log only */
ngx_int_t ngx_cweb_jobs_send(json_t *msg, const char *uuid);

/* a connection's buffer of messages, read or to write (ngx_alloc()ed) */
typedef struct {
    u_char                     *start;
    u_char                     *pos;
    u_char                     *last;
    u_char                     *end;
    unsigned                    eof:1;        /* told after what came */
} ngx_cweb_jbuf_t;


/* ngx_cweb_jobs_proto.c: the messages of the protocol, either side */
ngx_int_t ngx_cweb_jobs_recv(ngx_connection_t *c, ngx_cweb_jbuf_t *in,
    size_t max);
ngx_int_t ngx_cweb_jobs_next(ngx_cweb_jbuf_t *in, size_t max, u_char **msg,
    size_t *len);
ngx_int_t ngx_cweb_jobs_head(u_char *msg, size_t len, ngx_cweb_jhead_t *h,
    u_char **body, size_t *body_len);
ngx_int_t ngx_cweb_jobs_put(ngx_cweb_jbuf_t *out, const u_char *head,
    size_t head_len, const u_char *body, size_t body_len);
ngx_int_t ngx_cweb_jobs_write(ngx_connection_t *c, ngx_cweb_jbuf_t *out,
    off_t *sent);
void ngx_cweb_jbuf_free(ngx_cweb_jbuf_t *b);
ngx_connection_t *ngx_cweb_jobs_conn(ngx_socket_t fd, ngx_log_t *log,
    void *data, ngx_event_handler_pt read, ngx_event_handler_pt write);

/*
 * ngx_cweb_jobs_chan.c: a question on the worker's connection to the
 * helper; answer() gets the status and the body's bytes (valid during
 * the call), lost() whether its bytes were all written (the helper may
 * have acted on it) when the connection went
 */
typedef struct ngx_cweb_jq_s  ngx_cweb_jq_t;

struct ngx_cweb_jq_s {
    ngx_rbtree_node_t           node;         /* first; key: its number */
    ngx_queue_t                 queue;
    u_char                     *text;         /* the question's JSON */
    size_t                      len;
    off_t                       end;          /* where it ends on the wire */
    void                      (*answer)(ngx_cweb_jq_t *q, ngx_uint_t status,
                                        u_char *body, size_t len);
    void                      (*lost)(ngx_cweb_jq_t *q, ngx_uint_t sent);
    void                       *data;
    unsigned                    asked:1;      /* waits for its answer */
    unsigned                    losing:1;     /* its loss is being told */
};

ngx_int_t ngx_cweb_jchan_ask(ngx_cweb_jq_t *q);
void ngx_cweb_jchan_forget(ngx_cweb_jq_t *q);

/* ngx_cweb_jobs_create.c */
ngx_int_t ngx_cweb_jobs_uuid(char *out);
ngx_uint_t ngx_cweb_jobs_owner(ngx_pool_t *pool, const char *module,
    const char *job, ngx_cweb_shm_module_t *out, const char **why);
int ngx_cweb_jobs_create_api(ngx_str_t *plugin, const char *job,
    const char *payload, cweb_uuid_t *out, u_char *err, size_t errlen);

/*
 * ngx_cweb_jobs_follow.c: a follower of one job's events, for either
 * transport (ngx_cweb_jobs_follow() holds the request until the first
 * answer).  The callbacks come in this order: opened() once with the first page's
 * answer (not NGX_OK: the owner has answered, unfollowed, and owns body),
 * then event() for each event newer than last_id, in id order, exactly
 * once (not NGX_OK: the owner has ended and unfollowed), live() when the
 * replay is written, lost() when it cannot go on (the owner ends its
 * stream; the client resumes with its last id).
 */
typedef struct ngx_cweb_jfollow_s  ngx_cweb_jfollow_t;
typedef struct ngx_cweb_jheld_s    ngx_cweb_jheld_t;

typedef struct {
    ngx_int_t                 (*opened)(ngx_cweb_jfollow_t *f,
                                        ngx_uint_t status, json_t *body);
    ngx_int_t                 (*event)(ngx_cweb_jfollow_t *f, int64_t id,
                                       const char *type, const u_char *json,
                                       size_t len);
    void                      (*live)(ngx_cweb_jfollow_t *f);
    void                      (*lost)(ngx_cweb_jfollow_t *f);
} ngx_cweb_jfollow_ops_t;

struct ngx_cweb_jfollow_s {
    ngx_queue_t                 queue;        /* in its bucket */
    ngx_queue_t                 all;
    u_char                      uuid[36];
    int64_t                     last_id;      /* the last one written */
    ngx_log_t                  *log;
    const ngx_cweb_jfollow_ops_t  *ops;
    void                       *data;
    void                       *query;        /* a page being read */
    ngx_cweb_jheld_t           *held;         /* live, during the replay */
    ngx_cweb_jheld_t          **hold_last;
    ngx_uint_t                  nheld;
    unsigned                    registered:1;
    unsigned                    opened:1;
    unsigned                    live:1;
    unsigned                    again:1;      /* held ones were dropped */
};

ngx_int_t ngx_cweb_jobs_follow_init_process(ngx_cycle_t *cycle);
ngx_int_t ngx_cweb_jobs_follow(ngx_cweb_jfollow_t *f, ngx_http_request_t *r,
    ngx_str_t *uuid, int64_t since, const ngx_cweb_jfollow_ops_t *ops,
    void *data);
void ngx_cweb_jobs_unfollow(ngx_cweb_jfollow_t *f);
ngx_uint_t ngx_cweb_jobs_follow_final(const char *type);
ngx_uint_t ngx_cweb_jobs_follow_over(json_t *body);
ngx_int_t ngx_cweb_jobs_follow_refused(ngx_http_request_t *r,
    ngx_uint_t status, json_t *body);
ngx_int_t ngx_cweb_jobs_follow_since(ngx_http_request_t *r,
    ngx_uint_t last_event_id, int64_t *since);

/* ngx_cweb_jobs_sse.c: GET /jobs/<uuid>/events */
ngx_int_t ngx_cweb_jobs_sse(ngx_http_request_t *r, ngx_str_t *uuid);

/* ngx_cweb_jobs_ws.c: GET /jobs/ws?id=<uuid>&since_event_id=<n> */
ngx_int_t ngx_cweb_jobs_ws(ngx_http_request_t *r, ngx_str_t *uuid);

/* a message's length in front of it; where its JSON goes */
static ngx_inline u_char *
ngx_cweb_jobs_frame(u_char *p, size_t len)
{
    p[0] = (u_char) (len >> 24);
    p[1] = (u_char) (len >> 16);
    p[2] = (u_char) (len >> 8);
    p[3] = (u_char) len;

    return p + NGX_CWEB_JOBS_HDR;
}


static ngx_inline size_t
ngx_cweb_jobs_frame_len(const u_char *p)
{
    return (size_t) p[0] << 24 | (size_t) p[1] << 16 | (size_t) p[2] << 8
           | p[3];
}


/* the largest message either side accepts: a payload and a result of the
 * maximum size, and the rest */
static ngx_inline size_t
ngx_cweb_jobs_max_message(ngx_cweb_jobs_conf_t *jcf)
{
    return 2 * jcf->max_payload + 65536;
}

/* the helper: jobs work once it acts for the zone and the zone is ready */
void ngx_cweb_jobs_helper_tick(ngx_cycle_t *cycle);


#endif /* _NGX_CWEB_JOBS_H_INCLUDED_ */
