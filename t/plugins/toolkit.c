/*
 * t/plugins/toolkit.c: the request and response toolkit of cweb.h
 * (issue 9, items 1-3) driven by the query: typed arguments, URL
 * escaping, cookies, headers and status.  Each route answers a line
 * saying what the call returned, so a suite can check both.
 */
#include <cweb.h>
#include <inttypes.h>


#define OUT(...)  snprintf(res->body, HTTP_RESPONSE_SIZE, __VA_ARGS__)


static const char *
err_of(http_request_t *req)
{
    const char  *e = cweb_arg_error(req);

    return e ? e : "-";
}


/* GET /tk/arg?t=<type>&v=<value>: one typed read of argument "v" */
static int
tk_arg(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int                 rc, i, lo, hi, b;
    float               f;
    double              d;
    int64_t             l;
    uint64_t            q;
    unsigned            u, idx;
    const char         *t, *s;
    const char *const   colors[] = { "red", "green", "blue", NULL };

    t = http_kv_get(req->params, "t");
    t = t ? t : "";
    rc = CWEB_ERROR;
    i = 0; f = 0; d = 0; l = 0; q = 0; u = 0; idx = 0; lo = 0; hi = 0; b = 0;
    s = NULL;

    if (strcmp(t, "str") == 0) {
        rc = cweb_arg_str(req, "v", 8, &s);
        OUT("rc=%d out=[%s] err=%s\n", rc, s ? s : "(null)", err_of(req));

    } else if (strcmp(t, "trim") == 0) {
        rc = cweb_arg_trim(req, "v", 4, &s);
        OUT("rc=%d out=[%s] err=%s\n", rc, s ? s : "(null)", err_of(req));

    } else if (strcmp(t, "bool") == 0) {
        b = 7;
        rc = cweb_arg_bool(req, "v", &b);
        OUT("rc=%d out=%d err=%s\n", rc, b, err_of(req));

    } else if (strcmp(t, "int") == 0) {
        rc = cweb_arg_int(req, "v", &i);
        OUT("rc=%d out=%d err=%s\n", rc, i, err_of(req));

    } else if (strcmp(t, "int_r") == 0) {
        rc = cweb_arg_int_r(req, "v", &i, 1, 10);
        OUT("rc=%d out=%d err=%s\n", rc, i, err_of(req));

    } else if (strcmp(t, "uint") == 0) {
        rc = cweb_arg_uint(req, "v", &u);
        OUT("rc=%d out=%u err=%s\n", rc, u, err_of(req));

    } else if (strcmp(t, "uint_r") == 0) {
        rc = cweb_arg_uint_r(req, "v", &u, 5, 6);
        OUT("rc=%d out=%u err=%s\n", rc, u, err_of(req));

    } else if (strcmp(t, "int64") == 0) {
        rc = cweb_arg_int64(req, "v", &l);
        OUT("rc=%d out=%" PRId64 " err=%s\n", rc, l, err_of(req));

    } else if (strcmp(t, "int64_r") == 0) {
        rc = cweb_arg_int64_r(req, "v", &l, -5000000000LL, 5000000000LL);
        OUT("rc=%d out=%" PRId64 " err=%s\n", rc, l, err_of(req));

    } else if (strcmp(t, "uint64") == 0) {
        rc = cweb_arg_uint64(req, "v", &q);
        OUT("rc=%d out=%" PRIu64 " err=%s\n", rc, q, err_of(req));

    } else if (strcmp(t, "uint64_r") == 0) {
        rc = cweb_arg_uint64_r(req, "v", &q, 10, 20);
        OUT("rc=%d out=%" PRIu64 " err=%s\n", rc, q, err_of(req));

    } else if (strcmp(t, "float") == 0) {
        rc = cweb_arg_float(req, "v", &f);
        OUT("rc=%d out=%g err=%s\n", rc, (double) f, err_of(req));

    } else if (strcmp(t, "float_r") == 0) {
        rc = cweb_arg_float_r(req, "v", &f, 0.0f, 1.0f);
        OUT("rc=%d out=%g err=%s\n", rc, (double) f, err_of(req));

    } else if (strcmp(t, "double") == 0) {
        rc = cweb_arg_double(req, "v", &d);
        OUT("rc=%d out=%g err=%s\n", rc, d, err_of(req));

    } else if (strcmp(t, "double_r") == 0) {
        rc = cweb_arg_double_r(req, "v", &d, -1.5, 1.5);
        OUT("rc=%d out=%g err=%s\n", rc, d, err_of(req));

    } else if (strcmp(t, "enum") == 0) {
        idx = 99;
        rc = cweb_arg_enum(req, "v", colors, &idx);
        OUT("rc=%d out=%u err=%s\n", rc, idx, err_of(req));

    } else if (strcmp(t, "range") == 0) {
        rc = cweb_arg_range(req, "v", "-", &lo, &hi);
        OUT("rc=%d out=%d..%d err=%s\n", rc, lo, hi, err_of(req));

    } else {
        OUT("unknown t\n");
    }

    /* the 400 a handler answers with the message */
    res->status = rc == CWEB_OK ? HTTP_200_OK : HTTP_400_BAD_REQUEST;

    return 0;
}


