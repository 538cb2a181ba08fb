
/*
 * The codec of the test client (t/ws/ws_client_frame.c): what it builds
 * must be what RFC 6455 says a client sends, what it accepts from a
 * server must be only what a server may send, or the suites that use it
 * would pass a broken server.
 */

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ws_client_frame.h"


static int
feed(ws_rx_t *rx, int fin, int rsv, int opcode, int masked,
    const char *payload, size_t n, ws_event_t *ev)
{
    ws_frame_t  f;

    memset(&f, 0, sizeof(f));
    f.fin = fin;
    f.rsv = rsv;
    f.opcode = opcode;
    f.masked = masked;
    f.len = n;

    return ws_rx_frame(rx, &f, (const uint8_t *) payload, ev);
}


static void
rx_init(ws_rx_t *rx, size_t max)
{
    memset(rx, 0, sizeof(ws_rx_t));
    rx->max = max;
}


static void
test_header(void)
{
    size_t        i, h;
    uint8_t       buf[WS_MAX_HEADER];
    ws_frame_t    f;
    const uint8_t mask[4] = { 1, 2, 3, 4 };
    uint64_t      lens[] = { 0, 125, 126, 65535, 65536, 1ULL << 40 };
    size_t        hlen[] = { 6, 6, 8, 8, 14, 14 };

    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        h = ws_frame_header(buf, 1, 0, WS_OP_BINARY, lens[i], mask);
        CHECK(h == hlen[i]);
        CHECK(buf[0] == 0x82);
        CHECK(buf[1] & 0x80);
        CHECK(memcmp(buf + h - 4, mask, 4) == 0);
        CHECK(ws_frame_parse(buf, h, &f) == 1);
        CHECK(f.len == lens[i] && f.hlen == h && f.masked && f.fin);
        CHECK(f.opcode == WS_OP_BINARY && f.rsv == 0);
        CHECK(memcmp(f.mask, mask, 4) == 0);

        /* every shorter prefix asks for more */
        while (h-- > 0) {
            CHECK(ws_frame_parse(buf, h, &f) == 0);
        }
    }

    h = ws_frame_header(buf, 0, 5, WS_OP_CONT, 3, NULL);
    CHECK(h == 2 && buf[0] == 0x50 && buf[1] == 3);
    CHECK(ws_frame_parse(buf, h, &f) == 1 && !f.fin && f.rsv == 5);
    CHECK(!f.masked);
}


static void
test_bad_lengths(void)
{
    ws_frame_t  f;
    uint8_t     top[10] = { 0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0 };
    uint8_t     short16[4] = { 0x82, 126, 0, 125 };
    uint8_t     short64[10] = { 0x82, 127, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    uint8_t     ok16[4] = { 0x82, 126, 0, 126 };

    CHECK(ws_frame_parse(top, 10, &f) == -1);
    CHECK(ws_frame_parse(short16, 4, &f) == -2);
    CHECK(ws_frame_parse(short64, 10, &f) == -2);
    CHECK(ws_frame_parse(ok16, 4, &f) == 1 && f.len == 126);
}


static void
test_mask(void)
{
    size_t         i;
    uint8_t        a[37], b[37];
    const uint8_t  mask[4] = { 0xde, 0xad, 0xbe, 0xef };

    for (i = 0; i < sizeof(a); i++) {
        a[i] = b[i] = (uint8_t) i;
    }

    ws_frame_mask(a, sizeof(a), mask, 0);
    CHECK(a[0] == (0 ^ 0xde) && a[5] == (5 ^ 0xad));

    /* in pieces at odd offsets: the same bytes */
    ws_frame_mask(b, 3, mask, 0);
    ws_frame_mask(b + 3, 10, mask, 3);
    ws_frame_mask(b + 13, sizeof(b) - 13, mask, 13);
    CHECK(memcmp(a, b, sizeof(a)) == 0);

    ws_frame_mask(a, sizeof(a), mask, 0);
    CHECK(a[0] == 0 && a[36] == 36);
}


static void
test_utf8(void)
{
    size_t       i;
    const char  *good[] = { "", "hello", "\xce\xba\xe1\xbd\xb9\xcf\x83",
                            "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
                            "\xed\x9f\xbf", "\xee\x80\x80" };
    const char  *bad[] = { "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80",
                           "\xf0\x80\x80\x80", "\xed\xa0\x80",
                           "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xce",
                           "\xf0\x9f\x98", "\x80", "\xff", "a\xfe",
                           "\xce\x41", "\xf8\x88\x80\x80\x80" };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CHECK(ws_utf8_valid((const uint8_t *) good[i], strlen(good[i])));
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(!ws_utf8_valid((const uint8_t *) bad[i], strlen(bad[i])));
    }

    /* cut inside a code point whose next bytes do follow in memory: the
     * length, not what lies after it, decides */
    CHECK(!ws_utf8_valid((const uint8_t *) "\xf0\x9f\x98\x80", 3));
    CHECK(!ws_utf8_valid((const uint8_t *) "\xce\xba", 1));
}


