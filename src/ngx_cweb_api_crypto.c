
/*
 * The host side of include/crypto.h: ctx->crypto, crypto_init() and
 * crypto_shutdown(), and the two directives that name ctx->crypto's key
 * pair.
 *
 * ctx->crypto: cweb_crypto_certificate and cweb_crypto_certificate_key
 * are loaded by the master while it reads its configuration (files only
 * root may read, as ssl_certificate_key), into one SSL_CTX of the
 * configuration's pool; every process forked from that cycle inherits it
 * and fills the public struct from it at init_process.  A reload builds
 * a new one for the new cycle; the old goes with the old cycle's pool.
 *
 * Trust: the public struct is written for the plugin and never read back.
 * sign/verify find their key by the struct's address: ctx->crypto's is in
 * the cycle's main conf, a plugin's own (crypto_init()) in this process's
 * list below, which also knows the version that made it, so that what a
 * version leaves behind is freed at its unload (its struct may be gone by
 * then: the list never writes to it after that).
 *
 * Tokens: the format upstream writes, see crypto.h.  Signing and
 * verifying run on the worker's thread, a few hundred microseconds for a
 * 2048-bit RSA key.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_loader.h"


typedef struct ngx_cweb_crypto_own_s  ngx_cweb_crypto_own_t;

struct ngx_cweb_crypto_own_s {
    struct crypto              *pub;
    SSL_CTX                    *ssl;
    ngx_cweb_plugin_t          *owner;        /* the version that made it */
    ngx_cweb_crypto_own_t      *next;
};


static int ngx_cweb_crypto_sign(struct crypto *crypto, const char *token,
    char *signed_token, unsigned int signed_token_len);
static int ngx_cweb_crypto_verify(struct crypto *crypto,
    const char *signed_token, const char *token, size_t token_len);
static SSL_CTX *ngx_cweb_crypto_key(struct crypto *crypto, const char *fn);
static ngx_cweb_crypto_own_t **ngx_cweb_crypto_find(struct crypto *crypto);
static SSL_CTX *ngx_cweb_crypto_new(void);
static SSL_CTX *ngx_cweb_crypto_load(const char *certificate,
    const char *private_key);
static const char *ngx_cweb_crypto_reason(void);
static size_t ngx_cweb_crypto_b64_len(size_t n);
static void ngx_cweb_crypto_b64(u_char *dst, u_char *src, size_t n);
static int ngx_cweb_crypto_no_password(char *buf, int size, int rwflag,
    void *data);
static void ngx_cweb_crypto_cleanup(void *data);


struct crypto  ngx_cweb_crypto = {
    NULL, NULL, NULL, CRYPTO_FAILURE,
    { ngx_cweb_crypto_sign, ngx_cweb_crypto_verify }
};

static ngx_cweb_crypto_own_t  *ngx_cweb_crypto_owns;


/* configuration, in the master */

/* cweb_crypto_certificate, cweb_crypto_certificate_key: PEM files */

char *
ngx_cweb_crypto_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cweb_main_conf_t *cmcf = conf;

    int                  rc;
    ngx_str_t           *value, *file;
    ngx_pool_cleanup_t  *cln;

    file = (ngx_str_t *) ((u_char *) conf + cmd->offset);

    if (file->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *file = value[1];

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (cmcf->crypto_ssl == NULL) {
        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_CONF_ERROR;
        }

        cmcf->crypto_ssl = ngx_cweb_crypto_new();
        if (cmcf->crypto_ssl == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "SSL_CTX_new() failed: "
                               "%s", ngx_cweb_crypto_reason());
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_cweb_crypto_cleanup;
        cln->data = cmcf->crypto_ssl;
    }

    rc = (file == &cmcf->crypto_certificate)
         ? SSL_CTX_use_certificate_file(cmcf->crypto_ssl, (char *) file->data,
                                        SSL_FILETYPE_PEM)
         : SSL_CTX_use_PrivateKey_file(cmcf->crypto_ssl, (char *) file->data,
                                       SSL_FILETYPE_PEM);

    if (rc != 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%V\" cannot be loaded: %s",
                           &cmd->name, file, ngx_cweb_crypto_reason());
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* at the end of the http block: both files, and a key that matches */

