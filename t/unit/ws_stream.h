
/*
 * The harness of the ws_frame unit tests (test_ws_frame.c, test_ws_utf8.c):
 * a stream of client frames built in st, the log of events the test
 * expects, and run(), which parses the stream and writes the log it got.
 *
 * Every stream is parsed whole, one byte per call and in random splits
 * (fixed seeds), each call on a buffer of exactly its size so that the
 * sanitizers see any read past it; the events of each run are written
 * as one line per message or control frame, and the lines of all runs
 * must be the ones the test expects.
 */


#ifndef _CWEB_UNIT_WS_STREAM_H_INCLUDED_
#define _CWEB_UNIT_WS_STREAM_H_INCLUDED_


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_cweb_ws_frame.h"

#include "check.h"


#define U(s)    ((const unsigned char *) (s))
#define L(s)    (sizeof(s) - 1)

#define MIB     (1024 * 1024)
#define LOGMAX  65536

/* run modes: whole, byte by byte, then random splits with these seeds */
#define WHOLE   0
#define BYTES   1
#define NMODES  6


static unsigned char  *st;
static size_t          st_len;
static size_t          st_cap;
static char            expect[LOGMAX];
static char            got[LOGMAX];
static size_t          got_fail_at;
static const char     *got_error;


typedef unsigned long long  ull;


static ull
hash(const void *data, size_t n, ull h)
{
    const unsigned char  *p = data;

    while (n--) {
        h = (h ^ *p++) * 0x100000001b3ULL;
    }

    return h;
}

#define HASH0  0xcbf29ce484222325ULL


