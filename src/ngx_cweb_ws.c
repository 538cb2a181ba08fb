
/*
 * Plugin WebSockets: the opening handshake (RFC 6455 4.2), the takeover
 * of the connection from nginx's HTTP machinery, the plugin's handlers
 * and its websocket_t.
 *
 * - The handshake is checked before anything is sent: GET over HTTP/1.1
 *   with Upgrade: websocket, Connection: upgrade, a Sec-WebSocket-Key of
 *   16 bytes in base64 and Sec-WebSocket-Version 13; 400 otherwise, 426
 *   with "Sec-WebSocket-Version: 13" for another version.  A browser page
 *   of another site (an Origin that is neither this Host nor one of
 *   cweb_websocket_origins) is refused with 403: its cookies would open a
 *   WebSocket in the user's name (cross-site WebSocket hijacking).
 * - on_open runs before the 101 is sent, so that what it sends follows
 *   the 101 at once and a crash there is an ordinary 500.
 * - The handlers are resolved per event from the plugin's current
 *   version: a deploy keeps the connection and the next event runs the
 *   new code; a version without the path closes it with 1001.  Each call
 *   runs under the fault marker (NGX_CWEB_CALL_WS(i)) like a route's.
 * - The connection keeps its own read and write handlers and is marked
 *   idle, so that a worker that quits (reload, graceful stop) calls them
 *   with c->close: every WebSocket is closed with 1001, never dropped.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_ws.h"

#include <openssl/sha.h>


#define NGX_CWEB_WS_GUID               "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define NGX_CWEB_HTTP_UPGRADE_REQUIRED  426


static ngx_int_t ngx_cweb_ws_origin_ok(ngx_http_request_t *r);
static ngx_uint_t ngx_cweb_ws_has_token(ngx_str_t *value, const char *token,
    size_t len, ngx_uint_t nocase);
static ngx_cweb_ws_conn_t *ngx_cweb_ws_create(ngx_http_request_t *r,
    ngx_cweb_route_t *rt);
static ngx_int_t ngx_cweb_ws_extensions(ngx_cweb_ws_conn_t *wc);
static ngx_int_t ngx_cweb_ws_accept(ngx_cweb_ws_conn_t *wc, ngx_str_t *key);
static void ngx_cweb_ws_takeover(ngx_cweb_ws_conn_t *wc);
static void ngx_cweb_ws_release(ngx_event_t *ev);
static void ngx_cweb_ws_cleanup(void *data);
static void ngx_cweb_ws_cleanup_conn(ngx_cweb_ws_conn_t *wc);
static ngx_int_t ngx_cweb_ws_call(ngx_cweb_ws_conn_t *wc, ngx_uint_t event,
    u_char *msg, size_t len);
static ngx_int_t ngx_cweb_ws_message(ngx_cweb_ws_conn_t *wc, u_char *msg,
    size_t len);
static ngx_uint_t ngx_cweb_ws_served(ngx_cweb_ws_conn_t *wc);
static ngx_cweb_plugin_t *ngx_cweb_ws_current(ngx_cweb_ws_conn_t *wc,
    ngx_uint_t *index);
static void ngx_cweb_ws_last_words(ngx_cweb_ws_conn_t *wc);
static void *ngx_cweb_ws_create_conf(ngx_conf_t *cf);
static char *ngx_cweb_ws_init_conf(ngx_conf_t *cf, void *conf);
static ngx_int_t ngx_cweb_ws_init_process(ngx_cycle_t *cycle);


static ngx_conf_num_bounds_t  ngx_cweb_ws_message_bounds = {
    ngx_conf_check_num_bounds, 1, 1024 * 1024 * 1024
};


static ngx_command_t  ngx_cweb_ws_commands[] = {

    { ngx_string("cweb_websocket_max_message"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_ws_conf_t, max_message),
      &ngx_cweb_ws_message_bounds },

    { ngx_string("cweb_websocket_max_queue"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_ws_conf_t, max_queue),
      &ngx_cweb_ws_message_bounds },

    { ngx_string("cweb_websocket_ping_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_ws_conf_t, ping_interval),
      NULL },

    { ngx_string("cweb_websocket_deflate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_ws_conf_t, deflate),
      NULL },

    { ngx_string("cweb_websocket_origins"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_conf_set_str_array_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_ws_conf_t, origins),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_cweb_ws_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_cweb_ws_create_conf,               /* create main configuration */
    ngx_cweb_ws_init_conf,                 /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_cweb_ws_module = {
    NGX_MODULE_V1,
    &ngx_cweb_ws_module_ctx,               /* module context */
    ngx_cweb_ws_commands,                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_cweb_ws_init_process,              /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* a GET on a path of module_t.websockets[] */

ngx_int_t
ngx_cweb_ws_handler(ngx_cweb_call_t *call)
{
    ngx_int_t            rc;
    ngx_str_t            key;
    ngx_uint_t           status;
    const char          *why;
    ngx_cweb_ws_conn_t  *wc;
    ngx_http_request_t  *r;

    r = call->r;

    why = ngx_cweb_ws_check(r, &key, &status);
    if (why) {
        return ngx_cweb_send_error(r, status, "%s", why);
    }

    wc = ngx_cweb_ws_create(r, call->route);
    if (wc == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    wc->opening = call;
    rc = ngx_cweb_ws_call(wc, NGX_CWEB_WS_ON_OPEN, NULL, 0);
    wc->opening = NULL;

    if (rc == NGX_ABORT) {
        ngx_cweb_ws_free_queue(wc);
        return ngx_cweb_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                   "plugin fault: on_open crashed");
    }

    if (rc != NGX_OK) {
        ngx_cweb_ws_free_queue(wc);
        return ngx_cweb_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                   "the plugin no longer serves this "
                                   "WebSocket");
    }

    wc->opened = 1;

    return ngx_cweb_ws_upgrade(wc, &key) == NGX_OK ? NGX_DONE : NGX_ERROR;
}


