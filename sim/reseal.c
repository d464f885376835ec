/*
 * reseal.c: rules that only a valid checksum lets the decoder and the reader reach.
 *
 * A stored bit flip breaks a checksum first, so the rules behind it (the reserved fields,
 * the exact values, the ranges, the chain) are never what rejects a damaged checkpoint.
 * Once per checkpoint, this file edits one field of a copy of the fresh trailer, or of its
 * blocks, and reseals it: the header checksum of the edited slot; for a block, its body
 * checksum, its header checksum, the back-pointers of every later block and the reference.
 * An edit breaks one rule, or sits just inside it (max, max - 1, the smallest valid value,
 * commits far apart), so both sides of every range are tried. The verdict is not written
 * here: the independent oracles of testing/oracle.h restate docs/FORMAT.md byte by byte,
 * and the core must agree with them: the rule (one of those broken, the checksum first),
 * the slot or block, an empty table after a rejection, and after an acceptance the same
 * bytes back from encode (or from the reader) and the smallest commit as the evictee.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_assert.h"
#include "sim_internal.h"
#include "testing/bytes.h"
#include "testing/oracle.h"
#include "testing/reply.h"

static unsigned long long ull(uint64_t value) { return (unsigned long long)value; }

/* Commits far apart. The core packs a commit's distance from the smallest beside the slot in
 * its sort keys when that distance is below 2^44, and sorts (commit, slot) records when it
 * is not: COMMIT_FAR puts a commit just inside, at and just past that bound from the
 * smallest other commit, or far past it. */
static const uint64_t far_commit_packed = UINT64_C(1) << 44;
static const uint64_t far_commit_step = UINT64_C(1) << 46;

/* ---- slots ---- */

#define RESEAL_SLOT_EDITS(X)                                \
    X(COMMAND, "command")                                   \
    X(CHECKSUM_PADDING, "checksum_padding")                 \
    X(CHECKSUM_BODY_PADDING, "checksum_body_padding")       \
    X(NONCE_RESERVED, "nonce_reserved")                     \
    X(SIZE_BELOW_MIN, "size_below_min")                     \
    X(SIZE_MIN, "size_min")                                 \
    X(SIZE_MAX, "size_max")                                 \
    X(SIZE_ABOVE_MAX, "size_above_max")                     \
    X(EPOCH, "epoch")                                       \
    X(RELEASE_ZERO, "release_zero")                         \
    X(RELEASE_ONE, "release_one")                           \
    X(PROTOCOL, "protocol")                                 \
    X(RESERVED_FRAME, "reserved_frame")                     \
    X(REQUEST_CHECKSUM_PADDING, "request_checksum_padding") \
    X(CONTEXT_PADDING, "context_padding")                   \
    X(CLIENT_ZERO, "client_zero")                           \
    X(OP_ABOVE, "op_above_commit")                          \
    X(OP_BELOW, "op_below_commit")                          \
    X(COMMIT_ZERO, "commit_zero")                           \
    X(TIMESTAMP_ZERO, "timestamp_zero")                     \
    X(TIMESTAMP_ONE, "timestamp_one")                       \
    X(REGISTER_SIZE_BELOW, "register_size_below")           \
    X(REGISTER_SIZE_ABOVE, "register_size_above")           \
    X(REGISTER_REQUEST, "register_request")                 \
    X(REQUEST_ZERO, "request_zero")                         \
    X(OPERATION_REGISTER, "operation_register")             \
    X(RESERVED, "reserved")                                 \
    X(SESSION_AT_COMMIT, "session_at_commit")               \
    X(SESSION_ABOVE_COMMIT, "session_above_commit")         \
    X(COMMIT_FAR, "commit_far")                             \
    X(COMMIT_FAR_DUPLICATE, "commit_far_duplicate")         \
    X(CLIENT_SAME_HIGH_HALF, "client_same_high_half")       \
    X(CLIENT_SAME_LOW_HALF, "client_same_low_half")         \
    X(SIZE_TRAILER_SHORT, "trailer_size_short")

typedef enum slot_edit {
#define SLOT_EDIT_ENUM(name, text) SLOT_EDIT_##name,
    RESEAL_SLOT_EDITS(SLOT_EDIT_ENUM)
#undef SLOT_EDIT_ENUM
        SLOT_EDIT_COUNT
} slot_edit;

