/*
 * t/plugins/ws_test.c: plugin @NAME@ (default "ws_test") with WebSockets
 * for the suites: an echo, a greeter, a flood (backpressure), faults, a
 * closer, a sender of invalid UTF-8 and the seed's chat pattern (ws->send
 * on the other connections).  @TAG@ prefixes the echo (hot swap).
 */
#include <cweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define MAX_PEERS  64

static websocket_t  *peers[MAX_PEERS];
static int           npeers;


static void
echo(struct cweb_context *ctx, websocket_t *ws, const char *msg, size_t len)
{
    char  *out;

    out = malloc(len + 16);
    if (out == NULL) {
        return;
    }

    memcpy(out, "@TAG@", sizeof("@TAG@") - 1);
    memcpy(out + sizeof("@TAG@") - 1, msg, len);
    ws->send(ws, out, len + sizeof("@TAG@") - 1);
    free(out);
}


static void
greet(struct cweb_context *ctx, websocket_t *ws)
{
    ws->send(ws, "welcome", 7);
}


static void
flood(struct cweb_context *ctx, websocket_t *ws, const char *msg, size_t len)
{
    char  block[1024];
    int   i, n, rc;

    n = atoi(msg);
    memset(block, 'x', sizeof(block));

    for (i = 0, rc = 0; i < n && rc == 0; i++) {
        rc = ws->send(ws, block, sizeof(block));
    }

    cweb_log(CWEB_LOG_NOTICE, "flood: %d sent, last rc %d", i, rc);
}


static void
ws_test_fault(struct cweb_context *ctx, websocket_t *ws, const char *msg,
    size_t len)
{
    if (strcmp(msg, "crash") == 0) {
        *(volatile int *) 16 = 1;
    }

    if (strcmp(msg, "spin") == 0) {
        for ( ;; ) { /* the watchdog ends this */ }
    }

    ws->send(ws, msg, len);
}


static void
closer(struct cweb_context *ctx, websocket_t *ws)
{
    ws->send(ws, "bye", 3);
    ws->close(ws);
}


static void
bad_utf8(struct cweb_context *ctx, websocket_t *ws, const char *msg,
    size_t len)
{
    char  reply[32];
    int   rc;

    rc = ws->send(ws, "\xff\xfe", 2);
    snprintf(reply, sizeof(reply), "send rc=%d", rc);
    ws->send(ws, reply, strlen(reply));
}


/* the opening request and the subprotocol, in on_open */
static void
info_open(struct cweb_context *ctx, websocket_t *ws)
{
    char             reply[256];
    const char      *name, *who;
    http_request_t  *req;

    req = cweb_ws_request(ws);
    name = req ? http_kv_get(req->params, "name") : NULL;
    who = req ? http_kv_get(req->headers, "x-who") : NULL;

    snprintf(reply, sizeof(reply), "path=%s name=%s who=%s ws=%d proto=%d",
             req ? req->path : "-", name ? name : "-", who ? who : "-",
             req ? req->websocket : -1, cweb_ws_protocol(ws, "chat.v2"));
    ws->send(ws, reply, strlen(reply));
}


/* later, the request is gone; binary frames and pings */
static void
info_message(struct cweb_context *ctx, websocket_t *ws, const char *msg,
    size_t len)
{
    char  reply[64];

    snprintf(reply, sizeof(reply), "later=%s",
             cweb_ws_request(ws) ? "request" : "NULL");
    ws->send(ws, reply, strlen(reply));
    cweb_ws_send_binary(ws, "\x00\x01\xff", 3);
    cweb_ws_ping(ws, "pp", 2);
}


static void
chat_open(struct cweb_context *ctx, websocket_t *ws)
{
    if (npeers < MAX_PEERS) {
        peers[npeers++] = ws;
    }
}


static void
chat_message(struct cweb_context *ctx, websocket_t *ws, const char *msg,
    size_t len)
{
    int  i;

    for (i = 0; i < npeers; i++) {
        peers[i]->send(peers[i], msg, len);
    }
}


static void
chat_close(struct cweb_context *ctx, websocket_t *ws)
{
    int  i;

    for (i = 0; i < npeers; i++) {
        if (peers[i] == ws) {
            peers[i] = peers[--npeers];
            break;
        }
    }

    for (i = 0; i < npeers; i++) {
        peers[i]->send(peers[i], "left", 4);
    }
}


export module_t config = {
    .name = "@NAME@",
    .author = "t",
    .websockets = {
        { "/ws/echo", NULL, echo, NULL },
        { "/ws/greet", greet, echo, NULL },
        { "/ws/flood", NULL, flood, NULL },
        { "/ws/fault", NULL, ws_test_fault, NULL },
        { "/ws/close", closer, echo, NULL },
        { "/ws/utf8", NULL, bad_utf8, NULL },
        { "/ws/chat", chat_open, chat_message, chat_close },
        { "/ws/info", info_open, info_message, NULL },
    },
    .ws_size = 8,
};
