
/*
 * Private to the canary: its process (ngx_cweb_canary.c), the throwaway
 * child that runs plugin code (ngx_cweb_canary_child.c) and the
 * requester's side (ngx_cweb_canary_client.c).
 */


#ifndef _NGX_CWEB_CANARY_INT_H_INCLUDED_
#define _NGX_CWEB_CANARY_INT_H_INCLUDED_


#include "ngx_cweb_canary.h"

#include <sys/un.h>


#define NGX_CWEB_CANARY_MAX_REPLY   (512 * 1024)
#define NGX_CWEB_CANARY_RETRY       100
#define NGX_CWEB_CANARY_TRIES       100
#define NGX_CWEB_CANARY_REAP_DELAY  16
#define NGX_CWEB_CANARY_MAX_FD      65536
#define NGX_CWEB_CANARY_BACKLOG     16
/* beyond cweb_handler_timeout: hashing, the request line, the answer */
#define NGX_CWEB_CANARY_SLACK       10000


ngx_int_t ngx_cweb_canary_path(ngx_str_t *dir, struct sockaddr_un *sa,
    ngx_log_t *log);
void ngx_cweb_canary_child(ngx_cycle_t *cycle, u_char *path, int fd);


#endif /* _NGX_CWEB_CANARY_INT_H_INCLUDED_ */
