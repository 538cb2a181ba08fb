/*
 * Plugin side of include/uuid.h, compiled into every plugin through
 * cweb_entry.c.  Every read stays inside the UUID_STR_LEN bytes of a
 * cweb_uuid_t, so a plugin's uninitialized identifier is never read past
 * its end.
 */

#include <string.h>

#include <uuid.h>


/* a UUID in text form: 8-4-4-4-12 hex digits, then the NUL at 36 */

static int
cweb_uuid_text(const char *s, size_t max)
{
    size_t  i;
    char    c;

    for (i = 0; i < UUID_STR_LEN - 1; i++) {
        if (i == max) {
            return 0;
        }

        c = s[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return 0;
            }

            continue;
        }

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
              || (c >= 'A' && c <= 'F')))
        {
            return 0;
        }
    }

    return i < max && s[i] == '\0';
}


void
uuid_clear(cweb_uuid_t *uuid)
{
    if (uuid) {
        memset(uuid->str, 0, UUID_STR_LEN);
    }
}


int
uuid_from_string(cweb_uuid_t *uuid, const char *str)
{
    if (uuid == NULL || str == NULL || !cweb_uuid_text(str, (size_t) -1)) {
        return -1;
    }

    memcpy(uuid->str, str, UUID_STR_LEN);

    return 0;
}


int
uuid_is_valid(const cweb_uuid_t *uuid)
{
    return uuid ? cweb_uuid_text(uuid->str, UUID_STR_LEN) : 0;
}


int
uuid_equal(const cweb_uuid_t *a, const cweb_uuid_t *b)
{
    if (a == NULL || b == NULL) {
        return 0;
    }

    return strncmp(a->str, b->str, UUID_STR_LEN) == 0;
}


const char *
uuid_c_str(const cweb_uuid_t *uuid)
{
    return uuid ? uuid->str : "";
}