static const char *const slot_edit_names[] = {
#define SLOT_EDIT_NAME(name, text) text,
    RESEAL_SLOT_EDITS(SLOT_EDIT_NAME)
#undef SLOT_EDIT_NAME
};

static vsr_header_reply *header_at(uint8_t *trailer, uint32_t slot) {
    return (vsr_header_reply *)(void *)(trailer + (size_t)VSR_HEADER_SIZE * slot);
}

static uint8_t *session_at(uint8_t *trailer, uint32_t clients_max, uint32_t slot) {
    return trailer + (size_t)VSR_HEADER_SIZE * clients_max + sizeof(uint64_t) * slot;
}

static uint64_t session_of(uint8_t *trailer, uint32_t clients_max, uint32_t slot) {
    return testing_load(session_at(trailer, clients_max, slot), sizeof(uint64_t));
}

/* The smallest commit of the occupied slots other than slot, or UINT64_MAX if none. */
static uint64_t commit_lowest_other(uint8_t *trailer, uint32_t clients_max, uint32_t slot) {
    uint64_t lowest = UINT64_MAX;
    for (uint32_t other = 0; other < clients_max; other++) {
        if (other == slot || session_of(trailer, clients_max, other) == 0) continue;
        uint64_t commit = header_at(trailer, other)->commit;
        if (commit < lowest) lowest = commit;
    }
    return lowest;
}

/* A random bit of the n bytes at p. */
static void flip_bit(sim *s, uint8_t *p, uint32_t n) {
    p[pcg32_bounded(&s->rng_checks, n)] ^= (uint8_t)(1u << pcg32_bounded(&s->rng_checks, 8));
}

/* The occupied slots, in slot order, into slots[]; returns how many. */
static uint32_t occupied_slots(sim *s, uint8_t *trailer, uint32_t *slots, uint32_t max) {
    uint32_t n = s->config.clients_max, count = 0;
    for (uint32_t slot = 0; slot < n && count < max; slot++) {
        if (session_of(trailer, n, slot) != 0) slots[count++] = slot;
    }
    return count;
}

/* Applies edit to the reply at slot (and, for the edits across slots, to another). Returns
 * false when this trailer has no place for it. */
