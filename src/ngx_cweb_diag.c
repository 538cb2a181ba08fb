
/*
 * Compiler and linker diagnostics parser, see ngx_cweb_diag.h.
 *
 * Recognised lines (severity is "error" unless the line names one):
 *
 *   file.c:12:5: error: msg              GCC, Clang
 *   file.c:12: warning: msg              no column
 *   cc1: error: msg                      program, line 0
 *   /usr/bin/ld: cannot find -lfoo       GNU ld, no severity
 *   file.c:(.text+0x1f): msg             GNU ld, no debug info
 *   file.c:12:(.text+0x1f): msg          GNU ld, some relocation errors
 *   file.c:12: msg                       GNU ld with -g, after "in function"
 *   /tmp/x.o:file.c:function f: error:   gold
 *   ld.lld: error: msg                   lld; file and line are taken from
 *   >>> referenced by file.c:12          the first ">>>" line that follows
 */


#include <string.h>

#include "ngx_cweb_diag.h"


/* more digits than this cannot be a line number and could overflow */
#define NGX_CWEB_DIAG_MAX_DIGITS  9


typedef struct {
    const unsigned char  *file;
    const unsigned char  *file_end;
    unsigned              line;
    unsigned              column;
    int                   linker;
} ngx_cweb_diag_loc_t;


typedef struct {
    const char           *name;
    const char           *severity;
} ngx_cweb_diag_severity_t;


static int ngx_cweb_diag_line(const unsigned char *p,
    const unsigned char *end, ngx_cweb_diag_t *d, int *in_function);
static int ngx_cweb_diag_link(const unsigned char *p,
    const unsigned char *end, int trusted, ngx_cweb_diag_t *d);
static const char *ngx_cweb_diag_severity(const unsigned char *p,
    const unsigned char *end, const unsigned char **msg);
static int ngx_cweb_diag_location(const unsigned char *p,
    const unsigned char *end, int linker, ngx_cweb_diag_loc_t *loc);
static void ngx_cweb_diag_lld_ref(const unsigned char *p,
    const unsigned char *end, ngx_cweb_diag_t *d);
static int ngx_cweb_diag_is_ld(const unsigned char *p,
    const unsigned char *end);
static int ngx_cweb_diag_is_object(const unsigned char *p,
    const unsigned char *end);
static void ngx_cweb_diag_fill(ngx_cweb_diag_t *d, ngx_cweb_diag_loc_t *loc,
    const char *severity, const unsigned char *msg, const unsigned char *end);
static const unsigned char *ngx_cweb_diag_find(const unsigned char *p,
    const unsigned char *end, const char *s);
static int ngx_cweb_diag_prefix(const unsigned char *p,
    const unsigned char *end, const char *s);
static int ngx_cweb_diag_suffix(const unsigned char *p,
    const unsigned char *end, const char *s);


static const ngx_cweb_diag_severity_t  ngx_cweb_diag_severities[] = {
    { "error", "error" },
    { "fatal error", "fatal error" },
    { "warning", "warning" },
    { "note", "note" },

    /* GCC's own failures: dropping them would hide why the build failed */
    { "internal compiler error", "fatal error" },
    { "sorry, unimplemented", "error" },

    { NULL, NULL }
};


size_t
ngx_cweb_diag_parse(const unsigned char *out, size_t len, ngx_cweb_diag_t *d,
    size_t max)
{
    int                   in_function;
    size_t                n;
    ngx_cweb_diag_t      *lld;
    const unsigned char  *p, *end, *lf, *line_end;

    if (out == NULL || max == 0) {
        return 0;
    }

    n = 0;
    in_function = 0;
    lld = NULL;

    p = out;
    end = out + len;

    while (p < end) {

        lf = memchr(p, '\n', end - p);
        line_end = (lf != NULL) ? lf : end;

        if (line_end > p && line_end[-1] == '\r') {
            line_end--;
        }

        if (lld != NULL && ngx_cweb_diag_prefix(p, line_end, ">>> ")) {
            ngx_cweb_diag_lld_ref(p + 4, line_end, lld);
        }

        lld = NULL;

        if (n < max && ngx_cweb_diag_line(p, line_end, &d[n], &in_function)) {

            /* "ld.lld: error: undefined symbol: x" is located by ">>>" */

            if (d[n].line == 0
                && ngx_cweb_diag_is_ld(d[n].file, d[n].file + d[n].file_len))
            {
                lld = &d[n];
            }

            n++;
        }

        if (n == max && lld == NULL) {
            break;
        }

        p = (lf != NULL) ? lf + 1 : end;
    }

    return n;
}


