/* check.h: the simulator tests' checks: count failures, say where, exit non-zero. */
#ifndef SIM_TESTS_CHECK_H
#define SIM_TESTS_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        check_count++;                                                               \
        if (!(cond)) {                                                               \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_EQ(a, b)                                                                        \
    do {                                                                                      \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                          \
        check_count++;                                                                        \
        if (check_a_ != check_b_) {                                                           \
            check_failures++;                                                                 \
            fprintf(stderr, "%s:%d: %s == %s failed: %" PRIu64 " != %" PRIu64 "\n", __FILE__, \
                    __LINE__, #a, #b, check_a_, check_b_);                                    \
        }                                                                                     \
    } while (0)

static inline int check_done(const char *name) {
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures == 0 ? 0 : 1;
}

#endif
