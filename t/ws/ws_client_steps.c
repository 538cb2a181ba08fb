
/*
 * cweb-ws script steps that send or set: header, show, send, frag, frame,
 * raw, ping/pong/close/close-raw, split, sleep, timeout, stall, resume,
 * autopong, autoclose, shutdown, disconnect (grammar: t/ws/README).
 */

#define _GNU_SOURCE

#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ws_client.h"


#define WS_MAX_PARTS  64


typedef struct {
    uint8_t  *p;
    size_t    n;
    int       opcode;
} ws_part_t;


static int ws_frag_part(const char *type, char *w, ws_part_t *part);
static int ws_frame_opt(char *w, int *fin, int *rsv, int *op, int *masked,
    uint8_t *mask, long long *len);


/* header Name: value / +Name: value / -Name: for the next connections */

int
ws_step_header(ws_conn_t *c, char *rest)
{
    if (c != NULL) {
        fprintf(stderr, "cweb-ws: header: for the next connections only\n");
        return -1;
    }

    return ws_opts_header(&ws_tmpl, rest);
}


int
ws_step_show(ws_conn_t *c, char *rest)
{
    if (c != NULL || ws_tmpl.nshow == WS_MAX_SHOW || *rest == '\0') {
        fprintf(stderr, "cweb-ws: show: before the connection\n");
        return -1;
    }

    ws_tmpl.show[ws_tmpl.nshow++] = strdup(rest);

    return 0;
}


/*
 * text TEXT, text-hex HEX, binary HEX, text@N C, binary@N HH: the opcode
 * and a malloc()ed payload
 */

int
ws_payload(const char *kind, char *rest, int *opcode, uint8_t **p, size_t *n)
{
    size_t       k, count;
    ssize_t      len;
    uint8_t     *buf;
    const char  *at;

    at = strchr(kind, '@');
    k = at ? (size_t) (at - kind) : strlen(kind);
    *opcode = strncmp(kind, "binary", k) == 0 && k == 6 ? WS_OP_BINARY
                                                         : WS_OP_TEXT;
    buf = malloc(strlen(rest) + 1);
    if (buf == NULL) {
        return -1;
    }

    if ((k == 4 && strncmp(kind, "text", 4) == 0)) {
        len = ws_unescape(rest, buf);

    } else if ((k == 8 && strncmp(kind, "text-hex", 8) == 0) || k == 6) {
        len = ws_hex_decode(rest, buf, strlen(rest) + 1);

    } else {
        len = -1;
    }

    if (len < 0 || (at && len != 1)) {
        fprintf(stderr, "cweb-ws: bad payload \"%s %s\"\n", kind, rest);
        free(buf);
        return -1;
    }

    if (at) {
        count = strtoull(at + 1, NULL, 10);
        *p = malloc(count ? count : 1);
        if (*p == NULL) {
            free(buf);
            return -1;
        }
        memset(*p, buf[0], count);
        free(buf);
        *n = count;
        return 0;
    }

    *p = buf;
    *n = len;

    return 0;
}


int
ws_step_send(ws_conn_t *c, char *rest)
{
    int       rc, opcode;
    char     *kind;
    size_t    n;
    uint8_t  *p;

    kind = ws_word(&rest);
    if (kind == NULL || ws_payload(kind, rest, &opcode, &p, &n) != 0) {
        return -1;
    }

    rc = ws_conn_frame(c, 1, opcode, p, n);
    free(p);
    (void) rc;                          /* a send error is not a failure */

    return 0;
}


/* frag TYPE PART...: a part is a fragment (text, or hex; @N:C for N
 * times C), +ping:X or +pong:X a control frame between fragments */

