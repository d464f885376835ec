/*
 * edit.h: the one engine that edits trailer bytes and reseals their checksums.
 *
 * A byte flip breaks a checksum first, so the rules behind it (reserved fields, exact
 * values, ranges, the rules across slots, the chain of blocks) are only reached by an
 * edit that is resealed afterwards. This engine holds:
 *
 * - the named field table of docs/FORMAT.md's headers: the frame every header shares,
 *   then a reply's or a block's own fields (offset, width, name);
 * - edits of one field, of a slot of a trailer (both sides of each exact value and range),
 *   of the trailer's blocks and of their reference, and the defects of a trailer that
 *   break exactly one rule across slots;
 * - reseals: a header's checksum, a block's body checksum, the chain of blocks after an
 *   edited one, and the reference to the last block.
 *
 * The simulator's resealed copies and the fuzz targets' structure-aware mutators both
 * edit through it. Random choices come from the caller's generator (edit_random), so that
 * the simulator's draws stay those of its seed. Fields are read and written as raw
 * little-endian bytes (testing/bytes.h); checksums are the core's vsr_checksum.
 */
#ifndef TESTING_EDIT_H
#define TESTING_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vsr.h"

/* ---- the field table ---- */

/* X(NAME, "name", offset, width) */
#define EDIT_FRAME_FIELDS(X)                                  \
    X(CHECKSUM, "checksum", 0, 16)                            \
    X(CHECKSUM_PADDING, "checksum_padding", 16, 16)           \
    X(CHECKSUM_BODY, "checksum_body", 32, 16)                 \
    X(CHECKSUM_BODY_PADDING, "checksum_body_padding", 48, 16) \
    X(NONCE_RESERVED, "nonce_reserved", 64, 16)               \
    X(CLUSTER, "cluster", 80, 16)                             \
    X(SIZE, "size", 96, 4)                                    \
    X(EPOCH, "epoch", 100, 4)                                 \
    X(VIEW, "view", 104, 4)                                   \
    X(RELEASE, "release", 108, 4)                             \
    X(PROTOCOL, "protocol", 112, 2)                           \
    X(COMMAND, "command", 114, 1)                             \
    X(REPLICA, "replica", 115, 1)                             \
    X(RESERVED_FRAME, "reserved_frame", 116, 12)

#define EDIT_REPLY_FIELDS(X)                                         \
    X(REQUEST_CHECKSUM, "request_checksum", 128, 16)                 \
    X(REQUEST_CHECKSUM_PADDING, "request_checksum_padding", 144, 16) \
    X(CONTEXT, "context", 160, 16)                                   \
    X(CONTEXT_PADDING, "context_padding", 176, 16)                   \
    X(CLIENT, "client", 192, 16)                                     \
    X(OP, "op", 208, 8)                                              \
    X(COMMIT, "commit", 216, 8)                                      \
    X(TIMESTAMP, "timestamp", 224, 8)                                \
    X(REQUEST, "request", 232, 4)                                    \
    X(OPERATION, "operation", 236, 1)                                \
    X(RESERVED, "reserved", 237, 19)

#define EDIT_BLOCK_FIELDS(X)                                                         \
    X(PREVIOUS_CHECKSUM, "previous_trailer_block_checksum", 128, 16)                 \
    X(PREVIOUS_CHECKSUM_PADDING, "previous_trailer_block_checksum_padding", 144, 16) \
    X(PREVIOUS_ADDRESS, "previous_trailer_block_address", 160, 8)                    \
    X(METADATA_RESERVED, "metadata_reserved", 168, 56)                               \
    X(ADDRESS, "address", 224, 8)                                                    \
    X(SNAPSHOT, "snapshot", 232, 8)                                                  \
    X(BLOCK_TYPE, "block_type", 240, 1)                                              \
    X(RESERVED_BLOCK, "reserved_block", 241, 15)

typedef struct edit_field {
    uint16_t offset;
    uint16_t width;
    const char *name;
} edit_field;

