
/*
 * The record of a job whose code crashed the helper (ngx_cweb_jobs_run.c
 * marks the job a thread is in; ngx_cweb_fault.c's handler tells us on the
 * faulting thread, before the signal takes the process down): the job and
 * the signal appended to <cweb_module_dir>/jobs.crash, the fault counted
 * against the job's version; the next scheduler reads the file and fails
 * (or retries) that job with the signal named.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_jobs_sched.h"


static ngx_int_t ngx_cweb_jobs_crash_open(ngx_log_t *log);
static void ngx_cweb_jobs_crashed(int signo);


/* the job whose code this thread is in (run() or a cancel hook) */
static __thread ngx_cweb_jmark_t  *ngx_cweb_jobs_self
    __attribute__((tls_model("initial-exec")));
static int                  ngx_cweb_jobs_crash_fd = -1;


ngx_int_t
ngx_cweb_jobs_crash_init(ngx_log_t *log)
{
    if (ngx_cweb_jobs_crash_open(log) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_cweb_fault_watch_threads(ngx_cweb_jobs_crashed, log);
}


/* m's job's code runs on this thread from now on (NULL: no more) */

void
ngx_cweb_jobs_mark(ngx_cweb_jmark_t *m)
{
    ngx_cweb_jobs_self = m;
}


/* <cweb_module_dir>/jobs.crash, appended to by a job's fault handler */

static ngx_int_t
ngx_cweb_jobs_crash_open(ngx_log_t *log)
{
    u_char  path[NGX_MAX_PATH];

    ngx_snprintf(path, sizeof(path) - 1, "%V" NGX_CWEB_JOBS_CRASH "%Z",
                 &ngx_cweb_conf()->module_dir);

    ngx_cweb_jobs_crash_fd = open((char *) path,
                                  O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0600);

    if (ngx_cweb_jobs_crash_fd == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "cweb jobs: open(\"%s\") failed", path);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * on the thread of a job's run() that faulted (ngx_cweb_fault.c), the
 * process about to die: async-signal-safe, plain formatting and write()
 */

static void
ngx_cweb_jobs_crashed(int signo)
{
    u_char            line[128], *p;
    ngx_cweb_jmark_t  *m;

    m = ngx_cweb_jobs_self;

    if (m == NULL) {
        return;
    }

    ngx_cweb_jobs_mark(NULL);       /* once */

    p = ngx_sprintf(line, "%L %d %*s\n", m->id, signo,
                    (size_t) NGX_CWEB_JSTORE_UUID_LEN, m->uuid);

    if (ngx_cweb_jobs_crash_fd != -1) {
        (void) write(ngx_cweb_jobs_crash_fd, line, p - line);
    }

    if (m->what) {
        ngx_cweb_fault_record_call(m->what, m->since, NGX_CWEB_FAULT_SIGNAL,
                                   signo, ngx_pid);
    }
}


/*
 * the store thread, at the scheduler's start: the crashes the previous
 * helper recorded, read before the running jobs are recovered
 */

#define NGX_CWEB_JOBS_CRASHES  64

static struct {
    int64_t                     id;
    int                         signo;
    char                        why[128];
} ngx_cweb_jobs_crashes[NGX_CWEB_JOBS_CRASHES];

static ngx_uint_t  ngx_cweb_jobs_ncrashes;


void
ngx_cweb_jobs_crashes_load(void)
{
    int        signo;
    char       path[NGX_MAX_PATH], line[128];
    FILE      *f;
    long long  id;

    ngx_snprintf((u_char *) path, sizeof(path) - 1,
                 "%V" NGX_CWEB_JOBS_CRASH "%Z", &ngx_cweb_conf()->module_dir);

    ngx_cweb_jobs_ncrashes = 0;

    f = fopen(path, "re");
    if (f == NULL) {
        return;
    }

    while (ngx_cweb_jobs_ncrashes < NGX_CWEB_JOBS_CRASHES
           && fgets(line, sizeof(line), f))
    {
        if (sscanf(line, "%lld %d", &id, &signo) != 2) {
            continue;
        }

        ngx_cweb_jobs_crashes[ngx_cweb_jobs_ncrashes].id = id;
        ngx_cweb_jobs_crashes[ngx_cweb_jobs_ncrashes].signo = signo;
        ngx_snprintf((u_char *) ngx_cweb_jobs_crashes[ngx_cweb_jobs_ncrashes]
                                .why,
                     sizeof(ngx_cweb_jobs_crashes[0].why) - 1,
                     "crashed: signal %d (%s) in the job's code; the cweb "
                     "helper died and was respawned%Z", signo,
                     ngx_cweb_signal_name(signo));
        ngx_cweb_jobs_ncrashes++;
    }

    fclose(f);
}


const char *
ngx_cweb_jobs_crash_why(void *data, int64_t job_id)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_cweb_jobs_ncrashes; i++) {
        if (ngx_cweb_jobs_crashes[i].id == job_id) {
            return ngx_cweb_jobs_crashes[i].why;
        }
    }

    return NULL;
}


/* the recovery is in the store: the next crash starts a new file */

void
ngx_cweb_jobs_crashes_clear(void)
{
    char  path[NGX_MAX_PATH];

    if (ngx_cweb_jobs_ncrashes) {
        ngx_snprintf((u_char *) path, sizeof(path) - 1,
                     "%V" NGX_CWEB_JOBS_CRASH "%Z",
                     &ngx_cweb_conf()->module_dir);
        (void) truncate(path, 0);
    }

    ngx_cweb_jobs_ncrashes = 0;
}
