
/*
 * The Thompson NFA of a parsed pattern: construction from the AST built by
 * ngx_cweb_ere.c, ngx_cweb_ere_match() and ngx_cweb_ere_intersect().
 *
 * NFA states: SET consumes one byte of its 256-bit set and goes to out,
 * SPLIT goes to out and out1 without consuming, EPS goes to out, MATCH
 * accepts.  Every fragment has exactly one dangling exit, the out of its end
 * state, so the construction needs no patch lists.  x{n,m} is expanded into
 * n copies and m - n optional ones, each optional copy entered through a
 * split whose other branch goes to one shared exit: after k bytes of
 * "[a-z]{1,255}" the NFA is in one state, not in 255, which keeps closures
 * and the product search of ngx_cweb_ere_intersect() small.
 *
 * The number of states is computed from the AST before anything is built,
 * with the formulas of the construction, so that "(a{255}){255}" is refused
 * without allocating 65025 states: ngx_cweb_ere_count() changes together
 * with ngx_cweb_ere_build() and ngx_cweb_ere_repeat().
 *
 * Matching and intersection keep their sets in per-call scratch space and
 * never write to the automaton.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_cweb_ere.h"
#include "ngx_cweb_ere_int.h"


/* pairs looked at, seen or not, plus closure steps, in one intersection */
#define NGX_CWEB_ERE_MAX_WORK     (4L * NGX_CWEB_ERE_MAX_PAIRS)


typedef struct {
    int                    start;
    int                    end;
} ngx_cweb_ere_frag_t;


/* epsilon closure scratch space for one automaton */
typedef struct {
    int                   *mem;
    int                   *mark;
    int                   *stack;    /* 2 * nstates + 1 */
    int                   *list;
    int                   *other;    /* the previous step of a match */
    int                    n;        /* entries in list */
    int                    gen;
    long                   steps;
} ngx_cweb_ere_scratch_t;


typedef struct {
    uint32_t               pair;     /* a state * b->nstates + b state */
    int                    parent;   /* -1 for a start pair */
    unsigned char          in;       /* the byte that led here */
    unsigned char          out;      /* the lowest byte both states take */
} ngx_cweb_ere_entry_t;


typedef struct {
    const ngx_cweb_ere_t    *e[2];
    ngx_cweb_ere_scratch_t   sc[2];
    unsigned char           *visited;
    ngx_cweb_ere_entry_t    *queue;
    size_t                   nqueue;
    size_t                   qsize;
    size_t                   nb;
    long                     work;
} ngx_cweb_ere_bfs_t;


static long ngx_cweb_ere_count(const ngx_cweb_ere_t *e, int n);
static int ngx_cweb_ere_state(ngx_cweb_ere_t *e, int type,
    const unsigned char *set);
static ngx_cweb_ere_frag_t ngx_cweb_ere_build(ngx_cweb_ere_t *e, int n);
static ngx_cweb_ere_frag_t ngx_cweb_ere_repeat(ngx_cweb_ere_t *e,
    const ngx_cweb_ere_node_t *node);
static int ngx_cweb_ere_scratch(ngx_cweb_ere_scratch_t *sc, int n);
static void ngx_cweb_ere_closure(const ngx_cweb_ere_t *e,
    ngx_cweb_ere_scratch_t *sc, int s);
static int ngx_cweb_ere_prefixes_differ(const ngx_cweb_ere_t *a,
    const ngx_cweb_ere_t *b);
static int ngx_cweb_ere_visit(ngx_cweb_ere_bfs_t *bfs, size_t pair,
    int parent, int byte);


/*
 * Builds the automaton of e->root.  Returns -1 with a reason in err when it
 * would have more than max_states states, or with err left alone when there
 * is no memory.
 */

