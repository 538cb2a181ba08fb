/*
 * job_progress.c: a durable job that reports its progress, and a page that
 * follows it live.
 *
 *   job "progress", payload {"steps": N, "ms": M} (N 1..1000, default 20;
 *   M 0..2000, default 100): emits N events of type "progress" with data
 *   {"step": i, "of": N}, M ms apart, then the result {"steps": N}; a
 *   cancel (POST /jobs/<uuid>/cancel) stops it at the next step
 *
 *   GET /progress?steps=N&ms=M: a self-contained HTML page that POSTs the
 *   job to /jobs and follows it with EventSource('/jobs/<uuid>/events'):
 *   one <li> per progress event (keyed by event id: a reconnect, which
 *   EventSource makes by itself with Last-Event-ID, shows nothing twice),
 *   then the result from GET /jobs/<uuid>.  ?reopen=K (for the tests)
 *   closes the stream every K events and reopens it with ?since_event_id=.
 *
 *   curl --data-binary @example-modules/job_progress.c localhost:8080/mgnt
 *   # then open http://localhost:8080/progress?steps=50&ms=200
 *
 * The job runs on a runner thread of the cweb helper: it uses only its
 * payload, its job_ctx_t, libc and jansson.
 */

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <cweb.h>


#define MAX_STEPS     1000
#define MAX_MS        2000
#define MAX_CANCELED  64
#define UUID_LEN      37          /* 36 characters and the NUL */


/*
 * the jobs whose cancel was asked for: the cancel hook runs on a thread of
 * its own while the job's run() goes on, on another runner thread
 */
static pthread_mutex_t  cancel_lock = PTHREAD_MUTEX_INITIALIZER;
static char             canceled[MAX_CANCELED][UUID_LEN];
static unsigned         ncanceled;


static int
is_canceled(const char *uuid)
{
    int       found;
    unsigned  i;

    found = 0;
    pthread_mutex_lock(&cancel_lock);

    for (i = 0; i < MAX_CANCELED && !found; i++) {
        found = strncmp(canceled[i], uuid, UUID_LEN) == 0;
    }

    pthread_mutex_unlock(&cancel_lock);

    return found;
}


static void
progress_cancel(struct cweb_context *ctx, const char *job_uuid)
{
    (void) ctx;

    pthread_mutex_lock(&cancel_lock);
    snprintf(canceled[ncanceled++ % MAX_CANCELED], UUID_LEN, "%s",
             job_uuid);
    pthread_mutex_unlock(&cancel_lock);
}


/* an integer field of the payload in [min, max], dflt when it is absent */
static int
bounded(json_t *root, const char *name, long dflt, long min, long max,
    long *out)
{
    json_t  *v;

    v = json_object_get(root, name);

    if (v == NULL) {
        *out = dflt;
        return 0;
    }

    if (!json_is_integer(v) || json_integer_value(v) < min
        || json_integer_value(v) > max)
    {
        return -1;
    }

    *out = (long) json_integer_value(v);
    return 0;
}


static int
progress(struct cweb_context *ctx, const job_payload_t *payload,
    job_ctx_t *job)
{
    char             data[64];
    long             i, steps, ms;
    json_t          *root;
    struct timespec  ts;

    (void) ctx;

    root = json_loadb(payload->json, payload->json_len, 0, NULL);

    if (!json_is_object(root)
        || bounded(root, "steps", 20, 1, MAX_STEPS, &steps) != 0
        || bounded(root, "ms", 100, 0, MAX_MS, &ms) != 0)
    {
        json_decref(root);
        job->set_error(job, "the payload must be {\"steps\": 1..1000, "
                            "\"ms\": 0..2000} (integers)");
        return -1;
    }

    json_decref(root);

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;

    for (i = 1; i <= steps; i++) {
        if (is_canceled(job->job_uuid)) {
            return -1;              /* the job ends canceled all the same */
        }

        snprintf(data, sizeof(data), "{\"step\":%ld,\"of\":%ld}", i, steps);

        if (job->emit_event(job, "progress", data) != CWEB_OK) {
            job->set_error(job, "emit_event() failed");
            return -1;
        }

        if (i < steps && ms > 0) {
            nanosleep(&ts, NULL);
        }
    }

    snprintf(data, sizeof(data), "{\"steps\":%ld}", steps);

    return job->set_result(job, data);
}


