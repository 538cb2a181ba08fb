
/*
 * Cookies, headers and status for plugins (cweb.h's cweb_cookie_*,
 * cweb_response_header_add(), cweb_response_status()).  What a plugin
 * adds is checked when it adds it and kept in the call (call->res_added,
 * call->status), so a bad cookie or header is the plugin's CWEB_ERROR and
 * an error-log line, never a header on the wire; ngx_cweb_response.c
 * sends them after res->headers.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_arg.h"


#define NGX_CWEB_REASON_MAX        64
#define NGX_CWEB_COOKIE_MAX_TIME   253402300799    /* 9999-12-31 23:59:59 */


static int ngx_cweb_cookie_check(const char *name, const char *value,
    const cweb_cookie_t *a);
static u_char *ngx_cweb_cookie_line(ngx_pool_t *pool, const char *name,
    const char *value, const cweb_cookie_t *a, size_t *len);
static int ngx_cweb_header_push(ngx_cweb_call_t *call, const char *name,
    size_t nlen, u_char *value, size_t vlen);
static void ngx_cweb_header_forget(ngx_cweb_call_t *call, const char *name);
static ngx_cweb_call_t *ngx_cweb_resp_call(http_response_t *res,
    const char *fn);


int
ngx_cweb_cookie_get_api(http_request_t *req, const char *name,
    const char **value)
{
    size_t             vlen;
    u_char            *copy;
    ngx_uint_t         i;
    const char        *v;
    ngx_table_elt_t  **h;
    ngx_cweb_call_t   *call;

    call = ngx_cweb_call_check(NULL, req, "cweb_cookie_get");
    if (call == NULL) {
        return CWEB_ERROR;
    }

    if (name == NULL || value == NULL) {
        ngx_cweb_api_error("cweb_cookie_get(): NULL %s",
                           name ? "value" : "name");
        return CWEB_ERROR;
    }

    /* every Cookie line (HTTP/2 sends one a cookie) */
    h = call->r->headers_in.cookies.elts;

    for (i = 0; i < call->r->headers_in.cookies.nelts; i++) {
        v = ngx_cweb_cookie_find((const char *) h[i]->value.data,
                                 h[i]->value.len, name, &vlen);
        if (v == NULL) {
            continue;
        }

        copy = ngx_pnalloc(call->r->pool, vlen + 1);
        if (copy == NULL) {
            return CWEB_ERROR;
        }

        *ngx_cpymem(copy, v, vlen) = '\0';
        *value = (const char *) copy;

        return CWEB_OK;
    }

    return CWEB_DECLINED;
}


int
ngx_cweb_cookie_set_api(http_response_t *res, const char *name,
    const char *value, const cweb_cookie_t *attrs)
{
    size_t            len;
    u_char           *line;
    ngx_cweb_call_t  *call;

    static const cweb_cookie_t  safe = {
        "/", NULL, 0, 0, 0, 1, CWEB_SAMESITE_LAX
    };

    call = ngx_cweb_resp_call(res, "cweb_cookie_set");
    if (call == NULL) {
        return CWEB_ERROR;
    }

    if (attrs == NULL) {
        attrs = &safe;
    }

    if (ngx_cweb_cookie_check(name, value, attrs) != CWEB_OK) {
        return CWEB_ERROR;
    }

    line = ngx_cweb_cookie_line(call->r->pool, name, value, attrs, &len);
    if (line == NULL) {
        return CWEB_ERROR;
    }

    return ngx_cweb_header_push(call, "Set-Cookie", sizeof("Set-Cookie") - 1,
                                line, len);
}


