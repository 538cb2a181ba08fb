
/*
 * The management API ("cweb_mgnt" locations), its HTTP surface:
 *   POST   /mgnt                     deploy (ngx_cweb_deploy.c)
 *   GET    /mgnt                     list
 *   GET    /mgnt/<name>              one plugin: versions, faults, quarantine
 *   DELETE /mgnt/<name>              unload everywhere, persisted
 *   POST   /mgnt/<name>/rollback     {"version": N} optional: re-activate a
 *                                    stored earlier version, no compile
 * (the rollback in ngx_cweb_rollback.c, the deploy in ngx_cweb_deploy.c;
 * the request's life outside its handlers, which they share, in
 * ngx_cweb_admin_task.c).
 *
 * Every error these locations produce, nginx's own (413, ...) included,
 * leaves as JSON (ngx_cweb_json.c).
 */


#include "ngx_cweb.h"
#include "ngx_cweb_admin.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_manifest.h"
#include "ngx_cweb_shm.h"
#include "ngx_cweb_store.h"


#define NGX_CWEB_WAIT_STEP        20
#define NGX_CWEB_WAIT_START       10000


static ngx_int_t ngx_cweb_admin_dispatch(ngx_http_request_t *r,
    ngx_cweb_admin_ctx_t *ctx);
static void ngx_cweb_admin_wait_handler(ngx_event_t *ev);
static ngx_int_t ngx_cweb_admin_refuse(ngx_http_request_t *r,
    ngx_uint_t status, const char *reason);
static ngx_int_t ngx_cweb_admin_name(ngx_http_request_t *r,
    ngx_cweb_admin_ctx_t *ctx);
static json_t *ngx_cweb_admin_module_build(ngx_cweb_shm_module_t *m,
    json_t **author);
static json_t *ngx_cweb_admin_item_json(ngx_cweb_shm_module_t *m);
static ngx_int_t ngx_cweb_admin_list(ngx_http_request_t *r);
static void ngx_cweb_admin_delete(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_admin_delete_task(ngx_cweb_admin_ctx_t *ctx,
    void *db, ngx_pool_t *pool);
static void ngx_cweb_admin_deleted(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_admin_history_task(ngx_cweb_admin_ctx_t *ctx,
    void *db, ngx_pool_t *pool);
static void ngx_cweb_admin_historied(ngx_cweb_admin_ctx_t *ctx);


static const char  *ngx_cweb_admin_states[] = {
    "free", "active", "rebuilding", "unavailable"
};


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

    rc = ngx_cweb_auth_check(r, &reason);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "cweb mgnt: %s", reason);
        return ngx_cweb_admin_refuse(r, rc, reason);
    }

    if (ngx_cweb_admin_name(r, ctx) != NGX_OK) {
        return ngx_cweb_admin_refuse(r, NGX_HTTP_BAD_REQUEST,
                                     "invalid module name in the path");
    }

    return ngx_cweb_admin_dispatch(r, ctx);
}


