/*
 * fuzz_common.h: what every fuzz target shares.
 *
 * FUZZ_CHECK is the targets' invariant check: a violated invariant is a bug in
 * the core, so it prints what broke and aborts, which every engine (libFuzzer,
 * AFL++, the replay driver) reports as a crash. Also: a little-endian field
 * reader, a seeded generator, builders of valid replies and trailers (used by
 * the targets, the custom mutators and the seed generator), and the rules of
 * FORMAT.md 2 restated independently of core/src/header.c, as an oracle.
 *
 * Header-only with static inline functions so that every build (replay,
 * libFuzzer, AFL++, OSS-Fuzz) compiles one .c file per target and nothing else.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"
#include "vsr.h"

_Static_assert(VSR_ERROR_COUNT <= 64, "rule sets are 64-bit masks");

__attribute__((noreturn, format(printf, 4, 5))) static inline void
fuzz_fail(const char *file, int line, const char *cond, const char *format, ...) {
    fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n  ", file, line, cond);
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

#define FUZZ_CHECK(cond, ...)                                           \
    do {                                                                \
        if (!(cond)) fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
    } while (0)

/* FUZZ_VERBOSE=1 in the environment: each target prints its verdict (reproducing, seeds). */
static inline bool fuzz_verbose(void) {
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("FUZZ_VERBOSE") != NULL;
    return verbose == 1;
}

/* ---- little-endian fields of raw bytes ---- */

static inline uint64_t fuzz_load(const uint8_t *bytes, size_t width) {
    uint64_t value = 0;
    for (size_t i = width; i-- > 0;) value = (value << 8) | bytes[i];
    return value;
}

static inline void fuzz_store(uint8_t *bytes, size_t width, uint64_t value) {
    for (size_t i = 0; i < width; i++) {
        bytes[i] = (uint8_t)value;
        value >>= 8;
    }
}

static inline vsr_u128 fuzz_load_u128(const uint8_t *bytes) {
    return VSR_U128(fuzz_load(bytes + 8, 8), fuzz_load(bytes, 8));
}

static inline void fuzz_store_u128(uint8_t *bytes, vsr_u128 value) {
    fuzz_store(bytes, 8, VSR_U128_LO(value));
    fuzz_store(bytes + 8, 8, VSR_U128_HI(value));
}

static inline bool fuzz_all_zero(const uint8_t *bytes, size_t size) {
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] != 0) return false;
    }
    return true;
}

/* Reads the input front to back; past the end every read is zero. */
typedef struct fuzz_reader {
    const uint8_t *data;
    size_t size;
    size_t offset;
} fuzz_reader;

static inline bool fuzz_reader_more(const fuzz_reader *reader) {
    return reader->offset < reader->size;
}

static inline uint64_t fuzz_read(fuzz_reader *reader, size_t width) {
    uint64_t value = 0;
    for (size_t i = 0; i < width; i++) {
        uint64_t byte = reader->offset < reader->size ? reader->data[reader->offset++] : 0;
        value |= byte << (8 * i);
    }
    return value;
}

/* splitmix64: the seeded generator of the mutators and the corpus generator. */
static inline uint64_t fuzz_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform enough below bound (> 0) for mutation choices. */
static inline uint32_t fuzz_below(uint64_t *state, uint32_t bound) {
    return (uint32_t)(fuzz_random(state) % bound);
}

/* ---- valid headers and trailers ---- */

/*
 * A valid reply with its checksum set: a register reply (operation 2, size 320)
 * when request == 0, else a state-machine operation. salt varies the fields the
 * rules do not constrain (cluster, view, context, timestamp, ...).
 */
static inline vsr_header_reply fuzz_reply(vsr_u128 client, uint64_t commit, uint32_t request,
                                          uint64_t salt) {
    vsr_header_reply reply;
    memset(&reply, 0, sizeof(reply));
    reply.cluster = VSR_U128(salt >> 32, 7);
    reply.view = (uint32_t)(salt & 0xff);
    reply.release = 1 + (uint32_t)(salt >> 8 & 0xf);
    reply.command = VSR_COMMAND_REPLY;
    reply.replica = (uint8_t)(salt >> 12 & 0x7);
    reply.request_checksum = VSR_U128(commit, client ^ salt);
    reply.context = (vsr_u128)salt;
    reply.client = client;
    reply.op = commit;
    reply.commit = commit;
    reply.timestamp = commit * 1000 + (salt & 0x3ff) + 1;
    reply.request = request;
    if (request == 0) {
        reply.operation = VSR_OPERATION_REGISTER;
        reply.size = VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE;
    } else {
        reply.operation = (uint8_t)(128 + (salt >> 16) % 64);
        reply.size = VSR_HEADER_SIZE + (uint32_t)(salt >> 24 & 0xff);
    }
    if (reply.timestamp == 0) reply.timestamp = 1;
    /* The body itself is not kept in the table; a register result is 64 zero bytes here. */
    static const uint8_t body[VSR_REGISTER_RESULT_SIZE] = {0};
    vsr_header_set_checksum_body(
        &reply, body,
        reply.size - VSR_HEADER_SIZE <= sizeof(body) ? reply.size - VSR_HEADER_SIZE : sizeof(body));
    vsr_header_set_checksum(&reply);
    return reply;
}

