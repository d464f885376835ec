/*
 * fuzz_header_validate: the reply and block header validators and the checksum helpers.
 *
 * Input: a 256-byte header (zero-padded when shorter), then its body. Checks:
 * - both validators agree with docs/FORMAT.md sections 2, 2a and 2b restated byte by byte
 *   (fuzz_common.h): valid exactly when no rule is broken, the checksum first;
 * - vsr_header_checksum_compute / _valid / set_checksum, and the body checksum,
 *   agree with vsr_checksum on the raw bytes;
 * - every checksum implementation this CPU has gives the same answer, and the
 *   streaming form gives it however the input is split;
 * - error names, reasons and formatting, and u128 text, round-trip.
 */
#include <stdalign.h>

#include "fuzz_mutate.h"
#include "vsr_checksum_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

static void check_validators(const uint8_t *h) {
    vsr_header_reply reply;
    vsr_header_block block;
    memcpy(&reply, h, sizeof(reply));
    memcpy(&block, h, sizeof(block));
    vsr_error_code reply_code = vsr_header_reply_validate(&reply);
    vsr_error_code block_code = vsr_header_block_validate(&block);
    if (fuzz_verbose()) {
        fprintf(stderr, "reply: %s, block: %s\n", vsr_error_name(reply_code),
                vsr_error_name(block_code));
    }
    fuzz_check_verdict(reply_code, oracle_reply_rules(h), "reply validate");
    fuzz_check_verdict(block_code, oracle_block_rules(h), "block validate");
    FUZZ_CHECK(memcmp(&reply, h, sizeof(reply)) == 0, "validate changed the header");

    vsr_error error = {reply_code, VSR_SLOT_NONE, 0};
    char text[96];
    vsr_error_format(error, text, sizeof(text));
    FUZZ_CHECK(strcmp(text, vsr_error_name(reply_code)) == 0, "format of %s", text);
    FUZZ_CHECK(vsr_error_reason(block_code)[0] != '\0', "no reason for %s",
               vsr_error_name(block_code));
}

static void check_header_checksums(const uint8_t *h, const uint8_t *body, size_t body_size) {
    vsr_u128 expected = vsr_checksum(h + 16, VSR_HEADER_SIZE - 16);
    FUZZ_CHECK(vsr_header_checksum_compute(h) == expected, "header checksum of bytes 16..256");
    FUZZ_CHECK(vsr_header_checksum_valid(h) == (testing_load_u128(h) == expected),
               "checksum_valid disagrees with the checksum");
    vsr_u128 body_expected = vsr_checksum(body, body_size);
    FUZZ_CHECK(vsr_header_checksum_body_valid(h, body, body_size) ==
                   (testing_load_u128(h + 32) == body_expected),
               "checksum_body_valid disagrees with the body checksum");

    alignas(16) uint8_t copy[VSR_HEADER_SIZE];
    memcpy(copy, h, sizeof(copy));
    vsr_header_set_checksum_body(copy, body, body_size);
    vsr_header_set_checksum(copy);
    FUZZ_CHECK(vsr_header_checksum_valid(copy) &&
                   vsr_header_checksum_body_valid(copy, body, body_size),
               "a header just checksummed is not valid");
    FUZZ_CHECK(testing_load_u128(copy + 32) == body_expected,
               "set_checksum_body wrote another value");
    FUZZ_CHECK(memcmp(copy + 16, h + 16, 16) == 0 && memcmp(copy + 48, h + 48, 208) == 0,
               "setting the checksums changed other fields");
}

static void check_checksum_paths(const uint8_t *data, size_t size) {
    vsr_u128 reference = vsr_checksum(data, size);
    static const vsr_checksum_impl impls[] = {VSR_CHECKSUM_IMPL_PORTABLE, VSR_CHECKSUM_IMPL_AESNI,
                                              VSR_CHECKSUM_IMPL_ARMV8};
    for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
        if (!vsr_checksum_impl_available(impls[i])) continue;
        FUZZ_CHECK(vsr_checksum_with(impls[i], data, size) == reference, "%s differs on %zu bytes",
                   vsr_checksum_impl_name(impls[i]), size);
    }
    /* Split points taken from the input itself, so the fuzzer steers them. */
    size_t first = size == 0 ? 0 : data[0] % (size + 1);
    size_t second = size == 0 ? 0 : first + (size > 1 ? data[1] : 0) % (size - first + 1);
    vsr_checksum_stream stream;
    vsr_checksum_stream_init(&stream);
    vsr_checksum_stream_add(&stream, data, first);
    vsr_checksum_stream_add(&stream, data + first, second - first);
    vsr_checksum_stream_add(&stream, data + second, size - second);
    FUZZ_CHECK(vsr_checksum_stream_final(&stream) == reference,
               "stream split at %zu and %zu differs from one shot on %zu bytes", first, second,
               size);

    char text[33];
    vsr_u128 parsed = 0;
    vsr_u128_format(reference, text);
    FUZZ_CHECK(vsr_u128_parse(text, &parsed) && parsed == reference, "u128 text round trip");
}

/* vsr_u128_parse reads command-line text: the first bytes of the input as a string. */
static void check_u128_text(const uint8_t *data, size_t size) {
    char text[40];
    size_t length = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
    memcpy(text, data, length);
    text[length] = '\0';
    vsr_u128 value = 0, again = 0;
    FUZZ_CHECK(!vsr_u128_parse(NULL, &value), "parse of NULL succeeds");
    if (!vsr_u128_parse(text, &value)) return;
    char formatted[33];
    vsr_u128_format(value, formatted);
    FUZZ_CHECK(vsr_u128_parse(formatted, &again) && again == value, "u128 text %s", formatted);

    /* The three shapes of an error's text, and codes out of range. */
    vsr_error_code code = (vsr_error_code)(VSR_U128_LO(value) % (VSR_ERROR_COUNT + 2));
    vsr_error at_slot = {code, (uint32_t)VSR_U128_LO(value), 0};
    vsr_error at_block = {code, VSR_SLOT_NONE, VSR_U128_HI(value)};
    char out[96];
    FUZZ_CHECK(strstr(vsr_error_format(at_slot, out, sizeof(out)), vsr_error_name(code)) == out,
               "error text %s", out);
    FUZZ_CHECK(strstr(vsr_error_format(at_block, out, sizeof(out)), vsr_error_name(code)) == out,
               "error text %s", out);
    FUZZ_CHECK(vsr_error_reason(code) != NULL, "no reason");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    alignas(16) uint8_t h[VSR_HEADER_SIZE];
    memset(h, 0, sizeof(h));
    memcpy(h, data, size < sizeof(h) ? size : sizeof(h));
    /* Any valid pointer will do for an empty body. */
    const uint8_t *body = size > VSR_HEADER_SIZE ? data + VSR_HEADER_SIZE : h;
    size_t body_size = size > VSR_HEADER_SIZE ? size - VSR_HEADER_SIZE : 0;

    check_validators(h);
    check_header_checksums(h, body, body_size);
    check_checksum_paths(size > 0 ? data : h, size);
    check_u128_text(h, size);
    return 0;
}

#ifndef FUZZ_NO_CUSTOM_MUTATOR /* defined to measure what the mutator adds */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    return fuzz_mutate_header(data, size, max_size, seed, LLVMFuzzerMutate);
}
#endif
