
/*
 * The cweb helper process and its watchdog (ngx_cweb_helper.c,
 * ngx_cweb_watchdog.c).
 */


#ifndef _NGX_CWEB_HELPER_H_INCLUDED_
#define _NGX_CWEB_HELPER_H_INCLUDED_


#include "ngx_cweb.h"


/* ngx_cweb_helper.c: the cweb helper process */
ngx_msec_t ngx_cweb_helper_manager(void *data);
ngx_int_t ngx_cweb_helper_start(ngx_cycle_t *cycle);
void ngx_cweb_purge_at_exit(ngx_cycle_t *cycle);

/* ngx_cweb_watchdog.c: stuck and dead processes, faults, quarantines */
void ngx_cweb_watchdog_run(void *db, ngx_cweb_main_conf_t *cmcf);
void ngx_cweb_watchdog_faults(void *db, ngx_cweb_main_conf_t *cmcf);
void ngx_cweb_watchdog_quarantines(void *db, ngx_cweb_main_conf_t *cmcf);


#endif /* _NGX_CWEB_HELPER_H_INCLUDED_ */
