/*
 * router.h - c-web-modules' module router, a server-internal header: a
 * plugin that includes it compiles and may name handler_t (a route
 * handler's type, as upstream's) and the router's structs (opaque here).
 *
 * Upstream's server functions declared there (router_*) are not part of
 * a plugin's API here: the host's registry routes.  They are not
 * declared, so a call is a compile error (implicit declaration) or an
 * undefined symbol the host's link refuses, never a failure at load.
 * ctx->symbols->resolv() is the plugin's form of router_resolve().
 */

#ifndef ROUTER_H
#define ROUTER_H

#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <cweb.h>
#include <cweb_config.h>

typedef int (*handler_t)(struct cweb_context *, http_request_t *,
    http_response_t *);

struct ws_server;
struct module_ref;
struct gateway_entry;
struct route;
struct ws_route;
struct job_route;
struct router;

#endif /* ROUTER_H */
