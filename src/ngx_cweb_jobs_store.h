
/*
 * The durable jobs store: jobs, their attempts and their events in a
 * SQLite file of its own (<cweb_module_dir>/jobs.db), apart from cweb.db
 * so that the job writer never contends with deploys.
 *
 * Deliberately free of nginx headers (C11, POSIX, sqlite3 and jansson
 * only) so that it can be unit tested standalone (t/unit/
 * test_jobs_store.c).  A store object is used by one thread at a time:
 * the helper's scheduler, the single writer.  Every write below runs
 * inside the caller's ngx_cweb_jstore_begin() / _commit(), so that the
 * caller can batch many of them into one commit (group commit); a write
 * outside a transaction is refused.  A write that refuses (bad input, a
 * job in the wrong state, a damaged row) has written nothing, and the
 * rest of the batch can still be committed; only SQLite failing in the
 * middle of one (disk full, I/O) leaves the transaction broken: then
 * further writes and the commit are refused and the caller rolls back.
 *
 * Times are milliseconds since the epoch, passed in by the caller: the
 * store never reads the clock.  Functions return 0 (or the count or
 * found flag they document) and -1 with the reason in
 * ngx_cweb_jstore_error(s).  Event ids come from one sequence for all
 * jobs and are never reused.
 *
 * The durability promise, chosen at open: sync_full = 0 is WAL with
 * synchronous=NORMAL (a commit survives a crash of the process, the last
 * commits may be lost if the machine loses power), sync_full = 1 is
 * synchronous=FULL (a commit survives both).
 */


#ifndef _NGX_CWEB_JOBS_STORE_H_INCLUDED_
#define _NGX_CWEB_JOBS_STORE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>


#define NGX_CWEB_JSTORE_UUID_LEN    36
#define NGX_CWEB_JSTORE_NAME_LEN    128     /* module and job, with NUL */
#define NGX_CWEB_JSTORE_HASH_LEN    64
#define NGX_CWEB_JSTORE_TYPE_LEN    64      /* an event type, with NUL */
#define NGX_CWEB_JSTORE_STATE_LEN   16
#define NGX_CWEB_JSTORE_ERR_LEN     256

/* the error of the jobs that were running when the helper died */
#define NGX_CWEB_JSTORE_INTERRUPTED                                          \
    "interrupted: the cweb helper died while it ran"


typedef struct ngx_cweb_jstore_s  ngx_cweb_jstore_t;


/* a new job, validated by the caller (the store checks the forms again) */
typedef struct {
    const char   *uuid;          /* 36 chars, lowercase */
    const char   *module;
    const char   *job;
    const char   *module_hash;   /* 64 lowercase hex */
    int64_t       version;       /* >= 1 */
    const char   *payload;       /* JSON text */
    int64_t       run_at;        /* ms since the epoch */
    int64_t       timeout_ms;    /* >= 0 */
    int64_t       max_attempts;  /* >= 1 */
} ngx_cweb_jnew_t;


/* a job handed to a runner */
typedef struct {
    int64_t       id;
    int64_t       version;
    int64_t       timeout_ms;
    int64_t       attempt;       /* this one, from 1 */
    int64_t       started_at;    /* when it was claimed (ms) */
    int64_t       max_attempts;
    char          uuid[NGX_CWEB_JSTORE_UUID_LEN + 1];
    char          module[NGX_CWEB_JSTORE_NAME_LEN];
    char          job[NGX_CWEB_JSTORE_NAME_LEN];
    char          module_hash[NGX_CWEB_JSTORE_HASH_LEN + 1];
    char         *payload;       /* malloc()ed: ngx_cweb_jstore_claim_free() */
} ngx_cweb_jclaim_t;


/*
 * An event written by ngx_cweb_jstore_recover(), for the caller to
 * announce once it has committed; data_json is NULL or JSON text, both
 * strings valid during the call only.
 */
typedef void (*ngx_cweb_jstore_event_pt)(void *data, const char *uuid,
    int64_t event_id, int64_t ts, const char *type, const char *data_json);


/*
 * Opens (creating if missing) and migrates the store at path: WAL,
 * synchronous FULL or NORMAL (see above), busy timeout 5 s for readers in
 * other processes.  NULL with the reason in err when it cannot.
 */
ngx_cweb_jstore_t *ngx_cweb_jstore_open(const char *path, int sync_full,
    char *err, size_t len);
void ngx_cweb_jstore_close(ngx_cweb_jstore_t *s);
const char *ngx_cweb_jstore_error(ngx_cweb_jstore_t *s);

