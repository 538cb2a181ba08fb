
/*
 * RFC 6455 frame codec, see ngx_cweb_ws_frame.h.
 *
 * The parser reads a frame header whole when it is all in the buffer, else
 * byte by byte into p->hdr (at most 14 bytes: 2, 8 of extended length, 4
 * of mask), checking each field as soon as it is complete, so that a bad
 * frame fails before its payload is awaited; then it returns the payload as it comes.  A message's state
 * (its opcode, whether it is compressed, its length so far and its UTF-8
 * state) lives across frames until the frame with FIN; control frames in
 * between have their own state (p->ctrl) and leave it alone.
 */


#include <string.h>

#include "ngx_cweb_ws_frame.h"


#define NGX_CWEB_WS_HEADER   0
#define NGX_CWEB_WS_PAYLOAD  1
#define NGX_CWEB_WS_CLOSED   2
#define NGX_CWEB_WS_FAILED   3

#define NGX_CWEB_WS_OK       0


static int ngx_cweb_ws_fail(ngx_cweb_ws_parser_t *p, unsigned code,
    const char *error);
static int ngx_cweb_ws_header(ngx_cweb_ws_parser_t *p, unsigned char c);
static size_t ngx_cweb_ws_header_whole(ngx_cweb_ws_parser_t *p,
    unsigned char *b, size_t avail, int *rc);
static int ngx_cweb_ws_first_byte(ngx_cweb_ws_parser_t *p, unsigned char c);
static int ngx_cweb_ws_second_byte(ngx_cweb_ws_parser_t *p,
    unsigned char c);
static int ngx_cweb_ws_ext_length(ngx_cweb_ws_parser_t *p);
static int ngx_cweb_ws_length(ngx_cweb_ws_parser_t *p, uint64_t len);
static void ngx_cweb_ws_unmask(ngx_cweb_ws_parser_t *p, unsigned char *d,
    size_t n);
static int ngx_cweb_ws_data(ngx_cweb_ws_parser_t *p, unsigned char *d,
    size_t n, ngx_cweb_ws_event_t *ev);
static int ngx_cweb_ws_parse_control(ngx_cweb_ws_parser_t *p, unsigned char *d,
    size_t n, ngx_cweb_ws_event_t *ev);
static int ngx_cweb_ws_parse_close(ngx_cweb_ws_parser_t *p,
    ngx_cweb_ws_event_t *ev);
static int ngx_cweb_ws_utf8_lead(ngx_cweb_ws_utf8_t *u, unsigned c);


void
ngx_cweb_ws_parser_init(ngx_cweb_ws_parser_t *p, uint64_t max_message,
    unsigned deflate)
{
    memset(p, 0, sizeof(ngx_cweb_ws_parser_t));

    p->max_message = max_message;
    p->deflate = deflate ? 1 : 0;
}


int
ngx_cweb_ws_parse(ngx_cweb_ws_parser_t *p, unsigned char *buf, size_t len,
    size_t *used, ngx_cweb_ws_event_t *ev)
{
    int     rc;
    size_t  n, pos;

    pos = 0;

    if (p->state == NGX_CWEB_WS_FAILED) {
        *used = 0;
        return NGX_CWEB_WS_ERROR;
    }

    if (p->state == NGX_CWEB_WS_CLOSED) {
        *used = len;
        return NGX_CWEB_WS_NEED_MORE;
    }

    for ( ;; ) {

        if (p->state == NGX_CWEB_WS_HEADER && p->hdr_len == 0) {
            n = ngx_cweb_ws_header_whole(p, buf + pos, len - pos, &rc);

            if (rc != NGX_CWEB_WS_OK) {
                *used = pos + n;
                return NGX_CWEB_WS_ERROR;
            }

            pos += n;
        }

        while (p->state == NGX_CWEB_WS_HEADER) {

            if (pos == len) {
                *used = len;
                return NGX_CWEB_WS_NEED_MORE;
            }

            if (ngx_cweb_ws_header(p, buf[pos++]) != NGX_CWEB_WS_OK) {
                *used = pos;
                return NGX_CWEB_WS_ERROR;
            }
        }

        n = len - pos;

        if (n > p->remaining) {
            n = (size_t) p->remaining;
        }

        if (p->opcode & 0x8) {
            rc = ngx_cweb_ws_parse_control(p, buf + pos, n, ev);

        } else {
            rc = ngx_cweb_ws_data(p, buf + pos, n, ev);
        }

        pos += n;

        /* NEED_MORE here: the payload so far gave nothing to report */

        if (rc != NGX_CWEB_WS_NEED_MORE || pos == len) {
            *used = pos;
            return rc;
        }
    }
}


