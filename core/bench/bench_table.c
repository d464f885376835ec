/*
 * Table benchmarks: JSON Lines on stdout (one metric a line), progress on stderr.
 *
 * What each operation is, in ns per operation, best of `repeats` runs of at least
 * seconds_min each:
 *   get                      client_sessions_slot_for_client of a client in the table
 *   put_update               client_sessions_get of a client in the table, then
 *                            client_sessions_put of its next reply (a larger commit): what
 *                            every committed request costs. It includes the get.
 *   put_update_at            the same with client_sessions_put_at at the slot the get
 *                            returned: one lookup instead of two.
 *   evictee                  client_sessions_evictee of a full table
 *   evict_insert             a register on a full table: evictee, slot_for_client of the
 *                            evictee, remove, put of a new client
 *   remove                   client_sessions_remove of a client in the table
 *   put_insert_after_remove  client_sessions_put of a new client into the slots that the
 *                            removes just freed
 *   put_update_floor         a yardstick, not the table: the two lookups of a get and a
 *                            put (slot_for_client twice) and the stores of the reply (256
 *                            bytes) and session into arrays laid out as the slots. No
 *                            design of put_update can go below it; put_update_vs_floor
 *                            is what the table's own bookkeeping adds. The reply is
 *                            stored as the table stores it: 32 bytes at a time where the
 *                            CPU has AVX (header_copy_store says which).
 *   put_update_floor_one_lookup  the same with one lookup: the floor under put_update_at,
 *                            which takes the slot from the get (put_update_at_vs_floor_one_lookup).
 * and for the codec, encode of a full table (ns per table) and its fully validating decode
 * (ns per client), the commits of the table in shuffled slot order (every client updated
 * once, in random order, after all registered), so that decode really sorts them; beside
 * them, in the same loop, a memcpy of as many bytes (encode_vs_memcpy) and the checksum of
 * the encoding. Then a table filled to half its capacity, as a table is until its clients
 * outnumber its slots (the lowest slots taken, the rest free, so that free slots are encoded
 * as zeros): its encode (encode_half_full_vs_memcpy, against the same memcpy), its decode
 * and client_sessions_reset (ns per table; a table's reset is what a failed decode ends
 * with). The codec loops read the clock once per 8192 clients' worth of work or more,
 * as the operation loops do (one read, about 25 ns, per encode of 7 clients would be half of it).
 *
 * Clients are visited in a random permutation, their ids read from an array laid out in
 * that order: a request's client id is in the message at hand, so the table's memory is the
 * only memory an operation touches at random. Replies are not re-checksummed in the loops:
 * a release build's put does not verify them (the CS_VERIFY tier is off in release).
 *
 * The clock (about 25 ns a read here) is read once per 8192 operations or more, except
 * around remove and insert, which cannot be timed apart in long loops: those time a batch
 * of at least REMOVE_BATCH_MIN operations (over several tables of the same size when one
 * table has fewer clients), and the clock's own cost, measured at start, is subtracted.
 *
 * Yardsticks measured in the same run: the naive scan (get, evictee) and, over one 256 MiB
 * buffer (4 KiB pages, as the table's arrays), two ways of reading random cache lines: a
 * pointer chase through a random cyclic permutation of them (each load waits for the one
 * before: the latency of DRAM) and a gather of random lines in an order fixed beforehand
 * (independent loads that overlap in the memory system, as the lookups of independent
 * operations do: DRAM's throughput for random lines). The costs at 2^20 clients are stated
 * against both.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_sessions.h"
#include "testing/model.h"
#include "testing/random.h"
#include "testing/reply.h"

enum {
    OPS_PER_CLOCK_READ = 8192,
    REMOVE_BATCH_MIN = 64,
    REMOVE_BATCH_MAX = 4096,
    CACHE_LINE = 64,
};

/* Many short runs, the best kept: on a shared machine some runs go by without being
 * preempted, and a long run rarely does. */
static double seconds_min = 0.02;
static int repeats = 15;
static double timer_overhead_s;
static volatile uint64_t sink;

