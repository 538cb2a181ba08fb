/*
 * json.c - a small JSON API built with jansson: a bounded list of strings.
 *
 *   curl --data-binary @example-modules/json.c localhost:8080/mgnt
 *   curl -d item=apple localhost:8080/json/add
 *   curl -F item=pear localhost:8080/json/add
 *   curl 'localhost:8080/list?limit=1'
 *   curl -i -H 'X-Request-Id: 42' localhost:8080/list
 *
 * GET /list answers the items as a JSON array, the first N with ?limit=N.
 * POST /json/add appends the form field "item" (urlencoded or multipart
 * body) and answers 201; a missing item or a full list is a 400 with a
 * JSON error.  Every answer repeats the request's X-Request-Id header.
 *
 * As in counter.c, the list lives in the plugin's globals: every nginx
 * worker has its own list, and a new version starts with an empty one.
 */

#include <errno.h>
#include <stdio.h>
#include <cweb.h>

#define ITEMS_MAX     5
#define ITEM_LEN_MAX  128

static char  *items[ITEMS_MAX];
static int    nitems;


/* answers json (and drops the reference): any size, it is not res->body */

static int
reply(http_request_t *req, http_response_t *res, http_error_t status,
    json_t *json)
{
    char  *text, *id;

    text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);

    if (text == NULL) {
        return -1;
    }

    if (cweb_response_body(res, text, strlen(text)) != CWEB_OK) {
        free(text);
        return -1;
    }

    free(text);

    /* the store frees the strdup()ed values when the request ends */
    http_kv_insert(res->headers, "Content-Type", strdup("application/json"));

    /* header names are case-insensitive: "x-request-id" matches too */
    id = http_kv_get(req->headers, "X-Request-Id");
    if (id != NULL) {
        http_kv_insert(res->headers, "X-Request-Id", strdup(id));
    }

    res->status = status;

    return 0;
}


static int
error_reply(http_request_t *req, http_response_t *res, const char *error)
{
    return reply(req, res, HTTP_400_BAD_REQUEST,
                 json_pack("{s:s, s:i}", "error", error, "max", ITEMS_MAX));
}


/* GET /list[?limit=N] */

static int
list_route(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    int      i, n;
    long     limit;
    char    *arg, *end;
    json_t  *array;

    n = nitems;

    arg = http_kv_get(req->params, "limit");
    if (arg != NULL) {
        errno = 0;
        limit = strtol(arg, &end, 10);

        if (*arg == '\0' || *end != '\0' || errno != 0 || limit < 0) {
            return reply(req, res, HTTP_400_BAD_REQUEST,
                         json_pack("{s:s, s:s}", "error",
                                   "limit must be a number >= 0",
                                   "limit", arg));
        }

        if (limit < n) {
            n = (int) limit;
        }
    }

    array = json_array();
    if (array == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        json_array_append_new(array, json_string(items[i]));
    }

    return reply(req, res, HTTP_200_OK, array);
}


/* POST /json/add, form field "item" */

static int
add_route(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    char    *item, *copy;
    json_t  *value;

    item = http_kv_get(req->data, "item");

    if (item == NULL || *item == '\0') {
        return error_reply(req, res, "missing form field \"item\"");
    }

    if (strlen(item) > ITEM_LEN_MAX) {
        return error_reply(req, res, "item is too long");
    }

    if (nitems == ITEMS_MAX) {
        return error_reply(req, res, "the list is full");
    }

    /* jansson only takes UTF-8; NULL for anything else */
    value = json_string(item);
    if (value == NULL) {
        return error_reply(req, res, "item is not UTF-8");
    }

    copy = strdup(item);
    if (copy == NULL) {
        json_decref(value);
        return -1;
    }

    items[nitems++] = copy;

    return reply(req, res, HTTP_201_CREATED,
                 json_pack("{s:o, s:i}", "added", value, "count", nitems));
}


static void
unload(struct cweb_context *ctx)
{
    while (nitems > 0) {
        free(items[--nitems]);
    }
}


export module_t config = {
    .name = "json",
    .author = "cweb",
    .routes = {
        {"/list", "GET", list_route, NONE},
        {"/json/add", "POST", add_route, NONE},
    },
    .size = 2,
    .unload = unload,
};