typedef enum edit_field_id {
#define EDIT_FIELD_ENUM(name, text, offset, width) EDIT_FIELD_##name,
    EDIT_FRAME_FIELDS(EDIT_FIELD_ENUM) EDIT_REPLY_FIELDS(EDIT_FIELD_ENUM)
        EDIT_BLOCK_FIELDS(EDIT_FIELD_ENUM)
#undef EDIT_FIELD_ENUM
            EDIT_FIELD_COUNT
} edit_field_id;

#define EDIT_FIELD_PLUS_ONE(name, text, offset, width) +1
enum {
    EDIT_FRAME_FIELD_COUNT = 0 EDIT_FRAME_FIELDS(EDIT_FIELD_PLUS_ONE),
    EDIT_REPLY_FIELD_COUNT = 0 EDIT_REPLY_FIELDS(EDIT_FIELD_PLUS_ONE),
    EDIT_BLOCK_FIELD_COUNT = 0 EDIT_BLOCK_FIELDS(EDIT_FIELD_PLUS_ONE),
};
#undef EDIT_FIELD_PLUS_ONE

/* Every field, by edit_field_id: the frame, the reply's own, the block's own. */
extern const edit_field edit_fields[EDIT_FIELD_COUNT];
/* The frame's fields, then those of a reply (command 8) or of a block (any other). */
const edit_field *edit_header_field(uint8_t command, uint32_t index);
uint32_t edit_header_field_count(uint8_t command);
/* The field of a header of `command` that holds byte `offset` (0..255). */
const edit_field *edit_field_at(uint8_t command, uint32_t offset);

/* A field's value (its first 8 bytes when wider), little-endian; and setting it. */
uint64_t edit_get(const uint8_t *header, edit_field_id field);
void edit_set(uint8_t *header, edit_field_id field, uint64_t value);

/* ---- the caller's randomness ---- */

/* below(state, bound) is uniform in [0, bound), bound > 0. */
typedef struct edit_random {
    uint32_t (*below)(void *state, uint32_t bound);
    void *state;
} edit_random;

uint32_t edit_below(const edit_random *random, uint32_t bound);
/* One random bit of the n bytes at p flipped. */
void edit_flip_bit(const edit_random *random, uint8_t *p, uint32_t n);

/* ---- trailers: clients_max headers, then clients_max u64 sessions ---- */

uint8_t *edit_slot_header(uint8_t *trailer, uint32_t slot);
uint64_t edit_slot_session(const uint8_t *trailer, uint32_t clients_max, uint32_t slot);
void edit_set_slot_session(uint8_t *trailer, uint32_t clients_max, uint32_t slot, uint64_t session);

/* ---- reseals ---- */

/* The header checksum over bytes 16..256. */
void edit_reseal_header(uint8_t *header);
/* A header's body checksum, of body[0..body_size). */
void edit_reseal_body(uint8_t *header, const uint8_t *body, size_t body_size);
/*
 * Block `from` of blocks[0..count) (block_size bytes apart) and every later one: the body
 * checksum of `from` when body is set (its body is its header's size less the header), the
 * back-pointer checksum of each later block, every header checksum from `from` on, and
 * the reference's last block checksum.
 */
void edit_reseal_chain(uint8_t *blocks, uint32_t block_size, uint32_t count, uint32_t from,
                       bool body, vsr_trailer_reference *reference);

/* ---- defects: a trailer that breaks exactly one rule ---- */

#define EDIT_DEFECTS(X)                             \
    X(HEADER_BIT, "header_bit")                     \
    X(SESSION_AFTER_COMMIT, "session_after_commit") \
    X(DUPLICATE_CLIENT, "duplicate_client")         \
    X(DUPLICATE_COMMIT, "duplicate_commit")         \
    X(FREE_SLOT_DIRTY, "free_slot_dirty")

typedef enum edit_defect {
#define EDIT_DEFECT_ENUM(name, text) EDIT_DEFECT_##name,
    EDIT_DEFECTS(EDIT_DEFECT_ENUM)
#undef EDIT_DEFECT_ENUM
        EDIT_DEFECT_COUNT
} edit_defect;

