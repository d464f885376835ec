/* cli.c: helpers shared by the command line and the benchmarks (see cli.h). */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <time.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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
