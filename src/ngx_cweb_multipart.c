
/*
 * multipart/form-data parser, see ngx_cweb_multipart.h.
 */


#include <string.h>

#include "ngx_cweb_multipart.h"


#define NGX_CWEB_MP_SEEN_DISPOSITION  0x01
#define NGX_CWEB_MP_SEEN_TYPE         0x02


typedef struct {
    const unsigned char  *start;
    const unsigned char  *end;
} ngx_cweb_mp_range_t;


static int ngx_cweb_mp_is_ws(unsigned char c);
static int ngx_cweb_mp_is_tchar(unsigned char c);
static int ngx_cweb_mp_is_hchar(unsigned char c);
static const unsigned char *ngx_cweb_mp_skip_ws(const unsigned char *p,
    const unsigned char *end);
static int ngx_cweb_mp_caseeq(const unsigned char *s,
    const unsigned char *end, const char *lit);
static int ngx_cweb_mp_param(const unsigned char **pos,
    const unsigned char *end, ngx_cweb_mp_range_t *name,
    ngx_cweb_mp_range_t *value);
static const unsigned char *ngx_cweb_mp_delimiter(const unsigned char *p,
    const unsigned char *end, const unsigned char *boundary,
    size_t boundary_len, int *last, int *crlf);
static const unsigned char *ngx_cweb_mp_find(const unsigned char *start,
    const unsigned char *end, const unsigned char *boundary,
    size_t boundary_len, int need_cr, const unsigned char **data_end,
    int *last, int *crlf);
static const char *ngx_cweb_mp_headers(const unsigned char **pos,
    const unsigned char *end, ngx_cweb_mp_part_t *part);
static const char *ngx_cweb_mp_header(const unsigned char *name,
    const unsigned char *name_end, const unsigned char *value,
    const unsigned char *value_end, ngx_cweb_mp_part_t *part, int *seen);
static const char *ngx_cweb_mp_disposition(const unsigned char *p,
    const unsigned char *end, ngx_cweb_mp_part_t *part);


int
ngx_cweb_mp_boundary(const unsigned char *ct, size_t len,
    const unsigned char **boundary, size_t *boundary_len)
{
    int                   rc;
    size_t                n, i;
    const unsigned char  *p, *end, *type;
    ngx_cweb_mp_range_t   name, value, found;

    if (ct == NULL) {
        return -1;
    }

    end = ct + len;
    p = ngx_cweb_mp_skip_ws(ct, end);

    type = p;

    while (p < end && *p != ';' && !ngx_cweb_mp_is_ws(*p)) {
        p++;
    }

    if (!ngx_cweb_mp_caseeq(type, p, "multipart/form-data")) {
        return -1;
    }

    found.start = NULL;
    found.end = NULL;

    while ((rc = ngx_cweb_mp_param(&p, end, &name, &value)) == 1) {

        if (!ngx_cweb_mp_caseeq(name.start, name.end, "boundary")) {
            continue;
        }

        /* two boundaries are ambiguous: another parser might pick the other */

        if (found.start != NULL) {
            return -1;
        }

        found = value;
    }

    if (rc == -1 || found.start == NULL) {
        return -1;
    }

    n = found.end - found.start;

    if (n == 0 || n > NGX_CWEB_MP_MAX_BOUNDARY) {
        return -1;
    }

    /*
     * RFC 2046 bchars are stricter, but real clients send e.g. "=_Part_0"
     * or other token characters; matching is byte-exact, so any printable
     * character is safe.  Quote and backslash are refused because an
     * escaped boundary cannot be returned without copying it.
     */

    for (i = 0; i < n; i++) {
        if (found.start[i] < 0x20 || found.start[i] > 0x7e
            || found.start[i] == '"' || found.start[i] == '\\')
        {
            return -1;
        }
    }

    if (found.start[n - 1] == ' ') {
        return -1;
    }

    *boundary = found.start;
    *boundary_len = n;

    return 0;
}


