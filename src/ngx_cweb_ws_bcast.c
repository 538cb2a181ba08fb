
/*
 * cweb_ws_broadcast(): a message for every open WebSocket of a plugin's
 * path, in every worker, through the event fan-out (ngx_cweb_ipc.c).
 *
 * - The caller's worker publishes one event; every worker, its own
 *   included, gets it from the ring after its doorbell rang, so all
 *   connections see broadcasts in one order and nothing is sent from
 *   inside plugin code.
 * - The event names the plugin and the path: a plugin reaches its own
 *   WebSockets only, and only on a path its current version declares.
 * - A worker builds each frame once per event and queues it on every
 *   connection by reference; with permessage-deflate (no context
 *   takeover) the message is compressed once per window size, since
 *   such a frame is valid on every connection that agreed to that window.
 *   cweb_websocket_max_queue holds as for ws->send (1008).
 *
 * Event payload: opcode (1 byte), plugin name length (1), path length
 * (2, host order: the ring never leaves the machine), name, path, message.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_ipc.h"
#include "ngx_cweb_ws.h"


#define NGX_CWEB_WS_BCAST_HEAD  4


/* a frame queued on many connections by reference, built once */
struct ngx_cweb_ws_frame_s {
    ngx_uint_t                  refs;
    size_t                      size;
    u_char                     *data;         /* follows */
};


static const char *ngx_cweb_ws_bcast_check(ngx_cweb_plugin_t *p,
    const char *path, const void *data, size_t len, int opcode);
static void ngx_cweb_ws_bcast_handler(ngx_uint_t kind, u_char *data,
    size_t len);


int
ngx_cweb_ws_broadcast(const char *path, const void *data, size_t len,
    int opcode)
{
    u_char                head[NGX_CWEB_WS_BCAST_HEAD];
    size_t                plen, max;
    uint16_t              n16;
    const char           *why;
    ngx_cweb_plugin_t    *p;
    ngx_cweb_ring_part_t  parts[4];

    if (ngx_cweb_api_gate_ctx("cweb_ws_broadcast", NGX_CWEB_CTX_REQUEST
                                                   |NGX_CWEB_CTX_WEBSOCKET
                                                   |NGX_CWEB_CTX_WORK)
        != NGX_OK)
    {
        return CWEB_ERROR;
    }

    p = ngx_cweb_api_current();

    why = ngx_cweb_ws_bcast_check(p, path, data, len, opcode);
    if (why) {
        ngx_cweb_api_error("cweb_ws_broadcast(): %s", why);
        return CWEB_ERROR;
    }

    plen = ngx_strlen(path);
    max = ngx_cweb_ipc_max();

    if (len > max || max - len < sizeof(head) + p->name.len + plen) {
        ngx_cweb_api_error("cweb_ws_broadcast(): a message of %uz bytes is "
                           "larger than cweb_event_zone takes (%uz bytes "
                           "with the path)", len,
                           max > sizeof(head) + p->name.len + plen
                           ? max - sizeof(head) - p->name.len - plen : 0);
        return CWEB_ERROR;
    }

    head[0] = (u_char) opcode;
    head[1] = (u_char) p->name.len;
    n16 = (uint16_t) plen;
    ngx_memcpy(&head[2], &n16, sizeof(uint16_t));

    parts[0].data = head;
    parts[0].len = sizeof(head);
    parts[1].data = p->name.data;
    parts[1].len = p->name.len;
    parts[2].data = path;
    parts[2].len = plen;
    parts[3].data = data;
    parts[3].len = len;

    return ngx_cweb_ipc_publishv(NGX_CWEB_IPC_WS_BROADCAST, parts, 4)
           == NGX_OK ? CWEB_OK : CWEB_ERROR;
}


/* NULL, or why the call is refused */

static const char *
ngx_cweb_ws_bcast_check(ngx_cweb_plugin_t *p, const char *path,
    const void *data, size_t len, int opcode)
{
    int                 i;
    ngx_cweb_ws_utf8_t  utf8;

    if (p == NULL || p->name.len > 255) {
        return "not called by a plugin";
    }

    if (path == NULL || ngx_strlen(path) > 65535) {
        return "no path";
    }

    if (data == NULL && len) {
        return "NULL data with a length";
    }

    if (opcode != CWEB_WS_TEXT && opcode != CWEB_WS_BINARY) {
        return "the opcode is neither CWEB_WS_TEXT nor CWEB_WS_BINARY";
    }

    for (i = 0; i < p->config->ws_size; i++) {
        if (p->config->websockets[i].path
            && ngx_strcmp(p->config->websockets[i].path, path) == 0)
        {
            break;
        }
    }

    if (i == p->config->ws_size) {
        return "not a WebSocket path of this plugin's module_t.websockets[]";
    }

    /* a text frame carries UTF-8: a browser would close 1007 otherwise */
    ngx_memzero(&utf8, sizeof(ngx_cweb_ws_utf8_t));

    if (opcode == CWEB_WS_TEXT
        && ngx_cweb_ws_utf8(&utf8, data, len) != NGX_CWEB_WS_UTF8_OK)
    {
        return "the message is not UTF-8 text";
    }

    return NULL;
}


ngx_int_t
ngx_cweb_ws_bcast_init_process(ngx_cycle_t *cycle)
{
    return ngx_cweb_ipc_subscribe(NGX_CWEB_IPC_WS_BROADCAST,
                                  ngx_cweb_ws_bcast_handler);
}


/* an event: the frame on each open connection of that plugin's path */

