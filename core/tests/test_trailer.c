/* Trailer blocks: round trips at many sizes, and every read rule of docs/FORMAT.md section 4. */
#include <stdlib.h>
#include <string.h>

#include "vsr.h"
#include "testing/check.h"
#include "testing/random.h"

enum { BLOCKS_MAX = 64 };

typedef struct storage {
    uint32_t block_size;
    uint64_t count;
    uint64_t addresses[BLOCKS_MAX];
    uint8_t *blocks;              /* count * block_size */
    size_t available[BLOCKS_MAX]; /* what lookup reports */
    bool missing[BLOCKS_MAX];
} storage;

static bool storage_lookup(void *context, uint64_t address, const void **bytes, size_t *size) {
    storage *s = context;
    for (uint64_t i = 0; i < s->count; i++) {
        if (s->addresses[i] == address && !s->missing[i]) {
            *bytes = s->blocks + i * s->block_size;
            *size = s->available[i];
            return true;
        }
    }
    return false;
}

static void storage_write(storage *s, const uint8_t *trailer, uint64_t size, uint32_t block_size,
                          vsr_trailer_reference *reference) {
    memset(s, 0, sizeof(*s));
    s->block_size = block_size;
    s->count = vsr_trailer_block_count(size, block_size);
    if (s->count == 0 || s->count > BLOCKS_MAX) abort();
    for (uint64_t i = 0; i < s->count; i++) {
        s->addresses[i] = 1000 + 7 * i; /* not contiguous: the chain must be followed */
        s->available[i] = block_size;
    }
    s->blocks = malloc(s->count * block_size);
    vsr_trailer_write(trailer, size, block_size, 42, 3, s->addresses, s->blocks, reference);
}

static vsr_header_block *storage_header(storage *s, uint64_t i) {
    return (vsr_header_block *)(void *)(s->blocks + i * s->block_size);
}

/* After block i's header changed: reseal it and every later block's back-pointer. */
static void storage_rechain(storage *s, uint64_t i, vsr_trailer_reference *reference) {
    for (uint64_t j = i; j < s->count; j++) {
        vsr_header_block *header = storage_header(s, j);
        if (j > i) header->previous_trailer_block_checksum = storage_header(s, j - 1)->checksum;
        vsr_header_set_checksum(header);
    }
    reference->last_block_checksum = storage_header(s, s->count - 1)->checksum;
}

static vsr_error storage_read(storage *s, const vsr_trailer_reference *reference, uint8_t *out,
                              uint64_t capacity) {
    return vsr_trailer_read(reference, s->block_size, storage_lookup, s, out, capacity);
}

static void test_round_trips(void) {
    uint32_t block_sizes[] = {512, 1024, 4096, 65536};
    uint64_t random = 17;
    for (size_t b = 0; b < sizeof(block_sizes) / sizeof(block_sizes[0]); b++) {
        uint32_t block_size = block_sizes[b];
        uint64_t chunk = block_size - 256;
        uint64_t sizes[] = {1, 264, 264 * 7, chunk - 1, chunk, chunk + 1, 2 * chunk, 264 * 64};
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            uint64_t size = sizes[k];
            if (vsr_trailer_block_count(size, block_size) > BLOCKS_MAX) continue;
            uint8_t *trailer = malloc(size), *back = malloc(size);
            for (uint64_t i = 0; i < size; i++) trailer[i] = (uint8_t)testing_random(&random);
            storage s;
            vsr_trailer_reference reference;
            storage_write(&s, trailer, size, block_size, &reference);
            CHECK_EQ(s.count, (size + chunk - 1) / chunk);
            CHECK_EQ(reference.size, size);
            CHECK_EQ(reference.last_block_address, s.addresses[s.count - 1]);
            CHECK(reference.checksum == vsr_checksum(trailer, size));
            vsr_error error = storage_read(&s, &reference, back, size);
            CHECK_EQ(error.code, VSR_ERROR_OK);
            CHECK(memcmp(trailer, back, size) == 0);
            /* Block 0 starts the chain; every block is a valid block header. */
            CHECK_EQ(storage_header(&s, 0)->previous_trailer_block_address, 0);
            for (uint64_t i = 0; i < s.count; i++) {
                CHECK_EQ(vsr_header_block_validate(storage_header(&s, i)), VSR_ERROR_OK);
            }
            free(s.blocks);
            free(trailer);
            free(back);
        }
    }
}