/* the page: JavaScript writes only with textContent (nothing is parsed) */
static const char  page[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>cweb job progress</title>\n"
    "<style>\n"
    "body { font-family: sans-serif; margin: 2em; }\n"
    "progress { width: 20em; }\n"
    "#events { max-height: 20em; overflow: auto; }\n"
    ".old { color: #888; }\n"
    "</style></head>\n"
    "<body>\n"
    "<h1>cweb job progress</h1>\n"
    "<p>Job <code id=\"job\">-</code>:\n"
    "<span id=\"status\">starting</span></p>\n"
    "<p><progress id=\"bar\" value=\"0\" max=\"1\"></progress>\n"
    "connections: <span id=\"opens\">0</span>,\n"
    "events seen twice: <span id=\"dups\">0</span></p>\n"
    "<p>Result: <code id=\"result\">-</code></p>\n"
    "<ol id=\"events\"></ol>\n"
    "<script>\n"
    "(function () {\n"
    "'use strict';\n"
    "var q = new URLSearchParams(location.search);\n"
    "function num(name, dflt) {\n"
    "    var v = q.get(name);\n"
    "    return v === null || v === '' ? dflt : Number(v);\n"
    "}\n"
    "var steps = num('steps', 20), ms = num('ms', 100);\n"
    "var reopen = num('reopen', 0);   /* tests: reopen every N events */\n"
    "var $ = function (id) { return document.getElementById(id); };\n"
    "var list = $('events');\n"
    "var seen = {}, lastId = 0, fresh = 0, opens = 0, dups = 0;\n"
    "var uuid, es, finished = false;\n"
    "\n"
    "function say(text) { $('status').textContent = text; }\n"
    "\n"
    "function end(text) {\n"
    "    finished = true;\n"
    "    if (es) { es.close(); }\n"
    "    say(text);\n"
    "}\n"
    "\n"
    "function data(e) {\n"
    "    var id = Number(e.lastEventId), ev;\n"
    "    if (seen[id]) { dups++; $('dups').textContent = dups; return null; }\n"
    "    seen[id] = true;\n"
    "    if (id > lastId) { lastId = id; }\n"
    "    try { ev = JSON.parse(e.data); } catch (x) { return null; }\n"
    "    return ev;\n"
    "}\n"
    "\n"
    "function progress(e) {\n"
    "    var ev = data(e), li;\n"
    "    if (!ev || !ev.data) { return; }\n"
    "    li = document.createElement('li');\n"
    "    li.id = 'ev-' + lastId;\n"
    "    li.textContent = 'step ' + ev.data.step + ' of ' + ev.data.of;\n"
    "    list.appendChild(li);\n"
    "    $('bar').max = ev.data.of;\n"
    "    $('bar').value = ev.data.step;\n"
    "    say('running: step ' + ev.data.step + ' of ' + ev.data.of);\n"
    "    if (reopen > 0 && ++fresh % reopen === 0) {\n"
    "        es.close();\n"
    "        follow(lastId);\n"
    "    }\n"
    "}\n"
    "\n"
    "function follow(since) {\n"
    "    es = new EventSource('/jobs/' + encodeURIComponent(uuid) + '/events'\n"
    "                         + (since ? '?since_event_id=' + since : ''));\n"
    "    es.onopen = function () {\n"
    "        opens++;\n"
    "        $('opens').textContent = opens;\n"
    "    };\n"
    "    es.onerror = function () {\n"
    "        if (finished) { return; }\n"
    "        if (es.readyState === EventSource.CLOSED) {\n"
    "            end('error: the event stream was refused');\n"
    "        } else {\n"
    "            say('reconnecting after event ' + lastId);\n"
    "        }\n"
    "    };\n"
    "    es.addEventListener('progress', progress);\n"
    "    es.addEventListener('started', function (e) {\n"
    "        var ev = data(e), i;\n"
    "        if (!ev) { return; }\n"
    "        /* a new attempt (a retry, or a reload interrupted the run)\n"
    "           starts from step 1: the earlier attempt's steps are greyed */\n"
    "        for (i = 0; i < list.children.length; i++) {\n"
    "            list.children[i].className = 'old';\n"
    "        }\n"
    "        say('running');\n"
    "    });\n"
    "    es.addEventListener('retry', function (e) {\n"
    "        if (data(e)) { say('interrupted: it runs again'); }\n"
    "    });\n"
    "    es.addEventListener('done', function (e) {\n"
    "        var ev = data(e);\n"
    "        if (!ev) { return; }\n"
    "        $('result').textContent = JSON.stringify(ev.data);\n"
    "        es.close();\n"
    "        fetch('/jobs/' + encodeURIComponent(uuid)).then(function (r) {\n"
    "            return r.json();\n"
    "        }).then(function (j) {\n"
    "            $('result').textContent = JSON.stringify(j.result);\n"
    "            end(j.state);\n"
    "        }, function () { end('done'); });\n"
    "    });\n"
    "    es.addEventListener('failed', function (e) {\n"
    "        var ev = data(e);\n"
    "        if (ev) { end('failed: ' + (ev.data && ev.data.error)); }\n"
    "    });\n"
    "    es.addEventListener('canceled', function (e) {\n"
    "        if (data(e)) { end('canceled'); }\n"
    "    });\n"
    "}\n"
    "\n"
    "fetch('/jobs', {\n"
    "    method: 'POST',\n"
    "    headers: {'Content-Type': 'application/json'},\n"
    "    body: JSON.stringify({module: 'job_progress', job: 'progress',\n"
    "                          payload: {steps: steps, ms: ms}})\n"
    "}).then(function (r) {\n"
    "    return r.json().then(function (j) {\n"
    "        if (!r.ok || !j.job_uuid) {\n"
    "            throw new Error(j.error || r.status);\n"
    "        }\n"
    "        uuid = j.job_uuid;\n"
    "        $('job').textContent = uuid;\n"
    "        say('pending');\n"
    "        follow(0);\n"
    "    });\n"
    "}).catch(function (x) { end('error: ' + x.message); });\n"
    "})();\n"
    "</script>\n"
    "</body></html>\n"
    ;


static int
progress_page(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    (void) ctx;
    (void) req;

    cweb_response_header(res, "Content-Type", "text/html; charset=utf-8");
    cweb_response_header(res, "Cache-Control", "no-cache");

    return cweb_response_body(res, page, sizeof(page) - 1);
}


export module_t config = {
    .name = "job_progress",
    .author = "cweb",
    .routes = {
        { "/progress", "GET", progress_page, NONE },
    },
    .size = 1,
    .jobs = {
        { "progress", progress, progress_cancel },
    },
    .job_size = 1,
};
