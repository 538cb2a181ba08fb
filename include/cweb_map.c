/*
 * Compiled into every plugin (through cweb_entry.c): map.h, container.h
 * and scheduler.h's functions, each forwarding to the host, which keeps
 * the maps, checks every pointer it is handed and knows which plugin
 * version sets an entry of ctx->cache.  Hidden, like all plugin symbols
 * but config.  The names are in parentheses because cweb.h makes
 * map_insert and map_get macros.
 */


struct map *
map_create(size_t initial_capacity)
{
    return cweb_api->map_create(initial_capacity);
}


void
map_destroy(struct map *map)
{
    cweb_api->map_destroy(map);
}


map_error_t
(map_insert)(struct map *map, const char *key, void *value)
{
    return (cweb_api->map_insert)(map, key, value);
}


void *
(map_get)(const struct map *map, const char *key)
{
    return (cweb_api->map_get)(map, key);
}


map_error_t
map_remove(struct map *map, const char *key)
{
    return cweb_api->map_remove(map, key);
}


size_t
map_size(const struct map *map)
{
    return cweb_api->map_size(map);
}


int
container_init(struct container *container, size_t initial_capacity)
{
    return cweb_api->container_init(container, initial_capacity);
}


void
container_shutdown(struct container *container)
{
    cweb_api->container_shutdown(container);
}


map_error_t
container_set(struct container *container, const char *name, void *value)
{
    return cweb_api->container_set(container, name, value);
}


void *
container_get(struct container *container, const char *name)
{
    return cweb_api->container_get(container, name);
}


map_error_t
container_remove(struct container *container, const char *name)
{
    return cweb_api->container_remove(container, name);
}


int
scheduler_init(struct scheduler *scheduler, size_t capacity)
{
    return cweb_api->scheduler_init(scheduler, capacity);
}


void
scheduler_shutdown(struct scheduler *scheduler)
{
    cweb_api->scheduler_shutdown(scheduler);
}


int
scheduler_add(struct scheduler *scheduler, work_t work, void *data,
    worker_state_t state)
{
    return cweb_api->scheduler_add(scheduler, work, data, state);
}


void
scheduler_request_stop(struct scheduler *scheduler, int drain)
{
    cweb_api->scheduler_request_stop(scheduler, drain);
}


int
scheduler_pending_count(struct scheduler *scheduler)
{
    return cweb_api->scheduler_pending_count(scheduler);
}


void
scheduler_cancel(struct scheduler *scheduler)
{
    cweb_api->scheduler_cancel(scheduler);
}
