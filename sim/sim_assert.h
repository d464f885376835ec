/*
 * sim_assert.h: the simulator's own invariant check, on in every build.
 *
 * A broken invariant inside the simulator means its verdicts can no longer be
 * trusted, so it aborts (exit status 134) instead of reporting a check failure
 * (exit status 1), which is reserved for divergences found in the system under
 * test. NDEBUG does not turn it off: sweeps run release builds.
 *
 * It prints "sim assertion failed: EXPR in FUNCTION at FILE:LINE"; scripts/sweep and
 * scripts/repro name the failure assert:FILE:FUNCTION:EXPR, without the line.
 */
#ifndef SIM_ASSERT_H
#define SIM_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define SIM_ASSERT(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "sim assertion failed: %s in %s at %s:%d\n", #cond, __func__, \
                    __FILE__, __LINE__);                                                  \
            fflush(stdout);                                                               \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

#endif