int
ngx_cweb_mp_parse(const unsigned char *body, size_t len,
    const unsigned char *boundary, size_t boundary_len,
    ngx_cweb_mp_part_t *parts, size_t max_parts, size_t *nparts,
    const char **err)
{
    int                   last, crlf, tail;
    size_t                n;
    const char           *e;
    const unsigned char  *p, *end, *data, *data_end;

    n = 0;
    *nparts = 0;

    if (boundary == NULL || boundary_len == 0
        || boundary_len > NGX_CWEB_MP_MAX_BOUNDARY)
    {
        e = "invalid boundary";
        goto failed;
    }

    if (body == NULL) {
        e = "no opening boundary";
        goto failed;
    }

    end = body + len;
    crlf = 1;

    /* the first delimiter may lack the leading line break */

    p = ngx_cweb_mp_delimiter(body, end, boundary, boundary_len, &last, &crlf);

    if (p == NULL) {
        p = ngx_cweb_mp_find(body, end, boundary, boundary_len, 0, &data_end,
                             &last, &crlf);
        if (p == NULL) {
            e = "no opening boundary";
            goto failed;
        }
    }

    /*
     * The line ending of the first delimiter tells whether the client uses
     * CRLF, as required, or bare LF.  Only delimiters with that ending are
     * searched for afterwards, so that in the usual CRLF case a part's data
     * may contain "\n--boundary" without being cut short.
     */

    while (!last) {

        if (n == max_parts) {
            e = "too many parts";
            goto failed;
        }

        memset(&parts[n], 0, sizeof(ngx_cweb_mp_part_t));

        e = ngx_cweb_mp_headers(&p, end, &parts[n]);
        if (e != NULL) {
            goto failed;
        }

        data = p;

        p = ngx_cweb_mp_find(data, end, boundary, boundary_len, crlf,
                             &data_end, &last, &tail);
        if (p == NULL) {
            e = "no closing boundary";
            goto failed;
        }

        parts[n].data = data;
        parts[n].data_len = data_end - data;

        n++;
    }

    /* whatever follows the close delimiter is epilogue and is ignored */

    *nparts = n;

    if (err != NULL) {
        *err = NULL;
    }

    return 0;

failed:

    if (err != NULL) {
        *err = e;
    }

    return -1;
}


/*
 * Checks for "--boundary" or "--boundary--" at p followed by transport
 * padding and a line ending; returns the position after the line ending, or
 * NULL if p does not start a delimiter line.  A mere prefix match, such as
 * "--boundaryX", is part data.
 */

static const unsigned char *
ngx_cweb_mp_delimiter(const unsigned char *p, const unsigned char *end,
    const unsigned char *boundary, size_t boundary_len, int *last, int *crlf)
{
    if ((size_t) (end - p) < boundary_len + 2
        || p[0] != '-' || p[1] != '-'
        || memcmp(p + 2, boundary, boundary_len) != 0)
    {
        return NULL;
    }

    p += boundary_len + 2;

    *last = 0;

    if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
        *last = 1;
        p += 2;
    }

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (p == end) {
        /* the close delimiter may end the body without a line ending */
        return *last ? p : NULL;
    }

    if (*p == '\n') {
        *crlf = 0;
        return p + 1;
    }

    if (*p == '\r' && end - p >= 2 && p[1] == '\n') {
        *crlf = 1;
        return p + 2;
    }

    return NULL;
}


/*
 * Finds the next delimiter line at or after start; the line break before
 * "--boundary" belongs to the delimiter, so *data_end is set to where that
 * line break begins.  With need_cr only CRLF line breaks qualify.
 */

static const unsigned char *
ngx_cweb_mp_find(const unsigned char *start, const unsigned char *end,
    const unsigned char *boundary, size_t boundary_len, int need_cr,
    const unsigned char **data_end, int *last, int *crlf)
{
    const unsigned char  *p, *lf, *next;

    p = start;

    while (p < end) {

        lf = memchr(p, '\n', end - p);
        if (lf == NULL) {
            return NULL;
        }

        p = lf + 1;

        if (need_cr && (lf == start || lf[-1] != '\r')) {
            continue;
        }

        next = ngx_cweb_mp_delimiter(lf + 1, end, boundary, boundary_len,
                                     last, crlf);
        if (next != NULL) {
            *data_end = need_cr ? lf - 1 : lf;
            return next;
        }
    }

    return NULL;
}