/* the 101 and the connection taken over from nginx's HTTP machinery */

ngx_int_t
ngx_cweb_ws_upgrade(ngx_cweb_ws_conn_t *wc, ngx_str_t *key)
{
    if (ngx_cweb_ws_accept(wc, key) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_cweb_ws_takeover(wc);

    return NGX_OK;
}


/* the opening handshake: NULL, or why not and the status to answer */

const char *
ngx_cweb_ws_check(ngx_http_request_t *r, ngx_str_t *key, ngx_uint_t *status)
{
    u_char            buf[32];
    ngx_str_t         dec;
    ngx_uint_t        n;
    ngx_table_elt_t  *h, *c;

    if (r->method != NGX_HTTP_GET) {
        *status = NGX_HTTP_BAD_REQUEST;
        return "a WebSocket opens with a GET";
    }

    if (r != r->main || r->http_version != NGX_HTTP_VERSION_11) {
        *status = NGX_HTTP_BAD_REQUEST;
        return "a WebSocket opens over HTTP/1.1 only";
    }

    if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
        *status = NGX_HTTP_BAD_REQUEST;
        return "a WebSocket handshake has no body";
    }

    /* nginx does not keep Upgrade in headers_in: looked up like the rest */
    h = ngx_cweb_header_in(r, "Upgrade", 7, &n);
    c = ngx_cweb_header_in(r, "Connection", 10, &n);

    if (h == NULL || !ngx_cweb_ws_has_token(&h->value, "websocket", 9, 1)
        || c == NULL || !ngx_cweb_ws_has_token(&c->value, "upgrade", 7, 1))
    {
        *status = NGX_HTTP_BAD_REQUEST;
        return "not a WebSocket handshake: it needs \"Upgrade: websocket\" "
               "and \"Connection: upgrade\"";
    }

    h = ngx_cweb_header_in(r, "Sec-WebSocket-Version", 21, &n);

    if (h == NULL || n != 1) {
        *status = NGX_HTTP_BAD_REQUEST;
        return "one Sec-WebSocket-Version is needed";
    }

    if (h->value.len != 2 || ngx_strncmp(h->value.data, "13", 2) != 0) {
        if (ngx_cweb_header_set(r, "Sec-WebSocket-Version", "13") == NULL) {
            *status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return "no memory";
        }

        ngx_str_set(&r->headers_out.status_line, "426 Upgrade Required");

        *status = NGX_CWEB_HTTP_UPGRADE_REQUIRED;
        return "WebSocket version 13 only";
    }

    h = ngx_cweb_header_in(r, "Sec-WebSocket-Key", 17, &n);

    /* 16 bytes in base64: 24 characters, the last two "==" */
    dec.data = buf;

    if (h == NULL || n != 1 || h->value.len != 24
        || ngx_decode_base64(&dec, &h->value) != NGX_OK || dec.len != 16)
    {
        *status = NGX_HTTP_BAD_REQUEST;
        return "one Sec-WebSocket-Key of 16 bytes in base64 is needed";
    }

    if (ngx_cweb_ws_origin_ok(r) != NGX_OK) {
        *status = NGX_HTTP_FORBIDDEN;
        return "a WebSocket from a page of another origin: allow it with "
               "cweb_websocket_origins";
    }

    *key = h->value;

    return NULL;
}


