
/*
 * The head of a message between the workers and the helper
 * (src/ngx_cweb_jobs_head.c): the forms both sides write, read by hand,
 * give what jansson gives for them; other objects are read by jansson;
 * what is not an object is refused.
 */


#include "check.h"
#include "ngx_cweb_jobs_head.h"

#include <stdio.h>
#include <string.h>


static ngx_cweb_jhead_t  h;


static int
parse(const char *s)
{
    return ngx_cweb_jhead_parse((const unsigned char *) s, strlen(s), &h);
}


/* s parses, to q, status, again, hello and the body after it */
static int
is(const char *s, int64_t q, int64_t status, int again, int hello,
    const char *body)
{
    if (parse(s) != 0) {
        printf("# %s: refused\n", s);
        return 0;
    }

    if (h.q != q || h.status != status || h.again != (unsigned) again
        || h.hello != (unsigned) hello || h.body > strlen(s)
        || strcmp(s + h.body, body) != 0)
    {
        printf("# %s: q %lld status %lld again %u hello %u body \"%s\"\n", s,
               (long long) h.q, (long long) h.status, h.again, h.hello,
               s + h.body);
        return 0;
    }

    return 1;
}


static void
test_written(void)
{
    CHECK(is("{\"q\":1}{\"op\":\"get\"}", 1, 0, 0, 0, "{\"op\":\"get\"}"));
    CHECK(is("{\"q\":123456789012345678}", 123456789012345678LL, 0, 0, 0,
             ""));
    CHECK(is("{\"q\":7,\"status\":200}{\"state\":\"pending\"}", 7, 200, 0, 0,
             "{\"state\":\"pending\"}"));
    CHECK(is("{\"q\":42,\"status\":503,\"again\":true}{\"error\":\"x\"}", 42,
             503, 1, 0, "{\"error\":\"x\"}"));
    CHECK(is("{\"hello\":1}{}", 0, 0, 0, 1, "{}"));

    /* a body that is not JSON is the reader's to refuse */
    CHECK(is("{\"q\":9}garbage", 9, 0, 0, 0, "garbage"));
}


/* not the forms written, but objects: what jansson reads of them */
static void
test_other_forms(void)
{
    CHECK(is("{ \"q\" : 3 }{}", 3, 0, 0, 0, "{}"));
    CHECK(is("{\"status\":200,\"q\":5}x", 5, 200, 0, 0, "x"));
    CHECK(is("{\"q\":5,\"status\":200,\"again\":false}", 5, 200, 0, 0, ""));
    CHECK(is("{\"q\":5,\"extra\":[1,2]}b", 5, 0, 0, 0, "b"));
    CHECK(is("{\"hello\":true}", 0, 0, 0, 1, ""));
    CHECK(is("{\"q\":\"5\"}", 0, 0, 0, 0, ""));

    /* a leading zero, or more digits than int64_t: not read by hand */
    CHECK(parse("{\"q\":05}") == -1);
    CHECK(is("{\"q\":0}", 0, 0, 0, 0, ""));
    CHECK(is("{\"q\":1234567890123456789}", 1234567890123456789LL, 0, 0, 0,
             ""));
    CHECK(parse("{\"q\":99999999999999999999}") == -1);
    CHECK(is("{\"q\":-4}", -4, 0, 0, 0, ""));
}


static void
test_refused(void)
{
    const char  *bad[] = {
        "", "{", "{\"q\":", "{\"q\":1", "{\"q\":1,", "{\"q\":1,\"status\":",
        "{\"q\":1,\"status\":200", "{\"q\":1,\"status\":200,\"again\":true",
        "[1]", "\"q\"", "12", "null", "{\"q\":1,}", NULL
    };
    int  i;

    for (i = 0; bad[i]; i++) {
        if (parse(bad[i]) != -1) {
            printf("# not refused: \"%s\"\n", bad[i]);
            CHECK(0);
        }
    }

    /* the length is the message's: a head cut short is not read on */
    CHECK(ngx_cweb_jhead_parse((const unsigned char *) "{\"q\":12}", 6, &h)
          == -1);
    CHECK(ngx_cweb_jhead_parse((const unsigned char *) "{\"q\":12}", 7, &h)
          == -1);
    CHECK(ngx_cweb_jhead_parse((const unsigned char *) "{\"q\":12}", 8, &h)
          == 0 && h.q == 12 && h.body == 8);
}


int
main(void)
{
    test_written();
    test_other_forms();
    test_refused();

    return check_report();
}
