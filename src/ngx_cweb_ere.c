
/*
 * POSIX extended regular expressions for route paths, see ngx_cweb_ere.h:
 * the parser, the PCRE2 translation and the literal prefix; the NFA, with
 * matching and intersection, is in ngx_cweb_ere_nfa.c.
 *
 * A pattern is parsed into an AST, kept for the PCRE2 translation and the
 * prefix, and a Thompson NFA is built from it.  AST nodes live in one array
 * and refer to each other by index (first child, next sibling), so that the
 * array may grow while parsing; once the NFA is built it no longer moves and
 * states point at the byte sets of the nodes they came from.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_cweb_ere.h"
#include "ngx_cweb_ere_int.h"


#define NGX_CWEB_ERE_MAX_BOUND    255
#define NGX_CWEB_ERE_MAX_LITERAL  (1 << 20)

/* indexes into ngx_cweb_ere_classes[] used by \d \s \w */
#define NGX_CWEB_ERE_DIGIT        1
#define NGX_CWEB_ERE_SPACE        5
#define NGX_CWEB_ERE_WORD         12

#define ngx_cweb_ere_add(set, c)                                             \
    (set)[(c) >> 3] |= (unsigned char) (1 << ((c) & 7))
#define ngx_cweb_ere_is_quant(c)                                             \
    ((c) == '*' || (c) == '+' || (c) == '?' || (c) == '{')


typedef struct {
    ngx_cweb_ere_t        *e;
    const unsigned char   *pat;
    const unsigned char   *p;
    const unsigned char   *end;
    char                  *err;
    size_t                 errlen;
    int                    depth;
} ngx_cweb_ere_parser_t;


typedef struct {
    unsigned char         *buf;
    size_t                 size;
    size_t                 len;
} ngx_cweb_ere_out_t;


/* a class is up to four byte ranges, inclusive, in the C locale */
typedef struct {
    const char            *name;
    unsigned char          range[8];
} ngx_cweb_ere_class_t;


static ngx_cweb_ere_t *ngx_cweb_ere_create(const unsigned char *pat,
    size_t len, size_t max_len, long max_states, char *err, size_t errlen);
static int ngx_cweb_ere_fail(ngx_cweb_ere_parser_t *pr,
    const unsigned char *at, const char *msg);
static int ngx_cweb_ere_node(ngx_cweb_ere_t *e, int type, int kind,
    const unsigned char *set);
static int ngx_cweb_ere_list(ngx_cweb_ere_t *e, int type, int first,
    int count);
static size_t ngx_cweb_ere_prefix_walk(const ngx_cweb_ere_t *e,
    unsigned char *buf, size_t size);
static int ngx_cweb_ere_parse_alt(ngx_cweb_ere_parser_t *pr);
static int ngx_cweb_ere_parse_seq(ngx_cweb_ere_parser_t *pr);
static int ngx_cweb_ere_parse_atom(ngx_cweb_ere_parser_t *pr);
static int ngx_cweb_ere_parse_bracket(ngx_cweb_ere_parser_t *pr,
    const unsigned char *at, unsigned char *set);
static int ngx_cweb_ere_parse_class(ngx_cweb_ere_parser_t *pr,
    unsigned char *set);
static int ngx_cweb_ere_parse_quant(ngx_cweb_ere_parser_t *pr, int atom);
static int ngx_cweb_ere_number(ngx_cweb_ere_parser_t *pr);
static void ngx_cweb_ere_class_set(unsigned char *set, int cls, int negate);
static int ngx_cweb_ere_single(const unsigned char *set);
static void ngx_cweb_ere_emit(const ngx_cweb_ere_t *e, int n,
    ngx_cweb_ere_out_t *out);
static void ngx_cweb_ere_put(ngx_cweb_ere_out_t *out, const char *s,
    size_t n);
static void ngx_cweb_ere_put_byte(ngx_cweb_ere_out_t *out, int c, int hex);
static void ngx_cweb_ere_put_set(ngx_cweb_ere_out_t *out,
    const unsigned char *set);


