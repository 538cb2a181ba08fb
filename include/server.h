/*
 * server.h - c-web-modules' server state and configuration, a
 * server-internal header: a plugin that includes it compiles (with the
 * headers upstream's includes) and may name env_t (upstream's values)
 * and the server's structs (opaque here).  The server's settings are
 * nginx directives here (README, Directives).
 *
 * server.h declares no functions upstream either; nothing in it is part
 * of a plugin's API here.
 */

#ifndef SERVER_H
#define SERVER_H

#include <stdint.h>
#include <stddef.h>
#include <stdatomic.h>
#include <netinet/in.h>

#include <cweb.h>
#include <container.h>
#include <scheduler.h>
#include <db.h>
#include <crypto.h>
#include <router.h>
#include <ws.h>
#include <jobs.h>
#include <shutdown.h>
#include <active_conn.h>

typedef enum env {
    DEV,
    PROD
} env_t;

typedef struct cors_config  cors_config_t;

struct thread_pool;
struct connection;
struct server_config;
struct server_state;
struct client_task;

#endif /* SERVER_H */
