/*
 * fuzz_blocks_decode: vsr_trailer_read on untrusted blocks and reference.
 *
 * Input (fuzz_mutate.h): block size, clients_max and flags bytes, a trailer
 * reference, then the blocks; block k sits at address k + 1, each in its own
 * allocation of exactly the bytes the input has for it, so that AddressSanitizer
 * sees any read past a block. Checks:
 * - the reader's verdict matches an oracle that restates FORMAT.md 4: same
 *   acceptance, the same block named, a rule that block really breaks;
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

/* What FORMAT.md 4 says of the input: ok, or the block and the rules it breaks. */
typedef struct blocks_verdict {
    uint64_t rules;
    uint64_t address;
    uint64_t addresses[BLOCKS_MAX]; /* the chain, first block first */
    uint64_t count;
} blocks_verdict;

static uint64_t block_rules(const uint8_t *h, size_t available, uint64_t address,
                            vsr_u128 checksum_expected, uint64_t body_size, bool first) {
    uint64_t rules = fuzz_block_violations(h);
    if (fuzz_load_u128(h) != checksum_expected) {
        rules |= FUZZ_RULE(VSR_ERROR_BLOCK_CHECKSUM_REFERENCE);
    }
    if (fuzz_load(h + 224, 8) != address) rules |= FUZZ_RULE(VSR_ERROR_BLOCK_ADDRESS_MISMATCH);
    uint64_t claimed = fuzz_load(h + 96, 4);
    if (claimed != VSR_HEADER_SIZE + body_size) {
        rules |= FUZZ_RULE(VSR_ERROR_BLOCK_BODY_SIZE);
    } else if (available < claimed) {
        rules |= FUZZ_RULE(VSR_ERROR_BLOCK_TRUNCATED);
    } else if (fuzz_load_u128(h + 32) != vsr_checksum(h + VSR_HEADER_SIZE, (size_t)body_size)) {
        rules |= FUZZ_RULE(VSR_ERROR_BLOCK_BODY_CHECKSUM);
    }
    bool points_back = fuzz_load(h + 160, 8) != 0;
    if (first ? points_back || !fuzz_all_zero(h + 128, 16) : !points_back) {
        rules |= FUZZ_RULE(VSR_ERROR_BLOCK_CHAIN);
    }
    return rules;
}

static blocks_verdict blocks_oracle(const vsr_trailer_reference *reference, uint32_t block_size,
                                    const blocks *b, uint8_t *trailer, uint64_t capacity) {
    blocks_verdict verdict = {0, 0, {0}, 0};
    if (!vsr_block_size_valid(block_size)) {
        verdict.rules = FUZZ_RULE(VSR_ERROR_BLOCK_SIZE_INVALID);
        return verdict;
    }
    if (reference->size == 0 || reference->size > capacity) {
        verdict.rules = FUZZ_RULE(VSR_ERROR_REFERENCE_SIZE);
        return verdict;
    }
    if (reference->last_block_address == 0) {
        verdict.rules = FUZZ_RULE(VSR_ERROR_REFERENCE_ADDRESS);
        return verdict;
    }
    uint64_t chunk_max = block_size - VSR_HEADER_SIZE;
    uint64_t count = (reference->size + chunk_max - 1) / chunk_max;
    FUZZ_CHECK(count <= BLOCKS_MAX, "chain of %llu blocks", (unsigned long long)count);
    verdict.count = count;
    uint64_t address = reference->last_block_address;
    vsr_u128 checksum_expected = reference->last_block_checksum;
    for (uint64_t i = count; i-- > 0;) {
        verdict.address = address;
        if (address == 0 || address > b->count) {
            verdict.rules = FUZZ_RULE(VSR_ERROR_BLOCK_MISSING);
            return verdict;
        }
        const uint8_t *h = b->bytes[address - 1];
        size_t available = b->available[address - 1];
        if (available < VSR_HEADER_SIZE) {
            verdict.rules = FUZZ_RULE(VSR_ERROR_BLOCK_TRUNCATED);
            return verdict;
        }
        uint64_t start = i * chunk_max;
        uint64_t body_size =
            reference->size - start < chunk_max ? reference->size - start : chunk_max;
        verdict.rules = block_rules(h, available, address, checksum_expected, body_size, i == 0);
        if (verdict.rules != 0) return verdict;
        memcpy(trailer + start, h + VSR_HEADER_SIZE, (size_t)body_size);
        verdict.addresses[i] = address;
        address = fuzz_load(h + 160, 8);
        checksum_expected = fuzz_load_u128(h + 128);
    }
    verdict.address = 0;
    if (vsr_checksum(trailer, (size_t)reference->size) != reference->checksum) {
        verdict.rules = FUZZ_RULE(VSR_ERROR_TRAILER_CHECKSUM);
    }
    return verdict;
}

/* Writing the trailer again must give the same blocks, when they share cluster and release. */
static void check_rewrite(const vsr_trailer_reference *reference, uint32_t block_size,
                          const blocks *b, const blocks_verdict *verdict, const uint8_t *trailer) {
    const uint8_t *last = b->bytes[verdict->addresses[verdict->count - 1] - 1];
    for (uint64_t i = 0; i < verdict->count; i++) {
        const uint8_t *h = b->bytes[verdict->addresses[i] - 1];
        if (memcmp(h + 80, last + 80, 16) != 0 || memcmp(h + 108, last + 108, 4) != 0) return;
    }
    uint8_t *written = calloc((size_t)verdict->count, block_size);
    FUZZ_CHECK(written != NULL, "out of memory");
    vsr_trailer_reference again;
    vsr_trailer_write(trailer, reference->size, block_size, fuzz_load_u128(last + 80),
                      (uint32_t)fuzz_load(last + 108, 4), verdict->addresses, written, &again);
    for (uint64_t i = 0; i < verdict->count; i++) {
        const uint8_t *h = b->bytes[verdict->addresses[i] - 1];
        size_t used = (size_t)fuzz_load(h + 96, 4);
        FUZZ_CHECK(memcmp(written + i * block_size, h, used) == 0,
                   "block %llu of an accepted trailer is not what the writer writes",
                   (unsigned long long)verdict->addresses[i]);
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
    blocks_verdict verdict = blocks_oracle(&reference, block_size, &b, expected, capacity);
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
        check_rewrite(&reference, block_size, &b, &verdict, trailer);
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