/*
 * A valid encoded trailer of clients_max slots (264 * clients_max bytes at out)
 * with `fill` occupied slots, chosen at random when `scattered`, else the lowest.
 * Clients and commits are distinct; commits come in random order.
 */
static inline void fuzz_make_trailer(uint8_t *out, uint32_t clients_max, uint32_t fill,
                                     bool scattered, uint64_t seed) {
    uint64_t state = seed;
    size_t headers_size = (size_t)clients_max * VSR_HEADER_SIZE;
    memset(out, 0, (size_t)client_sessions_encode_size(clients_max));
    if (fill > clients_max) fill = clients_max;
    uint32_t placed = 0;
    for (uint32_t i = 0; placed < fill && i < 64 * clients_max; i++) {
        uint32_t slot = scattered ? fuzz_below(&state, clients_max) : placed;
        if (fuzz_load(out + headers_size + (size_t)slot * 8, 8) != 0) continue;
        /* Distinct by construction: the commit's high part is the placement index. */
        uint64_t commit = ((uint64_t)(placed + 1) << 20) | (fuzz_random(&state) & 0xfffff);
        uint64_t session = commit - (fuzz_random(&state) % commit);
        vsr_u128 client = VSR_U128(fuzz_random(&state) >> 1, placed + 1);
        bool registered = session == commit;
        vsr_header_reply reply =
            fuzz_reply(client, commit, registered ? 0 : placed + 1, fuzz_random(&state));
        memcpy(out + (size_t)slot * VSR_HEADER_SIZE, &reply, sizeof(reply));
        fuzz_store(out + headers_size + (size_t)slot * 8, 8, session);
        placed++;
    }
}

/* ---- FORMAT.md 2, restated byte by byte: the set of rules a header breaks ---- */

#define FUZZ_RULE(code) (UINT64_C(1) << (code))

static inline uint64_t fuzz_frame_violations(const uint8_t *h, uint8_t command) {
    uint64_t rules = 0;
    if (fuzz_load_u128(h) != vsr_checksum(h + 16, VSR_HEADER_SIZE - 16)) {
        rules |= FUZZ_RULE(VSR_ERROR_HEADER_CHECKSUM);
    }
    if (!fuzz_all_zero(h + 16, 16)) rules |= FUZZ_RULE(VSR_ERROR_HEADER_CHECKSUM_PADDING);
    if (!fuzz_all_zero(h + 48, 16)) rules |= FUZZ_RULE(VSR_ERROR_HEADER_CHECKSUM_BODY_PADDING);
    if (!fuzz_all_zero(h + 64, 16)) rules |= FUZZ_RULE(VSR_ERROR_HEADER_NONCE_RESERVED);
    uint64_t size = fuzz_load(h + 96, 4);
    if (size < VSR_HEADER_SIZE) rules |= FUZZ_RULE(VSR_ERROR_HEADER_SIZE_MIN);
    if (size > VSR_MESSAGE_SIZE_MAX) rules |= FUZZ_RULE(VSR_ERROR_HEADER_SIZE_MAX);
    if (fuzz_load(h + 100, 4) != 0) rules |= FUZZ_RULE(VSR_ERROR_HEADER_EPOCH);
    if (fuzz_load(h + 108, 4) == 0) rules |= FUZZ_RULE(VSR_ERROR_HEADER_RELEASE);
    if (fuzz_load(h + 112, 2) != 0) rules |= FUZZ_RULE(VSR_ERROR_HEADER_PROTOCOL);
    if (h[114] != command) rules |= FUZZ_RULE(VSR_ERROR_HEADER_COMMAND);
    if (!fuzz_all_zero(h + 116, 12)) rules |= FUZZ_RULE(VSR_ERROR_HEADER_RESERVED_FRAME);
    return rules;
}

