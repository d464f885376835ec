/*
 * The text helpers, as properties: u128 hex text round-trips for every value and every
 * accepted spelling, near-miss spellings are refused without touching the output, and rule
 * names round-trip through vsr_error_code_parse while their near misses do not.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testing/check.h"
#include "testing/random.h"
#include "vsr.h"

/* An independent reading of hex text: the value of 1..32 hex digits, no prefix. */
static vsr_u128 reference_value(const char *digits) {
    vsr_u128 value = 0;
    for (const char *c = digits; *c != '\0'; c++) {
        int digit = isdigit((unsigned char)*c) ? *c - '0' : tolower((unsigned char)*c) - 'a' + 10;
        value = value * 16 + (vsr_u128)(unsigned)digit;
    }
    return value;
}

static void check_parses(const char *text, vsr_u128 expected) {
    vsr_u128 value = ~(vsr_u128)0 - 1;
    bool ok = vsr_u128_parse(text, &value);
    CHECK(ok);
    CHECK(value == expected);
    if (!ok || value != expected) fprintf(stderr, "  parsing '%s'\n", text);
}

static void check_refused(const char *text) {
    const vsr_u128 sentinel = VSR_U128(0x5e5e5e5e5e5e5e5eu, 0xa5a5a5a5a5a5a5a5u);
    vsr_u128 value = sentinel;
    bool ok = vsr_u128_parse(text, &value);
    CHECK(!ok);
    CHECK(value == sentinel); /* a refused text leaves the output alone */
    if (ok) fprintf(stderr, "  accepted '%s'\n", text != NULL ? text : "(null)");
}

static void check_round_trip(vsr_u128 value) {
    char text[33];
    memset(text, 'z', sizeof(text));
    vsr_u128_format(value, text);
    CHECK_EQ_U64(strlen(text), 32);
    bool lowercase_hex = true;
    for (size_t i = 0; i < 32; i++) {
        lowercase_hex = lowercase_hex &&
                        (isdigit((unsigned char)text[i]) || (text[i] >= 'a' && text[i] <= 'f'));
    }
    CHECK(lowercase_hex);
    CHECK(reference_value(text) == value); /* most significant digit first */
    check_parses(text, value);
    char prefixed[35];
    snprintf(prefixed, sizeof(prefixed), "0x%s", text);
    check_parses(prefixed, value);
    prefixed[1] = 'X';
    check_parses(prefixed, value);
    /* Upper case, and without the leading zeros. */
    char upper[33];
    for (size_t i = 0; i < 33; i++) upper[i] = (char)toupper((unsigned char)text[i]);
    check_parses(upper, value);
    const char *short_form = text;
    while (short_form[0] == '0' && short_form[1] != '\0') short_form++;
    check_parses(short_form, value);
}

static void test_u128_round_trips(void) {
    uint64_t state = 42;
    check_round_trip(0);
    check_round_trip(1);
    check_round_trip(~(vsr_u128)0);
    for (unsigned bit = 0; bit < 128; bit++) {
        check_round_trip((vsr_u128)1 << bit);
        check_round_trip(((vsr_u128)1 << bit) - 1);
    }
    for (unsigned nibble = 0; nibble < 32; nibble++) {
        for (unsigned digit = 1; digit < 16; digit++) {
            check_round_trip((vsr_u128)digit << (4 * nibble));
        }
    }
    for (int i = 0; i < 2000; i++) {
        uint64_t hi = testing_random(&state); /* named: C leaves operand order open */
        uint64_t lo = testing_random(&state);
        check_round_trip(VSR_U128(hi, lo));
    }
}

static void test_u128_spellings(void) {
    check_parses("0", 0);
    check_parses("00000000000000000000000000000000", 0);
    check_parses("0x0", 0);
    check_parses("f", 15);
    check_parses("F", 15);
    check_parses("0xaBcD", 0xabcd);
    check_parses("10", 16);
    check_parses("ffffffffffffffffffffffffffffffff", ~(vsr_u128)0);
    check_parses("0xffffffffffffffffffffffffffffffff", ~(vsr_u128)0);
    check_parses("00000000000000000000000000000001", 1);
    check_parses("0x00000000000000000000000000000001", 1);

    check_refused(NULL);
    check_refused("");
    check_refused("0x");
    check_refused("0X");
    check_refused("x1");
    check_refused("0x0x1");
    check_refused("00x1");
    check_refused(" 1");
    check_refused("1 ");
    check_refused("\t1");
    check_refused("1\n");
    check_refused("+1");
    check_refused("-1");
    check_refused("1g");
    check_refused("g");
    check_refused("0xg");
    check_refused("12:34");
    check_refused("1.0");
    check_refused("\xef\xbc\x91"); /* a full-width digit one */
    /* 33 digits: one too many, even when the value would fit (leading zeros). */
    check_refused("000000000000000000000000000000001");
    check_refused("0x000000000000000000000000000000001");
    check_refused("100000000000000000000000000000000");
    /* The character just outside each accepted range. */
    const char neighbours[] = {'/', ':', '@', 'G', '`', 'g'};
    for (size_t i = 0; i < sizeof(neighbours); i++) {
        char text[3] = {'1', neighbours[i], '\0'};
        check_refused(text);
    }
}

