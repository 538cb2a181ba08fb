/* t/plugins/logger.c: one line at every cweb_log level (issue 9, item 8) */
#include <cweb.h>


static void
loaded(struct cweb_context *ctx)
{
    if (!cweb_is_canary()) {
        cweb_log_notice("loaded in a worker");
    }
}


static int
log_all(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    cweb_log(CWEB_LOG_EMERG, "m-%s", "emerg");
    cweb_log(CWEB_LOG_ALERT, "m-alert");
    cweb_log(CWEB_LOG_CRIT, "m-crit");
    cweb_log_err("m-err %d", 4);
    cweb_log_warn("m-warn");
    cweb_log_notice("m-notice");
    cweb_log_info("m-info");
    cweb_log_debug("m-debug");
    cweb_log_query("m-query");
    cweb_log_worker("m-worker");
    cweb_log_event("m-event");
    cweb_log(42, "m-42");

    snprintf(res->body, HTTP_RESPONSE_SIZE, "logged\n");

    return 0;
}


export module_t config = {
    .name = "logger",
    .size = 1,
    .routes = { { "/log", "GET", log_all, NONE } },
    .onload = loaded,
};
