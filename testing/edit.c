/* The trailer-edit engine: see edit.h. */
#include "testing/edit.h"

#include <string.h>

#include "testing/bytes.h"
#include "testing/invariant.h"

/* ---- the field table ---- */

const edit_field edit_fields[EDIT_FIELD_COUNT] = {
#define EDIT_FIELD_ROW(name, text, offset, width) {offset, width, text},
    EDIT_FRAME_FIELDS(EDIT_FIELD_ROW) EDIT_REPLY_FIELDS(EDIT_FIELD_ROW)
        EDIT_BLOCK_FIELDS(EDIT_FIELD_ROW)
#undef EDIT_FIELD_ROW
};

uint32_t edit_header_field_count(uint8_t command) {
    return EDIT_FRAME_FIELD_COUNT +
           (command == VSR_COMMAND_REPLY ? EDIT_REPLY_FIELD_COUNT : EDIT_BLOCK_FIELD_COUNT);
}

const edit_field *edit_header_field(uint8_t command, uint32_t index) {
    TESTING_ASSERT(index < edit_header_field_count(command));
    if (index < EDIT_FRAME_FIELD_COUNT || command == VSR_COMMAND_REPLY) return &edit_fields[index];
    return &edit_fields[index + EDIT_REPLY_FIELD_COUNT];
}

const edit_field *edit_field_at(uint8_t command, uint32_t offset) {
    TESTING_ASSERT(offset < VSR_HEADER_SIZE);
    const edit_field *found = NULL;
    for (uint32_t i = 0; i < edit_header_field_count(command); i++) {
        const edit_field *field = edit_header_field(command, i);
        if (offset >= field->offset) found = field;
    }
    return found;
}

uint64_t edit_get(const uint8_t *header, edit_field_id field) {
    const edit_field *f = &edit_fields[field];
    return testing_load(header + f->offset, f->width < 8 ? f->width : 8);
}

void edit_set(uint8_t *header, edit_field_id field, uint64_t value) {
    const edit_field *f = &edit_fields[field];
    testing_store(header + f->offset, f->width < 8 ? f->width : 8, value);
}

/* ---- randomness, trailers, reseals ---- */

uint32_t edit_below(const edit_random *random, uint32_t bound) {
    TESTING_ASSERT(bound > 0);
    return random->below(random->state, bound);
}

void edit_flip_bit(const edit_random *random, uint8_t *p, uint32_t n) {
    uint32_t bit = edit_below(random, 8);
    uint32_t at = edit_below(random, n);
    p[at] ^= (uint8_t)(1u << bit);
}

uint8_t *edit_slot_header(uint8_t *trailer, uint32_t slot) {
    return trailer + (size_t)VSR_HEADER_SIZE * slot;
}

static size_t session_offset(uint32_t clients_max, uint32_t slot) {
    return (size_t)VSR_HEADER_SIZE * clients_max + sizeof(uint64_t) * slot;
}

uint64_t edit_slot_session(const uint8_t *trailer, uint32_t clients_max, uint32_t slot) {
    return testing_load(trailer + session_offset(clients_max, slot), sizeof(uint64_t));
}

void edit_set_slot_session(uint8_t *trailer, uint32_t clients_max, uint32_t slot,
                           uint64_t session) {
    testing_store(trailer + session_offset(clients_max, slot), sizeof(uint64_t), session);
}

void edit_reseal_header(uint8_t *header) {
    testing_store_u128(header, vsr_checksum(header + 16, VSR_HEADER_SIZE - 16));
}

void edit_reseal_body(uint8_t *header, const uint8_t *body, size_t body_size) {
    testing_store_u128(header + edit_fields[EDIT_FIELD_CHECKSUM_BODY].offset,
                       vsr_checksum(body, body_size));
}

