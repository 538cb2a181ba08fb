
/*
 * permessage-deflate (RFC 7692) for the WebSocket server: negotiation,
 * compression of whole messages, streaming decompression with a bound.
 *
 * Deliberately free of nginx headers, like ngx_cweb_multipart.c, so that
 * it is unit tested standalone (t/unit/test_ws_deflate.c); it needs zlib
 * only.  The WebSocket code owns the frames (RSV1, opcodes, fragments);
 * this file sees message payloads only.
 *
 * Design and invariants:
 *
 * - No context takeover, either way.  The server always answers
 *   server_no_context_takeover, so every message it sends is a complete
 *   deflate stream of its own: a broadcast is compressed once and the same
 *   bytes are valid on every connection whose negotiated server window is
 *   at least the compressor's, and no connection keeps compressor state.
 *   The server always answers client_no_context_takeover too, which RFC
 *   7692 7.1.1.2 permits whether or not the client offered it, so no
 *   connection keeps a 32 KB inflate window between messages either: the
 *   inflater may be released (ngx_cweb_ws_inflate_free()) as soon as a
 *   message ends, and an idle connection holds no zlib memory at all.
 *
 * - Memory comes from the caller's zlib hooks (zalloc, zfree, opaque), so
 *   the nginx side may use malloc or its own allocator; NULL hooks mean
 *   zlib's default, malloc().  Nothing else is allocated.
 *
 * - Output goes through a callback, in chunks of at most
 *   NGX_CWEB_WS_DEFLATE_CHUNK bytes, so neither direction needs to know
 *   the final size in advance; the callback may refuse (return -1), which
 *   stops the operation with NGX_CWEB_WS_DEFLATE_ERROR.
 *
 * - zlib refuses a raw deflate window of 8 bits (since 1.2.9), so a
 *   compressor asked for 8 uses 9: zlib never emits a distance above
 *   window - 262 bytes, i.e. 250 with 9 bits, which an 8-bit (256 byte)
 *   window decoder accepts.
 */


#ifndef _NGX_CWEB_WS_DEFLATE_H_INCLUDED_
#define _NGX_CWEB_WS_DEFLATE_H_INCLUDED_


#include <stddef.h>
#include <zlib.h>


/* return codes; OK, ERROR and DECLINED mirror nginx's values */
#define NGX_CWEB_WS_DEFLATE_OK         0
/* bad argument, no memory, zlib failure, or the output callback refused */
#define NGX_CWEB_WS_DEFLATE_ERROR     -1
/* no acceptable permessage-deflate offer: run without the extension */
#define NGX_CWEB_WS_DEFLATE_DECLINED  -5
/* the inflated message exceeds max_message: close 1009 */
#define NGX_CWEB_WS_DEFLATE_TOO_BIG   -10
/* the payload is not valid deflate data: close 1007 */
#define NGX_CWEB_WS_DEFLATE_BAD_DATA  -11

/*
 * The close codes for the two errors of the peer.  RFC 7692 section 8
 * only says that a failure to decompress MUST fail the connection; 1007
 * (data inconsistent with the message type) is what Node's ws and others
 * send, 1009 is RFC 6455's "message too big to process".  Any other
 * ngx_cweb_ws_inflate_feed() failure is ours: 1011.
 */
#define NGX_CWEB_WS_DEFLATE_CLOSE_BAD_DATA  1007
#define NGX_CWEB_WS_DEFLATE_CLOSE_TOO_BIG   1009

/* bytes handed to the output callback at once, at most */
#define NGX_CWEB_WS_DEFLATE_CHUNK     8192

#define NGX_CWEB_WS_DEFLATE_MIN_BITS  8
#define NGX_CWEB_WS_DEFLATE_MAX_BITS  15

/* the longest response ngx_cweb_ws_deflate_negotiate() writes */
#define NGX_CWEB_WS_DEFLATE_RESPONSE_LEN                                     \
    (sizeof("permessage-deflate; server_no_context_takeover; "               \
            "client_no_context_takeover; server_max_window_bits=15; "        \
            "client_max_window_bits=15") - 1)


