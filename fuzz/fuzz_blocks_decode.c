/*
 * fuzz_blocks_decode: vsr_trailer_read on untrusted blocks and reference.
 *
 * Input (fuzz_mutate.h): block size, clients_max and flags bytes, a trailer
 * reference, then the blocks; block k sits at address k + 1, each in its own
 * allocation of exactly the bytes the input has for it, so that AddressSanitizer
 * sees any read past a block. Checks:
 * - the reader's verdict matches the oracle of docs/FORMAT.md section 4 (oracle_trailer_read,
 *   testing/oracle.h): same acceptance, the same block named, a rule that block
 *   really breaks;
 * - what it accepts is the concatenation of the chain's bodies, and writing
 *   that trailer again (same addresses, cluster and release) gives byte-identical
 *   blocks and the same reference;
 * - the trailer read then goes through the whole decode check (fuzz_trailer.h).
 */
#include "fuzz_mutate.h"
#include "fuzz_trailer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

enum { BLOCKS_MAX = 64 };

typedef struct blocks {
    uint8_t *bytes[BLOCKS_MAX];
    size_t available[BLOCKS_MAX];
    size_t count;
    bool null_bytes;
} blocks;

static bool blocks_lookup(void *context, uint64_t address, const void **bytes, size_t *size) {
    const blocks *b = context;
    if (address == 0 || address > b->count) {
        *bytes = NULL;
        *size = 0;
        return b->null_bytes;
    }
    *bytes = b->bytes[address - 1];
    *size = b->available[address - 1];
    return true;
}

/* Writing the trailer again must give the same blocks, when they share cluster and release. */
static void check_rewrite(const vsr_trailer_reference *reference, uint32_t block_size,
                          const blocks *b, const uint64_t *chain, uint64_t count,
                          const uint8_t *trailer) {
    const uint8_t *last = b->bytes[chain[count - 1] - 1];
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *h = b->bytes[chain[i] - 1];
        if (memcmp(h + 80, last + 80, 16) != 0 || memcmp(h + 108, last + 108, 4) != 0) return;
    }
    uint8_t *written = calloc((size_t)count, block_size);
    FUZZ_CHECK(written != NULL, "out of memory");
    vsr_trailer_reference again;
    vsr_trailer_write(trailer, reference->size, block_size, testing_load_u128(last + 80),
                      (uint32_t)testing_load(last + 108, 4), chain, written, &again);
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *h = b->bytes[chain[i] - 1];
        size_t used = (size_t)testing_load(h + 96, 4);
        FUZZ_CHECK(memcmp(written + i * block_size, h, used) == 0,
                   "block %llu of an accepted trailer is not what the writer writes",
                   (unsigned long long)chain[i]);
    }
    FUZZ_CHECK(again.size == reference->size && again.checksum == reference->checksum &&
                   again.last_block_address == reference->last_block_address &&
                   again.last_block_checksum == reference->last_block_checksum,
               "the writer gives another reference for an accepted trailer");
    free(written);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < FUZZ_BLOCKS_PREFIX) return 0;
    uint32_t block_size = fuzz_blocks_block_size(data[0]);
    uint32_t stride = fuzz_blocks_stride(data[0]);
    uint32_t clients_max = fuzz_blocks_clients_max(data[1]);
    vsr_trailer_reference reference;
    fuzz_reference_load(data + FUZZ_BLOCKS_REFERENCE, &reference);

    blocks b;
    memset(&b, 0, sizeof(b));
    b.null_bytes = (data[2] & FUZZ_BLOCKS_FLAG_NULL_BYTES) != 0;
    b.count = fuzz_block_count_present(size, stride);
    if (b.count > BLOCKS_MAX) b.count = BLOCKS_MAX;
    for (size_t k = 0; k < b.count; k++) {
        b.available[k] = fuzz_block_available(size, stride, k);
        b.bytes[k] = malloc(b.available[k]);
        FUZZ_CHECK(b.bytes[k] != NULL, "out of memory");
        memcpy(b.bytes[k], data + FUZZ_BLOCKS_PREFIX + k * stride, b.available[k]);
    }
    uint64_t capacity = client_sessions_encode_size(clients_max);
    uint8_t *trailer = malloc((size_t)capacity);
    uint8_t *expected = malloc((size_t)capacity);
    FUZZ_CHECK(trailer != NULL && expected != NULL, "out of memory");

    vsr_error error =
        vsr_trailer_read(&reference, block_size, blocks_lookup, &b, trailer, capacity);
    uint64_t chain[BLOCKS_MAX];
    oracle_read_verdict verdict = oracle_trailer_read(&reference, block_size, blocks_lookup, &b,
                                                      expected, capacity, chain, BLOCKS_MAX);
    char text[96];
    vsr_error_format(error, text, sizeof(text));
    if (fuzz_verbose()) fprintf(stderr, "trailer read (block size %u): %s\n", block_size, text);
    FUZZ_CHECK(error.slot == VSR_SLOT_NONE, "the block reader names a slot: %s", text);
    FUZZ_CHECK(error.block_address == verdict.address, "reader says %s, the oracle block %llu",
               text, (unsigned long long)verdict.address);
    fuzz_check_verdict(error.code, verdict.rules, text);
    if (error.code == VSR_ERROR_OK) {
        FUZZ_CHECK(memcmp(trailer, expected, (size_t)reference.size) == 0,
                   "the trailer read is not the chain's bodies");
        check_rewrite(&reference, block_size, &b, chain, verdict.count, trailer);
        fuzz_check_trailer_decode(clients_max, trailer, (size_t)reference.size);
    }

    free(trailer);
    free(expected);
    for (size_t k = 0; k < b.count; k++) free(b.bytes[k]);
    return 0;
}

#ifndef FUZZ_NO_CUSTOM_MUTATOR /* defined to measure what the mutator adds */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    return fuzz_mutate_blocks(data, size, max_size, seed, LLVMFuzzerMutate);
}
#endif
