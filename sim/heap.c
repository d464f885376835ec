/*
 * heap.c: the core's memory, watched. Every table of a run is made and freed under the
 * allocation counters of testing/heap.h (the simulator is linked with the linker's
 * --wrap), and once per run init is made to fail at each of its allocations:
 *
 * - init asks for exactly client_sessions_memory_size(clients_max) bytes, the figure the
 *   simulator budgets --memory-max by, and keeps every allocation it makes;
 * - deinit frees every allocation init made;
 * - init with its k-th allocation failing, for every k, returns out of memory, leaves
 *   the table NULL and frees what it took;
 * - clients_max outside 1..CLIENT_SESSIONS_CLIENTS_MAX_LIMIT is refused before any
 *   allocation, and has no memory size; the limit itself is accepted (every allocation
 *   after the first is made to fail, so nothing large is taken);
 * - the memory size covers a reply header per client, and grows with clients_max.
 *
 * A build without the wrap (the fuzz engines' builds) counts nothing and skips these.
 */
#include "heap.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "testing/heap.h"

void sim_heap_init(sim_heap *heap, uint32_t clients_max) {
    memset(heap, 0, sizeof(*heap));
    heap->counted = testing_heap_wrapped();
    heap->clients_max = clients_max;
}

bool sim_heap_table_init(sim_heap *heap, client_sessions **out, uint64_t hash_seed) {
    uint32_t clients_max = heap->clients_max;
    if (!heap->counted) {
        return client_sessions_init(out, clients_max, hash_seed) == CLIENT_SESSIONS_INIT_OK;
    }
    int64_t live = testing_heap.live;
    testing_heap_watch(0, 0);
    client_sessions_init_status status = client_sessions_init(out, clients_max, hash_seed);
    testing_heap_unwatch();
    if (status != CLIENT_SESSIONS_INIT_OK) return false;
    sim_heap_record got = {
        .calls = testing_heap.calls, .bytes = testing_heap.bytes, .kept = testing_heap.live - live};
    const sim_heap_record *first = &heap->first;
    if (heap->tables == 0) {
        heap->first = got;
    } else if (!heap->other_differs && (got.calls != first->calls || got.bytes != first->bytes ||
                                        got.kept != first->kept)) {
        heap->other = got;
        heap->other_differs = true;
    }
    heap->tables++;
    return true;
}

bool sim_heap_table_deinit(const sim_heap *heap, client_sessions **table, bool check, uint64_t op,
                           sim_failure *failure) {
    if (*table == NULL) return true;
    check = check && heap->counted;
    int64_t live = testing_heap.live;
    if (check) testing_heap_watch(0, 0);
    client_sessions_deinit(*table);
    *table = NULL;
    if (!check) return true;
    testing_heap_unwatch();
    int64_t freed = live - testing_heap.live;
    if (freed != heap->first.kept) {
        return sim_fail(failure, "heap.deinit", op, -1,
                        "deinit freed %lld allocations of the %lld that init kept",
                        (long long)freed, (long long)heap->first.kept);
    }
    return true;
}

/* One init expected to fail before it allocates a table; `what` names the case. */
static bool check_failed_init(uint32_t clients_max, uint64_t fail_at, uint64_t fail_from,
                              client_sessions_init_status expected, uint64_t calls_max,
                              const char *what, sim_failure *failure) {
    static char not_a_table;
    client_sessions *table = (client_sessions *)(void *)&not_a_table; /* must be overwritten */
    int64_t live = testing_heap.live;
    testing_heap_watch(fail_at, 0);
    testing_heap.fail_from = fail_from;
    client_sessions_init_status status = client_sessions_init(&table, clients_max, 1);
    testing_heap_unwatch();
    uint64_t calls = testing_heap.calls;
    int64_t kept = testing_heap.live - live;
    if (status == CLIENT_SESSIONS_INIT_OK && table != NULL &&
        table != (client_sessions *)(void *)&not_a_table) {
        testing_heap_watch(0, 0);
        client_sessions_deinit(table);
        testing_heap_unwatch();
        kept = testing_heap.live - live;
    }
    if (status != expected) {
        return sim_fail(failure, "heap.init_status", 0, -1,
                        "init(clients_max %u) %s: status '%s', expected '%s'", clients_max, what,
                        client_sessions_init_status_text(status),
                        client_sessions_init_status_text(expected));
    }
    if (table != NULL) {
        return sim_fail(failure, "heap.init_status", 0, -1,
                        "init(clients_max %u) %s: returned '%s' without setting the table to NULL",
                        clients_max, what, client_sessions_init_status_text(status));
    }
    if (kept != 0) {
        return sim_fail(failure, "heap.init_leak", 0, -1,
                        "init(clients_max %u) %s: %lld allocations left behind", clients_max, what,
                        (long long)kept);
    }
    if (calls > calls_max) {
        return sim_fail(failure, "heap.init_calls", 0, -1,
                        "init(clients_max %u) %s: %" PRIu64 " allocation calls, at most %" PRIu64
                        " expected",
                        clients_max, what, calls, calls_max);
    }
    return true;
}