/* receives len > 0 bytes of output; returns 0, or -1 to stop */
typedef int (*ngx_cweb_ws_deflate_out_pt)(void *data, const unsigned char *p,
    size_t len);


/* the server's side of the negotiation, from its configuration */
typedef struct {
    /* 8..15: the largest window the server compresses with */
    unsigned    server_max_window_bits;
    /* 8..15: the window asked of the client when the offer lets us ask */
    unsigned    client_max_window_bits;
} ngx_cweb_ws_deflate_conf_t;


/* what was agreed for one connection */
typedef struct {
    /* 8..15: compress this connection's messages with at most this */
    unsigned    server_window_bits;
    /* 8..15: the client's window: the inflater's window_bits */
    unsigned    client_window_bits;
} ngx_cweb_ws_deflate_params_t;


/* a compressor: one per worker (and window size) serves every connection */
typedef struct {
    z_stream    zs;
    int         level;
    unsigned    window_bits;
    unsigned    ready:1;
} ngx_cweb_ws_deflate_t;


/*
 * The decompressor of one connection; about 130 bytes when idle, plus
 * zlib's state (7 KB) and window (1 << window_bits) during a message.
 */
typedef struct {
    z_stream    zs;
    /* inflated bytes of the current message, at most max_message */
    size_t      size;
    size_t      max_message;
    unsigned    window_bits;
    /* zs holds zlib memory (inflateInit2() done, no inflateEnd() since) */
    unsigned    allocated:1;
    /* the message's deflate stream ended with a BFINAL block */
    unsigned    ended:1;
    /* the message had payload bytes */
    unsigned    payload:1;
} ngx_cweb_ws_inflate_t;


/*
 * Negotiation (RFC 7692 section 5 and 7.1, RFC 6455 section 9.1 grammar).
 *
 * value is one Sec-WebSocket-Extensions header value, a comma-separated
 * list of offers in the client's order of preference; with several such
 * header lines, call this for each in order until it returns OK.  Other
 * extensions are skipped.  The first permessage-deflate offer whose
 * parameters are all valid is accepted: each at most once, only
 * server_no_context_takeover and client_no_context_takeover (no value),
 * server_max_window_bits (value 8..15 required), client_max_window_bits
 * (value 8..15 optional); values are tokens or quoted-strings, decimal
 * without leading zeroes.  An offer breaking any of that is declined and
 * the next one tried.  Whitespace is allowed around ',', ';' and '=', empty
 * list elements are skipped, extension and parameter names match without
 * regard to case.  A syntax error (e.g. an unterminated quoted-string, a
 * parameter without a name) ends the list there: the offers after it
 * cannot be delimited reliably, so they are declined.
 *
 * The answer always has server_no_context_takeover and
 * client_no_context_takeover.  server_max_window_bits is answered, with
 * the smaller of the offered and conf's values, only when offered
 * (Firefox fails the handshake on one it did not offer, though the RFC
 * allows it); otherwise the server compresses with conf's value, which
 * any client window accepts.  client_max_window_bits may be answered only
 * when offered (7.1.2.2): with conf's value when smaller than the offered
 * one (15 when offered without a value); the client's window is the
 * smaller of the two, 15 when not offered.
 *
 * conf NULL means 15 and 15.  On OK, *params is set and the header value
 * to send back, without a terminating NUL, is written to response, which
 * must have room for NGX_CWEB_WS_DEFLATE_RESPONSE_LEN bytes, and its
 * length to *response_len.  Returns DECLINED when no offer is acceptable
 * (the handshake goes on without the extension) and ERROR for a bad
 * argument (NULL value with len > 0, conf out of range).
 */
