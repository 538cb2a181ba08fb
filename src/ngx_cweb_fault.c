
/*
 * Faults of plugin code, as the process running it sees them.
 *
 * Every process that runs plugin code (workers, the single process) owns
 * one entry of the shared process table.  Around each call into plugin
 * code it stores what it is inside (registry slot, version, route) and
 * since when; ngx_cweb_call_enter()/_leave() in ngx_cweb_fault.h.
 *
 * A fault is recorded by the process that has it, lock-free and
 * async-signal-safe:
 * - SIGSEGV, SIGBUS, SIGFPE, SIGILL caused by a route handler or onload()
 *   (ngx_cweb_fault_call_route/_hook) are recovered: the handler, on an
 *   alternate stack (stack overflows), records the fault and siglongjmp()s
 *   back to the call, which answers that request 500; the worker then
 *   retires gracefully (ngx_quit: it finishes its other requests, the
 *   master starts a new one), because plugin code may have left its heap
 *   in any state.  A retiring worker that does not exit within
 *   NGX_CWEB_RETIRE_MAX is killed by the watchdog;
 * - the same signals anywhere else in plugin code, SIGABRT and SIGTRAP:
 *   the handler records the fault and re-raises the signal with its
 *   default action, so the process still dumps core and the master
 *   respawns it;
 * - exit(): an on_exit() hook records the exit code and leaves with
 *   _exit(), mapping 2 (which would stop the master from respawning the
 *   worker) to 1.
 * The helper finds the rest: calls that outlive cweb_handler_timeout
 * (it sends SIGABRT, then SIGKILL) and processes gone without a word
 * (_exit(), SIGKILL from outside).  Its SIGABRT is queued (sigqueue())
 * with the start of the call it saw: one that arrives when that call has
 * ended (between the watchdog's look and its signal) is ignored, so a
 * worker that is not stuck keeps its connections.
 *
 * The request that was inside the call still gets an answer when its
 * connection can take raw bytes (plain HTTP/1.x, nothing sent yet): a
 * short JSON 500 (crash, exit) or 504 (watchdog), written with write()
 * from the handler before the process goes.
 *
 * Recording a fault appends an event to the shared ring (persisted by the
 * helper) and counts it against the version; cweb_fault_limit faults
 * within cweb_fault_window set the slot's quarantine flag at once, so no
 * process calls that version again even before the helper has acted.
 * A fault of a call that began before the slot's plugin claimed it (a
 * call of a deleted plugin that held the slot) counts against nothing;
 * its event carries the call's start, so the helper drops it too.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_shm.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <sys/syscall.h>


#define NGX_CWEB_ALTSTACK_SIZE  (64 * 1024)


static void ngx_cweb_fault_signal_handler(int signo, siginfo_t *si,
    void *uc);
static ngx_uint_t ngx_cweb_fault_stale_abort(siginfo_t *si);
static void ngx_cweb_fault_on_exit(int status, void *arg);
static ngx_int_t ngx_cweb_fault_altstack_set(void *mem);
static ngx_uint_t ngx_cweb_fault_count_add(ngx_cweb_shm_module_t *m,
    ngx_uint_t version);
static void ngx_cweb_fault_answer(ngx_uint_t timeout);


ngx_cweb_proc_t  *ngx_cweb_self;
ngx_socket_t      ngx_cweb_fault_fd = -1;
void            (*ngx_cweb_fault_thread_hook)(int signo);
ngx_uint_t        ngx_cweb_fault_fd_ws;
ngx_int_t         ngx_cweb_call_now = NGX_CWEB_CALL_NONE;

/* armed while a recoverable call runs: where its fault handler returns */
static sigjmp_buf             ngx_cweb_fault_jmp;
static volatile sig_atomic_t  ngx_cweb_fault_armed;

static ngx_uint_t   ngx_cweb_fault_limit = 3;
static ngx_msec_t   ngx_cweb_fault_window = 60000;
static ngx_uint_t   ngx_cweb_fault_exit_hooked;

/* the signal stack: kept here, or only the kernel would point to it */
static void        *ngx_cweb_fault_altstack;

/* composed once, written from signal handlers */
static u_char       ngx_cweb_fault_500[256];
static size_t       ngx_cweb_fault_500_len;
static u_char       ngx_cweb_fault_504[256];
static size_t       ngx_cweb_fault_504_len;

static int  ngx_cweb_fault_signals[] = {
    SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, 0
};


