
/*
 * Plugin WebSockets (RFC 6455) on cweb locations: the handshake and the
 * connection's life (ngx_cweb_ws.c), its frames on the wire
 * (ngx_cweb_ws_io.c, on the pure codec of ngx_cweb_ws_frame.c), the
 * broadcast across workers (ngx_cweb_ws_bcast.c, on ngx_cweb_ipc.c).
 */


#ifndef _NGX_CWEB_WS_H_INCLUDED_
#define _NGX_CWEB_WS_H_INCLUDED_


#include "ngx_cweb.h"
#include "ngx_cweb_http.h"
#include "ngx_cweb_ws_frame.h"
#include "ngx_cweb_ws_deflate.h"


/* the handlers of a connection, as the fault marker names them */
#define NGX_CWEB_WS_ON_OPEN      0
#define NGX_CWEB_WS_ON_MESSAGE   1
#define NGX_CWEB_WS_ON_CLOSE     2


typedef struct {
    size_t                      max_message;  /* cweb_websocket_max_message */
    size_t                      max_queue;    /* cweb_websocket_max_queue */
    ngx_msec_t                  ping_interval;
    ngx_array_t                *origins;      /* of ngx_str_t, NULL: same */
    ngx_flag_t                  deflate;      /* cweb_websocket_deflate */
} ngx_cweb_ws_conf_t;


typedef struct ngx_cweb_ws_conn_s   ngx_cweb_ws_conn_t;
typedef struct ngx_cweb_ws_out_s    ngx_cweb_ws_out_t;     /* a frame queued */
typedef struct ngx_cweb_ws_frame_s  ngx_cweb_ws_frame_t;   /* a shared one */

struct ngx_cweb_ws_out_s {
    ngx_chain_t                 chain;
    ngx_buf_t                   buf;
    size_t                      size;         /* of the frame, as queued */
    ngx_cweb_ws_frame_t        *frame;        /* shared, or NULL: follows */
    unsigned                    small:1;      /* NGX_CWEB_WS_SMALL_OUT room */
};

/* frames this small reuse freed nodes: no malloc()/free() per message */
#define NGX_CWEB_WS_SMALL_OUT    256
#define NGX_CWEB_WS_KEEP_OUT     64

/* c->data of a connection whose request is released: not "HTTP" */
#define NGX_CWEB_WS_SIGNATURE    0x53575743   /* "CWWS" */

struct ngx_cweb_ws_conn_s {
    uint32_t                    signature;    /* c->data: request or us */
    websocket_t                 pub;          /* what plugins see */
    ngx_rbtree_node_t           node;         /* by the address of pub */
    ngx_queue_t                 queue;        /* the worker's, in order */
    ngx_http_request_t         *r;            /* NULL once released */
    ngx_connection_t           *c;
    ngx_cweb_ws_conf_t         *conf;
    ngx_msec_t                  send_timeout;
    ngx_http_cleanup_t         *cln;          /* until the release */
    ngx_event_t                 release;      /* frees the request */

    /* whose handlers: resolved per event from the current version */
    u_char                     *plugin;       /* name, NUL-terminated */
    u_char                     *path;         /* as the plugin declared it */

    /* the version that served the last event, see ngx_cweb_ws_current() */
    ngx_cweb_plugin_t          *cur;
    ngx_uint_t                  cur_gen;
    ngx_uint_t                  cur_quarantine;
    ngx_uint_t                  cur_index;
    ngx_cweb_call_t            *opening;      /* on_open only: its request */
    ngx_str_t                   protocol;     /* chosen by on_open */

    /* the plugin's side, for the frames' side (ngx_cweb_ws_io.c) */
    ngx_int_t                 (*message)(ngx_cweb_ws_conn_t *wc, u_char *msg,
                                         size_t len);
    ngx_uint_t                (*served)(ngx_cweb_ws_conn_t *wc);
    void                      (*done)(ngx_cweb_ws_conn_t *wc);  /* frees it */

    ngx_cweb_ws_parser_t        parser;
    ngx_cweb_ws_inflate_t      *inflate;      /* permessage-deflate, or NULL */
    ngx_uint_t                  deflate_bits; /* the server's window, 0: off */
    u_char                     *msg;          /* the message being read */
    size_t                      msg_len;
    size_t                      msg_size;
    ngx_uint_t                  msg_opcode;

    ngx_chain_t                *out;          /* frames not sent yet */
    ngx_cweb_ws_out_t          *pong;         /* queued, not begun */
    ngx_chain_t               **last_out;
    size_t                      queued;       /* bytes in out */

    ngx_event_t                 ping;         /* keeps an exiting worker */
    ngx_msec_t                  heard;        /* when the client last spoke */
    ngx_uint_t                  close_code;   /* sent, or to send */

    unsigned                    registered:1; /* in the worker's tree */
    unsigned                    opened:1;     /* on_open returned */
    unsigned                    upgraded:1;   /* the 101 is on its way */
    unsigned                    in_handler:1;
    unsigned                    close_sent:1;
    unsigned                    close_heard:1;
    unsigned                    closed_called:1;  /* on_close ran */
    unsigned                    finished:1;
};


