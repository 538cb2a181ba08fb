/*
 * t/plugins/late.c: signals and faults that arrive after the call they
 * were about (@NAME@: plugin name and path prefix, @V@: version marker).
 * - /@NAME@/slow blocks SIGABRT and runs for @MS@ ms, longer than
 *   cweb_handler_timeout: the watchdog's SIGABRT stays pending while the
 *   call ends normally; /@NAME@/unblock, a later call, lets it in;
 * - /@NAME@/after forks a child that sends SIGABRT with sigqueue() to the
 *   worker 300 ms later, when no call runs any more;
 * - /@NAME@/sleepy sleeps @MS@ ms, then segfaults;
 * - /@NAME@/spin never returns.
 */
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <cweb.h>


static int *volatile  nowhere;


static long
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static int
answer(http_response_t *res, const char *what)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "@NAME@ @V@ %s pid=%d\n", what,
             (int) getpid());
    return 0;
}


static int
slow(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    long      end;
    sigset_t  set;

    sigemptyset(&set);
    sigaddset(&set, SIGABRT);
    sigprocmask(SIG_BLOCK, &set, NULL);

    for (end = now_ms() + @MS@; now_ms() < end; ) {
        /* busy past cweb_handler_timeout */
    }

    return answer(res, "slow");
}


static int
unblock(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    sigset_t  set;

    sigemptyset(&set);
    sigaddset(&set, SIGABRT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    return answer(res, "unblocked");
}


static int
after(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    pid_t         parent;
    union sigval  v;

    parent = getpid();

    if (fork() == 0) {
        usleep(300000);
        v.sival_ptr = (void *) 2;
        sigqueue(parent, SIGABRT, v);
        _exit(0);
    }

    return answer(res, "after");
}


static int
sleepy(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    usleep(@MS@ * 1000);
    *nowhere = 1;

    return answer(res, "slept");
}


static int
spin(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    for ( ;; ) {
        /* void */
    }

    return 0;
}


static int
ok(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    return answer(res, "ok");
}


export module_t config = {
    .name = "@NAME@",
    .author = "t",
    .routes = {
        {"/@NAME@/ok", "GET", ok, NONE},
        {"/@NAME@/slow", "GET", slow, NONE},
        {"/@NAME@/unblock", "GET", unblock, NONE},
        {"/@NAME@/after", "GET", after, NONE},
        {"/@NAME@/sleepy", "GET", sleepy, NONE},
        {"/@NAME@/spin", "GET", spin, NONE},
    },
    .size = 6,
};
