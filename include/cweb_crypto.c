/*
 * Compiled into every plugin (through cweb_entry.c): crypto.h's functions,
 * forwarding to the host, which keeps the keys and knows which struct
 * crypto it made ready.  Hidden, like all plugin symbols but config.
 */


int
crypto_init(struct crypto *crypto, const char *certificate,
    const char *private_key)
{
    return cweb_api->crypto_init(crypto, certificate, private_key);
}


void
crypto_shutdown(struct crypto *crypto)
{
    cweb_api->crypto_shutdown(crypto);
}