static const ngx_cweb_ere_class_t  ngx_cweb_ere_classes[] = {
    { "alpha",  { 'A', 'Z', 'a', 'z', 1, 0, 1, 0 } },
    { "digit",  { '0', '9', 1, 0, 1, 0, 1, 0 } },
    { "alnum",  { '0', '9', 'A', 'Z', 'a', 'z', 1, 0 } },
    { "upper",  { 'A', 'Z', 1, 0, 1, 0, 1, 0 } },
    { "lower",  { 'a', 'z', 1, 0, 1, 0, 1, 0 } },
    { "space",  { '\t', '\r', ' ', ' ', 1, 0, 1, 0 } },
    { "punct",  { '!', '/', ':', '@', '[', '`', '{', '~' } },
    { "xdigit", { '0', '9', 'A', 'F', 'a', 'f', 1, 0 } },
    { "print",  { ' ', '~', 1, 0, 1, 0, 1, 0 } },
    { "graph",  { '!', '~', 1, 0, 1, 0, 1, 0 } },
    { "cntrl",  { 0x00, 0x1f, 0x7f, 0x7f, 1, 0, 1, 0 } },
    { "blank",  { '\t', '\t', ' ', ' ', 1, 0, 1, 0 } },
    { NULL,     { '0', '9', 'A', 'Z', '_', '_', 'a', 'z' } }    /* \w */
};


int
ngx_cweb_ere_is_regex(const unsigned char *p, size_t len)
{
    size_t             i;
    static const char  meta[] = ".*+?[](){}|^$\\";

    for (i = 0; i < len; i++) {
        if (memchr(meta, p[i], sizeof(meta) - 1) != NULL) {
            return 1;
        }
    }

    return 0;
}


ngx_cweb_ere_t *
ngx_cweb_ere_parse(const unsigned char *pat, size_t len, char *err,
    size_t errlen)
{
    return ngx_cweb_ere_create(pat, len, NGX_CWEB_ERE_MAX_LEN,
                               NGX_CWEB_ERE_MAX_STATES, err, errlen);
}


/*
 * A literal is parsed as a pattern with every metacharacter escaped, so
 * that there is one parser; it is not subject to the pattern limits.
 */

ngx_cweb_ere_t *
ngx_cweb_ere_literal(const unsigned char *s, size_t len, int prefix)
{
    size_t           i, n;
    unsigned char   *pat;
    ngx_cweb_ere_t  *e;

    if (len > NGX_CWEB_ERE_MAX_LITERAL) {
        return NULL;
    }

    pat = malloc(2 * len + 2);
    if (pat == NULL) {
        return NULL;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (ngx_cweb_ere_is_regex(&s[i], 1)) {
            pat[n++] = '\\';
        }

        pat[n++] = s[i];
    }

    if (prefix) {
        pat[n++] = '.';
        pat[n++] = '*';
    }

    e = ngx_cweb_ere_create(pat, n, n, NGX_CWEB_ERE_CAP, NULL, 0);

    free(pat);

    return e;
}


void
ngx_cweb_ere_free(ngx_cweb_ere_t *e)
{
    if (e == NULL) {
        return;
    }

    free(e->nodes);
    free(e->states);
    free(e);
}


long
ngx_cweb_ere_pcre(const ngx_cweb_ere_t *e, unsigned char *buf, size_t size)
{
    ngx_cweb_ere_out_t  out;

    out.buf = buf;
    out.size = size;
    out.len = 0;

    ngx_cweb_ere_put(&out, "(?s)\\A(?:", 9);
    ngx_cweb_ere_emit(e, e->root, &out);
    ngx_cweb_ere_put(&out, ")\\z", 3);

    if (out.len > size) {
        return -1;
    }

    if (out.len < size) {
        buf[out.len] = '\0';
    }

    return (long) out.len;
}


/*
 * Single bytes of the top-level concatenation, up to the first atom that
 * is anything else; a repeated byte counts once if it is mandatory, and
 * stops the prefix anyway.
 */

size_t
ngx_cweb_ere_prefix(const ngx_cweb_ere_t *e, unsigned char *buf, size_t size)
{
    if (size > 0) {
        memcpy(buf, e->prefix, (e->prefix_len < size) ? e->prefix_len : size);
    }

    return e->prefix_len;
}


