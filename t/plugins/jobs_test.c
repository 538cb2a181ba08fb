/*
 * Jobs for t/080-jobs.t.  @V@ is the version mark a job reports (the
 * version a job ran in is the one deployed when it was created).
 *   echo      result: {"v": @V@, "payload": <the payload>}, after
 *             payload.ms (default 0)
 *   progress  emits "step" {"i": i} for i = 1..n (payload {"n","ms"}),
 *             ms apart, then the result {"steps": n}; both written with
 *             spaces and a newline (stored and announced compact)
 *   slow      runs until canceled (its cancel hook) or payload.ms pass
 *   fail      set_error("it failed on purpose"), returns -1
 *   ret1      returns 1 without an error
 *   badjson   set_result("not json") (refused), then a valid result
 *   crash     a segfault on the runner thread
 *   spin      never returns, whatever its cancel hook is told
 *   crashcancel  runs like slow; its cancel hook segfaults
 *   builtin   emit_event("done", ...) (a built-in type: refused)
 * and the routes
 *   GET /jt/@NAME@/create?job=J   jobs_create(J, {"from":"route"}): the uuid
 *   GET /jt/@NAME@/bad            jobs_create() of an unknown job, of a bad
 *                              payload: both refused
 */

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <cweb.h>


static volatile sig_atomic_t  canceled;


static long
field(const job_payload_t *payload, const char *name, long dflt)
{
    long     v;
    json_t  *root, *n;

    root = json_loadb(payload->json, payload->json_len, 0, NULL);
    n = json_object_get(root, name);
    v = json_is_integer(n) ? (long) json_integer_value(n) : dflt;
    json_decref(root);

    return v;
}


static void
nap(long ms)
{
    struct timespec  ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}


static int
echo(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    char  out[4096];

    (void) ctx;
    nap(field(payload, "ms", 0));
    snprintf(out, sizeof(out), "{\"v\":@V@,\"payload\":%.*s}",
             (int) payload->json_len, payload->json);

    return job->set_result(job, out);
}


static int
progress(struct cweb_context *ctx, const job_payload_t *payload,
    job_ctx_t *job)
{
    char  data[64];
    long  i, n, ms;

    (void) ctx;
    n = field(payload, "n", 3);
    ms = field(payload, "ms", 0);

    for (i = 1; i <= n; i++) {
        snprintf(data, sizeof(data), "{ \"i\" :\n %ld }", i);

        if (job->emit_event(job, "step", data) != CWEB_OK) {
            return -1;
        }

        nap(ms);
    }

    snprintf(data, sizeof(data), " {\t\"steps\" : %ld}\r\n", n);

    return job->set_result(job, data);
}


static int
slow(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    long  ms, waited;

    (void) ctx;
    canceled = 0;
    ms = field(payload, "ms", 10000);

    for (waited = 0; waited < ms && !canceled; waited += 10) {
        nap(10);
    }

    /* ignored when canceled: the job ends canceled */
    return job->set_result(job, canceled ? "{\"saw\":\"cancel\"}"
                                          : "{\"saw\":\"time\"}");
}


static void
slow_cancel(struct cweb_context *ctx, const char *job_uuid)
{
    (void) ctx;
    (void) job_uuid;
    canceled = 1;
}


static void
crash_cancel(struct cweb_context *ctx, const char *job_uuid)
{
    (void) ctx;
    (void) job_uuid;

    *(volatile int *) (uintptr_t) 8 = 1;
}


static int
spin(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    volatile unsigned long  n;

    (void) ctx;
    (void) payload;
    (void) job;

    for (n = 0; ; n++) {
        /* code that is stuck */
    }

    return 0;
}


static void
spin_cancel(struct cweb_context *ctx, const char *job_uuid)
{
    (void) ctx;
    (void) job_uuid;
}


static int
fail(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    (void) ctx;
    (void) payload;
    job->set_error(job, "it failed on purpose");

    return -1;
}


static int
ret1(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    (void) ctx;
    (void) payload;
    (void) job;

    return 1;
}


static int
badjson(struct cweb_context *ctx, const job_payload_t *payload,
    job_ctx_t *job)
{
    char  out[64];
    int   rc;

    (void) ctx;
    (void) payload;
    rc = job->set_result(job, "not json");
    snprintf(out, sizeof(out), "{\"refused\":%s}", rc ? "true" : "false");

    return job->set_result(job, out);
}


static int
crash(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    (void) ctx;
    (void) payload;
    (void) job;

    /* a real fault of the job's own instruction, not a signal sent */
    *(volatile int *) (uintptr_t) 8 = 1;

    return 0;
}


static int
builtin(struct cweb_context *ctx, const job_payload_t *payload,
    job_ctx_t *job)
{
    char  out[64];
    int   rc;

    (void) ctx;
    (void) payload;
    rc = job->emit_event(job, "done", "{}");
    snprintf(out, sizeof(out), "{\"refused\":%s}",
             rc != CWEB_OK ? "true" : "false");

    return job->set_result(job, out);
}


static int
create(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    cweb_uuid_t  u;
    const char  *job;

    (void) ctx;
    job = http_kv_get(req->params, "job");

    if (jobs_create(job ? job : "echo", "{\"from\":\"route\"}", &u)
        != CWEB_OK)
    {
        res->status = HTTP_500_INTERNAL_SERVER_ERROR;
        snprintf(res->body, HTTP_RESPONSE_SIZE, "refused");
        return 0;
    }

    res->status = HTTP_200_OK;
    snprintf(res->body, HTTP_RESPONSE_SIZE, "%s", u.str);

    return 0;
}


static int
bad(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    cweb_uuid_t  u;
    int          a, b;

    (void) ctx;
    (void) req;
    a = jobs_create("no-such-job", "{}", &u);
    b = jobs_create("echo", "{not json", &u);

    res->status = HTTP_200_OK;
    snprintf(res->body, HTTP_RESPONSE_SIZE, "%d %d", a, b);

    return 0;
}


export module_t config = {
    .name = "@NAME@",
    .author = "t",
    .size = 2,
    .routes = {
        { "/jt/@NAME@/create", "GET", create, 0 },
        { "/jt/@NAME@/bad", "GET", bad, 0 },
    },
    .job_size = 10,
    .jobs = {
        { "echo", echo, NULL },
        { "progress", progress, NULL },
        { "slow", slow, slow_cancel },
        { "fail", fail, NULL },
        { "ret1", ret1, NULL },
        { "badjson", badjson, NULL },
        { "crash", crash, NULL },
        { "spin", spin, spin_cancel },
        { "crashcancel", slow, crash_cancel },
        { "builtin", builtin, NULL },
    },
};
