
/*
 * ws-echo: a stand-in WebSocket echo server on 127.0.0.1, for the demo
 * suite of cweb-ws (t/ws/client.t) and to measure cweb-ws itself against
 * a server that costs next to nothing.  Not the module's code, nor the
 * client's: a few lines of its own framing.
 *
 *   ws-echo [--port P] [--duration-max S]     prints "port N", then serves
 *
 * Text, binary and continuation frames are echoed as they come (so
 * fragments stay fragments), a ping gets its pong, a close is echoed and
 * ends the connection, an unmasked frame gets close 1002.  Ends on
 * SIGTERM/SIGINT or after --duration-max seconds (120).
 */

#define _GNU_SOURCE

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/evp.h>


#define ECHO_MAX_IN  (17 * 1024 * 1024)


typedef struct {
    int       fd;
    int       open;                     /* handshake done */
    int       closing;                  /* close after the output */
    int       want_out;                 /* EPOLLOUT registered */
    uint8_t  *in;
    size_t    in_len, in_cap;
    uint8_t  *out;
    size_t    out_len, out_cap;
} echo_conn_t;


static volatile sig_atomic_t  echo_stop;


static void
echo_signal(int signo)
{
    (void) signo;
    echo_stop = 1;
}


static int
echo_append(echo_conn_t *c, const void *p, size_t n)
{
    size_t    cap;
    uint8_t  *q;

    if (c->out_len + n > c->out_cap) {
        for (cap = c->out_cap ? c->out_cap : 4096; cap < c->out_len + n; ) {
            cap *= 2;
        }
        q = realloc(c->out, cap);
        if (q == NULL) {
            return -1;
        }
        c->out = q;
        c->out_cap = cap;
    }

    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;

    return 0;
}


static void
echo_frame(echo_conn_t *c, int b0, const uint8_t *p, uint64_t n)
{
    int      i;
    uint8_t  h[10];

    h[0] = (uint8_t) b0;

    if (n < 126) {
        h[1] = (uint8_t) n;
        echo_append(c, h, 2);
    } else if (n < 65536) {
        h[1] = 126; h[2] = (uint8_t) (n >> 8); h[3] = (uint8_t) n;
        echo_append(c, h, 4);
    } else {
        h[1] = 127;
        for (i = 0; i < 8; i++) {
            h[2 + i] = (uint8_t) (n >> (56 - 8 * i));
        }
        echo_append(c, h, 10);
    }

    echo_append(c, p, n);
}


static void
echo_handshake(echo_conn_t *c)
{
    char           *end, *k, *e, buf[256], acc[64];
    uint8_t         md[20];
    size_t          n;
    static const char  guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    c->in[c->in_len] = '\0';
    end = strstr((char *) c->in, "\r\n\r\n");
    if (end == NULL) {
        return;
    }

    k = strcasestr((char *) c->in, "\r\nSec-WebSocket-Key:");
    if (k == NULL || k > end || strcasestr((char *) c->in,
        "\r\nSec-WebSocket-Version: 13\r\n") == NULL)
    {
        n = snprintf(buf, sizeof(buf), "HTTP/1.1 400 Bad Request\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n");
        echo_append(c, buf, n);
        c->closing = 1;
        c->in_len = 0;
        return;
    }

    for (k += 20; *k == ' '; k++) { /* void */ }
    e = strstr(k, "\r\n");
    n = snprintf(buf, sizeof(buf), "%.*s%s", (int) (e - k), k, guid);
    EVP_Digest(buf, n, md, NULL, EVP_sha1(), NULL);
    EVP_EncodeBlock((uint8_t *) acc, md, 20);

    n = snprintf(buf, sizeof(buf), "HTTP/1.1 101 Switching Protocols\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
    echo_append(c, buf, n);

    n = end + 4 - (char *) c->in;
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
    c->open = 1;
}


/* one complete frame at c->in + off of total length *used, or 0 */

static int
echo_one(echo_conn_t *c, size_t off, size_t *used)
{
    int       i, op;
    size_t    avail, h;
    uint8_t  *p, *m;
    uint64_t  n, j;

    p = c->in + off;
    avail = c->in_len - off;

    if (avail < 2) {
        return 0;
    }

    n = p[1] & 0x7f;
    h = 2 + (n == 126 ? 2 : n == 127 ? 8 : 0);

    if (!(p[1] & 0x80)) {
        echo_frame(c, 0x88, (const uint8_t *) "\x03\xea", 2);  /* 1002 */
        c->closing = 1;
        return 0;
    }

    if (avail < h + 4) {
        return 0;
    }

    if (n == 126) {
        n = (p[2] << 8) | p[3];
    } else if (n == 127) {
        for (n = 0, i = 0; i < 8; i++) {
            n = (n << 8) | p[2 + i];
        }
    }

    if (n > ECHO_MAX_IN) {
        echo_frame(c, 0x88, (const uint8_t *) "\x03\xea", 2);  /* 1002 */
        c->closing = 1;
        return 0;
    }

    if (avail < h + 4 + n) {
        return 0;
    }

    m = p + h;
    for (j = 0; j < n; j++) {
        m[4 + j] ^= m[j & 3];
    }

    op = p[0] & 0x0f;

    if (op == 0x9) {
        echo_frame(c, 0x8a, m + 4, n);
    } else if (op == 0x8) {
        echo_frame(c, 0x88, m + 4, n);
        c->closing = 1;
    } else if (op != 0xa) {
        echo_frame(c, p[0], m + 4, n);
    }

    *used = h + 4 + n;

    return 1;
}


static void
echo_frames(echo_conn_t *c)
{
    size_t  off, used;

    for (off = 0; !c->closing && echo_one(c, off, &used); off += used) {
        /* void */
    }

    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}


static int
echo_flush(int ep, echo_conn_t *c)
{
    ssize_t             w;
    size_t              off;
    struct epoll_event  ev;

    for (off = 0; off < c->out_len; off += w) {
        w = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL);
        if (w == -1) {
            if (errno != EAGAIN) {
                return -1;
            }
            break;
        }
    }

    memmove(c->out, c->out + off, c->out_len - off);
    c->out_len -= off;

    if (c->want_out != (c->out_len != 0)) {
        c->want_out = c->out_len != 0;
        ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }

    return c->out_len == 0 && c->closing ? -1 : 0;
}


