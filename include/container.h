/*
 * container.h - c-web-modules' locked key/value container, for ngx_cweb
 * plugins: upstream's names, types and semantics.
 *
 * ctx->cache is the host's container: one per nginx process, shared by
 * the plugins loaded in it.  Every entry a plugin version set (through
 * container_set(), ctx->cache->set() or map_insert() on ctx->cache->data)
 * is removed when that version is unloaded in the process, so a reader
 * never gets a pointer into code or data that is gone; a new version sets
 * its entries again, typically in onload().  container_init() and
 * container_shutdown() refuse the host's container (logged).
 *
 * A container of the plugin's own works as upstream: container_init()
 * creates its map and mutex, container_shutdown() frees them.
 *
 * Values are stored as is (not copied), names are copied.  Contexts: see
 * map.h.
 */

#ifndef CONTAINER_H
#define CONTAINER_H

#include <map.h>
#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif


struct container {
    struct map                 *data;
    pthread_mutex_t             mutex;

    /* the older seed form, on ctx->cache only: 0 or -1 */
    int                       (*set)(const char *name, void *value);
    void                     *(*get)(const char *name);
};


/* 0, or -1: NULL, no memory, or the host's container */
int container_init(struct container *container, size_t initial_capacity);

/* frees the container's map; the host's container is refused */
void container_shutdown(struct container *container);

/* MAP_OK, or MAP_ERR when an argument (value too) is NULL or not valid */
map_error_t container_set(struct container *container, const char *name,
    void *value);

void *container_get(struct container *container, const char *name);

/* MAP_OK, MAP_KEY_NOT_FOUND or MAP_ERR */
map_error_t container_remove(struct container *container, const char *name);


#ifdef __cplusplus
}
#endif

#endif /* CONTAINER_H */