/*
 * The floors store the reply as the table does: where the CPU has AVX, the table copies a
 * header in eight 32-byte stores from a leaf function of its own (table.c), and so does this;
 * elsewhere both copy it as the compiler copies a struct.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FLOOR_COPY_WIDE 1
static __attribute__((noinline, target("avx"))) void floor_copy_wide(vsr_header_reply *to,
                                                                     const vsr_header_reply *from) {
    typedef uint8_t bytes32 __attribute__((vector_size(32), aligned(16)));
    const bytes32 *source = (const bytes32 *)(const void *)from;
    bytes32 *destination = (bytes32 *)(void *)to;
    for (unsigned i = 0; i < sizeof(*to) / sizeof(bytes32); i++) destination[i] = source[i];
}
#else
#define FLOOR_COPY_WIDE 0
#endif
static bool floor_wide;

static inline void floor_copy(vsr_header_reply *to, const vsr_header_reply *from) {
#if FLOOR_COPY_WIDE
    if (floor_wide) {
        floor_copy_wide(to, from);
        return;
    }
#endif
    memcpy(to, from, sizeof(*from));
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The smallest gap between two clock reads: what one timed section costs beyond its work. */
static double timer_overhead(void) {
    double best = 1.0;
    for (int i = 0; i < 100000; i++) {
        double a = now(), b = now();
        if (b - a < best) best = b - a;
    }
    return best;
}

static void *alloc_or_die(size_t size) {
    void *p = malloc(size);
    if (p == NULL) {
        fprintf(stderr, "bench_table: out of memory (%zu bytes)\n", size);
        exit(1);
    }
    return p;
}

/* One JSON line: name, impl, value, unit, then "key":number pairs (a NULL key ends them). */
static void emit(const char *name, const char *impl, double value, const char *unit, ...) {
    printf("{\"name\":\"%s\",\"impl\":\"%s\"", name, impl);
    va_list args;
    va_start(args, unit);
    for (const char *key = va_arg(args, const char *); key != NULL;
         key = va_arg(args, const char *)) {
        printf(",\"%s\":%" PRIu64, key, va_arg(args, uint64_t));
    }
    va_end(args);
    printf(",\"value\":%.3f,\"unit\":\"%s\"}\n", value, unit);
    fflush(stdout);
}

static void emit_at(const char *name, uint32_t clients_max, double value, const char *unit) {
    emit(name, "core", value, unit, "clients_max", (uint64_t)clients_max, (const char *)NULL);
}

typedef struct fixture {
    uint32_t clients_max;
    client_sessions *table;
    vsr_u128 *clients; /* clients[slot] is in the table, in that slot */
    uint32_t *order;   /* a random permutation of 0..clients_max-1 */
    vsr_u128 *keys;    /* clients in the order of the permutation */
    uint64_t commit;   /* the last commit handed out */
    uint64_t client_next;
    vsr_header_reply reply;
} fixture;

static vsr_u128 client_new(fixture *f) { return VSR_U128(0x5eed, ++f->client_next); }

static void fixture_init(fixture *f, uint32_t clients_max, uint64_t seed) {
    memset(f, 0, sizeof(*f));
    f->clients_max = clients_max;
    if (client_sessions_init(&f->table, clients_max, 42 + seed) != CLIENT_SESSIONS_INIT_OK) {
        fprintf(stderr, "bench_table: init of %u clients failed\n", clients_max);
        exit(1);
    }
    f->clients = alloc_or_die(clients_max * sizeof(vsr_u128));
    f->order = alloc_or_die(clients_max * sizeof(uint32_t));
    f->keys = alloc_or_die(clients_max * sizeof(vsr_u128));
    uint64_t random = clients_max + seed * 7919;
    for (uint32_t i = 0; i < clients_max; i++) f->order[i] = i;
    for (uint32_t i = clients_max; i-- > 1;) {
        uint32_t j = (uint32_t)(testing_random(&random) % (i + 1));
        uint32_t t = f->order[i];
        f->order[i] = f->order[j];
        f->order[j] = t;
    }
    f->client_next = seed << 32;
    f->reply = testing_reply(1, 1, 0);
    for (uint32_t i = 0; i < clients_max; i++) {
        f->clients[i] = client_new(f);
        f->reply.client = f->clients[i];
        f->reply.op = f->reply.commit = ++f->commit;
        client_sessions_put(f->table, f->commit, &f->reply);
    }
}

/* keys[k] = the client of slot order[k]. */
static void fixture_keys(fixture *f) {
    for (uint32_t k = 0; k < f->clients_max; k++) f->keys[k] = f->clients[f->order[k]];
}

static void fixture_deinit(fixture *f) {
    client_sessions_deinit(f->table);
    free(f->clients);
    free(f->order);
    free(f->keys);
}

/*
 * Runs body (with k, the position in the permutation) over the permutation again and again,
 * reading the clock once per OPS_PER_CLOCK_READ operations, until seconds_min passes; the
 * best ns/op of `repeats` such runs.
 */
