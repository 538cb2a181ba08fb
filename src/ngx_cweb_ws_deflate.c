
/*
 * permessage-deflate, see ngx_cweb_ws_deflate.h.
 */


#include <string.h>
#include <zlib.h>

#include "ngx_cweb_ws_deflate.h"


/* the parameters of an offer, each at most once */
#define NGX_CWEB_WS_DEFLATE_SNCT  0x01
#define NGX_CWEB_WS_DEFLATE_CNCT  0x02
#define NGX_CWEB_WS_DEFLATE_SMWB  0x04
#define NGX_CWEB_WS_DEFLATE_CMWB  0x08

/* a parameter value longer than this is no window size; its length counts */
#define NGX_CWEB_WS_DEFLATE_VALUE  3

/* zlib counts input in uInt: larger messages go in slices */
#define NGX_CWEB_WS_DEFLATE_SLICE  ((size_t) 1 << 30)


typedef struct {
    const unsigned char  *start;
    const unsigned char  *end;
} ngx_cweb_ws_deflate_range_t;


typedef struct {
    /* bytes of the value after unescaping; only the first 3 are kept */
    size_t                len;
    unsigned char         data[NGX_CWEB_WS_DEFLATE_VALUE];
    unsigned              present:1;
} ngx_cweb_ws_deflate_value_t;


typedef struct {
    unsigned              seen;
    /* 0: not offered; client_max_window_bits without a value is 15 */
    unsigned              server_bits;
    unsigned              client_bits;
    unsigned              valid:1;
} ngx_cweb_ws_deflate_offer_t;


static const unsigned char  ngx_cweb_ws_deflate_tail[4] =
    { 0x00, 0x00, 0xff, 0xff };


static int ngx_cweb_ws_deflate_is_tchar(unsigned char c);
static const unsigned char *ngx_cweb_ws_deflate_ows(const unsigned char *p,
    const unsigned char *end);
static const unsigned char *ngx_cweb_ws_deflate_token(const unsigned char *p,
    const unsigned char *end);
static int ngx_cweb_ws_deflate_caseeq(ngx_cweb_ws_deflate_range_t *r,
    const char *lit);
static int ngx_cweb_ws_deflate_extension(const unsigned char **pos,
    const unsigned char *end, ngx_cweb_ws_deflate_offer_t *offer);
static int ngx_cweb_ws_deflate_value(const unsigned char **pos,
    const unsigned char *end, ngx_cweb_ws_deflate_value_t *v);
static void ngx_cweb_ws_deflate_param(ngx_cweb_ws_deflate_offer_t *offer,
    ngx_cweb_ws_deflate_range_t *name, ngx_cweb_ws_deflate_value_t *v);
static int ngx_cweb_ws_deflate_bits(ngx_cweb_ws_deflate_value_t *v);
static size_t ngx_cweb_ws_deflate_response(
    const ngx_cweb_ws_deflate_conf_t *conf,
    ngx_cweb_ws_deflate_offer_t *offer,
    ngx_cweb_ws_deflate_params_t *params, unsigned char *buf);
static unsigned char *ngx_cweb_ws_deflate_append(unsigned char *p,
    const char *name, unsigned bits);
static int ngx_cweb_ws_deflate_run(ngx_cweb_ws_deflate_t *d,
    unsigned char *buf, int flush, ngx_cweb_ws_deflate_out_pt out,
    void *data);
static int ngx_cweb_ws_inflate_run(ngx_cweb_ws_inflate_t *inf,
    const unsigned char *in, size_t len, ngx_cweb_ws_deflate_out_pt out,
    void *data);


#define ngx_cweb_ws_deflate_bits_ok(b)                                       \
    ((b) >= NGX_CWEB_WS_DEFLATE_MIN_BITS && (b) <= NGX_CWEB_WS_DEFLATE_MAX_BITS)


