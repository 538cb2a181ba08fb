
/*
 * The unit tests' one check: CHECK(cond) counts, and names the file and
 * line of a failure; check_report() prints the totals make unit shows and
 * is main()'s exit status.
 */

#ifndef _CWEB_UNIT_CHECK_H_INCLUDED_
#define _CWEB_UNIT_CHECK_H_INCLUDED_


#include <stdio.h>


static int  passed;
static int  failed;


#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            passed++;                                                        \
        } else {                                                             \
            failed++;                                                        \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
        }                                                                    \
    } while (0)


static int
check_report(void)
{
    printf("%d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}


#endif /* _CWEB_UNIT_CHECK_H_INCLUDED_ */