static bool slot_edit_apply(sim *s, uint8_t *trailer, uint64_t *size, slot_edit edit, uint32_t slot,
                            uint32_t other) {
    uint32_t n = s->config.clients_max;
    vsr_header_reply *h = header_at(trailer, slot);
    bool is_register = h->operation == VSR_OPERATION_REGISTER;
    switch (edit) {
    case SLOT_EDIT_COMMAND:
        h->command = pcg32_chance(&s->rng_checks, 1, 2) ? VSR_COMMAND_BLOCK : 7;
        break;
    case SLOT_EDIT_CHECKSUM_PADDING: flip_bit(s, (uint8_t *)&h->checksum_padding, 16); break;
    case SLOT_EDIT_CHECKSUM_BODY_PADDING:
        flip_bit(s, (uint8_t *)&h->checksum_body_padding, 16);
        break;
    case SLOT_EDIT_NONCE_RESERVED: flip_bit(s, (uint8_t *)&h->nonce_reserved, 16); break;
    case SLOT_EDIT_SIZE_BELOW_MIN: h->size = VSR_HEADER_SIZE - 1; break;
    case SLOT_EDIT_SIZE_MIN:
        if (is_register) return false;
        h->size = VSR_HEADER_SIZE;
        break;
    case SLOT_EDIT_SIZE_MAX:
        if (is_register) return false;
        h->size = VSR_MESSAGE_SIZE_MAX - pcg32_bounded(&s->rng_checks, 2);
        break;
    case SLOT_EDIT_SIZE_ABOVE_MAX: h->size = VSR_MESSAGE_SIZE_MAX + 1; break;
    case SLOT_EDIT_EPOCH: h->epoch = 1u << pcg32_bounded(&s->rng_checks, 32); break;
    case SLOT_EDIT_RELEASE_ZERO: h->release = 0; break;
    case SLOT_EDIT_RELEASE_ONE: h->release = 1; break;
    case SLOT_EDIT_PROTOCOL:
        h->protocol = (uint16_t)(1u << pcg32_bounded(&s->rng_checks, 16));
        break;
    case SLOT_EDIT_RESERVED_FRAME: flip_bit(s, h->reserved_frame, sizeof(h->reserved_frame)); break;
    case SLOT_EDIT_REQUEST_CHECKSUM_PADDING:
        flip_bit(s, (uint8_t *)&h->request_checksum_padding, 16);
        break;
    case SLOT_EDIT_CONTEXT_PADDING: flip_bit(s, (uint8_t *)&h->context_padding, 16); break;
    case SLOT_EDIT_CLIENT_ZERO: h->client = 0; break;
    case SLOT_EDIT_OP_ABOVE: h->op = h->commit + 1; break;
    case SLOT_EDIT_OP_BELOW: h->op = h->commit - 1; break;
    case SLOT_EDIT_COMMIT_ZERO:
        h->commit = 0;
        h->op = 0;
        break;
    case SLOT_EDIT_TIMESTAMP_ZERO: h->timestamp = 0; break;
    case SLOT_EDIT_TIMESTAMP_ONE: h->timestamp = 1; break;
    case SLOT_EDIT_REGISTER_SIZE_BELOW:
        if (!is_register) return false;
        h->size = VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE - 1;
        break;
    case SLOT_EDIT_REGISTER_SIZE_ABOVE:
        if (!is_register) return false;
        h->size = VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE + 1;
        break;
    case SLOT_EDIT_REGISTER_REQUEST:
        if (!is_register) return false;
        h->request = 1;
        break;
    case SLOT_EDIT_REQUEST_ZERO:
        if (is_register) return false;
        h->request = 0;
        break;
    case SLOT_EDIT_OPERATION_REGISTER:
        if (is_register) return false;
        h->operation = VSR_OPERATION_REGISTER; /* size and request now break a register's rules */
        break;
    case SLOT_EDIT_RESERVED: flip_bit(s, h->reserved, sizeof(h->reserved)); break;
    case SLOT_EDIT_SESSION_AT_COMMIT:
        testing_store(session_at(trailer, n, slot), sizeof(uint64_t), h->commit);
        break;
    case SLOT_EDIT_SESSION_ABOVE_COMMIT:
        testing_store(session_at(trailer, n, slot), sizeof(uint64_t), h->commit + 1);
        break;
    case SLOT_EDIT_COMMIT_FAR: {
        const uint64_t distances[] = {far_commit_packed - 1, far_commit_packed,
                                      far_commit_packed + 1, far_commit_step, far_commit_step * 3};
        uint64_t lowest = commit_lowest_other(trailer, n, slot);
        if (lowest == UINT64_MAX) lowest = h->commit;
        h->commit = lowest + distances[pcg32_bounded(&s->rng_checks, 5)];
        h->op = h->commit;
        break;
    }
    case SLOT_EDIT_COMMIT_FAR_DUPLICATE: {
        if (other == VSR_SLOT_NONE) return false;
        h->commit += far_commit_step;
        h->op = h->commit;
        vsr_header_reply *o = header_at(trailer, other);
        o->commit = h->commit;
        o->op = o->commit;
        vsr_header_set_checksum(o);
        break;
    }
    case SLOT_EDIT_CLIENT_SAME_HIGH_HALF:
    case SLOT_EDIT_CLIENT_SAME_LOW_HALF: {
        /* Another slot's client takes one half of this one's: still distinct. */
        if (other == VSR_SLOT_NONE) return false;
        vsr_header_reply *o = header_at(trailer, other);
        uint64_t hi = VSR_U128_HI(o->client), lo = VSR_U128_LO(o->client);
        if (edit == SLOT_EDIT_CLIENT_SAME_HIGH_HALF) {
            hi = VSR_U128_HI(h->client);
            if (lo == VSR_U128_LO(h->client)) lo ^= SIM_ID_PROBE_BIT;
        } else {
            lo = VSR_U128_LO(h->client);
            if (hi == VSR_U128_HI(h->client)) hi ^= SIM_ID_PROBE_BIT;
        }
        o->client = VSR_U128(hi, lo);
        vsr_header_set_checksum(o);
        return true;
    }
    case SLOT_EDIT_SIZE_TRAILER_SHORT: *size -= 1 + pcg32_bounded(&s->rng_checks, 8); return true;
    default: SIM_ASSERT(false);
    }
    vsr_header_set_checksum(h);
    return true;
}

