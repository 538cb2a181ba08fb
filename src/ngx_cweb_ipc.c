
/*
 * Cross-process event fan-out: the event ring in shared memory and the
 * doorbells (reference/nginx-internals.md sections 3 and 6).
 *
 * Design and invariants:
 * - The ring (ngx_cweb_ipc_ring.c) lives in a zone of its own,
 *   cweb_event_zone: its size is a matter of the rate of events, not of
 *   the registry, and a ring that overflows never costs registry memory.
 *   The zone holds the peer table, then the ring, in one slab allocation
 *   of all its pages.  Every access to the ring holds the slab mutex
 *   (nginx force-unlocks it when its holder dies); what is held is a
 *   memcpy, never I/O or a log line.
 * - A publisher puts a record (kind + payload) in the ring, then rings
 *   the doorbell of every registered process, its own included: one
 *   datagram, MSG_DONTWAIT; EAGAIN means the peer has a wakeup pending.
 *   A peer that is gone (ECONNREFUSED: its socket file is left, ENOENT:
 *   not even that) is dropped from the table by whoever rings it.
 * - A doorbell is a unix datagram socket <cweb_module_dir>/ipc/<pid>.sock,
 *   the directory 0700 and owned by the workers' user (not the abstract
 *   namespace: any local user could ring that).  It is bound before the
 *   process takes its slot in the peer table and closed after it leaves
 *   it, so a registered peer always has a socket.  A slow poll of the
 *   ring (NGX_CWEB_IPC_POLL ms, cancelable) delivers when a doorbell
 *   could not be made or a datagram was lost.
 * - Each receiving process reads the ring from where it was when it
 *   registered (nothing older is replayed), copies what is new out under
 *   the mutex and hands each record to the subscriber of its kind; one
 *   that fell more than the ring behind learns how many records it lost
 *   and says so at warn.
 * - Reload reuses the zone (same name, size and tag): old and new
 *   workers are peers of one table and read one ring.  A restart, or a
 *   reload that resizes the zone, starts with a fresh one (old workers
 *   keep theirs until they exit).
 * - Publishing needs only the zone and a socket: the helper may publish
 *   (and, to receive, register) like a worker.
 * - A kind can be published only while some process wants it
 *   (ngx_cweb_ipc_want(), ngx_cweb_ipc_wanted()): each peer keeps the
 *   bits of the kinds it has subscribers for beside its pid, cleared by
 *   itself when it leaves and by the slot's next owner (never by a
 *   ringer that drops a dead peer: the slot may be another's by then).  A publisher that checks after it heard from a new
 *   subscriber's process (a question on a socket) sees its bit, so a
 *   subscriber that asks for what happened before it wants, and takes
 *   the rest from the ring, misses nothing.  A process without a slot
 *   that wants a kind makes every kind wanted for the life of the zone.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_ipc.h"

#include <ngx_channel.h>
#include <sys/un.h>


#define NGX_CWEB_IPC_POLL       1000      /* ms, a fallback only */
#define NGX_CWEB_IPC_PID_LEN    7         /* Linux: pid_max <= 2^22 */


typedef struct {
    ngx_atomic_t                pid[NGX_CWEB_IPC_PEERS];    /* 0: free */
    ngx_atomic_t                want[NGX_CWEB_IPC_PEERS];   /* kinds' bits */
    ngx_atomic_t                want_any;     /* a peer with no slot wants */
} ngx_cweb_ipc_shm_t;


typedef struct {
    ngx_cweb_ipc_shm_t         *sh;
    ngx_cweb_ring_t            *ring;
    ngx_slab_pool_t            *shpool;
    ngx_str_t                   dir;          /* NUL-terminated */
    size_t                      size;
} ngx_cweb_ipc_ctx_t;


static ngx_int_t ngx_cweb_ipc_init_zone(ngx_shm_zone_t *zone, void *data);
static ngx_int_t ngx_cweb_ipc_doorbell(ngx_cycle_t *cycle);
static socklen_t ngx_cweb_ipc_addr(struct sockaddr_un *sun, ngx_pid_t pid);
static void ngx_cweb_ipc_ring_all(void);
static void ngx_cweb_ipc_bell_handler(ngx_event_t *ev);
static void ngx_cweb_ipc_poll_handler(ngx_event_t *ev);
static void ngx_cweb_ipc_deliver(ngx_log_t *log);


