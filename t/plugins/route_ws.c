/*
 * t/plugins/route_ws.c: plugin @NAME@ with no route and the one WebSocket
 * path @WS@ (a GET for route conflicts).
 */
#include <cweb.h>


static void
ws_open(struct cweb_context *ctx, websocket_t *ws)
{
}


static void
ws_message(struct cweb_context *ctx, websocket_t *ws, const char *msg,
    size_t len)
{
    ws->send(ws, msg, len);
}


static void
ws_close(struct cweb_context *ctx, websocket_t *ws)
{
}


export module_t config = {
    .name = "@NAME@",
    .author = "t",
    .websockets = {
        {"@WS@", ws_open, ws_message, ws_close},
    },
    .ws_size = 1,
};
