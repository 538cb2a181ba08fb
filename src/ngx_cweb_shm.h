
/*
 * The shared zone: the registry of plugins, the table of processes that
 * may run plugin code and the ring of faults (ngx_cweb_shm.c).
 */


#ifndef _NGX_CWEB_SHM_H_INCLUDED_
#define _NGX_CWEB_SHM_H_INCLUDED_


#include "ngx_cweb.h"


#define NGX_CWEB_MAX_PROCS       256
#define NGX_CWEB_FAULT_EVENTS    256
#define NGX_CWEB_FAULT_RING      32      /* the largest cweb_fault_limit */

/* ngx_cweb_proc_t flags */
#define NGX_CWEB_PROC_REPORTED   0x01    /* the process recorded its fault */
#define NGX_CWEB_PROC_KILLED     0x02    /* the watchdog killed it */
#define NGX_CWEB_PROC_SIGKILLED  0x04    /* ... and SIGABRT did not do */


/*
 * One plugin in the shared registry.  The registry mirrors the "modules"
 * and "module_versions" tables of SQLite and is guarded by the slab mutex,
 * except the fault fields, which processes dying inside plugin code write
 * from a signal handler: they are atomics, written without the lock.
 * manifest lists what the active version serves, one item a line:
 * "R <method> <path>", "W <path>", "J <name>"; it is slab memory and is
 * replaced, never edited.
 */
typedef struct {
    ngx_uint_t                  state;        /* NGX_CWEB_MOD_* */
    ngx_uint_t                  slot;         /* index in modules[] */
    ngx_uint_t                  version;      /* active version, 1.. */
    size_t                      name_len;
    u_char                      name[NGX_CWEB_NAME_LEN];
    u_char                      module_hash[NGX_CWEB_HASH_LEN];
    u_char                      source_sha256[NGX_CWEB_HASH_LEN];
    u_char                      so_file[NGX_CWEB_FILE_LEN];
    u_char                      reason[NGX_CWEB_REASON_LEN];
    ngx_msec_t                  compile_ms;
    time_t                      updated;
    size_t                      manifest_len;
    u_char                     *manifest;

    /* faults of one version within cweb_fault_window, lock-free */
    ngx_atomic_t                fault_version;
    ngx_atomic_t                fault_next;
    ngx_atomic_t                quarantine;   /* version that must not run */
    ngx_atomic_t                quarantine_done;  /* the helper acted */
    ngx_atomic_t                fault_at[NGX_CWEB_FAULT_RING];   /* msec */
    ngx_msec_t                  claimed;      /* msec: name took the slot */
} ngx_cweb_shm_module_t;


/*
 * A process that may run plugin code.  The call marker is written only
 * by the process itself: "what" then "since" to enter plugin code,
 * "since = 0" to leave it; the watchdog reads "since", "what", "since".
 */
typedef struct {
    ngx_atomic_t                pid;          /* 0: free */
    ngx_atomic_t                since;        /* msec, 0: not in a call */
    ngx_atomic_t                what;         /* ngx_cweb_call_what() */
    ngx_atomic_t                flags;        /* NGX_CWEB_PROC_* */
    ngx_atomic_t                retiring;     /* msec: exits after a fault */
} ngx_cweb_proc_t;


/* a fault, written lock-free by whoever saw it, persisted by the helper */
typedef struct {
    ngx_atomic_t                seq;          /* index + 1 once complete */
    ngx_atomic_t                what;
    ngx_atomic_t                kind;         /* NGX_CWEB_FAULT_* */
    ngx_atomic_t                value;        /* signal, exit code, msec */
    ngx_atomic_t                pid;
    ngx_atomic_t                at;           /* unix time */
    ngx_atomic_t                count;        /* faults in the window */
    ngx_atomic_t                since;        /* msec: the call began */
} ngx_cweb_fault_event_t;


typedef struct {
    ngx_atomic_t                state;        /* NGX_CWEB_ZONE_* */
    u_char                      reason[NGX_CWEB_REASON_LEN];
    ngx_atomic_t                generation;   /* bumped on every change */
    ngx_atomic_t                commit_lock;  /* pid of the committer */
    ngx_atomic_t                helper;       /* pid of the acting helper */
    ngx_atomic_t                fault_head;   /* events written */
    ngx_atomic_t                fault_tail;   /* events persisted */
    ngx_cweb_fault_event_t      faults[NGX_CWEB_FAULT_EVENTS];
    ngx_cweb_proc_t             procs[NGX_CWEB_MAX_PROCS];
    ngx_cweb_shm_module_t       modules[NGX_CWEB_MAX_MODULES];
} ngx_cweb_shm_t;


typedef struct {
    ngx_cweb_shm_t             *sh;
    ngx_slab_pool_t            *shpool;
} ngx_cweb_shctx_t;


/* ngx_cweb_shm.c: zone, registry, commit lock, process table */
ngx_int_t ngx_cweb_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data);
ngx_cweb_shctx_t *ngx_cweb_shm_ctx(void);
void ngx_cweb_shm_use(ngx_cycle_t *cycle);
ngx_uint_t ngx_cweb_shm_generation(void);
ngx_uint_t ngx_cweb_shm_state(u_char **reason);
void ngx_cweb_shm_set_state(ngx_uint_t state, const char *reason);
ngx_int_t ngx_cweb_registry_snapshot(ngx_pool_t *pool, ngx_array_t *out);
ngx_int_t ngx_cweb_registry_get(ngx_str_t *name, ngx_cweb_shm_module_t *out,
    ngx_pool_t *pool);
ngx_int_t ngx_cweb_registry_get_slot(ngx_uint_t slot,
    ngx_cweb_shm_module_t *out, ngx_pool_t *pool);
ngx_int_t ngx_cweb_registry_find_source(u_char *sha256,
    ngx_cweb_shm_module_t *out, ngx_pool_t *pool);
ngx_int_t ngx_cweb_registry_publish(ngx_cweb_version_rec_t *rec);
ngx_int_t ngx_cweb_registry_remove(ngx_str_t *name);
ngx_int_t ngx_cweb_registry_set_state(ngx_str_t *name, ngx_uint_t version,
    ngx_uint_t state, const char *reason);
ngx_int_t ngx_cweb_commit_trylock(void);
void ngx_cweb_commit_unlock(void);
ngx_cweb_proc_t *ngx_cweb_proc_claim(ngx_pid_t pid);
void ngx_cweb_proc_release(ngx_cweb_proc_t *p);


#endif /* _NGX_CWEB_SHM_H_INCLUDED_ */
