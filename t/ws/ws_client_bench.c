
/*
 * cweb-ws --bench: --conns connections in one epoll loop, each sending a
 * message and waiting for its echo (ping-pong) until --messages in all or
 * --duration-max seconds; one line of key=value results with the
 * latencies and the client's own CPU time.
 *
 * cweb-ws --idle-conns N: N connections opened (256 handshakes at most in
 * flight), then held (pings answered) until SIGINT/SIGTERM/SIGUSR1 or
 * --duration-max; "ready" and "done" lines for bench/ws's RSS readings.
 *
 * The masks come from a xorshift generator seeded by RAND_bytes(): a load
 * client does not need a cryptographic mask per frame.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "ws_client.h"


#define WS_BENCH_IN       65536
#define WS_BENCH_FLIGHT   256
#define WS_MAX_MESSAGES   20000000


typedef struct {
    int        fd;
    int        state;                   /* 0 handshake, 1 open, 2 done */
    int        want_out;                /* EPOLLOUT registered */
    size_t     in_len;
    size_t     out_off;
    size_t     out_len;
    long long  sent_ns;
    uint8_t   *in;
    uint8_t   *out;
} ws_bconn_t;


typedef struct {
    ws_opts_t    opts;
    ws_bench_t   b;
    int          ep;
    ws_bconn_t  *conns;
    int          nconns;
    uint64_t     sent;
    uint64_t     received;
    uint64_t     errors;
    uint32_t    *lat;                   /* ns */
    uint32_t     rnd;
    uint8_t     *payload;
    size_t       in_size;               /* per connection */
    size_t       out_size;
} ws_bstate_t;


static volatile sig_atomic_t  ws_bench_stop;


static int ws_bench_limit(int n);
static int ws_bench_open(ws_bstate_t *s, ws_bconn_t *c);
static int ws_bench_io(ws_bstate_t *s, ws_bconn_t *c, int events);
static int ws_bench_handshake(ws_bstate_t *s, ws_bconn_t *c);
static int ws_bench_frames(ws_bstate_t *s, ws_bconn_t *c);
static void ws_bench_message(ws_bstate_t *s, ws_bconn_t *c);
static void ws_bench_flush(ws_bstate_t *s, ws_bconn_t *c);
static void ws_bench_close(ws_bstate_t *s, ws_bconn_t *c);
static void ws_bench_report(ws_bstate_t *s, double elapsed, double cpu,
    double user);
static int ws_bench_init(ws_bstate_t *s, const ws_opts_t *o,
    const ws_bench_t *b, int n);
static int ws_bench_loop(ws_bstate_t *s, long long until_ms, int phase);
static long long ws_ns(void);
static double ws_cpu(int user_only);
static int ws_lat_cmp(const void *a, const void *b);
static void ws_bench_signal(int signo);
static void ws_bench_free(ws_bstate_t *s);


int
ws_bench_run(const ws_opts_t *o, const ws_bench_t *b)
{
    int          i;
    double       cpu, user;
    long long    start, limit;
    ws_bstate_t  s;

    if (b->size > 32768 || b->messages == 0 || b->messages > WS_MAX_MESSAGES) {
        fprintf(stderr, "cweb-ws: --size <= 32768, 0 < --messages <= %d\n",
                WS_MAX_MESSAGES);
        return 2;
    }

    if (ws_bench_init(&s, o, b, b->conns) != 0) {
        return 2;
    }

    limit = ws_now_ms() + 1000LL * s.b.duration_max;

    /* all handshakes first, then the clock */
    if (ws_bench_loop(&s, limit, 0) != 0) {
        return 2;
    }

    start = ws_ns();
    cpu = ws_cpu(0);
    user = ws_cpu(1);

    for (i = 0; i < s.nconns; i++) {
        if (s.conns[i].state == 1) {
            ws_bench_message(&s, &s.conns[i]);
        }
    }

    ws_bench_loop(&s, limit, 1);

    ws_bench_report(&s, (ws_ns() - start) / 1e9, ws_cpu(0) - cpu,
                    ws_cpu(1) - user);
    i = s.received == s.b.messages && s.errors == 0 ? 0 : 1;
    ws_bench_free(&s);

    return i;
}


