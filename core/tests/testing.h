/* A few checks for the unit tests: count failures, report where, exit non-zero. */
#ifndef CS_TESTING_H
#define CS_TESTING_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int testing_failures;
static int testing_checks;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        testing_checks++;                                                            \
        if (!(cond)) {                                                               \
            testing_failures++;                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                    \
    do {                                                                                      \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                          \
        testing_checks++;                                                                     \
        if (check_a_ != check_b_) {                                                           \
            testing_failures++;                                                               \
            fprintf(stderr, "%s:%d: %s == %s failed: %" PRIu64 " != %" PRIu64 "\n", __FILE__, \
                    __LINE__, #a, #b, check_a_, check_b_);                                    \
        }                                                                                     \
    } while (0)

/* Ends main(): prints the tally and turns failures into the exit code. */
static inline int testing_done(const char *name) {
    printf("%s: %d checks, %d failed\n", name, testing_checks, testing_failures);
    return testing_failures == 0 ? 0 : 1;
}

/* splitmix64: a small seeded generator for test inputs. */
static inline uint64_t testing_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The directory holding test data, passed by meson as argv[1]. */
static inline const char *testing_data_dir(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        exit(2);
    }
    return argv[1];
}

#endif
