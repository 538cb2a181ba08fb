
/*
 * RFC 6455 frame codec: the server side's parser of client frames and
 * writer of server frames.
 *
 * Deliberately free of nginx headers so that it can be unit tested
 * standalone (t/unit/test_ws_frame.c); the module compiles the .c file as
 * one of its sources.  Nothing is allocated and nothing is copied but the
 * payload of a control frame that arrives split.
 *
 * The parser is a push parser: the caller hands it whatever the socket
 * gave, in any split, and gets one event at a time.  Data payload is
 * unmasked in place and returned as pointers into the caller's buffer, so
 * a message of any size passes through without being reassembled here.
 *
 * Choices where RFC 6455 leaves room, all of them strict:
 *
 *   - a length not in its minimal encoding (126 followed by a value below
 *     126, 127 followed by a value below 65536) is a protocol error: 5.2
 *     says "the minimal number of bytes MUST be used";
 *   - the close codes valid on the wire are 1000-1003, 1007-1014 (1012,
 *     1013 and 1014 are in the IANA registry) and 3000-4999; 1004, 1005,
 *     1006 and 1015 are reserved (7.4.1), the rest of 1016-2999 is
 *     unassigned, below 1000 unused, 5000 and above invalid (7.4.2);
 *   - bytes after a CLOSE frame are discarded (5.5.1: the peer sends no
 *     more data frames; the caller closes the connection);
 *   - max_message counts wire bytes: for a compressed message that is the
 *     deflated size, and the caller bounds the inflated size itself.
 */


#ifndef _NGX_CWEB_WS_FRAME_H_INCLUDED_
#define _NGX_CWEB_WS_FRAME_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* the values of nginx's NGX_ERROR and NGX_AGAIN */
#define NGX_CWEB_WS_ERROR           -1
#define NGX_CWEB_WS_NEED_MORE       -2
#define NGX_CWEB_WS_DATA             1
#define NGX_CWEB_WS_CONTROL          2

#define NGX_CWEB_WS_CONT             0x0
#define NGX_CWEB_WS_TEXT             0x1
#define NGX_CWEB_WS_BINARY           0x2
#define NGX_CWEB_WS_CLOSE            0x8
#define NGX_CWEB_WS_PING             0x9
#define NGX_CWEB_WS_PONG             0xa

#define NGX_CWEB_WS_CLOSE_NORMAL     1000
#define NGX_CWEB_WS_CLOSE_GOING_AWAY 1001
#define NGX_CWEB_WS_CLOSE_PROTOCOL   1002
#define NGX_CWEB_WS_CLOSE_NO_STATUS  1005
#define NGX_CWEB_WS_CLOSE_INVALID    1007
#define NGX_CWEB_WS_CLOSE_POLICY     1008
#define NGX_CWEB_WS_CLOSE_TOO_BIG    1009
#define NGX_CWEB_WS_CLOSE_ERROR      1011

#define NGX_CWEB_WS_MAX_CONTROL      125
/* 2 bytes of header, 8 of extended length; server frames have no mask */
#define NGX_CWEB_WS_MAX_HEADER       10

#define NGX_CWEB_WS_UTF8_OK          0
#define NGX_CWEB_WS_UTF8_INCOMPLETE  1
#define NGX_CWEB_WS_UTF8_INVALID    -1


/*
 * The state of an incremental UTF-8 validation: all zero at the start and
 * after every complete code point.  need is the number of continuation
 * bytes still expected, lo..hi the range the next one must be in (narrower
 * than 0x80..0xbf after E0, ED, F0 and F4, which is what refuses
 * overlongs, surrogates and code points above U+10FFFF).
 */
typedef struct {
    unsigned char  need;
    unsigned char  lo;
    unsigned char  hi;
} ngx_cweb_ws_utf8_t;


