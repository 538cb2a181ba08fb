
/*
 * The test client's codec (see ws_client_frame.h): frame headers, masking,
 * strict UTF-8, and the reassembly of the server's messages with every
 * check RFC 6455 asks of a client.
 */

#include <stdlib.h>
#include <string.h>

#include "ws_client_frame.h"


static uint8_t *ws_rx_copy(const uint8_t *p, size_t n);
static int ws_rx_control(const ws_frame_t *f, const uint8_t *payload,
    ws_event_t *ev);
static int ws_rx_data(ws_rx_t *rx, const ws_frame_t *f,
    const uint8_t *payload, ws_event_t *ev);
static int ws_rx_error(ws_event_t *ev, const char *error);


size_t
ws_frame_header(uint8_t *out, int fin, int rsv, int opcode, uint64_t len,
    const uint8_t *mask)
{
    int     i;
    size_t  n;

    out[0] = (uint8_t) ((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xf));
    out[1] = mask ? 0x80 : 0;

    if (len < 126) {
        out[1] |= (uint8_t) len;
        n = 2;

    } else if (len < 65536) {
        out[1] |= 126;
        out[2] = (uint8_t) (len >> 8);
        out[3] = (uint8_t) len;
        n = 4;

    } else {
        out[1] |= 127;
        for (i = 0; i < 8; i++) {
            out[2 + i] = (uint8_t) (len >> (56 - 8 * i));
        }
        n = 10;
    }

    if (mask) {
        memcpy(out + n, mask, 4);
        n += 4;
    }

    return n;
}


/* "from" is the offset of p in the payload: a payload may be masked in
 * pieces */

void
ws_frame_mask(uint8_t *p, size_t n, const uint8_t *mask, size_t from)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        p[i] ^= mask[(from + i) & 3];
    }
}


/*
 * 1: the header is complete in buf (f filled in), 0: more bytes needed,
 * -1: a 64-bit length with its top bit set, -2: a length not in its
 * shortest form (both forbidden by RFC 6455 5.2)
 */

int
ws_frame_parse(const uint8_t *buf, size_t n, ws_frame_t *f)
{
    int       i;
    size_t    need;
    uint64_t  len;

    if (n < 2) {
        return 0;
    }

    len = buf[1] & 0x7f;
    need = 2 + (len == 126 ? 2 : len == 127 ? 8 : 0) + (buf[1] & 0x80 ? 4 : 0);

    if (n < need) {
        return 0;
    }

    if (len == 126) {
        len = ((uint64_t) buf[2] << 8) | buf[3];
        if (len < 126) {
            return -2;
        }

    } else if (len == 127) {
        if (buf[2] & 0x80) {
            return -1;
        }
        len = 0;
        for (i = 0; i < 8; i++) {
            len = (len << 8) | buf[2 + i];
        }
        if (len < 65536) {
            return -2;
        }
    }

    f->fin = buf[0] >> 7;
    f->rsv = (buf[0] >> 4) & 7;
    f->opcode = buf[0] & 0xf;
    f->masked = buf[1] >> 7;
    f->len = len;
    f->hlen = need;

    if (f->masked) {
        memcpy(f->mask, buf + need - 4, 4);
    }

    return 1;
}


/* strict UTF-8 (RFC 3629): no overlong forms, no surrogates, <= U+10FFFF */

int
ws_utf8_valid(const uint8_t *p, size_t n)
{
    size_t    i, k, more;
    uint32_t  cp, min;

    for (i = 0; i < n; i++) {
        if (p[i] < 0x80) {
            continue;
        }

        if ((p[i] & 0xe0) == 0xc0) {
            more = 1; min = 0x80; cp = p[i] & 0x1f;

        } else if ((p[i] & 0xf0) == 0xe0) {
            more = 2; min = 0x800; cp = p[i] & 0x0f;

        } else if ((p[i] & 0xf8) == 0xf0) {
            more = 3; min = 0x10000; cp = p[i] & 0x07;

        } else {
            return 0;
        }

        if (n - i - 1 < more) {
            return 0;
        }

        for (k = 1; k <= more; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }

        i += more;
    }

    return 1;
}


/*
 * One complete server frame (header f, unmasked payload of f->len bytes):
 * 1 and an event in ev when it ends a message, is a control frame or
 * breaks the protocol; 0 when it was a fragment kept for later.
 */

