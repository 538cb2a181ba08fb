/* t/plugins/ws_review.c: hostile handlers for the WebSocket review */
#include <cweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PEERS  256

static websocket_t  *peers[MAX_PEERS];
static int           npeers;
static websocket_t  *stale;

static void
echo(struct cweb_context *ctx, websocket_t *ws, const char *msg, size_t len)
{
    ws->send(ws, msg, len);
}

/* on_close: send and close on itself, and on every other */
static void
bad_close(struct cweb_context *ctx, websocket_t *ws)
{
    int  i, rc1, rc2;

    rc1 = ws->send(ws, "from-on-close", 13);
    rc2 = ws->close(ws);
    cweb_log(CWEB_LOG_NOTICE, "bad_close self send=%d close=%d", rc1, rc2);

    for (i = 0; i < npeers; i++) {
        if (peers[i] == ws) {
            peers[i] = peers[--npeers];
            break;
        }
    }

    for (i = 0; i < npeers; i++) {
        peers[i]->send(peers[i], "left", 4);
        peers[i]->close(peers[i]);
    }
}

static void
reg_open(struct cweb_context *ctx, websocket_t *ws)
{
    if (npeers < MAX_PEERS) {
        peers[npeers++] = ws;
    }
}

/* on_open closes, then sends */
static void
open_close(struct cweb_context *ctx, websocket_t *ws)
{
    int rc1, rc2;
    rc1 = ws->close(ws);
    rc2 = ws->send(ws, "after-close", 11);
    cweb_log(CWEB_LOG_NOTICE, "open_close close=%d send=%d", rc1, rc2);
    stale = ws;
}

/* on_message: "close-all" closes every peer, "stale" sends on a stale one */
static void
cmd(struct cweb_context *ctx, websocket_t *ws, const char *msg, size_t len)
{
    int  i, rc;

    if (strcmp(msg, "close-all") == 0) {
        for (i = 0; i < npeers; i++) {
            peers[i]->close(peers[i]);
            peers[i]->send(peers[i], "x", 1);
        }
        return;
    }

    if (strcmp(msg, "stale") == 0 && stale) {
        rc = stale->send(stale, "stale", 5);
        cweb_log(CWEB_LOG_NOTICE, "stale send=%d", rc);
        return;
    }

    if (strncmp(msg, "huge", 4) == 0) {
        size_t  n = (size_t) atoi(msg + 4) << 20;
        char   *b = malloc(n);
        if (b == NULL) return;
        unsigned x = 1; for (size_t k = 0; k < n; k++) { x = x * 1103515245 + 12345; b[k] = 0x20 + (x >> 16) % 90; }
        rc = ws->send(ws, b, n);
        free(b);
        cweb_log(CWEB_LOG_NOTICE, "huge: rc=%d", rc);
        return;
    }

    if (strncmp(msg, "big", 3) == 0) {
        static char  block[65536];
        int n = atoi(msg + 3);
        memset(block, 'y', sizeof(block));
        for (i = 0; i < n; i++) {
            rc = ws->send(ws, block, sizeof(block));
            if (rc) break;
        }
        cweb_log(CWEB_LOG_NOTICE, "big: %d sent", i);
        return;
    }

    ws->send(ws, msg, len);
}

static int  count;

static void
counter(struct cweb_context *ctx, websocket_t *ws, const char *msg,
    size_t len)
{
    count++;
    if (len && msg[0] == '?') {
        char  r[32];
        snprintf(r, sizeof(r), "count=%d", count);
        ws->send(ws, r, strlen(r));
    }
}

static void
cnt_close(struct cweb_context *ctx, websocket_t *ws)
{
    cweb_log(CWEB_LOG_NOTICE, "counter on_close count=%d", count);
}

export module_t config = {
    .name = "ws_review",
    .author = "t",
    .websockets = {
        { "/r/echo", NULL, echo, NULL },
        { "/r/badclose", reg_open, cmd, bad_close },
        { "/r/openclose", open_close, cmd, bad_close },
        { "/r/count", NULL, counter, cnt_close },
    },
    .ws_size = 4,
};
