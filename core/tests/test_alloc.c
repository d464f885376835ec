/*
 * Allocation failure and allocation discipline, through the linker: this test is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=free and the
 * counters of testing/heap.h, so every allocation the core makes is counted, and any one of
 * them can be made to fail.
 *
 * - init with the n-th allocation failing (every n), and with every k-th failing, returns
 *   CLIENT_SESSIONS_INIT_OUT_OF_MEMORY, leaves *table NULL and frees everything it took;
 * - a successful init followed by deinit frees exactly what it allocated;
 * - init requests exactly client_sessions_memory_size(clients_max) bytes (what a caller
 *   budgets memory by: the simulator's --memory-max);
 * - after init, nothing allocates: put, get, evictee, remove, encode, decode, reset;
 * - each request, and so client_sessions_memory_size, is what the layout of docs/DESIGN.md
 *   makes it, to the byte, for 1, 7, 64, 4096 and 2^20 clients.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"
#include "testing/check.h"
#include "testing/heap.h"
#include "testing/reply.h"

/* How many allocation calls a successful init of clients_max makes. */
static uint64_t init_calls(uint32_t clients_max) {
    testing_heap_watch(0, 0);
    int64_t live_before = testing_heap.live;
    client_sessions *table = NULL;
    CHECK(client_sessions_init(&table, clients_max, 1) == CLIENT_SESSIONS_INIT_OK);
    uint64_t calls = testing_heap.calls;
    CHECK(testing_heap.live > live_before);
    CHECK_EQ_U64(testing_heap.bytes, client_sessions_memory_size(clients_max));
    client_sessions_deinit(table);
    CHECK_EQ_U64((uint64_t)testing_heap.live, (uint64_t)live_before); /* deinit frees it all */
    return calls;
}

static void test_each_failure(uint32_t clients_max) {
    uint64_t calls = init_calls(clients_max);
    CHECK(calls >= 1);
    for (uint64_t n = 1; n <= calls; n++) {
        int64_t live_before = testing_heap.live;
        testing_heap_watch(n, 0);
        static char not_a_table;
        client_sessions *table = (client_sessions *)(void *)&not_a_table; /* overwritten */
        client_sessions_init_status status = client_sessions_init(&table, clients_max, 7);
        CHECK_EQ_U64(status, CLIENT_SESSIONS_INIT_OUT_OF_MEMORY);
        CHECK(table == NULL);
        CHECK_EQ_U64(testing_heap.failed, 1);
        CHECK_EQ_U64((uint64_t)testing_heap.live, (uint64_t)live_before);
        if (status == CLIENT_SESSIONS_INIT_OK) client_sessions_deinit(table);
    }
    for (uint64_t every = 1; every <= calls; every++) {
        int64_t live_before = testing_heap.live;
        testing_heap_watch(0, every);
        client_sessions *table = NULL;
        client_sessions_init_status status = client_sessions_init(&table, clients_max, 9);
        bool failed = testing_heap.failed > 0;
        CHECK_EQ_U64(status, failed ? CLIENT_SESSIONS_INIT_OUT_OF_MEMORY : CLIENT_SESSIONS_INIT_OK);
        CHECK(failed == (table == NULL));
        if (table != NULL) client_sessions_deinit(table);
        CHECK_EQ_U64((uint64_t)testing_heap.live, (uint64_t)live_before);
    }
    /* Invalid capacities allocate nothing at all. */
    testing_heap_watch(0, 0);
    client_sessions *table = NULL;
    CHECK_EQ_U64(client_sessions_init(&table, 0, 1), CLIENT_SESSIONS_INIT_CLIENTS_MAX_INVALID);
    CHECK_EQ_U64(client_sessions_init(&table, CLIENT_SESSIONS_CLIENTS_MAX_LIMIT + 1, 1),
                 CLIENT_SESSIONS_INIT_CLIENTS_MAX_INVALID);
    CHECK(table == NULL);
    CHECK_EQ_U64(testing_heap.calls, 0);
}

