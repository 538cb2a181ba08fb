
/*
 * The canary: every new object is loaded first in a throwaway process,
 * never in a serving worker.
 *
 * The helper (or the single process) forks the canary process once, while
 * it has no threads of its own; that process is single-threaded, resets
 * every signal to its default, keeps only its socket and the log files,
 * and dies with its parent.  It serves one request at a time on
 * <cweb_module_dir>/canary.sock (a stream socket in the 0700 state
 * directory): the requester writes the object's path and a newline, and
 * reads one JSON document until EOF.  The canary writes a newline first,
 * when it takes the request up (JSON white space, so the document still
 * parses): the requester gives a request waiting in the queue (at most
 * NGX_CWEB_CANARY_BACKLOG, each bounded) another deadline than the run.
 *
 * For each request it forks a child that reports its progress on a pipe
 * ("phase <name>" lines, then "result <json>") while it
 *   load      opens the object (O_NOFOLLOW, cweb_max_object_size), hashes
 *             it (SHA-256) and dlopen()s it: constructors run here;
 *   config    checks the ABI and config, writes the manifest;
 *   onload    calls onload() with a real context (cweb_is_canary() is 1);
 *   unload    calls unload();
 *   dlclose   unloads it: destructors run here.
 * The child leads its own process group.  The canary process waits for
 * it within cweb_handler_timeout of its fork, pipe closed or not (plugin
 * code may close every descriptor and run on), then kills the group, so
 * nothing the plugin forked outlives the run; it answers with the child's
 * result, or with the signal, exit code or timeout that ended it and the
 * phase it was in:
 *   {"status":"ok","name","module_hash","size","manifest","canary_ms"}
 *   {"status":"refused","reason","canary_ms"}
 *   {"status":"failed","phase", "signal"|"exit_code"|"timeout_ms",
 *    "canary_ms"}
 * Plugin code runs in the child, with the pipe: the child closes every
 * other descriptor it inherited (the listening socket, the requester's
 * connection) before it loads anything, and the canary takes from the
 * pipe only the phase names it knows and exactly one result of the shape
 * the child writes, every field of its type; anything else is refused as
 * "the canary's result was malformed".
 */


#include "ngx_cweb.h"
#include "ngx_cweb_canary.h"
#include "ngx_cweb_canary_int.h"
#include "ngx_cweb_fault.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/wait.h>




static void ngx_cweb_canary_server(ngx_cycle_t *cycle, int lfd);
static void ngx_cweb_canary_close_fds(ngx_cycle_t *cycle, int keep);
static ngx_uint_t ngx_cweb_canary_log_fd(ngx_cycle_t *cycle, int fd);
static json_t *ngx_cweb_canary_run(ngx_cycle_t *cycle, u_char *path);
static ngx_pid_t ngx_cweb_canary_fork(ngx_cycle_t *cycle, u_char *path,
    int *fd, json_t **refused);
static ngx_uint_t ngx_cweb_canary_collect(int fd, u_char *buf, size_t size,
    ngx_msec_t start, ngx_msec_t timeout);
static const char *ngx_cweb_canary_parse(u_char *buf, json_t **res,
    ngx_uint_t *results);
static json_t *ngx_cweb_canary_verdict(u_char *buf, ngx_uint_t timed_out,
    int status, ngx_msec_t timeout);
static ngx_int_t ngx_cweb_canary_reap(ngx_cycle_t *cycle, ngx_pid_t pid,
    ngx_msec_t start, int *status);
static json_t *ngx_cweb_canary_result(json_t *res);
static ngx_int_t ngx_cweb_canary_valid_path(ngx_cycle_t *cycle,
    u_char *path, size_t len);


static ngx_pid_t   ngx_cweb_canary_pid;