void edit_reseal_chain(uint8_t *blocks, uint32_t block_size, uint32_t count, uint32_t from,
                       bool body, vsr_trailer_reference *reference) {
    TESTING_ASSERT(from < count);
    const uint32_t previous_checksum = edit_fields[EDIT_FIELD_PREVIOUS_CHECKSUM].offset;
    for (uint32_t i = from; i < count; i++) {
        uint8_t *b = blocks + (size_t)i * block_size;
        if (i > from) memcpy(b + previous_checksum, b - block_size, 16);
        if (i == from && body) {
            uint64_t size = edit_get(b, EDIT_FIELD_SIZE);
            TESTING_ASSERT(size >= VSR_HEADER_SIZE && size <= block_size);
            edit_reseal_body(b, b + VSR_HEADER_SIZE, (size_t)(size - VSR_HEADER_SIZE));
        }
        edit_reseal_header(b);
    }
    reference->last_block_checksum = testing_load_u128(blocks + (size_t)(count - 1) * block_size);
}

/* ---- defects ---- */

static const char *const defect_names[] = {
#define EDIT_DEFECT_NAME(name, text) text,
    EDIT_DEFECTS(EDIT_DEFECT_NAME)
#undef EDIT_DEFECT_NAME
};

const char *edit_defect_name(edit_defect defect) {
    TESTING_ASSERT((unsigned)defect < EDIT_DEFECT_COUNT);
    return defect_names[defect];
}

static bool slot_occupied(const uint8_t *trailer, uint32_t clients_max, uint32_t slot) {
    return edit_slot_session(trailer, clients_max, slot) != 0;
}

/* A random slot that is occupied (or free), or VSR_SLOT_NONE. */
static uint32_t pick_slot(const edit_random *random, const uint8_t *trailer, uint32_t n,
                          bool occupied) {
    uint32_t start = edit_below(random, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = (start + i) % n;
        if (slot_occupied(trailer, n, slot) == occupied) return slot;
    }
    return VSR_SLOT_NONE;
}

/* Another slot than `slot`, occupied if asked (VSR_SLOT_NONE if there is none). */
static uint32_t pick_other(const edit_random *random, const uint8_t *trailer, uint32_t n,
                           uint32_t slot, bool occupied) {
    uint32_t start = edit_below(random, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t other = (start + i) % n;
        if (other == slot) continue;
        if (!occupied || slot_occupied(trailer, n, other)) return other;
    }
    return VSR_SLOT_NONE;
}

static uint64_t commit_max(const uint8_t *trailer, uint32_t n) {
    uint64_t max = 0;
    for (uint32_t slot = 0; slot < n; slot++) {
        if (!slot_occupied(trailer, n, slot)) continue;
        uint64_t commit = edit_get(trailer + (size_t)VSR_HEADER_SIZE * slot, EDIT_FIELD_COMMIT);
        if (commit > max) max = commit;
    }
    return max;
}

/* A valid header of its own (checksum set), breaking only a rule across slots. */
static void set_commit(uint8_t *header, uint64_t commit) {
    edit_set(header, EDIT_FIELD_COMMIT, commit);
    edit_set(header, EDIT_FIELD_OP, commit);
    edit_reseal_header(header);
}

/* The same client in two slots, with distinct commits: only the client rule breaks. */
static bool duplicate_client(const edit_random *random, uint8_t *trailer, uint32_t n, uint32_t slot,
                             edit_expected *e) {
    uint32_t other = pick_other(random, trailer, n, slot, false);
    if (other == VSR_SLOT_NONE) return false;
    uint64_t commit = commit_max(trailer, n) + 1;
    memcpy(edit_slot_header(trailer, other), edit_slot_header(trailer, slot), VSR_HEADER_SIZE);
    set_commit(edit_slot_header(trailer, other), commit);
    edit_set_slot_session(trailer, n, other, edit_slot_session(trailer, n, slot));
    e->slot = other > slot ? other : slot; /* a decoder meets it at the later slot */
    e->code = VSR_ERROR_DUPLICATE_CLIENT;
    return true;
}

/* Two clients whose replies have the same commit: eviction order would be ambiguous. */
static bool duplicate_commit(const edit_random *random, uint8_t *trailer, uint32_t n, uint32_t slot,
                             edit_expected *e) {
    uint32_t other = pick_other(random, trailer, n, slot, true);
    if (other == VSR_SLOT_NONE) return false;
    uint64_t commit = edit_get(edit_slot_header(trailer, slot), EDIT_FIELD_COMMIT);
    set_commit(edit_slot_header(trailer, other), commit);
    if (edit_slot_session(trailer, n, other) > commit) {
        edit_set_slot_session(trailer, n, other, commit);
    }
    e->slot = other > slot ? other : slot;
    e->code = VSR_ERROR_DUPLICATE_COMMIT;
    return true;
}

