/*
 * ws_echo.c - bench/ws's plugin: a WebSocket at /ws/echo that sends every
 * message back as it came, with nothing added, so what bench/ws measures
 * is the host's cost per message (read, parse, unmask, the call, frame,
 * write), the same work as lua-resty-websocket's echo loop.
 *
 *   curl --data-binary @bench/plugins/ws_echo.c http://127.0.0.1:18085/mgnt
 */

#include <cweb.h>


static void
echo(struct cweb_context *ctx, websocket_t *ws, const char *message,
    size_t length)
{
    /* the load client sends text: ws->send sends text (UTF-8 only) */
    if (ws->send(ws, message, length) != 0) {
        cweb_log(CWEB_LOG_WARN, "ws_echo: the echo could not be sent");
    }
}


export module_t config = {
    .name = "bench_ws_echo",
    .author = "cweb bench",
    .websockets = {
        { "/ws/echo", NULL, echo, NULL },
    },
    .ws_size = 1,
};