char *
ngx_cweb_crypto_conf(ngx_conf_t *cf, ngx_cweb_main_conf_t *cmcf)
{
    if (cmcf->crypto_ssl == NULL) {
        return NGX_CONF_OK;
    }

    if (cmcf->crypto_certificate.data == NULL
        || cmcf->crypto_certificate_key.data == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"cweb_crypto_certificate\" and "
                           "\"cweb_crypto_certificate_key\" go together");
        return NGX_CONF_ERROR;
    }

    if (SSL_CTX_check_private_key(cmcf->crypto_ssl) != 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"cweb_crypto_certificate_key\" \"%V\" does not "
                           "match \"cweb_crypto_certificate\" \"%V\"",
                           &cmcf->crypto_certificate_key,
                           &cmcf->crypto_certificate);
        ERR_clear_error();
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* every process forked from the cycle: what plugins read in ctx->crypto */

void
ngx_cweb_crypto_init_process(ngx_cycle_t *cycle)
{
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);

    if (cmcf == NULL || cmcf->crypto_ssl == NULL) {
        return;
    }

    ngx_cweb_crypto.ctx = cmcf->crypto_ssl;
    ngx_cweb_crypto.certificate = (char *) cmcf->crypto_certificate.data;
    ngx_cweb_crypto.private_key = (char *) cmcf->crypto_certificate_key.data;
    ngx_cweb_crypto.status = CRYPTO_LOADED;
}


/* crypto_ops */

static int
ngx_cweb_crypto_sign(struct crypto *crypto, const char *token,
    char *signed_token, unsigned int signed_token_len)
{
    int          rc;
    size_t       siglen, len;
    u_char      *sig;
    SSL_CTX     *ssl;
    EVP_PKEY    *pkey;
    EVP_MD_CTX  *md;

    if (ngx_cweb_api_gate("sign_token") != NGX_OK) {
        return -1;
    }

    ssl = ngx_cweb_crypto_key(crypto, "sign_token");
    if (ssl == NULL) {
        return -1;
    }

    if (token == NULL || signed_token == NULL) {
        ngx_cweb_api_error("sign_token(): %s is NULL",
                           token ? "signed_token" : "token");
        return -1;
    }

    pkey = SSL_CTX_get0_privatekey(ssl);
    siglen = EVP_PKEY_get_size(pkey);

    sig = ngx_alloc(siglen, ngx_cycle->log);
    md = EVP_MD_CTX_new();

    rc = -1;

    if (sig == NULL || md == NULL) {
        goto failed;
    }

    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1
        || EVP_DigestSign(md, sig, &siglen, (u_char *) token,
                          ngx_strlen(token))
           != 1)
    {
        ngx_cweb_api_error("sign_token(): signing failed: %s",
                           ngx_cweb_crypto_reason());
        goto failed;
    }

    len = ngx_cweb_crypto_b64_len(siglen);

    if (len >= signed_token_len) {
        ngx_cweb_api_error("sign_token(): signed_token_len %ud is too small, "
                           "the signed token takes %uz bytes",
                           signed_token_len, len + 1);
        goto failed;
    }

    ngx_cweb_crypto_b64((u_char *) signed_token, sig, siglen);
    rc = (int) len;

failed:

    EVP_MD_CTX_free(md);
    ngx_free(sig);

    return rc;
}


static int
ngx_cweb_crypto_verify(struct crypto *crypto, const char *signed_token,
    const char *token, size_t token_len)
{
    int          rc;
    u_char      *p, *buf;
    size_t       len;
    SSL_CTX     *ssl;
    ngx_str_t    b64, sig;
    EVP_MD_CTX  *md;

    if (ngx_cweb_api_gate("verify_token") != NGX_OK) {
        return -1;
    }

    ssl = ngx_cweb_crypto_key(crypto, "verify_token");
    if (ssl == NULL) {
        return -1;
    }

    if (signed_token == NULL || token == NULL) {
        ngx_cweb_api_error("verify_token(): %s is NULL",
                           signed_token ? "token" : "signed_token");
        return -1;
    }

    len = ngx_strlen(signed_token);

    buf = ngx_alloc(len + ngx_base64_decoded_length(len) + 1, ngx_cycle->log);
    md = EVP_MD_CTX_new();

    rc = -1;

    if (buf == NULL || md == NULL) {
        goto failed;
    }

    /* the line breaks of upstream's form are optional */
    b64.data = buf;

    for (p = (u_char *) signed_token; *p; p++) {
        if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t') {
            *b64.data++ = *p;
        }
    }

    b64.len = b64.data - buf;
    b64.data = buf;
    sig.data = buf + len;

    if (ngx_decode_base64(&sig, &b64) != NGX_OK) {
        ngx_log_debug0(NGX_LOG_DEBUG_CORE, ngx_cycle->log, 0,
                       "cweb crypto: verify_token(): not base64");
        goto failed;
    }

    if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
                             X509_get0_pubkey(SSL_CTX_get0_certificate(ssl)))
        == 1
        && EVP_DigestVerify(md, sig.data, sig.len, (u_char *) token,
                            token_len)
           == 1)
    {
        rc = 0;

    } else {
        ngx_log_debug0(NGX_LOG_DEBUG_CORE, ngx_cycle->log, 0,
                       "cweb crypto: verify_token(): no match");
    }