static void
ngx_cweb_ws_bcast_handler(ngx_uint_t kind, u_char *data, size_t len)
{
    u_char               *plugin, *path;
    size_t                plen;
    uint16_t              n16;
    ngx_uint_t            n;
    ngx_queue_t          *q, *open;
    ngx_cweb_ws_conn_t   *wc;
    ngx_cweb_ws_frame_t  *f;
    ngx_cweb_ws_frames_t  b;

    if (len < NGX_CWEB_WS_BCAST_HEAD) {
        return;
    }

    ngx_memcpy(&n16, data + 2, sizeof(uint16_t));
    plen = data[1];

    if (NGX_CWEB_WS_BCAST_HEAD + plen + n16 > len) {
        return;
    }

    ngx_memzero(&b, sizeof(ngx_cweb_ws_frames_t));

    b.opcode = data[0];
    plugin = data + NGX_CWEB_WS_BCAST_HEAD;
    path = plugin + plen;
    b.msg = path + n16;
    b.len = len - (b.msg - data);

    open = ngx_cweb_ws_connections();
    n = 0;

    for (q = ngx_queue_head(open); q != open; q = ngx_queue_next(q)) {
        wc = ngx_queue_data(q, ngx_cweb_ws_conn_t, queue);

        if (!wc->opened || !wc->upgraded || wc->close_sent
            || ngx_strncmp(wc->plugin, plugin, plen) != 0
            || wc->plugin[plen] != '\0'
            || ngx_strncmp(wc->path, path, n16) != 0
            || wc->path[n16] != '\0')
        {
            continue;
        }

        f = ngx_cweb_ws_frames_get(&b, wc->deflate_bits);

        if (f && ngx_cweb_ws_queue_frame(wc, f) == NGX_OK) {
            n++;
        }
    }

    ngx_cweb_ws_frames_free(&b);

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "cweb websocket: broadcast on \"%*s\" of %uz bytes to %ui "
                   "connections, %ui frames built", (size_t) n16, path, b.len,
                   n, b.built);
}


/*
 * the frame for a connection of that deflate window (0: none), built on
 * first use; compressed once per window, plain when that does not pay
 */

ngx_cweb_ws_frame_t *
ngx_cweb_ws_frames_get(ngx_cweb_ws_frames_t *b, ngx_uint_t bits)
{
    bits &= NGX_CWEB_WS_WINDOWS - 1;

    if (b->frame[bits] == NULL && bits && !(b->tried & (1 << bits))) {
        b->tried |= 1 << bits;
        b->frame[bits] = ngx_cweb_ws_frame_make(b->opcode, b->msg, b->len,
                                                bits);
        b->built += b->frame[bits] != NULL;
    }

    if (b->frame[bits]) {
        return b->frame[bits];
    }

    if (b->frame[0] == NULL) {
        b->frame[0] = ngx_cweb_ws_frame_make(b->opcode, b->msg, b->len, 0);
        b->built += b->frame[0] != NULL;
    }

    return b->frame[0];
}


void
ngx_cweb_ws_frames_free(ngx_cweb_ws_frames_t *b)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_CWEB_WS_WINDOWS; i++) {
        ngx_cweb_ws_frame_release(b->frame[i]);
        b->frame[i] = NULL;
    }

    b->tried = 0;
}


/*
 * a data frame for many connections: compressed for the window "bits"
 * (NULL when that does not make it shorter, or fails), or plain (bits 0)
 */

ngx_cweb_ws_frame_t *
ngx_cweb_ws_frame_make(ngx_uint_t opcode, const u_char *data, size_t len,
    ngx_uint_t bits)
{
    u_char               header[NGX_CWEB_WS_MAX_HEADER];
    size_t               hlen;
    ngx_cweb_ws_frame_t  *f;

    if (bits) {
        data = ngx_cweb_ws_deflated(bits, data, len, &len);

        if (data == NULL) {
            ngx_cweb_ws_zbuf_trim();
            return NULL;
        }
    }

    hlen = ngx_cweb_ws_frame_header(header, opcode, 1, bits ? 1 : 0, len);

    f = ngx_alloc(sizeof(ngx_cweb_ws_frame_t) + hlen + len, ngx_cycle->log);

    if (f != NULL) {
        f->refs = 1;
        f->size = hlen + len;
        f->data = (u_char *) (f + 1);

        ngx_memcpy(f->data, header, hlen);

        if (len) {
            ngx_memcpy(f->data + hlen, data, len);
        }
    }

    ngx_cweb_ws_zbuf_trim();

    return f;
}


void
ngx_cweb_ws_frame_release(ngx_cweb_ws_frame_t *f)
{
    if (f && --f->refs == 0) {
        ngx_free(f);
    }
}


/* a shared frame on this connection, under cweb_websocket_max_queue */

ngx_int_t
ngx_cweb_ws_queue_frame(ngx_cweb_ws_conn_t *wc, ngx_cweb_ws_frame_t *f)
{
    ngx_cweb_ws_out_t  *out;

    if (wc->close_sent || ngx_cweb_ws_room(wc, f->size) != NGX_OK) {
        return NGX_DECLINED;
    }

    out = ngx_cweb_ws_out_alloc(0, wc->c->log);
    if (out == NULL) {
        return NGX_ERROR;
    }

    f->refs++;
    out->frame = f;
    out->buf.start = f->data;
    out->buf.pos = f->data;
    out->buf.last = f->data + f->size;
    out->size = f->size;

    ngx_cweb_ws_link(wc, out);

    return NGX_OK;
}