static const char *
ngx_cweb_mp_headers(const unsigned char **pos, const unsigned char *end,
    ngx_cweb_mp_part_t *part)
{
    int                   seen;
    const char           *e;
    const unsigned char  *p, *limit, *lf, *line, *line_end, *name, *name_end,
                         *value, *value_end;

    p = *pos;
    limit = ((size_t) (end - p) > NGX_CWEB_MP_MAX_HEADERS)
            ? p + NGX_CWEB_MP_MAX_HEADERS : end;

    seen = 0;
    name = NULL;
    name_end = NULL;
    value = NULL;
    value_end = NULL;

    for ( ;; ) {

        lf = memchr(p, '\n', limit - p);
        if (lf == NULL) {
            return (limit == end) ? "unterminated part headers"
                                  : "part headers too long";
        }

        line = p;
        line_end = lf;

        if (line_end > line && line_end[-1] == '\r') {
            line_end--;
        }

        p = lf + 1;

        if (line_end > line && (*line == ' ' || *line == '\t')) {

            /* obsolete line folding: the value continues */

            if (name == NULL) {
                return "malformed part header";
            }

            value_end = line_end;
            continue;
        }

        /* a header is complete only once the next line is not a fold */

        if (name != NULL) {
            e = ngx_cweb_mp_header(name, name_end, value, value_end, part,
                                   &seen);
            if (e != NULL) {
                return e;
            }

            name = NULL;
        }

        if (line_end == line) {
            break;
        }

        name = line;

        for (name_end = line;
             name_end < line_end && *name_end != ':';
             name_end++)
        {
            if (!ngx_cweb_mp_is_hchar(*name_end)) {
                return "malformed part header";
            }
        }

        if (name_end == line_end || name_end == name) {
            return "malformed part header";
        }

        value = name_end + 1;
        value_end = line_end;
    }

    if (!(seen & NGX_CWEB_MP_SEEN_DISPOSITION)) {
        return "part without content-disposition";
    }

    *pos = p;

    return NULL;
}


static const char *
ngx_cweb_mp_header(const unsigned char *name, const unsigned char *name_end,
    const unsigned char *value, const unsigned char *value_end,
    ngx_cweb_mp_part_t *part, int *seen)
{
    /*
     * Duplicates are refused rather than resolved: a proxy or backend that
     * picks the other copy would see a different form than we do.
     */

    if (ngx_cweb_mp_caseeq(name, name_end, "content-disposition")) {

        if (*seen & NGX_CWEB_MP_SEEN_DISPOSITION) {
            return "duplicate content-disposition";
        }

        *seen |= NGX_CWEB_MP_SEEN_DISPOSITION;

        return ngx_cweb_mp_disposition(value, value_end, part);
    }

    if (ngx_cweb_mp_caseeq(name, name_end, "content-type")) {

        if (*seen & NGX_CWEB_MP_SEEN_TYPE) {
            return "duplicate content-type";
        }

        *seen |= NGX_CWEB_MP_SEEN_TYPE;

        value = ngx_cweb_mp_skip_ws(value, value_end);

        while (value_end > value && ngx_cweb_mp_is_ws(value_end[-1])) {
            value_end--;
        }

        part->content_type = value;
        part->content_type_len = value_end - value;

        return NULL;
    }

    /* Content-Transfer-Encoding is deprecated by RFC 7578; others unused */

    return NULL;
}


