
/*
 * Unit tests of src/ngx_cweb_arg.c: typed values of arguments (numbers of
 * every type with and without bounds, bools, enums, ranges, trimming) and
 * the cookie name/value/attribute checks.
 */

#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ngx_cweb_arg.h"


static char  why[NGX_CWEB_ARG_WHY_LEN];


static int
num(const char *s, int type, void *out)
{
    why[0] = '\0';
    return ngx_cweb_arg_number(s, type, out, NULL, NULL, why);
}


static void
test_int(void)
{
    int  v, lo, hi;

    CHECK(num("42", NGX_CWEB_ARG_INT, &v) == 0 && v == 42);
    CHECK(num("-7", NGX_CWEB_ARG_INT, &v) == 0 && v == -7);
    CHECK(num("+7", NGX_CWEB_ARG_INT, &v) == 0 && v == 7);
    CHECK(num("2147483647", NGX_CWEB_ARG_INT, &v) == 0 && v == INT_MAX);
    CHECK(num("-2147483648", NGX_CWEB_ARG_INT, &v) == 0 && v == INT_MIN);

    v = 5;
    CHECK(num("2147483648", NGX_CWEB_ARG_INT, &v) == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "out of range -2147483648..2147483647") == 0);
    CHECK(v == 5);                       /* untouched on failure */
    CHECK(num("99999999999999999999", NGX_CWEB_ARG_INT, &v)
          == NGX_CWEB_ARG_RANGE);

    CHECK(num("", NGX_CWEB_ARG_INT, &v) == NGX_CWEB_ARG_INVALID);
    CHECK(strcmp(why, "not a number") == 0);
    CHECK(num("abc", NGX_CWEB_ARG_INT, &v) == NGX_CWEB_ARG_INVALID);
    CHECK(num(" 5", NGX_CWEB_ARG_INT, &v) == NGX_CWEB_ARG_INVALID);
    CHECK(num("5 ", NGX_CWEB_ARG_INT, &v) == NGX_CWEB_ARG_INVALID);
    CHECK(num("5x", NGX_CWEB_ARG_INT, &v) == NGX_CWEB_ARG_INVALID);
    CHECK(num("0x10", NGX_CWEB_ARG_INT, &v) == NGX_CWEB_ARG_INVALID);
    CHECK(strcmp(why, "not a number") == 0);
    CHECK(num("1.5", NGX_CWEB_ARG_INT, &v) == NGX_CWEB_ARG_INVALID);
    CHECK(strcmp(why, "not an integer") == 0);
    CHECK(num("1e3", NGX_CWEB_ARG_INT, &v) == NGX_CWEB_ARG_INVALID);
    CHECK(strcmp(why, "not an integer") == 0);

    lo = 1;
    hi = 10;
    CHECK(ngx_cweb_arg_number("10", NGX_CWEB_ARG_INT, &v, &lo, &hi, why) == 0
          && v == 10);
    CHECK(ngx_cweb_arg_number("1", NGX_CWEB_ARG_INT, &v, &lo, &hi, why) == 0
          && v == 1);
    CHECK(ngx_cweb_arg_number("11", NGX_CWEB_ARG_INT, &v, &lo, &hi, why)
          == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "out of range 1..10") == 0);
    CHECK(ngx_cweb_arg_number("0", NGX_CWEB_ARG_INT, &v, &lo, &hi, why)
          == NGX_CWEB_ARG_RANGE);
    CHECK(ngx_cweb_arg_number("5", NGX_CWEB_ARG_INT, &v, &lo, NULL, why)
          == NGX_CWEB_ARG_INVALID);
    CHECK(ngx_cweb_arg_number("5", 99, &v, NULL, NULL, why)
          == NGX_CWEB_ARG_INVALID);
}


