
/*
 * The management API ("cweb_mgnt" locations): upload, list, show, delete.
 *
 * POST /mgnt, step by step, without ever blocking the event loop on the
 * compiler or on fsync:
 *   body (memory or temp file) -> source (raw, multipart, form "code")
 *   -> sha256; same source as an active version: "unchanged", no compile
 *   -> src/<sha256>.c -> compiler child (ngx_cweb_compile.c) -> tmp/X.so
 *   -> dlopen + ABI check + validation of config -> commit lock (cluster
 *   wide) -> route conflicts -> version number -> so/NAME-vN-HASH.so
 *   -> thread task: fsync + SQLite commit -> shared registry + generation
 *   -> answer.  Any failure answers with JSON and leaves the running
 *   version active.
 *
 * Every error these locations produce, nginx's own (413, ...) included,
 * leaves as JSON: the header/body filters below replace nginx's HTML.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_diag.h"
#include "ngx_cweb_multipart.h"

#include <dlfcn.h>
#include <openssl/evp.h>


#define NGX_CWEB_MAX_DIAGNOSTICS     64
#define NGX_CWEB_HTTP_UNPROCESSABLE  422
#define NGX_CWEB_LOCK_RETRY       5
#define NGX_CWEB_KEEP_OBJECTS     3     /* active + 2 older per plugin */
#define NGX_CWEB_LOCK_TRIES       2000


typedef struct ngx_cweb_admin_ctx_s  ngx_cweb_admin_ctx_t;

typedef void (*ngx_cweb_admin_step_pt)(ngx_cweb_admin_ctx_t *ctx);


struct ngx_cweb_admin_ctx_s {
    ngx_cweb_json_state_t       json;         /* first: ngx_cweb_json.c */
    ngx_http_request_t         *r;
    ngx_str_t                   name;
    ngx_str_t                   display;      /* file name for diagnostics */
    ngx_str_t                   source;
    ngx_str_t                   src_path;
    ngx_str_t                   tmp_path;
    ngx_str_t                   so_path;
    ngx_cweb_version_rec_t      rec;
    ngx_cweb_compile_t         *cc;

    ngx_event_t                 retry;        /* commit lock */
    ngx_event_t                 hold;         /* keeps a quitting worker */
    ngx_uint_t                  tries;
    ngx_cweb_admin_step_pt      locked;

    ngx_cweb_admin_step_pt      thread_done;
    ngx_int_t                   thread_rc;
    char                        thread_err[256];
    json_t                     *thread_json;

    ngx_uint_t                  status;       /* prepared answer */
    json_t                     *answer;

    unsigned                    has_lock:1;
    unsigned                    existed:1;
};


typedef struct {
    ngx_cweb_admin_ctx_t       *ctx;
    ngx_uint_t                  op;
} ngx_cweb_admin_task_t;


#define NGX_CWEB_TASK_COMMIT   1
#define NGX_CWEB_TASK_DELETE   2
#define NGX_CWEB_TASK_HISTORY  3


static ngx_int_t ngx_cweb_admin_refuse(ngx_http_request_t *r,
    ngx_uint_t status, const char *reason);
static ngx_int_t ngx_cweb_admin_name(ngx_http_request_t *r, ngx_str_t *name);
static ngx_int_t ngx_cweb_admin_list(ngx_http_request_t *r);
static json_t *ngx_cweb_admin_module_json(ngx_cweb_shm_module_t *m);
static json_t *ngx_cweb_admin_manifest_json(u_char *p, size_t len,
    json_t **ws, json_t **jobs);
