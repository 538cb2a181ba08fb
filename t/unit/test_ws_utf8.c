
/*
 * Unit tests for src/ngx_cweb_ws_frame.c: UTF-8 validation of text and
 * close reasons, close codes; no nginx needed.  The harness is
 * t/unit/ws_stream.h.
 *
 * Build and run from the top of the source tree:
 *
 *   mkdir -p objs/unit
 *   cc -std=c11 -Wall -Wextra -Werror -Isrc -o objs/unit/test_ws_utf8 \
 *       t/unit/test_ws_utf8.c src/ngx_cweb_ws_frame.c
 *   objs/unit/test_ws_utf8
 *
 * With sanitizers, add: -g -fsanitize=address,undefined
 *   -fno-sanitize-recover=all
 *
 * Prints one line per failed check and finally "N passed, N failed";
 * exits non-zero if any check failed.
 */


#include "ws_stream.h"

typedef struct {
    const char  *s;
    size_t       len;
    /* the index of the first invalid byte; -1 valid; -2 incomplete */
    int          bad;
} utf8_case_t;

#define UC(s, bad)  { s, L(s), bad }

static utf8_case_t  utf8_cases[] = {
    UC("", -1),
    UC("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1"
       "-UTF-8!!", -1),
    UC("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", -1),
    UC("\x7f", -1),
    UC("\xc2\x80", -1),
    UC("\xdf\xbf", -1),
    UC("\xe0\xa0\x80", -1),
    UC("\xed\x9f\xbf", -1),
    UC("\xee\x80\x80", -1),
    UC("\xef\xbf\xbd", -1),
    UC("\xef\xbf\xbe", -1),
    UC("\xef\xbf\xbf", -1),
    UC("\xf0\x90\x80\x80", -1),
    UC("\xf4\x8f\xbf\xbf", -1),
    UC("0123456789abcdef\xf0\x9f\x98\x80" "0123456789abcdefghij", -1),

    /* overlongs */
    UC("\xc0\x80", 0),
    UC("\xc1\xbf", 0),
    UC("\xe0\x80\xaf", 1),
    UC("\xe0\x9f\xbf", 1),
    UC("\xf0\x80\x80\xaf", 1),
    UC("\xf0\x8f\xbf\xbf", 1),
    UC("\xf8\x88\x80\x80\x80", 0),
    UC("\xfc\x84\x80\x80\x80\x80", 0),

    /* surrogates, alone and paired */
    UC("\xed\xa0\x80", 1),
    UC("\xed\xad\xbf", 1),
    UC("\xed\xb0\x80", 1),
    UC("\xed\xbf\xbf", 1),
    UC("\xed\xa0\x80\xed\xb0\x80", 1),
    UC("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited", 12),

    /* above U+10FFFF, lead bytes that cannot be */
    UC("\xf4\x90\x80\x80", 1),
    UC("\xf5\x80\x80\x80", 0),
    UC("\xf7\xbf\xbf\xbf", 0),
    UC("\xfe", 0),
    UC("\xff", 0),
    UC("abc\xff", 3),

    /* continuation bytes where none is due, lead bytes cut short */
    UC("\x80", 0),
    UC("\xbf", 0),
    UC("a\x80\xbf", 1),
    UC("\xc2\x41", 1),
    UC("\xe1\x80\x41", 2),
    UC("\xf1\x80\x80\x41", 3),
    UC("\xc2\xc2\x80", 1),
    UC("0123456789abcdef\x80", 16),

    /* truncated at the end */
    UC("\xc2", -2),
    UC("\xe0\xa0", -2),
    UC("\xf0\x90\x80", -2),
    UC("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce", -2),
};


