/*
 * crypto.h and jobs.h as a c-web-modules plugin uses them: ctx->crypto's
 * sign_token/verify_token, a struct crypto of the plugin's own
 * (crypto_init/crypto_shutdown), OpenSSL's names straight through
 * crypto.h (SHA256_DIGEST_LENGTH, EVP_MD_CTX), what the host refuses,
 * and jobs.h's names (jobs_bind, jobs_create_fn_t, job_system_t).
 */

/* a name the headers fail to declare is an error, not a guess */
#pragma GCC diagnostic error "-Wimplicit-function-declaration"

#include <cweb.h>
#include <crypto.h>
#include <jobs.h>

#include <stdio.h>
#include <string.h>


#define OUT(...)                                                              \
    len += snprintf(res->body + len, HTTP_RESPONSE_SIZE - len, __VA_ARGS__)


static struct crypto  own;


static const char *
arg(http_request_t *req, const char *name, const char *def)
{
    const char  *v = http_kv_get(req->params, name);

    return v ? v : def;
}


/* OpenSSL reached through crypto.h alone, linked with -lcrypto */
static int
info(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    unsigned char   md[SHA256_DIGEST_LENGTH];
    unsigned int    mdlen = 0, i;
    EVP_MD_CTX     *mdctx;
    struct crypto  *c = ctx->crypto;
    int             len = 0;

    mdctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(mdctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(mdctx, "abc", 3);
    EVP_DigestFinal_ex(mdctx, md, &mdlen);
    EVP_MD_CTX_free(mdctx);

    OUT("status=%s ctx=%s ops=%s/%s\n",
        c->status == CRYPTO_LOADED ? "CRYPTO_LOADED" : "CRYPTO_FAILURE",
        c->ctx ? "set" : "null", c->ops.sign_token ? "set" : "null",
        c->ops.verify_token ? "set" : "null");
    OUT("certificate=%s\nprivate_key=%s\n",
        c->certificate ? c->certificate : "null",
        c->private_key ? c->private_key : "null");
    OUT("key_in_ctx=%s\n", c->ctx && SSL_CTX_get0_privatekey(c->ctx)
                           ? "yes" : "no");
    OUT("sha256(abc)/%d=", SHA256_DIGEST_LENGTH);

    for (i = 0; i < mdlen; i++) {
        OUT("%02x", md[i]);
    }

    OUT("\n");

    return 0;
}


/* the signed token as the host writes it */
static int
sign(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    const char  *token = arg(req, "token", "");
    char         buf[1024];
    int          n, len = 0;

    n = ctx->crypto->ops.sign_token(ctx->crypto, token, buf, sizeof(buf));
    OUT("n=%d verify=%d\n%s", n,
        ctx->crypto->ops.verify_token(ctx->crypto, n > 0 ? buf : "AAAA",
                                      token, strlen(token)),
        n > 0 ? buf : "");

    return 0;
}


static int
roundtrip(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    struct crypto  *c = ctx->crypto;
    const char     *token = arg(req, "token", "user=42;exp=1700000000");
    char            sig[1024], flat[1024], bad[1024], *p, *q;
    size_t          tlen = strlen(token);
    int             n, len = 0;

    n = c->ops.sign_token(c, token, sig, sizeof(sig));
    OUT("sign=%d strlen=%zu verify=%d\n", n, strlen(sig),
        c->ops.verify_token(c, sig, token, tlen));

    /* one byte of the token changed, or one byte shorter */
    memcpy(bad, token, tlen + 1);
    bad[0] ^= 1;
    OUT("tampered_token=%d shorter=%d\n",
        c->ops.verify_token(c, sig, bad, tlen),
        c->ops.verify_token(c, sig, token, tlen - 1));

    /* one character of the signature changed */
    memcpy(bad, sig, n + 1);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    OUT("tampered_signature=%d", c->ops.verify_token(c, bad, token, tlen));

    /* not base64 at all, truncated, empty */
    memcpy(bad, sig, n + 1);
    bad[10] = '*';
    OUT(" not_base64=%d", c->ops.verify_token(c, bad, token, tlen));
    bad[0] = '\0';
    OUT(" empty=%d", c->ops.verify_token(c, bad, token, tlen));
    memcpy(bad, sig, 100);
    bad[100] = '\0';
    OUT(" truncated=%d\n", c->ops.verify_token(c, bad, token, tlen));

    /* the line breaks are optional */
    for (p = sig, q = flat; *p; p++) {
        if (*p != '\n') {
            *q++ = *p;
        }
    }

    *q = '\0';
    OUT("one_line=%d\n", c->ops.verify_token(c, flat, token, tlen));

    return 0;
}


static int
bad_calls(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    struct crypto   zero, copy;
    struct crypto  *c = ctx->crypto;
    const char     *saved;
    char            buf[1024];
    int             n, len = 0;

    /* the buffer: the signature needs n + 1 bytes with its NUL */
    n = c->ops.sign_token(c, "t", buf, sizeof(buf));
    OUT("need=%d exact=%d ", n + 1,
        c->ops.sign_token(c, "t", buf, (unsigned int) n + 1));
    OUT("short=%d zero=%d\n",
        c->ops.sign_token(c, "t", buf, (unsigned int) n),
        c->ops.sign_token(c, "t", buf, 0));

    OUT("null_token=%d null_out=%d null_crypto=%d\n",
        c->ops.sign_token(c, NULL, buf, sizeof(buf)),
        c->ops.sign_token(c, "t", NULL, sizeof(buf)),
        c->ops.sign_token(NULL, "t", buf, sizeof(buf)));
    OUT("verify_null_sig=%d verify_null_token=%d verify_null_crypto=%d\n",
        c->ops.verify_token(c, NULL, "t", 1),
        c->ops.verify_token(c, buf, NULL, 1),
        c->ops.verify_token(NULL, buf, "t", 1));

    /* neither ctx->crypto nor made ready: a copy, a zeroed struct */
    copy = *c;
    memset(&zero, 0, sizeof(zero));
    OUT("copy=%d zero=%d\n", c->ops.sign_token(&copy, "t", buf, sizeof(buf)),
        c->ops.verify_token(&zero, "x", "t", 1));

    /* the host's struct: init and shutdown refused, it still signs */
    OUT("init_ctx=%d ", crypto_init(c, NULL, NULL));
    crypto_shutdown(c);
    OUT("after_shutdown=%s signs=%d\n",
        c->status == CRYPTO_LOADED ? "CRYPTO_LOADED" : "CRYPTO_FAILURE",
        c->ops.sign_token(c, "t", buf, sizeof(buf)) == n);

    /* a field overwritten changes only what the plugin reads back */
    saved = c->private_key;
    c->private_key = "/nonexistent";
    OUT("overwritten_signs=%d\n",
        c->ops.sign_token(c, "t", buf, sizeof(buf)) == n);
    c->private_key = saved;

    return 0;
}


static int
own_crypto(struct cweb_context *ctx, http_request_t *req, http_response_t *res)
{
    const char  *cert = arg(req, "cert", "server.crt");
    const char  *key = arg(req, "key", "server.key");
    char         sig[1024];
    int          n, rc, len = 0;

    rc = crypto_init(&own, cert, key);
    OUT("init=%d status=%d same_paths=%d ctx=%s\n", rc, own.status,
        own.certificate == cert && own.private_key == key,
        own.ctx ? "set" : "null");

    n = own.ops.sign_token(&own, "mine", sig, sizeof(sig));
    OUT("sign=%d verify=%d by_ctx_crypto=%d\n", n,
        own.ops.verify_token(&own, sig, "mine", 4),
        ctx->crypto->ops.verify_token(ctx->crypto, sig, "mine", 4));

    crypto_shutdown(&own);
    n = own.ops.sign_token(&own, "mine", sig, sizeof(sig));
    OUT("shutdown status=%d ctx=%s sign=%d\n", own.status,
        own.ctx ? "set" : "null", n);
    crypto_shutdown(&own);

    rc = crypto_init(&own, "/nonexistent/own.crt", key);
    OUT("bad_file=%d status=%d\n", rc, own.status);
    OUT("mismatch=%d\n", crypto_init(&own, cert, arg(req, "other", key)));
    OUT("null=%d\n", crypto_init(NULL, cert, key));

    /* left ready: freed when this version is unloaded */
    OUT("again=%d\n", crypto_init(&own, cert, key));

    return 0;
}


static int
jobs_names(struct cweb_context *ctx, http_request_t *req,
    http_response_t *res)
{
    jobs_create_fn_t   fn = NULL;
    job_system_t      *js = ctx->jobs;
    int                len = 0;

    jobs_bind(fn, NULL);
    OUT("jobs=%s\n", js ? "set" : "null");

    return 0;
}


export module_t  config = {
    .name = "compat_crypto",
    .author = "cweb tests",
    .routes = {
        { "/crypto/info", "GET", info, NONE },
        { "/crypto/sign", "GET", sign, NONE },
        { "/crypto/roundtrip", "GET", roundtrip, NONE },
        { "/crypto/bad", "GET", bad_calls, NONE },
        { "/crypto/own", "GET", own_crypto, NONE },
        { "/crypto/jobs", "GET", jobs_names, NONE },
    },
    .size = 6,
};
