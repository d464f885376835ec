/*
 * Allocation failure and allocation discipline, through the linker: this test is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=free, so every
 * allocation the core makes goes through the counters below, and any one of them can be made
 * to fail.
 *
 * - init with the n-th allocation failing (every n), and with every k-th failing, returns
 *   CLIENT_SESSIONS_INIT_OUT_OF_MEMORY, leaves *table NULL and frees everything it took;
 * - a successful init followed by deinit frees exactly what it allocated;
 * - init requests exactly client_sessions_memory_size(clients_max) bytes (what a caller
 *   budgets memory by: the simulator's --memory-max);
 * - after init, nothing allocates: put, get, evictee, remove, encode, decode, reset.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"
#include "testing/check.h"
#include "testing/reply.h"

/* The wrapped allocator. */
void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *pointer, size_t size);
void *__real_aligned_alloc(size_t alignment, size_t size);
void __real_free(void *pointer);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *pointer, size_t size);
void *__wrap_aligned_alloc(size_t alignment, size_t size);
void __wrap_free(void *pointer);

typedef struct allocator_state {
    uint64_t calls;      /* allocation calls since the last reset */
    int64_t live;        /* allocations not yet freed */
    uint64_t fail_at;    /* fail the fail_at-th call (1-based); 0: none */
    uint64_t fail_every; /* fail every fail_every-th call; 0: none */
    uint64_t bytes;      /* bytes requested by the calls since the last reset */
    uint64_t failed;
} allocator_state;

static allocator_state allocator;

static void allocator_reset(uint64_t fail_at, uint64_t fail_every) {
    allocator.calls = 0;
    allocator.fail_at = fail_at;
    allocator.fail_every = fail_every;
    allocator.failed = 0;
    allocator.bytes = 0;
}

/* Counts the call; true when this one must fail. */
static bool allocator_call(void) {
    allocator.calls++;
    bool fail = allocator.calls == allocator.fail_at ||
                (allocator.fail_every != 0 && allocator.calls % allocator.fail_every == 0);
    allocator.failed += fail;
    return fail;
}

static void *counted(void *pointer) {
    if (pointer != NULL) allocator.live++;
    return pointer;
}

void *__wrap_malloc(size_t size) {
    allocator.bytes += size;
    return allocator_call() ? NULL : counted(__real_malloc(size));
}

void *__wrap_calloc(size_t count, size_t size) {
    allocator.bytes += (uint64_t)count * size;
    return allocator_call() ? NULL : counted(__real_calloc(count, size));
}

void *__wrap_aligned_alloc(size_t alignment, size_t size) {
    allocator.bytes += size;
    return allocator_call() ? NULL : counted(__real_aligned_alloc(alignment, size));
}

void *__wrap_realloc(void *pointer, size_t size) {
    allocator.bytes += size;
    if (allocator_call()) return NULL;
    void *result = __real_realloc(pointer, size);
    if (pointer == NULL && result != NULL) allocator.live++;
    return result;
}

void __wrap_free(void *pointer) {
    if (pointer != NULL) allocator.live--;
    __real_free(pointer);
}

/* How many allocation calls a successful init of clients_max makes. */
static uint64_t init_calls(uint32_t clients_max) {
    allocator_reset(0, 0);
    int64_t live_before = allocator.live;
    client_sessions *table = NULL;
    CHECK(client_sessions_init(&table, clients_max, 1) == CLIENT_SESSIONS_INIT_OK);
    uint64_t calls = allocator.calls;
    CHECK(allocator.live > live_before);
    CHECK_EQ_U64(allocator.bytes, client_sessions_memory_size(clients_max));
    client_sessions_deinit(table);
    CHECK_EQ_U64((uint64_t)allocator.live, (uint64_t)live_before); /* deinit frees it all */
    return calls;
}

static void test_each_failure(uint32_t clients_max) {
    uint64_t calls = init_calls(clients_max);
    CHECK(calls >= 1);
    for (uint64_t n = 1; n <= calls; n++) {
        int64_t live_before = allocator.live;
        allocator_reset(n, 0);
        static char not_a_table;
        client_sessions *table = (client_sessions *)(void *)&not_a_table; /* overwritten */
        client_sessions_init_status status = client_sessions_init(&table, clients_max, 7);
        CHECK_EQ_U64(status, CLIENT_SESSIONS_INIT_OUT_OF_MEMORY);
        CHECK(table == NULL);
        CHECK_EQ_U64(allocator.failed, 1);
        CHECK_EQ_U64((uint64_t)allocator.live, (uint64_t)live_before);
        if (status == CLIENT_SESSIONS_INIT_OK) client_sessions_deinit(table);
    }
    for (uint64_t every = 1; every <= calls; every++) {
        int64_t live_before = allocator.live;
        allocator_reset(0, every);
        client_sessions *table = NULL;
        client_sessions_init_status status = client_sessions_init(&table, clients_max, 9);
        bool failed = allocator.failed > 0;
        CHECK_EQ_U64(status, failed ? CLIENT_SESSIONS_INIT_OUT_OF_MEMORY : CLIENT_SESSIONS_INIT_OK);
        CHECK(failed == (table == NULL));
        if (table != NULL) client_sessions_deinit(table);
        CHECK_EQ_U64((uint64_t)allocator.live, (uint64_t)live_before);
    }
    /* Invalid capacities allocate nothing at all. */
    allocator_reset(0, 0);
    client_sessions *table = NULL;
    CHECK_EQ_U64(client_sessions_init(&table, 0, 1), CLIENT_SESSIONS_INIT_CLIENTS_MAX_INVALID);
    CHECK_EQ_U64(client_sessions_init(&table, CLIENT_SESSIONS_CLIENTS_MAX_LIMIT + 1, 1),
                 CLIENT_SESSIONS_INIT_CLIENTS_MAX_INVALID);
    CHECK(table == NULL);
    CHECK_EQ_U64(allocator.calls, 0);
}

/* After init every operation works in the memory init took. */
static void test_no_allocation_after_init(uint32_t clients_max) {
    client_sessions *table = NULL;
    client_sessions *other = NULL;
    allocator_reset(0, 0);
    CHECK(client_sessions_init(&table, clients_max, 3) == CLIENT_SESSIONS_INIT_OK);
    CHECK(client_sessions_init(&other, clients_max, 4) == CLIENT_SESSIONS_INIT_OK);
    uint64_t size = client_sessions_encode_size(clients_max);
    uint8_t *bytes = malloc((size_t)size);
    CHECK(bytes != NULL);
    if (table == NULL || other == NULL || bytes == NULL) return;
    allocator_reset(0, 1); /* from here on, any allocation fails (and is counted) */
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
    CHECK_EQ_U64(allocator.calls, 0);
    allocator_reset(0, 0);
    free(bytes);
    client_sessions_deinit(table);
    client_sessions_deinit(other);
}

int main(void) {
    int64_t live_at_start = allocator.live;
    const uint32_t sizes[] = {1, 2, 7, 64, 65, 4096, 4097, 65536};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        test_each_failure(sizes[i]);
        test_no_allocation_after_init(sizes[i]);
    }
    init_calls(CLIENT_SESSIONS_CLIENTS_MAX_LIMIT); /* the memory figure at the largest size */
    CHECK_EQ_U64(client_sessions_memory_size(0), 0);
    CHECK_EQ_U64(client_sessions_memory_size(CLIENT_SESSIONS_CLIENTS_MAX_LIMIT + 1), 0);
    CHECK_EQ_U64((uint64_t)allocator.live, (uint64_t)live_at_start);
    return testing_done("alloc");
}
