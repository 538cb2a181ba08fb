
/*
 * "cweb" locations: dispatch to plugin routes.
 *
 * A request is served entirely by the version current when it started:
 * the route (and so the plugin version) is chosen once, before the body
 * is read, and the version is held until the handler has run.  Handlers
 * run synchronously; everything they hand back is copied or owned by the
 * request before the version can go.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_multipart.h"


#define NGX_CWEB_MAX_FORM_PARTS  64


static void ngx_cweb_http_body_handler(ngx_http_request_t *r);
static void ngx_cweb_http_release(void *data);
static ngx_int_t ngx_cweb_http_run(ngx_cweb_call_t *call);
static ngx_int_t ngx_cweb_http_request(ngx_cweb_call_t *call,
    ngx_str_t *body);
static ngx_int_t ngx_cweb_http_args(ngx_pool_t *pool, http_kv_store_t *store,
    u_char *p, u_char *last);
static ngx_int_t ngx_cweb_http_form(ngx_http_request_t *r,
    http_kv_store_t *store, ngx_str_t *body);
static ngx_int_t ngx_cweb_http_send(ngx_cweb_call_t *call);
static char *ngx_cweb_http_cstr(ngx_pool_t *pool, const u_char *data,
    size_t len);


/*
 * res->body: handlers run one at a time and synchronously, so one buffer
 * per process serves every call; what the handler wrote is copied into
 * the request before the next call can happen
 */
static char  ngx_cweb_http_scratch[HTTP_RESPONSE_SIZE];


static ngx_uint_t  ngx_cweb_http_status[] = {
    500,    /* HTTP_000_UNKNOWN */
    101, 200, 201, 202, 204, 301, 302, 303, 304, 307,
    400, 401, 403, 404, 405, 409, 413, 414, 415, 422, 426, 429,
    500, 501, 502, 503, 504
};


