/* The check tally: see check.h. */
#include "testing/check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int testing_checks;
int testing_failures;

bool testing_check(bool ok, const char *file, int line, const char *what) {
    testing_checks++;
    if (!ok) {
        testing_failures++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    }
    return ok;
}

bool testing_check_eq(uint64_t a, uint64_t b, const char *file, int line, const char *a_text,
                      const char *b_text) {
    testing_checks++;
    if (a == b) return true;
    testing_failures++;
    fprintf(stderr, "%s:%d: %s == %s failed: %" PRIu64 " != %" PRIu64 "\n", file, line, a_text,
            b_text, a, b);
    return false;
}

int testing_done(const char *name) {
    printf("%s: %d checks, %d failed\n", name, testing_checks, testing_failures);
    return testing_failures == 0 ? 0 : 1;
}

const char *testing_data_dir(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        exit(2);
    }
    return argv[1];
}