#define MEASURE(f, result, body)                                      \
    do {                                                              \
        uint32_t passes_ = OPS_PER_CLOCK_READ / (f)->clients_max;     \
        if (passes_ == 0) passes_ = 1;                                \
        double best_ = 1e30;                                          \
        for (int r_ = 0; r_ < repeats; r_++) {                        \
            uint64_t ops_ = 0;                                        \
            double start_ = now(), elapsed_;                          \
            do {                                                      \
                for (uint32_t p_ = 0; p_ < passes_; p_++) {           \
                    for (uint32_t k = 0; k < (f)->clients_max; k++) { \
                        body;                                         \
                    }                                                 \
                }                                                     \
                ops_ += (uint64_t)passes_ * (f)->clients_max;         \
                elapsed_ = now() - start_;                            \
            } while (elapsed_ < seconds_min);                         \
            double ns_ = elapsed_ * 1e9 / (double)ops_;               \
            if (ns_ < best_) best_ = ns_;                             \
        }                                                             \
        (result) = best_;                                             \
    } while (0)

enum {
    GET,
    PUT_UPDATE,
    PUT_UPDATE_AT,
    EVICTEE,
    EVICT_INSERT,
    REMOVE,
    PUT_INSERT_AFTER_REMOVE,
    PUT_UPDATE_FLOOR,
    PUT_UPDATE_FLOOR_ONE_LOOKUP,
    OPERATIONS
};
static const char *const operation_names[OPERATIONS] = {"get",
                                                        "put_update",
                                                        "put_update_at",
                                                        "evictee",
                                                        "evict_insert",
                                                        "remove",
                                                        "put_insert_after_remove",
                                                        "put_update_floor",
                                                        "put_update_floor_one_lookup"};

/*
 * remove and put_insert_after_remove: batches of removes (clients in permutation order, their
 * ids gathered before the clock starts), then as many puts of new clients into the freed
 * slots, timed apart. Tables smaller than REMOVE_BATCH_MIN are worked on several at once,
 * one after the other within a batch, so that every timed section has enough operations.
 */
static void bench_remove_insert(uint32_t clients_max, double *remove_ns, double *insert_ns) {
    uint32_t tables = (REMOVE_BATCH_MIN + clients_max - 1) / clients_max;
    uint32_t batch = clients_max < REMOVE_BATCH_MAX ? clients_max : REMOVE_BATCH_MAX;
    fixture *f = alloc_or_die(tables * sizeof(fixture));
    for (uint32_t t = 0; t < tables; t++) fixture_init(&f[t], clients_max, t);
    double remove_best = 1e30, insert_best = 1e30;
    uint32_t offset = 0;
    for (int r = 0; r < repeats; r++) {
        double remove_total = 0, insert_total = 0, start = now();
        uint64_t ops = 0;
        do {
            uint32_t count = clients_max - offset < batch ? clients_max - offset : batch;
            for (uint32_t t = 0; t < tables; t++) {
                for (uint32_t k = 0; k < count; k++) {
                    f[t].keys[k] = f[t].clients[f[t].order[offset + k]];
                }
            }
            double before = now();
            for (uint32_t t = 0; t < tables; t++) {
                for (uint32_t k = 0; k < count; k++)
                    client_sessions_remove(f[t].table, f[t].keys[k]);
            }
            double middle = now();
            for (uint32_t t = 0; t < tables; t++) {
                fixture *g = &f[t];
                for (uint32_t k = 0; k < count; k++) {
                    g->reply.client = client_new(g);
                    g->reply.op = g->reply.commit = ++g->commit;
                    g->clients[client_sessions_put(g->table, g->commit, &g->reply)] =
                        g->reply.client;
                }
            }
            double after = now();
            remove_total += middle - before - timer_overhead_s;
            insert_total += after - middle - timer_overhead_s;
            ops += (uint64_t)count * tables;
            /* clients_max >= 1: parse_capacities takes 1 and up. */
            offset = (offset + count) % clients_max; // NOLINT(clang-analyzer-core.DivideZero)
        } while (now() - start < seconds_min);
        if (remove_total * 1e9 / (double)ops < remove_best)
            remove_best = remove_total * 1e9 / (double)ops;
        if (insert_total * 1e9 / (double)ops < insert_best)
            insert_best = insert_total * 1e9 / (double)ops;
    }
    /* The new clients took the slots the removes freed: clients[] still names every slot. */
    for (uint32_t t = 0; t < tables; t++) {
        for (uint32_t slot = 0; slot < clients_max; slot += 1 + clients_max / 64) {
            if (client_sessions_slot_for_client(f[t].table, f[t].clients[slot]) != slot) {
                fprintf(stderr, "bench_table: a new client did not take the slot just freed\n");
                exit(1);
            }
        }
        fixture_deinit(&f[t]);
    }
    free(f);
    *remove_ns = remove_best;
    *insert_ns = insert_best;
}

/* Half a second of puts and lookups before the first measurement: the first one measured
 * otherwise pays for the core's clock ramping up and for cold predictors. */