static int
echo_read(echo_conn_t *c)
{
    ssize_t   r;
    uint8_t  *q;

    if (c->in_cap - c->in_len < 65537) {
        if (c->in_cap > ECHO_MAX_IN + 65536) {
            return -1;
        }
        q = realloc(c->in, c->in_cap ? c->in_cap * 2 : 131072);
        if (q == NULL) {
            return -1;
        }
        c->in = q;
        c->in_cap = c->in_cap ? c->in_cap * 2 : 131072;
    }

    r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);

    if (r == -1 && errno == EAGAIN) {
        return 0;
    }

    if (r <= 0) {
        return -1;
    }

    c->in_len += r;

    if (!c->open) {
        echo_handshake(c);
    }

    if (c->open) {
        echo_frames(c);
    }

    return 0;
}


static void
echo_accept(int ep, int ls)
{
    int                 fd, one;
    echo_conn_t        *c;
    struct epoll_event  ev;

    while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c = calloc(1, sizeof(echo_conn_t));
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
}


static void
echo_drop(echo_conn_t *c)
{
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}


int
main(int argc, char **argv)
{
    int                 i, n, ep, ls, port, max, one;
    time_t              end;
    socklen_t           len;
    echo_conn_t        *c;
    struct sockaddr_in  sin;
    struct epoll_event  ev[256], lev;

    port = 0;
    max = 120;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) {
            port = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--duration-max") == 0) {
            max = atoi(argv[i + 1]);
        }
    }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, echo_signal);
    signal(SIGINT, echo_signal);

    ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sin);

    if (bind(ls, (struct sockaddr *) &sin, sizeof(sin)) != 0
        || listen(ls, 4096) != 0
        || getsockname(ls, (struct sockaddr *) &sin, &len) != 0)
    {
        perror("ws-echo");
        return 1;
    }

    printf("port %d\n", ntohs(sin.sin_port));
    fflush(stdout);

    ep = epoll_create1(EPOLL_CLOEXEC);
    lev.events = EPOLLIN;
    lev.data.ptr = NULL;
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev);
    end = time(NULL) + max;

    while (!echo_stop && time(NULL) < end) {
        n = epoll_wait(ep, ev, 256, 200);

        for (i = 0; i < n; i++) {
            c = ev[i].data.ptr;

            if (c == NULL) {
                echo_accept(ep, ls);
                continue;
            }

            if (((ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                 && echo_read(c) != 0) || echo_flush(ep, c) != 0)
            {
                echo_drop(c);
            }
        }
    }

    return 0;
}
