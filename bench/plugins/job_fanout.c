/*
 * bench/jobs-fanout: a job that emits a burst of events for many
 * subscribers.
 *
 *   POST /jobs {"module":"job_fanout","job":"burst",
 *               "payload":{"events":1000,"wait_ms":3000}}
 *
 * It sleeps wait_ms (the subscribers connect meanwhile), then emits
 * `events` events of type "tick", each with the data
 * {"i":<0..events-1>,"t_us":<CLOCK_REALTIME in microseconds when emitted>},
 * then sets the result {"events":N}.  With "interval_us":U (optional,
 * 0 by default: a burst) it sleeps U microseconds between two events.
 * t_us is read before emit_event(),
 * i.e. before the event is committed: now - t_us at a subscriber is an
 * upper bound of the commit-to-delivery latency.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>
#include <cweb.h>


#define FANOUT_MAX_EVENTS   1000000
#define FANOUT_MAX_WAIT_MS  600000
#define FANOUT_MAX_INTERVAL 1000000


static int64_t
now_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


static void
sleep_us(int64_t us)
{
    struct timespec  ts;

    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000;

    /* bounded: the remaining time only shrinks */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* the rest of it */
    }
}


static int
burst(struct cweb_context *ctx, const job_payload_t *payload, job_ctx_t *job)
{
    char          data[96];
    json_t       *root, *ev, *wait, *iv;
    int64_t       n, w, u, i;
    json_error_t  err;

    (void) ctx;

    root = json_loadb(payload->json, payload->json_len, 0, &err);
    ev = json_object_get(root, "events");
    wait = json_object_get(root, "wait_ms");
    iv = json_object_get(root, "interval_us");

    if (!json_is_integer(ev) || json_integer_value(ev) < 0
        || json_integer_value(ev) > FANOUT_MAX_EVENTS
        || (wait != NULL && (!json_is_integer(wait)
                             || json_integer_value(wait) < 0
                             || json_integer_value(wait) > FANOUT_MAX_WAIT_MS))
        || (iv != NULL && (!json_is_integer(iv)
                           || json_integer_value(iv) < 0
                           || json_integer_value(iv) > FANOUT_MAX_INTERVAL)))
    {
        json_decref(root);
        job->set_error(job, "the payload must be {\"events\": 0..1000000, "
                            "\"wait_ms\": 0..600000, "
                            "\"interval_us\": 0..1000000}");
        return -1;
    }

    n = json_integer_value(ev);
    w = wait ? json_integer_value(wait) : 0;
    u = iv ? json_integer_value(iv) : 0;
    json_decref(root);

    sleep_us(w * 1000);

    for (i = 0; i < n; i++) {
        if (u > 0 && i > 0) {
            sleep_us(u);
        }

        snprintf(data, sizeof(data), "{\"i\":%lld,\"t_us\":%lld}",
                 (long long) i, (long long) now_us());

        if (job->emit_event(job, "tick", data) != CWEB_OK) {
            snprintf(data, sizeof(data), "emit_event() failed at tick %lld",
                     (long long) i);
            job->set_error(job, data);
            return -1;
        }
    }

    snprintf(data, sizeof(data), "{\"events\":%lld}", (long long) n);

    return job->set_result(job, data);
}


export module_t config = {
    .name = "job_fanout",
    .author = "bench",
    .job_size = 1,
    .jobs = {
        { "burst", burst, NULL },
    },
};