bool edit_defect_apply(const edit_random *random, uint8_t *trailer, uint32_t n, edit_defect defect,
                       edit_expected *e) {
    uint32_t slot = pick_slot(random, trailer, n, defect != EDIT_DEFECT_FREE_SLOT_DIRTY);
    if (slot == VSR_SLOT_NONE) return false;
    uint8_t *header = edit_slot_header(trailer, slot);
    e->slot = slot;
    switch (defect) {
    case EDIT_DEFECT_HEADER_BIT:
        edit_flip_bit(random, header, VSR_HEADER_SIZE);
        e->code = VSR_ERROR_HEADER_CHECKSUM;
        return true;
    case EDIT_DEFECT_SESSION_AFTER_COMMIT: {
        uint64_t commit = edit_get(header, EDIT_FIELD_COMMIT);
        edit_set_slot_session(trailer, n, slot, commit + 1 + edit_below(random, 1000));
        e->code = VSR_ERROR_SESSION_AFTER_COMMIT;
        return true;
    }
    case EDIT_DEFECT_DUPLICATE_CLIENT: return duplicate_client(random, trailer, n, slot, e);
    case EDIT_DEFECT_DUPLICATE_COMMIT: return duplicate_commit(random, trailer, n, slot, e);
    case EDIT_DEFECT_FREE_SLOT_DIRTY: {
        uint32_t bit = edit_below(random, 8);
        header[edit_below(random, VSR_HEADER_SIZE)] |= (uint8_t)(1u << bit);
        e->code = VSR_ERROR_FREE_SLOT_NOT_ZERO;
        return true;
    }
    default: TESTING_ASSERT(false); return false;
    }
}

/* ---- slot edits ---- */

static const char *const slot_edit_names[] = {
#define EDIT_SLOT_NAME(name, text) text,
    EDIT_SLOT_EDITS(EDIT_SLOT_NAME)
#undef EDIT_SLOT_NAME
};

const char *edit_slot_edit_name(edit_slot_edit edit) {
    TESTING_ASSERT((unsigned)edit < EDIT_SLOT_COUNT);
    return slot_edit_names[edit];
}

/* Commits far apart. A table may pack a commit's distance from the smallest beside the slot
 * in its sort keys when that distance is below 2^44, and sort (commit, slot) records when it
 * is not: COMMIT_FAR puts a commit just inside, at and just past that bound from the
 * smallest other commit, or far past it. */
static const uint64_t far_commit_packed = UINT64_C(1) << 44;
static const uint64_t far_commit_step = UINT64_C(1) << 46;

/* The smallest commit of the occupied slots other than slot, or UINT64_MAX if none. */
static uint64_t commit_lowest_other(const uint8_t *trailer, uint32_t n, uint32_t slot) {
    uint64_t lowest = UINT64_MAX;
    for (uint32_t other = 0; other < n; other++) {
        if (other == slot || !slot_occupied(trailer, n, other)) continue;
        uint64_t commit = edit_get(trailer + (size_t)VSR_HEADER_SIZE * other, EDIT_FIELD_COMMIT);
        if (commit < lowest) lowest = commit;
    }
    return lowest;
}

static void flip_field(const edit_random *random, uint8_t *h, edit_field_id field) {
    edit_flip_bit(random, h + edit_fields[field].offset, edit_fields[field].width);
}

