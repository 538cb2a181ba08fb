
/*
 * cweb-ws script steps that read: expect (the next event must match),
 * await (events are skipped, unprinted, until one matches), recv (the
 * next events, printed, whatever they are).  Grammar: t/ws/README.
 */

#define _GNU_SOURCE

#include <stdlib.h>
#include <string.h>

#include "ws_client.h"


enum {
    WS_X_STATUS = 100,
    WS_X_HEADER,
    WS_X_NOTHING
};

enum {
    WS_M_ANY = 0,
    WS_M_EXACT,
    WS_M_LEN,
    WS_M_ALL                            /* len times data[0] */
};


typedef struct {
    int        type;                    /* WS_EV_* or WS_X_* */
    int        mode;
    uint8_t   *data;
    size_t     len;
    int        code;                    /* close: -1 any, 0 no payload */
    char      *str;                     /* error prefix, header */
} ws_expect_t;


static int ws_expect_parse(char *rest, ws_expect_t *x);
static int ws_expect_data(const char *kind, char *rest, ws_expect_t *x);
static int ws_expect_match(const ws_expect_t *x, const ws_event_t *ev);
static int ws_expect_header(ws_conn_t *c, const char *spec);
static int ws_expect_fail(const char *why);


int
ws_step_expect(ws_conn_t *c, char *rest)
{
    int          rc;
    ws_event_t   ev;
    ws_expect_t  x;

    if (ws_expect_parse(rest, &x) != 0) {
        return -1;
    }

    if (x.type == WS_X_STATUS) {
        rc = c->status == x.code ? 0 : ws_expect_fail("another status");

    } else if (x.type == WS_X_HEADER) {
        rc = ws_expect_header(c, x.str);

    } else if (x.type == WS_X_NOTHING) {
        rc = 0;
        if (ws_conn_next(c, (int) x.len, &ev)) {
            ws_event_print(c, &ev);
            ws_event_free(&ev);
            rc = ws_expect_fail("an event came (above)");
        }

    } else if (!ws_conn_next(c, c->opts.timeout, &ev)) {
        rc = ws_expect_fail("nothing came in time (see \"timeout\")");

    } else {
        ws_event_print(c, &ev);
        rc = ws_expect_match(&x, &ev) ? 0
                                      : ws_expect_fail("got the event above");
        ws_event_free(&ev);
    }

    free(x.data);

    return rc;
}


int
ws_step_await(ws_conn_t *c, char *rest)
{
    int          rc;
    long long    deadline, now;
    ws_event_t   ev;
    ws_expect_t  x;

    if (ws_expect_parse(rest, &x) != 0 || x.type >= WS_X_STATUS) {
        return -1;
    }

    deadline = ws_now_ms() + c->opts.timeout;
    rc = -1;

    for (now = ws_now_ms(); now < deadline; now = ws_now_ms()) {
        if (!ws_conn_next(c, (int) (deadline - now), &ev)) {
            break;
        }

        if (ws_expect_match(&x, &ev)) {
            ws_event_print(c, &ev);
            ws_event_free(&ev);
            rc = 0;
            break;
        }

        ws_event_free(&ev);
    }

    free(x.data);

    return rc == 0 ? 0 : ws_expect_fail("nothing that matched came in time");
}


/* recv [N]: the next N events (1), "nothing" for each one that did not
 * come in time; never a failure */

int
ws_step_recv(ws_conn_t *c, char *rest)
{
    int         n;
    ws_event_t  ev;

    n = *rest ? atoi(rest) : 1;

    while (n-- > 0) {
        if (!ws_conn_next(c, c->opts.timeout, &ev)) {
            ws_prefix(c);
            printf("nothing\n");
            continue;
        }

        ws_event_print(c, &ev);
        ws_event_free(&ev);
    }

    return 0;
}