/*
 * GET /tk/many?a=&b=&c=: three typed reads; the first failure is
 * answered as the 400 JSON a plugin would send
 */
static int
tk_many(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int          a, b, rc;
    double       c;
    char        *text;
    json_t      *o;
    const char  *e;

    a = b = 0;
    c = 0;

    /* an optional argument read first: its "missing" goes at the next */
    (void) cweb_arg_int(req, "page", &a);

    if ((rc = cweb_arg_int(req, "a", &a)) != CWEB_OK
        || (rc = cweb_arg_int_r(req, "b", &b, 0, 100)) != CWEB_OK
        || (rc = cweb_arg_double(req, "c", &c)) != CWEB_OK)
    {
        e = cweb_arg_error(req);
        o = json_pack("{s:i,s:s}", "code", rc, "error", e ? e : "?");
        res->status = HTTP_400_BAD_REQUEST;

    } else {
        o = json_pack("{s:i,s:i,s:i,s:f}", "code", 0, "a", a, "b", b, "c", c);

        /* a success clears what an earlier call found */
        if (cweb_arg_error(req) != NULL) {
            json_object_set_new(o, "stale", json_string(cweb_arg_error(req)));
        }
    }

    text = json_dumps(o, JSON_COMPACT);
    OUT("%s\n", text);
    free(text);
    json_decref(o);
    http_kv_insert(res->headers, "Content-Type", strdup("application/json"));

    return 0;
}


/* GET /tk/esc?s=<text>: escaped and unescaped forms of s (decoded) */
static int
tk_esc(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    const char  *s, *u;
    char        *e, *d;

    s = http_kv_get(req->params, "s");
    u = http_kv_get(req->params, "u");
    e = s ? cweb_url_escape(req, s) : NULL;
    d = u ? cweb_url_unescape(req, u) : NULL;

    OUT("esc=[%s] unesc=[%s] null=%s\n", e ? e : "-", d ? d : "-",
        cweb_url_escape(req, NULL) == NULL ? "NULL" : "?");

    return 0;
}


/* GET /tk/cookie?name=<n>: the request's cookie */
static int
tk_cookie(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int          rc;
    const char  *name, *v;

    name = http_kv_get(req->params, "name");
    v = NULL;
    rc = cweb_cookie_get(req, name ? name : "", &v);

    OUT("rc=%d value=[%s]\n", rc, v ? v : "(null)");

    return 0;
}