int
ws_idle_run(const ws_opts_t *o, const ws_bench_t *b)
{
    int          i, open, closed;
    long long    start, limit;
    ws_bstate_t  s;

    if (ws_bench_init(&s, o, b, b->idle) != 0) {
        return 2;
    }

    signal(SIGINT, ws_bench_signal);
    signal(SIGTERM, ws_bench_signal);
    signal(SIGUSR1, ws_bench_signal);

    start = ws_now_ms();
    limit = start + 1000LL * s.b.duration_max;
    ws_bench_loop(&s, limit, 0);

    for (i = 0, open = 0; i < s.nconns; i++) {
        open += s.conns[i].state == 1;
    }

    printf("cweb-ws idle ready conns=%d established=%d failed=%d "
           "handshake_s=%.3f\n", s.nconns, open, s.nconns - open,
           (ws_now_ms() - start) / 1e3);

    start = ws_now_ms();
    ws_bench_loop(&s, limit, 2);

    for (i = 0, closed = 0; i < s.nconns; i++) {
        closed += s.conns[i].state == 2 && s.conns[i].fd == -1;
        ws_bench_close(&s, &s.conns[i]);
    }

    printf("cweb-ws idle done established=%d closed_by_server=%d "
           "held_s=%.3f\n", open, closed - (s.nconns - open),
           (ws_now_ms() - start) / 1e3);
    ws_bench_free(&s);

    return open == s.nconns ? 0 : 1;
}


static int
ws_bench_init(ws_bstate_t *s, const ws_opts_t *o, const ws_bench_t *b, int n)
{
    memset(s, 0, sizeof(ws_bstate_t));
    s->opts = *o;
    s->b = *b;
    s->b.duration_max = b->duration_max ? b->duration_max : 30;
    s->nconns = n;

    if (n <= 0 || ws_bench_limit(n) != 0) {
        return -1;
    }

    s->ep = epoll_create1(EPOLL_CLOEXEC);
    s->conns = calloc(n, sizeof(ws_bconn_t));
    s->lat = b->idle ? NULL : malloc(b->messages * sizeof(uint32_t));
    s->payload = malloc(b->size + 1);

    if (s->ep == -1 || s->conns == NULL || s->payload == NULL
        || (!b->idle && s->lat == NULL)
        || ws_rand_bytes((uint8_t *) &s->rnd, 4) != 0)
    {
        fprintf(stderr, "cweb-ws: out of memory\n");
        return -1;
    }

    s->rnd |= 1;
    memset(s->payload, 'x', b->size);

    /* idle connections get buffers for a handshake and a pong only, so
     * that 10,000 of them stay small */
    s->in_size = b->idle ? 1024 : WS_BENCH_IN;
    s->out_size = b->idle ? 1024 : 4096 + WS_MAX_HEADER + b->size;

    for (n = 0; n < s->nconns; n++) {
        s->conns[n].fd = -1;
    }

    return 0;
}


/* RLIMIT_NOFILE raised to its hard limit, which must allow n sockets */

static int
ws_bench_limit(int n)
{
    struct rlimit  rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return -1;
    }

    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    if (rl.rlim_cur < (rlim_t) n + 16) {
        fprintf(stderr, "cweb-ws: RLIMIT_NOFILE's hard limit %llu is too low "
                "for %d connections (ulimit -Hn)\n",
                (unsigned long long) rl.rlim_max, n);
        return -1;
    }

    return 0;
}


/*
 * phase 0: until every connection has its handshake done (or failed);
 * 1: until all the messages came back; 2: until a signal.  All end at
 * until_ms.
 */

