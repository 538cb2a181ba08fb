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


const cweb_api_t  *cweb_api;

export const uint32_t  cweb_abi_version = CWEB_ABI_VERSION;


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
