/*
 * list.h, queue.h, defer.h and pool.h as a c-web-modules author uses
 * them: each route writes what it saw into the response body.
 */

#pragma GCC diagnostic error "-Wimplicit-function-declaration"

#include <cweb.h>
#include <list.h>
#include <queue.h>
#include <defer.h>
#include <pool.h>


#define OUT(...)                                                              \
    len += snprintf(res->body + len, HTTP_RESPONSE_SIZE - len, __VA_ARGS__)


static const char *
qs(queue_status_t s)
{
    static const char  *names[] = { "OK", "FULL", "EMPTY", "ERROR" };

    return (unsigned) s < 4 ? names[s] : "?";
}


static char    seen[64];
static size_t  nseen;

static void
collect(void *data)
{
    seen[nseen++] = *(char *) data;
    seen[nseen] = '\0';
}


static int
lists(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int           len = 0, n;
    char          a = 'a', b = 'b', c = 'c', d = 'd';
    struct list  *l = list_create();

    list_add(l, &a);
    list_add(l, &b);
    list_add(l, &c);

    nseen = 0;
    list_iterate(l, collect);
    OUT("iterate=%s size=%zu\n", seen, l->size);

    n = list_remove(l, &d);
    OUT("remove missing=%d size=%zu\n", n, l->size);
    n = list_remove(l, &b);
    OUT("remove b=%d ", n);
    n = list_remove(l, &b);
    OUT("again=%d size=%zu\n", n, l->size);

    OUT("foreach=");
    LIST_FOREACH(l, node) {
        OUT("%c", *(char *) node->data);
    }

    list_add(l, &d);
    OUT(" safe-remove-all=");
    LIST_FOREACH_SAFE(l, node, tmp) {
        OUT("%c", *(char *) node->data);
        (void) list_remove(l, node->data);
    }
    OUT(" size=%zu head=%s\n", l->size, l->head ? "set" : "NULL");

    list_add(l, &a);
    n = 0;
    LIST_FOREACH_SAFE(l, node, tmp) {
        n++;
    }
    OUT("safe-one=%d", n);

    n = 0;
    (void) list_remove(l, &a);
    LIST_FOREACH_SAFE(l, node, tmp) {
        n++;
    }
    OUT(" safe-empty=%d", n);
    OUT(" remove-empty=%d", list_remove(l, &a));
    OUT(" null=%d\n", list_remove(NULL, &a));

    list_iterate(l, NULL);
    list_iterate(NULL, collect);
    list_destroy(l);
    list_destroy(NULL);

    return 0;
}


static int
queues(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int            len = 0, one = 1, two = 2, three = 3;
    void          *item = NULL;
    struct queue  *q = queue_create(2);

    OUT("create0=%s\n", queue_create(0) ? "set" : "NULL");
    OUT("empty: try_dequeue=%s", qs(queue_try_dequeue(q, &item)));
    OUT(" item=%s size=%zu\n", item ? "set" : "NULL", queue_size(q));

    OUT("enqueue=%s ", qs(queue_enqueue(q, &one)));
    OUT("try_enqueue=%s ", qs(queue_try_enqueue(q, &two)));
    OUT("full: try_enqueue=%s", qs(queue_try_enqueue(q, &three)));
    OUT(" size=%zu\n", queue_size(q));

    OUT("dequeue=%s", qs(queue_dequeue(q, &item)));
    OUT(":%d ", *(int *) item);
    OUT("wrap enqueue=%s ", qs(queue_enqueue(q, &three)));
    OUT("try_dequeue=%s", qs(queue_try_dequeue(q, &item)));
    OUT(":%d ", *(int *) item);
    OUT("dequeue=%s", qs(queue_dequeue(q, &item)));
    OUT(":%d size=%zu\n", *(int *) item, queue_size(q));

    queue_destroy(q);
    queue_destroy(NULL);
    OUT("null size=%zu\n", queue_size(NULL));

    return 0;
}


/* the blocking variants where they would wait, and NULLs: logged */

static int
queues_bad(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    int            len = 0, one = 1;
    void          *item = NULL;
    struct queue  *q = queue_create(1);

    OUT("empty dequeue=%s ", qs(queue_dequeue(q, &item)));
    (void) queue_enqueue(q, &one);
    OUT("full enqueue=%s", qs(queue_enqueue(q, &one)));
    OUT(" size=%zu\n", queue_size(q));
    OUT("null: enqueue=%s", qs(queue_enqueue(NULL, &one)));
    OUT(" try_enqueue=%s", qs(queue_try_enqueue(NULL, &one)));
    OUT(" dequeue=%s", qs(queue_dequeue(NULL, &item)));
    OUT(" try_dequeue=%s", qs(queue_try_dequeue(NULL, &item)));
    OUT(" item=%s\n", qs(queue_try_dequeue(q, NULL)));

    queue_destroy(q);

    return 0;
}


static char    trail[128];
static size_t  ntrail;

static void
mark(const char *s)
{
    ntrail += snprintf(trail + ntrail, sizeof(trail) - ntrail, "%s", s);
}


static int
early(int leave)
{
    int  v = 1;

    defer {
        char  buf[16];

        snprintf(buf, sizeof(buf), "v%d.", v);
        mark(buf);
    };

    v = 2;

    if (leave) {
        mark("return.");
        return 1;
    }

    v = 3;
    mark("end.");

    return 0;
}


static int
defers(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int  len = 0, i;

    ntrail = 0;
    trail[0] = '\0';

    {
        defer { mark("first."); };
        defer { mark("second."); };
        mark("body.");
    }
    OUT("order=%s\n", trail);

    ntrail = 0;
    (void) early(1);
    mark("|");
    (void) early(0);
    OUT("exit=%s\n", trail);

    ntrail = 0;
    for (i = 0; i < 3; i++) {
        defer { mark("d."); };
        if (i == 1) {
            mark("break.");
            break;
        }
        mark("i.");
    }
    OUT("loop=%s\n", trail);

    return 0;
}


static int  ran;

static void
task(void *arg)
{
    ran++;
}


static int
pools(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int                  len = 0;
    struct thread_pool  *pool = thread_pool_init(4);

    OUT("init=%s\n", pool ? "set" : "NULL");
    thread_pool_add_task(pool, task, NULL);
    OUT("ran=%d", ran);
    OUT(" pending=%d", thread_pool_pending_count(pool));
    OUT(" full=%d\n", thread_pool_is_full(pool));
    thread_pool_request_stop(pool);
    thread_pool_cancel_all(pool);
    thread_pool_destroy(pool);
    OUT("destroyed\n");

    return 0;
}


export module_t  config = {
    .name = "compat_util",
    .author = "cweb tests",
    .routes = {
        { "/util/list", "GET", lists, NONE },
        { "/util/queue", "GET", queues, NONE },
        { "/util/queue_bad", "GET", queues_bad, NONE },
        { "/util/defer", "GET", defers, NONE },
        { "/util/pool", "GET", pools, NONE },
    },
    .size = 5,
};
