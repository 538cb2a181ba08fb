/*
 * uploads.c - every facility of the request and response toolkit in one
 * small application: a form with a file upload, typed validation answered
 * with 400 JSON, a cookie, a gzip'd JSON list, a streamed CSV export and
 * a counter all workers share.
 *
 *   GET  /uploads             the form (and how many uploads so far)
 *   POST /uploads             multipart: title, count (1-10), color
 *                             (red, green or blue), file; 400 JSON naming
 *                             the field and why, else {"code":0,"id":N,...}
 *   GET  /uploads/list        every upload as JSON, gzip'd when asked
 *   GET  /uploads/export.csv  the same as CSV, streamed 100 rows a call
 *
 * nginx.conf needs a shared zone (conf/nginx.conf has it):
 *
 *   cweb_shared_zone counters 1m;
 *
 *   curl --data-binary @example-modules/uploads.c localhost:8080/mgnt
 *   curl -F title=notes -F count=3 -F color=green -F file=@README.md \
 *        localhost:8080/uploads
 *   curl --compressed localhost:8080/uploads/list
 *   curl localhost:8080/uploads/export.csv
 *
 * The uploads' descriptions (not their bytes) live in the shared zone, so
 * every worker sees them and they survive "nginx -s reload"; a full zone
 * forgets the oldest.
 */

#include <inttypes.h>
#include <stdio.h>
#include <cweb.h>

#define ZONE        "counters"
#define MAX_ENTRY   1024


static const char *const  colors[] = { "red", "green", "blue", NULL };


/* the form; the color of the last upload from this browser preselected */
static int
form(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int64_t      n;
    unsigned     i;
    const char  *last;

    static const char  head[] =
        "<!doctype html>\n<title>uploads</title>\n"
        "<form method=post enctype=multipart/form-data>\n"
        "<input name=title maxlength=64 placeholder=title>\n"
        "<input name=count type=number min=1 max=10 value=1>\n"
        "<select name=color>\n";

    if (cweb_shared_get_num(ZONE, "uploads:n", &n) != CWEB_OK) {
        n = 0;
    }

    if (cweb_cookie_get(req, "upload_color", &last) != CWEB_OK) {
        last = "";
    }

    cweb_response_header(res, "Content-Type", "text/html; charset=utf-8");

    cweb_write(res, head, sizeof(head) - 1);

    /* the cookie is only compared: a client's bytes never reach the page */
    for (i = 0; colors[i]; i++) {
        char  opt[64];
        int   len;

        len = snprintf(opt, sizeof(opt), "<option%s>%s</option>\n",
                       strcmp(last, colors[i]) == 0 ? " selected" : "",
                       colors[i]);
        cweb_write(res, opt, (size_t) len);
    }

    snprintf(res->body, HTTP_RESPONSE_SIZE,
             "</select>\n<input name=file type=file>\n<button>upload</button>"
             "\n</form>\n<p id=count>%" PRId64 " uploads so far: "
             "<a href=/uploads/list>list</a>, "
             "<a href=/uploads/export.csv>CSV</a>\n", n);

    return 0;
}


/*
 * POST /uploads (CWEB_JSON): a failed check returns -1 and the envelope
 * answers {"code":-1,"error":"argument \"count\": out of range 1..10"}
 */
static int
upload(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int            count;
    char           key[32], *text;
    int64_t        id;
    json_t        *o;
    unsigned       color;
    const char    *title;
    cweb_part_t    file;
    cweb_cookie_t  keep = { .path = "/uploads", .max_age = 30 * 86400,
                           .http_only = 1, .same_site = CWEB_SAMESITE_LAX };

    if (cweb_arg_trim(req, "title", 64, &title) != CWEB_OK
        || cweb_arg_int_r(req, "count", &count, 1, 10) != CWEB_OK
        || cweb_arg_enum(req, "color", colors, &color) != CWEB_OK)
    {
        res->status = HTTP_400_BAD_REQUEST;
        return -1;
    }

    if (cweb_part_by_name(req, "file", &file) != CWEB_OK
        || file.filename == NULL)
    {
        cweb_set_error(res, "argument \"file\": missing (a file part)");
        res->status = HTTP_400_BAD_REQUEST;
        return -1;
    }

    /* the description must fit the list's MAX_ENTRY bytes */
    if (strlen(file.filename) > 255) {
        cweb_set_error(res, "argument \"file\": a file name over 255 bytes");
        res->status = HTTP_400_BAD_REQUEST;
        return -1;
    }

    if (cweb_shared_incr(ZONE, "uploads:n", 1, &id) != CWEB_OK) {
        cweb_set_error(res, "no cweb_shared_zone \"" ZONE "\"");
        res->status = HTTP_500_INTERNAL_SERVER_ERROR;
        return -1;
    }

    o = json_pack("{s:I,s:s,s:i,s:s,s:s,s:I}", "id", (json_int_t) id,
                  "title", title, "count", count, "color", colors[color],
                  "file", file.filename, "size", (json_int_t) file.len);

    /* names not UTF-8: jansson refuses them, and so do we */
    if (o == NULL) {
        cweb_set_error(res, "the title or the file name is not UTF-8");
        res->status = HTTP_400_BAD_REQUEST;
        return -1;
    }

    text = json_dumps(o, JSON_COMPACT);
    snprintf(key, sizeof(key), "uploads:%" PRId64, id);
    (void) cweb_shared_set(ZONE, key, text, strlen(text), 0);
    free(text);

    cweb_cookie_set(res, "upload_color", colors[color], &keep);
    res->status = HTTP_201_CREATED;
    cweb_json_answer(res, o);
    json_decref(o);

    return 0;
}


