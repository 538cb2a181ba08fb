
/*
 * Parser for GCC, Clang and linker (GNU ld, gold, lld) diagnostics.
 *
 * Deliberately free of nginx headers so that it can be unit tested
 * standalone; the module compiles the .c file as one of its sources.
 * Nothing is allocated: file and message point into the caller's buffer.
 *
 * The compiler must be run with colours off (-fdiagnostics-color=never,
 * or -fno-color-diagnostics for Clang) and in the C locale (LC_ALL=C),
 * since escape sequences and translated severities are not recognised.
 */


#ifndef _NGX_CWEB_DIAG_H_INCLUDED_
#define _NGX_CWEB_DIAG_H_INCLUDED_


#include <stddef.h>


typedef struct {
    /* source file, or the program name ("cc1", "collect2", "/usr/bin/ld") */
    const unsigned char  *file;
    size_t                file_len;

    unsigned              line;      /* 0 when unknown */
    unsigned              column;    /* 0 when unknown */

    /* static: "error", "fatal error", "warning", "note" */
    const char           *severity;

    /* one line, without trailing newline */
    const unsigned char  *message;
    size_t                message_len;
} ngx_cweb_diag_t;


/*
 * Fills up to max entries from the compiler/linker output, in order;
 * returns how many were found.  Context lines ("In file included from",
 * "In function"), source excerpts, caret lines and unknown-severity lines
 * are skipped.
 */
size_t ngx_cweb_diag_parse(const unsigned char *out, size_t len,
    ngx_cweb_diag_t *d, size_t max);


#endif /* _NGX_CWEB_DIAG_H_INCLUDED_ */
