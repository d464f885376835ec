/*
 * test_checksum: AEGIS-128L known answers, agreement of every implementation, streaming,
 * and the header helpers.
 *
 * Usage: test_checksum DATA_DIR (reads DATA_DIR/aegis128l.txt).
 */
#define _POSIX_C_SOURCE 200809L /* fork, waitpid */

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__unix__)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_AES
#define HWCAP_AES (1ul << 3)
#endif
#endif

#include "aegis_internal.h" /* core/src: the AEGIS steps, per implementation */
#include "testing/check.h"
#include "testing/random.h"
#include "vsr.h"
#include "vsr_checksum_impl.h"

#if defined(__x86_64__) && !defined(CS_CHECKSUM_PORTABLE_ONLY) && \
    (defined(__GNUC__) || defined(__clang__))
#define CPU_MAY_RUN_VAES256 1
/* Whether this CPU has VAES and AVX2 and AES-NI is the selected implementation: then the
 * two-lane VAES paths must be the ones taken (VAES read from cpuid: clang 14's
 * __builtin_cpu_supports does not know it). */
static bool cpu_runs_vaes256(void) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    bool vaes = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & bit_VAES) != 0;
    return vaes && __builtin_cpu_supports("avx2") &&
           vsr_checksum_impl_selected() == VSR_CHECKSUM_IMPL_AESNI;
}

/* Whether this CPU may run the four-lane VAES paths: VAES and AVX-512F, AES-NI selected. It
 * reads no XCR0, so it only says where those paths must not be taken. */
static bool cpu_runs_vaes512(void) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    bool vaes = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & bit_VAES) != 0;
    return vaes && __builtin_cpu_supports("avx512f") &&
           vsr_checksum_impl_selected() == VSR_CHECKSUM_IMPL_AESNI;
}
#else
#define CPU_MAY_RUN_VAES256 0
#endif

/*
 * How many lines of each kind aegis128l.txt holds. Checking the count means a line the
 * parser skipped, or a file that failed to load, fails the test instead of passing quietly.
 */
enum {
    VECTORS_AEAD = 3,
    VECTORS_CHECKSUM = 16,
    VECTORS_ZEROS = 1,
    HEX_BYTES_MAX = 1024,
    FIELDS_MAX = 16,
};

static const vsr_checksum_impl impls_all[] = {
    VSR_CHECKSUM_IMPL_PORTABLE,
    VSR_CHECKSUM_IMPL_AESNI,
    VSR_CHECKSUM_IMPL_ARMV8,
};
#define IMPLS_ALL_COUNT (sizeof(impls_all) / sizeof(impls_all[0]))

static vsr_checksum_impl impls[IMPLS_ALL_COUNT];
static size_t impls_count;

static void impls_collect(void) {
    impls_count = 0;
    for (size_t i = 0; i < IMPLS_ALL_COUNT; i++) {
        if (vsr_checksum_impl_available(impls_all[i])) {
            impls[impls_count++] = impls_all[i];
        }
    }
}

static void *xmalloc(size_t size) {
    void *p = malloc(size > 0 ? size : 1);
    if (p == NULL) {
        fprintf(stderr, "out of memory (%zu bytes)\n", size);
        exit(2);
    }
    return p;
}

static void fill_random(uint8_t *bytes, size_t size, uint64_t *seed) {
    for (size_t i = 0; i < size; i++) {
        bytes[i] = (uint8_t)testing_random(seed);
    }
}

static void format_u128(vsr_u128 x, char out[33]) {
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)VSR_U128_HI(x),
             (unsigned long long)VSR_U128_LO(x));
}

/* ---- A general AEGIS-128L encryption, built from the library's steps ---- */

static void absorb_padded(vsr_checksum_impl impl, uint8_t state[8][16], const uint8_t *bytes,
                          size_t size) {
    for (size_t offset = 0; offset < size; offset += CS_AEGIS_BLOCK_SIZE) {
        uint8_t block[CS_AEGIS_BLOCK_SIZE] = {0};
        size_t take = size - offset < CS_AEGIS_BLOCK_SIZE ? size - offset : CS_AEGIS_BLOCK_SIZE;
        memcpy(block, bytes + offset, take);
        cs_aegis_absorb(impl, state, block, 1);
    }
}

/* Enc(xi): ci = xi ^ (z0 || z1), then Update(xi); a short last block is padded then cut. */
static void encrypt_padded(vsr_checksum_impl impl, uint8_t state[8][16], const uint8_t *msg,
                           size_t size, uint8_t *ciphertext) {
    for (size_t offset = 0; offset < size; offset += CS_AEGIS_BLOCK_SIZE) {
        uint8_t block[CS_AEGIS_BLOCK_SIZE] = {0};
        uint8_t out[CS_AEGIS_BLOCK_SIZE];
        size_t take = size - offset < CS_AEGIS_BLOCK_SIZE ? size - offset : CS_AEGIS_BLOCK_SIZE;
        memcpy(block, msg + offset, take);
        for (size_t j = 0; j < 16; j++) {
            uint8_t z0 = (uint8_t)(state[6][j] ^ state[1][j] ^ (state[2][j] & state[3][j]));
            uint8_t z1 = (uint8_t)(state[2][j] ^ state[5][j] ^ (state[6][j] & state[7][j]));
            out[j] = (uint8_t)(block[j] ^ z0);
            out[16 + j] = (uint8_t)(block[16 + j] ^ z1);
        }
        cs_aegis_absorb(impl, state, block, 1);
        memcpy(ciphertext + offset, out, take);
    }
}