ngx_int_t
ngx_cweb_canary_path(ngx_str_t *dir, struct sockaddr_un *sa, ngx_log_t *log)
{
    ngx_memzero(sa, sizeof(struct sockaddr_un));
    sa->sun_family = AF_UNIX;

    if (dir->len + sizeof(NGX_CWEB_CANARY_SOCK) > sizeof(sa->sun_path)) {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "cweb_module_dir \"%V\" is too long for the canary's "
                      "unix socket (at most %uz bytes)", dir,
                      sizeof(sa->sun_path) - sizeof(NGX_CWEB_CANARY_SOCK));
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) sa->sun_path, "%V" NGX_CWEB_CANARY_SOCK, dir);

    return NGX_OK;
}


/*
 * kill(pid, 0) would take any process that got the pid of a dead canary
 * (or, as another user, answered EPERM) for the canary, and no canary
 * would be started again.  The canary is our child: until it is reaped
 * its pid is not reused, and once it is (here, or by nginx's SIGCHLD
 * handler, which reaps every child: ECHILD) waitpid() no longer knows it.
 */

ngx_int_t
ngx_cweb_canary_alive(void)
{
    int        status;
    ngx_pid_t  rv;

    if (ngx_cweb_canary_pid == 0) {
        return 0;
    }

    rv = waitpid(ngx_cweb_canary_pid, &status, WNOHANG);

    if (rv == 0 || (rv == -1 && ngx_errno == NGX_EINTR)) {
        return 1;
    }

    ngx_cweb_canary_pid = 0;

    return 0;
}


ngx_int_t
ngx_cweb_canary_spawn(ngx_cycle_t *cycle)
{
    int                    fd;
    ngx_pid_t              pid;
    struct sockaddr_un     sa;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);

    if (ngx_cweb_canary_path(&cmcf->module_dir, &sa, cycle->log) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "cweb canary: socket() failed");
        return NGX_ERROR;
    }

    /* a previous canary (reload, crash) leaves its path behind */
    (void) unlink(sa.sun_path);

    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == -1
        || listen(fd, NGX_CWEB_CANARY_BACKLOG) == -1)
    {
        ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                      "cweb canary: bind()/listen() on \"%s\" failed",
                      sa.sun_path);
        close(fd);
        return NGX_ERROR;
    }

    pid = fork();

    if (pid == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "cweb canary: fork() failed");
        close(fd);
        return NGX_ERROR;
    }

    if (pid == 0) {
        ngx_cweb_canary_server(cycle, fd);
        _exit(0);
    }

    close(fd);
    ngx_cweb_canary_pid = pid;

    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "cweb canary process %P started", pid);

    return NGX_OK;
}


static void
ngx_cweb_canary_server(ngx_cycle_t *cycle, int lfd)
{
    int          c, i;
    char        *nl, *text;
    u_char       req[NGX_MAX_PATH + 2];
    ssize_t      n;
    size_t       len;
    json_t      *reply;
    sigset_t     set;
    ngx_pid_t    parent;
    struct timeval  tv;

    parent = getppid();
    ngx_pid = getpid();

    /* nothing of the nginx process it came from may act here */
    (void) prctl(PR_SET_PDEATHSIG, SIGKILL);

    if (getppid() != parent) {
        _exit(0);
    }

    ngx_cweb_self = NULL;

    for (i = 1; i < NSIG; i++) {
        (void) signal(i, SIG_DFL);
    }

    (void) signal(SIGPIPE, SIG_IGN);

    sigemptyset(&set);
    (void) sigprocmask(SIG_SETMASK, &set, NULL);

    ngx_cweb_canary_close_fds(cycle, lfd);
    ngx_setproctitle("cweb canary");

    tv.tv_sec = 5;
    tv.tv_usec = 0;

    for ( ;; ) {
        c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (c == -1) {
            if (ngx_errno == NGX_EINTR || ngx_errno == NGX_ECONNABORTED) {
                continue;
            }

            _exit(1);
        }

        (void) setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void) setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

        len = 0;
        nl = NULL;

        while (len < sizeof(req) - 1) {
            n = read(c, req + len, sizeof(req) - 1 - len);
            if (n <= 0) {
                break;
            }

            len += n;
            req[len] = '\0';

            nl = ngx_strchr(req, '\n');
            if (nl) {
                break;
            }
        }

        if (nl == NULL) {
            close(c);
            continue;
        }

        *nl = '\0';
        ngx_time_update();

        if (ngx_cweb_canary_valid_path(cycle, req, (u_char *) nl - req)
            != NGX_OK)
        {
            reply = json_pack("{s:s,s:s}", "status", "refused", "reason",
                              "the object is not in the state directory");

        } else if (write(c, "\n", 1) != 1) {
            /* the requester gave up while it waited in the queue */
            close(c);
            continue;

        } else {
            reply = ngx_cweb_canary_run(cycle, req);
        }

        text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
        json_decref(reply);

        if (text) {
            len = ngx_strlen(text);

            for (i = 0; len > 0; len -= n, i += n) {
                n = write(c, text + i, len);
                if (n <= 0) {
                    break;
                }
            }

            free(text);
        }

        close(c);
    }
}


