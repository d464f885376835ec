/*
 * bench_checksum: throughput of every checksum implementation, with XXH3-128 and memcpy
 * measured in the same run as yardsticks, as JSON Lines on stdout:
 *
 *   {"name":"checksum_throughput","impl":"aesni","size_bytes":65536,"value":21.3,"unit":"GB/s"}
 *   {"name":"checksum_header_240","impl":"aesni","value":24.1,"unit":"ns"}
 *   {"name":"checksum_vs_xxh3_128","impl":"aesni","size_bytes":65536,"value":1.3,"unit":"ratio"}
 *   {"name":"checksum_headers_batch","impl":"vaes256x2","headers":64,"value":12.0,"unit":"ns/header"}
 *   {"name":"checksum_headers_batch_vs_one_at_a_time","impl":"vaes256x2","value":0.54,...}
 *
 * checksum_headers_batch is decode's way of checksumming a group of 64 headers, on each path
 * this CPU has (cs_checksum_headers_with_path); every path is first checked against the
 * portable implementation.
 *
 *   {"name":"trailer_write","impl":"core","size_bytes":1047552,"block_size":4096,"value":61000,"unit":"ns"}
 *   {"name":"trailer_write","impl":"memcpy_checksum_same_bytes",...,"value":59000,"unit":"ns"}
 *   {"name":"trailer_write_vs_memcpy_checksum",...,"value":1.03,"unit":"ratio"}
 *
 *   {"name":"checksum_chunk","impl":"vaes256x2","size_bytes":3840,"value":2.1,"unit":"ns/32 bytes"}
 *   {"name":"checksum_chunk_vs_one_after_the_other","impl":"vaes256x2","size_bytes":3840,...}
 *
 * checksum_chunk is what the trailer writer does with each block's body (cs_checksum_chunk):
 * copy it into the block, checksum it and add it to the stream of the whole trailer, on each
 * path this CPU has, for the bodies of 512-, 4096- and 65536-byte blocks; every path is first
 * checked against the portable implementation.
 *
 * trailer_write is vsr_trailer_write of a trailer of 16 and of 3968 clients (264 bytes each)
 * into blocks of 512, 4096 and 65536 bytes; its yardstick, measured beside it, is a memcpy of
 * the trailer into the blocks' buffer plus one vsr_checksum of the trailer: moving the bytes
 * once and checksumming them once. The writer itself checksums every byte twice (its
 * block's body and the whole trailer) plus a header per block, and zeroes the last block's
 * tail.
 *
 * Each point repeats its loop until one run lasts at least 0.2 s (--quick: 0.02 s) and
 * keeps the best of 5 runs (--quick: 3): the best run is the one least disturbed by the
 * rest of the machine. XXH3 is compiled in only with -DHAVE_XXHASH.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aegis_internal.h"
#include "vsr.h"
#include "vsr_checksum_impl.h"

#ifdef HAVE_XXHASH
#include <xxhash.h>
#endif

enum {
    BUFFER_SIZE = 1024 * 1024,
    HEADER_CHECKSUMMED_SIZE = VSR_HEADER_SIZE - 16,
};

typedef vsr_u128 (*bench_fn)(const uint8_t *bytes, size_t size);

typedef struct bench_config {
    double run_seconds_min;
    unsigned runs;
} bench_config;

static uint8_t *bench_source;
static uint8_t *bench_destination;
/* Results land here so no call can be dropped as dead code. */
static volatile uint64_t bench_sink;

/* Tells the compiler the buffer may have changed, so no call can be hoisted out of a loop. */
static inline void clobber(const void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static vsr_u128 run_portable(const uint8_t *bytes, size_t size) {
    return vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE, bytes, size);
}

static vsr_u128 run_aesni(const uint8_t *bytes, size_t size) {
    return vsr_checksum_with(VSR_CHECKSUM_IMPL_AESNI, bytes, size);
}