/* The smallest commit's client among the occupied slots of an encoding. */
static vsr_u128 oldest_client(uint8_t *trailer, uint32_t clients_max) {
    uint64_t commit_min = UINT64_MAX;
    vsr_u128 client = 0;
    for (uint32_t slot = 0; slot < clients_max; slot++) {
        if (session_of(trailer, clients_max, slot) == 0) continue;
        const vsr_header_reply *h = header_at(trailer, slot);
        if (h->commit < commit_min) {
            commit_min = h->commit;
            client = h->client;
        }
    }
    return client;
}

static void reseal_fail(sim *s, const sim_replica *r, const char *signature, const char *edit,
                        const char *format_what, const char *detail) {
    sim_fail(s, signature, r->op, r->index, "op %llu: a trailer resealed after edit %s: %s%s",
             ull(r->op), edit, format_what, detail);
}

/* The core's decode of the edited trailer against the oracle's verdict. */
static void judge_decode(sim *s, const sim_replica *r, const char *edit, uint8_t *trailer,
                         uint64_t size) {
    uint32_t n = s->config.clients_max;
    oracle_trailer_verdict verdict = oracle_trailer(n, trailer, (size_t)size);
    if (size != s->trailer_size) {
        /* A trailer of the wrong size must empty a table that holds clients: the replica's
         * own trailer first. */
        vsr_error own = client_sessions_decode(s->scratch_table, r->trailer, s->trailer_size);
        if (own.code != VSR_ERROR_OK) {
            char own_text[128];
            vsr_error_format(own, own_text, sizeof(own_text));
            reseal_fail(s, r, "reseal.decode_own", edit, "the replica's own trailer: ", own_text);
            return;
        }
    }
    vsr_error error = client_sessions_decode(s->scratch_table, trailer, size);
    char text[128], why[256];
    vsr_error_format(error, text, sizeof(text));
    if (error.block_address != 0) {
        reseal_fail(s, r, "reseal.decode_block", edit, "a decode error names a block: ", text);
        return;
    }
    if (!oracle_verdict_agrees(error.code, verdict.rules, why, sizeof(why))) {
        reseal_fail(s, r, "reseal.decode_rule", edit, "decode says ", text);
        return;
    }
    if (verdict.rules != 0) {
        bool trailer_rule = (verdict.rules & ORACLE_RULE(VSR_ERROR_TRAILER_SIZE)) != 0;
        uint32_t slot = trailer_rule ? VSR_SLOT_NONE : verdict.slot;
        if (error.slot != slot) {
            snprintf(why, sizeof(why), "%s, the oracle's slot is %" PRId64, text,
                     slot == VSR_SLOT_NONE ? (int64_t)-1 : (int64_t)slot);
            reseal_fail(s, r, "reseal.decode_slot", edit, "decode says ", why);
            return;
        }
        if (client_sessions_count(s->scratch_table) != 0) {
            reseal_fail(s, r, "reseal.decode_partial", edit,
                        "a rejected decode left clients: ", text);
        }
        return;
    }
    /* Accepted: the same bytes back, the oracle's count, the smallest commit evicted first. */
    if (client_sessions_count(s->scratch_table) != verdict.count) {
        reseal_fail(s, r, "reseal.decode_count", edit, "decoded count differs from the oracle's",
                    "");
        return;
    }
    uint8_t *again = s->reseal_trailer;
    client_sessions_encode(s->scratch_table, again, size);
    if (memcmp(again, trailer, (size_t)size) != 0) {
        char where[256];
        sim_trailer_diff(trailer, again, n, where, sizeof(where));
        reseal_fail(s, r, "reseal.roundtrip", edit, "encode(decode(bytes)) != bytes: ", where);
        return;
    }
    if (verdict.count == n &&
        client_sessions_evictee(s->scratch_table) != oldest_client(trailer, n)) {
        reseal_fail(s, r, "reseal.evictee", edit, "evictee() is not the smallest commit's client",
                    "");
    }
}

