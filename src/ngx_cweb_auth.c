
/*
 * Admin credentials for cweb_mgnt (and later cweb_jobs) locations.
 *
 * With cweb_admin_key (or CWEB_ADMIN_KEY in the master's environment) a
 * request must carry the key as "X-API-Key: <key>" or
 * "Authorization: Bearer <key>", compared in constant time.  Without a
 * key only loopback clients get in.  "cweb_dev on" lets loopback clients
 * in without a key even when one is set.
 */


#include "ngx_cweb.h"

#include <openssl/crypto.h>


static ngx_uint_t ngx_cweb_auth_loopback(ngx_connection_t *c);
static ngx_str_t *ngx_cweb_auth_header(ngx_http_request_t *r,
    const char *name, size_t len);
static ngx_uint_t ngx_cweb_auth_equal(ngx_str_t *given, ngx_str_t *key);


ngx_int_t
ngx_cweb_auth_check(ngx_http_request_t *r, const char **reason)
{
    ngx_str_t             *given, bearer;
    ngx_uint_t             loopback;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_cweb_module);
    loopback = ngx_cweb_auth_loopback(r->connection);

    if (cmcf->admin_key.len == 0) {
        if (loopback) {
            return NGX_OK;
        }

        *reason = "no admin key is configured (cweb_admin_key), so only "
                  "loopback clients may use this endpoint";
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (cmcf->dev && loopback) {
        return NGX_OK;
    }

    given = ngx_cweb_auth_header(r, "X-API-Key", sizeof("X-API-Key") - 1);

    if (given == NULL && r->headers_in.authorization) {
        bearer = r->headers_in.authorization->value;

        if (bearer.len > 7
            && ngx_strncasecmp(bearer.data, (u_char *) "Bearer ", 7) == 0)
        {
            bearer.data += 7;
            bearer.len -= 7;
            given = &bearer;
        }
    }

    if (given == NULL) {
        *reason = "missing admin key: send X-API-Key or "
                  "Authorization: Bearer";
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (!ngx_cweb_auth_equal(given, &cmcf->admin_key)) {
        *reason = "wrong admin key";
        return NGX_HTTP_UNAUTHORIZED;
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_cweb_auth_loopback(ngx_connection_t *c)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    switch (c->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) c->sockaddr;
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) c->sockaddr;

        if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
            return 1;
        }

        return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)
               && sin6->sin6_addr.s6_addr[12] == 127;
#endif

#if (NGX_HAVE_UNIX_DOMAIN)
    case AF_UNIX:
        return 1;
#endif

    default:
        return 0;
    }
}


static ngx_str_t *
ngx_cweb_auth_header(ngx_http_request_t *r, const char *name, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == len
                && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
            {
                return &h[i].value;
            }
        }
    }

    return NULL;
}


/* constant time in the key's content; lengths are not secret */

static ngx_uint_t
ngx_cweb_auth_equal(ngx_str_t *given, ngx_str_t *key)
{
    if (given->len != key->len) {
        return 0;
    }

    return CRYPTO_memcmp(given->data, key->data, key->len) == 0;
}