void
ngx_cweb_fault_conf(ngx_cweb_main_conf_t *cmcf)
{
    ngx_cweb_fault_limit = cmcf->fault_limit;
    ngx_cweb_fault_window = cmcf->fault_window;
}


/* workers and the single process, before any plugin code can run */

ngx_int_t
ngx_cweb_fault_init_process(ngx_cycle_t *cycle)
{
    Dl_info                info;
    ngx_uint_t             i;
    struct sigaction       sa;

    static const char  crashed[] =
        "{\"error\":\"plugin fault\",\"reason\":\"the plugin crashed while "
        "handling this request\"}\n";
    static const char  stuck[] =
        "{\"error\":\"plugin fault\",\"reason\":\"the plugin did not "
        "answer within cweb_handler_timeout\"}\n";

    ngx_cweb_fault_conf(ngx_http_cycle_get_module_main_conf(cycle,
                                                            ngx_cweb_module));

    ngx_cweb_fault_500_len = ngx_snprintf(ngx_cweb_fault_500,
                                 sizeof(ngx_cweb_fault_500),
                                 "HTTP/1.1 500 Internal Server Error\r\n"
                                 "Content-Type: application/json\r\n"
                                 "Content-Length: %uz\r\n"
                                 "Connection: close\r\n\r\n%s",
                                 sizeof(crashed) - 1, crashed)
                             - ngx_cweb_fault_500;

    ngx_cweb_fault_504_len = ngx_snprintf(ngx_cweb_fault_504,
                                 sizeof(ngx_cweb_fault_504),
                                 "HTTP/1.1 504 Gateway Time-out\r\n"
                                 "Content-Type: application/json\r\n"
                                 "Content-Length: %uz\r\n"
                                 "Connection: close\r\n\r\n%s",
                                 sizeof(stuck) - 1, stuck)
                             - ngx_cweb_fault_504;

    ngx_cweb_self = ngx_cweb_proc_claim(ngx_pid);

    if (ngx_cweb_self == NULL) {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, 0,
                      "cweb process table is full (%d entries): faults of "
                      "plugin code in this process are not watched",
                      NGX_CWEB_MAX_PROCS);
        return NGX_OK;
    }

    /*
     * the handlers below live in this module, and an exiting worker
     * dlclose()s it with its cycle before exit() runs on_exit() hooks:
     * keep it mapped
     */
    if (dladdr(&ngx_cweb_module, &info) == 0
        || dlopen(info.dli_fname, RTLD_LAZY|RTLD_NOLOAD|RTLD_NODELETE)
           == NULL)
    {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "cweb could not pin its module: %s", dlerror());
        return NGX_OK;
    }

    /* a plugin recursing without end overflows the normal stack */
    if (ngx_cweb_fault_altstack == NULL) {
        ngx_cweb_fault_altstack = ngx_alloc(NGX_CWEB_ALTSTACK_SIZE,
                                            cycle->log);
        if (ngx_cweb_fault_altstack == NULL) {
            return NGX_ERROR;
        }
    }

    if (ngx_cweb_fault_altstack_set(ngx_cweb_fault_altstack) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "sigaltstack() failed");
    }

    /*
     * SA_NODEFER: a handler left by siglongjmp() must not leave its signal
     * blocked, and sigsetjmp() does not save the mask (a syscall per call)
     */
    ngx_memzero(&sa, sizeof(struct sigaction));
    sa.sa_sigaction = ngx_cweb_fault_signal_handler;
    sa.sa_flags = SA_SIGINFO|SA_ONSTACK|SA_NODEFER;
    sigemptyset(&sa.sa_mask);

    for (i = 0; ngx_cweb_fault_signals[i]; i++) {
        if (sigaction(ngx_cweb_fault_signals[i], &sa, NULL) == -1) {
            ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                          "sigaction(%d) failed", ngx_cweb_fault_signals[i]);
        }
    }

    /* a respawned worker inherits nothing: one hook per process image */
    if (!ngx_cweb_fault_exit_hooked) {
        if (on_exit(ngx_cweb_fault_on_exit, NULL) != 0) {
            ngx_log_error(NGX_LOG_ALERT, cycle->log, 0, "on_exit() failed");
        }

        ngx_cweb_fault_exit_hooked = 1;
    }

    return NGX_OK;
}


/*
 * the helper: its runner threads run jobs' code; a fault there is told to
 * hook (which records it) and then takes the process down as before
 */