static int
ngx_cweb_diag_line(const unsigned char *p, const unsigned char *end,
    ngx_cweb_diag_t *d, int *in_function)
{
    int                   ctx;
    const char           *severity;
    const unsigned char  *sep, *rest, *msg;
    ngx_cweb_diag_loc_t   loc;

    /* the linker's "in function" context lasts until an unrelated line */

    ctx = *in_function;
    *in_function = 0;

    /*
     * Source excerpts and caret lines ("   12 |   foo();"), continued
     * include chains ("                 from x.h:2,") and lld's ">>>"
     * notes never start a diagnostic.
     */

    if (p == end || *p == ' ' || *p == '\t' || *p == '>') {
        return 0;
    }

    if (ngx_cweb_diag_prefix(p, end, "In file included from ")) {
        return 0;
    }

    sep = ngx_cweb_diag_find(p, end, ": ");
    if (sep == NULL) {
        return 0;
    }

    rest = sep + 2;

    severity = ngx_cweb_diag_severity(rest, end, &msg);

    if (severity != NULL) {

        if (!ngx_cweb_diag_location(p, sep, 0, &loc)) {
            return 0;
        }

        ngx_cweb_diag_fill(d, &loc, severity, msg, end);
        return 1;
    }

    /*
     * "/usr/bin/ld: /tmp/ccAbc.o: in function `f':" (the ld prefix is absent
     * for some errors) only announces that the following lines, which may
     * lack the prefix, are linker errors.  GCC's "In function" is
     * capitalised.
     */

    if (end[-1] == ':'
        && ngx_cweb_diag_find(p, end, ": in function ") != NULL)
    {
        *in_function = 1;
        return 0;
    }

    if (ngx_cweb_diag_is_ld(p, sep)) {

        if (ngx_cweb_diag_link(rest, end, 1, d)) {
            *in_function = ctx;
            return 1;
        }

        /* "/usr/bin/ld: cannot find -lfoo: No such file or directory" */

        loc.file = p;
        loc.file_end = sep;
        loc.line = 0;
        loc.column = 0;
        loc.linker = 1;

        ngx_cweb_diag_fill(d, &loc, "error", rest, end);
        return 1;
    }

    if (ngx_cweb_diag_link(p, end, ctx, d)) {
        *in_function = ctx;
        return 1;
    }

    return 0;
}


/*
 * Linker errors carry no severity and their location takes several forms;
 * "file:line: msg" alone is too ambiguous, so it is only accepted when the
 * line is known to come from the linker (trusted) or has a typical message.
 */

static int
ngx_cweb_diag_link(const unsigned char *p, const unsigned char *end,
    int trusted, ngx_cweb_diag_t *d)
{
    const char           *severity;
    const unsigned char  *sep, *rest, *msg;
    ngx_cweb_diag_loc_t   loc;

    sep = ngx_cweb_diag_find(p, end, ": ");
    if (sep == NULL) {
        return 0;
    }

    rest = sep + 2;

    if (!ngx_cweb_diag_location(p, sep, 1, &loc)) {
        return 0;
    }

    severity = ngx_cweb_diag_severity(rest, end, &msg);

    if (severity == NULL && !loc.linker) {

        if (loc.line == 0) {
            return 0;
        }

        if (!trusted
            && !ngx_cweb_diag_prefix(rest, end, "undefined reference to ")
            && !ngx_cweb_diag_prefix(rest, end, "multiple definition of "))
        {
            return 0;
        }
    }

    if (severity == NULL) {
        severity = "error";
        msg = rest;
    }

    ngx_cweb_diag_fill(d, &loc, severity, msg, end);

    return 1;
}


static const char *
ngx_cweb_diag_severity(const unsigned char *p, const unsigned char *end,
    const unsigned char **msg)
{
    size_t                           n;
    const ngx_cweb_diag_severity_t  *s;

    for (s = ngx_cweb_diag_severities; s->name != NULL; s++) {

        n = strlen(s->name);

        /* the colon must follow at once: "errors: 3" is not a severity */

        if ((size_t) (end - p) <= n
            || memcmp(p, s->name, n) != 0
            || p[n] != ':')
        {
            continue;
        }

        if (p + n + 1 == end) {
            *msg = end;
            return s->severity;
        }

        if (p[n + 1] == ' ') {
            *msg = p + n + 2;
            return s->severity;
        }
    }

    return NULL;
}


/*
 * Parses "file", "file:line", "file:line:column", optionally followed by
 * ":(section+offset)" (GNU ld) or ":function name" (gold), and for linker
 * lines preceded by "object.o:".  Returns 0 if it cannot be a location.
 */

