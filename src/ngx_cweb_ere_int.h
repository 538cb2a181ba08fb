
/*
 * Private to ngx_cweb_ere.c and ngx_cweb_ere_nfa.c, not part of the API of
 * ngx_cweb_ere.h: a parsed pattern, which holds the AST the parser fills
 * and the NFA built from it, and the functions one file calls in the other.
 * Nodes refer to each other by index; states point into the node array,
 * which therefore does not change once the NFA is built.
 */


#ifndef _NGX_CWEB_ERE_INT_H_INCLUDED_
#define _NGX_CWEB_ERE_INT_H_INCLUDED_


#include "ngx_cweb_ere.h"


#define NGX_CWEB_ERE_INF          0x7fffffff

/* counts saturate here: above any limit, too small for 255 * cap to wrap */
#define NGX_CWEB_ERE_CAP          (1L << 22)

/* AST node types */
#define NGX_CWEB_ERE_EMPTY        0
#define NGX_CWEB_ERE_SET          1
#define NGX_CWEB_ERE_CAT          2
#define NGX_CWEB_ERE_ALT          3
#define NGX_CWEB_ERE_GROUP        4
#define NGX_CWEB_ERE_REPEAT       5

/* how a SET node was written, for the translation */
#define NGX_CWEB_ERE_BYTE         0
#define NGX_CWEB_ERE_ANY          1
#define NGX_CWEB_ERE_CLASS        2

/* NFA state types */
#define NGX_CWEB_ERE_ST_SET       0
#define NGX_CWEB_ERE_ST_SPLIT     1
#define NGX_CWEB_ERE_ST_EPS       2
#define NGX_CWEB_ERE_ST_MATCH     3

#define ngx_cweb_ere_has(set, c)  ((set)[(c) >> 3] & (1 << ((c) & 7)))


typedef struct {
    unsigned char          type;
    unsigned char          kind;     /* SET: BYTE, ANY, CLASS; REPEAT: the
                                        quantifier, ',' for {n,} {n,m} */
    int                    min;
    int                    max;      /* NGX_CWEB_ERE_INF when unbounded */
    int                    child;    /* -1 when none */
    int                    next;     /* -1 when last */
    unsigned char          set[32];
} ngx_cweb_ere_node_t;


typedef struct {
    int                    type;
    int                    out;
    int                    out1;
    const unsigned char   *set;
} ngx_cweb_ere_state_t;


/* literal prefixes are kept up to this long (longer ones: cut, still true) */
#define NGX_CWEB_ERE_PREFIX_MAX  256

struct ngx_cweb_ere_s {
    ngx_cweb_ere_node_t   *nodes;
    ngx_cweb_ere_state_t  *states;
    int                    nnodes;
    int                    nalloc;
    int                    nstates;
    int                    salloc;       /* states[] has room for */
    int                    root;
    int                    start;
    size_t                 prefix_len;   /* of prefix[], computed once */
    unsigned char          prefix[NGX_CWEB_ERE_PREFIX_MAX];
};


int ngx_cweb_ere_nfa(ngx_cweb_ere_t *e, long max_states, char *err,
    size_t errlen);
int ngx_cweb_ere_lowest(const unsigned char *a, const unsigned char *b);


#endif /* _NGX_CWEB_ERE_INT_H_INCLUDED_ */
