
/*
 * ngx_cweb: C plugins for nginx, compiled on upload and hot-swapped in
 * every worker.  This file is wiring only: directives, configuration,
 * init hooks.  The subsystems live in src/.
 */


#include "ngx_cweb.h"
#include "ngx_cweb_admin.h"
#include "ngx_cweb_api.h"
#include "ngx_cweb_canary.h"
#include "ngx_cweb_fault.h"
#include "ngx_cweb_helper.h"
#include "ngx_cweb_http.h"
#include "ngx_cweb_ipc.h"
#include "ngx_cweb_jobs.h"
#include "ngx_cweb_loader.h"
#include "ngx_cweb_shm.h"
#include "ngx_cweb_store.h"


static void *ngx_cweb_create_main_conf(ngx_conf_t *cf);
static char *ngx_cweb_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_cweb_create_loc_conf(ngx_conf_t *cf);
static char *ngx_cweb_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_cweb_postconfiguration(ngx_conf_t *cf);
static char *ngx_cweb_location(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_cweb_admin_origins(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_cweb_origin_valid(ngx_str_t *o);
static char *ngx_cweb_zone_post(ngx_conf_t *cf, void *post, void *data);
static char *ngx_cweb_nonempty_post(ngx_conf_t *cf, void *post, void *data);
static char *ngx_cweb_positive_post(ngx_conf_t *cf, void *post, void *data);
static char *ngx_cweb_size_post(ngx_conf_t *cf, void *post, void *data);
static char *ngx_cweb_bounds_post(ngx_conf_t *cf, void *post, void *data);
static char *ngx_cweb_words(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_cweb_argv(ngx_conf_t *cf, ngx_cweb_main_conf_t *cmcf);
static ngx_int_t ngx_cweb_argv_push(ngx_array_t *argv, ngx_array_t *words,
    char **def, ngx_uint_t ndef);
static void ngx_cweb_unloaded(ngx_cweb_plugin_t *p);
static ngx_int_t ngx_cweb_init_process(ngx_cycle_t *cycle);
static void ngx_cweb_exit_process(ngx_cycle_t *cycle);
static void ngx_cweb_exit_master(ngx_cycle_t *cycle);


/* the registry needs ~150k; the rest of the zone holds manifests */
#define NGX_CWEB_ZONE_MIN  (512 * 1024)


/* a zone's smallest size */
typedef struct {
    ngx_conf_post_handler_pt    post_handler;
    size_t                      min;
} ngx_cweb_zone_min_t;


static ngx_cweb_zone_min_t  ngx_cweb_zone_p = {
    ngx_cweb_zone_post, NGX_CWEB_ZONE_MIN
};

static ngx_cweb_zone_min_t  ngx_cweb_event_zone_p = {
    ngx_cweb_zone_post, NGX_CWEB_IPC_ZONE_MIN
};

static ngx_conf_post_handler_pt  ngx_cweb_nonempty_p = ngx_cweb_nonempty_post;
static ngx_conf_post_handler_pt  ngx_cweb_positive_p = ngx_cweb_positive_post;
static ngx_conf_post_handler_pt  ngx_cweb_size_p = ngx_cweb_size_post;

/* nginx's own bounds check does not name the directive */
static ngx_conf_num_bounds_t  ngx_cweb_fault_limit_bounds = {
    ngx_cweb_bounds_post, 1, NGX_CWEB_FAULT_RING
};

static ngx_conf_num_bounds_t  ngx_cweb_form_parts_bounds = {
    ngx_cweb_bounds_post, 1, 10000
};

static ngx_conf_num_bounds_t  ngx_cweb_processes_bounds = {
    ngx_cweb_bounds_post, 1, 1000000
};


static ngx_command_t  ngx_cweb_commands[] = {

    { ngx_string("cweb_module_dir"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, module_dir),
      &ngx_cweb_nonempty_p },

    { ngx_string("cweb_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, zone_size),
      &ngx_cweb_zone_p },

    { ngx_string("cweb_event_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, event_zone_size),
      &ngx_cweb_event_zone_p },

    { ngx_string("cweb_database"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, database),
      &ngx_cweb_nonempty_p },

    { ngx_string("cweb_cc"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_cweb_words,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, cc),
      NULL },

    { ngx_string("cweb_cflags"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_cweb_words,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, cflags),
      NULL },

    { ngx_string("cweb_compile_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, compile_timeout),
      &ngx_cweb_positive_p },

    { ngx_string("cweb_compile_memory"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, compile_memory),
      &ngx_cweb_size_p },

    { ngx_string("cweb_compile_file_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, compile_file_size),
      &ngx_cweb_size_p },

    { ngx_string("cweb_compile_processes"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, compile_processes),
      &ngx_cweb_processes_bounds },

    { ngx_string("cweb_max_object_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, max_object_size),
      &ngx_cweb_size_p },

    { ngx_string("cweb_shared_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_cweb_shared_zone_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cweb_form_max_parts"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, form_max_parts),
      &ngx_cweb_form_parts_bounds },

    { ngx_string("cweb_form_max_part_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, form_max_part_size),
      NULL },

    { ngx_string("cweb_handler_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, handler_timeout),
      &ngx_cweb_positive_p },

    { ngx_string("cweb_fault_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, fault_limit),
      &ngx_cweb_fault_limit_bounds },

    { ngx_string("cweb_fault_window"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, fault_window),
      &ngx_cweb_positive_p },

    { ngx_string("cweb_admin_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, admin_key),
      &ngx_cweb_nonempty_p },

    { ngx_string("cweb_admin_origins"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_cweb_admin_origins,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cweb_dev"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, dev),
      NULL },

    { ngx_string("cweb_purge_modules"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, purge_modules),
      NULL },

    { ngx_string("cweb_crypto_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_cweb_crypto_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, crypto_certificate),
      NULL },

    { ngx_string("cweb_crypto_certificate_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_cweb_crypto_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cweb_main_conf_t, crypto_certificate_key),
      NULL },

    { ngx_string("cweb"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cweb_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      (void *) NGX_CWEB_LOC_ROUTES },

    { ngx_string("cweb_mgnt"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cweb_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      (void *) NGX_CWEB_LOC_MGNT },

    { ngx_string("cweb_jobs"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cweb_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      (void *) NGX_CWEB_LOC_JOBS },

      ngx_null_command
};


static ngx_http_module_t  ngx_cweb_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_cweb_postconfiguration,            /* postconfiguration */

    ngx_cweb_create_main_conf,             /* create main configuration */
    ngx_cweb_init_main_conf,               /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_cweb_create_loc_conf,              /* create location configuration */
    ngx_cweb_merge_loc_conf                /* merge location configuration */
};


ngx_module_t  ngx_cweb_module = {
    NGX_MODULE_V1,
    &ngx_cweb_module_ctx,                  /* module context */
    ngx_cweb_commands,                     /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_cweb_init_process,                 /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_cweb_exit_process,                 /* exit process */
    ngx_cweb_exit_master,                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_cweb_create_main_conf(ngx_conf_t *cf)
{
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_pcalloc(cf->pool, sizeof(ngx_cweb_main_conf_t));
    if (cmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     cmcf->module_dir = { 0, NULL };
     *     cmcf->database = { 0, NULL };
     *     cmcf->cc = NULL;
     *     cmcf->cflags = NULL;
     *     cmcf->admin_key = { 0, NULL };
     *     cmcf->admin_origins = NULL;
     *     cmcf->cc_argv = NULL;
     *     cmcf->mgnt = NULL;
     *     cmcf->shm_zone = NULL;
     *     cmcf->event_zone = NULL;
     *     cmcf->crypto_certificate = { 0, NULL };
     *     cmcf->crypto_certificate_key = { 0, NULL };
     *     cmcf->crypto_ssl = NULL;
     */

    cmcf->enabled = 0;
    cmcf->zone_size = NGX_CONF_UNSET_SIZE;
    cmcf->event_zone_size = NGX_CONF_UNSET_SIZE;
    cmcf->compile_timeout = NGX_CONF_UNSET_MSEC;
    cmcf->compile_memory = NGX_CONF_UNSET_SIZE;
    cmcf->compile_file_size = NGX_CONF_UNSET_SIZE;
    cmcf->compile_processes = NGX_CONF_UNSET_UINT;
    cmcf->max_object_size = NGX_CONF_UNSET_SIZE;
    cmcf->handler_timeout = NGX_CONF_UNSET_MSEC;
    cmcf->form_max_parts = NGX_CONF_UNSET_UINT;
    cmcf->form_max_part_size = NGX_CONF_UNSET_SIZE;
    cmcf->fault_limit = NGX_CONF_UNSET_UINT;
    cmcf->fault_window = NGX_CONF_UNSET_MSEC;
    cmcf->dev = NGX_CONF_UNSET;
    cmcf->purge_modules = NGX_CONF_UNSET;
    cmcf->cycle = cf->cycle;

    return cmcf;
}


static char *
ngx_cweb_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_cweb_main_conf_t *cmcf = conf;

    char  *env;

    if (cmcf->module_dir.data == NULL) {
        ngx_str_set(&cmcf->module_dir, "cweb");
    }

    if (ngx_conf_full_name(cf->cycle, &cmcf->module_dir, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* the canary listens in it: found now, not when the first deploy fails */
    if (cmcf->module_dir.len + sizeof(NGX_CWEB_CANARY_SOCK)
        > sizeof(((struct sockaddr_un *) NULL)->sun_path))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"cweb_module_dir\" \"%V\" is too long: the "
                           "canary's unix socket in it allows at most %uz "
                           "bytes", &cmcf->module_dir,
                           sizeof(((struct sockaddr_un *) NULL)->sun_path)
                           - sizeof(NGX_CWEB_CANARY_SOCK));
        return NGX_CONF_ERROR;
    }

    if (cmcf->database.data == NULL) {
        cmcf->database.len = cmcf->module_dir.len + sizeof("/cweb.db") - 1;
        cmcf->database.data = ngx_pnalloc(cf->pool, cmcf->database.len + 1);
        if (cmcf->database.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_sprintf(cmcf->database.data, "%V/cweb.db%Z", &cmcf->module_dir);

    } else if (ngx_conf_full_name(cf->cycle, &cmcf->database, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* the master's environment: workers lose it unless "env" keeps it */
    if (cmcf->admin_key.data == NULL) {
        env = getenv("CWEB_ADMIN_KEY");

        if (env != NULL && *env != '\0') {
            cmcf->admin_key.len = ngx_strlen(env);
            cmcf->admin_key.data = ngx_pnalloc(cf->pool, cmcf->admin_key.len);
            if (cmcf->admin_key.data == NULL) {
                return NGX_CONF_ERROR;
            }

            ngx_memcpy(cmcf->admin_key.data, env, cmcf->admin_key.len);
        }
    }

    ngx_conf_init_size_value(cmcf->zone_size, 1024 * 1024);
    ngx_conf_init_size_value(cmcf->event_zone_size, 4 * 1024 * 1024);
    ngx_conf_init_msec_value(cmcf->compile_timeout, 30000);
    ngx_conf_init_size_value(cmcf->compile_memory, 1024 * 1024 * 1024);
    ngx_conf_init_size_value(cmcf->compile_file_size, 64 * 1024 * 1024);
    ngx_conf_init_uint_value(cmcf->compile_processes, 0);   /* not set */
    ngx_conf_init_size_value(cmcf->max_object_size, 64 * 1024 * 1024);
    ngx_conf_init_msec_value(cmcf->handler_timeout, 10000);
    ngx_conf_init_uint_value(cmcf->form_max_parts, 64);
    ngx_conf_init_size_value(cmcf->form_max_part_size, 0);      /* none */
    ngx_conf_init_uint_value(cmcf->fault_limit, 3);
    ngx_conf_init_msec_value(cmcf->fault_window, 60000);
    ngx_conf_init_value(cmcf->dev, 0);
    ngx_conf_init_value(cmcf->purge_modules, 0);

    if (ngx_cweb_crypto_conf(cf, cmcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_cweb_argv(cf, cmcf);
}


/*
 * cweb_cc and cweb_cflags: each argument is one word of the compiler's
 * argv, as nginx parsed it (quotes keep a space inside a word); no shell
 * ever sees them
 */

static char *
ngx_cweb_words(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    char         **word;
    ngx_str_t     *value;
    ngx_uint_t     i;
    ngx_array_t  **words;

    words = (ngx_array_t **) (p + cmd->offset);

    if (*words != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    *words = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(char *));
    if (*words == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" arguments must not be empty",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }

        word = ngx_array_push(*words);
        if (word == NULL) {
            return NGX_CONF_ERROR;
        }

        /* nginx's tokens are NUL-terminated */
        *word = (char *) value[i].data;
    }

    return NGX_CONF_OK;
}


/* the compiler's argv: the cc words, then the cflags words */

static char *
ngx_cweb_argv(ngx_conf_t *cf, ngx_cweb_main_conf_t *cmcf)
{
    char  **w;

    static char  *cc[] = { "cc" };
    static char  *cflags[] = { "-O2", "-g" };

    cmcf->cc_argv = ngx_array_create(cf->pool, 8, sizeof(char *));
    if (cmcf->cc_argv == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_cweb_argv_push(cmcf->cc_argv, cmcf->cc, cc, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cmcf->cc_nwords = cmcf->cc_argv->nelts;
    w = cmcf->cc_argv->elts;

    if (w[0][0] == ' ' || w[0][0] == '\t') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"cweb_cc\" must name a compiler");
        return NGX_CONF_ERROR;
    }

    if (ngx_cweb_argv_push(cmcf->cc_argv, cmcf->cflags, cflags, 2) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* the words a directive set, or the defaults */

static ngx_int_t
ngx_cweb_argv_push(ngx_array_t *argv, ngx_array_t *words, char **def,
    ngx_uint_t ndef)
{
    char  **w;

    if (words != NULL) {
        def = words->elts;
        ndef = words->nelts;
    }

    w = ngx_array_push_n(argv, ndef);
    if (w == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(w, def, ndef * sizeof(char *));

    return NGX_OK;
}


static void *
ngx_cweb_create_loc_conf(ngx_conf_t *cf)
{
    ngx_cweb_loc_conf_t  *clcf;

    clcf = ngx_pcalloc(cf->pool, sizeof(ngx_cweb_loc_conf_t));
    if (clcf == NULL) {
        return NULL;
    }

    clcf->kind = NGX_CONF_UNSET_UINT;

    return clcf;
}


static char *
ngx_cweb_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_cweb_loc_conf_t *prev = parent;
    ngx_cweb_loc_conf_t *conf = child;

    /* handlers are not inherited by nested locations, kinds are not either */
    if (conf->kind == NGX_CONF_UNSET_UINT) {
        conf->kind = NGX_CWEB_LOC_NONE;
    }

    (void) prev;

    return NGX_CONF_OK;
}


static char *
ngx_cweb_location(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cweb_loc_conf_t *cwlcf = conf;

    ngx_cweb_reserved_t       *res;
    ngx_cweb_main_conf_t      *cmcf;
    ngx_http_core_loc_conf_t  *clcf;

    if (cwlcf->kind != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    cwlcf->kind = (ngx_uint_t) cmd->post;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = (cwlcf->kind == NGX_CWEB_LOC_MGNT)
                    ? ngx_cweb_admin_handler
                    : (cwlcf->kind == NGX_CWEB_LOC_JOBS)
                      ? ngx_cweb_jobs_handler : ngx_cweb_http_handler;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_cweb_module);
    cmcf->enabled = 1;

    if (cwlcf->kind != NGX_CWEB_LOC_MGNT || clcf->named
#if (NGX_PCRE)
        || clcf->regex
#endif
       )
    {
        return NGX_CONF_OK;
    }

    /* URL space no plugin route can be served in (ngx_cweb_manifest.c) */
    if (cmcf->mgnt == NULL) {
        cmcf->mgnt = ngx_array_create(cf->pool, 2,
                                      sizeof(ngx_cweb_reserved_t));
        if (cmcf->mgnt == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    res = ngx_array_push(cmcf->mgnt);
    if (res == NULL) {
        return NGX_CONF_ERROR;
    }

    res->name = clcf->name;
    res->exact = clcf->exact_match;

    return NGX_CONF_OK;
}


/*
 * an origin as browsers send it (RFC 6454): scheme "://" host [":" port],
 * nothing after; host is a name, an IPv4 address or a bracketed IPv6 one
 */

static ngx_int_t
ngx_cweb_origin_valid(ngx_str_t *o)
{
    u_char  *p, *last, *host;
    size_t   n;

    p = o->data;
    last = p + o->len;

    for (n = 0; p < last && (isalnum(*p) || *p == '+' || *p == '-'
                             || *p == '.'); p++, n++)
    {
        /* void */
    }

    if (n == 0 || !isalpha(o->data[0]) || last - p < 4
        || ngx_strncmp(p, "://", 3) != 0)
    {
        return NGX_ERROR;
    }

    p += 3;
    host = p;

    if (*p == '[') {
        p = ngx_strlchr(p, last, ']');
        if (p == NULL || p == host + 1) {
            return NGX_ERROR;
        }

        p++;

    } else {
        while (p < last && (isalnum(*p) || *p == '-' || *p == '.')) {
            p++;
        }

        if (p == host) {
            return NGX_ERROR;
        }
    }

    if (p == last) {
        return NGX_OK;
    }

    if (*p++ != ':' || p == last || last - p > 5
        || ngx_atoi(p, last - p) == NGX_ERROR
        || ngx_atoi(p, last - p) < 1 || ngx_atoi(p, last - p) > 65535)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* cweb_admin_origins https://admin.example.com ...; */

static char *
ngx_cweb_admin_origins(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cweb_main_conf_t *cmcf = conf;

    ngx_str_t   *value, *o;
    ngx_uint_t   i;

    if (cmcf->admin_origins) {
        return "is duplicate";
    }

    cmcf->admin_origins = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                           sizeof(ngx_str_t));
    if (cmcf->admin_origins == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_cweb_origin_valid(&value[i]) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"cweb_admin_origins\": \"%V\" is not an "
                               "origin (scheme://host[:port], no path)",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        o = ngx_array_push(cmcf->admin_origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        *o = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_cweb_zone_post(ngx_conf_t *cf, void *post, void *data)
{
    ngx_cweb_zone_min_t  *zm = post;

    size_t     *sp = data;
    ngx_str_t  *name;

    if (*sp < zm->min) {
        name = cf->args->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" size %uz is too small, "
                           "at least %uzk is needed",
                           &name[0], *sp, zm->min / 1024);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_cweb_nonempty_post(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *s = data;
    ngx_str_t  *name;

    if (s->len == 0) {
        name = cf->args->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must not be empty", &name[0]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_cweb_positive_post(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t  *ms = data;
    ngx_str_t   *name;

    if (*ms == 0) {
        name = cf->args->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be positive", &name[0]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_cweb_bounds_post(ngx_conf_t *cf, void *post, void *data)
{
    ngx_conf_num_bounds_t  *bounds = post;
    ngx_int_t              *np = data;
    ngx_str_t              *name;

    if (*np < bounds->low || *np > bounds->high) {
        name = cf->args->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be between %i and %i", &name[0],
                           bounds->low, bounds->high);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_cweb_size_post(ngx_conf_t *cf, void *post, void *data)
{
    size_t     *sp = data;
    ngx_str_t  *name;

    /* a compiler (or an object) needs at least this much */
    if (*sp < 64 * 1024) {
        name = cf->args->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be at least 64k", &name[0]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_cweb_postconfiguration(ngx_conf_t *cf)
{
    ngx_str_t              name;
    ngx_path_t            *path;
    ngx_cweb_shctx_t      *ctx;
    ngx_cweb_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_cweb_module);

    if (!cmcf->enabled) {
        return NGX_OK;
    }

    /*
     * the state dir as an ngx_path_t: nginx creates it 0700 and chowns it
     * to the workers' user, and its manager callback makes the master run
     * the cweb helper in the cache manager's slot
     */
    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_ERROR;
    }

    path->name = cmcf->module_dir;
    path->manager = ngx_cweb_helper_manager;
    path->data = cmcf;
    path->conf_file = cf->conf_file->file.name.data;
    path->line = cf->conf_file->line;

    if (ngx_add_path(cf, &path) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_cweb_shctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&name, "cweb");

    cmcf->shm_zone = ngx_shared_memory_add(cf, &name, cmcf->zone_size,
                                           &ngx_cweb_module);
    if (cmcf->shm_zone == NULL) {
        return NGX_ERROR;
    }

    cmcf->shm_zone->init = ngx_cweb_shm_init_zone;
    cmcf->shm_zone->data = ctx;

    /* the events' ring and doorbells (ngx_cweb_ipc.c) */
    cmcf->event_zone = ngx_cweb_ipc_add_zone(cf, &cmcf->module_dir,
                                             cmcf->event_zone_size);
    if (cmcf->event_zone == NULL) {
        return NGX_ERROR;
    }

    /* the "default" pool runs SQLite writes off the event loop */
    if (ngx_thread_pool_add(cf, NULL) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Plugins are loaded lazily, on the first request that needs them.  Here
 * a process that will run plugin code takes its entry in the process
 * table and installs its fault handlers; the single process (no master)
 * also does the helper's work itself.  Helper processes start their work
 * from the manager callback, which runs only in the cache manager slot
 * (this hook also runs in nginx's cache loader, and there ngx_worker is 0).
 */

/*
 * a version was unloaded in this process: what the API keeps for it goes
 * (cache entries and maps it set, a key pair it loaded), since those may
 * point into its code or data
 */

static void
ngx_cweb_unloaded(ngx_cweb_plugin_t *p)
{
    ngx_cweb_api_forget(p);
    ngx_cweb_crypto_forget(p);
}


static ngx_int_t
ngx_cweb_init_process(ngx_cycle_t *cycle)
{
    ngx_cweb_main_conf_t  *cmcf;

    ngx_cweb_shm_use(cycle);

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cweb_module);

    /* any process may publish events: the helper will, for the jobs */
    ngx_cweb_ipc_use(cmcf ? cmcf->event_zone : NULL);

    /* the helper and the canary's children too: onload() may sign */
    ngx_cweb_crypto_init_process(cycle);

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    if (cmcf == NULL || !cmcf->enabled) {
        return NGX_OK;
    }

    /* as the workers' user: uploads fail without them, serving works */
    (void) ngx_cweb_store_mkdirs(&cmcf->module_dir, cycle->log);

    /* the loader hands plugins the API, which forgets what goes with them */
    ngx_cweb_api_init_process(0, ngx_cweb_unloaded);

    if (ngx_cweb_fault_init_process(cycle) != NGX_OK
        || ngx_cweb_http_init_process(cycle) != NGX_OK
        || ngx_cweb_ipc_register(cycle) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_process == NGX_PROCESS_SINGLE
        && ngx_cweb_helper_start(cycle) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * ctx->database is usable from the first line of plugin code; opened
     * after the helper forked the canary: SQLite's state of an open file
     * must not cross fork(), even to a new connection in the child
     */
    (void) ngx_cweb_api_open_database(cycle->log);

    return NGX_OK;
}


static void
ngx_cweb_exit_process(ngx_cycle_t *cycle)
{
    ngx_cweb_ipc_unregister();
    ngx_cweb_loader_shutdown();
    ngx_cweb_api_close_database();
    ngx_cweb_store_worker_close();
    ngx_cweb_fault_exit_process();
}


/* cweb_purge_modules: compiled objects go, sources and SQLite stay */

static void
ngx_cweb_exit_master(ngx_cycle_t *cycle)
{
    ngx_cweb_purge_at_exit(cycle);
}
