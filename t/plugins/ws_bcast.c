/*
 * t/plugins/ws_bcast.c: cweb_ws_broadcast() for t/072-ws-broadcast.t.
 * on_open tells the worker's pid; a message "VERB ARG" on either path:
 *   broadcast TEXT    TEXT to /ws/room        binary HEXLESS  as binary
 *   other TEXT        TEXT to /ws/other       nope TEXT       to /ws/nope
 *   big N             N bytes of 'b'          badutf8         \xff\xfe
 *   many N SIZE       N messages of SIZE bytes, the i-th all 'A' + i % 26
 * each answered "rc=R" (ws->send: it comes before the broadcast); GET
 * /bcast?m=TEXT broadcasts TEXT to /ws/room from a route.
 */
#include <cweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static void
hello(struct cweb_context *ctx, websocket_t *ws)
{
    char  buf[32];

    snprintf(buf, sizeof(buf), "pid %d", (int) getpid());
    ws->send(ws, buf, strlen(buf));
}


static int
many(const char *arg)
{
    int    i, n, size, rc;
    char  *buf;

    n = atoi(arg);
    size = atoi(strchr(arg, ' ') ? strchr(arg, ' ') + 1 : "1");

    buf = malloc(size);
    if (buf == NULL) {
        return -100;
    }

    for (i = 0, rc = 0; i < n && rc == 0; i++) {
        memset(buf, 'A' + i % 26, size);
        rc = cweb_ws_broadcast("/ws/room", buf, size, CWEB_WS_TEXT);
    }

    free(buf);
    return rc;
}


static int
big(size_t n)
{
    int    rc;
    char  *buf;

    buf = malloc(n);
    if (buf == NULL) {
        return -100;
    }

    memset(buf, 'b', n);
    rc = cweb_ws_broadcast("/ws/room", buf, n, CWEB_WS_TEXT);
    free(buf);

    return rc;
}


static void
message(struct cweb_context *ctx, websocket_t *ws, const char *msg,
    size_t len)
{
    int          rc;
    char         reply[32];
    const char  *arg;

    arg = strchr(msg, ' ') ? strchr(msg, ' ') + 1 : "";

    if (strncmp(msg, "broadcast ", 10) == 0) {
        rc = cweb_ws_broadcast("/ws/room", arg, strlen(arg), CWEB_WS_TEXT);

    } else if (strncmp(msg, "binary ", 7) == 0) {
        rc = cweb_ws_broadcast("/ws/room", arg, strlen(arg), CWEB_WS_BINARY);

    } else if (strncmp(msg, "other ", 6) == 0) {
        rc = cweb_ws_broadcast("/ws/other", arg, strlen(arg), CWEB_WS_TEXT);

    } else if (strncmp(msg, "nope ", 5) == 0) {
        rc = cweb_ws_broadcast("/ws/nope", arg, strlen(arg), CWEB_WS_TEXT);

    } else if (strncmp(msg, "big ", 4) == 0) {
        rc = big((size_t) atol(arg));

    } else if (strcmp(msg, "badutf8") == 0) {
        rc = cweb_ws_broadcast("/ws/room", "\xff\xfe", 2, CWEB_WS_TEXT);

    } else if (strcmp(msg, "opcode") == 0) {
        rc = cweb_ws_broadcast("/ws/room", "x", 1, 9);

    } else if (strncmp(msg, "many ", 5) == 0) {
        rc = many(arg);

    } else {
        rc = -99;
    }

    snprintf(reply, sizeof(reply), "rc=%d", rc);
    ws->send(ws, reply, strlen(reply));
}


static int
route(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    const char  *m;

    m = http_kv_get(req->params, "m");

    snprintf(res->body, HTTP_RESPONSE_SIZE, "rc=%d\n",
             m ? cweb_ws_broadcast("/ws/room", m, strlen(m), CWEB_WS_TEXT)
               : -99);
    res->status = HTTP_200_OK;

    return 0;
}


export module_t config = {
    .name = "ws_bcast",
    .author = "t",
    .routes = {
        { "/bcast", "GET", route, NONE },
    },
    .size = 1,
    .websockets = {
        { "/ws/room", hello, message, NULL },
        { "/ws/other", hello, message, NULL },
    },
    .ws_size = 2,
};