/* this process's zone (its cycle's), its doorbell and where it reads */
static ngx_cweb_ipc_ctx_t      *ngx_cweb_ipc_ctx;
static ngx_socket_t             ngx_cweb_ipc_fd = (ngx_socket_t) -1;
static ngx_socket_t             ngx_cweb_ipc_out = (ngx_socket_t) -1;
static ngx_atomic_t            *ngx_cweb_ipc_slot;
static ngx_cweb_ring_reader_t   ngx_cweb_ipc_reader;
static ngx_uint_t               ngx_cweb_ipc_held;
static ngx_uint_t               ngx_cweb_ipc_rung;
static u_char                  *ngx_cweb_ipc_buf;
static ngx_event_t              ngx_cweb_ipc_poll;
static ngx_connection_t         ngx_cweb_ipc_dumb;     /* the timer's */
static ngx_cweb_ipc_handler_pt  ngx_cweb_ipc_handlers[NGX_CWEB_IPC_KINDS];


ngx_shm_zone_t *
ngx_cweb_ipc_add_zone(ngx_conf_t *cf, ngx_str_t *dir, size_t size)
{
    size_t               max;
    ngx_str_t            name;
    ngx_shm_zone_t      *zone;
    ngx_cweb_ipc_ctx_t  *ctx;

    /* "<dir>/ipc/<pid>.sock" must fit a unix socket's name */
    max = sizeof(((struct sockaddr_un *) NULL)->sun_path)
          - sizeof(NGX_CWEB_IPC_DIR "/.sock") - NGX_CWEB_IPC_PID_LEN;

    if (dir->len > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"cweb_module_dir\" \"%V\" is too long: the "
                           "doorbell sockets in it allow at most %uz bytes",
                           dir, max);
        return NULL;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_cweb_ipc_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->dir.len = dir->len + sizeof(NGX_CWEB_IPC_DIR) - 1;
    ctx->dir.data = ngx_pnalloc(cf->pool, ctx->dir.len + 1);
    if (ctx->dir.data == NULL) {
        return NULL;
    }

    ngx_sprintf(ctx->dir.data, "%V" NGX_CWEB_IPC_DIR "%Z", dir);
    ctx->size = size;

    ngx_str_set(&name, "cweb_events");

    zone = ngx_shared_memory_add(cf, &name, size, &ngx_cweb_module);
    if (zone == NULL) {
        return NULL;
    }

    zone->init = ngx_cweb_ipc_init_zone;
    zone->data = ctx;

    return zone;
}