static void ngx_cweb_admin_upload(ngx_http_request_t *r);
static ngx_int_t ngx_cweb_admin_source(ngx_cweb_admin_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_cweb_admin_form_code(ngx_cweb_admin_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_cweb_admin_unchanged(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_admin_write_source(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_admin_compile(ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_admin_compiled(ngx_cweb_compile_t *cc);
static ngx_int_t ngx_cweb_admin_compile_failed(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_admin_inspect(ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_admin_lock(ngx_cweb_admin_ctx_t *ctx,
    ngx_cweb_admin_step_pt locked);
static void ngx_cweb_admin_retry_handler(ngx_event_t *ev);
static void ngx_cweb_admin_commit(ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_admin_committed(ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_admin_delete(ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_admin_deleted(ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_admin_history(ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_admin_historied(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_admin_post_task(ngx_cweb_admin_ctx_t *ctx,
    ngx_uint_t op, ngx_cweb_admin_step_pt done);
static void ngx_cweb_admin_task_handler(void *data, ngx_log_t *log);
static void ngx_cweb_admin_task_done(ngx_event_t *ev);
static void ngx_cweb_admin_cleanup(void *data);
static void ngx_cweb_admin_hold(ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_admin_hold_handler(ngx_event_t *ev);
static void ngx_cweb_admin_finish(ngx_cweb_admin_ctx_t *ctx, ngx_int_t rc);
static ngx_int_t ngx_cweb_admin_fail(ngx_cweb_admin_ctx_t *ctx,
    ngx_uint_t status, json_t *answer);
static void ngx_cweb_admin_answer(ngx_cweb_admin_ctx_t *ctx, ngx_int_t rc);
static ngx_int_t ngx_cweb_admin_result(ngx_cweb_admin_ctx_t *ctx,
    ngx_uint_t status, const char *state);
static ngx_int_t ngx_cweb_sha256_hex(u_char *data, size_t len, u_char *hex);
static ngx_int_t ngx_cweb_admin_path(ngx_pool_t *pool, ngx_str_t *path,
    const char *fmt, ...);
static ngx_str_t *ngx_cweb_replace(ngx_pool_t *pool, u_char *data,
    size_t len, ngx_str_t *from, ngx_str_t *to);


static ngx_str_t  ngx_cweb_thread_pool_name = ngx_string("default");


ngx_int_t
ngx_cweb_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    const char            *reason;
    ngx_cweb_admin_ctx_t  *ctx;

    ctx = ngx_cweb_admin_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_cweb_auth_check(r, &reason) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "cweb mgnt: %s", reason);
        return ngx_cweb_admin_refuse(r, NGX_HTTP_UNAUTHORIZED, reason);
    }

    if (ngx_cweb_admin_name(r, &ctx->name) != NGX_OK) {
        return ngx_cweb_admin_refuse(r, NGX_HTTP_BAD_REQUEST,
                                     "invalid module name in the path");
    }

    if (r->method != NGX_HTTP_POST || ctx->name.len) {
        /* only an upload has a body; a keep-alive peer may still send one */
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (r->method == NGX_HTTP_GET || r->method == NGX_HTTP_HEAD) {
        if (ctx->name.len == 0) {
            return ngx_cweb_admin_list(r);
        }

        r->main->count++;
        ngx_cweb_admin_hold(ctx);
        ngx_cweb_admin_history(ctx);
        return NGX_DONE;
    }

    if (r->method == NGX_HTTP_DELETE && ctx->name.len) {
        r->main->count++;
        ngx_cweb_admin_hold(ctx);
        ngx_cweb_admin_lock(ctx, ngx_cweb_admin_delete);
        return NGX_DONE;
    }

    if (r->method == NGX_HTTP_POST && ctx->name.len == 0) {
        rc = ngx_http_read_client_request_body(r, ngx_cweb_admin_upload);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    return ngx_cweb_send_error(r, NGX_HTTP_NOT_ALLOWED,
                               "use POST /mgnt, GET /mgnt[/<name>] or "
                               "DELETE /mgnt/<name>");
}


/* an answer before the body was read: the body must not become a request */

static ngx_int_t
ngx_cweb_admin_refuse(ngx_http_request_t *r, ngx_uint_t status,
    const char *reason)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_cweb_send_error(r, status, "%s", reason);
}


void *
ngx_cweb_admin_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t    *cln;
    ngx_cweb_admin_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_cweb_module);
    if (ctx) {
        return ctx;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cweb_admin_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_cweb_admin_cleanup;
    cln->data = ctx;

    ctx->r = r;
    ngx_http_set_ctx(r, ctx, ngx_cweb_module);

    return ctx;
}


/* "/mgnt" -> "", "/mgnt/counter" -> "counter" */

static ngx_int_t
ngx_cweb_admin_name(ngx_http_request_t *r, ngx_str_t *name)
{
    u_char                    *p, *last;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    p = r->uri.data;
    last = p + r->uri.len;

    if (clcf->name.len <= r->uri.len
        && ngx_strncmp(p, clcf->name.data, clcf->name.len) == 0)
    {
        p += clcf->name.len;

    } else {
        p = ngx_strlchr(p + 1, last, '/');
        p = p ? p : last;
    }

    while (p < last && *p == '/') {
        p++;
    }

    while (last > p && last[-1] == '/') {
        last--;
    }

    name->data = p;
    name->len = last - p;

    if (name->len == 0) {
        return NGX_OK;
    }

    return ngx_cweb_name_valid(name->data, name->len);
}


static ngx_int_t
ngx_cweb_admin_list(ngx_http_request_t *r)
{
    json_t                 *list;
    ngx_uint_t              i;
    ngx_array_t             mods;
    ngx_cweb_shm_module_t  *m;

    if (ngx_array_init(&mods, r->pool, 16, sizeof(ngx_cweb_shm_module_t))
        != NGX_OK
        || ngx_cweb_registry_snapshot(r->pool, &mods) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    list = json_array();
    m = mods.elts;

    for (i = 0; i < mods.nelts; i++) {
        json_array_append_new(list, ngx_cweb_admin_module_json(&m[i]));
    }

    return ngx_cweb_send_json(r, NGX_HTTP_OK,
                              json_pack("{s:o}", "modules", list));
}


static json_t *
ngx_cweb_admin_module_json(ngx_cweb_shm_module_t *m)
{
    json_t  *routes, *ws, *jobs;

    routes = ngx_cweb_admin_manifest_json(m->manifest, m->manifest_len, &ws,
                                          &jobs);

    return json_pack("{s:s%,s:I,s:s%,s:s%,s:o,s:o,s:o,s:I,s:I}",
                     "module", m->name, m->name_len,
                     "version", (json_int_t) m->version,
                     "module_hash", m->module_hash,
                     ngx_strnlen(m->module_hash, NGX_CWEB_HASH_LEN),
                     "source_sha256", m->source_sha256,
                     ngx_strnlen(m->source_sha256, NGX_CWEB_HASH_LEN),
                     "routes", routes, "websockets", ws, "jobs", jobs,
                     "compile_ms", (json_int_t) m->compile_ms,
                     "updated_at", (json_int_t) m->updated);
}


static json_t *
ngx_cweb_admin_manifest_json(u_char *p, size_t len, json_t **ws,
    json_t **jobs)
{
    u_char  *last, *nl, *sp;
    json_t  *routes;

    routes = json_array();
    *ws = json_array();
    *jobs = json_array();

    last = p + len;

    while (p && p < last) {
        nl = ngx_strlchr(p, last, '\n');
        if (nl == NULL) {
            nl = last;
        }

        if (nl - p > 2 && *p == 'R') {
            sp = ngx_strlchr(p + 2, nl, ' ');

            if (sp) {
                json_array_append_new(routes,
                    json_pack("{s:o,s:o}",
                              "method", ngx_cweb_json_text(p + 2, sp - p - 2),
                              "path", ngx_cweb_json_text(sp + 1,
                                                         nl - sp - 1)));
            }

        } else if (nl - p > 2 && *p == 'W') {
            json_array_append_new(*ws,
                json_pack("{s:o}", "path",
                          ngx_cweb_json_text(p + 2, nl - p - 2)));

        } else if (nl - p > 2 && *p == 'J') {
            json_array_append_new(*jobs,
                json_pack("{s:o}", "name",
                          ngx_cweb_json_text(p + 2, nl - p - 2)));
        }

        p = nl + 1;
    }

    return routes;
}


/* POST /mgnt */

static void
ngx_cweb_admin_upload(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    ngx_str_t              body;
    ngx_cweb_admin_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_cweb_module);

    /* each step: NGX_OK go on, NGX_DECLINED answer ready, NGX_ERROR */
    rc = ngx_cweb_http_body(r, &body);

    if (rc == NGX_OK) {
        rc = ngx_cweb_admin_source(ctx, &body);
    }

    if (rc == NGX_OK) {
        rc = ngx_cweb_admin_unchanged(ctx);
    }

    if (rc == NGX_OK) {
        rc = ngx_cweb_admin_write_source(ctx);
    }

    if (rc == NGX_OK) {
        rc = ngx_cweb_admin_compile(ctx);
    }

    if (rc == NGX_DONE) {
        /* the compiler's done handler answers; the request stays */
        r->read_event_handler = ngx_http_test_reading;
        ngx_cweb_admin_hold(ctx);
        return;
    }

    ngx_cweb_admin_answer(ctx, rc);
}


static ngx_int_t
ngx_cweb_admin_fail(ngx_cweb_admin_ctx_t *ctx, ngx_uint_t status,
    json_t *answer)
{
    ctx->status = status;
    ctx->answer = answer;

    return NGX_DECLINED;
}


static void
ngx_cweb_admin_answer(ngx_cweb_admin_ctx_t *ctx, ngx_int_t rc)
{
    json_t  *answer;

    if (rc == NGX_DECLINED && ctx->answer) {
        answer = ctx->answer;
        ctx->answer = NULL;
        ngx_cweb_admin_finish(ctx,
                              ngx_cweb_send_json(ctx->r, ctx->status, answer));
        return;
    }

    ngx_cweb_admin_finish(ctx,
        ngx_cweb_send_error(ctx->r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                            "internal error, see the error log"));
}


#define ngx_cweb_admin_error(ctx, status, text)                             \
    ngx_cweb_admin_fail(ctx, status, json_pack("{s:s}", "error", text))


/* NGX_OK with ctx->source, or an answer already sent (rc of the send) */

static ngx_int_t
ngx_cweb_admin_source(ngx_cweb_admin_ctx_t *ctx, ngx_str_t *body)
{
    size_t               i, n, blen;
    ngx_int_t            rc;
    ngx_str_t           *ct;
    const char          *err;
    const u_char        *boundary;
    ngx_http_request_t  *r;
    ngx_cweb_mp_part_t   parts[16], *part;

    r = ctx->r;
    ngx_str_set(&ctx->display, "module.c");
    ctx->source = *body;

    ct = r->headers_in.content_type ? &r->headers_in.content_type->value
                                    : NULL;

    if (ct && ngx_cweb_mp_boundary(ct->data, ct->len, &boundary, &blen) == 0)
    {
        if (ngx_cweb_mp_parse(body->data, body->len, boundary, blen, parts,
                              16, &n, &err)
            != 0)
        {
            return ngx_cweb_admin_fail(ctx, NGX_HTTP_BAD_REQUEST,
                       json_pack("{s:s,s:s}", "error",
                                 "malformed multipart body", "reason", err));
        }

        part = NULL;

        for (i = 0; i < n; i++) {
            if (parts[i].name_len == 4
                && ngx_strncmp(parts[i].name, "code", 4) == 0)
            {
                part = &parts[i];
                break;
            }

            if (parts[i].filename) {
                part = (part == NULL) ? &parts[i] : part;
            }
        }

        if (part == NULL && n == 1) {
            part = &parts[0];
        }

        if (part == NULL) {
            return ngx_cweb_admin_error(ctx, NGX_HTTP_BAD_REQUEST,
                                        "multipart body needs a \"code\" "
                                        "field or a single file part");
        }

        ctx->source.data = (u_char *) part->data;
        ctx->source.len = part->data_len;

        if (part->filename && part->filename_len) {
            ctx->display.data = (u_char *) part->filename;
            ctx->display.len = part->filename_len;
        }

    } else if (ngx_cweb_http_urlencoded(r)) {
        rc = ngx_cweb_admin_form_code(ctx, body);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (ctx->source.len == 0) {
        return ngx_cweb_admin_error(ctx, NGX_HTTP_BAD_REQUEST,
                                    "empty source: send a C file");
    }

    if (ngx_strlchr(ctx->source.data, ctx->source.data + ctx->source.len,
                    '\0'))
    {
        return ngx_cweb_admin_error(ctx, NGX_HTTP_BAD_REQUEST,
                                    "the source contains NUL bytes");
    }

    if (ngx_cweb_sha256_hex(ctx->source.data, ctx->source.len,
                            ctx->rec.source_sha256)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * curl sends application/x-www-form-urlencoded for --data-binary too,
 * which keeps newlines: such a body is the raw source.  "curl -d @file"
 * strips them; a form with a "code" field (--data-urlencode code@f.c) is
 * decoded.
 */

static ngx_int_t
ngx_cweb_admin_form_code(ngx_cweb_admin_ctx_t *ctx, ngx_str_t *body)
{
    u_char  *p, *last, *s, *d;

    p = body->data;
    last = p + body->len;

    if (body->len >= 5 && ngx_strncmp(p, "code=", 5) == 0) {
        p += 5;

    } else if (ngx_strlchr(p, last, '\n') != NULL) {
        return NGX_OK;

    } else {
        p = (u_char *) ngx_strnstr(p, (char *) "&code=", body->len);

        if (p == NULL) {
            return ngx_cweb_admin_fail(ctx, NGX_HTTP_BAD_REQUEST,
                json_pack("{s:s,s:s}", "error",
                          "the source has no newlines: curl -d strips them "
                          "from files",
                          "hint", "send the file with --data-binary @file.c "
                          "or -F code=@file.c"));
        }

        p += 6;
    }

    s = ngx_strlchr(p, last, '&');
    last = s ? s : last;

    for (s = p; s < last; s++) {
        if (*s == '+') {
            *s = ' ';
        }
    }

    s = p;
    d = p;
    ngx_unescape_uri(&d, &s, last - p, 0);

    ctx->source.data = p;
    ctx->source.len = d - p;

    return NGX_OK;
}


/* same source as an active version: answer without compiling */

static ngx_int_t
ngx_cweb_admin_unchanged(ngx_cweb_admin_ctx_t *ctx)
{
    json_t                 *json;
    ngx_cweb_shm_module_t   m;

    if (ngx_cweb_registry_find_source(ctx->rec.source_sha256, &m,
                                      ctx->r->pool)
        != NGX_OK)
    {
        return NGX_OK;
    }

    json = ngx_cweb_admin_module_json(&m);
    json_object_set_new(json, "compile_ms", json_integer(0));
    json_object_set_new(json, "status", json_string("unchanged"));

    return ngx_cweb_admin_fail(ctx, NGX_HTTP_OK, json);
}


static ngx_int_t
ngx_cweb_admin_write_source(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_fd_t               fd;
    ngx_str_t              tmp;
    ngx_file_info_t        fi;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_cweb_shm_ctx()->cmcf;

    if (ngx_cweb_admin_path(ctx->r->pool, &ctx->src_path, "%V/src/%s.c",
                            &cmcf->module_dir, ctx->rec.source_sha256)
        != NGX_OK
        || ngx_cweb_admin_path(ctx->r->pool, &tmp, "%V/tmp/%s.%P.c",
                               &cmcf->module_dir, ctx->rec.source_sha256,
                               ngx_pid)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* content-addressed: an existing file already has these bytes */
    if (ngx_file_info(ctx->src_path.data, &fi) != NGX_FILE_ERROR) {
        return NGX_OK;
    }

    fd = ngx_open_file(tmp.data, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE,
                       NGX_FILE_DEFAULT_ACCESS);
    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_CRIT, ctx->r->connection->log, ngx_errno,
                      ngx_open_file_n " \"%V\" failed", &tmp);
        return NGX_ERROR;
    }

    if (ngx_write_fd(fd, ctx->source.data, ctx->source.len)
        != (ssize_t) ctx->source.len)
    {
        ngx_log_error(NGX_LOG_CRIT, ctx->r->connection->log, ngx_errno,
                      ngx_write_fd_n " \"%V\" failed", &tmp);
        ngx_close_file(fd);
        ngx_delete_file(tmp.data);
        return NGX_ERROR;
    }

    ngx_close_file(fd);

    if (ngx_rename_file(tmp.data, ctx->src_path.data) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, ctx->r->connection->log, ngx_errno,
                      ngx_rename_file_n " \"%V\" failed", &tmp);
        ngx_delete_file(tmp.data);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_admin_compile(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_pool_t            *pool;
    ngx_cweb_compile_t    *cc;
    ngx_cweb_main_conf_t  *cmcf;

    static ngx_uint_t      seq;

    cmcf = ngx_cweb_shm_ctx()->cmcf;

    /* its own pool: a compile outlives a client that went away */
    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    cc = ngx_pcalloc(pool, sizeof(ngx_cweb_compile_t));
    if (cc == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    cc->pool = pool;
    cc->log = ngx_cycle->log;
    cc->source = ctx->src_path;
    cc->done = ngx_cweb_admin_compiled;
    cc->data = ctx;

    if (ngx_cweb_admin_path(pool, &cc->output, "%V/tmp/%*s-%P-%ui.so",
                            &cmcf->module_dir, (size_t) 16,
                            ctx->rec.source_sha256, ngx_pid, seq++)
        != NGX_OK
        || ngx_cweb_compile_start(cc) != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return ngx_cweb_admin_error(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "the compiler could not be started");
    }

    ctx->cc = cc;
    ctx->tmp_path = cc->output;

    return NGX_DONE;
}


static void
ngx_cweb_admin_compiled(ngx_cweb_compile_t *cc)
{
    ngx_int_t              rc;
    ngx_cweb_admin_ctx_t  *ctx;

    ctx = cc->data;

    ctx->r->read_event_handler = ngx_http_block_reading;
    ctx->rec.compile_ms = cc->elapsed;

    if (cc->timed_out || cc->status != 0) {
        rc = ngx_cweb_admin_compile_failed(ctx);
        ngx_delete_file(cc->output.data);
        ngx_cweb_admin_answer(ctx, rc);
        return;
    }

    rc = ngx_cweb_admin_inspect(ctx);

    if (rc != NGX_OK) {
        ngx_delete_file(cc->output.data);
        ngx_cweb_admin_answer(ctx, rc);
        return;
    }

    ngx_cweb_admin_lock(ctx, ngx_cweb_admin_commit);
}


static ngx_int_t
ngx_cweb_admin_compile_failed(ngx_cweb_admin_ctx_t *ctx)
{
    size_t                 i, n;
    json_t                *diags;
    ngx_str_t             *out;
    ngx_cweb_diag_t        d[NGX_CWEB_MAX_DIAGNOSTICS];
    ngx_cweb_compile_t    *cc;
    ngx_cweb_main_conf_t  *cmcf;

    cc = ctx->cc;
    cmcf = ngx_cweb_shm_ctx()->cmcf;

    out = ngx_cweb_replace(ctx->r->pool, cc->out->pos,
                           cc->out->last - cc->out->pos, &ctx->src_path,
                           &ctx->display);
    if (out == NULL) {
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_ERR, ctx->r->connection->log, 0,
                  "cweb compile of \"%V\" failed (%s)", &ctx->display,
                  cc->timed_out ? "timed out" : "errors");

    if (cc->timed_out) {
        return ngx_cweb_admin_fail(ctx, NGX_CWEB_HTTP_UNPROCESSABLE,
                   json_pack("{s:s,s:I,s:o}",
                             "error", "compile timed out",
                             "timeout_ms", (json_int_t) cmcf->compile_timeout,
                             "output", ngx_cweb_json_text(out->data,
                                                          out->len)));
    }

    n = ngx_cweb_diag_parse(out->data, out->len, d, NGX_CWEB_MAX_DIAGNOSTICS);

    diags = json_array();

    for (i = 0; i < n; i++) {
        json_array_append_new(diags,
            json_pack("{s:o,s:i,s:i,s:s,s:o}",
                      "file", ngx_cweb_json_text(d[i].file, d[i].file_len),
                      "line", (int) d[i].line,
                      "column", (int) d[i].column,
                      "severity", d[i].severity,
                      "message", ngx_cweb_json_text(d[i].message,
                                                    d[i].message_len)));
    }

    return ngx_cweb_admin_fail(ctx, NGX_CWEB_HTTP_UNPROCESSABLE,
                              json_pack("{s:s,s:o,s:o}",
                                        "error", "compile failed",
                                        "diagnostics", diags,
                                        "output",
                                        ngx_cweb_json_text(out->data,
                                                           out->len)));
}


/* module hash, ABI, config: checked on the new object before it is live */

static ngx_int_t
ngx_cweb_admin_inspect(ngx_cweb_admin_ctx_t *ctx)
{
    u_char              err[512];
    void               *handle;
    ssize_t             n;
    ngx_fd_t            fd;
    ngx_str_t           so;
    module_t           *config;
    ngx_file_info_t     fi;
    ngx_http_request_t *r;

    r = ctx->r;

    fd = ngx_open_file(ctx->tmp_path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE || ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        if (fd != NGX_INVALID_FILE) {
            ngx_close_file(fd);
        }

        return ngx_cweb_admin_error(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "the compiler produced no object");
    }

    so.len = ngx_file_size(&fi);
    so.data = ngx_pnalloc(r->pool, so.len);
    n = so.data ? ngx_read_fd(fd, so.data, so.len) : -1;
    ngx_close_file(fd);

    if (n != (ssize_t) so.len
        || ngx_cweb_sha256_hex(so.data, so.len, ctx->rec.module_hash)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    handle = ngx_cweb_loader_open(&ctx->tmp_path, &config, err, sizeof(err));

    if (handle == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "cweb plugin from \"%V\" refused: %s", &ctx->display,
                      err);
        return ngx_cweb_admin_fail(ctx, NGX_CWEB_HTTP_UNPROCESSABLE,
                                  json_pack("{s:s,s:o}",
                                            "error", "invalid plugin",
                                            "reason",
                                            ngx_cweb_json_text(err,
                                                ngx_strlen(err))));
    }

    if (ngx_cweb_loader_validate(config, r->pool, &ctx->rec.manifest, err,
                                 sizeof(err))
        != NGX_OK)
    {
        dlclose(handle);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "cweb plugin from \"%V\" refused: %s", &ctx->display,
                      err);
        return ngx_cweb_admin_fail(ctx, NGX_CWEB_HTTP_UNPROCESSABLE,
                                  json_pack("{s:s,s:o}",
                                            "error", "invalid plugin",
                                            "reason",
                                            ngx_cweb_json_text(err,
                                                ngx_strlen(err))));
    }

    /* config lives in the object; copy what outlives the handle */
    ctx->rec.name.len = ngx_strlen(config->name);
    ctx->rec.name.data = ngx_pnalloc(r->pool, ctx->rec.name.len);
    if (ctx->rec.name.data == NULL) {
        dlclose(handle);
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->rec.name.data, config->name, ctx->rec.name.len);

    dlclose(handle);

    return NGX_OK;
}


/* the cluster-wide commit lock, retried from a timer while busy */

static void
ngx_cweb_admin_lock(ngx_cweb_admin_ctx_t *ctx, ngx_cweb_admin_step_pt locked)
{
    ctx->locked = locked;

    if (ngx_cweb_commit_trylock() == NGX_OK) {
        ctx->has_lock = 1;
        locked(ctx);
        return;
    }

    if (++ctx->tries > NGX_CWEB_LOCK_TRIES) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(ctx->r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                "another deployment holds the registry"));
        return;
    }

    ctx->retry.handler = ngx_cweb_admin_retry_handler;
    ctx->retry.data = ctx;
    ctx->retry.log = ctx->r->connection->log;
    ngx_add_timer(&ctx->retry, NGX_CWEB_LOCK_RETRY);
}


static void
ngx_cweb_admin_retry_handler(ngx_event_t *ev)
{
    ngx_cweb_admin_ctx_t  *ctx = ev->data;

    ngx_cweb_admin_lock(ctx, ctx->locked);
}


static void
ngx_cweb_admin_commit(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_int_t              rc;
    ngx_str_t              conflict;
    ngx_http_request_t    *r;
    ngx_cweb_shm_module_t  cur;
    ngx_cweb_main_conf_t  *cmcf;

    r = ctx->r;
    cmcf = ngx_cweb_shm_ctx()->cmcf;

    rc = ngx_cweb_registry_conflict(&ctx->rec.name, &ctx->rec.manifest,
                                    r->pool, &conflict);

    if (rc == NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "cweb plugin \"%V\" refused: route conflict with %V",
                      &ctx->rec.name, &conflict);
        ngx_delete_file(ctx->tmp_path.data);
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_json(r, NGX_HTTP_CONFLICT,
                json_pack("{s:s,s:s%,s:o}",
                          "error", "route conflict",
                          "module", ctx->rec.name.data, ctx->rec.name.len,
                          "reason", ngx_cweb_json_text(conflict.data,
                                                       conflict.len))));
        return;
    }

    ctx->existed = (ngx_cweb_registry_get(&ctx->rec.name, &cur, r->pool)
                    == NGX_OK);

    if (rc == NGX_ERROR
        || ngx_cweb_registry_reserve(&ctx->rec.name, &ctx->rec.version)
           != NGX_OK)
    {
        ngx_delete_file(ctx->tmp_path.data);
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                                "the plugin registry is full"));
        return;
    }

    if (ngx_cweb_admin_path(r->pool, &ctx->rec.so_file, "%V-v%ui-%*s.so",
                            &ctx->rec.name, ctx->rec.version, (size_t) 16,
                            ctx->rec.module_hash)
        != NGX_OK
        || ngx_cweb_admin_path(r->pool, &ctx->so_path, "%V/so/%V",
                               &cmcf->module_dir, &ctx->rec.so_file)
           != NGX_OK)
    {
        ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ngx_rename_file(ctx->tmp_path.data, ctx->so_path.data)
        == NGX_FILE_ERROR)
    {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      ngx_rename_file_n " \"%V\" to \"%V\" failed",
                      &ctx->tmp_path, &ctx->so_path);
        ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->rec.created = ngx_time();

    if (ngx_cweb_admin_post_task(ctx, NGX_CWEB_TASK_COMMIT,
                                 ngx_cweb_admin_committed)
        != NGX_OK)
    {
        ngx_delete_file(ctx->so_path.data);
        ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


static void
ngx_cweb_admin_committed(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_http_request_t  *r;

    r = ctx->r;

    if (ctx->thread_rc != NGX_OK) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                      "cweb plugin \"%V\" not committed: %s",
                      &ctx->rec.name, ctx->thread_err);
        ngx_delete_file(ctx->so_path.data);
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "database write failed: %s",
                                ctx->thread_err));
        return;
    }

    if (ngx_cweb_registry_publish(&ctx->rec) != NGX_OK) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                      "cweb zone is full: plugin \"%V\" version %ui is "
                      "stored but not live until a restart",
                      &ctx->rec.name, ctx->rec.version);
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                                "cweb_zone is full"));
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "cweb plugin \"%V\" version %ui active, generation %ui",
                  &ctx->rec.name, ctx->rec.version,
                  ngx_cweb_shm_generation());

    ngx_cweb_admin_finish(ctx,
        ngx_cweb_admin_result(ctx, ctx->existed ? NGX_HTTP_OK
                                                : NGX_HTTP_CREATED,
                              ctx->existed ? "replaced" : "created"));
}


static ngx_int_t
ngx_cweb_admin_result(ngx_cweb_admin_ctx_t *ctx, ngx_uint_t status,
    const char *state)
{
    json_t  *routes, *ws, *jobs;

    routes = ngx_cweb_admin_manifest_json(ctx->rec.manifest.data,
                                          ctx->rec.manifest.len, &ws, &jobs);

    return ngx_cweb_send_json(ctx->r, status,
               json_pack("{s:s%,s:I,s:s,s:s,s:o,s:o,s:o,s:I,s:s}",
                         "module", ctx->rec.name.data, ctx->rec.name.len,
                         "version", (json_int_t) ctx->rec.version,
                         "module_hash", ctx->rec.module_hash,
                         "source_sha256", ctx->rec.source_sha256,
                         "routes", routes, "websockets", ws, "jobs", jobs,
                         "compile_ms", (json_int_t) ctx->rec.compile_ms,
                         "status", state));
}


/* DELETE /mgnt/<name> */

static void
ngx_cweb_admin_delete(ngx_cweb_admin_ctx_t *ctx)
{
    if (ngx_cweb_admin_post_task(ctx, NGX_CWEB_TASK_DELETE,
                                 ngx_cweb_admin_deleted)
        != NGX_OK)
    {
        ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


static void
ngx_cweb_admin_deleted(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_http_request_t  *r;

    r = ctx->r;

    if (ctx->thread_rc == NGX_DECLINED) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_NOT_FOUND, "no plugin \"%V\"",
                                &ctx->name));
        return;
    }

    if (ctx->thread_rc != NGX_OK) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "database write failed: %s",
                                ctx->thread_err));
        return;
    }

    (void) ngx_cweb_registry_remove(&ctx->name);

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "cweb plugin \"%V\" deleted, generation %ui", &ctx->name,
                  ngx_cweb_shm_generation());

    ngx_cweb_admin_finish(ctx,
        ngx_cweb_send_json(r, NGX_HTTP_OK,
                           json_pack("{s:s%,s:s}",
                                     "module", ctx->name.data, ctx->name.len,
                                     "status", "deleted")));
}


