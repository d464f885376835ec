/*
 * The oracles and the builder, against the core. What the builder makes breaks no rule;
 * every header made from a valid one by changing one byte (resealed, or not) gets the
 * same verdict from the oracle and from the core's validators, trailers and blocks with
 * one defect the same verdict from the oracle and the decoder or reader; and each rule
 * is seen broken at least once, so that an oracle that finds nothing cannot pass.
 */
#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"
#include "testing/bytes.h"
#include "testing/check.h"
#include "testing/oracle.h"
#include "testing/random.h"
#include "testing/reply.h"

static uint64_t rules_seen;

static void agree(vsr_error_code code, uint64_t rules, const char *what, uint32_t at) {
    char why[160];
    if (!CHECK(oracle_verdict_agrees(code, rules, why, sizeof(why)))) {
        fprintf(stderr, "%s, byte %u: %s\n", what, at, why);
    }
    rules_seen |= rules;
}

static void test_builder(void) {
    for (uint64_t salt = 0; salt < 2000; salt++) {
        uint64_t state = salt;
        uint64_t commit = 1 + testing_random(&state) % 1000000;
        vsr_header_reply reply = testing_reply_salted(VSR_U128(salt, 1 + salt), commit,
                                                      (uint32_t)(salt % 3), testing_random(&state));
        CHECK_EQ(oracle_reply_rules((const uint8_t *)&reply), 0);
        CHECK_EQ(vsr_header_reply_validate(&reply), VSR_ERROR_OK);
    }
    static uint8_t trailer[264 * 40];
    client_sessions *table = NULL;
    CHECK(client_sessions_init(&table, 40, 3) == CLIENT_SESSIONS_INIT_OK);
    for (uint32_t fill = 0; fill <= 40; fill += 5) {
        testing_trailer(trailer, 40, fill, fill % 2 == 1, fill);
        oracle_trailer_verdict verdict = oracle_trailer(40, trailer, sizeof(trailer));
        CHECK_EQ(verdict.rules, 0);
        CHECK_EQ(verdict.count, fill);
        CHECK_EQ(client_sessions_decode(table, trailer, sizeof(trailer)).code, VSR_ERROR_OK);
        CHECK_EQ(client_sessions_count(table), fill);
    }
    client_sessions_deinit(table);
}

/* Each byte of a valid header set to a few values, resealed or not. */
static void test_headers(void) {
    vsr_header_reply valid_reply = testing_reply(VSR_U128(1, 2), 5, 1);
    uint8_t valid_block[VSR_HEADER_SIZE * 2];
    uint8_t body[VSR_HEADER_SIZE];
    memset(body, 7, sizeof(body));
    uint64_t address = 3;
    vsr_trailer_reference reference;
    vsr_trailer_write(body, sizeof(body), 512, 7, 1, &address, valid_block, &reference);
    /* The byte at `at` set to one of these, or the 8 or 16 aligned bytes around it zeroed
     * (a field == 0). */
    static const uint8_t values[] = {0, 1, 2, 8, 20, 0xff};
    enum { VARIANTS = sizeof(values) + 2 };
    for (int kind = 0; kind < 2; kind++) {
        const uint8_t *valid = kind == 0 ? (const uint8_t *)&valid_reply : valid_block;
        for (uint32_t at = 0; at < VSR_HEADER_SIZE; at++) {
            for (size_t v = 0; v < 2 * VARIANTS; v++) {
                vsr_header_reply h; /* both header kinds are 256 aligned bytes */
                memcpy(&h, valid, sizeof(h));
                uint8_t *bytes = (uint8_t *)&h;
                size_t variant = v % VARIANTS;
                if (variant < sizeof(values)) {
                    bytes[at] = values[variant];
                } else {
                    size_t width = variant == sizeof(values) ? 8 : 16;
                    memset(bytes + at / width * width, 0, width);
                }
                if (v >= VARIANTS && at >= 16) vsr_header_set_checksum(&h);
                if (kind == 0) {
                    agree(vsr_header_reply_validate(&h), oracle_reply_rules((uint8_t *)&h), "reply",
                          at);
                } else {
                    vsr_header_block b;
                    memcpy(&b, &h, sizeof(b));
                    agree(vsr_header_block_validate(&b), oracle_block_rules((uint8_t *)&b), "block",
                          at);
                }
            }
        }
    }
    for (int code = VSR_ERROR_HEADER_CHECKSUM; code <= VSR_ERROR_BLOCK_RESERVED; code++) {
        if (!CHECK(rules_seen & ORACLE_RULE(code))) {
            fprintf(stderr, "no header broke %s\n", vsr_error_name((vsr_error_code)code));
        }
    }
}

