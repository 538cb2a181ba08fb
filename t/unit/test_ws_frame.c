
/*
 * Unit tests for src/ngx_cweb_ws_frame.c: framing, lengths, protocol errors,
 * limits, the writer; no nginx needed.  The harness is t/unit/ws_stream.h.
 *
 * Build and run from the top of the source tree:
 *
 *   mkdir -p objs/unit
 *   cc -std=c11 -Wall -Wextra -Werror -Isrc -o objs/unit/test_ws_frame \
 *       t/unit/test_ws_frame.c src/ngx_cweb_ws_frame.c
 *   objs/unit/test_ws_frame
 *
 * With sanitizers, add: -g -fsanitize=address,undefined
 *   -fno-sanitize-recover=all
 *
 * Prints one line per failed check and finally "N passed, N failed";
 * exits non-zero if any check failed.  Also prints the parse speed of
 * 1 MiB masked messages (slow under the sanitizers; build with -O2 and
 * without them for the real figure).
 */


#include <time.h>

#include "ws_stream.h"


static unsigned char *
pattern(size_t len, int text)
{
    size_t          i;
    unsigned char  *d;

    d = malloc(len ? len : 1);
    if (d == NULL) {
        abort();
    }

    for (i = 0; i < len; i++) {
        d[i] = text ? 'a' + i % 26 : (unsigned char) (i * 7 + (i >> 8));
    }

    return d;
}


static void
test_sizes(void)
{
    int             op;
    size_t          i, hlen;
    unsigned char   h[NGX_CWEB_WS_MAX_HEADER], *d;
    static size_t   sizes[] = { 0, 1, 125, 126, 127, 65535, 65536, MIB };

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {

        /* the writer picks the 7, 16 or 64-bit length */
        hlen = ngx_cweb_ws_frame_header(h, NGX_CWEB_WS_BINARY, 1, 0,
                                        sizes[i]);
        CHECK(hlen == (sizes[i] < 126 ? 2 : (sizes[i] < 65536 ? 4 : 10)));

        for (op = NGX_CWEB_WS_TEXT; op <= NGX_CWEB_WS_BINARY; op++) {
            d = pattern(sizes[i], op == NGX_CWEB_WS_TEXT);

            reset();
            put_frame(op, 1, 0, d, sizes[i]);
            expect_msg(op, 0, d, sizes[i]);
            CHECK(st_len == hlen + 4 + sizes[i]);
            CHECK(runs_as_expected(0, 0));

            /* a limit of exactly the size lets it through */
            CHECK(runs_as_expected(sizes[i] ? sizes[i] : 1, 0));

            free(d);
        }
    }
}


static void
test_many(void)
{
    size_t          i, n;
    unsigned char  *d;

    reset();
    d = pattern(70003, 0);

    /* 300 frames of all kinds and sizes in one stream */

    for (i = 0; i < 300; i++) {
        n = (i * 7919) % (i % 10 == 9 ? 70000 : 300);

        switch (i % 5) {
        case 0:
            put_frame(NGX_CWEB_WS_TEXT, 1, 0, "hello", 5);
            expect_msg(NGX_CWEB_WS_TEXT, 0, "hello", 5);
            break;

        case 1:
            put_frame(NGX_CWEB_WS_BINARY, 1, 0, d, n);
            expect_msg(NGX_CWEB_WS_BINARY, 0, d, n);
            break;

        case 2:
            put_frame(NGX_CWEB_WS_PING, 1, 0, d, n % 126);
            expect_ctl(NGX_CWEB_WS_PING, d, n % 126);
            break;

        case 3:
            put_frame(NGX_CWEB_WS_PONG, 1, 0, d, 0);
            expect_ctl(NGX_CWEB_WS_PONG, d, 0);
            break;

        default:
            put_frame(NGX_CWEB_WS_BINARY, 0, 0, d, n);
            put_frame(NGX_CWEB_WS_PING, 1, 0, "p", 1);
            put_frame(NGX_CWEB_WS_CONT, 1, 0, d + n, 3);
            expect_ctl(NGX_CWEB_WS_PING, "p", 1);
            expect_msg(NGX_CWEB_WS_BINARY, 0, d, n + 3);
            break;
        }
    }

    CHECK(runs_as_expected(0, 0));

    free(d);
}


