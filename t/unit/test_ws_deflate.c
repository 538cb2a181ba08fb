
/*
 * Unit tests for src/ngx_cweb_ws_deflate.c (permessage-deflate, RFC 7692);
 * no nginx needed, zlib only.  Run by `make unit`, or:
 *
 *   mkdir -p objs/unit
 *   cc -std=c11 -Wall -Wextra -Werror -Isrc -o objs/unit/test_ws_deflate \
 *       t/unit/test_ws_deflate.c src/ngx_cweb_ws_deflate.c -lz
 *   objs/unit/test_ws_deflate
 *
 * Prints one line per failed check and finally "N passed, N failed".
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "ngx_cweb_ws_deflate.h"


#include "check.h"

#define U(s)   ((const unsigned char *) (s))
#define MIB    ((size_t) 1 << 20)

#define OK        NGX_CWEB_WS_DEFLATE_OK
#define ERROR     NGX_CWEB_WS_DEFLATE_ERROR
#define DECLINED  NGX_CWEB_WS_DEFLATE_DECLINED
#define TOO_BIG   NGX_CWEB_WS_DEFLATE_TOO_BIG
#define BAD_DATA  NGX_CWEB_WS_DEFLATE_BAD_DATA

#define ALWAYS  "permessage-deflate; server_no_context_takeover; " \
                "client_no_context_takeover"


/* a growable output buffer; refuses once calls reach fail_at (if set) */
typedef struct {
    unsigned char  *p;
    size_t          len;
    size_t          cap;
    size_t          calls;
    size_t          max_chunk;
    size_t          fail_at;
} buf_t;


/* the zlib hooks, counting */
typedef struct {
    size_t          live;
    size_t          peak;
    size_t          allocs;
    size_t          frees;
} mem_t;


static ngx_cweb_ws_deflate_params_t  params;
static unsigned char                 resp[NGX_CWEB_WS_DEFLATE_RESPONSE_LEN + 8];
static size_t                        resp_len;


static int
append(void *data, const unsigned char *p, size_t len)
{
    buf_t  *b = data;

    b->calls++;

    if (b->fail_at && b->calls >= b->fail_at) {
        return -1;
    }

    if (len == 0) {
        return 0;
    }

    /* no test needs more: an unbounded inflater fails instead of swapping */
    if (b->len + len > 64 * MIB) {
        return -1;
    }

    if (len > b->max_chunk) {
        b->max_chunk = len;
    }

    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL) {
            abort();
        }
    }

    memcpy(b->p + b->len, p, len);
    b->len += len;

    return 0;
}


static void
buf_reset(buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof(buf_t));
}


static voidpf
mem_alloc(voidpf opaque, uInt items, uInt size)
{
    mem_t   *m = opaque;
    size_t  *p, n;

    n = (size_t) items * size;
    p = malloc(n + sizeof(size_t) * 2);
    if (p == NULL) {
        return NULL;
    }

    p[0] = n;
    m->live += n;
    m->allocs++;

    if (m->live > m->peak) {
        m->peak = m->live;
    }

    return p + 2;
}


static void
mem_free(voidpf opaque, voidpf address)
{
    mem_t   *m = opaque;
    size_t  *p = address;

    p -= 2;
    m->live -= p[0];
    m->frees++;
    free(p);
}


static int
nego_conf(const char *value, unsigned server, unsigned client)
{
    int                         rc;
    ngx_cweb_ws_deflate_conf_t  conf;

    conf.server_max_window_bits = server;
    conf.client_max_window_bits = client;

    memset(&params, 0, sizeof(params));
    memset(resp, 0xa5, sizeof(resp));
    resp_len = 0;

    rc = ngx_cweb_ws_deflate_negotiate(U(value), value ? strlen(value) : 0,
                                       &conf, &params, resp, &resp_len);

    /* never past the documented bound */
    CHECK(resp_len <= NGX_CWEB_WS_DEFLATE_RESPONSE_LEN);
    CHECK(resp[NGX_CWEB_WS_DEFLATE_RESPONSE_LEN] == 0xa5);

    return rc;
}


static int
nego(const char *value)
{
    return nego_conf(value, 15, 15);
}


static int
resp_is(const char *lit)
{
    return resp_len == strlen(lit) && memcmp(resp, lit, resp_len) == 0;
}


/* accepted with exactly this answer and these windows */
static int
accepted(const char *value, const char *answer, unsigned sbits,
    unsigned cbits)
{
    return nego(value) == OK && resp_is(answer)
           && params.server_window_bits == sbits
           && params.client_window_bits == cbits;
}