static size_t
ngx_cweb_ere_prefix_walk(const ngx_cweb_ere_t *e, unsigned char *buf,
    size_t size)
{
    int                         n, c, last;
    size_t                      len;
    const ngx_cweb_ere_node_t  *node;

    n = e->root;

    if (e->nodes[n].type == NGX_CWEB_ERE_CAT) {
        n = e->nodes[n].child;
    }

    for (len = 0; n != -1; n = node->next) {
        node = &e->nodes[n];
        last = 0;

        if (node->type == NGX_CWEB_ERE_REPEAT && node->min > 0) {
            node = &e->nodes[node->child];
            last = 1;
        }

        if (node->type != NGX_CWEB_ERE_SET) {
            break;
        }

        c = ngx_cweb_ere_single(node->set);
        if (c == -1) {
            break;
        }

        if (len < size) {
            buf[len] = (unsigned char) c;
        }

        len++;

        if (last) {
            break;
        }
    }

    return len;
}


static ngx_cweb_ere_t *
ngx_cweb_ere_create(const unsigned char *pat, size_t len, size_t max_len,
    long max_states, char *err, size_t errlen)
{
    ngx_cweb_ere_t         *e;
    ngx_cweb_ere_parser_t   pr;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }

    if (len > max_len) {
        if (err != NULL && errlen > 0) {
            snprintf(err, errlen, "pattern too long (more than %d bytes)",
                     (int) max_len);
        }

        return NULL;
    }

    e = calloc(1, sizeof(ngx_cweb_ere_t));
    if (e == NULL) {
        goto failed;
    }

    pr.e = e;
    pr.pat = pat;
    pr.p = pat;
    pr.end = pat + len;
    pr.err = err;
    pr.errlen = errlen;
    pr.depth = 0;

    /* the pattern is anchored anyway, so a leading "^" is redundant */

    if (len > 0 && pat[0] == '^') {
        pr.p++;
    }

    e->root = ngx_cweb_ere_parse_alt(&pr);
    if (e->root == -1) {
        goto failed;
    }

    if (ngx_cweb_ere_nfa(e, max_states, err, errlen) != 0) {
        goto failed;
    }

    /* asked for every pair of routes compared: once */
    e->prefix_len = ngx_cweb_ere_prefix_walk(e, e->prefix, sizeof(e->prefix));

    if (e->prefix_len > sizeof(e->prefix)) {
        e->prefix_len = sizeof(e->prefix);
    }

    return e;

failed:

    /* every refusal has set a reason: an empty one means no memory */

    if (err != NULL && errlen > 0 && err[0] == '\0') {
        snprintf(err, errlen, "out of memory");
    }

    ngx_cweb_ere_free(e);

    return NULL;
}


static int
ngx_cweb_ere_fail(ngx_cweb_ere_parser_t *pr, const unsigned char *at,
    const char *msg)
{
    if (pr->err != NULL && pr->errlen > 0) {
        snprintf(pr->err, pr->errlen, "%s at offset %d", msg,
                 (int) (at - pr->pat));
    }

    return -1;
}


static int
ngx_cweb_ere_node(ngx_cweb_ere_t *e, int type, int kind,
    const unsigned char *set)
{
    int                   n;
    ngx_cweb_ere_node_t  *nodes;

    if (e->nnodes == e->nalloc) {
        n = e->nalloc ? 2 * e->nalloc : 16;

        nodes = realloc(e->nodes, n * sizeof(ngx_cweb_ere_node_t));
        if (nodes == NULL) {
            return -1;
        }

        e->nodes = nodes;
        e->nalloc = n;
    }

    n = e->nnodes++;

    memset(&e->nodes[n], 0, sizeof(ngx_cweb_ere_node_t));
    e->nodes[n].type = (unsigned char) type;
    e->nodes[n].kind = (unsigned char) kind;
    e->nodes[n].child = -1;
    e->nodes[n].next = -1;

    if (set != NULL) {
        memcpy(e->nodes[n].set, set, 32);
    }

    return n;
}


/* count nodes linked from first: that node when one, else wrapped in type */

static int
ngx_cweb_ere_list(ngx_cweb_ere_t *e, int type, int first, int count)
{
    int  n;

    if (count == 1) {
        return first;
    }

    n = ngx_cweb_ere_node(e, count ? type : NGX_CWEB_ERE_EMPTY, 0, NULL);
    if (n != -1) {
        e->nodes[n].child = first;
    }

    return n;
}


