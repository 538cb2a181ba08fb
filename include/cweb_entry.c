/*
 * Linked into every plugin by the host's compile command: the ABI stamp
 * the loader checks before calling anything, and the binding of the host
 * function table.
 */

#include <cweb.h>

/* plugin-side code of the compatibility headers, area db/uuid/http */
#include "cweb_uuid.c"
#include "cweb_db.c"
#include "cweb_http.c"

/* list.h, queue.h, pool.h: plugin-side, area rest */
#include "cweb_util.c"


/*
 * Plugins are built with default visibility (ctx->symbols->resolv() finds
 * their globals, as in c-web-modules); what this file defines below
 * stays hidden unless marked export (the compatibility code included above
 * is hidden by its declarations).  Every system header must be included
 * above this line: an external declaration made hidden cannot be linked.
 */
/* glibc's own entry points, for the plugin's free() and realloc() below */
extern void __libc_free(void *p);
extern void *__libc_malloc(size_t size);
extern void *__libc_realloc(void *p, size_t size);


#pragma GCC visibility push(hidden)

/* map.h, container.h, scheduler.h: forwarders to the host, no headers */
#include "cweb_map.c"

/* crypto.h: forwarders to the host, no headers */
#include "cweb_crypto.c"


const cweb_api_t  *cweb_api;

export const uint32_t  cweb_abi_version = CWEB_ABI_VERSION;

export const uint32_t  cweb_abi_layout[] = {
    CWEB_ABI_LAYOUT(CWEB_ABI_VALUE)
};

export const uint32_t  cweb_abi_layout_n =
    sizeof(cweb_abi_layout) / sizeof(cweb_abi_layout[0]);


export int
cweb_plugin_bind(const cweb_api_t *api)
{
    if (api == NULL || api->abi_version != CWEB_ABI_VERSION
        || api->size < sizeof(cweb_api_t))
    {
        return CWEB_ERROR;
    }

    cweb_api = api;

    return CWEB_OK;
}


/*
 * The plugin's own free() and realloc() (hidden: -Bsymbolic binds the
 * plugin's calls here, nobody else's): the host's 8 KB res->body buffer is
 * the host's to free, so that a plugin that frees it, or replaces it
 * without freeing it (a string literal), neither double-frees nor leaks
 * it; every other pointer goes to glibc.
 */

void
free(void *p)
{
    if (p != NULL && cweb_api != NULL && cweb_api->body_release(p)) {
        return;
    }

    __libc_free(p);
}


void *
realloc(void *p, size_t size)
{
    void  *q;

    if (p == NULL || cweb_api == NULL || !cweb_api->body_release(p)) {
        return __libc_realloc(p, size);
    }

    /* a copy of the host's buffer, which stays the host's */
    q = __libc_malloc(size ? size : 1);

    if (q != NULL) {
        memcpy(q, p, size < HTTP_RESPONSE_SIZE ? size : HTTP_RESPONSE_SIZE);
    }

    return q;
}


#pragma GCC visibility pop
