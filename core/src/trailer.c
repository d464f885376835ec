/* Trailer blocks (docs/FORMAT.md section 4): written first to last, read last to first. */
#include <stddef.h>
#include <string.h>

#include "aegis_internal.h"
#include "assert.h"
#include "verify.h"
#include "vsr.h"

bool vsr_block_size_valid(uint32_t block_size) {
    return block_size >= VSR_BLOCK_SIZE_MIN && block_size <= VSR_BLOCK_SIZE_MAX &&
           (block_size & (block_size - 1)) == 0;
}

uint64_t vsr_trailer_block_count(uint64_t trailer_size, uint32_t block_size) {
    CS_ASSERT(vsr_block_size_valid(block_size));
    uint64_t chunk_max = block_size - VSR_HEADER_SIZE;
    return trailer_size / chunk_max + (trailer_size % chunk_max != 0);
}

static uint64_t chunk_size(uint64_t trailer_size, uint64_t chunk_max, uint64_t index) {
    uint64_t start = index * chunk_max;
    CS_ASSERT(start < trailer_size);
    uint64_t rest = trailer_size - start;
    return rest < chunk_max ? rest : chunk_max;
}

/*
 * Writes the 16 bytes (lo, hi), little-endian, at out in one 16-byte store. The header
 * checksum reads the header back 16 bytes at a time, and a load that spans several smaller
 * stores cannot take its bytes from them: it waits until they reach the cache.
 */
static inline void store16(uint8_t *out, uint64_t lo, uint64_t hi) {
    typedef uint64_t u64x2 __attribute__((vector_size(16)));
    u64x2 value = {lo, hi};
    memcpy(out, &value, sizeof(value));
}

/*
 * The header of a block, written in place 16 bytes at a time (the layout of vsr_header_block,
 * checked field by field in vsr.h): every field not named here is zero. Returns its checksum,
 * which it holds in bytes 0..16.
 */
static vsr_u128 block_header_write(uint8_t *block, vsr_u128 checksum_body, vsr_u128 cluster,
                                   uint32_t size, uint32_t release, vsr_u128 previous_checksum,
                                   uint64_t previous_address, uint64_t address) {
    _Static_assert(offsetof(vsr_header_block, command) == 114, "command in the word at 112");
    _Static_assert(offsetof(vsr_header_block, block_type) == 240, "block_type at 240");
    store16(block + 16, 0, 0); /* checksum_padding */
    store16(block + 32, VSR_U128_LO(checksum_body), VSR_U128_HI(checksum_body));
    store16(block + 48, 0, 0); /* checksum_body_padding */
    store16(block + 64, 0, 0); /* nonce_reserved */
    store16(block + 80, VSR_U128_LO(cluster), VSR_U128_HI(cluster));
    /* size, epoch (0); view (0), release */
    store16(block + 96, size, (uint64_t)release << 32);
    /* protocol (0), command, replica (0), reserved_frame (0) */
    store16(block + 112, (uint64_t)VSR_COMMAND_BLOCK << 16, 0);
    store16(block + 128, VSR_U128_LO(previous_checksum), VSR_U128_HI(previous_checksum));
    store16(block + 144, 0, 0);                /* previous_trailer_block_checksum_padding */
    store16(block + 160, previous_address, 0); /* and metadata_reserved from 168 on */
    store16(block + 176, 0, 0);
    store16(block + 192, 0, 0);
    store16(block + 208, 0, 0);
    store16(block + 224, address, 0);                        /* address, snapshot (0) */
    store16(block + 240, VSR_BLOCK_TYPE_CLIENT_SESSIONS, 0); /* and reserved_block */
    vsr_u128 checksum = vsr_header_checksum_compute(block);
    store16(block, VSR_U128_LO(checksum), VSR_U128_HI(checksum));
    return checksum;
}

/*
 * Each block's body is copied, checksummed for its header and added to the stream of the
 * whole trailer in one call (cs_checksum_chunk: one pass where the CPU can run both
 * checksums in one vector). Every chunk but the last is a multiple of 32 bytes (chunk_max is
 * block_size - 256), so the stream is always at a block boundary where that pass needs it.
 * Headers follow one another: each holds the checksum of the one before.
 */