int
ngx_cweb_ere_nfa(ngx_cweb_ere_t *e, long max_states, char *err,
    size_t errlen)
{
    long                 n;
    ngx_cweb_ere_frag_t  f;

    n = ngx_cweb_ere_count(e, e->root) + 1;

    if (n > max_states) {
        if (err != NULL && errlen > 0) {
            snprintf(err, errlen, "pattern too complex (more than %ld states)",
                     max_states);
        }

        return -1;
    }

    e->states = malloc(n * sizeof(ngx_cweb_ere_state_t));
    if (e->states == NULL) {
        return -1;
    }

    e->salloc = (int) n;

    f = ngx_cweb_ere_build(e, e->root);

    e->start = f.start;
    e->states[f.end].out = ngx_cweb_ere_state(e, NGX_CWEB_ERE_ST_MATCH, NULL);

    return 0;
}


/* the states ngx_cweb_ere_build() makes for node n, saturating at the cap */

static long
ngx_cweb_ere_count(const ngx_cweb_ere_t *e, int n)
{
    long                        c, sum, k, fixed;
    const ngx_cweb_ere_node_t  *node;

    node = &e->nodes[n];

    switch (node->type) {

    case NGX_CWEB_ERE_GROUP:
        return ngx_cweb_ere_count(e, node->child);

    case NGX_CWEB_ERE_CAT:
    case NGX_CWEB_ERE_ALT:
        sum = 0;

        for (k = 0, n = node->child; n != -1 && sum < NGX_CWEB_ERE_CAP; k++) {
            sum += ngx_cweb_ere_count(e, n);
            n = e->nodes[n].next;
        }

        /* an alternation of k adds k - 1 splits and one join */

        sum += (node->type == NGX_CWEB_ERE_ALT) ? k : 0;
        break;

    case NGX_CWEB_ERE_REPEAT:
        c = ngx_cweb_ere_count(e, node->child);
        fixed = (node->max == NGX_CWEB_ERE_INF && node->min > 0)
                ? node->min - 1 : node->min;

        sum = 1 + fixed * c;

        if (node->max == NGX_CWEB_ERE_INF) {
            sum += c + 1;

        } else if (node->max > node->min) {
            sum += (node->max - node->min) * (c + 1) + 1;
        }

        break;

    default:
        return 1;
    }

    return sum < NGX_CWEB_ERE_CAP ? sum : NGX_CWEB_ERE_CAP;
}


static int
ngx_cweb_ere_state(ngx_cweb_ere_t *e, int type, const unsigned char *set)
{
    ngx_cweb_ere_state_t  *st;

    /*
     * ngx_cweb_ere_count() sized the array for exactly what
     * ngx_cweb_ere_build() makes; should the two ever disagree, stop
     * rather than write past it
     */
    if (e->nstates >= e->salloc) {
        abort();
    }

    st = &e->states[e->nstates];

    st->type = type;
    st->out = -1;
    st->out1 = -1;
    st->set = set;

    return e->nstates++;
}


static ngx_cweb_ere_frag_t
ngx_cweb_ere_build(ngx_cweb_ere_t *e, int n)
{
    int                   c, s, *slot;
    ngx_cweb_ere_frag_t   f, g;
    ngx_cweb_ere_node_t  *node;

    node = &e->nodes[n];

    switch (node->type) {

    case NGX_CWEB_ERE_SET:
        f.start = ngx_cweb_ere_state(e, NGX_CWEB_ERE_ST_SET, node->set);
        f.end = f.start;
        return f;

    case NGX_CWEB_ERE_GROUP:
        return ngx_cweb_ere_build(e, node->child);

    case NGX_CWEB_ERE_CAT:
        f = ngx_cweb_ere_build(e, node->child);

        for (c = e->nodes[node->child].next; c != -1; c = e->nodes[c].next) {
            g = ngx_cweb_ere_build(e, c);
            e->states[f.end].out = g.start;
            f.end = g.end;
        }

        return f;

    case NGX_CWEB_ERE_ALT:

        /* a chain of splits, each trying one alternative, then one join */

        f.end = ngx_cweb_ere_state(e, NGX_CWEB_ERE_ST_EPS, NULL);
        slot = &f.start;

        for (c = node->child; c != -1; c = e->nodes[c].next) {
            g = ngx_cweb_ere_build(e, c);
            e->states[g.end].out = f.end;

            if (e->nodes[c].next == -1) {
                *slot = g.start;
                break;
            }

            s = ngx_cweb_ere_state(e, NGX_CWEB_ERE_ST_SPLIT, NULL);
            e->states[s].out1 = g.start;
            *slot = s;
            slot = &e->states[s].out;
        }

        return f;

    case NGX_CWEB_ERE_REPEAT:
        return ngx_cweb_ere_repeat(e, node);

    default:
        f.start = ngx_cweb_ere_state(e, NGX_CWEB_ERE_ST_EPS, NULL);
        f.end = f.start;
        return f;
    }
}


