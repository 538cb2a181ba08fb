
/*
 * Unit tests for src/ngx_cweb_multipart.c; no nginx needed.
 *
 * Build and run from the top of the source tree:
 *
 *   mkdir -p objs/unit
 *   cc -std=c11 -Wall -Wextra -Werror -Isrc -o objs/unit/test_multipart \
 *       t/unit/test_multipart.c src/ngx_cweb_multipart.c
 *   objs/unit/test_multipart
 *
 * With sanitizers, add: -g -fsanitize=address,undefined
 *   -fno-sanitize-recover=all
 *
 * Prints one line per failed check and finally "N passed, N failed";
 * exits non-zero if any check failed.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_cweb_multipart.h"


#include "check.h"

/* binary-safe comparison of a (pointer, length) pair with a literal */
#define EQ(p, n, lit)                                                        \
    ((p) != NULL && (n) == sizeof(lit) - 1                                   \
     && memcmp((p), (lit), sizeof(lit) - 1) == 0)

#define U(s)  ((const unsigned char *) (s))
#define L(s)  (sizeof(s) - 1)

#define MAXP  8


static const unsigned char *bnd;
static size_t               bnd_len;
static ngx_cweb_mp_part_t   parts[MAXP];
static size_t               nparts;
static const char          *err;


static int
boundary(const char *ct)
{
    bnd = NULL;
    bnd_len = 0;

    return ngx_cweb_mp_boundary(U(ct), strlen(ct), &bnd, &bnd_len);
}


static int
parse_n(const char *body, size_t len, const char *b, size_t max)
{
    memset(parts, 0xa5, sizeof(parts));
    nparts = (size_t) -1;
    err = NULL;

    return ngx_cweb_mp_parse(U(body), len, U(b), strlen(b), parts, max,
                             &nparts, &err);
}


#define PARSE(body, b)  parse_n(body, L(body), b, MAXP)
#define FAILS_WITH(body, b, msg)                                             \
    (PARSE(body, b) == -1 && err != NULL && strcmp(err, msg) == 0            \
     && nparts == 0)