ngx_int_t
ngx_cweb_fault_watch_threads(void (*hook)(int signo), ngx_log_t *log)
{
    ngx_uint_t        i;
    struct sigaction  sa;

    ngx_cweb_fault_thread_hook = hook;

    ngx_memzero(&sa, sizeof(struct sigaction));
    sa.sa_sigaction = ngx_cweb_fault_signal_handler;
    sa.sa_flags = SA_SIGINFO|SA_ONSTACK|SA_NODEFER;
    sigemptyset(&sa.sa_mask);

    for (i = 0; ngx_cweb_fault_signals[i]; i++) {
        if (sigaction(ngx_cweb_fault_signals[i], &sa, NULL) == -1) {
            ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                          "sigaction(%d) failed", ngx_cweb_fault_signals[i]);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* a thread's own stack for the handler: a job that recurses without end */

void *
ngx_cweb_fault_altstack_thread(void)
{
    void     *mem;

    mem = malloc(NGX_CWEB_ALTSTACK_SIZE);

    if (mem != NULL && ngx_cweb_fault_altstack_set(mem) != NGX_OK) {
        free(mem);
        return NULL;
    }

    return mem;
}


/* a thread that ends: its handler stack is no longer its, and is freed */

void
ngx_cweb_fault_altstack_end(void *mem)
{
    stack_t  ss;

    if (mem == NULL) {
        return;
    }

    ngx_memzero(&ss, sizeof(stack_t));
    ss.ss_flags = SS_DISABLE;
    (void) sigaltstack(&ss, NULL);
    free(mem);
}


/* mem (NGX_CWEB_ALTSTACK_SIZE bytes) as this thread's handler stack */

static ngx_int_t
ngx_cweb_fault_altstack_set(void *mem)
{
    stack_t  ss;

    ss.ss_sp = mem;
    ss.ss_size = NGX_CWEB_ALTSTACK_SIZE;
    ss.ss_flags = 0;

    return sigaltstack(&ss, NULL) == -1 ? NGX_ERROR : NGX_OK;
}


void
ngx_cweb_fault_exit_process(void)
{
    if (ngx_cweb_self) {
        ngx_cweb_proc_release(ngx_cweb_self);
        ngx_cweb_self = NULL;
    }
}


static void
ngx_cweb_fault_signal_handler(int signo, siginfo_t *si, void *uc)
{
    ngx_cweb_proc_t  *p;

    if (signo == SIGABRT && si != NULL && si->si_code == SI_QUEUE
        && ngx_cweb_fault_stale_abort(si))
    {
        return;
    }

    p = ngx_cweb_self;

    /* only the event loop thread runs plugin code */
    if (p != NULL && p->since != 0 && p->pid == (ngx_atomic_uint_t) ngx_pid
        && syscall(SYS_gettid) == ngx_pid)
    {
        /* the watchdog's SIGABRT was recorded as a timeout already */
        if (!(__atomic_fetch_or(&p->flags, NGX_CWEB_PROC_REPORTED,
                                __ATOMIC_SEQ_CST)
              & NGX_CWEB_PROC_REPORTED))
        {
            ngx_cweb_fault_record(p->what, NGX_CWEB_FAULT_SIGNAL, signo,
                                  ngx_pid);
        }

        /* a fault of the plugin's own instructions: back to the call */
        if (ngx_cweb_fault_armed && si != NULL && si->si_code > 0
            && signo != SIGABRT && signo != SIGTRAP
            && !(p->flags & NGX_CWEB_PROC_KILLED))
        {
            ngx_cweb_fault_armed = 0;
            siglongjmp(ngx_cweb_fault_jmp, signo);
        }

        ngx_cweb_fault_answer(p->flags & NGX_CWEB_PROC_KILLED);

    } else if (ngx_cweb_fault_thread_hook && si != NULL
               && (si->si_code > 0
                   || (si->si_code == SI_TKILL && si->si_pid == ngx_pid))
               && syscall(SYS_gettid) != ngx_pid)
    {
        /* this thread's own fault or abort(), not a signal from outside */
        ngx_cweb_fault_thread_hook(signo);
    }

    /*
     * the default action from now on: a fault caused by an instruction
     * happens again on return; a signal sent (kill, raise, abort) is sent
     * again
     */
    (void) signal(signo, SIG_DFL);

    if (si == NULL || si->si_code <= 0) {
        (void) raise(signo);
    }
}


/*
 * a queued SIGABRT is the watchdog's, its value the start of the call it
 * found stuck: when that call is no longer running, this process is not
 * stuck and the signal is dropped, and so is the watchdog's mark, so that
 * a later overrun is handled anew; atomics only
 */

static ngx_uint_t
ngx_cweb_fault_stale_abort(siginfo_t *si)
{
    ngx_cweb_proc_t    *p;
    ngx_atomic_uint_t   since;

    p = ngx_cweb_self;

    if (p == NULL || p->pid != (ngx_atomic_uint_t) ngx_pid) {
        return 0;
    }

    since = __atomic_load_n(&p->since, __ATOMIC_ACQUIRE);

    if (since != 0
        && since == (ngx_atomic_uint_t) (uintptr_t) si->si_value.sival_ptr)
    {
        return 0;
    }

    if (__atomic_load_n(&p->flags, __ATOMIC_ACQUIRE) & NGX_CWEB_PROC_KILLED) {
        (void) __atomic_fetch_and(&p->flags,
                                  ~(ngx_atomic_uint_t)
                                   (NGX_CWEB_PROC_KILLED
                                    |NGX_CWEB_PROC_REPORTED),
                                  __ATOMIC_SEQ_CST);
    }

    return 1;
}


/*
 * a route handler; 0 and its return code in *rc, or the signal it died of
 * (the fault is recorded; the caller answers 500 and recovers)
 */

int
ngx_cweb_fault_call_route(entry_t handler, cweb_context_t *ctx,
    http_request_t *req, http_response_t *res, int *rc)
{
    int  signo;

    ngx_cweb_fault_armed = 1;

    signo = sigsetjmp(ngx_cweb_fault_jmp, 0);

    if (signo == 0) {
        *rc = handler(ctx, req, res);
    }

    ngx_cweb_fault_armed = 0;

    return signo;
}


/*
 * len bytes of a buffer the plugin handed over (its own res->body with its
 * content_length): read inside the marker, as the plugin's code is, so a
 * length past the buffer's end is the plugin's fault; 0 or the signal
 */

int
ngx_cweb_fault_copy(void *dst, const void *src, size_t len)
{
    int  signo;

    ngx_cweb_fault_armed = 1;

    signo = sigsetjmp(ngx_cweb_fault_jmp, 0);

    if (signo == 0) {
        ngx_memcpy(dst, src, len);
    }

    ngx_cweb_fault_armed = 0;

    return signo;
}


/* event: 0 on_open, 1 on_message, 2 on_close (NGX_CWEB_WS_*) */

int
ngx_cweb_fault_call_ws(websocket_info_t *info, ngx_uint_t event,
    cweb_context_t *ctx, websocket_t *ws, const char *msg, size_t len)
{
    int  signo;

    ngx_cweb_fault_armed = 1;

    signo = sigsetjmp(ngx_cweb_fault_jmp, 0);

    if (signo == 0) {
        switch (event) {

        case 0:
            info->on_open(ctx, ws);
            break;

        case 1:
            info->on_message(ctx, ws, msg, len);
            break;

        default:
            info->on_close(ctx, ws);
            break;
        }
    }

    ngx_cweb_fault_armed = 0;

    return signo;
}


int
ngx_cweb_fault_call_hook(void (*hook)(struct cweb_context *),
    cweb_context_t *ctx)
{
    int  signo;

    ngx_cweb_fault_armed = 1;

    signo = sigsetjmp(ngx_cweb_fault_jmp, 0);

    if (signo == 0) {
        hook(ctx);
    }

    ngx_cweb_fault_armed = 0;

    return signo;
}


/*
 * after a recovered fault: the handlers are armed again for the next one,
 * and a worker retires (finishes its requests, then the master replaces
 * it); the single process has no master to replace it and carries on
 */

void
ngx_cweb_fault_recovered(int signo, ngx_log_t *log)
{
    ngx_cweb_proc_t  *p;

    p = ngx_cweb_self;

    if (p) {
        p->since = 0;
        p->flags = 0;
    }

    if (ngx_process != NGX_PROCESS_WORKER) {
        return;
    }

    if (p && p->retiring == 0) {
        p->retiring = ngx_current_msec | 1;
    }

    if (!ngx_exiting) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "cweb worker %P retires after %s in plugin code: it "
                      "finishes its requests and the master starts a new "
                      "one", ngx_pid, ngx_cweb_signal_name(signo));
        ngx_quit = 1;
    }
}


