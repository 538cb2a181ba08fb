
/*
 * cweb-ws script mode: the connections.  Every wait polls all of them, so
 * what the server sends to B while the script talks to A is read (unless
 * B "stall"s) and queued as B's events; a step consumes events in order.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ws_client.h"


#define WS_READ_SIZE  65536


ws_conn_t  ws_conns[WS_MAX_CONNS];
int        ws_nconns;
int        ws_verbose;


static int ws_pump(int timeout, ws_conn_t *wr);
static void ws_conn_read(ws_conn_t *c);
static void ws_conn_parse(ws_conn_t *c);
static void ws_conn_event(ws_conn_t *c, ws_event_t *ev);
static void ws_conn_reply(ws_conn_t *c, const ws_event_t *ev);
static int ws_conn_head(ws_conn_t *c, long long deadline);
static void ws_conn_status(ws_conn_t *c);
static int ws_conn_room(ws_conn_t *c, size_t n);
static int ws_uniform(const uint8_t *p, size_t n);


void
ws_prefix(const ws_conn_t *c)
{
    if (c->name[0]) {
        printf("%s ", c->name);
    }
}


/* connect, send the handshake, read the response head; 0, or -1 with a
 * message on stderr */

int
ws_conn_open(ws_conn_t *c)
{
    char       req[8192];
    size_t     n, off;
    ssize_t    w;
    long long  deadline;

    c->fd = ws_connect_tcp(c->opts.host, c->opts.port, c->opts.rcvbuf);
    if (c->fd == -1) {
        fprintf(stderr, "cweb-ws: connect %s:%s: %s\n", c->opts.host,
                c->opts.port, strerror(errno));
        return -1;
    }

    c->rx.max = c->opts.max_message;
    c->autopong = 1;
    c->autoclose = 1;
    n = ws_handshake_request(&c->opts, req, sizeof(req));
    deadline = ws_now_ms() + c->opts.timeout;

    for (off = 0; off < n; off += w) {
        struct pollfd  pfd = { c->fd, POLLOUT, 0 };

        if (poll(&pfd, 1, (int) (deadline - ws_now_ms())) <= 0) {
            fprintf(stderr, "cweb-ws: connect timed out\n");
            return -1;
        }

        w = send(c->fd, req + off, n - off, MSG_NOSIGNAL);
        if (w == -1 && errno != EAGAIN) {
            fprintf(stderr, "cweb-ws: handshake: %s\n", strerror(errno));
            return -1;
        }
        w = w < 0 ? 0 : w;
    }

    if (ws_conn_head(c, deadline) != 0) {
        return -1;
    }

    ws_conn_status(c);

    return 0;
}


/* read up to the end of the response head; the bytes after it stay in
 * c->in (frames may come with the 101) */

static int
ws_conn_head(ws_conn_t *c, long long deadline)
{
    char     *end;
    ssize_t   r;
    size_t    hlen;

    for ( ;; ) {
        struct pollfd  pfd = { c->fd, POLLIN, 0 };

        if (poll(&pfd, 1, (int) (deadline - ws_now_ms())) <= 0) {
            fprintf(stderr, "cweb-ws: no response head in %d ms\n",
                    c->opts.timeout);
            return -1;
        }

        if (ws_conn_room(c, WS_READ_SIZE) != 0) {
            return -1;
        }

        r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);
        if (r <= 0 && !(r == -1 && errno == EAGAIN)) {
            fprintf(stderr, "cweb-ws: connection closed before a response "
                    "head\n");
            return -1;
        }

        c->in_len += r > 0 ? r : 0;
        c->in[c->in_len] = '\0';

        end = strstr((char *) c->in, "\r\n\r\n");
        if (end != NULL) {
            break;
        }
    }

    hlen = end + 4 - (char *) c->in;
    c->head = strndup((char *) c->in, hlen);
    memmove(c->in, c->in + hlen, c->in_len - hlen);
    c->in_len -= hlen;

    return 0;
}