static ngx_int_t
ngx_cweb_admin_dispatch(ngx_http_request_t *r, ngx_cweb_admin_ctx_t *ctx)
{
    u_char      *reason;
    ngx_int_t    rc;
    ngx_uint_t   state;

    state = ngx_cweb_shm_state(&reason);

    if (state == NGX_CWEB_ZONE_DISABLED) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_cweb_send_json(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   json_pack("{s:s,s:o}", "error", "plugins are disabled",
                             "reason", ngx_cweb_json_text(reason,
                                                   ngx_strlen(reason))));
    }

    /* a fresh start: the helper is restoring the registry */
    if (state == NGX_CWEB_ZONE_STARTING) {
        if (ctx->tries * NGX_CWEB_WAIT_STEP >= NGX_CWEB_WAIT_START) {
            return ngx_cweb_admin_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "the registry is not restored yet");
        }

        ctx->tries++;
        ctx->retry.handler = ngx_cweb_admin_wait_handler;
        ctx->retry.data = ctx;
        ctx->retry.log = r->connection->log;
        ngx_add_timer(&ctx->retry, NGX_CWEB_WAIT_STEP);

        r->main->count++;
        return NGX_DONE;
    }

    ctx->tries = 0;

    if (r->method != NGX_HTTP_POST || ctx->name.len) {
        /* only uploads and rollbacks have a body; discard any other */
        if (ctx->action.len == 0) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
        }
    }

    if ((r->method == NGX_HTTP_GET || r->method == NGX_HTTP_HEAD)
        && ctx->action.len == 0)
    {
        if (ctx->name.len == 0) {
            return ngx_cweb_admin_list(r);
        }

        r->main->count++;
        ngx_cweb_admin_hold(ctx);

        if (ngx_cweb_admin_post_task(ctx, ngx_cweb_admin_history_task,
                                     ngx_cweb_admin_historied)
            != NGX_OK)
        {
            ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return NGX_DONE;
    }

    if (r->method == NGX_HTTP_DELETE && ctx->name.len
        && ctx->action.len == 0)
    {
        r->main->count++;
        ngx_cweb_admin_hold(ctx);
        ngx_cweb_admin_lock(ctx, ngx_cweb_admin_delete);
        return NGX_DONE;
    }

    if (r->method == NGX_HTTP_POST && ctx->name.len == 0) {
        rc = ngx_http_read_client_request_body(r, ngx_cweb_deploy_upload);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    if (r->method == NGX_HTTP_POST && ctx->action.len) {
        rc = ngx_http_read_client_request_body(r,
                                               ngx_cweb_rollback_body);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_cweb_send_error(r, NGX_HTTP_NOT_ALLOWED,
                               "use POST /mgnt, GET /mgnt[/<name>], "
                               "DELETE /mgnt/<name> or "
                               "POST /mgnt/<name>/rollback");
}


static void
ngx_cweb_admin_wait_handler(ngx_event_t *ev)
{
    ngx_cweb_admin_ctx_t  *ctx = ev->data;

    ngx_http_request_t  *r;
    ngx_connection_t    *c;

    r = ctx->r;
    c = r->connection;

    ngx_http_finalize_request(r, ngx_cweb_admin_dispatch(r, ctx));
    ngx_http_run_posted_requests(c);
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


/* "/mgnt" -> "", "/mgnt/counter" -> "counter", ".../counter/rollback" */

static ngx_int_t
ngx_cweb_admin_name(ngx_http_request_t *r, ngx_cweb_admin_ctx_t *ctx)
{
    u_char                    *p, *last, *slash;
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

    slash = ngx_strlchr(p, last, '/');

    if (slash) {
        ctx->action.data = slash + 1;
        ctx->action.len = last - slash - 1;
        last = slash;

        if (ctx->action.len != sizeof("rollback") - 1
            || ngx_strncmp(ctx->action.data, "rollback", 8) != 0)
        {
            return NGX_ERROR;
        }
    }

    ctx->name.data = p;
    ctx->name.len = last - p;

    if (ctx->name.len == 0) {
        return ctx->action.len ? NGX_ERROR : NGX_OK;
    }

    if (ctx->name.len >= NGX_CWEB_NAME_LEN) {
        return NGX_ERROR;
    }

    return ngx_cweb_module_name_valid(ctx->name.data, ctx->name.len);
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
        json_array_append_new(list, ngx_cweb_admin_item_json(&m[i]));
    }

    return ngx_cweb_send_json(r, NGX_HTTP_OK,
                              json_pack("{s:o}", "modules", list));
}


json_t *
ngx_cweb_admin_module_json(ngx_cweb_shm_module_t *m)
{
    return ngx_cweb_admin_module_build(m, NULL);
}


/* a plugin's JSON; with author not NULL, also its config.author there */

static json_t *
ngx_cweb_admin_module_build(ngx_cweb_shm_module_t *m, json_t **author)
{
    json_t  *routes, *ws, *jobs, *json;

    routes = ngx_cweb_admin_manifest_json(m->manifest, m->manifest_len, &ws,
                                          &jobs, author);

    json = json_pack("{s:s%,s:I,s:s%,s:s%,s:o,s:o,s:o,s:I,s:I,s:s}",
                     "module", m->name, m->name_len,
                     "version", (json_int_t) m->version,
                     "module_hash", m->module_hash,
                     ngx_strnlen(m->module_hash, NGX_CWEB_HASH_LEN),
                     "source_sha256", m->source_sha256,
                     ngx_strnlen(m->source_sha256, NGX_CWEB_HASH_LEN),
                     "routes", routes, "websockets", ws, "jobs", jobs,
                     "compile_ms", (json_int_t) m->compile_ms,
                     "updated_at", (json_int_t) m->updated,
                     "state", (m->state == NGX_CWEB_MOD_ACTIVE
                               && m->quarantine == m->version)
                              ? "quarantined"
                              : ngx_cweb_admin_states[m->state & 3]);

    if (json && m->reason[0]) {
        json_object_set_new(json, "reason",
                            ngx_cweb_json_text(m->reason,
                                               ngx_strlen(m->reason)));
    }

    return json;
}


/*
 * a GET /mgnt item: ours, then c-web-modules' names for its tools: "name"
 * (= "module"), "author" and "path" (the active version's object)
 */

static json_t *
ngx_cweb_admin_item_json(ngx_cweb_shm_module_t *m)
{
    u_char                *p, path[NGX_MAX_PATH];
    json_t                *json, *author;
    ngx_cweb_main_conf_t  *cmcf;

    author = NULL;

    json = ngx_cweb_admin_module_build(m, &author);
    if (json == NULL) {
        json_decref(author);
        return NULL;
    }

    cmcf = ngx_cweb_conf();
    p = ngx_snprintf(path, sizeof(path), "%V/so/%s", &cmcf->module_dir,
                     m->so_file);

    json_object_set_new(json, "name", ngx_cweb_json_text(m->name,
                                                         m->name_len));
    json_object_set_new(json, "author", author);
    json_object_set_new(json, "path", ngx_cweb_json_text(path, p - path));

    return json;
}


/*
 * what a manifest declares, as /mgnt answers list it: the routes (the
 * return value), WebSocket paths, jobs and, when author is not NULL,
 * config.author ("" without one); read by the one manifest parser.  A
 * manifest that does not parse lists nothing (stored ones were checked
 * when they were restored).
 */

json_t *
ngx_cweb_admin_manifest_json(u_char *p, size_t len, json_t **ws,
    json_t **jobs, json_t **author)
{
    u_char                     err[256];
    json_t                    *routes;
    ngx_str_t                  text, by;
    ngx_uint_t                 i;
    ngx_pool_t                *pool;
    ngx_array_t                items;
    ngx_cweb_manifest_item_t  *it;

    routes = json_array();
    *ws = json_array();
    *jobs = json_array();
    ngx_str_null(&by);

    text.data = p;
    text.len = p ? len : 0;

    pool = ngx_create_pool(1024, ngx_cycle->log);

    if (pool != NULL
        && ngx_cweb_manifest_parse_all(&text, pool, &items, &by, err,
                                       sizeof(err))
           == NGX_OK)
    {
        it = items.elts;

        for (i = 0; i < items.nelts; i++) {
            if (it[i].type == 'R') {
                json_array_append_new(routes, json_pack("{s:o,s:o}",
                    "method", ngx_cweb_json_text(it[i].method.data,
                                                 it[i].method.len),
                    "path", ngx_cweb_json_text(it[i].value.data,
                                               it[i].value.len)));

            } else {
                json_array_append_new(it[i].type == 'W' ? *ws : *jobs,
                    json_pack("{s:o}", it[i].type == 'W' ? "path" : "name",
                              ngx_cweb_json_text(it[i].value.data,
                                                 it[i].value.len)));
            }
        }
    }

    if (author) {
        *author = ngx_cweb_json_text(by.data, by.len);
    }

    if (pool) {
        ngx_destroy_pool(pool);
    }

    return routes;
}


/* DELETE /mgnt/<name> */

static void
ngx_cweb_admin_delete(ngx_cweb_admin_ctx_t *ctx)
{
    if (ngx_cweb_admin_post_task(ctx, ngx_cweb_admin_delete_task,
                                 ngx_cweb_admin_deleted)
        != NGX_OK)
    {
        ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


static ngx_int_t
ngx_cweb_admin_delete_task(ngx_cweb_admin_ctx_t *ctx, void *db,
    ngx_pool_t *pool)
{
    return ngx_cweb_store_delete(db, &ctx->name,
                                 &ngx_cweb_conf()->module_dir, pool,
                                 ctx->task_err, sizeof(ctx->task_err));
}


static void
ngx_cweb_admin_deleted(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_http_request_t  *r;

    r = ctx->r;

    if (ctx->task_rc == NGX_DECLINED) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_NOT_FOUND, "no plugin \"%V\"",
                                &ctx->name));
        return;
    }

    if (ctx->task_rc != NGX_OK) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "database write failed: %s",
                                ctx->task_err));
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


