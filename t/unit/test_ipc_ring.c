
/*
 * Unit tests for src/ngx_cweb_ipc_ring.c, the event ring's arithmetic:
 * sizes and bounds, records that wrap around the end of the buffer,
 * payloads put in parts, readers that keep up, fall behind (and learn how
 * many records they lost) or start late, against a model that computes
 * what the ring must hold from the whole history; no nginx needed.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -Isrc -o objs/unit/test_ipc_ring \
 *       t/unit/test_ipc_ring.c src/ngx_cweb_ipc_ring.c
 */


#include "check.h"
#include "ngx_cweb_ipc_ring.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>


#define HISTORY  4096
#define READERS  4


/* every record put, in order: what the model knows */
typedef struct {
    uint64_t  seq;
    uint32_t  kind;
    size_t    len;
} put_t;

static put_t     history[HISTORY];
static size_t    nhistory;
static uint64_t  mem[(1 << 16) / 8];
static uint8_t   out[1 << 16];


/* the payload of record seq: every byte says where it is */
static uint8_t
byte_of(uint64_t seq, size_t i)
{
    return (uint8_t) (seq * 31 + i * 7 + 1);
}


static uint64_t
rec_size(size_t len)
{
    return 16 + ((len + 7) & ~(size_t) 7);
}


/* the oldest record the ring must still hold: the longest suffix that fits */
static size_t
model_first(const ngx_cweb_ring_t *ring)
{
    size_t    i;
    uint64_t  used;

    used = 0;

    for (i = nhistory; i > 0; i--) {
        if (used + rec_size(history[i - 1].len) > ring->size) {
            break;
        }

        used += rec_size(history[i - 1].len);
    }

    return i;
}


static int
put(ngx_cweb_ring_t *ring, uint32_t kind, size_t len, size_t nparts)
{
    int                   rc;
    size_t                i, at, piece;
    uint8_t               buf[1 << 14];
    uint64_t              seq;
    ngx_cweb_ring_part_t  parts[8];

    for (i = 0; i < len; i++) {
        buf[i] = byte_of(ring->next_seq, i);
    }

    /* the payload in nparts pieces, the last takes the rest */
    for (i = 0, at = 0; i < nparts; i++) {
        piece = (i == nparts - 1) ? len - at : (len - at) / 2;
        parts[i].data = buf + at;
        parts[i].len = piece;
        at += piece;
    }

    seq = 0;
    rc = ngx_cweb_ring_put(ring, kind, parts, nparts, &seq);

    /* whole records only, never more than the ring */
    CHECK(ring->head - ring->tail <= ring->size);
    CHECK(ring->tail_seq + (ring->head > ring->tail) <= ring->next_seq);

    if (rc == NGX_CWEB_RING_OK) {
        CHECK(nhistory == 0 || seq == history[nhistory - 1].seq + 1);
        history[nhistory].seq = seq;
        history[nhistory].kind = kind;
        history[nhistory].len = len;
        nhistory++;
    }

    return rc;
}


/* a take() by rd: exactly the records of the model, and the loss */
static void
take(ngx_cweb_ring_t *ring, ngx_cweb_ring_reader_t *rd)
{
    int                   ok;
    size_t                n, i, j, first, pending;
    uint64_t              lost, want_lost;
    ngx_cweb_ring_rec_t   rec;
    const unsigned char  *p;

    first = model_first(ring);

    /* the model's first record for this reader, and what it lost */
    for (i = first; i < nhistory && history[i].seq < rd->seq; i++) {
        /* void */
    }

    want_lost = (first < nhistory && rd->seq < history[first].seq)
                ? history[first].seq - rd->seq : 0;
    if (first == nhistory && rd->seq < ring->next_seq) {
        want_lost = ring->next_seq - rd->seq;
    }

    pending = ngx_cweb_ring_pending(ring, rd);
    n = ngx_cweb_ring_take(ring, rd, out, &lost);

    CHECK(n == pending);
    CHECK(lost == want_lost);
    CHECK(rd->seq == ring->next_seq);

    p = out;

    for ( /* void */ ; i < nhistory; i++) {
        ok = ngx_cweb_ring_next(&p, out + n, &rec);
        CHECK(ok);
        if (!ok) {
            return;
        }

        CHECK(rec.seq == history[i].seq);
        CHECK(rec.kind == history[i].kind);
        CHECK(rec.len == history[i].len);

        for (j = 0; j < rec.len; j++) {
            if (rec.data[j] != byte_of(rec.seq, j)) {
                CHECK(rec.data[j] == byte_of(rec.seq, j));
                break;
            }
        }
    }

    CHECK(!ngx_cweb_ring_next(&p, out + n, &rec));
    CHECK(p == out + n);
}