typedef enum target { LAST, MIDDLE, FIRST } target;

typedef struct read_case {
    const char *name;
    vsr_error_code expected;
    target where;
    void (*breaks)(storage *s, uint64_t i, vsr_trailer_reference *reference);
} read_case;

static void break_missing(storage *s, uint64_t i, vsr_trailer_reference *r) {
    (void)r;
    s->missing[i] = true;
}
static void break_truncated_header(storage *s, uint64_t i, vsr_trailer_reference *r) {
    (void)r;
    s->available[i] = 255;
}
static void break_truncated_body(storage *s, uint64_t i, vsr_trailer_reference *r) {
    (void)r;
    s->available[i] = storage_header(s, i)->size - 1u;
}
static void break_header_bit(storage *s, uint64_t i, vsr_trailer_reference *r) {
    (void)r;
    storage_header(s, i)->cluster ^= 4;
}
static void break_body_bit(storage *s, uint64_t i, vsr_trailer_reference *r) {
    (void)r;
    s->blocks[i * s->block_size + 300] ^= 1;
}
static void break_block_type(storage *s, uint64_t i, vsr_trailer_reference *r) {
    storage_header(s, i)->block_type = 3;
    storage_rechain(s, i, r);
}
static void break_command(storage *s, uint64_t i, vsr_trailer_reference *r) {
    storage_header(s, i)->command = VSR_COMMAND_REPLY;
    storage_rechain(s, i, r);
}
static void break_view(storage *s, uint64_t i, vsr_trailer_reference *r) {
    storage_header(s, i)->view = 2;
    storage_rechain(s, i, r);
}
static void break_address(storage *s, uint64_t i, vsr_trailer_reference *r) {
    storage_header(s, i)->address += 1;
    storage_rechain(s, i, r);
}
static void break_body_size(storage *s, uint64_t i, vsr_trailer_reference *r) {
    storage_header(s, i)->size -= 1;
    storage_rechain(s, i, r);
}
static void break_chain_first(storage *s, uint64_t i, vsr_trailer_reference *r) {
    storage_header(s, i)->previous_trailer_block_address = 5;
    storage_rechain(s, i, r);
}
static void break_chain_later(storage *s, uint64_t i, vsr_trailer_reference *r) {
    storage_header(s, i)->previous_trailer_block_address = 0;
    storage_rechain(s, i, r);
}
static void break_stale_checksum(storage *s, uint64_t i, vsr_trailer_reference *r) {
    (void)s;
    (void)i;
    r->last_block_checksum ^= 1;
}
static void break_trailer_checksum(storage *s, uint64_t i, vsr_trailer_reference *r) {
    (void)s;
    (void)i;
    r->checksum ^= VSR_U128(1, 0);
}
/* Body and its checksum both changed, consistently: only the whole-trailer checksum notices. */
static void break_body_resealed(storage *s, uint64_t i, vsr_trailer_reference *r) {
    vsr_header_block *header = storage_header(s, i);
    uint8_t *body = s->blocks + i * s->block_size + 256;
    body[0] ^= 0x80;
    vsr_header_set_checksum_body(header, body, header->size - 256u);
    storage_rechain(s, i, r);
}

