
/*
 * The event ring: variable-length records in one byte buffer (in shared
 * memory), numbered by a monotonic sequence, the oldest overwritten.
 *
 * Deliberately free of nginx headers so that it can be unit tested
 * standalone (t/unit/test_ipc_ring.c); the module compiles the .c file
 * as one of its sources.  No locking here: writers and readers of a ring
 * in shared memory hold the zone's mutex around every call that takes the
 * ring (ngx_cweb_ipc.c).
 *
 * Layout: positions are byte offsets that only grow (64 bits: no wrap in
 * practice), taken modulo size in data[]; a record is a 16-byte header
 * (payload length, kind, sequence) and its payload, padded to 8 bytes, and
 * may wrap around the end of data[].  [tail, head) holds whole records
 * only; tail_seq is the sequence of the record at tail, next_seq the one
 * the next record gets.  A record takes at most a quarter of the ring, so
 * a reader that was up to date before a put loses nothing to it.
 */


#ifndef _NGX_CWEB_IPC_RING_H_INCLUDED_
#define _NGX_CWEB_IPC_RING_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define NGX_CWEB_RING_HEADER     16
#define NGX_CWEB_RING_OK         0
#define NGX_CWEB_RING_TOO_BIG    -1


typedef struct {
    uint64_t                    size;         /* of data[], a multiple of 8 */
    uint64_t                    head;         /* where the next record goes */
    uint64_t                    tail;         /* the oldest record */
    uint64_t                    next_seq;     /* from 1 */
    uint64_t                    tail_seq;
    unsigned char               data[];
} ngx_cweb_ring_t;


/* where one reader is: its next record */
typedef struct {
    uint64_t                    pos;
    uint64_t                    seq;
} ngx_cweb_ring_reader_t;


/* a piece of a record's payload (a record is put from several) */
typedef struct {
    const void                 *data;
    size_t                      len;
} ngx_cweb_ring_part_t;


/* a record in what ngx_cweb_ring_take() copied out */
typedef struct {
    uint32_t                    kind;
    uint64_t                    seq;
    const unsigned char        *data;
    size_t                      len;
} ngx_cweb_ring_rec_t;


/* the ring in "bytes" bytes of memory (8-aligned), at most its size */
ngx_cweb_ring_t *ngx_cweb_ring_init(void *mem, size_t bytes);

/* the largest payload a record may have */
size_t ngx_cweb_ring_max(const ngx_cweb_ring_t *ring);

/* a record of the parts' bytes, after dropping the oldest for room */
int ngx_cweb_ring_put(ngx_cweb_ring_t *ring, uint32_t kind,
    const ngx_cweb_ring_part_t *parts, size_t n, uint64_t *seq);

/* a new reader: it sees the records put from now on */
void ngx_cweb_ring_reader_init(const ngx_cweb_ring_t *ring,
    ngx_cweb_ring_reader_t *rd);

/* bytes of records the reader has not read yet (what take() copies) */
size_t ngx_cweb_ring_pending(const ngx_cweb_ring_t *ring,
    const ngx_cweb_ring_reader_t *rd);

/*
 * copies the reader's records into buf (at least pending() bytes) and
 * moves it past them; *lost: how many were overwritten before it came
 */
size_t ngx_cweb_ring_take(const ngx_cweb_ring_t *ring,
    ngx_cweb_ring_reader_t *rd, unsigned char *buf, uint64_t *lost);

/* the next record of what take() copied: 1, or 0 at the end */
int ngx_cweb_ring_next(const unsigned char **p, const unsigned char *last,
    ngx_cweb_ring_rec_t *rec);


#endif /* _NGX_CWEB_IPC_RING_H_INCLUDED_ */
