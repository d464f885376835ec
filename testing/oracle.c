/*
 * The rules of docs/FORMAT.md, restated byte by byte: see oracle.h. Offsets are those of
 * the format (vsr.h has the same layout as structs; the oracles do not use them).
 */
#include "testing/oracle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testing/bytes.h"
#include "testing/invariant.h"

/* ---- headers, docs/FORMAT.md sections 2, 2a, 2b ---- */

/* The frame's rules but the checksum. */
static uint64_t frame_rules_after_checksum(const uint8_t *h, uint8_t command) {
    uint64_t rules = 0;
    if (!testing_all_zero(h + 16, 16)) rules |= ORACLE_RULE(VSR_ERROR_HEADER_CHECKSUM_PADDING);
    if (!testing_all_zero(h + 48, 16)) {
        rules |= ORACLE_RULE(VSR_ERROR_HEADER_CHECKSUM_BODY_PADDING);
    }
    if (!testing_all_zero(h + 64, 16)) rules |= ORACLE_RULE(VSR_ERROR_HEADER_NONCE_RESERVED);
    uint64_t size = testing_load(h + 96, 4);
    if (size < VSR_HEADER_SIZE) rules |= ORACLE_RULE(VSR_ERROR_HEADER_SIZE_MIN);
    if (size > VSR_MESSAGE_SIZE_MAX) rules |= ORACLE_RULE(VSR_ERROR_HEADER_SIZE_MAX);
    if (testing_load(h + 100, 4) != 0) rules |= ORACLE_RULE(VSR_ERROR_HEADER_EPOCH);
    if (testing_load(h + 108, 4) == 0) rules |= ORACLE_RULE(VSR_ERROR_HEADER_RELEASE);
    if (testing_load(h + 112, 2) != 0) rules |= ORACLE_RULE(VSR_ERROR_HEADER_PROTOCOL);
    if (h[114] != command) rules |= ORACLE_RULE(VSR_ERROR_HEADER_COMMAND);
    if (!testing_all_zero(h + 116, 12)) rules |= ORACLE_RULE(VSR_ERROR_HEADER_RESERVED_FRAME);
    return rules;
}

static uint64_t checksum_rules(const uint8_t *h) {
    if (testing_load_u128(h) == vsr_checksum(h + 16, VSR_HEADER_SIZE - 16)) return 0;
    return ORACLE_RULE(VSR_ERROR_HEADER_CHECKSUM);
}

uint64_t oracle_frame_rules(const uint8_t *h, uint8_t command) {
    return checksum_rules(h) | frame_rules_after_checksum(h, command);
}

/* A reply's rules but the checksum. */
static uint64_t reply_rules_after_checksum(const uint8_t *h) {
    uint64_t rules = frame_rules_after_checksum(h, VSR_COMMAND_REPLY);
    if (!testing_all_zero(h + 144, 16)) {
        rules |= ORACLE_RULE(VSR_ERROR_REPLY_REQUEST_CHECKSUM_PADDING);
    }
    if (!testing_all_zero(h + 176, 16)) rules |= ORACLE_RULE(VSR_ERROR_REPLY_CONTEXT_PADDING);
    if (testing_all_zero(h + 192, 16)) rules |= ORACLE_RULE(VSR_ERROR_REPLY_CLIENT);
    uint64_t op = testing_load(h + 208, 8), commit = testing_load(h + 216, 8);
    if (op != commit) rules |= ORACLE_RULE(VSR_ERROR_REPLY_OP);
    if (commit == 0) rules |= ORACLE_RULE(VSR_ERROR_REPLY_COMMIT);
    if (testing_load(h + 224, 8) == 0) rules |= ORACLE_RULE(VSR_ERROR_REPLY_TIMESTAMP);
    uint64_t request = testing_load(h + 232, 4);
    if (h[236] == VSR_OPERATION_REGISTER) {
        if (testing_load(h + 96, 4) != VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE) {
            rules |= ORACLE_RULE(VSR_ERROR_REPLY_REGISTER_SIZE);
        }
        if (request != 0) rules |= ORACLE_RULE(VSR_ERROR_REPLY_REGISTER_REQUEST);
    } else if (request == 0) {
        rules |= ORACLE_RULE(VSR_ERROR_REPLY_REQUEST);
    }
    if (!testing_all_zero(h + 237, 19)) rules |= ORACLE_RULE(VSR_ERROR_REPLY_RESERVED);
    return rules;
}