/*
 * Checkpoints elsewhere (ngx_cweb_jobs_store_wal.c): on_wal() makes every
 * commit of s call handler(data, frames in the WAL) instead of SQLite
 * checkpointing inside the commit (handler NULL: SQLite's own again); a
 * handler that returns 1 has the WAL started over there and then (a
 * RESTART that waits NGX_CWEB_JSTORE_CKPT_BUSY ms at most for readers).
 * open_checkpointer() opens a second connection to the store at path for
 * checkpoint() alone (busy timeout NGX_CWEB_JSTORE_CKPT_BUSY ms): PASSIVE
 * (restart 0) or RESTART; *frames the frames the WAL held, *copied those
 * in the database now.  checkpoint() returns 0, 1 when the writer, a
 * reader or another checkpoint held it up (the reason in
 * ngx_cweb_jstore_error()), -1.
 */
#define NGX_CWEB_JSTORE_CKPT_BUSY   20

typedef int (*ngx_cweb_jstore_wal_pt)(void *data, int frames);

int ngx_cweb_jstore_on_wal(ngx_cweb_jstore_t *s, ngx_cweb_jstore_wal_pt handler,
    void *data);
ngx_cweb_jstore_t *ngx_cweb_jstore_open_checkpointer(const char *path,
    int sync_full, char *err, size_t len);
int ngx_cweb_jstore_checkpoint(ngx_cweb_jstore_t *s, int restart,
    int *frames, int *copied);

/* BEGIN IMMEDIATE, COMMIT, ROLLBACK */
int ngx_cweb_jstore_begin(ngx_cweb_jstore_t *s);
int ngx_cweb_jstore_commit(ngx_cweb_jstore_t *s);
int ngx_cweb_jstore_rollback(ngx_cweb_jstore_t *s);

/*
 * A pending job and its "created" event (data null); *event_id is the
 * event's id.  A uuid already used is refused.
 */
int ngx_cweb_jstore_create(ngx_cweb_jstore_t *s, const ngx_cweb_jnew_t *j,
    int64_t now, int64_t *event_id);

/*
 * The same, and claimed in the same write when it is due (run_at <= now)
 * and no older pending job is: running in attempt 1 as
 * ngx_cweb_jstore_claim() would leave it, its attempt row opened, its
 * "started" event ({"attempt":1}, *started_id) after "created"
 * (*event_id), and out->id set; out->id 0: it is pending.  On -1 out has
 * no payload to free.
 */
int ngx_cweb_jstore_create_claimed(ngx_cweb_jstore_t *s,
    const ngx_cweb_jnew_t *j, int64_t now, int64_t *event_id,
    ngx_cweb_jclaim_t *out, int64_t *started_id);

/*
 * 1: the pending job due first (run_at <= now; the oldest run_at, then
 * the oldest job) is now running, its attempts counted, an attempt row
 * opened and its "started" event ({"attempt":n}) written; 0: none is due.
 * A candidate row that is damaged is failed with the reason (and its
 * "failed" event) and the next one is tried.
 */
int ngx_cweb_jstore_claim(ngx_cweb_jstore_t *s, int64_t now,
    ngx_cweb_jclaim_t *out, int64_t *event_id);
void ngx_cweb_jstore_claim_free(ngx_cweb_jclaim_t *c);

/* 1 and *at the earliest run_at of a pending job; 0 when none is pending */
int ngx_cweb_jstore_next_run_at(ngx_cweb_jstore_t *s, int64_t *at);

/*
 * A plugin's event (data_json NULL or JSON text) for a running job only.
 * The type is 1 to 63 bytes of letters, digits, "_", "-", "." and ":",
 * and not one of the built-in types (created, started, done, failed,
 * canceled, retry).
 */
int ngx_cweb_jstore_emit(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *type, const char *data_json, int64_t now, int64_t *event_id);

/*
 * Ends a running job as state (done, failed or canceled) and its
 * attempt, with its event: "done" with the result as data, "failed" and
 * "canceled" with {"error":...} (or null).  A job whose cancel was
 * requested ends canceled whatever state says, its result dropped.
 * state_out, when not NULL, gets the state it ended in.
 */
int ngx_cweb_jstore_finish(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *state, const char *result_json, const char *error,
    int64_t now, char *state_out, int64_t *event_id);

/*
 * As finish(), for the attempt a claim gave (its attempt and started_at):
 * one read fewer while the row is as the claim left it; the same outcome
 * in every case.
 */
int ngx_cweb_jstore_finish_run(ngx_cweb_jstore_t *s, int64_t job_id,
    int64_t attempt, int64_t started_at, const char *state,
    const char *result_json, const char *error, int64_t now, char *state_out,
    int64_t *event_id);

/*
 * A running job's attempt failed with error: pending again at run_at with
 * a "retry" event ({"error","attempt","run_at"}) while attempts <
 * max_attempts, else it ends failed; canceled when its cancel was
 * requested.  state_out (16 bytes, or NULL) gets the state it is in.
 */
int ngx_cweb_jstore_retry(ngx_cweb_jstore_t *s, int64_t job_id,
    const char *error, int64_t run_at, int64_t now, char *state_out,
    int64_t *event_id);