extern ngx_module_t  ngx_cweb_ws_module;

/* ngx_cweb_ws.c: the handshake and the plugin's handlers */
ngx_int_t ngx_cweb_ws_handler(ngx_cweb_call_t *call);

int ngx_cweb_ws_protocol(websocket_t *ws, const char *protocol);

/* the same for the host's own WebSockets (/jobs/ws) */
const char *ngx_cweb_ws_check(ngx_http_request_t *r, ngx_str_t *key,
    ngx_uint_t *status);
ngx_cweb_ws_conn_t *ngx_cweb_ws_alloc(ngx_http_request_t *r, size_t extra);
ngx_int_t ngx_cweb_ws_upgrade(ngx_cweb_ws_conn_t *wc, ngx_str_t *key);
void ngx_cweb_ws_release_conn(ngx_cweb_ws_conn_t *wc);

/* ngx_cweb_ws_api.c: a plugin's side, and the worker's open connections */
void ngx_cweb_ws_api_init(void);
void ngx_cweb_ws_register(ngx_cweb_ws_conn_t *wc);
void ngx_cweb_ws_unregister(ngx_cweb_ws_conn_t *wc);
void ngx_cweb_ws_retire(ngx_cweb_ws_conn_t *wc);
ngx_cweb_ws_conn_t *ngx_cweb_ws_lookup(websocket_t *ws, const char *fn);
int ngx_cweb_ws_send(websocket_t *ws, const char *message, size_t length);
int ngx_cweb_ws_close_api(websocket_t *ws);
int ngx_cweb_ws_send_binary(websocket_t *ws, const void *data, size_t len);
int ngx_cweb_ws_ping(websocket_t *ws, const void *data, size_t len);
http_request_t *ngx_cweb_ws_request(websocket_t *ws);
ngx_queue_t *ngx_cweb_ws_connections(void);

/* ngx_cweb_ws_io.c: the frames, knowing nothing of plugins */
void ngx_cweb_ws_finish(ngx_cweb_ws_conn_t *wc);
void ngx_cweb_ws_read_event(ngx_event_t *ev);
void ngx_cweb_ws_write_event(ngx_event_t *ev);
void ngx_cweb_ws_ping_handler(ngx_event_t *ev);
ngx_int_t ngx_cweb_ws_feed(ngx_cweb_ws_conn_t *wc, u_char *p, size_t n);
void ngx_cweb_ws_feed_early(ngx_cweb_ws_conn_t *wc, u_char *p, size_t n);
ngx_int_t ngx_cweb_ws_queue(ngx_cweb_ws_conn_t *wc, ngx_uint_t opcode,
    const u_char *data, size_t len);
void ngx_cweb_ws_close(ngx_cweb_ws_conn_t *wc, ngx_uint_t code,
    const char *reason);
ngx_int_t ngx_cweb_ws_flush(ngx_cweb_ws_conn_t *wc);
ngx_cweb_ws_out_t *ngx_cweb_ws_out_alloc(size_t room, ngx_log_t *log);
void ngx_cweb_ws_free_queue(ngx_cweb_ws_conn_t *wc);
ngx_int_t ngx_cweb_ws_room(ngx_cweb_ws_conn_t *wc, size_t len);
void ngx_cweb_ws_link(ngx_cweb_ws_conn_t *wc, ngx_cweb_ws_out_t *out);
u_char *ngx_cweb_ws_deflated(ngx_uint_t bits, const u_char *data, size_t len,
    size_t *zlen);
void ngx_cweb_ws_zbuf_trim(void);

/* deflate_bits 0 (off), 8..15: a shared frame per window */
#define NGX_CWEB_WS_WINDOWS      16

/*
 * one message for many connections: its frame per deflate window, built
 * on first use (compressed once per window, plain when that does not
 * pay) and queued on each by reference (ngx_cweb_ws_queue_frame())
 */
typedef struct {
    ngx_cweb_ws_frame_t        *frame[NGX_CWEB_WS_WINDOWS];
    ngx_uint_t                  tried;        /* bit per window */
    ngx_uint_t                  built;
    ngx_uint_t                  opcode;
    u_char                     *msg;          /* set before each _get() */
    size_t                      len;
} ngx_cweb_ws_frames_t;

/* ngx_cweb_ws_bcast.c: cweb_ws_broadcast(), its frames and delivery */
ngx_int_t ngx_cweb_ws_bcast_init_process(ngx_cycle_t *cycle);
ngx_cweb_ws_frame_t *ngx_cweb_ws_frame_make(ngx_uint_t opcode,
    const u_char *data, size_t len, ngx_uint_t bits);
void ngx_cweb_ws_frame_release(ngx_cweb_ws_frame_t *f);
ngx_int_t ngx_cweb_ws_queue_frame(ngx_cweb_ws_conn_t *wc,
    ngx_cweb_ws_frame_t *f);
ngx_cweb_ws_frame_t *ngx_cweb_ws_frames_get(ngx_cweb_ws_frames_t *fs,
    ngx_uint_t bits);
void ngx_cweb_ws_frames_free(ngx_cweb_ws_frames_t *fs);


#endif /* _NGX_CWEB_WS_H_INCLUDED_ */