/* GET /mgnt/<name>: the registry entry plus its version history */

static void
ngx_cweb_admin_history(ngx_cweb_admin_ctx_t *ctx)
{
    if (ngx_cweb_admin_post_task(ctx, NGX_CWEB_TASK_HISTORY,
                                 ngx_cweb_admin_historied)
        != NGX_OK)
    {
        ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


static void
ngx_cweb_admin_historied(ngx_cweb_admin_ctx_t *ctx)
{
    json_t                 *json;
    ngx_http_request_t     *r;
    ngx_cweb_shm_module_t   m;

    r = ctx->r;

    if (ctx->thread_rc != NGX_OK) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "database read failed: %s",
                                ctx->thread_err));
        return;
    }

    if (ngx_cweb_registry_get(&ctx->name, &m, r->pool) != NGX_OK) {
        json_decref(ctx->thread_json);
        ctx->thread_json = NULL;
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_NOT_FOUND, "no plugin \"%V\"",
                                &ctx->name));
        return;
    }

    json = ngx_cweb_admin_module_json(&m);
    json_object_set_new(json, "versions", ctx->thread_json);
    ctx->thread_json = NULL;

    ngx_cweb_admin_finish(ctx, ngx_cweb_send_json(r, NGX_HTTP_OK, json));
}