static ngx_int_t
ngx_cweb_ipc_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_cweb_ipc_ctx_t  *octx = data;

    size_t               bytes;
    ngx_cweb_ipc_ctx_t  *ctx;

    ctx = zone->data;

    if (octx) {
        /* a reload: the peers and the ring carry over */
        ctx->sh = octx->sh;
        ctx->ring = octx->ring;
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        ctx->ring = (ngx_cweb_ring_t *) (ctx->sh + 1);
        return NGX_OK;
    }

    /* every free page: the peer table, then the ring */
    bytes = ctx->shpool->pfree << ngx_pagesize_shift;

    ctx->sh = ngx_slab_alloc(ctx->shpool, bytes);
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(ctx->sh, sizeof(ngx_cweb_ipc_shm_t));

    ctx->ring = ngx_cweb_ring_init(ctx->sh + 1,
                                   bytes - sizeof(ngx_cweb_ipc_shm_t));
    if (ctx->ring == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;
    ctx->shpool->log_ctx = (u_char *) " in cweb_event_zone";
    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


void
ngx_cweb_ipc_use(ngx_shm_zone_t *zone)
{
    ngx_cweb_ipc_ctx = zone ? zone->data : NULL;
}


size_t
ngx_cweb_ipc_max(void)
{
    return ngx_cweb_ipc_ctx ? ngx_cweb_ring_max(ngx_cweb_ipc_ctx->ring) : 0;
}


ngx_int_t
ngx_cweb_ipc_subscribe(ngx_uint_t kind, ngx_cweb_ipc_handler_pt handler)
{
    if (kind == 0 || kind >= NGX_CWEB_IPC_KINDS
        || (ngx_cweb_ipc_handlers[kind] != NULL
            && ngx_cweb_ipc_handlers[kind] != handler))
    {
        return NGX_ERROR;
    }

    ngx_cweb_ipc_handlers[kind] = handler;

    return NGX_OK;
}


/*
 * the process reads the ring from now on and gets a doorbell; a doorbell
 * that cannot be made leaves it the poll (NGX_ERROR: no memory only)
 */

ngx_int_t
ngx_cweb_ipc_register(ngx_cycle_t *cycle)
{
    ngx_cweb_ipc_ctx_t  *ctx;

    ctx = ngx_cweb_ipc_ctx;

    if (ctx == NULL || ngx_cweb_ipc_buf != NULL) {
        return NGX_OK;
    }

    /* what one take() may copy: the whole ring */
    ngx_cweb_ipc_buf = ngx_alloc(ctx->ring->size, cycle->log);
    if (ngx_cweb_ipc_buf == NULL) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&ctx->shpool->mutex);
    ngx_cweb_ring_reader_init(ctx->ring, &ngx_cweb_ipc_reader);
    ngx_shmtx_unlock(&ctx->shpool->mutex);

    /* a timer's debug lines name its ev->data as a connection */
    ngx_cweb_ipc_dumb.fd = (ngx_socket_t) -1;
    ngx_cweb_ipc_poll.data = &ngx_cweb_ipc_dumb;
    ngx_cweb_ipc_poll.handler = ngx_cweb_ipc_poll_handler;
    ngx_cweb_ipc_poll.log = cycle->log;
    ngx_cweb_ipc_poll.cancelable = 1;
    ngx_add_timer(&ngx_cweb_ipc_poll, NGX_CWEB_IPC_POLL);

    if (ngx_cweb_ipc_mkdir(cycle->log) == NGX_OK
        && ngx_cweb_ipc_doorbell(cycle) == NGX_OK)
    {
        ngx_log_debug2(NGX_LOG_DEBUG_CORE, cycle->log, 0,
                       "cweb ipc: doorbell of process %P in \"%V\"",
                       ngx_pid, &ctx->dir);
    }

    return NGX_OK;
}


/* bound first, then in the table: a registered peer has a socket */

static ngx_int_t
ngx_cweb_ipc_doorbell(ngx_cycle_t *cycle)
{
    ngx_uint_t          i;
    ngx_socket_t        s;
    socklen_t           len;
    ngx_atomic_t       *pid;
    struct sockaddr_un  sun;

    s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s == (ngx_socket_t) -1) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_socket_errno,
                      ngx_socket_n " of the cweb doorbell failed");
        return NGX_ERROR;
    }

    len = ngx_cweb_ipc_addr(&sun, ngx_pid);

    /* a process of that pid that died left its socket */
    (void) unlink(sun.sun_path);

    if (bind(s, (struct sockaddr *) &sun, len) == -1) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_socket_errno,
                      "bind() of the cweb doorbell \"%s\" failed",
                      sun.sun_path);
        goto failed;
    }

    pid = NULL;

    for (i = 0; i < NGX_CWEB_IPC_PEERS; i++) {
        if (ngx_atomic_cmp_set(&ngx_cweb_ipc_ctx->sh->pid[i], 0, ngx_pid)) {
            pid = &ngx_cweb_ipc_ctx->sh->pid[i];
            ngx_cweb_ipc_ctx->sh->want[i] = 0;     /* the last owner's */
            break;
        }
    }

    if (pid == NULL) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, 0,
                      "cweb ipc: all %d doorbells are taken, this process "
                      "polls the event ring", NGX_CWEB_IPC_PEERS);
        goto unlinked;
    }

    if (ngx_add_channel_event(cycle, s, NGX_READ_EVENT,
                              ngx_cweb_ipc_bell_handler)
        != NGX_OK)
    {
        (void) ngx_atomic_cmp_set(pid, ngx_pid, 0);
        goto unlinked;
    }

    ngx_cweb_ipc_fd = s;
    ngx_cweb_ipc_slot = pid;

    return NGX_OK;

