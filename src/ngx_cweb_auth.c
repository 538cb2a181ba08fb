
/*
 * Who may use cweb_mgnt (and later cweb_jobs) locations.  Deploying is
 * code execution, so the control plane is closed unless configured open:
 *
 * 1. Browsers never: a request with an Origin that cweb_admin_origins does
 *    not list, or with Sec-Fetch-Site other than same-origin / none, is
 *    refused with 403, key or not (a page on another site can make a
 *    browser POST text/plain or a form to localhost).
 * 2. With cweb_admin_key (or CWEB_ADMIN_KEY in the master's environment):
 *    "X-API-Key: <key>" or "Authorization: Bearer <key>", compared in
 *    constant time; 401 otherwise.
 * 3. Without the key: only with "cweb_dev on", and then only for local
 *    clients: a loopback or unix-socket peer, without Forwarded,
 *    X-Forwarded-For or X-Real-IP headers and not through the PROXY
 *    protocol (a local proxy, or the realip module, would otherwise turn
 *    remote clients into "loopback"), and, over TCP, with a Host that
 *    names the loopback (localhost, 127.x.y.z, [::1]): a page on a
 *    rebound DNS name is same-origin with /mgnt and sends neither Origin
 *    nor Sec-Fetch-Site with a GET.  cweb_dev also lets local clients in
 *    without the key when one is set.
 * Every Origin and Sec-Fetch-Site header counts, not only the first.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_admin.h"

#include <openssl/crypto.h>


static ngx_int_t ngx_cweb_auth_browser(ngx_http_request_t *r,
    ngx_cweb_main_conf_t *cmcf, const char **reason);
static ngx_uint_t ngx_cweb_auth_local(ngx_http_request_t *r);
static ngx_uint_t ngx_cweb_auth_loopback(ngx_connection_t *c);
static ngx_uint_t ngx_cweb_auth_local_host(ngx_http_request_t *r);
static ngx_str_t *ngx_cweb_auth_header(ngx_http_request_t *r,
    const char *name, size_t len);
static ngx_uint_t ngx_cweb_auth_equal(ngx_str_t *given, ngx_str_t *key);


/* NGX_OK, or the status to refuse with and why */

ngx_int_t
ngx_cweb_auth_check(ngx_http_request_t *r, const char **reason)
{
    ngx_int_t              rc;
    ngx_str_t             *given, bearer;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_cweb_module);

    rc = ngx_cweb_auth_browser(r, cmcf, reason);
    if (rc != NGX_OK) {
        return rc;
    }

    if (cmcf->admin_key.len == 0) {
        if (!cmcf->dev) {
            *reason = "no admin key is configured: set cweb_admin_key (or "
                      "CWEB_ADMIN_KEY), or cweb_dev on for local development";
            return NGX_HTTP_FORBIDDEN;
        }

        if (!ngx_cweb_auth_local(r)) {
            *reason = "without an admin key only local clients may use this "
                      "endpoint (loopback or unix socket, a loopback Host, no "
                      "forwarding headers, no PROXY protocol)";
            return NGX_HTTP_FORBIDDEN;
        }

        return NGX_OK;
    }

    if (cmcf->dev && ngx_cweb_auth_local(r)) {
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


static ngx_int_t
ngx_cweb_auth_browser(ngx_http_request_t *r, ngx_cweb_main_conf_t *cmcf,
    const char **reason)
{
    ngx_str_t        *o;
    ngx_uint_t        i, j, listed;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == sizeof("Sec-Fetch-Site") - 1
                && ngx_strncasecmp(h[i].key.data, (u_char *) "Sec-Fetch-Site",
                                   h[i].key.len) == 0
                && !(h[i].value.len == 11
                     && ngx_strncasecmp(h[i].value.data,
                                        (u_char *) "same-origin", 11) == 0)
                && !(h[i].value.len == 4
                     && ngx_strncasecmp(h[i].value.data, (u_char *) "none", 4)
                        == 0))
            {
                *reason = "cross-site browser requests are refused "
                          "(Sec-Fetch-Site)";
                return NGX_HTTP_FORBIDDEN;
            }
        }
    }

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len != sizeof("Origin") - 1
                || ngx_strncasecmp(h[i].key.data, (u_char *) "Origin",
                                   h[i].key.len) != 0)
            {
                continue;
            }

            listed = 0;
            o = cmcf->admin_origins ? cmcf->admin_origins->elts : NULL;

            for (j = 0; o && j < cmcf->admin_origins->nelts; j++) {
                if (o[j].len == h[i].value.len
                    && ngx_strncasecmp(o[j].data, h[i].value.data, o[j].len)
                       == 0)
                {
                    listed = 1;
                    break;
                }
            }

            if (!listed) {
                *reason = "browser requests are refused: the Origin is not "
                          "listed in cweb_admin_origins";
                return NGX_HTTP_FORBIDDEN;
            }
        }
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_cweb_auth_local(ngx_http_request_t *r)
{
    if (!ngx_cweb_auth_loopback(r->connection)
        || !ngx_cweb_auth_local_host(r)
        || r->connection->proxy_protocol != NULL
        || ngx_cweb_auth_header(r, "Forwarded", sizeof("Forwarded") - 1)
        || ngx_cweb_auth_header(r, "X-Forwarded-For",
                                sizeof("X-Forwarded-For") - 1)
        || ngx_cweb_auth_header(r, "X-Real-IP", sizeof("X-Real-IP") - 1))
    {
        return 0;
    }

    return 1;
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


/*
 * the Host of a keyless local request names the loopback; a unix socket
 * (no browser reaches one) needs none.  nginx has validated the host
 * already (r->headers_in.server: lower case, no port, no trailing dot;
 * from an absolute request line too)
 */

static ngx_uint_t
ngx_cweb_auth_local_host(ngx_http_request_t *r)
{
    in_addr_t   addr;
    ngx_str_t  *host;

    static ngx_str_t  localhost = ngx_string(".localhost");

    host = &r->headers_in.server;

    if (r->connection->sockaddr->sa_family == AF_UNIX || host->len == 0) {
        return 1;
    }

    if ((host->len == 5 && ngx_strncmp(host->data, "[::1]", 5) == 0)
        || (host->len == 9 && ngx_strncmp(host->data, "localhost", 9) == 0)
        || (host->len > localhost.len
            && ngx_strncmp(host->data + host->len - localhost.len,
                           localhost.data, localhost.len) == 0))
    {
        return 1;
    }

    addr = ngx_inet_addr(host->data, host->len);

    return addr != INADDR_NONE && (ntohl(addr) >> 24) == 127;
}


static ngx_str_t *
ngx_cweb_auth_header(ngx_http_request_t *r, const char *name, size_t len)
{
    ngx_uint_t        n;
    ngx_table_elt_t  *h;

    h = ngx_cweb_header_in(r, name, len, &n);

    return h ? &h->value : NULL;
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