static void
test_negotiate_basic(void)
{
    /* no extension header, or no permessage-deflate in it */
    CHECK(nego(NULL) == DECLINED);
    CHECK(nego("") == DECLINED);
    CHECK(nego("   ") == DECLINED);
    CHECK(nego("x-webkit-deflate-frame") == DECLINED);
    CHECK(nego("foo, bar; baz=1; q=\"a, b\"") == DECLINED);
    CHECK(nego("deflate-frame; no_context_takeover") == DECLINED);

    /* Firefox, Chrome, then another extension first */
    CHECK(accepted("permessage-deflate", ALWAYS, 15, 15));
    CHECK(accepted("permessage-deflate; client_max_window_bits", ALWAYS,
                   15, 15));
    CHECK(accepted("foo; x=1, permessage-deflate", ALWAYS, 15, 15));
    CHECK(accepted("permessage-deflate; server_no_context_takeover; "
                   "client_no_context_takeover", ALWAYS, 15, 15));

    /* only the whole name */
    CHECK(nego("permessage-deflatex") == DECLINED);
    CHECK(nego("xpermessage-deflate") == DECLINED);
    CHECK(nego("permessage-deflate-x; server_max_window_bits=10")
          == DECLINED);

    /* the case of the names does not matter; our answer is lower case */
    CHECK(accepted("PerMessage-Deflate", ALWAYS, 15, 15));
    CHECK(accepted("PERMESSAGE-DEFLATE; Server_Max_Window_Bits=10",
                   ALWAYS "; server_max_window_bits=10", 10, 15));
}


static void
test_negotiate_windows(void)
{
    /* server_max_window_bits: answered with min(offer, ours) */
    CHECK(accepted("permessage-deflate; server_max_window_bits=10",
                   ALWAYS "; server_max_window_bits=10", 10, 15));
    CHECK(accepted("permessage-deflate; server_max_window_bits=8",
                   ALWAYS "; server_max_window_bits=8", 8, 15));
    CHECK(accepted("permessage-deflate; server_max_window_bits=15",
                   ALWAYS "; server_max_window_bits=15", 15, 15));
    CHECK(nego_conf("permessage-deflate; server_max_window_bits=12", 9, 15)
          == OK);
    CHECK(resp_is(ALWAYS "; server_max_window_bits=9"));
    CHECK(params.server_window_bits == 9);

    /* not offered: not answered (Firefox), our window used */
    CHECK(nego_conf("permessage-deflate", 11, 15) == OK);
    CHECK(resp_is(ALWAYS) && params.server_window_bits == 11);

    /* client_max_window_bits: asked only when offered */
    CHECK(nego_conf("permessage-deflate", 15, 10) == OK);
    CHECK(resp_is(ALWAYS) && params.client_window_bits == 15);

    CHECK(nego_conf("permessage-deflate; client_max_window_bits", 15, 10)
          == OK);
    CHECK(resp_is(ALWAYS "; client_max_window_bits=10"));
    CHECK(params.client_window_bits == 10);

    CHECK(nego_conf("permessage-deflate; client_max_window_bits=12", 15, 9)
          == OK);
    CHECK(resp_is(ALWAYS "; client_max_window_bits=9"));
    CHECK(params.client_window_bits == 9);

    /* the client's own limit is below ours: nothing to ask, inflate with it */
    CHECK(nego_conf("permessage-deflate; client_max_window_bits=9", 15, 12)
          == OK);
    CHECK(resp_is(ALWAYS) && params.client_window_bits == 9);

    /* the longest answer fits the bound (nego_conf checks the canary) */
    CHECK(nego_conf("permessage-deflate; server_max_window_bits=15; "
                    "client_max_window_bits=15", 15, 14) == OK);
    CHECK(resp_is(ALWAYS "; server_max_window_bits=15; "
                  "client_max_window_bits=14"));
    CHECK(nego_conf("permessage-deflate; server_max_window_bits=10; "
                    "client_max_window_bits", 15, 9) == OK);
    CHECK(resp_is(ALWAYS "; server_max_window_bits=10; "
                  "client_max_window_bits=9"));

    /* bad configuration or arguments */
    CHECK(nego_conf("permessage-deflate", 16, 15) == ERROR);
    CHECK(nego_conf("permessage-deflate", 15, 7) == ERROR);
    CHECK(ngx_cweb_ws_deflate_negotiate(NULL, 3, NULL, &params, resp,
                                        &resp_len) == ERROR);
    CHECK(ngx_cweb_ws_deflate_negotiate(U("permessage-deflate"), 18, NULL,
                                        &params, resp, &resp_len) == OK);
}


static void
test_negotiate_invalid(void)
{
    size_t       i;
    char         s[128];
    const char  *bad[] = {
        "server_max_window_bits=7", "server_max_window_bits=16",
        "server_max_window_bits=x", "server_max_window_bits=08",
        "server_max_window_bits=010", "server_max_window_bits=\"\"",
        "server_max_window_bits=\"16\"", "server_max_window_bits=-9",
        "server_max_window_bits=9999999999999999999", "server_max_window_bits",
        "client_max_window_bits=7", "client_max_window_bits=16",
        "client_max_window_bits=x", "client_max_window_bits=\"7\"",
        "server_no_context_takeover=1", "client_no_context_takeover=\"\"",
        "unknown", "server_max_window=10",
        "server_no_context_takeover; server_no_context_takeover",
        "client_no_context_takeover; client_no_context_takeover",
        "server_max_window_bits=10; server_max_window_bits=10",
        "client_max_window_bits; client_max_window_bits=10",
        "client_max_window_bits=9; Client_Max_Window_Bits=9",
        NULL
    };

    /* each breaks its offer alone: the next plain offer is taken */

    for (i = 0; bad[i] != NULL; i++) {
        snprintf(s, sizeof(s), "permessage-deflate; %s", bad[i]);
        CHECK(nego(s) == DECLINED);

        snprintf(s, sizeof(s), "permessage-deflate; %s, permessage-deflate; "
                 "server_max_window_bits=12", bad[i]);
        if (!accepted(s, ALWAYS "; server_max_window_bits=12", 12, 15)) {
            printf("  offer: %s\n", bad[i]);
            CHECK(0);
        }
    }

    /* the window boundaries themselves are valid */
    CHECK(accepted("permessage-deflate; client_max_window_bits=8", ALWAYS,
                   15, 8));
    CHECK(accepted("permessage-deflate; client_max_window_bits=15", ALWAYS,
                   15, 15));
    CHECK(accepted("permessage-deflate; server_max_window_bits=9",
                   ALWAYS "; server_max_window_bits=9", 9, 15));

    /* the first of several valid offers wins */
    CHECK(accepted("permessage-deflate; server_max_window_bits=10, "
                   "permessage-deflate",
                   ALWAYS "; server_max_window_bits=10", 10, 15));
}