static void
test_boundary(void)
{
    char  buf[128];

    CHECK(boundary("multipart/form-data; boundary=abc") == 0);
    CHECK(EQ(bnd, bnd_len, "abc"));

    /* quoted, with characters that need quoting */
    CHECK(boundary("multipart/form-data; boundary=\"a b:c?\"") == 0);
    CHECK(EQ(bnd, bnd_len, "a b:c?"));

    /* case-insensitive media type and parameter name */
    CHECK(boundary("Multipart/Form-Data; BOUNDARY=XyZ") == 0);
    CHECK(EQ(bnd, bnd_len, "XyZ"));

    /* any parameter order, odd spacing, empty parameters */
    CHECK(boundary("multipart/form-data; charset=utf-8; boundary=b1") == 0);
    CHECK(EQ(bnd, bnd_len, "b1"));
    CHECK(boundary("  multipart/form-data ;boundary = b2 ;; ") == 0);
    CHECK(EQ(bnd, bnd_len, "b2"));

    /* a quoted parameter may contain ";" and "boundary=" */
    CHECK(boundary("multipart/form-data; x=\"a;boundary=evil\\\"\"; "
                   "boundary=good") == 0);
    CHECK(EQ(bnd, bnd_len, "good"));

    /* unquoted boundaries as sent by JavaMail and browsers */
    CHECK(boundary("multipart/form-data; boundary=----=_Part_0_1.2") == 0);
    CHECK(EQ(bnd, bnd_len, "----=_Part_0_1.2"));
    CHECK(boundary("multipart/form-data; "
                   "boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW") == 0);
    CHECK(EQ(bnd, bnd_len, "----WebKitFormBoundary7MA4YWxkTrZu0gW"));

    /* the one curl sent, see test_curl() */
    CHECK(boundary("multipart/form-data; "
                   "boundary=------------------------d1443f230954d453") == 0);
    CHECK(EQ(bnd, bnd_len, "------------------------d1443f230954d453"));

    /* length limits: 70 is the maximum */
    memset(buf, 0, sizeof(buf));
    strcpy(buf, "multipart/form-data; boundary=");
    memset(buf + strlen(buf), 'x', 70);
    CHECK(boundary(buf) == 0 && bnd_len == 70);
    strcat(buf, "x");
    CHECK(boundary(buf) == -1);

    /* bad content types */
    CHECK(boundary("text/plain; boundary=abc") == -1);
    CHECK(boundary("multipart/mixed; boundary=abc") == -1);
    CHECK(boundary("multipart/form-datax; boundary=abc") == -1);
    CHECK(boundary("multipart/form-dat; boundary=abc") == -1);
    CHECK(boundary("application/x-www-form-urlencoded") == -1);
    CHECK(boundary("") == -1);
    CHECK(ngx_cweb_mp_boundary(NULL, 0, &bnd, &bnd_len) == -1);

    /* missing or invalid boundaries */
    CHECK(boundary("multipart/form-data") == -1);
    CHECK(boundary("multipart/form-data;") == -1);
    CHECK(boundary("multipart/form-data; charset=utf-8") == -1);
    CHECK(boundary("multipart/form-data; boundary=") == -1);
    CHECK(boundary("multipart/form-data; boundary=\"\"") == -1);
    CHECK(boundary("multipart/form-data; boundary=\"abc") == -1);
    CHECK(boundary("multipart/form-data; boundary=\"abc \"") == -1);
    CHECK(boundary("multipart/form-data; boundary=\"a\\\"b\"") == -1);
    CHECK(boundary("multipart/form-data; boundary=a b") == -1);
    CHECK(boundary("multipart/form-data; boundary=a; boundary=b") == -1);
    CHECK(boundary("multipart/form-data; boundary") == -1);
    CHECK(boundary("multipart/form-data boundary=abc") == -1);
}


