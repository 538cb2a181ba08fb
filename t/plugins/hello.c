/* t/plugins/hello.c: version marker @V@ (tests substitute it) and pid */
#include <unistd.h>
#include <cweb.h>

static int  hits;


static int
hello(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "hello @V@ pid=%d hits=%d\n",
             (int) getpid(), ++hits);
    res->status = HTTP_200_OK;
    return 0;
}


/* holds the request: the body is read first, the version stays pinned */
static int
slow_post(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    snprintf(res->body, HTTP_RESPONSE_SIZE, "post @V@ body=%s\n", req->body);
    return 0;
}


static void
onload(struct cweb_context *ctx)
{
    cweb_log(CWEB_LOG_NOTICE, "hello @V@ onload");
}


static void
unload(struct cweb_context *ctx)
{
    cweb_log(CWEB_LOG_NOTICE, "hello @V@ unload");
}


export module_t config = {
    .name = "hello",
    .author = "t",
    .routes = {
        {"/hello", "GET", hello, NONE},
        {"/hello/post", "POST", slow_post, NONE},
    },
    .size = 2,
    .onload = onload,
    .unload = unload,
};