static void
test_negotiate_syntax(void)
{
    /* quoted-strings, escapes included (RFC 6455 9.1) */
    CHECK(accepted("permessage-deflate; client_max_window_bits=\"10\"",
                   ALWAYS, 15, 10));
    CHECK(accepted("permessage-deflate; server_max_window_bits=\"1\\2\"",
                   ALWAYS "; server_max_window_bits=12", 12, 15));

    /* a comma or an offer inside another extension's quotes is no offer */
    CHECK(accepted("x; a=\"1, permessage-deflate; server_max_window_bits=8\""
                   ", permessage-deflate; server_max_window_bits=9",
                   ALWAYS "; server_max_window_bits=9", 9, 15));
    CHECK(accepted("x; a=\"\\\", permessage-deflate; "
                   "server_max_window_bits=8\", permessage-deflate",
                   ALWAYS, 15, 15));

    /* whitespace around the separators, empty list elements */
    CHECK(accepted("  permessage-deflate ;server_max_window_bits = 10 ;"
                   "\tclient_max_window_bits\t", ALWAYS
                   "; server_max_window_bits=10", 10, 15));
    CHECK(accepted(" , ,permessage-deflate,", ALWAYS, 15, 15));
    CHECK(accepted("foo,permessage-deflate;server_max_window_bits=11",
                   ALWAYS "; server_max_window_bits=11", 11, 15));

    /* a syntax error ends the list: later offers are not delimited */
    CHECK(nego("permessage-deflate; server_max_window_bits=\"10") == DECLINED);
    CHECK(nego("permessage-deflate;;") == DECLINED);
    CHECK(nego("permessage-deflate; =10") == DECLINED);
    CHECK(nego("permessage-deflate; server_max_window_bits=") == DECLINED);
    CHECK(nego("permessage-deflate; server_max_window_bits=1 0") == DECLINED);
    CHECK(nego("permessage-deflate x") == DECLINED);
    CHECK(nego("\"permessage-deflate\"") == DECLINED);
    CHECK(nego("foo; a=\"b\x01\", permessage-deflate") == DECLINED);
    CHECK(nego("foo;, permessage-deflate") == DECLINED);

    /* what came before the error stands */
    CHECK(accepted("permessage-deflate, foo;;", ALWAYS, 15, 15));
}


/* our compressor over one message */
static int
deflate_msg(int level, unsigned bits, const unsigned char *in, size_t len,
    buf_t *out)
{
    int                    rc;
    ngx_cweb_ws_deflate_t  d;

    if (ngx_cweb_ws_deflate_init(&d, level, bits, NULL, NULL, NULL) != OK) {
        return ERROR;
    }

    rc = ngx_cweb_ws_deflate_message(&d, in, len, append, out);
    ngx_cweb_ws_deflate_free(&d);

    return rc;
}


/* plain zlib: payload + tail, raw inflate with the given window */
static int
zlib_inflate(const unsigned char *in, size_t len, int bits, buf_t *out)
{
    int            rc;
    z_stream       zs;
    unsigned char  *all, chunk[4096];

    all = malloc(len + 4);

    if (len != 0) {
        memcpy(all, in, len);
    }

    memcpy(all + len, "\x00\x00\xff\xff", 4);

    memset(&zs, 0, sizeof(zs));
    inflateInit2(&zs, -bits);
    zs.next_in = all;
    zs.avail_in = len + 4;

    do {
        zs.next_out = chunk;
        zs.avail_out = sizeof(chunk);
        rc = inflate(&zs, Z_SYNC_FLUSH);
        append(out, chunk, sizeof(chunk) - zs.avail_out);
    } while (rc == Z_OK && (zs.avail_in != 0 || zs.avail_out == 0));

    inflateEnd(&zs);
    free(all);

    return (rc == Z_OK || rc == Z_BUF_ERROR || rc == Z_STREAM_END) ? 0 : -1;
}


