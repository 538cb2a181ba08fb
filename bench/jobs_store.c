
/*
 * bench/jobs_store.c - the jobs store alone (src/ngx_cweb_jobs_store*.c,
 * no nginx): N no-op jobs through create, claim and finish, as the
 * scheduler's store thread runs them, G of each per commit.  Each commit
 * finishes the jobs claimed by the one before, claims (or, --claimed,
 * the creates claim themselves: ngx_cweb_jstore_create_claimed()) and
 * creates G more.  Prints the CPU per job; bench/jobs-store runs it under
 * callgrind too for the instructions.
 *
 *   jobs_store [--claimed] [--full] G N DB
 */


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ngx_cweb_jobs_store.h"


#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


static double
cpu_s(int self_user)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);

    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
           + (self_user ? 0 : ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}


static void
die(ngx_cweb_jstore_t *s, const char *what)
{
    fprintf(stderr, "jobs_store: %s: %s\n", what,
            s ? ngx_cweb_jstore_error(s) : "");
    exit(2);
}


/* version 7 uuids as the helper makes them: time-ordered */
static void
uuid_of(int64_t n, char *u)
{
    snprintf(u, 37, "0190%04x-0000-7000-8000-%012" PRIx64,
             (unsigned) (n >> 32) & 0xffff, n);
}


int
main(int argc, char **argv)
{
    int                 a, g, n, full, claimed, created, done, nrun, next;
    char                err[256], uuid[40], wal[300];
    double              c0, u0, c, u;
    int64_t             eid, sid, *run;
    ngx_cweb_jclaim_t   cl;
    ngx_cweb_jstore_t  *s;
    ngx_cweb_jnew_t     j = { uuid, "job_noop", "noop", HASH, 1, "{}", 0, 0,
                              1 };

    full = 0;
    claimed = 0;

    for (a = 1; a < argc && argv[a][0] == '-'; a++) {
        if (strcmp(argv[a], "--full") == 0) {
            full = 1;

        } else if (strcmp(argv[a], "--claimed") == 0) {
            claimed = 1;

        } else {
            die(NULL, "usage: jobs_store [--claimed] [--full] G N DB");
        }
    }

    if (argc - a != 3 || (g = atoi(argv[a])) < 1
        || (n = atoi(argv[a + 1])) < 1)
    {
        die(NULL, "usage: jobs_store [--claimed] [--full] G N DB");
    }

    /* as the helper runs it (ngx_cweb_store_uncounted()) */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

    unlink(argv[a + 2]);
    snprintf(wal, sizeof(wal), "%s-wal", argv[a + 2]);
    unlink(wal);

    s = ngx_cweb_jstore_open(argv[a + 2], full, err, sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "jobs_store: %s\n", err);
        return 2;
    }

    /* the claims' job ids, and the times they were claimed at */
    run = calloc(2 * (n + 4 * g), sizeof(int64_t));
    if (run == NULL) {
        die(s, "no memory");
    }

    created = done = nrun = next = 0;
    c0 = cpu_s(0);
    u0 = cpu_s(1);

    while (done < n) {
        if (ngx_cweb_jstore_begin(s) != 0) {
            die(s, "begin");
        }

        for (a = 0; a < g && next < nrun; a++, done++, next++) {
#ifdef HAVE_FINISH_RUN
            /* as the scheduler does: with the claim's attempt and start */
            if (ngx_cweb_jstore_finish_run(s, run[2 * next], 1,
                                           run[2 * next + 1], "done", NULL,
                                           NULL, 3, NULL, &eid) != 0)
#else
            if (ngx_cweb_jstore_finish(s, run[2 * next], "done", NULL, NULL,
                                       3, NULL, &eid) != 0)
#endif
            {
                die(s, "finish");
            }
        }

        for (a = 0; !claimed && a < g; a++) {
            if (ngx_cweb_jstore_claim(s, 2, &cl, &eid) != 1) {
                break;
            }

            ngx_cweb_jstore_claim_free(&cl);
            run[2 * nrun] = cl.id;
            run[2 * nrun++ + 1] = 2;
        }

        for (a = 0; a < g && created < n; a++) {
            uuid_of(++created, uuid);

            if (claimed) {
#ifdef HAVE_CREATE_CLAIMED
                if (ngx_cweb_jstore_create_claimed(s, &j, 1, &eid, &cl, &sid)
                    != 0 || cl.id == 0)
                {
                    die(s, "create_claimed");
                }

                ngx_cweb_jstore_claim_free(&cl);
                run[2 * nrun] = cl.id;
                run[2 * nrun++ + 1] = 1;
#else
                (void) sid;
                die(NULL, "--claimed: this source has no "
                    "ngx_cweb_jstore_create_claimed()");
#endif

            } else if (ngx_cweb_jstore_create(s, &j, 1, &eid) != 0) {
                die(s, "create");
            }
        }

        if (ngx_cweb_jstore_commit(s) != 0) {
            die(s, "commit");
        }
    }

    c = cpu_s(0) - c0;
    u = cpu_s(1) - u0;

    printf("%s G=%d N=%d synchronous=%s: %.1f us CPU a job (user %.1f, "
           "sys %.1f)\n", claimed ? "claimed at creation" : "claimed",
           g, n, full ? "FULL" : "NORMAL", c / n * 1e6, u / n * 1e6,
           (c - u) / n * 1e6);

    free(run);
    ngx_cweb_jstore_close(s);

    return 0;
}