static void aegis_encrypt(vsr_checksum_impl impl, const uint8_t key[16], const uint8_t nonce[16],
                          const uint8_t *ad, size_t ad_size, const uint8_t *msg, size_t msg_size,
                          uint8_t *ciphertext, uint8_t tag[16]) {
    uint8_t state[8][16];
    cs_aegis_init(impl, state, key, nonce);
    absorb_padded(impl, state, ad, ad_size);
    encrypt_padded(impl, state, msg, msg_size, ciphertext);
    cs_aegis_finalize(impl, state, ad_size, msg_size, tag);
}

/* ---- Parsing aegis128l.txt ---- */

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* A hex byte string, or "-" for empty. */
static bool parse_hex_bytes(const char *text, uint8_t *out, size_t capacity, size_t *size) {
    *size = 0;
    if (strcmp(text, "-") == 0) {
        return true;
    }
    size_t length = strlen(text);
    if (length == 0 || length % 2 != 0 || length / 2 > capacity) {
        return false;
    }
    for (size_t i = 0; i < length / 2; i++) {
        int hi = hex_digit(text[2 * i]);
        int lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *size = length / 2;
    return true;
}

/* Exactly 32 hex digits, most significant first. */
static bool parse_u128(const char *text, vsr_u128 *out) {
    if (strlen(text) != 32) {
        return false;
    }
    vsr_u128 value = 0;
    for (size_t i = 0; i < 32; i++) {
        int digit = hex_digit(text[i]);
        if (digit < 0) {
            return false;
        }
        value = value << 4 | (vsr_u128)(unsigned)digit;
    }
    *out = value;
    return true;
}

static bool parse_size(const char *text, size_t *out) {
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || value > 1024 * 1024) {
        return false;
    }
    *out = (size_t)value;
    return true;
}

static size_t split_fields(char *line, char *fields[FIELDS_MAX]) {
    size_t count = 0;
    char *p = line;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            *p++ = '\0';
        }
        if (*p == '\0') {
            break;
        }
        if (count == FIELDS_MAX) {
            return FIELDS_MAX + 1;
        }
        fields[count++] = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            p++;
        }
    }
    return count;
}

/* ---- Checking one vector line ---- */

static bool check_aead(char *fields[FIELDS_MAX], size_t count) {
    static uint8_t key[HEX_BYTES_MAX], nonce[HEX_BYTES_MAX], ad[HEX_BYTES_MAX];
    static uint8_t msg[HEX_BYTES_MAX], ct[HEX_BYTES_MAX], tag[HEX_BYTES_MAX];
    size_t key_size, nonce_size, ad_size, msg_size, ct_size, tag_size;
    if (count != 8 || strcmp(fields[5], "->") != 0 ||
        !parse_hex_bytes(fields[1], key, HEX_BYTES_MAX, &key_size) ||
        !parse_hex_bytes(fields[2], nonce, HEX_BYTES_MAX, &nonce_size) ||
        !parse_hex_bytes(fields[3], ad, HEX_BYTES_MAX, &ad_size) ||
        !parse_hex_bytes(fields[4], msg, HEX_BYTES_MAX, &msg_size) ||
        !parse_hex_bytes(fields[6], ct, HEX_BYTES_MAX, &ct_size) ||
        !parse_hex_bytes(fields[7], tag, HEX_BYTES_MAX, &tag_size)) {
        return false;
    }
    if (key_size != 16 || nonce_size != 16 || tag_size != 16 || ct_size != msg_size) {
        return false;
    }
    static const uint8_t zero[16] = {0};
    bool is_checksum = memcmp(key, zero, 16) == 0 && memcmp(nonce, zero, 16) == 0 && msg_size == 0;
    for (size_t i = 0; i < impls_count; i++) {
        uint8_t ct_got[HEX_BYTES_MAX];
        uint8_t tag_got[16];
        aegis_encrypt(impls[i], key, nonce, ad, ad_size, msg, msg_size, ct_got, tag_got);
        CHECK(memcmp(ct_got, ct, msg_size) == 0);
        CHECK(memcmp(tag_got, tag, 16) == 0);
        if (is_checksum) {
            /* Zero key and nonce, no message: exactly what vsr_checksum computes. */
            vsr_u128 expect;
            memcpy(&expect, tag, 16);
            CHECK(vsr_checksum_with(impls[i], ad, ad_size) == expect);
        }
    }
    return true;
}

/* Every way of computing checksum(bytes): each impl one-shot, streamed whole and bytewise. */
static void check_checksum_everywhere(const uint8_t *bytes, size_t size, vsr_u128 expect) {
    char want[33], got[33];
    vsr_u128 auto_value = vsr_checksum(bytes, size);
    if (auto_value != expect) {
        format_u128(expect, want);
        format_u128(auto_value, got);
        fprintf(stderr, "checksum of %zu bytes: want %s got %s\n", size, want, got);
    }
    CHECK(auto_value == expect);
    for (size_t i = 0; i < impls_count; i++) {
        CHECK(vsr_checksum_with(impls[i], bytes, size) == expect);
        vsr_checksum_stream whole, bytewise;
        vsr_checksum_stream_init_with(&whole, impls[i]);
        vsr_checksum_stream_init_with(&bytewise, impls[i]);
        vsr_checksum_stream_add(&whole, bytes, size);
        for (size_t j = 0; j < size; j++) {
            vsr_checksum_stream_add(&bytewise, bytes + j, 1);
        }
        CHECK(vsr_checksum_stream_final(&whole) == expect);
        CHECK(vsr_checksum_stream_final(&bytewise) == expect);
    }
}