static void
test_unsigned(void)
{
    unsigned  u, lo, hi;
    uint64_t  q, qlo, qhi;

    CHECK(num("4294967295", NGX_CWEB_ARG_UINT, &u) == 0 && u == UINT_MAX);
    CHECK(num("4294967296", NGX_CWEB_ARG_UINT, &u) == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "out of range 0..4294967295") == 0);

    /* strtoull() would take these as huge numbers */
    CHECK(num("-1", NGX_CWEB_ARG_UINT, &u) == NGX_CWEB_ARG_INVALID);
    CHECK(strcmp(why, "not an unsigned number") == 0);
    CHECK(num("-0", NGX_CWEB_ARG_UINT64, &q) == NGX_CWEB_ARG_INVALID);
    CHECK(num("+5", NGX_CWEB_ARG_UINT, &u) == NGX_CWEB_ARG_INVALID);
    CHECK(strcmp(why, "not an unsigned number") == 0);

    CHECK(num("18446744073709551615", NGX_CWEB_ARG_UINT64, &q) == 0
          && q == UINT64_MAX);
    CHECK(num("18446744073709551616", NGX_CWEB_ARG_UINT64, &q)
          == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "out of range 0..18446744073709551615") == 0);

    lo = 3;
    hi = 4;
    CHECK(ngx_cweb_arg_number("5", NGX_CWEB_ARG_UINT, &u, &lo, &hi, why)
          == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "out of range 3..4") == 0);

    /* bounds above 2^53 compare exactly (no double in between) */
    qlo = UINT64_MAX - 1;
    qhi = UINT64_MAX;
    CHECK(ngx_cweb_arg_number("18446744073709551613", NGX_CWEB_ARG_UINT64, &q,
                              &qlo, &qhi, why) == NGX_CWEB_ARG_RANGE);
    CHECK(ngx_cweb_arg_number("18446744073709551614", NGX_CWEB_ARG_UINT64, &q,
                              &qlo, &qhi, why) == 0 && q == UINT64_MAX - 1);
}


static void
test_int64(void)
{
    int64_t  l, lo, hi;

    CHECK(num("9223372036854775807", NGX_CWEB_ARG_INT64, &l) == 0
          && l == INT64_MAX);
    CHECK(num("-9223372036854775808", NGX_CWEB_ARG_INT64, &l) == 0
          && l == INT64_MIN);
    CHECK(num("9223372036854775808", NGX_CWEB_ARG_INT64, &l)
          == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "out of range -9223372036854775808.."
                      "9223372036854775807") == 0);

    lo = INT64_MAX - 1;
    hi = INT64_MAX;
    CHECK(ngx_cweb_arg_number("9223372036854775805", NGX_CWEB_ARG_INT64, &l,
                              &lo, &hi, why) == NGX_CWEB_ARG_RANGE);
}


static void
test_floating(void)
{
    float   f, flo, fhi;
    double  d, lo, hi;

    CHECK(num("1.5", NGX_CWEB_ARG_DOUBLE, &d) == 0 && d == 1.5);
    CHECK(num("-2e3", NGX_CWEB_ARG_DOUBLE, &d) == 0 && d == -2000.0);
    CHECK(num("7", NGX_CWEB_ARG_FLOAT, &f) == 0 && f == 7.0f);
    CHECK(num("1e-400", NGX_CWEB_ARG_DOUBLE, &d) == 0 && d < 1e-300);

    CHECK(num("nan", NGX_CWEB_ARG_DOUBLE, &d) == NGX_CWEB_ARG_INVALID);
    CHECK(num("inf", NGX_CWEB_ARG_DOUBLE, &d) == NGX_CWEB_ARG_INVALID);
    CHECK(num("-Infinity", NGX_CWEB_ARG_DOUBLE, &d) == NGX_CWEB_ARG_INVALID);
    CHECK(num("0x1p3", NGX_CWEB_ARG_DOUBLE, &d) == NGX_CWEB_ARG_INVALID);
    CHECK(num("1.5.2", NGX_CWEB_ARG_DOUBLE, &d) == NGX_CWEB_ARG_INVALID);
    CHECK(num("1e400", NGX_CWEB_ARG_DOUBLE, &d) == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "out of range of a double") == 0);
    CHECK(num("1e39", NGX_CWEB_ARG_FLOAT, &f) == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "out of range of a float") == 0);
    CHECK(num("1e39", NGX_CWEB_ARG_DOUBLE, &d) == 0);

    lo = 0.5;
    hi = 1.5;
    CHECK(ngx_cweb_arg_number("1.25", NGX_CWEB_ARG_DOUBLE, &d, &lo, &hi, why)
          == 0 && d == 1.25);
    CHECK(ngx_cweb_arg_number("1.75", NGX_CWEB_ARG_DOUBLE, &d, &lo, &hi, why)
          == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "out of range 0.5..1.5") == 0);

    /* bounds that are no exact binary fraction: the float of the text */
    flo = 0.1f;
    fhi = 0.7f;
    CHECK(ngx_cweb_arg_number("0.1", NGX_CWEB_ARG_FLOAT, &f, &flo, &fhi, why)
          == 0 && f == 0.1f);
    CHECK(ngx_cweb_arg_number("0.7", NGX_CWEB_ARG_FLOAT, &f, &flo, &fhi, why)
          == 0 && f == 0.7f);
    CHECK(ngx_cweb_arg_number("0.71", NGX_CWEB_ARG_FLOAT, &f, &flo, &fhi, why)
          == NGX_CWEB_ARG_RANGE);

    flo = -1.0f;
    fhi = 1.0f;
    CHECK(ngx_cweb_arg_number("-1.5", NGX_CWEB_ARG_FLOAT, &f, &flo, &fhi, why)
          == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "out of range -1..1") == 0);
}