static int
ngx_cweb_ws_fail(ngx_cweb_ws_parser_t *p, unsigned code, const char *error)
{
    p->state = NGX_CWEB_WS_FAILED;
    p->close_code = code;
    p->error = error;

    return NGX_CWEB_WS_ERROR;
}


static int
ngx_cweb_ws_header(ngx_cweb_ws_parser_t *p, unsigned char c)
{
    p->hdr[p->hdr_len++] = c;

    if (p->hdr_len == 1) {
        return ngx_cweb_ws_first_byte(p, c);
    }

    if (p->hdr_len == 2) {
        return ngx_cweb_ws_second_byte(p, c);
    }

    /* the top bit of a 64-bit length fails it on its first byte */

    if (p->hdr_len == 3 && p->hdr_need == 14 && (c & 0x80)) {
        return ngx_cweb_ws_fail(p, 1002, "length with the top bit set");
    }

    /* hdr_need is 6 without an extended length: no match at 3 or more */

    if (p->hdr_len == p->hdr_need - 4) {
        return ngx_cweb_ws_ext_length(p);
    }

    if (p->hdr_len == p->hdr_need) {
        memcpy(p->mask, p->hdr + p->hdr_len - 4, 4);
        p->mask_pos = 0;
        p->ctrl_len = 0;
        p->hdr_len = 0;
        p->state = NGX_CWEB_WS_PAYLOAD;
    }

    return NGX_CWEB_WS_OK;
}


/*
 * The usual case: the whole header is in the buffer.  The same checks as
 * the byte loop, without a call per byte; 0 when the header is not all
 * there (the byte loop takes it), else the bytes used, which on an error
 * are those the byte loop would have used to find it.
 */

static size_t
ngx_cweb_ws_header_whole(ngx_cweb_ws_parser_t *p, unsigned char *b,
    size_t avail, int *rc)
{
    size_t  need;

    *rc = NGX_CWEB_WS_OK;

    if (avail < 2) {
        return 0;
    }

    need = 6 + ((b[1] & 0x7f) == 126 ? 2 : ((b[1] & 0x7f) == 127 ? 8 : 0));

    if (avail < need) {
        return 0;
    }

    p->hdr_len = 1;
    *rc = ngx_cweb_ws_first_byte(p, b[0]);

    if (*rc != NGX_CWEB_WS_OK) {
        return 1;
    }

    p->hdr_len = 2;
    *rc = ngx_cweb_ws_second_byte(p, b[1]);

    if (*rc != NGX_CWEB_WS_OK) {
        return 2;
    }

    if (need == 14 && (b[2] & 0x80)) {
        *rc = ngx_cweb_ws_fail(p, 1002, "length with the top bit set");
        return 3;
    }

    if (need > 6) {
        memcpy(p->hdr, b, need - 4);
        p->hdr_len = need - 4;
        *rc = ngx_cweb_ws_ext_length(p);

        if (*rc != NGX_CWEB_WS_OK) {
            return need - 4;
        }
    }

    memcpy(p->mask, b + need - 4, 4);
    p->mask_pos = 0;
    p->ctrl_len = 0;
    p->hdr_len = 0;
    p->state = NGX_CWEB_WS_PAYLOAD;

    return need;
}