int
ngx_cweb_ws_deflate_negotiate(const unsigned char *value, size_t len,
    const ngx_cweb_ws_deflate_conf_t *conf,
    ngx_cweb_ws_deflate_params_t *params, unsigned char *response,
    size_t *response_len)
{
    const unsigned char          *p, *end;
    ngx_cweb_ws_deflate_conf_t    dflt;
    ngx_cweb_ws_deflate_offer_t   offer;

    if ((value == NULL && len != 0) || params == NULL || response == NULL
        || response_len == NULL)
    {
        return NGX_CWEB_WS_DEFLATE_ERROR;
    }

    if (conf == NULL) {
        dflt.server_max_window_bits = NGX_CWEB_WS_DEFLATE_MAX_BITS;
        dflt.client_max_window_bits = NGX_CWEB_WS_DEFLATE_MAX_BITS;
        conf = &dflt;
    }

    if (!ngx_cweb_ws_deflate_bits_ok(conf->server_max_window_bits)
        || !ngx_cweb_ws_deflate_bits_ok(conf->client_max_window_bits))
    {
        return NGX_CWEB_WS_DEFLATE_ERROR;
    }

    if (len == 0) {
        return NGX_CWEB_WS_DEFLATE_DECLINED;
    }

    p = value;
    end = value + len;

    for ( ;; ) {

        /* RFC 7230 7: empty list elements are allowed and ignored */

        while (p < end && (*p == ',' || *p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == end) {
            return NGX_CWEB_WS_DEFLATE_DECLINED;
        }

        if (ngx_cweb_ws_deflate_extension(&p, end, &offer) != 0) {
            return NGX_CWEB_WS_DEFLATE_DECLINED;
        }

        if (offer.valid) {
            *response_len = ngx_cweb_ws_deflate_response(conf, &offer, params,
                                                         response);
            return NGX_CWEB_WS_DEFLATE_OK;
        }
    }
}


/* RFC 7230 3.2.6 tchar */

static int
ngx_cweb_ws_deflate_is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z'))
    {
        return 1;
    }

    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}


static const unsigned char *
ngx_cweb_ws_deflate_ows(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return p;
}


static const unsigned char *
ngx_cweb_ws_deflate_token(const unsigned char *p, const unsigned char *end)
{
    while (p < end && ngx_cweb_ws_deflate_is_tchar(*p)) {
        p++;
    }

    return p;
}


static int
ngx_cweb_ws_deflate_caseeq(ngx_cweb_ws_deflate_range_t *r, const char *lit)
{
    size_t                n;
    unsigned char         c;
    const unsigned char  *p;

    n = strlen(lit);

    if ((size_t) (r->end - r->start) != n) {
        return 0;
    }

    for (p = r->start; p < r->end; p++, lit++) {
        c = *p;

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (unsigned char) *lit) {
            return 0;
        }
    }

    return 1;
}


/*
 * One list element: extension-token *( ";" extension-param ), up to the
 * comma after it or the end.  Returns -1 on a syntax error.
 */

static int
ngx_cweb_ws_deflate_extension(const unsigned char **pos,
    const unsigned char *end, ngx_cweb_ws_deflate_offer_t *offer)
{
    const unsigned char          *p;
    ngx_cweb_ws_deflate_range_t   name;
    ngx_cweb_ws_deflate_value_t   v;

    p = *pos;

    name.start = p;
    name.end = ngx_cweb_ws_deflate_token(p, end);

    if (name.end == name.start) {
        return -1;
    }

    memset(offer, 0, sizeof(ngx_cweb_ws_deflate_offer_t));
    offer->valid = ngx_cweb_ws_deflate_caseeq(&name, "permessage-deflate");

    p = name.end;

    for ( ;; ) {
        p = ngx_cweb_ws_deflate_ows(p, end);

        if (p == end || *p == ',') {
            break;
        }

        if (*p != ';') {
            return -1;
        }

        p = ngx_cweb_ws_deflate_ows(p + 1, end);

        name.start = p;
        name.end = ngx_cweb_ws_deflate_token(p, end);

        if (name.end == name.start) {
            return -1;
        }

        p = ngx_cweb_ws_deflate_ows(name.end, end);

        v.present = 0;
        v.len = 0;

        if (p < end && *p == '=') {
            p = ngx_cweb_ws_deflate_ows(p + 1, end);

            if (ngx_cweb_ws_deflate_value(&p, end, &v) != 0) {
                return -1;
            }
        }

        if (offer->valid) {
            ngx_cweb_ws_deflate_param(offer, &name, &v);
        }
    }

    *pos = p;

    return 0;
}


