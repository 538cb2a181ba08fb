/* bench/jobs: a job that does nothing but report that it ran */

#include <cweb.h>


static int
noop(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    (void) ctx;
    (void) payload;

    return job->set_result(job, "{}");
}


export module_t config = {
    .name = "job_noop",
    .author = "bench",
    .job_size = 1,
    .jobs = {
        { "noop", noop, NULL },
    },
};