/*
 * no Origin (not a browser), this server's own ("<scheme>://<Host>"), or
 * one of cweb_websocket_origins ("*": any)
 */

static ngx_int_t
ngx_cweb_ws_origin_ok(ngx_http_request_t *r)
{
    u_char              *p;
    ngx_str_t           *o, authority;
    ngx_uint_t           i, n;
    ngx_table_elt_t     *origin, *host;
    ngx_cweb_ws_conf_t  *wcf;

    origin = ngx_cweb_header_in(r, "Origin", 6, &n);
    if (origin == NULL) {
        return NGX_OK;
    }

    wcf = ngx_http_get_module_main_conf(r, ngx_cweb_ws_module);

    if (wcf->origins) {
        o = wcf->origins->elts;

        for (i = 0; i < wcf->origins->nelts; i++) {
            if ((o[i].len == 1 && o[i].data[0] == '*')
                || (o[i].len == origin->value.len
                    && ngx_strncasecmp(o[i].data, origin->value.data,
                                       o[i].len) == 0))
            {
                return NGX_OK;
            }
        }
    }

    host = r->headers_in.host;

    p = ngx_strlcasestrn(origin->value.data,
                         origin->value.data + origin->value.len,
                         (u_char *) "://", 3 - 1);

    if (n != 1 || host == NULL || p == NULL) {
        return NGX_DECLINED;
    }

    /* the origins a browser sends: http or https (never "null" here) */
    if (!((p - origin->value.data == 4
           && ngx_strncasecmp(origin->value.data, (u_char *) "http", 4) == 0)
          || (p - origin->value.data == 5
              && ngx_strncasecmp(origin->value.data, (u_char *) "https", 5)
                 == 0)))
    {
        return NGX_DECLINED;
    }

    authority.data = p + 3;
    authority.len = origin->value.data + origin->value.len - authority.data;

    return (authority.len == host->value.len
            && ngx_strncasecmp(authority.data, host->value.data,
                               authority.len) == 0)
           ? NGX_OK : NGX_DECLINED;
}




/* "a, Upgrade ,b": a comma-separated list holds the token (in any case) */

static ngx_uint_t
ngx_cweb_ws_has_token(ngx_str_t *value, const char *token, size_t len,
    ngx_uint_t nocase)
{
    u_char  *p, *last, *end;

    p = value->data;
    last = p + value->len;

    while (p < last) {
        while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        end = p;

        while (end < last && *end != ',') {
            end++;
        }

        /* the token, and only blanks after it */
        if ((size_t) (end - p) >= len
            && (nocase ? ngx_strncasecmp(p, (u_char *) token, len)
                       : ngx_strncmp(p, token, len)) == 0)
        {
            for (p += len; p < end && (*p == ' ' || *p == '\t'); p++) {
                /* void */
            }

            if (p == end) {
                return 1;
            }
        }

        p = end;
    }

    return 0;
}


