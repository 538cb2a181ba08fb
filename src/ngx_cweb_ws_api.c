
/*
 * A plugin's side of its WebSockets: websocket_t's send and close, the
 * cweb_ws_* functions of cweb_api_t, and the worker's open connections
 * by the address plugins hold (a stale or made-up websocket_t * is
 * refused, never followed).
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_ws.h"


#define NGX_CWEB_WS_RETIRED  256


/* this worker's open WebSockets, by the address of their websocket_t */
static ngx_rbtree_t         ngx_cweb_ws_tree;
static ngx_rbtree_node_t    ngx_cweb_ws_sentinel;
static ngx_queue_t          ngx_cweb_ws_all;      /* the same, a list */

/* closed ones, not freed yet (ngx_cweb_ws_retire()) */
static ngx_cweb_ws_conn_t  *ngx_cweb_ws_retired[NGX_CWEB_WS_RETIRED];
static ngx_uint_t           ngx_cweb_ws_retired_next;


void
ngx_cweb_ws_api_init(void)
{
    ngx_rbtree_init(&ngx_cweb_ws_tree, &ngx_cweb_ws_sentinel,
                    ngx_rbtree_insert_value);
    ngx_queue_init(&ngx_cweb_ws_all);
}


void
ngx_cweb_ws_register(ngx_cweb_ws_conn_t *wc)
{
    wc->node.key = (ngx_rbtree_key_t) (uintptr_t) &wc->pub;
    ngx_rbtree_insert(&ngx_cweb_ws_tree, &wc->node);
    ngx_queue_insert_tail(&ngx_cweb_ws_all, &wc->queue);
}


void
ngx_cweb_ws_unregister(ngx_cweb_ws_conn_t *wc)
{
    ngx_rbtree_delete(&ngx_cweb_ws_tree, &wc->node);
    ngx_queue_remove(&wc->queue);
}


/* every registered connection (a broadcast picks the open ones) */

ngx_queue_t *
ngx_cweb_ws_connections(void)
{
    return &ngx_cweb_ws_all;
}


/* websocket_t, as plugins see it */

int
ngx_cweb_ws_send(websocket_t *ws, const char *message, size_t length)
{
    ngx_cweb_ws_conn_t  *wc;
    ngx_cweb_ws_utf8_t   utf8;

    if (ngx_cweb_api_gate("ws->send") != NGX_OK) {
        return -1;
    }

    wc = ngx_cweb_ws_lookup(ws, "ws->send");
    if (wc == NULL) {
        return -1;
    }

    if (message == NULL && length) {
        ngx_cweb_api_error("ws->send(): NULL message of %uz bytes", length);
        return -1;
    }

    /* a text frame carries UTF-8: a browser would close 1007 otherwise */
    ngx_memzero(&utf8, sizeof(ngx_cweb_ws_utf8_t));

    if (ngx_cweb_ws_utf8(&utf8, (const u_char *) message, length)
        != NGX_CWEB_WS_UTF8_OK)
    {
        ngx_cweb_api_error("ws->send(): the message is not UTF-8 text");
        return -1;
    }

    return ngx_cweb_ws_queue(wc, NGX_CWEB_WS_TEXT, (const u_char *) message,
                             length) == NGX_OK ? 0 : -1;
}


int
ngx_cweb_ws_close_api(websocket_t *ws)
{
    ngx_cweb_ws_conn_t  *wc;

    if (ngx_cweb_api_gate("ws->close") != NGX_OK) {
        return -1;
    }

    wc = ngx_cweb_ws_lookup(ws, "ws->close");
    if (wc == NULL) {
        return -1;
    }

    ngx_cweb_ws_close(wc, 1000, "");

    return 0;
}


