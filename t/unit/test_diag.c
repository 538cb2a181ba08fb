
/*
 * Unit tests for src/ngx_cweb_diag.c; no nginx needed.
 *
 * Build and run from the top of the source tree:
 *
 *   mkdir -p objs/unit
 *   cc -std=c11 -Wall -Wextra -Werror -Isrc -o objs/unit/test_diag \
 *       t/unit/test_diag.c src/ngx_cweb_diag.c
 *   objs/unit/test_diag
 *
 * With sanitizers, add: -g -fsanitize=address,undefined
 *   -fno-sanitize-recover=all
 *
 * Prints one line per failed check and finally "N passed, N failed";
 * exits non-zero if any check failed.
 *
 * The samples are verbatim stderr of GCC 12.2, binutils 2.40 ld and gold,
 * and Clang/lld 14 (Debian 12), run with -fdiagnostics-color=never or
 * -fno-color-diagnostics, on small broken files:
 *
 *   a.h     static int helper(void) { return undeclared_thing; }
 *   b.c     #include "a.h" / int f(int x) { int unused; foo(); return x +; }
 *   c.c     #include <stdio.h> / #include "missing_header.h"
 *   d.c     void bar(void); void baz(void);
 *           static void handler(void) { bar(); }  (line 3)
 *           int main(void) { handler(); baz(); return 0; }  (line 4)
 *   e.c     int g(int a) { char *p = a; return 0 }
 *   w.c     #error custom thing / #warning hey
 *   m1.c    int x(void){return 1;}
 *   m2.c    int x(void){return 2;} int main(void){return x();}
 *   many.c  void b(void); int main(void){b();b(); ... twelve calls}
 *   r.c     extern int foo; int *p = &foo; int main(void){return 0;}
 *   big2.c  char big[3000000000]; char after; ... return after;  (line 6)
 *   gets.c  calls gets()
 */


#include <stdio.h>
#include <string.h>

#include "ngx_cweb_diag.h"


#include "check.h"

#define U(s)  ((const unsigned char *) (s))

/* GCC's typographic quotes in a UTF-8 locale, U+2018 and U+2019 */
#define LQ    "\342\200\230"
#define RQ    "\342\200\231"

#define MAXD  32


typedef struct {
    const char  *file;
    unsigned     line;
    unsigned     column;
    const char  *severity;
    const char  *message;
} expect_t;


static const char  out_gcc_b[] =
    "In file included from b.c:1:\n"
    "a.h: In function \342\200\230helper\342\200\231:\n"
    "a.h:1:34: error: \342\200\230undeclared_thing\342\200\231 undeclared ("
    "first use in this function)\n"
    "    1 | static int helper(void) { return undeclared_thing; }\n"
    "      |                                  ^~~~~~~~~~~~~~~~\n"
    "a.h:1:34: note: each undeclared identifier is reported only once for e"
    "ach function it appears in\n"
    "b.c: In function \342\200\230f\342\200\231:\n"
    "b.c:5:5: warning: implicit declaration of function \342\200\230foo\342"
    "\200\231 [-Wimplicit-function-declaration]\n"
    "    5 |     foo();\n"
    "      |     ^~~\n"
    "b.c:6:15: error: expected expression before \342\200\230;\342\200\231 "
    "token\n"
    "    6 |     return x +;\n"
    "      |               ^\n"
    "b.c:4:9: warning: unused variable \342\200\230unused\342\200\231 [-Wun"
    "used-variable]\n"
    "    4 |     int unused;\n"
    "      |         ^~~~~~\n"
    "a.h: In function \342\200\230helper\342\200\231:\n"
    "a.h:1:52: warning: control reaches end of non-void function [-Wreturn-"
    "type]\n"
    "    1 | static int helper(void) { return undeclared_thing; }\n"
    "      |                                                    ^\n"
    "b.c: In function \342\200\230f\342\200\231:\n"
    "b.c:7:1: warning: control reaches end of non-void function [-Wreturn-t"
    "ype]\n"
    "    7 | }\n"
    "      | ^\n"
    "a.h: At top level:\n"
    "a.h:1:12: warning: \342\200\230helper\342\200\231 defined but not used"
    " [-Wunused-function]\n"
    "    1 | static int helper(void) { return undeclared_thing; }\n"
    "      |            ^~~~~~\n";


