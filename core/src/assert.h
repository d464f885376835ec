/* Internal invariants: checked in every build, whatever NDEBUG says. */
#ifndef CS_ASSERT_H
#define CS_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define CS_ASSERT(cond)                                                                    \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "assertion failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#endif
