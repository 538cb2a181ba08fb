
/*
 * The checkpointer thread of the helper's scheduler: jobs.db is
 * checkpointed here, on a connection of its own, instead of inside the
 * store thread's commits (why: ngx_cweb_jobs_store_wal.c).  The store
 * thread's commits report the WAL's size; once NGX_CWEB_JOBS_CKPT_FRAMES
 * more frames are in it than the last checkpoint saw, this thread is
 * woken and copies them (PASSIVE, the writer goes on); once the WAL holds
 * NGX_CWEB_JOBS_CKPT_RESTART frames the writer starts it over itself, in
 * that commit (RESTART: the tail this thread has not copied yet, and the
 * fsync), so the file stays near 16 MB however busy the writer is.  A
 * checkpointer that cannot start leaves SQLite's own checkpoints in the
 * commits.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_jobs_sched.h"


#define NGX_CWEB_JOBS_CKPT_FRAMES   1000    /* SQLite's own default */
#define NGX_CWEB_JOBS_CKPT_RESTART  4000    /* 16 MB of 4 KB pages */


typedef struct {
    pthread_mutex_t      mu;
    pthread_cond_t       cv;
    int                  next;      /* wake at so many frames (mu) */
    int                  seen;      /* the last commit's frames (mu) */
    int                  restart;   /* the writer restarts at (mu) */
    ngx_uint_t           asked;     /* (mu) */
    ngx_cweb_jstore_t   *db;        /* this thread's connection */
    ngx_log_t           *log;
} ngx_cweb_jobs_ckpt_t;


static int ngx_cweb_jobs_ckpt_wal(void *data, int frames);
static void *ngx_cweb_jobs_ckpt_thread(void *data);
static void ngx_cweb_jobs_ckpt_once(ngx_cweb_jobs_ckpt_t *k);


static ngx_cweb_jobs_ckpt_t  ngx_cweb_jobs_ckpt;


/* on the store thread, once the writer's connection is open */

void
ngx_cweb_jobs_ckpt_start(ngx_cweb_jstore_t *writer, const char *path,
    int sync_full, ngx_log_t *log)
{
    int                    rc;
    char                   err[256];
    pthread_t              tid;
    ngx_cweb_jobs_ckpt_t  *k;

    k = &ngx_cweb_jobs_ckpt;
    k->log = log;
    k->next = NGX_CWEB_JOBS_CKPT_FRAMES;
    k->restart = NGX_CWEB_JOBS_CKPT_RESTART;

    k->db = ngx_cweb_jstore_open_checkpointer(path, sync_full, err,
                                              sizeof(err));
    if (k->db == NULL) {
        ngx_log_error(NGX_LOG_WARN, log, 0, "cweb jobs: %s; jobs.db is "
                      "checkpointed in the commits", err);
        return;
    }

    if ((rc = pthread_mutex_init(&k->mu, NULL)) != 0
        || (rc = pthread_cond_init(&k->cv, NULL)) != 0
        || (rc = pthread_create(&tid, NULL, ngx_cweb_jobs_ckpt_thread, k))
           != 0)
    {
        ngx_log_error(NGX_LOG_WARN, log, rc, "cweb jobs: the checkpointer "
                      "thread cannot start; jobs.db is checkpointed in the "
                      "commits");
        ngx_cweb_jstore_close(k->db);
        k->db = NULL;
        return;
    }

    if (ngx_cweb_jstore_on_wal(writer, ngx_cweb_jobs_ckpt_wal, k) != 0) {
        ngx_log_error(NGX_LOG_WARN, log, 0, "cweb jobs: %s; jobs.db is "
                      "checkpointed in the commits",
                      ngx_cweb_jstore_error(writer));
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0, "cweb jobs: jobs.db is "
                  "checkpointed by a thread of its own");
}


/*
 * in each commit of the store thread: wakes the checkpointer at every
 * NGX_CWEB_JOBS_CKPT_FRAMES more frames; 1 (the writer restarts the WAL
 * now) at NGX_CWEB_JOBS_CKPT_RESTART, and 1,000 frames after each try
 * that did not (a long reader)
 */

static int
ngx_cweb_jobs_ckpt_wal(void *data, int frames)
{
    int                    restart;
    ngx_cweb_jobs_ckpt_t  *k = data;

    pthread_mutex_lock(&k->mu);

    /* it started over: counted from 0 */
    if (frames < k->seen) {
        k->next = NGX_CWEB_JOBS_CKPT_FRAMES;
        k->restart = NGX_CWEB_JOBS_CKPT_RESTART;
    }

    k->seen = frames;
    restart = (frames >= k->restart);

    if (restart) {
        k->restart = frames + NGX_CWEB_JOBS_CKPT_FRAMES;

    } else if (frames >= k->next && !k->asked) {
        k->asked = 1;
        pthread_cond_signal(&k->cv);
    }

    pthread_mutex_unlock(&k->mu);

    return restart;
}


static void *
ngx_cweb_jobs_ckpt_thread(void *data)
{
    ngx_cweb_jobs_ckpt_t  *k = data;

    for ( ;; ) {
        pthread_mutex_lock(&k->mu);

        while (!k->asked) {
            pthread_cond_wait(&k->cv, &k->mu);
        }

        pthread_mutex_unlock(&k->mu);

        ngx_cweb_jobs_ckpt_once(k);
    }

    return NULL;
}


static void
ngx_cweb_jobs_ckpt_once(ngx_cweb_jobs_ckpt_t *k)
{
    int         rc, frames, copied;
    ngx_uint_t  level;

    rc = ngx_cweb_jstore_checkpoint(k->db, 0, &frames, &copied);

    if (rc != 0) {
        /* another checkpoint (the writer's RESTART): not an error */
        level = (rc == 1) ? NGX_LOG_INFO : NGX_LOG_ERR;
        ngx_log_error(level, k->log, 0,
                      "cweb jobs: jobs.db checkpoint: %s",
                      ngx_cweb_jstore_error(k->db));
    }

    /* again 1,000 frames later (an error too: not at every commit) */
    pthread_mutex_lock(&k->mu);
    k->next = ngx_max(frames, k->seen) + NGX_CWEB_JOBS_CKPT_FRAMES;
    k->asked = 0;
    pthread_mutex_unlock(&k->mu);
}
