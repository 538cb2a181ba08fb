/*
 * uuid.h - c-web-modules' job identifiers: the text form of a UUID,
 * "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" with hex digits of either case,
 * NUL-terminated.  The functions are compiled into every plugin (hidden);
 * they need no host and may be called in any context.
 *
 * The type is cweb_uuid_t, never uuid_t, so that a plugin may define its
 * own uuid_t or use libuuid's.
 */

#ifndef UUID_H
#define UUID_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif


#define UUID_STR_LEN  37

typedef struct cweb_uuid {
    char                        str[UUID_STR_LEN];
} cweb_uuid_t;


/* uuid_clear: makes uuid the empty (invalid) identifier; NULL is ignored */
__attribute__((visibility("hidden")))
void uuid_clear(cweb_uuid_t *uuid);

/*
 * uuid_from_string: copies str into uuid when str is exactly a UUID in
 * text form (36 characters); returns 0, or -1 (NULL, or not a UUID: uuid
 * is then left as it was)
 */
__attribute__((visibility("hidden")))
int uuid_from_string(cweb_uuid_t *uuid, const char *str);

/* uuid_is_valid: 1 when uuid holds a UUID in text form, else 0 */
__attribute__((visibility("hidden")))
int uuid_is_valid(const cweb_uuid_t *uuid);

/* uuid_equal: 1 when both hold the same string (case matters), else 0 */
__attribute__((visibility("hidden")))
int uuid_equal(const cweb_uuid_t *a, const cweb_uuid_t *b);

/* uuid_c_str: the string in uuid ("" for NULL); owned by uuid */
__attribute__((visibility("hidden")))
const char *uuid_c_str(const cweb_uuid_t *uuid);


#ifdef __cplusplus
}
#endif

#endif /* UUID_H */
