/*
 * t/plugins/api_context.c: plugin code that calls the host from where the
 * host's structures are not its to touch: a thread of its own, a signal
 * handler that runs while the worker waits for events.  Each call must
 * come back as an error code (and an error-log line), never as a race.
 * And a handler that loads another plugin through ctx->symbols->resolv()
 * (whose onload() runs inside this call) is still itself afterwards.
 */
#include <cweb.h>
#include <signal.h>
#include <sys/time.h>


typedef struct {
    http_request_t  *req;
    struct cweb_context *ctx;
    void            *map;
    char            *kv;
    void            *cache;
    int              insert;
} calls_t;


static void
calls(calls_t *c)
{
    char  *value;

    c->map = map_create(4);
    c->kv = http_kv_get(c->req->headers, "Host");
    c->cache = c->ctx->cache->get("api_context");
    value = strdup("v");
    c->insert = http_kv_insert(c->req->headers, "X-New", value);

    if (c->insert != 0) {
        free(value);          /* refused: still ours */
    }

    cweb_log(CWEB_LOG_ERR, "log from %s", "there");
}


static void *
thread_main(void *data)
{
    calls(data);
    return NULL;
}


static const char *
shown(void *p)
{
    return p ? "ok" : "NULL";
}


static int
thread(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    pthread_t  t;
    calls_t    there = { req, ctx, NULL, NULL, NULL, 0 };
    calls_t    here = { req, ctx, NULL, NULL, NULL, 0 };

    ctx->cache->set("api_context", "cached");

    if (pthread_create(&t, NULL, thread_main, &there) != 0) {
        snprintf(res->body, HTTP_RESPONSE_SIZE, "no thread\n");
        return 0;
    }

    pthread_join(t, NULL);
    calls(&here);

    snprintf(res->body, HTTP_RESPONSE_SIZE,
             "thread map=%s kv=%s cache=%s insert=%d\n"
             "loop map=%s kv=%s cache=%s insert=%d\n",
             shown(there.map), shown(there.kv), shown(there.cache),
             there.insert, shown(here.map), shown(here.kv),
             shown(here.cache), here.insert);
    return 0;
}


/* SIGALRM, armed by one request, runs while the worker waits */
static volatile sig_atomic_t  alarm_ran;
static void                  *alarm_map = (void *) 1;

static void
on_alarm(int signo)
{
    alarm_map = map_create(4);
    alarm_ran = 1;
}


static int
arm(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    struct sigaction  sa;
    struct itimerval  it = { { 0, 0 }, { 0, 100000 } };

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    setitimer(ITIMER_REAL, &it, NULL);

    snprintf(res->body, HTTP_RESPONSE_SIZE, "armed\n");
    return 0;
}


static int
alarmed(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    signal(SIGALRM, SIG_IGN);
    snprintf(res->body, HTTP_RESPONSE_SIZE, "alarm ran=%d map=%s\n",
             (int) alarm_ran, shown(alarm_map));
    return 0;
}


/* the peer is loaded here, its onload() inside this call */
static int
resolve(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int   (*value)(void);
    void   *map;

    value = ctx->symbols->resolv(ctx->symbols->user_data, "api_context_peer",
                                 "peer_value");
    map = map_create(4);
    cweb_log(CWEB_LOG_ERR, "after resolv");

    snprintf(res->body, HTTP_RESPONSE_SIZE, "peer=%d map=%s header=%d\n",
             value ? value() : -1, shown(map),
             cweb_response_header(res, "X-After", "resolv"));

    if (map) {
        map_destroy(map);
    }

    return 0;
}


export module_t config = {
    .name = "api_context",
    .author = "t",
    .routes = {
        { "/ctx/thread", "GET", thread, 0 },
        { "/ctx/arm", "GET", arm, 0 },
        { "/ctx/alarm", "GET", alarmed, 0 },
        { "/ctx/resolv", "GET", resolve, 0 },
    },
    .size = 4,
};