static void check_slot_edit(sim *s, const sim_replica *r) {
    uint32_t n = s->config.clients_max;
    uint32_t slots[2];
    uint8_t *trailer = s->scratch_trailer;
    memcpy(trailer, r->trailer, (size_t)s->trailer_size);
    uint32_t occupied = occupied_slots(s, trailer, slots, 1);
    if (occupied == 0) return;
    /* A random occupied slot, and another occupied one for the edits across slots. */
    uint32_t start = pcg32_bounded(&s->rng_checks, n);
    uint32_t slot = VSR_SLOT_NONE, other = VSR_SLOT_NONE;
    for (uint32_t i = 0; i < n && other == VSR_SLOT_NONE; i++) {
        uint32_t candidate = (start + i) % n;
        if (session_of(trailer, n, candidate) == 0) continue;
        if (slot == VSR_SLOT_NONE) {
            slot = candidate;
        } else {
            other = candidate;
        }
    }
    uint32_t first = pcg32_bounded(&s->rng_checks, SLOT_EDIT_COUNT);
    for (uint32_t i = 0; i < SLOT_EDIT_COUNT; i++) {
        slot_edit edit = (slot_edit)((first + i) % SLOT_EDIT_COUNT);
        uint64_t size = s->trailer_size;
        if (!slot_edit_apply(s, trailer, &size, edit, slot, other)) continue;
        s->counts.decode_rejections++;
        judge_decode(s, r, slot_edit_names[edit], trailer, size);
        return;
    }
}

/* ---- blocks ---- */

#define RESEAL_BLOCK_EDITS(X)                           \
    X(VIEW, "view")                                     \
    X(REPLICA, "replica")                               \
    X(PREVIOUS_PADDING, "previous_checksum_padding")    \
    X(METADATA_RESERVED, "metadata_reserved")           \
    X(ADDRESS_ZERO, "address_zero")                     \
    X(ADDRESS_OTHER, "address_other")                   \
    X(SNAPSHOT, "snapshot")                             \
    X(BLOCK_TYPE, "block_type")                         \
    X(RESERVED_BLOCK, "reserved_block")                 \
    X(COMMAND, "command")                               \
    X(EPOCH, "epoch")                                   \
    X(RELEASE_ZERO, "release_zero")                     \
    X(SIZE_MORE, "size_more")                           \
    X(SIZE_LESS, "size_less")                           \
    X(BODY, "body")                                     \
    X(PREVIOUS_ADDRESS, "previous_address")             \
    X(PREVIOUS_CHECKSUM, "previous_checksum")           \
    X(REFERENCE_SIZE_ZERO, "reference_size_zero")       \
    X(REFERENCE_SIZE_LESS, "reference_size_less")       \
    X(REFERENCE_SIZE_MORE, "reference_size_more")       \
    X(REFERENCE_ADDRESS_ZERO, "reference_address_zero") \
    X(REFERENCE_CHECKSUM, "reference_checksum")         \
    X(BLOCK_SIZE_HALF, "block_size_half")               \
    X(BLOCK_SIZE_ODD, "block_size_odd")                 \
    X(BLOCK_SIZE_ABOVE_MAX, "block_size_above_max")     \
    X(TRUNCATED_HEADER, "truncated_header")             \
    X(TRUNCATED_BODY, "truncated_body")                 \
    X(MISSING, "missing")                               \
    X(MISSING_NULL, "missing_null")                     \
    X(EMPTY_BODY, "empty_body")                         \
    X(PREFIX_FULL, "prefix_full")                       \
    X(PREFIX_ONE, "prefix_one")                         \
    X(NONE, "none")

typedef enum block_edit {
#define BLOCK_EDIT_ENUM(name, text) BLOCK_EDIT_##name,
    RESEAL_BLOCK_EDITS(BLOCK_EDIT_ENUM)
#undef BLOCK_EDIT_ENUM
        BLOCK_EDIT_COUNT
} block_edit;

static const char *const block_edit_names[] = {
#define BLOCK_EDIT_NAME(name, text) text,
    RESEAL_BLOCK_EDITS(BLOCK_EDIT_NAME)
#undef BLOCK_EDIT_NAME
};