/*
 * SQLite work runs in the "default" thread pool; the request is blocked
 * (as nginx does for aio threads) so it cannot be freed meanwhile
 */

static ngx_int_t
ngx_cweb_admin_post_task(ngx_cweb_admin_ctx_t *ctx, ngx_uint_t op,
    ngx_cweb_admin_step_pt done)
{
    ngx_thread_pool_t      *tp;
    ngx_thread_task_t      *task;
    ngx_http_request_t     *r;
    ngx_cweb_admin_task_t  *t;

    r = ctx->r;

    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle,
                             &ngx_cweb_thread_pool_name);
    if (tp == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "cweb thread pool \"default\" not found");
        return NGX_ERROR;
    }

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_cweb_admin_task_t));
    if (task == NULL) {
        return NGX_ERROR;
    }

    t = task->ctx;
    t->ctx = ctx;
    t->op = op;

    ctx->thread_done = done;

    task->handler = ngx_cweb_admin_task_handler;
    task->event.handler = ngx_cweb_admin_task_done;
    task->event.data = ctx;

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        return NGX_ERROR;
    }

    r->main->blocked++;
    r->aio = 1;

    return NGX_OK;
}


/* runs in a pool thread: no nginx pools, events or logging context */

static void
ngx_cweb_admin_task_handler(void *data, ngx_log_t *log)
{
    ngx_cweb_admin_task_t *t = data;

    int                    fd;
    void                  *db;
    ngx_cweb_admin_ctx_t  *ctx;

    ctx = t->ctx;

    db = ngx_cweb_store_worker_db(log);
    if (db == NULL) {
        ctx->thread_rc = NGX_ERROR;
        ngx_cpystrn((u_char *) ctx->thread_err,
                    (u_char *) "the database cannot be opened",
                    sizeof(ctx->thread_err));
        return;
    }

    switch (t->op) {

    case NGX_CWEB_TASK_COMMIT:
        /* the row may only point at files that survive a power loss */
        fd = open((char *) ctx->src_path.data, O_RDONLY);
        if (fd != -1) {
            (void) fsync(fd);
            close(fd);
        }

        fd = open((char *) ctx->so_path.data, O_RDONLY);
        if (fd != -1) {
            (void) fsync(fd);
            close(fd);
        }

        ctx->thread_rc = ngx_cweb_store_commit(db, &ctx->rec, ctx->thread_err,
                                               sizeof(ctx->thread_err));

        if (ctx->thread_rc == NGX_OK) {
            ngx_cweb_store_prune(db, &ctx->rec,
                                 &ngx_cweb_shm_ctx()->cmcf->module_dir,
                                 NGX_CWEB_KEEP_OBJECTS);
        }

        break;

    case NGX_CWEB_TASK_DELETE:
        ctx->thread_rc = ngx_cweb_store_delete(db, &ctx->name,
                                               ctx->thread_err,
                                               sizeof(ctx->thread_err));
        break;

    default: /* NGX_CWEB_TASK_HISTORY */
        ctx->thread_json = ngx_cweb_store_history(db, &ctx->name,
                                                  ctx->thread_err,
                                                  sizeof(ctx->thread_err));
        ctx->thread_rc = ctx->thread_json ? NGX_OK : NGX_ERROR;
        break;
    }
}