static int
ngx_cweb_ws_first_byte(ngx_cweb_ws_parser_t *p, unsigned char c)
{
    unsigned  op, rsv1;

    op = c & 0x0f;
    rsv1 = c & 0x40;

    if (c & 0x30) {
        return ngx_cweb_ws_fail(p, 1002, "reserved bit set");
    }

    if ((op > NGX_CWEB_WS_BINARY && op < NGX_CWEB_WS_CLOSE)
        || op > NGX_CWEB_WS_PONG)
    {
        return ngx_cweb_ws_fail(p, 1002, "reserved opcode");
    }

    p->opcode = op;
    p->fin = c >> 7;

    if (op & 0x8) {
        if (!p->fin) {
            return ngx_cweb_ws_fail(p, 1002, "fragmented control frame");
        }

        if (rsv1) {
            return ngx_cweb_ws_fail(p, 1002, "rsv1 on a control frame");
        }

        return NGX_CWEB_WS_OK;
    }

    if (op == NGX_CWEB_WS_CONT) {
        if (p->msg_opcode == 0) {
            return ngx_cweb_ws_fail(p, 1002, "continuation without message");
        }

        if (rsv1) {
            return ngx_cweb_ws_fail(p, 1002, "rsv1 on a continuation frame");
        }

        return NGX_CWEB_WS_OK;
    }

    if (p->msg_opcode != 0) {
        return ngx_cweb_ws_fail(p, 1002, "new message inside a fragmented "
                                "one");
    }

    /* RFC 7692 6: only the first frame of a message says it is deflated */

    if (rsv1 && !p->deflate) {
        return ngx_cweb_ws_fail(p, 1002, "rsv1 without permessage-deflate");
    }

    p->msg_opcode = op;
    p->compressed = rsv1 ? 1 : 0;
    p->first = 1;
    p->message = 0;
    memset(&p->utf8, 0, sizeof(ngx_cweb_ws_utf8_t));

    return NGX_CWEB_WS_OK;
}


static int
ngx_cweb_ws_second_byte(ngx_cweb_ws_parser_t *p, unsigned char c)
{
    unsigned  n;

    /* RFC 6455 5.1: a server MUST close on an unmasked frame */

    if (!(c & 0x80)) {
        return ngx_cweb_ws_fail(p, 1002, "unmasked frame");
    }

    n = c & 0x7f;

    if ((p->opcode & 0x8) && n > NGX_CWEB_WS_MAX_CONTROL) {
        return ngx_cweb_ws_fail(p, 1002, "control frame too long");
    }

    p->hdr_need = 2 + (n == 126 ? 2 : (n == 127 ? 8 : 0)) + 4;

    if (n < 126) {
        return ngx_cweb_ws_length(p, n);
    }

    return NGX_CWEB_WS_OK;
}


static int
ngx_cweb_ws_ext_length(ngx_cweb_ws_parser_t *p)
{
    int       i;
    uint64_t  len;

    if (p->hdr_len == 4) {
        len = ((unsigned) p->hdr[2] << 8) | p->hdr[3];

        if (len < 126) {
            return ngx_cweb_ws_fail(p, 1002, "non-minimal length");
        }

        return ngx_cweb_ws_length(p, len);
    }

    len = 0;

    for (i = 2; i < 10; i++) {
        len = (len << 8) | p->hdr[i];
    }

    if (len <= 0xffff) {
        return ngx_cweb_ws_fail(p, 1002, "non-minimal length");
    }

    return ngx_cweb_ws_length(p, len);
}


static int
ngx_cweb_ws_length(ngx_cweb_ws_parser_t *p, uint64_t len)
{
    p->remaining = len;

    if (p->opcode & 0x8) {
        return NGX_CWEB_WS_OK;
    }

    /* before the payload is read: a big message is refused unread */

    if (p->max_message && len > p->max_message - p->message) {
        return ngx_cweb_ws_fail(p, 1009, "message too big");
    }

    p->message += len;

    return NGX_CWEB_WS_OK;
}


/*
 * XORs the mask into the payload a 64-bit word at a time; the word keeps
 * the mask's phase because 8 is a multiple of 4.  memcpy() is how C
 * allows the unaligned access; compilers make it one load and one store.
 */

static void
ngx_cweb_ws_unmask(ngx_cweb_ws_parser_t *p, unsigned char *d, size_t n)
{
    unsigned       i, k;
    uint64_t       w, m;
    unsigned char  mm[8];

    k = p->mask_pos;

    if (n >= 8) {
        for (i = 0; i < 8; i++) {
            mm[i] = p->mask[(k + i) & 3];
        }

        memcpy(&m, mm, 8);

        for ( /* void */ ; n >= 8; n -= 8, d += 8) {
            memcpy(&w, d, 8);
            w ^= m;
            memcpy(d, &w, 8);
        }
    }

    while (n) {
        *d++ ^= p->mask[k];
        k = (k + 1) & 3;
        n--;
    }

    p->mask_pos = k;
}


