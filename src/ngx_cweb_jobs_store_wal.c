
/*
 * Checkpoints of jobs.db away from the writer.  SQLite's own
 * auto-checkpoint runs inside the commit that takes the WAL past 1000
 * frames: that commit copies the pages into the database file and waits
 * for two fsyncs, and every POST /jobs of the batches behind it waits as
 * well (bench/jobs at 8,000 jobs/s: the machine 7-9% in iowait and 20%
 * idle).  Instead the writer's commits only report how many frames the
 * WAL holds (ngx_cweb_jstore_on_wal()), and a connection of its own, on a
 * thread of its own, checkpoints (ngx_cweb_jstore_checkpoint()).  A
 * PASSIVE checkpoint copies what is committed without holding up the
 * writer; since the writer goes on appending, the WAL starts over only
 * after a RESTART, which the writer runs itself when its handler asks
 * (see ngx_cweb_jstore_wal_hook()): for what PASSIVE did not reach yet
 * and the fsync.
 */


#include <stdio.h>
#include <stdlib.h>

#include "ngx_cweb_jobs_store_int.h"


static int ngx_cweb_jstore_wal_hook(void *data, sqlite3 *db, const char *name,
    int frames);


typedef struct {
    ngx_cweb_jstore_wal_pt   handler;
    void                    *data;
    ngx_cweb_jstore_t       *store;        /* the writer's */
} ngx_cweb_jstore_wal_t;


int
ngx_cweb_jstore_on_wal(ngx_cweb_jstore_t *s, ngx_cweb_jstore_wal_pt handler,
    void *data)
{
    ngx_cweb_jstore_wal_t  *w;

    if (handler == NULL) {
        free(s->wal);
        s->wal = NULL;

        /* SQLite's own again: it replaces the hook */
        return (sqlite3_wal_autocheckpoint(s->db, 1000) == SQLITE_OK)
               ? 0 : ngx_cweb_jstore_db_error(s, "wal_autocheckpoint");
    }

    w = s->wal;

    if (w == NULL) {
        w = malloc(sizeof(ngx_cweb_jstore_wal_t));
        if (w == NULL) {
            return ngx_cweb_jstore_fail(s, "no memory");
        }

        s->wal = w;
    }

    w->handler = handler;
    w->data = data;
    w->store = s;

    /* replaces the auto-checkpoint, which is a hook too */
    (void) sqlite3_wal_hook(s->db, ngx_cweb_jstore_wal_hook, w);

    return 0;
}


/*
 * after each commit, the write lock released: the count is passed, and a
 * handler that answers 1 has the WAL started over here (RESTART: what the
 * other connection has not copied yet, and the fsync), the way SQLite's
 * own checkpoint runs in its hook.  Only this connection can: it is the
 * writer, which a RESTART elsewhere must wait for, and under load the
 * writer is in a transaction nearly all the time.  Readers are waited
 * for NGX_CWEB_JSTORE_CKPT_BUSY ms, not the 5 s of the writer's
 * transactions; held up, the WAL goes on and the handler asks later.
 */

static int
ngx_cweb_jstore_wal_hook(void *data, sqlite3 *db, const char *name,
    int frames)
{
    int                     log, copied;
    ngx_cweb_jstore_wal_t  *w = data;

    (void) name;

    /* the commit is done: what the RESTART says of itself is not needed */
    if (w->handler(w->data, frames) == 1) {
        sqlite3_busy_timeout(db, NGX_CWEB_JSTORE_CKPT_BUSY);
        (void) ngx_cweb_jstore_checkpoint(w->store, 1, &log, &copied);
        sqlite3_busy_timeout(db, 5000);
    }

    return SQLITE_OK;
}


/*
 * the writer made the file and its schema; this connection writes no
 * rows, and the fsyncs of its checkpoints follow its synchronous, the
 * writer's.  Its busy timeout is the writer's RESTART's: a RESTART from
 * here too gives up on a reader after NGX_CWEB_JSTORE_CKPT_BUSY ms
 */

ngx_cweb_jstore_t *
ngx_cweb_jstore_open_checkpointer(const char *path, int sync_full, char *err,
    size_t len)
{
    ngx_cweb_jstore_t  *s;

    s = ngx_cweb_jstore_connect(path, 0, sync_full, err, len);

    if (s != NULL) {
        sqlite3_busy_timeout(s->db, NGX_CWEB_JSTORE_CKPT_BUSY);
    }

    return s;
}


int
ngx_cweb_jstore_checkpoint(ngx_cweb_jstore_t *s, int restart, int *frames,
    int *copied)
{
    int  rc, log, done;

    log = 0;
    done = 0;

    rc = sqlite3_wal_checkpoint_v2(s->db, NULL,
                                   restart ? SQLITE_CHECKPOINT_RESTART
                                           : SQLITE_CHECKPOINT_PASSIVE,
                                   &log, &done);

    /* -1 when it could not even look (another checkpoint ran) */
    *frames = (log > 0) ? log : 0;
    *copied = (done > 0) ? done : 0;

    if (rc == SQLITE_BUSY) {
        if (log < 0) {
            ngx_cweb_jstore_fail(s, "another checkpoint held it up");

        } else {
            ngx_cweb_jstore_fail(s, "the writer or a reader held it up: "
                                 "%d of %d frames copied", done, log);
        }

        return 1;
    }

    if (rc != SQLITE_OK) {
        return ngx_cweb_jstore_db_error(s, "checkpoint");
    }

    return 0;
}
