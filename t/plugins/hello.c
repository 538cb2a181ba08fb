/* t/plugins/hello.c: version marker @V@ (tests substitute it) and pid */
#include <unistd.h>
#include <cweb.h>

static int  hits;


static int
hello(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    char  sql[128];

    /* which processes served this version, in the shared plugin db */
    snprintf(sql, sizeof(sql), "INSERT INTO hello_hits VALUES ('@V@', %d)",
             (int) getpid());
    ctx->database->exec(ctx->database, sql, NULL, NULL);

    snprintf(res->body, HTTP_RESPONSE_SIZE, "hello @V@ pid=%d hits=%d\n",
             (int) getpid(), ++hits);
    res->status = HTTP_200_OK;
    return 0;
}


static int
count_cb(void *arg, int n, char **values, char **names)
{
    *(int *) arg = atoi(values[0]);
    return 0;
}


static int
workers(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int  n = -1;

    ctx->database->exec(ctx->database, "SELECT COUNT(DISTINCT pid) FROM "
                        "hello_hits WHERE v = '@V@'", count_cb, &n);
    snprintf(res->body, HTTP_RESPONSE_SIZE, "@V@ served by %d\n", n);
    return 0;
}


/* holds the request: the body is read first, the version stays pinned */
static int
slow_post(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    cweb_log(CWEB_LOG_NOTICE, "hello @V@ post handled");
    snprintf(res->body, HTTP_RESPONSE_SIZE, "post @V@ body=%s\n", req->body);
    return 0;
}


static void
onload(struct cweb_context *ctx)
{
    ctx->database->exec(ctx->database, "CREATE TABLE IF NOT EXISTS "
                        "hello_hits (v TEXT, pid INTEGER)", NULL, NULL);
    cweb_log(CWEB_LOG_NOTICE, "hello @V@ %sonload",
             cweb_is_canary() ? "canary " : "");
}


static void
unload(struct cweb_context *ctx)
{
    cweb_log(CWEB_LOG_NOTICE, "hello @V@ %sunload",
             cweb_is_canary() ? "canary " : "");
}


export module_t config = {
    .name = "hello",
    .author = "t",
    .routes = {
        {"/hello", "GET", hello, NONE},
        {"/hello/post", "POST", slow_post, NONE},
        {"/hello/workers", "GET", workers, NONE},
    },
    .size = 3,
    .onload = onload,
    .unload = unload,
};
