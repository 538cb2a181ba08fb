
/*
 * What the workers and the helper share: which plugin declares a job (the registry's manifests,
 * "J <name>" lines), a new job's uuid, and jobs_create() from a plugin's
 * code (the seed's API).
 *
 * jobs_create() runs on a worker's event loop, which must not wait for
 * the helper's commit: the job is checked here (the plugin's own job
 * first, else the one plugin that has a job of that name; its payload
 * JSON), its uuid is made here and returned at once, and the create is
 * sent to the helper, which commits it within milliseconds.  Until then
 * GET /jobs/<uuid> may answer 404, and a crash of the worker or of the
 * helper before the commit loses it (logged when the helper refuses it).
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_shm.h"

#include <openssl/rand.h>
#include <pthread.h>


static ngx_int_t ngx_cweb_jobs_random(u_char *buf, size_t n);
static ngx_uint_t ngx_cweb_jobs_declares(ngx_cweb_shm_module_t *m,
    const char *job);


/*
 * a version 7 uuid (RFC 9562: the time in ms, then 74 random bits),
 * lowercase: 36 characters and a NUL.  Time-ordered, so that jobs.db's
 * uuid index grows at its end: with random (version 4) uuids every new
 * job wrote a page of that index of its own, for 75% more CPU in the
 * store's creates in commits of 16 (t/unit's store code in a loop).
 */

ngx_int_t
ngx_cweb_jobs_uuid(char *out)
{
    u_char       b[16], *p;
    uint64_t     ms;
    ngx_uint_t   i;
    ngx_time_t  *tp;

    if (ngx_cweb_jobs_random(b + 6, 10) != NGX_OK) {
        return NGX_ERROR;
    }

    tp = ngx_timeofday();
    ms = (uint64_t) tp->sec * 1000 + tp->msec;

    for (i = 0; i < 6; i++) {
        b[i] = (u_char) (ms >> (40 - 8 * i));
    }

    b[6] = (b[6] & 0x0f) | 0x70;          /* version 7 */
    b[8] = (b[8] & 0x3f) | 0x80;          /* RFC 9562 variant */

    p = (u_char *) out;
    p = ngx_hex_dump(p, b, 4);
    *p++ = '-';
    p = ngx_hex_dump(p, b + 4, 2);
    *p++ = '-';
    p = ngx_hex_dump(p, b + 6, 2);
    *p++ = '-';
    p = ngx_hex_dump(p, b + 8, 2);
    *p++ = '-';
    p = ngx_hex_dump(p, b + 10, 6);
    *p = '\0';

    return NGX_OK;
}


/*
 * n (at most NGX_CWEB_JOBS_POOL) bytes of OpenSSL's generator, taken from
 * a pool filled 4 KB at a time: one RAND_bytes() per uuid was a ninth of
 * the helper's loop (its locks and the DRBG's setup per call).  Under a
 * mutex (a plugin's job may create jobs from a runner thread); the pool
 * is dropped in a process forked since it was filled (ngx_pid differs),
 * and what is handed out is not kept.
 */

#define NGX_CWEB_JOBS_POOL  4096

static ngx_int_t
ngx_cweb_jobs_random(u_char *buf, size_t n)
{
    ngx_int_t  rc;

    static u_char           pool[NGX_CWEB_JOBS_POOL];
    static size_t           left;
    static ngx_pid_t        filled_by;
    static pthread_mutex_t  mu = PTHREAD_MUTEX_INITIALIZER;

    rc = NGX_OK;

    pthread_mutex_lock(&mu);

    if (left < n || filled_by != ngx_pid) {
        left = 0;

        if (RAND_bytes(pool, NGX_CWEB_JOBS_POOL) == 1) {
            left = NGX_CWEB_JOBS_POOL;
            filled_by = ngx_pid;
        }
    }

    if (left >= n) {
        left -= n;
        ngx_memcpy(buf, pool + left, n);
        ngx_memzero(pool + left, n);

    } else {
        rc = NGX_ERROR;
    }

    pthread_mutex_unlock(&mu);

    return rc;
}


/*
 * the active plugin declaring job: the one named (module), else the only
 * one with a job of that name; 0 and *out, or 404 / 409 / 500 and *why
 */

