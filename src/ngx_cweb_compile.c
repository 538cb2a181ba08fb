
/*
 * The compiler as a child process watched by the event loop.
 *
 * nginx reaps every child of every process (its SIGCHLD handler calls
 * waitpid(-1)), so the exit status cannot come from waitpid: a small sh
 * wrapper runs the compiler and writes its status to fd 3.  The wrapper
 * also enforces cweb_compile_timeout with coreutils timeout(1), which
 * exits with 124, so nginx only ever sees the wrapper exit normally;
 * timeout(1) runs the compiler in a process group of its own and kills
 * that group, with -k, one second after the limit.  An nginx timer two
 * seconds after the limit is the backstop: it kills the wrapper's group
 * (the child is its own group leader), which ends the wait for fd 3.
 *
 * The child gets: stdin /dev/null, stdout+stderr on one pipe, fd 3 the
 * status pipe, every other fd closed, an empty signal mask, SIGPIPE back
 * to default, C locale (ASCII diagnostics), a fixed PATH, its own process
 * group, and resource limits that every compiler process inherits: address
 * space (cweb_compile_memory), CPU seconds (cweb_compile_timeout), file
 * size (cweb_compile_file_size) and, when set, processes
 * (cweb_compile_processes, counted per user by the kernel), so
 * that a hostile source ("#include \"/dev/zero\"") fails fast instead of
 * eating the machine.  The child is forked, not posix_spawn()ed, because
 * setrlimit() must happen between fork and exec; it calls only
 * async-signal-safe functions before execve().
 */


#include "ngx_cweb.h"
#include "ngx_cweb_compile.h"

#include <sys/resource.h>
#include <sys/syscall.h>


#define NGX_CWEB_COMPILE_OUTPUT_MAX  (256 * 1024)

/* the words of a NULL-terminated static list */
#define ngx_cweb_nelts(list)  (sizeof(list) / sizeof(char *) - 1)


static ngx_int_t ngx_cweb_compile_argv(ngx_cweb_main_conf_t *cmcf,
    ngx_pool_t *pool, ngx_str_t *src, ngx_str_t *out, ngx_msec_t timeout,
    char ***argv);
static ngx_int_t ngx_cweb_compile_spawn(ngx_cweb_main_conf_t *cmcf,
    char **argv, int out_fd, int status_fd, ngx_pid_t *pid, ngx_log_t *log);
static void ngx_cweb_compile_close_from(int first);
static void ngx_cweb_compile_child(ngx_cweb_main_conf_t *cmcf, char **argv,
    int out_fd, int status_fd, int null_fd);
static void ngx_cweb_compile_read_handler(ngx_event_t *ev);
static void ngx_cweb_compile_timeout_handler(ngx_event_t *ev);
static void ngx_cweb_compile_finish(ngx_cweb_compile_t *cc);
static void ngx_cweb_compile_close(ngx_connection_t **cp);


static char  ngx_cweb_compile_script[] =
    "t=$1; shift; "
    "timeout -k 1s \"$t\" \"$@\" 3>&-; "
    "echo $? >&3";

static char  *ngx_cweb_compile_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL=C",
    "LANG=C",
    NULL
};