/* "checksum LEN -> U128" (byte i = i & 0xff) or "zeros LEN -> U128". */
static bool check_length_line(char *fields[FIELDS_MAX], size_t count, bool zeros) {
    size_t size;
    vsr_u128 expect;
    if (count != 4 || strcmp(fields[2], "->") != 0 || !parse_size(fields[1], &size) ||
        !parse_u128(fields[3], &expect)) {
        return false;
    }
    uint8_t *bytes = xmalloc(size);
    for (size_t i = 0; i < size; i++) {
        bytes[i] = zeros ? 0 : (uint8_t)(i & 0xff);
    }
    check_checksum_everywhere(bytes, size, expect);
    free(bytes);
    return true;
}

static void test_vectors(const char *data_dir) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/aegis128l.txt", data_dir);
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        CHECK(file != NULL);
        return;
    }
    uint64_t aead = 0, checksum = 0, zeros = 0, line_number = 0;
    char line[8192];
    while (fgets(line, sizeof(line), file) != NULL) {
        line_number++;
        size_t length = strlen(line);
        /* A line longer than the buffer would be split in two and misread. */
        CHECK(length + 1 < sizeof(line) || line[length - 1] == '\n');
        char *fields[FIELDS_MAX];
        size_t count = split_fields(line, fields);
        if (count == 0 || fields[0][0] == '#') {
            continue;
        }
        bool parsed = false;
        if (strcmp(fields[0], "aead") == 0) {
            parsed = check_aead(fields, count);
            aead += parsed;
        } else if (strcmp(fields[0], "checksum") == 0) {
            parsed = check_length_line(fields, count, false);
            checksum += parsed;
        } else if (strcmp(fields[0], "zeros") == 0) {
            parsed = check_length_line(fields, count, true);
            zeros += parsed;
        }
        if (!parsed) {
            fprintf(stderr, "%s:%" PRIu64 ": cannot parse this line\n", path, line_number);
        }
        CHECK(parsed);
    }
    CHECK(!ferror(file));
    fclose(file);
    CHECK_EQ(aead, VECTORS_AEAD);
    CHECK_EQ(checksum, VECTORS_CHECKSUM);
    CHECK_EQ(zeros, VECTORS_ZEROS);
}

/* ---- Properties ---- */

/* The hard-coded Init(0, 0) state is what Init computes, with every implementation. */
static void test_state_zero(void) {
    static const uint8_t zero[16] = {0};
    for (size_t i = 0; i < impls_count; i++) {
        uint8_t state[8][16];
        cs_aegis_init(impls[i], state, zero, zero);
        CHECK(memcmp(state, cs_aegis_state_zero, sizeof(state)) == 0);
    }
}

/* Every implementation agrees with the portable one at every length, at odd alignments. */
static void test_impls_agree(void) {
    enum { SIZE_MAX_TESTED = 4096, MISALIGN = 16 };
    uint64_t seed = 0x5eed0001;
    uint8_t *buffer = xmalloc(SIZE_MAX_TESTED + MISALIGN);
    fill_random(buffer, SIZE_MAX_TESTED + MISALIGN, &seed);
    uint64_t disagreements = 0;
    for (size_t size = 0; size <= SIZE_MAX_TESTED; size++) {
        const uint8_t *bytes = buffer + testing_random(&seed) % MISALIGN;
        vsr_u128 expect = vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE, bytes, size);
        for (size_t i = 0; i < impls_count; i++) {
            disagreements += vsr_checksum_with(impls[i], bytes, size) != expect;
        }
        disagreements += vsr_checksum(bytes, size) != expect;
    }
    CHECK_EQ(disagreements, 0);
    free(buffer);
}

/* A length to feed next: mostly short pieces around the 32-byte block, sometimes long ones. */
static size_t random_piece(uint64_t *seed, size_t left) {
    size_t piece;
    switch (testing_random(seed) % 4) {
    case 0: piece = 1; break;
    case 1: piece = (size_t)(testing_random(seed) % 40); break;
    case 2:
        piece = 32 * (size_t)(testing_random(seed) % 4) + (size_t)(testing_random(seed) % 3);
        break;
    default: piece = (size_t)(testing_random(seed) % 700); break;
    }
    return piece < left ? piece : left;
}

static void test_stream_splits(void) {
    enum { SIZE_MAX_TESTED = 3000, PATTERNS = 400 };
    uint64_t seed = 0x5eed0002;
    uint8_t *bytes = xmalloc(SIZE_MAX_TESTED);
    fill_random(bytes, SIZE_MAX_TESTED, &seed);
    uint64_t mismatches = 0;
    for (size_t pattern = 0; pattern < PATTERNS; pattern++) {
        size_t size = (size_t)(testing_random(&seed) % (SIZE_MAX_TESTED + 1));
        vsr_u128 expect = vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE, bytes, size);
        for (size_t i = 0; i < impls_count; i++) {
            vsr_checksum_stream stream;
            vsr_checksum_stream_init_with(&stream, impls[i]);
            size_t offset = 0;
            while (offset < size) {
                size_t piece = random_piece(&seed, size - offset);
                vsr_checksum_stream_add(&stream, bytes + offset, piece);
                offset += piece;
            }
            vsr_checksum_stream_add(&stream, NULL, 0); /* an empty add changes nothing */
            mismatches += vsr_checksum_stream_final(&stream) != expect;
        }
    }
    /* Byte by byte for every short length, with the default implementation. */
    for (size_t size = 0; size <= 200; size++) {
        vsr_checksum_stream stream;
        vsr_checksum_stream_init(&stream);
        for (size_t j = 0; j < size; j++) {
            vsr_checksum_stream_add(&stream, bytes + j, 1);
        }
        mismatches += vsr_checksum_stream_final(&stream) != vsr_checksum(bytes, size);
    }
    CHECK_EQ(mismatches, 0);
    free(bytes);
}