int
ws_step_frag(ws_conn_t *c, char *rest)
{
    int        i, n, last;
    char      *type, *w;
    ws_part_t  parts[WS_MAX_PARTS];

    type = ws_word(&rest);
    if (type == NULL) {
        return -1;
    }

    for (n = 0, last = -1; (w = ws_word(&rest)) != NULL; n++) {
        if (n == WS_MAX_PARTS || ws_frag_part(type, w, &parts[n]) != 0) {
            while (n--) {
                free(parts[n].p);
            }
            return -1;
        }

        if (parts[n].opcode < WS_OP_CLOSE) {
            parts[n].opcode = last == -1 ? parts[n].opcode : WS_OP_CONT;
            last = n;
        }
    }

    for (i = 0; i < n; i++) {
        ws_conn_frame(c, parts[i].opcode >= WS_OP_CLOSE || i == last,
                      parts[i].opcode, parts[i].p, parts[i].n);
        free(parts[i].p);
    }

    return last == -1 ? -1 : 0;
}


static int
ws_frag_part(const char *type, char *w, ws_part_t *part)
{
    int    opcode;
    char   kind[64], *colon;

    if (strncmp(w, "+ping:", 6) == 0 || strncmp(w, "+pong:", 6) == 0) {
        part->opcode = w[2] == 'i' ? WS_OP_PING : WS_OP_PONG;
        part->p = malloc(strlen(w) + 1);
        if (part->p == NULL) {
            return -1;
        }
        part->n = ws_unescape(w + 6, part->p);
        return 0;
    }

    colon = strchr(w, ':');

    if (w[0] == '@' && colon != NULL) {
        *colon = '\0';
        snprintf(kind, sizeof(kind), "%s%s", type, w);
        w = colon + 1;

    } else {
        snprintf(kind, sizeof(kind), "%s", type);
    }

    if (ws_payload(kind, w, &opcode, &part->p, &part->n) != 0) {
        return -1;
    }

    part->opcode = opcode;

    return 0;
}


/* frame [fin=0|1] [rsv=N] [op=N] [mask=0|1|HEX8] [len=N] [t:TEXT] [HEX]:
 * any frame, a lying length included */

int
ws_step_frame(ws_conn_t *c, char *rest)
{
    int        fin, rsv, op, masked, rc;
    char      *w;
    size_t     h, n;
    ssize_t    k;
    uint8_t   *buf, mask[4];
    long long  len;

    fin = 1; rsv = 0; op = WS_OP_TEXT; masked = 1; len = -1;
    ws_rand_bytes(mask, 4);
    buf = malloc(WS_MAX_HEADER + strlen(rest) + 1);
    if (buf == NULL) {
        return -1;
    }

    for (n = 0; (w = ws_word(&rest)) != NULL; n += k) {
        k = 0;

        if (strncmp(w, "t:", 2) == 0) {
            k = ws_unescape(w + 2, buf + WS_MAX_HEADER + n);

        } else if (strchr(w, '=') != NULL) {
            if (ws_frame_opt(w, &fin, &rsv, &op, &masked, mask, &len) != 0) {
                free(buf);
                return -1;
            }

        } else {
            k = ws_hex_decode(w, buf + WS_MAX_HEADER + n, strlen(w));
            if (k < 0) {
                free(buf);
                return -1;
            }
        }
    }

    h = ws_frame_header(buf, fin, rsv, op, len >= 0 ? (uint64_t) len : n,
                        masked ? mask : NULL);
    memmove(buf + h, buf + WS_MAX_HEADER, n);

    if (masked) {
        ws_frame_mask(buf + h, n, mask, 0);
    }

    rc = ws_conn_send(c, buf, h + n);
    free(buf);
    (void) rc;

    return 0;
}


static int
ws_frame_opt(char *w, int *fin, int *rsv, int *op, int *masked,
    uint8_t *mask, long long *len)
{
    char  *v;

    v = strchr(w, '=') + 1;

    if (strncmp(w, "fin=", 4) == 0) {
        *fin = atoi(v);
    } else if (strncmp(w, "rsv=", 4) == 0) {
        *rsv = (int) strtol(v, NULL, 0);
    } else if (strncmp(w, "op=", 3) == 0) {
        *op = (int) strtol(v, NULL, 0);
    } else if (strncmp(w, "len=", 4) == 0) {
        *len = strtoll(v, NULL, 0);
    } else if (strncmp(w, "mask=", 5) == 0) {
        *masked = strcmp(v, "0") != 0;
        if (strlen(v) == 8 && ws_hex_decode(v, mask, 4) != 4) {
            return -1;
        }
    } else {
        fprintf(stderr, "cweb-ws: frame: unknown \"%s\"\n", w);
        return -1;
    }

    return 0;
}