static int
ngx_cweb_cookie_check(const char *name, const char *value,
    const cweb_cookie_t *a)
{
    char  why[NGX_CWEB_ARG_WHY_LEN];

    if (ngx_cweb_cookie_name_bad(name, why)
        || ngx_cweb_cookie_value_bad(value, why)
        || (a->path && ngx_cweb_cookie_attr_bad("Path", a->path, why))
        || (a->domain && ngx_cweb_cookie_attr_bad("Domain", a->domain, why)))
    {
        ngx_cweb_api_error("cweb_cookie_set(\"%s\"): %s, not set",
                           name ? name : "(null)", why);
        return CWEB_ERROR;
    }

    /* an Expires past year 9999 would not fit RFC 6265's date either */
    if (a->max_age < CWEB_COOKIE_DELETE || a->expires < 0
        || a->expires > NGX_CWEB_COOKIE_MAX_TIME
        || a->same_site < CWEB_SAMESITE_UNSET
        || a->same_site > CWEB_SAMESITE_NONE)
    {
        ngx_cweb_api_error("cweb_cookie_set(\"%s\"): a negative max_age, an "
                           "expires before 1970 or after 9999, or an unknown "
                           "same_site (%d), not set", name, a->same_site);
        return CWEB_ERROR;
    }

    /* browsers drop such a cookie: say so here rather than there */
    if (a->same_site == CWEB_SAMESITE_NONE && !a->secure) {
        ngx_cweb_api_error("cweb_cookie_set(\"%s\"): SameSite=None needs "
                           "secure, not set", name);
        return CWEB_ERROR;
    }

    return CWEB_OK;
}


/* "name=value; Expires=...; Max-Age=...; Domain=...; Path=...; ..." */

static u_char *
ngx_cweb_cookie_line(ngx_pool_t *pool, const char *name, const char *value,
    const cweb_cookie_t *a, size_t *len)
{
    u_char  *line, *p;
    size_t   size;
    time_t   expires;

    static const char  *same_site[] = { "", "Lax", "Strict", "None" };

    /* a deletion says Expires too, for clients without Max-Age */
    expires = (a->max_age == CWEB_COOKIE_DELETE) ? 1 : a->expires;

    size = ngx_strlen(name) + 1 + ngx_strlen(value)
           + sizeof("; Expires=Thu, 01-Jan-1970 00:00:00 GMT") - 1
           + sizeof("; Max-Age=") - 1 + NGX_INT64_LEN
           + (a->domain ? sizeof("; Domain=") - 1 + ngx_strlen(a->domain) : 0)
           + (a->path ? sizeof("; Path=") - 1 + ngx_strlen(a->path) : 0)
           + sizeof("; Secure; HttpOnly; SameSite=Strict");

    line = ngx_pnalloc(pool, size);
    if (line == NULL) {
        return NULL;
    }

    p = ngx_sprintf(line, "%s=%s", name, value);

    if (expires) {
        p = ngx_cpymem(p, "; Expires=", sizeof("; Expires=") - 1);
        p = ngx_http_cookie_time(p, expires);
    }

    if (a->max_age) {
        p = ngx_sprintf(p, "; Max-Age=%l",
                        a->max_age == CWEB_COOKIE_DELETE ? 0 : a->max_age);
    }

    if (a->domain) {
        p = ngx_sprintf(p, "; Domain=%s", a->domain);
    }

    if (a->path) {
        p = ngx_sprintf(p, "; Path=%s", a->path);
    }

    if (a->secure) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    if (a->http_only) {
        p = ngx_cpymem(p, "; HttpOnly", sizeof("; HttpOnly") - 1);
    }

    if (a->same_site) {
        p = ngx_sprintf(p, "; SameSite=%s", same_site[a->same_site]);
    }

    *len = p - line;

    return line;
}


/* cweb_response_header(): res->headers' value of name, the only one */

int
ngx_cweb_response_header_api(http_response_t *res, const char *name,
    const char *value)
{
    ngx_cweb_call_t  *call;

    call = ngx_cweb_resp_call(res, "cweb_response_header");
    if (call == NULL) {
        return CWEB_ERROR;
    }

    ngx_cweb_header_forget(call, name);

    return ngx_cweb_kv_replace(res->headers, name, value,
                               "cweb_response_header");
}


int
ngx_cweb_header_add_api(http_response_t *res, const char *name,
    const char *value)
{
    size_t            nlen, vlen;
    u_char           *v;
    ngx_cweb_call_t  *call;

    call = ngx_cweb_resp_call(res, "cweb_response_header_add");
    if (call == NULL) {
        return CWEB_ERROR;
    }

    if (ngx_cweb_response_header_ok(name, value, &nlen, &vlen) != NGX_OK) {
        ngx_cweb_api_error("cweb_response_header_add(\"%s\"): %s, not added",
                           name ? name : "(null)",
                           (name && value)
                           ? "the name is no token, or the value has a CR, "
                             "LF or another byte not allowed there"
                           : "NULL name or value");
        return CWEB_ERROR;
    }

    if (ngx_cweb_response_framing(name, nlen)) {
        ngx_cweb_api_error("cweb_response_header_add(\"%s\"): the host frames "
                           "the body (cweb_response_header() sets a "
                           "Content-Type), not added", name);
        return CWEB_ERROR;
    }

    if (ngx_cweb_response_hop(name, nlen)) {
        ngx_cweb_api_error("cweb_response_header_add(\"%s\"): a hop-by-hop "
                           "header is the connection's (nginx's), not an "
                           "answer's; not added", name);
        return CWEB_ERROR;
    }

    v = ngx_pnalloc(call->r->pool, vlen + 1);
    if (v == NULL) {
        return CWEB_ERROR;
    }

    ngx_memcpy(v, value, vlen + 1);

    return ngx_cweb_header_push(call, name, nlen, v, vlen);
}