/* Flipping any bit the checksum covers (bytes 16..256) or the checksum itself breaks it. */
static void test_header_bits(uint8_t *header) {
    uint64_t still_valid = 0;
    for (size_t byte = 0; byte < VSR_HEADER_SIZE; byte++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            header[byte] ^= (uint8_t)(1u << bit);
            still_valid += vsr_header_checksum_valid(header);
            header[byte] ^= (uint8_t)(1u << bit);
        }
    }
    CHECK_EQ(still_valid, 0);
    CHECK(vsr_header_checksum_valid(header));
}

static void test_header(void) {
    enum { BODY_SIZE = 100 };
    uint64_t seed = 0x5eed0003;
    /* One byte of slack so the helpers also run on a header that is not 16-byte aligned. */
    alignas(16) uint8_t storage[VSR_HEADER_SIZE + 1];
    uint8_t body[BODY_SIZE];
    fill_random(body, sizeof(body), &seed);
    for (size_t shift = 0; shift <= 1; shift++) {
        uint8_t *header = storage + shift;
        fill_random(header, VSR_HEADER_SIZE, &seed);
        vsr_header_set_checksum_body(header, body, sizeof(body));
        vsr_header_set_checksum(header);
        CHECK(vsr_header_checksum_valid(header));
        CHECK(vsr_header_checksum_body_valid(header, body, sizeof(body)));
        CHECK(vsr_header_checksum_compute(header) ==
              vsr_checksum(header + 16, VSR_HEADER_SIZE - 16));
        vsr_u128 field;
        memcpy(&field, header, sizeof(field));
        CHECK(field == vsr_header_checksum_compute(header));
        memcpy(&field, header + 32, sizeof(field));
        CHECK(field == vsr_checksum(body, sizeof(body)));
        test_header_bits(header);

        uint64_t body_still_valid = 0;
        for (size_t byte = 0; byte < sizeof(body); byte++) {
            body[byte] ^= 0x10;
            body_still_valid += vsr_header_checksum_body_valid(header, body, sizeof(body));
            body[byte] ^= 0x10;
        }
        CHECK_EQ(body_still_valid, 0);
        CHECK(!vsr_header_checksum_body_valid(header, body, sizeof(body) - 1));

        /* An empty body: checksum_body is checksum of nothing, and the header checksum covers it.
         */
        vsr_header_set_checksum_body(header, NULL, 0);
        CHECK(!vsr_header_checksum_valid(header));
        vsr_header_set_checksum(header);
        CHECK(vsr_header_checksum_valid(header));
        CHECK(vsr_header_checksum_body_valid(header, NULL, 0));
        memcpy(&field, header + 32, sizeof(field));
        CHECK(field == VSR_U128(0x49f174618255402du, 0xe6e7e3c40d60cc83u));
    }
    /* The struct form the rest of the library uses. */
    vsr_header typed;
    memset(&typed, 0, sizeof(typed));
    typed.size = VSR_HEADER_SIZE;
    vsr_header_set_checksum(&typed);
    CHECK(typed.checksum == vsr_header_checksum_compute(&typed));
    CHECK(vsr_header_checksum_valid(&typed));
}

/*
 * cs_checksum_headers, with every implementation and AUTO, gives exactly what
 * vsr_header_checksum_compute gives: batch sizes 0..HEADERS_MAX (so a wide path's full
 * batches and every remainder), headers aligned and not, in any order, one header twice.
 */
static void test_checksum_headers(void) {
    enum { HEADERS_MAX = 9, ROUNDS = 20 };
    uint64_t seed = 0x5eed0005;
    alignas(16) uint8_t storage[HEADERS_MAX * VSR_HEADER_SIZE + 1];
    vsr_checksum_impl with[IMPLS_ALL_COUNT + 1];
    size_t with_count = 0;
    with[with_count++] = VSR_CHECKSUM_IMPL_AUTO;
    for (size_t i = 0; i < impls_count; i++) {
        with[with_count++] = impls[i];
    }
    uint64_t mismatches = 0, overruns = 0;
    for (size_t i = 0; i < with_count; i++) {
        printf("header checksums in batches with %s: %s\n", vsr_checksum_impl_name(with[i]),
               cs_checksum_headers_path(with[i]));
        for (size_t count = 0; count <= HEADERS_MAX; count++) {
            for (size_t round = 0; round < ROUNDS; round++) {
                size_t shift = round % 2;
                uint8_t *base = storage + shift;
                fill_random(base, HEADERS_MAX * VSR_HEADER_SIZE, &seed);
                const void *headers[HEADERS_MAX];
                for (size_t k = 0; k < count; k++) {
                    /* Every third round: any header, repeats allowed; else in reverse. */
                    size_t which = round % 3 == 0 ? (size_t)(testing_random(&seed) % HEADERS_MAX)
                                                  : HEADERS_MAX - 1 - k;
                    headers[k] = base + which * VSR_HEADER_SIZE;
                }
                const vsr_u128 sentinel = VSR_U128(0x5e47, 0x14e1);
                vsr_u128 out[HEADERS_MAX + 1];
                for (size_t k = 0; k <= HEADERS_MAX; k++) {
                    out[k] = sentinel;
                }
                cs_checksum_headers(with[i], count == 0 ? NULL : headers, count,
                                    count == 0 ? NULL : out);
                for (size_t k = 0; k < count; k++) {
                    mismatches += out[k] != vsr_header_checksum_compute(headers[k]);
                    mismatches +=
                        out[k] != vsr_checksum_with(with[i], (const uint8_t *)headers[k] + 16,
                                                    VSR_HEADER_SIZE - 16);
                }
                for (size_t k = count; k <= HEADERS_MAX; k++) {
                    overruns += out[k] != sentinel;
                }
            }
        }
    }
    CHECK_EQ(mismatches, 0);
    CHECK_EQ(overruns, 0);
}

