/*
 * shutdown.h - c-web-modules' server shutdown, a server-internal header:
 * a plugin that includes it compiles and may name shutdown_policy_t
 * (upstream's values) and shutdown_context_t (opaque here).
 *
 * Upstream's server function declared there (shutdown_run) is not part
 * of a plugin's API here: nginx shuts down (a plugin's unload() runs in
 * every process).  It is not declared, so a call is a compile error
 * (implicit declaration) or an undefined symbol the host's link refuses,
 * never a failure at load.
 */

#ifndef SHUTDOWN_H
#define SHUTDOWN_H

#include <stdint.h>
#include <stdatomic.h>
#include <cweb.h>
#include <scheduler.h>
#include <pool.h>
#include <ws.h>
#include <router.h>
#include <container.h>
#include <db.h>
#include <crypto.h>
#include <jobs.h>
#include <active_conn.h>

typedef enum shutdown_policy {
    SHUTDOWN_POLICY_GRACEFUL = 0,
    SHUTDOWN_POLICY_FORCE = 1
} shutdown_policy_t;

typedef struct shutdown_context  shutdown_context_t;

#endif /* SHUTDOWN_H */