static void warm_up(void) {
    fixture f;
    fixture_init(&f, 64, 99);
    fixture_keys(&f);
    double start = now();
    while (now() - start < 25 * seconds_min) {
        for (uint32_t k = 0; k < f.clients_max; k++) {
            client_sessions_entry entry;
            client_sessions_get(f.table, f.keys[k], &entry);
            f.reply.client = f.keys[k];
            f.reply.op = f.reply.commit = ++f.commit;
            client_sessions_put(f.table, entry.session, &f.reply);
        }
    }
    fixture_deinit(&f);
}

/* ns/op of each of operation_names, written to out. */
static void bench_operations(uint32_t clients_max, double out[OPERATIONS]) {
    fprintf(stderr, "bench_table: operations at %u clients\n", clients_max);
    fixture f;
    fixture_init(&f, clients_max, 0);
    fixture_keys(&f);
    MEASURE(&f, out[GET], sink += client_sessions_slot_for_client(f.table, f.keys[k]));

    MEASURE(&f, out[PUT_UPDATE], {
        client_sessions_entry entry;
        client_sessions_get(f.table, f.keys[k], &entry);
        f.reply.client = f.keys[k];
        f.reply.op = f.reply.commit = ++f.commit;
        client_sessions_put(f.table, entry.session, &f.reply);
    });

    MEASURE(&f, out[PUT_UPDATE_AT], {
        client_sessions_entry entry;
        client_sessions_get(f.table, f.keys[k], &entry);
        f.reply.client = f.keys[k];
        f.reply.op = f.reply.commit = ++f.commit;
        client_sessions_put_at(f.table, entry.slot, entry.session, &f.reply);
    });

    /* The floor under put_update whatever the table's bookkeeping: the two lookups that a
     * get and a put make, and the stores of a 256-byte reply and an 8-byte session into
     * arrays of the table's slot layout, at the same slots in the same order. */
    vsr_header_reply *floor_headers = alloc_or_die(clients_max * sizeof(vsr_header_reply));
    uint64_t *floor_sessions = alloc_or_die(clients_max * sizeof(uint64_t));
    memset(floor_headers, 0, clients_max * sizeof(vsr_header_reply));
    memset(floor_sessions, 0, clients_max * sizeof(uint64_t));
    MEASURE(&f, out[PUT_UPDATE_FLOOR], {
        uint32_t slot = client_sessions_slot_for_client(f.table, f.keys[k]);
        uint32_t again = client_sessions_slot_for_client(f.table, f.keys[k]);
        f.reply.client = f.keys[k];
        f.reply.op = f.reply.commit = ++f.commit;
        floor_copy(&floor_headers[again], &f.reply);
        floor_sessions[slot] = f.commit;
    });
    MEASURE(&f, out[PUT_UPDATE_FLOOR_ONE_LOOKUP], {
        uint32_t slot = client_sessions_slot_for_client(f.table, f.keys[k]);
        f.reply.client = f.keys[k];
        f.reply.op = f.reply.commit = ++f.commit;
        floor_copy(&floor_headers[slot], &f.reply);
        floor_sessions[slot] = f.commit;
    });
    sink += floor_sessions[0] + floor_headers[clients_max - 1].commit;
    free(floor_headers);
    free(floor_sessions);

    MEASURE(&f, out[EVICTEE], sink += (uint64_t)client_sessions_evictee(f.table) + k);

    MEASURE(&f, out[EVICT_INSERT], {
        vsr_u128 evictee = client_sessions_evictee(f.table);
        uint32_t slot = client_sessions_slot_for_client(f.table, evictee);
        client_sessions_remove(f.table, evictee);
        f.clients[slot] = client_new(&f);
        f.reply.client = f.clients[slot];
        f.reply.op = f.reply.commit = ++f.commit;
        client_sessions_put(f.table, f.commit, &f.reply);
    });
    fixture_deinit(&f);

    bench_remove_insert(clients_max, &out[REMOVE], &out[PUT_INSERT_AFTER_REMOVE]);
    for (int k = 0; k < OPERATIONS; k++) {
        const char *impl = k == PUT_UPDATE_FLOOR              ? "two_lookups_and_stores"
                           : k == PUT_UPDATE_FLOOR_ONE_LOOKUP ? "one_lookup_and_stores"
                                                              : "core";
        emit(operation_names[k], impl, out[k], "ns/op", "clients_max", (uint64_t)clients_max,
             (const char *)NULL);
    }
}

