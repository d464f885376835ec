/* Header rules (docs/FORMAT.md sections 2, 2a, 2b), error names, and u128 text. */
#include <stdio.h>
#include <string.h>

#include "aegis_internal.h"
#include "assert.h"
#include "vsr.h"

static const char *const error_names[VSR_ERROR_COUNT] = {
#define VSR_ERROR_NAME(name, text, reason) [VSR_ERROR_##name] = (text),
    VSR_ERROR_CODES(VSR_ERROR_NAME)
#undef VSR_ERROR_NAME
};

static const char *const error_reasons[VSR_ERROR_COUNT] = {
#define VSR_ERROR_REASON(name, text, reason) [VSR_ERROR_##name] = (reason),
    VSR_ERROR_CODES(VSR_ERROR_REASON)
#undef VSR_ERROR_REASON
};

const char *vsr_error_name(vsr_error_code code) {
    if ((unsigned)code >= VSR_ERROR_COUNT) return "unknown_error";
    return error_names[code];
}

bool vsr_error_code_parse(const char *name, vsr_error_code *code) {
    if (name == NULL) return false;
    for (unsigned i = 0; i < VSR_ERROR_COUNT; i++) {
        if (strcmp(name, error_names[i]) == 0) {
            *code = (vsr_error_code)i;
            return true;
        }
    }
    return false;
}

const char *vsr_error_reason(vsr_error_code code) {
    if ((unsigned)code >= VSR_ERROR_COUNT) return "unknown error code";
    return error_reasons[code];
}

char *vsr_error_format(vsr_error error, char *out, size_t out_size) {
    CS_ASSERT(out != NULL);
    CS_ASSERT(out_size > 0);
    const char *name = vsr_error_name(error.code);
    if (error.slot != VSR_SLOT_NONE) {
        snprintf(out, out_size, "%s at slot %u", name, error.slot);
    } else if (error.block_address != 0) {
        snprintf(out, out_size, "%s at block %llu", name, (unsigned long long)error.block_address);
    } else {
        snprintf(out, out_size, "%s", name);
    }
    return out;
}

void vsr_u128_format(vsr_u128 x, char out[33]) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 31; i >= 0; i--) {
        out[i] = digits[(unsigned)(x & 0xf)];
        x >>= 4;
    }
    out[32] = '\0';
}

bool vsr_u128_parse(const char *text, vsr_u128 *out) {
    if (text == NULL) return false;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text += 2;
    size_t length = strlen(text);
    if (length == 0 || length > 32) return false;
    vsr_u128 value = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        unsigned digit;
        if (c >= '0' && c <= '9') {
            digit = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            digit = (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            digit = (unsigned)(c - 'A' + 10);
        } else {
            return false;
        }
        value = (value << 4) | digit;
    }
    *out = value;
    return true;
}

/*
 * Reads 64-bit words, the last one overlapping the one before when size is not a multiple of
 * 8: every field checked here has a constant size from 12 to 56, so this is a few loads.
 */
static bool all_zero(const uint8_t *bytes, size_t size) {
    CS_ASSERT(size >= sizeof(uint64_t));
    uint64_t any = 0, word;
    for (size_t i = 0; i + sizeof(word) <= size; i += sizeof(word)) {
        memcpy(&word, bytes + i, sizeof(word));
        any |= word;
    }
    memcpy(&word, bytes + size - sizeof(word), sizeof(word));
    return (any | word) == 0;
}

/*
 * The frame rules of docs/FORMAT.md section 2 that every command shares, after the checksum. Reply
 * and block headers begin with the same frame (VSR_ASSERT_FRAME_LAYOUT), so it is read in place
 * through vsr_header instead of being copied out (the build has -fno-strict-aliasing).
 */
