/* t/plugins/jobsroute.c: a route under /jobs, which the server owns */
#include <cweb.h>

static int h(struct cweb_context *c, http_request_t *q, http_response_t *s)
{ return 0; }

export module_t config = {
    .name = "jobsroute",
    .routes = { {"/jobs/mine", "GET", h, NONE} },
    .size = 1,
};