static void
test_utf8_validator(void)
{
    int                 rc, want;
    size_t              i, j, k;
    utf8_case_t        *c;
    ngx_cweb_ws_utf8_t  u;

    for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
        c = &utf8_cases[i];
        want = c->bad == -1 ? NGX_CWEB_WS_UTF8_OK
               : (c->bad == -2 ? NGX_CWEB_WS_UTF8_INCOMPLETE
                  : NGX_CWEB_WS_UTF8_INVALID);

        /* whole */
        memset(&u, 0, sizeof(u));
        rc = ngx_cweb_ws_utf8(&u, U(c->s), c->len);
        CHECK(rc == want);

        if (rc != want) {
            printf("utf-8 case %zu: %d, expected %d\n", i, rc, want);
        }

        /* byte by byte: invalid at exactly the bad byte, not before */
        memset(&u, 0, sizeof(u));

        for (j = 0; j < c->len; j++) {
            rc = ngx_cweb_ws_utf8(&u, U(c->s) + j, 1);

            if (rc == NGX_CWEB_WS_UTF8_INVALID) {
                break;
            }
        }

        CHECK(c->bad >= 0 ? (rc == NGX_CWEB_WS_UTF8_INVALID
                             && j == (size_t) c->bad)
                          : j == c->len && rc == want);

        /* cut in two at every point */
        for (k = 0; k <= c->len; k++) {
            memset(&u, 0, sizeof(u));
            rc = ngx_cweb_ws_utf8(&u, U(c->s), k);

            if (rc != NGX_CWEB_WS_UTF8_INVALID) {
                rc = ngx_cweb_ws_utf8(&u, U(c->s) + k, c->len - k);
            }

            CHECK(rc == want);
        }
    }
}


/* a non-ASCII byte at every place of the words the ASCII scan reads */

static void
test_utf8_words(void)
{
    size_t              at, start;
    unsigned char       buf[48];
    ngx_cweb_ws_utf8_t  u;

    for (start = 0; start < 8; start++) {
        for (at = start; at + 2 <= 40; at++) {
            memset(buf, 'a', sizeof(buf));

            buf[at] = 0x80;
            memset(&u, 0, sizeof(u));
            CHECK(ngx_cweb_ws_utf8(&u, buf + start, 40 - start)
                  == NGX_CWEB_WS_UTF8_INVALID);

            buf[at] = 0xc2;
            memset(&u, 0, sizeof(u));
            CHECK(ngx_cweb_ws_utf8(&u, buf + start, 40 - start)
                  == NGX_CWEB_WS_UTF8_INVALID);

            buf[at + 1] = 0xb5;
            memset(&u, 0, sizeof(u));
            CHECK(ngx_cweb_ws_utf8(&u, buf + start, 40 - start)
                  == NGX_CWEB_WS_UTF8_OK);
        }
    }
}