static ngx_cweb_ws_conn_t *
ngx_cweb_ws_create(ngx_http_request_t *r, ngx_cweb_route_t *rt)
{
    size_t               nlen, plen;
    const char          *path;
    ngx_cweb_ws_conn_t  *wc;

    /* malloc()ed with its names, see ngx_cweb_ws_alloc() */
    path = rt->plugin->config->websockets[rt->index].path;
    nlen = rt->plugin->name.len;
    plen = ngx_strlen(path);

    wc = ngx_cweb_ws_alloc(r, nlen + 1 + plen + 1);
    if (wc == NULL) {
        return NULL;
    }

    wc->plugin = (u_char *) (wc + 1);
    wc->path = wc->plugin + nlen + 1;
    ngx_memcpy(wc->plugin, rt->plugin->name.data, nlen);
    ngx_memcpy(wc->path, path, plen);

    wc->pub.client_fd = r->connection->fd;
    wc->pub.send = ngx_cweb_ws_send;
    wc->pub.close = ngx_cweb_ws_close_api;
    wc->message = ngx_cweb_ws_message;
    wc->served = ngx_cweb_ws_served;
    wc->done = ngx_cweb_ws_cleanup_conn;

    ngx_cweb_ws_register(wc);
    wc->registered = 1;

    return wc;
}


/*
 * a connection for r, with extra bytes after it (wc + 1); the caller sets
 * plugin and path (for the log), message, served and done.  malloc()ed,
 * not from the request's pool: the request is released once the 101 is
 * out (ngx_cweb_ws_release())
 */

ngx_cweb_ws_conn_t *
ngx_cweb_ws_alloc(ngx_http_request_t *r, size_t extra)
{
    ngx_cweb_ws_conn_t        *wc;
    ngx_http_cleanup_t        *cln;
    ngx_cweb_ws_conf_t        *wcf;
    ngx_http_core_loc_conf_t  *clcf;

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NULL;
    }

    wc = ngx_calloc(sizeof(ngx_cweb_ws_conn_t) + extra, r->connection->log);
    if (wc == NULL) {
        return NULL;
    }

    cln->handler = ngx_cweb_ws_cleanup;
    cln->data = wc;

    wcf = ngx_http_get_module_main_conf(r, ngx_cweb_ws_module);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    wc->signature = NGX_CWEB_WS_SIGNATURE;
    wc->r = r;
    wc->c = r->connection;
    wc->conf = wcf;
    wc->send_timeout = clcf->send_timeout;
    wc->cln = cln;
    wc->done = ngx_cweb_ws_release_conn;
    ngx_cweb_ws_parser_init(&wc->parser, wcf->max_message, 0);
    wc->last_out = &wc->out;
    wc->heard = ngx_current_msec;

    /* a close from on_open sets it already */
    wc->ping.handler = ngx_cweb_ws_ping_handler;
    wc->ping.data = wc;
    wc->ping.log = r->connection->log;

    wc->release.handler = ngx_cweb_ws_release;
    wc->release.data = wc;
    wc->release.log = r->connection->log;

    ngx_http_set_ctx(r, wc, ngx_cweb_ws_module);

    if (ngx_cweb_ws_extensions(wc) != NGX_OK) {
        return NULL;               /* freed by the request's cleanup */
    }

    return wc;
}


/*
 * once the 101 is out the HTTP request is done with: it is freed (logged
 * to the access log with its 101), and the connection is ours alone,
 * holding no more than its own pool, this struct and its queue; posted
 * by the takeover, as nginx still uses the request until its content
 * handler's event ends
 */

