
/*
 * JSON answers and JSON error pages (ngx_cweb_json.c).
 */


#ifndef _NGX_CWEB_JSON_H_INCLUDED_
#define _NGX_CWEB_JSON_H_INCLUDED_


#include "ngx_cweb.h"


/* ngx_cweb_json.c: JSON answers and JSON error pages */
json_t *ngx_cweb_json_text(const u_char *data, size_t len);
ngx_int_t ngx_cweb_send_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *json);
ngx_int_t ngx_cweb_send_json_text(ngx_http_request_t *r, ngx_uint_t status,
    u_char *text, size_t len);
ngx_int_t ngx_cweb_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *fmt, ...);


#endif /* _NGX_CWEB_JSON_H_INCLUDED_ */
