
/*
 * Sending what a plugin answered: status, headers, body.
 *
 * Header names must be tokens and values free of NUL, CR, LF and other
 * control bytes but HTAB: anything else is refused (500 + log), never put
 * on the wire, so request data a plugin echoes cannot split the response.
 * A plugin's own Content-Length and Transfer-Encoding are dropped: the
 * host frames the body.  One table lookup a byte; no I/O.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_http.h"


static ngx_int_t ngx_cweb_response_headers(ngx_cweb_call_t *call);
static ngx_int_t ngx_cweb_response_added(ngx_cweb_call_t *call);
static size_t ngx_cweb_response_header_len(const char *s, ngx_uint_t what);
static ngx_uint_t ngx_cweb_response_name_is(const char *name,
    const char *lower, size_t len);
static ngx_uint_t ngx_cweb_response_name_in(const char *name, size_t len,
    ngx_str_t *list);


static ngx_uint_t  ngx_cweb_response_status[] = {
    500,    /* HTTP_000_UNKNOWN */
    101, 200, 201, 202, 204, 301, 302, 303, 304, 307,
    400, 401, 403, 404, 405, 409, 413, 414, 415, 422, 426, 429,
    500, 501, 502, 503, 504
};


static uint32_t  ngx_cweb_response_tchar[] = {
    0x00000000,  /* bit n of word k: byte 32 * k + n; controls: none */
    0x03ff6cfa,  /* ! # $ % & ' * + - . 0-9 */
    0xc7fffffe,  /* A-Z ^ _ */
    0x57ffffff,  /* ` a-z | ~ */
    0x00000000, 0x00000000, 0x00000000, 0x00000000
};


/*
 * per byte: NGX_CWEB_HNAME when it may be in a header name (a token),
 * NGX_CWEB_HVALUE when in a value (not NUL, CR, LF or another control byte
 * but HTAB); one lookup a byte on the hot path, filled at process start
 */

#define NGX_CWEB_HNAME   1
#define NGX_CWEB_HVALUE  2

static u_char  ngx_cweb_response_hchar[256];


void
ngx_cweb_response_init(void)
{
    ngx_uint_t  c;

    for (c = 0; c < 256; c++) {
        ngx_cweb_response_hchar[c] =
            ((ngx_cweb_response_tchar[c >> 5] & (1U << (c & 0x1f)))
             ? NGX_CWEB_HNAME : 0)
            | (((c >= 0x20 && c != 0x7f) || c == '\t') ? NGX_CWEB_HVALUE : 0);
    }
}


/*
 * the length of a header name (a token) or value, 0 when it is not one;
 * a value's length counts its NUL, so that an empty value is valid
 */

static size_t
ngx_cweb_response_header_len(const char *s, ngx_uint_t what)
{
    u_char  *p;

    if (s == NULL) {
        return 0;
    }

    for (p = (u_char *) s; ngx_cweb_response_hchar[*p] & what; p++) {
        /* void */
    }

    if (*p != '\0') {
        return 0;
    }

    return (size_t) (p - (u_char *) s) + (what == NGX_CWEB_HVALUE);
}


/*
 * name is a token (checked), lower a lower-case literal of letters and
 * "-": then "| 0x20" is an exact case folding (the only other bytes it
 * would fold onto them are controls, never in a token)
 */

static ngx_uint_t
ngx_cweb_response_name_is(const char *name, const char *lower, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((name[i] | 0x20) != lower[i]) {
            return 0;
        }
    }

    return 1;
}


/*
 * status, headers and Content-Type of what the plugin answered, into
 * headers_out (the streamed answer and the whole one share it)
 */