static ngx_int_t
ngx_cweb_compile_argv(ngx_cweb_main_conf_t *cmcf, ngx_pool_t *pool,
    ngx_str_t *src, ngx_str_t *out, ngx_msec_t timeout, char ***argv)
{
    char        **a, **words;
    u_char       *p;
    ngx_uint_t    i, n;

    /*
     * a plugin's globals stay in its dynamic symbol table, so that
     * ctx->symbols->resolv() finds them as c-web-modules does; -Bsymbolic
     * binds the plugin's own references to its own definitions (a
     * "malloc" or "ngx_pagesize" of its own never meets nginx's), and
     * RTLD_LOCAL keeps them out of everyone else's lookups
     */
    static char  *fixed[] = {
        "-std=gnu11", "-fPIC", "-shared", "-Wl,-Bsymbolic",
        "-fdiagnostics-color=never", "-Wl,-z,defs", NULL
    };

    static char  *libs[] = {
        "-ljansson", "-lsqlite3", "-lssl", "-lcrypto", "-lm", "-lpthread",
        NULL
    };

    /* sh -c script sh timeout, cc+cflags, fixed, -I -o out src entry, libs */
    n = 5 + cmcf->cc_argv->nelts + ngx_cweb_nelts(fixed) + 5
        + ngx_cweb_nelts(libs) + 1;

    a = ngx_pcalloc(pool, n * sizeof(char *));
    if (a == NULL) {
        return NGX_ERROR;
    }

    *argv = a;

    *a++ = "/bin/sh";
    *a++ = "-c";
    *a++ = ngx_cweb_compile_script;
    *a++ = "sh";

    p = ngx_pnalloc(pool, NGX_INT_T_LEN + 3);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(p, "%ui.%03uis%Z", timeout / 1000, timeout % 1000);
    *a++ = (char *) p;

    /* cc words first, then our flags, so cweb_cflags may override them */
    words = cmcf->cc_argv->elts;

    for (i = 0; i < cmcf->cc_nwords; i++) {
        *a++ = words[i];
    }

    for (i = 0; fixed[i]; i++) {
        *a++ = fixed[i];
    }

    for (i = cmcf->cc_nwords; i < cmcf->cc_argv->nelts; i++) {
        *a++ = words[i];
    }

    *a++ = "-I" NGX_CWEB_INCLUDE_DIR;
    *a++ = "-o";
    *a++ = (char *) out->data;
    *a++ = (char *) src->data;
    *a++ = NGX_CWEB_INCLUDE_DIR "/cweb_entry.c";

    for (i = 0; libs[i]; i++) {
        *a++ = libs[i];
    }

    *a = NULL;

    return NGX_OK;
}


static ngx_int_t
ngx_cweb_compile_spawn(ngx_cweb_main_conf_t *cmcf, char **argv, int out_fd,
    int status_fd, ngx_pid_t *pid, ngx_log_t *log)
{
    int  null_fd;

    null_fd = open("/dev/null", O_RDONLY|O_CLOEXEC);
    if (null_fd == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "open(\"/dev/null\") failed");
        return NGX_ERROR;
    }

    *pid = fork();

    if (*pid == 0) {
        ngx_cweb_compile_child(cmcf, argv, out_fd, status_fd, null_fd);
        _exit(127);
    }

    close(null_fd);

    if (*pid == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "cweb fork() for the compiler failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the fallback of close_range(): every descriptor the limit allows */

static void
ngx_cweb_compile_close_from(int first)
{
    int            fd;
    struct rlimit  rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY
        || rl.rlim_cur > 1024 * 1024)
    {
        rl.rlim_cur = 1024 * 1024;
    }

    for (fd = first; fd < (int) rl.rlim_cur; fd++) {
        (void) close(fd);
    }
}


/* between fork and exec: async-signal-safe calls only */

static void
ngx_cweb_compile_child(ngx_cweb_main_conf_t *cmcf, char **argv, int out_fd,
    int status_fd, int null_fd)
{
    sigset_t       set;
    struct rlimit  rl;

    (void) setpgid(0, 0);

    sigemptyset(&set);
    (void) sigprocmask(SIG_SETMASK, &set, NULL);
    (void) signal(SIGPIPE, SIG_DFL);

    if (dup2(null_fd, 0) == -1 || dup2(out_fd, 1) == -1
        || dup2(out_fd, 2) == -1 || dup2(status_fd, 3) == -1)
    {
        return;
    }

    /*
     * listening and client sockets are not close-on-exec in nginx;
     * close_range() is Linux 5.9+ and may be filtered (seccomp)
     */
    if (syscall(SYS_close_range, 4, ~0U, 0) == -1) {
        ngx_cweb_compile_close_from(4);
    }

    rl.rlim_cur = rl.rlim_max = cmcf->compile_memory;
    (void) setrlimit(RLIMIT_AS, &rl);

    rl.rlim_cur = rl.rlim_max = (cmcf->compile_timeout + 999) / 1000;
    (void) setrlimit(RLIMIT_CPU, &rl);

    rl.rlim_cur = rl.rlim_max = cmcf->compile_file_size;
    (void) setrlimit(RLIMIT_FSIZE, &rl);

    /* it counts every process and thread of the user: only when asked */
    if (cmcf->compile_processes) {
        rl.rlim_cur = rl.rlim_max = cmcf->compile_processes;
        (void) setrlimit(RLIMIT_NPROC, &rl);
    }

    (void) execve(argv[0], argv, ngx_cweb_compile_env);
}