static int
ngx_cweb_ere_parse_alt(ngx_cweb_ere_parser_t *pr)
{
    int  n, first, last, count;

    first = -1;
    last = -1;

    for (count = 1; /* void */ ; count++) {
        n = ngx_cweb_ere_parse_seq(pr);
        if (n == -1) {
            return -1;
        }

        if (first == -1) {
            first = n;

        } else {
            pr->e->nodes[last].next = n;
        }

        last = n;

        if (pr->p == pr->end || *pr->p != '|') {
            return ngx_cweb_ere_list(pr->e, NGX_CWEB_ERE_ALT, first, count);
        }

        pr->p++;
    }
}


static int
ngx_cweb_ere_parse_seq(ngx_cweb_ere_parser_t *pr)
{
    int            n, first, last, count;
    char           msg[64];
    unsigned char  c;

    first = -1;
    last = -1;

    for (count = 0; pr->p < pr->end; count++) {
        c = *pr->p;

        if (c == '|' || (c == ')' && pr->depth > 0)) {
            break;
        }

        if (c == ')') {
            return ngx_cweb_ere_fail(pr, pr->p, "unmatched )");
        }

        if (c == '$' && pr->p + 1 == pr->end) {
            pr->p++;
            break;
        }

        if (c == '$') {
            return ngx_cweb_ere_fail(pr, pr->p, "anchor $ is allowed only at "
                                     "the end of the pattern");
        }

        if (c == '^') {
            return ngx_cweb_ere_fail(pr, pr->p, "anchor ^ is allowed only at "
                                     "the start of the pattern");
        }

        if (ngx_cweb_ere_is_quant(c)) {
            snprintf(msg, sizeof(msg), "quantifier %c has nothing to repeat",
                     c);
            return ngx_cweb_ere_fail(pr, pr->p, msg);
        }

        n = ngx_cweb_ere_parse_atom(pr);

        if (n != -1 && pr->p < pr->end && ngx_cweb_ere_is_quant(*pr->p)) {
            n = ngx_cweb_ere_parse_quant(pr, n);

            /* "a*?" and "a*+" are lazy and possessive in PCRE: not the same */

            if (n != -1 && pr->p < pr->end && ngx_cweb_ere_is_quant(*pr->p)) {
                snprintf(msg, sizeof(msg),
                         "quantifier %c after a quantifier is not supported",
                         *pr->p);
                return ngx_cweb_ere_fail(pr, pr->p, msg);
            }
        }

        if (n == -1) {
            return -1;
        }

        if (first == -1) {
            first = n;

        } else {
            pr->e->nodes[last].next = n;
        }

        last = n;
    }

    return ngx_cweb_ere_list(pr->e, NGX_CWEB_ERE_CAT, first, count);
}


