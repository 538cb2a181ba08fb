
/*
 * POSIX extended regular expressions for route paths.
 *
 * A route path that contains a metacharacter is a POSIX ERE matched against
 * the whole decoded request path, with byte semantics (no locale, no UTF-8).
 * This module refuses what it cannot translate faithfully (backreferences,
 * PCRE extensions, lazy or possessive look-alikes), translates the rest to
 * PCRE2 for matching in the server, and answers the questions asked when
 * a version is deployed, restored or filed in a worker's route table: can
 * two routes match the same path, what literal prefix does a route start
 * with.
 *
 * Deliberately free of nginx headers so that it can be unit tested
 * standalone; the module compiles the .c files as one of its sources.
 * A parsed pattern is immutable: every function taking a const pointer may
 * be called on it concurrently.
 */


#ifndef _NGX_CWEB_ERE_H_INCLUDED_
#define _NGX_CWEB_ERE_H_INCLUDED_


#include <stddef.h>


#define NGX_CWEB_ERE_MAX_LEN     1024
#define NGX_CWEB_ERE_MAX_STATES  4096
#define NGX_CWEB_ERE_MAX_PAIRS   4000000

/*
 * A buffer this big always holds the PCRE2 translation of a pattern of len
 * bytes, NUL included: "\W" (2 bytes) becomes a 42-byte set, nothing else
 * grows more per input byte.
 */
#define NGX_CWEB_ERE_PCRE_LEN(len)  (24 * (size_t) (len) + 16)


typedef struct ngx_cweb_ere_s  ngx_cweb_ere_t;


/*
 * 1 when the path contains a regex metacharacter, one of
 * . * + ? [ ] ( ) { } | ^ $ and backslash; such a route path is a pattern.
 */
int ngx_cweb_ere_is_regex(const unsigned char *p, size_t len);

/*
 * Parses a POSIX extended regular expression, implicitly anchored at both
 * ends.  Returns NULL when the pattern is refused or memory runs out; then,
 * if err is not NULL and errlen is not 0, err holds a NUL-terminated,
 * lower-case reason (truncated to errlen), e.g. "backreference \1 is not
 * supported at offset 7".  The result is released with ngx_cweb_ere_free().
 */
ngx_cweb_ere_t *ngx_cweb_ere_parse(const unsigned char *pat, size_t len,
    char *err, size_t errlen);

/*
 * The language {s} (prefix == 0) or { s followed by anything } (prefix != 0);
 * s is literal bytes, no metacharacter meaning.  NULL on no memory, or when
 * s is longer than 1 MB.
 */
ngx_cweb_ere_t *ngx_cweb_ere_literal(const unsigned char *s, size_t len,
    int prefix);

/* e may be NULL */
void ngx_cweb_ere_free(ngx_cweb_ere_t *e);

/*
 * 1 when the whole of s[0..len) matches, 0 when it does not (or when the
 * scratch state sets cannot be allocated).  O(len * states).  The unit
 * tests' oracle for the NFA and the PCRE2 translation; the server matches
 * with PCRE2.
 */
int ngx_cweb_ere_match(const ngx_cweb_ere_t *e, const unsigned char *s,
    size_t len);

/*
 * 1 when some string matches both, 0 when none can; -1 when the search was
 * too big to decide (more than NGX_CWEB_ERE_MAX_PAIRS state pairs, or no
 * memory): callers treat -1 as "may overlap".  When example is not NULL and
 * the result is 1, a shortest witness string is written there (at most max
 * bytes, not NUL-terminated) and its length to *example_len (if longer than
 * max, it is truncated to max).
 */
int ngx_cweb_ere_intersect(const ngx_cweb_ere_t *a, const ngx_cweb_ere_t *b,
    unsigned char *example, size_t *example_len, size_t max);

/*
 * An equivalent PCRE2 pattern (8-bit, non-UTF, compile with no options):
 * "(?s)\A(?:" ... ")\z", so that it is anchored at both ends and '.' matches
 * every byte including newline.  Literal bytes other than [A-Za-z0-9_/-] are
 * written as \xHH, bracket expressions and \d \w \s as explicit [...] sets
 * of \xHH ranges (negation resolved), groups as (?:...), quantifiers as
 * written.  Returns the length written (a NUL is also written when room
 * remains), or -1 when size is too small (see NGX_CWEB_ERE_PCRE_LEN).
 */
long ngx_cweb_ere_pcre(const ngx_cweb_ere_t *e, unsigned char *buf,
    size_t size);

/*
 * A literal string every match starts with, found conservatively when the
 * pattern is parsed (it may be shorter than possible, never longer; may be
 * empty; at most 256 bytes): returns its length, copying at most size
 * bytes to buf.  ngx_cweb_ere_intersect() tells routes with diverging
 * prefixes apart by it alone.
 */
size_t ngx_cweb_ere_prefix(const ngx_cweb_ere_t *e, unsigned char *buf,
    size_t size);


#endif /* _NGX_CWEB_ERE_H_INCLUDED_ */