/* our inflater, fed in pieces of step bytes */
static int
inflate_steps(const unsigned char *in, size_t len, size_t step,
    unsigned bits, size_t max, buf_t *out)
{
    int                    rc;
    size_t                 n;
    ngx_cweb_ws_inflate_t  inf;

    if (ngx_cweb_ws_inflate_init(&inf, bits, max, NULL, NULL, NULL) != OK) {
        return ERROR;
    }

    do {
        n = (len < step) ? len : step;
        rc = ngx_cweb_ws_inflate_feed(&inf, in, n, n == len, append, out);
        in += n;
        len -= n;
    } while (rc == OK && len != 0);

    ngx_cweb_ws_inflate_free(&inf);

    return rc;
}


/* what a browser sends: raw deflate, Z_SYNC_FLUSH, tail removed */
static size_t
browser_message(z_stream *zs, const unsigned char *in, size_t len,
    unsigned char *out, size_t size)
{
    size_t  n;

    zs->next_in = (unsigned char *) in;
    zs->avail_in = len;
    zs->next_out = out;
    zs->avail_out = size;

    deflate(zs, Z_SYNC_FLUSH);

    n = size - zs->avail_out;

    return (n >= 4 && memcmp(out + n - 4, "\x00\x00\xff\xff", 4) == 0)
           ? n - 4 : 0;
}


static void
fill(unsigned char *p, size_t len, int compressible, unsigned seed)
{
    size_t              i;
    static const char   text[] = "the quick brown fox jumps over the dog. ";

    srand(seed);

    for (i = 0; i < len; i++) {
        p[i] = compressible ? text[i % (sizeof(text) - 1)] : rand() & 0xff;
    }
}


static int
same(buf_t *b, const unsigned char *p, size_t len)
{
    return b->len == len && (len == 0 || memcmp(b->p, p, len) == 0);
}


static void
test_roundtrip(void)
{
    int             c, lvl;
    size_t          i, len;
    buf_t           z, back, ref;
    unsigned char  *data;
    static const size_t  sizes[] = { 0, 1, 125, 126, 65535, 65536, MIB };
    static const int     levels[] = { 1, Z_DEFAULT_COMPRESSION, 9 };

    data = malloc(MIB);
    memset(&z, 0, sizeof(z));
    memset(&back, 0, sizeof(back));
    memset(&ref, 0, sizeof(ref));

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        for (c = 0; c < 2; c++) {
            for (lvl = 0; lvl < 3; lvl++) {
                len = sizes[i];
                fill(data, len, c, i + 1);

                CHECK(deflate_msg(levels[lvl], 15, data, len, &z) == OK);

                /* plain zlib reads it as RFC 7692 7.2.2 says */
                CHECK(zlib_inflate(z.p, z.len, 15, &ref) == 0);
                CHECK(same(&ref, data, len));

                CHECK(inflate_steps(z.p, z.len, z.len + 1, 15, MIB, &back)
                      == OK);
                CHECK(same(&back, data, len));

                CHECK(z.max_chunk <= NGX_CWEB_WS_DEFLATE_CHUNK);
                CHECK(back.max_chunk <= NGX_CWEB_WS_DEFLATE_CHUNK);

                if (c && len == MIB) {
                    CHECK(z.len < len / 50);
                }

                buf_reset(&z);
                buf_reset(&back);
                buf_reset(&ref);
            }
        }
    }

    free(data);
}


static void
test_windows(void)
{
    unsigned        bits;
    size_t          i, len;
    buf_t           z, ref;
    unsigned char  *data;

    /* 1000 random bytes, 64 times: matches 1000 bytes back */
    len = 64000;
    data = malloc(len);
    fill(data, 1000, 0, 7);

    for (i = 1000; i < len; i++) {
        data[i] = data[i - 1000];
    }

    memset(&z, 0, sizeof(z));
    memset(&ref, 0, sizeof(ref));

    /* each window's output inflates within that window (8: zlib's 9) */

    for (bits = 8; bits <= 15; bits++) {
        CHECK(deflate_msg(6, bits, data, len, &z) == OK);
        CHECK(zlib_inflate(z.p, z.len, bits, &ref) == 0);
        CHECK(same(&ref, data, len));

        /* zlib reaches back window - 262 bytes: not 1000 below 11 bits */
        if (bits <= 10) {
            CHECK(z.len > len / 2);
        } else {
            CHECK(z.len < len / 10);
        }

        buf_reset(&z);
        buf_reset(&ref);
    }

    /* and our inflater uses its window: 9 bits cannot reach 1000 back */
    CHECK(deflate_msg(6, 15, data, len, &z) == OK);
    CHECK(inflate_steps(z.p, z.len, z.len, 15, MIB, &ref) == OK);
    buf_reset(&ref);
    CHECK(inflate_steps(z.p, z.len, z.len, 9, MIB, &ref) == BAD_DATA);
    buf_reset(&ref);
    buf_reset(&z);

    free(data);
}


