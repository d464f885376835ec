/* Trailer blocks (docs/FORMAT.md section 4): written first to last, read last to first. */
#include <string.h>

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

void vsr_trailer_write(const void *trailer, uint64_t size, uint32_t block_size, vsr_u128 cluster,
                       uint32_t release, const uint64_t *addresses, void *blocks,
                       vsr_trailer_reference *reference) {
    CS_ASSERT(vsr_block_size_valid(block_size));
    CS_ASSERT(size > 0);
    CS_ASSERT(release != 0);
    uint64_t chunk_max = block_size - VSR_HEADER_SIZE;
    uint64_t count = vsr_trailer_block_count(size, block_size);
    vsr_u128 previous_checksum = 0;
    uint64_t previous_address = 0;
    for (uint64_t i = 0; i < count; i++) {
        CS_ASSERT(addresses[i] != 0);
        uint8_t *block = (uint8_t *)blocks + i * block_size;
        uint64_t body_size = chunk_size(size, chunk_max, i);
        /* The header and the body are written below; only the tail past the body is zeroed. */
        memcpy(block + VSR_HEADER_SIZE, (const uint8_t *)trailer + i * chunk_max, body_size);
        memset(block + VSR_HEADER_SIZE + body_size, 0, block_size - VSR_HEADER_SIZE - body_size);

        vsr_header_block header;
        memset(&header, 0, sizeof(header));
        header.cluster = cluster;
        header.size = (uint32_t)(VSR_HEADER_SIZE + body_size);
        header.release = release;
        header.command = VSR_COMMAND_BLOCK;
        header.previous_trailer_block_checksum = previous_checksum;
        header.previous_trailer_block_address = previous_address;
        header.address = addresses[i];
        header.block_type = VSR_BLOCK_TYPE_CLIENT_SESSIONS;
        vsr_header_set_checksum_body(&header, block + VSR_HEADER_SIZE, body_size);
        vsr_header_set_checksum(&header);
        /* Validating recomputes the header checksum just set: as costly as writing the
         * header, so it is of the verify tier. */
        CS_VERIFY(vsr_header_block_validate(&header) == VSR_ERROR_OK);
        memcpy(block, &header, sizeof(header));

        previous_checksum = header.checksum;
        previous_address = header.address;
    }
    reference->size = size;
    reference->checksum = vsr_checksum(trailer, size);
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
