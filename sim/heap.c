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
#include <stdio.h>

#include "sim_internal.h"
#include "testing/heap.h"

static unsigned long long ull(uint64_t value) { return (unsigned long long)value; }

bool sim_table_init(sim *s, client_sessions **out, uint64_t hash_seed) {
    uint32_t clients_max = s->config.clients_max;
    if (!s->heap.counted) {
        return client_sessions_init(out, clients_max, hash_seed) == CLIENT_SESSIONS_INIT_OK;
    }
    int64_t live = testing_heap.live;
    testing_heap_watch(0, 0);
    client_sessions_init_status status = client_sessions_init(out, clients_max, hash_seed);
    testing_heap_unwatch();
    if (status != CLIENT_SESSIONS_INIT_OK) return false;
    sim_heap_record got = {
        .calls = testing_heap.calls, .bytes = testing_heap.bytes, .kept = testing_heap.live - live};
    const sim_heap_record *first = &s->heap.first;
    if (s->heap.tables == 0) {
        s->heap.first = got;
    } else if (!s->heap.other_differs && (got.calls != first->calls || got.bytes != first->bytes ||
                                          got.kept != first->kept)) {
        s->heap.other = got;
        s->heap.other_differs = true;
    }
    s->heap.tables++;
    return true;
}

void sim_table_deinit(sim *s, client_sessions **table) {
    if (*table == NULL) return;
    bool check = s->heap.counted && !s->failure.failed;
    int64_t live = testing_heap.live;
    if (check) testing_heap_watch(0, 0);
    client_sessions_deinit(*table);
    *table = NULL;
    if (!check) return;
    testing_heap_unwatch();
    int64_t freed = live - testing_heap.live;
    if (freed != s->heap.first.kept) {
        sim_fail(s, "heap.deinit", s->config.ops, -1,
                 "deinit freed %lld allocations of the %lld that init kept", (long long)freed,
                 (long long)s->heap.first.kept);
    }
}

/* One init expected to fail before it allocates a table; `what` names the case. */
static void check_failed_init(sim *s, uint32_t clients_max, uint64_t fail_at, uint64_t fail_from,
                              client_sessions_init_status expected, uint64_t calls_max,
                              const char *what) {
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
        sim_fail(s, "heap.init_status", 0, -1,
                 "init(clients_max %u) %s: status '%s', expected '%s'", clients_max, what,
                 client_sessions_init_status_text(status),
                 client_sessions_init_status_text(expected));
    } else if (table != NULL) {
        sim_fail(s, "heap.init_status", 0, -1,
                 "init(clients_max %u) %s: returned '%s' without setting the table to NULL",
                 clients_max, what, client_sessions_init_status_text(status));
    } else if (kept != 0) {
        sim_fail(s, "heap.init_leak", 0, -1,
                 "init(clients_max %u) %s: %lld allocations left behind", clients_max, what,
                 (long long)kept);
    } else if (calls > calls_max) {
        sim_fail(s, "heap.init_calls", 0, -1,
                 "init(clients_max %u) %s: %llu allocation calls, at most %llu expected",
                 clients_max, what, ull(calls), ull(calls_max));
    }
}

static void check_memory_size(sim *s, uint32_t clients_max) {
    uint64_t size = client_sessions_memory_size(clients_max);
    uint64_t replies = (uint64_t)clients_max * sizeof(vsr_header_reply);
    bool valid = clients_max >= 1 && clients_max <= CLIENT_SESSIONS_CLIENTS_MAX_LIMIT;
    if (valid && size < replies) {
        sim_fail(s, "heap.memory_size", 0, -1,
                 "memory size of clients_max %u is %llu bytes, less than its %llu bytes of replies",
                 clients_max, ull(size), ull(replies));
    } else if (!valid && size != 0) {
        sim_fail(s, "heap.memory_size", 0, -1,
                 "memory size of clients_max %u (out of range) is %llu bytes, not 0", clients_max,
                 ull(size));
    }
}

void sim_check_heap(sim *s) {
    if (!s->heap.counted || s->failure.failed) return;
    uint32_t clients_max = s->config.clients_max;
    const sim_heap_record *first = &s->heap.first;
    uint64_t size = client_sessions_memory_size(clients_max);
    if (first->bytes != size) {
        sim_fail(s, "heap.memory_size", 0, -1,
                 "init(clients_max %u) asked for %llu bytes, client_sessions_memory_size says "
                 "%llu",
                 clients_max, ull(first->bytes), ull(size));
        return;
    }
    if (first->kept != (int64_t)first->calls) {
        sim_fail(s, "heap.init_kept", 0, -1,
                 "init(clients_max %u) made %llu allocation calls and kept %lld", clients_max,
                 ull(first->calls), (long long)first->kept);
        return;
    }
    if (s->heap.other_differs) {
        const sim_heap_record *o = &s->heap.other;
        sim_fail(s, "heap.init_differs", 0, -1,
                 "two inits of clients_max %u differ: %llu calls, %llu bytes, %lld kept against "
                 "%llu, %llu, %lld",
                 clients_max, ull(first->calls), ull(first->bytes), (long long)first->kept,
                 ull(o->calls), ull(o->bytes), (long long)o->kept);
        return;
    }
    char what[48];
    for (uint64_t k = 1; k <= first->calls && !s->failure.failed; k++) {
        snprintf(what, sizeof(what), "with allocation %llu of %llu failing", ull(k),
                 ull(first->calls));
        check_failed_init(s, clients_max, k, 0, CLIENT_SESSIONS_INIT_OUT_OF_MEMORY, first->calls,
                          what);
    }
    const uint32_t limit = CLIENT_SESSIONS_CLIENTS_MAX_LIMIT;
    check_failed_init(s, 0, 0, 0, CLIENT_SESSIONS_INIT_CLIENTS_MAX_INVALID, 0, "");
    check_failed_init(s, limit + 1, 0, 0, CLIENT_SESSIONS_INIT_CLIENTS_MAX_INVALID, 0, "");
    /* The limit, with every allocation after the first failing: nothing large is taken,
     * and the failure path walks the most free-slot levels there are. */
    check_failed_init(s, limit, 0, 2, CLIENT_SESSIONS_INIT_OUT_OF_MEMORY, UINT64_MAX,
                      "with every allocation after the first failing");
    const uint32_t sizes[] = {0, 1, clients_max, limit, limit + 1};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) check_memory_size(s, sizes[i]);
    uint64_t next = clients_max < limit ? client_sessions_memory_size(clients_max + 1) : 0;
    if (clients_max < limit && next <= size) {
        sim_fail(s, "heap.memory_size", 0, -1,
                 "memory size of clients_max %u (%llu bytes) is not above that of %u (%llu)",
                 clients_max + 1, ull(next), clients_max, ull(size));
    }
}
