
/*
 * The head of a message between the workers and the helper's scheduler
 * (ngx_cweb_jobs_proto.c): pure C on jansson, so that it is unit tested.
 */


#ifndef _NGX_CWEB_JOBS_HEAD_H_INCLUDED_
#define _NGX_CWEB_JOBS_HEAD_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


typedef struct {
    int64_t     q;           /* the question's number, 0: none */
    int64_t     status;      /* an answer's, 0: none */
    unsigned    again:1;     /* "again":true: ask once more */
    unsigned    hello:1;     /* the helper's first message */
    size_t      body;        /* where the body begins */
} ngx_cweb_jhead_t;


/*
 * The head of the len bytes at msg, a JSON object: 0, or -1 when there is
 * none.  The forms both sides write ({"q":N}, {"q":N,"status":S} with
 * ,"again":true or not, {"hello":1}) are read here; any other object
 * by jansson.
 */
int ngx_cweb_jhead_parse(const unsigned char *msg, size_t len,
    ngx_cweb_jhead_t *h);


#endif /* _NGX_CWEB_JOBS_HEAD_H_INCLUDED_ */