ngx_uint_t
ngx_cweb_jobs_owner(ngx_pool_t *pool, const char *module, const char *job,
    ngx_cweb_shm_module_t *out, const char **why)
{
    ngx_uint_t              i, found, hits;
    ngx_array_t             mods;
    ngx_cweb_shm_module_t  *m;

    if (ngx_array_init(&mods, pool, 16, sizeof(ngx_cweb_shm_module_t))
        != NGX_OK
        || ngx_cweb_registry_snapshot(pool, &mods) != NGX_OK)
    {
        *why = "the registry cannot be read";
        return 500;
    }

    m = mods.elts;
    found = 0;
    hits = 0;

    for (i = 0; i < mods.nelts; i++) {
        if (m[i].state != NGX_CWEB_MOD_ACTIVE
            || (module && (m[i].name_len != ngx_strlen(module)
                           || ngx_strncmp(m[i].name, module, m[i].name_len))))
        {
            continue;
        }

        found++;

        if (ngx_cweb_jobs_declares(&m[i], job)) {
            *out = m[i];
            hits++;
        }
    }

    if (hits == 1) {
        return 0;
    }

    *why = hits ? "more than one plugin has a job of that name: name the "
                  "\"module\""
                : (module && found == 0) ? "unknown module" : "unknown job";

    return hits ? 409 : 404;
}


static ngx_uint_t
ngx_cweb_jobs_declares(ngx_cweb_shm_module_t *m, const char *job)
{
    u_char  *p, *last;
    size_t   len;

    len = ngx_strlen(job);
    p = m->manifest;
    last = p + m->manifest_len;

    for ( /* void */ ; p && p + len + 3 <= last; p++) {
        if ((p == m->manifest || p[-1] == '\n') && p[0] == 'J' && p[1] == ' '
            && ngx_strncmp(p + 2, job, len) == 0 && p[2 + len] == '\n')
        {
            return 1;
        }
    }

    return 0;
}


/* the seed's jobs_create(), from a plugin's call on a worker's loop */

int
ngx_cweb_jobs_create_api(ngx_str_t *plugin, const char *job,
    const char *payload, cweb_uuid_t *out, u_char *err, size_t errlen)
{
    char                   uuid[37];
    u_char                *own;
    json_t                *v, *msg;
    ngx_uint_t             status;
    ngx_pool_t            *pool;
    const char            *why;
    ngx_cweb_jobs_conf_t  *jcf;
    ngx_cweb_shm_module_t  m;

    jcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_cweb_jobs_module);

    if (job == NULL || job[0] == '\0' || out == NULL) {
        ngx_cweb_errf(err, errlen, "jobs_create(): a job name and a "
                      "cweb_uuid_t * are needed");
        return CWEB_ERROR;
    }

    payload = (payload && payload[0]) ? payload : "{}";
    v = json_loads(payload, JSON_DECODE_ANY, NULL);
    json_decref(v);

    if (v == NULL || ngx_strlen(payload) > jcf->max_payload) {
        ngx_cweb_errf(err, errlen, "jobs_create(\"%s\"): the payload is not "
                      "JSON, or larger than cweb_job_max_payload", job);
        return CWEB_ERROR;
    }

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return CWEB_ERROR;
    }

    /* the calling plugin's own job first */
    own = plugin ? ngx_pnalloc(pool, plugin->len + 1) : NULL;

    status = 404;
    if (own) {
        ngx_cpystrn(own, plugin->data, plugin->len + 1);
        status = ngx_cweb_jobs_owner(pool, (char *) own, job, &m, &why);
    }

    if (status == 404) {
        status = ngx_cweb_jobs_owner(pool, NULL, job, &m, &why);
    }

    if (status) {
        ngx_cweb_errf(err, errlen, "jobs_create(\"%s\"): %s", job, why);
        ngx_destroy_pool(pool);
        return CWEB_ERROR;
    }

    msg = NULL;

    if (ngx_cweb_jobs_uuid(uuid) == NGX_OK) {
        msg = json_pack("{s:s,s:s%,s:s,s:s,s:s}", "op", "create", "module",
                        m.name, m.name_len, "job", job, "payload", payload,
                        "uuid", uuid);
    }

    ngx_destroy_pool(pool);

    if (msg == NULL || ngx_cweb_jobs_send(msg, uuid) != NGX_OK) {
        ngx_cweb_errf(err, errlen, "jobs_create(\"%s\"): out of memory",
                      job);
        return CWEB_ERROR;
    }

    ngx_memcpy(out->str, uuid, sizeof(uuid));

    return CWEB_OK;
}
