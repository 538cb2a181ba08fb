/*
 * bench/fanout.c - the subscribers of bench/jobs-fanout: S connections to
 * 127.0.0.1:PORT in one epoll loop (non-blocking sockets, libc only), a
 * mix of
 *
 *   SSE        GET /jobs/<uuid>/events (text/event-stream, chunked or not;
 *              id:/event:/data: lines, comments ignored)
 *   WebSocket  GET <ws-path>?id=<uuid>&since_event_id=0 (default
 *              /jobs/ws), RFC 6455: a random 16-byte key, the 101 and its
 *              Sec-WebSocket-Accept checked; unmasked text frames from the
 *              server (7/16/64-bit lengths, fragments reassembled), pings
 *              answered with masked pongs, a close answered and the
 *              connection ended
 *
 * Every message is an event {"job_uuid","event_id","ts","type","data"};
 * for each "tick" (data {"i":k,"t_us":T}) it records now - T
 * (CLOCK_REALTIME, microseconds).  Per connection it checks that event ids
 * strictly increase with no gap (the benchmark runs one job: its events
 * have consecutive ids), that the ticks come in order 0..N-1 with none
 * missing, that the uuid is the job's, and that it gets exactly N ticks
 * (it closes the connection after the N-th).  Any violation is reported
 * and makes the exit status 1.
 *
 *   cc -O2 -o fanout bench/fanout.c
 *   fanout --port 19391 --uuid <uuid> --sse 500 --ws 500 --events 1000
 *
 * Options: --port P, --uuid U, --sse S, --ws W, --events N,
 *   --deadline SECONDS (60: everything, connecting included),
 *   --inflight K (128: connections opened but not yet subscribed),
 *   --ws-path PATH (/jobs/ws), --ready-file FILE (written once every
 *   connection is subscribed or failed).
 *
 * Output: "key: value" lines (subscribers, events, deliveries, wall,
 * deliveries/s, latency ms p50/p99/max, per protocol too), then the
 * violations.  Exit: 0 clean, 1 violations, 2 usage or setup error.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>


#define MAX_CONNS        200000
#define MAX_EVENTS       1000000
#define MAX_DELIVERIES   (64 * 1024 * 1024)
#define MAX_HEADER       16384
#define MAX_LINE         (1024 * 1024)
#define MAX_FRAME        (4 * 1024 * 1024)
#define READ_BUF         (256 * 1024)
#define READS_PER_EVENT  16           /* reads per readiness, then others */
#define MAX_SHOWN        20           /* violations printed in full */

enum { K_SSE = 0, K_WS = 1 };
enum { S_IDLE, S_CONNECTING, S_HEADERS, S_STREAM, S_DONE, S_FAILED };

/* violation kinds */
enum {
    V_CONNECT, V_STATUS, V_PROTOCOL, V_ID_ORDER, V_ID_GAP, V_TICK_ORDER,
    V_UUID, V_CLOSED, V_INCOMPLETE, V_EXTRA, V_NKINDS
};

static const char *v_names[V_NKINDS] = {
    "connect failed", "bad handshake answer", "protocol error",
    "event id not increasing", "event id gap", "tick missing or out of order",
    "wrong job uuid", "closed by the server before N ticks",
    "fewer than N ticks at the deadline", "tick beyond N"
};

typedef struct {
    char     *p;
    size_t    len, cap;
} buf_t;

typedef struct {
    int        fd;
    int        kind;
    int        state;
    int        idx;
    char       key[32];              /* WebSocket: base64 of 16 bytes */
    buf_t      acc;                  /* headers; WebSocket frames */
    buf_t      out;                  /* unsent bytes */
    buf_t      line;                 /* SSE: the line being read */
    buf_t      data;                 /* SSE: data: lines; WS: fragments */
    int        chunked;              /* SSE: Transfer-Encoding: chunked */
    int        ck_state;
    uint64_t   ck_left;
    int64_t    sse_id;
    char       sse_type[64];
    int        frag_op;
    int64_t    last_id;
    int64_t    next_i;
    int64_t    ticks;
} conn_t;


static int         opt_port, opt_sse, opt_ws, opt_inflight = 128;
static int64_t     opt_events = -1;
static int         opt_deadline = 60;
static const char *opt_uuid, *opt_ws_path = "/jobs/ws", *opt_ready;

static conn_t     *conns;
static int         nconns, opened, pending, subscribed, finished, completed;
static int         ep;
static int64_t     t_start_us, t_ready_us, t_first_us, t_last_us;
static int64_t     t_emit_first = INT64_MAX, t_emit_last = INT64_MIN;
static uint32_t   *lat[2];
static size_t      nlat[2], lat_cap;
static int64_t     deliveries[2], negative;
static uint64_t    vcount[V_NKINDS];
static int         vshown;
static int         ready_written;
static uint64_t    ws_pings, ws_frames_by_len[3];    /* 7, 16, 64-bit */


static int64_t
realtime_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