uint64_t oracle_reply_rules(const uint8_t *h) {
    return checksum_rules(h) | reply_rules_after_checksum(h);
}

uint64_t oracle_block_rules(const uint8_t *h) {
    uint64_t rules = oracle_frame_rules(h, VSR_COMMAND_BLOCK);
    if (testing_load(h + 104, 4) != 0) rules |= ORACLE_RULE(VSR_ERROR_BLOCK_VIEW);
    if (h[115] != 0) rules |= ORACLE_RULE(VSR_ERROR_BLOCK_REPLICA);
    if (!testing_all_zero(h + 144, 16)) {
        rules |= ORACLE_RULE(VSR_ERROR_BLOCK_PREVIOUS_CHECKSUM_PADDING);
    }
    if (!testing_all_zero(h + 168, 56)) rules |= ORACLE_RULE(VSR_ERROR_BLOCK_METADATA_RESERVED);
    if (testing_load(h + 224, 8) == 0) rules |= ORACLE_RULE(VSR_ERROR_BLOCK_ADDRESS);
    if (testing_load(h + 232, 8) != 0) rules |= ORACLE_RULE(VSR_ERROR_BLOCK_SNAPSHOT);
    if (h[240] != VSR_BLOCK_TYPE_CLIENT_SESSIONS) rules |= ORACLE_RULE(VSR_ERROR_BLOCK_TYPE);
    if (!testing_all_zero(h + 241, 15)) rules |= ORACLE_RULE(VSR_ERROR_BLOCK_RESERVED);
    return rules;
}

bool oracle_verdict_agrees(vsr_error_code code, uint64_t rules, char *why, size_t why_size) {
    if ((unsigned)code >= VSR_ERROR_COUNT) {
        snprintf(why, why_size, "code %u is out of range", (unsigned)code);
        return false;
    }
    if (rules == 0) {
        if (code == VSR_ERROR_OK) return true;
        snprintf(why, why_size, "valid input rejected with %s", vsr_error_name(code));
        return false;
    }
    if (code == VSR_ERROR_OK) {
        snprintf(why, why_size, "accepted input that breaks rules 0x%016llx",
                 (unsigned long long)rules);
        return false;
    }
    if ((rules & ORACLE_RULE(VSR_ERROR_HEADER_CHECKSUM)) != 0 &&
        code != VSR_ERROR_HEADER_CHECKSUM) {
        snprintf(why, why_size, "bad checksum reported as %s", vsr_error_name(code));
        return false;
    }
    if ((rules & ORACLE_RULE(code)) == 0) {
        snprintf(why, why_size, "reported %s, which holds (broken: 0x%016llx)",
                 vsr_error_name(code), (unsigned long long)rules);
        return false;
    }
    return true;
}

/* ---- the trailer, docs/FORMAT.md section 3 ---- */

enum { SLOT_ENCODED_SIZE = VSR_HEADER_SIZE + 8 /* a reply header, then a u64 session */ };

/* The clients or the commits of the occupied slots met so far: an open-addressing set of
 * 128-bit values (linear probing, a power-of-two size at least twice what it will hold). */
typedef struct value_set {
    uint64_t *values; /* hi, lo pairs */
    uint8_t *used;
    uint64_t mask;
} value_set;

static value_set value_set_make(uint32_t values_max) {
    uint64_t size = 2;
    while (size < 2 * (uint64_t)values_max) size *= 2;
    value_set set = {malloc((size_t)size * 2 * sizeof(uint64_t)), calloc((size_t)size, 1),
                     size - 1};
    TESTING_ASSERT(set.values != NULL && set.used != NULL);
    return set;
}

