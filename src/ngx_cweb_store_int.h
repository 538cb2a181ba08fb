
/*
 * Private to ngx_cweb_store.c and ngx_cweb_store_files.c.
 */


#ifndef _NGX_CWEB_STORE_INT_H_INCLUDED_
#define _NGX_CWEB_STORE_INT_H_INCLUDED_


#include "ngx_cweb_store.h"

#include <sqlite3.h>


/* the module_versions columns ngx_cweb_store_row() reads, in order */
#define NGX_CWEB_STORE_COLUMNS                                               \
    "v.name, v.version, v.module_hash, v.source_sha256, v.so_file,"         \
    " v.manifest, v.compile_ms, v.created_at, v.pruned, v.quarantined_at"


ngx_int_t ngx_cweb_store_exec(sqlite3 *db, const char *sql, char *err,
    size_t errlen);
ngx_int_t ngx_cweb_store_failed(sqlite3 *db, char *err, size_t errlen);
void ngx_cweb_store_row(sqlite3_stmt *stmt, int col,
    ngx_cweb_version_rec_t *rec);
size_t ngx_cweb_store_so_name(u_char *buf, ngx_str_t *name,
    ngx_uint_t version, u_char *hash);


#endif /* _NGX_CWEB_STORE_INT_H_INCLUDED_ */
