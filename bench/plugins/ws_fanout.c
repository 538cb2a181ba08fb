/*
 * bench/jobs-fanout, WS_TEST=1: a stand-in for WS /jobs/ws (not served
 * yet) to check bench/fanout.c's WebSocket client against, across both
 * workers, with the message format of /jobs/ws.
 *
 *   /fanws/sub    on open: a ping, then event 1 ("hello", a 7-bit length)
 *                 and event 2 ("pad", 70,000 bytes: a 64-bit length)
 *   /fanws/close  closes (1000) right after the 101: the client must say
 *                 so and fail
 *   GET /fanws/go?n=N  broadcasts N events of type "tick" (ids 3..N+2,
 *                 data {"i":k,"t_us":<CLOCK_REALTIME us>}, a 16-bit
 *                 length) to every /fanws/sub of every worker
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cweb.h>


#define FANWS_UUID  "00000000-0000-4000-8000-000000000000"
#define FANWS_PAD   70000
#define FANWS_MAX   100000


static long long
now_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


static void
sub_open(struct cweb_context *ctx, websocket_t *ws)
{
    char   *pad;
    int     n;
    char    small[160];

    (void) ctx;

    cweb_ws_ping(ws, "fanout", 6);

    n = snprintf(small, sizeof(small),
                 "{\"job_uuid\":\"" FANWS_UUID "\",\"event_id\":1,"
                 "\"ts\":%lld,\"type\":\"hello\",\"data\":null}",
                 now_us() / 1000);
    ws->send(ws, small, (size_t) n);

    pad = malloc(FANWS_PAD + 200);
    if (pad == NULL) {
        return;
    }

    n = snprintf(pad, 200, "{\"job_uuid\":\"" FANWS_UUID "\",\"event_id\":2,"
                 "\"ts\":%lld,\"type\":\"pad\",\"data\":\"", now_us() / 1000);
    memset(pad + n, 'x', FANWS_PAD);
    n += FANWS_PAD;
    n += snprintf(pad + n, 200, "\"}");
    ws->send(ws, pad, (size_t) n);
    free(pad);
}


static void
close_open(struct cweb_context *ctx, websocket_t *ws)
{
    (void) ctx;

    ws->close(ws);
}


static int
go(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    char   msg[256];
    char  *v;
    long   n, i;
    int    len;

    (void) ctx;

    v = http_kv_get(req->params, "n");
    n = v ? strtol(v, NULL, 10) : 0;

    if (n < 0 || n > FANWS_MAX) {
        res->status = HTTP_400_BAD_REQUEST;
        snprintf(res->body, 128, "n: 0..%d\n", FANWS_MAX);
        return 0;
    }

    for (i = 0; i < n; i++) {
        len = snprintf(msg, sizeof(msg),
                       "{\"job_uuid\":\"" FANWS_UUID "\",\"event_id\":%ld,"
                       "\"ts\":%lld,\"type\":\"tick\",\"data\":{\"i\":%ld,"
                       "\"t_us\":%lld,\"pad\":\"%s\"}}",
                       i + 3, now_us() / 1000, i, now_us(),
                       "make-the-frame-longer-than-125-bytes");

        if (cweb_ws_broadcast("/fanws/sub", msg, (size_t) len, CWEB_WS_TEXT)
            != CWEB_OK)
        {
            res->status = HTTP_500_INTERNAL_SERVER_ERROR;
            snprintf(res->body, 128, "broadcast %ld failed\n", i);
            return 0;
        }
    }

    res->status = HTTP_200_OK;
    snprintf(res->body, 128, "%ld\n", n);

    return 0;
}


export module_t config = {
    .name = "bench_ws_fanout",
    .author = "bench",
    .routes = {
        { "/fanws/go", "GET", go, 0 },
    },
    .size = 1,
    .websockets = {
        { "/fanws/sub", sub_open, NULL, NULL },
        { "/fanws/close", close_open, NULL, NULL },
    },
    .ws_size = 2,
};
