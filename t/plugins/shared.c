/*
 * t/plugins/shared.c: cweb_shared_*() driven by the query (issue 9,
 * item 7): GET /sh?op=<op>&z=<zone>&k=<key>&v=<text>&n=<num>&ttl=<ms>
 */
#include <cweb.h>
#include <inttypes.h>


#define ARG(name, dflt)  (http_kv_get(req->params, name)                     \
                          ? http_kv_get(req->params, name) : (dflt))


static int
sh(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    int          rc;
    long         ttl, i, n;
    char         buf[64], *big;
    size_t       len;
    int64_t      num;
    const char  *op, *z, *k, *v;

    op = ARG("op", "");
    z = ARG("z", "kv");
    k = ARG("k", "key");
    v = ARG("v", "");
    num = strtoll(ARG("n", "0"), NULL, 10);
    ttl = strtol(ARG("ttl", "0"), NULL, 10);
    len = 0;
    rc = 99;

    if (strcmp(op, "get") == 0) {
        rc = cweb_shared_get(z, k, buf, sizeof(buf), &len);
        n = sprintf(res->body, "rc=%d len=%zu value=[", rc, len);

        /* a NUL byte shows as \x00 */
        for (i = 0; rc == CWEB_OK && i < (long) len; i++) {
            n += sprintf(res->body + n, buf[i] < 0x20 ? "\\x%02x" : "%c",
                         buf[i]);
        }

        strcpy(res->body + n, "]\n");
        return 0;
    }

    if (strcmp(op, "getnum") == 0) {
        num = -1;
        rc = cweb_shared_get_num(z, k, &num);
        snprintf(res->body, HTTP_RESPONSE_SIZE, "rc=%d value=%" PRId64 "\n",
                 rc, num);
        return 0;
    }

    if (strcmp(op, "incr") == 0) {
        rc = cweb_shared_incr(z, k, num, &num);
        snprintf(res->body, HTTP_RESPONSE_SIZE, "rc=%d value=%" PRId64 "\n",
                 rc, num);
        return 0;
    }

    if (strcmp(op, "set") == 0) {
        rc = cweb_shared_set(z, k, v, strlen(v), ttl);
    } else if (strcmp(op, "add") == 0) {
        rc = cweb_shared_add(z, k, v, strlen(v), ttl);
    } else if (strcmp(op, "replace") == 0) {
        rc = cweb_shared_replace(z, k, v, strlen(v), ttl);
    } else if (strcmp(op, "setnum") == 0) {
        rc = cweb_shared_set_num(z, k, num, ttl);
    } else if (strcmp(op, "addnum") == 0) {
        rc = cweb_shared_add_num(z, k, num, ttl);
    } else if (strcmp(op, "del") == 0) {
        rc = cweb_shared_delete(z, k);
    } else if (strcmp(op, "bin") == 0) {
        rc = cweb_shared_set(z, k, "a\0b", 3, 0);
    } else if (strcmp(op, "fill") == 0) {
        /* n values of ttl bytes, keys f0 .. f<n-1>, reading k after each */
        big = calloc(1, ttl + 1);
        memset(big, 'x', ttl);
        n = (long) num;
        for (i = 0, rc = 0; i < n && rc == 0; i++) {
            snprintf(buf, sizeof(buf), "f%ld", i);
            rc = cweb_shared_set(z, buf, big, ttl, 0);
            (void) cweb_shared_get(z, k, buf, 0, &len);
        }
        free(big);
    } else if (strcmp(op, "huge") == 0) {
        big = calloc(1, 1 << 20);
        rc = cweb_shared_set(z, k, big, 1 << 20, 0);
        free(big);
    }

    snprintf(res->body, HTTP_RESPONSE_SIZE, "rc=%d\n", rc);

    return 0;
}


export module_t config = {
    .name = "shared",
    .size = 1,
    .routes = { { "/sh", "GET", sh, NONE } },
};
