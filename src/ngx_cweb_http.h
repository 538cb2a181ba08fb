
/*
 * Plugin routes: one call of a handler, its stores, the answer
 * (ngx_cweb_http.c, ngx_cweb_response.c).
 */


#ifndef _NGX_CWEB_HTTP_H_INCLUDED_
#define _NGX_CWEB_HTTP_H_INCLUDED_


#include "ngx_cweb_loader.h"


/*
 * the host's side of every http_kv_store_t a plugin sees (pub first);
 * pool NULL means plugin-owned (http_kv_create(), malloc)
 */
typedef struct {
    http_kv_store_t             pub;
    ngx_pool_t                 *pool;
    u_char                     *owned;        /* value i is ours to free */
    unsigned                    nocase:1;
    unsigned                    cleanup:1;
} ngx_cweb_kv_t;


typedef struct ngx_cweb_call_s    ngx_cweb_call_t;

/* a streamed answer (ngx_cweb_stream.c) */
typedef struct {
    entry_t                     more;         /* cweb_stream()'s */
    void                       *data;
    int                       (*resume)(ngx_cweb_call_t *call);
    ngx_chain_t                *out;          /* written, not yet sent */
    ngx_chain_t               **last_out;
    ngx_buf_t                  *tail;         /* out's last buffer */
    ngx_chain_t                *free;
    ngx_chain_t                *busy;
    size_t                      pending;      /* in out and busy */
    off_t                       file_size;
    void                       *z;            /* z_stream, zlevel's */
    int                         zlevel;
    unsigned                    header_sent:1;
    unsigned                    writing:1;
    unsigned                    file:1;
} ngx_cweb_stream_t;


/* one call of a route handler: what the plugin sees, and its request */
struct ngx_cweb_call_s {
    http_request_t              req;
    http_response_t             res;
    ngx_cweb_kv_t               params;
    ngx_cweb_kv_t               headers;
    ngx_cweb_kv_t               data;
    ngx_cweb_kv_t               res_headers;
    http_kv_pair_t              res_pairs[4]; /* most answers set fewer */
    u_char                      res_owned[4];
    ngx_http_request_t         *r;
    ngx_cweb_route_t           *route;        /* in route->plugin, held */
    ngx_cweb_plugin_t          *plugin;       /* held while waiting */
    ngx_str_t                   out;          /* the body to send */
    ngx_event_t                 wait;         /* registry not ready yet */
    ngx_msec_t                  waited;
    char                       *body_buf;     /* the host's res->body */
    ngx_array_t                *res_added;    /* ngx_table_elt_t: add()ed */
    const char                 *arg_err;      /* the latest cweb_arg_*() */
    ngx_str_t                   status_line;  /* cweb_response_status() */
    ngx_uint_t                  status;       /* 0: res->status */
    ngx_str_t                   error;        /* cweb_set_error() */
    cweb_part_t                *parts;        /* multipart/form-data */
    ngx_uint_t                  nparts;
    u_char                     *refusal;      /* why a form is refused */
    unsigned                    out_set:1;
    unsigned                    has_body:1;
    unsigned                    body_released:1;  /* the plugin free()d it */
    unsigned                    json:1;       /* Content-Type: JSON */
    ngx_cweb_stream_t          *stream;       /* cweb_write() ... */
};


/* ngx_cweb_http.c: plugin routes */
ngx_int_t ngx_cweb_http_init_process(ngx_cycle_t *cycle);
ngx_int_t ngx_cweb_http_handler(ngx_http_request_t *r);
ngx_int_t ngx_cweb_http_body(ngx_http_request_t *r, ngx_str_t *body);
ngx_uint_t ngx_cweb_http_urlencoded(ngx_http_request_t *r);
size_t ngx_cweb_form_unescape(u_char *p, size_t len);

/* ngx_cweb_response.c: what a handler answered, on the wire */
void ngx_cweb_response_init(void);
ngx_int_t ngx_cweb_response_send(ngx_cweb_call_t *call);
ngx_int_t ngx_cweb_response_header_ok(const char *name, const char *value,
    size_t *nlen, size_t *vlen);
ngx_uint_t ngx_cweb_response_framing(const char *name, size_t len);
ngx_uint_t ngx_cweb_response_hop(const char *name, size_t len);
ngx_int_t ngx_cweb_response_reason_ok(const char *reason, size_t len);

/* ngx_cweb_api_form.c: multipart bodies */
ngx_int_t ngx_cweb_form_multipart(ngx_cweb_call_t *call, ngx_str_t *ct,
    ngx_str_t *body);
char *ngx_cweb_cstr(ngx_pool_t *pool, const u_char *data, size_t len);
ngx_int_t ngx_cweb_form_parse(ngx_cweb_call_t *call, ngx_str_t *body);
ngx_int_t ngx_cweb_form_args(ngx_pool_t *pool, http_kv_store_t *store,
    u_char *p, u_char *last);

/* ngx_cweb_stream.c: streamed answers */
ngx_int_t ngx_cweb_stream_start(ngx_cweb_call_t *call);
ngx_int_t ngx_cweb_stream_send(ngx_cweb_call_t *call, ngx_uint_t last);
ngx_int_t ngx_cweb_stream_body(ngx_cweb_call_t *call);
ngx_int_t ngx_cweb_response_prepare(ngx_cweb_call_t *call);

/* ngx_cweb_api_json.c: JSON envelopes of flagged routes */
ngx_int_t ngx_cweb_json_envelope(ngx_cweb_call_t *call, int rc);


#endif /* _NGX_CWEB_HTTP_H_INCLUDED_ */