/* The edits of the fields a registration's rules single out; false if this reply has none. */
static bool reply_request_edit(const edit_random *random, uint8_t *h, edit_slot_edit edit,
                               bool is_register) {
    switch (edit) {
    case EDIT_SLOT_REGISTER_SIZE_BELOW:
        if (!is_register) return false;
        edit_set(h, EDIT_FIELD_SIZE, VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE - 1);
        return true;
    case EDIT_SLOT_REGISTER_SIZE_ABOVE:
        if (!is_register) return false;
        edit_set(h, EDIT_FIELD_SIZE, VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE + 1);
        return true;
    case EDIT_SLOT_REGISTER_REQUEST:
        if (!is_register) return false;
        edit_set(h, EDIT_FIELD_REQUEST, 1);
        return true;
    case EDIT_SLOT_REQUEST_ZERO:
        if (is_register) return false;
        edit_set(h, EDIT_FIELD_REQUEST, 0);
        return true;
    case EDIT_SLOT_OPERATION_REGISTER:
        if (is_register) return false;
        /* size and request now break a register's rules */
        edit_set(h, EDIT_FIELD_OPERATION, VSR_OPERATION_REGISTER);
        return true;
    case EDIT_SLOT_RESERVED: flip_field(random, h, EDIT_FIELD_RESERVED); return true;
    default: TESTING_ASSERT(false); return false;
    }
}

/* The edits that change one field of the reply only; false if this reply has no place. */
static bool reply_field_edit(const edit_random *random, uint8_t *h, edit_slot_edit edit) {
    bool is_register = h[edit_fields[EDIT_FIELD_OPERATION].offset] == VSR_OPERATION_REGISTER;
    uint64_t commit = edit_get(h, EDIT_FIELD_COMMIT);
    switch (edit) {
    case EDIT_SLOT_COMMAND:
        edit_set(h, EDIT_FIELD_COMMAND, edit_below(random, 2) < 1 ? VSR_COMMAND_BLOCK : 7);
        return true;
    case EDIT_SLOT_CHECKSUM_PADDING:
        flip_field(random, h, EDIT_FIELD_CHECKSUM_PADDING);
        return true;
    case EDIT_SLOT_CHECKSUM_BODY_PADDING:
        flip_field(random, h, EDIT_FIELD_CHECKSUM_BODY_PADDING);
        return true;
    case EDIT_SLOT_NONCE_RESERVED: flip_field(random, h, EDIT_FIELD_NONCE_RESERVED); return true;
    case EDIT_SLOT_SIZE_BELOW_MIN: edit_set(h, EDIT_FIELD_SIZE, VSR_HEADER_SIZE - 1); return true;
    case EDIT_SLOT_SIZE_MIN:
        if (is_register) return false;
        edit_set(h, EDIT_FIELD_SIZE, VSR_HEADER_SIZE);
        return true;
    case EDIT_SLOT_SIZE_MAX:
        if (is_register) return false;
        edit_set(h, EDIT_FIELD_SIZE, VSR_MESSAGE_SIZE_MAX - edit_below(random, 2));
        return true;
    case EDIT_SLOT_SIZE_ABOVE_MAX:
        edit_set(h, EDIT_FIELD_SIZE, VSR_MESSAGE_SIZE_MAX + 1);
        return true;
    case EDIT_SLOT_EPOCH: edit_set(h, EDIT_FIELD_EPOCH, 1u << edit_below(random, 32)); return true;
    case EDIT_SLOT_RELEASE_ZERO: edit_set(h, EDIT_FIELD_RELEASE, 0); return true;
    case EDIT_SLOT_RELEASE_ONE: edit_set(h, EDIT_FIELD_RELEASE, 1); return true;
    case EDIT_SLOT_PROTOCOL:
        edit_set(h, EDIT_FIELD_PROTOCOL, 1u << edit_below(random, 16));
        return true;
    case EDIT_SLOT_RESERVED_FRAME: flip_field(random, h, EDIT_FIELD_RESERVED_FRAME); return true;
    case EDIT_SLOT_REQUEST_CHECKSUM_PADDING:
        flip_field(random, h, EDIT_FIELD_REQUEST_CHECKSUM_PADDING);
        return true;
    case EDIT_SLOT_CONTEXT_PADDING: flip_field(random, h, EDIT_FIELD_CONTEXT_PADDING); return true;
    case EDIT_SLOT_CLIENT_ZERO:
        memset(h + edit_fields[EDIT_FIELD_CLIENT].offset, 0, 16);
        return true;
    case EDIT_SLOT_OP_ABOVE: edit_set(h, EDIT_FIELD_OP, commit + 1); return true;
    case EDIT_SLOT_OP_BELOW: edit_set(h, EDIT_FIELD_OP, commit - 1); return true;
    case EDIT_SLOT_COMMIT_ZERO:
        edit_set(h, EDIT_FIELD_COMMIT, 0);
        edit_set(h, EDIT_FIELD_OP, 0);
        return true;
    case EDIT_SLOT_TIMESTAMP_ZERO: edit_set(h, EDIT_FIELD_TIMESTAMP, 0); return true;
    case EDIT_SLOT_TIMESTAMP_ONE: edit_set(h, EDIT_FIELD_TIMESTAMP, 1); return true;
    default: return reply_request_edit(random, h, edit, is_register);
    }
}