/*
 * Every batch path this CPU has, chosen explicitly, gives what one header at a time with the
 * portable implementation gives: batch sizes 0..HEADERS_MAX (each lane count's full batches
 * and every remainder), headers aligned and not, repeated, in any order. Paths the CPU lacks
 * are named, so the log says what this run could not check.
 */
static void test_checksum_header_paths(void) {
    enum { HEADERS_MAX = 11, ROUNDS = 30 };
    uint64_t seed = 0x5eed0006;
    alignas(16) uint8_t storage[HEADERS_MAX * VSR_HEADER_SIZE + 8];
    size_t paths_run = 0;
    uint64_t mismatches = 0, overruns = 0;
    for (int p = 0; p < CS_CHECKSUM_HEADERS_PATH_COUNT; p++) {
        cs_headers_path path = (cs_headers_path)p;
        if (!cs_checksum_headers_path_available(path)) {
            printf("header checksum path %s: not on this CPU\n",
                   cs_checksum_headers_path_name(path));
            continue;
        }
        printf("header checksum path %s: checked\n", cs_checksum_headers_path_name(path));
        paths_run++;
        for (size_t count = 0; count <= HEADERS_MAX; count++) {
            for (size_t round = 0; round < ROUNDS; round++) {
                uint8_t *base = storage + round % 8;
                fill_random(base, HEADERS_MAX * VSR_HEADER_SIZE, &seed);
                const void *headers[HEADERS_MAX];
                for (size_t k = 0; k < count; k++) {
                    size_t which =
                        round % 2 == 0 ? (size_t)(testing_random(&seed) % HEADERS_MAX) : k;
                    headers[k] = base + which * VSR_HEADER_SIZE;
                }
                const vsr_u128 sentinel = VSR_U128(0x5e47, 0x14e2);
                vsr_u128 out[HEADERS_MAX + 1];
                for (size_t k = 0; k <= HEADERS_MAX; k++) out[k] = sentinel;
                cs_checksum_headers_with_path(path, count == 0 ? NULL : headers, count,
                                              count == 0 ? NULL : out);
                for (size_t k = 0; k < count; k++) {
                    mismatches += out[k] != vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE,
                                                              (const uint8_t *)headers[k] + 16,
                                                              VSR_HEADER_SIZE - 16);
                }
                for (size_t k = count; k <= HEADERS_MAX; k++) overruns += out[k] != sentinel;
            }
        }
    }
    CHECK(paths_run >= 1);
    CHECK(cs_checksum_headers_path_available(CS_CHECKSUM_HEADERS_ONE_AT_A_TIME));
    CHECK_EQ(mismatches, 0);
    CHECK_EQ(overruns, 0);
#if CPU_MAY_RUN_VAES256
    /* A CPU with VAES and AVX2 must batch, or decode loses half its checksum speed; one
     * without them (qemu-x86_64 -cpu Haswell, meson's checksum-cpu-haswell) must not, or
     * it stops on the first VAES instruction. */
    CHECK_EQ(cs_checksum_headers_path_available(CS_CHECKSUM_HEADERS_VAES256X2), cpu_runs_vaes256());
    bool batched = strcmp(cs_checksum_headers_path(VSR_CHECKSUM_IMPL_AUTO), "one at a time") != 0;
    if (cpu_runs_vaes256()) CHECK(batched);
    if (!cpu_runs_vaes256() && !cpu_runs_vaes512()) CHECK(!batched);
    if (!cpu_runs_vaes512()) {
        CHECK(!cs_checksum_headers_path_available(CS_CHECKSUM_HEADERS_VAES512X4));
    }
#endif
}

/* The stream's state as vsr_checksum_stream_add leaves it: the same bytes, field by field. */
static bool streams_equal(const vsr_checksum_stream *a, const vsr_checksum_stream *b) {
    return memcmp(a->state, b->state, sizeof(a->state)) == 0 && a->size_total == b->size_total &&
           a->buffer_size == b->buffer_size && a->buffer_size < sizeof(a->buffer) &&
           memcmp(a->buffer, b->buffer, a->buffer_size) == 0;
}

/*
 * Every chunk path this CPU has, chosen explicitly, with a stream of every implementation,
 * against what the portable implementation gives one step at a time: the copy is the bytes
 * and nothing past them, the result is the chunk's checksum, and the stream ends as
 * vsr_checksum_stream_add leaves it (state, count, buffered tail), whether it started on a
 * block boundary or not. Then trailers cut into chunks as the writer cuts them (every chunk
 * a multiple of 32 bytes but the last): each chunk's checksum, and the stream's final
 * checksum is that of the whole. Paths the CPU lacks are named.
 */