static void
ngx_cweb_admin_task_done(ngx_event_t *ev)
{
    ngx_cweb_admin_ctx_t  *ctx = ev->data;

    ngx_http_request_t  *r;

    r = ctx->r;

    r->main->blocked--;
    r->aio = 0;

    ctx->thread_done(ctx);
}


/*
 * A quitting worker (reload) exits as soon as only cancelable timers are
 * left, even with a request in progress.  From its first asynchronous
 * step until the answer, an admin request therefore holds a
 * non-cancelable timer; it is only a backstop and never expected to fire.
 */

static void
ngx_cweb_admin_hold(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_cweb_main_conf_t  *cmcf;

    if (ctx->hold.timer_set) {
        return;
    }

    cmcf = ngx_cweb_shm_ctx()->cmcf;

    ctx->hold.handler = ngx_cweb_admin_hold_handler;
    ctx->hold.data = ctx;
    ctx->hold.log = ctx->r->connection->log;
    ngx_add_timer(&ctx->hold, cmcf->compile_timeout + 60000);
}


static void
ngx_cweb_admin_hold_handler(ngx_event_t *ev)
{
    ngx_cweb_admin_ctx_t  *ctx = ev->data;

    ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                  "cweb mgnt request still unanswered after %M ms",
                  ngx_cweb_shm_ctx()->cmcf->compile_timeout + 60000);

    ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
}


