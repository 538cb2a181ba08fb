/*
 * list.h - c-web-modules' singly linked list of pointers.  The functions
 * are compiled into every plugin (hidden, and weak: a plugin's own
 * list_add wins over ours); they need no host and may be called in any
 * context.  The list holds the pointers only: list_destroy and
 * list_remove free nodes, never the data.
 *
 * list_add puts new data at the front, so iteration is newest first.
 * LIST_FOREACH_SAFE visits every node (upstream's version stops before
 * the last one); its body may list_remove the node it is on.
 */

#ifndef LIST_H
#define LIST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif


struct list_node {
    void                       *data;
    struct list_node           *next;
};

struct list {
    struct list_node           *head;
    size_t                      size;
};


#define LIST_FOREACH(list, node)                                             \
    for (struct list_node *node = (list)->head; node != NULL;                \
         node = node->next)

#define LIST_FOREACH_SAFE(list, node, tmp)                                   \
    for (struct list_node *node = (list)->head,                              \
             *tmp = node ? node->next : NULL;                                \
         node != NULL;                                                       \
         node = tmp, tmp = node ? node->next : NULL)


#define CWEB_LIST_API  __attribute__((visibility("hidden"), weak))

/* list_create: an empty list, or NULL (no memory, logged) */
CWEB_LIST_API struct list *list_create(void);

/* list_destroy: frees the list and its nodes, not the data; NULL ignored */
CWEB_LIST_API void list_destroy(struct list *list);

/* list_add: data at the front; a NULL list or no memory is logged */
CWEB_LIST_API void list_add(struct list *list, void *data);

/*
 * list_remove: removes the first node holding data (pointer comparison);
 * returns 1, or 0 when no node holds it (or the list is NULL)
 */
CWEB_LIST_API int list_remove(struct list *list, void *data);

/* list_iterate: func(data) for every node, front first; NULLs ignored */
CWEB_LIST_API void list_iterate(struct list *list, void (*func)(void *data));


#ifdef __cplusplus
}
#endif

#endif /* LIST_H */
