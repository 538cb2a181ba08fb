/*
 * websocket.c: an echo over a WebSocket at /websocket.  Every text message
 * comes back prefixed with "You: ".  The host does the handshake, the
 * framing, pings and the close; the plugin sees whole messages.
 *
 *   curl --data-binary @example-modules/websocket.c localhost:8080/mgnt
 *   # then, in a browser console on http://localhost:8080/:
 *   #   ws = new WebSocket("ws://localhost:8080/websocket");
 *   #   ws.onmessage = e => console.log(e.data); ws.send("hi")
 */

#include <stdio.h>
#include <string.h>
#include <cweb.h>


static void
on_open(struct cweb_context *ctx, websocket_t *ws)
{
    cweb_log(CWEB_LOG_INFO, "websocket opened");
}


static void
on_message(struct cweb_context *ctx, websocket_t *ws, const char *message,
    size_t length)
{
    char    reply[1024];
    int     n;
    size_t  len;

    /* a long message is cut, not overflowed, and not inside a character */
    len = length < 1000 ? length : 1000;

    while (len < length && len > 0 && (message[len] & 0xC0) == 0x80) {
        len--;
    }

    n = snprintf(reply, sizeof(reply), "You: %.*s", (int) len, message);

    if (ws->send(ws, reply, (size_t) n) != 0) {
        cweb_log(CWEB_LOG_WARN, "the echo could not be sent");
    }
}


static void
on_close(struct cweb_context *ctx, websocket_t *ws)
{
    cweb_log(CWEB_LOG_INFO, "websocket closed");
}


export module_t config = {
    .name = "websocket",
    .author = "cweb",
    .websockets = {
        { "/websocket", on_open, on_message, on_close },
    },
    .ws_size = 1,
};