/* upload id's description, parsed; NULL when it is gone (evicted) */
static json_t *
entry(int64_t id)
{
    char    key[32], text[MAX_ENTRY];
    size_t  len;

    snprintf(key, sizeof(key), "uploads:%" PRId64, id);

    if (cweb_shared_get(ZONE, key, text, sizeof(text), &len) != CWEB_OK) {
        return NULL;
    }

    return json_loadb(text, len, 0, NULL);
}


/* GET /uploads/list: a JSON list, compressed here at level 6 */
static int
list(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int64_t   n, id;
    json_t   *all, *o;

    if (cweb_shared_get_num(ZONE, "uploads:n", &n) != CWEB_OK) {
        n = 0;
    }

    all = json_array();

    for (id = 1; id <= n; id++) {
        o = entry(id);
        if (o) {
            json_array_append_new(all, o);
        }
    }

    cweb_set_compression(res, 1, 6);
    cweb_json_answer(res, all);
    json_decref(all);

    return 0;
}


/* one CSV field, in quotes with its quotes doubled (RFC 4180) */
static void
csv_field(http_response_t *res, const char *s, const char *after)
{
    const char  *q;

    s = s ? s : "";
    cweb_write(res, "\"", 1);

    while ((q = strchr(s, '"')) != NULL) {
        cweb_write(res, s, (size_t) (q - s) + 1);
        cweb_write(res, "\"", 1);
        s = q + 1;
    }

    cweb_write(res, s, strlen(s));
    cweb_write(res, "\"", 1);
    cweb_write(res, after, strlen(after));
}


/* the export's next 100 rows; the next id in cweb_palloc() memory */
static int
csv_rows(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int       i;
    char      num[64];
    int64_t  *next, n;
    json_t   *o;

    next = cweb_stream_data(res);

    if (cweb_shared_get_num(ZONE, "uploads:n", &n) != CWEB_OK) {
        n = 0;
    }

    for (i = 0; i < 100 && *next <= n; i++, (*next)++) {
        o = entry(*next);
        if (o == NULL) {
            continue;
        }

        snprintf(num, sizeof(num), "%" PRId64 ",", *next);
        cweb_write(res, num, strlen(num));
        csv_field(res, json_string_value(json_object_get(o, "title")), ",");
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT ",",
                 json_integer_value(json_object_get(o, "count")));
        cweb_write(res, num, strlen(num));
        csv_field(res, json_string_value(json_object_get(o, "color")), ",");
        csv_field(res, json_string_value(json_object_get(o, "file")), ",");
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT "\r\n",
                 json_integer_value(json_object_get(o, "size")));
        cweb_write(res, num, strlen(num));
        json_decref(o);
    }

    return *next <= n ? CWEB_AGAIN : 0;
}


static int
export_csv(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    int64_t  *next;

    next = cweb_palloc(req, sizeof(int64_t));
    if (next == NULL) {
        return -1;
    }

    *next = 1;

    cweb_response_header(res, "Content-Type", "text/csv; charset=utf-8");
    cweb_write(res, "id,title,count,color,file,size\r\n", 32);

    return cweb_stream(res, csv_rows, next);
}


export module_t config = {
    .name = "uploads",
    .author = "cweb",
    .routes = {
        {"/uploads", "GET", form, NONE},
        {"/uploads", "POST", upload, CWEB_JSON},
        {"/uploads/list", "GET", list, NONE},
        {"/uploads/export.csv", "GET", export_csv, NONE},
    },
    .size = 4,
};