failed:

    /* a signature that does not match leaves its reason in the queue */
    ERR_clear_error();
    EVP_MD_CTX_free(md);
    ngx_free(buf);

    return rc;
}


/* the key pair of a struct crypto the host knows, or NULL, logged */

static SSL_CTX *
ngx_cweb_crypto_key(struct crypto *crypto, const char *fn)
{
    ngx_cweb_crypto_own_t  **own;
    ngx_cweb_main_conf_t    *cmcf;

    if (crypto == NULL) {
        ngx_cweb_api_error("%s(): crypto is NULL", fn);
        return NULL;
    }

    if (crypto == &ngx_cweb_crypto) {
        cmcf = ngx_cweb_conf();

        if (cmcf == NULL || cmcf->crypto_ssl == NULL) {
            ngx_cweb_api_error("%s(): ctx->crypto has no key: "
                               "\"cweb_crypto_certificate\" and "
                               "\"cweb_crypto_certificate_key\" are not set",
                               fn);
            return NULL;
        }

        return cmcf->crypto_ssl;
    }

    own = ngx_cweb_crypto_find(crypto);

    if (own == NULL) {
        ngx_cweb_api_error("%s(): %p is neither ctx->crypto nor a struct "
                           "crypto that crypto_init() made ready", fn, crypto);
        return NULL;
    }

    return (*own)->ssl;
}


static ngx_cweb_crypto_own_t **
ngx_cweb_crypto_find(struct crypto *crypto)
{
    ngx_cweb_crypto_own_t  **own;

    for (own = &ngx_cweb_crypto_owns; *own; own = &(*own)->next) {
        if ((*own)->pub == crypto) {
            return own;
        }
    }

    return NULL;
}


/* a plugin's own struct crypto */

int
ngx_cweb_crypto_init(struct crypto *crypto, const char *certificate,
    const char *private_key)
{
    ngx_cweb_crypto_own_t  *own;

    if (ngx_cweb_api_gate("crypto_init") != NGX_OK) {
        return -1;
    }

    if (crypto == NULL || crypto == &ngx_cweb_crypto) {
        ngx_cweb_api_error("crypto_init(): %s", crypto
                           ? "refused on ctx->crypto: its key pair is the "
                             "host's (cweb_crypto_certificate)"
                           : "crypto is NULL");
        return -1;
    }

    if (ngx_cweb_api_current() == NULL) {
        ngx_cweb_api_error("crypto_init(): called outside a call of the "
                           "host into the plugin");
        return -1;
    }

    /* a second crypto_init() replaces what the first loaded */
    if (ngx_cweb_crypto_find(crypto)) {
        ngx_cweb_crypto_shutdown(crypto);
    }

    crypto->ctx = NULL;
    crypto->certificate = certificate ? certificate : "server.crt";
    crypto->private_key = private_key ? private_key : "server.key";
    crypto->status = CRYPTO_FAILURE;
    crypto->ops = ngx_cweb_crypto.ops;

    own = ngx_alloc(sizeof(ngx_cweb_crypto_own_t), ngx_cycle->log);
    if (own == NULL) {
        return -1;
    }

    own->ssl = ngx_cweb_crypto_load(crypto->certificate, crypto->private_key);
    if (own->ssl == NULL) {
        ngx_free(own);
        return -1;
    }

    own->pub = crypto;
    own->owner = ngx_cweb_api_current();
    own->next = ngx_cweb_crypto_owns;
    ngx_cweb_crypto_owns = own;

    crypto->ctx = own->ssl;
    crypto->status = CRYPTO_LOADED;

    return 0;
}


