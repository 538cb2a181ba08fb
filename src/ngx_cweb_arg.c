
/*
 * Typed values of request arguments, cookie names and values
 * (ngx_cweb_arg.h).  Numbers go through the C library's strto*(): the
 * whole text must be the number, no space around it, no sign on an
 * unsigned one, no hex, no inf or nan; the type's own limits are a range
 * error as the caller's bounds are.
 */


#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ngx_cweb_arg.h"


/* one value of any number type, with the type beside it */
typedef struct {
    int                 type;
    union {
        long long           i;
        unsigned long long  u;
        double              d;
    } v;
} ngx_cweb_arg_num_t;


static int ngx_cweb_arg_parse(const char *s, int type, ngx_cweb_arg_num_t *n,
    char *why);
static int ngx_cweb_arg_fits(const ngx_cweb_arg_num_t *n, char *why);
static void ngx_cweb_arg_load(ngx_cweb_arg_num_t *n, int type,
    const void *p);
static void ngx_cweb_arg_store(const ngx_cweb_arg_num_t *n, void *out);
static int ngx_cweb_arg_cmp(const ngx_cweb_arg_num_t *a,
    const ngx_cweb_arg_num_t *b);
static int ngx_cweb_arg_out_of(int type, const void *min, const void *max,
    char *why);
static void ngx_cweb_arg_print(char *buf, size_t size, int type,
    const void *p);
static int ngx_cweb_arg_bad_byte(const char *what, const char *s,
    const unsigned char *p, char *why);


int
ngx_cweb_arg_number(const char *s, int type, void *out, const void *min,
    const void *max, char *why)
{
    int                 rc;
    ngx_cweb_arg_num_t  n, lo, hi;

    if (type < NGX_CWEB_ARG_INT || type > NGX_CWEB_ARG_DOUBLE) {
        snprintf(why, NGX_CWEB_ARG_WHY_LEN, "unknown number type %d", type);
        return NGX_CWEB_ARG_INVALID;
    }

    rc = ngx_cweb_arg_parse(s, type, &n, why);
    if (rc != NGX_CWEB_ARG_OK) {
        return rc;
    }

    if ((min == NULL) != (max == NULL)) {
        snprintf(why, NGX_CWEB_ARG_WHY_LEN, "a range needs both bounds");
        return NGX_CWEB_ARG_INVALID;
    }

    /* a float compares as the float it becomes: "0.1" is 0.1f, not below */
    if (type == NGX_CWEB_ARG_FLOAT) {
        n.v.d = (float) n.v.d;
    }

    if (min) {
        ngx_cweb_arg_load(&lo, type, min);
        ngx_cweb_arg_load(&hi, type, max);

        if (ngx_cweb_arg_cmp(&n, &lo) < 0 || ngx_cweb_arg_cmp(&n, &hi) > 0) {
            return ngx_cweb_arg_out_of(type, min, max, why);
        }
    }

    ngx_cweb_arg_store(&n, out);

    return NGX_CWEB_ARG_OK;
}


static int
ngx_cweb_arg_parse(const char *s, int type, ngx_cweb_arg_num_t *n,
    char *why)
{
    char  *end;

    n->type = type;
    errno = 0;

    /*
     * strto*() would skip leading space (a digit or sign must come first)
     * and strtod() take hex floats, inf and nan; base 10 takes no hex
     */
    if (!isdigit((unsigned char) s[0])
        && ((s[0] != '-' && s[0] != '+' && s[0] != '.')
            || (!isdigit((unsigned char) s[1]) && s[1] != '.')))
    {
        goto nan;
    }

    if (type >= NGX_CWEB_ARG_FLOAT && strpbrk(s, "xXnN") != NULL) {
        goto nan;
    }

    switch (type) {

    case NGX_CWEB_ARG_INT:
    case NGX_CWEB_ARG_INT64:
        n->v.i = strtoll(s, &end, 10);
        break;

    case NGX_CWEB_ARG_UINT:
    case NGX_CWEB_ARG_UINT64:
        /* strtoull() takes "-1" as its maximum; no sign at all here */
        if (s[0] == '-' || s[0] == '+') {
            snprintf(why, NGX_CWEB_ARG_WHY_LEN, "not an unsigned number");
            return NGX_CWEB_ARG_INVALID;
        }

        n->v.u = strtoull(s, &end, 10);
        break;

    default:
        n->v.d = strtod(s, &end);

        if (*end == '\0' && !isfinite(n->v.d)) {
            errno = ERANGE;
        }

        /* a denormal or zero for a tiny number is near enough */
        if (errno == ERANGE && fabs(n->v.d) <= 1.0) {
            errno = 0;
        }
    }

    if (end == s || *end != '\0') {
        /* "1.5" or "1e3" for an integer: a number, but not an integer */
        if (type <= NGX_CWEB_ARG_UINT64 && strpbrk(s, "xXnN") == NULL) {
            (void) strtod(s, &end);

            if (end != s && *end == '\0') {
                snprintf(why, NGX_CWEB_ARG_WHY_LEN, "not an integer");
                return NGX_CWEB_ARG_INVALID;
            }
        }

        goto nan;
    }

    return ngx_cweb_arg_fits(n, why);

nan:

    snprintf(why, NGX_CWEB_ARG_WHY_LEN, "not a number");
    return NGX_CWEB_ARG_INVALID;
}