static void
test_bool_enum_range(void)
{
    int                 b, lo, hi;
    unsigned            i;
    const char *const   colors[] = { "red", "green", "blue", NULL };
    const char *const   none[] = { NULL };
    const char *const   many[] = { "aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb",
                                   "cccccccccccccccccccc", "dddddddddddddddddddd",
                                   "eeeeeeeeeeeeeeeeeeee", "ffffffffffffffffffff",
                                   NULL };

    CHECK(ngx_cweb_arg_bool("on", &b, why) == 0 && b == 1);
    CHECK(ngx_cweb_arg_bool("TRUE", &b, why) == 0 && b == 1);
    CHECK(ngx_cweb_arg_bool("0", &b, why) == 0 && b == 0);
    CHECK(ngx_cweb_arg_bool("No", &b, why) == 0 && b == 0);
    CHECK(ngx_cweb_arg_bool("", &b, why) == NGX_CWEB_ARG_INVALID);
    CHECK(ngx_cweb_arg_bool("2", &b, why) == NGX_CWEB_ARG_INVALID);
    CHECK(strncmp(why, "not a boolean", 13) == 0);

    CHECK(ngx_cweb_arg_enum("green", colors, &i, why) == 0 && i == 1);
    CHECK(ngx_cweb_arg_enum("Green", colors, &i, why)
          == NGX_CWEB_ARG_INVALID);
    CHECK(strcmp(why, "not one of red, green, blue") == 0);
    CHECK(ngx_cweb_arg_enum("x", none, &i, why) == NGX_CWEB_ARG_INVALID);
    CHECK(ngx_cweb_arg_enum("x", many, &i, why) == NGX_CWEB_ARG_INVALID);
    CHECK(strlen(why) < sizeof(why));
    CHECK(strcmp(why + strlen(why) - 4, " ...") == 0);

    CHECK(ngx_cweb_arg_range("1-10", "-", &lo, &hi, why) == 0
          && lo == 1 && hi == 10);
    CHECK(ngx_cweb_arg_range("-5-10", "-", &lo, &hi, why) == 0
          && lo == -5 && hi == 10);
    CHECK(ngx_cweb_arg_range("-10--5", "-", &lo, &hi, why) == 0
          && lo == -10 && hi == -5);
    CHECK(ngx_cweb_arg_range("3..7", "..", &lo, &hi, why) == 0
          && lo == 3 && hi == 7);
    CHECK(ngx_cweb_arg_range("7-3", "-", &lo, &hi, why)
          == NGX_CWEB_ARG_RANGE);
    CHECK(strcmp(why, "not a range: 7 is above 3") == 0);
    CHECK(ngx_cweb_arg_range("7", "-", &lo, &hi, why)
          == NGX_CWEB_ARG_INVALID);
    CHECK(strcmp(why, "not a range <min>-<max>") == 0);
    CHECK(ngx_cweb_arg_range("a-b", "-", &lo, &hi, why)
          == NGX_CWEB_ARG_INVALID);
    CHECK(ngx_cweb_arg_range("1-", "-", &lo, &hi, why)
          == NGX_CWEB_ARG_INVALID);
    CHECK(ngx_cweb_arg_range("1-2", "", &lo, &hi, why)
          == NGX_CWEB_ARG_INVALID);
    CHECK(ngx_cweb_arg_range("99999999999999999999999999-2", "-", &lo, &hi,
                             why) == NGX_CWEB_ARG_INVALID);
}


static void
test_trim(void)
{
    size_t       len;
    const char  *p;

    p = ngx_cweb_arg_trim("  a b \t\n", &len);
    CHECK(len == 3 && strncmp(p, "a b", 3) == 0);
    p = ngx_cweb_arg_trim("   ", &len);
    CHECK(len == 0);
    p = ngx_cweb_arg_trim("x", &len);
    CHECK(len == 1 && p[0] == 'x');
}


