/*
 * t/plugins/stream.c: streamed answers (issue 9, item 6): cweb_write,
 * cweb_flush, cweb_stream, cweb_send_file, cweb_set_compression
 */
#include <cweb.h>


#define ARG(name, dflt)  (http_kv_get(req->params, name)                     \
                          ? http_kv_get(req->params, name) : (dflt))

typedef struct {
    long long    left;          /* bytes still to write */
    long         calls;
    long         crash_at;      /* the call that crashes, 0: none */
} stream_state_t;


/* GET /st/small: two writes and res->body after them */
static int
st_small(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    cweb_write(res, "hello ", 6);
    cweb_write(res, "world", 5);
    snprintf(res->body, HTTP_RESPONSE_SIZE, "!\n");

    return 0;
}


/* GET /st/flush: the header goes with the flush; a header after it fails */
static int
st_flush(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int   rc1, rc2;
    char  line[64];

    cweb_response_header(res, "X-Before", "yes");
    cweb_write(res, "a", 1);
    rc1 = cweb_flush(res);
    rc2 = cweb_response_header(res, "X-After", "no");
    snprintf(line, sizeof(line), "b flush=%d after=%d\n", rc1, rc2);
    cweb_write(res, line, strlen(line));

    return 0;
}


static int
st_more(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    static char      chunk[65536];
    stream_state_t  *s = cweb_stream_data(res);
    size_t           n;

    if (chunk[0] == 0) {
        memset(chunk, 'z', sizeof(chunk));
    }

    if (++s->calls == s->crash_at) {
        *(volatile int *) 0 = 1;
    }

    if (s->left == 0) {
        return 0;
    }

    n = s->left < (long long) sizeof(chunk) ? (size_t) s->left : sizeof(chunk);

    if (cweb_write(res, chunk, n) == CWEB_OK) {
        s->left -= n;
    }

    return CWEB_AGAIN;
}


/* GET /st/big?mb=N[&crash=K]: N MB of 'z', 64 KB a call of st_more() */
static int
st_big(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    stream_state_t  *s;

    s = cweb_palloc(req, sizeof(stream_state_t));
    s->left = atoll(ARG("mb", "1")) * 1024 * 1024;
    s->calls = 0;
    s->crash_at = atol(ARG("crash", "0"));

    cweb_response_header(res, "Content-Type", "application/octet-stream");

    return cweb_stream(res, st_more, s);
}


/* GET /st/file?p=<absolute path> */
static int
st_file(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int  rc;

    rc = cweb_send_file(res, ARG("p", ""));

    if (rc != CWEB_OK) {
        res->status = HTTP_404_NOT_FOUND;
        snprintf(res->body, HTTP_RESPONSE_SIZE, "no file (%d)\n", rc);
    }

    return 0;
}


/* GET /st/text?z=<enable>&level=<n>: 64 KB of compressible text */
static int
st_text(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int   i, rc;
    char  line[80];

    rc = 0;

    if (http_kv_get(req->params, "z")) {
        rc = cweb_set_compression(res, atoi(ARG("z", "0")),
                                  atoi(ARG("level", "0")));
    }

    cweb_response_header(res, "Content-Type", ARG("type", "text/plain"));

    for (i = 0; i < 1024; i++) {
        snprintf(line, sizeof(line), "line %04d of a text that compresses "
                 "well, rc=%d\n", i, rc);
        cweb_write(res, line, strlen(line));
    }

    return 0;
}


/* GET /st/plain: no streaming at all, for gzip on nginx's side */
static int
st_plain(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int  rc = 0;

    if (http_kv_get(req->params, "z")) {
        rc = cweb_set_compression(res, atoi(ARG("z", "0")),
                                  atoi(ARG("level", "0")));
    }

    cweb_response_header(res, "Content-Type", ARG("type", "text/plain"));
    snprintf(res->body, HTTP_RESPONSE_SIZE, "%0*d\n", 2000, rc);

    return 0;
}


static int
st_idle_more(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    long  *left = cweb_stream_data(res);

    /* nothing to say yet: another call later (a server-sent-events wait) */
    if (--*left > 0) {
        return CWEB_AGAIN;
    }

    cweb_write(res, "idle done\n", 10);

    return 0;
}


/* GET /st/misc?case=<c>: review findings, each one answer */
static int
st_misc(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    long        *left;
    const char  *c;

    c = ARG("case", "");

    if (strcmp(c, "idle") == 0) {
        left = cweb_palloc(req, sizeof(long));
        *left = atol(ARG("n", "1000"));
        return cweb_stream(res, st_idle_more, left);
    }

    if (strcmp(c, "secret") == 0) {
        memset(res->body, 'S', 4000);
        res->body[4000] = '\0';
        return 0;
    }

    if (strcmp(c, "short") == 0) {
        /* two bytes written, a hundred claimed: the rest must be zeros */
        memcpy(res->body, "ok", 2);
        res->content_length = 100;
        return 0;
    }

    if (strcmp(c, "foreign") == 0) {
        /* a buffer of 10 bytes claimed to be 256 MB: the plugin's fault */
        res->body = malloc(10);
        memcpy(res->body, "0123456789", 10);
        res->content_length = 256 * 1024 * 1024;
        return 0;
    }

    if (strcmp(c, "badhdr") == 0) {
        http_kv_insert(res->headers, "X-Good", strdup("before the bad one"));
        http_kv_insert(res->headers, "X-Bad", strdup("a\r\nX-Evil: 1"));
        cweb_write(res, "streamed\n", 9);
        return 0;
    }

    if (strcmp(c, "s101") == 0) {
        res->status = HTTP_101_SWITCHING_PROTOCOLS;
        snprintf(res->body, HTTP_RESPONSE_SIZE, "no\n");
        return 0;
    }

    return 0;
}


export module_t config = {
    .name = "stream",
    .size = 7,
    .routes = {
        { "/st/small", "GET", st_small, NONE },
        { "/st/flush", "GET", st_flush, NONE },
        { "/st/big", "GET", st_big, NONE },
        { "/st/file", "GET", st_file, NONE },
        { "/st/text", "GET", st_text, NONE },
        { "/st/plain", "GET", st_plain, NONE },
        { "/st/misc", "GET", st_misc, NONE },
    },
};