/* Adds (hi, lo); false when the set holds it already. */
static bool value_set_add(value_set *set, uint64_t hi, uint64_t lo) {
    uint64_t mixed = (lo ^ (hi * UINT64_C(0x9e3779b97f4a7c15))) * UINT64_C(0xd6e8feb86659fd93);
    for (uint64_t at = (mixed ^ (mixed >> 32)) & set->mask;; at = (at + 1) & set->mask) {
        if (!set->used[at]) {
            set->used[at] = 1;
            set->values[2 * at] = hi;
            set->values[2 * at + 1] = lo;
            return true;
        }
        if (set->values[2 * at] == hi && set->values[2 * at + 1] == lo) return false;
    }
}

static void value_set_free(value_set *set) {
    free(set->values);
    free(set->used);
}

/*
 * Slots in slot order; the first slot that breaks a rule is the one the error names. A
 * duplicate is broken at the later of the two slots: a client or commit that an earlier
 * occupied slot has too. Every earlier occupied slot is valid wherever the scan gets that
 * far, so a set of the values of the occupied slots scanned so far finds what comparing
 * every pair would.
 */
oracle_trailer_verdict oracle_trailer_known(uint32_t clients_max, const uint8_t *bytes, size_t size,
                                            const uint8_t *known) {
    oracle_trailer_verdict verdict = {VSR_SLOT_NONE, 0, 0};
    if (size != (uint64_t)SLOT_ENCODED_SIZE * clients_max) {
        verdict.rules = ORACLE_RULE(VSR_ERROR_TRAILER_SIZE);
        return verdict;
    }
    const uint8_t *sessions = bytes + (size_t)clients_max * VSR_HEADER_SIZE;
    uint32_t occupied = 0;
    for (uint32_t slot = 0; slot < clients_max; slot++) {
        occupied += testing_load(sessions + (size_t)slot * 8, 8) != 0;
    }
    value_set clients = value_set_make(occupied), commits = value_set_make(occupied);
    for (uint32_t slot = 0; slot < clients_max; slot++) {
        const uint8_t *h = bytes + (size_t)slot * VSR_HEADER_SIZE;
        uint64_t session = testing_load(sessions + (size_t)slot * 8, 8);
        uint64_t rules = 0;
        if (session == 0) {
            if (!testing_all_zero(h, VSR_HEADER_SIZE)) {
                rules |= ORACLE_RULE(VSR_ERROR_FREE_SLOT_NOT_ZERO);
            }
        } else {
            if (!value_set_add(&clients, testing_load(h + 200, 8), testing_load(h + 192, 8))) {
                rules |= ORACLE_RULE(VSR_ERROR_DUPLICATE_CLIENT);
            }
            if (!value_set_add(&commits, 0, testing_load(h + 216, 8))) {
                rules |= ORACLE_RULE(VSR_ERROR_DUPLICATE_COMMIT);
            }
            /* A header that is byte for byte one of known's occupied ones keeps its checksum. */
            const uint8_t *k = known + (size_t)slot * VSR_HEADER_SIZE;
            bool same = known != NULL &&
                        testing_load(known + (sessions - bytes) + (size_t)slot * 8, 8) != 0 &&
                        memcmp(h, k, VSR_HEADER_SIZE) == 0;
            rules |= (same ? 0 : checksum_rules(h)) | reply_rules_after_checksum(h);
            if (session > testing_load(h + 216, 8)) {
                rules |= ORACLE_RULE(VSR_ERROR_SESSION_AFTER_COMMIT);
            }
            verdict.count++;
        }
        if (rules != 0) {
            verdict.slot = slot;
            verdict.rules = rules;
            verdict.count = 0;
            break;
        }
    }
    value_set_free(&clients);
    value_set_free(&commits);
    return verdict;
}

oracle_trailer_verdict oracle_trailer(uint32_t clients_max, const uint8_t *bytes, size_t size) {
    return oracle_trailer_known(clients_max, bytes, size, NULL);
}

/* ---- trailer blocks, docs/FORMAT.md section 4 ---- */

static bool block_size_valid(uint32_t block_size) {
    return block_size >= VSR_BLOCK_SIZE_MIN && block_size <= VSR_BLOCK_SIZE_MAX &&
           (block_size & (block_size - 1)) == 0;
}

