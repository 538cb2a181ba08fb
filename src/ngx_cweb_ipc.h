
/*
 * Cross-process event fan-out (ngx_cweb_ipc.c): an event ring in a shared
 * zone of its own (cweb_event_zone) and a doorbell per process.  Any
 * process that uses the zone may publish; workers subscribe by kind and
 * get every event published after they started, in order.
 */


#ifndef _NGX_CWEB_IPC_H_INCLUDED_
#define _NGX_CWEB_IPC_H_INCLUDED_


#include "ngx_cweb.h"
#include "ngx_cweb_ipc_ring.h"


/* kinds of events: one list, each subscriber's own payload format */
#define NGX_CWEB_IPC_WS_BROADCAST  1     /* ngx_cweb_ws_bcast.c */
#define NGX_CWEB_IPC_JOB_EVENT     2     /* the jobs' (reserved) */
#define NGX_CWEB_IPC_KINDS         8

#define NGX_CWEB_IPC_PEERS         256
#define NGX_CWEB_IPC_ZONE_MIN      (32 * 1024)
#define NGX_CWEB_IPC_DIR           "/ipc"


typedef void (*ngx_cweb_ipc_handler_pt)(ngx_uint_t kind, u_char *data,
    size_t len);


/* configuration: the zone, the doorbells in <dir>/ipc */
ngx_shm_zone_t *ngx_cweb_ipc_add_zone(ngx_conf_t *cf, ngx_str_t *dir,
    size_t size);

/* any process: the zone of its cycle, to publish */
void ngx_cweb_ipc_use(ngx_shm_zone_t *zone);

/*
 * a process that receives: its doorbell and its place in the ring; the
 * workers register in init_process and leave at exit_process; the helper
 * (for the jobs) may register from its manager callback and must then
 * unregister from an atexit() hook, having no exit_process
 */
ngx_int_t ngx_cweb_ipc_register(ngx_cycle_t *cycle);
void ngx_cweb_ipc_unregister(void);

ngx_int_t ngx_cweb_ipc_subscribe(ngx_uint_t kind,
    ngx_cweb_ipc_handler_pt handler);

/*
 * NGX_OK: in the ring and announced; NGX_DECLINED: larger than
 * ngx_cweb_ipc_max() or no zone (cweb not enabled).  From the event
 * loop's thread of any process with the zone (it takes the slab mutex
 * and logs at debug); delivery is asynchronous, the publisher's own
 * subscribers included.
 */
ngx_int_t ngx_cweb_ipc_publish(ngx_uint_t kind, const void *data,
    size_t len);
ngx_int_t ngx_cweb_ipc_publishv(ngx_uint_t kind,
    const ngx_cweb_ring_part_t *parts, size_t n);

/* 1: events published ring no doorbell; 0: one ring for all of them */
void ngx_cweb_ipc_hold(ngx_uint_t hold);

/*
 * whether this process has subscribers of kind (want), whether any has
 * (wanted): a publisher may skip a kind nobody wants (see ngx_cweb_ipc.c)
 */
void ngx_cweb_ipc_want(ngx_uint_t kind, ngx_uint_t on);
ngx_uint_t ngx_cweb_ipc_wanted(ngx_uint_t kind);

/* <module_dir>/ipc, for the sockets in it (after ngx_cweb_ipc_use()) */
ngx_int_t ngx_cweb_ipc_mkdir(ngx_log_t *log);

/* the largest payload of an event, 0 without a zone */
size_t ngx_cweb_ipc_max(void);


#endif /* _NGX_CWEB_IPC_H_INCLUDED_ */