int
ws_step_raw(ws_conn_t *c, char *rest)
{
    ssize_t   n;
    uint8_t  *buf;

    buf = malloc(strlen(rest) + 1);
    if (buf == NULL) {
        return -1;
    }

    n = ws_hex_decode(rest, buf, strlen(rest) + 1);
    if (n < 0) {
        free(buf);
        return -1;
    }

    ws_conn_send(c, buf, n);
    free(buf);

    return 0;
}


/* ping [TEXT], pong [TEXT], close [CODE [REASON]], close-raw HEX */

int
ws_step_control(ws_conn_t *c, char *rest)
{
    int       op, code;
    char     *w;
    size_t    n;
    ssize_t   k;
    uint8_t  *buf;

    buf = malloc(strlen(rest) + 3);
    if (buf == NULL) {
        return -1;
    }

    op = ws_step_name[1] == 'i' ? WS_OP_PING
         : ws_step_name[1] == 'o' ? WS_OP_PONG : WS_OP_CLOSE;

    if (strcmp(ws_step_name, "close-raw") == 0) {
        k = ws_hex_decode(rest, buf, strlen(rest) + 1);
        n = k < 0 ? 0 : (size_t) k;

    } else if (op == WS_OP_CLOSE && (w = ws_word(&rest)) != NULL) {
        code = atoi(w);
        buf[0] = (uint8_t) (code >> 8);
        buf[1] = (uint8_t) code;
        n = 2 + ws_unescape(rest, buf + 2);

    } else {
        n = op == WS_OP_CLOSE ? 0 : ws_unescape(rest, buf);
    }

    if (op == WS_OP_CLOSE) {
        c->close_sent = 1;
    }

    ws_conn_frame(c, 1, op, buf, n);
    free(buf);

    return 0;
}


int
ws_step_set(ws_conn_t *c, char *rest)
{
    int          i, v;
    char        *w;
    const char  *s;

    s = ws_step_name;
    w = ws_word(&rest);
    v = w ? atoi(w) : 0;

    if (strcmp(s, "sleep") == 0) {
        ws_conn_wait(v);

    } else if (strcmp(s, "timeout") == 0) {
        ws_tmpl.timeout = v;
        for (i = 0; i < ws_nconns; i++) {
            ws_conns[i].opts.timeout = v;
        }

    } else if (strcmp(s, "split") == 0) {
        c->split = v > 0 ? v : 1;
        w = ws_word(&rest);
        c->split_ms = w ? atoi(w) : 10;

    } else if (strcmp(s, "stall") == 0 || strcmp(s, "resume") == 0) {
        c->stalled = s[1] == 't';

    } else if (strcmp(s, "autopong") == 0 || strcmp(s, "autoclose") == 0) {
        v = w != NULL && strcmp(w, "on") == 0;
        if (s[4] == 'p') {
            c->autopong = v;
        } else {
            c->autoclose = v;
        }

    } else if (strcmp(s, "shutdown") == 0) {
        shutdown(c->fd, SHUT_WR);

    } else {
        close(c->fd);
        c->fd = -1;
        c->state = WS_ST_EOF;
    }

    return 0;
}


/*
 * run <shell command>: a deploy or a reload in the middle of a
 * conversation (hot swap, graceful quit); its output is not part of the
 * transcript, a failure is
 */

int
ws_step_run(ws_conn_t *c, char *rest)
{
    int  rc;

    (void) c;

    fflush(stdout);
    rc = system(rest);

    if (rc != 0) {
        fprintf(stderr, "cweb-ws: FAIL: run \"%s\" exited with %d\n", rest,
                WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
        return -1;
    }

    return 0;
}