static int64_t
mono_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static void
die(const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    fprintf(stderr, "fanout: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}


static void
violation(conn_t *c, int kind, const char *fmt, ...)
{
    va_list  ap;

    vcount[kind]++;

    if (vshown++ < MAX_SHOWN) {
        va_start(ap, fmt);
        fprintf(stderr, "fanout: violation: conn %d (%s): %s: ", c->idx,
                c->kind == K_SSE ? "sse" : "ws", v_names[kind]);
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
    }
}


static int
buf_add(buf_t *b, const void *p, size_t n, size_t max)
{
    size_t  cap;
    char   *np;

    if (b->len + n > max) {
        return -1;
    }

    if (b->len + n > b->cap) {
        cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) {
            cap *= 2;
        }

        np = realloc(b->p, cap);
        if (np == NULL) {
            die("out of memory");
        }

        b->p = np;
        b->cap = cap;
    }

    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}


static void
buf_free(buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}


/* SHA-1 (RFC 3174) and base64, for Sec-WebSocket-Accept */

static uint32_t
rol(uint32_t v, int n)
{
    return (v << n) | (v >> (32 - n));
}


static void
sha1(const unsigned char *msg, size_t len, unsigned char out[20])
{
    uint32_t       h[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                            0xC3D2E1F0 };
    uint32_t       w[80], a, b, c, d, e, f, k, t;
    unsigned char  blk[64];
    uint64_t       bits = (uint64_t) len * 8;
    size_t         i, off, total;
    int            j;

    total = ((len + 8) / 64 + 1) * 64;

    for (off = 0; off < total; off += 64) {
        for (j = 0; j < 64; j++) {
            i = off + j;
            if (i < len) {
                blk[j] = msg[i];
            } else if (i == len) {
                blk[j] = 0x80;
            } else if (i >= total - 8) {
                blk[j] = (unsigned char) (bits >> (8 * (total - 1 - i)));
            } else {
                blk[j] = 0;
            }
        }

        for (j = 0; j < 16; j++) {
            w[j] = (uint32_t) blk[4 * j] << 24 | (uint32_t) blk[4 * j + 1] << 16
                   | (uint32_t) blk[4 * j + 2] << 8 | blk[4 * j + 3];
        }

        for (j = 16; j < 80; j++) {
            w[j] = rol(w[j - 3] ^ w[j - 8] ^ w[j - 14] ^ w[j - 16], 1);
        }

        a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4];

        for (j = 0; j < 80; j++) {
            if (j < 20) {
                f = (b & c) | (~b & d); k = 0x5A827999;
            } else if (j < 40) {
                f = b ^ c ^ d; k = 0x6ED9EBA1;
            } else if (j < 60) {
                f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC;
            } else {
                f = b ^ c ^ d; k = 0xCA62C1D6;
            }

            t = rol(a, 5) + f + e + k + w[j];
            e = d; d = c; c = rol(b, 30); b = a; a = t;
        }

        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }

    for (j = 0; j < 5; j++) {
        out[4 * j] = h[j] >> 24;
        out[4 * j + 1] = h[j] >> 16;
        out[4 * j + 2] = h[j] >> 8;
        out[4 * j + 3] = h[j];
    }
}


static void
base64(const unsigned char *in, size_t n, char *out)
{
    static const char  tb[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t             i;
    uint32_t           v;

    for (i = 0; i + 2 < n; i += 3) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        *out++ = tb[v >> 18]; *out++ = tb[(v >> 12) & 63];
        *out++ = tb[(v >> 6) & 63]; *out++ = tb[v & 63];
    }

    if (n - i == 1) {
        v = (uint32_t) in[i] << 16;
        *out++ = tb[v >> 18]; *out++ = tb[(v >> 12) & 63];
        *out++ = '='; *out++ = '=';
    } else if (n - i == 2) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;
        *out++ = tb[v >> 18]; *out++ = tb[(v >> 12) & 63];
        *out++ = tb[(v >> 6) & 63]; *out++ = '=';
    }

    *out = '\0';
}


/* JSON fields of an event, found by name (the server's compact JSON) */

static const char *
json_after(const char *p, const char *end, const char *key)
{
    char         pat[32];
    int          n;
    const char  *q;

    n = snprintf(pat, sizeof(pat), "\"%s\"", key);
    q = memmem(p, end - p, pat, n);
    if (q == NULL) {
        return NULL;
    }

    q += n;
    while (q < end && (*q == ' ' || *q == '\t')) {
        q++;
    }

    if (q >= end || *q != ':') {
        return NULL;
    }

    q++;
    while (q < end && (*q == ' ' || *q == '\t')) {
        q++;
    }

    return q < end ? q : NULL;
}


static int
json_int(const char *p, const char *end, const char *key, int64_t *v)
{
    int       neg = 0, digits = 0;
    int64_t   n = 0;

    p = json_after(p, end, key);
    if (p == NULL) {
        return -1;
    }

    if (*p == '-') {
        neg = 1;
        p++;
    }

    for (; p < end && *p >= '0' && *p <= '9' && digits < 19; p++, digits++) {
        n = n * 10 + (*p - '0');
    }

    if (digits == 0) {
        return -1;
    }

    *v = neg ? -n : n;
    return 0;
}


/* the value of a string field: [*s, *s + *n) */
static int
json_str(const char *p, const char *end, const char *key, const char **s,
    size_t *n)
{
    const char  *q;

    p = json_after(p, end, key);
    if (p == NULL || *p != '"') {
        return -1;
    }

    p++;
    q = memchr(p, '"', end - p);
    if (q == NULL) {
        return -1;
    }

    *s = p;
    *n = q - p;
    return 0;
}


/* connection state */

static void
set_events(conn_t *c, uint32_t evs)
{
    struct epoll_event  ev;

    ev.events = evs;
    ev.data.ptr = c;
    (void) epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}