/*
 * An entry state, then the mandatory copies, then either "x*" (x{0,}),
 * "x+" (x{n,}, after n - 1 copies) or the optional copies of x{n,m}.
 */

static ngx_cweb_ere_frag_t
ngx_cweb_ere_repeat(ngx_cweb_ere_t *e, const ngx_cweb_ere_node_t *node)
{
    int                  i, s, fixed, join;
    ngx_cweb_ere_frag_t  f, g;

    f.start = ngx_cweb_ere_state(e, NGX_CWEB_ERE_ST_EPS, NULL);
    f.end = f.start;

    fixed = (node->max == NGX_CWEB_ERE_INF && node->min > 0)
            ? node->min - 1 : node->min;

    for (i = 0; i < fixed; i++) {
        g = ngx_cweb_ere_build(e, node->child);
        e->states[f.end].out = g.start;
        f.end = g.end;
    }

    if (node->max == NGX_CWEB_ERE_INF) {
        g = ngx_cweb_ere_build(e, node->child);
        s = ngx_cweb_ere_state(e, NGX_CWEB_ERE_ST_SPLIT, NULL);
        e->states[s].out1 = g.start;
        e->states[g.end].out = s;
        e->states[f.end].out = node->min ? g.start : s;
        f.end = s;

    } else if (node->max > node->min) {
        join = ngx_cweb_ere_state(e, NGX_CWEB_ERE_ST_EPS, NULL);

        for (i = node->min; i < node->max; i++) {
            g = ngx_cweb_ere_build(e, node->child);
            s = ngx_cweb_ere_state(e, NGX_CWEB_ERE_ST_SPLIT, NULL);
            e->states[s].out1 = g.start;
            e->states[s].out = join;
            e->states[f.end].out = s;
            f.end = g.end;
        }

        e->states[f.end].out = join;
        f.end = join;
    }

    return f;
}


int
ngx_cweb_ere_match(const ngx_cweb_ere_t *e, const unsigned char *s,
    size_t len)
{
    int                          i, ncur, rc, *cur;
    size_t                       k;
    ngx_cweb_ere_scratch_t       sc;
    const ngx_cweb_ere_state_t  *st;

    if (ngx_cweb_ere_scratch(&sc, e->nstates) != 0) {
        return 0;
    }

    ngx_cweb_ere_closure(e, &sc, e->start);

    for (k = 0; k < len && sc.n > 0; k++) {

        /* one generation per step: a state enters the next list once */

        cur = sc.list;
        ncur = sc.n;
        sc.list = sc.other;
        sc.other = cur;
        sc.n = 0;

        if (++sc.gen == INT32_MAX) {
            memset(sc.mark, 0, e->nstates * sizeof(int));
            sc.gen = 1;
        }

        for (i = 0; i < ncur; i++) {
            st = &e->states[cur[i]];

            if (st->type == NGX_CWEB_ERE_ST_SET
                && ngx_cweb_ere_has(st->set, s[k]))
            {
                ngx_cweb_ere_closure(e, &sc, st->out);
            }
        }
    }

    rc = 0;

    for (i = 0; i < sc.n; i++) {
        if (e->states[sc.list[i]].type == NGX_CWEB_ERE_ST_MATCH) {
            rc = 1;
        }
    }

    free(sc.mem);

    return rc;
}