static void
test_tail(void)
{
    int             c;
    size_t          n, len;
    buf_t           z, ref;
    z_stream        zs;
    unsigned char  *data, *raw;

    memset(&z, 0, sizeof(z));
    memset(&ref, 0, sizeof(ref));

    /* RFC 7692 7.2.3.1's bytes exactly */
    CHECK(deflate_msg(Z_DEFAULT_COMPRESSION, 15, U("Hello"), 5, &z) == OK);
    CHECK(same(&z, U("\xf2\x48\xcd\xc9\xc9\x07\x00"), 7));
    buf_reset(&z);

    /* the empty message is the single byte 0x00 (7.2.3.6) */
    CHECK(deflate_msg(Z_DEFAULT_COMPRESSION, 15, NULL, 0, &z) == OK);
    CHECK(same(&z, U("\x00"), 1));
    buf_reset(&z);

    /*
     * Byte for byte zlib's own sync-flushed stream without its last 4 bytes,
     * also when the output crosses the chunk boundary (held-back bytes).
     */

    len = 300000;
    data = malloc(len);
    raw = malloc(len * 2);

    for (c = 0; c < 2; c++) {
        fill(data, len, c, 3);

        memset(&zs, 0, sizeof(zs));
        deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
        n = browser_message(&zs, data, len, raw, len * 2);
        deflateEnd(&zs);

        CHECK(n > 0);
        CHECK(deflate_msg(6, 15, data, len, &z) == OK);
        CHECK(same(&z, raw, n));
        CHECK(z.calls > 1 || c);
        buf_reset(&z);
    }

    /*
     * The marker may straddle two output chunks (or end one exactly):
     * stored and barely compressible messages around one chunk's size.
     */

    for (c = 0; c < 2; c++) {
        for (len = NGX_CWEB_WS_DEFLATE_CHUNK - 64;
             len < NGX_CWEB_WS_DEFLATE_CHUNK + 64;
             len++)
        {
            fill(data, len, 0, 5);
            CHECK(deflate_msg(c ? 1 : 0, 15, data, len, &z) == OK);
            CHECK(zlib_inflate(z.p, z.len, 15, &ref) == 0);
            CHECK(same(&ref, data, len));
            buf_reset(&z);
            buf_reset(&ref);
        }
    }

    free(raw);
    free(data);
}


static void
test_chunks(void)
{
    int             c;
    size_t          len, i;
    buf_t           z, back;
    unsigned char  *data;

    len = MIB;
    data = malloc(len);
    memset(&z, 0, sizeof(z));
    memset(&back, 0, sizeof(back));

    for (c = 0; c < 2; c++) {
        fill(data, c ? len : 70000, c, 11);
        CHECK(deflate_msg(6, 15, data, c ? len : 70000, &z) == OK);

        CHECK(inflate_steps(z.p, z.len, 1, 15, MIB, &back) == OK);
        CHECK(same(&back, data, c ? len : 70000));
        buf_reset(&back);

        CHECK(inflate_steps(z.p, z.len, 7, 15, MIB, &back) == OK);
        CHECK(same(&back, data, c ? len : 70000));
        buf_reset(&back);
        buf_reset(&z);
    }

    /* empty frames in between and a FIN frame with no payload */
    {
        ngx_cweb_ws_inflate_t  inf;

        fill(data, 5000, 1, 5);
        CHECK(deflate_msg(6, 15, data, 5000, &z) == OK);
        CHECK(ngx_cweb_ws_inflate_init(&inf, 15, MIB, NULL, NULL, NULL)
              == OK);

        for (i = 0; i < z.len; i++) {
            CHECK(ngx_cweb_ws_inflate_feed(&inf, NULL, 0, 0, append, &back)
                  == OK);
            CHECK(ngx_cweb_ws_inflate_feed(&inf, z.p + i, 1, 0, append,
                                           &back) == OK);
        }

        CHECK(ngx_cweb_ws_inflate_feed(&inf, NULL, 0, 1, append, &back)
              == OK);
        CHECK(same(&back, data, 5000));
        ngx_cweb_ws_inflate_free(&inf);
        buf_reset(&back);
        buf_reset(&z);
    }

    free(data);
}


/* a bit writer for hand-made deflate streams */
typedef struct {
    unsigned char  *p;
    size_t          len;
    unsigned        acc;
    unsigned        nbits;
} bits_t;


static void
put_bits(bits_t *b, unsigned v, unsigned n)
{
    b->acc |= v << b->nbits;
    b->nbits += n;

    while (b->nbits >= 8) {
        b->p[b->len++] = b->acc & 0xff;
        b->acc >>= 8;
        b->nbits -= 8;
    }
}


/* Huffman codes go most significant bit first */
static void
put_code(bits_t *b, unsigned code, unsigned n)
{
    unsigned  r, i;

    for (r = 0, i = 0; i < n; i++) {
        r |= ((code >> i) & 1) << (n - 1 - i);
    }

    put_bits(b, r, n);
}


/*
 * A deflate bomb: one fixed-Huffman block, the literal 0 and then matches
 * of 258 bytes at distance 1 (13 bits each), sync flushed, tail removed.
 */
static size_t
make_bomb(unsigned char *p, size_t matches)
{
    size_t  i;
    bits_t  b = { p, 0, 0, 0 };

    put_bits(&b, 0, 1);
    put_bits(&b, 1, 2);
    put_code(&b, 0x30, 8);

    for (i = 0; i < matches; i++) {
        put_code(&b, 0xc5, 8);
        put_code(&b, 0, 5);
    }

    put_code(&b, 0, 7);
    put_bits(&b, 0, 3);

    if (b.nbits) {
        put_bits(&b, 0, 8 - b.nbits);
    }

    return b.len;
}