static void
write_ready_file(void)
{
    FILE  *f;

    if (ready_written || opt_ready == NULL || opened < nconns || pending > 0) {
        return;
    }

    ready_written = 1;
    f = fopen(opt_ready, "w");
    if (f) {
        fprintf(f, "subscribed %d of %d\n", subscribed, nconns);
        fclose(f);
    }
}


static void
conn_end(conn_t *c, int state)
{
    if (c->state == S_DONE || c->state == S_FAILED) {
        return;
    }

    if (c->state == S_CONNECTING || c->state == S_HEADERS) {
        pending--;
    }

    if (c->fd >= 0) {
        close(c->fd);     /* also takes it out of the epoll set */
        c->fd = -1;
    }

    c->state = state;
    finished++;

    if (state == S_DONE) {
        completed++;
    }

    buf_free(&c->acc);
    buf_free(&c->out);
    buf_free(&c->line);
    buf_free(&c->data);
    write_ready_file();
}


static int
conn_send(conn_t *c, const void *p, size_t n)
{
    ssize_t  w;

    if (c->out.len == 0) {
        w = send(c->fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            return -1;
        }

        if (w > 0) {
            p = (const char *) p + w;
            n -= (size_t) w;
        }
    }

    if (n > 0) {
        if (buf_add(&c->out, p, n, MAX_FRAME) != 0) {
            return -1;
        }

        set_events(c, EPOLLIN | EPOLLOUT);
    }

    return 0;
}


static void
conn_flush(conn_t *c)
{
    ssize_t  w;

    while (c->out.len > 0) {
        w = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);

        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }

            violation(c, V_CONNECT, "send: %s", strerror(errno));
            conn_end(c, S_FAILED);
            return;
        }

        memmove(c->out.p, c->out.p + w, c->out.len - (size_t) w);
        c->out.len -= (size_t) w;
    }

    set_events(c, EPOLLIN);
}


static void
conn_open(conn_t *c)
{
    int                 fd, one = 1;
    struct sockaddr_in  sa;
    struct epoll_event  ev;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        die("socket: %s (raise ulimit -n?)", strerror(errno));
    }

    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t) opt_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    c->fd = fd;
    c->state = S_CONNECTING;
    pending++;
    opened++;

    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.ptr = c;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        die("epoll_ctl: %s", strerror(errno));
    }

    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0
        && errno != EINPROGRESS)
    {
        violation(c, V_CONNECT, "connect: %s", strerror(errno));
        conn_end(c, S_FAILED);
    }
}


static void
conn_request(conn_t *c)
{
    char           req[1024];
    unsigned char  raw[16];
    int            n;

    if (c->kind == K_SSE) {
        n = snprintf(req, sizeof(req),
                     "GET /jobs/%s/events HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%d\r\n"
                     "Accept: text/event-stream\r\n"
                     "Cache-Control: no-cache\r\n\r\n", opt_uuid, opt_port);
    } else {
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t) sizeof(raw)) {
            die("getrandom: %s", strerror(errno));
        }

        base64(raw, sizeof(raw), c->key);
        n = snprintf(req, sizeof(req),
                     "GET %s?id=%s&since_event_id=0 HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%d\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     opt_ws_path, opt_uuid, opt_port, c->key);
    }

    c->state = S_HEADERS;

    if (conn_send(c, req, (size_t) n) != 0) {
        violation(c, V_CONNECT, "send: %s", strerror(errno));
        conn_end(c, S_FAILED);
    }
}


/* one event, whichever protocol brought it */

static void
on_event(conn_t *c, int64_t sse_id, const char *j, size_t n)
{
    const char  *end = j + n, *s, *d;
    size_t       sn;
    int64_t      id, i, t, now, l;

    if (json_int(j, end, "event_id", &id) != 0
        || json_str(j, end, "type", &s, &sn) != 0)
    {
        violation(c, V_PROTOCOL, "an event without event_id or type: %.80s",
                  j);
        return;
    }

    if (sse_id >= 0 && sse_id != id) {
        violation(c, V_PROTOCOL, "id: %lld, event_id %lld", (long long) sse_id,
                  (long long) id);
    }

    if (id <= c->last_id) {
        violation(c, V_ID_ORDER, "%lld after %lld", (long long) id,
                  (long long) c->last_id);
    } else if (c->last_id > 0 && id != c->last_id + 1) {
        violation(c, V_ID_GAP, "%lld after %lld", (long long) id,
                  (long long) c->last_id);
    }

    if (id > c->last_id) {
        c->last_id = id;
    }

    if (json_str(j, end, "job_uuid", &d, &sn) != 0
        || sn != strlen(opt_uuid) || memcmp(d, opt_uuid, sn) != 0)
    {
        violation(c, V_UUID, "event %lld", (long long) id);
    }

    json_str(j, end, "type", &s, &sn);
    if (sn != 4 || memcmp(s, "tick", 4) != 0) {
        return;
    }

    now = realtime_us();
    d = json_after(j, end, "data");

    if (d == NULL || json_int(d, end, "i", &i) != 0
        || json_int(d, end, "t_us", &t) != 0)
    {
        violation(c, V_PROTOCOL, "a tick without data.i or data.t_us");
        return;
    }

    if (i != c->next_i) {
        violation(c, V_TICK_ORDER, "tick %lld where %lld was due",
                  (long long) i, (long long) c->next_i);
    }

    c->next_i = i + 1;

    if (c->ticks >= opt_events) {
        violation(c, V_EXTRA, "tick %lld", (long long) i);
        return;
    }

    c->ticks++;
    deliveries[c->kind]++;

    if (t < t_emit_first) {
        t_emit_first = t;
    }

    if (t > t_emit_last) {
        t_emit_last = t;
    }

    if (t_first_us == 0) {
        t_first_us = now;
    }

    t_last_us = now;

    l = now - t;
    if (l < 0) {
        negative++;
        l = 0;
    }

    if (nlat[c->kind] < lat_cap) {
        lat[c->kind][nlat[c->kind]++] = l > UINT32_MAX ? UINT32_MAX
                                                       : (uint32_t) l;
    }

    if (c->ticks == opt_events) {
        conn_end(c, S_DONE);
    }
}


