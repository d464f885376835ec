/*
 * invariant.h: TESTING_ASSERT, the invariant check of the test code itself, on in
 * every build.
 *
 * A broken invariant inside the oracle, the model or a builder means their verdicts
 * can no longer be trusted, so the process aborts, as the core's and the simulator's
 * assertions do, printing "testing assertion failed: COND in FUNCTION at FILE:LINE"
 * (the form sweeps and repro name failures by). NDEBUG does not turn it off.
 */
#ifndef TESTING_INVARIANT_H
#define TESTING_INVARIANT_H

#include <stdio.h>
#include <stdlib.h>

#define TESTING_ASSERT(cond)                                                                  \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fflush(stdout);                                                                   \
            fprintf(stderr, "testing assertion failed: %s in %s at %s:%d\n", #cond, __func__, \
                    __FILE__, __LINE__);                                                      \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

#endif