static int
ws_bench_loop(ws_bstate_t *s, long long until_ms, int phase)
{
    int                 i, n, next, pending, wait;
    long long           now;
    struct epoll_event  ev[256];

    next = 0;

    for ( ;; ) {
        for (pending = 0, i = 0; phase == 0 && i < next; i++) {
            pending += s->conns[i].state == 0;
        }

        while (phase == 0 && next < s->nconns && pending < WS_BENCH_FLIGHT) {
            pending += ws_bench_open(s, &s->conns[next++]) == 0;
        }

        if ((phase == 0 && next == s->nconns && pending == 0)
            || (phase == 1 && s->received == s->b.messages)
            || (phase == 2 && ws_bench_stop))
        {
            return 0;
        }

        now = ws_now_ms();
        if (now >= until_ms) {
            return phase == 2 ? 0 : -1;
        }

        wait = (int) (until_ms - now);
        n = epoll_wait(s->ep, ev, 256, wait > 100 ? 100 : wait);

        for (i = 0; i < n; i++) {
            ws_bench_io(s, ev[i].data.ptr, ev[i].events);
        }
    }
}


static int
ws_bench_open(ws_bstate_t *s, ws_bconn_t *c)
{
    ws_opts_t           o;
    struct epoll_event  ev;

    c->fd = ws_connect_tcp(s->opts.host, s->opts.port, s->opts.rcvbuf);
    c->in = malloc(s->in_size);
    c->out = malloc(s->out_size);

    if (c->fd == -1 || c->in == NULL || c->out == NULL) {
        s->errors++;
        ws_bench_close(s, c);
        return -1;
    }

    o = s->opts;
    c->out_len = ws_handshake_request(&o, (char *) c->out, s->out_size);
    c->out_off = 0;

    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = c;
    c->want_out = 1;
    epoll_ctl(s->ep, EPOLL_CTL_ADD, c->fd, &ev);

    return 0;
}


static int
ws_bench_io(ws_bstate_t *s, ws_bconn_t *c, int events)
{
    ssize_t  r;

    if (c->state == 2) {
        return 0;
    }

    if (events & EPOLLOUT) {
        ws_bench_flush(s, c);
    }

    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        return 0;
    }

    r = recv(c->fd, c->in + c->in_len, s->in_size - c->in_len - 1, 0);

    if (r == -1 && errno == EAGAIN) {
        return 0;
    }

    if (r <= 0) {
        s->errors += c->state == 0 || s->b.idle == 0;
        ws_bench_close(s, c);
        return -1;
    }

    c->in_len += r;

    return c->state == 0 ? ws_bench_handshake(s, c) : ws_bench_frames(s, c);
}


static int
ws_bench_handshake(ws_bstate_t *s, ws_bconn_t *c)
{
    char    *end;
    size_t   h;

    c->in[c->in_len] = '\0';
    end = strstr((char *) c->in, "\r\n\r\n");

    if (end == NULL) {
        return 0;
    }

    if (strncmp((char *) c->in + 8, " 101", 4) != 0) {
        s->errors++;
        ws_bench_close(s, c);
        return -1;
    }

    h = end + 4 - (char *) c->in;
    memmove(c->in, c->in + h, c->in_len - h);
    c->in_len -= h;
    c->state = 1;

    return ws_bench_frames(s, c);
}


/* the complete frames: an echo is a round trip, a ping gets its pong, a
 * close ends the connection */

static int
ws_bench_frames(ws_bstate_t *s, ws_bconn_t *c)
{
    int         rc;
    size_t      off, h;
    ws_frame_t  f;
    uint8_t     mask[4] = { 0, 0, 0, 0 };

    for (off = 0; ; off += f.hlen + f.len) {
        rc = ws_frame_parse(c->in + off, c->in_len - off, &f);

        if (rc < 0 || (rc == 1 && f.hlen + f.len > s->in_size - 1)) {
            s->errors++;
            ws_bench_close(s, c);
            return -1;
        }

        if (rc == 0 || f.len > c->in_len - off - f.hlen) {
            break;
        }

        if (f.opcode == WS_OP_CLOSE) {
            ws_bench_close(s, c);
            return -1;
        }

        if (f.opcode == WS_OP_PING && c->out_off == c->out_len) {
            h = ws_frame_header(c->out, 1, 0, WS_OP_PONG, f.len, mask);
            memcpy(c->out + h, c->in + off + f.hlen, f.len);
            c->out_off = 0;
            c->out_len = h + f.len;
            ws_bench_flush(s, c);

        } else if (f.fin && f.opcode != WS_OP_PONG && !s->b.idle) {
            s->lat[s->received++] = (uint32_t) (ws_ns() - c->sent_ns);
            ws_bench_message(s, c);
        }
    }

    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;

    return 0;
}