/* the type's own limits, as a range error */

static int
ngx_cweb_arg_fits(const ngx_cweb_arg_num_t *n, char *why)
{
    int       ok, imin, imax;
    int64_t   lmin, lmax;
    uint64_t  qzero, qmax;
    unsigned  uzero, umax;

    ok = (errno != ERANGE);

    switch (n->type) {

    case NGX_CWEB_ARG_INT:
        imin = INT_MIN;
        imax = INT_MAX;
        ok = ok && n->v.i >= INT_MIN && n->v.i <= INT_MAX;
        return ok ? NGX_CWEB_ARG_OK
                  : ngx_cweb_arg_out_of(n->type, &imin, &imax, why);

    case NGX_CWEB_ARG_UINT:
        uzero = 0;
        umax = UINT_MAX;
        ok = ok && n->v.u <= UINT_MAX;
        return ok ? NGX_CWEB_ARG_OK
                  : ngx_cweb_arg_out_of(n->type, &uzero, &umax, why);

    case NGX_CWEB_ARG_INT64:
        lmin = INT64_MIN;
        lmax = INT64_MAX;
        return ok ? NGX_CWEB_ARG_OK
                  : ngx_cweb_arg_out_of(n->type, &lmin, &lmax, why);

    case NGX_CWEB_ARG_UINT64:
        qzero = 0;
        qmax = UINT64_MAX;
        return ok ? NGX_CWEB_ARG_OK
                  : ngx_cweb_arg_out_of(n->type, &qzero, &qmax, why);

    default:
        ok = ok && (n->type == NGX_CWEB_ARG_DOUBLE || fabs(n->v.d) <= FLT_MAX);

        if (!ok) {
            snprintf(why, NGX_CWEB_ARG_WHY_LEN, "out of range of a %s",
                     n->type == NGX_CWEB_ARG_FLOAT ? "float" : "double");
        }

        return ok ? NGX_CWEB_ARG_OK : NGX_CWEB_ARG_RANGE;
    }
}


static void
ngx_cweb_arg_load(ngx_cweb_arg_num_t *n, int type, const void *p)
{
    n->type = type;

    switch (type) {
    case NGX_CWEB_ARG_INT:    n->v.i = *(const int *) p; break;
    case NGX_CWEB_ARG_UINT:   n->v.u = *(const unsigned *) p; break;
    case NGX_CWEB_ARG_INT64:  n->v.i = *(const int64_t *) p; break;
    case NGX_CWEB_ARG_UINT64: n->v.u = *(const uint64_t *) p; break;
    case NGX_CWEB_ARG_FLOAT:  n->v.d = *(const float *) p; break;
    default:                  n->v.d = *(const double *) p;
    }
}


static void
ngx_cweb_arg_store(const ngx_cweb_arg_num_t *n, void *out)
{
    switch (n->type) {
    case NGX_CWEB_ARG_INT:    *(int *) out = (int) n->v.i; break;
    case NGX_CWEB_ARG_UINT:   *(unsigned *) out = (unsigned) n->v.u; break;
    case NGX_CWEB_ARG_INT64:  *(int64_t *) out = n->v.i; break;
    case NGX_CWEB_ARG_UINT64: *(uint64_t *) out = n->v.u; break;
    case NGX_CWEB_ARG_FLOAT:  *(float *) out = (float) n->v.d; break;
    default:                  *(double *) out = n->v.d;
    }
}