unlinked:

    (void) unlink(sun.sun_path);

failed:

    (void) ngx_close_socket(s);

    return NGX_ERROR;
}


/* <module_dir>/ipc: 0700, the workers' own (a symlink is refused) */

ngx_int_t
ngx_cweb_ipc_mkdir(ngx_log_t *log)
{
    u_char           *dir;
    ngx_file_info_t   fi;

    dir = ngx_cweb_ipc_ctx->dir.data;

    if (ngx_create_dir(dir, 0700) == NGX_FILE_ERROR
        && ngx_errno != NGX_EEXIST)
    {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      ngx_create_dir_n " \"%s\" failed", dir);
        return NGX_ERROR;
    }

    if (ngx_link_info(dir, &fi) == NGX_FILE_ERROR || !ngx_is_dir(&fi)
        || fi.st_uid != geteuid())
    {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "cweb doorbell directory \"%s\" is not a directory of "
                      "the workers' user: no doorbells", dir);
        return NGX_ERROR;
    }

    if ((fi.st_mode & 0777) != 0700 && chmod((char *) dir, 0700) == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "chmod() of \"%s\" failed: no doorbells", dir);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static socklen_t
ngx_cweb_ipc_addr(struct sockaddr_un *sun, ngx_pid_t pid)
{
    u_char  *p;

    ngx_memzero(sun, sizeof(struct sockaddr_un));
    sun->sun_family = AF_UNIX;

    /* fits for pids of up to NGX_CWEB_IPC_PID_LEN digits; bounded anyway */
    p = ngx_snprintf((u_char *) sun->sun_path, sizeof(sun->sun_path) - 1,
                     "%V/%P.sock", &ngx_cweb_ipc_ctx->dir, pid);
    *p++ = '\0';

    return (socklen_t) (offsetof(struct sockaddr_un, sun_path)
                        + (p - (u_char *) sun->sun_path));
}


/* at exit: out of the table, then the socket goes */

void
ngx_cweb_ipc_unregister(void)
{
    struct sockaddr_un  sun;

    if (ngx_cweb_ipc_slot) {
        /* not another's: a slot dropped while this process lived */
        if (*ngx_cweb_ipc_slot == (ngx_atomic_uint_t) ngx_pid) {
            ngx_cweb_ipc_ctx->sh->want[ngx_cweb_ipc_slot
                                       - ngx_cweb_ipc_ctx->sh->pid] = 0;
            (void) ngx_atomic_cmp_set(ngx_cweb_ipc_slot, ngx_pid, 0);
        }

        ngx_cweb_ipc_slot = NULL;
    }

    if (ngx_cweb_ipc_fd != (ngx_socket_t) -1) {
        (void) ngx_cweb_ipc_addr(&sun, ngx_pid);
        (void) unlink(sun.sun_path);
        (void) ngx_close_socket(ngx_cweb_ipc_fd);
        ngx_cweb_ipc_fd = (ngx_socket_t) -1;
    }

    if (ngx_cweb_ipc_out != (ngx_socket_t) -1) {
        (void) ngx_close_socket(ngx_cweb_ipc_out);
        ngx_cweb_ipc_out = (ngx_socket_t) -1;
    }

    ngx_free(ngx_cweb_ipc_buf);
    ngx_cweb_ipc_buf = NULL;
}


ngx_int_t
ngx_cweb_ipc_publish(ngx_uint_t kind, const void *data, size_t len)
{
    ngx_cweb_ring_part_t  part;

    part.data = data;
    part.len = len;

    return ngx_cweb_ipc_publishv(kind, &part, 1);
}