static int
ngx_cweb_ere_prefixes_differ(const ngx_cweb_ere_t *a, const ngx_cweb_ere_t *b)
{
    size_t  n;

    n = (a->prefix_len < b->prefix_len) ? a->prefix_len : b->prefix_len;

    return memcmp(a->prefix, b->prefix, n) != 0;
}


/*
 * Breadth-first search of the product automaton.  A node is a pair of
 * consuming states; its successors are the pairs of the closures of their
 * outs, reached by any byte both sets take, so the lowest such byte is as
 * good a witness as any.  Pairs are generated level by level, hence the
 * first accepting pair generated ends a shortest common string.  Only what
 * is reached is explored: routes whose literal prefixes differ are told
 * apart after a few pairs.
 */

int
ngx_cweb_ere_intersect(const ngx_cweb_ere_t *a, const ngx_cweb_ere_t *b,
    unsigned char *example, size_t *example_len, size_t max)
{
    int                 rc, i, j, s, byte;
    long                h;
    size_t              n, k, pair;
    uint64_t            bits;
    ngx_cweb_ere_bfs_t  bfs;

    /*
     * every match of a starts with its literal prefix, every match of b
     * with its own: when neither prefix starts the other, no string is in
     * both (the common case of routes under different paths: no search)
     */
    if (ngx_cweb_ere_prefixes_differ(a, b)) {
        return 0;
    }

    bits = (uint64_t) a->nstates * (uint64_t) b->nstates;
    if (bits > UINT32_MAX) {
        return -1;
    }

    memset(&bfs, 0, sizeof(ngx_cweb_ere_bfs_t));
    bfs.e[0] = a;
    bfs.e[1] = b;
    bfs.nb = b->nstates;

    rc = 0;

    bfs.visited = calloc(bits / 8 + 1, 1);

    if (bfs.visited == NULL
        || ngx_cweb_ere_scratch(&bfs.sc[0], a->nstates) != 0
        || ngx_cweb_ere_scratch(&bfs.sc[1], b->nstates) != 0)
    {
        rc = -1;
        goto done;
    }

    /* h == -1 stands for the start pair, expanded as the queued ones are */

    for (h = -1; rc == 0 && h < (long) bfs.nqueue; h++) {
        byte = (h >= 0) ? bfs.queue[h].out : 0;

        for (i = 0; i < 2; i++) {
            s = bfs.e[i]->start;

            if (h >= 0) {
                pair = bfs.queue[h].pair;
                s = bfs.e[i]->states[i ? pair % bfs.nb : pair / bfs.nb].out;
            }

            bfs.sc[i].n = 0;
            bfs.sc[i].gen++;
            ngx_cweb_ere_closure(bfs.e[i], &bfs.sc[i], s);
        }

        bfs.work += (long) bfs.sc[0].n * bfs.sc[1].n;

        if (bfs.work + bfs.sc[0].steps + bfs.sc[1].steps
            > NGX_CWEB_ERE_MAX_WORK)
        {
            rc = -1;
            break;
        }

        for (i = 0; rc == 0 && i < bfs.sc[0].n; i++) {
            for (j = 0; rc == 0 && j < bfs.sc[1].n; j++) {
                pair = (size_t) bfs.sc[0].list[i] * bfs.nb + bfs.sc[1].list[j];

                /* most pairs of a big search were seen already */

                if (bfs.visited[pair >> 3] & (1 << (pair & 7))) {
                    continue;
                }

                bfs.visited[pair >> 3] |= (unsigned char) (1 << (pair & 7));

                rc = ngx_cweb_ere_visit(&bfs, pair, (int) h, byte);
            }
        }
    }

    if (rc != 1 || example == NULL || example_len == NULL) {
        goto done;
    }

    /*
     * The accepting pair is the last entry; the witness is the bytes that
     * led to it from a start pair, filled backwards.
     */

    n = 0;

    for (i = (int) bfs.nqueue - 1; bfs.queue[i].parent >= 0;
         i = bfs.queue[i].parent)
    {
        n++;
    }

    k = n;

    for (i = (int) bfs.nqueue - 1; bfs.queue[i].parent >= 0;
         i = bfs.queue[i].parent)
    {
        if (--k < max) {
            example[k] = bfs.queue[i].in;
        }
    }

    *example_len = n < max ? n : max;

done:

    free(bfs.visited);
    free(bfs.queue);
    free(bfs.sc[0].mem);
    free(bfs.sc[1].mem);

    return rc;
}


