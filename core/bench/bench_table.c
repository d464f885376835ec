/*
 * Table benchmarks: ns per operation at several capacities, the naive scan as the
 * baseline measured in the same run, and encode/decode throughput. JSON Lines on stdout.
 *
 * Reply headers for updates are not re-checksummed inside the timed loops: put does not
 * verify checksums (that is decode's job), so the loops time the table alone.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_sessions.h"
#include "testing/model.h"
#include "testing/random.h"
#include "testing/reply.h"

static double seconds_min = 0.2;
static int repeats = 3;
static volatile uint64_t sink;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void emit(const char *name, const char *impl, uint32_t clients_max, double value,
                 const char *unit) {
    printf("{\"name\":\"%s\",\"impl\":\"%s\",\"clients_max\":%" PRIu32
           ",\"value\":%.3f,\"unit\":\"%s\"}\n",
           name, impl, clients_max, value, unit);
    fflush(stdout);
}

typedef struct fixture {
    uint32_t clients_max;
    client_sessions *table;
    vsr_u128 *clients; /* clients[i] is in the table for every i */
    uint32_t *order;   /* a random permutation of 0..clients_max-1 */
    uint64_t commit;   /* the last commit handed out */
    uint64_t client_next;
    vsr_header_reply reply;
} fixture;

static vsr_u128 client_new(fixture *f) { return VSR_U128(0x5eed, ++f->client_next); }

static void fixture_init(fixture *f, uint32_t clients_max) {
    memset(f, 0, sizeof(*f));
    f->clients_max = clients_max;
    if (client_sessions_init(&f->table, clients_max, 42) != CLIENT_SESSIONS_INIT_OK) exit(1);
    f->clients = malloc(clients_max * sizeof(vsr_u128));
    f->order = malloc(clients_max * sizeof(uint32_t));
    uint64_t random = clients_max;
    for (uint32_t i = 0; i < clients_max; i++) f->order[i] = i;
    for (uint32_t i = clients_max; i-- > 1;) {
        uint32_t j = (uint32_t)(testing_random(&random) % (i + 1));
        uint32_t t = f->order[i];
        f->order[i] = f->order[j];
        f->order[j] = t;
    }
    f->reply = testing_reply(1, 1, 0);
    for (uint32_t i = 0; i < clients_max; i++) {
        f->clients[i] = client_new(f);
        f->reply.client = f->clients[i];
        f->reply.op = f->reply.commit = ++f->commit;
        client_sessions_put(f->table, f->commit, &f->reply);
    }
}

static void fixture_deinit(fixture *f) {
    client_sessions_deinit(f->table);
    free(f->clients);
    free(f->order);
}

/* Runs body over the permutation until seconds_min passes; best ns/op of `repeats`. */
#define MEASURE(f, result, body)                                     \
    do {                                                             \
        double best_ = 1e30;                                         \
        for (int r_ = 0; r_ < repeats; r_++) {                       \
            uint64_t ops_ = 0;                                       \
            double start_ = now(), elapsed_;                         \
            do {                                                     \
                for (uint32_t k_ = 0; k_ < (f)->clients_max; k_++) { \
                    uint32_t i = (f)->order[k_];                     \
                    body;                                            \
                }                                                    \
                ops_ += (f)->clients_max;                            \
                elapsed_ = now() - start_;                           \
            } while (elapsed_ < seconds_min);                        \
            double ns_ = elapsed_ * 1e9 / (double)ops_;              \
            if (ns_ < best_) best_ = ns_;                            \
        }                                                            \
        (result) = best_;                                            \
    } while (0)

enum { OPERATIONS = 6 };
static const char *const operation_names[OPERATIONS] = {
    "get", "put_update", "evictee", "evict_insert", "remove", "put_insert_after_remove"};