static void
test_sizes(void)
{
    ngx_cweb_ring_t       *ring;
    ngx_cweb_ring_part_t   part;
    uint8_t                big[1024];
    uint64_t               seq;

    /* too small for four records of a header each */
    CHECK(ngx_cweb_ring_init(mem, sizeof(ngx_cweb_ring_t) + 127) == NULL);

    ring = ngx_cweb_ring_init(mem, sizeof(ngx_cweb_ring_t) + 1029);
    CHECK(ring != NULL);
    CHECK(ring->size == 1024);
    CHECK(ngx_cweb_ring_max(ring) == 256 - 16);

    memset(big, 'x', sizeof(big));
    part.data = big;

    /* the largest payload goes in, one more byte does not */
    part.len = ngx_cweb_ring_max(ring) + 1;
    CHECK(ngx_cweb_ring_put(ring, 1, &part, 1, &seq)
          == NGX_CWEB_RING_TOO_BIG);
    CHECK(ring->head == 0 && ring->next_seq == 1);

    part.len = ngx_cweb_ring_max(ring);
    CHECK(ngx_cweb_ring_put(ring, 1, &part, 1, &seq) == NGX_CWEB_RING_OK);
    CHECK(seq == 1 && ring->head == 256 && ring->next_seq == 2);

    /* the bound holds for the parts together */
    {
        ngx_cweb_ring_part_t  two[2] = { { big, 200 }, { big, 41 } };

        CHECK(ngx_cweb_ring_put(ring, 1, two, 2, &seq)
              == NGX_CWEB_RING_TOO_BIG);
        two[1].len = 40;
        CHECK(ngx_cweb_ring_put(ring, 1, two, 2, &seq) == NGX_CWEB_RING_OK);
        CHECK(seq == 2);
    }
}


/* records of every length up to the bound, wrapping at every offset */
static void
test_wrap(void)
{
    size_t                  len, k;
    ngx_cweb_ring_t        *ring;
    ngx_cweb_ring_reader_t  rd;

    for (len = 0; len <= 240; len += 1) {
        ring = ngx_cweb_ring_init(mem, sizeof(ngx_cweb_ring_t) + 1024);
        nhistory = 0;
        ngx_cweb_ring_reader_init(ring, &rd);
        CHECK(rd.seq == 1 && rd.pos == 0);

        /* enough to go round twice, read after each: never a loss */
        for (k = 0; k < 2 * 1024 / rec_size(len) + 2; k++) {
            CHECK(put(ring, (uint32_t) (k % 5), len, 1 + k % 3)
                  == NGX_CWEB_RING_OK);
            take(ring, &rd);
        }

        CHECK(ring->head > ring->size);
    }
}