int ngx_cweb_ws_deflate_negotiate(const unsigned char *value, size_t len,
    const ngx_cweb_ws_deflate_conf_t *conf,
    ngx_cweb_ws_deflate_params_t *params, unsigned char *response,
    size_t *response_len);

/*
 * Prepares a compressor: level 0..9 or -1 (Z_DEFAULT_COMPRESSION),
 * window_bits 8..15 (8 works as 9, see above); zlib allocates about
 * 1 << (window_bits + 2) + 128 KB through the hooks now.  Returns OK, or
 * ERROR with nothing allocated.
 */
int ngx_cweb_ws_deflate_init(ngx_cweb_ws_deflate_t *d, int level,
    unsigned window_bits, alloc_func zalloc, free_func zfree, void *opaque);

/*
 * Compresses one whole message (len may be 0) as a fresh raw deflate
 * stream flushed with an empty stored block whose 0x00 0x00 0xff 0xff is
 * then removed (RFC 7692 7.2.1): out receives the payload to send with
 * RSV1 set.  An empty message gives the single byte 0x00 (7.2.3.6).  The
 * bytes suit any connection whose server_window_bits is at least the
 * compressor's window_bits.  Returns OK, or ERROR (zlib failed or out
 * refused; part of the payload may have been handed out: discard it); the
 * compressor remains usable.
 */
int ngx_cweb_ws_deflate_message(ngx_cweb_ws_deflate_t *d,
    const unsigned char *in, size_t len, ngx_cweb_ws_deflate_out_pt out,
    void *data);

/* releases the compressor's zlib memory; a no-op when not initialized */
void ngx_cweb_ws_deflate_free(ngx_cweb_ws_deflate_t *d);

/*
 * Prepares a decompressor without allocating: zlib memory is taken by the
 * first ngx_cweb_ws_inflate_feed() of a message.  window_bits is the
 * negotiated client_window_bits (8..15); max_message > 0 bounds the
 * inflated size of one message (SIZE_MAX: no bound).  Returns OK or ERROR
 * for an argument out of range.
 */
int ngx_cweb_ws_inflate_init(ngx_cweb_ws_inflate_t *inf,
    unsigned window_bits, size_t max_message, alloc_func zalloc,
    free_func zfree, void *opaque);

/*
 * Feeds the next len bytes (len may be 0) of the payload of one compressed
 * message, as the frames arrive; last is non-zero with the final bytes
 * (the FIN frame), when the 0x00 0x00 0xff 0xff tail is appended and the
 * message must end on a block boundary.  The inflated bytes go to out as
 * they are produced.  Returns
 *
 *   OK        the bytes are consumed (and with last, the message is done)
 *   TOO_BIG   the message would inflate past max_message: found as soon as
 *             the output passes the bound, after at most max_message bytes
 *             were handed to out and whatever the input still holds unread
 *   BAD_DATA  invalid deflate data, or a message cut inside a block
 *   ERROR     no memory, zlib failure, or out refused
 *
 * After the final block of a stream (BFINAL, RFC 7692 7.2.3.4) the rest of
 * the payload is ignored.  With last, and after any error, the inflater is
 * reset for the next message (no context takeover) but keeps its zlib
 * memory; ngx_cweb_ws_inflate_free() releases it.
 */
int ngx_cweb_ws_inflate_feed(ngx_cweb_ws_inflate_t *inf,
    const unsigned char *in, size_t len, int last,
    ngx_cweb_ws_deflate_out_pt out, void *data);

/* abandons the current message, keeping the zlib memory for the next */
void ngx_cweb_ws_inflate_reset(ngx_cweb_ws_inflate_t *inf);

/*
 * Releases the zlib memory (abandoning the current message, if any): call
 * it when a message ends on a connection that will go idle, and when the
 * connection closes.  The inflater stays usable: the next feed allocates
 * again.
 */
void ngx_cweb_ws_inflate_free(ngx_cweb_ws_inflate_t *inf);


#endif /* _NGX_CWEB_WS_DEFLATE_H_INCLUDED_ */