/* GET /mgnt/<name>: the registry entry, versions, faults, quarantine */

static ngx_int_t
ngx_cweb_admin_history_task(ngx_cweb_admin_ctx_t *ctx, void *db,
    ngx_pool_t *pool)
{
    ctx->task_json = ngx_cweb_store_history(db, &ctx->name, ctx->task_err,
                                            sizeof(ctx->task_err));

    return ctx->task_json ? NGX_OK : NGX_ERROR;
}


static void
ngx_cweb_admin_historied(ngx_cweb_admin_ctx_t *ctx)
{
    size_t                  i;
    json_t                 *json, *versions, *v, *q;
    ngx_http_request_t     *r;
    ngx_cweb_shm_module_t   m;

    r = ctx->r;

    if (ctx->task_rc != NGX_OK) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "database read failed: %s", ctx->task_err));
        return;
    }

    if (ngx_cweb_registry_get(&ctx->name, &m, r->pool) != NGX_OK) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_NOT_FOUND, "no plugin \"%V\"",
                                &ctx->name));
        return;
    }

    json = ngx_cweb_admin_module_json(&m);
    versions = json_object_get(ctx->task_json, "versions");

    /* the newest quarantine, at the top */
    q = json_null();

    json_array_foreach(versions, i, v) {
        if (json_is_true(json_object_get(v, "quarantined"))) {
            q = json_pack("{s:O,s:O,s:O}",
                          "version", json_object_get(v, "version"),
                          "at", json_object_get(v, "quarantined_at"),
                          "reason", json_object_get(v, "quarantine_reason"));
            break;
        }
    }

    json_object_set(json, "versions", versions);
    json_object_set(json, "faults",
                    json_object_get(ctx->task_json, "faults"));
    json_object_set_new(json, "quarantine", q);
    json_object_set_new(json, "recent_faults",
                        json_integer(ngx_cweb_fault_count(
                                    &ngx_cweb_shm_ctx()->sh->modules[m.slot],
                                    m.version)));

    ngx_cweb_admin_finish(ctx, ngx_cweb_send_json(r, NGX_HTTP_OK, json));
}