static int
ngx_cweb_ws_data(ngx_cweb_ws_parser_t *p, unsigned char *d, size_t n,
    ngx_cweb_ws_event_t *ev)
{
    int  rc, last;

    if (n == 0 && p->remaining) {
        return NGX_CWEB_WS_NEED_MORE;
    }

    ngx_cweb_ws_unmask(p, d, n);
    p->remaining -= n;

    last = (p->remaining == 0 && p->fin);

    if (p->msg_opcode == NGX_CWEB_WS_TEXT && !p->compressed) {
        rc = ngx_cweb_ws_utf8(&p->utf8, d, n);

        if (rc == NGX_CWEB_WS_UTF8_INVALID
            || (last && rc != NGX_CWEB_WS_UTF8_OK))
        {
            return ngx_cweb_ws_fail(p, 1007, "invalid utf-8 in text");
        }
    }

    if (p->remaining == 0) {
        p->state = NGX_CWEB_WS_HEADER;
    }

    /* an empty frame in the middle of a message has nothing to say */

    if (n == 0 && !p->first && !last) {
        return NGX_CWEB_WS_NEED_MORE;
    }

    ev->data = d;
    ev->len = n;
    ev->opcode = p->msg_opcode;
    ev->first = p->first;
    ev->fin = last;
    ev->compressed = p->compressed;
    ev->close_code = 0;
    ev->reason = NULL;
    ev->reason_len = 0;

    p->first = 0;

    if (last) {
        p->msg_opcode = 0;
    }

    return NGX_CWEB_WS_DATA;
}


static int
ngx_cweb_ws_parse_control(ngx_cweb_ws_parser_t *p, unsigned char *d, size_t n,
    ngx_cweb_ws_event_t *ev)
{
    unsigned char  *payload;

    ngx_cweb_ws_unmask(p, d, n);
    p->remaining -= n;

    payload = d;

    /* a split payload is gathered; a whole one is used where it is */

    if (p->remaining || p->ctrl_len) {
        memcpy(p->ctrl + p->ctrl_len, d, n);
        p->ctrl_len += n;

        if (p->remaining) {
            return NGX_CWEB_WS_NEED_MORE;
        }

        payload = p->ctrl;
        n = p->ctrl_len;
    }

    p->state = NGX_CWEB_WS_HEADER;

    ev->data = payload;
    ev->len = n;
    ev->opcode = p->opcode;
    ev->first = 1;
    ev->fin = 1;
    ev->compressed = 0;
    ev->close_code = 0;
    ev->reason = NULL;
    ev->reason_len = 0;

    if (p->opcode == NGX_CWEB_WS_CLOSE) {
        return ngx_cweb_ws_parse_close(p, ev);
    }

    return NGX_CWEB_WS_CONTROL;
}


static int
ngx_cweb_ws_parse_close(ngx_cweb_ws_parser_t *p, ngx_cweb_ws_event_t *ev)
{
    unsigned            code;
    ngx_cweb_ws_utf8_t  u;

    ev->reason = ev->data;

    if (ev->len == 0) {
        ev->close_code = NGX_CWEB_WS_CLOSE_NO_STATUS;
        p->state = NGX_CWEB_WS_CLOSED;
        return NGX_CWEB_WS_CONTROL;
    }

    if (ev->len == 1) {
        return ngx_cweb_ws_fail(p, 1002, "close frame of 1 byte");
    }

    code = ((unsigned) ev->data[0] << 8) | ev->data[1];

    if (!ngx_cweb_ws_close_code_valid(code)) {
        return ngx_cweb_ws_fail(p, 1002, "invalid close code");
    }

    memset(&u, 0, sizeof(ngx_cweb_ws_utf8_t));

    if (ngx_cweb_ws_utf8(&u, ev->data + 2, ev->len - 2)
        != NGX_CWEB_WS_UTF8_OK)
    {
        return ngx_cweb_ws_fail(p, 1007, "invalid utf-8 in close reason");
    }

    ev->close_code = code;
    ev->reason = ev->data + 2;
    ev->reason_len = ev->len - 2;

    p->state = NGX_CWEB_WS_CLOSED;

    return NGX_CWEB_WS_CONTROL;
}


