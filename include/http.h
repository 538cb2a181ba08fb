/*
 * http.h - c-web-modules' HTTP names: the request, response and store
 * types with the http_kv_* functions (all in cweb.h, which this header
 * includes: the functions reach the host through its function table),
 * and the text of the method and status enums.
 */

#ifndef HTTP_H
#define HTTP_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * http_methods[HTTP_GET] is "GET", ... ("HEAD", "PATCH" follow
 * upstream's five); http_errors[HTTP_200_OK] is the status line "200 OK",
 * ... (HTTP_000_UNKNOWN: "400 Bad Request", as upstream).  Indexed by the
 * enums in cweb.h (HTTP_ERR is not an index).  Each plugin has its own
 * copy (hidden); read only.
 */
extern const char *http_methods[] __attribute__((visibility("hidden")));
extern const char *http_errors[] __attribute__((visibility("hidden")));

#ifdef __cplusplus
}
#endif


#include <cweb.h>

#endif /* HTTP_H */
