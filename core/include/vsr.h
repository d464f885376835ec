/*
 * vsr.h: the bytes of the client-sessions format (docs/FORMAT.md).
 *
 * u128, the 256-byte header frame, the reply and block headers, the
 * AEGIS-128L checksum, header validation, the error values every decoder
 * returns, and trailer blocks. All integers on disk are little-endian; the
 * structs below are the on-disk layout, so this header only builds on a
 * little-endian host (checked at compile time).
 */
#ifndef VSR_H
#define VSR_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "client-sessions stores integers in host order and needs a little-endian host"
#endif

#define VSR_VERSION_MAJOR 0
#define VSR_VERSION_MINOR 1
#define VSR_VERSION_PATCH 0
#define VSR_VERSION_STRING "0.1.0"

__extension__ typedef unsigned __int128 vsr_u128;

#define VSR_U128(hi, lo) ((((vsr_u128)(uint64_t)(hi)) << 64) | (vsr_u128)(uint64_t)(lo))
#define VSR_U128_HI(x) ((uint64_t)((x) >> 64))
#define VSR_U128_LO(x) ((uint64_t)(x))

/* Writes x as 32 lowercase hex digits, most significant first, plus NUL. */
void vsr_u128_format(vsr_u128 x, char out[33]);
/* Parses exactly 1..32 hex digits (an optional 0x prefix is allowed). */
bool vsr_u128_parse(const char *text, vsr_u128 *out);

enum {
    VSR_HEADER_SIZE = 256,
    VSR_MESSAGE_SIZE_MAX = 1024 * 1024,
    VSR_COMMAND_REPLY = 8,
    VSR_COMMAND_BLOCK = 20,
    VSR_OPERATION_REGISTER = 2,
    VSR_REGISTER_RESULT_SIZE = 64,
    VSR_BLOCK_TYPE_CLIENT_SESSIONS = 2,
    VSR_BLOCK_SIZE_MIN = 512,
    VSR_BLOCK_SIZE_MAX = 1024 * 1024,
};

/* The frame common to every header (docs/FORMAT.md section 2). */
#define VSR_HEADER_FRAME_FIELDS     \
    vsr_u128 checksum;              \
    vsr_u128 checksum_padding;      \
    vsr_u128 checksum_body;         \
    vsr_u128 checksum_body_padding; \
    vsr_u128 nonce_reserved;        \
    vsr_u128 cluster;               \
    uint32_t size;                  \
    uint32_t epoch;                 \
    uint32_t view;                  \
    uint32_t release;               \
    uint16_t protocol;              \
    uint8_t command;                \
    uint8_t replica;                \
    uint8_t reserved_frame[12]

typedef struct vsr_header {
    alignas(16) VSR_HEADER_FRAME_FIELDS;
    uint8_t command_specific[128];
} vsr_header;

/* command = 8 (docs/FORMAT.md section 2a). */
typedef struct vsr_header_reply {
    alignas(16) VSR_HEADER_FRAME_FIELDS;
    vsr_u128 request_checksum;
    vsr_u128 request_checksum_padding;
    vsr_u128 context;
    vsr_u128 context_padding;
    vsr_u128 client;
    uint64_t op;
    uint64_t commit;
    uint64_t timestamp;
    uint32_t request;
    uint8_t operation;
    uint8_t reserved[19];
} vsr_header_reply;

/* command = 20 (docs/FORMAT.md section 2b). */
typedef struct vsr_header_block {
    alignas(16) VSR_HEADER_FRAME_FIELDS;
    vsr_u128 previous_trailer_block_checksum;
    vsr_u128 previous_trailer_block_checksum_padding;
    uint64_t previous_trailer_block_address;
    uint8_t metadata_reserved[56];
    uint64_t address;
    uint64_t snapshot;
    uint8_t block_type;
    uint8_t reserved_block[15];
} vsr_header_block;