/* Blocks at addresses base + i, some of them cut short or missing. */
typedef struct reseal_store {
    const uint8_t *blocks;
    uint32_t block_size;
    uint32_t count;
    uint64_t base;
    uint64_t short_address; /* this block reads only short_size bytes */
    size_t short_size;
    uint64_t missing_address;
    uint64_t null_address; /* the lookup finds this block but gives no bytes (NULL) */
} reseal_store;

static bool reseal_lookup(void *context, uint64_t address, const void **bytes, size_t *size) {
    const reseal_store *store = context;
    if (address < store->base || address - store->base >= store->count) return false;
    if (address == store->missing_address) return false;
    if (address == store->null_address) {
        *bytes = NULL;
        *size = store->block_size;
        return true;
    }
    *bytes = store->blocks + (size_t)(address - store->base) * store->block_size;
    *size = address == store->short_address ? store->short_size : store->block_size;
    return true;
}

static vsr_header_block *block_at(uint8_t *blocks, uint32_t block_size, uint32_t i) {
    return (vsr_header_block *)(void *)(blocks + (size_t)i * block_size);
}

/* Reseals block `from` and every later one: body and header checksums, back-pointers, and
 * the reference to the last block. */
static void reseal_chain(uint8_t *blocks, uint32_t block_size, uint32_t count, uint32_t from,
                         bool body, vsr_trailer_reference *reference) {
    for (uint32_t i = from; i < count; i++) {
        vsr_header_block *b = block_at(blocks, block_size, i);
        if (i > from)
            b->previous_trailer_block_checksum = block_at(blocks, block_size, i - 1)->checksum;
        if (i == from && body) {
            uint32_t body_size = b->size - VSR_HEADER_SIZE;
            vsr_header_set_checksum_body(b, (uint8_t *)b + VSR_HEADER_SIZE, body_size);
        }
        vsr_header_set_checksum(b);
    }
    reference->last_block_checksum = block_at(blocks, block_size, count - 1)->checksum;
}