/* A valid trailer of 6 slots, 4 occupied, with one byte changed and its header resealed. */
static void test_trailers(void) {
    enum { SLOTS = 6, SIZE = 264 * SLOTS };
    uint8_t valid[SIZE], broken[SIZE];
    testing_trailer(valid, SLOTS, 4, true, 99);
    client_sessions *table = NULL;
    CHECK(client_sessions_init(&table, SLOTS, 5) == CLIENT_SESSIONS_INIT_OK);
    uint64_t state = 1;
    rules_seen = 0;
    for (uint32_t trial = 0; trial < 20000; trial++) {
        memcpy(broken, valid, SIZE);
        uint32_t at = testing_below(&state, SIZE);
        if (testing_below(&state, 4) == 0 && at < VSR_HEADER_SIZE * SLOTS) {
            /* Another slot's client or commit: the rules across slots. */
            uint32_t from = testing_below(&state, SLOTS) * VSR_HEADER_SIZE;
            uint32_t field = testing_below(&state, 2) == 0 ? 192 : 216;
            memcpy(broken + at / VSR_HEADER_SIZE * VSR_HEADER_SIZE + field, broken + from + field,
                   field == 192 ? 16 : 8);
        } else {
            broken[at] = (uint8_t)(broken[at] + 1 + testing_below(&state, 255));
        }
        if (at < VSR_HEADER_SIZE * SLOTS && testing_below(&state, 2) == 0) {
            uint8_t *h = broken + at / VSR_HEADER_SIZE * VSR_HEADER_SIZE;
            if (!testing_all_zero(h + 16, VSR_HEADER_SIZE - 16)) vsr_header_set_checksum(h);
        }
        oracle_trailer_verdict verdict = oracle_trailer(SLOTS, broken, SIZE);
        vsr_error error = client_sessions_decode(table, broken, SIZE);
        agree(error.code, verdict.rules, "trailer", at);
        CHECK_EQ(error.slot, verdict.slot);
    }
    static const vsr_error_code trailer_rules[] = {
        VSR_ERROR_FREE_SLOT_NOT_ZERO, VSR_ERROR_SESSION_AFTER_COMMIT, VSR_ERROR_DUPLICATE_CLIENT,
        VSR_ERROR_DUPLICATE_COMMIT, VSR_ERROR_HEADER_CHECKSUM};
    for (size_t i = 0; i < sizeof(trailer_rules) / sizeof(trailer_rules[0]); i++) {
        CHECK(rules_seen & ORACLE_RULE(trailer_rules[i]));
    }
    CHECK_EQ(oracle_trailer(SLOTS, valid, SIZE - 1).rules, ORACLE_RULE(VSR_ERROR_TRAILER_SIZE));
    client_sessions_deinit(table);
}

/* The trailer rules as the format states them, every pair of slots compared: the scan stops
 * at the first slot that breaks a rule, a duplicate counted at the later slot. */