/* GET /tk/setcookie?case=<c>[&v=<value>]: one Set-Cookie scenario */
static int
tk_setcookie(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    int            rc, rc2;
    const char    *c, *v;
    cweb_cookie_t  a;

    c = http_kv_get(req->params, "case");
    c = c ? c : "";
    v = http_kv_get(req->params, "v");
    v = v ? v : "";
    memset(&a, 0, sizeof(a));
    rc2 = 0;

    if (strcmp(c, "default") == 0) {
        rc = cweb_cookie_set(res, "sid", "abc123", NULL);

    } else if (strcmp(c, "full") == 0) {
        a.path = "/app";
        a.domain = "example.com";
        a.max_age = 3600;
        a.expires = 1700000000;
        a.secure = 1;
        a.http_only = 1;
        a.same_site = CWEB_SAMESITE_STRICT;
        rc = cweb_cookie_set(res, "pref", "dark", &a);

    } else if (strcmp(c, "two") == 0) {
        rc = cweb_cookie_set(res, "a", "1", NULL);
        rc2 = cweb_cookie_set(res, "b", "2", NULL);

    } else if (strcmp(c, "plain") == 0) {
        rc = cweb_cookie_set(res, "p", "v", &a);

    } else if (strcmp(c, "none") == 0) {
        a.same_site = CWEB_SAMESITE_NONE;
        rc = cweb_cookie_set(res, "x", "1", &a);
        a.secure = 1;
        rc2 = cweb_cookie_set(res, "x", "1", &a);

    } else if (strcmp(c, "del") == 0) {
        rc = cweb_cookie_del(res, "sid", "/", NULL);

    } else if (strcmp(c, "value") == 0) {
        rc = cweb_cookie_set(res, "v", v, NULL);

    } else if (strcmp(c, "name") == 0) {
        rc = cweb_cookie_set(res, v, "1", NULL);

    } else if (strcmp(c, "path") == 0) {
        a.path = v;
        rc = cweb_cookie_set(res, "p", "1", &a);

    } else if (strcmp(c, "escaped") == 0) {
        rc = cweb_cookie_set(res, "v", cweb_url_escape(req, v), NULL);

    } else if (strcmp(c, "badattr") == 0) {
        a.same_site = 9;
        rc = cweb_cookie_set(res, "x", "1", &a);
        a.same_site = 0;
        a.max_age = -5;
        rc2 = cweb_cookie_set(res, "x", "1", &a);
        a.max_age = 0;
        a.expires = (time_t) 1 << 40;
        rc2 = rc2 * 10 + cweb_cookie_set(res, "x", "1", &a);

    } else {
        rc = 99;
    }

    OUT("rc=%d rc2=%d\n", rc, rc2);

    return 0;
}


/* GET /tk/hdr?case=<c>: headers and status */
static int
tk_hdr(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int          rc, rc2, rc3, code;
    const char  *c, *v;

    c = http_kv_get(req->params, "case");
    c = c ? c : "";
    v = http_kv_get(req->params, "v");
    rc = rc2 = rc3 = 0;

    if (strcmp(c, "add") == 0) {
        rc = cweb_response_header_add(res, "X-Multi", "one");
        rc2 = cweb_response_header_add(res, "X-Multi", "two");
        rc3 = cweb_response_header(res, "X-Single", "s");

    } else if (strcmp(c, "replace") == 0) {
        /* set after add: one line, the set value */
        rc = cweb_response_header_add(res, "X-Multi", "one");
        rc2 = cweb_response_header_add(res, "x-multi", "two");
        rc3 = cweb_response_header(res, "X-MULTI", "only");

    } else if (strcmp(c, "badvalue") == 0) {
        rc = cweb_response_header_add(res, "X-Bad", v ? v : "");
        rc2 = cweb_response_header_add(res, "X Bad", "1");
        rc3 = cweb_response_header_add(res, "X-Null", NULL);

    } else if (strcmp(c, "framing") == 0) {
        rc = cweb_response_header_add(res, "Content-Length", "5");
        rc2 = cweb_response_header_add(res, "content-type", "text/html");
        rc3 = cweb_response_header_add(res, "Transfer-Encoding", "chunked");

    } else if (strcmp(c, "hop") == 0) {
        rc = cweb_response_header_add(res, "Connection", "close");
        rc2 = cweb_response_header_add(res, "Upgrade", "h2c");
        rc3 = cweb_response_header_add(res, "keep-alive", "timeout=5");

    } else if (strcmp(c, "status") == 0) {
        code = v ? atoi(v) : 0;
        rc = cweb_response_status(res, code,
                                  http_kv_get(req->params, "reason"));
        res->status = HTTP_200_OK;     /* cweb_response_status() wins */
    }

    OUT("rc=%d rc2=%d rc3=%d\n", rc, rc2, rc3);

    return 0;
}


