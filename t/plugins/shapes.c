/*
 * t/plugins/shapes.c: every part of module_t and cweb_context a seed
 * plugin may use: websockets and jobs (listed, served by later releases),
 * cache, scheduler, symbols, onload/unload.
 */
#include <cweb.h>

static int  scheduled;

export int  shapes_answer = 42;


static void ws_open(struct cweb_context *c, websocket_t *ws) { }
static void ws_close(struct cweb_context *c, websocket_t *ws) { }

static void
ws_message(struct cweb_context *c, websocket_t *ws, const char *m, size_t n)
{
    ws->send(ws, m, n);
}


static int
job_run(struct cweb_context *c, const job_payload_t *p, job_ctx_t *job)
{
    return job->set_result(job, "{}");
}


static void
later(void *data)
{
    scheduled += *(int *) data;
}


static int
route(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    static int   step = 5;
    int         *answer;
    cweb_uuid_t  id;

    ctx->cache->set("shapes.step", &step);
    ctx->scheduler->add(later, ctx->cache->get("shapes.step"), ASYNC);

    answer = ctx->symbols->resolv(NULL, "shapes", "shapes_answer");

    snprintf(res->body, HTTP_RESPONSE_SIZE,
             "scheduled=%d answer=%d unknown=%s jobs_create=%d\n", scheduled,
             answer ? *answer : -1,
             ctx->symbols->resolv(NULL, "nope", "x") ? "found" : "null",
             jobs_create("sum", "{}", &id));
    return 0;
}


export module_t config = {
    .name = "shapes",
    .author = "t",
    .routes = { {"/shapes", "GET", route, NONE} },
    .size = 1,
    .websockets = { {"/shapes/ws", ws_open, ws_message, ws_close} },
    .ws_size = 1,
    .jobs = { {"sum", job_run, NULL} },
    .job_size = 1,
};