static int
ngx_cweb_ere_scratch(ngx_cweb_ere_scratch_t *sc, int n)
{
    sc->mem = calloc(5 * (size_t) n + 1, sizeof(int));
    if (sc->mem == NULL) {
        return -1;
    }

    sc->mark = sc->mem;
    sc->list = sc->mark + n;
    sc->other = sc->list + n;
    sc->stack = sc->other + n;
    sc->n = 0;
    sc->gen = 1;
    sc->steps = 0;

    return 0;
}


/*
 * Appends to sc->list the consuming and accepting states reachable from s
 * through epsilon moves, skipping states already marked with sc->gen.
 * A state is expanded once and pushes at most two, hence the stack size.
 */

static void
ngx_cweb_ere_closure(const ngx_cweb_ere_t *e, ngx_cweb_ere_scratch_t *sc,
    int s)
{
    int                          sp;
    const ngx_cweb_ere_state_t  *st;

    sp = 0;
    sc->stack[sp++] = s;

    while (sp > 0) {
        s = sc->stack[--sp];
        sc->steps++;

        if (sc->mark[s] == sc->gen) {
            continue;
        }

        sc->mark[s] = sc->gen;
        st = &e->states[s];

        if (st->type == NGX_CWEB_ERE_ST_SPLIT) {
            sc->stack[sp++] = st->out1;
        }

        if (st->type == NGX_CWEB_ERE_ST_SPLIT
            || st->type == NGX_CWEB_ERE_ST_EPS)
        {
            sc->stack[sp++] = st->out;

        } else {
            sc->list[sc->n++] = s;
        }
    }
}


static int
ngx_cweb_ere_visit(ngx_cweb_ere_bfs_t *bfs, size_t pair, int parent, int byte)
{
    int                          c, match;
    size_t                       size;
    ngx_cweb_ere_entry_t        *queue, *ent;
    const ngx_cweb_ere_state_t  *sx, *sy;

    sx = &bfs->e[0]->states[pair / bfs->nb];
    sy = &bfs->e[1]->states[pair % bfs->nb];

    match = (sx->type == NGX_CWEB_ERE_ST_MATCH
             && sy->type == NGX_CWEB_ERE_ST_MATCH);
    c = (sx->type == NGX_CWEB_ERE_ST_SET && sy->type == NGX_CWEB_ERE_ST_SET)
        ? ngx_cweb_ere_lowest(sx->set, sy->set) : -1;

    /* accepting on one side only, or no common byte: a dead end */

    if (c == -1 && !match) {
        return 0;
    }

    if (bfs->nqueue == bfs->qsize) {
        if (bfs->qsize >= NGX_CWEB_ERE_MAX_PAIRS) {
            return -1;
        }

        size = bfs->qsize ? 2 * bfs->qsize : 64;
        size = size < NGX_CWEB_ERE_MAX_PAIRS ? size : NGX_CWEB_ERE_MAX_PAIRS;

        queue = realloc(bfs->queue, size * sizeof(ngx_cweb_ere_entry_t));
        if (queue == NULL) {
            return -1;
        }

        bfs->queue = queue;
        bfs->qsize = size;
    }

    ent = &bfs->queue[bfs->nqueue++];

    ent->pair = (uint32_t) pair;
    ent->parent = parent;
    ent->in = (unsigned char) byte;
    ent->out = (unsigned char) c;

    return match;
}


/* the lowest byte in both sets, -1 when none */

int
ngx_cweb_ere_lowest(const unsigned char *a, const unsigned char *b)
{
    int  c;

    for (c = 0; c < 256; c++) {
        if (ngx_cweb_ere_has(a, c) && ngx_cweb_ere_has(b, c)) {
            return c;
        }
    }

    return -1;
}