static int
ngx_cweb_diag_location(const unsigned char *p, const unsigned char *end,
    int linker, ngx_cweb_diag_loc_t *loc)
{
    size_t                k;
    unsigned              num[2];
    const unsigned char  *q, *digits;

    loc->line = 0;
    loc->column = 0;
    loc->linker = 0;

    if (end > p && end[-1] == ')') {

        for (q = end - 1; q > p && *q != '('; q--) {
            /* void */
        }

        if (q > p && q[-1] == ':') {
            end = q - 1;
            loc->linker = 1;
        }
    }

    q = ngx_cweb_diag_find(p, end, ":function ");
    if (q != NULL) {
        end = q;
        loc->linker = 1;
    }

    for (k = 0; k < 2; k++) {

        for (digits = end;
             digits > p && digits[-1] >= '0' && digits[-1] <= '9';
             digits--)
        {
            /* void */
        }

        /* "cc1" and "collect2" end in digits, but not after a colon */

        if (digits == end || digits - 1 <= p || digits[-1] != ':'
            || end - digits > NGX_CWEB_DIAG_MAX_DIGITS)
        {
            break;
        }

        num[k] = 0;

        for (q = digits; q < end; q++) {
            num[k] = num[k] * 10 + (*q - '0');
        }

        end = digits - 1;
    }

    /* numbers were collected right to left */

    if (k == 2) {
        loc->line = num[1];
        loc->column = num[0];

    } else if (k == 1) {
        loc->line = num[0];
    }

    if (linker || loc->linker) {

        /* "/tmp/ccAbc.o:file.c": the object file only hides the source */

        for (q = end; q > p; q--) {
            if (q[-1] == ':' && q != end
                && ngx_cweb_diag_is_object(p, q - 1))
            {
                p = q;
                break;
            }
        }
    }

    if (p == end) {
        return 0;
    }

    /*
     * Program names ("cc1", "collect2") contain no blanks; without that
     * check "a.h: At top level" or any prose with a colon would qualify.
     */

    if (loc->line == 0 && !loc->linker) {
        for (q = p; q < end; q++) {
            if (*q == ' ' || *q == '\t') {
                return 0;
            }
        }
    }

    loc->file = p;
    loc->file_end = end;

    return 1;
}


/* lld: ">>> referenced by file.c:12 (/abs/file.c:12)", ">>> defined at" */

static void
ngx_cweb_diag_lld_ref(const unsigned char *p, const unsigned char *end,
    ngx_cweb_diag_t *d)
{
    const unsigned char  *q;
    ngx_cweb_diag_loc_t   loc;

    while (p < end && *p == ' ') {
        p++;
    }

    if (ngx_cweb_diag_prefix(p, end, "referenced by ")) {
        p += sizeof("referenced by ") - 1;

    } else if (ngx_cweb_diag_prefix(p, end, "defined at ")) {
        p += sizeof("defined at ") - 1;

    } else {
        return;
    }

    for (q = p; q < end && *q != ' '; q++) {
        /* void */
    }

    if (!ngx_cweb_diag_location(p, q, 1, &loc)) {
        return;
    }

    d->file = loc.file;
    d->file_len = loc.file_end - loc.file;
    d->line = loc.line;
    d->column = loc.column;
}


/*
 * "ld", "/usr/bin/ld", "ld.bfd", "ld.gold", "ld.lld", "ld64.lld",
 * "x86_64-linux-gnu-ld", "aarch64-linux-gnu-ld.bfd"
 */

static int
ngx_cweb_diag_is_ld(const unsigned char *p, const unsigned char *end)
{
    const unsigned char  *q, *base;

    base = p;

    for (q = p; q < end; q++) {

        if (*q == ' ' || *q == '\t') {
            return 0;
        }

        if (*q == '/') {
            base = q + 1;
        }
    }

    if (end - base == 2 && base[0] == 'l' && base[1] == 'd') {
        return 1;
    }

    if (ngx_cweb_diag_prefix(base, end, "ld.")
        || ngx_cweb_diag_prefix(base, end, "ld64.")
        || ngx_cweb_diag_suffix(base, end, "-ld")
        || ngx_cweb_diag_find(base, end, "-ld.") != NULL)
    {
        return 1;
    }

    return 0;
}


/* "x.o", "x.obj", and archive members "libx.a(x.o)" */

static int
ngx_cweb_diag_is_object(const unsigned char *p, const unsigned char *end)
{
    return ngx_cweb_diag_suffix(p, end, ".o")
           || ngx_cweb_diag_suffix(p, end, ".o)")
           || ngx_cweb_diag_suffix(p, end, ".obj")
           || ngx_cweb_diag_suffix(p, end, ".obj)");
}


static void
ngx_cweb_diag_fill(ngx_cweb_diag_t *d, ngx_cweb_diag_loc_t *loc,
    const char *severity, const unsigned char *msg, const unsigned char *end)
{
    d->file = loc->file;
    d->file_len = loc->file_end - loc->file;
    d->line = loc->line;
    d->column = loc->column;
    d->severity = severity;
    d->message = msg;
    d->message_len = end - msg;
}


static const unsigned char *
ngx_cweb_diag_find(const unsigned char *p, const unsigned char *end,
    const char *s)
{
    size_t  n;

    n = strlen(s);

    while ((size_t) (end - p) >= n) {

        p = memchr(p, s[0], end - p - n + 1);
        if (p == NULL) {
            return NULL;
        }

        if (memcmp(p, s, n) == 0) {
            return p;
        }

        p++;
    }

    return NULL;
}


static int
ngx_cweb_diag_prefix(const unsigned char *p, const unsigned char *end,
    const char *s)
{
    size_t  n;

    n = strlen(s);

    return (size_t) (end - p) >= n && memcmp(p, s, n) == 0;
}


static int
ngx_cweb_diag_suffix(const unsigned char *p, const unsigned char *end,
    const char *s)
{
    size_t  n;

    n = strlen(s);

    return (size_t) (end - p) >= n && memcmp(end - n, s, n) == 0;
}