static void
test_messages(void)
{
    ws_rx_t     rx;
    ws_event_t  ev;

    rx_init(&rx, 10);

    /* an empty message first: nothing buffered yet (UBSan watches) */
    CHECK(feed(&rx, 1, 0, WS_OP_TEXT, 0, NULL, 0, &ev) == 1);
    CHECK(ev.type == WS_EV_TEXT && ev.len == 0 && !ev.error);
    free(ev.data);

    CHECK(feed(&rx, 1, 0, WS_OP_TEXT, 0, "hi", 2, &ev) == 1);
    CHECK(ev.type == WS_EV_TEXT && ev.len == 2 && !ev.error);
    CHECK(memcmp(ev.data, "hi", 2) == 0);
    free(ev.data);

    /* fragments with a ping between them; UTF-8 split in a code point */
    CHECK(feed(&rx, 0, 0, WS_OP_TEXT, 0, "a\xce", 2, &ev) == 0);
    CHECK(feed(&rx, 1, 0, WS_OP_PING, 0, "p", 1, &ev) == 1);
    CHECK(ev.type == WS_EV_PING && ev.len == 1 && ev.data[0] == 'p');
    free(ev.data);
    CHECK(feed(&rx, 0, 0, WS_OP_CONT, 0, "", 0, &ev) == 0);
    CHECK(feed(&rx, 1, 0, WS_OP_CONT, 0, "\xba", 1, &ev) == 1);
    CHECK(ev.type == WS_EV_TEXT && ev.len == 3 && !ev.error);
    free(ev.data);

    CHECK(feed(&rx, 1, 0, WS_OP_BINARY, 0, "\xff", 1, &ev) == 1);
    CHECK(ev.type == WS_EV_BINARY && !ev.error);
    free(ev.data);

    CHECK(feed(&rx, 1, 0, WS_OP_TEXT, 0, "\xff", 1, &ev) == 1);
    CHECK(ev.type == WS_EV_TEXT && ev.error != NULL);
    free(ev.data);

    /* the limit holds across fragments */
    CHECK(feed(&rx, 0, 0, WS_OP_BINARY, 0, "123456", 6, &ev) == 0);
    CHECK(feed(&rx, 1, 0, WS_OP_CONT, 0, "78901", 5, &ev) == 1);
    CHECK(ev.type == WS_EV_ERROR);

    ws_rx_free(&rx);
}


static void
test_protocol_errors(void)
{
    ws_rx_t     rx;
    ws_event_t  ev;
    char        big[126];

    rx_init(&rx, 1000);
    memset(big, 'x', sizeof(big));

#define ERR(fin, rsv, op, masked, p, n)                                      \
    CHECK(feed(&rx, fin, rsv, op, masked, p, n, &ev) == 1                    \
          && ev.type == WS_EV_ERROR && ev.data == NULL)

    ERR(1, 0, WS_OP_TEXT, 1, "hi", 2);          /* masked by the server */
    ERR(1, 4, WS_OP_TEXT, 0, "hi", 2);          /* RSV1 not negotiated */
    ERR(1, 1, WS_OP_PING, 0, "", 0);
    ERR(1, 0, WS_OP_CONT, 0, "x", 1);           /* nothing to continue */
    ERR(1, 0, 0x3, 0, "", 0);                   /* reserved opcodes */
    ERR(1, 0, 0x7, 0, "", 0);
    ERR(1, 0, 0xb, 0, "", 0);
    ERR(1, 0, 0xf, 0, "", 0);
    ERR(0, 0, WS_OP_PING, 0, "", 0);            /* fragmented control */
    ERR(1, 0, WS_OP_PONG, 0, big, 126);         /* control > 125 */
    ERR(1, 0, WS_OP_CLOSE, 0, "\x03", 1);       /* 1-byte close */

    CHECK(feed(&rx, 1, 0, WS_OP_PONG, 0, big, 125, &ev) == 1
          && ev.type == WS_EV_PONG && ev.len == 125);
    free(ev.data);

    CHECK(feed(&rx, 0, 0, WS_OP_TEXT, 0, "a", 1, &ev) == 0);
    ERR(1, 0, WS_OP_BINARY, 0, "b", 1);         /* inside a message */

#undef ERR

    ws_rx_free(&rx);
}


static void
test_close(void)
{
    ws_rx_t     rx;
    ws_event_t  ev;

    rx_init(&rx, 1000);

    CHECK(feed(&rx, 1, 0, WS_OP_CLOSE, 0, "", 0, &ev) == 1);
    CHECK(ev.type == WS_EV_CLOSE && ev.code == 0 && ev.len == 0);

    CHECK(feed(&rx, 1, 0, WS_OP_CLOSE, 0, "\x03\xe8", 2, &ev) == 1);
    CHECK(ev.type == WS_EV_CLOSE && ev.code == 1000 && ev.len == 0);
    free(ev.data);

    CHECK(feed(&rx, 1, 0, WS_OP_CLOSE, 0, "\x03\xeb" "bye", 5, &ev) == 1);
    CHECK(ev.code == 1003 && ev.len == 3 && !ev.error);
    CHECK(memcmp(ev.data, "bye", 3) == 0);
    free(ev.data);

    CHECK(feed(&rx, 1, 0, WS_OP_CLOSE, 0, "\x03\xe8\xc0\x80", 4, &ev) == 1);
    CHECK(ev.type == WS_EV_CLOSE && ev.error != NULL);
    free(ev.data);

    ws_rx_free(&rx);
}


int
main(void)
{
    test_header();
    test_bad_lengths();
    test_mask();
    test_utf8();
    test_messages();
    test_protocol_errors();
    test_close();

    return check_report();
}