/* the answer's headers, once whole; returns the bytes they took or 0 */

static const char *
header_value(const char *h, const char *end, const char *name, size_t *n)
{
    const char  *p, *eol, *v;
    size_t       nl = strlen(name);

    for (p = memchr(h, '\n', end - h); p && p + 1 < end;
         p = memchr(p + 1, '\n', end - p - 1))
    {
        p++;
        if ((size_t) (end - p) > nl + 1 && strncasecmp(p, name, nl) == 0
            && p[nl] == ':')
        {
            v = p + nl + 1;
            while (v < end && (*v == ' ' || *v == '\t')) {
                v++;
            }

            eol = memchr(v, '\r', end - v);
            if (eol == NULL) {
                return NULL;
            }

            *n = eol - v;
            return v;
        }
    }

    return NULL;
}


static void sse_body(conn_t *c, const char *p, size_t n);
static void ws_bytes(conn_t *c, const char *p, size_t n);


static void
on_headers(conn_t *c, const char *p, size_t n)
{
    const char    *e, *v;
    size_t         vn, hl;
    char           acc[96], want[64];
    unsigned char  dig[20];

    /* what follows the headers in the same read comes along */
    if (buf_add(&c->acc, p, n, MAX_HEADER + READ_BUF) != 0) {
        violation(c, V_STATUS, "headers over %d bytes", MAX_HEADER);
        conn_end(c, S_FAILED);
        return;
    }

    e = memmem(c->acc.p, c->acc.len, "\r\n\r\n", 4);
    if (e == NULL || e - c->acc.p > MAX_HEADER) {
        if (c->acc.len > MAX_HEADER) {
            violation(c, V_STATUS, "headers over %d bytes", MAX_HEADER);
            conn_end(c, S_FAILED);
        }
        return;
    }

    hl = (size_t) (e + 4 - c->acc.p);
    e += 2;    /* after the last header's CRLF */

    if (c->kind == K_SSE) {
        if (c->acc.len < 12 || memcmp(c->acc.p, "HTTP/1.1 200", 12) != 0) {
            violation(c, V_STATUS, "%.40s", c->acc.p);
            conn_end(c, S_FAILED);
            return;
        }

        v = header_value(c->acc.p, e, "Content-Type", &vn);
        if (v == NULL || vn < 17 || strncasecmp(v, "text/event-stream", 17)) {
            violation(c, V_STATUS, "Content-Type is not text/event-stream");
            conn_end(c, S_FAILED);
            return;
        }

        v = header_value(c->acc.p, e, "Transfer-Encoding", &vn);
        c->chunked = v && vn == 7 && strncasecmp(v, "chunked", 7) == 0;

    } else {
        if (c->acc.len < 12 || memcmp(c->acc.p, "HTTP/1.1 101", 12) != 0) {
            violation(c, V_STATUS, "%.40s", c->acc.p);
            conn_end(c, S_FAILED);
            return;
        }

        snprintf(acc, sizeof(acc), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                 c->key);
        sha1((unsigned char *) acc, strlen(acc), dig);
        base64(dig, 20, want);

        v = header_value(c->acc.p, e, "Sec-WebSocket-Accept", &vn);
        if (v == NULL || vn != strlen(want) || memcmp(v, want, vn) != 0) {
            violation(c, V_STATUS, "Sec-WebSocket-Accept missing or wrong");
            conn_end(c, S_FAILED);
            return;
        }
    }

    c->state = S_STREAM;
    pending--;
    subscribed++;

    if (subscribed == nconns) {
        t_ready_us = realtime_us();
    }

    write_ready_file();

    /* what came after the headers */
    n = c->acc.len - hl;
    if (n > 0) {
        char  *rest = malloc(n);

        if (rest == NULL) {
            die("out of memory");
        }

        memcpy(rest, c->acc.p + hl, n);
        c->acc.len = 0;

        if (c->kind == K_SSE) {
            sse_body(c, rest, n);
        } else {
            ws_bytes(c, rest, n);
        }

        free(rest);
    } else {
        c->acc.len = 0;
    }
}


/* SSE: lines of the body */