static bool block_edit_apply(sim *s, reseal_store *store, uint8_t *blocks, block_edit edit,
                             uint32_t i, vsr_trailer_reference *reference, uint32_t *block_size) {
    uint32_t bs = store->block_size;
    vsr_header_block *b = block_at(blocks, bs, i);
    bool body = false;
    switch (edit) {
    case BLOCK_EDIT_VIEW: b->view = 1u << pcg32_bounded(&s->rng_checks, 32); break;
    case BLOCK_EDIT_REPLICA: b->replica = (uint8_t)(1 + pcg32_bounded(&s->rng_checks, 255)); break;
    case BLOCK_EDIT_PREVIOUS_PADDING:
        flip_bit(s, (uint8_t *)&b->previous_trailer_block_checksum_padding, 16);
        break;
    case BLOCK_EDIT_METADATA_RESERVED:
        flip_bit(s, b->metadata_reserved, sizeof(b->metadata_reserved));
        break;
    case BLOCK_EDIT_ADDRESS_ZERO: b->address = 0; break;
    case BLOCK_EDIT_ADDRESS_OTHER: b->address += 1 + pcg32_bounded(&s->rng_checks, 3); break;
    case BLOCK_EDIT_SNAPSHOT: b->snapshot = 1 + pcg32_bounded(&s->rng_checks, 1000); break;
    case BLOCK_EDIT_BLOCK_TYPE:
        b->block_type = (uint8_t)(VSR_BLOCK_TYPE_CLIENT_SESSIONS + 1);
        break;
    case BLOCK_EDIT_RESERVED_BLOCK:
        flip_bit(s, b->reserved_block, sizeof(b->reserved_block));
        break;
    case BLOCK_EDIT_COMMAND: b->command = VSR_COMMAND_REPLY; break;
    case BLOCK_EDIT_EPOCH: b->epoch = 1; break;
    case BLOCK_EDIT_RELEASE_ZERO: b->release = 0; break;
    case BLOCK_EDIT_SIZE_MORE:
        if (b->size >= bs) return false;
        b->size += 1;
        body = true;
        break;
    case BLOCK_EDIT_SIZE_LESS:
        if (b->size <= VSR_HEADER_SIZE + 1) return false;
        b->size -= 1;
        body = true;
        break;
    case BLOCK_EDIT_EMPTY_BODY:
        /* A block of its header alone, sealed as such and read back as 256 bytes: the body
         * size decides, not truncation. */
        b->size = VSR_HEADER_SIZE;
        store->short_address = store->base + i;
        store->short_size = VSR_HEADER_SIZE;
        body = true;
        break;
    case BLOCK_EDIT_BODY: {
        uint32_t body_size = b->size - VSR_HEADER_SIZE;
        flip_bit(s, (uint8_t *)b + VSR_HEADER_SIZE, body_size);
        body = true;
        break;
    }
    case BLOCK_EDIT_PREVIOUS_ADDRESS:
        b->previous_trailer_block_address ^= 1u << pcg32_bounded(&s->rng_checks, 8);
        break;
    case BLOCK_EDIT_PREVIOUS_CHECKSUM:
        /* The first block must point back at nothing: address and checksum both zero. */
        flip_bit(s, (uint8_t *)&b->previous_trailer_block_checksum, 16);
        break;
    case BLOCK_EDIT_REFERENCE_SIZE_ZERO: reference->size = 0; return true;
    case BLOCK_EDIT_REFERENCE_SIZE_LESS: reference->size -= 1; return true;
    case BLOCK_EDIT_REFERENCE_SIZE_MORE: reference->size += 1; return true;
    case BLOCK_EDIT_REFERENCE_ADDRESS_ZERO: reference->last_block_address = 0; return true;
    case BLOCK_EDIT_REFERENCE_CHECKSUM:
        flip_bit(s, (uint8_t *)&reference->checksum, 16);
        return true;
    case BLOCK_EDIT_BLOCK_SIZE_HALF: *block_size = bs / 2; return true;
    case BLOCK_EDIT_BLOCK_SIZE_ODD:
        *block_size = bs + 1 + 2 * pcg32_bounded(&s->rng_checks, 4);
        return true;
    case BLOCK_EDIT_BLOCK_SIZE_ABOVE_MAX: *block_size = VSR_BLOCK_SIZE_MAX * 2; return true;
    case BLOCK_EDIT_TRUNCATED_HEADER:
        store->short_address = store->base + i;
        store->short_size = pcg32_bounded(&s->rng_checks, VSR_HEADER_SIZE);
        return true;
    case BLOCK_EDIT_TRUNCATED_BODY:
        store->short_address = store->base + i;
        store->short_size = b->size - 1 - pcg32_bounded(&s->rng_checks, b->size - VSR_HEADER_SIZE);
        return true;
    case BLOCK_EDIT_MISSING: store->missing_address = store->base + i; return true;
    case BLOCK_EDIT_MISSING_NULL: store->null_address = store->base + i; return true;
    case BLOCK_EDIT_PREFIX_FULL: /* check_block_edit wrote a shorter trailer */
    case BLOCK_EDIT_PREFIX_ONE:
    case BLOCK_EDIT_NONE: return true;
    default: SIM_ASSERT(false);
    }
    reseal_chain(blocks, bs, store->count, i, body, reference);
    return true;
}

/* The prefix edits write the trailer's first bytes only: as many as fill whole blocks
 * (the last one exactly full), or one byte more than that (the last block holds one). */
static uint64_t prefix_size(uint64_t trailer_size, uint32_t block_size, block_edit edit) {
    uint64_t chunk = block_size - (uint64_t)VSR_HEADER_SIZE;
    if (edit == BLOCK_EDIT_PREFIX_FULL) return trailer_size / chunk * chunk;
    if (edit == BLOCK_EDIT_PREFIX_ONE) return (trailer_size - 1) / chunk * chunk + 1;
    return trailer_size;
}

