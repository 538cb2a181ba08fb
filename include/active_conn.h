/*
 * active_conn.h - c-web-modules' list of the server's open client
 * sockets, a server-internal header: a plugin that includes it compiles
 * and may name the type (opaque here).
 *
 * Upstream's server functions declared there (active_conn_*) are not part
 * of a plugin's API here: nginx owns the connections.  They are not
 * declared, so a call is a compile error (implicit declaration) or an
 * undefined symbol the host's link refuses, never a failure at load.
 */

#ifndef ACTIVE_CONN_H
#define ACTIVE_CONN_H

#include <pthread.h>
#include <stddef.h>
#include <cweb.h>

typedef struct active_conn_list  active_conn_list_t;

#endif /* ACTIVE_CONN_H */