ngx_int_t
ngx_cweb_response_prepare(ngx_cweb_call_t *call)
{
    ngx_int_t            rc;
    http_response_t     *res;
    ngx_http_request_t  *r;

    r = call->r;
    res = &call->res;

    /* 101 is a WebSocket route's, answered by the host, never a body's */
    if ((size_t) res->status
        >= sizeof(ngx_cweb_response_status) / sizeof(ngx_uint_t)
        || res->status == HTTP_101_SWITCHING_PROTOCOLS)
    {
        res->status = HTTP_500_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = ngx_cweb_response_status[res->status];

    /* cweb_response_status(): any final code, maybe its own reason */
    if (call->status) {
        r->headers_out.status = call->status;
        r->headers_out.status_line = call->status_line;
    }

    rc = ngx_cweb_response_headers(call);
    if (rc != NGX_OK) {
        return rc;
    }

    /* cweb_json_answer() or an envelope: JSON, whatever was set */
    if (call->json) {
        ngx_str_set(&r->headers_out.content_type, "application/json");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
    }

    if (r->headers_out.content_type.len == 0
        && ngx_http_set_content_type(r) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_cweb_response_send(ngx_cweb_call_t *call)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_http_request_t  *r;

    r = call->r;

    rc = ngx_cweb_response_prepare(call);
    if (rc != NGX_OK) {
        return rc;
    }

    /*
     * no content, and no length: a 304's would have to be the 200's
     * (RFC 9110 8.6), which the host cannot know, so it is cleared as
     * ngx_http_not_modified_filter_module does; nginx strips the body of
     * these itself only for HTTP/1.x requests
     */
    if (r->headers_out.status == NGX_HTTP_NO_CONTENT
        || r->headers_out.status == NGX_HTTP_NOT_MODIFIED)
    {
        call->out.len = 0;
        r->header_only = 1;
        ngx_http_clear_content_length(r);

    } else {
        r->headers_out.content_length_n = call->out.len;
    }

    if (call->out.len == 0 || r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = call->out.data;
    b->last = call->out.data + call->out.len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* res->headers into headers_out; NGX_HTTP_INTERNAL_SERVER_ERROR if bad */

static ngx_int_t
ngx_cweb_response_headers(ngx_cweb_call_t *call)
{
    size_t               i, len, vlen;
    ngx_uint_t           nelts;
    http_kv_pair_t      *kv;
    ngx_list_part_t     *last;
    ngx_table_elt_t     *h;
    http_response_t     *res;
    ngx_http_request_t  *r;

    r = call->r;
    res = &call->res;

    /* a plugin may point res->headers at a store of its own, no further */
    if (res->headers == NULL || !ngx_cweb_kv_known(call, res->headers)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "cweb plugin \"%V\" route \"%V %V\": res->headers "
                      "(%p) is not a store of this request nor one "
                      "http_kv_create() made: answered 500",
                      &call->route->plugin->name, &call->route->method,
                      &call->route->path, res->headers);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    kv = res->headers->entries;

    /* what a refusal takes back: nothing of the plugin's goes out then */
    last = r->headers_out.headers.last;
    nelts = last->nelts;

    for (i = 0; i < res->headers->size; i++) {
        len = ngx_cweb_response_header_len(kv[i].key, NGX_CWEB_HNAME);
        vlen = ngx_cweb_response_header_len(kv[i].value, NGX_CWEB_HVALUE);

        if (len == 0 || vlen-- == 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "cweb plugin \"%V\" route \"%V %V\": response "
                          "header \"%s\" has a CR, LF or another byte not "
                          "allowed there, not sent: answered 500",
                          &call->route->plugin->name, &call->route->method,
                          &call->route->path,
                          kv[i].key ? kv[i].key : "(null)");

            last->nelts = nelts;
            last->next = NULL;
            r->headers_out.headers.last = last;
            ngx_str_null(&r->headers_out.content_type);
            r->headers_out.content_type_len = 0;
            r->headers_out.content_encoding = NULL;

            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (len == sizeof("Content-Type") - 1
            && ngx_cweb_response_name_is(kv[i].key, "content-type", len))
        {
            r->headers_out.content_type.data = (u_char *) kv[i].value;
            r->headers_out.content_type.len = vlen;
            r->headers_out.content_type_len = vlen;

            if (res->headers != &call->res_headers.pub) {
                r->headers_out.content_type.data =
                               ngx_pstrdup(r->pool, &r->headers_out.content_type);
                if (r->headers_out.content_type.data == NULL) {
                    return NGX_HTTP_INTERNAL_SERVER_ERROR;
                }
            }

            continue;
        }

        /* the host frames the body: a plugin's framing would contradict it */
        if (ngx_cweb_response_framing(kv[i].key, len)) {
            continue;
        }

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        h->key.data = (u_char *) kv[i].key;
        h->key.len = len;
        h->value.data = (u_char *) kv[i].value;
        h->value.len = vlen;

        /* a store of the plugin's own may be freed while the answer lives */
        if (res->headers != &call->res_headers.pub
            && ((h->key.data = ngx_pstrdup(r->pool, &h->key)) == NULL
                || (h->value.data = ngx_pstrdup(r->pool, &h->value)) == NULL))
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* the plugin's own encoding: nginx's gzip must not add another */
        if (len == sizeof("Content-Encoding") - 1
            && ngx_cweb_response_name_is(kv[i].key, "content-encoding", len))
        {
            r->headers_out.content_encoding = h;
        }
    }

    return ngx_cweb_response_added(call);
}


/* cweb_response_header_add() and cweb_cookie_set(): checked when added */

static ngx_int_t
ngx_cweb_response_added(ngx_cweb_call_t *call)
{
    ngx_uint_t        i;
    ngx_table_elt_t  *h, *added;

    if (call->res_added == NULL) {
        return NGX_OK;
    }

    added = call->res_added->elts;

    for (i = 0; i < call->res_added->nelts; i++) {
        h = ngx_list_push(&call->r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        *h = added[i];
    }

    return NGX_OK;
}


/* a header a plugin adds: NGX_OK with the lengths, or NGX_ERROR */

ngx_int_t
ngx_cweb_response_header_ok(const char *name, const char *value,
    size_t *nlen, size_t *vlen)
{
    *nlen = ngx_cweb_response_header_len(name, NGX_CWEB_HNAME);
    *vlen = ngx_cweb_response_header_len(value, NGX_CWEB_HVALUE);

    if (*nlen == 0 || (*vlen)-- == 0) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* name (len bytes, a token) is one of list (lower case, empty-ended) */

static ngx_uint_t
ngx_cweb_response_name_in(const char *name, size_t len, ngx_str_t *list)
{
    for ( /* void */ ; list->len; list++) {
        if (list->len == len
            && ngx_cweb_response_name_is(name, (char *) list->data, len))
        {
            return 1;
        }
    }

    return 0;
}


/* hop-by-hop headers (RFC 9110 7.6.1): the connection's, HTTP/2 has none */

ngx_uint_t
ngx_cweb_response_hop(const char *name, size_t len)
{
    static ngx_str_t  hop[] = {
        ngx_string("connection"), ngx_string("keep-alive"),
        ngx_string("proxy-connection"), ngx_string("upgrade"),
        ngx_string("te"), ngx_null_string
    };

    return ngx_cweb_response_name_in(name, len, hop);
}


/* Content-Type, Content-Length, Transfer-Encoding: the host's headers */

ngx_uint_t
ngx_cweb_response_framing(const char *name, size_t len)
{
    static ngx_str_t  framing[] = {
        ngx_string("content-length"), ngx_string("transfer-encoding"),
        ngx_string("content-type"), ngx_null_string
    };

    return ngx_cweb_response_name_in(name, len, framing);
}


/* a reason phrase: HTAB, SP, VCHAR (RFC 9112 4; no obs-text here) */

ngx_int_t
ngx_cweb_response_reason_ok(const char *reason, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!(ngx_cweb_response_hchar[(u_char) reason[i]] & NGX_CWEB_HVALUE)
            || (u_char) reason[i] >= 0x80)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