static void check_block_edit(sim *s, const sim_replica *r) {
    uint32_t bs = s->config.block_size;
    uint8_t *blocks = s->reseal_blocks;
    uint64_t base = 1 + pcg32_bounded(&s->rng_checks, 1000);
    block_edit edit = (block_edit)pcg32_bounded(&s->rng_checks, BLOCK_EDIT_COUNT);
    uint64_t size = prefix_size(s->trailer_size, bs, edit);
    if (size == 0) return; /* the trailer does not fill one block */
    uint64_t blocks_needed = vsr_trailer_block_count(size, bs);
    SIM_ASSERT(blocks_needed >= 1 && blocks_needed <= s->block_count);
    uint32_t count = (uint32_t)blocks_needed;
    for (uint32_t i = 0; i < count; i++) s->reseal_addresses[i] = base + i;
    vsr_trailer_reference reference;
    vsr_trailer_write(r->trailer, size, bs, s->config.cluster, s->config.release,
                      s->reseal_addresses, blocks, &reference);
    reseal_store store = {blocks, bs, count, base, 0, 0, 0, 0};
    uint32_t i = pcg32_bounded(&s->rng_checks, count);
    uint32_t block_size = bs;
    if (!block_edit_apply(s, &store, blocks, edit, i, &reference, &block_size)) return;
    const char *name = block_edit_names[edit];
    uint8_t *out = s->reseal_trailer;
    oracle_read_verdict verdict = oracle_trailer_read(&reference, block_size, reseal_lookup, &store,
                                                      out, s->trailer_size, NULL, 0);
    vsr_error error =
        vsr_trailer_read(&reference, block_size, reseal_lookup, &store, out, s->trailer_size);
    s->counts.decode_rejections++;
    char text[128], why[256];
    vsr_error_format(error, text, sizeof(text));
    if (!oracle_verdict_agrees(error.code, verdict.rules, why, sizeof(why))) {
        reseal_fail(s, r, "reseal.read_rule", name, "the reader says ", text);
        return;
    }
    /* Accepted, the error names no block (0) and no slot; rejected, the oracle's block. */
    if (error.block_address != verdict.address || error.slot != VSR_SLOT_NONE) {
        snprintf(why, sizeof(why), "%s (block %llu, slot %lld), the oracle's block is %llu", text,
                 ull(error.block_address),
                 error.slot == VSR_SLOT_NONE ? -1LL : (long long)error.slot, ull(verdict.address));
        reseal_fail(s, r, "reseal.read_block", name, "the reader says ", why);
        return;
    }
    if (verdict.rules == 0 && memcmp(out, r->trailer, (size_t)size) != 0) {
        reseal_fail(s, r, "reseal.read_bytes", name, "the reader gives other bytes than written",
                    "");
    }
}

/*
 * The fresh trailer with every free slot given a client: a full table however few clients
 * the run registered, so that decode sorts clients_max commits (past 2048 the radix sort's
 * widest digits) and evictee() is checked on it. The new clients' ids have the probe bit
 * (never issued), their commits follow the run's largest in a shuffled slot order, their
 * sessions are that largest + 1 (at most their commit).
 */
void sim_check_filled(sim *s, const sim_replica *r) {
    uint32_t n = s->config.clients_max;
    uint8_t *trailer = s->scratch_trailer;
    memcpy(trailer, r->trailer, (size_t)s->trailer_size);
    uint64_t commit_max = 0;
    for (uint32_t slot = 0; slot < n; slot++) {
        if (session_of(trailer, n, slot) == 0) continue;
        uint64_t commit = header_at(trailer, slot)->commit;
        if (commit > commit_max) commit_max = commit;
    }
    uint64_t base = commit_max + 1;
    uint32_t filled = 0;
    for (uint32_t slot = 0; slot < n; slot++) {
        if (session_of(trailer, n, slot) != 0) continue;
        /* 1048583 is prime and above CLIENTS_MAX_LIMIT: a permutation of the slots. */
        uint64_t commit = base + 1 + (uint64_t)slot * 1048583 % n;
        vsr_u128 client = VSR_U128(SIM_ID_PROBE_BIT | 0x46494c4cu, slot + 1);
        vsr_header_reply reply = testing_reply(client, commit, 1);
        memcpy(header_at(trailer, slot), &reply, sizeof(reply));
        testing_store(session_at(trailer, n, slot), sizeof(uint64_t), base);
        filled++;
    }
    if (filled == 0) return;
    s->counts.decode_rejections++;
    judge_decode(s, r, "fill_free_slots", trailer, s->trailer_size);
    if (!s->failure.failed) SIM_ASSERT(client_sessions_count(s->scratch_table) == n);
}

void sim_check_resealed(sim *s, const sim_replica *r) {
    check_slot_edit(s, r);
    if (!s->failure.failed) check_block_edit(s, r);
}