static void
ngx_cweb_fault_on_exit(int status, void *arg)
{
    ngx_cweb_proc_t  *p;

    p = ngx_cweb_self;

    if (p == NULL || p->since == 0 || p->pid != (ngx_atomic_uint_t) getpid())
    {
        return;
    }

    if (!(__atomic_fetch_or(&p->flags, NGX_CWEB_PROC_REPORTED,
                            __ATOMIC_SEQ_CST)
          & NGX_CWEB_PROC_REPORTED))
    {
        ngx_cweb_fault_record(p->what, NGX_CWEB_FAULT_EXIT, status, ngx_pid);
    }

    ngx_cweb_fault_answer(0);

    /* nginx never respawns a worker that exited with 2 */
    _exit(status == 2 ? 1 : status);
}


/* the last words to the client of the call, if it can take them */

static void
ngx_cweb_fault_answer(ngx_uint_t timeout)
{
    ngx_socket_t  fd;

    fd = ngx_cweb_fault_fd;
    ngx_cweb_fault_fd = -1;

    if (fd == -1) {
        return;
    }

    /* a WebSocket between frames: a Close with 1011 */
    if (ngx_cweb_fault_fd_ws) {
        (void) write(fd, "\x88\x13\x03\xf3the plugin failed", 21);
        return;
    }

    if (timeout) {
        (void) write(fd, ngx_cweb_fault_504, ngx_cweb_fault_504_len);

    } else {
        (void) write(fd, ngx_cweb_fault_500, ngx_cweb_fault_500_len);
    }
}