static void
ngx_cweb_admin_finish(ngx_cweb_admin_ctx_t *ctx, ngx_int_t rc)
{
    if (ctx->hold.timer_set) {
        ngx_del_timer(&ctx->hold);
    }

    if (ctx->has_lock) {
        ctx->has_lock = 0;
        ngx_cweb_commit_unlock();
    }

    ngx_http_finalize_request(ctx->r, rc);
}


static void
ngx_cweb_admin_cleanup(void *data)
{
    ngx_cweb_admin_ctx_t  *ctx = data;

    if (ctx->retry.timer_set) {
        ngx_del_timer(&ctx->retry);
    }

    if (ctx->hold.timer_set) {
        ngx_del_timer(&ctx->hold);
    }

    if (ctx->cc && !ctx->cc->finished) {
        ngx_cweb_compile_abort(ctx->cc);

    } else if (ctx->cc) {
        ngx_destroy_pool(ctx->cc->pool);
    }

    ctx->cc = NULL;

    if (ctx->has_lock) {
        ctx->has_lock = 0;
        ngx_cweb_commit_unlock();
    }

    if (ctx->thread_json) {
        json_decref(ctx->thread_json);
    }

    if (ctx->answer) {
        json_decref(ctx->answer);
    }
}


static ngx_int_t
ngx_cweb_sha256_hex(u_char *data, size_t len, u_char *hex)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  mdlen;

    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        return NGX_ERROR;
    }

    *ngx_hex_dump(hex, md, mdlen) = '\0';

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_admin_path(ngx_pool_t *pool, ngx_str_t *path, const char *fmt, ...)
{
    u_char   buf[NGX_MAX_PATH], *p;
    va_list  args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf) - 1, fmt, args);
    va_end(args);

    path->len = p - buf;
    path->data = ngx_pnalloc(pool, path->len + 1);
    if (path->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(path->data, buf, path->len);
    path->data[path->len] = '\0';

    return NGX_OK;
}


static ngx_str_t *
ngx_cweb_replace(ngx_pool_t *pool, u_char *data, size_t len, ngx_str_t *from,
    ngx_str_t *to)
{
    u_char     *p, *last, *hit, *d;
    size_t      n;
    ngx_str_t  *out;

    out = ngx_palloc(pool, sizeof(ngx_str_t));
    if (out == NULL) {
        return NULL;
    }

    last = data + len;
    n = 0;

    for (p = data; (hit = ngx_strlcasestrn(p, last, from->data,
                                           from->len - 1));
         p = hit + from->len)
    {
        n++;
    }

    out->data = ngx_pnalloc(pool, len + n * to->len + 1);
    if (out->data == NULL) {
        return NULL;
    }

    d = out->data;

    for (p = data; (hit = ngx_strlcasestrn(p, last, from->data,
                                           from->len - 1));
         p = hit + from->len)
    {
        d = ngx_cpymem(d, p, hit - p);
        d = ngx_cpymem(d, to->data, to->len);
    }

    d = ngx_cpymem(d, p, last - p);
    *d = '\0';
    out->len = d - out->data;

    return out;
}