static void test_checksum_chunk_paths(void) {
    enum { SIZE_MAX_TESTED = 5000, GUARD = 40, PREFIXES = 34 };
    uint64_t seed = 0x5eed0007;
    uint8_t *bytes = xmalloc(SIZE_MAX_TESTED + 64);
    uint8_t *out = xmalloc(SIZE_MAX_TESTED + 64 + GUARD);
    fill_random(bytes, SIZE_MAX_TESTED + 64, &seed);
    const size_t sizes[] = {0,   1,   15,  16,  17,   31,   32,   33,   63,   64,  240,
                            255, 256, 257, 768, 1000, 3840, 3848, 4095, 4096, 4097};
    /* Whole blocks, then every tail a stream can hold buffered (1..31 bytes). */
    size_t prefixes[PREFIXES] = {0, 32, 96};
    for (size_t q = 3; q < PREFIXES; q++) prefixes[q] = q - 2;
    size_t paths_run = 0;
    uint64_t mismatches = 0, copies_wrong = 0, overruns = 0, streams_wrong = 0, chunked = 0;
    for (int p = 0; p < CS_CHECKSUM_CHUNK_PATH_COUNT; p++) {
        cs_chunk_path path = (cs_chunk_path)p;
        if (!cs_checksum_chunk_path_available(path)) {
            printf("chunk checksum path %s: not on this CPU\n", cs_checksum_chunk_path_name(path));
            continue;
        }
        printf("chunk checksum path %s: checked\n", cs_checksum_chunk_path_name(path));
        paths_run++;
        for (size_t i = 0; i < impls_count; i++) {
            for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
                for (size_t q = 0; q < PREFIXES; q++) {
                    size_t size = sizes[k], prefix = prefixes[q];
                    /* Unaligned source and copy, in turn. */
                    const uint8_t *from = bytes + prefix + (k % 3);
                    uint8_t *to = out + (q % 2) * 5;
                    memset(out, 0xa5, SIZE_MAX_TESTED + 64 + GUARD);
                    vsr_checksum_stream stream, expect;
                    vsr_checksum_stream_init_with(&stream, impls[i]);
                    vsr_checksum_stream_init_with(&expect, VSR_CHECKSUM_IMPL_PORTABLE);
                    vsr_checksum_stream_add(&stream, bytes, prefix);
                    vsr_checksum_stream_add(&expect, bytes, prefix);
                    vsr_u128 got = cs_checksum_chunk_with_path(path, &stream, to, from, size);
                    vsr_checksum_stream_add(&expect, from, size);
                    mismatches += got != vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE, from, size);
                    copies_wrong += size > 0 && memcmp(to, from, size) != 0;
                    for (size_t g = 0; g < GUARD; g++) overruns += to[size + g] != 0xa5;
                    for (uint8_t *b = out; b < to; b++) overruns += *b != 0xa5;
                    streams_wrong += !streams_equal(&stream, &expect);
                    /* And the stream goes on as the portable one does. */
                    vsr_checksum_stream_add(&stream, bytes, 45);
                    vsr_checksum_stream_add(&expect, bytes, 45);
                    mismatches +=
                        vsr_checksum_stream_final(&stream) != vsr_checksum_stream_final(&expect);
                }
            }
            /* Trailers in chunks of 256 and 3840 bytes, the last chunk short or not. */
            const size_t chunk_sizes[] = {256, 3840};
            for (size_t c = 0; c < 2; c++) {
                for (size_t total = 1; total <= SIZE_MAX_TESTED; total += 263) {
                    vsr_checksum_stream stream;
                    vsr_checksum_stream_init_with(&stream, impls[i]);
                    for (size_t at = 0; at < total; at += chunk_sizes[c]) {
                        size_t size = total - at < chunk_sizes[c] ? total - at : chunk_sizes[c];
                        vsr_u128 got =
                            cs_checksum_chunk_with_path(path, &stream, out + at, bytes + at, size);
                        mismatches +=
                            got != vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE, bytes + at, size);
                    }
                    copies_wrong += memcmp(out, bytes, total) != 0;
                    mismatches += vsr_checksum_stream_final(&stream) !=
                                  vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE, bytes, total);
                    chunked++;
                }
            }
        }
    }
    /* The default dispatch names a path and gives the same answers. */
    vsr_checksum_stream stream;
    vsr_checksum_stream_init(&stream);
    printf("chunk checksum with the selected implementation: %s\n",
           cs_checksum_chunk_path(&stream));
    mismatches += cs_checksum_chunk(&stream, out, bytes, 1000) != vsr_checksum(bytes, 1000);
    mismatches += vsr_checksum_stream_final(&stream) != vsr_checksum(bytes, 1000);
    CHECK(paths_run >= 1);
    CHECK(chunked > 0);
    CHECK_EQ(mismatches, 0);
    CHECK_EQ(copies_wrong, 0);
    CHECK_EQ(overruns, 0);
    CHECK_EQ(streams_wrong, 0);
#if CPU_MAY_RUN_VAES256
    /* A CPU with VAES and AVX2 must fuse the two checksums of a trailer chunk; one without
     * them must not. */
    CHECK_EQ(cs_checksum_chunk_path_available(CS_CHECKSUM_CHUNK_VAES256X2), cpu_runs_vaes256());
    CHECK_EQ(strcmp(cs_checksum_chunk_path(&stream), "vaes256x2") == 0, cpu_runs_vaes256());
#endif
    free(bytes);
    free(out);
}