static void
sse_line(conn_t *c, const char *p, size_t n)
{
    const char  *v;
    size_t       vn, fn;
    int64_t      id;

    if (n > 0 && p[n - 1] == '\r') {
        n--;
    }

    if (n == 0) {
        /* the end of an event */
        if (c->data.len > 0) {
            id = c->sse_id;
            on_event(c, id, c->data.p, c->data.len);
        }

        c->data.len = 0;
        c->sse_id = -1;
        c->sse_type[0] = '\0';
        return;
    }

    if (p[0] == ':') {
        return;    /* a comment: the pings */
    }

    v = memchr(p, ':', n);
    fn = v ? (size_t) (v - p) : n;

    if (v) {
        v++;
        if (v < p + n && *v == ' ') {
            v++;
        }
        vn = (size_t) (p + n - v);
    } else {
        v = p + n;
        vn = 0;
    }

    if (fn == 2 && memcmp(p, "id", 2) == 0) {
        char   num[24];
        char  *endp;

        if (vn == 0 || vn >= sizeof(num)) {
            violation(c, V_PROTOCOL, "id: of %zu bytes", vn);
            return;
        }

        memcpy(num, v, vn);
        num[vn] = '\0';
        c->sse_id = strtoll(num, &endp, 10);

        if (*endp != '\0') {
            violation(c, V_PROTOCOL, "id: %s", num);
            c->sse_id = -1;
        }

    } else if (fn == 5 && memcmp(p, "event", 5) == 0) {
        vn = vn < sizeof(c->sse_type) - 1 ? vn : sizeof(c->sse_type) - 1;
        memcpy(c->sse_type, v, vn);
        c->sse_type[vn] = '\0';

    } else if (fn == 4 && memcmp(p, "data", 4) == 0) {
        if ((c->data.len > 0 && buf_add(&c->data, "\n", 1, MAX_LINE) != 0)
            || buf_add(&c->data, v, vn, MAX_LINE) != 0)
        {
            violation(c, V_PROTOCOL, "an event over %d bytes", MAX_LINE);
            conn_end(c, S_FAILED);
        }
    }
}


static void
sse_text(conn_t *c, const char *p, size_t n)
{
    const char  *nl;

    while (n > 0 && c->state == S_STREAM) {
        nl = memchr(p, '\n', n);

        if (nl == NULL) {
            if (buf_add(&c->line, p, n, MAX_LINE) != 0) {
                violation(c, V_PROTOCOL, "a line over %d bytes", MAX_LINE);
                conn_end(c, S_FAILED);
            }
            return;
        }

        if (c->line.len > 0) {
            if (buf_add(&c->line, p, (size_t) (nl - p), MAX_LINE) != 0) {
                violation(c, V_PROTOCOL, "a line over %d bytes", MAX_LINE);
                conn_end(c, S_FAILED);
                return;
            }

            sse_line(c, c->line.p, c->line.len);
            if (c->state == S_STREAM) {
                c->line.len = 0;
            }

        } else {
            sse_line(c, p, (size_t) (nl - p));
        }

        n -= (size_t) (nl + 1 - p);
        p = nl + 1;
    }
}


/* the chunked transfer coding, as it streams */

enum { CK_SIZE, CK_EXT, CK_SIZE_LF, CK_DATA, CK_DATA_CR, CK_DATA_LF, CK_END };

static void
sse_body(conn_t *c, const char *p, size_t n)
{
    const char  *end = p + n;
    size_t       take;
    int          h;

    if (!c->chunked) {
        sse_text(c, p, n);
        return;
    }

    while (p < end && c->state == S_STREAM) {
        switch (c->ck_state) {

        case CK_SIZE:
            h = (*p >= '0' && *p <= '9') ? *p - '0'
                : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
                : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10 : -1;

            if (h >= 0) {
                if (c->ck_left > (UINT64_MAX >> 4)) {
                    goto bad;
                }
                c->ck_left = c->ck_left * 16 + (uint64_t) h;
            } else if (*p == ';') {
                c->ck_state = CK_EXT;
            } else if (*p == '\r') {
                c->ck_state = CK_SIZE_LF;
            } else {
                goto bad;
            }
            p++;
            break;

        case CK_EXT:
            if (*p == '\r') {
                c->ck_state = CK_SIZE_LF;
            }
            p++;
            break;

        case CK_SIZE_LF:
            if (*p++ != '\n') {
                goto bad;
            }
            c->ck_state = c->ck_left ? CK_DATA : CK_END;
            break;

        case CK_DATA:
            take = (size_t) (end - p) < c->ck_left ? (size_t) (end - p)
                                                   : (size_t) c->ck_left;
            sse_text(c, p, take);
            p += take;
            c->ck_left -= take;
            if (c->ck_left == 0) {
                c->ck_state = CK_DATA_CR;
            }
            break;

        case CK_DATA_CR:
            if (*p++ != '\r') {
                goto bad;
            }
            c->ck_state = CK_DATA_LF;
            break;

        case CK_DATA_LF:
            if (*p++ != '\n') {
                goto bad;
            }
            c->ck_state = CK_SIZE;
            c->ck_left = 0;
            break;

        case CK_END:
            return;    /* the last chunk: the server ends the stream */
        }
    }

    return;

bad:

    violation(c, V_PROTOCOL, "bad chunked coding");
    conn_end(c, S_FAILED);
}


/* WebSocket frames from the server */

static void
ws_control(conn_t *c, int op, const unsigned char *pl, size_t n)
{
    unsigned char  f[2 + 4 + 125];
    uint32_t       mk;
    size_t         i;

    if (getrandom(&mk, sizeof(mk), 0) != (ssize_t) sizeof(mk)) {
        mk = (uint32_t) realtime_us();
    }

    f[0] = (unsigned char) (0x80 | op);
    f[1] = (unsigned char) (0x80 | n);
    memcpy(f + 2, &mk, 4);

    for (i = 0; i < n; i++) {
        f[6 + i] = pl[i] ^ f[2 + (i & 3)];
    }

    if (conn_send(c, f, 6 + n) != 0) {
        violation(c, V_CONNECT, "send: %s", strerror(errno));
        conn_end(c, S_FAILED);
    }
}