ngx_int_t
ngx_cweb_ipc_publishv(ngx_uint_t kind, const ngx_cweb_ring_part_t *parts,
    size_t n)
{
    int                  rc;
    uint64_t             seq;
    ngx_cweb_ipc_ctx_t  *ctx;

    ctx = ngx_cweb_ipc_ctx;

    if (ctx == NULL) {
        return NGX_DECLINED;
    }

    ngx_shmtx_lock(&ctx->shpool->mutex);
    rc = ngx_cweb_ring_put(ctx->ring, (uint32_t) kind, parts, n, &seq);
    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (rc != NGX_CWEB_RING_OK) {
        return NGX_DECLINED;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_CORE, ngx_cycle->log, 0,
                   "cweb ipc: event %uL of kind %ui published",
                   (uint64_t) seq, kind);

    if (ngx_cweb_ipc_held) {
        ngx_cweb_ipc_rung = 1;
        return NGX_OK;
    }

    ngx_cweb_ipc_ring_all();

    return NGX_OK;
}


/*
 * a burst of events (the jobs' commit of many): the doorbells are rung
 * once when it ends, not once per event
 */

/* this process has (on) or no longer has subscribers of kind */

void
ngx_cweb_ipc_want(ngx_uint_t kind, ngx_uint_t on)
{
    ngx_atomic_t       *want;
    ngx_atomic_uint_t   old, bit;

    if (ngx_cweb_ipc_ctx == NULL) {
        return;
    }

    /* polling the ring, or its slot dropped: nobody can tell when it stops */
    if (ngx_cweb_ipc_slot == NULL
        || *ngx_cweb_ipc_slot != (ngx_atomic_uint_t) ngx_pid)
    {
        if (on) {
            ngx_cweb_ipc_ctx->sh->want_any = 1;
        }

        return;
    }

    want = &ngx_cweb_ipc_ctx->sh->want[ngx_cweb_ipc_slot
                                       - ngx_cweb_ipc_ctx->sh->pid];
    bit = (ngx_atomic_uint_t) 1 << kind;

    /* only this process writes its bits but ringers may clear them */
    do {
        old = *want;
    } while (!ngx_atomic_cmp_set(want, old, on ? (old | bit) : (old & ~bit)));
}


/* whether some process wants kind: publishing it is of use */

ngx_uint_t
ngx_cweb_ipc_wanted(ngx_uint_t kind)
{
    ngx_uint_t           i;
    ngx_atomic_uint_t    bit;
    ngx_cweb_ipc_shm_t  *sh;

    if (ngx_cweb_ipc_ctx == NULL) {
        return 0;
    }

    sh = ngx_cweb_ipc_ctx->sh;
    bit = (ngx_atomic_uint_t) 1 << kind;

    if (sh->want_any) {
        return 1;
    }

    for (i = 0; i < NGX_CWEB_IPC_PEERS; i++) {
        if (sh->pid[i] != 0 && (sh->want[i] & bit)) {
            return 1;
        }
    }

    return 0;
}


void
ngx_cweb_ipc_hold(ngx_uint_t hold)
{
    ngx_cweb_ipc_held = hold;

    if (!hold && ngx_cweb_ipc_rung) {
        ngx_cweb_ipc_rung = 0;
        ngx_cweb_ipc_ring_all();
    }
}