static int
ws_expect_parse(char *rest, ws_expect_t *x)
{
    char  *kind, *w;

    memset(x, 0, sizeof(ws_expect_t));
    x->code = -1;

    kind = ws_word(&rest);
    if (kind == NULL) {
        return -1;
    }

    if (strcmp(kind, "close") == 0) {
        x->type = WS_EV_CLOSE;
        w = ws_word(&rest);
        x->code = w == NULL ? -1 : strcmp(w, "none") == 0 ? 0 : atoi(w);
        if (*rest) {
            return ws_expect_data("text", rest, x) == 0 ? 0 : -1;
        }
        return 0;
    }

    if (strcmp(kind, "eof") == 0 || strcmp(kind, "error") == 0) {
        x->type = kind[1] == 'o' ? WS_EV_EOF : WS_EV_ERROR;
        x->str = rest;
        return 0;
    }

    if (strcmp(kind, "status") == 0 || strcmp(kind, "nothing") == 0) {
        x->type = kind[0] == 's' ? WS_X_STATUS : WS_X_NOTHING;
        x->code = atoi(rest);
        x->len = x->code;
        return 0;
    }

    if (strcmp(kind, "header") == 0) {
        x->type = WS_X_HEADER;
        x->str = rest;
        return 0;
    }

    if (strcmp(kind, "ping") == 0 || strcmp(kind, "pong") == 0) {
        x->type = kind[1] == 'i' ? WS_EV_PING : WS_EV_PONG;
        return ws_expect_data("text", rest, x);
    }

    return ws_expect_data(kind, rest, x);
}


/* the data part: text, text-hex, binary, text@N, binary@N (ws_payload's),
 * text-len N, binary-len N */

static int
ws_expect_data(const char *kind, char *rest, ws_expect_t *x)
{
    int  opcode;

    if (x->type == 0) {
        x->type = strncmp(kind, "binary", 6) == 0 ? WS_EV_BINARY
                                                  : WS_EV_TEXT;
    }

    if (strcmp(kind, "text-len") == 0 || strcmp(kind, "binary-len") == 0) {
        x->mode = WS_M_LEN;
        x->len = strtoull(rest, NULL, 10);
        return 0;
    }

    if (ws_payload(kind, rest, &opcode, &x->data, &x->len) != 0) {
        fprintf(stderr, "cweb-ws: line %d: cannot expect \"%s\"\n", ws_line,
                kind);
        return -1;
    }

    x->mode = strchr(kind, '@') ? WS_M_ALL : WS_M_EXACT;

    return 0;
}


static int
ws_expect_match(const ws_expect_t *x, const ws_event_t *ev)
{
    size_t  i;

    if (ev->error != NULL || x->type == WS_EV_ERROR) {
        return x->type == WS_EV_ERROR && ev->error != NULL
               && strncmp(ev->error, x->str, strlen(x->str)) == 0;
    }

    if ((int) ev->type != x->type) {
        return 0;
    }

    if (x->type == WS_EV_CLOSE && x->code != -1
        && (ev->code != x->code || (x->code == 0 && ev->len != 0)))
    {
        return 0;
    }

    switch (x->mode) {

    case WS_M_EXACT:
        return ev->len == x->len && memcmp(ev->data, x->data, x->len) == 0;

    case WS_M_LEN:
        return ev->len == x->len;

    case WS_M_ALL:
        for (i = 0; i < ev->len && ev->data[i] == x->data[0]; i++) {
            /* void */
        }
        return ev->len == x->len && i == ev->len;
    }

    return 1;
}


/* expect header Name: value (exactly), or !Name (absent) */

static int
ws_expect_header(ws_conn_t *c, const char *spec)
{
    size_t       n, len;
    char         name[128];
    const char  *colon, *v, *want;

    if (spec[0] == '!') {
        v = ws_header_value(c->head, spec + 1, &len);
        return v == NULL ? 0 : ws_expect_fail("the header is there");
    }

    colon = strchr(spec, ':');
    if (colon == NULL || (size_t) (colon - spec) >= sizeof(name)) {
        return -1;
    }

    n = colon - spec;
    memcpy(name, spec, n);
    name[n] = '\0';

    for (want = colon + 1; *want == ' '; want++) { /* void */ }

    v = ws_header_value(c->head, name, &len);

    if (v == NULL || len != strlen(want) || memcmp(v, want, len) != 0) {
        return ws_expect_fail("the header differs");
    }

    return 0;
}


static int
ws_expect_fail(const char *why)
{
    fprintf(stderr, "cweb-ws: FAIL line %d: %s\n", ws_line, why);

    return -1;
}