static void
ngx_cweb_ws_release(ngx_event_t *ev)
{
    ngx_connection_t    *c;
    ngx_cweb_ws_conn_t  *wc;
    ngx_http_request_t  *r;

    wc = ev->data;
    r = wc->r;
    c = wc->c;

    wc->cln->handler = NULL;
    wc->cln = NULL;
    wc->r = NULL;
    r->keepalive = 0;

    ngx_http_free_request(r, 0);

    c->data = wc;
    c->destroyed = 0;
    c->log->action = "serving a WebSocket";
}


/*
 * permessage-deflate, when cweb_websocket_deflate is on and the client
 * offers it: both sides without context takeover (ngx_cweb_ws_deflate.h),
 * so an idle connection holds no zlib state
 */

static ngx_int_t
ngx_cweb_ws_extensions(ngx_cweb_ws_conn_t *wc)
{
    u_char                        answer[NGX_CWEB_WS_DEFLATE_RESPONSE_LEN];
    size_t                        len;
    ngx_int_t                     rc;
    ngx_uint_t                    n;
    ngx_table_elt_t              *h;
    ngx_cweb_ws_conf_t           *wcf;
    ngx_cweb_ws_deflate_params_t  params;

    wcf = ngx_http_get_module_main_conf(wc->r, ngx_cweb_ws_module);

    h = ngx_cweb_header_in(wc->r, "Sec-WebSocket-Extensions", 24, &n);

    if (!wcf->deflate || h == NULL) {
        return NGX_OK;
    }

    rc = ngx_cweb_ws_deflate_negotiate(h->value.data, h->value.len, NULL,
                                       &params, answer, &len);

    if (rc == NGX_CWEB_WS_DEFLATE_DECLINED) {
        return NGX_OK;
    }

    wc->inflate = ngx_calloc(sizeof(ngx_cweb_ws_inflate_t), wc->c->log);

    if (rc != NGX_CWEB_WS_DEFLATE_OK || wc->inflate == NULL
        || ngx_cweb_ws_inflate_init(wc->inflate, params.client_window_bits,
                                    wcf->max_message, NULL, NULL, NULL)
           != NGX_CWEB_WS_DEFLATE_OK)
    {
        return NGX_ERROR;
    }

    h = ngx_list_push(&wc->r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.data = ngx_pnalloc(wc->r->pool, len);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Sec-WebSocket-Extensions");
    h->value.len = ngx_cpymem(h->value.data, answer, len) - h->value.data;

    wc->deflate_bits = params.server_window_bits;
    wc->parser.deflate = 1;

    return NGX_OK;
}


/* the 101, with whatever on_open queued right behind it */

static ngx_int_t
ngx_cweb_ws_accept(ngx_cweb_ws_conn_t *wc, ngx_str_t *key)
{
    u_char               in[24 + sizeof(NGX_CWEB_WS_GUID) - 1];
    u_char               md[SHA_DIGEST_LENGTH];
    ngx_str_t            digest, *accept;
    ngx_int_t            rc;
    ngx_table_elt_t     *h;
    ngx_http_request_t  *r;

    r = wc->r;

    ngx_memcpy(ngx_cpymem(in, key->data, 24), NGX_CWEB_WS_GUID,
               sizeof(NGX_CWEB_WS_GUID) - 1);
    SHA1(in, sizeof(in), md);

    digest.data = md;
    digest.len = sizeof(md);

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    accept = &h->value;
    accept->data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(20));
    if (accept->data == NULL) {
        return NGX_ERROR;
    }

    ngx_encode_base64(accept, &digest);
    h->hash = 1;
    ngx_str_set(&h->key, "Sec-WebSocket-Accept");

    if (ngx_cweb_header_set(r, "Upgrade", "websocket") == NULL
        || (wc->protocol.len
            && ngx_cweb_header_out(r, "Sec-WebSocket-Protocol", 22,
                                   wc->protocol.data, wc->protocol.len)
               == NULL))
    {
        return NGX_ERROR;
    }

    /* the header filter adds "Connection: upgrade" for a 101 itself */
    r->headers_out.status = NGX_HTTP_SWITCHING_PROTOCOLS;
    ngx_str_set(&r->headers_out.status_line, "101 Switching Protocols");
    r->headers_out.content_length_n = -1;
    r->keepalive = 0;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR
           ? NGX_ERROR : NGX_OK;
}


