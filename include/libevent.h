/*
 * libevent.h - c-web-modules' own event loop (not the libevent library),
 * a server-internal header: a plugin that includes it compiles and may
 * name event_callback_t and struct event (opaque here).
 *
 * Upstream's server functions declared there (event_new, event_add,
 * event_dispatch, ...) are not part of a plugin's API here: nginx's event
 * loop runs the worker, and a plugin must not block or drive it.  They
 * are not declared, so a call is a compile error (implicit declaration)
 * or an undefined symbol the host's link refuses, never a failure at
 * load.
 */

#ifndef LIBEVENT_H
#define LIBEVENT_H

#include <pthread.h>
#include <cweb.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event;
typedef void (*event_callback_t)(struct event *event, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* LIBEVENT_H */
