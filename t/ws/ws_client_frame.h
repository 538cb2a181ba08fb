
/*
 * The test client's own WebSocket codec, client side of RFC 6455: it
 * masks the frames it builds and parses the server's unmasked frames.
 * Deliberately independent of the module's parser (src/), so that a bug
 * there cannot hide behind the same bug here.  Pure: no I/O, no globals.
 */

#ifndef _WS_CLIENT_FRAME_H_INCLUDED_
#define _WS_CLIENT_FRAME_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define WS_OP_CONT    0x0
#define WS_OP_TEXT    0x1
#define WS_OP_BINARY  0x2
#define WS_OP_CLOSE   0x8
#define WS_OP_PING    0x9
#define WS_OP_PONG    0xa

/* the longest header: 2 + 8 (length) + 4 (mask) */
#define WS_MAX_HEADER  14


typedef struct {
    uint64_t   len;            /* payload length */
    size_t     hlen;           /* header length, mask included */
    uint8_t    mask[4];
    unsigned   fin:1;
    unsigned   rsv:3;
    unsigned   opcode:4;
    unsigned   masked:1;
} ws_frame_t;


typedef enum {
    WS_EV_NONE = 0,
    WS_EV_TEXT,
    WS_EV_BINARY,
    WS_EV_PING,
    WS_EV_PONG,
    WS_EV_CLOSE,
    WS_EV_ERROR,
    WS_EV_EOF                  /* the client's: the peer closed TCP */
} ws_event_type_e;


/* what one server frame amounts to; data is malloc()ed, the caller frees */
typedef struct {
    ws_event_type_e   type;
    uint8_t          *data;
    size_t            len;
    const char       *error;   /* WS_EV_ERROR, or a text message that is
                                  not UTF-8, or a bad close payload */
    int               code;    /* WS_EV_CLOSE: 0 when the payload is empty */
} ws_event_t;


/* message reassembly across fragments */
typedef struct {
    uint8_t   *buf;
    size_t     len;
    size_t     cap;
    size_t     max;            /* the longest message accepted */
    int        opcode;         /* of the message being assembled, or 0 */
} ws_rx_t;


size_t ws_frame_header(uint8_t *out, int fin, int rsv, int opcode,
    uint64_t len, const uint8_t *mask);
void ws_frame_mask(uint8_t *p, size_t n, const uint8_t *mask, size_t from);
int ws_frame_parse(const uint8_t *buf, size_t n, ws_frame_t *f);
int ws_utf8_valid(const uint8_t *p, size_t n);
int ws_rx_frame(ws_rx_t *rx, const ws_frame_t *f, const uint8_t *payload,
    ws_event_t *ev);
void ws_rx_free(ws_rx_t *rx);


#endif /* _WS_CLIENT_FRAME_H_INCLUDED_ */
