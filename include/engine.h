/*
 * engine.h - c-web-modules' crash containment around module calls, a
 * server-internal header: a plugin that includes it compiles (with
 * router.h's types).
 *
 * Upstream's server functions declared there (engine_*, safe_execute_*,
 * the thread signal set-up) are not part of a plugin's API here: the host
 * contains every call into a plugin itself.  They are not declared, so a
 * call is a compile error (implicit declaration) or an undefined symbol
 * the host's link refuses, never a failure at load.
 */

#ifndef ENGINE_H
#define ENGINE_H

#include <cweb.h>
#include <router.h>

#endif /* ENGINE_H */