static void logf_(char *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


static void
logf_(char *log, const char *fmt, ...)
{
    size_t   n;
    va_list  args;

    n = strlen(log);
    va_start(args, fmt);
    vsnprintf(log + n, LOGMAX - n, fmt, args);
    va_end(args);
}


static void
reset(void)
{
    st_len = 0;
    expect[0] = '\0';
}


static void
put(const void *data, size_t len)
{
    if (st_len + len > st_cap) {
        st_cap = (st_len + len) * 2;
        st = realloc(st, st_cap);
        if (st == NULL) {
            abort();
        }
    }

    memcpy(st + st_len, data, len);
    st_len += len;
}


/* a client frame: the writer's header, the mask bit, a key, the XOR */

static void
put_frame(int op, int fin, int rsv1, const void *data, size_t len)
{
    size_t                n, i;
    unsigned char         h[14], *d;
    static unsigned char  key = 0x37;

    n = ngx_cweb_ws_frame_header(h, op, fin, rsv1, len);
    h[1] |= 0x80;

    for (i = 0; i < 4; i++) {
        h[n++] = key;
        key = key * 31 + 17;
    }

    put(h, n);
    put(data, len);

    d = st + st_len - len;

    for (i = 0; i < len; i++) {
        d[i] ^= h[n - 4 + (i & 3)];
    }
}


/* the expected line of a whole message or control frame */

static void
expect_msg(int op, int compressed, const void *data, size_t len)
{
    logf_(expect, "%c %llu %llx\n", (op == NGX_CWEB_WS_TEXT ? 'T' : 'B')
          + (compressed ? 32 : 0), (ull) len, hash(data, len, HASH0));
}


static void
expect_ctl(int op, const void *data, size_t len)
{
    logf_(expect, "C%x %llu %llx\n", op, (ull) len, hash(data, len, HASH0));
}


typedef struct {
    int       in_msg;
    int       bad;
    unsigned  opcode;
    unsigned  compressed;
    size_t    len;
    ull       h;
} run_msg_t;


/* one event into the log; checks what the API promises of each */

static void
record(int rc, ngx_cweb_ws_parser_t *p, ngx_cweb_ws_event_t *ev,
    run_msg_t *m, char *log)
{
    if (rc == NGX_CWEB_WS_ERROR) {
        logf_(log, "E%u\n", p->close_code);
        return;
    }

    if (rc == NGX_CWEB_WS_CONTROL) {
        logf_(log, "C%x %llu %llx\n", ev->opcode, (ull) ev->len,
              hash(ev->data, ev->len, HASH0));

        if (ev->opcode == NGX_CWEB_WS_CLOSE) {
            logf_(log, "X%u %llu %llx\n", ev->close_code,
                  (ull) ev->reason_len,
                  hash(ev->reason, ev->reason_len, HASH0));
        }

        return;
    }

    /* counted once per run, not once per byte */

    if (ev->first != !m->in_msg
        || (ev->opcode != NGX_CWEB_WS_TEXT
            && ev->opcode != NGX_CWEB_WS_BINARY))
    {
        m->bad = 1;
    }

    if (ev->first) {
        m->in_msg = 1;
        m->opcode = ev->opcode;
        m->compressed = ev->compressed;
        m->len = 0;
        m->h = HASH0;
    }

    if (ev->opcode != m->opcode || ev->compressed != m->compressed) {
        m->bad = 1;
    }

    m->len += ev->len;
    m->h = hash(ev->data, ev->len, m->h);

    if (ev->fin) {
        logf_(log, "%c %llu %llx\n",
              (m->opcode == NGX_CWEB_WS_TEXT ? 'T' : 'B')
              + (m->compressed ? 32 : 0), (ull) m->len, m->h);
        m->in_msg = 0;
    }
}


static size_t
next_split(int mode, uint64_t *seed, size_t left)
{
    size_t  n;

    if (mode == WHOLE) {
        return left;
    }

    if (mode == BYTES) {
        return 1;
    }

    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;

    /* mostly short pieces, around header sizes, sometimes long ones */
    n = (*seed >> 8) % 16 ? 1 + (*seed >> 20) % 20 : 1 + (*seed >> 20) % 70000;

    return n < left ? n : left;
}


/*
 * Parses st (left intact) in one mode into got; got_fail_at is the number
 * of bytes handed to the parser when it failed, 0 if it did not.
 */

static void
run(int mode, uint64_t max_message, unsigned deflate)
{
    int                   rc;
    size_t                off, end, used, k;
    uint64_t              seed;
    run_msg_t             m;
    unsigned char        *chunk;
    ngx_cweb_ws_event_t   ev;
    ngx_cweb_ws_parser_t  p;

    ngx_cweb_ws_parser_init(&p, max_message, deflate);
    memset(&m, 0, sizeof(run_msg_t));
    got[0] = '\0';
    got_fail_at = 0;
    got_error = NULL;
    seed = 0x9e3779b97f4a7c15ULL * mode;

    for (off = 0; off < st_len; off = end) {
        end = off + next_split(mode, &seed, st_len - off);

        chunk = malloc(end - off);
        if (chunk == NULL) {
            abort();
        }

        memcpy(chunk, st + off, end - off);

        for (k = 0; ; k += used) {
            rc = ngx_cweb_ws_parse(&p, chunk + k, end - off - k, &used, &ev);

            if (used > end - off - k
                || (rc == NGX_CWEB_WS_NEED_MORE && k + used != end - off))
            {
                m.bad = 1;
            }

            if (rc == NGX_CWEB_WS_NEED_MORE) {
                break;
            }

            /* every event consumes a byte at least: no endless loop */

            if (used == 0 && rc != NGX_CWEB_WS_ERROR) {
                m.bad = 1;
                CHECK(!m.bad);
                free(chunk);
                return;
            }

            record(rc, &p, &ev, &m, got);

            if (rc == NGX_CWEB_WS_ERROR) {
                got_fail_at = end;
                got_error = p.error;

                /* stays in error, consumes nothing */
                rc = ngx_cweb_ws_parse(&p, chunk, end - off, &used, &ev);
                CHECK(rc == NGX_CWEB_WS_ERROR && used == 0);
                CHECK(!m.bad);

                free(chunk);
                return;
            }
        }

        free(chunk);
    }

    CHECK(!m.bad);

    /* an empty read says nothing */
    CHECK(ngx_cweb_ws_parse(&p, st, 0, &used, &ev) == NGX_CWEB_WS_NEED_MORE
          && used == 0);
}


/* every mode gives the expected log */

static int
runs_as_expected(uint64_t max_message, unsigned deflate)
{
    int  mode, ok;

    ok = 1;

    for (mode = 0; mode < NMODES; mode++) {
        run(mode, max_message, deflate);

        if (strcmp(got, expect) != 0) {
            printf("mode %d:\n got:\n%s expected:\n%s", mode, got, expect);
            ok = 0;
        }
    }

    return ok;
}


/*
 * The stream fails with code and error in every mode, and fed byte by
 * byte, at its byte number at (1-based; 0: don't care).
 */

static int
fails(unsigned code, const char *error, size_t at)
{
    int   mode, ok;
    char  line[16];

    snprintf(line, sizeof(line), "E%u\n", code);
    strcat(expect, line);

    ok = runs_as_expected(0, 0);

    for (mode = 0; mode < NMODES; mode++) {
        run(mode, 0, 0);

        if (got_error == NULL || strcmp(got_error, error) != 0) {
            printf("mode %d: error \"%s\", expected \"%s\"\n", mode,
                   got_error ? got_error : "(none)", error);
            ok = 0;
        }

        if (mode == BYTES && at && got_fail_at != at) {
            printf("failed at byte %zu, expected %zu\n", got_fail_at, at);
            ok = 0;
        }
    }

    return ok;
}


#endif /* _CWEB_UNIT_WS_STREAM_H_INCLUDED_ */
