/*
 * t/plugins/faulty.c: a plugin that misbehaves on purpose.  Tests set
 * @MODE@ (what onload, constructors or destructors do), @V@ (a version
 * marker) and @NAME@ (plugin name and path prefix); every route misbehaves
 * in its own way, but /@NAME@/ok.
 */
#include <signal.h>
#include <unistd.h>
#include <cweb.h>

#define MODE_@MODE@  1


/* a NULL the compiler cannot see through, so the crash is not optimised */
static int *volatile  nowhere;


static void
segfault(void)
{
    *nowhere = 1;
}


static int
crash(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    segfault();
    return 0;
}


static int
do_abort(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    abort();
}


static int
do_exit(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    exit(2);
}


static int
spin(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    for ( ;; ) {
        /* busy, as a bug would be */
    }

    return 0;
}


/* a hang the watchdog's SIGABRT cannot end: only SIGKILL does */
static int
stubborn(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    sigset_t  set;

    sigemptyset(&set);
    sigaddset(&set, SIGABRT);
    sigprocmask(SIG_BLOCK, &set, NULL);

    for ( ;; ) {
        /* void */
    }

    return 0;
}


static int
overflow(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    memset(res->body, 'x', HTTP_RESPONSE_SIZE + 24);
    return 0;
}


static int
recurse(int n)
{
    volatile char  pad[4096];

    pad[0] = (char) n;
    return recurse(n + 1) + pad[0];
}


static int
deep(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    return recurse(0);
}


static int
ok(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "@NAME@ @V@ ok canary=%d pid=%d\n",
             cweb_is_canary(), (int) getpid());
    return 0;
}


#ifdef MODE_CTOR_CRASH
__attribute__((constructor)) static void
ctor(void)
{
    segfault();
}
#endif

#ifdef MODE_DTOR_CRASH
__attribute__((destructor)) static void
dtor(void)
{
    segfault();
}
#endif


static void
onload(struct cweb_context *ctx)
{
#ifdef MODE_ONLOAD_CRASH
    segfault();
#endif
#ifdef MODE_ONLOAD_HANG
    for ( ;; ) { /* void */ }
#endif
#ifdef MODE_ONLOAD_EXIT
    exit(3);
#endif
#ifdef MODE_ONLOAD_ABORT
    abort();
#endif
#ifdef MODE_WORKER_ONLOAD_CRASH
    if (!cweb_is_canary()) {
        segfault();
    }
#endif
    cweb_log(CWEB_LOG_NOTICE, "@NAME@ @V@ onload canary=%d",
             cweb_is_canary());
}


export module_t config = {
    .name = "@NAME@",
    .author = "t",
    .routes = {
        {"/@NAME@/ok", "GET", ok, NONE},
        {"/@NAME@/crash", "GET", crash, NONE},
        {"/@NAME@/abort", "GET", do_abort, NONE},
        {"/@NAME@/exit", "GET", do_exit, NONE},
        {"/@NAME@/spin", "GET", spin, NONE},
        {"/@NAME@/overflow", "GET", overflow, NONE},
        {"/@NAME@/deep", "GET", deep, NONE},
        {"/@NAME@/stubborn", "GET", stubborn, NONE},
    },
    .size = 8,
    .onload = onload,
};