static void
ngx_cweb_ws_takeover(ngx_cweb_ws_conn_t *wc)
{
    size_t                     n;
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_cweb_ws_conf_t        *wcf;
    ngx_http_core_loc_conf_t  *clcf;

    r = wc->r;
    c = wc->c;

    r->main->count++;
    wc->upgraded = 1;

    /*
     * the connection's own handlers, not ngx_http_request_handler(): a
     * quitting worker calls the read handler of idle connections with
     * c->close set, which nginx's would answer by dropping the request;
     * ours closes the WebSocket with 1001 first
     */
    c->read->handler = ngx_cweb_ws_read_event;
    c->write->handler = ngx_cweb_ws_write_event;
    c->idle = 1;

    /* small frames go out at once, as ngx_http_upstream_upgrade() does */
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->tcp_nodelay) {
        (void) ngx_tcp_nodelay(c);
    }

    wcf = ngx_http_get_module_main_conf(r, ngx_cweb_ws_module);

    /* a close from on_open has set the close wait already */
    if (wcf->ping_interval && !wc->close_sent) {
        ngx_add_timer(&wc->ping, wcf->ping_interval);
    }

    /* frames that came with the handshake */
    n = r->header_in->last - r->header_in->pos;

    if (n) {
        ngx_cweb_ws_feed_early(wc, r->header_in->pos, n);
        r->header_in->pos = r->header_in->last;
    }

    /* first in line: nginx is done with the request by then */
    ngx_post_event(&wc->release, &ngx_posted_events);
    ngx_post_event(c->write, &ngx_posted_events);

    /* more may wait in the socket than the header buffer took */
    if (c->read->ready) {
        ngx_post_event(c->read, &ngx_posted_events);
    }
}


/* the request ends (closed by us, by the client, or by a quitting worker) */

static void
ngx_cweb_ws_cleanup(void *data)
{
    ngx_cweb_ws_conn_t *wc = data;

    wc->done(wc);
}


/* on_close, and everything the connection holds but its pool */

static void
ngx_cweb_ws_cleanup_conn(ngx_cweb_ws_conn_t *wc)
{
    /* nothing more may be queued, whatever on_close sends */
    wc->close_sent = 1;
    wc->finished = 1;

    if (wc->opened && !wc->closed_called) {
        wc->closed_called = 1;
        (void) ngx_cweb_ws_call(wc, NGX_CWEB_WS_ON_CLOSE, NULL, 0);
    }

    /* the seed's contract: the host frees what the plugin put there */
    free(wc->pub.session);
    wc->pub.session = NULL;

    if (wc->registered) {
        ngx_cweb_ws_unregister(wc);
    }

    ngx_cweb_ws_release_conn(wc);
}


/* what any connection holds but its pool; the struct itself is retired */

void
ngx_cweb_ws_release_conn(ngx_cweb_ws_conn_t *wc)
{
    wc->close_sent = 1;
    wc->finished = 1;

    if (wc->ping.timer_set) {
        ngx_del_timer(&wc->ping);
    }

    if (wc->ping.posted) {
        ngx_delete_posted_event(&wc->ping);
    }

    if (wc->release.posted) {
        ngx_delete_posted_event(&wc->release);
    }

    ngx_cweb_ws_free_queue(wc);
    ngx_free(wc->msg);
    wc->msg = NULL;

    /* a connection that ended inside a compressed message */
    if (wc->inflate) {
        ngx_cweb_ws_inflate_free(wc->inflate);
        ngx_free(wc->inflate);
        wc->inflate = NULL;
    }

    ngx_cweb_ws_retire(wc);
}


/*
 * one handler of the plugin's current version for this path: NGX_OK,
 * NGX_DECLINED (no such handler any more), NGX_ABORT (it crashed: the
 * fault is recorded, the worker retires)
 */