/* the status line and the "show" headers in the transcript; a 101 must
 * carry the right Sec-WebSocket-Accept */

static void
ws_conn_status(ws_conn_t *c)
{
    int          i;
    char         accept[32];
    size_t       len, ll;
    const char  *v;

    ll = strcspn(c->head, "\r");
    c->status = ll > 9 ? atoi(c->head + 9) : 0;
    ws_prefix(c);
    printf("%.*s\n", (int) ll, c->head);

    for (i = 0; i < c->opts.nshow; i++) {
        v = ws_header_value(c->head, c->opts.show[i], &len);
        ws_prefix(c);
        if (v == NULL) {
            printf("%s: (none)\n", c->opts.show[i]);
        } else {
            printf("%s: %.*s\n", c->opts.show[i], (int) len, v);
        }
    }

    if (c->status != 101) {
        c->state = WS_ST_HTTP;
        c->in_len = 0;
        return;
    }

    c->state = WS_ST_OPEN;
    v = ws_header_value(c->head, "Sec-WebSocket-Accept", &len);
    ws_accept_value(c->opts.key, accept);

    if (c->opts.key[0] == '\0' || v == NULL || len != strlen(accept)
        || memcmp(v, accept, len) != 0)
    {
        ws_prefix(c);
        printf("error bad Sec-WebSocket-Accept\n");
    }

    ws_conn_parse(c);
}


/* the next event of c within timeout ms: 1, or 0 when none came */

int
ws_conn_next(ws_conn_t *c, int timeout, ws_event_t *ev)
{
    long long  deadline;

    deadline = ws_now_ms() + timeout;

    while (c->evq_len == 0) {
        if (c->state != WS_ST_OPEN && c->state != WS_ST_HTTP) {
            return 0;
        }

        if (ws_now_ms() >= deadline) {
            return 0;
        }

        ws_pump((int) (deadline - ws_now_ms()), NULL);
    }

    *ev = c->evq[c->evq_head++];
    c->evq_len--;

    if (c->evq_len == 0) {
        c->evq_head = 0;
    }

    return 1;
}


/* the bytes, in pieces of c->split with c->split_ms between them if a
 * "split" asked for it; 0, or -1 (noted on stderr: not a failure) */

int
ws_conn_send(ws_conn_t *c, const uint8_t *p, size_t n)
{
    size_t     piece;
    ssize_t    w;
    uint8_t   *out;
    long long  deadline;

    piece = c->split ? c->split : n;
    deadline = ws_now_ms() + c->opts.timeout;
    c->sending = 1;

    while (n > 0) {
        w = send(c->fd, p, n < piece ? n : piece, MSG_NOSIGNAL);

        if (w == -1 && errno != EAGAIN) {
            /* the server may have closed first: only --verbose says it,
             * the transcript must not depend on that timing */
            if (ws_verbose) {
                fprintf(stderr, "cweb-ws: %s%ssend: %s\n", c->name,
                        c->name[0] ? ": " : "", strerror(errno));
            }
            c->split = 0;
            c->sending = 0;
            return -1;
        }

        if (w > 0) {
            p += w;
            n -= w;
            if (c->split && n > 0) {
                ws_conn_wait(c->split_ms);
            }
            continue;
        }

        if (ws_now_ms() >= deadline) {
            fprintf(stderr, "cweb-ws: send timed out\n");
            c->split = 0;
            c->sending = 0;
            return -1;
        }

        ws_pump((int) (deadline - ws_now_ms()), c);
    }

    c->split = 0;
    c->sending = 0;

    if (c->pend_len) {
        out = c->pend;
        n = c->pend_len;
        c->pend = NULL;
        c->pend_len = 0;
        w = ws_conn_send(c, out, n);
        free(out);
        return (int) w;
    }

    return 0;
}


/* a masked frame with a fresh random mask */

