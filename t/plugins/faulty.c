/*
 * t/plugins/faulty.c: a plugin that misbehaves on purpose.  Tests set
 * @MODE@ (what onload, constructors or destructors do) and @V@ (a version
 * marker); every route misbehaves in its own way.
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
    snprintf(res->body, HTTP_RESPONSE_SIZE, "faulty @V@ ok canary=%d\n",
             cweb_is_canary());
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
    cweb_log(CWEB_LOG_NOTICE, "faulty @V@ onload canary=%d",
             cweb_is_canary());
}


export module_t config = {
    .name = "faulty",
    .author = "t",
    .routes = {
        {"/faulty/ok", "GET", ok, NONE},
        {"/faulty/crash", "GET", crash, NONE},
        {"/faulty/abort", "GET", do_abort, NONE},
        {"/faulty/exit", "GET", do_exit, NONE},
        {"/faulty/spin", "GET", spin, NONE},
        {"/faulty/overflow", "GET", overflow, NONE},
        {"/faulty/deep", "GET", deep, NONE},
    },
    .size = 7,
    .onload = onload,
};