static vsr_u128 run_armv8(const uint8_t *bytes, size_t size) {
    return vsr_checksum_with(VSR_CHECKSUM_IMPL_ARMV8, bytes, size);
}

/* What the rest of the library calls: the dispatch included. */
static vsr_u128 run_auto(const uint8_t *bytes, size_t size) { return vsr_checksum(bytes, size); }

static vsr_u128 run_memcpy(const uint8_t *bytes, size_t size) {
    memcpy(bench_destination, bytes, size);
    clobber(bench_destination);
    return bench_destination[size - 1];
}

#ifdef HAVE_XXHASH
static vsr_u128 run_xxh3_128(const uint8_t *bytes, size_t size) {
    XXH128_hash_t hash = XXH3_128bits(bytes, size);
    return VSR_U128(hash.high64, hash.low64);
}
#endif

typedef struct bench_impl {
    const char *name;
    bench_fn fn;
    vsr_checksum_impl impl; /* AUTO for the yardsticks, which need no CPU feature */
} bench_impl;

static const bench_impl bench_impls[] = {
    {"aesni", run_aesni, VSR_CHECKSUM_IMPL_AESNI},
    {"armv8", run_armv8, VSR_CHECKSUM_IMPL_ARMV8},
    {"portable", run_portable, VSR_CHECKSUM_IMPL_PORTABLE},
#ifdef HAVE_XXHASH
    {"xxh3_128", run_xxh3_128, VSR_CHECKSUM_IMPL_AUTO},
#endif
    {"memcpy", run_memcpy, VSR_CHECKSUM_IMPL_AUTO},
};
#define BENCH_IMPLS_COUNT (sizeof(bench_impls) / sizeof(bench_impls[0]))

static double time_loop(bench_fn fn, const uint8_t *bytes, size_t size, uint64_t iterations) {
    uint64_t sink = 0;
    double start = now_seconds();
    for (uint64_t i = 0; i < iterations; i++) {
        clobber(bytes);
        sink ^= (uint64_t)fn(bytes, size);
    }
    double elapsed = now_seconds() - start;
    bench_sink ^= sink;
    return elapsed;
}

/* Seconds per call: grows the loop until a run is long enough, then the best of the runs. */
static double seconds_per_call(const bench_config *config, bench_fn fn, const uint8_t *bytes,
                               size_t size) {
    uint64_t iterations = 1;
    for (;;) {
        double elapsed = time_loop(fn, bytes, size, iterations);
        if (elapsed >= config->run_seconds_min) {
            break;
        }
        /* Aim a little past the target, but grow at most 16x per step on a noisy start. */
        double scale = elapsed > 0 ? config->run_seconds_min / elapsed * 1.2 : 16.0;
        scale = scale < 2.0 ? 2.0 : scale > 16.0 ? 16.0 : scale;
        iterations = (uint64_t)((double)iterations * scale) + 1;
    }
    double best = time_loop(fn, bytes, size, iterations);
    for (unsigned run = 1; run < config->runs; run++) {
        double elapsed = time_loop(fn, bytes, size, iterations);
        best = elapsed < best ? elapsed : best;
    }
    return best / (double)iterations;
}

static void print_metric(const char *name, const char *impl, size_t size_bytes, double value,
                         const char *unit) {
    if (size_bytes > 0) {
        printf(
            "{\"name\":\"%s\",\"impl\":\"%s\",\"size_bytes\":%zu,\"value\":%.3f,\"unit\":\"%s\"}\n",
            name, impl, size_bytes, value, unit);
    } else {
        printf("{\"name\":\"%s\",\"impl\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"}\n", name, impl,
               value, unit);
    }
    fflush(stdout);
}

static bool impl_runs_here(const bench_impl *impl) {
    return impl->impl == VSR_CHECKSUM_IMPL_AUTO || vsr_checksum_impl_available(impl->impl);
}

