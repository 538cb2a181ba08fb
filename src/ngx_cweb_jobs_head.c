
/*
 * Reading a message's head.  Every question and every answer has one, and
 * jansson took some 11,000 instructions for the 20 bytes of one (its
 * lexer, an object and its hash table, freed at once): a fifth of a
 * worker's POST /jobs.  The forms our two sides write are read by hand;
 * anything else that is a JSON object still is, by jansson, so that a
 * peer of another build that writes its heads differently is understood.
 */


#include <string.h>

#include <jansson.h>

#include "ngx_cweb_jobs_head.h"


#define NGX_CWEB_JHEAD_DIGITS  18    /* below INT64_MAX whatever they are */


static int ngx_cweb_jhead_fast(const unsigned char *p, size_t len,
    ngx_cweb_jhead_t *h);
static int ngx_cweb_jhead_json(const unsigned char *msg, size_t len,
    ngx_cweb_jhead_t *h);


int
ngx_cweb_jhead_parse(const unsigned char *msg, size_t len,
    ngx_cweb_jhead_t *h)
{
    memset(h, 0, sizeof(ngx_cweb_jhead_t));

    if (ngx_cweb_jhead_fast(msg, len, h) == 0) {
        return 0;
    }

    memset(h, 0, sizeof(ngx_cweb_jhead_t));

    return ngx_cweb_jhead_json(msg, len, h);
}


/* p begins with the literal s: its length, else 0 */

static size_t
ngx_cweb_jhead_lit(const unsigned char *p, const unsigned char *end,
    const char *s)
{
    size_t  n;

    n = strlen(s);

    return ((size_t) (end - p) >= n && memcmp(p, s, n) == 0) ? n : 0;
}


/* a number without sign or leading zero: its digits, else 0 */

static size_t
ngx_cweb_jhead_num(const unsigned char *p, const unsigned char *end,
    int64_t *v)
{
    size_t  n;

    *v = 0;

    for (n = 0; p + n < end && p[n] >= '0' && p[n] <= '9'; n++) {
        if (n == NGX_CWEB_JHEAD_DIGITS || (n == 1 && p[0] == '0')) {
            return 0;
        }

        *v = *v * 10 + (p[n] - '0');
    }

    return n;
}


static int
ngx_cweb_jhead_fast(const unsigned char *p, size_t len, ngx_cweb_jhead_t *h)
{
    size_t                n;
    const unsigned char  *end;

    end = p + len;

    if ((n = ngx_cweb_jhead_lit(p, end, "{\"hello\":1}"))) {
        h->hello = 1;
        h->body = n;
        return 0;
    }

    if ((n = ngx_cweb_jhead_lit(p, end, "{\"q\":")) == 0) {
        return -1;
    }

    p += n;

    if ((n = ngx_cweb_jhead_num(p, end, &h->q)) == 0) {
        return -1;
    }

    p += n;

    if ((n = ngx_cweb_jhead_lit(p, end, ",\"status\":"))) {
        p += n;

        if ((n = ngx_cweb_jhead_num(p, end, &h->status)) == 0) {
            return -1;
        }

        p += n;

        if ((n = ngx_cweb_jhead_lit(p, end, ",\"again\":true"))) {
            h->again = 1;
            p += n;
        }
    }

    if (p == end || *p != '}') {
        return -1;
    }

    h->body = len - (size_t) (end - p) + 1;

    return 0;
}


/* a head of another form: the members that mean something, by name */

static int
ngx_cweb_jhead_json(const unsigned char *msg, size_t len, ngx_cweb_jhead_t *h)
{
    json_t        *head;
    json_error_t   jerr;

    head = json_loadb((const char *) msg, len, JSON_DISABLE_EOF_CHECK, &jerr);

    if (!json_is_object(head) || jerr.position < 0
        || (size_t) jerr.position > len)
    {
        json_decref(head);
        return -1;
    }

    h->q = json_integer_value(json_object_get(head, "q"));
    h->status = json_integer_value(json_object_get(head, "status"));
    h->again = json_is_true(json_object_get(head, "again"));
    h->hello = (json_object_get(head, "hello") != NULL);
    h->body = (size_t) jerr.position;

    json_decref(head);

    return 0;
}
