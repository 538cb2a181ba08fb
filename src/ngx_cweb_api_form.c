
/*
 * Forms and query strings of plugin routes: urlencoded text into the
 * call's stores; multipart/form-data bodies parsed once (the pure parser,
 * ngx_cweb_multipart.c) into req->data's C strings and the binary-safe
 * parts cweb_part() hands out; cweb_form_max_parts and
 * cweb_form_max_part_size bound them (413 before the handler runs).
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_multipart.h"


static ngx_int_t ngx_cweb_form_urlencoded(ngx_cweb_call_t *call,
    ngx_str_t *body);
static ngx_int_t ngx_cweb_form_part(ngx_cweb_call_t *call,
    ngx_cweb_mp_part_t *mp, cweb_part_t *part);


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


/*
 * a name or value of an application/x-www-form-urlencoded body or a query,
 * decoded in place ('+' is a space, %XX a byte); returns its new length
 */

size_t
ngx_cweb_form_unescape(u_char *p, size_t len)
{
    u_char  *s, *d, *last;

    last = p + len;

    for (s = p; s < last; s++) {
        if (*s == '+') {
            *s = ' ';
        }
    }

    s = p;
    d = p;
    ngx_unescape_uri(&d, &s, len, 0);

    return d - p;
}


/*
 * "a=1&b=two+words": names and values unescaped, '+' is a space; one
 * copy of the whole text, cut and decoded in place (a name or value only
 * ever shrinks, and its NUL lands at most on the "=" or "&" after it)
 */