/* Numbers from a wrong checksum are worthless: every implementation must agree first. */
static bool impls_agree(void) {
    const size_t sizes[] = {0, 1, 31, 32, 33, 240, 4096, 65536 + 7, BUFFER_SIZE};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        vsr_u128 expect = vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE, bench_source, sizes[s]);
        for (size_t i = 0; i < BENCH_IMPLS_COUNT; i++) {
            const bench_impl *impl = &bench_impls[i];
            if (impl->impl != VSR_CHECKSUM_IMPL_AUTO && impl_runs_here(impl) &&
                vsr_checksum_with(impl->impl, bench_source, sizes[s]) != expect) {
                fprintf(stderr, "bench_checksum: %s disagrees with portable at %zu bytes\n",
                        impl->name, sizes[s]);
                return false;
            }
        }
    }
    return true;
}

static void bench_throughput(const bench_config *config, double *selected_at_64k,
                             double *xxh3_at_64k) {
    const size_t sizes[] = {256, 4096, 65536, BUFFER_SIZE};
    vsr_checksum_impl selected = vsr_checksum_impl_selected();
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (size_t i = 0; i < BENCH_IMPLS_COUNT; i++) {
            const bench_impl *impl = &bench_impls[i];
            if (!impl_runs_here(impl)) {
                continue;
            }
            double seconds = seconds_per_call(config, impl->fn, bench_source, sizes[s]);
            double gb_per_s = (double)sizes[s] / seconds / 1e9;
            print_metric("checksum_throughput", impl->name, sizes[s], gb_per_s, "GB/s");
            if (sizes[s] == 65536 && impl->impl == selected) {
                *selected_at_64k = gb_per_s;
            }
            if (sizes[s] == 65536 && strcmp(impl->name, "xxh3_128") == 0) {
                *xxh3_at_64k = gb_per_s;
            }
        }
    }
}

/* The cost of one header checksum (bytes 16..256), the unit of a validating decode. */
static void bench_header(const bench_config *config) {
    const uint8_t *header = bench_source + 16;
    for (size_t i = 0; i < BENCH_IMPLS_COUNT; i++) {
        const bench_impl *impl = &bench_impls[i];
        if (!impl_runs_here(impl) || strcmp(impl->name, "memcpy") == 0) {
            continue;
        }
        double seconds = seconds_per_call(config, impl->fn, header, HEADER_CHECKSUMMED_SIZE);
        print_metric("checksum_header_240", impl->name, 0, seconds * 1e9, "ns");
    }
    double seconds = seconds_per_call(config, run_auto, header, HEADER_CHECKSUMMED_SIZE);
    print_metric("checksum_header_240", "auto", 0, seconds * 1e9, "ns");
}

enum { BATCH_HEADERS = 64 };

static cs_headers_path batch_path;
static const void *batch_headers[BATCH_HEADERS];
static vsr_u128 batch_out[BATCH_HEADERS];

/* One group of headers on batch_path; size is ignored (the group is fixed). */
static vsr_u128 run_headers_batch(const uint8_t *bytes, size_t size) {
    (void)bytes;
    (void)size;
    cs_checksum_headers_with_path(batch_path, batch_headers, BATCH_HEADERS, batch_out);
    clobber(batch_out);
    return batch_out[BATCH_HEADERS - 1];
}

