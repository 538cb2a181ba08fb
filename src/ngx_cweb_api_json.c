
/*
 * JSON answers of plugin routes: cweb_json_answer(), cweb_set_error(),
 * and the envelopes of routes flagged CWEB_JSON_STATUS or CWEB_JSON
 * (AG_Web's "[json-status]" and "[json]" methods), made once the handler
 * has returned and before ngx_cweb_response.c sends the answer.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_json.h"


#define NGX_CWEB_ERROR_TEXT_MAX  1024


static json_t *ngx_cweb_json_body(ngx_cweb_call_t *call, int rc);
static ngx_int_t ngx_cweb_json_out(ngx_cweb_call_t *call, json_t *v);


int
ngx_cweb_set_error_api(http_response_t *res, const char *fmt, va_list args)
{
    int               n;
    char              buf[NGX_CWEB_ERROR_TEXT_MAX + 1];
    ngx_cweb_call_t  *call;

    call = ngx_cweb_call_check(res, NULL, "cweb_set_error");
    if (call == NULL) {
        return CWEB_ERROR;
    }

    if (fmt == NULL) {
        ngx_cweb_api_error("cweb_set_error(): NULL format");
        return CWEB_ERROR;
    }

    n = vsnprintf(buf, sizeof(buf), fmt, args);
    if (n < 0) {
        return CWEB_ERROR;
    }

    /* cut at 1 KB, but not inside a UTF-8 character */
    if (n > NGX_CWEB_ERROR_TEXT_MAX) {
        n = NGX_CWEB_ERROR_TEXT_MAX;

        while (n > 0 && ((u_char) buf[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    call->error.data = ngx_pnalloc(call->r->pool, n ? n : 1);
    if (call->error.data == NULL) {
        return CWEB_ERROR;
    }

    call->error.len = ngx_cpymem(call->error.data, buf, n) - call->error.data;

    return CWEB_OK;
}


int
ngx_cweb_json_answer_api(http_response_t *res, json_t *value)
{
    ngx_cweb_call_t  *call;

    call = ngx_cweb_call_check(res, NULL, "cweb_json_answer");
    if (call == NULL) {
        return CWEB_ERROR;
    }

    if (value == NULL) {
        ngx_cweb_api_error("cweb_json_answer(): NULL value (a jansson "
                           "constructor that failed?)");
        return CWEB_ERROR;
    }

    return ngx_cweb_json_out(call, value) == NGX_OK ? CWEB_OK : CWEB_ERROR;
}


/* the body: v serialized, request memory, JSON's Content-Type */

static ngx_int_t
ngx_cweb_json_out(ngx_cweb_call_t *call, json_t *v)
{
    char    *text;
    size_t   len;

    text = json_dumps(v, JSON_COMPACT|JSON_ENCODE_ANY|JSON_PRESERVE_ORDER);
    if (text == NULL) {
        return NGX_ERROR;
    }

    len = ngx_strlen(text);

    call->out.data = ngx_pnalloc(call->r->pool, len + 1);
    if (call->out.data == NULL) {
        free(text);
        return NGX_ERROR;
    }

    call->out.len = ngx_cpymem(call->out.data, text, len) - call->out.data;
    call->out.data[call->out.len++] = '\n';
    call->out_set = 1;
    call->json = 1;

    free(text);

    return NGX_OK;
}


/*
 * the envelope of a flagged route once its handler returned rc: NGX_OK
 * with call->out set, NGX_ERROR for a success of a CWEB_JSON route whose
 * body is not a JSON object (logged)
 */

ngx_int_t
ngx_cweb_json_envelope(ngx_cweb_call_t *call, int rc)
{
    json_t     *o, *e;
    ngx_int_t   n;
    ngx_str_t   text;

    o = ngx_cweb_json_body(call, rc);
    if (o == NULL) {
        return NGX_ERROR;
    }

    n = json_object_set_new(o, "code", json_integer(rc < 0 ? rc : 0));

    if (rc < 0) {
        text = call->error;

        if (text.len == 0 && call->arg_err) {
            text.data = (u_char *) call->arg_err;
            text.len = ngx_strlen(call->arg_err);
        }

        if (text.len == 0) {
            ngx_str_set(&text, "the handler failed");
        }

        /* what is not UTF-8 becomes "?": the answer stays JSON */
        e = ngx_cweb_json_text(text.data, text.len);
        n = n || json_object_set_new(o, "error", e);
    }

    n = n || ngx_cweb_json_out(call, o) != NGX_OK;
    json_decref(o);

    return n ? NGX_ERROR : NGX_OK;
}


/*
 * the object to answer: {} for CWEB_JSON_STATUS; for CWEB_JSON the
 * handler's object (what cweb_json_answer() or res->body holds), {} for
 * an empty body or, on failure, for one that is no object
 */

static json_t *
ngx_cweb_json_body(ngx_cweb_call_t *call, int rc)
{
    json_t            *o;
    ngx_cweb_route_t  *rt;

    rt = call->route;

    if ((rt->plugin->config->routes[rt->index].flags & CWEB_JSON) == 0
        || call->out.len == 0)
    {
        return json_object();
    }

    o = json_loadb((const char *) call->out.data, call->out.len, 0, NULL);

    if (o && json_is_object(o)) {
        return o;
    }

    json_decref(o);

    if (rc < 0) {
        return json_object();
    }

    ngx_log_error(NGX_LOG_ERR, call->r->connection->log, 0,
                  "cweb plugin \"%V\" route \"%V %V\" (CWEB_JSON) answered "
                  "a body that is not a JSON object: answered 500",
                  &rt->plugin->name, &rt->method, &rt->path);

    return NULL;
}