static int
ngx_cweb_arg_cmp(const ngx_cweb_arg_num_t *a, const ngx_cweb_arg_num_t *b)
{
    switch (a->type) {

    case NGX_CWEB_ARG_INT:
    case NGX_CWEB_ARG_INT64:
        return (a->v.i > b->v.i) - (a->v.i < b->v.i);

    case NGX_CWEB_ARG_UINT:
    case NGX_CWEB_ARG_UINT64:
        return (a->v.u > b->v.u) - (a->v.u < b->v.u);

    default:
        return (a->v.d > b->v.d) - (a->v.d < b->v.d);
    }
}


/* "out of range <min>..<max>", the bounds printed as their type */

static int
ngx_cweb_arg_out_of(int type, const void *min, const void *max, char *why)
{
    char  lo[32], hi[32];

    ngx_cweb_arg_print(lo, sizeof(lo), type, min);
    ngx_cweb_arg_print(hi, sizeof(hi), type, max);

    snprintf(why, NGX_CWEB_ARG_WHY_LEN, "out of range %s..%s", lo, hi);

    return NGX_CWEB_ARG_RANGE;
}


static void
ngx_cweb_arg_print(char *buf, size_t size, int type, const void *p)
{
    ngx_cweb_arg_num_t  n;

    ngx_cweb_arg_load(&n, type, p);

    switch (type) {

    case NGX_CWEB_ARG_INT:
    case NGX_CWEB_ARG_INT64:
        snprintf(buf, size, "%lld", n.v.i);
        break;

    case NGX_CWEB_ARG_UINT:
    case NGX_CWEB_ARG_UINT64:
        snprintf(buf, size, "%llu", n.v.u);
        break;

    default:
        snprintf(buf, size, "%g", n.v.d);
    }
}


int
ngx_cweb_arg_bool(const char *s, int *out, char *why)
{
    static const char  *yes[] = { "1", "true", "yes", "on" };
    static const char  *no[] = { "0", "false", "no", "off" };

    size_t  i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return NGX_CWEB_ARG_OK;
        }

        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return NGX_CWEB_ARG_OK;
        }
    }

    snprintf(why, NGX_CWEB_ARG_WHY_LEN,
             "not a boolean (1/0, true/false, yes/no, on/off)");

    return NGX_CWEB_ARG_INVALID;
}


int
ngx_cweb_arg_enum(const char *s, const char *const *list, unsigned *index,
    char *why)
{
    int       n, room;
    char     *p;
    unsigned  i;

    for (i = 0; list[i]; i++) {
        if (strcmp(s, list[i]) == 0) {
            *index = i;
            return NGX_CWEB_ARG_OK;
        }
    }

    /* "not one of a, b, c", as many of them as fit */
    p = why;
    room = NGX_CWEB_ARG_WHY_LEN;
    n = snprintf(p, room, "not one of ");

    for (i = 0; list[i] && n < room; i++) {
        p += n;
        room -= n;
        n = snprintf(p, room, "%s%s", i ? ", " : "", list[i]);
    }

    if (n >= room) {
        strcpy(why + NGX_CWEB_ARG_WHY_LEN - 5, " ...");
    }

    return NGX_CWEB_ARG_INVALID;
}


int
ngx_cweb_arg_range(const char *s, const char *sep, int *min, int *max,
    char *why)
{
    int          lo, hi;
    char         first[24];
    size_t       len;
    const char  *at;

    /* the separator after the first byte: "-5-10" splits after "-5" */
    at = (sep && sep[0] && s[0]) ? strstr(s + 1, sep) : NULL;
    len = at ? (size_t) (at - s) : 0;

    if (at == NULL || len >= sizeof(first)) {
        snprintf(why, NGX_CWEB_ARG_WHY_LEN, "not a range <min>%s<max>",
                 sep ? sep : "");
        return NGX_CWEB_ARG_INVALID;
    }

    memcpy(first, s, len);
    first[len] = '\0';

    if (ngx_cweb_arg_number(first, NGX_CWEB_ARG_INT, &lo, NULL, NULL, why)
        != NGX_CWEB_ARG_OK
        || ngx_cweb_arg_number(at + strlen(sep), NGX_CWEB_ARG_INT, &hi, NULL,
                               NULL, why)
           != NGX_CWEB_ARG_OK)
    {
        snprintf(why, NGX_CWEB_ARG_WHY_LEN, "not a range <min>%s<max> of "
                 "integers", sep);
        return NGX_CWEB_ARG_INVALID;
    }

    if (lo > hi) {
        snprintf(why, NGX_CWEB_ARG_WHY_LEN, "not a range: %d is above %d",
                 lo, hi);
        return NGX_CWEB_ARG_RANGE;
    }

    *min = lo;
    *max = hi;

    return NGX_CWEB_ARG_OK;
}