#define VSR_ASSERT_FRAME_LAYOUT(T)                                                         \
    _Static_assert(sizeof(T) == VSR_HEADER_SIZE, #T " size");                              \
    _Static_assert(alignof(T) == 16, #T " alignment");                                     \
    _Static_assert(offsetof(T, checksum) == 0, #T ".checksum");                            \
    _Static_assert(offsetof(T, checksum_padding) == 16, #T ".checksum_padding");           \
    _Static_assert(offsetof(T, checksum_body) == 32, #T ".checksum_body");                 \
    _Static_assert(offsetof(T, checksum_body_padding) == 48, #T ".checksum_body_padding"); \
    _Static_assert(offsetof(T, nonce_reserved) == 64, #T ".nonce_reserved");               \
    _Static_assert(offsetof(T, cluster) == 80, #T ".cluster");                             \
    _Static_assert(offsetof(T, size) == 96, #T ".size");                                   \
    _Static_assert(offsetof(T, epoch) == 100, #T ".epoch");                                \
    _Static_assert(offsetof(T, view) == 104, #T ".view");                                  \
    _Static_assert(offsetof(T, release) == 108, #T ".release");                            \
    _Static_assert(offsetof(T, protocol) == 112, #T ".protocol");                          \
    _Static_assert(offsetof(T, command) == 114, #T ".command");                            \
    _Static_assert(offsetof(T, replica) == 115, #T ".replica");                            \
    _Static_assert(offsetof(T, reserved_frame) == 116, #T ".reserved_frame")

VSR_ASSERT_FRAME_LAYOUT(vsr_header);
VSR_ASSERT_FRAME_LAYOUT(vsr_header_reply);
VSR_ASSERT_FRAME_LAYOUT(vsr_header_block);
_Static_assert(offsetof(vsr_header, command_specific) == 128, "vsr_header.command_specific");
_Static_assert(offsetof(vsr_header_reply, request_checksum) == 128, "reply.request_checksum");
_Static_assert(offsetof(vsr_header_reply, request_checksum_padding) == 144, "reply.padding");
_Static_assert(offsetof(vsr_header_reply, context) == 160, "reply.context");
_Static_assert(offsetof(vsr_header_reply, context_padding) == 176, "reply.context_padding");
_Static_assert(offsetof(vsr_header_reply, client) == 192, "reply.client");
_Static_assert(offsetof(vsr_header_reply, op) == 208, "reply.op");
_Static_assert(offsetof(vsr_header_reply, commit) == 216, "reply.commit");
_Static_assert(offsetof(vsr_header_reply, timestamp) == 224, "reply.timestamp");
_Static_assert(offsetof(vsr_header_reply, request) == 232, "reply.request");
_Static_assert(offsetof(vsr_header_reply, operation) == 236, "reply.operation");
_Static_assert(offsetof(vsr_header_reply, reserved) == 237, "reply.reserved");
_Static_assert(offsetof(vsr_header_block, previous_trailer_block_checksum) == 128, "block.prev");
_Static_assert(offsetof(vsr_header_block, previous_trailer_block_checksum_padding) == 144,
               "block.prev_padding");
_Static_assert(offsetof(vsr_header_block, previous_trailer_block_address) == 160,
               "block.prev_address");
_Static_assert(offsetof(vsr_header_block, metadata_reserved) == 168, "block.metadata");
_Static_assert(offsetof(vsr_header_block, address) == 224, "block.address");
_Static_assert(offsetof(vsr_header_block, snapshot) == 232, "block.snapshot");
_Static_assert(offsetof(vsr_header_block, block_type) == 240, "block.block_type");
_Static_assert(offsetof(vsr_header_block, reserved_block) == 241, "block.reserved_block");

/* ---- Checksum: AEGIS-128L MAC, zero key and nonce (docs/FORMAT.md section 1) ---- */

/*
 * checksum(bytes) as docs/FORMAT.md defines it. The fastest implementation the CPU has (AES-NI,
 * the ARMv8 crypto extensions or portable C) is chosen on first use; all give the same answer
 * bit for bit.
 */
vsr_u128 vsr_checksum(const void *bytes, size_t size);

/* Streaming form: the same answer however the input is split. The fields are private. */
typedef struct vsr_checksum_stream {
    alignas(16) uint8_t state[8][16];
    uint8_t buffer[32];
    uint64_t size_total;
    uint32_t buffer_size;
    uint32_t impl; /* the implementation chosen at init */
} vsr_checksum_stream;

void vsr_checksum_stream_init(vsr_checksum_stream *stream);
void vsr_checksum_stream_add(vsr_checksum_stream *stream, const void *bytes, size_t size);
vsr_u128 vsr_checksum_stream_final(vsr_checksum_stream *stream);

/* ---- Header checksums ---- */

/* The checksum of bytes 16..256 of the header (what `checksum` must hold). */
vsr_u128 vsr_header_checksum_compute(const void *header);
void vsr_header_set_checksum(void *header);
bool vsr_header_checksum_valid(const void *header);
/* checksum_body is the checksum of the body that follows the header. */
void vsr_header_set_checksum_body(void *header, const void *body, size_t body_size);
bool vsr_header_checksum_body_valid(const void *header, const void *body, size_t body_size);

/* ---- Errors: one code per rule of docs/FORMAT.md, stable names ---- */

#define VSR_ERROR_CODES(X)                                                                        \
    X(OK, "ok", "no error")                                                                       \
    /* header frame, docs/FORMAT.md section 2 */                                                  \
    X(HEADER_CHECKSUM, "header_checksum", "checksum does not match bytes 16..256")                \
    X(HEADER_CHECKSUM_PADDING, "header_checksum_padding", "checksum_padding != 0")                \
    X(HEADER_CHECKSUM_BODY_PADDING, "header_checksum_body_padding", "checksum_body_padding != 0") \
    X(HEADER_NONCE_RESERVED, "header_nonce_reserved", "nonce_reserved != 0")                      \
    X(HEADER_SIZE_MIN, "header_size_min", "size < 256")                                           \
    X(HEADER_SIZE_MAX, "header_size_max", "size > 1 MiB")                                         \
    X(HEADER_EPOCH, "header_epoch", "epoch != 0")                                                 \
    X(HEADER_RELEASE, "header_release", "release == 0")                                           \
    X(HEADER_PROTOCOL, "header_protocol", "protocol != 0")                                        \
    X(HEADER_COMMAND, "header_command", "command is not the one expected here")                   \
    X(HEADER_RESERVED_FRAME, "header_reserved_frame", "reserved_frame != 0")                      \
    /* reply header, docs/FORMAT.md section 2a */                                                 \
    X(REPLY_REQUEST_CHECKSUM_PADDING, "reply_request_checksum_padding",                           \
      "request_checksum_padding != 0")                                                            \
    X(REPLY_CONTEXT_PADDING, "reply_context_padding", "context_padding != 0")                     \
    X(REPLY_CLIENT, "reply_client", "client == 0")                                                \
    X(REPLY_OP, "reply_op", "op != commit")                                                       \
    X(REPLY_COMMIT, "reply_commit", "commit == 0")                                                \
    X(REPLY_TIMESTAMP, "reply_timestamp", "timestamp == 0")                                       \
    X(REPLY_REGISTER_SIZE, "reply_register_size", "register reply: size != 256 + 64")             \
    X(REPLY_REGISTER_REQUEST, "reply_register_request", "register reply: request != 0")           \
    X(REPLY_REQUEST, "reply_request", "request == 0 on a reply that is not register")             \
    X(REPLY_RESERVED, "reply_reserved", "reserved != 0")                                          \
    /* block header, docs/FORMAT.md section 2b */                                                 \
    X(BLOCK_VIEW, "block_view", "block view != 0")                                                \
    X(BLOCK_REPLICA, "block_replica", "block replica != 0")                                       \
    X(BLOCK_PREVIOUS_CHECKSUM_PADDING, "block_previous_checksum_padding",                         \
      "previous_trailer_block_checksum_padding != 0")                                             \
    X(BLOCK_METADATA_RESERVED, "block_metadata_reserved", "metadata reserved != 0")               \
    X(BLOCK_ADDRESS, "block_address", "address == 0")                                             \
    X(BLOCK_SNAPSHOT, "block_snapshot", "snapshot != 0")                                          \
    X(BLOCK_TYPE, "block_type", "block_type != 2 (client_sessions)")                              \
    X(BLOCK_RESERVED, "block_reserved", "reserved_block != 0")                                    \
    /* trailer, docs/FORMAT.md section 3 */                                                       \
    X(TRAILER_SIZE, "trailer_size", "size is not 264 * clients_max of the table")                 \
    X(FREE_SLOT_NOT_ZERO, "free_slot_not_zero", "session == 0 but the header is not all zero")    \
    X(SESSION_AFTER_COMMIT, "session_after_commit", "session > commit")                           \
    X(DUPLICATE_CLIENT, "duplicate_client", "two slots hold the same client")                     \
    X(DUPLICATE_COMMIT, "duplicate_commit", "two slots hold the same commit")                     \
    /* trailer blocks, docs/FORMAT.md section 4 */                                                \
    X(BLOCK_SIZE_INVALID, "block_size_invalid", "block_size is not a power of two in 512..1 MiB") \
    X(REFERENCE_SIZE, "reference_size", "reference size is 0 or larger than the destination")     \
    X(REFERENCE_ADDRESS, "reference_address", "reference last_block_address == 0")                \
    X(BLOCK_MISSING, "block_missing", "no block at this address")                                 \
    X(BLOCK_TRUNCATED, "block_truncated", "block is shorter than its header says")                \
    X(BLOCK_CHECKSUM_REFERENCE, "block_checksum_reference",                                       \
      "block header checksum differs from the one that points at it")                             \
    X(BLOCK_ADDRESS_MISMATCH, "block_address_mismatch", "block address differs from the pointer") \
    X(BLOCK_BODY_SIZE, "block_body_size", "block body length is not the expected chunk length")   \
    X(BLOCK_BODY_CHECKSUM, "block_body_checksum", "checksum_body does not match the body")        \
    X(BLOCK_CHAIN, "block_chain",                                                                 \
      "back-pointer of the first block is not 0, or of a later one is 0")                         \
    X(TRAILER_CHECKSUM, "trailer_checksum", "whole-trailer checksum differs from the reference")

typedef enum vsr_error_code {
#define VSR_ERROR_ENUM(name, text, reason) VSR_ERROR_##name,
    VSR_ERROR_CODES(VSR_ERROR_ENUM)
#undef VSR_ERROR_ENUM
        VSR_ERROR_COUNT
} vsr_error_code;

#define VSR_SLOT_NONE UINT32_MAX

/* What a validator or decoder returns. `code == VSR_ERROR_OK` means valid. */
typedef struct vsr_error {
    vsr_error_code code;
    uint32_t slot;          /* the trailer slot, or VSR_SLOT_NONE */
    uint64_t block_address; /* the trailer block address, or 0 */
} vsr_error;

/* A stable snake_case name ("duplicate_commit") and a short reason. */
const char *vsr_error_name(vsr_error_code code);
/* The code whose name is exactly `name` (tools read rule names back); false for any other
 * text, "unknown_error" and NULL included. */
bool vsr_error_code_parse(const char *name, vsr_error_code *code);
const char *vsr_error_reason(vsr_error_code code);
/* "duplicate_commit at slot 5" / "block_body_checksum at block 17"; returns out. */
char *vsr_error_format(vsr_error error, char *out, size_t out_size);

/* ---- Header validation ---- */

/* Every rule of docs/FORMAT.md sections 2 and 2a for a reply header, the checksum first. */
vsr_error_code vsr_header_reply_validate(const vsr_header_reply *header);
/* Every rule of docs/FORMAT.md sections 2 and 2b for a block header, the checksum first. */
vsr_error_code vsr_header_block_validate(const vsr_header_block *header);

/* ---- Trailer blocks (docs/FORMAT.md section 4) ---- */

typedef struct vsr_trailer_reference {
    uint64_t size;
    vsr_u128 checksum;
    uint64_t last_block_address;
    vsr_u128 last_block_checksum;
} vsr_trailer_reference;

/* True when block_size is a power of two in 512..1 MiB. */
bool vsr_block_size_valid(uint32_t block_size);
/* ceil(trailer_size / (block_size - 256)); block_size must be valid. */
uint64_t vsr_trailer_block_count(uint64_t trailer_size, uint32_t block_size);

/*
 * Splits trailer[0..size) into block_count = vsr_trailer_block_count() blocks of
 * block_size bytes each, written to blocks (block_count * block_size bytes; the
 * tail of a block past its body is zero). Block i gets addresses[i] (!= 0).
 * Fills *reference. Asserts its arguments: this is the writer, not a decoder.
 */
void vsr_trailer_write(const void *trailer, uint64_t size, uint32_t block_size, vsr_u128 cluster,
                       uint32_t release, const uint64_t *addresses, void *blocks,
                       vsr_trailer_reference *reference);

/*
 * The block at `address`, or false if there is none. *bytes must stay valid until
 * vsr_trailer_read returns; *size is how many bytes are readable there.
 */
typedef bool (*vsr_block_lookup)(void *context, uint64_t address, const void **bytes, size_t *size);

/*
 * Reads the trailer that reference points at, last block to first, checking for
 * every block its header checksum (against the pointer that led to it), header
 * rules, command, block_type, address, body length, body checksum and
 * back-pointer; then the whole-trailer size and checksum. Writes reference.size
 * bytes to trailer (capacity must hold them, else REFERENCE_SIZE). On error
 * names the block address; trailer's content is then unspecified.
 */
vsr_error vsr_trailer_read(const vsr_trailer_reference *reference, uint32_t block_size,
                           vsr_block_lookup lookup, void *context, void *trailer,
                           uint64_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* VSR_H */
