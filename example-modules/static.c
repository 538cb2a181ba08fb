/*
 * static.c - serves the files under STATIC_ROOT on GET /static/<path>,
 * text or binary, of any size.
 *
 *   curl --data-binary @example-modules/static.c localhost:8080/mgnt
 *   curl localhost:8080/static/index.html
 *
 * The root is fixed when the plugin is compiled: the default below, or
 * another one from nginx.conf (http level), e.g.
 *
 *   cweb_cflags "-O2 -g -DSTATIC_ROOT=\"/srv/www\"";
 *
 * The route is a regex ("/static/.*").  A path with ".." anywhere is
 * refused with 403, a missing file (or a directory) is a 404.  The file is
 * answered with cweb_send_file(): nginx sends it from its own file
 * buffers (sendfile where nginx uses it, open_file_cache, ranges,
 * Last-Modified), so nothing is read into the worker's memory and a file
 * of any size costs no more than a small one.
 */

#include <limits.h>
#include <stdio.h>
#include <strings.h>
#include <cweb.h>

#ifndef STATIC_ROOT
#define STATIC_ROOT  "/var/lib/cweb/static"
#endif

#define PREFIX      "/static"


static const struct {
    const char  *ext;
    const char  *type;
} types[] = {
    { ".html", "text/html" },
    { ".htm",  "text/html" },
    { ".css",  "text/css" },
    { ".js",   "application/javascript" },
    { ".json", "application/json" },
    { ".txt",  "text/plain" },
    { ".svg",  "image/svg+xml" },
    { ".png",  "image/png" },
    { ".jpg",  "image/jpeg" },
    { ".jpeg", "image/jpeg" },
    { ".gif",  "image/gif" },
    { ".ico",  "image/x-icon" },
    { ".pdf",  "application/pdf" },
    { ".wasm", "application/wasm" },
};


static const char *
content_type(const char *path)
{
    size_t       i;
    const char  *ext, *slash;

    ext = strrchr(path, '.');
    slash = strrchr(path, '/');

    if (ext == NULL || (slash != NULL && ext < slash)) {
        return "application/octet-stream";
    }

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcasecmp(ext, types[i].ext) == 0) {
            return types[i].type;
        }
    }

    return "application/octet-stream";
}


static int
text_reply(http_response_t *res, http_error_t status, const char *text)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "%s\n", text);
    http_kv_insert(res->headers, "Content-Type", strdup("text/plain"));
    res->status = status;

    return 0;
}


static int
static_route(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    char          file[PATH_MAX];
    const char   *name;

    /* req->path is decoded: "%2e%2e" arrives as ".." and is caught too */
    if (strstr(req->path, "..") != NULL) {
        return text_reply(res, HTTP_403_FORBIDDEN, "forbidden");
    }

    name = req->path + sizeof(PREFIX) - 1;      /* "/dir/file.txt" */

    if ((size_t) snprintf(file, sizeof(file), "%s%s", STATIC_ROOT, name)
        >= sizeof(file))
    {
        return text_reply(res, HTTP_414_URI_TOO_LONG, "path too long");
    }

    if (cweb_send_file(res, file) != CWEB_OK) {
        return text_reply(res, HTTP_404_NOT_FOUND, "not found");
    }

    /* a type of our own: the plugin's wins over nginx's by extension */
    http_kv_insert(res->headers, "Content-Type", strdup(content_type(file)));

    res->status = HTTP_200_OK;

    return 0;
}


export module_t config = {
    .name = "static",
    .author = "cweb",
    .routes = {
        /* a path with a regex metacharacter is an anchored regex */
        {"/static/.*", "GET", static_route, NONE},
    },
    .size = 1,
};