int
ws_conn_frame(ws_conn_t *c, int fin, int opcode, const uint8_t *p, size_t n)
{
    int       rc;
    size_t    h;
    uint8_t  *buf, *q, mask[4];

    buf = malloc(WS_MAX_HEADER + n);
    if (buf == NULL) {
        return -1;
    }

    ws_rand_bytes(mask, 4);
    h = ws_frame_header(buf, fin, 0, opcode, n, mask);
    memcpy(buf + h, p, n);
    ws_frame_mask(buf + h, n, mask, 0);

    if (c->sending) {
        /* a pong or close while a frame is half sent: after it */
        rc = -1;
        q = realloc(c->pend, c->pend_len + h + n);
        if (q != NULL) {
            c->pend = q;
            memcpy(c->pend + c->pend_len, buf, h + n);
            c->pend_len += h + n;
            rc = 0;
        }

    } else {
        rc = ws_conn_send(c, buf, h + n);
    }

    free(buf);

    return rc;
}


/* ms of reading (all connections that are not stalled) */

void
ws_conn_wait(int ms)
{
    long long  deadline;

    deadline = ws_now_ms() + ms;

    while (ws_now_ms() < deadline) {
        ws_pump((int) (deadline - ws_now_ms()), NULL);
    }
}


/* one poll over the connections; wr (if any) is waited for writability */

static int
ws_pump(int timeout, ws_conn_t *wr)
{
    int            i, n, rc;
    ws_conn_t     *map[WS_MAX_CONNS];
    struct pollfd  pfd[WS_MAX_CONNS];

    for (i = 0, n = 0; i < ws_nconns; i++) {
        ws_conn_t  *c = &ws_conns[i];
        short       want;

        want = (c->state == WS_ST_OPEN || c->state == WS_ST_HTTP)
               && !c->stalled ? POLLIN : 0;
        want |= c == wr ? POLLOUT : 0;

        if (want) {
            pfd[n].fd = c->fd;
            pfd[n].events = want;
            map[n++] = c;
        }
    }

    rc = poll(pfd, n, timeout < 0 ? 0 : timeout);

    for (i = 0; rc > 0 && i < n; i++) {
        if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
            && !map[i]->stalled)
        {
            ws_conn_read(map[i]);
        }
    }

    return rc;
}


static void
ws_conn_read(ws_conn_t *c)
{
    ssize_t     r;
    ws_event_t  ev;

    if (ws_conn_room(c, WS_READ_SIZE) != 0) {
        return;
    }

    r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);

    if (r == -1 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }

    if (r <= 0) {
        c->state = WS_ST_EOF;
        memset(&ev, 0, sizeof(ev));
        ev.type = WS_EV_EOF;
        ws_conn_event(c, &ev);
        return;
    }

    if (c->state == WS_ST_HTTP) {
        return;
    }

    c->in_len += r;
    ws_conn_parse(c);
}


/* the complete frames in c->in become events */

static void
ws_conn_parse(ws_conn_t *c)
{
    int         rc;
    size_t      off;
    ws_frame_t  f;
    ws_event_t  ev;

    for (off = 0; c->state == WS_ST_OPEN; off += f.hlen + f.len) {
        rc = ws_frame_parse(c->in + off, c->in_len - off, &f);

        if (rc == 0 || (rc == 1 && f.len > c->in_len - off - f.hlen)) {
            break;
        }

        if (rc < 0) {
            memset(&ev, 0, sizeof(ev));
            ev.type = WS_EV_ERROR;
            ev.error = rc == -1 ? "64-bit length with the top bit set"
                                : "length not in its shortest form";
            ws_conn_event(c, &ev);
            c->state = WS_ST_HTTP;      /* the rest cannot be framed */
            off = c->in_len;
            break;
        }

        if (f.masked) {
            ws_frame_mask(c->in + off + f.hlen, f.len, f.mask, 0);
        }

        if (ws_rx_frame(&c->rx, &f, c->in + off + f.hlen, &ev)) {
            ws_conn_reply(c, &ev);
            ws_conn_event(c, &ev);
        }
    }

    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}


