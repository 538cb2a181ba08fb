/*
 * chat.c: a chat room over WebSockets, for any number of workers.  GET
 * /chat serves the page; the page opens ws://<host>/chat/ws?name=<you>.
 * Every message is broadcast to everyone in the room, whichever nginx
 * worker holds their connection (cweb_ws_broadcast()); joins and leaves
 * are announced.  The user's name travels in ws->session, which the host
 * frees when the connection ends.
 *
 *   curl --data-binary @example-modules/chat.c localhost:8080/mgnt
 *   # then open http://localhost:8080/chat in two browser tabs
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cweb.h>


#define CHAT_WS    "/chat/ws"
#define MAX_NAME   32


static const char  page[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>cweb chat</title></head>\n"
    "<body>\n"
    "<h1>cweb chat</h1>\n"
    "<pre id=\"log\"></pre>\n"
    "<input id=\"msg\" placeholder=\"message\" autofocus>\n"
    "<script>\n"
    "var name = prompt('Your name?') || 'guest';\n"
    "var ws = new WebSocket((location.protocol === 'https:' ? 'wss://'"
    " : 'ws://') + location.host + '" CHAT_WS "?name='"
    " + encodeURIComponent(name));\n"
    "var log = document.getElementById('log');\n"
    "ws.onmessage = function (e) {\n"
    "    log.textContent += e.data + '\\n';\n"
    "};\n"
    "document.getElementById('msg').onkeydown = function (e) {\n"
    "    if (e.key === 'Enter' && this.value) {\n"
    "        ws.send(this.value);\n"
    "        this.value = '';\n"
    "    }\n"
    "};\n"
    "</script>\n"
    "</body></html>\n";


static int
chat_page(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    http_kv_insert(res->headers, "Content-Type",
                   strdup("text/html; charset=utf-8"));

    return cweb_response_body(res, page, sizeof(page) - 1);
}


static void
say(const char *text, size_t len)
{
    cweb_ws_broadcast(CHAT_WS, text, len, CWEB_WS_TEXT);
}


/* a name of letters, digits, '-', '_' and '.', at most MAX_NAME bytes */
static char *
user_name(websocket_t *ws)
{
    size_t           i, n;
    char            *name;
    const char      *q;
    http_request_t  *req;

    req = cweb_ws_request(ws);
    q = req ? http_kv_get(req->params, "name") : NULL;
    q = (q && *q) ? q : "guest";

    n = strlen(q) < MAX_NAME ? strlen(q) : MAX_NAME;

    name = malloc(n + 1);
    if (name == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        name[i] = (strchr("-_.", q[i]) || (q[i] >= '0' && q[i] <= '9')
                   || ((q[i] | 0x20) >= 'a' && (q[i] | 0x20) <= 'z'))
                  ? q[i] : '_';
    }

    name[n] = '\0';

    return name;
}


static void
on_open(struct cweb_context *ctx, websocket_t *ws)
{
    char  line[64];
    int   n;

    ws->session = user_name(ws);

    n = snprintf(line, sizeof(line), "* %s joined",
                 ws->session ? ws->session : "guest");
    say(line, (size_t) n);
}


static void
on_message(struct cweb_context *ctx, websocket_t *ws, const char *message,
    size_t length)
{
    char    *line;
    size_t   size;
    int      n;

    size = MAX_NAME + 3 + length + 1;

    line = malloc(size);
    if (line == NULL) {
        return;
    }

    n = snprintf(line, size, "%s: %.*s", ws->session ? ws->session : "guest",
                 (int) length, message);
    say(line, (size_t) n);
    free(line);
}


static void
on_close(struct cweb_context *ctx, websocket_t *ws)
{
    char  line[64];
    int   n;

    n = snprintf(line, sizeof(line), "* %s left",
                 ws->session ? ws->session : "guest");
    say(line, (size_t) n);
}


export module_t config = {
    .name = "chat",
    .author = "cweb",
    .routes = {
        { "/chat", "GET", chat_page, NONE },
    },
    .size = 1,
    .websockets = {
        { CHAT_WS, on_open, on_message, on_close },
    },
    .ws_size = 1,
};