ngx_int_t
ngx_cweb_compile_start(ngx_cweb_compile_t *cc)
{
    int                    out[2], st[2];
    char                 **argv;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_cweb_conf();

    if (ngx_cweb_compile_argv(cmcf, cc->pool, &cc->source, &cc->output,
                              cmcf->compile_timeout, &argv)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cc->out = ngx_create_temp_buf(cc->pool, 4096);
    if (cc->out == NULL) {
        return NGX_ERROR;
    }

    if (pipe2(out, O_CLOEXEC) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cc->log, ngx_errno, "pipe2() failed");
        return NGX_ERROR;
    }

    if (pipe2(st, O_CLOEXEC) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cc->log, ngx_errno, "pipe2() failed");
        close(out[0]);
        close(out[1]);
        return NGX_ERROR;
    }

    cc->status = -1;
    cc->start = ngx_current_msec;

    if (ngx_cweb_compile_spawn(cmcf, argv, out[1], st[1], &cc->pid, cc->log)
        != NGX_OK)
    {
        goto failed;
    }

    close(out[1]);
    close(st[1]);
    out[1] = -1;
    st[1] = -1;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, cc->log, 0,
                   "cweb compile: pid %P \"%V\"", cc->pid, &cc->source);

    if (ngx_nonblocking(out[0]) == -1 || ngx_nonblocking(st[0]) == -1) {
        goto failed;
    }

    cc->out_conn = ngx_get_connection(out[0], cc->log);
    if (cc->out_conn == NULL) {
        goto failed;
    }

    out[0] = -1;

    cc->status_conn = ngx_get_connection(st[0], cc->log);
    if (cc->status_conn == NULL) {
        goto failed;
    }

    st[0] = -1;

    cc->out_conn->data = cc;
    cc->out_conn->read->handler = ngx_cweb_compile_read_handler;
    cc->out_conn->read->log = cc->log;
    cc->status_conn->data = cc;
    cc->status_conn->read->handler = ngx_cweb_compile_read_handler;
    cc->status_conn->read->log = cc->log;

    if (ngx_handle_read_event(cc->out_conn->read, 0) != NGX_OK
        || ngx_handle_read_event(cc->status_conn->read, 0) != NGX_OK)
    {
        goto failed;
    }

    cc->timer.handler = ngx_cweb_compile_timeout_handler;
    cc->timer.data = cc;
    cc->timer.log = cc->log;
    ngx_add_timer(&cc->timer, cmcf->compile_timeout + 2000);

    return NGX_OK;

failed:

    if (out[0] != -1) {
        close(out[0]);
    }

    if (out[1] != -1) {
        close(out[1]);
    }

    if (st[0] != -1) {
        close(st[0]);
    }

    if (st[1] != -1) {
        close(st[1]);
    }

    ngx_cweb_compile_close(&cc->out_conn);
    ngx_cweb_compile_close(&cc->status_conn);

    return NGX_ERROR;
}


