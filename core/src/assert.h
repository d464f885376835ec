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

#define CS_ASSERT(cond)                                                                         \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "assertion failed: %s in %s at %s:%d\n", #cond, __func__, __FILE__, \
                    __LINE__);                                                                  \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

#endif
