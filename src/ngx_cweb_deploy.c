
/*
 * The deploy pipeline of POST /mgnt, step by step, without ever blocking
 * the event loop on the compiler, the canary or fsync:
 *   body (memory or temp file) -> source (raw, multipart, form "code")
 *   -> sha256; same source as the active version: "unchanged", no compile
 *   -> src/<sha256>.c -> compiler child (ngx_cweb_compile.c) -> tmp/X.so
 *   -> canary (ngx_cweb_canary.c): constructors, config, onload, unload,
 *      destructors in a throwaway process; the object's hash and manifest
 *   -> commit lock (cluster wide) -> route conflicts
 *   -> thread task: version number, so/NAME-vN-HASH.so, fsync of files
 *      and directories, SQLite commit, pruning
 *   -> shared registry + generation -> answer.
 * Any failure answers with JSON and leaves the running version active.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_admin.h"
#include "ngx_cweb_canary.h"
#include "ngx_cweb_compile.h"
#include "ngx_cweb_diag.h"
#include "ngx_cweb_http.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_manifest.h"
#include "ngx_cweb_multipart.h"
#include "ngx_cweb_shm.h"
#include "ngx_cweb_store.h"

#include <openssl/evp.h>


#define NGX_CWEB_MAX_DIAGNOSTICS     64


static ngx_int_t ngx_cweb_deploy_source(ngx_cweb_admin_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_cweb_deploy_form_code(ngx_cweb_admin_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_cweb_deploy_unchanged(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_deploy_write_source(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_deploy_compile(ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_deploy_compiled(ngx_cweb_compile_t *cc);
static ngx_int_t ngx_cweb_deploy_compile_failed(ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_deploy_canary(ngx_cweb_admin_ctx_t *ctx,
    ngx_cweb_compile_t *cc);
static void ngx_cweb_deploy_checked(ngx_cweb_admin_ctx_t *ctx,
    ngx_cweb_canary_t *cn);
static void ngx_cweb_deploy_canaried(ngx_cweb_canary_t *cn);
static ngx_int_t ngx_cweb_deploy_refused(ngx_cweb_admin_ctx_t *ctx,
    json_t *res);
static ngx_int_t ngx_cweb_deploy_invalid(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_deploy_accept(ngx_cweb_admin_ctx_t *ctx,
    json_t *res);
static void ngx_cweb_deploy_commit(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_deploy_commit_task(ngx_cweb_admin_ctx_t *ctx,
    void *db, ngx_pool_t *pool);
static void ngx_cweb_deploy_committed(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_deploy_result(ngx_cweb_admin_ctx_t *ctx,
    ngx_uint_t status, const char *state);
static ngx_int_t ngx_cweb_sha256_hex(u_char *data, size_t len, u_char *hex);
static ngx_int_t ngx_cweb_deploy_path(ngx_pool_t *pool, ngx_str_t *path,
    const char *fmt, ...);
static void ngx_cweb_deploy_cleanup(void *data);
static ngx_str_t *ngx_cweb_replace(ngx_pool_t *pool, u_char *data,
    size_t len, ngx_str_t *from, ngx_str_t *to);


/* the body handler of POST /mgnt */

void
ngx_cweb_deploy_upload(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    ngx_str_t              body;
    ngx_pool_cleanup_t    *cln;
    ngx_cweb_admin_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_cweb_module);

    /* a client that goes away takes its compiler and canary run along */
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ngx_cweb_admin_answer(ctx, NGX_ERROR);
        return;
    }

    cln->handler = ngx_cweb_deploy_cleanup;
    cln->data = ctx;

    /* each step: NGX_OK go on, NGX_DECLINED answer ready, NGX_ERROR */
    rc = ngx_cweb_http_body(r, &body);

    if (rc == NGX_OK) {
        rc = ngx_cweb_deploy_source(ctx, &body);
    }

    if (rc == NGX_OK) {
        rc = ngx_cweb_deploy_unchanged(ctx);
    }

    if (rc == NGX_OK) {
        rc = ngx_cweb_deploy_write_source(ctx);
    }

    if (rc == NGX_OK) {
        rc = ngx_cweb_deploy_compile(ctx);
    }

    if (rc == NGX_DONE) {
        /* the compiler's and the canary's handlers go on; the request stays */
        r->read_event_handler = ngx_http_test_reading;
        ngx_cweb_admin_hold(ctx);
        return;
    }

    ngx_cweb_admin_answer(ctx, rc);
}