/* token / quoted-string, unescaped (RFC 6455 9.1, RFC 7230 3.2.6) */

static int
ngx_cweb_ws_deflate_value(const unsigned char **pos,
    const unsigned char *end, ngx_cweb_ws_deflate_value_t *v)
{
    unsigned char         c;
    const unsigned char  *p, *start;

    p = *pos;
    v->present = 1;

    if (p < end && *p == '"') {

        for (p++; /* void */; p++) {
            if (p == end) {
                return -1;
            }

            c = *p;

            if (c == '"') {
                p++;
                break;
            }

            if (c == '\\') {
                if (++p == end) {
                    return -1;
                }

                c = *p;
            }

            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return -1;
            }

            if (v->len < NGX_CWEB_WS_DEFLATE_VALUE) {
                v->data[v->len] = c;
            }

            v->len++;
        }

        *pos = p;

        return 0;
    }

    start = p;
    p = ngx_cweb_ws_deflate_token(p, end);

    if (p == start) {
        return -1;
    }

    v->len = p - start;
    memcpy(v->data, start, v->len < NGX_CWEB_WS_DEFLATE_VALUE
                           ? v->len : NGX_CWEB_WS_DEFLATE_VALUE);
    *pos = p;

    return 0;
}


/* RFC 7692 7.1: any unknown, repeated or malformed parameter voids the offer */

static void
ngx_cweb_ws_deflate_param(ngx_cweb_ws_deflate_offer_t *offer,
    ngx_cweb_ws_deflate_range_t *name, ngx_cweb_ws_deflate_value_t *v)
{
    int       bits;
    unsigned  flag;

    bits = v->present ? ngx_cweb_ws_deflate_bits(v) : -1;

    if (ngx_cweb_ws_deflate_caseeq(name, "server_no_context_takeover")) {
        flag = NGX_CWEB_WS_DEFLATE_SNCT;
        offer->valid = !v->present;

    } else if (ngx_cweb_ws_deflate_caseeq(name, "client_no_context_takeover")) {
        flag = NGX_CWEB_WS_DEFLATE_CNCT;
        offer->valid = !v->present;

    } else if (ngx_cweb_ws_deflate_caseeq(name, "server_max_window_bits")) {
        flag = NGX_CWEB_WS_DEFLATE_SMWB;
        offer->valid = (bits != -1);
        offer->server_bits = bits;

    } else if (ngx_cweb_ws_deflate_caseeq(name, "client_max_window_bits")) {
        flag = NGX_CWEB_WS_DEFLATE_CMWB;
        offer->valid = (!v->present || bits != -1);
        offer->client_bits = v->present ? (unsigned) bits
                                        : NGX_CWEB_WS_DEFLATE_MAX_BITS;

    } else {
        offer->valid = 0;
        return;
    }

    if (offer->seen & flag) {
        offer->valid = 0;
    }

    offer->seen |= flag;
}


/* 8..15, decimal without leading zeroes (RFC 7692 7.1.2.1); -1 otherwise */

static int
ngx_cweb_ws_deflate_bits(ngx_cweb_ws_deflate_value_t *v)
{
    if (v->len == 1 && (v->data[0] == '8' || v->data[0] == '9')) {
        return v->data[0] - '0';
    }

    if (v->len == 2 && v->data[0] == '1'
        && v->data[1] >= '0' && v->data[1] <= '5')
    {
        return 10 + v->data[1] - '0';
    }

    return -1;
}


