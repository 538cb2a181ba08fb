
/*
 * The event ring's arithmetic (see ngx_cweb_ipc_ring.h); no nginx headers.
 */


#include "ngx_cweb_ipc_ring.h"

#include <string.h>


#define ngx_cweb_ring_align(n)  (((n) + 7) & ~(uint64_t) 7)
#define ngx_cweb_ring_rec_size(len)                                          \
    (NGX_CWEB_RING_HEADER + ngx_cweb_ring_align((uint64_t) (len)))


static size_t ngx_cweb_ring_span(const ngx_cweb_ring_t *ring, uint64_t pos,
    size_t n, size_t *first);
static void ngx_cweb_ring_write(ngx_cweb_ring_t *ring, uint64_t pos,
    const void *src, size_t n);
static void ngx_cweb_ring_read(const ngx_cweb_ring_t *ring, uint64_t pos,
    void *dst, size_t n);


ngx_cweb_ring_t *
ngx_cweb_ring_init(void *mem, size_t bytes)
{
    ngx_cweb_ring_t  *ring;

    if (bytes < sizeof(ngx_cweb_ring_t) + 4 * 2 * NGX_CWEB_RING_HEADER) {
        return NULL;
    }

    ring = mem;
    ring->size = (bytes - sizeof(ngx_cweb_ring_t)) & ~(uint64_t) 7;
    ring->head = 0;
    ring->tail = 0;
    ring->next_seq = 1;
    ring->tail_seq = 1;

    return ring;
}


size_t
ngx_cweb_ring_max(const ngx_cweb_ring_t *ring)
{
    return (size_t) ((ring->size / 4) & ~(uint64_t) 7) - NGX_CWEB_RING_HEADER;
}


int
ngx_cweb_ring_put(ngx_cweb_ring_t *ring, uint32_t kind,
    const ngx_cweb_ring_part_t *parts, size_t n, uint64_t *seq)
{
    size_t         i, total;
    uint32_t       len;
    uint64_t       size, pos;
    unsigned char  header[NGX_CWEB_RING_HEADER];

    total = 0;

    for (i = 0; i < n; i++) {
        if (parts[i].len > ngx_cweb_ring_max(ring) - total) {
            return NGX_CWEB_RING_TOO_BIG;
        }

        total += parts[i].len;
    }

    size = ngx_cweb_ring_rec_size(total);

    /* room: the oldest records go */
    while (ring->head - ring->tail + size > ring->size) {
        ngx_cweb_ring_read(ring, ring->tail, &len, sizeof(uint32_t));
        ring->tail += ngx_cweb_ring_rec_size(len);
        ring->tail_seq++;
    }

    len = (uint32_t) total;
    memcpy(header, &len, sizeof(uint32_t));
    memcpy(header + 4, &kind, sizeof(uint32_t));
    memcpy(header + 8, &ring->next_seq, sizeof(uint64_t));

    pos = ring->head;
    ngx_cweb_ring_write(ring, pos, header, NGX_CWEB_RING_HEADER);
    pos += NGX_CWEB_RING_HEADER;

    for (i = 0; i < n; i++) {
        ngx_cweb_ring_write(ring, pos, parts[i].data, parts[i].len);
        pos += parts[i].len;
    }

    ring->head += size;
    *seq = ring->next_seq++;

    return NGX_CWEB_RING_OK;
}


void
ngx_cweb_ring_reader_init(const ngx_cweb_ring_t *ring,
    ngx_cweb_ring_reader_t *rd)
{
    rd->pos = ring->head;
    rd->seq = ring->next_seq;
}


size_t
ngx_cweb_ring_pending(const ngx_cweb_ring_t *ring,
    const ngx_cweb_ring_reader_t *rd)
{
    /* a reader overrun reads from tail: never more than the ring */
    if (rd->seq < ring->tail_seq || rd->pos > ring->head) {
        return (size_t) (ring->head - ring->tail);
    }

    return (size_t) (ring->head - rd->pos);
}


size_t
ngx_cweb_ring_take(const ngx_cweb_ring_t *ring, ngx_cweb_ring_reader_t *rd,
    unsigned char *buf, uint64_t *lost)
{
    size_t  n;

    *lost = 0;

    if (rd->seq < ring->tail_seq) {
        *lost = ring->tail_seq - rd->seq;
        rd->pos = ring->tail;
        rd->seq = ring->tail_seq;

    } else if (rd->pos > ring->head) {
        /* not this ring's reader: it starts now */
        ngx_cweb_ring_reader_init(ring, rd);
    }

    n = (size_t) (ring->head - rd->pos);
    ngx_cweb_ring_read(ring, rd->pos, buf, n);

    rd->pos = ring->head;
    rd->seq = ring->next_seq;

    return n;
}


int
ngx_cweb_ring_next(const unsigned char **p, const unsigned char *last,
    ngx_cweb_ring_rec_t *rec)
{
    uint32_t  len;
    uint64_t  size;

    if ((size_t) (last - *p) < NGX_CWEB_RING_HEADER) {
        return 0;
    }

    memcpy(&len, *p, sizeof(uint32_t));
    memcpy(&rec->kind, *p + 4, sizeof(uint32_t));
    memcpy(&rec->seq, *p + 8, sizeof(uint64_t));

    size = ngx_cweb_ring_rec_size(len);

    if (size > (uint64_t) (last - *p)) {
        return 0;
    }

    rec->data = *p + NGX_CWEB_RING_HEADER;
    rec->len = len;
    *p += size;

    return 1;
}


/* where n bytes at pos start in data[], and how many before its end */

static size_t
ngx_cweb_ring_span(const ngx_cweb_ring_t *ring, uint64_t pos, size_t n,
    size_t *first)
{
    size_t  off;

    off = (size_t) (pos % ring->size);
    *first = (size_t) ring->size - off;
    *first = *first < n ? *first : n;

    return off;
}


static void
ngx_cweb_ring_write(ngx_cweb_ring_t *ring, uint64_t pos, const void *src,
    size_t n)
{
    size_t  off, first;

    if (n) {
        off = ngx_cweb_ring_span(ring, pos, n, &first);
        memcpy(ring->data + off, src, first);
        memcpy(ring->data, (const unsigned char *) src + first, n - first);
    }
}


static void
ngx_cweb_ring_read(const ngx_cweb_ring_t *ring, uint64_t pos, void *dst,
    size_t n)
{
    size_t  off, first;

    if (n) {
        off = ngx_cweb_ring_span(ring, pos, n, &first);
        memcpy(dst, ring->data + off, first);
        memcpy((unsigned char *) dst + first, ring->data, n - first);
    }
}