/*
 * keep, the error logs and stdio stay; everything else goes: in the canary
 * process epoll, channels, ...; in its child (before any plugin code) also
 * the listening socket and the requester's connection, on which plugin
 * code could otherwise answer in the canary's place
 */

static void
ngx_cweb_canary_close_fds(ngx_cycle_t *cycle, int keep)
{
    int             fd, last;
    DIR            *dir;
    struct rlimit   rl;
    struct dirent  *de;

    dir = opendir("/proc/self/fd");

    if (dir == NULL) {
        /* no /proc: every descriptor this process may have */
        last = NGX_CWEB_CANARY_MAX_FD;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
            && rl.rlim_cur < (rlim_t) last)
        {
            last = (int) rl.rlim_cur;
        }

        for (fd = 3; fd < last; fd++) {
            if (fd != keep && !ngx_cweb_canary_log_fd(cycle, fd)) {
                (void) close(fd);
            }
        }

        return;
    }

    while ((de = readdir(dir)) != NULL) {
        fd = atoi(de->d_name);

        if (de->d_name[0] == '.' || fd <= 2 || fd == keep
            || fd == dirfd(dir) || ngx_cweb_canary_log_fd(cycle, fd))
        {
            continue;
        }

        (void) close(fd);
    }

    closedir(dir);
}


