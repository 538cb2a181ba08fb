/*
 * job_sum: a durable job (POST /jobs {"job":"sum","payload":{"n":100}}),
 * the sum 1 + ... + n as its result.  Runs on the cweb helper's runner
 * thread, in the version deployed when the job was created.
 */

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <cweb.h>


static int
sum(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    char          out[96];
    json_t       *root, *n;
    uint64_t      i, total;
    json_error_t  err;

    (void) ctx;

    root = json_loadb(payload->json, payload->json_len, 0, &err);
    n = json_object_get(root, "n");

    if (!json_is_integer(n) || json_integer_value(n) < 0) {
        json_decref(root);
        job->set_error(job, "the payload must be {\"n\": <an integer >= 0>}");
        return -1;
    }

    total = 0;

    for (i = 1; i <= (uint64_t) json_integer_value(n); i++) {
        total += i;
    }

    snprintf(out, sizeof(out), "{\"n\":%lld,\"sum\":%llu}",
             (long long) json_integer_value(n), (unsigned long long) total);
    json_decref(root);

    return job->set_result(job, out);
}


export module_t config = {
    .name = "job_sum",
    .author = "cweb",
    .job_size = 1,
    .jobs = {
        { "sum", sum, NULL },
    },
};