static void
test_bomb(void)
{
    int                    rc;
    mem_t                  m;
    size_t                 n, len, matches, fed;
    buf_t                  out;
    clock_t                t;
    unsigned char         *bomb;
    ngx_cweb_ws_inflate_t  inf;

    memset(&out, 0, sizeof(out));

    /* the hand-made stream is valid: 1000 matches inflate fully */
    bomb = malloc(8 * MIB);
    len = make_bomb(bomb, 1000);
    CHECK(zlib_inflate(bomb, len, 15, &out) == 0);
    CHECK(out.len == 1 + 258 * 1000);
    CHECK(out.p[0] == 0 && out.p[out.len - 1] == 0);
    buf_reset(&out);

    CHECK(inflate_steps(bomb, len, len, 15, 1 + 258 * 1000, &out) == OK);
    CHECK(out.len == 1 + 258 * 1000);
    buf_reset(&out);

    /* one byte more than the bound */
    CHECK(inflate_steps(bomb, len, len, 15, 258 * 1000, &out) == TOO_BIG);
    CHECK(out.len <= 258 * 1000);
    buf_reset(&out);

    CHECK(inflate_steps(bomb, len, 1, 15, 258 * 1000, &out) == TOO_BIG);
    CHECK(out.len <= 258 * 1000);
    buf_reset(&out);

    /* 1 GiB of zeros in 6.8 MB, bound 1 MiB, 4 KB frames */
    matches = ((size_t) 1 << 30) / 258 + 1;
    len = make_bomb(bomb, matches);
    CHECK(len < 8 * MIB);

    memset(&m, 0, sizeof(m));
    CHECK(ngx_cweb_ws_inflate_init(&inf, 15, MIB, mem_alloc, mem_free, &m)
          == OK);

    t = clock();
    fed = 0;

    do {
        n = (len - fed < 4096) ? len - fed : 4096;
        rc = ngx_cweb_ws_inflate_feed(&inf, bomb + fed, n, fed + n == len,
                                      append, &out);
        fed += n;
    } while (rc == OK && fed < len);

    t = clock() - t;

    CHECK(rc == TOO_BIG);
    CHECK(out.len <= MIB);
    CHECK(out.len > MIB - NGX_CWEB_WS_DEFLATE_CHUNK);
    /* stopped at the frame that crossed 1 MiB (~53 KB of input) */
    CHECK(fed <= 64 * 1024);
    CHECK(m.peak < 64 * 1024);
    CHECK(t < CLOCKS_PER_SEC / 2);

    /* the inflater was reset: the next message is fine */
    buf_reset(&out);
    CHECK(ngx_cweb_ws_inflate_feed(&inf, U("\xf2\x48\xcd\xc9\xc9\x07\x00"),
                                   7, 1, append, &out) == OK);
    CHECK(same(&out, U("Hello"), 5));
    ngx_cweb_ws_inflate_free(&inf);
    CHECK(m.live == 0);
    buf_reset(&out);

    /* in one piece too */
    t = clock();
    CHECK(inflate_steps(bomb, len, len, 15, MIB, &out) == TOO_BIG);
    CHECK(clock() - t < CLOCKS_PER_SEC / 2);
    CHECK(out.len <= MIB);
    buf_reset(&out);

    free(bomb);
}


static void
test_bound(void)
{
    buf_t                  z, out;
    unsigned char          data[1001];
    ngx_cweb_ws_inflate_t  inf;

    memset(&z, 0, sizeof(z));
    memset(&out, 0, sizeof(out));
    fill(data, sizeof(data), 0, 9);

    /* exactly max_message passes, one more byte does not */
    CHECK(deflate_msg(6, 15, data, 1000, &z) == OK);
    CHECK(inflate_steps(z.p, z.len, z.len, 15, 1000, &out) == OK);
    CHECK(same(&out, data, 1000));
    buf_reset(&out);
    buf_reset(&z);

    CHECK(deflate_msg(6, 15, data, 1001, &z) == OK);
    CHECK(inflate_steps(z.p, z.len, z.len, 15, 1000, &out) == TOO_BIG);
    CHECK(out.len <= 1000);
    buf_reset(&out);
    CHECK(inflate_steps(z.p, z.len, 1, 15, 1000, &out) == TOO_BIG);
    CHECK(out.len <= 1000);
    buf_reset(&out);
    buf_reset(&z);

    /* the bound is per message */
    CHECK(deflate_msg(6, 15, data, 800, &z) == OK);
    CHECK(ngx_cweb_ws_inflate_init(&inf, 15, 1000, NULL, NULL, NULL) == OK);
    CHECK(ngx_cweb_ws_inflate_feed(&inf, z.p, z.len, 1, append, &out) == OK);
    CHECK(ngx_cweb_ws_inflate_feed(&inf, z.p, z.len, 1, append, &out) == OK);
    CHECK(out.len == 1600);
    ngx_cweb_ws_inflate_free(&inf);
    buf_reset(&out);
    buf_reset(&z);
}