static void test_names_and_selection(void) {
    CHECK(vsr_checksum_impl_available(VSR_CHECKSUM_IMPL_AUTO));
    CHECK(vsr_checksum_impl_available(VSR_CHECKSUM_IMPL_PORTABLE));
    CHECK(vsr_checksum_impl_selected() != VSR_CHECKSUM_IMPL_AUTO);
    CHECK(vsr_checksum_impl_available(vsr_checksum_impl_selected()));
    CHECK(!(vsr_checksum_impl_available(VSR_CHECKSUM_IMPL_AESNI) &&
            vsr_checksum_impl_available(VSR_CHECKSUM_IMPL_ARMV8)));
    const vsr_checksum_impl every[] = {VSR_CHECKSUM_IMPL_AUTO, VSR_CHECKSUM_IMPL_PORTABLE,
                                       VSR_CHECKSUM_IMPL_AESNI, VSR_CHECKSUM_IMPL_ARMV8};
    const char *names[4];
    for (size_t i = 0; i < 4; i++) {
        names[i] = vsr_checksum_impl_name(every[i]);
        CHECK(names[i] != NULL && names[i][0] != '\0');
        if (names[i] == NULL) {
            return;
        }
        for (size_t j = 0; j < i; j++) {
            CHECK(strcmp(names[i], names[j]) != 0); /* the bench labels its lines by name */
        }
    }
#if defined(CS_CHECKSUM_PORTABLE_ONLY)
    /* Built without the accelerated paths: the portable one is the only one. */
    CHECK(vsr_checksum_impl_selected() == VSR_CHECKSUM_IMPL_PORTABLE);
    CHECK(!vsr_checksum_impl_available(VSR_CHECKSUM_IMPL_AESNI));
    CHECK(!vsr_checksum_impl_available(VSR_CHECKSUM_IMPL_ARMV8));
#elif defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    /* On a CPU with AES-NI the fast path must be the one chosen, or the speed is gone; on
     * one without it (qemu-x86_64 -cpu Nehalem, meson's checksum-cpu-nehalem), the portable
     * path, or the program stops on the first AES instruction. */
    bool aesni = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
    CHECK_EQ(vsr_checksum_impl_selected(),
             aesni ? VSR_CHECKSUM_IMPL_AESNI : VSR_CHECKSUM_IMPL_PORTABLE);
    CHECK_EQ(vsr_checksum_impl_available(VSR_CHECKSUM_IMPL_AESNI), aesni);
#elif defined(__aarch64__) && defined(__linux__)
    /* On a CPU with the ARMv8 AES instructions the fast path must be the one chosen. */
    if ((getauxval(AT_HWCAP) & HWCAP_AES) != 0) {
        CHECK(vsr_checksum_impl_selected() == VSR_CHECKSUM_IMPL_ARMV8);
    }
#endif
    vsr_checksum_stream stream;
    vsr_checksum_stream_init(&stream);
    CHECK(stream.impl == vsr_checksum_impl_selected());
    printf("checksum implementations available:");
    for (size_t i = 0; i < impls_count; i++) {
        printf(" %s", vsr_checksum_impl_name(impls[i]));
    }
    printf(" (selected: %s)\n", vsr_checksum_impl_name(vsr_checksum_impl_selected()));
}

#if defined(__x86_64__) && !defined(CS_CHECKSUM_PORTABLE_ONLY)
/* The feature bits as the architecture manuals number them (not cpuid.h's, which the
 * detection uses): cpuid leaf 1 ecx, leaf 7 ebx and ecx, and XCR0's state components. */
enum {
    ECX1_SSE41 = 19,
    ECX1_AES = 25,
    ECX1_OSXSAVE = 27,
    ECX1_AVX = 28,
    EBX7_AVX2 = 5,
    EBX7_AVX512F = 16,
    ECX7_VAES = 9,
    XCR0_SSE = 1,
    XCR0_YMM = 2,
    XCR0_OPMASK = 5,
    XCR0_ZMM_HI256 = 6,
    XCR0_HI16_ZMM = 7,
};
#define BIT(n) (UINT64_C(1) << (n))

typedef bool (*supported_fn)(const cs_x86_features *);

/* needed: the features a path needs, all set; supported(needed) must hold, and must not
 * once any one of its bits is cleared; the other bits of the four words change nothing. */
static void check_feature_rule(const char *name, supported_fn supported, cs_x86_features needed) {
    uint64_t wrong = 0;
    wrong += !supported(&needed);
    cs_x86_features all = {~UINT64_C(0) >> 32, ~UINT64_C(0) >> 32, ~UINT64_C(0) >> 32,
                           ~UINT64_C(0)};
    wrong += !supported(&all);
    uint64_t *needed_words = &needed.leaf1_ecx;
    for (int w = 0; w < 4; w++) {
        for (int bit = 0; bit < 64; bit++) {
            if ((needed_words[w] & BIT(bit)) == 0) continue;
            cs_x86_features without = needed, all_without = all;
            (&without.leaf1_ecx)[w] &= ~BIT(bit);
            (&all_without.leaf1_ecx)[w] &= ~BIT(bit);
            wrong += supported(&without) + supported(&all_without);
        }
    }
    cs_x86_features none = {0, 0, 0, 0};
    wrong += supported(&none);
    if (wrong != 0)
        printf("feature rule of %s: %llu wrong answers\n", name, (unsigned long long)wrong);
    CHECK_EQ(wrong, 0);
}

/* The detection's rules, on every feature alone (whatever CPU runs this). */
static void test_x86_feature_rules(void) {
    check_feature_rule("aesni", cs_x86_aesni_supported,
                       (cs_x86_features){BIT(ECX1_AES) | BIT(ECX1_SSE41), 0, 0, 0});
    check_feature_rule("vaes256", cs_x86_vaes256_supported,
                       (cs_x86_features){BIT(ECX1_OSXSAVE) | BIT(ECX1_AES) | BIT(ECX1_AVX),
                                         BIT(EBX7_AVX2), BIT(ECX7_VAES),
                                         BIT(XCR0_SSE) | BIT(XCR0_YMM)});
    check_feature_rule("vaes512", cs_x86_vaes512_supported,
                       (cs_x86_features){BIT(ECX1_OSXSAVE) | BIT(ECX1_AES), BIT(EBX7_AVX512F),
                                         BIT(ECX7_VAES),
                                         BIT(XCR0_SSE) | BIT(XCR0_YMM) | BIT(XCR0_OPMASK) |
                                             BIT(XCR0_ZMM_HI256) | BIT(XCR0_HI16_ZMM)});
}
#endif

#if defined(__unix__)
/* call(impl) in a child process: its wait status. */
static int child_status(void (*call)(vsr_checksum_impl), vsr_checksum_impl impl) {
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL) {
            _exit(3);
        }
        call(impl);
        _exit(0);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    return status;
}