/* Another slot's client takes one half of this one's (h's): the two stay distinct. */
static void share_half(uint8_t *h, uint8_t *o, bool high) {
    const uint32_t client = edit_fields[EDIT_FIELD_CLIENT].offset;
    uint64_t h_lo = testing_load(h + client, 8), h_hi = testing_load(h + client + 8, 8);
    uint64_t lo = testing_load(o + client, 8), hi = testing_load(o + client + 8, 8);
    if (high) {
        hi = h_hi;
        if (lo == h_lo) lo ^= EDIT_ID_UNISSUED_BIT;
    } else {
        lo = h_lo;
        if (hi == h_hi) hi ^= EDIT_ID_UNISSUED_BIT;
    }
    testing_store(o + client, 8, lo);
    testing_store(o + client + 8, 8, hi);
    edit_reseal_header(o);
}

/* The edits of a slot's session, of its commit against the others', and across slots. */
static bool slot_edit(const edit_random *random, uint8_t *trailer, uint32_t n, uint64_t *size,
                      edit_slot_edit edit, uint32_t slot, uint32_t other) {
    uint8_t *h = edit_slot_header(trailer, slot);
    uint64_t commit = edit_get(h, EDIT_FIELD_COMMIT);
    switch (edit) {
    case EDIT_SLOT_SESSION_AT_COMMIT: edit_set_slot_session(trailer, n, slot, commit); break;
    case EDIT_SLOT_SESSION_ABOVE_COMMIT: edit_set_slot_session(trailer, n, slot, commit + 1); break;
    case EDIT_SLOT_COMMIT_FAR: {
        const uint64_t distances[] = {far_commit_packed - 1, far_commit_packed,
                                      far_commit_packed + 1, far_commit_step, far_commit_step * 3};
        uint64_t lowest = commit_lowest_other(trailer, n, slot);
        if (lowest == UINT64_MAX) lowest = commit;
        commit = lowest + distances[edit_below(random, 5)];
        edit_set(h, EDIT_FIELD_COMMIT, commit);
        edit_set(h, EDIT_FIELD_OP, commit);
        break;
    }
    case EDIT_SLOT_COMMIT_FAR_DUPLICATE:
        if (other == VSR_SLOT_NONE) return false;
        edit_set(h, EDIT_FIELD_COMMIT, commit + far_commit_step);
        edit_set(h, EDIT_FIELD_OP, commit + far_commit_step);
        set_commit(edit_slot_header(trailer, other), commit + far_commit_step);
        break;
    case EDIT_SLOT_CLIENT_SAME_HIGH_HALF:
    case EDIT_SLOT_CLIENT_SAME_LOW_HALF:
        if (other == VSR_SLOT_NONE) return false;
        share_half(h, edit_slot_header(trailer, other), edit == EDIT_SLOT_CLIENT_SAME_HIGH_HALF);
        return true;
    case EDIT_SLOT_SIZE_TRAILER_SHORT: *size -= 1 + edit_below(random, 8); return true;
    default:
        if (!reply_field_edit(random, h, edit)) return false;
        break;
    }
    edit_reseal_header(h);
    return true;
}

bool edit_slot_apply(const edit_random *random, uint8_t *trailer, uint32_t clients_max,
                     uint64_t *size, edit_slot_edit edit, uint32_t slot, uint32_t other) {
    TESTING_ASSERT((unsigned)edit < EDIT_SLOT_COUNT);
    TESTING_ASSERT(slot < clients_max && slot_occupied(trailer, clients_max, slot));
    TESTING_ASSERT(other == VSR_SLOT_NONE || (other < clients_max && other != slot));
    return slot_edit(random, trailer, clients_max, size, edit, slot, other);
}