static oracle_trailer_verdict pairwise_trailer(uint32_t n, const uint8_t *bytes) {
    oracle_trailer_verdict verdict = {VSR_SLOT_NONE, 0, 0};
    const uint8_t *sessions = bytes + (size_t)n * VSR_HEADER_SIZE;
    for (uint32_t slot = 0; slot < n; slot++) {
        const uint8_t *h = bytes + (size_t)slot * VSR_HEADER_SIZE;
        uint64_t session = testing_load(sessions + (size_t)slot * 8, 8), rules = 0;
        if (session == 0) {
            if (!testing_all_zero(h, VSR_HEADER_SIZE))
                rules |= ORACLE_RULE(VSR_ERROR_FREE_SLOT_NOT_ZERO);
        } else {
            rules |= oracle_reply_rules(h);
            if (session > testing_load(h + 216, 8))
                rules |= ORACLE_RULE(VSR_ERROR_SESSION_AFTER_COMMIT);
            for (uint32_t other = 0; other < slot; other++) {
                const uint8_t *o = bytes + (size_t)other * VSR_HEADER_SIZE;
                if (testing_load(sessions + (size_t)other * 8, 8) == 0) continue;
                if (memcmp(o + 192, h + 192, 16) == 0)
                    rules |= ORACLE_RULE(VSR_ERROR_DUPLICATE_CLIENT);
                if (memcmp(o + 216, h + 216, 8) == 0)
                    rules |= ORACLE_RULE(VSR_ERROR_DUPLICATE_COMMIT);
            }
            verdict.count++;
        }
        if (rules != 0) return (oracle_trailer_verdict){slot, rules, 0};
    }
    return verdict;
}

/* Tables up to 300 slots with clients, commits and whole slots copied between far-apart
 * slots (resealed or not), freed slots and stray bytes: the oracle's sorted comparison of
 * neighbours gives the verdict of the pairwise scan, slot and rules. */
static void test_trailer_duplicates(void) {
    enum { SLOTS_MAX = 300 };
    static uint8_t trailer[264 * SLOTS_MAX], base[264 * SLOTS_MAX];
    uint64_t state = 7, repeats = 0;
    for (uint32_t trial = 0; trial < 3000; trial++) {
        uint32_t n = 1 + testing_below(&state, trial % 4 == 0 ? SLOTS_MAX : 40);
        size_t size = (size_t)264 * n;
        testing_trailer(trailer, n, testing_below(&state, n + 1), trial % 2 == 0, trial);
        memcpy(base, trailer, size);
        for (uint32_t edits = 1 + testing_below(&state, 3); edits-- > 0;) {
            uint32_t a = testing_below(&state, n), b = testing_below(&state, n);
            uint8_t *ha = trailer + (size_t)a * VSR_HEADER_SIZE;
            const uint8_t *hb = trailer + (size_t)b * VSR_HEADER_SIZE;
            uint8_t *sessions = trailer + (size_t)n * VSR_HEADER_SIZE;
            switch (testing_below(&state, 6)) {
            case 0: memcpy(ha + 192, hb + 192, 16); break;
            case 4: /* a session for a slot that may be free: its header may be all zero */
                testing_store(sessions + (size_t)a * 8, 8, 1 + testing_below(&state, 1000));
                break;
            case 1: memcpy(ha + 208, hb + 216, 8), memcpy(ha + 216, hb + 216, 8); break;
            case 2:
                memcpy(ha, hb, VSR_HEADER_SIZE), memcpy(sessions + a * 8, sessions + b * 8, 8);
                break;
            case 3: testing_store(sessions + (size_t)a * 8, 8, 0); break;
            default: ha[testing_below(&state, VSR_HEADER_SIZE)] ^= 1; break;
            }
            if (testing_below(&state, 4) != 0 && !testing_all_zero(ha + 16, VSR_HEADER_SIZE - 16)) {
                vsr_header_set_checksum(ha);
            }
        }
        oracle_trailer_verdict expected = pairwise_trailer(n, trailer);
        oracle_trailer_verdict verdict = oracle_trailer(n, trailer, size);
        CHECK_EQ(verdict.slot, expected.slot);
        CHECK_EQ(verdict.rules, expected.rules);
        CHECK_EQ(verdict.count, expected.count);
        /* Given the valid trailer the edits were made from, only changed headers' checksums
         * are computed, and the verdict is the same. */
        oracle_trailer_verdict known = oracle_trailer_known(n, trailer, size, base);
        CHECK_EQ(known.slot, expected.slot);
        CHECK_EQ(known.rules, expected.rules);
        CHECK_EQ(known.count, expected.count);
        repeats += (expected.rules & (ORACLE_RULE(VSR_ERROR_DUPLICATE_CLIENT) |
                                      ORACLE_RULE(VSR_ERROR_DUPLICATE_COMMIT))) != 0;
    }
    CHECK(repeats > 100); /* the duplicate rules were reached, not only the others */
    CHECK_EQ(oracle_trailer(0, trailer, 0).rules, 0);
}