static void
test_fragments(void)
{
    size_t                used, off;
    unsigned char         buf[64];
    ngx_cweb_ws_event_t   ev;
    ngx_cweb_ws_parser_t  p;

    /* text in three fragments, a ping and a pong between them */

    reset();
    put_frame(NGX_CWEB_WS_TEXT, 0, 0, "Hel", 3);
    put_frame(NGX_CWEB_WS_PING, 1, 0, "ping", 4);
    put_frame(NGX_CWEB_WS_CONT, 0, 0, "lo, ", 4);
    put_frame(NGX_CWEB_WS_PONG, 1, 0, "", 0);
    put_frame(NGX_CWEB_WS_CONT, 1, 0, "world", 5);
    put_frame(NGX_CWEB_WS_BINARY, 1, 0, "b", 1);
    expect_ctl(NGX_CWEB_WS_PING, "ping", 4);
    expect_ctl(NGX_CWEB_WS_PONG, "", 0);
    expect_msg(NGX_CWEB_WS_TEXT, 0, "Hello, world", 12);
    expect_msg(NGX_CWEB_WS_BINARY, 0, "b", 1);
    CHECK(runs_as_expected(0, 0));

    /* the events themselves, the stream in one buffer */

    memcpy(buf, st, st_len);
    ngx_cweb_ws_parser_init(&p, 0, 0);
    off = 0;

    CHECK(ngx_cweb_ws_parse(&p, buf, st_len, &used, &ev) == NGX_CWEB_WS_DATA);
    CHECK(ev.first && !ev.fin && ev.opcode == NGX_CWEB_WS_TEXT
          && ev.len == 3 && memcmp(ev.data, "Hel", 3) == 0
          && ev.data == buf + 6 && used == 9);
    off += used;

    CHECK(ngx_cweb_ws_parse(&p, buf + off, st_len - off, &used, &ev)
          == NGX_CWEB_WS_CONTROL);
    CHECK(ev.opcode == NGX_CWEB_WS_PING && ev.len == 4
          && memcmp(ev.data, "ping", 4) == 0 && ev.data == buf + off + 6);
    off += used;

    CHECK(ngx_cweb_ws_parse(&p, buf + off, st_len - off, &used, &ev)
          == NGX_CWEB_WS_DATA);
    CHECK(!ev.first && !ev.fin && ev.opcode == NGX_CWEB_WS_TEXT
          && ev.len == 4 && memcmp(ev.data, "lo, ", 4) == 0);
    off += used;

    CHECK(ngx_cweb_ws_parse(&p, buf + off, st_len - off, &used, &ev)
          == NGX_CWEB_WS_CONTROL && ev.opcode == NGX_CWEB_WS_PONG
          && ev.len == 0);
    off += used;

    CHECK(ngx_cweb_ws_parse(&p, buf + off, st_len - off, &used, &ev)
          == NGX_CWEB_WS_DATA);
    CHECK(!ev.first && ev.fin && ev.opcode == NGX_CWEB_WS_TEXT
          && ev.len == 5 && memcmp(ev.data, "world", 5) == 0);
    off += used;

    CHECK(ngx_cweb_ws_parse(&p, buf + off, st_len - off, &used, &ev)
          == NGX_CWEB_WS_DATA);
    CHECK(ev.first && ev.fin && ev.opcode == NGX_CWEB_WS_BINARY);
    off += used;
    CHECK(off == st_len);

    /* a control frame split across reads is gathered in the parser */

    reset();
    put_frame(NGX_CWEB_WS_PING, 1, 0, "0123456789", 10);
    memcpy(buf, st, st_len);
    ngx_cweb_ws_parser_init(&p, 0, 0);
    CHECK(ngx_cweb_ws_parse(&p, buf, 9, &used, &ev) == NGX_CWEB_WS_NEED_MORE
          && used == 9);
    CHECK(ngx_cweb_ws_parse(&p, buf + 9, st_len - 9, &used, &ev)
          == NGX_CWEB_WS_CONTROL);
    CHECK(ev.len == 10 && memcmp(ev.data, "0123456789", 10) == 0
          && ev.data == p.ctrl);

    /* empty fragments: the first and the last say so, the others not */

    reset();
    put_frame(NGX_CWEB_WS_BINARY, 0, 0, "", 0);
    put_frame(NGX_CWEB_WS_CONT, 0, 0, "", 0);
    put_frame(NGX_CWEB_WS_CONT, 0, 0, "ab", 2);
    put_frame(NGX_CWEB_WS_CONT, 0, 0, "", 0);
    put_frame(NGX_CWEB_WS_CONT, 1, 0, "", 0);
    put_frame(NGX_CWEB_WS_TEXT, 1, 0, "", 0);
    expect_msg(NGX_CWEB_WS_BINARY, 0, "ab", 2);
    expect_msg(NGX_CWEB_WS_TEXT, 0, "", 0);
    CHECK(runs_as_expected(0, 0));

    memcpy(buf, st, st_len);
    ngx_cweb_ws_parser_init(&p, 0, 0);
    CHECK(ngx_cweb_ws_parse(&p, buf, st_len, &used, &ev) == NGX_CWEB_WS_DATA
          && ev.first && !ev.fin && ev.len == 0 && used == 6);
    off = used;
    CHECK(ngx_cweb_ws_parse(&p, buf + off, st_len - off, &used, &ev)
          == NGX_CWEB_WS_DATA && !ev.first && ev.len == 2 && used == 14);
    off += used;
    CHECK(ngx_cweb_ws_parse(&p, buf + off, st_len - off, &used, &ev)
          == NGX_CWEB_WS_DATA && ev.fin && ev.len == 0 && used == 12);
}