ngx_int_t
ngx_cweb_http_handler(ngx_http_request_t *r)
{
    u_char              *path;
    ngx_int_t            rc;
    ngx_cweb_call_t     *call;
    ngx_cweb_route_t    *route;
    ngx_cweb_router_t   *router;
    ngx_pool_cleanup_t  *cln;

    if (ngx_cweb_loader_sync(r->connection->log) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    router = ngx_cweb_loader_router();
    if (router == NULL) {
        return NGX_HTTP_NOT_FOUND;
    }

    /* the call, its stores and the NUL-terminated path: one allocation */
    call = ngx_pcalloc(r->pool, sizeof(ngx_cweb_call_t) + r->uri.len + 1);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    path = ngx_cpymem((u_char *) (call + 1), r->uri.data, r->uri.len);
    *path = '\0';
    path = (u_char *) (call + 1);

    rc = ngx_cweb_router_match(router, r, path, &route);

    if (rc != NGX_OK) {
        return rc;
    }

    /*
     * a sync on this worker (another request, after a deploy) replaces
     * the route table while this request may still wait for its body;
     * the entry's strings and handler live in the pinned plugin
     */
    call->r = r;
    call->route = *route;
    call->route.regex = NULL;
    call->req.path = (char *) path;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "cweb http: \"%V\" -> plugin \"%V\" version %ui",
                   &r->uri, &route->plugin->name, route->plugin->version);

    /* nothing to read or discard */
    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return ngx_cweb_http_run(call);
    }

    /* the version must outlive the body read, whatever is deployed */
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call->plugin = route->plugin;
    ngx_cweb_plugin_acquire(call->plugin);
    cln->handler = ngx_cweb_http_release;
    cln->data = call;

    ngx_http_set_ctx(r, call, ngx_cweb_module);

    rc = ngx_http_read_client_request_body(r, ngx_cweb_http_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_cweb_http_release(void *data)
{
    ngx_cweb_call_t  *call = data;

    if (call->plugin) {
        ngx_cweb_plugin_release(call->plugin);
        call->plugin = NULL;
    }
}


static void
ngx_cweb_http_body_handler(ngx_http_request_t *r)
{
    ngx_cweb_call_t  *call;

    call = ngx_http_get_module_ctx(r, ngx_cweb_module);

    ngx_http_finalize_request(r, ngx_cweb_http_run(call));
}


ngx_uint_t
ngx_cweb_http_urlencoded(ngx_http_request_t *r)
{
    ngx_str_t  *ct;

    static ngx_str_t  form = ngx_string("application/x-www-form-urlencoded");

    if (r->headers_in.content_type == NULL) {
        return 0;
    }

    ct = &r->headers_in.content_type->value;

    return ct->len >= form.len
           && ngx_strncasecmp(ct->data, form.data, form.len) == 0;
}


/* the whole body in one NUL-terminated piece, from memory or temp file */

ngx_int_t
ngx_cweb_http_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    size_t        len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    body->len = 0;
    body->data = (u_char *) "";

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "cweb reading the request body from \"%V\" failed",
                          &b->file->name);
            return NGX_ERROR;
        }

        p += n;
    }

    *p = '\0';
    body->len = p - body->data;

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_http_run(ngx_cweb_call_t *call)
{
    int                  rc;
    ngx_str_t            body;
    ngx_http_request_t  *r;

    r = call->r;

    if (ngx_cweb_http_body(r, &body) != NGX_OK
        || ngx_cweb_http_request(call, &body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call->res.body = ngx_cweb_http_scratch;
    call->res.headers = &call->res_headers.pub;
    ngx_cweb_kv_init_inline(&call->res_headers, r->pool, call->res_pairs,
                            call->res_owned, 4, 1);

    call->res.body[0] = '\0';
    call->res.status = HTTP_200_OK;

    ngx_cweb_api_set_call(call);
    rc = call->route.route->handler(&ngx_cweb_context, &call->req,
                                     &call->res);
    ngx_cweb_api_set_call(NULL);

    if (rc < 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "cweb plugin \"%V\" route \"%V %V\" returned %d",
                      &call->route.plugin->name, &call->route.method,
                      &call->route.path, rc);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_cweb_http_send(call);
}


static ngx_int_t
ngx_cweb_http_request(ngx_cweb_call_t *call, ngx_str_t *body)
{
    char                *key, *value;
    ngx_uint_t           i, n;
    ngx_list_part_t     *part;
    ngx_table_elt_t     *h;
    http_request_t      *req;
    ngx_http_request_t  *r;

    r = call->r;
    req = &call->req;

    switch (r->method) {
    case NGX_HTTP_GET:     req->method = HTTP_GET;     break;
    case NGX_HTTP_HEAD:    req->method = HTTP_HEAD;    break;
    case NGX_HTTP_POST:    req->method = HTTP_POST;    break;
    case NGX_HTTP_PUT:     req->method = HTTP_PUT;     break;
    case NGX_HTTP_DELETE:  req->method = HTTP_DELETE;  break;
    case NGX_HTTP_OPTIONS: req->method = HTTP_OPTIONS; break;
    case NGX_HTTP_PATCH:   req->method = HTTP_PATCH;   break;
    default:               req->method = HTTP_ERR;     break;
    }

    req->version = (r->http_version >= NGX_HTTP_VERSION_20) ? HTTP_VERSION_2
                   : (r->http_version == NGX_HTTP_VERSION_11)
                     ? HTTP_VERSION_1_1 : HTTP_VERSION_1_0;
    req->status = HTTP_200_OK;
    req->keep_alive = r->keepalive;
    req->close = !r->keepalive;
    req->tid = pthread_self();
    req->body = (char *) body->data;
    req->content_length = (int) ngx_min(body->len,
                                        (size_t) NGX_MAX_INT32_VALUE);

    /*
     * HTTP/1 header lines are NUL-terminated in place by nginx's parser;
     * HTTP/2 ones are copied to be sure
     */
    n = 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        n += part->nelts;
    }

    req->headers = &call->headers.pub;
    req->params = &call->params.pub;
    req->data = &call->data.pub;

    if (ngx_cweb_kv_init(&call->headers, r->pool, n, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    (void) ngx_cweb_kv_init(&call->params, r->pool, 0, 0);
    (void) ngx_cweb_kv_init(&call->data, r->pool, 0, 0);

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (r->http_version < NGX_HTTP_VERSION_20) {
                key = (char *) h[i].key.data;
                value = (char *) h[i].value.data;

            } else {
                key = ngx_cweb_http_cstr(r->pool, h[i].key.data,
                                         h[i].key.len);
                value = ngx_cweb_http_cstr(r->pool, h[i].value.data,
                                           h[i].value.len);
                if (key == NULL || value == NULL) {
                    return NGX_ERROR;
                }
            }

            if (ngx_cweb_kv_push(req->headers, key, value) != NGX_OK) {
                return NGX_ERROR;
            }
        }
    }

    if (r->args.len
        && ngx_cweb_http_args(r->pool, req->params, r->args.data,
                              r->args.data + r->args.len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (body->len && ngx_cweb_http_form(r, req->data, body) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* "a=1&b=two+words": names and values unescaped, '+' is a space */

static ngx_int_t
ngx_cweb_http_args(ngx_pool_t *pool, http_kv_store_t *store, u_char *p,
    u_char *last)
{
    u_char  *amp, *eq, *s, *d;
    char    *kv[2];
    size_t   len[2];
    u_char  *src[2];
    int      i;

    while (p < last) {
        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        eq = ngx_strlchr(p, amp, '=');

        src[0] = p;
        len[0] = (eq ? eq : amp) - p;
        src[1] = eq ? eq + 1 : amp;
        len[1] = eq ? (size_t) (amp - eq - 1) : 0;

        if (len[0] == 0) {
            p = amp + 1;
            continue;
        }

        for (i = 0; i < 2; i++) {
            kv[i] = ngx_cweb_http_cstr(pool, src[i], len[i]);
            if (kv[i] == NULL) {
                return NGX_ERROR;
            }

            for (s = (u_char *) kv[i]; *s; s++) {
                if (*s == '+') {
                    *s = ' ';
                }
            }

            s = (u_char *) kv[i];
            d = s;
            ngx_unescape_uri(&d, &s, len[i], 0);
            *d = '\0';
        }

        if (ngx_cweb_kv_push(store, kv[0], kv[1]) != NGX_OK) {
            return NGX_ERROR;
        }

        p = amp + 1;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_http_form(ngx_http_request_t *r, http_kv_store_t *store,
    ngx_str_t *body)
{
    size_t               i, n;
    ngx_str_t           *ct;
    const char          *err;
    const u_char        *boundary;
    size_t               blen;
    char                *k, *v;
    ngx_cweb_mp_part_t   parts[NGX_CWEB_MAX_FORM_PARTS];

    if (r->headers_in.content_type == NULL) {
        return NGX_OK;
    }

    ct = &r->headers_in.content_type->value;

    if (ngx_cweb_http_urlencoded(r)) {
        return ngx_cweb_http_args(r->pool, store, body->data,
                                  body->data + body->len);
    }

    if (ngx_cweb_mp_boundary(ct->data, ct->len, &boundary, &blen) != 0) {
        return NGX_OK;
    }

    if (ngx_cweb_mp_parse(body->data, body->len, boundary, blen, parts,
                          NGX_CWEB_MAX_FORM_PARTS, &n, &err)
        != 0)
    {
        /* the plugin still gets the raw body; data stays empty */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "cweb multipart body not parsed: %s", err);
        return NGX_OK;
    }

    for (i = 0; i < n; i++) {
        k = ngx_cweb_http_cstr(r->pool, parts[i].name, parts[i].name_len);
        v = ngx_cweb_http_cstr(r->pool, parts[i].data, parts[i].data_len);

        if (k == NULL || v == NULL
            || ngx_cweb_kv_push(store, k, v) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_http_send(ngx_cweb_call_t *call)
{
    size_t               i, len;
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    http_kv_pair_t      *kv;
    ngx_table_elt_t     *h;
    http_response_t     *res;
    ngx_http_request_t  *r;

    r = call->r;
    res = &call->res;

    if ((size_t) res->status
        >= sizeof(ngx_cweb_http_status) / sizeof(ngx_uint_t))
    {
        res->status = HTTP_500_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = ngx_cweb_http_status[res->status];

    kv = res->headers->entries;

    for (i = 0; i < res->headers->size; i++) {
        len = ngx_strlen(kv[i].key);

        if (len == sizeof("Content-Type") - 1
            && ngx_strcasecmp((u_char *) kv[i].key,
                              (u_char *) "Content-Type") == 0)
        {
            r->headers_out.content_type.data = (u_char *) kv[i].value;
            r->headers_out.content_type.len = ngx_strlen(kv[i].value);
            r->headers_out.content_type_len =
                                          r->headers_out.content_type.len;
            continue;
        }

        if (len == sizeof("Content-Length") - 1
            && ngx_strcasecmp((u_char *) kv[i].key,
                              (u_char *) "Content-Length") == 0)
        {
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
        h->value.len = ngx_strlen(kv[i].value);
    }

    if (r->headers_out.content_type.len == 0
        && ngx_http_set_content_type(r) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!call->out_set && res->body != NULL) {
        if (res->body == ngx_cweb_http_scratch) {
            len = (res->content_length > 0)
                  ? ngx_min((size_t) res->content_length,
                            (size_t) HTTP_RESPONSE_SIZE)
                  : ngx_strnlen((u_char *) res->body, HTTP_RESPONSE_SIZE);

        } else {
            /* a plugin that pointed body elsewhere; the host never frees it */
            len = (res->content_length > 0) ? (size_t) res->content_length
                                            : ngx_strlen(res->body);
        }

        call->out.data = ngx_pnalloc(r->pool, len ? len : 1);
        if (call->out.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(call->out.data, res->body, len);
        call->out.len = len;
    }

    if (r->headers_out.status == NGX_HTTP_NO_CONTENT
        || r->headers_out.status == NGX_HTTP_NOT_MODIFIED)
    {
        call->out.len = 0;
        r->header_only = 1;
    }

    r->headers_out.content_length_n = call->out.len;

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


static char *
ngx_cweb_http_cstr(ngx_pool_t *pool, const u_char *data, size_t len)
{
    u_char  *p;

    p = ngx_pnalloc(pool, len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, data, len);
    p[len] = '\0';

    return (char *) p;
}
