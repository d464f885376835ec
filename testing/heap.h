/*
 * heap.h: counting (and failing) the allocations of the core.
 *
 * A program linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,
 * --wrap=aligned_alloc,--wrap=free and testing/heap_wrap.c (the meson dependency
 * testing_heap_dep) sends every allocation of its static objects, the core's included,
 * through the counters below. Counting is off until testing_heap_watch(): the simulator
 * watches only its calls into the core, while its own allocations pass straight through.
 * Without the wrap (a linker that lacks --wrap, the fuzz engine builds), nothing is
 * counted and testing_heap_wrapped() says so.
 */
#ifndef TESTING_HEAP_H
#define TESTING_HEAP_H

#include <stdbool.h>
#include <stdint.h>

enum { TESTING_HEAP_REQUESTS_LOGGED = 16 };

typedef struct testing_heap_state {
    bool watching;       /* counting on */
    uint64_t calls;      /* allocation calls since the last watch */
    uint64_t bytes;      /* bytes those calls asked for, failed ones included */
    uint64_t failed;     /* calls made to fail */
    int64_t live;        /* allocations taken minus pointers freed, while watching */
    uint64_t fail_at;    /* fail the fail_at-th call (1-based); 0: none */
    uint64_t fail_every; /* fail every fail_every-th call; 0: none */
    uint64_t fail_from;  /* fail every call from the fail_from-th on; 0: none */
    /* The bytes of the first TESTING_HEAP_REQUESTS_LOGGED calls since the last watch. */
    uint64_t requests[TESTING_HEAP_REQUESTS_LOGGED];
} testing_heap_state;

extern testing_heap_state testing_heap;

/* Resets calls, bytes and failed (not live), sets the failures (fail_from: none) and
 * turns counting on. */
void testing_heap_watch(uint64_t fail_at, uint64_t fail_every);
/* Turns counting off; the counters keep their values. */
void testing_heap_unwatch(void);
/* Whether this program's allocations reach the counters (one probe allocation). */
bool testing_heap_wrapped(void);

/* For heap_wrap.c: an allocation call of `bytes`; true when it must fail. */
bool testing_heap_call(uint64_t bytes);
/* For heap_wrap.c: what an allocation returned, and a pointer freed. */
void *testing_heap_took(void *pointer);
void testing_heap_freed(void *pointer);

#endif