int
ngx_cweb_ws_send_binary(websocket_t *ws, const void *data, size_t len)
{
    ngx_cweb_ws_conn_t  *wc;

    if (ngx_cweb_api_gate("cweb_ws_send_binary") != NGX_OK) {
        return CWEB_ERROR;
    }

    wc = ngx_cweb_ws_lookup(ws, "cweb_ws_send_binary");
    if (wc == NULL) {
        return CWEB_ERROR;
    }

    if (data == NULL && len) {
        ngx_cweb_api_error("cweb_ws_send_binary(): NULL data of %uz bytes",
                           len);
        return CWEB_ERROR;
    }

    return ngx_cweb_ws_queue(wc, NGX_CWEB_WS_BINARY, data, len) == NGX_OK
           ? CWEB_OK : CWEB_ERROR;
}


int
ngx_cweb_ws_ping(websocket_t *ws, const void *data, size_t len)
{
    ngx_cweb_ws_conn_t  *wc;

    if (ngx_cweb_api_gate("cweb_ws_ping") != NGX_OK) {
        return CWEB_ERROR;
    }

    wc = ngx_cweb_ws_lookup(ws, "cweb_ws_ping");
    if (wc == NULL) {
        return CWEB_ERROR;
    }

    if (len > NGX_CWEB_WS_MAX_CONTROL || (data == NULL && len)) {
        ngx_cweb_api_error("cweb_ws_ping(): a ping carries 0-125 bytes, "
                           "not %uz", len);
        return CWEB_ERROR;
    }

    return ngx_cweb_ws_queue(wc, NGX_CWEB_WS_PING, data, len) == NGX_OK
           ? CWEB_OK : CWEB_ERROR;
}


/* the opening request, for on_open */

http_request_t *
ngx_cweb_ws_request(websocket_t *ws)
{
    ngx_cweb_ws_conn_t  *wc;

    if (ngx_cweb_api_gate("cweb_ws_request") != NGX_OK) {
        return NULL;
    }

    wc = ngx_cweb_ws_lookup(ws, "cweb_ws_request");
    if (wc == NULL) {
        return NULL;
    }

    if (wc->opening == NULL) {
        ngx_cweb_api_error("cweb_ws_request(): only in on_open");
        return NULL;
    }

    return &wc->opening->req;
}


/* an open WebSocket of this worker, or NULL and an error line */

ngx_cweb_ws_conn_t *
ngx_cweb_ws_lookup(websocket_t *ws, const char *fn)
{
    ngx_rbtree_node_t   *node;
    ngx_cweb_plugin_t   *p;
    ngx_cweb_ws_conn_t  *wc;

    node = ngx_cweb_addr_find(&ngx_cweb_ws_tree, ws);

    if (node == NULL) {
        ngx_cweb_api_error("%s(): %p is not an open WebSocket of this "
                           "worker", fn, ws);
        return NULL;
    }

    wc = (ngx_cweb_ws_conn_t *)
         ((u_char *) node - offsetof(ngx_cweb_ws_conn_t, node));

    /* a plugin reaches its own connections only */
    p = ngx_cweb_api_current();

    if (p == NULL || p->name.len != ngx_strlen(wc->plugin)
        || ngx_strncmp(p->name.data, wc->plugin, p->name.len) != 0)
    {
        ngx_cweb_api_error("%s(): %p is a WebSocket of another plugin", fn,
                           ws);
        return NULL;
    }

    return wc;
}


/*
 * a closed connection's memory is freed only after NGX_CWEB_WS_RETIRED
 * more have closed, so that a websocket_t * a plugin kept past on_close
 * does not soon name a new connection (it is refused meanwhile)
 */

void
ngx_cweb_ws_retire(ngx_cweb_ws_conn_t *wc)
{
    ngx_free(ngx_cweb_ws_retired[ngx_cweb_ws_retired_next]);

    ngx_cweb_ws_retired[ngx_cweb_ws_retired_next] = wc;
    ngx_cweb_ws_retired_next = (ngx_cweb_ws_retired_next + 1)
                               % NGX_CWEB_WS_RETIRED;
}