static void
ws_frames(conn_t *c, const unsigned char *p, size_t n, size_t *used)
{
    size_t    off = 0, hl;
    uint64_t  len;
    int       fin, op, code, lk;

    *used = 0;

    while (c->state == S_STREAM && n - off >= 2) {
        fin = p[off] & 0x80;
        op = p[off] & 0x0f;

        if (p[off] & 0x70) {
            violation(c, V_PROTOCOL, "reserved bits set");
            conn_end(c, S_FAILED);
            return;
        }

        if (p[off + 1] & 0x80) {
            violation(c, V_PROTOCOL, "a masked frame from the server");
            conn_end(c, S_FAILED);
            return;
        }

        len = p[off + 1] & 0x7f;
        hl = 2;
        lk = len == 126 ? 1 : len == 127 ? 2 : 0;

        if (len == 126) {
            if (n - off < 4) {
                return;
            }
            len = (uint64_t) p[off + 2] << 8 | p[off + 3];
            hl = 4;
        } else if (len == 127) {
            if (n - off < 10) {
                return;
            }
            len = 0;
            for (int k = 0; k < 8; k++) {
                len = len << 8 | p[off + 2 + k];
            }
            hl = 10;
        }

        if (len > MAX_FRAME) {
            violation(c, V_PROTOCOL, "a frame of %llu bytes",
                      (unsigned long long) len);
            conn_end(c, S_FAILED);
            return;
        }

        if (n - off < hl + len) {
            return;    /* not whole yet */
        }

        const unsigned char *pl = p + off + hl;

        off += hl + (size_t) len;
        *used = off;
        ws_frames_by_len[lk]++;

        switch (op) {

        case 0x9:    /* ping: a masked pong with its payload */
        case 0xA:
        case 0x8:
            if (!fin || len > 125) {
                violation(c, V_PROTOCOL, "a fragmented or long control frame");
                conn_end(c, S_FAILED);
                return;
            }

            if (op == 0x9) {
                ws_pings++;
                ws_control(c, 0xA, pl, (size_t) len);

            } else if (op == 0x8) {
                code = len >= 2 ? pl[0] << 8 | pl[1] : 1005;
                if (c->ticks < opt_events) {
                    violation(c, V_CLOSED, "close %d after %lld ticks", code,
                              (long long) c->ticks);
                }

                /* the close answered (same code), then the connection ends */
                ws_control(c, 0x8, pl, len >= 2 ? 2 : 0);
                conn_end(c, S_FAILED);
                return;
            }
            break;

        case 0x1:
        case 0x2:
        case 0x0:
            if (op != 0 && c->data.len > 0) {
                violation(c, V_PROTOCOL, "a new message inside a fragmented "
                          "one");
                conn_end(c, S_FAILED);
                return;
            }

            if (op == 0 && c->frag_op == 0) {
                violation(c, V_PROTOCOL, "a continuation of nothing");
                conn_end(c, S_FAILED);
                return;
            }

            if (op != 0) {
                c->frag_op = op;
            }

            if (fin && c->data.len == 0) {
                /* whole in one frame: no copy */
                if (c->frag_op == 0x1) {
                    on_event(c, -1, (const char *) pl, (size_t) len);
                }
                c->frag_op = 0;
                break;
            }

            if (buf_add(&c->data, pl, (size_t) len, MAX_FRAME) != 0) {
                violation(c, V_PROTOCOL, "a message over %d bytes", MAX_FRAME);
                conn_end(c, S_FAILED);
                return;
            }

            if (fin) {
                if (c->frag_op == 0x1) {
                    on_event(c, -1, c->data.p, c->data.len);
                }
                if (c->state == S_STREAM) {
                    c->data.len = 0;
                }
                c->frag_op = 0;
            }
            break;

        default:
            violation(c, V_PROTOCOL, "opcode %d", op);
            conn_end(c, S_FAILED);
            return;
        }
    }
}


static void
ws_bytes(conn_t *c, const char *p, size_t n)
{
    size_t  used;

    if (c->acc.len == 0) {
        /* straight from the read buffer; only a partial frame is copied */
        ws_frames(c, (const unsigned char *) p, n, &used);

        if (c->state == S_STREAM && used < n
            && buf_add(&c->acc, p + used, n - used, MAX_FRAME + 16) != 0)
        {
            violation(c, V_PROTOCOL, "a frame over %d bytes", MAX_FRAME);
            conn_end(c, S_FAILED);
        }
        return;
    }

    if (buf_add(&c->acc, p, n, MAX_FRAME + 16 + READ_BUF) != 0) {
        violation(c, V_PROTOCOL, "a frame over %d bytes", MAX_FRAME);
        conn_end(c, S_FAILED);
        return;
    }

    ws_frames(c, (const unsigned char *) c->acc.p, c->acc.len, &used);

    if (c->state == S_STREAM) {
        memmove(c->acc.p, c->acc.p + used, c->acc.len - used);
        c->acc.len -= used;
    }
}