static int
ngx_cweb_ere_parse_atom(ngx_cweb_ere_parser_t *pr)
{
    int                   n, inner, cls;
    char                  msg[64];
    unsigned char         c, set[32];
    const unsigned char  *at;
    static const char     lit[] = ".*+?[](){}|^$\\/";

    at = pr->p;
    c = *pr->p++;

    memset(set, 0, sizeof(set));

    switch (c) {

    case '(':
        if (pr->p < pr->end && *pr->p == '?') {
            return ngx_cweb_ere_fail(pr, at,
                                     "\"(?\" extensions are not supported");
        }

        pr->depth++;
        inner = ngx_cweb_ere_parse_alt(pr);
        pr->depth--;

        if (inner == -1) {
            return -1;
        }

        /* inside a group the alternation stops only at ")" or the end */

        if (pr->p == pr->end) {
            return ngx_cweb_ere_fail(pr, at, "unmatched (");
        }

        pr->p++;

        n = ngx_cweb_ere_node(pr->e, NGX_CWEB_ERE_GROUP, 0, NULL);
        if (n != -1) {
            pr->e->nodes[n].child = inner;
        }

        return n;

    case '[':
        if (ngx_cweb_ere_parse_bracket(pr, at, set) != 0) {
            return -1;
        }

        return ngx_cweb_ere_node(pr->e, NGX_CWEB_ERE_SET, NGX_CWEB_ERE_CLASS,
                                 set);

    case '.':
        memset(set, 0xff, sizeof(set));
        return ngx_cweb_ere_node(pr->e, NGX_CWEB_ERE_SET, NGX_CWEB_ERE_ANY,
                                 set);

    case '\\':
        break;

    default:
        ngx_cweb_ere_add(set, c);
        return ngx_cweb_ere_node(pr->e, NGX_CWEB_ERE_SET, NGX_CWEB_ERE_BYTE,
                                 set);
    }

    if (pr->p == pr->end) {
        return ngx_cweb_ere_fail(pr, at, "trailing backslash");
    }

    c = *pr->p++;

    if (memchr(lit, c, sizeof(lit) - 1) != NULL) {
        ngx_cweb_ere_add(set, c);
        return ngx_cweb_ere_node(pr->e, NGX_CWEB_ERE_SET, NGX_CWEB_ERE_BYTE,
                                 set);
    }

    cls = (c == 'd' || c == 'D') ? NGX_CWEB_ERE_DIGIT
          : (c == 's' || c == 'S') ? NGX_CWEB_ERE_SPACE
          : (c == 'w' || c == 'W') ? NGX_CWEB_ERE_WORD : -1;

    if (cls != -1) {
        ngx_cweb_ere_class_set(set, cls, c < 'a');
        return ngx_cweb_ere_node(pr->e, NGX_CWEB_ERE_SET, NGX_CWEB_ERE_CLASS,
                                 set);
    }

    if (c >= '1' && c <= '9') {
        snprintf(msg, sizeof(msg), "backreference \\%c is not supported", c);

    } else if (c > 0x20 && c < 0x7f) {
        snprintf(msg, sizeof(msg), "unsupported escape \\%c", c);

    } else {
        snprintf(msg, sizeof(msg), "unsupported escape of byte 0x%02x", c);
    }

    return ngx_cweb_ere_fail(pr, at, msg);
}


/*
 * POSIX brackets: "]" first (after an optional "^") is literal, "-" first
 * or last is literal, a backslash is literal.  POSIX leaves "-" anywhere
 * else undefined unless it ends a range, so it is refused.
 */

static int
ngx_cweb_ere_parse_bracket(ngx_cweb_ere_parser_t *pr,
    const unsigned char *at, unsigned char *set)
{
    int                   i, lo, hi, first, negate;
    const unsigned char  *p;

    negate = (pr->p < pr->end && *pr->p == '^');
    pr->p += negate;

    for (first = 1; /* void */ ; first = 0) {
        p = pr->p;

        if (p == pr->end) {
            return ngx_cweb_ere_fail(pr, at, "unterminated bracket expression");
        }

        if (*p == ']' && !first) {
            pr->p++;
            break;
        }

        if (p + 1 < pr->end && p[0] == '[' && p[1] == '=') {
            return ngx_cweb_ere_fail(pr, p, "equivalence classes [= =] "
                                     "are not supported");
        }

        if (p + 1 < pr->end && p[0] == '[' && p[1] == '.') {
            return ngx_cweb_ere_fail(pr, p, "collating symbols [. .] "
                                     "are not supported");
        }

        if (p + 1 < pr->end && p[0] == '[' && p[1] == ':') {
            if (ngx_cweb_ere_parse_class(pr, set) != 0) {
                return -1;
            }

            if (pr->p + 1 < pr->end && pr->p[0] == '-' && pr->p[1] != ']') {
                return ngx_cweb_ere_fail(pr, pr->p, "range starting with "
                                         "a character class");
            }

            continue;
        }

        lo = *pr->p++;
        hi = lo;

        if (lo == '-' && !first && pr->p < pr->end && *pr->p != ']') {
            return ngx_cweb_ere_fail(pr, p, "misplaced - in bracket "
                                     "expression");
        }

        if (pr->p + 1 < pr->end && pr->p[0] == '-' && pr->p[1] != ']') {
            hi = pr->p[1];

            if (hi == '[' && pr->p + 2 < pr->end
                && (pr->p[2] == ':' || pr->p[2] == '=' || pr->p[2] == '.'))
            {
                return ngx_cweb_ere_fail(pr, pr->p + 1, "invalid range end "
                                         "in bracket expression");
            }

            if (hi < lo) {
                return ngx_cweb_ere_fail(pr, p, "reversed range in bracket "
                                         "expression");
            }

            pr->p += 2;
        }

        for (i = lo; i <= hi; i++) {
            ngx_cweb_ere_add(set, i);
        }
    }

    for (i = 0; negate && i < 32; i++) {
        set[i] = (unsigned char) ~set[i];
    }

    return 0;
}