const char *edit_defect_name(edit_defect defect);

/* What a defect breaks: the rule, and the slot where a decoder must meet it. */
typedef struct edit_expected {
    vsr_error_code code;
    uint32_t slot;
} edit_expected;

/*
 * Gives a valid trailer of clients_max slots one defect that no block checksum would let
 * through: a flipped header bit (not resealed), a session after its commit, a client in
 * two slots (distinct commits), two replies with one commit, a byte set in a free slot.
 * False when the trailer has no slot for it (no occupied one, or no free one).
 */
bool edit_defect_apply(const edit_random *random, uint8_t *trailer, uint32_t clients_max,
                       edit_defect defect, edit_expected *expected);

/* ---- slot edits: one field of one reply, resealed ---- */

#define EDIT_SLOT_EDITS(X)                                  \
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

typedef enum edit_slot_edit {
#define EDIT_SLOT_ENUM(name, text) EDIT_SLOT_##name,
    EDIT_SLOT_EDITS(EDIT_SLOT_ENUM)
#undef EDIT_SLOT_ENUM
        EDIT_SLOT_COUNT
} edit_slot_edit;

const char *edit_slot_edit_name(edit_slot_edit edit);

/*
 * A bit that the ids a workload issues keep clear in both halves: an id with it set was
 * never issued (the simulator's probes, the client edits below).
 */
#define EDIT_ID_UNISSUED_BIT (UINT64_C(1) << 63)

/*
 * Applies edit to the reply at slot (occupied) and reseals it; the edits across slots
 * also change the occupied slot `other` (VSR_SLOT_NONE when there is none). An edit breaks
 * one rule, or sits just inside it (the smallest and largest valid values, commits far
 * apart, ids that share a half), so that both sides of every range are tried. The trailer
 * size edit shortens *size instead. Returns false when this slot has no place for it.
 */
bool edit_slot_apply(const edit_random *random, uint8_t *trailer, uint32_t clients_max,
                     uint64_t *size, edit_slot_edit edit, uint32_t slot, uint32_t other);

/* ---- block edits: one field of one block, of the reference, or of what a read finds ---- */

#define EDIT_BLOCK_EDITS(X)                             \
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

typedef enum edit_block_edit {
#define EDIT_BLOCK_ENUM(name, text) EDIT_BLOCK_##name,
    EDIT_BLOCK_EDITS(EDIT_BLOCK_ENUM)
#undef EDIT_BLOCK_ENUM
        EDIT_BLOCK_COUNT
} edit_block_edit;

const char *edit_block_edit_name(edit_block_edit edit);

/*
 * Blocks at addresses base + i (i < count), as a vsr_block_lookup sees them: one may read
 * only short_size bytes, one may be missing, and one may be found with no bytes (NULL).
 * An address of 0 marks none.
 */
typedef struct edit_image {
    const uint8_t *blocks;
    uint32_t block_size;
    uint32_t count;
    uint64_t base;
    uint64_t short_address;
    size_t short_size;
    uint64_t missing_address;
    uint64_t null_address;
} edit_image;

bool edit_image_lookup(void *context, uint64_t address, const void **bytes, size_t *size);

/*
 * The trailer size that the prefix edits write: the first bytes of the trailer that fill
 * whole blocks (the last exactly full), or one byte more (the last holds one); the trailer
 * size for every other edit. 0 when the trailer does not fill one block.
 */
uint64_t edit_block_prefix_size(uint64_t trailer_size, uint32_t block_size, edit_block_edit edit);

/*
 * Applies edit to block i of store (whose blocks are `blocks`, the reference's chain), to
 * the reference, to the block size a read is given (*block_size), or to what the store's
 * lookup finds, and reseals what the edit broke that is not the point of the edit.
 * Returns false when block i has no place for it.
 */
bool edit_block_apply(const edit_random *random, edit_image *store, uint8_t *blocks,
                      edit_block_edit edit, uint32_t i, vsr_trailer_reference *reference,
                      uint32_t *block_size);

#endif