static void
conn_read(conn_t *c, char *rb)
{
    ssize_t  r;
    int      k;

    for (k = 0; k < READS_PER_EVENT; k++) {
        if (c->state != S_HEADERS && c->state != S_STREAM) {
            return;
        }

        r = recv(c->fd, rb, READ_BUF, 0);

        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }

            if (c->state == S_HEADERS) {
                violation(c, V_CONNECT, "recv: %s", strerror(errno));
            } else {
                violation(c, V_CLOSED, "recv: %s after %lld ticks",
                          strerror(errno), (long long) c->ticks);
            }
            conn_end(c, S_FAILED);
            return;
        }

        if (r == 0) {
            if (c->state == S_HEADERS) {
                violation(c, V_STATUS, "closed before the answer");
            } else {
                violation(c, V_CLOSED, "EOF after %lld ticks",
                          (long long) c->ticks);
            }
            conn_end(c, S_FAILED);
            return;
        }

        if (c->state == S_HEADERS) {
            on_headers(c, rb, (size_t) r);
        } else if (c->kind == K_SSE) {
            sse_body(c, rb, (size_t) r);
        } else {
            ws_bytes(c, rb, (size_t) r);
        }
    }
}


static void
conn_event(conn_t *c, uint32_t evs, char *rb)
{
    int        err = 0;
    socklen_t  el = sizeof(err);

    if (c->state == S_CONNECTING) {
        if (!(evs & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            return;
        }

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
            violation(c, V_CONNECT, "connect: %s", strerror(err ? err : errno));
            conn_end(c, S_FAILED);
            return;
        }

        set_events(c, EPOLLIN);
        conn_request(c);
        return;
    }

    if ((evs & EPOLLOUT) && c->out.len > 0) {
        conn_flush(c);
    }

    if (evs & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        conn_read(c, rb);
    }
}


static int
cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return x < y ? -1 : x > y;
}


/* nearest rank, in ms */
static double
pct(const uint32_t *v, size_t n, double p)
{
    size_t  i;

    if (n == 0) {
        return -1;
    }

    i = (size_t) (p / 100 * (double) n + 0.999999);
    if (i < 1) {
        i = 1;
    }
    if (i > n) {
        i = n;
    }

    return v[i - 1] / 1000.0;
}


static void
print_latency(const char *label, uint32_t *v, size_t n)
{
    if (n == 0) {
        printf("%s: -\n", label);
        return;
    }

    qsort(v, n, sizeof(*v), cmp_u32);
    printf("%s: p50 %.3f p99 %.3f max %.3f (%zu samples)\n", label,
           pct(v, n, 50), pct(v, n, 99), v[n - 1] / 1000.0, n);
}


static void
usage(void)
{
    fprintf(stderr,
            "usage: fanout --port P --uuid U --events N [--sse S] [--ws W]\n"
            "              [--deadline SECONDS] [--inflight K]\n"
            "              [--ws-path PATH] [--ready-file FILE]\n");
    exit(2);
}