/* ns per header of decode's batches on every path this CPU has, and each against the first. */
static bool bench_headers_batch(const bench_config *config) {
    for (size_t k = 0; k < BATCH_HEADERS; k++) {
        batch_headers[k] = bench_source + k * VSR_HEADER_SIZE;
    }
    double one_at_a_time = 0;
    for (int p = 0; p < CS_CHECKSUM_HEADERS_PATH_COUNT; p++) {
        batch_path = (cs_headers_path)p;
        if (!cs_checksum_headers_path_available(batch_path)) {
            continue;
        }
        run_headers_batch(NULL, 0);
        for (size_t k = 0; k < BATCH_HEADERS; k++) {
            vsr_u128 expect =
                vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE,
                                  (const uint8_t *)batch_headers[k] + 16, HEADER_CHECKSUMMED_SIZE);
            if (batch_out[k] != expect) {
                fprintf(stderr, "bench_checksum: header path %s disagrees with portable\n",
                        cs_checksum_headers_path_name(batch_path));
                return false;
            }
        }
        double ns = seconds_per_call(config, run_headers_batch, NULL, 0) * 1e9 / BATCH_HEADERS;
        const char *name = cs_checksum_headers_path_name(batch_path);
        printf("{\"name\":\"checksum_headers_batch\",\"impl\":\"%s\",\"headers\":%d,"
               "\"value\":%.3f,\"unit\":\"ns/header\"}\n",
               name, BATCH_HEADERS, ns);
        if (batch_path == CS_CHECKSUM_HEADERS_ONE_AT_A_TIME) {
            one_at_a_time = ns;
        } else if (one_at_a_time > 0) {
            print_metric("checksum_headers_batch_vs_one_at_a_time", name, 0, ns / one_at_a_time,
                         "ratio");
        }
    }
    fflush(stdout);
    return true;
}

static cs_chunk_path chunk_path;
static vsr_checksum_stream chunk_stream;

/* One chunk into bench_destination on chunk_path, the stream (a global: it stays live)
 * started afresh. */
static vsr_u128 run_chunk(const uint8_t *bytes, size_t size) {
    vsr_checksum_stream_init(&chunk_stream);
    vsr_u128 out =
        cs_checksum_chunk_with_path(chunk_path, &chunk_stream, bench_destination, bytes, size);
    clobber(bench_destination);
    return out;
}

/* ns per 32 bytes of a trailer chunk on every path this CPU has, and each against the first. */
static bool bench_chunk(const bench_config *config) {
    const size_t sizes[] = {256, 3840, 65280};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        double one_after_the_other = 0;
        for (int p = 0; p < CS_CHECKSUM_CHUNK_PATH_COUNT; p++) {
            chunk_path = (cs_chunk_path)p;
            if (!cs_checksum_chunk_path_available(chunk_path)) continue;
            const char *name = cs_checksum_chunk_path_name(chunk_path);
            vsr_u128 got = run_chunk(bench_source, sizes[s]);
            vsr_checksum_stream expect;
            vsr_checksum_stream_init_with(&expect, VSR_CHECKSUM_IMPL_PORTABLE);
            vsr_checksum_stream_add(&expect, bench_source, sizes[s]);
            if (got != vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE, bench_source, sizes[s]) ||
                vsr_checksum_stream_final(&chunk_stream) != vsr_checksum_stream_final(&expect) ||
                memcmp(bench_destination, bench_source, sizes[s]) != 0) {
                fprintf(stderr, "bench_checksum: chunk path %s disagrees with portable\n", name);
                return false;
            }
            double ns = seconds_per_call(config, run_chunk, bench_source, sizes[s]) * 1e9;
            double per_block = ns * 32 / (double)sizes[s];
            print_metric("checksum_chunk", name, sizes[s], per_block, "ns/32 bytes");
            if (chunk_path == CS_CHECKSUM_CHUNK_ONE_AFTER_THE_OTHER) {
                one_after_the_other = per_block;
            } else if (one_after_the_other > 0) {
                print_metric("checksum_chunk_vs_one_after_the_other", name, sizes[s],
                             per_block / one_after_the_other, "ratio");
            }
        }
    }
    return true;
}

/* The trailer, its blocks and their addresses for run_trailer_write and run_copy_checksum. */
static uint32_t trailer_block_size;
static uint8_t *trailer_blocks;
static uint64_t *trailer_addresses;

static vsr_u128 run_trailer_write(const uint8_t *bytes, size_t size) {
    vsr_trailer_reference reference;
    vsr_trailer_write(bytes, size, trailer_block_size, 42, 1, trailer_addresses, trailer_blocks,
                      &reference);
    clobber(trailer_blocks);
    return reference.checksum ^ reference.last_block_checksum;
}