/* raw frames that fail with 1002, and the byte they fail on */

typedef struct {
    const char  *bytes;
    size_t       len;
    const char  *error;
    size_t       at;
} raw_error_t;

#define RE(s, error, at)  { s, L(s), error, at }

static raw_error_t  raw_errors[] = {
    /* unmasked: on the second byte, before any payload */
    RE("\x81\x05hello", "unmasked frame", 2),

    /* RSV2, RSV3; RSV1 without deflate: on the first byte */
    RE("\xa1\x80xxxx", "reserved bit set", 1),
    RE("\x91\x80xxxx", "reserved bit set", 1),
    RE("\xc1\x80xxxx", "rsv1 without permessage-deflate", 1),

    /* control frames: fragmented, longer than 125 (in 7 bits or more) */
    RE("\x09\x80xxxx", "fragmented control frame", 1),
    RE("\x89\xfe\x00\x7e", "control frame too long", 2),
    RE("\x8a\xfe\x00\x7e", "control frame too long", 2),
    RE("\x88\xff\x00\x00\x00\x00\x00\x01\x00\x00",
       "control frame too long", 2),

    RE("\x80\x80xxxx", "continuation without message", 1),

    /* 64-bit length with the top bit set: on the first length byte */
    RE("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00xxxx",
       "length with the top bit set", 3),

    /* non-minimal lengths, RFC 6455 5.2 */
    RE("\x82\xfe\x00\x7d", "non-minimal length", 4),
    RE("\x82\xff\x00\x00\x00\x00\x00\x00\xff\xff",
       "non-minimal length", 10),
    RE("\x82\xff\x00\x00\x00\x00\x00\x00\x00\x01",
       "non-minimal length", 10),

    /* the same with the mask: the whole header is there (another path) */
    RE("\x82\xfe\x00\x7dxxxx", "non-minimal length", 4),
    RE("\x82\xff\x00\x00\x00\x00\x00\x00\xff\xffxxxx",
       "non-minimal length", 10),
    RE("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00",
       "length with the top bit set", 3),
    RE("\x89\xfe\x00\x7exxxx", "control frame too long", 2),
};