void vsr_trailer_write(const void *trailer, uint64_t size, uint32_t block_size, vsr_u128 cluster,
                       uint32_t release, const uint64_t *addresses, void *blocks,
                       vsr_trailer_reference *reference) {
    CS_ASSERT(vsr_block_size_valid(block_size));
    CS_ASSERT(size > 0);
    CS_ASSERT(release != 0);
    uint64_t chunk_max = block_size - VSR_HEADER_SIZE;
    uint64_t count = vsr_trailer_block_count(size, block_size);
    vsr_checksum_stream stream;
    vsr_checksum_stream_init(&stream);
    vsr_u128 previous_checksum = 0;
    uint64_t previous_address = 0;
    for (uint64_t i = 0; i < count; i++) {
        CS_ASSERT(addresses[i] != 0);
        uint8_t *block = (uint8_t *)blocks + i * block_size;
        uint64_t body_size = chunk_size(size, chunk_max, i);
        /* The header and the body are written below; only the tail past the body is zeroed. */
        vsr_u128 checksum_body = cs_checksum_chunk(
            &stream, block + VSR_HEADER_SIZE, (const uint8_t *)trailer + i * chunk_max, body_size);
        if (body_size < chunk_max) {
            memset(block + VSR_HEADER_SIZE + body_size, 0, chunk_max - body_size);
        }
        previous_checksum = block_header_write(block, checksum_body, cluster,
                                               (uint32_t)(VSR_HEADER_SIZE + body_size), release,
                                               previous_checksum, previous_address, addresses[i]);
        previous_address = addresses[i];
#if CS_VERIFY_ENABLED
        /* Validating recomputes the header checksum just set: as costly as writing the
         * header, so it is of the verify tier. */
        vsr_header_block written;
        memcpy(&written, block, sizeof(written));
        CS_VERIFY(vsr_header_block_validate(&written) == VSR_ERROR_OK);
        CS_VERIFY(written.checksum == previous_checksum);
        CS_VERIFY(written.checksum_body == checksum_body);
        CS_VERIFY(written.size == VSR_HEADER_SIZE + body_size);
        CS_VERIFY(written.address == addresses[i]);
#endif
    }
    CS_ASSERT(stream.size_total == size);
    reference->size = size;
    reference->checksum = vsr_checksum_stream_final(&stream);
    reference->last_block_address = previous_address;
    reference->last_block_checksum = previous_checksum;
}

static vsr_error error_at(vsr_error_code code, uint64_t address) {
    vsr_error error = {.code = code, .slot = VSR_SLOT_NONE, .block_address = address};
    return error;
}

/* One block's own rules; on success copies its body to trailer. */
static vsr_error block_read(const void *bytes, size_t available, uint64_t address,
                            vsr_u128 checksum_expected, uint64_t body_size_expected,
                            uint8_t *body_out, vsr_header_block *header) {
    if (available < VSR_HEADER_SIZE) return error_at(VSR_ERROR_BLOCK_TRUNCATED, address);
    memcpy(header, bytes, sizeof(*header));
    vsr_error_code code = vsr_header_block_validate(header);
    if (code != VSR_ERROR_OK) return error_at(code, address);
    if (header->checksum != checksum_expected) {
        return error_at(VSR_ERROR_BLOCK_CHECKSUM_REFERENCE, address);
    }
    if (header->address != address) return error_at(VSR_ERROR_BLOCK_ADDRESS_MISMATCH, address);
    if (header->size - (uint64_t)VSR_HEADER_SIZE != body_size_expected) {
        return error_at(VSR_ERROR_BLOCK_BODY_SIZE, address);
    }
    if (available < header->size) return error_at(VSR_ERROR_BLOCK_TRUNCATED, address);
    const uint8_t *body = (const uint8_t *)bytes + VSR_HEADER_SIZE;
    if (!vsr_header_checksum_body_valid(header, body, body_size_expected)) {
        return error_at(VSR_ERROR_BLOCK_BODY_CHECKSUM, address);
    }
    memcpy(body_out, body, body_size_expected);
    return error_at(VSR_ERROR_OK, 0);
}

vsr_error vsr_trailer_read(const vsr_trailer_reference *reference, uint32_t block_size,
                           vsr_block_lookup lookup, void *context, void *trailer,
                           uint64_t capacity) {
    if (!vsr_block_size_valid(block_size)) return error_at(VSR_ERROR_BLOCK_SIZE_INVALID, 0);
    if (reference->size == 0 || reference->size > capacity) {
        return error_at(VSR_ERROR_REFERENCE_SIZE, 0);
    }
    if (reference->last_block_address == 0) return error_at(VSR_ERROR_REFERENCE_ADDRESS, 0);

    uint64_t chunk_max = block_size - VSR_HEADER_SIZE;
    uint64_t count = vsr_trailer_block_count(reference->size, block_size);
    uint64_t address = reference->last_block_address;
    vsr_u128 checksum_expected = reference->last_block_checksum;
    /* Exactly `count` steps: a cycle or an over-long chain cannot loop. */
    for (uint64_t i = count; i-- > 0;) {
        const void *bytes = NULL;
        size_t available = 0;
        if (!lookup(context, address, &bytes, &available) || bytes == NULL) {
            return error_at(VSR_ERROR_BLOCK_MISSING, address);
        }
        vsr_header_block header;
        uint8_t *body_out = (uint8_t *)trailer + i * chunk_max;
        vsr_error error = block_read(bytes, available, address, checksum_expected,
                                     chunk_size(reference->size, chunk_max, i), body_out, &header);
        if (error.code != VSR_ERROR_OK) return error;

        bool first = (i == 0);
        bool points_back = header.previous_trailer_block_address != 0;
        if (first ? (points_back || header.previous_trailer_block_checksum != 0) : !points_back) {
            return error_at(VSR_ERROR_BLOCK_CHAIN, address);
        }
        address = header.previous_trailer_block_address;
        checksum_expected = header.previous_trailer_block_checksum;
    }
    if (vsr_checksum(trailer, reference->size) != reference->checksum) {
        return error_at(VSR_ERROR_TRAILER_CHECKSUM, 0);
    }
    return error_at(VSR_ERROR_OK, 0);
}