static inline uint64_t fuzz_reply_violations(const uint8_t *h) {
    uint64_t rules = fuzz_frame_violations(h, VSR_COMMAND_REPLY);
    if (!fuzz_all_zero(h + 144, 16)) rules |= FUZZ_RULE(VSR_ERROR_REPLY_REQUEST_CHECKSUM_PADDING);
    if (!fuzz_all_zero(h + 176, 16)) rules |= FUZZ_RULE(VSR_ERROR_REPLY_CONTEXT_PADDING);
    if (fuzz_all_zero(h + 192, 16)) rules |= FUZZ_RULE(VSR_ERROR_REPLY_CLIENT);
    uint64_t op = fuzz_load(h + 208, 8), commit = fuzz_load(h + 216, 8);
    if (op != commit) rules |= FUZZ_RULE(VSR_ERROR_REPLY_OP);
    if (commit == 0) rules |= FUZZ_RULE(VSR_ERROR_REPLY_COMMIT);
    if (fuzz_load(h + 224, 8) == 0) rules |= FUZZ_RULE(VSR_ERROR_REPLY_TIMESTAMP);
    uint64_t request = fuzz_load(h + 232, 4);
    if (h[236] == VSR_OPERATION_REGISTER) {
        if (fuzz_load(h + 96, 4) != VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE) {
            rules |= FUZZ_RULE(VSR_ERROR_REPLY_REGISTER_SIZE);
        }
        if (request != 0) rules |= FUZZ_RULE(VSR_ERROR_REPLY_REGISTER_REQUEST);
    } else if (request == 0) {
        rules |= FUZZ_RULE(VSR_ERROR_REPLY_REQUEST);
    }
    if (!fuzz_all_zero(h + 237, 19)) rules |= FUZZ_RULE(VSR_ERROR_REPLY_RESERVED);
    return rules;
}

static inline uint64_t fuzz_block_violations(const uint8_t *h) {
    uint64_t rules = fuzz_frame_violations(h, VSR_COMMAND_BLOCK);
    if (fuzz_load(h + 104, 4) != 0) rules |= FUZZ_RULE(VSR_ERROR_BLOCK_VIEW);
    if (h[115] != 0) rules |= FUZZ_RULE(VSR_ERROR_BLOCK_REPLICA);
    if (!fuzz_all_zero(h + 144, 16)) rules |= FUZZ_RULE(VSR_ERROR_BLOCK_PREVIOUS_CHECKSUM_PADDING);
    if (!fuzz_all_zero(h + 168, 56)) rules |= FUZZ_RULE(VSR_ERROR_BLOCK_METADATA_RESERVED);
    if (fuzz_load(h + 224, 8) == 0) rules |= FUZZ_RULE(VSR_ERROR_BLOCK_ADDRESS);
    if (fuzz_load(h + 232, 8) != 0) rules |= FUZZ_RULE(VSR_ERROR_BLOCK_SNAPSHOT);
    if (h[240] != VSR_BLOCK_TYPE_CLIENT_SESSIONS) rules |= FUZZ_RULE(VSR_ERROR_BLOCK_TYPE);
    if (!fuzz_all_zero(h + 241, 15)) rules |= FUZZ_RULE(VSR_ERROR_BLOCK_RESERVED);
    return rules;
}

/*
 * A validator's answer agrees with the set of broken rules: valid exactly when
 * none is broken, the checksum reported first, else one of the broken rules.
 */
static inline void fuzz_check_verdict(vsr_error_code code, uint64_t rules, const char *what) {
    FUZZ_CHECK((unsigned)code < VSR_ERROR_COUNT, "%s: code %u out of range", what, (unsigned)code);
    if (rules == 0) {
        FUZZ_CHECK(code == VSR_ERROR_OK, "%s: valid header rejected with %s", what,
                   vsr_error_name(code));
        return;
    }
    FUZZ_CHECK(code != VSR_ERROR_OK, "%s: accepted a header that breaks rules 0x%016llx", what,
               (unsigned long long)rules);
    if (rules & FUZZ_RULE(VSR_ERROR_HEADER_CHECKSUM)) {
        FUZZ_CHECK(code == VSR_ERROR_HEADER_CHECKSUM, "%s: bad checksum reported as %s", what,
                   vsr_error_name(code));
    }
    FUZZ_CHECK(rules & FUZZ_RULE(code), "%s: reported %s, which holds (broken: 0x%016llx)", what,
               vsr_error_name(code), (unsigned long long)rules);
}

#endif /* FUZZ_COMMON_H */
