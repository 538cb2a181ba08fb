/*
 * crashy.c - bench/faults' plugin: GET /p/crashy answers "ok @V@", or,
 * built with CRASHY_MODE 1, segfaults, with 2 never returns.
 */

#include <stdio.h>
#include <cweb.h>

#define CRASHY_MODE  0
#define CRASHY_V     "1"


static int *volatile  nowhere;


static int
crashy(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    if (CRASHY_MODE == 1) {
        *nowhere = 1;
    }

    while (CRASHY_MODE == 2) {
        /* busy */
    }

    snprintf(res->body, HTTP_RESPONSE_SIZE, "ok " CRASHY_V);
    return 0;
}


export module_t config = {
    .name = "bench_crashy",
    .author = "cweb bench",
    .routes = {
        {"/p/crashy", "GET", crashy, NONE},
    },
    .size = 1,
};
