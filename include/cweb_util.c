/*
 * Plugin side of include/list.h, queue.h and pool.h, compiled into every
 * plugin through cweb_entry.c (above its hidden region: the headers pull
 * in system headers; the declarations make these hidden).  Weak, so that
 * a plugin with its own list_add or queue_create links and uses its own.
 * The memory is the plugin's own, as upstream's: a pointer that is not a
 * list or queue cannot be told from one here, only NULL is.
 */

#include <list.h>
#include <queue.h>
#include <pool.h>


/* the log is the host's; code run before the bind (constructors) has none */

static void
cweb_util_log(const char *fmt, ...)
{
    va_list  args;

    if (cweb_api == NULL) {
        return;
    }

    va_start(args, fmt);
    cweb_api->log(CWEB_LOG_ERR, fmt, args);
    va_end(args);
}


/* list.h */

struct list *
list_create(void)
{
    struct list  *list;

    list = calloc(1, sizeof(struct list));
    if (list == NULL) {
        cweb_util_log("list_create(): no memory");
    }

    return list;
}


void
list_destroy(struct list *list)
{
    struct list_node  *node, *next;

    if (list == NULL) {
        return;
    }

    for (node = list->head; node; node = next) {
        next = node->next;
        free(node);
    }

    free(list);
}


void
list_add(struct list *list, void *data)
{
    struct list_node  *node;

    if (list == NULL) {
        cweb_util_log("list_add(): list is NULL");
        return;
    }

    node = malloc(sizeof(struct list_node));
    if (node == NULL) {
        cweb_util_log("list_add(): no memory, the item is not added");
        return;
    }

    node->data = data;
    node->next = list->head;
    list->head = node;
    list->size++;
}


int
list_remove(struct list *list, void *data)
{
    struct list_node  **link, *node;

    if (list == NULL) {
        return 0;
    }

    for (link = &list->head; *link; link = &(*link)->next) {
        node = *link;

        if (node->data == data) {
            *link = node->next;
            free(node);
            list->size--;
            return 1;
        }
    }

    return 0;
}


void
list_iterate(struct list *list, void (*func)(void *data))
{
    struct list_node  *node;

    if (list == NULL || func == NULL) {
        return;
    }

    for (node = list->head; node; node = node->next) {
        func(node->data);
    }
}


/* queue.h */

struct queue *
queue_create(size_t max_size)
{
    struct queue  *q;

    if (max_size == 0 || max_size > ((size_t) -1) / sizeof(void *)) {
        return NULL;
    }

    q = calloc(1, sizeof(struct queue));
    if (q == NULL) {
        return NULL;
    }

    q->buffer = malloc(max_size * sizeof(void *));
    if (q->buffer == NULL) {
        free(q);
        return NULL;
    }

    q->max_size = max_size;

    (void) pthread_mutex_init(&q->lock, NULL);
    (void) pthread_cond_init(&q->not_full, NULL);
    (void) pthread_cond_init(&q->not_empty, NULL);

    return q;
}


void
queue_destroy(struct queue *q)
{
    if (q == NULL) {
        return;
    }

    (void) pthread_mutex_destroy(&q->lock);
    (void) pthread_cond_destroy(&q->not_full);
    (void) pthread_cond_destroy(&q->not_empty);
    free(q->buffer);
    free(q);
}


/* fn: the caller's name for the error line */

static queue_status_t
cweb_queue_put(struct queue *q, void *item, const char *fn)
{
    queue_status_t  rc;

    if (q == NULL) {
        cweb_util_log("%s(): queue is NULL", fn);
        return QUEUE_ERROR;
    }

    (void) pthread_mutex_lock(&q->lock);

    if (q->current_size == q->max_size) {
        rc = QUEUE_FULL;

    } else {
        q->buffer[q->tail] = item;
        q->tail = (q->tail + 1) % q->max_size;
        q->current_size++;
        (void) pthread_cond_signal(&q->not_empty);
        rc = QUEUE_OK;
    }

    (void) pthread_mutex_unlock(&q->lock);

    return rc;
}


queue_status_t
queue_try_enqueue(struct queue *q, void *item)
{
    return cweb_queue_put(q, item, "queue_try_enqueue");
}


queue_status_t
queue_enqueue(struct queue *q, void *item)
{
    queue_status_t  rc;

    rc = cweb_queue_put(q, item, "queue_enqueue");

    if (rc == QUEUE_FULL) {
        cweb_util_log("queue_enqueue(): the queue is full; waiting for "
                      "room would stall the worker, QUEUE_FULL instead");
    }

    return rc;
}


static queue_status_t
cweb_queue_take(struct queue *q, void **item, const char *fn)
{
    queue_status_t  rc;

    if (q == NULL || item == NULL) {
        cweb_util_log("%s(): %s is NULL", fn, q ? "item" : "queue");
        return QUEUE_ERROR;
    }

    (void) pthread_mutex_lock(&q->lock);

    if (q->current_size == 0) {
        rc = QUEUE_EMPTY;

    } else {
        *item = q->buffer[q->head];
        q->head = (q->head + 1) % q->max_size;
        q->current_size--;
        (void) pthread_cond_signal(&q->not_full);
        rc = QUEUE_OK;
    }

    (void) pthread_mutex_unlock(&q->lock);

    return rc;
}


queue_status_t
queue_try_dequeue(struct queue *q, void **item)
{
    return cweb_queue_take(q, item, "queue_try_dequeue");
}


queue_status_t
queue_dequeue(struct queue *q, void **item)
{
    queue_status_t  rc;

    rc = cweb_queue_take(q, item, "queue_dequeue");

    if (rc == QUEUE_EMPTY) {
        cweb_util_log("queue_dequeue(): the queue is empty; waiting for an "
                      "item would stall the worker, QUEUE_EMPTY instead");
    }

    return rc;
}


size_t
queue_size(struct queue *q)
{
    size_t  n;

    if (q == NULL) {
        return 0;
    }

    (void) pthread_mutex_lock(&q->lock);
    n = q->current_size;
    (void) pthread_mutex_unlock(&q->lock);

    return n;
}


/* pool.h: no pool is ever made (see pool.h for why) */

static void
cweb_util_no_pool(const char *fn, struct thread_pool *pool)
{
    if (pool) {
        cweb_util_log("%s(): %p is not a thread pool (thread_pool_init() "
                      "makes none here)", fn, (void *) pool);
    }
}


struct thread_pool *
thread_pool_init(int num_threads)
{
    cweb_util_log("thread_pool_init(%d) refused: plugin threads would "
                  "outlive the version's unload; use scheduler_add(ASYNC)",
                  num_threads);

    return NULL;
}


void
thread_pool_add_task(struct thread_pool *pool, void (*function)(void *),
    void *arg)
{
    (void) arg;

    if (pool || function) {
        cweb_util_log("thread_pool_add_task(): no thread pool, the task "
                      "is dropped");
    }
}


void
thread_pool_request_stop(struct thread_pool *pool)
{
    cweb_util_no_pool("thread_pool_request_stop", pool);
}


int
thread_pool_pending_count(struct thread_pool *pool)
{
    cweb_util_no_pool("thread_pool_pending_count", pool);

    return 0;
}


void
thread_pool_cancel_all(struct thread_pool *pool)
{
    cweb_util_no_pool("thread_pool_cancel_all", pool);
}


void
thread_pool_destroy(struct thread_pool *pool)
{
    cweb_util_no_pool("thread_pool_destroy", pool);
}


int
thread_pool_is_full(struct thread_pool *pool)
{
    cweb_util_no_pool("thread_pool_is_full", pool);

    return 0;
}
