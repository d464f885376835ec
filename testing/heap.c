/*
 * heap.c: the allocation counters of heap.h. The wrappers that feed them are in
 * heap_wrap.c, linked only where the linker's --wrap is given.
 */
#include "testing/heap.h"

#include <stdlib.h>

testing_heap_state testing_heap;

void testing_heap_watch(uint64_t fail_at, uint64_t fail_every) {
    testing_heap.watching = true;
    testing_heap.calls = 0;
    testing_heap.bytes = 0;
    testing_heap.failed = 0;
    testing_heap.fail_at = fail_at;
    testing_heap.fail_every = fail_every;
    testing_heap.fail_from = 0;
}

void testing_heap_unwatch(void) { testing_heap.watching = false; }

bool testing_heap_wrapped(void) {
    testing_heap_state saved = testing_heap;
    testing_heap_watch(0, 0);
    void *volatile probe = malloc(1); /* volatile: the call must happen */
    bool wrapped = testing_heap.calls == 1;
    free(probe);
    testing_heap = saved;
    return wrapped;
}

bool testing_heap_call(uint64_t bytes) {
    if (!testing_heap.watching) return false;
    if (testing_heap.calls < TESTING_HEAP_REQUESTS_LOGGED) {
        testing_heap.requests[testing_heap.calls] = bytes;
    }
    testing_heap.calls++;
    testing_heap.bytes += bytes;
    bool fail =
        testing_heap.calls == testing_heap.fail_at ||
        (testing_heap.fail_every != 0 && testing_heap.calls % testing_heap.fail_every == 0) ||
        (testing_heap.fail_from != 0 && testing_heap.calls >= testing_heap.fail_from);
    testing_heap.failed += fail;
    return fail;
}

void *testing_heap_took(void *pointer) {
    if (testing_heap.watching && pointer != NULL) testing_heap.live++;
    return pointer;
}

void testing_heap_freed(void *pointer) {
    if (testing_heap.watching && pointer != NULL) testing_heap.live--;
}