/* a reader that does not read loses the oldest, and is told how many */
static void
test_overrun(void)
{
    size_t                  k;
    uint64_t                lost;
    ngx_cweb_ring_t        *ring;
    ngx_cweb_ring_reader_t  rd, late, idle;

    ring = ngx_cweb_ring_init(mem, sizeof(ngx_cweb_ring_t) + 1024);
    nhistory = 0;
    ngx_cweb_ring_reader_init(ring, &rd);
    ngx_cweb_ring_reader_init(ring, &idle);

    /* 100 records of 64 bytes (80 in the ring): 12 fit */
    for (k = 0; k < 100; k++) {
        CHECK(put(ring, 1, 64, 1) == NGX_CWEB_RING_OK);
    }

    CHECK(ring->tail_seq == 100 - 12 + 1);
    CHECK(ngx_cweb_ring_pending(ring, &rd) == 12 * 80);
    take(ring, &rd);                          /* lost 88, read 12 */

    /* a reader that starts now sees only what comes next */
    ngx_cweb_ring_reader_init(ring, &late);
    CHECK(ngx_cweb_ring_pending(ring, &late) == 0);
    CHECK(ngx_cweb_ring_take(ring, &late, out, &lost) == 0 && lost == 0);
    CHECK(put(ring, 2, 3, 1) == NGX_CWEB_RING_OK);
    take(ring, &late);
    take(ring, &rd);

    /* nothing new: nothing, no loss */
    CHECK(ngx_cweb_ring_take(ring, &rd, out, &lost) == 0 && lost == 0);

    /* the idle one lost everything but the last 12 */
    take(ring, &idle);

    /* a reader from another ring (ahead of this head) starts now */
    idle.pos = ring->head + 800;
    idle.seq = ring->next_seq;
    CHECK(ngx_cweb_ring_take(ring, &idle, out, &lost) == 0 && lost == 0);
    CHECK(idle.pos == ring->head);
}


/* random lengths and readers at random paces, against the model */
static void
test_model(void)
{
    size_t                  i, r, len;
    uint32_t                x;
    ngx_cweb_ring_t        *ring;
    ngx_cweb_ring_reader_t  rd[READERS];

    ring = ngx_cweb_ring_init(mem, sizeof(ngx_cweb_ring_t) + 4000);
    CHECK(ring->size == 4000);
    nhistory = 0;

    for (r = 0; r < READERS; r++) {
        ngx_cweb_ring_reader_init(ring, &rd[r]);
    }

    x = 12345;

    for (i = 0; i < HISTORY; i++) {
        x = x * 1103515245 + 12345;
        len = (x >> 8) % (ngx_cweb_ring_max(ring) + 1);

        CHECK(put(ring, x % 7, len, 1 + (x >> 4) % 4) == NGX_CWEB_RING_OK);

        /* reader r reads about every 2^r puts */
        for (r = 0; r < READERS; r++) {
            if (((x >> 20) & ((1u << (2 * r)) - 1)) == 0) {
                take(ring, &rd[r]);
            }
        }
    }

    for (r = 0; r < READERS; r++) {
        take(ring, &rd[r]);
    }
}


/* next() never reads past what take() copied */
static void
test_next_bounds(void)
{
    size_t                  n;
    uint64_t                lost;
    ngx_cweb_ring_t        *ring;
    ngx_cweb_ring_rec_t     rec;
    ngx_cweb_ring_reader_t  rd;
    const unsigned char    *p;

    ring = ngx_cweb_ring_init(mem, sizeof(ngx_cweb_ring_t) + 1024);
    nhistory = 0;
    ngx_cweb_ring_reader_init(ring, &rd);
    CHECK(put(ring, 3, 10, 1) == NGX_CWEB_RING_OK);

    n = ngx_cweb_ring_take(ring, &rd, out, &lost);
    CHECK(n == 32);

    p = out;
    CHECK(!ngx_cweb_ring_next(&p, out + 15, &rec));   /* half a header */
    CHECK(!ngx_cweb_ring_next(&p, out + 31, &rec));   /* a short payload */
    CHECK(p == out);
    CHECK(ngx_cweb_ring_next(&p, out + 32, &rec));
    CHECK(rec.kind == 3 && rec.len == 10 && rec.seq == 1 && p == out + 32);
}


int
main(void)
{
    /* a failure before a sanitizer's abort is still printed */
    setvbuf(stdout, NULL, _IONBF, 0);

    test_sizes();
    test_wrap();
    test_overrun();
    test_model();
    test_next_bounds();

    return check_report();
}
