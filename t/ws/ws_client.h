
/*
 * objs/cweb-ws, the WebSocket client of the test suites and of bench/ws:
 * what its three parts (ws_client_util.c: handshake and text helpers,
 * cweb-ws.c: options and the script, ws_client_bench.c: --bench and
 * --idle-conns) share.
 */

#ifndef _WS_CLIENT_H_INCLUDED_
#define _WS_CLIENT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ws_client_frame.h"


#define WS_MAX_HEADERS  32
#define WS_MAX_SHOW     16


typedef struct {
    const char  *host;
    const char  *port;
    const char  *path;
    const char  *method;
    const char  *proto;                  /* "HTTP/1.1" */
    char        *headers[WS_MAX_HEADERS]; /* "Name: value", malloc()ed */
    int          nheaders;
    const char  *show[WS_MAX_SHOW];      /* response headers to print */
    int          nshow;
    char         key[64];                /* the key sent, "" for none */
    int          rcvbuf;
    int          timeout;                /* ms, each expect */
    size_t       max_message;
} ws_opts_t;


#define WS_MAX_CONNS    16

enum {
    WS_ST_NEW = 0,
    WS_ST_OPEN,                          /* 101: frames */
    WS_ST_HTTP,                          /* another status: bytes ignored */
    WS_ST_EOF
};


/* a connection of the script */
typedef struct {
    char         name[16];               /* "" for the unnamed one */
    ws_opts_t    opts;
    int          fd;
    int          state;
    int          status;
    char        *head;                   /* the response head */
    uint8_t     *in;                     /* bytes not parsed yet */
    size_t       in_len;
    size_t       in_cap;
    ws_rx_t      rx;
    ws_event_t  *evq;                    /* events not consumed yet */
    size_t       evq_head;
    size_t       evq_len;
    size_t       evq_cap;
    size_t       split;                  /* next frame in pieces of ... */
    int          split_ms;
    uint8_t     *pend;                   /* replies held during a send */
    size_t       pend_len;
    unsigned     sending:1;
    unsigned     stalled:1;
    unsigned     autopong:1;
    unsigned     autoclose:1;
    unsigned     close_sent:1;
} ws_conn_t;


extern ws_conn_t  ws_conns[WS_MAX_CONNS];
extern int        ws_nconns;
extern const char *ws_step_name;         /* the step being run */
extern int        ws_line;
extern int        ws_verbose;            /* --verbose: notes on stderr */


/* bench and idle modes */
typedef struct {
    int          conns;
    int          idle;
    uint64_t     messages;
    size_t       size;
    int          duration_max;           /* s */
    int          binary;
} ws_bench_t;


void ws_opts_init(ws_opts_t *o);
int ws_opts_header(ws_opts_t *o, const char *spec);
int ws_opts_copy(ws_opts_t *dst, const ws_opts_t *src);
size_t ws_handshake_request(ws_opts_t *o, char *buf, size_t size);
void ws_accept_value(const char *key, char out[32]);
const char *ws_header_value(const char *head, const char *name, size_t *len);
int ws_connect_tcp(const char *host, const char *port, int rcvbuf);
int ws_rand_bytes(uint8_t *p, size_t n);

ssize_t ws_hex_decode(const char *s, uint8_t *out, size_t size);
size_t ws_unescape(const char *s, uint8_t *out);
void ws_print_bytes(FILE *f, const uint8_t *p, size_t n, size_t max);
void ws_sha1_hex(const uint8_t *p, size_t n, char out[41]);
long long ws_now_ms(void);

int ws_conn_open(ws_conn_t *c);
int ws_conn_next(ws_conn_t *c, int timeout, ws_event_t *ev);
int ws_conn_send(ws_conn_t *c, const uint8_t *p, size_t n);
int ws_conn_frame(ws_conn_t *c, int fin, int opcode, const uint8_t *p,
    size_t n);
void ws_conn_wait(int ms);
void ws_event_print(const ws_conn_t *c, const ws_event_t *ev);
void ws_event_free(ws_event_t *ev);
void ws_prefix(const ws_conn_t *c);

char *ws_word(char **s);

extern ws_opts_t  ws_tmpl;

/* the steps (ws_client_steps.c, ws_client_expect.c) */
int ws_step_header(ws_conn_t *c, char *rest);
int ws_step_show(ws_conn_t *c, char *rest);
int ws_step_send(ws_conn_t *c, char *rest);
int ws_step_frag(ws_conn_t *c, char *rest);
int ws_step_frame(ws_conn_t *c, char *rest);
int ws_step_raw(ws_conn_t *c, char *rest);
int ws_step_control(ws_conn_t *c, char *rest);
int ws_step_set(ws_conn_t *c, char *rest);
int ws_step_run(ws_conn_t *c, char *rest);
int ws_step_expect(ws_conn_t *c, char *rest);
int ws_step_await(ws_conn_t *c, char *rest);
int ws_step_recv(ws_conn_t *c, char *rest);
int ws_payload(const char *kind, char *rest, int *opcode, uint8_t **p,
    size_t *n);

int ws_bench_run(const ws_opts_t *o, const ws_bench_t *b);
int ws_idle_run(const ws_opts_t *o, const ws_bench_t *b);


#endif /* _WS_CLIENT_H_INCLUDED_ */
