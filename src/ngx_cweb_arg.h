
/*
 * Typed values of request arguments and cookies: the text of one value
 * to a number, a bool, an index into a list, a "<min><sep><max>" range;
 * a cookie's name and value checked before they become a Set-Cookie.
 *
 * Free of nginx headers so that it can be unit tested standalone
 * (t/unit/test_arg.c); the module compiles it as one of its sources.  The
 * number types and the result codes are cweb.h's CWEB_ARG_* values.
 */


#ifndef _NGX_CWEB_ARG_H_INCLUDED_
#define _NGX_CWEB_ARG_H_INCLUDED_


#include <stddef.h>


/* the number types: cweb.h's CWEB_ARG_INT ... CWEB_ARG_DOUBLE */
#define NGX_CWEB_ARG_INT       1
#define NGX_CWEB_ARG_UINT      2
#define NGX_CWEB_ARG_INT64     3
#define NGX_CWEB_ARG_UINT64    4
#define NGX_CWEB_ARG_FLOAT     5
#define NGX_CWEB_ARG_DOUBLE    6

/* results: cweb.h's CWEB_OK, CWEB_ARG_INVALID, CWEB_ARG_RANGE */
#define NGX_CWEB_ARG_OK        0
#define NGX_CWEB_ARG_INVALID  -21
#define NGX_CWEB_ARG_RANGE    -22

/* a message's room: the longest of them with a bound of each type */
#define NGX_CWEB_ARG_WHY_LEN   128


/*
 * s as a number of type into *out (int, unsigned, int64_t, uint64_t,
 * float or double), within [*min, *max] of the same type when min and
 * max are not NULL; why (NGX_CWEB_ARG_WHY_LEN bytes) says what is wrong
 */
int ngx_cweb_arg_number(const char *s, int type, void *out,
    const void *min, const void *max, char *why);

/* 1/0, true/false, yes/no, on/off in any case */
int ngx_cweb_arg_bool(const char *s, int *out, char *why);

/* the index of s in list (NULL-terminated), compared exactly */
int ngx_cweb_arg_enum(const char *s, const char *const *list,
    unsigned *index, char *why);

/* "<min><sep><max>" of two ints with min <= max */
int ngx_cweb_arg_range(const char *s, const char *sep, int *min, int *max,
    char *why);

/* s without the leading and trailing isspace() bytes: start and length */
const char *ngx_cweb_arg_trim(const char *s, size_t *len);

/*
 * cookies (RFC 6265 4.1.1): a name is a token, a value cookie-octets
 * (optionally in double quotes), an attribute value (Path, Domain) any
 * printable byte but ";"; 0 when valid, else why names the first bad byte
 */
int ngx_cweb_cookie_name_bad(const char *name, char *why);
int ngx_cweb_cookie_value_bad(const char *value, char *why);
int ngx_cweb_cookie_attr_bad(const char *what, const char *value, char *why);

/*
 * the value of the first cookie called name (compared exactly) in a
 * Cookie header's value ("a=1; b=2"), its length in *vlen; NULL if none
 */
const char *ngx_cweb_cookie_find(const char *header, size_t len,
    const char *name, size_t *vlen);


#endif /* _NGX_CWEB_ARG_H_INCLUDED_ */