/*
 * state_out (16 bytes) says what became of the job: a pending one is
 * "canceled" at once (its event in *event_id); a running one stays
 * "running" with its cancel requested (the scheduler calls the cancel hook,
 * *event_id 0); a finished one keeps its state, nothing changes; an
 * unknown uuid gives "".
 */
int ngx_cweb_jstore_cancel(ngx_cweb_jstore_t *s, const char *uuid,
    int64_t now, char *state_out, int64_t *event_id);

/*
 * Shutdown interrupted a running job: pending again (run_at unchanged, so
 * it keeps its place), the attempt not counted (and no row of it), with a
 * "retry" event {"interrupted":true} so that followers see it leave
 * running; canceled instead when its cancel was requested.
 */
int ngx_cweb_jstore_requeue(ngx_cweb_jstore_t *s, int64_t job_id,
    int64_t now, int64_t *event_id);

/* why a running job was interrupted (NULL: NGX_CWEB_JSTORE_INTERRUPTED) */
typedef const char *(*ngx_cweb_jstore_why_pt)(void *data, int64_t job_id);

/*
 * At helper start: every running job was interrupted by a crash.  Each
 * one is retried at now + ngx_cweb_jstore_backoff(backoff_ms, attempts)
 * while attempts < max_attempts, else failed, with error why(data, id)
 * (why NULL or answering NULL: NGX_CWEB_JSTORE_INTERRUPTED).  handler (or
 * NULL) hears each event.  Returns how many jobs, or -1.
 */
int ngx_cweb_jstore_recover(ngx_cweb_jstore_t *s, int64_t now,
    int64_t backoff_ms, ngx_cweb_jstore_why_pt why,
    ngx_cweb_jstore_event_pt handler, void *data);

/* base << (attempt - 1), the shift bounded at 20 */
int64_t ngx_cweb_jstore_backoff(int64_t base, int64_t attempt);

/*
 * 1 and *out {"job_uuid","module","job","state","module_hash","version",
 * "created_at","updated_at","run_at","timeout_ms","max_attempts",
 * "attempts":[{"attempt","started_at","ended_at","error"}],"result","error"}
 * (the caller's reference); 0 when the uuid is unknown; -1 on a database
 * error or a damaged row.
 */
int ngx_cweb_jstore_get(ngx_cweb_jstore_t *s, const char *uuid,
    json_t **out);

/*
 * At most limit (a negative one is 0) jobs in state (NULL: all), newest
 * first, shaped as get's without "attempts"; NULL on error (an unknown
 * state, a damaged row).
 */
json_t *ngx_cweb_jstore_list(ngx_cweb_jstore_t *s, const char *state,
    int limit);

/*
 * 1 and *out the job's events with id > since_id, ascending, at most limit
 * (a negative one is 0), each shaped by ngx_cweb_jstore_event_json();
 * *last_id the id of the last one (since_id when none).  0 when the uuid
 * is unknown, -1 on error.
 */
int ngx_cweb_jstore_events(ngx_cweb_jstore_t *s, const char *uuid,
    int64_t since_id, int limit, json_t **out, int64_t *last_id);
/* the same, and the job's state in state_out (NGX_CWEB_JSTORE_STATE_LEN) */
int ngx_cweb_jstore_events_state(ngx_cweb_jstore_t *s, const char *uuid,
    int64_t since_id, int limit, json_t **out, int64_t *last_id,
    char *state_out);

/*
 * The one place an event is shaped (live events use it too):
 * {"job_uuid","event_id","ts","type","data": parsed JSON or null}; NULL
 * when data_json does not parse or out of memory.
 */
/* a pending or running job still needs that version's object: 1, 0, -1 */
int ngx_cweb_jstore_needs(const char *path, const char *module, size_t len,
    int64_t version);

/*
 * one event as stored, by its id (uuid: its job's), as compact JSON text
 * (malloc'd), or NULL; the one this store inserted last is known without
 * a read.  event_text() composes one this process wrote: data_json
 * compact as jansson writes it, uuid and type of the forms the store
 * accepts (the same bytes as json_dumps() of event_json()).
 */
char *ngx_cweb_jstore_event_get(ngx_cweb_jstore_t *s, const char *uuid,
    int64_t id);
char *ngx_cweb_jstore_event_text(const char *uuid, int64_t id, int64_t ts,
    const char *type, const char *data_json);
json_t *ngx_cweb_jstore_event_json(const char *uuid, int64_t id, int64_t ts,
    const char *type, const char *data_json);

/* the forms the store writes, and accepts back: 1 yes, 0 no */
int ngx_cweb_jstore_uuid_ok(const char *s, size_t len);
int ngx_cweb_jstore_hex_ok(const char *s, size_t len);     /* lowercase */
int ngx_cweb_jstore_state_ok(const char *s);


#endif /* _NGX_CWEB_JOBS_STORE_H_INCLUDED_ */
