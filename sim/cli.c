/* cli.c: helpers shared by the command line and the benchmarks (see cli.h). */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

static bool digit_valid(char c, int base) {
    if (c >= '0' && c <= '9') return true;
    return base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
}

bool cli_parse_u64(const char *text, uint64_t *out) {
    if (text == NULL) return false;
    int base = 10;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
    }
    /* strtoull alone would accept spaces, signs and a second prefix. */
    if (*text == '\0') return false;
    for (const char *c = text; *c != '\0'; c++) {
        if (!digit_valid(*c, base)) return false;
    }
    errno = 0;
    unsigned long long value = strtoull(text, NULL, base);
    if (errno != 0) return false;
    *out = (uint64_t)value;
    return true;
}

uint64_t cli_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Every run allocates and frees the same large buffers: keep them in the process
 * instead of handing them back to the kernel, whose page faults took a third of a
 * sweep's time. Speed only; the allocator decides nothing in a run. */
void cli_allocator_tune(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's maximum on 64-bit hosts */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}