static const char  out_gcc_b_C[] =
    "In file included from b.c:1:\n"
    "a.h: In function 'helper':\n"
    "a.h:1:34: error: 'undeclared_thing' undeclared (first use in this func"
    "tion)\n"
    "    1 | static int helper(void) { return undeclared_thing; }\n"
    "      |                                  ^~~~~~~~~~~~~~~~\n"
    "a.h:1:34: note: each undeclared identifier is reported only once for e"
    "ach function it appears in\n"
    "b.c: In function 'f':\n"
    "b.c:5:5: warning: implicit declaration of function 'foo' [-Wimplicit-f"
    "unction-declaration]\n"
    "    5 |     foo();\n"
    "      |     ^~~\n"
    "b.c:6:15: error: expected expression before ';' token\n"
    "    6 |     return x +;\n"
    "      |               ^\n"
    "b.c:4:9: warning: unused variable 'unused' [-Wunused-variable]\n"
    "    4 |     int unused;\n"
    "      |         ^~~~~~\n"
    "a.h: In function 'helper':\n"
    "a.h:1:52: warning: control reaches end of non-void function [-Wreturn-"
    "type]\n"
    "    1 | static int helper(void) { return undeclared_thing; }\n"
    "      |                                                    ^\n"
    "b.c: In function 'f':\n"
    "b.c:7:1: warning: control reaches end of non-void function [-Wreturn-t"
    "ype]\n"
    "    7 | }\n"
    "      | ^\n"
    "a.h: At top level:\n"
    "a.h:1:12: warning: 'helper' defined but not used [-Wunused-function]\n"
    "    1 | static int helper(void) { return undeclared_thing; }\n"
    "      |            ^~~~~~\n";


static const char  out_gcc_fatal[] =
    "c.c:2:10: fatal error: missing_header.h: No such file or directory\n"
    "    2 | #include \"missing_header.h\"\n"
    "      |          ^~~~~~~~~~~~~~~~~~\n"
    "compilation terminated.\n";


static const char  out_gcc_e[] =
    "e.c: In function \342\200\230g\342\200\231:\n"
    "e.c:3:15: warning: initialization of \342\200\230char *\342\200\231 fr"
    "om \342\200\230int\342\200\231 makes pointer from integer without a ca"
    "st [-Wint-conversion]\n"
    "    3 |     char *p = a;\n"
    "      |               ^\n"
    "e.c:4:13: error: expected \342\200\230;\342\200\231 before \342\200"
    "\230}\342\200\231 token\n"
    "    4 |     return 0\n"
    "      |             ^\n"
    "      |             ;\n"
    "    5 | }\n"
    "      | ~            \n"
    "e.c:3:11: warning: unused variable \342\200\230p\342\200\231 [-Wunused"
    "-variable]\n"
    "    3 |     char *p = a;\n"
    "      |           ^\n";


static const char  out_gcc_werror[] =
    "e.c: In function \342\200\230g\342\200\231:\n"
    "e.c:3:15: error: initialization of \342\200\230char *\342\200\231 from"
    " \342\200\230int\342\200\231 makes pointer from integer without a cast"
    " [-Werror=int-conversion]\n"
    "    3 |     char *p = a;\n"
    "      |               ^\n"
    "e.c:4:13: error: expected \342\200\230;\342\200\231 before \342\200"
    "\230}\342\200\231 token\n"
    "    4 |     return 0\n"
    "      |             ^\n"
    "      |             ;\n"
    "    5 | }\n"
    "      | ~            \n"
    "e.c:3:11: error: unused variable \342\200\230p\342\200\231 [-Werror=un"
    "used-variable]\n"
    "    3 |     char *p = a;\n"
    "      |           ^\n"
    "cc1: all warnings being treated as errors\n";


static const char  out_gcc_cpp[] =
    "w.c:1:2: error: #error custom thing\n"
    "    1 | #error custom thing\n"
    "      |  ^~~~~\n"
    "w.c:2:2: warning: #warning hey [-Wcpp]\n"
    "    2 | #warning hey\n"
    "      |  ^~~~~~~\n";


static const char  out_gcc_opt[] =
    "gcc: error: unrecognized command-line option \342\200\230-Wbogus-opt"
    "\342\200\231\n";


static const char  out_cc1_err[] =
    "cc1: error: argument to \342\200\230-O\342\200\231 should be a non-neg"
    "ative integer, \342\200\230g\342\200\231, \342\200\230s\342\200\231, "
    "\342\200\230z\342\200\231 or \342\200\230fast\342\200\231\n";


