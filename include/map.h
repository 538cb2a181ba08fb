/*
 * map.h - c-web-modules' string-keyed hash map, for ngx_cweb plugins.
 *
 * The same names, types and semantics as upstream's include/map.h; the
 * maps are the host's (the functions below reach it through cweb_api, see
 * cweb.h), so that a map the host did not create, or one already
 * destroyed, is refused with an error-log line instead of crashing, and
 * so that ctx->cache->data is one of them.
 *
 * Ownership: map_insert() copies the key; the value pointer is stored as
 * is and never freed by the map.  Maps a plugin version created and did
 * not destroy are destroyed when that version is unloaded in the process.
 *
 * Contexts: init, request, scheduled work (the worker's own thread; a
 * thread the plugin starts itself must not call them).
 */

#ifndef MAP_H
#define MAP_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef enum map_error {
    MAP_OK = 0,
    MAP_ERR = 1,                 /* bad argument, or no memory */
    MAP_FULL = 2,                /* no free slot (the map grows first) */
    MAP_KEY_NOT_FOUND = 3
} map_error_t;

typedef enum map_entry_state {
    MAP_ENTRY_EMPTY = 0,
    MAP_ENTRY_OCCUPIED = 1,
    MAP_ENTRY_TOMBSTONE = 2
} map_entry_state_t;

struct map_entry {
    char                       *key;
    void                       *value;
    uint64_t                    hash;
    map_entry_state_t           state;
};

/* read-only for plugins: entries[capacity], size live entries */
struct map {
    struct map_entry           *entries;
    size_t                      size;
    size_t                      capacity;
    size_t                      tombstones;
};


/*
 * map_create: an empty map of initial_capacity slots (rounded up to a
 * power of two, 8 at least); it grows as entries are inserted.  NULL when
 * initial_capacity is 0 or too large, or on no memory.
 */
struct map *map_create(size_t initial_capacity);

/*
 * map_destroy: frees the map and its keys, not the values.  NULL is
 * ignored; ctx->cache->data is refused (logged).
 */
void map_destroy(struct map *map);

/*
 * map_insert: key -> value; an existing key gets the new value (MAP_OK).
 * MAP_ERR when map or key is NULL, map is not a map, or on no memory.
 * With <cweb.h>, map_insert() on an http_kv_store_t * is the older seed
 * form (see there).
 */
map_error_t map_insert(struct map *map, const char *key, void *value);

/* map_get: the value stored under key, or NULL */
void *map_get(const struct map *map, const char *key);

/* map_remove: MAP_OK, MAP_KEY_NOT_FOUND, or MAP_ERR (bad argument) */
map_error_t map_remove(struct map *map, const char *key);

/* map_size: the number of entries; 0 for NULL or a bad map */
size_t map_size(const struct map *map);


#ifdef __cplusplus
}
#endif

#endif /* MAP_H */