static void
test_utf8_messages(void)
{
    size_t                  i, j, used;
    utf8_case_t            *c;
    ngx_cweb_ws_event_t     ev;
    ngx_cweb_ws_parser_t    p;
    static unsigned char    buf[64];

    for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
        c = &utf8_cases[i];

        /* in one frame: fails fast, at the bad byte */
        reset();
        put_frame(NGX_CWEB_WS_TEXT, 1, 0, c->s, c->len);

        if (c->bad == -1) {
            expect_msg(NGX_CWEB_WS_TEXT, 0, c->s, c->len);
            CHECK(runs_as_expected(0, 0));

        } else {
            CHECK(fails(1007, "invalid utf-8 in text",
                        c->bad >= 0 ? 6 + (size_t) c->bad + 1 : st_len));
        }

        /* in one frame per byte, a ping in the middle */
        reset();

        for (j = 0; j < c->len; j++) {
            put_frame(j ? NGX_CWEB_WS_CONT : NGX_CWEB_WS_TEXT, 0, 0,
                      c->s + j, 1);

            /* seen unless the parser failed before it */

            if (j == c->len / 2) {
                put_frame(NGX_CWEB_WS_PING, 1, 0, "", 0);

                if (c->bad < 0 || j < (size_t) c->bad) {
                    expect_ctl(NGX_CWEB_WS_PING, "", 0);
                }
            }
        }

        put_frame(c->len ? NGX_CWEB_WS_CONT : NGX_CWEB_WS_TEXT, 1, 0, "", 0);

        if (c->bad == -1) {
            expect_msg(NGX_CWEB_WS_TEXT, 0, c->s, c->len);
            CHECK(runs_as_expected(0, 0));

        } else {
            CHECK(fails(1007, "invalid utf-8 in text", 0));
        }

        /* binary is not text */
        reset();
        put_frame(NGX_CWEB_WS_BINARY, 1, 0, c->s, c->len);
        expect_msg(NGX_CWEB_WS_BINARY, 0, c->s, c->len);
        CHECK(runs_as_expected(0, 0));

        /* compressed text is the caller's to validate, after inflation */
        reset();
        put_frame(NGX_CWEB_WS_TEXT, 1, 1, c->s, c->len);
        expect_msg(NGX_CWEB_WS_TEXT, 1, c->s, c->len);
        CHECK(runs_as_expected(0, 1));
    }

    /* a code point split across a frame boundary and inside a read */
    reset();
    put_frame(NGX_CWEB_WS_TEXT, 0, 0, "a\xf0\x9f", 3);
    put_frame(NGX_CWEB_WS_CONT, 1, 0, "\x98\x80", 2);
    memcpy(buf, st, st_len);
    ngx_cweb_ws_parser_init(&p, 0, 0);
    CHECK(ngx_cweb_ws_parse(&p, buf, 8, &used, &ev) == NGX_CWEB_WS_DATA
          && ev.len == 2 && memcmp(ev.data, "a\xf0", 2) == 0);
    CHECK(ngx_cweb_ws_parse(&p, buf + 8, 7, &used, &ev) == NGX_CWEB_WS_DATA
          && ev.len == 1 && used == 1 && !ev.fin);
    CHECK(ngx_cweb_ws_parse(&p, buf + 9, 7, &used, &ev) == NGX_CWEB_WS_DATA
          && ev.len == 1 && used == 7 && !ev.fin);
    CHECK(ngx_cweb_ws_parse(&p, buf + 16, 1, &used, &ev) == NGX_CWEB_WS_DATA
          && ev.len == 1 && ev.fin);
}