static const char *
ngx_cweb_mp_disposition(const unsigned char *p, const unsigned char *end,
    ngx_cweb_mp_part_t *part)
{
    int                   rc;
    const unsigned char  *type;
    ngx_cweb_mp_range_t   name, value;

    p = ngx_cweb_mp_skip_ws(p, end);

    type = p;

    while (p < end && *p != ';' && !ngx_cweb_mp_is_ws(*p)) {
        p++;
    }

    if (!ngx_cweb_mp_caseeq(type, p, "form-data")) {
        return "content-disposition is not form-data";
    }

    while ((rc = ngx_cweb_mp_param(&p, end, &name, &value)) == 1) {

        if (ngx_cweb_mp_caseeq(name.start, name.end, "name")) {

            if (part->name != NULL) {
                return "duplicate name parameter";
            }

            part->name = value.start;
            part->name_len = value.end - value.start;

        } else if (ngx_cweb_mp_caseeq(name.start, name.end, "filename")) {

            if (part->filename != NULL) {
                return "duplicate filename parameter";
            }

            part->filename = value.start;
            part->filename_len = value.end - value.start;
        }

        /* "filename*" is ignored: RFC 7578 section 4.2 forbids it */
    }

    if (rc == -1) {
        return "malformed content-disposition";
    }

    if (part->name == NULL) {
        return "part without name";
    }

    return NULL;
}


/*
 * Parses one ";" name "=" value parameter; returns 1 with a parameter,
 * 0 at the end of input, -1 on a syntax error.  Empty parameters, as in
 * ";;" or a trailing ";", are skipped because some clients produce them.
 */

static int
ngx_cweb_mp_param(const unsigned char **pos, const unsigned char *end,
    ngx_cweb_mp_range_t *name, ngx_cweb_mp_range_t *value)
{
    const unsigned char  *p;

    p = *pos;

    for ( ;; ) {
        p = ngx_cweb_mp_skip_ws(p, end);

        if (p == end) {
            *pos = p;
            return 0;
        }

        if (*p != ';') {
            return -1;
        }

        p = ngx_cweb_mp_skip_ws(p + 1, end);

        if (p != end && *p != ';') {
            break;
        }
    }

    name->start = p;

    while (p < end && *p != '=' && ngx_cweb_mp_is_tchar(*p)) {
        p++;
    }

    name->end = p;

    if (name->start == name->end) {
        return -1;
    }

    p = ngx_cweb_mp_skip_ws(p, end);

    if (p == end || *p != '=') {
        return -1;
    }

    p = ngx_cweb_mp_skip_ws(p + 1, end);

    if (p == end) {
        return -1;
    }

    if (*p == '"') {
        p++;
        value->start = p;

        for ( ;; ) {
            if (p == end) {
                return -1;
            }

            if (*p == '"') {
                break;
            }

            if (*p == '\\') {
                if (end - p < 2) {
                    return -1;
                }

                p += 2;
                continue;
            }

            p++;
        }

        value->end = p++;

    } else {
        value->start = p;

        while (p < end && ngx_cweb_mp_is_tchar(*p)) {
            p++;
        }

        value->end = p;

        if (value->start == value->end) {
            return -1;
        }
    }

    *pos = p;

    return 1;
}


/* CR and LF count as whitespace because folded values keep line breaks */

static int
ngx_cweb_mp_is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


/*
 * Characters of an unquoted parameter value.  Wider than the RFC 2045
 * token because clients send unquoted values such as "----=_Part_0".
 */

static int
ngx_cweb_mp_is_tchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != ';' && c != '"';
}


/* RFC 7230 tchar, for header field names */

static int
ngx_cweb_mp_is_hchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9'))
    {
        return 1;
    }

    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}


static const unsigned char *
ngx_cweb_mp_skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && ngx_cweb_mp_is_ws(*p)) {
        p++;
    }

    return p;
}


/* ASCII-only on purpose: tolower() would depend on the process locale */

static int
ngx_cweb_mp_caseeq(const unsigned char *s, const unsigned char *end,
    const char *lit)
{
    unsigned char  c;

    for ( /* void */ ; s < end; s++, lit++) {

        if (*lit == '\0') {
            return 0;
        }

        c = *s;

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (unsigned char) *lit) {
            return 0;
        }
    }

    return *lit == '\0';
}
