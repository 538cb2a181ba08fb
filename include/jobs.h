/*
 * jobs.h - what a plugin may use of c-web-modules' job system.
 *
 * Upstream's header describes the server's job system itself (its struct
 * job_system, jobs_init(), jobs_handle_http(), ...): those are the host's
 * business and are not declared here.  A plugin gets the names it may
 * use: job_system_t (opaque: ctx->jobs is NULL, jobs go through
 * jobs_create()), jobs_create_fn_t, jobs_bind() (refused: the host owns
 * the job system) and jobs_create(), all declared by cweb.h.
 */

#ifndef JOBS_H
#define JOBS_H

#include <pthread.h>
#include <cweb.h>

typedef struct job_system  job_system_t;

#endif /* JOBS_H */