const char *
ngx_cweb_arg_trim(const char *s, size_t *len)
{
    size_t  n;

    while (isspace((unsigned char) *s)) {
        s++;
    }

    n = strlen(s);

    while (n && isspace((unsigned char) s[n - 1])) {
        n--;
    }

    *len = n;

    return s;
}


/* RFC 6265 4.1.1: cookie-name = token (RFC 9110 5.6.2) */

int
ngx_cweb_cookie_name_bad(const char *name, char *why)
{
    const unsigned char  *p;

    if (name == NULL || name[0] == '\0') {
        snprintf(why, NGX_CWEB_ARG_WHY_LEN, "an empty cookie name");
        return 1;
    }

    for (p = (const unsigned char *) name; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *p)) {
            return ngx_cweb_arg_bad_byte("cookie name", name, p, why);
        }
    }

    return 0;
}


/*
 * cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ), where
 * cookie-octet is any printable US-ASCII byte but DQUOTE , ; \ and space
 */

int
ngx_cweb_cookie_value_bad(const char *value, char *why)
{
    size_t                len;
    const unsigned char  *p, *last;

    if (value == NULL) {
        snprintf(why, NGX_CWEB_ARG_WHY_LEN, "a NULL cookie value");
        return 1;
    }

    p = (const unsigned char *) value;
    len = strlen(value);
    last = p + len;

    if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
        p++;
        last--;
    }

    for ( /* void */ ; p < last; p++) {
        if (*p <= 0x20 || *p >= 0x7f || strchr("\",;\\", *p)) {
            return ngx_cweb_arg_bad_byte("cookie value", value, p, why);
        }
    }

    return 0;
}


/* Path and Domain: av-octet, any CHAR but CTLs and ";" */

int
ngx_cweb_cookie_attr_bad(const char *what, const char *value, char *why)
{
    const unsigned char  *p;

    for (p = (const unsigned char *) value; *p; p++) {
        if (*p < 0x20 || *p >= 0x7f || *p == ';') {
            return ngx_cweb_arg_bad_byte(what, value, p, why);
        }
    }

    return 0;
}


static int
ngx_cweb_arg_bad_byte(const char *what, const char *s,
    const unsigned char *p, char *why)
{
    snprintf(why, NGX_CWEB_ARG_WHY_LEN, "%s has byte 0x%02x at offset %zu, "
             "which RFC 6265 does not allow there", what, *p,
             (size_t) (p - (const unsigned char *) s));

    return 1;
}


/*
 * RFC 6265 5.4: cookie-pairs separated by ";" and optional white space;
 * names compare exactly (nginx's ngx_http_parse_multi_header_lines()
 * folds case, which RFC 6265 does not, and splits at ","); a pair
 * without "=" is no cookie of any name here
 */

const char *
ngx_cweb_cookie_find(const char *header, size_t len, const char *name,
    size_t *vlen)
{
    size_t       nlen;
    const char  *p, *last, *end, *eq, *v;

    nlen = strlen(name);
    p = header;
    last = header + len;

    while (p < last) {
        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        end = memchr(p, ';', last - p);
        if (end == NULL) {
            end = last;
        }

        eq = memchr(p, '=', end - p);

        if (eq && (size_t) (eq - p) == nlen && memcmp(p, name, nlen) == 0) {
            v = eq + 1;

            while (end > v && (end[-1] == ' ' || end[-1] == '\t')) {
                end--;
            }

            *vlen = end - v;
            return v;
        }

        p = end + 1;
    }

    return NULL;
}