static size_t
ngx_cweb_ws_deflate_response(const ngx_cweb_ws_deflate_conf_t *conf,
    ngx_cweb_ws_deflate_offer_t *offer,
    ngx_cweb_ws_deflate_params_t *params, unsigned char *buf)
{
    static const char  always[] = "permessage-deflate; "
                                  "server_no_context_takeover; "
                                  "client_no_context_takeover";

    unsigned char  *p;

    p = memcpy(buf, always, sizeof(always) - 1);
    p += sizeof(always) - 1;

    params->server_window_bits = conf->server_max_window_bits;
    params->client_window_bits = NGX_CWEB_WS_DEFLATE_MAX_BITS;

    if (offer->server_bits) {
        if (offer->server_bits < params->server_window_bits) {
            params->server_window_bits = offer->server_bits;
        }

        p = ngx_cweb_ws_deflate_append(p, "server_max_window_bits",
                                       params->server_window_bits);
    }

    if (offer->client_bits) {
        params->client_window_bits = offer->client_bits;

        if (conf->client_max_window_bits < offer->client_bits) {
            params->client_window_bits = conf->client_max_window_bits;
            p = ngx_cweb_ws_deflate_append(p, "client_max_window_bits",
                                           params->client_window_bits);
        }
    }

    return p - buf;
}


static unsigned char *
ngx_cweb_ws_deflate_append(unsigned char *p, const char *name, unsigned bits)
{
    size_t  n;

    *p++ = ';';
    *p++ = ' ';

    n = strlen(name);
    memcpy(p, name, n);
    p += n;

    *p++ = '=';

    if (bits >= 10) {
        *p++ = '1';
    }

    *p++ = '0' + bits % 10;

    return p;
}


int
ngx_cweb_ws_deflate_init(ngx_cweb_ws_deflate_t *d, int level,
    unsigned window_bits, alloc_func zalloc, free_func zfree, void *opaque)
{
    int  bits;

    memset(d, 0, sizeof(ngx_cweb_ws_deflate_t));

    if (level < Z_DEFAULT_COMPRESSION || level > Z_BEST_COMPRESSION
        || !ngx_cweb_ws_deflate_bits_ok(window_bits))
    {
        return NGX_CWEB_WS_DEFLATE_ERROR;
    }

    d->zs.zalloc = zalloc;
    d->zs.zfree = zfree;
    d->zs.opaque = opaque;

    /* see the header: 9 bits never reach back more than 250 bytes */
    bits = (window_bits == 8) ? 9 : (int) window_bits;

    if (deflateInit2(&d->zs, level, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY)
        != Z_OK)
    {
        return NGX_CWEB_WS_DEFLATE_ERROR;
    }

    d->level = level;
    d->window_bits = window_bits;
    d->ready = 1;

    return NGX_CWEB_WS_DEFLATE_OK;
}


int
ngx_cweb_ws_deflate_message(ngx_cweb_ws_deflate_t *d,
    const unsigned char *in, size_t len, ngx_cweb_ws_deflate_out_pt out,
    void *data)
{
    int            rc, flush;
    size_t         n;
    unsigned char  buf[NGX_CWEB_WS_DEFLATE_CHUNK];

    if (!d->ready || (in == NULL && len != 0) || out == NULL) {
        return NGX_CWEB_WS_DEFLATE_ERROR;
    }

    /* no context takeover: each message is a stream of its own */

    if (deflateReset(&d->zs) != Z_OK) {
        return NGX_CWEB_WS_DEFLATE_ERROR;
    }

    d->zs.next_out = buf;
    d->zs.avail_out = sizeof(buf);

    do {
        n = (len < NGX_CWEB_WS_DEFLATE_SLICE) ? len : NGX_CWEB_WS_DEFLATE_SLICE;

        d->zs.next_in = (z_const Bytef *) in;
        d->zs.avail_in = (uInt) n;

        if (n != 0) {
            in += n;
            len -= n;
        }

        flush = (len != 0) ? Z_NO_FLUSH : Z_SYNC_FLUSH;

        rc = ngx_cweb_ws_deflate_run(d, buf, flush, out, data);
        if (rc != NGX_CWEB_WS_DEFLATE_OK) {
            return rc;
        }

    } while (len != 0);

    /* RFC 7692 7.2.1: the sync flush marker ends the data; it is not sent */

    n = d->zs.next_out - buf;

    if (n <= sizeof(ngx_cweb_ws_deflate_tail)
        || memcmp(buf + n - sizeof(ngx_cweb_ws_deflate_tail),
                  ngx_cweb_ws_deflate_tail, sizeof(ngx_cweb_ws_deflate_tail))
           != 0)
    {
        return NGX_CWEB_WS_DEFLATE_ERROR;
    }

    n -= sizeof(ngx_cweb_ws_deflate_tail);

    return out(data, buf, n) == 0 ? NGX_CWEB_WS_DEFLATE_OK
                                  : NGX_CWEB_WS_DEFLATE_ERROR;
}