static void
test_close(void)
{
    size_t          i, n;
    unsigned char   pl[NGX_CWEB_WS_MAX_CONTROL];
    static struct {
        unsigned    code;
        int         valid;
    } codes[] = {
        { 0, 0 }, { 999, 0 }, { 1000, 1 }, { 1001, 1 }, { 1002, 1 },
        { 1003, 1 }, { 1004, 0 }, { 1005, 0 }, { 1006, 0 }, { 1007, 1 },
        { 1008, 1 }, { 1009, 1 }, { 1010, 1 }, { 1011, 1 }, { 1012, 1 },
        { 1013, 1 }, { 1014, 1 }, { 1015, 0 }, { 1016, 0 }, { 1100, 0 },
        { 2000, 0 }, { 2999, 0 }, { 3000, 1 }, { 3999, 1 }, { 4000, 1 },
        { 4999, 1 }, { 5000, 0 }, { 65535, 0 }
    };

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        CHECK(ngx_cweb_ws_close_code_valid(codes[i].code) == codes[i].valid);

        pl[0] = codes[i].code >> 8;
        pl[1] = codes[i].code & 0xff;
        memcpy(pl + 2, "bye", 3);

        reset();
        put_frame(NGX_CWEB_WS_CLOSE, 1, 0, pl, 5);

        if (codes[i].valid) {
            expect_ctl(NGX_CWEB_WS_CLOSE, pl, 5);
            logf_(expect, "X%u 3 %llx\n", codes[i].code,
                  hash("bye", 3, HASH0));
            CHECK(runs_as_expected(0, 0));

        } else {
            CHECK(fails(1002, "invalid close code", 0));
        }
    }

    /* no payload: 1005; one byte: 1002 */
    reset();
    put_frame(NGX_CWEB_WS_CLOSE, 1, 0, "", 0);
    expect_ctl(NGX_CWEB_WS_CLOSE, "", 0);
    logf_(expect, "X1005 0 %llx\n", HASH0);
    CHECK(runs_as_expected(0, 0));

    reset();
    put_frame(NGX_CWEB_WS_CLOSE, 1, 0, "\x03", 1);
    CHECK(fails(1002, "close frame of 1 byte", 0));

    /* the reason is UTF-8, checked as a whole */
    reset();
    put_frame(NGX_CWEB_WS_CLOSE, 1, 0, "\x03\xe8\xce\xba\xed\xa0\x80", 7);
    CHECK(fails(1007, "invalid utf-8 in close reason", 0));
    reset();
    put_frame(NGX_CWEB_WS_CLOSE, 1, 0, "\x03\xe8\xce", 3);
    CHECK(fails(1007, "invalid utf-8 in close reason", 0));

    /* after a close, a message's UTF-8 state is not the reason's */
    reset();
    put_frame(NGX_CWEB_WS_TEXT, 0, 0, "\xce", 1);
    put_frame(NGX_CWEB_WS_CLOSE, 1, 0, "\x03\xe8", 2);
    expect_ctl(NGX_CWEB_WS_CLOSE, "\x03\xe8", 2);
    logf_(expect, "X1000 0 %llx\n", HASH0);
    CHECK(runs_as_expected(0, 0));

    /* what follows a close is discarded, even garbage */
    reset();
    put_frame(NGX_CWEB_WS_CLOSE, 1, 0, "\x03\xe8ok", 4);
    put_frame(NGX_CWEB_WS_TEXT, 1, 0, "late", 4);
    put("\xff\xff", 2);
    expect_ctl(NGX_CWEB_WS_CLOSE, "\x03\xe8ok", 4);
    logf_(expect, "X1000 2 %llx\n", hash("ok", 2, HASH0));
    CHECK(runs_as_expected(0, 0));

    /* the writer: code and reason, cut at 123 bytes on a code point */

    CHECK(ngx_cweb_ws_close_payload(pl, 0, "x", 1) == 0);
    n = ngx_cweb_ws_close_payload(pl, 1000, NULL, 0);
    CHECK(n == 2 && memcmp(pl, "\x03\xe8", 2) == 0);
    n = ngx_cweb_ws_close_payload(pl, 4000, "bye", 3);
    CHECK(n == 5 && memcmp(pl, "\x0f\xa0" "bye", 5) == 0);

    {
        char  reason[200];

        memset(reason, 'r', sizeof(reason));
        CHECK(ngx_cweb_ws_close_payload(pl, 1000, reason, 123) == 125);
        CHECK(ngx_cweb_ws_close_payload(pl, 1000, reason, 200) == 125);

        /* a 3-byte code point at 122..124 is left out whole */
        memcpy(reason + 122, "\xe2\x82\xac", 3);
        CHECK(ngx_cweb_ws_close_payload(pl, 1000, reason, 200) == 124);

        /* a 2-byte one ending at 122 is kept */
        memcpy(reason + 121, "\xc2\xb5", 2);
        memset(reason + 123, 'r', 3);
        CHECK(ngx_cweb_ws_close_payload(pl, 1000, reason, 200) == 125);
        CHECK(memcmp(pl + 123, "\xc2\xb5", 2) == 0);

        /* the cut one round-trips: it is valid UTF-8 */
        memset(reason, 0, sizeof(reason));
        for (i = 0; i + 4 <= sizeof(reason); i += 4) {
            memcpy(reason + i, "\xf0\x9f\x98\x80", 4);
        }

        n = ngx_cweb_ws_close_payload(pl, 1001, reason, 200);
        CHECK(n == 2 + 120);

        reset();
        put_frame(NGX_CWEB_WS_CLOSE, 1, 0, pl, n);
        expect_ctl(NGX_CWEB_WS_CLOSE, pl, n);
        logf_(expect, "X1001 %llu %llx\n", (ull) n - 2,
              hash(pl + 2, n - 2, HASH0));
        CHECK(runs_as_expected(0, 0));
    }
}

int
main(void)
{
    /*
     * line-buffered: the FAIL lines reach a pipe even when a sanitizer
     * ends the process, before exit() would flush stdout
     */
    setvbuf(stdout, NULL, _IOLBF, 0);

    test_utf8_validator();
    test_utf8_words();
    test_utf8_messages();
    test_close();

    free(st);

    return check_report();
}