static int
ngx_cweb_ere_parse_class(ngx_cweb_ere_parser_t *pr, unsigned char *set)
{
    int                   i;
    char                  msg[64];
    size_t                len;
    const unsigned char  *name, *q;

    name = pr->p + 2;

    for (q = name; q + 1 < pr->end && (q[0] != ':' || q[1] != ']'); q++) {
        /* void */
    }

    if (q + 1 >= pr->end) {
        return ngx_cweb_ere_fail(pr, pr->p, "unterminated character class");
    }

    len = q - name;

    for (i = 0; ngx_cweb_ere_classes[i].name != NULL; i++) {
        if (strlen(ngx_cweb_ere_classes[i].name) == len
            && memcmp(ngx_cweb_ere_classes[i].name, name, len) == 0)
        {
            ngx_cweb_ere_class_set(set, i, 0);
            pr->p = q + 2;
            return 0;
        }
    }

    snprintf(msg, sizeof(msg), "unknown character class [:%.*s:]",
             (int) (len < 16 ? len : 16), (const char *) name);

    return ngx_cweb_ere_fail(pr, pr->p, msg);
}


/* *, +, ?, {n}, {n,} and {n,m} with n <= m <= 255 */

static int
ngx_cweb_ere_parse_quant(ngx_cweb_ere_parser_t *pr, int atom)
{
    int                   n, min, max, kind;
    const unsigned char  *at;

    at = pr->p;
    kind = *pr->p++;
    min = (kind == '+');
    max = (kind == '?') ? 1 : NGX_CWEB_ERE_INF;

    if (kind == '{') {
        min = ngx_cweb_ere_number(pr);
        max = min;

        if (min >= 0 && pr->p < pr->end && *pr->p == ',') {
            kind = ',';
            pr->p++;
            max = NGX_CWEB_ERE_INF;

            if (pr->p < pr->end && *pr->p != '}') {
                max = ngx_cweb_ere_number(pr);
            }
        }

        if (min == -2 || max == -2) {
            return ngx_cweb_ere_fail(pr, at, "repetition bound above 255");
        }

        if (min == -1 || max == -1 || pr->p == pr->end || *pr->p != '}'
            || (max != NGX_CWEB_ERE_INF && max < min))
        {
            return ngx_cweb_ere_fail(pr, at, "invalid repetition bound");
        }

        pr->p++;
    }

    n = ngx_cweb_ere_node(pr->e, NGX_CWEB_ERE_REPEAT, kind, NULL);
    if (n == -1) {
        return -1;
    }

    pr->e->nodes[n].min = min;
    pr->e->nodes[n].max = max;
    pr->e->nodes[n].child = atom;

    return n;
}


/* a decimal number: -1 when there is none, -2 when above the bound limit */

static int
ngx_cweb_ere_number(ngx_cweb_ere_parser_t *pr)
{
    int  n, digits;

    n = 0;

    for (digits = 0; pr->p < pr->end && *pr->p >= '0' && *pr->p <= '9';
         digits++)
    {
        n = n * 10 + (*pr->p++ - '0');

        if (n > NGX_CWEB_ERE_MAX_BOUND) {
            return -2;
        }
    }

    return digits ? n : -1;
}


static void
ngx_cweb_ere_class_set(unsigned char *set, int cls, int negate)
{
    int                   c, i, in;
    const unsigned char  *r;

    r = ngx_cweb_ere_classes[cls].range;

    for (c = 0; c < 256; c++) {

        /* unused ranges are written 1-0, which holds nothing */

        for (in = 0, i = 0; i < 8; i += 2) {
            in |= (c >= r[i] && c <= r[i + 1]);
        }

        if (in != negate) {
            ngx_cweb_ere_add(set, c);
        }
    }
}


/* the byte when it is the only one in the set, -1 otherwise */

