
/*
 * Typed arguments and URL escaping for plugins (cweb.h's cweb_arg_*,
 * cweb_url_*): an argument is looked up in the query, then the form, in
 * the host's stores of the call (what req->params and req->data were set
 * to, whatever the plugin pointed those members at since); its text is
 * converted by ngx_cweb_arg.c.  A bad value is the client's, not the plugin's: it
 * is no error-log line, only cweb_arg_error()'s message.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_arg.h"


static ngx_cweb_call_t *ngx_cweb_arg_value(http_request_t *req,
    const char *name, const char *fn, const char **value, int *rc);
static int ngx_cweb_arg_fail(ngx_cweb_call_t *call, const char *name,
    int rc, const char *why);


/*
 * the value of argument name, or NULL with *rc set (CWEB_ARG_MISSING, or
 * CWEB_ERROR for a bad call); the call NULL only for a bad call
 */

static ngx_cweb_call_t *
ngx_cweb_arg_value(http_request_t *req, const char *name, const char *fn,
    const char **value, int *rc)
{
    ngx_int_t         i;
    ngx_cweb_call_t  *call;

    *value = NULL;

    call = ngx_cweb_call_check(NULL, req, fn);
    if (call == NULL) {
        *rc = CWEB_ERROR;
        return NULL;
    }

    call->arg_err = NULL;

    if (name == NULL) {
        ngx_cweb_api_error("%s(): NULL name", fn);
        *rc = CWEB_ERROR;
        return NULL;
    }

    i = ngx_cweb_kv_find(&call->params, name);

    if (i != NGX_ERROR) {
        *value = call->params.pub.entries[i].value;

    } else {
        i = ngx_cweb_kv_find(&call->data, name);

        if (i != NGX_ERROR) {
            *value = call->data.pub.entries[i].value;
        }
    }

    *rc = *value ? CWEB_OK : ngx_cweb_arg_fail(call, name, CWEB_ARG_MISSING,
                                               "missing");
    return call;
}


/* 'argument "<name>": <why>' for cweb_arg_error(), and rc */

static int
ngx_cweb_arg_fail(ngx_cweb_call_t *call, const char *name, int rc,
    const char *why)
{
    size_t   len;
    u_char  *p;

    len = sizeof("argument \"\": ") + ngx_strlen(name) + ngx_strlen(why);

    p = ngx_pnalloc(call->r->pool, len);
    if (p == NULL) {
        return CWEB_ERROR;
    }

    (void) ngx_snprintf(p, len, "argument \"%s\": %s%Z", name, why);
    call->arg_err = (const char *) p;

    return rc;
}


int
ngx_cweb_arg_str_api(http_request_t *req, const char *name, size_t max_len,
    int trim, const char **value)
{
    int               rc;
    char              why[NGX_CWEB_ARG_WHY_LEN];
    size_t            len;
    u_char           *copy;
    const char       *v;
    ngx_cweb_call_t  *call;

    call = ngx_cweb_arg_value(req, name, trim ? "cweb_arg_trim"
                                              : "cweb_arg_str", &v, &rc);
    if (v == NULL) {
        return rc;
    }

    if (value == NULL) {
        ngx_cweb_api_error("cweb_arg_%s(): NULL value", trim ? "trim" : "str");
        return CWEB_ERROR;
    }

    len = ngx_strlen(v);

    if (trim) {
        v = ngx_cweb_arg_trim(v, &len);
    }

    if (max_len && len > max_len) {
        ngx_snprintf((u_char *) why, sizeof(why), "longer than %uz bytes%Z",
                     max_len);
        return ngx_cweb_arg_fail(call, name, CWEB_ARG_INVALID, why);
    }

    if (trim && v[len] != '\0') {
        copy = ngx_pnalloc(call->r->pool, len + 1);
        if (copy == NULL) {
            return CWEB_ERROR;
        }

        ngx_memcpy(copy, v, len);
        copy[len] = '\0';
        v = (const char *) copy;
    }

    *value = v;

    return CWEB_OK;
}


int
ngx_cweb_arg_num_api(http_request_t *req, const char *name, int type,
    void *out, const void *min, const void *max)
{
    int               rc;
    char              why[NGX_CWEB_ARG_WHY_LEN];
    const char       *v;
    ngx_cweb_call_t  *call;

    call = ngx_cweb_arg_value(req, name, "cweb_arg_num", &v, &rc);
    if (v == NULL) {
        return rc;
    }

    if (out == NULL || type < CWEB_ARG_INT || type > CWEB_ARG_DOUBLE
        || (min == NULL) != (max == NULL))
    {
        ngx_cweb_api_error("cweb_arg_num(\"%s\"): %s", name,
                           out == NULL ? "NULL out"
                           : (min == NULL) != (max == NULL)
                             ? "a range needs both bounds"
                             : "unknown number type");
        return CWEB_ERROR;
    }

    rc = ngx_cweb_arg_number(v, type, out, min, max, why);

    return rc == CWEB_OK ? CWEB_OK : ngx_cweb_arg_fail(call, name, rc, why);
}