/* The rules block h (available bytes, reached through `address` and `checksum_expected`)
 * breaks as block i of the chain, whose body must be body_size bytes. */
static uint64_t chain_block_rules(const uint8_t *h, size_t available, uint64_t address,
                                  vsr_u128 checksum_expected, uint64_t body_size, bool first) {
    uint64_t rules = oracle_block_rules(h);
    if (testing_load_u128(h) != checksum_expected) {
        rules |= ORACLE_RULE(VSR_ERROR_BLOCK_CHECKSUM_REFERENCE);
    }
    if (testing_load(h + 224, 8) != address) rules |= ORACLE_RULE(VSR_ERROR_BLOCK_ADDRESS_MISMATCH);
    uint64_t claimed = testing_load(h + 96, 4);
    if (claimed != VSR_HEADER_SIZE + body_size) {
        rules |= ORACLE_RULE(VSR_ERROR_BLOCK_BODY_SIZE);
    } else if (available < claimed) {
        rules |= ORACLE_RULE(VSR_ERROR_BLOCK_TRUNCATED);
    } else if (testing_load_u128(h + 32) != vsr_checksum(h + VSR_HEADER_SIZE, (size_t)body_size)) {
        rules |= ORACLE_RULE(VSR_ERROR_BLOCK_BODY_CHECKSUM);
    }
    bool points_back = testing_load(h + 160, 8) != 0;
    if (first ? points_back || !testing_all_zero(h + 128, 16) : !points_back) {
        rules |= ORACLE_RULE(VSR_ERROR_BLOCK_CHAIN);
    }
    return rules;
}

oracle_read_verdict oracle_trailer_read(const vsr_trailer_reference *reference, uint32_t block_size,
                                        vsr_block_lookup lookup, void *context, uint8_t *trailer,
                                        uint64_t capacity, uint64_t *chain, uint64_t chain_max) {
    oracle_read_verdict verdict = {0, 0, 0};
    if (!block_size_valid(block_size)) {
        verdict.rules = ORACLE_RULE(VSR_ERROR_BLOCK_SIZE_INVALID);
        return verdict;
    }
    if (reference->size == 0 || reference->size > capacity) {
        verdict.rules = ORACLE_RULE(VSR_ERROR_REFERENCE_SIZE);
        return verdict;
    }
    if (reference->last_block_address == 0) {
        verdict.rules = ORACLE_RULE(VSR_ERROR_REFERENCE_ADDRESS);
        return verdict;
    }
    uint64_t chunk_max = block_size - VSR_HEADER_SIZE;
    uint64_t count = (reference->size + chunk_max - 1) / chunk_max;
    TESTING_ASSERT(chain == NULL || count <= chain_max);
    verdict.count = count;
    uint64_t address = reference->last_block_address;
    vsr_u128 checksum_expected = reference->last_block_checksum;
    for (uint64_t i = count; i-- > 0;) {
        verdict.address = address;
        const void *bytes = NULL;
        size_t available = 0;
        if (address == 0 || !lookup(context, address, &bytes, &available) || bytes == NULL) {
            verdict.rules = ORACLE_RULE(VSR_ERROR_BLOCK_MISSING);
            return verdict;
        }
        const uint8_t *h = bytes;
        if (available < VSR_HEADER_SIZE) {
            verdict.rules = ORACLE_RULE(VSR_ERROR_BLOCK_TRUNCATED);
            return verdict;
        }
        uint64_t start = i * chunk_max;
        uint64_t body_size =
            reference->size - start < chunk_max ? reference->size - start : chunk_max;
        verdict.rules =
            chain_block_rules(h, available, address, checksum_expected, body_size, i == 0);
        if (verdict.rules != 0) return verdict;
        memcpy(trailer + start, h + VSR_HEADER_SIZE, (size_t)body_size);
        if (chain != NULL) chain[i] = address;
        address = testing_load(h + 160, 8);
        checksum_expected = testing_load_u128(h + 128);
    }
    verdict.address = 0;
    if (vsr_checksum(trailer, (size_t)reference->size) != reference->checksum) {
        verdict.rules = ORACLE_RULE(VSR_ERROR_TRAILER_CHECKSUM);
    }
    return verdict;
}