static ngx_uint_t
ngx_cweb_canary_log_fd(ngx_cycle_t *cycle, int fd)
{
    ngx_log_t  *log;

    for (log = cycle->log; log; log = log->next) {
        if (log->file && log->file->fd == fd) {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_cweb_canary_valid_path(ngx_cycle_t *cycle, u_char *path, size_t len)
{
    ngx_str_t             *dir;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);
    dir = &cmcf->module_dir;

    if (len <= dir->len + 5
        || ngx_strncmp(path, dir->data, dir->len) != 0
        || ngx_strncmp(path + dir->len, "/tmp/", 5) != 0
        || ngx_strchr(path + dir->len + 5, '/') != NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static json_t *
ngx_cweb_canary_run(ngx_cycle_t *cycle, u_char *path)
{
    int                    fd, status;
    u_char                 buf[NGX_CWEB_CANARY_MAX_REPLY];
    json_t                *reply;
    ngx_pid_t              pid;
    ngx_msec_t             start;
    ngx_uint_t             timed_out;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);

    start = ngx_current_msec;

    pid = ngx_cweb_canary_fork(cycle, path, &fd, &reply);
    if (pid == NGX_INVALID_PID) {
        return reply;
    }

    timed_out = ngx_cweb_canary_collect(fd, buf, sizeof(buf), start,
                                        cmcf->handler_timeout);
    close(fd);

    if (ngx_cweb_canary_reap(cycle, pid, start, &status) != NGX_OK) {
        timed_out = 1;
    }

    ngx_time_update();

    reply = ngx_cweb_canary_verdict(buf, timed_out, status,
                                    cmcf->handler_timeout);

    if (reply) {
        json_object_set_new(reply, "canary_ms",
                            json_integer(ngx_current_msec - start));
    }

    return reply;
}


/* the child that tries path; *fd reads what it says */

static ngx_pid_t
ngx_cweb_canary_fork(ngx_cycle_t *cycle, u_char *path, int *fd,
    json_t **refused)
{
    int        fds[2];
    ngx_pid_t  pid;

    if (pipe2(fds, O_CLOEXEC) == -1) {
        *refused = json_pack("{s:s,s:s}", "status", "refused", "reason",
                             "the canary could not make a pipe");
        return NGX_INVALID_PID;
    }

    pid = fork();

    if (pid == -1) {
        close(fds[0]);
        close(fds[1]);
        *refused = json_pack("{s:s,s:s}", "status", "refused", "reason",
                             "the canary could not fork");
        return NGX_INVALID_PID;
    }

    if (pid == 0) {
        close(fds[0]);

        /* its own group: whatever the plugin forks is killed with it */
        (void) setpgid(0, 0);

        /* a run whose canary is gone (its helper exited) ends too */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);

        if (getppid() != ngx_pid) {
            _exit(0);
        }

        ngx_pid = getpid();
        ngx_cweb_canary_close_fds(cycle, fds[1]);

        ngx_cweb_canary_child(cycle, path, fds[1]);
        _exit(0);
    }

    /* set on both sides, so the group exists whichever runs first */
    (void) setpgid(pid, pid);

    close(fds[1]);
    *fd = fds[0];

    return pid;
}


/* what the child wrote until it closed the pipe or ran out of time: 1 */

static ngx_uint_t
ngx_cweb_canary_collect(int fd, u_char *buf, size_t size, ngx_msec_t start,
    ngx_msec_t timeout)
{
    size_t         len;
    ssize_t        n;
    ngx_msec_t     spent;
    struct pollfd  pfd;

    len = 0;
    buf[0] = '\0';

    pfd.fd = fd;
    pfd.events = POLLIN;

    for ( ;; ) {
        ngx_time_update();
        spent = ngx_current_msec - start;

        if (spent >= timeout) {
            return 1;
        }

        if (poll(&pfd, 1, (int) (timeout - spent)) <= 0) {
            continue;
        }

        n = read(fd, buf + len, size - 1 - len);

        if (n <= 0) {
            return 0;
        }

        len += n;
        buf[len] = '\0';

        if (len == size - 1) {
            return 0;
        }
    }
}


/*
 * plugin code can write to the pipe as well as the child can: only the
 * phases the child names are taken, and the one result line it writes
 * (*res; *results counts them); returns the phase reached
 */

static const char *
ngx_cweb_canary_parse(u_char *buf, json_t **res, ngx_uint_t *results)
{
    char        *line, *nl;
    ngx_uint_t   i;
    const char  *phase;

    static const char  *phases[] = { "fork", "load", "config", "onload",
                                     "unload", "dlclose", NULL };

    *res = NULL;
    *results = 0;
    phase = phases[0];

    for (line = (char *) buf; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
        }

        if (ngx_strncmp(line, "phase ", 6) == 0) {
            for (i = 1; phases[i]; i++) {
                if (ngx_strcmp(line + 6, phases[i]) == 0) {
                    phase = phases[i];
                }
            }

        } else if (ngx_strncmp(line, "result ", 7) == 0
                   && (*results)++ == 0)
        {
            *res = json_loads(line + 7, 0, NULL);
        }
    }

    return phase;
}


/* the answer for the requester: the child's result, or how it failed */

static json_t *
ngx_cweb_canary_verdict(u_char *buf, ngx_uint_t timed_out, int status,
    ngx_msec_t timeout)
{
    json_t      *res, *reply;
    ngx_uint_t   results;
    const char  *phase;

    phase = ngx_cweb_canary_parse(buf, &res, &results);

    if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0
        && results)
    {
        reply = (results == 1) ? ngx_cweb_canary_result(res) : NULL;
        json_decref(res);

        return reply ? reply
                     : json_pack("{s:s,s:s}", "status", "refused", "reason",
                                 "the canary's result was malformed");
    }

    json_decref(res);

    if (timed_out) {
        return json_pack("{s:s,s:s,s:I}", "status", "failed", "phase", phase,
                         "timeout_ms", (json_int_t) timeout);
    }

    if (WIFSIGNALED(status)) {
        return json_pack("{s:s,s:s,s:s,s:i}", "status", "failed",
                         "phase", phase, "signal",
                         ngx_cweb_signal_name(WTERMSIG(status)),
                         "signo", WTERMSIG(status));
    }

    return json_pack("{s:s,s:s,s:i}", "status", "failed", "phase", phase,
                     "exit_code", WEXITSTATUS(status));
}