static void
ws_bench_message(ws_bstate_t *s, ws_bconn_t *c)
{
    size_t    h;
    uint32_t  x;
    uint8_t   mask[4];

    if (s->sent == s->b.messages) {
        return;
    }

    x = s->rnd;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rnd = x;
    memcpy(mask, &x, 4);

    h = ws_frame_header(c->out, 1, 0, s->b.binary ? WS_OP_BINARY : WS_OP_TEXT,
                        s->b.size, mask);
    memcpy(c->out + h, s->payload, s->b.size);
    ws_frame_mask(c->out + h, s->b.size, mask, 0);

    c->out_off = 0;
    c->out_len = h + s->b.size;
    c->sent_ns = ws_ns();
    s->sent++;

    ws_bench_flush(s, c);
}


static void
ws_bench_flush(ws_bstate_t *s, ws_bconn_t *c)
{
    ssize_t             w;
    struct epoll_event  ev;

    while (c->out_off < c->out_len) {
        w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                 MSG_NOSIGNAL);

        if (w == -1) {
            if (errno != EAGAIN) {
                s->errors++;
                ws_bench_close(s, c);
                return;
            }
            if (!c->want_out) {
                c->want_out = 1;
                ev.events = EPOLLIN | EPOLLOUT;
                ev.data.ptr = c;
                epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
            }
            return;
        }

        c->out_off += w;
    }

    /* all sent: no more EPOLLOUT (one syscall less per message when it
     * was not asked for) */
    if (c->want_out) {
        c->want_out = 0;
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
}


static void
ws_bench_close(ws_bstate_t *s, ws_bconn_t *c)
{
    (void) s;

    if (c->fd != -1) {
        close(c->fd);
        c->fd = -1;
    }

    free(c->in);
    free(c->out);
    c->in = NULL;
    c->out = NULL;
    c->state = 2;
}


/* user: the client's own code, the rest of cpu is the kernel's (the
 * socket calls) */

static void
ws_bench_report(ws_bstate_t *s, double elapsed, double cpu, double user)
{
    uint64_t  n;
    double    p50, p99, max;

    n = s->received;
    qsort(s->lat, n, sizeof(uint32_t), ws_lat_cmp);

    p50 = n ? s->lat[n / 2] / 1e3 : 0;
    p99 = n ? s->lat[n * 99 / 100] / 1e3 : 0;
    max = n ? s->lat[n - 1] / 1e3 : 0;

    printf("cweb-ws bench conns=%d size=%zu messages=%llu errors=%llu "
           "elapsed_s=%.3f msgs_per_s=%.0f p50_us=%.1f p99_us=%.1f "
           "max_us=%.1f client_cpu_s=%.3f client_user_s=%.3f "
           "client_cpu_us_per_msg=%.2f\n",
           s->nconns, s->b.size, (unsigned long long) n,
           (unsigned long long) s->errors, elapsed,
           elapsed > 0 ? n / elapsed : 0, p50, p99, max, cpu, user,
           n ? cpu * 1e6 / n : 0);
}


static void
ws_bench_free(ws_bstate_t *s)
{
    int  i;

    for (i = 0; i < s->nconns; i++) {
        ws_bench_close(s, &s->conns[i]);
    }

    close(s->ep);
    free(s->conns);
    free(s->lat);
    free(s->payload);
}


static long long
ws_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}


static double
ws_cpu(int user_only)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);

    if (user_only) {
        return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    }

    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
           + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}


static int
ws_lat_cmp(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return x < y ? -1 : x > y;
}


static void
ws_bench_signal(int signo)
{
    (void) signo;

    ws_bench_stop = 1;
}
