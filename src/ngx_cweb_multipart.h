
/*
 * multipart/form-data parser (RFC 7578, RFC 2046 section 5.1).
 *
 * Deliberately free of nginx headers so that it can be unit tested
 * standalone; the module compiles the .c file as one of its sources.
 * Nothing is allocated: every pointer returned points into the caller's
 * buffers, which must therefore outlive the results.
 */


#ifndef _NGX_CWEB_MULTIPART_H_INCLUDED_
#define _NGX_CWEB_MULTIPART_H_INCLUDED_


#include <stddef.h>


/*
 * The header block of a single part (all header lines plus the empty line
 * that ends it) may not exceed this many bytes: form parts carry two or
 * three short headers, so anything bigger is garbage or an attack.
 */
#ifndef NGX_CWEB_MP_MAX_HEADERS
#define NGX_CWEB_MP_MAX_HEADERS  8192
#endif

/* RFC 2046: boundary := 0*69<bchars> bcharsnospace */
#define NGX_CWEB_MP_MAX_BOUNDARY  70


typedef struct {
    /* form field name, quotes removed */
    const unsigned char  *name;
    size_t                name_len;

    /* NULL when absent; non-NULL with zero length for filename="" */
    const unsigned char  *filename;
    size_t                filename_len;

    /* whole header value, e.g. "text/plain; charset=utf-8"; NULL if absent */
    const unsigned char  *content_type;
    size_t                content_type_len;

    /* part body, binary-safe */
    const unsigned char  *data;
    size_t                data_len;
} ngx_cweb_mp_part_t;


/*
 * Extracts the boundary parameter from a Content-Type header value such as
 * "multipart/form-data; boundary=XYZ" (value quoted or not, parameters in
 * any order, media type and parameter names case-insensitive).
 *
 * Returns 0 on success, -1 if the media type is not multipart/form-data or
 * the boundary is missing, duplicated or invalid (not 1..70 characters).
 */
int ngx_cweb_mp_boundary(const unsigned char *ct, size_t len,
    const unsigned char **boundary, size_t *boundary_len);

/*
 * Parses a complete, contiguous multipart/form-data body into at most
 * max_parts parts.
 *
 * Returns 0 and sets *nparts on success.  Returns -1 on error, sets *nparts
 * to 0 and, if err is not NULL, *err to a static lower-case reason such as
 * "no closing boundary" or "too many parts".
 *
 * Quoted-string values (name, filename) are returned verbatim between the
 * quotes: backslash escapes are honoured when finding the closing quote but
 * are not removed.
 */
int ngx_cweb_mp_parse(const unsigned char *body, size_t len,
    const unsigned char *boundary, size_t boundary_len,
    ngx_cweb_mp_part_t *parts, size_t max_parts, size_t *nparts,
    const char **err);


#endif /* _NGX_CWEB_MULTIPART_H_INCLUDED_ */
