
/*
 * The canary's throwaway child, forked for one new object by the canary
 * process (ngx_cweb_canary.c): the only place plugin code runs before it
 * is published.  It reports on its pipe, "phase <name>" before each step
 * and one "result <json>" at the end, and exits; whatever the plugin does
 * to it (crash, exit, hang, close the pipe) is judged by the canary
 * process, which trusts none of what it reads here.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_canary_int.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_json.h"
#include "ngx_cweb_loader.h"
#include "ngx_cweb_manifest.h"

#include <dlfcn.h>
#include <sys/resource.h>
#include <openssl/evp.h>


static ngx_int_t ngx_cweb_canary_hash(u_char *path, size_t max,
    u_char *hex, off_t *size, u_char *err, size_t errlen);
static void ngx_cweb_canary_say(int fd, const char *what, const char *text);
static void ngx_cweb_canary_refuse(int fd, ngx_pool_t *pool,
    u_char *reason);


void
ngx_cweb_canary_child(ngx_cycle_t *cycle, u_char *path, int fd)
{
    char                  *text;
    u_char                 err[512], hex[NGX_CWEB_HASH_LEN + 1];
    off_t                  size;
    void                  *handle;
    json_t                *res;
    module_t              *config;
    ngx_str_t              so, manifest;
    ngx_pool_t            *pool;
    struct rlimit          rl;
    ngx_cweb_plugin_t      p;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);
    ngx_cweb_api_init_process(1, NULL);

    /* crashing here is expected now and then: no core files */
    rl.rlim_cur = 0;
    rl.rlim_max = 0;
    (void) setrlimit(RLIMIT_CORE, &rl);

    pool = ngx_create_pool(16384, cycle->log);
    if (pool == NULL) {
        _exit(3);
    }

    ngx_cweb_canary_say(fd, "phase", "load");

    if (ngx_cweb_canary_hash(path, cmcf->max_object_size, hex, &size, err,
                             sizeof(err))
        != NGX_OK)
    {
        ngx_cweb_canary_refuse(fd, pool, err);
        return;
    }

    so.data = path;
    so.len = ngx_strlen(path);

    handle = ngx_cweb_loader_open(&so, &config, err, sizeof(err));
    if (handle == NULL) {
        ngx_cweb_canary_refuse(fd, pool, err);
        return;
    }

    ngx_cweb_canary_say(fd, "phase", "config");

    if (ngx_cweb_manifest_from_config(config, pool, &manifest, err,
                                      sizeof(err))
        != NGX_OK)
    {
        ngx_cweb_canary_refuse(fd, pool, err);
        return;
    }

    /* onload as in a worker: the plugin database is there, logs work */
    ngx_cweb_api_drop_database();
    (void) ngx_cweb_api_open_database(cycle->log);

    ngx_memzero(&p, sizeof(ngx_cweb_plugin_t));
    p.name.data = (u_char *) config->name;
    p.name.len = ngx_strlen(config->name);
    p.handle = handle;
    p.config = config;
    p.refs = 1;

    /* the API's context only: the canary's deadline watches the child */
    ngx_cweb_canary_say(fd, "phase", "onload");

    if (config->onload) {
        ngx_cweb_api_set_plugin(&p);
        ngx_cweb_call_now = NGX_CWEB_CALL_ONLOAD;
        config->onload(&ngx_cweb_context);
        ngx_cweb_call_now = NGX_CWEB_CALL_NONE;
        ngx_cweb_api_set_plugin(NULL);
    }

    ngx_cweb_canary_say(fd, "phase", "unload");

    if (config->unload) {
        ngx_cweb_api_set_plugin(&p);
        ngx_cweb_call_now = NGX_CWEB_CALL_UNLOAD;
        config->unload(&ngx_cweb_context);
        ngx_cweb_call_now = NGX_CWEB_CALL_NONE;
        ngx_cweb_api_set_plugin(NULL);
    }

    res = json_pack("{s:s,s:s%,s:s,s:I,s:s%}", "status", "ok",
                    "name", config->name, ngx_strlen(config->name),
                    "module_hash", hex, "size", (json_int_t) size,
                    "manifest", manifest.data, manifest.len);

    ngx_cweb_canary_say(fd, "phase", "dlclose");

    ngx_cweb_api_close_database();
    dlclose(handle);

    text = res ? json_dumps(res, JSON_COMPACT) : NULL;
    if (text == NULL) {
        _exit(3);
    }

    ngx_cweb_canary_say(fd, "result", text);

    /* nothing left to do with them, but valgrind checks this process too */
    free(text);
    json_decref(res);
    ngx_destroy_pool(pool);

    _exit(0);
}


/* size limit and SHA-256 of the object, read here, off every event loop */

static ngx_int_t
ngx_cweb_canary_hash(u_char *path, size_t max, u_char *hex, off_t *size,
    u_char *err, size_t errlen)
{
    int           fd;
    u_char        buf[65536], md[EVP_MAX_MD_SIZE];
    ssize_t       n;
    unsigned int  mdlen;
    struct stat   st;
    EVP_MD_CTX   *md_ctx;

    fd = open((char *) path, O_RDONLY|O_NOFOLLOW|O_CLOEXEC);

    if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        ngx_snprintf(err, errlen, "the compiler produced no object%Z");
        if (fd != -1) {
            close(fd);
        }

        return NGX_ERROR;
    }

    *size = st.st_size;

    if ((size_t) st.st_size > max) {
        ngx_snprintf(err, errlen, "the object is %O bytes, more than "
                     "cweb_max_object_size (%uz)%Z", st.st_size, max);
        close(fd);
        return NGX_ERROR;
    }

    md_ctx = EVP_MD_CTX_new();

    if (md_ctx == NULL || EVP_DigestInit_ex(md_ctx, EVP_sha256(), NULL) != 1)
    {
        ngx_snprintf(err, errlen, "no SHA-256%Z");
        EVP_MD_CTX_free(md_ctx);
        close(fd);
        return NGX_ERROR;
    }

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        (void) EVP_DigestUpdate(md_ctx, buf, n);
    }

    close(fd);

    if (n < 0 || EVP_DigestFinal_ex(md_ctx, md, &mdlen) != 1) {
        ngx_snprintf(err, errlen, "the object could not be read%Z");
        EVP_MD_CTX_free(md_ctx);
        return NGX_ERROR;
    }

    EVP_MD_CTX_free(md_ctx);

    *ngx_hex_dump(hex, md, mdlen) = '\0';

    return NGX_OK;
}


static void
ngx_cweb_canary_say(int fd, const char *what, const char *text)
{
    struct iovec  iov[4];

    iov[0].iov_base = (void *) what;
    iov[0].iov_len = ngx_strlen(what);
    iov[1].iov_base = " ";
    iov[1].iov_len = 1;
    iov[2].iov_base = (void *) text;
    iov[2].iov_len = ngx_strlen(text);
    iov[3].iov_base = "\n";
    iov[3].iov_len = 1;

    (void) writev(fd, iov, 4);
}


static void
ngx_cweb_canary_refuse(int fd, ngx_pool_t *pool, u_char *reason)
{
    char    *text;
    json_t  *res;

    /* the run child _exit()s next, but valgrind checks it for leaks too */
    ngx_destroy_pool(pool);

    res = json_pack("{s:s,s:o}", "status", "refused",
                    "reason", ngx_cweb_json_text(reason,
                                                 ngx_strlen(reason)));
    text = res ? json_dumps(res, JSON_COMPACT) : NULL;

    if (text) {
        ngx_cweb_canary_say(fd, "result", text);
        free(text);
    }

    json_decref(res);

    _exit(0);
}