static bool snake_case(const char *name) {
    if (name[0] == '\0' || name[0] == '_') return false;
    for (const char *c = name; *c != '\0'; c++) {
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_')) return false;
    }
    return name[strlen(name) - 1] != '_';
}

static void check_name_refused(const char *text) {
    vsr_error_code code = VSR_ERROR_COUNT;
    CHECK(!vsr_error_code_parse(text, &code));
    CHECK(code == VSR_ERROR_COUNT);
    if (code != VSR_ERROR_COUNT) fprintf(stderr, "  accepted '%s'\n", text ? text : "(null)");
}

static void test_error_names(void) {
    for (unsigned i = 0; i < VSR_ERROR_COUNT; i++) {
        vsr_error_code code = (vsr_error_code)i;
        const char *name = vsr_error_name(code);
        CHECK(snake_case(name));
        CHECK(vsr_error_reason(code)[0] != '\0');
        CHECK(strcmp(vsr_error_reason(code), "unknown error code") != 0);
        vsr_error_code back = VSR_ERROR_COUNT;
        CHECK(vsr_error_code_parse(name, &back));
        CHECK_EQ_U64(back, code);
        /* Near misses of the name: none of them is a rule. */
        char text[96];
        size_t length = strlen(name);
        snprintf(text, sizeof(text), "%s", name);
        text[0] = (char)toupper((unsigned char)text[0]);
        check_name_refused(text);
        snprintf(text, sizeof(text), "%.*s", (int)(length - 1), name);
        if (length > 1 && vsr_error_code_parse(text, &back)) {
            CHECK(strcmp(vsr_error_name(back), text) == 0); /* a prefix that is itself a rule */
        } else {
            check_name_refused(text);
        }
        snprintf(text, sizeof(text), "%sx", name);
        check_name_refused(text);
        snprintf(text, sizeof(text), " %s", name);
        check_name_refused(text);
        snprintf(text, sizeof(text), "%s ", name);
        check_name_refused(text);
        snprintf(text, sizeof(text), "%s at slot 1", name);
        check_name_refused(text);
        for (unsigned j = i + 1; j < VSR_ERROR_COUNT; j++) {
            CHECK(strcmp(name, vsr_error_name((vsr_error_code)j)) != 0);
        }
    }
    check_name_refused(NULL);
    check_name_refused("");
    check_name_refused("unknown_error");
    check_name_refused("OK");
    CHECK(strcmp(vsr_error_name(VSR_ERROR_COUNT), "unknown_error") == 0);
    CHECK(strcmp(vsr_error_name((vsr_error_code)-1), "unknown_error") == 0);
    CHECK(strcmp(vsr_error_reason(VSR_ERROR_COUNT), "unknown error code") == 0);
    CHECK(strcmp(vsr_error_name(VSR_ERROR_OK), "ok") == 0);
}

static void test_error_format(void) {
    char text[96];
    for (unsigned i = 0; i < VSR_ERROR_COUNT; i++) {
        vsr_error_code code = (vsr_error_code)i;
        const char *name = vsr_error_name(code);
        vsr_error plain = {code, VSR_SLOT_NONE, 0};
        CHECK(vsr_error_format(plain, text, sizeof(text)) == text);
        CHECK(strcmp(text, name) == 0);
        vsr_error slot = {code, 0, 0};
        char expected[96];
        snprintf(expected, sizeof(expected), "%s at slot 0", name);
        CHECK(strcmp(vsr_error_format(slot, text, sizeof(text)), expected) == 0);
        vsr_error block = {code, VSR_SLOT_NONE, UINT64_MAX};
        snprintf(expected, sizeof(expected), "%s at block 18446744073709551615", name);
        CHECK(strcmp(vsr_error_format(block, text, sizeof(text)), expected) == 0);
        /* A slot wins over a block address: decoders set one or the other. */
        vsr_error both = {code, 4294967294u, 9};
        snprintf(expected, sizeof(expected), "%s at slot 4294967294", name);
        CHECK(strcmp(vsr_error_format(both, text, sizeof(text)), expected) == 0);
        /* Small buffers: always terminated, a prefix of the full text. */
        snprintf(expected, sizeof(expected), "%s at slot 0", name);
        for (size_t size = 1; size < 8; size++) {
            char small[8];
            memset(small, 'z', sizeof(small));
            vsr_error_format(slot, small, size);
            CHECK(memchr(small, '\0', size) != NULL);
            CHECK(strncmp(small, expected, size - 1) == 0);
        }
    }
}

int main(void) {
    test_u128_round_trips();
    test_u128_spellings();
    test_error_names();
    test_error_format();
    return testing_done("text");
}
