/* Header validators (one case per rule), error names, and u128 text. */
#include <string.h>

#include "client_sessions.h"
#include "testing/check.h"
#include "testing/reply.h"

static vsr_header_block block_valid(void) {
    vsr_header_block block;
    memset(&block, 0, sizeof(block));
    block.cluster = 9;
    block.size = 256 + 10;
    block.release = 2;
    block.command = VSR_COMMAND_BLOCK;
    block.address = 3;
    block.block_type = VSR_BLOCK_TYPE_CLIENT_SESSIONS;
    vsr_header_set_checksum(&block);
    return block;
}

#define BLOCK_CASE(expected, statement)                    \
    do {                                                   \
        vsr_header_block b = block_valid();                \
        statement;                                         \
        vsr_header_set_checksum(&b);                       \
        CHECK_EQ(vsr_header_block_validate(&b), expected); \
    } while (0)

static void test_block_rules(void) {
    vsr_header_block valid = block_valid();
    CHECK_EQ(vsr_header_block_validate(&valid), VSR_ERROR_OK);
    valid.snapshot = 1;
    CHECK_EQ(vsr_header_block_validate(&valid), VSR_ERROR_HEADER_CHECKSUM);
    BLOCK_CASE(VSR_ERROR_HEADER_COMMAND, b.command = VSR_COMMAND_REPLY);
    BLOCK_CASE(VSR_ERROR_HEADER_CHECKSUM_PADDING, b.checksum_padding = 1);
    BLOCK_CASE(VSR_ERROR_HEADER_CHECKSUM_BODY_PADDING, b.checksum_body_padding = 1);
    BLOCK_CASE(VSR_ERROR_HEADER_NONCE_RESERVED, b.nonce_reserved = 1);
    BLOCK_CASE(VSR_ERROR_HEADER_SIZE_MIN, b.size = 0);
    BLOCK_CASE(VSR_ERROR_HEADER_SIZE_MAX, b.size = UINT32_MAX);
    BLOCK_CASE(VSR_ERROR_HEADER_EPOCH, b.epoch = 3);
    BLOCK_CASE(VSR_ERROR_HEADER_RELEASE, b.release = 0);
    BLOCK_CASE(VSR_ERROR_HEADER_PROTOCOL, b.protocol = 7);
    BLOCK_CASE(VSR_ERROR_HEADER_RESERVED_FRAME, b.reserved_frame[0] = 1);
    BLOCK_CASE(VSR_ERROR_BLOCK_VIEW, b.view = 1);
    BLOCK_CASE(VSR_ERROR_BLOCK_REPLICA, b.replica = 1);
    BLOCK_CASE(VSR_ERROR_BLOCK_PREVIOUS_CHECKSUM_PADDING,
               b.previous_trailer_block_checksum_padding = 1);
    BLOCK_CASE(VSR_ERROR_BLOCK_METADATA_RESERVED, b.metadata_reserved[55] = 1);
    BLOCK_CASE(VSR_ERROR_BLOCK_ADDRESS, b.address = 0);
    BLOCK_CASE(VSR_ERROR_BLOCK_SNAPSHOT, b.snapshot = 1);
    BLOCK_CASE(VSR_ERROR_BLOCK_TYPE, b.block_type = 1);
    BLOCK_CASE(VSR_ERROR_BLOCK_RESERVED, b.reserved_block[14] = 1);
}

static void test_reply_basics(void) {
    vsr_header_reply reply = testing_reply(5, 9, 0);
    CHECK_EQ(vsr_header_reply_validate(&reply), VSR_ERROR_OK);
    reply = testing_reply(5, 9, 4);
    CHECK_EQ(vsr_header_reply_validate(&reply), VSR_ERROR_OK);
    /* context and view are opaque; any value is valid. */
    reply.context = VSR_U128(~0ull, ~0ull);
    reply.view = 77;
    vsr_header_set_checksum(&reply);
    CHECK_EQ(vsr_header_reply_validate(&reply), VSR_ERROR_OK);
    /* A block header is not a reply. */
    vsr_header_block block = block_valid();
    vsr_header_reply as_reply;
    memcpy(&as_reply, &block, sizeof(as_reply));
    CHECK_EQ(vsr_header_reply_validate(&as_reply), VSR_ERROR_HEADER_COMMAND);
}

static void test_error_names(void) {
    for (int a = 0; a < VSR_ERROR_COUNT; a++) {
        const char *name = vsr_error_name((vsr_error_code)a);
        CHECK(name != NULL && name[0] != '\0');
        if (name == NULL) continue;
        CHECK(vsr_error_reason((vsr_error_code)a)[0] != '\0');
        for (int b = a + 1; b < VSR_ERROR_COUNT; b++) {
            CHECK(strcmp(name, vsr_error_name((vsr_error_code)b)) != 0);
        }
    }
    CHECK(strcmp(vsr_error_name(VSR_ERROR_COUNT), "unknown_error") == 0);
    char text[64];
    vsr_error at_slot = {VSR_ERROR_DUPLICATE_COMMIT, 5, 0};
    CHECK(strcmp(vsr_error_format(at_slot, text, sizeof(text)), "duplicate_commit at slot 5") == 0);
    vsr_error at_block = {VSR_ERROR_BLOCK_BODY_CHECKSUM, VSR_SLOT_NONE, 17};
    CHECK(strcmp(vsr_error_format(at_block, text, sizeof(text)),
                 "block_body_checksum at block 17") == 0);
}

static void test_u128_text(void) {
    char hex[33];
    vsr_u128 value = VSR_U128(0x0123456789abcdefu, 0xfedcba9876543210u);
    vsr_u128_format(value, hex);
    CHECK(strcmp(hex, "0123456789abcdeffedcba9876543210") == 0);
    vsr_u128 back = 0;
    CHECK(vsr_u128_parse(hex, &back) && back == value);
    CHECK(vsr_u128_parse("0xFF", &back) && back == 255);
    CHECK(!vsr_u128_parse("", &back));
    CHECK(!vsr_u128_parse("0x", &back));
    CHECK(!vsr_u128_parse("12g", &back));
    CHECK(!vsr_u128_parse("000000000000000000000000000000001", &back));
}

int main(void) {
    test_block_rules();
    test_reply_basics();
    test_error_names();
    test_u128_text();
    return testing_done("header");
}