static const char  out_cc1_fatal[] =
    "cc1: fatal error: nonexist.c: No such file or directory\n"
    "compilation terminated.\n";


static const char  out_cc1_warn[] =
    "cc1: warning: command-line option \342\200\230-fno-rtti\342\200\231 is"
    " valid for C++/D/ObjC++ but not for C\n";


static const char  out_cc1_note[] =
    "w.c:1:2: error: #error custom thing\n"
    "    1 | #error custom thing\n"
    "      |  ^~~~~\n"
    "w.c:2:2: warning: #warning hey [-Wcpp]\n"
    "    2 | #warning hey\n"
    "      |  ^~~~~~~\n"
    "cc1: note: unrecognized command-line option \342\200\230-Wno-foo-bar"
    "\342\200\231 may have been intended to silence earlier diagnostics\n";


static const char  out_ld_undef[] =
    "/usr/bin/ld: /tmp/cceBT70m.o: in function `handler':\n"
    "d.c:(.text+0x5): undefined reference to `bar'\n"
    "/usr/bin/ld: /tmp/cceBT70m.o: in function `main':\n"
    "d.c:(.text+0x16): undefined reference to `baz'\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_ld_undef_g[] =
    "/usr/bin/ld: /tmp/cc5xjRkc.o: in function `handler':\n"
    "/tmp/diagsamp/d.c:3: undefined reference to `bar'\n"
    "/usr/bin/ld: /tmp/cc5xjRkc.o: in function `main':\n"
    "/tmp/diagsamp/d.c:4: undefined reference to `baz'\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_ld_many[] =
    "/usr/bin/ld: /tmp/ccOxDKzw.o: in function `main':\n"
    "many.c:(.text+0x5): undefined reference to `b'\n"
    "/usr/bin/ld: many.c:(.text+0xa): undefined reference to `b'\n"
    "/usr/bin/ld: many.c:(.text+0xf): undefined reference to `b'\n"
    "/usr/bin/ld: many.c:(.text+0x14): undefined reference to `b'\n"
    "/usr/bin/ld: many.c:(.text+0x19): undefined reference to `b'\n"
    "/usr/bin/ld: /tmp/ccOxDKzw.o:many.c:(.text+0x1e): more undefined refer"
    "ences to `b' follow\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_ld_many_g[] =
    "/usr/bin/ld: /tmp/cc9nDJU0.o: in function `main':\n"
    "/tmp/diagsamp/many.c:1: undefined reference to `b'\n"
    "/usr/bin/ld: /tmp/diagsamp/many.c:1: undefined reference to `b'\n"
    "/usr/bin/ld: /tmp/diagsamp/many.c:1: undefined reference to `b'\n"
    "/usr/bin/ld: /tmp/diagsamp/many.c:1: undefined reference to `b'\n"
    "/usr/bin/ld: /tmp/diagsamp/many.c:1: undefined reference to `b'\n"
    "/usr/bin/ld: /tmp/cc9nDJU0.o:/tmp/diagsamp/many.c:1: more undefined re"
    "ferences to `b' follow\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_ld_multi[] =
    "/usr/bin/ld: /tmp/cc2K0IRb.o: in function `x':\n"
    "m2.c:(.text+0x0): multiple definition of `x'; /tmp/ccAAGN0V.o:m1.c:(.t"
    "ext+0x0): first defined here\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_ld_multi_g[] =
    "/usr/bin/ld: /tmp/ccWcZGxa.o: in function `x':\n"
    "/tmp/diagsamp/m2.c:1: multiple definition of `x'; /tmp/cc9eYzbU.o:/tmp"
    "/diagsamp/m1.c:1: first defined here\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_ld_lib[] =
    "/usr/bin/ld: cannot find -lnosuchlib: No such file or directory\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_ld_data[] =
    "/usr/bin/ld: /tmp/ccWtzchs.o:(.data.rel+0x0): undefined reference to `"
    "foo'\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_ld_data_g[] =
    "/usr/bin/ld: /tmp/ccenqL8K.o:/tmp/diagsamp/r.c:1: undefined reference "
    "to `foo'\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_ld_reloc_g[] =
    "/tmp/cco1JGSU.o: in function `main':\n"
    "/tmp/diagsamp/big2.c:6:(.text+0xe): relocation truncated to fit: R_X86"
    "_64_PC32 against symbol `after' defined in .bss section in /tmp/cco1JG"
    "SU.o\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_ld_gets[] =
    "/usr/bin/ld: /tmp/cc8JYIMi.o: in function `main':\n"
    "gets.c:(.text+0x15): warning: the `gets' function is dangerous and sho"
    "uld not be used.\n";


