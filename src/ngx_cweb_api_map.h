
/*
 * ngx_cweb_api_map.c: map.h, container.h and scheduler.h on the host
 * side, for the cweb_api_t table in ngx_cweb_api.c.
 */


#ifndef _NGX_CWEB_API_MAP_H_INCLUDED_
#define _NGX_CWEB_API_MAP_H_INCLUDED_


#include "ngx_cweb.h"


extern struct container  ngx_cweb_cache;
extern struct scheduler  ngx_cweb_scheduler;


struct map *ngx_cweb_map_create(size_t initial_capacity);
void ngx_cweb_map_destroy(struct map *map);
map_error_t ngx_cweb_map_insert(struct map *map, const char *key,
    void *value);
void *ngx_cweb_map_get(const struct map *map, const char *key);
map_error_t ngx_cweb_map_remove(struct map *map, const char *key);
size_t ngx_cweb_map_size(const struct map *map);

int ngx_cweb_container_init(struct container *c, size_t initial_capacity);
void ngx_cweb_container_shutdown(struct container *c);
map_error_t ngx_cweb_container_set(struct container *c, const char *name,
    void *value);
void *ngx_cweb_container_get(struct container *c, const char *name);
map_error_t ngx_cweb_container_remove(struct container *c,
    const char *name);

int ngx_cweb_scheduler_init(struct scheduler *s, size_t capacity);
void ngx_cweb_scheduler_shutdown(struct scheduler *s);
int ngx_cweb_scheduler_add(struct scheduler *s, work_t work, void *data,
    worker_state_t state);
void ngx_cweb_scheduler_request_stop(struct scheduler *s, int drain);
int ngx_cweb_scheduler_pending_count(struct scheduler *s);
void ngx_cweb_scheduler_cancel(struct scheduler *s);


#endif /* _NGX_CWEB_API_MAP_H_INCLUDED_ */