static bool check_memory_size(uint32_t clients_max, sim_failure *failure) {
    uint64_t size = client_sessions_memory_size(clients_max);
    uint64_t replies = (uint64_t)clients_max * sizeof(vsr_header_reply);
    bool valid = clients_max >= 1 && clients_max <= CLIENT_SESSIONS_CLIENTS_MAX_LIMIT;
    if (valid && size < replies) {
        return sim_fail(failure, "heap.memory_size", 0, -1,
                        "memory size of clients_max %u is %" PRIu64 " bytes, less than its %" PRIu64
                        " bytes of replies",
                        clients_max, size, replies);
    }
    if (!valid && size != 0) {
        return sim_fail(failure, "heap.memory_size", 0, -1,
                        "memory size of clients_max %u (out of range) is %" PRIu64 " bytes, not 0",
                        clients_max, size);
    }
    return true;
}

/* The figures of the run's first init: the bytes memory_size promises, every allocation
 * kept, and every later init the same. */
static bool check_first_init(const sim_heap *heap, sim_failure *failure) {
    uint32_t clients_max = heap->clients_max;
    const sim_heap_record *first = &heap->first;
    uint64_t size = client_sessions_memory_size(clients_max);
    if (first->bytes != size) {
        return sim_fail(failure, "heap.memory_size", 0, -1,
                        "init(clients_max %u) asked for %" PRIu64
                        " bytes, client_sessions_memory_size says %" PRIu64,
                        clients_max, first->bytes, size);
    }
    if (first->kept != (int64_t)first->calls) {
        return sim_fail(failure, "heap.init_kept", 0, -1,
                        "init(clients_max %u) made %" PRIu64 " allocation calls and kept %lld",
                        clients_max, first->calls, (long long)first->kept);
    }
    if (heap->other_differs) {
        const sim_heap_record *o = &heap->other;
        return sim_fail(failure, "heap.init_differs", 0, -1,
                        "two inits of clients_max %u differ: %" PRIu64 " calls, %" PRIu64
                        " bytes, %lld kept against %" PRIu64 ", %" PRIu64 ", %lld",
                        clients_max, first->calls, first->bytes, (long long)first->kept, o->calls,
                        o->bytes, (long long)o->kept);
    }
    return true;
}

bool sim_heap_check(const sim_heap *heap, sim_failure *failure) {
    if (!heap->counted) return true;
    if (!check_first_init(heap, failure)) return false;
    uint32_t clients_max = heap->clients_max;
    uint64_t calls = heap->first.calls;
    char what[64];
    for (uint64_t k = 1; k <= calls; k++) {
        snprintf(what, sizeof(what), "with allocation %" PRIu64 " of %" PRIu64 " failing", k,
                 calls);
        if (!check_failed_init(clients_max, k, 0, CLIENT_SESSIONS_INIT_OUT_OF_MEMORY, calls, what,
                               failure)) {
            return false;
        }
    }
    const uint32_t limit = CLIENT_SESSIONS_CLIENTS_MAX_LIMIT;
    const client_sessions_init_status invalid = CLIENT_SESSIONS_INIT_CLIENTS_MAX_INVALID;
    /* The limit, with every allocation after the first failing: nothing large is taken,
     * and the failure path walks the most free-slot levels there are. */
    if (!check_failed_init(0, 0, 0, invalid, 0, "", failure) ||
        !check_failed_init(limit + 1, 0, 0, invalid, 0, "", failure) ||
        !check_failed_init(limit, 0, 2, CLIENT_SESSIONS_INIT_OUT_OF_MEMORY, UINT64_MAX,
                           "with every allocation after the first failing", failure)) {
        return false;
    }
    const uint32_t sizes[] = {0, 1, clients_max, limit, limit + 1};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (!check_memory_size(sizes[i], failure)) return false;
    }
    uint64_t size = client_sessions_memory_size(clients_max);
    uint64_t next = clients_max < limit ? client_sessions_memory_size(clients_max + 1) : 0;
    if (clients_max < limit && next <= size) {
        return sim_fail(failure, "heap.memory_size", 0, -1,
                        "memory size of clients_max %u (%" PRIu64
                        " bytes) is not above that of %u (%" PRIu64 ")",
                        clients_max + 1, next, clients_max, size);
    }
    return true;
}