static vsr_u128 run_copy_checksum(const uint8_t *bytes, size_t size) {
    memcpy(trailer_blocks, bytes, size);
    clobber(trailer_blocks);
    return vsr_checksum(bytes, size);
}

static void print_trailer_metric(const char *name, const char *impl, size_t size,
                                 uint32_t block_size, double value, const char *unit) {
    printf("{\"name\":\"%s\",\"impl\":\"%s\",\"size_bytes\":%zu,\"block_size\":%u,"
           "\"value\":%.3f,\"unit\":\"%s\"}\n",
           name, impl, size, block_size, value, unit);
    fflush(stdout);
}

/* vsr_trailer_write against a memcpy and a checksum of the same bytes (see the top). */
static bool bench_trailer_write(const bench_config *config) {
    const size_t sizes[] = {264 * 16, 264 * 3968};
    const uint32_t block_sizes[] = {512, 4096, 65536};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (size_t b = 0; b < sizeof(block_sizes) / sizeof(block_sizes[0]); b++) {
            size_t size = sizes[s];
            trailer_block_size = block_sizes[b];
            uint64_t count = vsr_trailer_block_count(size, trailer_block_size);
            trailer_blocks = aligned_alloc(64, count * trailer_block_size);
            trailer_addresses = malloc(count * sizeof(uint64_t));
            if (trailer_blocks == NULL || trailer_addresses == NULL) {
                fprintf(stderr, "bench_checksum: out of memory\n");
                return false;
            }
            for (uint64_t i = 0; i < count; i++) trailer_addresses[i] = 1 + 3 * i;
            if (run_trailer_write(bench_source, size) == 0) {
                fprintf(stderr, "bench_checksum: trailer_write gave a zero reference\n");
                return false;
            }
            double write = seconds_per_call(config, run_trailer_write, bench_source, size);
            double yardstick = seconds_per_call(config, run_copy_checksum, bench_source, size);
            print_trailer_metric("trailer_write", "core", size, trailer_block_size, write * 1e9,
                                 "ns");
            print_trailer_metric("trailer_write", "memcpy_checksum_same_bytes", size,
                                 trailer_block_size, yardstick * 1e9, "ns");
            print_trailer_metric("trailer_write_vs_memcpy_checksum", "core", size,
                                 trailer_block_size, write / yardstick, "ratio");
            free(trailer_blocks);
            free(trailer_addresses);
        }
    }
    return true;
}

int main(int argc, char **argv) {
    bench_config config = {.run_seconds_min = 0.2, .runs = 5};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            config = (bench_config){.run_seconds_min = 0.02, .runs = 3};
        } else {
            fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
            return 2;
        }
    }
    /* 64-byte alignment keeps cache-line splits out of the numbers. */
    bench_source = aligned_alloc(64, BUFFER_SIZE);
    bench_destination = aligned_alloc(64, BUFFER_SIZE);
    if (bench_source == NULL || bench_destination == NULL) {
        fprintf(stderr, "bench_checksum: out of memory\n");
        return 1;
    }
    uint64_t state = 0x243f6a8885a308d3u;
    for (size_t i = 0; i < BUFFER_SIZE; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        bench_source[i] = (uint8_t)(state >> 56);
    }
    memset(bench_destination, 0, BUFFER_SIZE);
    if (!impls_agree()) {
        return 1;
    }
    double selected_at_64k = 0, xxh3_at_64k = 0;
    bench_throughput(&config, &selected_at_64k, &xxh3_at_64k);
    bench_header(&config);
    if (!bench_headers_batch(&config)) {
        return 1;
    }
    if (!bench_chunk(&config) || !bench_trailer_write(&config)) {
        return 1;
    }
    if (xxh3_at_64k > 0 && selected_at_64k > 0) {
        const char *name = vsr_checksum_impl_name(vsr_checksum_impl_selected());
        print_metric("checksum_vs_xxh3_128", name, 65536, selected_at_64k / xxh3_at_64k, "ratio");
    }
    free(bench_source);
    free(bench_destination);
    return 0;
}
