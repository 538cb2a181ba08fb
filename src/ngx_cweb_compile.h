
/*
 * The compiler as a watched child (ngx_cweb_compile.c).
 */


#ifndef _NGX_CWEB_COMPILE_H_INCLUDED_
#define _NGX_CWEB_COMPILE_H_INCLUDED_


#include "ngx_cweb.h"


/* what a compile produced, handed to its done callback */
typedef struct ngx_cweb_compile_s  ngx_cweb_compile_t;

typedef void (*ngx_cweb_compile_done_pt)(ngx_cweb_compile_t *cc);

struct ngx_cweb_compile_s {
    ngx_str_t                   source;       /* path of the .c file */
    ngx_str_t                   output;       /* path of the .so to write */
    ngx_cweb_compile_done_pt    done;
    void                       *data;
    ngx_log_t                  *log;
    ngx_pool_t                 *pool;

    ngx_int_t                   status;       /* exit code, -1 unknown */
    unsigned                    timed_out:1;
    unsigned                    finished:1;
    ngx_buf_t                  *out;          /* cc stdout + stderr */
    ngx_msec_t                  elapsed;

    /* private to ngx_cweb_compile.c */
    ngx_pid_t                   pid;
    ngx_connection_t           *out_conn;
    ngx_connection_t           *status_conn;
    u_char                      status_buf[16];
    size_t                      status_len;
    ngx_event_t                 timer;
    ngx_msec_t                  start;
};



/* ngx_cweb_compile.c: the compiler as a watched child */
ngx_int_t ngx_cweb_compile_start(ngx_cweb_compile_t *cc);
void ngx_cweb_compile_abort(ngx_cweb_compile_t *cc);


#endif /* _NGX_CWEB_COMPILE_H_INCLUDED_ */
