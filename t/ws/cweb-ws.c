
/*
 * cweb-ws: the WebSocket client the suites drive (script mode) and
 * bench/ws's load client (--bench, --idle-conns).
 *
 *   cweb-ws [options] HOST PORT PATH [SCRIPT]     (SCRIPT: file, or stdin)
 *
 * The script's grammar is in t/ws/README; the transcript goes to stdout,
 * failures to stderr; exit 0 when every expect held, 1 otherwise.
 */

#define _GNU_SOURCE

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ws_client.h"


typedef struct {
    const char  *name;
    int        (*handler)(ws_conn_t *c, char *rest);
    int          open;                  /* needs the handshake done */
} ws_step_t;


static int ws_options(ws_opts_t *o, ws_bench_t *b, int argc, char **argv);
static int ws_script(FILE *f);
static int ws_step(char *line);

static ws_conn_t *ws_conn_find(const char *name);
static ws_conn_t *ws_conn_add(const char *name);
static int ws_step_connect(ws_conn_t *c, char *rest);
static void ws_alarm(int signo);


ws_opts_t           ws_tmpl;                /* for the next connection */
static ws_conn_t   *ws_current;
const char         *ws_step_name;
int                 ws_line;

static const ws_step_t  ws_steps[] = {
    { "connect",    ws_step_connect, 0 },
    { "header",     ws_step_header, 0 },
    { "show",       ws_step_show, 0 },
    { "send",       ws_step_send, 1 },
    { "frag",       ws_step_frag, 1 },
    { "frame",      ws_step_frame, 1 },
    { "raw",        ws_step_raw, 1 },
    { "ping",       ws_step_control, 1 },
    { "pong",       ws_step_control, 1 },
    { "close",      ws_step_control, 1 },
    { "close-raw",  ws_step_control, 1 },
    { "expect",     ws_step_expect, 1 },
    { "await",      ws_step_await, 1 },
    { "recv",       ws_step_recv, 1 },
    { "split",      ws_step_set, 1 },
    { "sleep",      ws_step_set, 0 },
    { "run",        ws_step_run, 0 },
    { "timeout",    ws_step_set, 0 },
    { "stall",      ws_step_set, 1 },
    { "resume",     ws_step_set, 1 },
    { "autopong",   ws_step_set, 1 },
    { "autoclose",  ws_step_set, 1 },
    { "shutdown",   ws_step_set, 1 },
    { "disconnect", ws_step_set, 1 },
    { NULL, NULL, 0 }
};


int
main(int argc, char **argv)
{
    int          i, max_time;
    FILE        *f;
    ws_bench_t   b;

    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    ws_opts_init(&ws_tmpl);

    i = ws_options(&ws_tmpl, &b, argc, argv);
    if (i < 0 || argc - i < 3 || argc - i > 4) {
        fprintf(stderr, "usage: cweb-ws [options] HOST PORT PATH [SCRIPT]"
                "\n       (t/ws/README)\n");
        return 2;
    }

    ws_tmpl.host = argv[i];
    ws_tmpl.port = argv[i + 1];
    ws_tmpl.path = argv[i + 2];

    if (b.idle) {
        return ws_idle_run(&ws_tmpl, &b);
    }

    if (b.conns) {
        return ws_bench_run(&ws_tmpl, &b);
    }

    f = argc - i == 4 ? fopen(argv[i + 3], "r") : stdin;
    if (f == NULL) {
        perror(argv[i + 3]);
        return 2;
    }

    max_time = b.duration_max ? b.duration_max : 60;
    signal(SIGALRM, ws_alarm);
    alarm(max_time);

    return ws_script(f);
}


/* the options before HOST PORT PATH (and on a "connect" line): the index
 * of the first argument that is not one, or -1 */

static int
ws_options(ws_opts_t *o, ws_bench_t *b, int argc, char **argv)
{
    int          i;
    char         h[256];
    const char  *a, *v;

    memset(b, 0, sizeof(ws_bench_t));
    b->size = 32;
    b->messages = 100000;

    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        a = argv[i] + 2;
        v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "no-key") == 0) {
            ws_opts_header(o, "-Sec-WebSocket-Key");
            continue;
        }
        if (strcmp(a, "no-version") == 0) {
            ws_opts_header(o, "-Sec-WebSocket-Version");
            continue;
        }
        if (strcmp(a, "http10") == 0 || strcmp(a, "verbose") == 0) {
            o->proto = a[0] == 'h' ? "HTTP/1.0" : o->proto;
            ws_verbose |= a[0] == 'v';
            continue;
        }
        if (strcmp(a, "bench") == 0) {
            b->conns = b->conns ? b->conns : 1;
            continue;
        }
        if (strcmp(a, "binary") == 0) {
            b->binary = 1;
            continue;
        }

        if (v == NULL) {
            fprintf(stderr, "cweb-ws: --%s needs a value\n", a);
            return -1;
        }

        i++;

        if (strcmp(a, "key") == 0 || strcmp(a, "version") == 0) {
            snprintf(h, sizeof(h), "Sec-WebSocket-%s: %s",
                     a[0] == 'k' ? "Key" : "Version", v);
            ws_opts_header(o, h);
        } else if (strcmp(a, "header") == 0) {
            if (ws_opts_header(o, v) != 0) {
                fprintf(stderr, "cweb-ws: bad header \"%s\"\n", v);
                return -1;
            }
        } else if (strcmp(a, "show") == 0 && o->nshow < WS_MAX_SHOW) {
            o->show[o->nshow++] = strdup(v);
        } else if (strcmp(a, "method") == 0) {
            o->method = strdup(v);
        } else if (strcmp(a, "timeout") == 0) {
            o->timeout = atoi(v);
        } else if (strcmp(a, "rcvbuf") == 0) {
            o->rcvbuf = atoi(v);
        } else if (strcmp(a, "max-message") == 0) {
            o->max_message = strtoull(v, NULL, 10);
        } else if (strcmp(a, "conns") == 0) {
            b->conns = atoi(v);
        } else if (strcmp(a, "idle-conns") == 0) {
            b->idle = atoi(v);
        } else if (strcmp(a, "messages") == 0) {
            b->messages = strtoull(v, NULL, 10);
        } else if (strcmp(a, "size") == 0) {
            b->size = strtoull(v, NULL, 10);
        } else if (strcmp(a, "duration-max") == 0
                   || strcmp(a, "max-time") == 0)
        {
            b->duration_max = atoi(v);
        } else {
            fprintf(stderr, "cweb-ws: unknown option --%s\n", a);
            return -1;
        }
    }

    return i;
}


