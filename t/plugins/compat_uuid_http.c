/*
 * uuid.h, http.h, cweb_config.h as a c-web-modules plugin uses them,
 * without <cweb.h>: uuid.h and db.h come first and stand alone (cweb.h is
 * not in yet when their names are used), http.h brings the rest.  The
 * plugin has a uuid_t of its own, as libuuid's users do.
 */

/* a name the headers fail to declare is an error, not a guess */
#pragma GCC diagnostic error "-Wimplicit-function-declaration"

#include <uuid.h>
#include <db.h>

#ifdef CWEB_H
#error "uuid.h or db.h included cweb.h"
#endif

static cweb_uuid_t  early_id;
static int        (*early_step)(sqlite3_stmt *);

#include <cweb_config.h>
#include <http.h>

#include <stdlib.h>
#include <string.h>


typedef unsigned char uuid_t[16];

static uuid_t  own_id = { 0x12, 0x34 };


#define OUT(...)                                                              \
    len += snprintf(res->body + len, HTTP_RESPONSE_SIZE - len, __VA_ARGS__)


static int
uuids(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    static const char *bad[] = {
        "", "123e4567-e89b-12d3-a456-42661417400",
        "123e4567-e89b-12d3-a456-4266141740000",
        "123e4567e-89b-12d3-a456-426614174000",
        "123e4567-e89b-12d3-a456-42661417400g",
        "123e4567-e89b-12d3-a456_426614174000",
        "123e4567-e89b-12d3-a456-426614174000 ",
        "{23e4567-e89b-12d3-a456-426614174000",
        NULL
    };

    size_t       len = 0, i;
    cweb_uuid_t  a, b, junk;

    OUT("len=%d size=%zu own=%02x%02x\n", UUID_STR_LEN, sizeof(cweb_uuid_t),
        own_id[0], own_id[1]);

    OUT("lower=%d ", uuid_from_string(&a,
                                      "123e4567-e89b-12d3-a456-426614174000"));
    OUT("upper=%d ", uuid_from_string(&b,
                                      "123E4567-E89B-12D3-A456-426614174000"));
    OUT("valid=%d/%d equal=%d self=%d null=%d/%d\n", uuid_is_valid(&a),
        uuid_is_valid(&b), uuid_equal(&a, &b), uuid_equal(&a, &a),
        uuid_equal(&a, NULL), uuid_equal(NULL, NULL));
    OUT("str=%s\n", uuid_c_str(&a));

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        b = a;
        OUT("bad%zu=%d kept=%d\n", i, uuid_from_string(&b, bad[i]),
            uuid_equal(&a, &b));
    }

    OUT("null_uuid=%d\n", uuid_from_string(NULL, uuid_c_str(&a)));

    /* no NUL anywhere: is_valid must not read past the struct */
    memset(junk.str, 'a', sizeof(junk.str));
    OUT("unterminated=%d ", uuid_is_valid(&junk));
    memcpy(junk.str, "123e4567-e89b-12d3-a456-426614174000x", UUID_STR_LEN);
    OUT("no_nul=%d ", uuid_is_valid(&junk));

    uuid_clear(&a);
    OUT("cleared=%d str=[%s] null_str=[%s] valid_null=%d\n",
        uuid_is_valid(&a), uuid_c_str(&a), uuid_c_str(NULL),
        uuid_is_valid(NULL));
    uuid_clear(NULL);

    uuid_clear(&early_id);
    OUT("early=%d step=%s\n", uuid_is_valid(&early_id),
        early_step ? "set" : "unset");

    res->status = HTTP_200_OK;
    return 0;
}


static int
jobs(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    size_t       len = 0;
    cweb_uuid_t  id;
    int          rc;

    uuid_clear(&id);
    rc = jobs_create("sum", "{}", &id);
    OUT("jobs_create=%d valid=%d\n", rc, uuid_is_valid(&id));

    res->status = HTTP_200_OK;
    return 0;
}


static int
tables(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    size_t  len = 0;
    int     i;

    OUT("method=%s chunked=%d body=%s\n", http_methods[req->method],
        req->transfer_encoding_chunked, req->body);

    for (i = HTTP_GET; i <= HTTP_PATCH; i++) {
        OUT("%s%s", i ? " " : "", http_methods[i]);
    }

    OUT("\n");

    for (i = HTTP_000_UNKNOWN; i <= HTTP_504_GATEWAY_TIMEOUT; i++) {
        OUT("%d=%s\n", i, http_errors[i]);
    }

    OUT("%s|%s|%s|%s\n", http_errors[HTTP_200_OK], http_errors[HTTP_302_FOUND],
        http_errors[HTTP_404_NOT_FOUND],
        http_errors[HTTP_500_INTERNAL_SERVER_ERROR]);

    OUT("MAX_ROUTES=%d MAX_WEBSOCKETS=%d MAX_JOBS=%d ROUTER_MAX_MODULES=%d "
        "SO_PATH_MAX_LEN=%d\n", MAX_ROUTES, MAX_WEBSOCKETS, MAX_JOBS,
        ROUTER_MAX_MODULES, SO_PATH_MAX_LEN);
    OUT("DEFAULT_MAX_BODY_BYTES=%d REQUEST_BUFFER_SIZE=%d DEFAULT_PORT=%d "
        "DEFAULT_DEV_THREAD_POOL_SIZE=%d "
        "DEFAULT_PROD_THREAD_POOL_MULTIPLIER=%d\n",
        DEFAULT_MAX_BODY_BYTES, REQUEST_BUFFER_SIZE, DEFAULT_PORT,
        DEFAULT_DEV_THREAD_POOL_SIZE, DEFAULT_PROD_THREAD_POOL_MULTIPLIER);

    /* <ctype.h> comes with http.h */
    OUT("ctype=%d%d\n", isxdigit('f') != 0, isxdigit('g') != 0);

    res->status = HTTP_200_OK;
    return 0;
}


export module_t config = {
    .name = "compat_uuid_http",
    .author = "t",
    .routes = {
        {"/compat/uuid", "GET", uuids, NONE},
        {"/compat/http", "GET", tables, NONE},
        {"/compat/http", "POST", tables, NONE},
        {"/compat/http", "DELETE", tables, NONE},
        {"/compat/jobs", "GET", jobs, NONE},
    },
    .size = 5,
};
