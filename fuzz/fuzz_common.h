/*
 * fuzz_common.h: what every fuzz target shares.
 *
 * FUZZ_CHECK is the targets' invariant check: a violated invariant is a bug in
 * the core, so it prints what broke and aborts, which every engine (libFuzzer,
 * AFL++, the replay driver) reports as a crash. Also the reader of a target's
 * input, and the check of a verdict against the oracles' rule sets.
 *
 * The oracles (docs/FORMAT.md restated byte by byte), the reply and trailer builder,
 * the reference model and the test generator are the test library's (testing/),
 * compiled into every target with the engine's flags, as the core is.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"
#include "testing/bytes.h"
#include "testing/oracle.h"
#include "testing/random.h"
#include "testing/reply.h"
#include "vsr.h"

__attribute__((noreturn, format(printf, 4, 5))) static inline void
fuzz_fail(const char *file, int line, const char *cond, const char *format, ...) {
    fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n  ", file, line, cond);
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

#define FUZZ_CHECK(cond, ...)                                           \
    do {                                                                \
        if (!(cond)) fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
    } while (0)

/* FUZZ_VERBOSE=1 in the environment: each target prints its verdict (reproducing, seeds). */
static inline bool fuzz_verbose(void) {
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("FUZZ_VERBOSE") != NULL;
    return verbose == 1;
}

/* Reads the input front to back; past the end every read is zero. */
typedef struct fuzz_reader {
    const uint8_t *data;
    size_t size;
    size_t offset;
} fuzz_reader;

static inline bool fuzz_reader_more(const fuzz_reader *reader) {
    return reader->offset < reader->size;
}

static inline uint64_t fuzz_read(fuzz_reader *reader, size_t width) {
    uint64_t value = 0;
    for (size_t i = 0; i < width; i++) {
        uint64_t byte = reader->offset < reader->size ? reader->data[reader->offset++] : 0;
        value |= byte << (8 * i);
    }
    return value;
}

/*
 * A validator's or decoder's answer agrees with the set of broken rules that an
 * oracle found (testing/oracle.h): valid exactly when none is broken, the checksum
 * reported first, else one of the broken rules.
 */
static inline void fuzz_check_verdict(vsr_error_code code, uint64_t rules, const char *what) {
    char why[160];
    FUZZ_CHECK(oracle_verdict_agrees(code, rules, why, sizeof(why)), "%s: %s", what, why);
}

#endif /* FUZZ_COMMON_H */