static const char  out_gold[] =
    "/tmp/ccuXRnoV.o:d.c:function handler: error: undefined reference to 'b"
    "ar'\n"
    "/tmp/ccuXRnoV.o:d.c:function main: error: undefined reference to 'baz'"
    "\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_gold_g[] =
    "/tmp/diagsamp/d.c:3: error: undefined reference to 'bar'\n"
    "/tmp/diagsamp/d.c:4: error: undefined reference to 'baz'\n"
    "collect2: error: ld returned 1 exit status\n";


static const char  out_clang_b[] =
    "In file included from b.c:1:\n"
    "./a.h:1:34: error: use of undeclared identifier 'undeclared_thing'\n"
    "static int helper(void) { return undeclared_thing; }\n"
    "                                 ^\n"
    "b.c:5:5: warning: implicit declaration of function 'foo' is invalid in"
    " C99 [-Wimplicit-function-declaration]\n"
    "    foo();\n"
    "    ^\n"
    "b.c:6:15: error: expected expression\n"
    "    return x +;\n"
    "              ^\n"
    "1 warning and 2 errors generated.\n";


static const char  out_clang_fatal[] =
    "c.c:2:10: fatal error: 'missing_header.h' file not found\n"
    "#include \"missing_header.h\"\n"
    "         ^~~~~~~~~~~~~~~~~~\n"
    "1 error generated.\n";


static const char  out_lld_undef[] =
    "ld.lld: error: undefined symbol: baz\n"
    ">>> referenced by d.c\n"
    ">>>               /tmp/d-3175e6.o:(main)\n"
    "\n"
    "ld.lld: error: undefined symbol: bar\n"
    ">>> referenced by d.c\n"
    ">>>               /tmp/d-3175e6.o:(handler)\n"
    "clang: error: linker command failed with exit code 1 (use -v to see in"
    "vocation)\n";


static const char  out_lld_undef_g[] =
    "ld.lld: error: undefined symbol: baz\n"
    ">>> referenced by d.c:4 (/tmp/diagsamp/d.c:4)\n"
    ">>>               /tmp/d-4fe40d.o:(main)\n"
    "\n"
    "ld.lld: error: undefined symbol: bar\n"
    ">>> referenced by d.c:3 (/tmp/diagsamp/d.c:3)\n"
    ">>>               /tmp/d-4fe40d.o:(handler)\n"
    "clang: error: linker command failed with exit code 1 (use -v to see in"
    "vocation)\n";


static const char  out_lld_dup[] =
    "ld.lld: error: duplicate symbol: x\n"
    ">>> defined at m1.c\n"
    ">>>            /tmp/m1-7d9e1e.o:(x)\n"
    ">>> defined at m2.c\n"
    ">>>            /tmp/m2-6cc8d0.o:(.text+0x0)\n"
    "clang: error: linker command failed with exit code 1 (use -v to see in"
    "vocation)\n";


static size_t
parse(const char *out, ngx_cweb_diag_t *d, size_t max)
{
    return ngx_cweb_diag_parse(U(out), strlen(out), d, max);
}


static int
same(const unsigned char *p, size_t n, const char *s)
{
    return p != NULL && n == strlen(s) && memcmp(p, s, n) == 0;
}


/*
 * Parses out (with an entry array larger than needed) and compares every
 * entry; a mismatch is reported with the sample name and entry index.
 */

static void
run(const char *name, const char *out, const expect_t *e, size_t n)
{
    size_t           i, got;
    ngx_cweb_diag_t  d[MAXD];

    memset(d, 0, sizeof(d));

    got = parse(out, d, MAXD);

    if (got != n) {
        failed++;
        printf("FAIL %s: %zu entries, expected %zu\n", name, got, n);

        for (i = 0; i < got; i++) {
            printf("    %.*s:%u:%u: %s: %.*s\n",
                   (int) d[i].file_len, (const char *) d[i].file,
                   d[i].line, d[i].column, d[i].severity,
                   (int) d[i].message_len, (const char *) d[i].message);
        }

        return;
    }

    passed++;

    for (i = 0; i < n; i++) {

        if (same(d[i].file, d[i].file_len, e[i].file)
            && d[i].line == e[i].line
            && d[i].column == e[i].column
            && d[i].severity != NULL
            && strcmp(d[i].severity, e[i].severity) == 0
            && same(d[i].message, d[i].message_len, e[i].message))
        {
            passed++;
            continue;
        }

        failed++;
        printf("FAIL %s[%zu]: got \"%.*s:%u:%u: %s: %.*s\"\n", name, i,
               (int) d[i].file_len, (const char *) d[i].file,
               d[i].line, d[i].column,
               d[i].severity ? d[i].severity : "(null)",
               (int) d[i].message_len, (const char *) d[i].message);
    }
}