int
ngx_cweb_ws_utf8(ngx_cweb_ws_utf8_t *u, const unsigned char *data,
    size_t len)
{
    uint64_t              w;
    const unsigned char  *p, *end;

    p = data;
    end = data + len;

    while (p < end) {

        if (u->need) {
            if (*p < u->lo || *p > u->hi) {
                return NGX_CWEB_WS_UTF8_INVALID;
            }

            u->lo = 0x80;
            u->hi = 0xbf;
            u->need--;
            p++;
            continue;
        }

        if (*p >= 0x80) {
            if (ngx_cweb_ws_utf8_lead(u, *p++) != NGX_CWEB_WS_OK) {
                return NGX_CWEB_WS_UTF8_INVALID;
            }

            continue;
        }

        /* text is mostly ASCII: skip it a word at a time */

        while (end - p >= 8) {
            memcpy(&w, p, 8);

            if (w & 0x8080808080808080ULL) {
                break;
            }

            p += 8;
        }

        while (p < end && *p < 0x80) {
            p++;
        }
    }

    if (u->need) {
        return NGX_CWEB_WS_UTF8_INCOMPLETE;
    }

    u->lo = 0;
    u->hi = 0;

    return NGX_CWEB_WS_UTF8_OK;
}


/*
 * The ranges of RFC 3629 section 4: C0, C1 and F5-FF never start a code
 * point; the second byte after E0 (overlongs), ED (surrogates), F0
 * (overlongs) and F4 (above U+10FFFF) is narrowed.
 */

static int
ngx_cweb_ws_utf8_lead(ngx_cweb_ws_utf8_t *u, unsigned c)
{
    if (c < 0xc2 || c > 0xf4) {
        return NGX_CWEB_WS_ERROR;
    }

    u->lo = 0x80;
    u->hi = 0xbf;

    if (c < 0xe0) {
        u->need = 1;

    } else if (c < 0xf0) {
        u->need = 2;
        u->lo = (c == 0xe0) ? 0xa0 : 0x80;
        u->hi = (c == 0xed) ? 0x9f : 0xbf;

    } else {
        u->need = 3;
        u->lo = (c == 0xf0) ? 0x90 : 0x80;
        u->hi = (c == 0xf4) ? 0x8f : 0xbf;
    }

    return NGX_CWEB_WS_OK;
}


int
ngx_cweb_ws_close_code_valid(unsigned code)
{
    return (code >= 1000 && code <= 1003)
           || (code >= 1007 && code <= 1014)
           || (code >= 3000 && code <= 4999);
}


size_t
ngx_cweb_ws_frame_header(unsigned char *out, int opcode, int fin, int rsv1,
    uint64_t len)
{
    int  i;

    out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0f);

    if (len < 126) {
        out[1] = (unsigned char) len;
        return 2;
    }

    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (unsigned char) (len >> 8);
        out[3] = (unsigned char) len;
        return 4;
    }

    out[1] = 127;

    for (i = 0; i < 8; i++) {
        out[2 + i] = (unsigned char) (len >> (56 - 8 * i));
    }

    return 10;
}


size_t
ngx_cweb_ws_close_payload(unsigned char *out, unsigned code,
    const char *reason, size_t len)
{
    if (code == 0) {
        return 0;
    }

    out[0] = (unsigned char) (code >> 8);
    out[1] = (unsigned char) code;

    if (len > NGX_CWEB_WS_MAX_CONTROL - 2) {
        len = NGX_CWEB_WS_MAX_CONTROL - 2;

        /* reason[len] is the first byte left out: not a continuation */

        while (len && ((unsigned char) reason[len] & 0xc0) == 0x80) {
            len--;
        }
    }

    if (len) {
        memcpy(out + 2, reason, len);
    }

    return 2 + len;
}
