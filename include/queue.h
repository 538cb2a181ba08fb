/*
 * queue.h - c-web-modules' bounded FIFO queue of pointers, with a mutex
 * as upstream's.  The functions are compiled into every plugin (hidden,
 * weak); they need no host.
 *
 * Here a plugin runs on the event loop of an nginx worker and has no
 * threads of its own (see pool.h), so nothing else could ever make room
 * in a full queue or fill an empty one: queue_enqueue on a full queue and
 * queue_dequeue on an empty one do not wait, they return QUEUE_FULL or
 * QUEUE_EMPTY like the try_ variants, with an error-log line.
 */

#ifndef QUEUE_H
#define QUEUE_H

#include <stdint.h>
#include <pthread.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef enum queue_status {
    QUEUE_OK,
    QUEUE_FULL,
    QUEUE_EMPTY,
    QUEUE_ERROR
} queue_status_t;

struct queue {
    void                      **buffer;
    size_t                      head;
    size_t                      tail;
    size_t                      max_size;
    size_t                      current_size;
    pthread_mutex_t             lock;
    pthread_cond_t              not_full;
    pthread_cond_t              not_empty;
};


#define CWEB_QUEUE_API  __attribute__((visibility("hidden"), weak))

/* queue_create: room for max_size items, or NULL (0, or no memory) */
CWEB_QUEUE_API struct queue *queue_create(size_t max_size);

/* queue_destroy: frees the queue, not the items; NULL ignored */
CWEB_QUEUE_API void queue_destroy(struct queue *q);

/* queue_try_enqueue: QUEUE_OK, QUEUE_FULL, or QUEUE_ERROR (NULL queue) */
CWEB_QUEUE_API queue_status_t queue_try_enqueue(struct queue *q, void *item);

/* queue_enqueue: as queue_try_enqueue; a full queue is also logged */
CWEB_QUEUE_API queue_status_t queue_enqueue(struct queue *q, void *item);

/*
 * queue_try_dequeue: the oldest item into *item and QUEUE_OK, QUEUE_EMPTY
 * (*item untouched), or QUEUE_ERROR (NULL queue or item)
 */
CWEB_QUEUE_API queue_status_t queue_try_dequeue(struct queue *q, void **item);

/* queue_dequeue: as queue_try_dequeue; an empty queue is also logged */
CWEB_QUEUE_API queue_status_t queue_dequeue(struct queue *q, void **item);

/* queue_size: the number of items (0 for NULL) */
CWEB_QUEUE_API size_t queue_size(struct queue *q);


#ifdef __cplusplus
}
#endif

#endif /* QUEUE_H */
