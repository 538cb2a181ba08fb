
/*
 * Faults of plugin code: the call marker a process writes around every
 * call into a plugin, and what is recorded when one fails (ngx_cweb_fault.c).
 */


#ifndef _NGX_CWEB_FAULT_H_INCLUDED_
#define _NGX_CWEB_FAULT_H_INCLUDED_


#include "ngx_cweb_shm.h"


/* what plugin code a process is inside, besides a route index */
#define NGX_CWEB_CALL_LOAD       -1      /* dlopen(): constructors */
#define NGX_CWEB_CALL_ONLOAD     -2
#define NGX_CWEB_CALL_UNLOAD     -3      /* unload() and destructors */
#define NGX_CWEB_CALL_WORK       -4      /* ctx->scheduler work */
#define NGX_CWEB_CALL_JOB        -5      /* a job's run() in the helper */
#define NGX_CWEB_CALL_NONE       -16     /* no plugin code is running */
/* a handler of module_t.websockets[i] */
#define NGX_CWEB_CALL_WS_BASE    1024
#define NGX_CWEB_CALL_WS(i)      (NGX_CWEB_CALL_WS_BASE + (ngx_int_t) (i))

/* faults */
#define NGX_CWEB_FAULT_SIGNAL     1
#define NGX_CWEB_FAULT_EXIT       2
#define NGX_CWEB_FAULT_TIMEOUT    3
#define NGX_CWEB_FAULT_DIED       4      /* gone without a word: _exit() */
#define NGX_CWEB_FAULT_OVERFLOW   5      /* wrote past res->body */


/* the call marker (two stores to enter plugin code, one to leave it) */

extern ngx_cweb_proc_t  *ngx_cweb_self;
extern ngx_socket_t      ngx_cweb_fault_fd;  /* raw answer if it dies */
extern ngx_uint_t        ngx_cweb_fault_fd_ws;   /* ... a WebSocket's */
/*
 * a fault of plugin code on another thread than the event loop's (a job's
 * runner, in the helper): told to this hook, async-signal-safe, before the
 * signal takes the process down
 */
extern void            (*ngx_cweb_fault_thread_hook)(int signo);
/* what plugin code runs on this process's event loop (its API contexts) */
extern ngx_int_t         ngx_cweb_call_now;

#define ngx_cweb_call_what(slot, version, route)                           \
    (((ngx_atomic_uint_t) ((route) + 16) << 48)                              \
     | ((ngx_atomic_uint_t) (slot) << 32) | (uint32_t) (version))

#define ngx_cweb_what_slot(w)     ((ngx_uint_t) (((w) >> 32) & 0xffff))
#define ngx_cweb_what_version(w)  ((ngx_uint_t) ((w) & 0xffffffff))
#define ngx_cweb_what_route(w)    ((ngx_int_t) ((w) >> 48) - 16)

#define ngx_cweb_call_enter(p, route)                                        \
    do {                                                                     \
        ngx_cweb_call_now = (route);                                         \
        if (ngx_cweb_self) {                                                 \
            __atomic_store_n(&ngx_cweb_self->what,                           \
                             ngx_cweb_call_what((p)->slot, (p)->version,     \
                                                route),                      \
                             __ATOMIC_RELAXED);                              \
            __atomic_store_n(&ngx_cweb_self->since, ngx_current_msec | 1,    \
                             __ATOMIC_RELEASE);                              \
        }                                                                    \
    } while (0)

#define ngx_cweb_call_leave()                                                \
    do {                                                                     \
        ngx_cweb_call_now = NGX_CWEB_CALL_NONE;                              \
        if (ngx_cweb_self) {                                                 \
            __atomic_store_n(&ngx_cweb_self->since, 0, __ATOMIC_RELEASE);    \
        }                                                                    \
    } while (0)


/* ngx_cweb_fault.c: faults of plugin code, quarantine flags */
void ngx_cweb_fault_conf(ngx_cweb_main_conf_t *cmcf);
ngx_int_t ngx_cweb_fault_init_process(ngx_cycle_t *cycle);
void ngx_cweb_fault_exit_process(void);
ngx_int_t ngx_cweb_fault_watch_threads(void (*hook)(int signo),
    ngx_log_t *log);
void *ngx_cweb_fault_altstack_thread(void);
void ngx_cweb_fault_altstack_end(void *mem);
void ngx_cweb_fault_record(ngx_atomic_uint_t what, ngx_uint_t kind,
    ngx_int_t value, ngx_pid_t pid);
void ngx_cweb_fault_record_call(ngx_atomic_uint_t what, ngx_msec_t since,
    ngx_uint_t kind, ngx_int_t value, ngx_pid_t pid);
ngx_uint_t ngx_cweb_fault_stale(ngx_cweb_shm_module_t *m, ngx_msec_t since);
u_char *ngx_cweb_fault_describe(u_char *buf, size_t size, ngx_uint_t kind,
    ngx_int_t value);
int ngx_cweb_fault_copy(void *dst, const void *src, size_t len);
int ngx_cweb_fault_call_route(entry_t handler, cweb_context_t *ctx,
    http_request_t *req, http_response_t *res, int *rc);
int ngx_cweb_fault_call_hook(void (*hook)(struct cweb_context *),
    cweb_context_t *ctx);
int ngx_cweb_fault_call_ws(websocket_info_t *info, ngx_uint_t event,
    cweb_context_t *ctx, websocket_t *ws, const char *msg, size_t len);
void ngx_cweb_fault_recovered(int signo, ngx_log_t *log);
ngx_uint_t ngx_cweb_fault_count(ngx_cweb_shm_module_t *m,
    ngx_uint_t version);
ngx_int_t ngx_cweb_fault_next(ngx_cweb_fault_event_t *ev);
const char *ngx_cweb_signal_name(ngx_int_t signo);


#endif /* _NGX_CWEB_FAULT_H_INCLUDED_ */
