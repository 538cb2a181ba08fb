
/*
 * POST /mgnt/<name>/rollback [{"version": N}]: a stored earlier version
 * (the newest good one before the active, when no version is given)
 * becomes active on every worker, without a compile.  Like a deploy it
 * runs under the commit lock: the version is looked up (thread task),
 * must still be stored, not quarantined, with its object on disk and no
 * route conflict with what other plugins serve now; then the database
 * (thread task) and the registry change.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_admin.h"
#include "ngx_cweb_http.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_manifest.h"
#include "ngx_cweb_shm.h"
#include "ngx_cweb_store.h"


static void ngx_cweb_rollback(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_rollback_find(ngx_cweb_admin_ctx_t *ctx,
    void *db, ngx_pool_t *pool);
static void ngx_cweb_rollback_found(ngx_cweb_admin_ctx_t *ctx);
static ngx_int_t ngx_cweb_rollback_task(ngx_cweb_admin_ctx_t *ctx,
    void *db, ngx_pool_t *pool);
static void ngx_cweb_rolled_back(ngx_cweb_admin_ctx_t *ctx);


/* POST /mgnt/<name>/rollback [{"version": N}] */

void
ngx_cweb_rollback_body(ngx_http_request_t *r)
{
    json_t                 *json, *v;
    ngx_str_t               body;
    json_error_t            jerr;
    ngx_cweb_admin_ctx_t   *ctx;
    ngx_cweb_shm_module_t   m;

    ctx = ngx_http_get_module_ctx(r, ngx_cweb_module);

    if (ngx_cweb_http_body(r, &body) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (body.len) {
        json = json_loadb((char *) body.data, body.len, 0, &jerr);
        v = json_object_get(json, "version");

        if (!json_is_object(json) || (v && (!json_is_integer(v)
                                            || json_integer_value(v) <= 0)))
        {
            json_decref(json);
            ngx_http_finalize_request(r,
                ngx_cweb_send_error(r, NGX_HTTP_BAD_REQUEST,
                                    "the body must be empty or "
                                    "{\"version\": <a positive number>}"));
            return;
        }

        ctx->version = v ? (ngx_uint_t) json_integer_value(v) : 0;
        json_decref(json);
    }

    if (ngx_cweb_registry_get(&ctx->name, &m, r->pool) != NGX_OK) {
        ngx_http_finalize_request(r,
            ngx_cweb_send_error(r, NGX_HTTP_NOT_FOUND, "no plugin \"%V\"",
                                &ctx->name));
        return;
    }

    ngx_cweb_admin_hold(ctx);
    ngx_cweb_admin_lock(ctx, ngx_cweb_rollback);
}


static void
ngx_cweb_rollback(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_cweb_shm_module_t  m;

    /* under the lock, the active version cannot change any more */
    if (ngx_cweb_registry_get(&ctx->name, &m, ctx->r->pool) != NGX_OK) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(ctx->r, NGX_HTTP_NOT_FOUND,
                                "no plugin \"%V\"", &ctx->name));
        return;
    }

    ctx->from = m.version;

    if (ctx->version == m.version && m.state == NGX_CWEB_MOD_ACTIVE
        && m.quarantine != m.version)
    {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(ctx->r, NGX_HTTP_CONFLICT,
                                "version %ui is already active",
                                ctx->version));
        return;
    }

    if (ngx_cweb_admin_post_task(ctx, ngx_cweb_rollback_find,
                                 ngx_cweb_rollback_found)
        != NGX_OK)
    {
        ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


static ngx_int_t
ngx_cweb_rollback_find(ngx_cweb_admin_ctx_t *ctx, void *db,
    ngx_pool_t *pool)
{
    ngx_int_t  rc;

    /* the record must outlive the task's pool: the request's is idle */
    rc = ngx_cweb_store_version(db, &ctx->name, ctx->version, ctx->from,
                                &ctx->rec, pool, ctx->task_err,
                                sizeof(ctx->task_err));

    return rc;
}


static void
ngx_cweb_rollback_found(ngx_cweb_admin_ctx_t *ctx)
{
    u_char               err[512];
    ngx_int_t            rc;
    ngx_str_t            conflict;
    ngx_http_request_t  *r;

    r = ctx->r;

    if (ctx->task_rc == NGX_DECLINED) {
        ngx_cweb_admin_finish(ctx, ctx->version
            ? ngx_cweb_send_error(r, NGX_HTTP_NOT_FOUND,
                                  "plugin \"%V\" has no version %ui",
                                  &ctx->name, ctx->version)
            : ngx_cweb_send_error(r, NGX_HTTP_CONFLICT,
                                  "plugin \"%V\" has no earlier good "
                                  "version stored", &ctx->name));
        return;
    }

    if (ctx->task_rc != NGX_OK) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "database read failed: %s", ctx->task_err));
        return;
    }

    rc = ngx_cweb_rollback_usable(&ngx_cweb_conf()->module_dir,
                                  &ctx->rec, r->pool, &conflict, err,
                                  sizeof(err));

    if (rc == NGX_DECLINED && conflict.len) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_json(r, NGX_HTTP_CONFLICT,
                json_pack("{s:s,s:s%,s:o}", "error", "route conflict",
                          "module", ctx->name.data, ctx->name.len,
                          "reason", ngx_cweb_json_text(conflict.data,
                                                       conflict.len))));
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_CONFLICT, "%s", err));
        return;
    }

    if (rc != NGX_OK
        || ngx_cweb_admin_post_task(ctx, ngx_cweb_rollback_task,
                                    ngx_cweb_rolled_back)
           != NGX_OK)
    {
        ngx_cweb_admin_finish(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


/*
 * whether a stored version may be made active again, by hand (rollback)
 * or by the watchdog (fallback): still stored, not quarantined, its object
 * in <dir>/so, none of its routes under a cweb_mgnt location and none
 * served by another plugin now.
 * NGX_DECLINED says why in err, and names the routes in conflict (pool
 * memory) when that is why; NGX_ERROR when it cannot be told (a manifest
 * that does not parse, no memory)
 */

ngx_int_t
ngx_cweb_rollback_usable(ngx_str_t *dir, ngx_cweb_version_rec_t *rec,
    ngx_pool_t *pool, ngx_str_t *conflict, u_char *err, size_t errlen)
{
    u_char           path[NGX_MAX_PATH];
    ngx_int_t        rc;
    ngx_array_t      items;
    ngx_file_info_t  fi;

    ngx_str_null(conflict);

    if (rec->pruned || rec->quarantined) {
        ngx_cweb_errf(err, errlen, "version %ui of \"%V\" is %s",
                      rec->version, &rec->name,
                      rec->pruned ? "no longer stored" : "quarantined");
        return NGX_DECLINED;
    }

    if (ngx_cweb_store_path(path, sizeof(path), "%V/so/%V", dir,
                            &rec->so_file)
        != NGX_OK
        || ngx_link_info(path, &fi) == NGX_FILE_ERROR || !ngx_is_file(&fi))
    {
        ngx_cweb_errf(err, errlen, "the object of version %ui is missing",
                      rec->version);
        return NGX_DECLINED;
    }

    if (ngx_cweb_manifest_parse(&rec->manifest, pool, &items, err, errlen)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* a cweb_mgnt location added since may cover one of its routes now */
    rc = ngx_cweb_manifest_served(&items, err, errlen);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_cweb_manifest_conflict(&rec->name, &items, pool, conflict);

    if (rc == NGX_DECLINED) {
        ngx_cweb_errf(err, errlen, "a route of version %ui is served by "
                      "another plugin: %V", rec->version, conflict);
    }

    return rc;
}


static ngx_int_t
ngx_cweb_rollback_task(ngx_cweb_admin_ctx_t *ctx, void *db,
    ngx_pool_t *pool)
{
    return ngx_cweb_store_activate(db, &ctx->name, ctx->rec.version,
                                   ctx->task_err, sizeof(ctx->task_err));
}


static void
ngx_cweb_rolled_back(ngx_cweb_admin_ctx_t *ctx)
{
    ngx_http_request_t  *r;

    r = ctx->r;

    if (ctx->task_rc != NGX_OK) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "database write failed: %s", ctx->task_err));
        return;
    }

    ctx->rec.state = NGX_CWEB_MOD_ACTIVE;
    ngx_str_null(&ctx->rec.reason);

    if (ngx_cweb_registry_publish(&ctx->rec) != NGX_OK) {
        ngx_cweb_admin_finish(ctx,
            ngx_cweb_send_error(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                                "the plugin registry is full"));
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "cweb plugin \"%V\" rolled back from version %ui to %ui, "
                  "generation %ui", &ctx->name, ctx->from, ctx->rec.version,
                  ngx_cweb_shm_generation());

    ngx_cweb_admin_finish(ctx,
        ngx_cweb_send_json(r, NGX_HTTP_OK,
                           json_pack("{s:s%,s:I,s:I,s:s}",
                                     "module", ctx->name.data, ctx->name.len,
                                     "version", (json_int_t) ctx->rec.version,
                                     "from", (json_int_t) ctx->from,
                                     "status", "rolled back")));
}