static vsr_error_code frame_validate_after_checksum(const vsr_header *frame,
                                                    uint8_t command_expected) {
    if (frame->command != command_expected) return VSR_ERROR_HEADER_COMMAND;
    if (frame->checksum_padding != 0) return VSR_ERROR_HEADER_CHECKSUM_PADDING;
    if (frame->checksum_body_padding != 0) return VSR_ERROR_HEADER_CHECKSUM_BODY_PADDING;
    if (frame->nonce_reserved != 0) return VSR_ERROR_HEADER_NONCE_RESERVED;
    if (frame->size < VSR_HEADER_SIZE) return VSR_ERROR_HEADER_SIZE_MIN;
    if (frame->size > VSR_MESSAGE_SIZE_MAX) return VSR_ERROR_HEADER_SIZE_MAX;
    if (frame->epoch != 0) return VSR_ERROR_HEADER_EPOCH;
    if (frame->release == 0) return VSR_ERROR_HEADER_RELEASE;
    if (frame->protocol != 0) return VSR_ERROR_HEADER_PROTOCOL;
    if (!all_zero(frame->reserved_frame, sizeof(frame->reserved_frame))) {
        return VSR_ERROR_HEADER_RESERVED_FRAME;
    }
    return VSR_ERROR_OK;
}

vsr_error_code cs_header_reply_validate_after_checksum(const vsr_header_reply *header) {
    vsr_error_code frame =
        frame_validate_after_checksum((const vsr_header *)(const void *)header, VSR_COMMAND_REPLY);
    if (frame != VSR_ERROR_OK) return frame;
    if (header->request_checksum_padding != 0) return VSR_ERROR_REPLY_REQUEST_CHECKSUM_PADDING;
    if (header->context_padding != 0) return VSR_ERROR_REPLY_CONTEXT_PADDING;
    if (header->client == 0) return VSR_ERROR_REPLY_CLIENT;
    if (header->op != header->commit) return VSR_ERROR_REPLY_OP;
    if (header->commit == 0) return VSR_ERROR_REPLY_COMMIT;
    if (header->timestamp == 0) return VSR_ERROR_REPLY_TIMESTAMP;
    if (header->operation == VSR_OPERATION_REGISTER) {
        if (header->size != VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE) {
            return VSR_ERROR_REPLY_REGISTER_SIZE;
        }
        if (header->request != 0) return VSR_ERROR_REPLY_REGISTER_REQUEST;
    } else if (header->request == 0) {
        return VSR_ERROR_REPLY_REQUEST;
    }
    if (!all_zero(header->reserved, sizeof(header->reserved))) return VSR_ERROR_REPLY_RESERVED;
    return VSR_ERROR_OK;
}

vsr_error_code vsr_header_reply_validate(const vsr_header_reply *header) {
    if (!vsr_header_checksum_valid(header)) return VSR_ERROR_HEADER_CHECKSUM;
    return cs_header_reply_validate_after_checksum(header);
}

vsr_error_code vsr_header_block_validate(const vsr_header_block *header) {
    if (!vsr_header_checksum_valid(header)) return VSR_ERROR_HEADER_CHECKSUM;
    vsr_error_code frame =
        frame_validate_after_checksum((const vsr_header *)(const void *)header, VSR_COMMAND_BLOCK);
    if (frame != VSR_ERROR_OK) return frame;
    if (header->view != 0) return VSR_ERROR_BLOCK_VIEW;
    if (header->replica != 0) return VSR_ERROR_BLOCK_REPLICA;
    if (header->previous_trailer_block_checksum_padding != 0) {
        return VSR_ERROR_BLOCK_PREVIOUS_CHECKSUM_PADDING;
    }
    if (!all_zero(header->metadata_reserved, sizeof(header->metadata_reserved))) {
        return VSR_ERROR_BLOCK_METADATA_RESERVED;
    }
    if (header->address == 0) return VSR_ERROR_BLOCK_ADDRESS;
    if (header->snapshot != 0) return VSR_ERROR_BLOCK_SNAPSHOT;
    if (header->block_type != VSR_BLOCK_TYPE_CLIENT_SESSIONS) return VSR_ERROR_BLOCK_TYPE;
    if (!all_zero(header->reserved_block, sizeof(header->reserved_block))) {
        return VSR_ERROR_BLOCK_RESERVED;
    }
    return VSR_ERROR_OK;
}