ngx_int_t
ngx_cweb_form_args(ngx_pool_t *pool, http_kv_store_t *store, u_char *p,
    u_char *last)
{
    u_char  *copy, *end, *amp, *eq, *key, *val;
    size_t   klen, vlen;

    copy = ngx_pnalloc(pool, last - p + 1);
    if (copy == NULL) {
        return NGX_ERROR;
    }

    end = ngx_cpymem(copy, p, last - p);
    *end = '\0';

    for (p = copy; p < end; p = amp + 1) {
        amp = ngx_strlchr(p, end, '&');
        if (amp == NULL) {
            amp = end;
        }

        eq = ngx_strlchr(p, amp, '=');

        key = p;
        klen = (eq ? eq : amp) - p;

        if (klen == 0) {
            continue;
        }

        val = eq ? eq + 1 : amp;
        vlen = eq ? (size_t) (amp - eq - 1) : 0;

        key[ngx_cweb_form_unescape(key, klen)] = '\0';
        val[ngx_cweb_form_unescape(val, vlen)] = '\0';

        if (ngx_cweb_kv_push(store, (char *) key, (char *) val) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* cweb_form_max_parts bounds the fields of this form too */

static ngx_int_t
ngx_cweb_form_urlencoded(ngx_cweb_call_t *call, ngx_str_t *body)
{
    size_t                 i, n;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(call->r, ngx_cweb_module);

    for (i = 0, n = 1; i < body->len; i++) {
        n += (body->data[i] == '&');
    }

    if (n > cmcf->form_max_parts) {
        call->refusal = ngx_pnalloc(call->r->pool, 80);
        if (call->refusal == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_snprintf(call->refusal, 80, "more than %ui fields "
                            "(cweb_form_max_parts)%Z", cmcf->form_max_parts);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    if (ngx_cweb_kv_init(&call->data, call->r->pool, n, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_cweb_form_args(call->r->pool, &call->data.pub, body->data,
                              body->data + body->len);
}


ngx_int_t
ngx_cweb_form_parse(ngx_cweb_call_t *call, ngx_str_t *body)
{
    ngx_http_request_t  *r;

    r = call->r;

    if (r->headers_in.content_type == NULL) {
        return NGX_OK;
    }

    if (ngx_cweb_http_urlencoded(r)) {
        return ngx_cweb_form_urlencoded(call, body);
    }

    return ngx_cweb_form_multipart(call, &r->headers_in.content_type->value,
                                   body);
}


/*
 * NGX_OK (parsed, or not multipart, or malformed: the handler still has
 * req->body), NGX_ERROR, or NGX_HTTP_REQUEST_ENTITY_TOO_LARGE with
 * call->refusal saying which bound
 */

ngx_int_t
ngx_cweb_form_multipart(ngx_cweb_call_t *call, ngx_str_t *ct,
    ngx_str_t *body)
{
    size_t                 i, n, blen;
    const char            *err;
    const u_char          *boundary;
    ngx_cweb_mp_part_t    *mp;
    ngx_cweb_main_conf_t  *cmcf;

    if (ngx_cweb_mp_boundary(ct->data, ct->len, &boundary, &blen) != 0) {
        return NGX_OK;
    }

    cmcf = ngx_http_get_module_main_conf(call->r, ngx_cweb_module);

    mp = ngx_palloc(call->r->pool,
                    cmcf->form_max_parts * sizeof(ngx_cweb_mp_part_t));
    if (mp == NULL) {
        return NGX_ERROR;
    }

    if (ngx_cweb_mp_parse(body->data, body->len, boundary, blen, mp,
                          cmcf->form_max_parts, &n, &err)
        != 0)
    {
        if (ngx_strcmp(err, "too many parts") == 0) {
            call->refusal = ngx_pnalloc(call->r->pool, 80);
            if (call->refusal == NULL) {
                return NGX_ERROR;
            }

            (void) ngx_snprintf(call->refusal, 80, "more than %ui parts "
                                "(cweb_form_max_parts)%Z",
                                cmcf->form_max_parts);
            return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        }

        /* the plugin still gets the raw body; data stays empty */
        ngx_log_error(NGX_LOG_INFO, call->r->connection->log, 0,
                      "cweb multipart body not parsed: %s", err);
        return NGX_OK;
    }

    call->parts = ngx_palloc(call->r->pool, (n ? n : 1) * sizeof(cweb_part_t));
    if (call->parts == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (cmcf->form_max_part_size
            && mp[i].data_len > cmcf->form_max_part_size)
        {
            call->refusal = ngx_pnalloc(call->r->pool, 160);
            if (call->refusal == NULL) {
                return NGX_ERROR;
            }

            (void) ngx_snprintf(call->refusal, 160, "part %uz is %uz bytes, "
                                "more than cweb_form_max_part_size (%uz)%Z",
                                i + 1, mp[i].data_len,
                                cmcf->form_max_part_size);
            return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        }

        if (ngx_cweb_form_part(call, &mp[i], &call->parts[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    call->nparts = n;

    return NGX_OK;
}


/* a part for cweb_part() and, cut at its first NUL, for req->data */

static ngx_int_t
ngx_cweb_form_part(ngx_cweb_call_t *call, ngx_cweb_mp_part_t *mp,
    cweb_part_t *part)
{
    char        *v;
    ngx_pool_t  *pool;

    pool = call->r->pool;

    part->name = ngx_cweb_cstr(pool, mp->name, mp->name_len);
    part->filename = mp->filename
                     ? ngx_cweb_cstr(pool, mp->filename, mp->filename_len)
                     : NULL;
    part->content_type = mp->content_type
                         ? ngx_cweb_cstr(pool, mp->content_type,
                                              mp->content_type_len)
                         : NULL;
    part->data = mp->data;
    part->len = mp->data_len;

    v = ngx_cweb_cstr(pool, mp->data, mp->data_len);

    if (part->name == NULL || v == NULL
        || (mp->filename && part->filename == NULL)
        || (mp->content_type && part->content_type == NULL))
    {
        return NGX_ERROR;
    }

    return ngx_cweb_kv_push(&call->data.pub, (char *) part->name, v);
}


/* len bytes as a C string in pool */

char *
ngx_cweb_cstr(ngx_pool_t *pool, const u_char *data, size_t len)
{
    u_char  *p;

    p = ngx_pnalloc(pool, len + 1);
    if (p == NULL) {
        return NULL;
    }

    *ngx_cpymem(p, data, len) = '\0';

    return (char *) p;
}


int
ngx_cweb_part_api(http_request_t *req, size_t i, const char *name,
    cweb_part_t *part)
{
    ngx_cweb_call_t  *call;

    call = ngx_cweb_call_check(NULL, req, name ? "cweb_part_by_name"
                                               : "cweb_part");
    if (call == NULL) {
        return CWEB_ERROR;
    }

    if (part == NULL) {
        ngx_cweb_api_error("%s(): NULL part",
                           name ? "cweb_part_by_name" : "cweb_part");
        return CWEB_ERROR;
    }

    if (name) {
        for (i = 0; i < call->nparts; i++) {
            if (ngx_strcmp(call->parts[i].name, name) == 0) {
                break;
            }
        }
    }

    if (i >= call->nparts) {
        return CWEB_DECLINED;
    }

    *part = call->parts[i];

    return CWEB_OK;
}