/* NGX_OK with ctx->source, or an answer already sent (rc of the send) */

static ngx_int_t
ngx_cweb_deploy_source(ngx_cweb_admin_ctx_t *ctx, ngx_str_t *body)
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
            return ngx_cweb_admin_prepare(ctx, NGX_HTTP_BAD_REQUEST,
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
        rc = ngx_cweb_deploy_form_code(ctx, body);
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
ngx_cweb_deploy_form_code(ngx_cweb_admin_ctx_t *ctx, ngx_str_t *body)
{
    u_char  *p, *last, *s;

    p = body->data;
    last = p + body->len;

    if (body->len >= 5 && ngx_strncmp(p, "code=", 5) == 0) {
        p += 5;

    } else if (ngx_strlchr(p, last, '\n') != NULL) {
        return NGX_OK;

    } else {
        p = (u_char *) ngx_strnstr(p, (char *) "&code=", body->len);

        if (p == NULL) {
            return ngx_cweb_admin_prepare(ctx, NGX_HTTP_BAD_REQUEST,
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

    ctx->source.data = p;
    ctx->source.len = ngx_cweb_form_unescape(p, last - p);

    return NGX_OK;
}


/* same source as an active version: answer without compiling */

static ngx_int_t
ngx_cweb_deploy_unchanged(ngx_cweb_admin_ctx_t *ctx)
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

    return ngx_cweb_admin_prepare(ctx, NGX_HTTP_OK, json);
}


static ngx_int_t
ngx_cweb_deploy_write_source(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_fd_t               fd;
    ngx_str_t              tmp;
    ngx_file_info_t        fi;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_cweb_conf();

    if (ngx_cweb_deploy_path(ctx->r->pool, &ctx->src_path, "%V/src/%s.c",
                            &cmcf->module_dir, ctx->rec.source_sha256)
        != NGX_OK
        || ngx_cweb_deploy_path(ctx->r->pool, &tmp, "%V/tmp/%s.%P.c",
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
ngx_cweb_deploy_compile(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_pool_t            *pool;
    ngx_cweb_compile_t    *cc;
    ngx_cweb_main_conf_t  *cmcf;

    static ngx_uint_t      seq;

    cmcf = ngx_cweb_conf();

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
    cc->done = ngx_cweb_deploy_compiled;
    cc->data = ctx;

    if (ngx_cweb_deploy_path(pool, &cc->output, "%V/tmp/%*s.%P.%ui.so",
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


/*
 * the compiler's and the canary's answers come on events of their own, not
 * the request's: what the request posted (its finalization) runs after
 */

static void
ngx_cweb_deploy_compiled(ngx_cweb_compile_t *cc)
{
    ngx_cweb_admin_ctx_t  *ctx = cc->data;

    ngx_connection_t  *c;

    c = ctx->r->connection;
    ngx_cweb_deploy_canary(ctx, cc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_cweb_deploy_canaried(ngx_cweb_canary_t *cn)
{
    ngx_cweb_admin_ctx_t  *ctx = cn->data;

    ngx_connection_t  *c;

    c = ctx->r->connection;
    ngx_cweb_deploy_checked(ctx, cn);
    ngx_http_run_posted_requests(c);
}


/* compiled: the canary tries the object (or the compile failed) */

static void
ngx_cweb_deploy_canary(ngx_cweb_admin_ctx_t *ctx, ngx_cweb_compile_t *cc)
{
    ngx_int_t           rc;
    ngx_cweb_canary_t  *cn;

    ctx->rec.compile_ms = cc->elapsed;

    if (cc->timed_out || cc->status != 0) {
        ctx->r->read_event_handler = ngx_http_block_reading;
        rc = ngx_cweb_deploy_compile_failed(ctx);
        ngx_delete_file(cc->output.data);
        ngx_cweb_admin_answer(ctx, rc);
        return;
    }

    /* the new code runs first in the canary, never here */
    cn = ngx_pcalloc(ctx->r->pool, sizeof(ngx_cweb_canary_t));
    if (cn == NULL) {
        ngx_delete_file(cc->output.data);
        ngx_cweb_admin_answer(ctx, NGX_ERROR);
        return;
    }

    cn->path = ctx->tmp_path;
    cn->pool = ctx->r->pool;
    cn->log = ctx->r->connection->log;
    cn->done = ngx_cweb_deploy_canaried;
    cn->data = ctx;

    ctx->cn = cn;

    if (ngx_cweb_canary_start(cn) != NGX_OK) {
        ctx->r->read_event_handler = ngx_http_block_reading;
        ngx_delete_file(cc->output.data);
        ngx_cweb_admin_answer(ctx, NGX_ERROR);
    }
}


static ngx_int_t
ngx_cweb_deploy_compile_failed(ngx_cweb_admin_ctx_t *ctx)
{
    size_t                 i, n;
    json_t                *diags;
    ngx_str_t             *out;
    ngx_cweb_diag_t        d[NGX_CWEB_MAX_DIAGNOSTICS];
    ngx_cweb_compile_t    *cc;
    ngx_cweb_main_conf_t  *cmcf;

    cc = ctx->cc;
    cmcf = ngx_cweb_conf();

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
        return ngx_cweb_admin_prepare(ctx, NGX_CWEB_HTTP_UNPROCESSABLE,
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

    return ngx_cweb_admin_prepare(ctx, NGX_CWEB_HTTP_UNPROCESSABLE,
                              json_pack("{s:s,s:o,s:o}",
                                        "error", "compile failed",
                                        "diagnostics", diags,
                                        "output",
                                        ngx_cweb_json_text(out->data,
                                                           out->len)));
}


/* module hash, ABI, config: checked on the new object before it is live */


/* the canary's verdict: committed, or answered with why not */

static void
ngx_cweb_deploy_checked(ngx_cweb_admin_ctx_t *ctx, ngx_cweb_canary_t *cn)
{
    ngx_int_t  rc;

    ctx->r->read_event_handler = ngx_http_block_reading;
    ctx->canary_ms = cn->elapsed;

    if (cn->rc == NGX_ERROR) {
        ngx_delete_file(ctx->tmp_path.data);
        ngx_cweb_admin_answer(ctx,
            ngx_cweb_admin_error(ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "the canary process is not available, "
                                 "try again"));
        return;
    }

    rc = (cn->rc == NGX_OK) ? ngx_cweb_deploy_accept(ctx, cn->result)
                            : ngx_cweb_deploy_refused(ctx, cn->result);

    json_decref(cn->result);
    cn->result = NULL;

    if (rc != NGX_OK) {
        ngx_delete_file(ctx->tmp_path.data);
        ngx_cweb_admin_answer(ctx, rc);
        return;
    }

    ngx_cweb_admin_lock(ctx, ngx_cweb_deploy_commit);
}


/*
 * 422: what the canary refused, or how the canary child ended; every
 * field is checked for its type first, the canary's answer relays what a
 * process that ran plugin code wrote
 */

static ngx_int_t
ngx_cweb_deploy_refused(ngx_cweb_admin_ctx_t *ctx, json_t *res)
{
    u_char       how[64];
    json_t      *phase, *v;
    const char  *status, *key;

    status = json_string_value(json_object_get(res, "status"));

    if (status && ngx_strcmp(status, "refused") == 0) {
        v = json_object_get(res, "reason");

        if (!json_is_string(v)) {
            return ngx_cweb_deploy_invalid(ctx);
        }

        ngx_log_error(NGX_LOG_ERR, ctx->r->connection->log, 0,
                      "cweb plugin from \"%V\" refused: %s", &ctx->display,
                      json_string_value(v));

        return ngx_cweb_admin_prepare(ctx, NGX_CWEB_HTTP_UNPROCESSABLE,
                   json_pack("{s:s,s:O}", "error", "invalid plugin",
                             "reason", v));
    }

    phase = json_object_get(res, "phase");

    if (status == NULL || ngx_strcmp(status, "failed") != 0
        || !json_is_string(phase))
    {
        return ngx_cweb_deploy_invalid(ctx);
    }

    if (json_is_string(v = json_object_get(res, "signal"))) {
        key = "signal";
        ngx_snprintf(how, sizeof(how), "%s%Z", json_string_value(v));

    } else if (json_is_integer(v = json_object_get(res, "timeout_ms"))) {
        key = "timeout_ms";
        ngx_snprintf(how, sizeof(how), "still running after %L ms%Z",
                     (int64_t) json_integer_value(v));

    } else if (json_is_integer(v = json_object_get(res, "exit_code"))) {
        key = "exit_code";
        ngx_snprintf(how, sizeof(how), "exit code %L%Z",
                     (int64_t) json_integer_value(v));

    } else {
        return ngx_cweb_deploy_invalid(ctx);
    }

    ngx_log_error(NGX_LOG_ERR, ctx->r->connection->log, 0,
                  "cweb plugin from \"%V\" failed its canary during %s: %s",
                  &ctx->display, json_string_value(phase), how);

    return ngx_cweb_admin_prepare(ctx, NGX_CWEB_HTTP_UNPROCESSABLE,
               json_pack("{s:s,s:O,s:O}", "error",
                         "the plugin failed its canary", "phase", phase,
                         key, v));
}


static ngx_int_t
ngx_cweb_deploy_invalid(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_log_error(NGX_LOG_ERR, ctx->r->connection->log, 0,
                  "cweb plugin from \"%V\" refused: the canary's answer is "
                  "not valid", &ctx->display);

    return ngx_cweb_admin_error(ctx, NGX_CWEB_HTTP_UNPROCESSABLE,
                                "the canary's answer is not valid");
}


/* what the canary says, checked again: it ran plugin code */

static ngx_int_t
ngx_cweb_deploy_accept(ngx_cweb_admin_ctx_t *ctx, json_t *res)
{
    u_char      err[512];
    json_t     *name, *hash, *manifest;
    ngx_str_t   text;

    name = json_object_get(res, "name");
    hash = json_object_get(res, "module_hash");
    manifest = json_object_get(res, "manifest");

    if (!json_is_string(name) || !json_is_string(hash)
        || !json_is_string(manifest)
        || json_string_length(name) == 0
        || json_string_length(name) >= NGX_CWEB_NAME_LEN
        || json_string_length(hash) != NGX_CWEB_HASH_LEN
        || ngx_cweb_module_name_valid((u_char *) json_string_value(name),
                                      json_string_length(name))
           != NGX_OK
        || ngx_cweb_store_hex((u_char *) json_string_value(hash),
                              NGX_CWEB_HASH_LEN)
           != NGX_OK)
    {
        return ngx_cweb_deploy_invalid(ctx);
    }

    ctx->rec.name.len = json_string_length(name);
    ctx->rec.name.data = ngx_pnalloc(ctx->r->pool, ctx->rec.name.len);
    text.len = json_string_length(manifest);
    text.data = ngx_pnalloc(ctx->r->pool, text.len + 1);

    if (ctx->rec.name.data == NULL || text.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->rec.name.data, json_string_value(name),
               ctx->rec.name.len);
    ngx_memcpy(text.data, json_string_value(manifest), text.len);
    ngx_memcpy(ctx->rec.module_hash, json_string_value(hash),
               NGX_CWEB_HASH_LEN);
    ctx->rec.module_hash[NGX_CWEB_HASH_LEN] = '\0';
    ctx->rec.manifest = text;

    if (ngx_cweb_manifest_parse(&text, ctx->r->pool, &ctx->items, err,
                                sizeof(err))
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, ctx->r->connection->log, 0,
                      "cweb plugin from \"%V\" refused: %s", &ctx->display,
                      err);
        return ngx_cweb_admin_prepare(ctx, NGX_CWEB_HTTP_UNPROCESSABLE,
                   json_pack("{s:s,s:o}", "error", "invalid plugin",
                             "reason", ngx_cweb_json_text(err,
                                                          ngx_strlen(err))));
    }

    return NGX_OK;
}


/* under the commit lock: conflicts, then the durable part in a thread */

static void
ngx_cweb_deploy_commit(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_int_t            rc;
    ngx_str_t            conflict;
    ngx_http_request_t  *r;

    r = ctx->r;

    rc = ngx_cweb_manifest_conflict(&ctx->rec.name, &ctx->items, r->pool,
                                    &conflict);

    if (rc == NGX_DECLINED) {
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

    ctx->rec.created = ngx_time();
    ctx->rec.so_file.data = ctx->so_file;
    ctx->rec.state = NGX_CWEB_MOD_ACTIVE;

    if (rc != NGX_OK
        || ngx_cweb_admin_post_task(ctx, ngx_cweb_deploy_commit_task,
                                    ngx_cweb_deploy_committed)
           != NGX_OK)
    {
        ngx_delete_file(ctx->tmp_path.data);
        ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


static ngx_int_t
ngx_cweb_deploy_commit_task(ngx_cweb_admin_ctx_t *ctx, void *db,
    ngx_pool_t *pool)
{
    return ngx_cweb_store_commit(db, &ctx->rec,
                                 &ngx_cweb_conf()->module_dir,
                                 &ctx->tmp_path, &ctx->src_path,
                                 &ctx->existed, pool, ctx->task_err,
                                 sizeof(ctx->task_err));
}


static void
ngx_cweb_deploy_committed(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_http_request_t  *r;

    r = ctx->r;

    if (ctx->task_rc != NGX_OK) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                      "cweb plugin \"%V\" not committed: %s",
                      &ctx->rec.name, ctx->task_err);
        ngx_delete_file(ctx->tmp_path.data);
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "database write failed: %s",
                                ctx->task_err));
        return;
    }

    if (ngx_cweb_registry_publish(&ctx->rec) != NGX_OK) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                      "cweb registry is full: plugin \"%V\" version %ui is "
                      "stored but not live until a restart",
                      &ctx->rec.name, ctx->rec.version);
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                                "the plugin registry is full"));
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "cweb plugin \"%V\" version %ui active, generation %ui",
                  &ctx->rec.name, ctx->rec.version,
                  ngx_cweb_shm_generation());

    ngx_cweb_admin_finish(ctx,
        ngx_cweb_deploy_result(ctx, ctx->existed ? NGX_HTTP_OK
                                                 : NGX_HTTP_CREATED,
                               ctx->existed ? "replaced" : "created"));
}


static ngx_int_t
ngx_cweb_deploy_result(ngx_cweb_admin_ctx_t *ctx, ngx_uint_t status,
    const char *state)
{
    json_t  *routes, *ws, *jobs;

    routes = ngx_cweb_admin_manifest_json(ctx->rec.manifest.data,
                                          ctx->rec.manifest.len, &ws, &jobs,
                                          NULL);

    return ngx_cweb_send_json(ctx->r, status,
               json_pack("{s:s%,s:I,s:s,s:s,s:o,s:o,s:o,s:I,s:I,s:s}",
                         "module", ctx->rec.name.data, ctx->rec.name.len,
                         "version", (json_int_t) ctx->rec.version,
                         "module_hash", ctx->rec.module_hash,
                         "source_sha256", ctx->rec.source_sha256,
                         "routes", routes, "websockets", ws, "jobs", jobs,
                         "compile_ms", (json_int_t) ctx->rec.compile_ms,
                         "canary_ms", (json_int_t) ctx->canary_ms,
                         "status", state));
}


static void
ngx_cweb_deploy_cleanup(void *data)
{
    ngx_cweb_admin_ctx_t  *ctx = data;

    if (ctx->cc && !ctx->cc->finished) {
        ngx_cweb_compile_abort(ctx->cc);

    } else if (ctx->cc) {
        ngx_destroy_pool(ctx->cc->pool);
    }

    ctx->cc = NULL;

    if (ctx->cn) {
        ngx_cweb_canary_abort(ctx->cn);
        ctx->cn = NULL;
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


static ngx_int_t
ngx_cweb_deploy_path(ngx_pool_t *pool, ngx_str_t *path, const char *fmt, ...)
{
    u_char     buf[NGX_MAX_PATH];
    va_list    args;
    ngx_int_t  rc;

    /* a path that does not fit is an error, never cut into another name */
    va_start(args, fmt);
    rc = ngx_cweb_store_vpath(buf, sizeof(buf), fmt, args);
    va_end(args);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    path->len = ngx_strlen(buf);
    path->data = ngx_pnalloc(pool, path->len + 1);
    if (path->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(path->data, buf, path->len);
    path->data[path->len] = '\0';

    return NGX_OK;
}