static ngx_int_t
ngx_cweb_ws_call(ngx_cweb_ws_conn_t *wc, ngx_uint_t event, u_char *msg,
    size_t len)
{
    int                 signo;
    ngx_uint_t          i;
    websocket_info_t   *info;
    ngx_cweb_plugin_t  *p;

    static const char  *names[] = { "on_open", "on_message", "on_close" };

    p = ngx_cweb_ws_current(wc, &i);
    if (p == NULL) {
        return NGX_DECLINED;
    }

    info = &p->config->websockets[i];

    if ((event == NGX_CWEB_WS_ON_OPEN && info->on_open == NULL)
        || (event == NGX_CWEB_WS_ON_MESSAGE && info->on_message == NULL)
        || (event == NGX_CWEB_WS_ON_CLOSE && info->on_close == NULL))
    {
        return NGX_OK;
    }

    ngx_cweb_plugin_acquire(p);

    /* on_open may read its request's stores: they are its call's */
    if (wc->opening) {
        ngx_cweb_api_set_call(wc->opening);
    }

    ngx_cweb_api_set_plugin(p);
    wc->in_handler = 1;

    ngx_cweb_ws_last_words(wc);
    ngx_cweb_call_enter(p, NGX_CWEB_CALL_WS(i));
    signo = ngx_cweb_fault_call_ws(info, event, &ngx_cweb_context, &wc->pub,
                                   (char *) msg, len);
    ngx_cweb_call_leave();
    ngx_cweb_fault_fd = -1;
    ngx_cweb_fault_fd_ws = 0;

    wc->in_handler = 0;
    ngx_cweb_api_set_call(NULL);

    if (signo) {
        ngx_log_error(NGX_LOG_ERR, wc->c->log, 0,
                      "cweb plugin \"%V\" websocket \"%s\": %s crashed "
                      "(%s): a fault", &p->name, wc->path, names[event],
                      ngx_cweb_signal_name(signo));
        ngx_cweb_fault_recovered(signo, wc->c->log);
    }

    ngx_cweb_plugin_release(p);

    return signo ? NGX_ABORT : NGX_OK;
}


/*
 * if the worker dies in the call (the watchdog, abort(), exit()), the
 * client gets a Close 1011 written on the raw socket: only a plain one,
 * between frames, after the 101
 */

static void
ngx_cweb_ws_last_words(ngx_cweb_ws_conn_t *wc)
{
    ngx_cweb_fault_fd = -1;
    ngx_cweb_fault_fd_ws = 1;

#if (NGX_HTTP_SSL)
    if (wc->c->ssl) {
        return;
    }
#endif

    if (wc->upgraded && !wc->close_sent
        && (wc->out == NULL || wc->out->buf->pos == wc->out->buf->start))
    {
        ngx_cweb_fault_fd = wc->c->fd;
    }
}


/* the current version of the plugin, if it still serves the path */