static void
test_simple(void)
{
    static const char  body[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"lang\"\r\n"
        "\r\n"
        "c\r\n"
        "--XyZ\r\n"
        "content-disposition: form-data; name=\"src\"; filename=\"a b.c\"\r\n"
        "CONTENT-TYPE:   text/x-csrc \r\n"
        "X-Ignored: yes\r\n"
        "\r\n"
        "int main(void)\r\n{\r\n    return 0;\r\n}\r\n"
        "\r\n"
        "--XyZ\r\n"
        "Content-Disposition: FORM-DATA; NAME=flags; FileName=\"\"\r\n"
        "\r\n"
        "\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"q\\\"x\"; "
        "filename*=utf-8''a\r\n"
        "\r\n"
        "v\r\n"
        "--XyZ--\r\n";

    CHECK(PARSE(body, "XyZ") == 0);
    CHECK(err == NULL);
    CHECK(nparts == 4);

    CHECK(EQ(parts[0].name, parts[0].name_len, "lang"));
    CHECK(parts[0].filename == NULL && parts[0].filename_len == 0);
    CHECK(parts[0].content_type == NULL && parts[0].content_type_len == 0);
    CHECK(EQ(parts[0].data, parts[0].data_len, "c"));

    CHECK(EQ(parts[1].name, parts[1].name_len, "src"));
    CHECK(EQ(parts[1].filename, parts[1].filename_len, "a b.c"));
    CHECK(EQ(parts[1].content_type, parts[1].content_type_len,
             "text/x-csrc"));
    CHECK(EQ(parts[1].data, parts[1].data_len,
             "int main(void)\r\n{\r\n    return 0;\r\n}\r\n"));

    /* token name, empty filename is present, empty data */
    CHECK(EQ(parts[2].name, parts[2].name_len, "flags"));
    CHECK(parts[2].filename != NULL && parts[2].filename_len == 0);
    CHECK(parts[2].data != NULL && parts[2].data_len == 0);

    /* escapes are kept verbatim; filename* is ignored */
    CHECK(EQ(parts[3].name, parts[3].name_len, "q\\\"x"));
    CHECK(parts[3].filename == NULL);
    CHECK(EQ(parts[3].data, parts[3].data_len, "v"));
}


/* captured from: curl -F lang=c -F 'src=@up.c;type=text/x-csrc' */

static void
test_curl(void)
{
    static const char  ct[] =
        "multipart/form-data; "
        "boundary=------------------------d1443f230954d453";
    static const char  body[] =
        "--------------------------d1443f230954d453\r\n"
        "Content-Disposition: form-data; name=\"lang\"\r\n"
        "\r\n"
        "c\r\n"
        "--------------------------d1443f230954d453\r\n"
        "Content-Disposition: form-data; name=\"src\"; filename=\"up.c\"\r\n"
        "Content-Type: text/x-csrc\r\n"
        "\r\n"
        "int main(void)\n{\n    return 0;\n}\n"
        "\r\n"
        "--------------------------d1443f230954d453--\r\n";

    CHECK(ngx_cweb_mp_boundary(U(ct), L(ct), &bnd, &bnd_len) == 0);
    CHECK(ngx_cweb_mp_parse(U(body), L(body), bnd, bnd_len, parts, MAXP,
                            &nparts, &err) == 0);
    CHECK(nparts == 2);
    CHECK(EQ(parts[0].name, parts[0].name_len, "lang"));
    CHECK(EQ(parts[0].data, parts[0].data_len, "c"));
    CHECK(EQ(parts[1].name, parts[1].name_len, "src"));
    CHECK(EQ(parts[1].filename, parts[1].filename_len, "up.c"));
    CHECK(EQ(parts[1].content_type, parts[1].content_type_len,
             "text/x-csrc"));
    CHECK(EQ(parts[1].data, parts[1].data_len,
             "int main(void)\n{\n    return 0;\n}\n"));
}


static void
test_binary(void)
{
    size_t          i, n, dlen;
    unsigned char   body[1024], data[512];

    /*
     * All byte values, then things that resemble a delimiter but are not:
     * a boundary prefix, a longer boundary, a delimiter after a bare LF
     * (the body uses CRLF) and one followed by garbage.
     */

    dlen = 0;

    for (i = 0; i < 256; i++) {
        data[dlen++] = (unsigned char) i;
    }

#define APPEND(s)  memcpy(data + dlen, s, L(s)); dlen += L(s)

    APPEND("\r\n--bound\r\n");
    APPEND("\r\n--boundaryX\r\n");
    APPEND("\n--boundary\r\n");
    APPEND("\r\n--boundary-\r\n");
    APPEND("\r\n--boundary--x\r\n");
    APPEND("\r\n--boundary x\r\n");
    APPEND("x--boundary\r\n");
    APPEND("\0\r\n\r\n\0\r");

    n = 0;

#define BODY(s)  memcpy(body + n, s, L(s)); n += L(s)

    BODY("--boundary\r\n"
         "Content-Disposition: form-data; name=\"bin\"; filename=\"x.bin\"\r\n"
         "Content-Type: application/octet-stream\r\n"
         "\r\n");
    memcpy(body + n, data, dlen);
    n += dlen;
    BODY("\r\n--boundary--");

    CHECK(ngx_cweb_mp_parse(body, n, U("boundary"), 8, parts, MAXP, &nparts,
                            &err) == 0);
    CHECK(nparts == 1);
    CHECK(parts[0].data_len == dlen
          && memcmp(parts[0].data, data, dlen) == 0);
    CHECK(EQ(parts[0].content_type, parts[0].content_type_len,
             "application/octet-stream"));

    /* data that is nothing but CR and LF */

    CHECK(PARSE("--b\r\nContent-Disposition: form-data; name=x\r\n\r\n"
                "\r\n\r\n\r\n--b--\r\n", "b") == 0);
    CHECK(nparts == 1 && EQ(parts[0].data, parts[0].data_len, "\r\n\r\n"));
}


static void
test_framing(void)
{
    /* the first delimiter line ends the preamble, whatever follows */
    CHECK(PARSE("This is a preamble.\r\n--b\r\nignored: x\r\n\r\n"
                "--b \t\r\n"
                "Content-Disposition: form-data; name=a\r\n\r\n1\r\n"
                "--b--  \r\nepilogue\r\n--b\r\n", "b") == -1);

    CHECK(PARSE("This is a preamble.\r\n"
                "--b \t\r\n"
                "Content-Disposition: form-data; name=a\r\n\r\n1\r\n"
                "--b\t\r\n"
                "Content-Disposition: form-data; name=b\r\n\r\n2\r\n"
                "--b-- \r\n"
                "epilogue\r\n--b\r\nContent-Disposition: bogus\r\n", "b") == 0);
    CHECK(nparts == 2);
    CHECK(EQ(parts[0].name, parts[0].name_len, "a"));
    CHECK(EQ(parts[0].data, parts[0].data_len, "1"));
    CHECK(EQ(parts[1].name, parts[1].name_len, "b"));
    CHECK(EQ(parts[1].data, parts[1].data_len, "2"));

    /* close delimiter at the very end, without CRLF */
    CHECK(PARSE("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
                "--b--", "b") == 0);
    CHECK(nparts == 1 && EQ(parts[0].data, parts[0].data_len, "1"));

    /* bare LF line endings throughout; a CR in the data is data */
    CHECK(PARSE("--b\n"
                "Content-Disposition: form-data; name=a\n\nline1\nline2\r\n"
                "--b\n"
                "Content-Disposition: form-data; name=\"f\"; filename=\"f\"\n"
                "Content-Type: text/plain\n\n"
                "x\n"
                "--b--\n", "b") == 0);
    CHECK(nparts == 2);
    CHECK(EQ(parts[0].data, parts[0].data_len, "line1\nline2\r"));
    CHECK(EQ(parts[1].filename, parts[1].filename_len, "f"));
    CHECK(EQ(parts[1].content_type, parts[1].content_type_len,
             "text/plain"));
    CHECK(EQ(parts[1].data, parts[1].data_len, "x"));

    /* folded header value */
    CHECK(PARSE("--b\r\nContent-Disposition: form-data;\r\n"
                "\tname=\"folded\"\r\n\r\nv\r\n--b--\r\n", "b") == 0);
    CHECK(nparts == 1 && EQ(parts[0].name, parts[0].name_len, "folded"));

    /* an empty form */
    CHECK(PARSE("--b--\r\n", "b") == 0 && nparts == 0);
    CHECK(parse_n("--b--\r\n", 7, "b", 0) == 0 && nparts == 0);
}


static void
test_errors(void)
{
    size_t              i, n;
    char               *big;
    static const char   two[] =
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
        "--b\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n"
        "--b--\r\n";

    /* missing closing boundary: truncated body, or no close at all */
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                     "data", "b", "no closing boundary"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                     "data\r\n--b", "b", "no closing boundary"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                     "data\r\n--b--x\r\n", "b", "no closing boundary"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                     "data\n--b--\n", "b", "no closing boundary"));

    /* headers directly followed by the delimiter: no CRLF before it */
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                     "--b--\r\n", "b", "no closing boundary"));

    CHECK(FAILS_WITH("", "b", "no opening boundary"));
    CHECK(FAILS_WITH("hello\r\n", "b", "no opening boundary"));
    CHECK(FAILS_WITH("--bb\r\n", "b", "no opening boundary"));
    CHECK(FAILS_WITH("--b", "b", "no opening boundary"));
    CHECK(ngx_cweb_mp_parse(NULL, 0, U("b"), 1, parts, MAXP, &nparts, &err)
          == -1);

    CHECK(FAILS_WITH("--b\r\n", "", "invalid boundary"));

    /* too many parts */
    CHECK(parse_n(two, L(two), "b", 1) == -1);
    CHECK(err != NULL && strcmp(err, "too many parts") == 0 && nparts == 0);
    CHECK(parse_n(two, L(two), "b", 0) == -1);
    CHECK(err != NULL && strcmp(err, "too many parts") == 0);
    CHECK(parse_n(two, L(two), "b", 2) == 0 && nparts == 2);

    /* bad part headers */
    CHECK(FAILS_WITH("--b\r\n\r\nx\r\n--b--\r\n", "b",
                     "part without content-disposition"));
    CHECK(FAILS_WITH("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n",
                     "b", "part without content-disposition"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=a\r\n",
                     "b", "unterminated part headers"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition form-data\r\n\r\nx\r\n"
                     "--b--\r\n", "b", "malformed part header"));
    CHECK(FAILS_WITH("--b\r\nContent Disposition: form-data\r\n\r\nx\r\n"
                     "--b--\r\n", "b", "malformed part header"));
    CHECK(FAILS_WITH("--b\r\n: x\r\n\r\nx\r\n--b--\r\n", "b",
                     "malformed part header"));
    CHECK(FAILS_WITH("--b\r\n name=a\r\n\r\nx\r\n--b--\r\n", "b",
                     "malformed part header"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: attachment; name=a\r\n\r\n"
                     "x\r\n--b--\r\n", "b",
                     "content-disposition is not form-data"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data\r\n\r\n"
                     "x\r\n--b--\r\n", "b", "part without name"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; filename=a\r\n"
                     "\r\nx\r\n--b--\r\n", "b", "part without name"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=\"a\r\n"
                     "\r\nx\r\n--b--\r\n", "b",
                     "malformed content-disposition"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=a b\r\n"
                     "\r\nx\r\n--b--\r\n", "b",
                     "malformed content-disposition"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=\r\n"
                     "\r\nx\r\n--b--\r\n", "b",
                     "malformed content-disposition"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=a; "
                     "name=b\r\n\r\nx\r\n--b--\r\n", "b",
                     "duplicate name parameter"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=a\r\n"
                     "Content-Disposition: form-data; name=b\r\n\r\nx\r\n"
                     "--b--\r\n", "b", "duplicate content-disposition"));
    CHECK(FAILS_WITH("--b\r\nContent-Disposition: form-data; name=a\r\n"
                     "Content-Type: a/b\r\nContent-Type: c/d\r\n\r\nx\r\n"
                     "--b--\r\n", "b", "duplicate content-type"));

    /* header block over the limit, and exactly at it */

    big = malloc(2 * NGX_CWEB_MP_MAX_HEADERS);
    if (big == NULL) {
        CHECK(big != NULL);
        return;
    }

    for (i = 0; i < 2; i++) {
        n = 0;
        memcpy(big, "--b\r\nContent-Disposition: form-data; name=a\r\nX: ",
               48);
        n = 48;

        /* the block starts after "--b\r\n" and ends with "\r\n\r\n" */
        while (n < 5 + NGX_CWEB_MP_MAX_HEADERS - 4 + i) {
            big[n++] = 'x';
        }

        memcpy(big + n, "\r\n\r\nv\r\n--b--\r\n", 14);
        n += 14;

        CHECK(parse_n(big, n, "b", MAXP) == (i == 0 ? 0 : -1));

        if (i == 0) {
            CHECK(nparts == 1 && EQ(parts[0].data, parts[0].data_len, "v"));

        } else {
            CHECK(err != NULL && strcmp(err, "part headers too long") == 0);
        }
    }

    free(big);
}


int
main(void)
{
    /*
     * line-buffered: the FAIL lines reach a pipe even when a sanitizer
     * ends the process, before exit() would flush stdout
     */
    setvbuf(stdout, NULL, _IOLBF, 0);

    test_boundary();
    test_simple();
    test_curl();
    test_binary();
    test_framing();
    test_errors();

    return check_report();
}