/*
 * What the child wrote, rebuilt from exactly the fields of the two shapes
 * it writes, each of its type, or NULL: a result made up by plugin code
 * (which cweb_is_canary() lets behave here anyway) must not reach the
 * requester as anything but a refusal of an unknown shape.
 */

static json_t *
ngx_cweb_canary_result(json_t *res)
{
    json_t      *name, *hash, *size, *manifest, *reason;
    const char  *status;

    status = json_string_value(json_object_get(res, "status"));

    if (status == NULL) {
        return NULL;
    }

    if (ngx_strcmp(status, "ok") == 0) {
        name = json_object_get(res, "name");
        hash = json_object_get(res, "module_hash");
        size = json_object_get(res, "size");
        manifest = json_object_get(res, "manifest");

        if (json_object_size(res) != 5
            || !json_is_string(name) || !json_is_string(hash)
            || !json_is_integer(size) || json_integer_value(size) < 0
            || !json_is_string(manifest))
        {
            return NULL;
        }

        return json_pack("{s:s,s:O,s:O,s:O,s:O}", "status", "ok",
                         "name", name, "module_hash", hash, "size", size,
                         "manifest", manifest);
    }

    if (ngx_strcmp(status, "refused") == 0) {
        reason = json_object_get(res, "reason");

        if (json_object_size(res) != 2 || !json_is_string(reason)) {
            return NULL;
        }

        return json_pack("{s:s,s:O}", "status", "refused", "reason", reason);
    }

    return NULL;
}


/*
 * EOF on the pipe does not mean the child is done: plugin code may close
 * its end (every descriptor) and run on.  So the child, and its process
 * group with whatever the plugin forked, gets what is left of
 * cweb_handler_timeout since its fork; then the group is killed.  Waiting
 * for it without a deadline would stop this process, and with it every
 * later deploy, for good.  NGX_DECLINED: it had to be killed.
 */

static ngx_int_t
ngx_cweb_canary_reap(ngx_cycle_t *cycle, ngx_pid_t pid, ngx_msec_t start,
    int *status)
{
    ngx_int_t              rc;
    ngx_pid_t              rv;
    ngx_msec_t             delay;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);
    rc = NGX_OK;
    delay = 1;

    for ( ;; ) {
        rv = waitpid(pid, status, WNOHANG);

        if (rv == pid) {
            break;
        }

        if (rv == -1 && ngx_errno == NGX_EINTR) {
            continue;
        }

        if (rv == -1) {
            /* SIGCHLD is SIG_DFL here: no one else reaps our children */
            ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                          "cweb canary: waitpid() failed");
            (void) kill(-pid, SIGKILL);
            return NGX_DECLINED;
        }

        ngx_time_update();

        if (ngx_current_msec - start >= cmcf->handler_timeout) {
            rc = NGX_DECLINED;

            (void) kill(-pid, SIGKILL);
            (void) kill(pid, SIGKILL);

            /* SIGKILL cannot be blocked: this wait ends */
            while (waitpid(pid, status, 0) == -1
                   && ngx_errno == NGX_EINTR)
            {
                /* void */
            }

            break;
        }

        /* a child that is about to exit is reaped at once, a hang cheaply */
        ngx_msleep(delay);
        delay = ngx_min(delay * 2, NGX_CWEB_CANARY_REAP_DELAY);
    }

    /*
     * whatever the plugin forked goes too; the group id cannot be taken by
     * another process while a member is left
     */
    (void) kill(-pid, SIGKILL);

    return rc;
}