void
ngx_cweb_crypto_shutdown(struct crypto *crypto)
{
    ngx_cweb_crypto_own_t   *own;
    ngx_cweb_crypto_own_t  **link;

    if (ngx_cweb_api_gate("crypto_shutdown") != NGX_OK) {
        return;
    }

    if (crypto == NULL || crypto == &ngx_cweb_crypto) {
        ngx_cweb_api_error("crypto_shutdown(): %s", crypto
                           ? "refused on ctx->crypto: its key pair is the "
                             "host's (cweb_crypto_certificate)"
                           : "crypto is NULL");
        return;
    }

    link = ngx_cweb_crypto_find(crypto);

    if (link == NULL) {
        ngx_cweb_api_error("crypto_shutdown(): %p is not a struct crypto "
                           "that crypto_init() made ready", crypto);
        return;
    }

    own = *link;
    *link = own->next;

    SSL_CTX_free(own->ssl);
    ngx_free(own);

    crypto->ctx = NULL;
    crypto->status = CRYPTO_FAILURE;
}


/* a version is unloaded: its structs may be gone, only the list is freed */

void
ngx_cweb_crypto_forget(ngx_cweb_plugin_t *p)
{
    ngx_cweb_crypto_own_t   *own;
    ngx_cweb_crypto_own_t  **link;

    link = &ngx_cweb_crypto_owns;

    while (*link) {
        own = *link;

        if (own->owner != p) {
            link = &own->next;
            continue;
        }

        *link = own->next;
        SSL_CTX_free(own->ssl);
        ngx_free(own);
    }
}


/* OpenSSL */

static SSL_CTX *
ngx_cweb_crypto_new(void)
{
    SSL_CTX  *ssl;

    ssl = SSL_CTX_new(TLS_method());

    if (ssl) {
        /* an encrypted key fails to load instead of asking the terminal */
        SSL_CTX_set_default_passwd_cb(ssl, ngx_cweb_crypto_no_password);
    }

    return ssl;
}


/* crypto_init()'s files, in the calling process; logged */

static SSL_CTX *
ngx_cweb_crypto_load(const char *certificate, const char *private_key)
{
    SSL_CTX     *ssl;
    const char  *file;

    ssl = ngx_cweb_crypto_new();
    if (ssl == NULL) {
        ngx_cweb_api_error("crypto_init(): SSL_CTX_new() failed: %s",
                           ngx_cweb_crypto_reason());
        return NULL;
    }

    file = certificate;

    if (SSL_CTX_use_certificate_file(ssl, certificate, SSL_FILETYPE_PEM) == 1)
    {
        file = private_key;

        if (SSL_CTX_use_PrivateKey_file(ssl, private_key, SSL_FILETYPE_PEM)
            == 1
            && SSL_CTX_check_private_key(ssl) == 1)
        {
            return ssl;
        }
    }

    ngx_cweb_api_error("crypto_init(): \"%s\" cannot be loaded: %s", file,
                       ngx_cweb_crypto_reason());

    SSL_CTX_free(ssl);

    return NULL;
}


/* the first error OpenSSL queued, and the queue emptied */

static const char *
ngx_cweb_crypto_reason(void)
{
    static char    reason[256];
    unsigned long  e;

    e = ERR_peek_error();

    if (e == 0) {
        return "unknown error";
    }

    ERR_error_string_n(e, reason, sizeof(reason));
    ERR_clear_error();

    return reason;
}


/* base64 as OpenSSL's BIO writes it: 64 a line, each line ends with \n */

static size_t
ngx_cweb_crypto_b64_len(size_t n)
{
    size_t  len;

    len = ngx_base64_encoded_length(n);

    return len + (len + 63) / 64;
}


static void
ngx_cweb_crypto_b64(u_char *dst, u_char *src, size_t n)
{
    ngx_str_t  in, out;

    while (n) {
        in.data = src;
        in.len = ngx_min(n, 48);
        out.data = dst;

        ngx_encode_base64(&out, &in);

        dst += out.len;
        *dst++ = '\n';
        src += in.len;
        n -= in.len;
    }

    *dst = '\0';
}


static int
ngx_cweb_crypto_no_password(char *buf, int size, int rwflag, void *data)
{
    return 0;
}


static void
ngx_cweb_crypto_cleanup(void *data)
{
    SSL_CTX_free(data);
}