static void
test_errors(void)
{
    size_t         i;
    unsigned char  h[1], big[NGX_CWEB_WS_MAX_CONTROL];

    for (i = 0; i < sizeof(raw_errors) / sizeof(raw_errors[0]); i++) {
        reset();
        put(raw_errors[i].bytes, raw_errors[i].len);
        CHECK(fails(1002, raw_errors[i].error, raw_errors[i].at));
    }

    /* reserved opcodes, data (3-7) and control (B-F) */
    for (h[0] = 0x83; h[0] <= 0x8f; h[0]++) {
        if (h[0] == 0x88 || h[0] == 0x89 || h[0] == 0x8a) {
            continue;
        }

        reset();
        put(h, 1);
        put("\x80xxxx", 5);
        CHECK(fails(1002, "reserved opcode", 1));
    }

    /* 125 is the most a control frame may carry */
    reset();
    memset(big, 'x', sizeof(big));
    put_frame(NGX_CWEB_WS_PING, 1, 0, big, 125);
    expect_ctl(NGX_CWEB_WS_PING, big, 125);
    CHECK(runs_as_expected(0, 0));

    /* continuation after the message ended */
    reset();
    put_frame(NGX_CWEB_WS_TEXT, 1, 0, "a", 1);
    put_frame(NGX_CWEB_WS_CONT, 1, 0, "b", 1);
    expect_msg(NGX_CWEB_WS_TEXT, 0, "a", 1);
    CHECK(fails(1002, "continuation without message", 8));

    /* a new message while one is in progress */
    reset();
    put_frame(NGX_CWEB_WS_TEXT, 0, 0, "a", 1);
    put_frame(NGX_CWEB_WS_BINARY, 1, 0, "b", 1);
    CHECK(fails(1002, "new message inside a fragmented one", 8));
    reset();
    put_frame(NGX_CWEB_WS_BINARY, 0, 0, "a", 1);
    put_frame(NGX_CWEB_WS_PING, 1, 0, "", 0);
    put_frame(NGX_CWEB_WS_BINARY, 0, 0, "b", 1);
    expect_ctl(NGX_CWEB_WS_PING, "", 0);
    CHECK(fails(1002, "new message inside a fragmented one", 14));
}


static void
test_max_message(void)
{
    unsigned char  *d;

    d = pattern(300, 1);

    /* too big: fails on the length, before the payload arrives */

    reset();
    put_frame(NGX_CWEB_WS_BINARY, 1, 0, d, 101);
    strcat(expect, "E1009\n");
    CHECK(runs_as_expected(100, 0));
    run(BYTES, 100, 0);
    CHECK(got_fail_at == 2 && strcmp(got_error, "message too big") == 0);

    /* 16 and 64-bit lengths: on their last byte */
    reset();
    put_frame(NGX_CWEB_WS_BINARY, 1, 0, d, 300);
    run(BYTES, 299, 0);
    CHECK(strcmp(got, "E1009\n") == 0 && got_fail_at == 4);

    reset();
    put("\x82\xff\x00\x00\x00\x01\x00\x00\x00\x00", 10);
    run(BYTES, MIB, 0);
    CHECK(strcmp(got, "E1009\n") == 0 && got_fail_at == 10);

    /* the limit is on the message, across its fragments */

    reset();
    put_frame(NGX_CWEB_WS_TEXT, 0, 0, d, 60);
    put_frame(NGX_CWEB_WS_PING, 1, 0, d, 100);
    put_frame(NGX_CWEB_WS_CONT, 1, 0, d + 60, 40);
    put_frame(NGX_CWEB_WS_TEXT, 0, 0, d, 50);
    put_frame(NGX_CWEB_WS_CONT, 1, 0, d, 51);
    expect_ctl(NGX_CWEB_WS_PING, d, 100);
    expect_msg(NGX_CWEB_WS_TEXT, 0, d, 100);
    strcat(expect, "E1009\n");
    CHECK(runs_as_expected(100, 0));

    /* the largest length there is, under a limit as large */
    reset();
    put("\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff" "abcd", 14);
    CHECK(runs_as_expected(UINT64_MAX, 0));

    free(d);
}