enum { BLOCK_SIZE = 1024, BLOCKS = 3 };

typedef struct image {
    uint8_t bytes[BLOCKS][BLOCK_SIZE];
    size_t available[BLOCKS];
} image;

static bool image_lookup(void *context, uint64_t address, const void **bytes, size_t *size) {
    image *im = context;
    if (address == 0 || address > BLOCKS) return false;
    *bytes = im->bytes[address - 1];
    *size = im->available[address - 1];
    return true;
}

/* A trailer of 4 slots in 2 blocks at addresses 3 and 1 of an image whose block 2 is free
 * (zero), with one byte of a block or the reference changed. */
static void test_blocks(void) {
    enum { SLOTS = 4, SIZE = 264 * SLOTS };
    uint8_t trailer[SIZE], read_core[SIZE], read_oracle[SIZE];
    testing_trailer(trailer, SLOTS, 3, true, 5);
    uint64_t count = vsr_trailer_block_count(SIZE, BLOCK_SIZE);
    CHECK(count + 1 == BLOCKS);
    uint64_t addresses[BLOCKS - 1] = {3, 1};
    static image valid, im;
    vsr_trailer_reference reference, ref;
    uint8_t written[BLOCKS - 1][BLOCK_SIZE];
    vsr_trailer_write(trailer, SIZE, BLOCK_SIZE, 9, 2, addresses, written, &reference);
    memset(&valid, 0, sizeof(valid));
    for (uint64_t i = 0; i < count; i++) {
        memcpy(valid.bytes[addresses[i] - 1], written[i], BLOCK_SIZE);
        valid.available[addresses[i] - 1] = BLOCK_SIZE;
    }
    uint64_t state = 2;
    rules_seen = 0;
    for (uint32_t trial = 0; trial < 6000; trial++) {
        im = valid;
        ref = reference;
        uint32_t block = testing_below(&state, BLOCKS);
        uint32_t at = testing_below(&state, BLOCK_SIZE);
        switch (testing_below(&state, 8)) {
        case 0: ref.size = ref.size - 1 + testing_below(&state, 3); break;
        case 1: ref.last_block_address = testing_below(&state, BLOCKS + 2); break;
        case 2: im.available[block] = at; break;
        case 3: ref.checksum ^= 1; break;
        default:
            im.bytes[block][at] ^= (uint8_t)(1 + testing_below(&state, 255));
            if (at >= 16 && testing_below(&state, 2) == 0) vsr_header_set_checksum(im.bytes[block]);
            break;
        }
        oracle_read_verdict verdict =
            oracle_trailer_read(&ref, BLOCK_SIZE, image_lookup, &im, read_oracle, SIZE, NULL, 0);
        vsr_error error = vsr_trailer_read(&ref, BLOCK_SIZE, image_lookup, &im, read_core, SIZE);
        agree(error.code, verdict.rules, "blocks", at);
        CHECK_EQ(error.block_address, verdict.address);
        if (error.code == VSR_ERROR_OK) CHECK(memcmp(read_core, read_oracle, SIZE) == 0);
    }
    for (int code = VSR_ERROR_REFERENCE_SIZE; code <= VSR_ERROR_TRAILER_CHECKSUM; code++) {
        if (!CHECK(rules_seen & ORACLE_RULE(code))) {
            fprintf(stderr, "no block image broke %s\n", vsr_error_name((vsr_error_code)code));
        }
    }
    CHECK_EQ(oracle_trailer_read(&reference, 768, image_lookup, &valid, read_oracle, SIZE, NULL, 0)
                 .rules,
             ORACLE_RULE(VSR_ERROR_BLOCK_SIZE_INVALID));
}

int main(void) {
    test_builder();
    test_headers();
    test_trailers();
    test_trailer_duplicates();
    test_blocks();
    return testing_done("test_oracle");
}