static int
ws_script(FILE *f)
{
    int      i;
    char    *line, *s, *e;
    size_t   cap;

    line = NULL;
    cap = 0;

    while (getline(&line, &cap, f) != -1) {
        ws_line++;

        for (s = line; *s == ' ' || *s == '\t'; s++) { /* void */ }
        e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r')) {
            *--e = '\0';
        }

        if (*s == '\0' || *s == '#') {
            continue;
        }

        if (ws_step(s) != 0) {
            fprintf(stderr, "cweb-ws: line %d: %s: failed: %s\n", ws_line,
                    ws_step_name ? ws_step_name : "?", s);
            free(line);
            return 1;
        }
    }

    for (i = 0; i < ws_nconns; i++) {
        if (ws_conns[i].fd >= 0) {
            close(ws_conns[i].fd);
        }
    }

    free(line);

    return 0;
}


/* "[NAME] step args": 0, or -1 when the step failed */

static int
ws_step(char *line)
{
    char             *w, *rest, *copy;
    ws_conn_t        *c;
    const ws_step_t  *st;

    copy = strdup(line);
    rest = copy;
    w = ws_word(&rest);
    c = ws_conn_find(w);

    if (c != NULL) {
        w = ws_word(&rest);
    }

    for (st = ws_steps; st->name; st++) {
        if (w != NULL && strcmp(st->name, w) == 0) {
            break;
        }
    }

    ws_step_name = st->name;

    if (st->name == NULL) {
        fprintf(stderr, "cweb-ws: line %d: unknown step \"%s\"\n", ws_line,
                w ? w : "");
        free(copy);
        return -1;
    }

    if (c == NULL && st->open) {
        c = ws_current ? ws_current : ws_conn_add("");
    }

    if (c != NULL && st->open && c->state == WS_ST_NEW
        && ws_conn_open(c) != 0)
    {
        free(copy);
        return -1;
    }

    if (st->handler(c, rest) != 0) {
        free(copy);
        return -1;
    }

    free(copy);

    return 0;
}


/* the next blank-separated word of *s, NUL-terminated, or NULL */

char *
ws_word(char **s)
{
    char  *p, *w;

    for (p = *s; *p == ' ' || *p == '\t'; p++) { /* void */ }

    if (*p == '\0') {
        *s = p;
        return NULL;
    }

    for (w = p; *p && *p != ' ' && *p != '\t'; p++) { /* void */ }

    if (*p) {
        *p++ = '\0';
    }

    *s = p;

    return w;
}


static ws_conn_t *
ws_conn_find(const char *name)
{
    int  i;

    for (i = 0; name != NULL && i < ws_nconns; i++) {
        if (ws_conns[i].name[0] && strcmp(ws_conns[i].name, name) == 0) {
            return &ws_conns[i];
        }
    }

    return NULL;
}


static ws_conn_t *
ws_conn_add(const char *name)
{
    ws_conn_t  *c;

    if (ws_nconns == WS_MAX_CONNS) {
        fprintf(stderr, "cweb-ws: more than %d connections\n", WS_MAX_CONNS);
        return NULL;
    }

    c = &ws_conns[ws_nconns++];
    memset(c, 0, sizeof(ws_conn_t));
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->fd = -1;
    ws_opts_copy(&c->opts, &ws_tmpl);
    ws_current = c;

    return c;
}


/* connect NAME [PATH] [--option value ...]: opened at once */

static int
ws_step_connect(ws_conn_t *c, char *rest)
{
    int          argc, first;
    char        *argv[32], *w;
    ws_bench_t   b;

    w = ws_word(&rest);
    if (w == NULL || c != NULL || ws_conn_find(w) != NULL) {
        fprintf(stderr, "cweb-ws: connect needs a new name\n");
        return -1;
    }

    c = ws_conn_add(w);
    if (c == NULL) {
        return -1;
    }

    argc = 0;
    argv[argc++] = "connect";

    for (first = 1; (w = ws_word(&rest)) != NULL && argc < 31; first = 0) {
        if (first && strncmp(w, "--", 2) != 0) {
            c->opts.path = strdup(w);
            continue;
        }
        argv[argc++] = w;
    }

    argv[argc] = NULL;

    if (ws_options(&c->opts, &b, argc, argv) != argc) {
        fprintf(stderr, "cweb-ws: connect: bad options\n");
        return -1;
    }

    return ws_conn_open(c);
}


static void
ws_alarm(int signo)
{
    static const char  msg[] = "cweb-ws: FAIL: --max-time reached\n";

    (void) signo;

    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
        /* void */
    }

    _exit(1);
}