int
ngx_cweb_arg_bool_api(http_request_t *req, const char *name, int *out)
{
    int               rc;
    char              why[NGX_CWEB_ARG_WHY_LEN];
    const char       *v;
    ngx_cweb_call_t  *call;

    call = ngx_cweb_arg_value(req, name, "cweb_arg_bool", &v, &rc);
    if (v == NULL) {
        return rc;
    }

    if (out == NULL) {
        ngx_cweb_api_error("cweb_arg_bool(\"%s\"): NULL out", name);
        return CWEB_ERROR;
    }

    rc = ngx_cweb_arg_bool(v, out, why);

    return rc == CWEB_OK ? CWEB_OK : ngx_cweb_arg_fail(call, name, rc, why);
}


int
ngx_cweb_arg_enum_api(http_request_t *req, const char *name,
    const char *const *list, unsigned *index)
{
    int               rc;
    char              why[NGX_CWEB_ARG_WHY_LEN];
    const char       *v;
    ngx_cweb_call_t  *call;

    call = ngx_cweb_arg_value(req, name, "cweb_arg_enum", &v, &rc);
    if (v == NULL) {
        return rc;
    }

    if (list == NULL || index == NULL) {
        ngx_cweb_api_error("cweb_arg_enum(\"%s\"): NULL %s", name,
                           list ? "index" : "list");
        return CWEB_ERROR;
    }

    rc = ngx_cweb_arg_enum(v, list, index, why);

    return rc == CWEB_OK ? CWEB_OK : ngx_cweb_arg_fail(call, name, rc, why);
}


int
ngx_cweb_arg_range_api(http_request_t *req, const char *name,
    const char *sep, int *min, int *max)
{
    int               rc;
    char              why[NGX_CWEB_ARG_WHY_LEN];
    const char       *v;
    ngx_cweb_call_t  *call;

    call = ngx_cweb_arg_value(req, name, "cweb_arg_range", &v, &rc);
    if (v == NULL) {
        return rc;
    }

    if (sep == NULL || sep[0] == '\0' || min == NULL || max == NULL) {
        ngx_cweb_api_error("cweb_arg_range(\"%s\"): %s", name,
                           (sep == NULL || sep[0] == '\0')
                           ? "an empty separator" : "NULL min or max");
        return CWEB_ERROR;
    }

    rc = ngx_cweb_arg_range(v, sep, min, max, why);

    return rc == CWEB_OK ? CWEB_OK : ngx_cweb_arg_fail(call, name, rc, why);
}


const char *
ngx_cweb_arg_error_api(http_request_t *req)
{
    ngx_cweb_call_t  *call;

    call = ngx_cweb_call_check(NULL, req, "cweb_arg_error");

    return call ? call->arg_err : NULL;
}


/* RFC 3986's unreserved bytes stay, every other is %XX */

char *
ngx_cweb_url_escape_api(http_request_t *req, const char *s)
{
    size_t            len;
    u_char           *p;
    ngx_cweb_call_t  *call;

    call = ngx_cweb_call_check(NULL, req, "cweb_url_escape");
    if (call == NULL || s == NULL) {
        if (call) {
            ngx_cweb_api_error("cweb_url_escape(): NULL string");
        }
        return NULL;
    }

    len = ngx_strlen(s);

    p = ngx_pnalloc(call->r->pool,
                    len + 2 * ngx_escape_uri(NULL, (u_char *) s, len,
                                             NGX_ESCAPE_URI_COMPONENT) + 1);
    if (p == NULL) {
        return NULL;
    }

    *(u_char *) ngx_escape_uri(p, (u_char *) s, len,
                               NGX_ESCAPE_URI_COMPONENT) = '\0';

    return (char *) p;
}


char *
ngx_cweb_url_unescape_api(http_request_t *req, const char *s)
{
    u_char           *p, *dst, *src, *last;
    size_t            len;
    ngx_cweb_call_t  *call;

    call = ngx_cweb_call_check(NULL, req, "cweb_url_unescape");
    if (call == NULL || s == NULL) {
        if (call) {
            ngx_cweb_api_error("cweb_url_unescape(): NULL string");
        }
        return NULL;
    }

    len = ngx_strlen(s);

    p = ngx_pnalloc(call->r->pool, len + 1);
    if (p == NULL) {
        return NULL;
    }

    dst = p;
    src = (u_char *) s;
    ngx_unescape_uri(&dst, &src, len, 0);
    last = dst;

    /* %00 would end the C string early */
    for (dst = p; dst < last; dst++) {
        if (*dst == '\0') {
            *dst = '_';
        }
    }

    *last = '\0';

    return (char *) p;
}