int
main(int argc, char **argv)
{
    static const struct option  lo[] = {
        { "port", required_argument, NULL, 'p' },
        { "uuid", required_argument, NULL, 'u' },
        { "sse", required_argument, NULL, 's' },
        { "ws", required_argument, NULL, 'w' },
        { "events", required_argument, NULL, 'n' },
        { "deadline", required_argument, NULL, 'd' },
        { "inflight", required_argument, NULL, 'i' },
        { "ws-path", required_argument, NULL, 'P' },
        { "ready-file", required_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 }
    };

    int                  o, i, n, timed_out = 0;
    char                *rb;
    int64_t              deadline, left, total, expected;
    uint64_t             nviol = 0;
    uint32_t            *all;
    struct rlimit        rl;
    struct rusage        ru;
    struct epoll_event   evs[512];

    while ((o = getopt_long(argc, argv, "p:u:s:w:n:d:i:P:r:", lo, NULL))
           != -1)
    {
        switch (o) {
        case 'p': opt_port = atoi(optarg); break;
        case 'u': opt_uuid = optarg; break;
        case 's': opt_sse = atoi(optarg); break;
        case 'w': opt_ws = atoi(optarg); break;
        case 'n': opt_events = atoll(optarg); break;
        case 'd': opt_deadline = atoi(optarg); break;
        case 'i': opt_inflight = atoi(optarg); break;
        case 'P': opt_ws_path = optarg; break;
        case 'r': opt_ready = optarg; break;
        default: usage();
        }
    }

    if (opt_port <= 0 || opt_port > 65535 || opt_uuid == NULL
        || strlen(opt_uuid) > 64 || strlen(opt_ws_path) > 256
        || opt_events < 1 || opt_events > MAX_EVENTS
        || opt_sse < 0 || opt_ws < 0 || opt_sse + opt_ws < 1
        || opt_sse + opt_ws > MAX_CONNS || opt_deadline < 1
        || opt_deadline > 3600 || opt_inflight < 1)
    {
        usage();
    }

    nconns = opt_sse + opt_ws;

    /* the descriptors: one per connection and a few */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t) nconns + 64) {
        rl.rlim_cur = rl.rlim_max;
        (void) setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < (rlim_t) nconns + 64) {
            die("RLIMIT_NOFILE %llu is too low for %d connections",
                (unsigned long long) rl.rlim_cur, nconns);
        }
    }

    expected = (int64_t) nconns * opt_events;
    lat_cap = expected < MAX_DELIVERIES ? (size_t) expected : MAX_DELIVERIES;
    lat[0] = malloc(lat_cap * sizeof(uint32_t));
    lat[1] = malloc(lat_cap * sizeof(uint32_t));
    conns = calloc((size_t) nconns, sizeof(conn_t));
    rb = malloc(READ_BUF);

    if (lat[0] == NULL || lat[1] == NULL || conns == NULL || rb == NULL) {
        die("out of memory");
    }

    /* SSE and WebSocket interleaved: both kinds reach both workers */
    for (i = 0; i < nconns; i++) {
        conns[i].idx = i;
        conns[i].fd = -1;
        conns[i].sse_id = -1;
        conns[i].state = S_IDLE;
    }

    {
        int  s = opt_sse, w = opt_ws;

        for (i = 0; i < nconns; i++) {
            /* the kind with more left goes next, SSE first on a tie */
            if (w == 0 || (s > 0 && (int64_t) s * opt_ws >= (int64_t) w * opt_sse)) {
                conns[i].kind = K_SSE;
                s--;
            } else {
                conns[i].kind = K_WS;
                w--;
            }
        }
    }

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        die("epoll_create1: %s", strerror(errno));
    }

    t_start_us = realtime_us();
    deadline = mono_ms() + (int64_t) opt_deadline * 1000;

    /* bounded: by the deadline; each turn handles at most 512 events */
    while (finished < nconns) {
        left = deadline - mono_ms();
        if (left <= 0) {
            timed_out = 1;
            break;
        }

        while (opened < nconns && pending < opt_inflight) {
            conn_open(&conns[opened]);
        }

        n = epoll_wait(ep, evs, 512, left < 100 ? (int) left : 100);

        if (n < 0 && errno != EINTR) {
            die("epoll_wait: %s", strerror(errno));
        }

        for (i = 0; i < n; i++) {
            conn_event(evs[i].data.ptr, evs[i].events, rb);
        }
    }

    for (i = 0; i < nconns; i++) {
        if (conns[i].state != S_DONE && conns[i].state != S_FAILED) {
            if (conns[i].state == S_STREAM) {
                violation(&conns[i], V_INCOMPLETE, "%lld ticks of %lld",
                          (long long) conns[i].ticks, (long long) opt_events);
            } else {
                violation(&conns[i], V_CONNECT, "not subscribed by the "
                          "deadline");
            }
            conn_end(&conns[i], S_FAILED);
        }
    }

    getrusage(RUSAGE_SELF, &ru);
    total = deliveries[0] + deliveries[1];

    printf("subscribers: %d (sse %d, ws %d); subscribed %d, completed %d\n",
           nconns, opt_sse, opt_ws, subscribed, completed);
    printf("events: %lld per subscriber\n", (long long) opt_events);
    printf("deliveries: %lld of %lld (sse %lld, ws %lld)\n", (long long) total,
           (long long) expected, (long long) deliveries[0],
           (long long) deliveries[1]);

    if (t_ready_us) {
        printf("subscribed all: %.1f ms after the start", (t_ready_us - t_start_us) / 1000.0);
        if (t_emit_first != INT64_MAX) {
            printf(", %s the first tick was emitted (%.1f ms %s)",
                   t_ready_us <= t_emit_first ? "before" : "AFTER",
                   llabs(t_emit_first - t_ready_us) / 1000.0,
                   t_ready_us <= t_emit_first ? "earlier" : "later");
        }
        printf("\n");
    } else {
        printf("subscribed all: never (%d of %d)\n", subscribed, nconns);
    }

    if (t_emit_first != INT64_MAX) {
        printf("emit span: %.3f ms (the first to the last tick's t_us)\n",
               (t_emit_last - t_emit_first) / 1000.0);
    }

    if (total > 0) {
        double  wall = (t_last_us - t_first_us) / 1e6;

        printf("wall: %.3f ms (the first to the last delivery)\n", wall * 1000);
        printf("deliveries/s: %.0f\n", wall > 0 ? total / wall : 0.0);
    } else {
        printf("wall: -\ndeliveries/s: 0\n");
    }

    /* both kinds together, then each */
    all = malloc((nlat[0] + nlat[1] + 1) * sizeof(uint32_t));
    if (all == NULL) {
        die("out of memory");
    }

    memcpy(all, lat[0], nlat[0] * sizeof(uint32_t));
    memcpy(all + nlat[0], lat[1], nlat[1] * sizeof(uint32_t));
    print_latency("latency ms", all, nlat[0] + nlat[1]);
    if (opt_sse && opt_ws) {
        print_latency("latency ms sse", lat[0], nlat[0]);
        print_latency("latency ms ws", lat[1], nlat[1]);
    }
    printf("latency: emit-to-delivery (t_us is read before emit_event(), "
           "i.e. before the commit): an upper bound of commit-to-delivery\n");
    if (negative) {
        printf("negative latencies (clock): %lld, counted as 0\n",
               (long long) negative);
    }

    if (opt_ws) {
        printf("ws frames: %llu with a 7-bit length, %llu 16-bit, %llu 64-bit;"
               " %llu pings answered\n",
               (unsigned long long) ws_frames_by_len[0],
               (unsigned long long) ws_frames_by_len[1],
               (unsigned long long) ws_frames_by_len[2],
               (unsigned long long) ws_pings);
    }

    printf("client cpu: user %.3f s, sys %.3f s\n",
           ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
           ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);

    for (i = 0; i < V_NKINDS; i++) {
        nviol += vcount[i];
    }

    printf("violations: %llu%s\n", (unsigned long long) nviol,
           timed_out ? " (the deadline passed)" : "");
    for (i = 0; i < V_NKINDS; i++) {
        if (vcount[i]) {
            printf("  %s: %llu\n", v_names[i], (unsigned long long) vcount[i]);
        }
    }

    return nviol || timed_out ? 1 : 0;
}