/* ---- block edits ---- */

static const char *const block_edit_names[] = {
#define EDIT_BLOCK_NAME(name, text) text,
    EDIT_BLOCK_EDITS(EDIT_BLOCK_NAME)
#undef EDIT_BLOCK_NAME
};

const char *edit_block_edit_name(edit_block_edit edit) {
    TESTING_ASSERT((unsigned)edit < EDIT_BLOCK_COUNT);
    return block_edit_names[edit];
}

bool edit_image_lookup(void *context, uint64_t address, const void **bytes, size_t *size) {
    const edit_image *store = context;
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

uint64_t edit_block_prefix_size(uint64_t trailer_size, uint32_t block_size, edit_block_edit edit) {
    uint64_t chunk = block_size - (uint64_t)VSR_HEADER_SIZE;
    if (edit == EDIT_BLOCK_PREFIX_FULL) return trailer_size / chunk * chunk;
    if (edit == EDIT_BLOCK_PREFIX_ONE) return (trailer_size - 1) / chunk * chunk + 1;
    return trailer_size;
}

/* The edits of the reference, of the block size the reader is given and of what the lookup
 * finds: nothing is resealed. Returns false for the other edits. */
static bool read_edit(const edit_random *random, edit_image *store, const uint8_t *b,
                      edit_block_edit edit, uint32_t i, vsr_trailer_reference *reference,
                      uint32_t *block_size) {
    uint32_t bs = store->block_size;
    uint64_t size = edit_get(b, EDIT_FIELD_SIZE);
    switch (edit) {
    case EDIT_BLOCK_REFERENCE_SIZE_ZERO: reference->size = 0; return true;
    case EDIT_BLOCK_REFERENCE_SIZE_LESS: reference->size -= 1; return true;
    case EDIT_BLOCK_REFERENCE_SIZE_MORE: reference->size += 1; return true;
    case EDIT_BLOCK_REFERENCE_ADDRESS_ZERO: reference->last_block_address = 0; return true;
    case EDIT_BLOCK_REFERENCE_CHECKSUM:
        edit_flip_bit(random, (uint8_t *)&reference->checksum, 16);
        return true;
    case EDIT_BLOCK_BLOCK_SIZE_HALF: *block_size = bs / 2; return true;
    case EDIT_BLOCK_BLOCK_SIZE_ODD: *block_size = bs + 1 + 2 * edit_below(random, 4); return true;
    case EDIT_BLOCK_BLOCK_SIZE_ABOVE_MAX: *block_size = VSR_BLOCK_SIZE_MAX * 2; return true;
    case EDIT_BLOCK_TRUNCATED_HEADER:
        store->short_address = store->base + i;
        store->short_size = edit_below(random, VSR_HEADER_SIZE);
        return true;
    case EDIT_BLOCK_TRUNCATED_BODY:
        store->short_address = store->base + i;
        store->short_size =
            (size_t)(size - 1 - edit_below(random, (uint32_t)(size - VSR_HEADER_SIZE)));
        return true;
    case EDIT_BLOCK_MISSING: store->missing_address = store->base + i; return true;
    case EDIT_BLOCK_MISSING_NULL: store->null_address = store->base + i; return true;
    case EDIT_BLOCK_PREFIX_FULL: /* the caller wrote a shorter trailer */
    case EDIT_BLOCK_PREFIX_ONE:
    case EDIT_BLOCK_NONE: return true;
    default: return false;
    }
}

/* The edits of one block's header fields; *body when the body checksum is to be resealed
 * too. False when this block has no place for the edit. */
static bool block_field_edit(const edit_random *random, edit_image *store, uint8_t *b,
                             edit_block_edit edit, uint32_t i, bool *body) {
    uint32_t bs = store->block_size;
    uint64_t size = edit_get(b, EDIT_FIELD_SIZE);
    switch (edit) {
    case EDIT_BLOCK_VIEW: edit_set(b, EDIT_FIELD_VIEW, 1u << edit_below(random, 32)); break;
    case EDIT_BLOCK_REPLICA: edit_set(b, EDIT_FIELD_REPLICA, 1 + edit_below(random, 255)); break;
    case EDIT_BLOCK_PREVIOUS_PADDING:
        flip_field(random, b, EDIT_FIELD_PREVIOUS_CHECKSUM_PADDING);
        break;
    case EDIT_BLOCK_METADATA_RESERVED: flip_field(random, b, EDIT_FIELD_METADATA_RESERVED); break;
    case EDIT_BLOCK_ADDRESS_ZERO: edit_set(b, EDIT_FIELD_ADDRESS, 0); break;
    case EDIT_BLOCK_ADDRESS_OTHER:
        edit_set(b, EDIT_FIELD_ADDRESS,
                 edit_get(b, EDIT_FIELD_ADDRESS) + 1 + edit_below(random, 3));
        break;
    case EDIT_BLOCK_SNAPSHOT: edit_set(b, EDIT_FIELD_SNAPSHOT, 1 + edit_below(random, 1000)); break;
    case EDIT_BLOCK_BLOCK_TYPE:
        edit_set(b, EDIT_FIELD_BLOCK_TYPE, VSR_BLOCK_TYPE_CLIENT_SESSIONS + 1);
        break;
    case EDIT_BLOCK_RESERVED_BLOCK: flip_field(random, b, EDIT_FIELD_RESERVED_BLOCK); break;
    case EDIT_BLOCK_COMMAND: edit_set(b, EDIT_FIELD_COMMAND, VSR_COMMAND_REPLY); break;
    case EDIT_BLOCK_EPOCH: edit_set(b, EDIT_FIELD_EPOCH, 1); break;
    case EDIT_BLOCK_RELEASE_ZERO: edit_set(b, EDIT_FIELD_RELEASE, 0); break;
    case EDIT_BLOCK_SIZE_MORE:
        if (size >= bs) return false;
        edit_set(b, EDIT_FIELD_SIZE, size + 1);
        *body = true;
        break;
    case EDIT_BLOCK_SIZE_LESS:
        if (size <= VSR_HEADER_SIZE + 1) return false;
        edit_set(b, EDIT_FIELD_SIZE, size - 1);
        *body = true;
        break;
    case EDIT_BLOCK_EMPTY_BODY:
        /* A block of its header alone, sealed as such and read back as 256 bytes: the body
         * size decides, not truncation. */
        edit_set(b, EDIT_FIELD_SIZE, VSR_HEADER_SIZE);
        store->short_address = store->base + i;
        store->short_size = VSR_HEADER_SIZE;
        *body = true;
        break;
    case EDIT_BLOCK_BODY:
        edit_flip_bit(random, b + VSR_HEADER_SIZE, (uint32_t)(size - VSR_HEADER_SIZE));
        *body = true;
        break;
    case EDIT_BLOCK_PREVIOUS_ADDRESS:
        edit_set(b, EDIT_FIELD_PREVIOUS_ADDRESS,
                 edit_get(b, EDIT_FIELD_PREVIOUS_ADDRESS) ^ (1u << edit_below(random, 8)));
        break;
    case EDIT_BLOCK_PREVIOUS_CHECKSUM:
        /* The first block must point back at nothing: address and checksum both zero. */
        flip_field(random, b, EDIT_FIELD_PREVIOUS_CHECKSUM);
        break;
    default: TESTING_ASSERT(false); return false;
    }
    return true;
}

bool edit_block_apply(const edit_random *random, edit_image *store, uint8_t *blocks,
                      edit_block_edit edit, uint32_t i, vsr_trailer_reference *reference,
                      uint32_t *block_size) {
    TESTING_ASSERT((unsigned)edit < EDIT_BLOCK_COUNT);
    TESTING_ASSERT(i < store->count);
    uint8_t *b = blocks + (size_t)i * store->block_size;
    if (read_edit(random, store, b, edit, i, reference, block_size)) return true;
    bool body = false;
    if (!block_field_edit(random, store, b, edit, i, &body)) return false;
    edit_reseal_chain(blocks, store->block_size, store->count, i, body, reference);
    return true;
}
