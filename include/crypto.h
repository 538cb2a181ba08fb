/*
 * crypto.h - c-web-modules' token signing with the server's key pair.
 *
 * ctx->crypto is the key pair of the cweb_crypto_certificate and
 * cweb_crypto_certificate_key directives, loaded by nginx's master when
 * it reads its configuration: status is CRYPTO_LOADED then, certificate
 * and private_key are the two files' full paths and ctx the SSL_CTX that
 * holds both (the host's: do not free or change it).  Without the
 * directives status is CRYPTO_FAILURE, the paths and ctx are NULL, and
 * sign/verify return -1.  ops is always set.
 *
 * The host recognises a struct crypto by its address: ctx->crypto, or one
 * that crypto_init() made ready; its fields are only read by the plugin,
 * so changing them changes nothing but what the plugin reads back.
 *
 * Tokens, as upstream writes them: the signature is over the bytes of the
 * token with SHA-256 (RSASSA-PKCS1-v1_5 for an RSA key, DER-encoded ECDSA
 * for an EC key), the same bytes as "openssl dgst -sha256 -sign key", in
 * base64 as "openssl base64" writes it: lines of 64 characters, each one
 * (the last too) ending with '\n'.
 *
 * Everything here may be called in the init and request contexts; a bad
 * argument answers -1 and an error-log line.
 */

#ifndef CRYPTO_H
#define CRYPTO_H

#include <stddef.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bio.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef enum crypto_status {
    CRYPTO_FAILURE,
    CRYPTO_LOADED
} crypto_status_t;

struct crypto;

struct crypto_ops {
    /*
     * sign_token: signs the strlen(token) bytes of token and writes the
     * base64 signature, NUL-terminated, into signed_token, a buffer of
     * signed_token_len bytes (an RSA-2048 signature takes 351 with the
     * NUL).  Returns the length written (without the NUL), or -1: crypto
     * is not ready, token or signed_token is NULL, the buffer is too
     * small (its content is then undefined), or signing failed.
     */
    int                       (*sign_token)(struct crypto *crypto,
                                            const char *token,
                                            char *signed_token,
                                            unsigned int signed_token_len);

    /*
     * verify_token: 0 when signed_token (base64, line breaks optional) is
     * the signature of token[0..token_len) by this key pair, else -1.  A
     * signature that does not match, or is not base64, is the token's
     * fault, not the plugin's: it is not logged as an error.
     */
    int                       (*verify_token)(struct crypto *crypto,
                                              const char *signed_token,
                                              const char *token,
                                              size_t token_len);
};

struct crypto {
    SSL_CTX                    *ctx;
    const char                 *certificate;
    const char                 *private_key;
    crypto_status_t             status;
    struct crypto_ops           ops;
};


/*
 * crypto_init: makes the plugin's own struct crypto ready with the PEM
 * certificate and private key in the files named (NULL: "server.crt",
 * "server.key", as upstream; relative names are opened from nginx's
 * working directory, with the worker's rights).  The files are read at
 * once, in the calling process: call it from onload().  certificate and
 * private_key keep the pointers given.  Returns 0, or -1 (status
 * CRYPTO_FAILURE, ops still set) on a file that does not load, a key that
 * does not match, or crypto being ctx->crypto, which is the host's.  The
 * host frees what it holds at crypto_shutdown() or when this version of
 * the plugin is unloaded.
 */
__attribute__((visibility("hidden")))
int crypto_init(struct crypto *crypto, const char *certificate,
    const char *private_key);

/*
 * crypto_shutdown: forgets what crypto_init() loaded; status becomes
 * CRYPTO_FAILURE and ctx NULL.  On ctx->crypto it is refused (logged).
 */
__attribute__((visibility("hidden")))
void crypto_shutdown(struct crypto *crypto);


#ifdef __cplusplus
}
#endif

#endif /* CRYPTO_H */