/* After init every operation works in the memory init took. */
static void test_no_allocation_after_init(uint32_t clients_max) {
    client_sessions *table = NULL;
    client_sessions *other = NULL;
    testing_heap_watch(0, 0);
    CHECK(client_sessions_init(&table, clients_max, 3) == CLIENT_SESSIONS_INIT_OK);
    CHECK(client_sessions_init(&other, clients_max, 4) == CLIENT_SESSIONS_INIT_OK);
    uint64_t size = client_sessions_encode_size(clients_max);
    uint8_t *bytes = malloc((size_t)size);
    CHECK(bytes != NULL);
    if (table == NULL || other == NULL || bytes == NULL) return;
    testing_heap_watch(0, 1); /* from here on, any allocation fails (and is counted) */
    uint64_t commit = 0;
    for (uint32_t round = 0; round < 3 * clients_max + 5; round++) {
        vsr_u128 client = VSR_U128(round / 3 + 1, round % 3 + 1);
        client_sessions_entry entry;
        if (client_sessions_get(table, client, &entry)) {
            vsr_header_reply reply = testing_reply(client, ++commit, round + 1);
            client_sessions_put(table, entry.session, &reply);
            continue;
        }
        if (client_sessions_count(table) == clients_max) {
            client_sessions_remove(table, client_sessions_evictee(table));
        }
        commit++;
        vsr_header_reply reply = testing_reply(client, commit, 0);
        client_sessions_put(table, commit, &reply);
        CHECK(client_sessions_slot_for_header(table, &reply) != VSR_SLOT_NONE);
    }
    client_sessions_encode(table, bytes, size);
    CHECK_EQ_U64(client_sessions_decode(other, bytes, size).code, VSR_ERROR_OK);
    CHECK_EQ_U64(client_sessions_count(other), client_sessions_count(table));
    bytes[0] ^= 1;
    CHECK(client_sessions_decode(other, bytes, size).code != VSR_ERROR_OK);
    client_sessions_reset(table);
    CHECK_EQ_U64(testing_heap.calls, 0);
    testing_heap_watch(0, 0);
    free(bytes);
    client_sessions_deinit(table);
    client_sessions_deinit(other);
}

/* The requests of init for n clients as docs/DESIGN.md lays the table out, in init's order:
 * the 128-byte table, n 256-byte headers, n 8-byte sessions, the index (24-byte entries, a
 * power of two at least 4n of them, at least 4, in whole 64-byte lines), n + 1 8-byte links,
 * 2n 8-byte words of decode scratch, and each level of the free-slot bitmaps (one bit per
 * slot, then per word, until one word). Returns how many. */
static uint32_t layout_requests(uint64_t n, uint64_t *requests, uint32_t max) {
    uint64_t entries = 4;
    while (entries < 4 * n) entries *= 2;
    uint64_t sizes[6] = {128, 256 * n, 8 * n, (entries * 24 + 63) / 64 * 64, 8 * (n + 1), 16 * n};
    uint32_t count = 0;
    for (uint32_t i = 0; i < 6 && count < max; i++) requests[count++] = sizes[i];
    uint64_t words = n;
    do {
        words = (words + 63) / 64;
        if (count < max) requests[count++] = 8 * words;
    } while (words > 1);
    return count;
}

static void test_layout(uint32_t clients_max) {
    uint64_t expected[TESTING_HEAP_REQUESTS_LOGGED];
    uint32_t count = layout_requests(clients_max, expected, TESTING_HEAP_REQUESTS_LOGGED);
    uint64_t total = 0;
    for (uint32_t i = 0; i < count; i++) total += expected[i];
    CHECK_EQ_U64(client_sessions_memory_size(clients_max), total);
    testing_heap_watch(0, 0);
    client_sessions *table = NULL;
    CHECK(client_sessions_init(&table, clients_max, 5) == CLIENT_SESSIONS_INIT_OK);
    testing_heap_unwatch();
    CHECK_EQ_U64(testing_heap.calls, count);
    for (uint32_t i = 0; i < count && i < testing_heap.calls; i++) {
        if (!CHECK_EQ_U64(testing_heap.requests[i], expected[i])) {
            fprintf(stderr, "clients_max %u: request %u\n", clients_max, i);
        }
    }
    testing_heap_watch(0, 0);
    if (table != NULL) client_sessions_deinit(table);
}

int main(void) {
    CHECK(testing_heap_wrapped());
    testing_heap_watch(0, 0);
    int64_t live_at_start = testing_heap.live;
    const uint32_t sizes[] = {1, 2, 7, 64, 65, 4096, 4097, 65536};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        test_each_failure(sizes[i]);
        test_no_allocation_after_init(sizes[i]);
    }
    init_calls(CLIENT_SESSIONS_CLIENTS_MAX_LIMIT); /* the memory figure at the largest size */
    const uint32_t layouts[] = {1, 7, 64, 4096, CLIENT_SESSIONS_CLIENTS_MAX_LIMIT};
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) test_layout(layouts[i]);
    /* The figures themselves, for whoever budgets memory by them. */
    CHECK_EQ_U64(client_sessions_memory_size(1), 560);
    CHECK_EQ_U64(client_sessions_memory_size(CLIENT_SESSIONS_CLIENTS_MAX_LIMIT), 402786480);
    CHECK_EQ_U64(client_sessions_memory_size(0), 0);
    CHECK_EQ_U64(client_sessions_memory_size(CLIENT_SESSIONS_CLIENTS_MAX_LIMIT + 1), 0);
    CHECK_EQ_U64((uint64_t)testing_heap.live, (uint64_t)live_at_start);
    return testing_done("alloc");
}
