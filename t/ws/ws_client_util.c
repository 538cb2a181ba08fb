
/*
 * cweb-ws: the opening handshake (request, Sec-WebSocket-Accept, response
 * headers), the TCP connection, and the text helpers of the script (hex,
 * escapes, the transcript's escaping).  Only libc and libcrypto.
 */

#define _GNU_SOURCE

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ws_client.h"


#define WS_GUID  "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* the key's value that means "a fresh random key for each connection" */
#define WS_KEY_RANDOM  "*"


static int ws_header_is(const char *h, const char *name, size_t n);


void
ws_opts_init(ws_opts_t *o)
{
    memset(o, 0, sizeof(ws_opts_t));

    o->method = "GET";
    o->proto = "HTTP/1.1";
    o->path = "/";
    o->timeout = 3000;
    o->max_message = 64 * 1024 * 1024;

    ws_opts_header(o, "Host: localhost");
    ws_opts_header(o, "Upgrade: websocket");
    ws_opts_header(o, "Connection: Upgrade");
    ws_opts_header(o, "Sec-WebSocket-Key: " WS_KEY_RANDOM);
    ws_opts_header(o, "Sec-WebSocket-Version: 13");
}


/*
 * "Name: value" replaces the header of that name (or is added),
 * "+Name: value" is added even if one exists, "-Name" removes them all
 */

int
ws_opts_header(ws_opts_t *o, const char *spec)
{
    int          i, j, add;
    size_t       n;
    const char  *colon;

    if (spec[0] == '-') {
        n = strlen(spec + 1);
        for (i = 0, j = 0; i < o->nheaders; i++) {
            if (ws_header_is(o->headers[i], spec + 1, n)) {
                free(o->headers[i]);
            } else {
                o->headers[j++] = o->headers[i];
            }
        }
        o->nheaders = j;
        return 0;
    }

    add = spec[0] == '+';
    spec += add;

    colon = strchr(spec, ':');
    if (colon == NULL || colon == spec) {
        return -1;
    }

    n = colon - spec;

    for (i = 0; !add && i < o->nheaders; i++) {
        if (ws_header_is(o->headers[i], spec, n)) {
            free(o->headers[i]);
            o->headers[i] = strdup(spec);
            return 0;
        }
    }

    if (o->nheaders == WS_MAX_HEADERS) {
        return -1;
    }

    o->headers[o->nheaders++] = strdup(spec);

    return 0;
}


int
ws_opts_copy(ws_opts_t *dst, const ws_opts_t *src)
{
    int  i;

    *dst = *src;

    for (i = 0; i < src->nheaders; i++) {
        dst->headers[i] = strdup(src->headers[i]);
        if (dst->headers[i] == NULL) {
            return -1;
        }
    }

    return 0;
}


/* the request, and the key it carries in o->key ("" without one) */

size_t
ws_handshake_request(ws_opts_t *o, char *buf, size_t size)
{
    int          i;
    size_t       n;
    uint8_t      raw[16];
    const char  *v, *h;

    n = snprintf(buf, size, "%s %s %s\r\n", o->method, o->path, o->proto);
    o->key[0] = '\0';

    for (i = 0; i < o->nheaders && n < size; i++) {
        h = o->headers[i];

        if (ws_header_is(h, "Sec-WebSocket-Key", 17)) {
            for (v = h + 18; *v == ' '; v++) { /* void */ }

            if (strcmp(v, WS_KEY_RANDOM) == 0) {
                ws_rand_bytes(raw, sizeof(raw));
                EVP_EncodeBlock((uint8_t *) o->key, raw, sizeof(raw));
            } else {
                snprintf(o->key, sizeof(o->key), "%s", v);
            }

            n += snprintf(buf + n, size - n, "Sec-WebSocket-Key: %s\r\n",
                          o->key);
            continue;
        }

        n += snprintf(buf + n, size - n, "%s\r\n", h);
    }

    if (n < size) {
        n += snprintf(buf + n, size - n, "\r\n");
    }

    return n < size ? n : size;
}


void
ws_accept_value(const char *key, char out[32])
{
    char     buf[128];
    size_t   n;
    uint8_t  md[SHA_DIGEST_LENGTH];

    n = snprintf(buf, sizeof(buf), "%s" WS_GUID, key);
    EVP_Digest(buf, n < sizeof(buf) ? n : sizeof(buf) - 1, md, NULL,
               EVP_sha1(), NULL);

    EVP_EncodeBlock((uint8_t *) out, md, SHA_DIGEST_LENGTH);
}