int
ws_rx_frame(ws_rx_t *rx, const ws_frame_t *f, const uint8_t *payload,
    ws_event_t *ev)
{
    memset(ev, 0, sizeof(ws_event_t));

    if (f->masked) {
        return ws_rx_error(ev, "masked server frame");
    }

    if (f->rsv) {
        return ws_rx_error(ev, "reserved bits set");
    }

    if (f->opcode & 0x8) {
        return ws_rx_control(f, payload, ev);
    }

    return ws_rx_data(rx, f, payload, ev);
}


void
ws_rx_free(ws_rx_t *rx)
{
    free(rx->buf);
    rx->buf = NULL;
    rx->len = 0;
    rx->cap = 0;
    rx->opcode = 0;
}


static int
ws_rx_control(const ws_frame_t *f, const uint8_t *payload, ws_event_t *ev)
{
    if (f->opcode > WS_OP_PONG) {
        return ws_rx_error(ev, "reserved control opcode");
    }

    if (!f->fin) {
        return ws_rx_error(ev, "fragmented control frame");
    }

    if (f->len > 125) {
        return ws_rx_error(ev, "control frame longer than 125 bytes");
    }

    if (f->opcode != WS_OP_CLOSE) {
        ev->type = f->opcode == WS_OP_PING ? WS_EV_PING : WS_EV_PONG;
        ev->data = ws_rx_copy(payload, f->len);
        ev->len = f->len;
        return 1;
    }

    if (f->len == 1) {
        return ws_rx_error(ev, "close payload of 1 byte");
    }

    ev->type = WS_EV_CLOSE;

    if (f->len >= 2) {
        ev->code = (payload[0] << 8) | payload[1];
        ev->len = f->len - 2;
        ev->data = ws_rx_copy(payload + 2, ev->len);

        if (!ws_utf8_valid(ev->data, ev->len)) {
            ev->error = "close reason not UTF-8";
        }
    }

    return 1;
}


static int
ws_rx_data(ws_rx_t *rx, const ws_frame_t *f, const uint8_t *payload,
    ws_event_t *ev)
{
    size_t    cap;
    uint8_t  *p;

    if (f->opcode > WS_OP_BINARY) {
        return ws_rx_error(ev, "reserved data opcode");
    }

    if (f->opcode == WS_OP_CONT && rx->opcode == 0) {
        return ws_rx_error(ev, "continuation without a message");
    }

    if (f->opcode != WS_OP_CONT && rx->opcode != 0) {
        return ws_rx_error(ev, "new message inside a fragmented one");
    }

    if (f->opcode != WS_OP_CONT) {
        rx->opcode = f->opcode;
        rx->len = 0;
    }

    if (f->len > rx->max - rx->len) {
        return ws_rx_error(ev, "message longer than --max-message");
    }

    if (rx->len + f->len > rx->cap) {
        cap = rx->cap ? rx->cap : 256;
        while (cap < rx->len + f->len) {
            cap *= 2;
        }
        p = realloc(rx->buf, cap);
        if (p == NULL) {
            return ws_rx_error(ev, "out of memory");
        }
        rx->buf = p;
        rx->cap = cap;
    }

    if (f->len) {
        memcpy(rx->buf + rx->len, payload, f->len);
        rx->len += f->len;
    }

    if (!f->fin) {
        return 0;
    }

    ev->type = rx->opcode == WS_OP_TEXT ? WS_EV_TEXT : WS_EV_BINARY;
    ev->data = ws_rx_copy(rx->buf, rx->len);
    ev->len = rx->len;
    rx->opcode = 0;

    if (ev->type == WS_EV_TEXT && !ws_utf8_valid(ev->data, ev->len)) {
        ev->error = "text message not UTF-8";
    }

    return 1;
}


static int
ws_rx_error(ws_event_t *ev, const char *error)
{
    ev->type = WS_EV_ERROR;
    ev->error = error;

    return 1;
}


static uint8_t *
ws_rx_copy(const uint8_t *p, size_t n)
{
    uint8_t  *d;

    d = malloc(n + 1);
    if (d != NULL) {
        if (n) {
            memcpy(d, p, n);
        }
        d[n] = '\0';
    }

    return d;
}