/* what a browser does by itself: a pong for a ping, a close for a close */

static void
ws_conn_reply(ws_conn_t *c, const ws_event_t *ev)
{
    uint8_t  body[127];

    if (ev->type == WS_EV_PING && c->autopong) {
        ws_conn_frame(c, 1, WS_OP_PONG, ev->data, ev->len);
    }

    if (ev->type == WS_EV_CLOSE && c->autoclose && !c->close_sent) {
        c->close_sent = 1;
        body[0] = (uint8_t) (ev->code >> 8);
        body[1] = (uint8_t) ev->code;
        ws_conn_frame(c, 1, WS_OP_CLOSE, body, ev->code ? 2 : 0);
    }
}


static void
ws_conn_event(ws_conn_t *c, ws_event_t *ev)
{
    size_t       cap;
    ws_event_t  *q;

    if (c->evq_head + c->evq_len == c->evq_cap) {
        cap = c->evq_cap ? c->evq_cap * 2 : 16;
        q = realloc(c->evq, cap * sizeof(ws_event_t));
        if (q == NULL) {
            ws_event_free(ev);
            return;
        }
        c->evq = q;
        c->evq_cap = cap;
    }

    c->evq[c->evq_head + c->evq_len++] = *ev;
}


/* room for n more bytes (and a NUL) in c->in */

static int
ws_conn_room(ws_conn_t *c, size_t n)
{
    size_t    cap;
    uint8_t  *p;

    if (c->in_len + n + 1 <= c->in_cap) {
        return 0;
    }

    for (cap = c->in_cap ? c->in_cap : n + 1; cap < c->in_len + n + 1; ) {
        cap *= 2;
    }

    p = realloc(c->in, cap);
    if (p == NULL) {
        fprintf(stderr, "cweb-ws: out of memory\n");
        return -1;
    }

    c->in = p;
    c->in_cap = cap;

    return 0;
}


/* the transcript line of an event: long payloads as their length and
 * SHA-1, or as "@N C" when every byte is C */

void
ws_event_print(const ws_conn_t *c, const ws_event_t *ev)
{
    int          text;
    char         sha[41];
    size_t       max;
    const char  *kind[] = { "none", "text", "binary", "ping", "pong",
                            "close", "error", "eof" };

    ws_prefix(c);

    if (ev->error) {
        printf("error %s: ", ev->error);
    }

    printf("%s", kind[ev->type]);

    if (ev->type == WS_EV_CLOSE && (ev->code || ev->len)) {
        printf(" %d", ev->code);
    }

    if (ev->type == WS_EV_ERROR || ev->type == WS_EV_EOF || ev->len == 0) {
        printf("\n");
        return;
    }

    text = ev->type != WS_EV_BINARY;
    max = text ? 80 : 32;

    if (ev->len <= max) {
        printf(" ");
        if (text) {
            ws_print_bytes(stdout, ev->data, ev->len, ev->len);
        } else {
            for (max = 0; max < ev->len; max++) {
                printf("%02x", ev->data[max]);
            }
        }

    } else if (ws_uniform(ev->data, ev->len)) {
        printf("@%zu ", ev->len);
        if (text) {
            ws_print_bytes(stdout, ev->data, 1, 1);
        } else {
            printf("%02x", ev->data[0]);
        }

    } else {
        ws_sha1_hex(ev->data, ev->len, sha);
        printf(" len=%zu sha1=%s", ev->len, sha);
    }

    printf("\n");
}


void
ws_event_free(ws_event_t *ev)
{
    free(ev->data);
    ev->data = NULL;
}


static int
ws_uniform(const uint8_t *p, size_t n)
{
    return n > 0 && (n == 1 || memcmp(p, p + 1, n - 1) == 0);
}