/* a fault of this process's current (or just ended) call */

void
ngx_cweb_fault_record(ngx_atomic_uint_t what, ngx_uint_t kind,
    ngx_int_t value, ngx_pid_t pid)
{
    ngx_atomic_uint_t  since;

    since = ngx_cweb_self ? __atomic_load_n(&ngx_cweb_self->since,
                                            __ATOMIC_ACQUIRE)
                          : 0;

    /* a call that has just returned began in this event loop iteration */
    ngx_cweb_fault_record_call(what, since ? since : ngx_current_msec | 1,
                               kind, value, pid);
}


/*
 * a fault of the call that began at since (msec); async-signal-safe:
 * atomics and plain stores into the zone only; the event becomes visible
 * to the helper when seq is set
 */

void
ngx_cweb_fault_record_call(ngx_atomic_uint_t what, ngx_msec_t since,
    ngx_uint_t kind, ngx_int_t value, ngx_pid_t pid)
{
    ngx_uint_t               slot, n;
    ngx_cweb_shm_t          *sh;
    ngx_atomic_uint_t        i;
    ngx_cweb_shctx_t        *ctx;
    ngx_cweb_fault_event_t  *ev;

    ctx = ngx_cweb_shm_ctx();
    if (ctx == NULL || ctx->sh == NULL) {
        return;
    }

    sh = ctx->sh;
    slot = ngx_cweb_what_slot(what);

    /* counted first, so the event carries where the version stands */
    n = (slot < NGX_CWEB_MAX_MODULES
         && !ngx_cweb_fault_stale(&sh->modules[slot], since))
        ? ngx_cweb_fault_count_add(&sh->modules[slot],
                                   ngx_cweb_what_version(what))
        : 0;

    i = ngx_atomic_fetch_add(&sh->fault_head, 1);
    ev = &sh->faults[i % NGX_CWEB_FAULT_EVENTS];

    ev->seq = 0;
    ev->what = what;
    ev->kind = kind;
    ev->value = value;
    ev->pid = pid;
    ev->at = ngx_time();
    ev->since = since;
    ev->count = n;
    ngx_memory_barrier();
    ev->seq = i + 1;
}


/*
 * the call that began at since was not one of the slot's plugin: the slot
 * was free or claimed by another name after the call began (versions
 * restart at 1 for a new name, so the version cannot tell)
 */

ngx_uint_t
ngx_cweb_fault_stale(ngx_cweb_shm_module_t *m, ngx_msec_t since)
{
    return m->state == NGX_CWEB_MOD_FREE
           || (ngx_msec_int_t) (since - m->claimed) < 0;
}


