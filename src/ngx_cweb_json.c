
/*
 * The one JSON writer of the module's own endpoints, and the filters that
 * turn every error page nginx itself produces in a cweb_mgnt location
 * (413 from client_max_body_size, 400, 500, ...) into JSON, so that these
 * endpoints never answer HTML.  The filters are a module of their own
 * (ngx_cweb_json_filter_module, in the same .so) with a request ctx of
 * their own that says whose response it is, ours or nginx's: they need
 * nothing of the endpoints that use them.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_json.h"


typedef struct {
    unsigned                    own:1;        /* our JSON, keep it */
    unsigned                    replace:1;    /* nginx's page, replace */
    unsigned                    replaced:1;
} ngx_cweb_json_ctx_t;


static ngx_cweb_json_ctx_t *ngx_cweb_json_ctx(ngx_http_request_t *r);
static ngx_int_t ngx_cweb_json_init_filters(ngx_conf_t *cf);
static ngx_int_t ngx_cweb_json_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_cweb_json_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_module_t  ngx_cweb_json_filter_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_cweb_json_init_filters,            /* postconfiguration */
    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */
    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */
    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_cweb_json_filter_module = {
    NGX_MODULE_V1,
    &ngx_cweb_json_filter_module_ctx,      /* module context */
    NULL,                                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/*
 * a JSON string of bytes that need not be UTF-8 (compiler output quoting
 * a Latin-1 source, a name from a URL): invalid bytes become '?'
 */

json_t *
ngx_cweb_json_text(const u_char *data, size_t len)
{
    u_char  *copy;
    size_t   i;
    json_t  *s;

    s = json_stringn((const char *) data, len);
    if (s != NULL || len == 0) {
        return s ? s : json_string("");
    }

    copy = ngx_alloc(len, ngx_cycle->log);
    if (copy == NULL) {
        return NULL;
    }

    for (i = 0; i < len; i++) {
        copy[i] = (data[i] < 0x80) ? data[i] : '?';
    }

    s = json_stringn((const char *) copy, len);
    ngx_free(copy);

    return s;
}


ngx_int_t
ngx_cweb_send_json(ngx_http_request_t *r, ngx_uint_t status, json_t *json)
{
    char       *text;
    ngx_int_t   rc;

    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    text = json_dumps(json, JSON_COMPACT|JSON_PRESERVE_ORDER);
    json_decref(json);

    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_cweb_send_json_text(r, status, (u_char *) text,
                                 ngx_strlen(text));
    free(text);

    return rc;
}


/* JSON text made elsewhere (the jobs helper's answers), as the answer */

ngx_int_t
ngx_cweb_send_json_text(ngx_http_request_t *r, ngx_uint_t status,
    u_char *text, size_t len)
{
    ngx_int_t               rc;
    ngx_buf_t              *b;
    ngx_chain_t             out;
    ngx_cweb_json_ctx_t    *ctx;
    ngx_cweb_loc_conf_t    *cwlcf;

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, text, len);
    *b->last++ = '\n';

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    cwlcf = ngx_http_get_module_loc_conf(r, ngx_cweb_module);

    if (cwlcf->kind == NGX_CWEB_LOC_MGNT) {
        ctx = ngx_cweb_json_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->own = 1;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    if (status == NGX_HTTP_UNAUTHORIZED) {
        if (ngx_cweb_header_set(r, "WWW-Authenticate",
                                "Bearer realm=\"cweb\"")
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_cweb_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *fmt, ...)
{
    u_char   msg[1024], *p;
    va_list  args;

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg), fmt, args);
    va_end(args);

    return ngx_cweb_send_json(r, status,
                              json_pack("{s:o}", "error",
                                        ngx_cweb_json_text(msg, p - msg)));
}


static ngx_cweb_json_ctx_t *
ngx_cweb_json_ctx(ngx_http_request_t *r)
{
    ngx_cweb_json_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_cweb_json_filter_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_cweb_json_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_cweb_json_filter_module);
    }

    return ctx;
}


/* nginx's own error pages in cweb_mgnt and cweb_jobs locations: JSON */

static ngx_int_t
ngx_cweb_json_init_filters(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_cweb_json_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_cweb_json_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_json_header_filter(ngx_http_request_t *r)
{
    ngx_cweb_json_ctx_t    *ctx;
    ngx_cweb_loc_conf_t    *cwlcf;

    cwlcf = ngx_http_get_module_loc_conf(r, ngx_cweb_module);

    if ((cwlcf->kind != NGX_CWEB_LOC_MGNT && cwlcf->kind != NGX_CWEB_LOC_JOBS)
        || r->headers_out.status < NGX_HTTP_BAD_REQUEST
        || r != r->main)
    {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_cweb_json_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ctx->own) {
        return ngx_http_next_header_filter(r);
    }

    ctx->replace = 1;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    /* {"error":"<reason phrase>"} */
    r->headers_out.content_length_n = -1;

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_cweb_json_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                 len;
    ngx_buf_t             *b;
    ngx_uint_t             status;
    ngx_chain_t            out;
    const char            *reason;
    ngx_cweb_json_ctx_t    *ctx;
    ngx_cweb_loc_conf_t    *cwlcf;

    cwlcf = ngx_http_get_module_loc_conf(r, ngx_cweb_module);

    if (cwlcf->kind != NGX_CWEB_LOC_MGNT || r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_cweb_json_filter_module);

    if (ctx == NULL || !ctx->replace) {
        return ngx_http_next_body_filter(r, in);
    }

    if (ctx->replaced) {
        return NGX_OK;
    }

    ctx->replaced = 1;

    status = r->headers_out.status;

    switch (status) {
    case NGX_HTTP_BAD_REQUEST:          reason = "bad request"; break;
    case NGX_HTTP_UNAUTHORIZED:         reason = "unauthorized"; break;
    case NGX_HTTP_FORBIDDEN:            reason = "forbidden"; break;
    case NGX_HTTP_NOT_FOUND:            reason = "not found"; break;
    case NGX_HTTP_NOT_ALLOWED:          reason = "method not allowed"; break;
    case NGX_HTTP_REQUEST_TIME_OUT:     reason = "request timeout"; break;
    case NGX_HTTP_LENGTH_REQUIRED:      reason = "length required"; break;
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        reason = "request entity too large: raise client_max_body_size "
                 "in this location";
        break;
    case NGX_HTTP_REQUEST_URI_TOO_LARGE: reason = "uri too long"; break;
    case NGX_HTTP_SERVICE_UNAVAILABLE:  reason = "service unavailable"; break;
    default:
        reason = (status >= 500) ? "internal server error" : "request error";
    }

    len = sizeof("{\"error\":\"\"}\n") - 1 + ngx_strlen(reason);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_sprintf(b->last, "{\"error\":\"%s\"}\n", reason);
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}