static void
test_cookie(void)
{
    CHECK(ngx_cweb_cookie_name_bad("sid", why) == 0);
    CHECK(ngx_cweb_cookie_name_bad("__Host-a.b_c~", why) == 0);
    CHECK(ngx_cweb_cookie_name_bad("", why) == 1);
    CHECK(ngx_cweb_cookie_name_bad("a=b", why) == 1);
    CHECK(strcmp(why, "cookie name has byte 0x3d at offset 1, which RFC 6265 "
                      "does not allow there") == 0);
    CHECK(ngx_cweb_cookie_name_bad("a b", why) == 1);
    CHECK(ngx_cweb_cookie_name_bad("a;b", why) == 1);
    CHECK(ngx_cweb_cookie_name_bad("a\r\nb", why) == 1);
    CHECK(ngx_cweb_cookie_name_bad("\xc3\xa9", why) == 1);

    CHECK(ngx_cweb_cookie_value_bad("", why) == 0);
    CHECK(ngx_cweb_cookie_value_bad("abc%3B=/:!#", why) == 0);
    CHECK(ngx_cweb_cookie_value_bad("\"quoted\"", why) == 0);
    CHECK(ngx_cweb_cookie_value_bad("\"", why) == 1);
    CHECK(ngx_cweb_cookie_value_bad("a\"b", why) == 1);
    CHECK(ngx_cweb_cookie_value_bad("a;b", why) == 1);
    CHECK(strcmp(why, "cookie value has byte 0x3b at offset 1, which RFC "
                      "6265 does not allow there") == 0);
    CHECK(ngx_cweb_cookie_value_bad("a b", why) == 1);
    CHECK(ngx_cweb_cookie_value_bad("a,b", why) == 1);
    CHECK(ngx_cweb_cookie_value_bad("a\\b", why) == 1);
    CHECK(ngx_cweb_cookie_value_bad("a\rb", why) == 1);
    CHECK(ngx_cweb_cookie_value_bad("a\nb", why) == 1);
    CHECK(ngx_cweb_cookie_value_bad("a\x7f", why) == 1);
    CHECK(ngx_cweb_cookie_value_bad(NULL, why) == 1);

    CHECK(ngx_cweb_cookie_attr_bad("Path", "/a b/c", why) == 0);
    CHECK(ngx_cweb_cookie_attr_bad("Path", "/a;b", why) == 1);
    CHECK(strncmp(why, "Path has byte 0x3b at offset 2", 30) == 0);
    CHECK(ngx_cweb_cookie_attr_bad("Domain", "a\r\nSet-Cookie: x", why) == 1);
}


static void
test_cookie_find(void)
{
    size_t       n;
    const char  *v, *h;

    h = "a=1; sid=abc; SID=upper; b=; c=x=y;d=last  ";

    v = ngx_cweb_cookie_find(h, strlen(h), "sid", &n);
    CHECK(v && n == 3 && strncmp(v, "abc", 3) == 0);
    v = ngx_cweb_cookie_find(h, strlen(h), "SID", &n);
    CHECK(v && n == 5 && strncmp(v, "upper", 5) == 0);
    v = ngx_cweb_cookie_find(h, strlen(h), "a", &n);
    CHECK(v && n == 1 && v[0] == '1');
    v = ngx_cweb_cookie_find(h, strlen(h), "b", &n);
    CHECK(v && n == 0);
    v = ngx_cweb_cookie_find(h, strlen(h), "c", &n);
    CHECK(v && n == 3 && strncmp(v, "x=y", 3) == 0);
    v = ngx_cweb_cookie_find(h, strlen(h), "d", &n);
    CHECK(v && n == 4 && strncmp(v, "last", 4) == 0);
    CHECK(ngx_cweb_cookie_find(h, strlen(h), "Sid", &n) == NULL);
    CHECK(ngx_cweb_cookie_find(h, strlen(h), "x", &n) == NULL);
    CHECK(ngx_cweb_cookie_find(h, strlen(h), "si", &n) == NULL);

    /* the first of a name wins; a pair without "=" is no name */
    h = "dup=1;dup=2; lonely; =v";
    v = ngx_cweb_cookie_find(h, strlen(h), "dup", &n);
    CHECK(v && n == 1 && v[0] == '1');
    CHECK(ngx_cweb_cookie_find(h, strlen(h), "lonely", &n) == NULL);
    v = ngx_cweb_cookie_find(h, strlen(h), "", &n);
    CHECK(v && n == 1 && v[0] == 'v');

    /* the length bounds the search (the header is not NUL-terminated) */
    h = "a=1; b=2";
    CHECK(ngx_cweb_cookie_find(h, 3, "b", &n) == NULL);
    v = ngx_cweb_cookie_find(h, 3, "a", &n);
    CHECK(v && n == 1);
    CHECK(ngx_cweb_cookie_find("", 0, "a", &n) == NULL);
}


int
main(void)
{
    test_int();
    test_unsigned();
    test_int64();
    test_floating();
    test_bool_enum_range();
    test_trim();
    test_cookie();
    test_cookie_find();

    return check_report();
}