/* The scan baseline: the same operations on arrays with linear search. */
static double bench_naive(uint32_t clients_max) {
    model n;
    if (clients_max == 0 || !model_init(&n, clients_max)) exit(1);
    vsr_header_reply reply = testing_reply(1, 1, 0);
    for (uint32_t i = 0; i < clients_max; i++) {
        reply.client = VSR_U128(7, i + 1);
        reply.op = reply.commit = i + 1;
        model_put(&n, i + 1, &reply);
    }
    fixture f = {.clients_max = clients_max};
    f.keys = alloc_or_die(clients_max * sizeof(vsr_u128));
    for (uint32_t i = 0; i < clients_max; i++) {
        f.keys[i] = VSR_U128(7, (i * 2654435761u) % clients_max + 1);
    }
    double ns;
    MEASURE(&f, ns, sink += model_slot_for_client(&n, f.keys[k]));
    emit("get", "naive", ns, "ns/op", "clients_max", (uint64_t)clients_max, (const char *)NULL);
    double evictee_ns;
    MEASURE(&f, evictee_ns, sink += (uint64_t)model_evictee(&n) + k);
    emit("evictee", "naive", evictee_ns, "ns/op", "clients_max", (uint64_t)clients_max,
         (const char *)NULL);
    free(f.keys);
    model_deinit(&n);
    return evictee_ns;
}

/* Encode and fully validating decode of a full table whose commits are shuffled in slot
 * order; decode against the checksum of the same bytes. */
static void bench_codec(uint32_t clients_max) {
    fprintf(stderr, "bench_table: codec at %u clients\n", clients_max);
    fixture f;
    fixture_init(&f, clients_max, 0);
    /* Valid checksums (decode verifies them); every client updated once, in random order. */
    client_sessions_reset(f.table);
    uint64_t commit = 0;
    for (uint32_t i = 0; i < clients_max; i++) {
        vsr_header_reply reply = testing_reply(f.clients[i], ++commit, 0);
        client_sessions_put(f.table, commit, &reply);
    }
    for (uint32_t k = 0; k < clients_max; k++) {
        uint32_t slot = f.order[k];
        vsr_header_reply reply = testing_reply(f.clients[slot], ++commit, 1);
        client_sessions_put(f.table, slot + 1, &reply);
    }
    uint64_t size = client_sessions_encode_size(clients_max);
    uint8_t *bytes = alloc_or_die(size);
    /* The memcpy yardstick copies the encoding from a buffer of its own into bytes. */
    uint8_t *copy_source = alloc_or_die(size);
    client_sessions_encode(f.table, copy_source, size);
    client_sessions *other = NULL;
    if (client_sessions_init(&other, clients_max, 7) != CLIENT_SESSIONS_INIT_OK) exit(1);
    /* A table holding the first half of the clients, in the lowest slots; and its trailer. */
    client_sessions *half = NULL;
    if (client_sessions_init(&half, clients_max, 9) != CLIENT_SESSIONS_INIT_OK) exit(1);
    for (uint32_t i = 0; i < clients_max / 2; i++) {
        vsr_header_reply reply = testing_reply(f.clients[i], i + 1, 0);
        client_sessions_put(half, i + 1, &reply);
    }
    uint8_t *half_bytes = alloc_or_die(size);
    client_sessions_encode(half, half_bytes, size);
    client_sessions *half_other = NULL;
    if (client_sessions_init(&half_other, clients_max, 11) != CLIENT_SESSIONS_INIT_OK) exit(1);
    enum { ENCODE, DECODE, MEMCPY, CHECKSUM, HALF_ENCODE, HALF_DECODE, HALF_RESET, KINDS };
    double best[KINDS];
    for (int kind = 0; kind < KINDS; kind++) best[kind] = 1e30;
    /* The clock is read once per batch of rounds: at least OPS_PER_CLOCK_READ clients. */
    /* clients_max >= 1: parse_capacities takes 1 and up. */
    uint64_t batch = OPS_PER_CLOCK_READ / clients_max; // NOLINT(clang-analyzer-core.DivideZero)
    if (batch == 0) batch = 1;
    for (int r = 0; r < repeats; r++) {
        for (int kind = 0; kind < KINDS; kind++) {
            uint64_t rounds = 0;
            double start = now(), elapsed;
            do {
                for (uint64_t b = 0; b < batch; b++) {
                    if (kind == ENCODE) client_sessions_encode(f.table, bytes, size);
                    if (kind == DECODE &&
                        client_sessions_decode(other, bytes, size).code != VSR_ERROR_OK) {
                        fprintf(stderr, "bench_table: decode failed\n");
                        exit(1);
                    }
                    if (kind == MEMCPY) memcpy(bytes, copy_source, size);
                    if (kind == CHECKSUM) sink += (uint64_t)vsr_checksum(bytes, size);
                    if (kind == HALF_ENCODE) client_sessions_encode(half, bytes, size);
                    if (kind == HALF_DECODE &&
                        client_sessions_decode(half_other, half_bytes, size).code != VSR_ERROR_OK) {
                        fprintf(stderr, "bench_table: decode of the half-full table failed\n");
                        exit(1);
                    }
                    if (kind == HALF_RESET) {
                        /* What is reset is a decoded half-full table, every round. */
                        if (client_sessions_decode(half_other, half_bytes, size).code !=
                            VSR_ERROR_OK) {
                            exit(1);
                        }
                        client_sessions_reset(half_other);
                    }
                    /* The copies are read by nothing the compiler can see: keep them. */
                    __asm__ volatile("" : : "r"(bytes) : "memory");
                }
                rounds += batch;
                elapsed = now() - start;
            } while (elapsed < seconds_min);
            double per = elapsed / (double)rounds;
            if (per < best[kind]) best[kind] = per;
        }
    }
    client_sessions_encode(half, bytes, size);
    if (memcmp(bytes, half_bytes, size) != 0) {
        fprintf(stderr, "bench_table: the half-full table encodes differently\n");
        exit(1);
    }
    emit_at("encode_half_full_ns_per_table", clients_max, best[HALF_ENCODE] * 1e9, "ns");
    emit_at("encode_half_full_vs_memcpy", clients_max, best[HALF_ENCODE] / best[MEMCPY], "ratio");
    emit_at("decode_half_full_ns_per_table", clients_max, best[HALF_DECODE] * 1e9, "ns");
    /* The reset alone: the decode before it, timed on its own above, taken off. */
    double reset = best[HALF_RESET] - best[HALF_DECODE];
    emit_at("reset_half_full_ns_per_table", clients_max, (reset > 0 ? reset : 0) * 1e9, "ns");
    emit_at("decode_and_reset_half_full_ns_per_table", clients_max, best[HALF_RESET] * 1e9, "ns");
    free(half_bytes);
    client_sessions_deinit(half);
    client_sessions_deinit(half_other);
    double encode_best = best[ENCODE], decode_best = best[DECODE];
    double memcpy_best = best[MEMCPY], checksum_best = best[CHECKSUM];
    if (client_sessions_evictee(other) != client_sessions_evictee(f.table)) {
        fprintf(stderr, "bench_table: the decoded table evicts another client\n");
        exit(1);
    }
    emit_at("encode_ns_per_table", clients_max, encode_best * 1e9, "ns");
    emit("encode_ns_per_table", "memcpy_same_bytes", memcpy_best * 1e9, "ns", "clients_max",
         (uint64_t)clients_max, (const char *)NULL);
    emit_at("encode_vs_memcpy", clients_max, encode_best / memcpy_best, "ratio");
    emit_at("decode_ns_per_client", clients_max, decode_best * 1e9 / clients_max, "ns");
    emit_at("encode_throughput", clients_max, (double)size / encode_best / 1e9, "GB/s");
    emit_at("decode_throughput", clients_max, (double)size / decode_best / 1e9, "GB/s");
    emit_at("checksum_throughput_same_bytes", clients_max, (double)size / checksum_best / 1e9,
            "GB/s");
    emit_at("decode_vs_checksum", clients_max, checksum_best / decode_best, "ratio");
    free(bytes);
    free(copy_source);
    client_sessions_deinit(other);
    fixture_deinit(&f);
}