typedef struct {
    /* config, set before the first call; 0 = no limit */
    uint64_t             max_message;
    unsigned             deflate:1;

    /* after NGX_CWEB_WS_ERROR: 1002, 1007 or 1009, and a static reason */
    unsigned             close_code;
    const char          *error;

    /* internal state, all zero at the start */
    uint64_t             remaining;     /* payload bytes of this frame */
    uint64_t             message;       /* bytes of this message so far */
    ngx_cweb_ws_utf8_t   utf8;
    unsigned             state:2;
    unsigned             hdr_len:4;
    unsigned             hdr_need:4;
    unsigned             opcode:4;
    unsigned             msg_opcode:4;  /* TEXT/BINARY, 0: no message */
    unsigned             fin:1;
    unsigned             first:1;       /* next DATA event starts it */
    unsigned             compressed:1;
    unsigned             mask_pos:2;
    unsigned             ctrl_len:7;
    unsigned char        mask[4];
    unsigned char        hdr[14];
    unsigned char        ctrl[NGX_CWEB_WS_MAX_CONTROL];
} ngx_cweb_ws_parser_t;


typedef struct {
    /* DATA: payload chunk, unmasked; CONTROL: the whole payload */
    unsigned char       *data;
    size_t               len;

    /* DATA: TEXT or BINARY, also for continuation frames; CONTROL: its own */
    unsigned             opcode;

    /* DATA: the message's first chunk, its last, RSV1 on its first frame */
    unsigned             first:1;
    unsigned             fin:1;
    unsigned             compressed:1;

    /* CLOSE: the code (1005 for an empty payload) and the UTF-8 reason */
    unsigned             close_code;
    unsigned char       *reason;
    size_t               reason_len;
} ngx_cweb_ws_event_t;


/*
 * Zeroes the parser and sets its configuration; a zeroed parser (e.g. from
 * ngx_pcalloc()) with the config fields set is the same.
 */
void ngx_cweb_ws_parser_init(ngx_cweb_ws_parser_t *p, uint64_t max_message,
    unsigned deflate);

/*
 * Parses client frames from buf, which it unmasks in place.  Sets *used to
 * the bytes consumed and returns:
 *
 *   NGX_CWEB_WS_NEED_MORE  all of buf consumed, no event: call again with
 *                          the next bytes;
 *   NGX_CWEB_WS_DATA       ev->data/len is the next chunk of a TEXT or
 *                          BINARY message (possibly empty, for an empty
 *                          frame that starts or ends the message); it
 *                          points into buf; a message ends with ev->fin;
 *   NGX_CWEB_WS_CONTROL    a whole PING, PONG or CLOSE frame; ev->data
 *                          points into buf or into the parser, valid until
 *                          the next call; a CLOSE's code and reason are
 *                          valid; later bytes are discarded;
 *   NGX_CWEB_WS_ERROR      p->close_code and p->error say why; the parser
 *                          stays in error and consumes nothing more.
 *
 * After DATA or CONTROL, call again with buf + *used: the rest of buf may
 * hold more frames.  Text that is not compressed is validated as UTF-8
 * before it is returned, so a chunk holding an invalid byte is never seen;
 * compressed text is the caller's to validate after inflating it.
 */
int ngx_cweb_ws_parse(ngx_cweb_ws_parser_t *p, unsigned char *buf,
    size_t len, size_t *used, ngx_cweb_ws_event_t *ev);

/*
 * Validates the next len bytes of a UTF-8 stream.  Returns UTF8_OK when
 * they end on a code point boundary, UTF8_INCOMPLETE when they end inside
 * a code point (which the next call may finish), UTF8_INVALID at the first
 * byte that cannot be part of valid UTF-8 (the state is then undefined).
 * The stream is complete only if the last call returned UTF8_OK.
 */
int ngx_cweb_ws_utf8(ngx_cweb_ws_utf8_t *u, const unsigned char *data,
    size_t len);

/* 1 if the code may appear in a CLOSE frame on the wire, else 0 */
int ngx_cweb_ws_close_code_valid(unsigned code);

/*
 * Writes the header of an unmasked server frame with the minimal length
 * encoding into out (NGX_CWEB_WS_MAX_HEADER bytes); returns its length.
 */
size_t ngx_cweb_ws_frame_header(unsigned char *out, int opcode, int fin,
    int rsv1, uint64_t len);

/*
 * Writes a CLOSE payload into out (NGX_CWEB_WS_MAX_CONTROL bytes): the code
 * and the reason, cut at 123 bytes on a code point boundary (the reason is
 * expected to be valid UTF-8).  Code 0 writes an empty payload (the peer
 * sees 1005).  Returns the payload's length.
 */
size_t ngx_cweb_ws_close_payload(unsigned char *out, unsigned code,
    const char *reason, size_t len);


#endif /* _NGX_CWEB_WS_FRAME_H_INCLUDED_ */
