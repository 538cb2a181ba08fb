/*
 * ws.h - c-web-modules' WebSocket server, a server-internal header: a
 * plugin that includes it compiles and may name struct ws_server (opaque
 * here).  A plugin's WebSockets are websocket_info_t entries of its
 * config, with websocket_t's send and close (cweb.h).
 *
 * Upstream's server functions declared there (ws_*) are not part of a
 * plugin's API here: nginx serves the connections.  They are not
 * declared, so a call is a compile error (implicit declaration) or an
 * undefined symbol the host's link refuses, never a failure at load.
 */

#ifndef WS_H
#define WS_H

#include <pthread.h>
#include <list.h>
#include <cweb.h>
#include <active_conn.h>

struct ws_server;

#endif /* WS_H */
