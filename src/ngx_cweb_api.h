
/*
 * The table of host functions handed to plugins and the context they
 * see (ngx_cweb_api*.c).
 */


#ifndef _NGX_CWEB_API_H_INCLUDED_
#define _NGX_CWEB_API_H_INCLUDED_


#include "ngx_cweb_http.h"


/*
 * the kinds of plugin code a host function may be called from (a job gets
 * its own with the job system)
 */
#define NGX_CWEB_CTX_LOAD        0x01    /* constructors */
#define NGX_CWEB_CTX_INIT        0x02    /* onload() */
#define NGX_CWEB_CTX_UNLOAD      0x04    /* unload(), destructors */
#define NGX_CWEB_CTX_REQUEST     0x08    /* a route handler */
#define NGX_CWEB_CTX_WORK        0x10    /* ctx->scheduler work */
#define NGX_CWEB_CTX_WEBSOCKET   0x20    /* a WebSocket handler */
#define NGX_CWEB_CTX_PLUGIN      0x3f    /* any of them */


/* ngx_cweb_api.c: the table handed to plugins */
extern cweb_api_t      ngx_cweb_api;
extern cweb_context_t  ngx_cweb_context;
void ngx_cweb_api_set_plugin(ngx_cweb_plugin_t *p);
void ngx_cweb_api_init_process(ngx_uint_t canary,
    ngx_cweb_loader_unload_pt unloaded);
ngx_int_t ngx_cweb_api_gate_ctx(const char *fn, ngx_uint_t allowed);
#define ngx_cweb_api_gate(fn)  ngx_cweb_api_gate_ctx(fn, NGX_CWEB_CTX_PLUGIN)
void ngx_cweb_api_set_call(ngx_cweb_call_t *call);
ngx_cweb_plugin_t *ngx_cweb_api_current(void);
void ngx_cweb_api_error(const char *fmt, ...);
ngx_int_t ngx_cweb_kv_init(ngx_cweb_kv_t *kv, ngx_pool_t *pool, ngx_uint_t n,
    ngx_uint_t nocase);
void ngx_cweb_kv_init_inline(ngx_cweb_kv_t *kv, ngx_pool_t *pool,
    http_kv_pair_t *pairs, u_char *owned, size_t n, ngx_uint_t nocase);
ngx_int_t ngx_cweb_kv_push(http_kv_store_t *store, char *key, char *value);
ngx_uint_t ngx_cweb_kv_known(ngx_cweb_call_t *c,
    const http_kv_store_t *store);
ngx_int_t ngx_cweb_kv_find(ngx_cweb_kv_t *kv, const char *key);
int ngx_cweb_kv_replace(http_kv_store_t *store, const char *key,
    const char *value, const char *fn);
ngx_cweb_call_t *ngx_cweb_call_check(void *res, void *req, const char *fn);

/* ngx_cweb_api_args.c: typed arguments, URL escaping */
int ngx_cweb_arg_str_api(http_request_t *req, const char *name,
    size_t max_len, int trim, const char **value);
int ngx_cweb_arg_num_api(http_request_t *req, const char *name, int type,
    void *out, const void *min, const void *max);
int ngx_cweb_arg_bool_api(http_request_t *req, const char *name, int *out);
int ngx_cweb_arg_enum_api(http_request_t *req, const char *name,
    const char *const *list, unsigned *index);
int ngx_cweb_arg_range_api(http_request_t *req, const char *name,
    const char *sep, int *min, int *max);
const char *ngx_cweb_arg_error_api(http_request_t *req);
char *ngx_cweb_url_escape_api(http_request_t *req, const char *s);
char *ngx_cweb_url_unescape_api(http_request_t *req, const char *s);

/* ngx_cweb_api_resp.c: cookies, headers, status */
int ngx_cweb_cookie_get_api(http_request_t *req, const char *name,
    const char **value);
int ngx_cweb_cookie_set_api(http_response_t *res, const char *name,
    const char *value, const cweb_cookie_t *attrs);
int ngx_cweb_response_header_api(http_response_t *res, const char *name,
    const char *value);
int ngx_cweb_header_add_api(http_response_t *res, const char *name,
    const char *value);
int ngx_cweb_status_api(http_response_t *res, int code, const char *reason);

/* ngx_cweb_api_form.c: cweb_part(), cweb_part_by_name() */
int ngx_cweb_part_api(http_request_t *req, size_t i, const char *name,
    cweb_part_t *part);

/* ngx_cweb_shared.c: cweb_shared_zone and cweb_shared_*() */
char *ngx_cweb_shared_zone_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
int ngx_cweb_shared_get_api(const char *zone, const char *key, int *type,
    void *buf, size_t size, size_t *len, int64_t *num);
int ngx_cweb_shared_store_api(int how, const char *zone, const char *key,
    int type, const void *data, size_t len, int64_t num, long ttl);
int ngx_cweb_shared_incr_api(const char *zone, const char *key,
    int64_t delta, int64_t *out);
int ngx_cweb_shared_delete_api(const char *zone, const char *key);

/* ngx_cweb_stream.c: cweb_write() ... cweb_set_compression() */
int ngx_cweb_write_api(http_response_t *res, const void *data, size_t len);
int ngx_cweb_flush_api(http_response_t *res);
int ngx_cweb_stream_api(http_response_t *res, entry_t more, void *data);
void *ngx_cweb_stream_data_api(http_response_t *res);
int ngx_cweb_send_file_api(http_response_t *res, const char *path);
int ngx_cweb_set_compression_api(http_response_t *res, int enable,
    int level);

/* ngx_cweb_api_json.c: cweb_set_error(), cweb_json_answer() */
int ngx_cweb_set_error_api(http_response_t *res, const char *fmt,
    va_list args);
int ngx_cweb_json_answer_api(http_response_t *res, json_t *value);

/* ngx_cweb_api_map.c: maps, ctx->cache, ctx->scheduler */
void ngx_cweb_api_forget(ngx_cweb_plugin_t *p);

/* ngx_cweb_api_crypto.c: ctx->crypto, crypto_init(), crypto_shutdown() */
extern struct crypto   ngx_cweb_crypto;
char *ngx_cweb_crypto_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_cweb_crypto_conf(ngx_conf_t *cf, ngx_cweb_main_conf_t *cmcf);
void ngx_cweb_crypto_init_process(ngx_cycle_t *cycle);
int ngx_cweb_crypto_init(struct crypto *crypto, const char *certificate,
    const char *private_key);
void ngx_cweb_crypto_shutdown(struct crypto *crypto);
void ngx_cweb_crypto_forget(ngx_cweb_plugin_t *p);

/* ngx_cweb_api_db.c: ctx->database */
extern struct sqldb    ngx_cweb_database;
ngx_int_t ngx_cweb_api_open_database(ngx_log_t *log);
void ngx_cweb_api_close_database(void);
void ngx_cweb_api_drop_database(void);

/* ngx_cweb_ws_bcast.c: cweb_ws_broadcast() */
int ngx_cweb_ws_broadcast(const char *path, const void *data, size_t len,
    int opcode);


#endif /* _NGX_CWEB_API_H_INCLUDED_ */
