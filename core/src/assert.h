/*
 * Internal invariants: checked in every build, whatever NDEBUG says.
 *
 * A failure prints the expression, the function and where it is, then aborts:
 *   assertion failed: EXPR in FUNCTION at FILE:LINE
 * Tools name the failure by file, function and expression (never by the line, which
 * any unrelated edit moves), e.g. assert:core/src/table.c:client_sessions_put:EXPR.
 */
#ifndef CS_ASSERT_H
#define CS_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

/* Out of line and cold, so that an assertion costs its hot caller one compare and one branch,
 * and the registers of the message's arguments only on the way to abort. */
static __attribute__((noreturn, cold, noinline, unused)) void
cs_assert_failed(const char *condition, const char *function, const char *file, int line) {
    fprintf(stderr, "assertion failed: %s in %s at %s:%d\n", condition, function, file, line);
    abort();
}

#define CS_ASSERT(cond)                                            \
    do {                                                           \
        if (__builtin_expect(!(cond), 0)) {                        \
            cs_assert_failed(#cond, __func__, __FILE__, __LINE__); \
        }                                                          \
    } while (0)

#endif