static int
ngx_cweb_ere_single(const unsigned char *set)
{
    int  i, b, found;

    found = -1;

    /* a byte of the set at a time: at most one bit in all of them */
    for (i = 0; i < 32; i++) {
        if (set[i] == 0) {
            continue;
        }

        if (found != -1 || (set[i] & (set[i] - 1)) != 0) {
            return -1;
        }

        for (b = 0; !(set[i] & (1 << b)); b++) {
            /* void */
        }

        found = i * 8 + b;
    }

    return found;
}


static void
ngx_cweb_ere_emit(const ngx_cweb_ere_t *e, int n, ngx_cweb_ere_out_t *out)
{
    int                         c;
    char                        num[32];
    const ngx_cweb_ere_node_t  *node;

    node = &e->nodes[n];

    switch (node->type) {

    case NGX_CWEB_ERE_SET:
        if (node->kind == NGX_CWEB_ERE_ANY) {
            ngx_cweb_ere_put(out, ".", 1);

        } else if (node->kind == NGX_CWEB_ERE_BYTE) {
            ngx_cweb_ere_put_byte(out, ngx_cweb_ere_single(node->set), 0);

        } else {
            ngx_cweb_ere_put_set(out, node->set);
        }

        break;

    case NGX_CWEB_ERE_CAT:
    case NGX_CWEB_ERE_ALT:
        for (c = node->child; c != -1; c = e->nodes[c].next) {
            if (c != node->child && node->type == NGX_CWEB_ERE_ALT) {
                ngx_cweb_ere_put(out, "|", 1);
            }

            ngx_cweb_ere_emit(e, c, out);
        }

        break;

    case NGX_CWEB_ERE_GROUP:
        ngx_cweb_ere_put(out, "(?:", 3);
        ngx_cweb_ere_emit(e, node->child, out);
        ngx_cweb_ere_put(out, ")", 1);
        break;

    case NGX_CWEB_ERE_REPEAT:

        /* the child is an atom: a byte, ".", a set or a group */

        ngx_cweb_ere_emit(e, node->child, out);

        if (node->kind == '{') {
            c = snprintf(num, sizeof(num), "{%d}", node->min);

        } else if (node->kind == ',' && node->max == NGX_CWEB_ERE_INF) {
            c = snprintf(num, sizeof(num), "{%d,}", node->min);

        } else if (node->kind == ',') {
            c = snprintf(num, sizeof(num), "{%d,%d}", node->min, node->max);

        } else {
            c = snprintf(num, sizeof(num), "%c", node->kind);
        }

        ngx_cweb_ere_put(out, num, c);
        break;

    default:
        break;
    }
}


/* counts what does not fit, so that the caller learns it was too small */

static void
ngx_cweb_ere_put(ngx_cweb_ere_out_t *out, const char *s, size_t n)
{
    size_t  k;

    if (out->len < out->size) {
        k = out->size - out->len;
        memcpy(out->buf + out->len, s, n < k ? n : k);
    }

    out->len += n;
}


/* outside a set, bytes PCRE could give a meaning to are written \xHH */

static void
ngx_cweb_ere_put_byte(ngx_cweb_ere_out_t *out, int c, int hex)
{
    char  buf[8];

    if (!hex
        && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '_' || c == '/' || c == '-'))
    {
        buf[0] = (char) c;
        ngx_cweb_ere_put(out, buf, 1);
        return;
    }

    ngx_cweb_ere_put(out, buf, snprintf(buf, sizeof(buf), "\\x%02x", c));
}


static void
ngx_cweb_ere_put_set(ngx_cweb_ere_out_t *out, const unsigned char *set)
{
    int  c, d;

    /* PCRE has no empty class; a group that cannot match takes its place */

    if (ngx_cweb_ere_lowest(set, set) == -1) {
        ngx_cweb_ere_put(out, "(?:(?!))", 8);
        return;
    }

    ngx_cweb_ere_put(out, "[", 1);

    for (c = 0; c < 256; c++) {
        if (!ngx_cweb_ere_has(set, c)) {
            continue;
        }

        for (d = c; d < 255 && ngx_cweb_ere_has(set, d + 1); d++) {
            /* void */
        }

        ngx_cweb_ere_put_byte(out, c, 1);

        if (d > c) {
            ngx_cweb_ere_put(out, "-", 1);
            ngx_cweb_ere_put_byte(out, d, 1);
        }

        c = d;
    }

    ngx_cweb_ere_put(out, "]", 1);
}