/* Whether call(impl) stops on an assertion (SIGABRT). */
static bool aborts(void (*call)(vsr_checksum_impl), vsr_checksum_impl impl) {
    int status = child_status(call, impl);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

/* Whether call(impl) returns and its own checks hold (it exits 0). */
static bool runs_clean(void (*call)(vsr_checksum_impl), vsr_checksum_impl impl) {
    int status = child_status(call, impl);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void checksum_one_byte(vsr_checksum_impl impl) { (void)vsr_checksum_with(impl, "x", 1); }
static void checksum_null_one(vsr_checksum_impl impl) { (void)vsr_checksum_with(impl, NULL, 1); }
static void checksum_null_none(vsr_checksum_impl impl) {
    /* No bytes: NULL is allowed, and the checksum is the empty input's. */
    if (vsr_checksum_with(impl, NULL, 0) != vsr_checksum_with(impl, "", 0)) _exit(4);
}
static void absorb_null(vsr_checksum_impl impl, size_t blocks) {
    alignas(16) uint8_t state[8][16];
    memcpy(state, cs_aegis_state_zero, sizeof(state));
    cs_aegis_absorb(impl, state, NULL, blocks);
    if (memcmp(state, cs_aegis_state_zero, sizeof(state)) != 0) _exit(4); /* none absorbed */
}
static void absorb_null_none(vsr_checksum_impl impl) { absorb_null(impl, 0); }
static void absorb_null_one(vsr_checksum_impl impl) { absorb_null(impl, 1); }
static void stream_add_null(vsr_checksum_impl impl, size_t size) {
    vsr_checksum_stream stream;
    vsr_checksum_stream_init_with(&stream, impl);
    vsr_checksum_stream_add(&stream, NULL, size);
    if (stream.size_total != 0) _exit(4);
}
static void stream_add_null_none(vsr_checksum_impl impl) { stream_add_null(impl, 0); }
static void stream_add_null_one(vsr_checksum_impl impl) { stream_add_null(impl, 1); }
static void headers_null(vsr_checksum_impl impl, size_t count) {
    vsr_u128 out[1] = {0};
    cs_checksum_headers(impl, NULL, count, count > 0 ? out : NULL);
}
static void headers_null_none(vsr_checksum_impl impl) { headers_null(impl, 0); }
static void headers_null_one(vsr_checksum_impl impl) { headers_null(impl, 1); }
static void stream_add_after_final(vsr_checksum_impl impl) {
    vsr_checksum_stream stream;
    vsr_checksum_stream_init_with(&stream, impl);
    (void)vsr_checksum_stream_final(&stream);
    vsr_checksum_stream_add(&stream, "x", 1);
}
/* Finalizing does not write the state back: a second final must not run on it. */
static void stream_final_twice(vsr_checksum_impl impl) {
    vsr_checksum_stream stream;
    vsr_checksum_stream_init_with(&stream, impl);
    vsr_checksum_stream_add(&stream, "x", 1);
    (void)vsr_checksum_stream_final(&stream);
    (void)vsr_checksum_stream_final(&stream);
}

/* Asking for an implementation the CPU lacks is a programmer error: it must abort. So are
 * bytes at NULL, on either side of the size that allows it (none), and a finished stream
 * (added to or finished again). */
static void test_misuse_aborts(void) {
    for (size_t i = 0; i < IMPLS_ALL_COUNT; i++) {
        vsr_checksum_impl impl = impls_all[i];
        if (!vsr_checksum_impl_available(impl)) {
            CHECK(aborts(checksum_one_byte, impl));
            continue;
        }
        CHECK(runs_clean(checksum_one_byte, impl));
        CHECK(aborts(checksum_null_one, impl));
        CHECK(runs_clean(checksum_null_none, impl));
        CHECK(aborts(absorb_null_one, impl));
        CHECK(runs_clean(absorb_null_none, impl));
        CHECK(aborts(stream_add_null_one, impl));
        CHECK(runs_clean(stream_add_null_none, impl));
        CHECK(aborts(stream_add_after_final, impl));
        CHECK(aborts(stream_final_twice, impl));
        CHECK(aborts(headers_null_one, impl));
        CHECK(runs_clean(headers_null_none, impl));
    }
    /* A value that names no implementation, or no path, is not available. */
    CHECK(!vsr_checksum_impl_available((vsr_checksum_impl)99));
    CHECK(!cs_checksum_headers_path_available((cs_headers_path)99));
    CHECK(!cs_checksum_chunk_path_available((cs_chunk_path)99));
}
#endif

int main(int argc, char **argv) {
    const char *data_dir = testing_data_dir(argc, argv);
    impls_collect();
    CHECK(impls_count >= 1 && impls[0] == VSR_CHECKSUM_IMPL_PORTABLE);
    test_names_and_selection();
    test_vectors(data_dir);
    test_state_zero();
    test_impls_agree();
    test_stream_splits();
    test_header();
    test_checksum_headers();
    test_checksum_header_paths();
    test_checksum_chunk_paths();
#if defined(__x86_64__) && !defined(CS_CHECKSUM_PORTABLE_ONLY)
    test_x86_feature_rules();
#endif
#if defined(__unix__)
    test_misuse_aborts();
#endif
    return testing_done("test_checksum");
}