static void
test_corrupt(void)
{
    int             rc;
    size_t          i, cut, bad;
    buf_t           z, out;
    unsigned char   junk[512];

    memset(&z, 0, sizeof(z));
    memset(&out, 0, sizeof(out));

    /* reserved block type 11 */
    CHECK(inflate_steps(U("\xff\xff\xff"), 3, 3, 15, MIB, &out) == BAD_DATA);
    buf_reset(&out);

    /* stored block whose NLEN is not ~LEN */
    CHECK(inflate_steps(U("\x00\x05\x00\x00\x00Hello\x00"), 11, 11, 15, MIB,
                        &out) == BAD_DATA);
    buf_reset(&out);

    /* 'a', then a match 5 bytes back: before the start of the message */
    {
        unsigned char  s[16];
        bits_t         b = { s, 0, 0, 0 };

        put_bits(&b, 0, 1);
        put_bits(&b, 1, 2);
        put_code(&b, 0x30 + 'a', 8);
        put_code(&b, 1, 7);
        put_code(&b, 4, 5);
        put_bits(&b, 0, 1);
        put_code(&b, 0, 7);
        put_bits(&b, 0, 3 + 8);

        CHECK(inflate_steps(s, b.len, b.len, 15, MIB, &out) == BAD_DATA);
        buf_reset(&out);
    }

    /* garbage: BAD_DATA mostly, never a crash, an ERROR or TOO_BIG */
    for (i = 0, bad = 0; i < 200; i++) {
        fill(junk, sizeof(junk), 0, 100 + i);
        rc = inflate_steps(junk, sizeof(junk), 64, 15, MIB, &out);
        CHECK(rc == OK || rc == BAD_DATA);
        bad += (rc == BAD_DATA);
        buf_reset(&out);
    }

    CHECK(bad > 190);

    /* a message cut short inside a block */
    fill(junk, sizeof(junk), 1, 1);
    CHECK(deflate_msg(6, 15, junk, sizeof(junk), &z) == OK);

    for (cut = 1; cut < 6; cut++) {
        rc = inflate_steps(z.p, z.len - cut, z.len, 15, MIB, &out);
        CHECK(rc == BAD_DATA);
        buf_reset(&out);
    }

    /* the output callback refusing stops with ERROR */
    out.fail_at = 1;
    CHECK(inflate_steps(z.p, z.len, z.len, 15, MIB, &out) == ERROR);
    buf_reset(&out);
    out.fail_at = 1;
    CHECK(deflate_msg(6, 15, junk, sizeof(junk), &out) == ERROR);
    buf_reset(&out);
    buf_reset(&z);
}


static void
test_interop(void)
{
    int                    i;
    size_t                 n;
    buf_t                  out;
    z_stream               zs;
    unsigned char          msg[2000], wire[4096];
    ngx_cweb_ws_inflate_t  inf;

    memset(&out, 0, sizeof(out));

    /* RFC 7692 7.2.3.1, 7.2.3.3 (stored), 7.2.3.4 (BFINAL), 7.2.3.5 */
    CHECK(inflate_steps(U("\xf2\x48\xcd\xc9\xc9\x07\x00"), 7, 7, 15, MIB,
                        &out) == OK);
    CHECK(same(&out, U("Hello"), 5));
    buf_reset(&out);
    CHECK(inflate_steps(U("\xf2\x48\xcd\xc9\xc9\x07\x00"), 7, 1, 15, MIB,
                        &out) == OK);
    CHECK(same(&out, U("Hello"), 5));
    buf_reset(&out);
    CHECK(inflate_steps(U("\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00"), 11,
                        11, 15, MIB, &out) == OK);
    CHECK(same(&out, U("Hello"), 5));
    buf_reset(&out);
    CHECK(inflate_steps(U("\xf3\x48\xcd\xc9\xc9\x07\x00\x00"), 8, 8, 15, MIB,
                        &out) == OK);
    CHECK(same(&out, U("Hello"), 5));
    buf_reset(&out);
    CHECK(inflate_steps(U("\xf2\x48\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\x07"
                          "\x00"), 13, 13, 15, MIB, &out) == OK);
    CHECK(same(&out, U("Hello"), 5));
    buf_reset(&out);

    /* 7.2.3.6's empty message, and a payload of nothing at all */
    CHECK(inflate_steps(U("\x00"), 1, 1, 15, MIB, &out) == OK);
    CHECK(out.len == 0);
    CHECK(inflate_steps(U(""), 0, 1, 15, MIB, &out) == OK);
    CHECK(out.len == 0);

    /* a browser without context takeover: messages one after the other */
    memset(&zs, 0, sizeof(zs));
    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
                 Z_DEFAULT_STRATEGY);
    CHECK(ngx_cweb_ws_inflate_init(&inf, 15, MIB, NULL, NULL, NULL) == OK);

    for (i = 0; i < 5; i++) {
        fill(msg, sizeof(msg), i & 1, 20 + i);
        deflateReset(&zs);
        n = browser_message(&zs, msg, sizeof(msg), wire, sizeof(wire));
        CHECK(n > 0);
        CHECK(ngx_cweb_ws_inflate_feed(&inf, wire, n, 1, append, &out)
              == OK);
        CHECK(same(&out, msg, sizeof(msg)));
        buf_reset(&out);
    }

    /*
     * With context takeover the second message refers to the first: we
     * negotiated client_no_context_takeover and keep no window, so it
     * must fail, even without a free in between.
     */

    deflateReset(&zs);
    fill(msg, sizeof(msg), 0, 40);
    n = browser_message(&zs, msg, sizeof(msg), wire, sizeof(wire));
    CHECK(ngx_cweb_ws_inflate_feed(&inf, wire, n, 1, append, &out) == OK);
    n = browser_message(&zs, msg, sizeof(msg), wire, sizeof(wire));
    CHECK(n < 100);
    CHECK(ngx_cweb_ws_inflate_feed(&inf, wire, n, 1, append, &out)
          == BAD_DATA);
    buf_reset(&out);

    ngx_cweb_ws_inflate_free(&inf);
    deflateEnd(&zs);
}