/* ns per load of a random cache line of a 256 MiB buffer (4 KiB pages), two ways: a pointer
 * chase over one random cycle through every line (Sattolo's shuffle), each load waiting for
 * the one before, so neither the caches nor the prefetchers can help (the latency); and a
 * gather of as many random lines whose indexes were drawn beforehand, no load waiting for
 * another (the throughput the memory system gives independent random reads). */
typedef struct dram_cost {
    double chase_ns;
    double gather_ns;
} dram_cost;

static dram_cost bench_dram_access(void) {
    enum { BYTES = 256u << 20, WORDS_PER_LINE = CACHE_LINE / sizeof(uint64_t) };
    fprintf(stderr, "bench_table: pointer chase and gather over %u MiB\n", BYTES >> 20);
    uint32_t lines = BYTES / CACHE_LINE;
    uint64_t *buffer = aligned_alloc(CACHE_LINE, BYTES);
    uint32_t *next = alloc_or_die(lines * sizeof(uint32_t));
    if (buffer == NULL) {
        fprintf(stderr, "bench_table: out of memory (%u bytes)\n", BYTES);
        exit(1);
    }
    for (uint32_t i = 0; i < lines; i++) next[i] = i;
    uint64_t random = 12345;
    for (uint32_t i = lines - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(testing_random(&random) % i);
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    memset(buffer, 0, BYTES);
    for (uint32_t i = 0; i < lines; i++) buffer[(size_t)i * WORDS_PER_LINE] = next[i];
    free(next);
    uint64_t steps = seconds_min < 0.01 ? 1u << 16 : 1u << 19;
    uint32_t *gather = alloc_or_die(steps * sizeof(uint32_t));
    for (uint64_t s = 0; s < steps; s++) gather[s] = (uint32_t)(testing_random(&random) % lines);
    dram_cost cost = {1e30, 1e30};
    uint64_t line = 0, sum = 0;
    for (int r = 0; r < repeats; r++) {
        double start = now();
        for (uint64_t s = 0; s < steps; s++) line = buffer[line * WORDS_PER_LINE];
        double middle = now();
        for (uint64_t s = 0; s < steps; s++) sum += buffer[(size_t)gather[s] * WORDS_PER_LINE];
        double end = now();
        double chase = (middle - start) * 1e9 / (double)steps;
        double gathered = (end - middle) * 1e9 / (double)steps;
        if (chase < cost.chase_ns) cost.chase_ns = chase;
        if (gathered < cost.gather_ns) cost.gather_ns = gathered;
    }
    sink += line + sum;
    free(gather);
    free(buffer);
    emit("dram_access", "pointer_chase", cost.chase_ns, "ns", "buffer_bytes", (uint64_t)BYTES,
         (const char *)NULL);
    emit("dram_access", "gather", cost.gather_ns, "ns", "buffer_bytes", (uint64_t)BYTES,
         (const char *)NULL);
    return cost;
}

static const char usage_text[] =
    "usage: bench_table [--quick] [--clients N[,N...]] [--skip PART[,PART...]]\n"
    "Table benchmarks as JSON Lines on stdout (definitions at the top of bench_table.c),\n"
    "progress on stderr.\n"
    "  --quick           short measurements (a smoke run; numbers are rough)\n"
    "  --clients LIST    capacities to measure (default 7,64,4096,65536,1048576)\n"
    "  --skip LIST       parts to leave out: ops, dram, naive, codec\n";

enum { CAPACITIES_MAX = 16 };

/* Parses "7,64,4096" into capacities; false on anything else. */
static bool parse_capacities(const char *text, uint32_t *capacities, size_t *count) {
    *count = 0;
    const char *p = text;
    for (;;) {
        char *end;
        unsigned long value = strtoul(p, &end, 10);
        if (end == p || value < 1 || value > CLIENT_SESSIONS_CLIENTS_MAX_LIMIT) return false;
        if (*count == CAPACITIES_MAX) return false;
        capacities[(*count)++] = (uint32_t)value;
        if (*end == '\0') return true;
        if (*end != ',') return false;
        p = end + 1;
    }
}

static bool skipped(const char *skip, const char *part) {
    size_t length = strlen(part);
    for (const char *p = skip; p != NULL && *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t item = comma == NULL ? strlen(p) : (size_t)(comma - p);
        if (item == length && strncmp(p, part, length) == 0) return true;
        p = comma == NULL ? NULL : comma + 1;
    }
    return false;
}

/* The ns/op measured at clients_max, or 0 when that size was not measured. */
static double measured(const uint32_t *capacities, size_t count, double ns[][OPERATIONS],
                       uint32_t clients_max, int operation) {
    for (size_t c = 0; c < count; c++) {
        if (capacities[c] == clients_max) return ns[c][operation];
    }
    return 0;
}

static void emit_ratio(const char *name, uint32_t clients_max, double numerator,
                       double denominator) {
    if (numerator > 0 && denominator > 0) {
        emit_at(name, clients_max, numerator / denominator, "ratio");
    }
}

int main(int argc, char **argv) {
    uint32_t capacities[CAPACITIES_MAX] = {7, 64, 4096, 65536, 1u << 20};
    size_t capacity_count = 5;
    const char *skip = "";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            seconds_min = 0.005;
            repeats = 2;
        } else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc) {
            if (!parse_capacities(argv[++i], capacities, &capacity_count)) {
                fprintf(stderr,
                        "bench_table: --clients takes numbers in 1..%u separated by "
                        "commas, not '%s'\n",
                        (unsigned)CLIENT_SESSIONS_CLIENTS_MAX_LIMIT, argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc) {
            skip = argv[++i];
            const char *parts[] = {"ops", "dram", "naive", "codec"};
            size_t known = 0;
            for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
                known += skipped(skip, parts[k]);
            }
            size_t items = 1;
            for (const char *p = skip; *p != '\0'; p++) items += *p == ',';
            if (known != items) {
                fprintf(stderr, "bench_table: --skip takes ops, dram, naive, codec, not '%s'\n",
                        skip);
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else {
            fprintf(stderr, "bench_table: unknown argument '%s'\n%s", argv[i], usage_text);
            return 2;
        }
    }
#if defined(CS_VERIFY_ENABLED) && CS_VERIFY_ENABLED
    /* The loops reuse one reply with a new commit and no new checksum, which put's verify
     * tier rejects; and a benchmark of a verify build would not measure what ships. */
    fprintf(stderr, "bench_table: built with the verify tier on; build with -Dverify=false "
                    "or --buildtype=release (scripts/bench does)\n");
    return 2;
#endif
#if FLOOR_COPY_WIDE
    floor_wide = __builtin_cpu_supports("avx");
#endif
    emit("header_copy_store", floor_wide ? "avx" : "struct_copy", floor_wide ? 32 : 16, "bytes",
         (const char *)NULL);
    timer_overhead_s = timer_overhead();
    emit("timer_overhead", "clock_gettime", timer_overhead_s * 1e9, "ns", (const char *)NULL);
    warm_up();

    double ns[CAPACITIES_MAX][OPERATIONS];
    memset(ns, 0, sizeof(ns));
    if (!skipped(skip, "ops")) {
        for (size_t c = 0; c < capacity_count; c++) bench_operations(capacities[c], ns[c]);
    }
    /* How the cost per operation grows from 64 clients to 2^20. */
    for (int k = 0; k < OPERATIONS; k++) {
        char name[64];
        snprintf(name, sizeof(name), "%s_cost_ratio_1048576_vs_64", operation_names[k]);
        emit_ratio(name, 1u << 20, measured(capacities, capacity_count, ns, 1u << 20, k),
                   measured(capacities, capacity_count, ns, 64, k));
    }
    /* The hot path against the lookup alone, and the lookup as the table outgrows L1. */
    const uint32_t proxy_sizes[] = {7, 64, 4096};
    for (size_t c = 0; c < sizeof(proxy_sizes) / sizeof(proxy_sizes[0]); c++) {
        uint32_t n = proxy_sizes[c];
        double get = measured(capacities, capacity_count, ns, n, GET);
        emit_ratio("put_update_vs_get", n, measured(capacities, capacity_count, ns, n, PUT_UPDATE),
                   get);
        emit_ratio("remove_vs_get", n, measured(capacities, capacity_count, ns, n, REMOVE), get);
        emit_ratio("put_update_floor_vs_get", n,
                   measured(capacities, capacity_count, ns, n, PUT_UPDATE_FLOOR), get);
        emit_ratio("put_update_vs_floor", n,
                   measured(capacities, capacity_count, ns, n, PUT_UPDATE),
                   measured(capacities, capacity_count, ns, n, PUT_UPDATE_FLOOR));
        emit_ratio("put_update_at_vs_floor", n,
                   measured(capacities, capacity_count, ns, n, PUT_UPDATE_AT),
                   measured(capacities, capacity_count, ns, n, PUT_UPDATE_FLOOR));
        emit_ratio("put_update_at_vs_floor_one_lookup", n,
                   measured(capacities, capacity_count, ns, n, PUT_UPDATE_AT),
                   measured(capacities, capacity_count, ns, n, PUT_UPDATE_FLOOR_ONE_LOOKUP));
    }
    emit_ratio("get_4096_vs_get_64", 4096, measured(capacities, capacity_count, ns, 4096, GET),
               measured(capacities, capacity_count, ns, 64, GET));

    if (!skipped(skip, "dram")) {
        dram_cost dram = bench_dram_access();
        uint32_t big = 1u << 20;
        /* Each operation at 2^20 clients against one dependent DRAM access (the chase) and
         * against one independent one (the gather). */
        const int big_operations[] = {GET, PUT_UPDATE, PUT_UPDATE_AT, REMOVE};
        for (size_t i = 0; i < sizeof(big_operations) / sizeof(big_operations[0]); i++) {
            int k = big_operations[i];
            double cost = measured(capacities, capacity_count, ns, big, k);
            char name[80];
            snprintf(name, sizeof(name), "%s_vs_dram_access", operation_names[k]);
            emit_ratio(name, big, cost, dram.chase_ns);
            snprintf(name, sizeof(name), "%s_vs_dram_gather", operation_names[k]);
            emit_ratio(name, big, cost, dram.gather_ns);
        }
    }

    if (!skipped(skip, "naive")) {
        bench_naive(64);
        double scan = bench_naive(4096);
        emit_ratio("evictee_speedup_vs_scan", 4096, scan,
                   measured(capacities, capacity_count, ns, 4096, EVICTEE));
    }

    if (!skipped(skip, "codec")) {
        for (size_t c = 0; c < capacity_count; c++) bench_codec(capacities[c]);
    }
    return 0;
}