/* name is copied, value is request memory already */

static int
ngx_cweb_header_push(ngx_cweb_call_t *call, const char *name, size_t nlen,
    u_char *value, size_t vlen)
{
    ngx_table_elt_t  *h;

    if (call->res_added == NULL) {
        call->res_added = ngx_array_create(call->r->pool, 4,
                                           sizeof(ngx_table_elt_t));
        if (call->res_added == NULL) {
            return CWEB_ERROR;
        }
    }

    h = ngx_array_push(call->res_added);
    if (h == NULL) {
        return CWEB_ERROR;
    }

    ngx_memzero(h, sizeof(ngx_table_elt_t));

    h->key.data = ngx_pnalloc(call->r->pool, nlen);
    if (h->key.data == NULL) {
        call->res_added->nelts--;
        return CWEB_ERROR;
    }

    ngx_memcpy(h->key.data, name, nlen);
    h->key.len = nlen;
    h->value.data = value;
    h->value.len = vlen;
    h->hash = 1;

    return CWEB_OK;
}


/* cweb_response_header() replaces what was added under that name too */

static void
ngx_cweb_header_forget(ngx_cweb_call_t *call, const char *name)
{
    size_t            len;
    ngx_uint_t        i, n;
    ngx_table_elt_t  *h;

    if (call->res_added == NULL || name == NULL) {
        return;
    }

    len = ngx_strlen(name);
    h = call->res_added->elts;
    n = 0;

    for (i = 0; i < call->res_added->nelts; i++) {
        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            continue;
        }

        h[n++] = h[i];
    }

    call->res_added->nelts = n;
}


int
ngx_cweb_status_api(http_response_t *res, int code, const char *reason)
{
    size_t            len;
    u_char           *p;
    ngx_cweb_call_t  *call;

    call = ngx_cweb_resp_call(res, "cweb_response_status");
    if (call == NULL) {
        return CWEB_ERROR;
    }

    if (code < 200 || code > 599) {
        ngx_cweb_api_error("cweb_response_status(%d): not a final status "
                           "(200-599; 1xx are interim answers)", code);
        return CWEB_ERROR;
    }

    len = reason ? ngx_strlen(reason) : 0;

    if (len > NGX_CWEB_REASON_MAX) {
        ngx_cweb_api_error("cweb_response_status(%d): the reason is %uz "
                           "bytes, longer than %d", code, len,
                           NGX_CWEB_REASON_MAX);
        return CWEB_ERROR;
    }

    if (reason && ngx_cweb_response_reason_ok(reason, len) != NGX_OK) {
        ngx_cweb_api_error("cweb_response_status(%d): the reason has a CR, "
                           "LF, control or non-ASCII byte", code);
        return CWEB_ERROR;
    }

    ngx_str_null(&call->status_line);

    if (reason) {
        p = ngx_pnalloc(call->r->pool, sizeof("999 ") - 1 + len);
        if (p == NULL) {
            return CWEB_ERROR;
        }

        call->status_line.data = p;
        call->status_line.len = ngx_sprintf(p, "%d %s", code, reason) - p;
    }

    call->status = (ngx_uint_t) code;

    return CWEB_OK;
}


/* the running call, while its header is not sent yet (cweb_flush()) */

static ngx_cweb_call_t *
ngx_cweb_resp_call(http_response_t *res, const char *fn)
{
    ngx_cweb_call_t  *call;

    call = ngx_cweb_call_check(res, NULL, fn);

    if (call && call->stream && call->stream->header_sent) {
        ngx_cweb_api_error("%s(): the header is already sent (the answer is "
                           "being streamed)", fn);
        return NULL;
    }

    return call;
}