static ngx_cweb_plugin_t *
ngx_cweb_ws_current(ngx_cweb_ws_conn_t *wc, ngx_uint_t *index)
{
    int                 i;
    ngx_cweb_plugin_t  *p;

    if (ngx_cweb_loader_sync(wc->c->log) != NGX_OK) {
        return NULL;
    }

    /*
     * The last event's answer stands while what it came from holds: the
     * table (a deploy, rollback or delete changes its generation, and a
     * current version is not unloaded before that), the plugin's
     * quarantine and the version's state.
     */
    p = wc->cur;

    if (p && wc->cur_gen == ngx_cweb_loader_generation() && p->current
        && p->state == NGX_CWEB_MOD_ACTIVE && p->handle
        && p->shm->quarantine == wc->cur_quarantine)
    {
        *index = wc->cur_index;
        return p;
    }

    wc->cur = NULL;

    p = ngx_cweb_loader_find((const char *) wc->plugin);
    if (p == NULL) {
        return NULL;
    }

    for (i = 0; i < p->config->ws_size; i++) {
        if (p->config->websockets[i].path
            && ngx_strcmp(p->config->websockets[i].path, wc->path) == 0)
        {
            wc->cur = p;
            wc->cur_gen = ngx_cweb_loader_generation();
            wc->cur_quarantine = p->shm->quarantine;
            wc->cur_index = i;

            *index = i;
            return p;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_cweb_ws_message(ngx_cweb_ws_conn_t *wc, u_char *msg, size_t len)
{
    return ngx_cweb_ws_call(wc, NGX_CWEB_WS_ON_MESSAGE, msg, len);
}


/* the plugin's current version still has a handler for the path */

static ngx_uint_t
ngx_cweb_ws_served(ngx_cweb_ws_conn_t *wc)
{
    ngx_uint_t  i;

    return ngx_cweb_ws_current(wc, &i) != NULL;
}


/* the subprotocol the 101 names: one the client offered */

int
ngx_cweb_ws_protocol(websocket_t *ws, const char *protocol)
{
    size_t               len;
    ngx_uint_t           i, n;
    ngx_list_part_t     *part;
    ngx_table_elt_t     *h;
    ngx_cweb_ws_conn_t  *wc;

    if (ngx_cweb_api_gate("cweb_ws_protocol") != NGX_OK) {
        return CWEB_ERROR;
    }

    wc = ngx_cweb_ws_lookup(ws, "cweb_ws_protocol");
    if (wc == NULL) {
        return CWEB_ERROR;
    }

    if (wc->opening == NULL || protocol == NULL) {
        ngx_cweb_api_error("cweb_ws_protocol(): only in on_open, with a "
                           "protocol");
        return CWEB_ERROR;
    }

    len = ngx_strlen(protocol);

    /* "Sec-WebSocket-Protocol: a, b" may come in several lines */
    for (part = &wc->r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            n = sizeof("Sec-WebSocket-Protocol") - 1;

            if (h[i].key.len == n
                && ngx_strncasecmp(h[i].key.data,
                                   (u_char *) "Sec-WebSocket-Protocol", n)
                   == 0
                && ngx_cweb_ws_has_token(&h[i].value, protocol, len, 0))
            {
                wc->protocol.data = ngx_pnalloc(wc->r->pool, len);
                if (wc->protocol.data == NULL) {
                    return CWEB_ERROR;
                }

                wc->protocol.len = ngx_cpymem(wc->protocol.data, protocol,
                                              len)
                                   - wc->protocol.data;
                return CWEB_OK;
            }
        }
    }

    ngx_cweb_api_error("cweb_ws_protocol(): \"%s\" was not offered",
                       protocol);
    return CWEB_ERROR;
}


static void *
ngx_cweb_ws_create_conf(ngx_conf_t *cf)
{
    ngx_cweb_ws_conf_t  *wcf;

    wcf = ngx_pcalloc(cf->pool, sizeof(ngx_cweb_ws_conf_t));
    if (wcf == NULL) {
        return NULL;
    }

    wcf->max_message = NGX_CONF_UNSET_SIZE;
    wcf->max_queue = NGX_CONF_UNSET_SIZE;
    wcf->ping_interval = NGX_CONF_UNSET_MSEC;
    wcf->origins = NGX_CONF_UNSET_PTR;
    wcf->deflate = NGX_CONF_UNSET;

    return wcf;
}


static char *
ngx_cweb_ws_init_conf(ngx_conf_t *cf, void *conf)
{
    ngx_cweb_ws_conf_t  *wcf = conf;

    ngx_conf_init_size_value(wcf->max_message, 1024 * 1024);
    ngx_conf_init_size_value(wcf->max_queue, 1024 * 1024);
    ngx_conf_init_msec_value(wcf->ping_interval, 30000);
    ngx_conf_init_ptr_value(wcf->origins, NULL);
    ngx_conf_init_value(wcf->deflate, 0);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_cweb_ws_init_process(ngx_cycle_t *cycle)
{
    ngx_cweb_ws_api_init();

    return ngx_cweb_ws_bcast_init_process(cycle);
}