static void
ngx_cweb_compile_read_handler(ngx_event_t *ev)
{
    u_char               buf[4096];
    size_t               size;
    ssize_t              n;
    ngx_buf_t           *b, *nb;
    ngx_connection_t    *c;
    ngx_cweb_compile_t  *cc;

    c = ev->data;
    cc = c->data;

    for ( ;; ) {
        n = read(c->fd, buf, sizeof(buf));

        if (n == -1 && ngx_errno == NGX_EAGAIN) {
            if (ngx_handle_read_event(ev, 0) != NGX_OK) {
                break;
            }

            return;
        }

        if (n == -1 && ngx_errno == NGX_EINTR) {
            continue;
        }

        if (n <= 0) {
            break;
        }

        if (c == cc->status_conn) {
            size = ngx_min((size_t) n,
                           sizeof(cc->status_buf) - 1 - cc->status_len);
            ngx_memcpy(cc->status_buf + cc->status_len, buf, size);
            cc->status_len += size;
            continue;
        }

        b = cc->out;

        if ((size_t) (b->end - b->last) < (size_t) n
            && (size_t) (b->end - b->start) < NGX_CWEB_COMPILE_OUTPUT_MAX)
        {
            size = ngx_max((size_t) (b->end - b->start) * 2,
                           (size_t) (b->last - b->start) + n);

            nb = ngx_create_temp_buf(cc->pool, size);
            if (nb == NULL) {
                break;
            }

            nb->last = ngx_cpymem(nb->last, b->pos, b->last - b->pos);
            cc->out = b = nb;
        }

        /* past the limit the rest of the output is dropped */
        size = ngx_min((size_t) n, (size_t) (b->end - b->last));
        b->last = ngx_cpymem(b->last, buf, size);
    }

    /* EOF or error: this pipe is done */
    if (c == cc->status_conn) {
        ngx_cweb_compile_close(&cc->status_conn);

    } else {
        ngx_cweb_compile_close(&cc->out_conn);
    }

    if (cc->out_conn == NULL && cc->status_conn == NULL) {
        ngx_cweb_compile_finish(cc);
    }
}


static void
ngx_cweb_compile_timeout_handler(ngx_event_t *ev)
{
    ngx_cweb_compile_t  *cc = ev->data;

    ngx_log_error(NGX_LOG_ERR, cc->log, 0,
                  "cweb compile of \"%V\" did not stop at its timeout, "
                  "killing process group %P", &cc->source, cc->pid);

    cc->timed_out = 1;

    if (kill(-cc->pid, SIGKILL) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cc->log, ngx_errno,
                      "kill(-%P, SIGKILL) failed", cc->pid);
    }

    ngx_cweb_compile_close(&cc->out_conn);
    ngx_cweb_compile_close(&cc->status_conn);
    ngx_cweb_compile_finish(cc);
}


static void
ngx_cweb_compile_finish(ngx_cweb_compile_t *cc)
{
    ngx_int_t  status;

    if (cc->timer.timer_set) {
        ngx_del_timer(&cc->timer);
    }

    if (cc->status_len) {
        status = ngx_atoi(cc->status_buf, cc->status_len - 1);
        cc->status = (status == NGX_ERROR) ? -1 : status;
    }

    if (cc->status == 124) {
        cc->timed_out = 1;
    }

    cc->finished = 1;
    cc->elapsed = ngx_current_msec - cc->start;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, cc->log, 0,
                   "cweb compile: pid %P status %i in %M ms",
                   cc->pid, cc->status, cc->elapsed);

    if (cc->done) {
        cc->done(cc);
        return;
    }

    /* orphaned by ngx_cweb_compile_abort(): nobody wants the object */
    (void) ngx_delete_file(cc->output.data);
    ngx_destroy_pool(cc->pool);
}


static void
ngx_cweb_compile_close(ngx_connection_t **cp)
{
    if (*cp) {
        ngx_close_connection(*cp);
        *cp = NULL;
    }
}


/*
 * the requester went away: the child is left to finish (bounded by the
 * timeout) and its result dropped; killing it would make nginx log the
 * wrapper's death by signal as an alert
 */

void
ngx_cweb_compile_abort(ngx_cweb_compile_t *cc)
{
    cc->done = NULL;
}