static void
test_writer(void)
{
    int             op;
    size_t          n, i;
    unsigned char   h[NGX_CWEB_WS_MAX_HEADER], *d;
    static struct {
        uint64_t    len;
        size_t      hlen;
        const char *bytes;
    } hdrs[] = {
        { 0, 2, "\x82\x00" },
        { 125, 2, "\x82\x7d" },
        { 126, 4, "\x82\x7e\x00\x7e" },
        { 65535, 4, "\x82\x7e\xff\xff" },
        { 65536, 10, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00" },
        { 0x7fffffffffffffffULL, 10,
          "\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff" },
    };

    for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
        n = ngx_cweb_ws_frame_header(h, NGX_CWEB_WS_BINARY, 1, 0, hdrs[i].len);
        CHECK(n == hdrs[i].hlen && memcmp(h, hdrs[i].bytes, n) == 0);
    }

    /* flags and opcode; server frames have no mask bit */
    CHECK(ngx_cweb_ws_frame_header(h, NGX_CWEB_WS_TEXT, 0, 1, 5) == 2
          && h[0] == 0x41 && h[1] == 0x05);
    CHECK(ngx_cweb_ws_frame_header(h, NGX_CWEB_WS_PING, 1, 0, 0) == 2
          && h[0] == 0x89 && h[1] == 0x00);
    CHECK(ngx_cweb_ws_frame_header(h, NGX_CWEB_WS_CONT, 1, 0, 300) == 4
          && h[0] == 0x80 && (h[1] & 0x80) == 0);

    /* what it writes parses (put_frame() masks it like a client) */

    d = pattern(70000, 1);

    for (op = NGX_CWEB_WS_TEXT; op <= NGX_CWEB_WS_BINARY; op++) {
        reset();
        put_frame(op, 0, 1, d, 200);
        put_frame(NGX_CWEB_WS_PONG, 1, 0, d, 125);
        put_frame(NGX_CWEB_WS_CONT, 0, 0, d + 200, 69800);
        put_frame(NGX_CWEB_WS_CONT, 1, 0, "", 0);
        expect_ctl(NGX_CWEB_WS_PONG, d, 125);
        expect_msg(op, 1, d, 70000);
        CHECK(runs_as_expected(0, 1));
    }

    /* with deflate, RSV1 is still refused where it may not be */
    reset();
    put_frame(NGX_CWEB_WS_BINARY, 0, 1, "a", 1);
    put_frame(NGX_CWEB_WS_CONT, 1, 1, "b", 1);
    run(BYTES, 0, 1);
    CHECK(strcmp(got, "E1002\n") == 0 && got_fail_at == 8
          && strcmp(got_error, "rsv1 on a continuation frame") == 0);

    reset();
    put_frame(NGX_CWEB_WS_PING, 1, 1, "", 0);
    run(BYTES, 0, 1);
    CHECK(strcmp(got, "E1002\n") == 0 && got_fail_at == 1
          && strcmp(got_error, "rsv1 on a control frame") == 0);

    free(d);
}


static void
unmask_bytes(unsigned char *d, size_t n, const unsigned char *mask)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        d[i] ^= mask[i & 3];
    }
}


static void
test_speed(void)
{
    int                   i, rounds;
    double                t, tb;
    size_t                used;
    clock_t               start;
    unsigned char        *d;
    ngx_cweb_ws_event_t   ev;
    ngx_cweb_ws_parser_t  p;

    d = pattern(MIB, 0);
    reset();
    put_frame(NGX_CWEB_WS_BINARY, 1, 0, d, MIB);
    free(d);

    rounds = 64;
    start = clock();

    for (i = 0; i < rounds; i++) {
        ngx_cweb_ws_parser_init(&p, 0, 0);
        CHECK(ngx_cweb_ws_parse(&p, st, st_len, &used, &ev)
              == NGX_CWEB_WS_DATA && ev.len == MIB && used == st_len);
    }

    t = (double) (clock() - start) / CLOCKS_PER_SEC;

    /* the same bytes XORed one at a time, for comparison */

    start = clock();

    for (i = 0; i < rounds; i++) {
        unmask_bytes(st + 14, MIB, st + 10);
    }

    tb = (double) (clock() - start) / CLOCKS_PER_SEC;

    printf("# parse of a 1 MiB masked binary message: %.0f MB/s "
           "(a byte-at-a-time XOR loop: %.0f MB/s)\n",
           t > 0 ? rounds / t : 0.0, tb > 0 ? rounds / tb : 0.0);

    /* text: unmasking and UTF-8 validation */

    d = pattern(MIB, 1);
    reset();
    put_frame(NGX_CWEB_WS_TEXT, 1, 0, d, MIB);
    free(d);

    t = 0;

    for (i = 0; i < rounds; i++) {
        ngx_cweb_ws_parser_init(&p, 0, 0);

        start = clock();
        CHECK(ngx_cweb_ws_parse(&p, st, st_len, &used, &ev)
              == NGX_CWEB_WS_DATA && ev.len == MIB);
        t += (double) (clock() - start) / CLOCKS_PER_SEC;

        /* mask it again: parsed twice it would not be text */
        unmask_bytes(st + 14, MIB, st + 10);
    }

    printf("# parse of a 1 MiB masked ASCII text message: %.0f MB/s\n",
           t > 0 ? rounds / t : 0.0);
}

int
main(void)
{
    /*
     * line-buffered: the FAIL lines reach a pipe even when a sanitizer
     * ends the process, before exit() would flush stdout
     */
    setvbuf(stdout, NULL, _IOLBF, 0);

    test_sizes();
    test_many();
    test_fragments();
    test_errors();
    test_max_message();
    test_writer();
    test_speed();

    free(st);

    return check_report();
}