/*
 * Deflates the current input into buf, handing out full buffers but for
 * their last 4 bytes, which may be the start of the flush marker.
 */

static int
ngx_cweb_ws_deflate_run(ngx_cweb_ws_deflate_t *d, unsigned char *buf,
    int flush, ngx_cweb_ws_deflate_out_pt out, void *data)
{
    int     rc;
    size_t  keep;

    keep = sizeof(ngx_cweb_ws_deflate_tail);

    for ( ;; ) {
        rc = deflate(&d->zs, flush);

        /* Z_BUF_ERROR: nothing left to do after a flush that just fit */

        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return NGX_CWEB_WS_DEFLATE_ERROR;
        }

        if (d->zs.avail_out != 0) {
            return NGX_CWEB_WS_DEFLATE_OK;
        }

        if (out(data, buf, NGX_CWEB_WS_DEFLATE_CHUNK - keep) != 0) {
            return NGX_CWEB_WS_DEFLATE_ERROR;
        }

        memmove(buf, buf + NGX_CWEB_WS_DEFLATE_CHUNK - keep, keep);
        d->zs.next_out = buf + keep;
        d->zs.avail_out = NGX_CWEB_WS_DEFLATE_CHUNK - keep;
    }
}


void
ngx_cweb_ws_deflate_free(ngx_cweb_ws_deflate_t *d)
{
    if (d->ready) {
        (void) deflateEnd(&d->zs);
        d->ready = 0;
    }
}


int
ngx_cweb_ws_inflate_init(ngx_cweb_ws_inflate_t *inf, unsigned window_bits,
    size_t max_message, alloc_func zalloc, free_func zfree, void *opaque)
{
    memset(inf, 0, sizeof(ngx_cweb_ws_inflate_t));

    if (!ngx_cweb_ws_deflate_bits_ok(window_bits) || max_message == 0) {
        return NGX_CWEB_WS_DEFLATE_ERROR;
    }

    inf->zs.zalloc = zalloc;
    inf->zs.zfree = zfree;
    inf->zs.opaque = opaque;
    inf->window_bits = window_bits;
    inf->max_message = max_message;

    return NGX_CWEB_WS_DEFLATE_OK;
}


