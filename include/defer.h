/*
 * defer.h - c-web-modules' defer: "defer { free(p); };" runs the block
 * when the enclosing scope is left (falling off its end, return, break,
 * goto), the latest defer first.  Not on longjmp() or a crash.  The block
 * sees the scope's variables as they are at that moment.
 *
 * Built on GCC's cleanup attribute with a nested function (a GNU C
 * extension the host's gcc compiles; clang does not).  The function is
 * only called directly, so no trampoline and no executable stack.
 */

#ifndef DEFER_H
#define DEFER_H

#define CWEB_DEFER_AT(fn, var)                                               \
    auto void fn(int *);                                                     \
    int var __attribute__((cleanup(fn), unused)) = 0;                        \
    void fn(int *cweb_defer_arg __attribute__((unused)))

#define CWEB_DEFER_NAMED(n)                                                  \
    CWEB_DEFER_AT(cweb_defer_fn_ ## n, cweb_defer_var_ ## n)

#define CWEB_DEFER(n)  CWEB_DEFER_NAMED(n)

#define defer  CWEB_DEFER(__COUNTER__)

#endif /* DEFER_H */