/* ns/op of each of operation_names, written to out. */
static void bench_operations(uint32_t clients_max, double out[OPERATIONS]) {
    fixture f;
    fixture_init(&f, clients_max);
    double ns;
    MEASURE(&f, ns, sink += client_sessions_slot_for_client(f.table, f.clients[i]));
    out[0] = ns;

    MEASURE(&f, ns, {
        client_sessions_entry entry;
        client_sessions_get(f.table, f.clients[i], &entry);
        f.reply.client = f.clients[i];
        f.reply.op = f.reply.commit = ++f.commit;
        client_sessions_put(f.table, entry.session, &f.reply);
    });
    out[1] = ns;

    MEASURE(&f, ns, sink += (uint64_t)client_sessions_evictee(f.table) + i);
    out[2] = ns;

    /* What a register on a full table does: evictee, remove, put a new client. */
    MEASURE(&f, ns, {
        vsr_u128 evictee = client_sessions_evictee(f.table);
        uint32_t slot = client_sessions_slot_for_client(f.table, evictee);
        client_sessions_remove(f.table, evictee);
        f.clients[slot] = client_new(&f);
        f.reply.client = f.clients[slot];
        f.reply.op = f.reply.commit = ++f.commit;
        client_sessions_put(f.table, f.commit, &f.reply);
        (void)i;
    });
    out[3] = ns;

    /* remove alone, then insert alone into the freed slots (put: insert after remove). */
    double remove_best = 1e30, insert_best = 1e30;
    uint32_t batch = clients_max < 4096 ? clients_max : 4096;
    for (int r = 0; r < repeats * 8; r++) {
        uint32_t offset = (uint32_t)(((uint64_t)r * batch) % clients_max);
        uint32_t count = clients_max - offset < batch ? clients_max - offset : batch;
        double start = now();
        for (uint32_t k = 0; k < count; k++) {
            client_sessions_remove(f.table, f.clients[f.order[offset + k]]);
        }
        double middle = now();
        for (uint32_t k = 0; k < count; k++) {
            uint32_t i = f.order[offset + k];
            f.clients[i] = client_new(&f);
            f.reply.client = f.clients[i];
            f.reply.op = f.reply.commit = ++f.commit;
            client_sessions_put(f.table, f.commit, &f.reply);
        }
        double end = now();
        double remove_ns = (middle - start) * 1e9 / count, insert_ns = (end - middle) * 1e9 / count;
        if (remove_ns < remove_best) remove_best = remove_ns;
        if (insert_ns < insert_best) insert_best = insert_ns;
    }
    out[4] = remove_best;
    out[5] = insert_best;
    for (int k = 0; k < OPERATIONS; k++)
        emit(operation_names[k], "core", clients_max, out[k], "ns/op");
    fixture_deinit(&f);
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
    f.order = malloc(clients_max * sizeof(uint32_t));
    for (uint32_t i = 0; i < clients_max; i++) f.order[i] = (i * 2654435761u) % clients_max;
    double ns;
    MEASURE(&f, ns, sink += model_slot_for_client(&n, VSR_U128(7, i + 1)));
    emit("get", "naive", clients_max, ns, "ns/op");
    double evictee_ns;
    MEASURE(&f, evictee_ns, sink += (uint64_t)model_evictee(&n) + i);
    emit("evictee", "naive", clients_max, evictee_ns, "ns/op");
    free(f.order);
    model_deinit(&n);
    return evictee_ns;
}

static double bench_evictee_ns(uint32_t clients_max) {
    fixture f;
    fixture_init(&f, clients_max);
    double ns;
    MEASURE(&f, ns, sink += (uint64_t)client_sessions_evictee(f.table) + i);
    fixture_deinit(&f);
    return ns;
}

/* Encode and fully validating decode of a full table, GB/s; decode against checksum. */
static void bench_codec(uint32_t clients_max) {
    fixture f;
    fixture_init(&f, clients_max);
    /* Valid checksums: decode verifies them. */
    client_sessions_reset(f.table);
    for (uint32_t i = 0; i < clients_max; i++) {
        vsr_header_reply reply = testing_reply(f.clients[i], i + 1, 0);
        client_sessions_put(f.table, i + 1, &reply);
    }
    uint64_t size = client_sessions_encode_size(clients_max);
    uint8_t *bytes = malloc(size);
    client_sessions *other = NULL;
    if (client_sessions_init(&other, clients_max, 7) != CLIENT_SESSIONS_INIT_OK) exit(1);
    double encode_best = 1e30, decode_best = 1e30, checksum_best = 1e30;
    for (int r = 0; r < repeats; r++) {
        for (int kind = 0; kind < 3; kind++) {
            uint64_t rounds = 0;
            double start = now(), elapsed;
            do {
                if (kind == 0) client_sessions_encode(f.table, bytes, size);
                if (kind == 1 && client_sessions_decode(other, bytes, size).code != VSR_ERROR_OK) {
                    fprintf(stderr, "bench: decode failed\n");
                    exit(1);
                }
                if (kind == 2) sink += (uint64_t)vsr_checksum(bytes, size);
                rounds++;
                elapsed = now() - start;
            } while (elapsed < seconds_min);
            double per = elapsed / (double)rounds;
            double *best = kind == 0 ? &encode_best : kind == 1 ? &decode_best : &checksum_best;
            if (per < *best) *best = per;
        }
    }
    emit("encode_throughput", "core", clients_max, (double)size / encode_best / 1e9, "GB/s");
    emit("decode_throughput", "core", clients_max, (double)size / decode_best / 1e9, "GB/s");
    emit("decode_ns_per_client", "core", clients_max, decode_best * 1e9 / clients_max, "ns");
    emit("checksum_throughput_same_bytes", "core", clients_max, (double)size / checksum_best / 1e9,
         "GB/s");
    emit("decode_vs_checksum", "core", clients_max, checksum_best / decode_best, "ratio");
    free(bytes);
    client_sessions_deinit(other);
    fixture_deinit(&f);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            seconds_min = 0.02;
            repeats = 1;
        } else {
            fprintf(stderr, "usage: bench_table [--quick]\n");
            return 2;
        }
    }
    const uint32_t capacities[] = {64, 4096, 65536, 1u << 20};
    enum { CAPACITIES = sizeof(capacities) / sizeof(capacities[0]) };
    double ns[CAPACITIES][OPERATIONS];
    for (size_t k = 0; k < CAPACITIES; k++) bench_operations(capacities[k], ns[k]);
    /* How the cost per operation grows from 64 clients to 2^20. */
    for (int k = 0; k < OPERATIONS; k++) {
        char name[64];
        snprintf(name, sizeof(name), "%s_cost_ratio_1048576_vs_64", operation_names[k]);
        emit(name, "core", 1u << 20, ns[CAPACITIES - 1][k] / ns[0][k], "ratio");
    }
    bench_naive(64);
    double scan = bench_naive(4096);
    emit("evictee_speedup_vs_scan", "core", 4096, scan / bench_evictee_ns(4096), "ratio");
    bench_codec(64);
    bench_codec(65536);
    return 0;
}