static void
ngx_cweb_ipc_ring_all(void)
{
    u_char               bell;
    ngx_uint_t           i;
    ngx_err_t            err;
    socklen_t            len;
    ngx_socket_t         s;
    ngx_atomic_t        *slot;
    ngx_atomic_uint_t    pid;
    struct sockaddr_un   sun;

    s = ngx_cweb_ipc_fd;

    /* a process without a doorbell rings from a socket of its own */
    if (s == (ngx_socket_t) -1) {
        if (ngx_cweb_ipc_out == (ngx_socket_t) -1) {
            ngx_cweb_ipc_out = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        }

        s = ngx_cweb_ipc_out;

        if (s == (ngx_socket_t) -1) {
            return;           /* the poll of the others delivers */
        }
    }

    bell = 0;

    for (i = 0; i < NGX_CWEB_IPC_PEERS; i++) {
        slot = &ngx_cweb_ipc_ctx->sh->pid[i];
        pid = *slot;

        if (pid == 0) {
            continue;
        }

        len = ngx_cweb_ipc_addr(&sun, (ngx_pid_t) pid);

        if (sendto(s, &bell, 1, MSG_DONTWAIT, (struct sockaddr *) &sun, len)
            != -1)
        {
            continue;
        }

        err = ngx_socket_errno;

        if (err == NGX_EAGAIN || err == NGX_EINTR) {
            continue;         /* a wakeup is pending there already */
        }

        /* its want bits are cleared by the slot's next owner */
        if ((err == NGX_ECONNREFUSED || err == NGX_ENOENT)
            && ngx_atomic_cmp_set(slot, pid, 0))
        {
            (void) unlink(sun.sun_path);
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "cweb ipc: process %P is gone, its doorbell "
                          "dropped", (ngx_pid_t) pid);
            continue;
        }

        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, err,
                      "sendto() to the cweb doorbell \"%s\" failed",
                      sun.sun_path);
    }
}


static void
ngx_cweb_ipc_bell_handler(ngx_event_t *ev)
{
    u_char             buf[64];
    ssize_t            n;
    ngx_err_t          err;
    ngx_connection_t  *c;

    c = ev->data;

    /* many rings, one delivery */
    for ( ;; ) {
        n = recv(c->fd, buf, sizeof(buf), 0);

        if (n >= 0) {
            continue;
        }

        err = ngx_socket_errno;

        if (err == NGX_EINTR) {
            continue;
        }

        if (err != NGX_EAGAIN) {
            ngx_log_error(NGX_LOG_ALERT, ev->log, err,
                          "recv() of the cweb doorbell failed");
        }

        break;
    }

    ngx_cweb_ipc_deliver(ev->log);
}


static void
ngx_cweb_ipc_poll_handler(ngx_event_t *ev)
{
    ngx_cweb_ipc_deliver(ev->log);
    ngx_add_timer(ev, NGX_CWEB_IPC_POLL);
}


static void
ngx_cweb_ipc_deliver(ngx_log_t *log)
{
    size_t                n;
    uint64_t              lost;
    ngx_uint_t            k;
    ngx_cweb_ipc_ctx_t   *ctx;
    ngx_cweb_ring_rec_t   rec;
    const unsigned char  *p;

    ctx = ngx_cweb_ipc_ctx;

    if (ctx == NULL || ngx_cweb_ipc_buf == NULL) {
        return;
    }

    /* a word read without the lock: only whether to take it */
    if (*(volatile uint64_t *) &ctx->ring->next_seq
        == ngx_cweb_ipc_reader.seq)
    {
        return;
    }

    ngx_shmtx_lock(&ctx->shpool->mutex);
    n = ngx_cweb_ring_take(ctx->ring, &ngx_cweb_ipc_reader,
                           ngx_cweb_ipc_buf, &lost);
    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (lost) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "cweb ipc: this process fell behind the event ring "
                      "and lost %uL events (cweb_event_zone %uz is small "
                      "for their rate)", (uint64_t) lost, ctx->size);

        /* each subscriber learns it (no data): the jobs' read the store */
        for (k = 0; k < NGX_CWEB_IPC_KINDS; k++) {
            if (ngx_cweb_ipc_handlers[k] != NULL) {
                ngx_cweb_ipc_handlers[k](k, NULL, 0);
            }
        }
    }

    p = ngx_cweb_ipc_buf;

    while (ngx_cweb_ring_next(&p, ngx_cweb_ipc_buf + n, &rec)) {
        ngx_log_debug3(NGX_LOG_DEBUG_CORE, log, 0,
                       "cweb ipc: event %uL of kind %ui, %uz bytes",
                       (uint64_t) rec.seq, (ngx_uint_t) rec.kind, rec.len);

        if (rec.kind < NGX_CWEB_IPC_KINDS
            && ngx_cweb_ipc_handlers[rec.kind] != NULL)
        {
            ngx_cweb_ipc_handlers[rec.kind](rec.kind, (u_char *) rec.data,
                                            rec.len);
        }
    }
}