static ngx_uint_t
ngx_cweb_fault_count_add(ngx_cweb_shm_module_t *m, ngx_uint_t version)
{
    ngx_uint_t         i, count;
    ngx_atomic_uint_t  old, n;

    old = m->fault_version;

    if (old != version && ngx_atomic_cmp_set(&m->fault_version, old, version))
    {
        /* the faults of another version count no more */
        for (i = 0; i < NGX_CWEB_FAULT_RING; i++) {
            m->fault_at[i] = 0;
        }

        m->fault_next = 0;
    }

    n = ngx_atomic_fetch_add(&m->fault_next, 1);
    m->fault_at[n % NGX_CWEB_FAULT_RING] = ngx_current_msec | 1;

    count = ngx_cweb_fault_count(m, version);

    if (count >= ngx_cweb_fault_limit) {
        m->quarantine = version;
    }

    return count;
}


/* faults of version within the window, as far as the zone remembers */

ngx_uint_t
ngx_cweb_fault_count(ngx_cweb_shm_module_t *m, ngx_uint_t version)
{
    ngx_uint_t         i, n;
    ngx_atomic_uint_t  at;

    if (m->fault_version != version) {
        return 0;
    }

    n = 0;

    for (i = 0; i < NGX_CWEB_FAULT_RING; i++) {
        at = m->fault_at[i];

        if (at != 0 && (ngx_msec_int_t) (ngx_current_msec - at)
                       < (ngx_msec_int_t) ngx_cweb_fault_window)
        {
            n++;
        }
    }

    return n;
}


/*
 * the helper's side of the ring: NGX_OK and the oldest event not yet
 * persisted, NGX_AGAIN when there is none (or it is still being written)
 */

ngx_int_t
ngx_cweb_fault_next(ngx_cweb_fault_event_t *ev)
{
    ngx_cweb_shm_t          *sh;
    ngx_atomic_uint_t        head, tail;
    ngx_cweb_fault_event_t  *e;

    static ngx_atomic_uint_t  stuck;
    static ngx_msec_t         stuck_since;

    sh = ngx_cweb_shm_ctx()->sh;

    head = sh->fault_head;
    tail = sh->fault_tail;

    if (head - tail > NGX_CWEB_FAULT_EVENTS) {
        /* overwritten before they were persisted; counts stayed right */
        tail = head - NGX_CWEB_FAULT_EVENTS;
        sh->fault_tail = tail;
    }

    if (tail == head) {
        return NGX_AGAIN;
    }

    e = &sh->faults[tail % NGX_CWEB_FAULT_EVENTS];

    if (e->seq != tail + 1) {
        /* a writer that died half-way never completes its event */
        if (stuck != tail + 1) {
            stuck = tail + 1;
            stuck_since = ngx_current_msec;
            return NGX_AGAIN;
        }

        if (ngx_current_msec - stuck_since < 1000) {
            return NGX_AGAIN;
        }

        sh->fault_tail = tail + 1;
        return NGX_AGAIN;
    }

    *ev = *e;
    ngx_memory_barrier();

    if (e->seq != tail + 1) {
        return NGX_AGAIN;
    }

    sh->fault_tail = tail + 1;

    return NGX_OK;
}


/*
 * a fault in words, NUL-terminated in buf: "SIGSEGV", "exit code 2",
 * "still running after 1000 ms", ...; value is the signal, the exit code
 * or the timeout (msec) as kind says
 */

u_char *
ngx_cweb_fault_describe(u_char *buf, size_t size, ngx_uint_t kind,
    ngx_int_t value)
{
    u_char  *p, *last;

    last = buf + size - 1;

    switch (kind) {
    case NGX_CWEB_FAULT_SIGNAL:
        p = ngx_slprintf(buf, last, "%s", ngx_cweb_signal_name(value));
        break;
    case NGX_CWEB_FAULT_EXIT:
        p = ngx_slprintf(buf, last, "exit code %i", value);
        break;
    case NGX_CWEB_FAULT_TIMEOUT:
        p = ngx_slprintf(buf, last, "still running after %i ms", value);
        break;
    case NGX_CWEB_FAULT_OVERFLOW:
        p = ngx_slprintf(buf, last, "wrote past res->body");
        break;
    default:
        p = ngx_slprintf(buf, last, "died");
    }

    *p = '\0';

    return buf;
}


const char *
ngx_cweb_signal_name(ngx_int_t signo)
{
    switch (signo) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS:  return "SIGBUS";
    case SIGFPE:  return "SIGFPE";
    case SIGILL:  return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGTRAP: return "SIGTRAP";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGSYS:  return "SIGSYS";
    case SIGPIPE: return "SIGPIPE";
    default:      return "signal";
    }
}
