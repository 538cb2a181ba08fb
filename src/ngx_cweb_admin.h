
/*
 * Shared by the management API's HTTP surface (ngx_cweb_admin.c) and the
 * deploy pipeline (ngx_cweb_deploy.c): one context per /mgnt request.
 */


#ifndef _NGX_CWEB_ADMIN_H_INCLUDED_
#define _NGX_CWEB_ADMIN_H_INCLUDED_


#include "ngx_cweb.h"
#include "ngx_cweb_compile.h"
#include "ngx_cweb_canary.h"
#include "ngx_cweb_shm.h"


#define NGX_CWEB_HTTP_UNPROCESSABLE  422


typedef struct ngx_cweb_admin_ctx_s  ngx_cweb_admin_ctx_t;

typedef void (*ngx_cweb_admin_step_pt)(ngx_cweb_admin_ctx_t *ctx);

/* runs in a pool thread, with the process's database connection */
typedef ngx_int_t (*ngx_cweb_admin_task_pt)(ngx_cweb_admin_ctx_t *ctx,
    void *db, ngx_pool_t *pool);


struct ngx_cweb_admin_ctx_s {
    ngx_http_request_t         *r;
    ngx_str_t                   name;         /* from the URL */
    ngx_str_t                   action;       /* "" or "rollback" */

    /* a deploy */
    ngx_str_t                   display;      /* file name for diagnostics */
    ngx_str_t                   source;
    ngx_str_t                   src_path;
    ngx_str_t                   tmp_path;
    ngx_cweb_version_rec_t      rec;
    u_char                      so_file[NGX_CWEB_FILE_LEN];
    ngx_array_t                 items;        /* the manifest, parsed */
    ngx_cweb_compile_t         *cc;
    ngx_cweb_canary_t          *cn;
    ngx_msec_t                  canary_ms;

    /* a rollback */
    ngx_uint_t                  version;      /* asked for, 0: previous */
    ngx_uint_t                  from;         /* active before */

    ngx_event_t                 retry;        /* commit lock, or waiting */
    ngx_event_t                 hold;         /* keeps a quitting worker */
    ngx_uint_t                  tries;
    ngx_cweb_admin_step_pt      locked;

    ngx_cweb_admin_task_pt      task;
    ngx_cweb_admin_step_pt      task_done;
    ngx_pool_t                 *task_pool;
    ngx_int_t                   task_rc;
    char                        task_err[256];
    json_t                     *task_json;
    ngx_uint_t                  existed;

    ngx_uint_t                  status;       /* prepared answer */
    json_t                     *answer;

    unsigned                    has_lock:1;
};


/* ngx_cweb_admin.c: /mgnt */
ngx_int_t ngx_cweb_admin_handler(ngx_http_request_t *r);
void *ngx_cweb_admin_ctx(ngx_http_request_t *r);

/* ngx_cweb_auth.c: admin credentials and browser checks */
ngx_int_t ngx_cweb_auth_check(ngx_http_request_t *r, const char **reason);

/* ngx_cweb_admin.c, ngx_cweb_admin_task.c */
void ngx_cweb_admin_lock(ngx_cweb_admin_ctx_t *ctx,
    ngx_cweb_admin_step_pt locked);
void ngx_cweb_admin_hold(ngx_cweb_admin_ctx_t *ctx);
ngx_int_t ngx_cweb_admin_post_task(ngx_cweb_admin_ctx_t *ctx,
    ngx_cweb_admin_task_pt task, ngx_cweb_admin_step_pt done);
void ngx_cweb_admin_finish(ngx_cweb_admin_ctx_t *ctx, ngx_int_t rc);
ngx_int_t ngx_cweb_admin_prepare(ngx_cweb_admin_ctx_t *ctx,
    ngx_uint_t status, json_t *answer);
void ngx_cweb_admin_answer(ngx_cweb_admin_ctx_t *ctx, ngx_int_t rc);
json_t *ngx_cweb_admin_manifest_json(u_char *p, size_t len, json_t **ws,
    json_t **jobs, json_t **author);
json_t *ngx_cweb_admin_module_json(ngx_cweb_shm_module_t *m);
#define ngx_cweb_admin_error(ctx, status, text)                             \
    ngx_cweb_admin_prepare(ctx, status, json_pack("{s:s}", "error", text))

/* ngx_cweb_rollback.c */
void ngx_cweb_rollback_body(ngx_http_request_t *r);

/* ngx_cweb_deploy.c */
void ngx_cweb_deploy_upload(ngx_http_request_t *r);


#endif /* _NGX_CWEB_ADMIN_H_INCLUDED_ */