static const read_case read_cases[] = {
    {"missing_last", VSR_ERROR_BLOCK_MISSING, LAST, break_missing},
    {"missing_middle", VSR_ERROR_BLOCK_MISSING, MIDDLE, break_missing},
    {"truncated_header", VSR_ERROR_BLOCK_TRUNCATED, MIDDLE, break_truncated_header},
    {"truncated_body", VSR_ERROR_BLOCK_TRUNCATED, FIRST, break_truncated_body},
    {"header_bit", VSR_ERROR_HEADER_CHECKSUM, MIDDLE, break_header_bit},
    {"body_bit", VSR_ERROR_BLOCK_BODY_CHECKSUM, FIRST, break_body_bit},
    {"block_type", VSR_ERROR_BLOCK_TYPE, MIDDLE, break_block_type},
    {"command", VSR_ERROR_HEADER_COMMAND, LAST, break_command},
    {"view", VSR_ERROR_BLOCK_VIEW, FIRST, break_view},
    {"address", VSR_ERROR_BLOCK_ADDRESS_MISMATCH, MIDDLE, break_address},
    {"body_size", VSR_ERROR_BLOCK_BODY_SIZE, MIDDLE, break_body_size},
    {"chain_first", VSR_ERROR_BLOCK_CHAIN, FIRST, break_chain_first},
    {"chain_later", VSR_ERROR_BLOCK_CHAIN, MIDDLE, break_chain_later},
    {"last_checksum", VSR_ERROR_BLOCK_CHECKSUM_REFERENCE, LAST, break_stale_checksum},
    {"trailer_checksum", VSR_ERROR_TRAILER_CHECKSUM, LAST, break_trailer_checksum},
    {"body_resealed", VSR_ERROR_TRAILER_CHECKSUM, MIDDLE, break_body_resealed},
};

static void test_read_rules(void) {
    enum { SIZE = 264 * 7, BLOCK_SIZE = 512 };
    uint8_t trailer[SIZE], back[SIZE];
    uint64_t random = 5;
    for (size_t i = 0; i < SIZE; i++) trailer[i] = (uint8_t)testing_random(&random);
    for (size_t k = 0; k < sizeof(read_cases) / sizeof(read_cases[0]); k++) {
        const read_case *rule = &read_cases[k];
        storage s;
        vsr_trailer_reference reference;
        storage_write(&s, trailer, SIZE, BLOCK_SIZE, &reference);
        CHECK(s.count >= 3);
        uint64_t index = rule->where == LAST ? s.count - 1 : rule->where == FIRST ? 0 : 1;
        rule->breaks(&s, index, &reference);
        vsr_error error = storage_read(&s, &reference, back, SIZE);
        bool names_block = rule->expected == VSR_ERROR_TRAILER_CHECKSUM ||
                           error.block_address == s.addresses[index];
        if (error.code != rule->expected || !names_block) {
            fprintf(stderr, "read rule %s: got %s at block %llu\n", rule->name,
                    vsr_error_name(error.code), (unsigned long long)error.block_address);
        }
        CHECK_EQ(error.code, rule->expected);
        CHECK(names_block);
        free(s.blocks);
    }
}

static void test_reference_rules(void) {
    uint8_t trailer[1000] = {1, 2, 3}, back[1000];
    storage s;
    vsr_trailer_reference reference;
    storage_write(&s, trailer, sizeof(trailer), 512, &reference);
    vsr_trailer_reference bad = reference;
    bad.size = 0;
    CHECK_EQ(storage_read(&s, &bad, back, sizeof(back)).code, VSR_ERROR_REFERENCE_SIZE);
    CHECK_EQ(storage_read(&s, &reference, back, 999).code, VSR_ERROR_REFERENCE_SIZE);
    bad = reference;
    bad.last_block_address = 0;
    CHECK_EQ(storage_read(&s, &bad, back, sizeof(back)).code, VSR_ERROR_REFERENCE_ADDRESS);
    /* A size the blocks do not add up to: the last body has the wrong length. */
    bad = reference;
    bad.size = sizeof(trailer) - 1;
    CHECK_EQ(storage_read(&s, &bad, back, sizeof(back)).code, VSR_ERROR_BLOCK_BODY_SIZE);
    uint32_t invalid_sizes[] = {0, 256, 511, 513, 1000, 2u << 20};
    for (size_t i = 0; i < sizeof(invalid_sizes) / sizeof(invalid_sizes[0]); i++) {
        CHECK(!vsr_block_size_valid(invalid_sizes[i]));
        vsr_error error =
            vsr_trailer_read(&reference, invalid_sizes[i], storage_lookup, &s, back, sizeof(back));
        CHECK_EQ(error.code, VSR_ERROR_BLOCK_SIZE_INVALID);
    }
    CHECK(vsr_block_size_valid(512) && vsr_block_size_valid(1u << 20));
    free(s.blocks);
}

int main(void) {
    test_round_trips();
    test_read_rules();
    test_reference_rules();
    return testing_done("trailer");
}
