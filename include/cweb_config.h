/*
 * cweb_config.h - c-web-modules' build constants, with the values that
 * hold for this host.  The upstream names stay; where nginx decides a
 * limit, the value is nginx's default (README: Differences from
 * c-web-modules).
 */

#ifndef CWEB_CONFIG_H
#define CWEB_CONFIG_H


/* the sizes of module_t's arrays */
#define MAX_ROUTES                           10
#define MAX_WEBSOCKETS                       10
#define MAX_JOBS                             10

/* plugins the registry holds at once (upstream: 100) */
#define ROUTER_MAX_MODULES                   256

/* the longest stored object name, the host's NGX_CWEB_FILE_LEN */
#define SO_PATH_MAX_LEN                      256

/* nginx's client_max_body_size default, 1m */
#define DEFAULT_MAX_BODY_BYTES               (1024 * 1024)

/* a body plus nginx's large_client_header_buffers default (4 8k) */
#define REQUEST_BUFFER_SIZE                  (DEFAULT_MAX_BODY_BYTES         \
                                              + (4 * 8 * 1024))

/* nginx's "listen" default when run as root (upstream: 8080) */
#define DEFAULT_PORT                         80

/*
 * a worker runs one handler at a time, and "worker_processes auto" starts
 * one worker per core (upstream: 4 threads in dev, 2 per core in prod)
 */
#define DEFAULT_DEV_THREAD_POOL_SIZE         1
#define DEFAULT_PROD_THREAD_POOL_MULTIPLIER  1


#endif /* CWEB_CONFIG_H */
