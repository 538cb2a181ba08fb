
/*
 * New code runs first in a throwaway process: what a deploy asks of the
 * canary (ngx_cweb_canary*.c; their own parts are in ngx_cweb_canary_int.h).
 */


#ifndef _NGX_CWEB_CANARY_H_INCLUDED_
#define _NGX_CWEB_CANARY_H_INCLUDED_


#include "ngx_cweb.h"


/* a canary run of a new object, asked of the canary process */
typedef struct ngx_cweb_canary_s  ngx_cweb_canary_t;

typedef void (*ngx_cweb_canary_done_pt)(ngx_cweb_canary_t *cn);

struct ngx_cweb_canary_s {
    ngx_str_t                   path;         /* the object to try */
    ngx_cweb_canary_done_pt     done;
    void                       *data;
    ngx_log_t                  *log;
    ngx_pool_t                 *pool;

    /* NGX_OK passed, NGX_DECLINED refused (see result), NGX_ERROR */
    ngx_int_t                   rc;
    void                       *result;       /* json_t * */
    ngx_msec_t                  elapsed;

    /* private to ngx_cweb_canary.c */
    ngx_connection_t           *conn;
    ngx_event_t                 timer;
    ngx_buf_t                  *in;
    ngx_uint_t                  tries;
    ngx_msec_t                  start;
    unsigned                    started:1;    /* out of the queue */
};



/* in cweb_module_dir */
#define NGX_CWEB_CANARY_SOCK  "/canary.sock"


/* ngx_cweb_canary.c: new code runs first in a throwaway process */
ngx_int_t ngx_cweb_canary_spawn(ngx_cycle_t *cycle);
ngx_int_t ngx_cweb_canary_alive(void);
ngx_int_t ngx_cweb_canary_start(ngx_cweb_canary_t *cn);
void ngx_cweb_canary_abort(ngx_cweb_canary_t *cn);


#endif /* _NGX_CWEB_CANARY_H_INCLUDED_ */