#define RUN(sample, expect)                                                  \
    run(#sample, out_##sample, expect, sizeof(expect) / sizeof(expect_t))

#define COLLECT2                                                             \
    { "collect2", 0, 0, "error", "ld returned 1 exit status" }

#define CLANG_LINK                                                           \
    { "clang", 0, 0, "error",                                                \
      "linker command failed with exit code 1 (use -v to see invocation)" }


static void
test_gcc(void)
{
    static const expect_t  b[] = {
        { "a.h", 1, 34, "error",
          LQ "undeclared_thing" RQ " undeclared (first use in this function)" },
        { "a.h", 1, 34, "note",
          "each undeclared identifier is reported only once for each "
          "function it appears in" },
        { "b.c", 5, 5, "warning",
          "implicit declaration of function " LQ "foo" RQ
          " [-Wimplicit-function-declaration]" },
        { "b.c", 6, 15, "error",
          "expected expression before " LQ ";" RQ " token" },
        { "b.c", 4, 9, "warning",
          "unused variable " LQ "unused" RQ " [-Wunused-variable]" },
        { "a.h", 1, 52, "warning",
          "control reaches end of non-void function [-Wreturn-type]" },
        { "b.c", 7, 1, "warning",
          "control reaches end of non-void function [-Wreturn-type]" },
        { "a.h", 1, 12, "warning",
          LQ "helper" RQ " defined but not used [-Wunused-function]" },
    };

    static const expect_t  b_C[] = {
        { "a.h", 1, 34, "error",
          "'undeclared_thing' undeclared (first use in this function)" },
        { "a.h", 1, 34, "note",
          "each undeclared identifier is reported only once for each "
          "function it appears in" },
        { "b.c", 5, 5, "warning",
          "implicit declaration of function 'foo'"
          " [-Wimplicit-function-declaration]" },
        { "b.c", 6, 15, "error", "expected expression before ';' token" },
        { "b.c", 4, 9, "warning",
          "unused variable 'unused' [-Wunused-variable]" },
        { "a.h", 1, 52, "warning",
          "control reaches end of non-void function [-Wreturn-type]" },
        { "b.c", 7, 1, "warning",
          "control reaches end of non-void function [-Wreturn-type]" },
        { "a.h", 1, 12, "warning",
          "'helper' defined but not used [-Wunused-function]" },
    };

    static const expect_t  fatal[] = {
        { "c.c", 2, 10, "fatal error",
          "missing_header.h: No such file or directory" },
    };

    /* includes a fix-it line ("      |             ;") */

    static const expect_t  e[] = {
        { "e.c", 3, 15, "warning",
          "initialization of " LQ "char *" RQ " from " LQ "int" RQ
          " makes pointer from integer without a cast [-Wint-conversion]" },
        { "e.c", 4, 13, "error",
          "expected " LQ ";" RQ " before " LQ "}" RQ " token" },
        { "e.c", 3, 11, "warning",
          "unused variable " LQ "p" RQ " [-Wunused-variable]" },
    };

    /* "cc1: all warnings being treated as errors" has no severity */

    static const expect_t  werror[] = {
        { "e.c", 3, 15, "error",
          "initialization of " LQ "char *" RQ " from " LQ "int" RQ
          " makes pointer from integer without a cast"
          " [-Werror=int-conversion]" },
        { "e.c", 4, 13, "error",
          "expected " LQ ";" RQ " before " LQ "}" RQ " token" },
        { "e.c", 3, 11, "error",
          "unused variable " LQ "p" RQ " [-Werror=unused-variable]" },
    };

    static const expect_t  cpp[] = {
        { "w.c", 1, 2, "error", "#error custom thing" },
        { "w.c", 2, 2, "warning", "#warning hey [-Wcpp]" },
    };

    static const expect_t  opt[] = {
        { "gcc", 0, 0, "error",
          "unrecognized command-line option " LQ "-Wbogus-opt" RQ },
    };

    static const expect_t  cc1_e[] = {
        { "cc1", 0, 0, "error",
          "argument to " LQ "-O" RQ " should be a non-negative integer, "
          LQ "g" RQ ", " LQ "s" RQ ", " LQ "z" RQ " or " LQ "fast" RQ },
    };

    static const expect_t  cc1_f[] = {
        { "cc1", 0, 0, "fatal error",
          "nonexist.c: No such file or directory" },
    };

    static const expect_t  cc1_w[] = {
        { "cc1", 0, 0, "warning",
          "command-line option " LQ "-fno-rtti" RQ
          " is valid for C++/D/ObjC++ but not for C" },
    };

    static const expect_t  cc1_n[] = {
        { "w.c", 1, 2, "error", "#error custom thing" },
        { "w.c", 2, 2, "warning", "#warning hey [-Wcpp]" },
        { "cc1", 0, 0, "note",
          "unrecognized command-line option " LQ "-Wno-foo-bar" RQ
          " may have been intended to silence earlier diagnostics" },
    };

    RUN(gcc_b, b);
    RUN(gcc_b_C, b_C);
    RUN(gcc_fatal, fatal);
    RUN(gcc_e, e);
    RUN(gcc_werror, werror);
    RUN(gcc_cpp, cpp);
    RUN(gcc_opt, opt);
    RUN(cc1_err, cc1_e);
    RUN(cc1_fatal, cc1_f);
    RUN(cc1_warn, cc1_w);
    RUN(cc1_note, cc1_n);
}


static void
test_ld(void)
{
    static const expect_t  undef[] = {
        { "d.c", 0, 0, "error", "undefined reference to `bar'" },
        { "d.c", 0, 0, "error", "undefined reference to `baz'" },
        COLLECT2
    };

    static const expect_t  undef_g[] = {
        { "/tmp/diagsamp/d.c", 3, 0, "error", "undefined reference to `bar'" },
        { "/tmp/diagsamp/d.c", 4, 0, "error", "undefined reference to `baz'" },
        COLLECT2
    };

    static const expect_t  many[] = {
        { "many.c", 0, 0, "error", "undefined reference to `b'" },
        { "many.c", 0, 0, "error", "undefined reference to `b'" },
        { "many.c", 0, 0, "error", "undefined reference to `b'" },
        { "many.c", 0, 0, "error", "undefined reference to `b'" },
        { "many.c", 0, 0, "error", "undefined reference to `b'" },
        { "many.c", 0, 0, "error", "more undefined references to `b' follow" },
        COLLECT2
    };

#define MANY_G                                                               \
    { "/tmp/diagsamp/many.c", 1, 0, "error", "undefined reference to `b'" }

    static const expect_t  many_g[] = {
        MANY_G, MANY_G, MANY_G, MANY_G, MANY_G,
        { "/tmp/diagsamp/many.c", 1, 0, "error",
          "more undefined references to `b' follow" },
        COLLECT2
    };

    static const expect_t  multi[] = {
        { "m2.c", 0, 0, "error",
          "multiple definition of `x'; /tmp/ccAAGN0V.o:m1.c:(.text+0x0): "
          "first defined here" },
        COLLECT2
    };

    static const expect_t  multi_g[] = {
        { "/tmp/diagsamp/m2.c", 1, 0, "error",
          "multiple definition of `x'; /tmp/cc9eYzbU.o:/tmp/diagsamp/m1.c:1: "
          "first defined here" },
        COLLECT2
    };

    static const expect_t  lib[] = {
        { "/usr/bin/ld", 0, 0, "error",
          "cannot find -lnosuchlib: No such file or directory" },
        COLLECT2
    };

    /* a reference from data: no function, no source file */

    static const expect_t  data[] = {
        { "/tmp/ccWtzchs.o", 0, 0, "error", "undefined reference to `foo'" },
        COLLECT2
    };

    static const expect_t  data_g[] = {
        { "/tmp/diagsamp/r.c", 1, 0, "error", "undefined reference to `foo'" },
        COLLECT2
    };

    /* "file:line:(section+offset)", after an unprefixed "in function" */

    static const expect_t  reloc_g[] = {
        { "/tmp/diagsamp/big2.c", 6, 0, "error",
          "relocation truncated to fit: R_X86_64_PC32 against symbol "
          "`after' defined in .bss section in /tmp/cco1JGSU.o" },
        COLLECT2
    };

    static const expect_t  gets[] = {
        { "gets.c", 0, 0, "warning",
          "the `gets' function is dangerous and should not be used." },
    };

    static const expect_t  gold[] = {
        { "d.c", 0, 0, "error", "undefined reference to 'bar'" },
        { "d.c", 0, 0, "error", "undefined reference to 'baz'" },
        COLLECT2
    };

    static const expect_t  gold_g[] = {
        { "/tmp/diagsamp/d.c", 3, 0, "error", "undefined reference to 'bar'" },
        { "/tmp/diagsamp/d.c", 4, 0, "error", "undefined reference to 'baz'" },
        COLLECT2
    };

    RUN(ld_undef, undef);
    RUN(ld_undef_g, undef_g);
    RUN(ld_many, many);
    RUN(ld_many_g, many_g);
    RUN(ld_multi, multi);
    RUN(ld_multi_g, multi_g);
    RUN(ld_lib, lib);
    RUN(ld_data, data);
    RUN(ld_data_g, data_g);
    RUN(ld_reloc_g, reloc_g);
    RUN(ld_gets, gets);
    RUN(gold, gold);
    RUN(gold_g, gold_g);
}


static void
test_clang(void)
{
    /* Clang's source excerpts are not indented */

    static const expect_t  b[] = {
        { "./a.h", 1, 34, "error",
          "use of undeclared identifier 'undeclared_thing'" },
        { "b.c", 5, 5, "warning",
          "implicit declaration of function 'foo' is invalid in C99"
          " [-Wimplicit-function-declaration]" },
        { "b.c", 6, 15, "error", "expected expression" },
    };

    static const expect_t  fatal[] = {
        { "c.c", 2, 10, "fatal error", "'missing_header.h' file not found" },
    };

    static const expect_t  lld_undef[] = {
        { "d.c", 0, 0, "error", "undefined symbol: baz" },
        { "d.c", 0, 0, "error", "undefined symbol: bar" },
        CLANG_LINK
    };

    static const expect_t  lld_undef_g[] = {
        { "d.c", 4, 0, "error", "undefined symbol: baz" },
        { "d.c", 3, 0, "error", "undefined symbol: bar" },
        CLANG_LINK
    };

    static const expect_t  lld_dup[] = {
        { "m1.c", 0, 0, "error", "duplicate symbol: x" },
        CLANG_LINK
    };

    RUN(clang_b, b);
    RUN(clang_fatal, fatal);
    RUN(lld_undef, lld_undef);
    RUN(lld_undef_g, lld_undef_g);
    RUN(lld_dup, lld_dup);
}


/* the forms listed in the specification, and edge cases */

static void
test_synthetic(void)
{
    static const char  out_forms[] =
        "file.c:12:5: error: msg\n"
        "file.c:12: error: msg\n"
        "file.c:3:10: fatal error: foo.h: No such file or directory\n"
        "cc1: error: bad option\n"
        "cc1: warning: odd option\n"
        "In file included from x.h:2,\n"
        "                 from file.c:1:\n"
        "file.c: In function 'f':\n"
        "   12 |   foo();\n"
        "      |   ^~~\n"
        "/usr/bin/ld: /tmp/ccAbc.o: in function `handler':\n"
        "file.c:(.text+0x1f): undefined reference to `bar'\n"
        "file.c:12: undefined reference to `baz'\n"
        "file.c:12:(.text+0x1f): undefined reference to `qux'\n"
        "collect2: error: ld returned 1 exit status\n";

    static const expect_t  forms_e[] = {
        { "file.c", 12, 5, "error", "msg" },
        { "file.c", 12, 0, "error", "msg" },
        { "file.c", 3, 10, "fatal error",
          "foo.h: No such file or directory" },
        { "cc1", 0, 0, "error", "bad option" },
        { "cc1", 0, 0, "warning", "odd option" },
        { "file.c", 0, 0, "error", "undefined reference to `bar'" },
        { "file.c", 12, 0, "error", "undefined reference to `baz'" },
        { "file.c", 12, 0, "error", "undefined reference to `qux'" },
        COLLECT2
    };

    /* unknown severities and lookalikes are ignored */

    static const char  out_ignored[] =
        "x.c:1:2: remark: not a known severity\n"
        "x.c:1:2: info: neither\n"
        "x.c:1:2: errors: plural\n"
        "x.c:1:2: Error: capitalised\n"
        "x.c:1:2:error: no space\n"
        "x.c:5: confused by earlier errors, bailing out\n"
        "x.c:7: some other text\n"
        "x.cc:10:5:   required from here\n"
        "cc1: all warnings being treated as errors\n"
        "compilation terminated.\n"
        "make: *** [Makefile:2: all] Error 1\n"
        "Some prose here: error: is not a location\n"
        ": error: no file\n"
        "1 warning and 2 errors generated.\n"
        "\n"
        "   12 | x.c:1:2: error: inside an excerpt\n"
        "\tx.c:1:2: error: indented\n"
        ">>> x.c:1:2: error: lld note\n";

    static const char  out_misc[] =
        "a.c:1:2: error: crlf line\r\n"
        "a.c:3:4: error:\r\n"
        "C:\\src\\a.c:5:6: warning: windows path\n"
        "dir with space/a.c:7: note: spaced path\n"
        "a.c:8:9: internal compiler error: Segmentation fault\n"
        "a.c:10:1: sorry, unimplemented: nested functions\n"
        "/usr/bin/ld: warning: a.o: missing .note.GNU-stack section\n"
        "/usr/bin/ld: final link failed: bad value\n"
        "x86_64-linux-gnu-ld.bfd: cannot find crt1.o\n"
        "libx.a(y.o):y.c:(.text+0x4): undefined reference to `z'\n"
        "b.c:11: undefined reference to `w'\n"
        "a.c:12:13: error: no newline at end";

    static const expect_t  misc_e[] = {
        { "a.c", 1, 2, "error", "crlf line" },
        { "a.c", 3, 4, "error", "" },
        { "C:\\src\\a.c", 5, 6, "warning", "windows path" },
        { "dir with space/a.c", 7, 0, "note", "spaced path" },
        { "a.c", 8, 9, "fatal error", "Segmentation fault" },
        { "a.c", 10, 1, "error", "nested functions" },
        { "/usr/bin/ld", 0, 0, "warning",
          "a.o: missing .note.GNU-stack section" },
        { "/usr/bin/ld", 0, 0, "error", "final link failed: bad value" },
        { "x86_64-linux-gnu-ld.bfd", 0, 0, "error", "cannot find crt1.o" },
        { "y.c", 0, 0, "error", "undefined reference to `z'" },
        { "b.c", 11, 0, "error", "undefined reference to `w'" },
        { "a.c", 12, 13, "error", "no newline at end" },
    };

    size_t           n;
    ngx_cweb_diag_t  d[4];

    RUN(forms, forms_e);
    run("ignored", out_ignored, NULL, 0);
    RUN(misc, misc_e);

    /* "file:line: msg" outside an "in function" context is not trusted */

    CHECK(parse("file.c:12: relocation overflow\n", d, 4) == 0);

    /* the context ends at the first unrelated line */

    n = parse("/usr/bin/ld: a.o: in function `f':\n"
              "x\n"
              "file.c:12: relocation overflow\n", d, 4);
    CHECK(n == 0);

    n = parse("/usr/bin/ld: a.o: in function `f':\n"
              "file.c:12: relocation overflow\n", d, 4);
    CHECK(n == 1 && d[0].line == 12);

    /* limits and degenerate input */

    CHECK(parse(out_gcc_b, d, 2) == 2);
    CHECK(d[1].line == 1 && d[1].column == 34
          && strcmp(d[1].severity, "note") == 0);
    CHECK(parse(out_gcc_b, d, 0) == 0);
    CHECK(parse(out_gcc_b, NULL, 0) == 0);
    CHECK(parse("", d, 4) == 0);
    CHECK(ngx_cweb_diag_parse(NULL, 0, d, 4) == 0);

    /* the entry that fills the array still gets lld's ">>>" location */

    n = parse(out_lld_undef_g, d, 1);
    CHECK(n == 1 && same(d[0].file, d[0].file_len, "d.c")
          && d[0].line == 4);

    /* a length shorter than the buffer is honoured */

    n = ngx_cweb_diag_parse(U("a.c:1:2: error: abcdef"),
                            strlen("a.c:1:2: error: abc"), d, 4);
    CHECK(n == 1 && same(d[0].message, d[0].message_len, "abc"));
}


int
main(void)
{
    /*
     * line-buffered: the FAIL lines reach a pipe even when a sanitizer
     * ends the process, before exit() would flush stdout
     */
    setvbuf(stdout, NULL, _IOLBF, 0);

    test_gcc();
    test_ld();
    test_clang();
    test_synthetic();

    return check_report();
}
