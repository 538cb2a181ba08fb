
/*
 * What a plugin serves: its manifest, names, reserved URLs
 * (ngx_cweb_manifest.c).
 */


#ifndef _NGX_CWEB_MANIFEST_H_INCLUDED_
#define _NGX_CWEB_MANIFEST_H_INCLUDED_


#include "ngx_cweb.h"


/* one item of a manifest */
typedef struct {
    u_char                      type;         /* 'R', 'W', 'J' */
    ngx_str_t                   method;       /* R */
    ngx_str_t                   value;        /* path or job name */
    ngx_uint_t                  regex;        /* R: path is a regex */
} ngx_cweb_manifest_item_t;


/* ngx_cweb_manifest.c: what a plugin serves; names; reserved URLs */
ngx_int_t ngx_cweb_module_name_valid(u_char *name, size_t len);
ngx_int_t ngx_cweb_manifest_from_config(module_t *config, ngx_pool_t *pool,
    ngx_str_t *text, u_char *err, size_t errlen);
ngx_int_t ngx_cweb_manifest_parse(ngx_str_t *text, ngx_pool_t *pool,
    ngx_array_t *items, u_char *err, size_t errlen);
ngx_int_t ngx_cweb_manifest_parse_all(ngx_str_t *text, ngx_pool_t *pool,
    ngx_array_t *items, ngx_str_t *author, u_char *err, size_t errlen);
ngx_int_t ngx_cweb_manifest_served(ngx_array_t *items, u_char *err,
    size_t errlen);
ngx_int_t ngx_cweb_manifest_conflict(ngx_str_t *name, ngx_array_t *items,
    ngx_pool_t *pool, ngx_str_t *conflict);
ngx_int_t ngx_cweb_manifest_matches(module_t *config, ngx_array_t *items);


/* job names (and cweb_shared_zone names): letters, digits, "_-." */
ngx_int_t ngx_cweb_name_valid(u_char *name, size_t len);


#endif /* _NGX_CWEB_MANIFEST_H_INCLUDED_ */