/* the value of a header in a response head ("...\r\nName: v\r\n..."),
 * its blanks trimmed, or NULL */

const char *
ws_header_value(const char *head, const char *name, size_t *len)
{
    size_t       n;
    const char  *p, *v, *e;

    n = strlen(name);

    for (p = strstr(head, "\r\n"); p != NULL; p = strstr(p, "\r\n")) {
        p += 2;

        if (!ws_header_is(p, name, n)) {
            continue;
        }

        for (v = p + n + 1; *v == ' ' || *v == '\t'; v++) { /* void */ }

        e = strstr(v, "\r\n");
        if (e == NULL) {
            e = v + strlen(v);
        }

        while (e > v && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }

        *len = e - v;
        return v;
    }

    return NULL;
}


static int
ws_header_is(const char *h, const char *name, size_t n)
{
    return strncasecmp(h, name, n) == 0 && h[n] == ':';
}


/* a non-blocking TCP socket, connected or connecting (EINPROGRESS) */

int
ws_connect_tcp(const char *host, const char *port, int rcvbuf)
{
    int               fd, one;
    struct addrinfo   hints, *ai;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    if (getaddrinfo(host, port, &hints, &ai) != 0) {
        errno = EINVAL;
        return -1;
    }

    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        freeaddrinfo(ai);
        return -1;
    }

    one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (rcvbuf > 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }

    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1
        && errno != EINPROGRESS)
    {
        close(fd);
        fd = -1;
    }

    freeaddrinfo(ai);

    return fd;
}


int
ws_rand_bytes(uint8_t *p, size_t n)
{
    return RAND_bytes(p, (int) n) == 1 ? 0 : -1;
}


/* hex digits, blanks between them allowed; the length or -1 */

ssize_t
ws_hex_decode(const char *s, uint8_t *out, size_t size)
{
    int     hi;
    size_t  n;

    for (n = 0, hi = -1; *s; s++) {
        if (isspace((unsigned char) *s)) {
            continue;
        }

        if (!isxdigit((unsigned char) *s)) {
            return -1;
        }

        if (hi == -1) {
            hi = isdigit((unsigned char) *s) ? *s - '0'
                                             : (tolower(*s) - 'a' + 10);
            continue;
        }

        if (n == size) {
            return -1;
        }

        out[n++] = (uint8_t) (hi * 16 + (isdigit((unsigned char) *s)
                              ? *s - '0' : (tolower(*s) - 'a' + 10)));
        hi = -1;
    }

    return hi == -1 ? (ssize_t) n : -1;
}


/* the script's escapes: \\ \n \r \t \s (space) \e (nothing) \xHH; out
 * has room for strlen(s) bytes */

size_t
ws_unescape(const char *s, uint8_t *out)
{
    size_t   n;
    uint8_t  hex[1];
    char     two[3];

    for (n = 0; *s; s++) {
        if (*s != '\\' || s[1] == '\0') {
            out[n++] = (uint8_t) *s;
            continue;
        }

        switch (*++s) {
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 's': out[n++] = ' '; break;
        case 'e': break;

        case 'x':
            two[0] = s[1];
            two[1] = two[0] ? s[2] : '\0';
            two[2] = '\0';
            if (two[1] && ws_hex_decode(two, hex, 1) == 1) {
                out[n++] = hex[0];
                s += 2;
                break;
            }
            out[n++] = 'x';
            break;

        default:
            out[n++] = (uint8_t) *s;
        }
    }

    return n;
}


/* the transcript's form of bytes: printable ASCII, the rest escaped */

void
ws_print_bytes(FILE *f, const uint8_t *p, size_t n, size_t max)
{
    size_t  i;

    for (i = 0; i < n && i < max; i++) {
        if (p[i] == '\\') {
            fputs("\\\\", f);
        } else if (p[i] == '\n') {
            fputs("\\n", f);
        } else if (p[i] >= 0x20 && p[i] < 0x7f) {
            fputc(p[i], f);
        } else {
            fprintf(f, "\\x%02x", p[i]);
        }
    }
}


void
ws_sha1_hex(const uint8_t *p, size_t n, char out[41])
{
    int      i;
    uint8_t  md[SHA_DIGEST_LENGTH];

    EVP_Digest(p, n, md, NULL, EVP_sha1(), NULL);

    for (i = 0; i < SHA_DIGEST_LENGTH; i++) {
        sprintf(out + 2 * i, "%02x", md[i]);
    }
}


long long
ws_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
