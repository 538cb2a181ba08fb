
/*
 * The SQLite store and the files beside it, the registry's truth
 * (ngx_cweb_store.c, ngx_cweb_store_files.c), and the stored versions a
 * rollback makes active again (ngx_cweb_rollback.c).
 */


#ifndef _NGX_CWEB_STORE_H_INCLUDED_
#define _NGX_CWEB_STORE_H_INCLUDED_


#include "ngx_cweb_shm.h"


/* ngx_cweb_store.c: SQLite, the registry's truth */
void *ngx_cweb_store_open(ngx_str_t *path, ngx_msec_t busy, ngx_log_t *log,
    u_char *err, size_t errlen);
void ngx_cweb_store_close(void *db);
ngx_int_t ngx_cweb_store_check(void *db, u_char *err, size_t errlen);
ngx_int_t ngx_cweb_store_load(void *db, ngx_log_t *log,
    ngx_int_t (*add)(ngx_cweb_version_rec_t *rec, void *data), void *data);
ngx_int_t ngx_cweb_store_row_valid(ngx_cweb_version_rec_t *rec,
    ngx_pool_t *pool, u_char *err, size_t errlen);
ngx_int_t ngx_cweb_store_commit(void *db, ngx_cweb_version_rec_t *rec,
    ngx_str_t *dir, ngx_str_t *tmp, ngx_str_t *src, ngx_uint_t *existed,
    ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_cweb_store_delete(void *db, ngx_str_t *name, ngx_str_t *dir,
    ngx_pool_t *pool, char *err, size_t errlen);
json_t *ngx_cweb_store_history(void *db, ngx_str_t *name,
    char *err, size_t errlen);
ngx_int_t ngx_cweb_store_version(void *db, ngx_str_t *name,
    ngx_uint_t version, ngx_uint_t exclude, ngx_cweb_version_rec_t *rec,
    ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_cweb_store_activate(void *db, ngx_str_t *name,
    ngx_uint_t version, char *err, size_t errlen);
ngx_int_t ngx_cweb_store_quarantine(void *db, ngx_str_t *name,
    ngx_uint_t version, const char *reason, ngx_uint_t current,
    ngx_uint_t fallback, char *err, size_t errlen);
ngx_int_t ngx_cweb_store_fault(void *db, ngx_str_t *name,
    ngx_uint_t version, ngx_cweb_fault_event_t *ev, ngx_str_t *route,
    char *err, size_t errlen);
ngx_int_t ngx_cweb_store_sweep(void *db, ngx_str_t *dir, ngx_log_t *log);
void *ngx_cweb_store_worker_db(ngx_log_t *log, char *err, size_t errlen);
void ngx_cweb_store_worker_release(void);
void ngx_cweb_store_worker_close(void);
void *ngx_cweb_store_connect(ngx_str_t *path, ngx_msec_t busy, u_char *err,
    size_t errlen);
ngx_int_t ngx_cweb_store_mkdirs(ngx_str_t *dir, ngx_log_t *log);
void ngx_cweb_store_uncounted(void);
ngx_int_t ngx_cweb_store_install(ngx_str_t *tmp, ngx_str_t *dir,
    ngx_str_t *file, char *err, size_t errlen);
ngx_int_t ngx_cweb_store_path(u_char *buf, size_t size, const char *fmt,
    ...);
ngx_int_t ngx_cweb_store_vpath(u_char *buf, size_t size, const char *fmt,
    va_list args);
typedef ngx_int_t (*ngx_cweb_store_each_pt)(u_char *path, u_char *name,
    size_t len, void *data);
ngx_int_t ngx_cweb_store_each(ngx_str_t *dir, const char *sub,
    ngx_cweb_store_each_pt handler, void *data);
ngx_int_t ngx_cweb_store_hex(u_char *s, size_t len);

/* ngx_cweb_rollback.c: stored versions made active again */
ngx_int_t ngx_cweb_rollback_usable(ngx_str_t *dir,
    ngx_cweb_version_rec_t *rec, ngx_pool_t *pool, ngx_str_t *conflict,
    u_char *err, size_t errlen);


#endif /* _NGX_CWEB_STORE_H_INCLUDED_ */
