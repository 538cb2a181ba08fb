/*
 * Jobs for t/082-jobs-limits.t:
 *   big    emits n events of kb KB each (a JSON string), then the result
 *          {"n": n, "refused": how many emit_event() refused}
 *   burst  emits n small events at once, sleeps then_ms (default 0), then
 *          the result {"n": n}
 *   sleep  sleeps payload.ms (default 5000), then the result {}
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <cweb.h>


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


static int
big(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    char   *data, out[64];
    long    i, n, kb, refused;
    size_t  len;

    (void) ctx;
    n = field(payload, "n", 1);
    kb = field(payload, "kb", 1);
    len = (size_t) kb * 1024;

    data = malloc(len + 3);
    if (data == NULL) {
        return -1;
    }

    data[0] = '"';
    memset(data + 1, 'x', len);
    data[len + 1] = '"';
    data[len + 2] = '\0';

    for (i = 0, refused = 0; i < n; i++) {
        if (job->emit_event(job, "blob", data) != 0) {
            refused++;
        }
    }

    free(data);
    snprintf(out, sizeof(out), "{\"n\":%ld,\"refused\":%ld}", n, refused);

    return job->set_result(job, out);
}


static int
burst(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    char             out[64];
    long             i, n, ms;
    struct timespec  ts;

    (void) ctx;
    n = field(payload, "n", 100);

    for (i = 0; i < n; i++) {
        snprintf(out, sizeof(out), "{\"i\":%ld}", i + 1);
        job->emit_event(job, "tick", out);
    }

    ms = field(payload, "then_ms", 0);
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);

    snprintf(out, sizeof(out), "{\"n\":%ld}", n);

    return job->set_result(job, out);
}


static int
nap(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    long             ms;
    struct timespec  ts;

    (void) ctx;
    ms = field(payload, "ms", 5000);
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);

    return job->set_result(job, "{}");
}


export module_t config = {
    .name = "jobs_big",
    .author = "t",
    .job_size = 3,
    .jobs = {
        { "big", big, NULL },
        { "burst", burst, NULL },
        { "sleep", nap, NULL },
    },
};