static void
test_memory(void)
{
    mem_t                  m;
    buf_t                  z, out;
    unsigned char          data[3000];
    ngx_cweb_ws_deflate_t  d;
    ngx_cweb_ws_inflate_t  inf;

    memset(&m, 0, sizeof(m));
    memset(&z, 0, sizeof(z));
    memset(&out, 0, sizeof(out));
    fill(data, sizeof(data), 1, 2);

    /* the compressor takes its memory from the hooks, and gives it back */
    CHECK(ngx_cweb_ws_deflate_init(&d, 6, 15, mem_alloc, mem_free, &m) == OK);
    CHECK(m.live > 0);
    CHECK(ngx_cweb_ws_deflate_message(&d, data, sizeof(data), append, &z)
          == OK);
    CHECK(ngx_cweb_ws_deflate_message(&d, data, sizeof(data), append, &z)
          == OK);
    ngx_cweb_ws_deflate_free(&d);
    ngx_cweb_ws_deflate_free(&d);
    CHECK(m.live == 0 && m.allocs == m.frees);

    /* the same message twice, each a stream of its own */
    CHECK(z.len % 2 == 0);
    CHECK(memcmp(z.p, z.p + z.len / 2, z.len / 2) == 0);
    z.len /= 2;

    /* an idle inflater holds nothing; a message, then free: nothing */
    memset(&m, 0, sizeof(m));
    CHECK(ngx_cweb_ws_inflate_init(&inf, 15, MIB, mem_alloc, mem_free, &m)
          == OK);
    CHECK(m.allocs == 0);
    CHECK(ngx_cweb_ws_inflate_feed(&inf, z.p, z.len, 1, append, &out) == OK);
    CHECK(same(&out, data, sizeof(data)));
    CHECK(m.allocs > 0 && m.live > 0);
    ngx_cweb_ws_inflate_free(&inf);
    CHECK(m.live == 0 && m.allocs == m.frees);

    /* usable again after free; reset mid-message starts over */
    buf_reset(&out);
    CHECK(ngx_cweb_ws_inflate_feed(&inf, z.p, 10, 0, append, &out) == OK);
    ngx_cweb_ws_inflate_reset(&inf);
    buf_reset(&out);
    CHECK(ngx_cweb_ws_inflate_feed(&inf, z.p, z.len, 1, append, &out) == OK);
    CHECK(same(&out, data, sizeof(data)));
    ngx_cweb_ws_inflate_free(&inf);
    ngx_cweb_ws_inflate_free(&inf);
    CHECK(m.live == 0);

    /* a small window costs less */
    memset(&m, 0, sizeof(m));
    CHECK(ngx_cweb_ws_inflate_init(&inf, 9, MIB, mem_alloc, mem_free, &m)
          == OK);
    CHECK(ngx_cweb_ws_inflate_feed(&inf, U("\xf2\x48\xcd\xc9\xc9\x07\x00"),
                                   7, 1, append, &out) == OK);
    CHECK(m.peak < 16 * 1024);
    ngx_cweb_ws_inflate_free(&inf);

    /* arguments out of range */
    CHECK(ngx_cweb_ws_inflate_init(&inf, 7, MIB, NULL, NULL, NULL) == ERROR);
    CHECK(ngx_cweb_ws_inflate_init(&inf, 16, MIB, NULL, NULL, NULL) == ERROR);
    CHECK(ngx_cweb_ws_inflate_init(&inf, 15, 0, NULL, NULL, NULL) == ERROR);
    CHECK(ngx_cweb_ws_inflate_feed(&inf, z.p, z.len, 1, append, &out)
          == ERROR);
    CHECK(ngx_cweb_ws_deflate_init(&d, 10, 15, NULL, NULL, NULL) == ERROR);
    CHECK(ngx_cweb_ws_deflate_init(&d, 6, 16, NULL, NULL, NULL) == ERROR);
    CHECK(ngx_cweb_ws_deflate_message(&d, data, 1, append, &out) == ERROR);
    ngx_cweb_ws_deflate_free(&d);

    buf_reset(&out);
    buf_reset(&z);
}


int
main(void)
{
    test_negotiate_basic();
    test_negotiate_windows();
    test_negotiate_invalid();
    test_negotiate_syntax();
    test_roundtrip();
    test_windows();
    test_tail();
    test_chunks();
    test_bomb();
    test_bound();
    test_corrupt();
    test_interop();
    test_memory();

    return check_report();
}