/*
 * JSON envelopes: /tk/js (CWEB_JSON_STATUS) and /tk/jo (CWEB_JSON), the
 * handler's outcome chosen by ?case=
 */
static int
tk_json(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int          n;
    json_t      *o;
    const char  *c;

    c = http_kv_get(req->params, "case");
    c = c ? c : "";

    if (strcmp(c, "ok") == 0) {
        snprintf(res->body, HTTP_RESPONSE_SIZE, "ignored unless an object");
        return 0;
    }

    if (strcmp(c, "fail") == 0) {
        cweb_set_error(res, "no such item %d", 42);
        return -1;
    }

    if (strcmp(c, "failcode") == 0) {
        return -7;
    }

    if (strcmp(c, "arg") == 0) {
        return cweb_arg_int_r(req, "n", &n, 1, 5) == CWEB_OK ? 0 : -1;
    }

    if (strcmp(c, "utf8") == 0) {
        cweb_set_error(res, "bad \xff\xfe bytes \"quoted\" <b>");
        res->status = HTTP_422_UNPROCESSABLE_ENTITY;
        return -1;
    }

    if (strcmp(c, "value") == 0) {
        o = json_pack("{s:s,s:[i,i],s:s}", "name", "caf\xc3\xa9",
                      "list", 1, 2, "code", "overwritten");
        cweb_json_answer(res, o);
        json_decref(o);
        return 0;
    }

    if (strcmp(c, "valuefail") == 0) {
        o = json_pack("{s:i}", "partial", 1);
        cweb_json_answer(res, o);
        json_decref(o);
        cweb_set_error(res, "half done");
        return -2;
    }

    if (strcmp(c, "text") == 0) {
        snprintf(res->body, HTTP_RESPONSE_SIZE, "{\"from\":\"body\"}");
        return 0;
    }

    if (strcmp(c, "notobject") == 0) {
        snprintf(res->body, HTTP_RESPONSE_SIZE, "[1,2]");
        return 0;
    }

    if (strcmp(c, "write") == 0) {
        n = cweb_write(res, "x", 1);
        cweb_set_error(res, "write=%d", n);
        return -1;
    }

    if (strcmp(c, "any") == 0) {
        o = json_integer(5);
        n = cweb_json_answer(res, o);
        json_decref(o);
        return n + cweb_json_answer(res, NULL) * 10;
    }

    return 0;
}


/* GET /tk/any: cweb_json_answer() on a route without a flag */
static int
tk_any(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int      rc;
    json_t  *o;

    o = json_pack("[s,i]", "x", 1);
    rc = cweb_json_answer(res, o);
    json_decref(o);
    rc = rc * 10 + cweb_json_answer(res, NULL);

    return rc;
}


export module_t config = {
    .name = "toolkit",
    .author = "t",
    .size = 10,
    .routes = {
        { "/tk/arg", "GET", tk_arg, NONE },
        { "/tk/arg", "POST", tk_arg, NONE },
        { "/tk/many", "GET", tk_many, NONE },
        { "/tk/esc", "GET", tk_esc, NONE },
        { "/tk/cookie", "GET", tk_cookie, NONE },
        { "/tk/setcookie", "GET", tk_setcookie, NONE },
        { "/tk/hdr", "GET", tk_hdr, NONE },
        { "/tk/js", "GET", tk_json, CWEB_JSON_STATUS },
        { "/tk/jo", "GET", tk_json, CWEB_JSON },
        { "/tk/any", "GET", tk_any, NONE },
    },
};