int
ngx_cweb_ws_inflate_feed(ngx_cweb_ws_inflate_t *inf, const unsigned char *in,
    size_t len, int last, ngx_cweb_ws_deflate_out_pt out, void *data)
{
    int  rc;

    if ((in == NULL && len != 0) || out == NULL || inf->window_bits == 0) {
        return NGX_CWEB_WS_DEFLATE_ERROR;
    }

    if (!inf->allocated) {
        inf->zs.next_in = Z_NULL;
        inf->zs.avail_in = 0;

        if (inflateInit2(&inf->zs, -(int) inf->window_bits) != Z_OK) {
            return NGX_CWEB_WS_DEFLATE_ERROR;
        }

        inf->allocated = 1;
        inf->size = 0;
        inf->ended = 0;
        inf->payload = 0;
    }

    if (len != 0) {
        inf->payload = 1;
    }

    rc = ngx_cweb_ws_inflate_run(inf, in, len, out, data);

    /*
     * A payload of no bytes at all is taken as an empty message, as
     * zlib-based peers do, though RFC 7692 7.2.3.6 sends 0x00.  Otherwise
     * the tail completes the empty stored block the sender's flush began,
     * after which zlib waits for a block header (data_type 128): anything
     * else means the message was cut short.
     */

    if (rc == NGX_CWEB_WS_DEFLATE_OK && last && inf->payload && !inf->ended) {
        rc = ngx_cweb_ws_inflate_run(inf, ngx_cweb_ws_deflate_tail,
                                     sizeof(ngx_cweb_ws_deflate_tail),
                                     out, data);

        if (rc == NGX_CWEB_WS_DEFLATE_OK && !inf->ended
            && !(inf->zs.data_type & 128))
        {
            rc = NGX_CWEB_WS_DEFLATE_BAD_DATA;
        }
    }

    if (rc != NGX_CWEB_WS_DEFLATE_OK || last) {
        ngx_cweb_ws_inflate_reset(inf);
    }

    return rc;
}


/*
 * Inflates in[0..len) through a stack buffer, offering zlib at most one
 * byte beyond max_message, so that a bomb is caught after that much output
 * whatever its input still holds.
 */

static int
ngx_cweb_ws_inflate_run(ngx_cweb_ws_inflate_t *inf, const unsigned char *in,
    size_t len, ngx_cweb_ws_deflate_out_pt out, void *data)
{
    int            rc, full;
    size_t         n, room;
    unsigned char  buf[NGX_CWEB_WS_DEFLATE_CHUNK];

    inf->zs.avail_in = 0;
    full = 0;

    while (!inf->ended && (len != 0 || inf->zs.avail_in != 0 || full)) {

        if (inf->zs.avail_in == 0 && len != 0) {
            n = (len < NGX_CWEB_WS_DEFLATE_SLICE) ? len
                                                   : NGX_CWEB_WS_DEFLATE_SLICE;
            inf->zs.next_in = (z_const Bytef *) in;
            inf->zs.avail_in = (uInt) n;
            in += n;
            len -= n;
        }

        room = inf->max_message - inf->size;

        inf->zs.next_out = buf;
        inf->zs.avail_out = (room < sizeof(buf)) ? (uInt) room + 1
                                                 : (uInt) sizeof(buf);

        rc = inflate(&inf->zs, Z_NO_FLUSH);

        n = inf->zs.next_out - buf;
        full = (inf->zs.avail_out == 0);

        switch (rc) {

        case Z_OK:
            break;

        case Z_BUF_ERROR:
            /* no progress: a full buffer had nothing more behind it */
            full = 0;
            break;

        case Z_STREAM_END:
            inf->ended = 1;
            break;

        case Z_DATA_ERROR:
        case Z_NEED_DICT:
            return NGX_CWEB_WS_DEFLATE_BAD_DATA;

        default:
            return NGX_CWEB_WS_DEFLATE_ERROR;
        }

        if (n > room) {
            return NGX_CWEB_WS_DEFLATE_TOO_BIG;
        }

        inf->size += n;

        if (n != 0 && out(data, buf, n) != 0) {
            return NGX_CWEB_WS_DEFLATE_ERROR;
        }
    }

    return NGX_CWEB_WS_DEFLATE_OK;
}


void
ngx_cweb_ws_inflate_reset(ngx_cweb_ws_inflate_t *inf)
{
    if (inf->allocated) {
        (void) inflateReset(&inf->zs);
    }

    inf->size = 0;
    inf->ended = 0;
    inf->payload = 0;
}


void
ngx_cweb_ws_inflate_free(ngx_cweb_ws_inflate_t *inf)
{
    if (inf->allocated) {
        (void) inflateEnd(&inf->zs);
        inf->allocated = 0;
    }

    ngx_cweb_ws_inflate_reset(inf);
}
