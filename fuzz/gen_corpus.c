/*
 * gen_corpus.c: writes the seed inputs of every fuzz target (scripts/gen-corpus runs it).
 *
 * Built from the core's own writer and the fuzz builders, so every seed is
 * what the core really writes: valid trailers at several clients_max and fill
 * levels, trailers in one and in several blocks, valid reply and block headers,
 * operation programs, and for each rule of docs/FORMAT.md one input that breaks
 * that rule alone (the checksums after the change recomputed, so that the
 * decoder reaches the rule). Output: DIR/<target>/<name>. Deterministic.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <sys/stat.h>

#include "fuzz_mutate.h"

static const char *out_dir;

static void write_seed(const char *target, const char *name, const uint8_t *data, size_t size) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", out_dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_corpus: cannot create %s: %s\n", path, strerror(errno));
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
    FILE *file = fopen(path, "wb");
    if (file == NULL || fwrite(data, 1, size, file) != size || fclose(file) != 0) {
        fprintf(stderr, "gen_corpus: cannot write %s\n", path);
        exit(1);
    }
}

/* One rule of docs/FORMAT.md section 2 broken by storing `value` in `width` bytes at `offset`. */
typedef struct rule_break {
    const char *name;
    uint16_t offset;
    uint16_t width;
    uint64_t value;
} rule_break;

static const rule_break frame_breaks[] = {
    {"header_checksum_padding", 16, 1, 1},
    {"header_checksum_body_padding", 48, 1, 1},
    {"header_nonce_reserved", 64, 1, 1},
    {"header_size_min", 96, 4, 255},
    {"header_size_max", 96, 4, (1u << 20) + 1},
    {"header_epoch", 100, 4, 1},
    {"header_release", 108, 4, 0},
    {"header_protocol", 112, 2, 1},
    {"header_reserved_frame", 127, 1, 1},
};
static const rule_break reply_breaks[] = {
    {"header_command", 114, 1, 9},        {"reply_request_checksum_padding", 159, 1, 1},
    {"reply_context_padding", 176, 1, 1}, {"reply_client", 192, 16, 0},
    {"reply_op", 208, 8, 12345},          {"reply_timestamp", 224, 8, 0},
    {"reply_request", 232, 4, 0}, /* on a non-register reply */
    {"reply_reserved", 255, 1, 1},
};
static const rule_break block_breaks[] = {
    {"header_command", 114, 1, 8},          {"block_view", 104, 4, 1},
    {"block_replica", 115, 1, 1},           {"block_previous_checksum_padding", 144, 1, 1},
    {"block_metadata_reserved", 200, 1, 1}, {"block_address", 224, 8, 0},
    {"block_snapshot", 232, 8, 1},          {"block_type", 240, 1, 3},
    {"block_reserved", 241, 1, 1},
};

static void apply_break(uint8_t *h, const rule_break *rule) {
    if (rule->width > 8) {
        memset(h + rule->offset, 0, rule->width);
        testing_store(h + rule->offset, 8, rule->value);
    } else {
        testing_store(h + rule->offset, rule->width, rule->value);
    }
}

/* Calls visit(name, header) for a valid non-register reply broken in each way a reply can be. */
typedef void (*reply_visit)(void *context, const char *name, uint8_t *h);

static void each_broken_reply(void *context, reply_visit visit) {
    uint8_t h[VSR_HEADER_SIZE];
    vsr_header_reply base = testing_reply_salted(VSR_U128(3, 77), 5000, 9, 42);
    for (size_t i = 0; i < FUZZ_COUNT(frame_breaks) + FUZZ_COUNT(reply_breaks); i++) {
        const rule_break *rule = i < FUZZ_COUNT(frame_breaks)
                                     ? &frame_breaks[i]
                                     : &reply_breaks[i - FUZZ_COUNT(frame_breaks)];
        memcpy(h, &base, sizeof(h));
        apply_break(h, rule);
        edit_reseal_header(h);
        visit(context, rule->name, h);
    }
    memcpy(h, &base, sizeof(h));
    h[0] ^= 1;
    visit(context, "header_checksum", h);
    memcpy(h, &base, sizeof(h));
    testing_store(h + 208, 8, 0);
    testing_store(h + 216, 8, 0);
    edit_reseal_header(h);
    visit(context, "reply_commit", h);
    vsr_header_reply reg = testing_reply_salted(VSR_U128(3, 77), 5000, 0, 42);
    memcpy(h, &reg, sizeof(h));
    testing_store(h + 96, 4, VSR_HEADER_SIZE);
    edit_reseal_header(h);
    visit(context, "reply_register_size", h);
    memcpy(h, &reg, sizeof(h));
    testing_store(h + 232, 4, 1);
    edit_reseal_header(h);
    visit(context, "reply_register_request", h);
}

/* ---- fuzz_header_validate ---- */

static void header_seed(void *context, const char *name, uint8_t *h) {
    (void)context;
    char file[96];
    snprintf(file, sizeof(file), "reply-%s", name);
    write_seed("fuzz_header_validate", file, h, VSR_HEADER_SIZE);
}

static void block_header(uint8_t *h) {
    memset(h, 0, VSR_HEADER_SIZE);
    testing_store(h + 80, 8, 7);   /* cluster */
    testing_store(h + 96, 4, 512); /* size */
    testing_store(h + 108, 4, 1);  /* release */
    h[114] = VSR_COMMAND_BLOCK;
    testing_store(h + 224, 8, 3); /* address */
    h[240] = VSR_BLOCK_TYPE_CLIENT_SESSIONS;
    edit_reseal_header(h);
}

static void gen_header_validate(void) {
    uint8_t buffer[VSR_HEADER_SIZE + 64];
    vsr_header_reply reg = testing_reply_salted(VSR_U128(1, 2), 10, 0, 1);
    memcpy(buffer, &reg, VSR_HEADER_SIZE);
    memset(buffer + VSR_HEADER_SIZE, 0, 64);
    write_seed("fuzz_header_validate", "reply-register-with-body", buffer, sizeof(buffer));
    vsr_header_reply request = testing_reply_salted(VSR_U128(1, 2), 11, 1, 2);
    write_seed("fuzz_header_validate", "reply-request", (const uint8_t *)&request, VSR_HEADER_SIZE);
    each_broken_reply(NULL, header_seed);

    uint8_t h[VSR_HEADER_SIZE];
    block_header(h);
    write_seed("fuzz_header_validate", "block-valid", h, sizeof(h));
    for (size_t i = 0; i < FUZZ_COUNT(frame_breaks) + FUZZ_COUNT(block_breaks); i++) {
        const rule_break *rule = i < FUZZ_COUNT(frame_breaks)
                                     ? &frame_breaks[i]
                                     : &block_breaks[i - FUZZ_COUNT(frame_breaks)];
        block_header(h);
        apply_break(h, rule);
        edit_reseal_header(h);
        char file[96];
        snprintf(file, sizeof(file), "block-%s", rule->name);
        write_seed("fuzz_header_validate", file, h, sizeof(h));
    }
    write_seed("fuzz_header_validate", "short", (const uint8_t *)"\x08", 1);
    /* The input's first bytes are also parsed as u128 text. */
    char beyond[16]; /* an error code past the last one */
    snprintf(beyond, sizeof(beyond), "%x", (unsigned)VSR_ERROR_COUNT + 1);
    const char *const texts[] = {"0x0123456789abcdefABCDEF",          "0Xff", "12g", "",
                                 "123456789012345678901234567890123", beyond};
    for (size_t i = 0; i < FUZZ_COUNT(texts); i++) {
        char name[32];
        snprintf(name, sizeof(name), "u128-text-%zu", i);
        write_seed("fuzz_header_validate", name, (const uint8_t *)texts[i], strlen(texts[i]) + 1);
    }
}

/* ---- fuzz_trailer_decode ---- */

enum { TRAILER_MAX = FUZZ_TRAILER_PREFIX + 264 * FUZZ_TRAILER_CLIENTS_LARGE };

static uint8_t selector_for(uint32_t clients_max) {
    if (clients_max == FUZZ_TRAILER_CLIENTS_LARGE) return 0xff;
    return clients_max == 64 ? 0xf0 : (uint8_t)(clients_max - 1);
}

static void trailer_seed(const char *name, uint32_t clients_max, const uint8_t *trailer,
                         size_t size) {
    static uint8_t input[TRAILER_MAX + 1];
    input[0] = selector_for(clients_max);
    memcpy(input + 1, trailer, size);
    write_seed("fuzz_trailer_decode", name, input, size + 1);
}

typedef struct broken_slot {
    uint8_t *trailer;
    uint32_t clients_max;
} broken_slot;

/* A full table of 4 whose slot 2 holds a reply broken in one way. */
static void trailer_reply_seed(void *context, const char *name, uint8_t *h) {
    broken_slot *b = context;
    static uint8_t trailer[264 * 4];
    memcpy(trailer, b->trailer, sizeof(trailer));
    memcpy(trailer + 2 * VSR_HEADER_SIZE, h, VSR_HEADER_SIZE);
    testing_store(trailer + 4 * VSR_HEADER_SIZE + 2 * 8, 8, 1); /* session 1 <= any commit */
    char file[96];
    snprintf(file, sizeof(file), "rule-%s", name);
    trailer_seed(file, 4, trailer, sizeof(trailer));
}

static void gen_trailer_decode(const char *tigerbeetle_dir) {
    static uint8_t trailer[264 * FUZZ_TRAILER_CLIENTS_LARGE];
    static const uint32_t sizes[] = {1, 2, 3, 7, 8, 16, 64};
    for (size_t i = 0; i < FUZZ_COUNT(sizes); i++) {
        uint32_t clients_max = sizes[i];
        size_t size = (size_t)client_sessions_encode_size(clients_max);
        uint32_t fills[] = {0, clients_max / 2, clients_max};
        for (size_t f = 0; f < 3; f++) {
            if (f > 0 && fills[f] == fills[f - 1]) continue;
            for (int scattered = 0; scattered < 2; scattered++) {
                if (scattered && (fills[f] == 0 || fills[f] == clients_max)) continue;
                testing_trailer(trailer, clients_max, fills[f], scattered, 1000 * i + f);
                char name[96];
                snprintf(name, sizeof(name), "valid-cm%u-fill%u%s", clients_max, fills[f],
                         scattered ? "-scattered" : "");
                trailer_seed(name, clients_max, trailer, size);
            }
        }
    }

    /* Single-rule violations on a full table of 4. */
    uint32_t clients_max = 4;
    size_t size = (size_t)client_sessions_encode_size(clients_max);
    uint8_t *sessions = trailer + clients_max * VSR_HEADER_SIZE;
    static uint8_t valid[264 * 4];
    testing_trailer(valid, clients_max, clients_max, false, 77);
    broken_slot context = {valid, clients_max};
    each_broken_reply(&context, trailer_reply_seed);

    memcpy(trailer, valid, size);
    trailer_seed("rule-trailer_size-short", clients_max, trailer, size - 1);
    trailer_seed("rule-trailer_size-other-clients-max", 3, trailer, size);

    testing_trailer(trailer, clients_max, 2, false, 78);
    trailer[3 * VSR_HEADER_SIZE + 100] = 1; /* free slot 3 with a stray byte */
    trailer_seed("rule-free_slot_not_zero", clients_max, trailer, size);

    memcpy(trailer, valid, size);
    testing_store(sessions + 8, 8, testing_load(trailer + VSR_HEADER_SIZE + 216, 8) + 1);
    trailer_seed("rule-session_after_commit", clients_max, trailer, size);

    memcpy(trailer, valid, size);
    memcpy(trailer + 3 * VSR_HEADER_SIZE + 192, trailer + 192, 16);
    edit_reseal_header(trailer + 3 * VSR_HEADER_SIZE);
    trailer_seed("rule-duplicate_client", clients_max, trailer, size);

    memcpy(trailer, valid, size);
    uint8_t *h3 = trailer + 3 * VSR_HEADER_SIZE;
    uint64_t commit = testing_load(trailer + 216, 8);
    testing_store(h3 + 208, 8, commit);
    testing_store(h3 + 216, 8, commit);
    if (testing_load(sessions + 3 * 8, 8) > commit) testing_store(sessions + 3 * 8, 8, commit);
    edit_reseal_header(h3);
    trailer_seed("rule-duplicate_commit", clients_max, trailer, size);

    /* 130 slots, more than the decoder validates in one group: valid, and a rule broken
     * in an early slot, where decode must stop. */
    enum { LARGE = FUZZ_TRAILER_CLIENTS_LARGE };
    testing_trailer(trailer, LARGE, 100, true, 81);
    trailer_seed("valid-cm130-fill100-scattered", LARGE, trailer, 264 * LARGE);
    testing_trailer(trailer, LARGE, LARGE, false, 82);
    testing_store(trailer + LARGE * VSR_HEADER_SIZE + 3 * 8, 8,
                  testing_load(trailer + 3 * VSR_HEADER_SIZE + 216, 8) + 1);
    trailer_seed("rule-session_after_commit-cm130-slot3", LARGE, trailer, 264 * LARGE);

    /* Trailers written by TigerBeetle's own code. */
    static const struct {
        const char *file;
        uint32_t clients_max;
    } vectors[] = {{"tb_encode_7.bin", 7}, {"tb_encode_64.bin", 64}};
    for (size_t i = 0; tigerbeetle_dir != NULL && i < FUZZ_COUNT(vectors); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", tigerbeetle_dir, vectors[i].file);
        FILE *file = fopen(path, "rb");
        if (file == NULL) {
            fprintf(stderr, "gen_corpus: cannot read %s\n", path);
            exit(1);
        }
        size_t got = fread(trailer, 1, sizeof(trailer), file);
        fclose(file);
        char name[96];
        snprintf(name, sizeof(name), "tigerbeetle-cm%u", vectors[i].clients_max);
        trailer_seed(name, vectors[i].clients_max, trailer, got);
    }
}

/* ---- fuzz_blocks_decode ---- */

enum { BLOCKS_INPUT_MAX = FUZZ_BLOCKS_PREFIX + 8 * 4096 };

typedef struct blocks_input {
    uint8_t data[BLOCKS_INPUT_MAX];
    size_t size;
    uint32_t stride;
    uint64_t count;
} blocks_input;

static uint8_t block_selector(uint32_t block_size) {
    uint8_t shift = 0;
    while ((512u << shift) < block_size) shift++;
    return shift;
}

static void blocks_make(blocks_input *in, uint32_t block_size, uint32_t clients_max, uint32_t fill,
                        uint64_t seed) {
    static uint8_t trailer[264 * 4], blocks[8 * 4096];
    uint64_t size = client_sessions_encode_size(clients_max);
    uint64_t count = vsr_trailer_block_count(size, block_size);
    uint64_t addresses[8];
    for (uint64_t i = 0; i < count; i++) addresses[i] = i + 1;
    testing_trailer(trailer, clients_max, fill, true, seed);
    vsr_trailer_reference reference;
    vsr_trailer_write(trailer, size, block_size, 7, 1, addresses, blocks, &reference);
    in->data[0] = block_selector(block_size);
    in->data[1] = (uint8_t)(clients_max - 1);
    in->data[2] = 0;
    fuzz_reference_store(in->data + FUZZ_BLOCKS_REFERENCE, &reference);
    uint64_t chunk_max = block_size - VSR_HEADER_SIZE;
    size_t last = VSR_HEADER_SIZE + (size_t)(size - (count - 1) * chunk_max);
    size_t bytes = (size_t)(count - 1) * block_size + last;
    memcpy(in->data + FUZZ_BLOCKS_PREFIX, blocks, bytes);
    in->size = FUZZ_BLOCKS_PREFIX + bytes;
    in->stride = block_size;
    in->count = count;
}

static uint8_t *block_at(blocks_input *in, uint64_t k) {
    return in->data + FUZZ_BLOCKS_PREFIX + k * in->stride;
}

/* After block k changed: its checksum, the pointers to it and the reference follow. */
static void blocks_rechain(blocks_input *in, uint64_t k) {
    for (uint64_t i = k; i < in->count; i++) {
        if (i > k) memcpy(block_at(in, i) + 128, block_at(in, i - 1), 16);
        edit_reseal_header(block_at(in, i));
    }
    memcpy(in->data + FUZZ_BLOCKS_REFERENCE + 32, block_at(in, in->count - 1), 16);
}

static void blocks_seed(const char *name, const blocks_input *in) {
    write_seed("fuzz_blocks_decode", name, in->data, in->size);
}

static void gen_blocks_decode(void) {
    static blocks_input in;
    static const uint32_t block_sizes[] = {512, 1024, 4096};
    for (size_t b = 0; b < FUZZ_COUNT(block_sizes); b++) {
        for (uint32_t clients_max = 1; clients_max <= 4; clients_max += 3) {
            for (uint32_t fill = 0; fill <= clients_max; fill += clients_max) {
                blocks_make(&in, block_sizes[b], clients_max, fill, 31 * b + fill);
                char name[96];
                snprintf(name, sizeof(name), "valid-bs%u-cm%u-fill%u-%llublocks", block_sizes[b],
                         clients_max, fill, (unsigned long long)in.count);
                blocks_seed(name, &in);
            }
        }
    }

    /* Single-rule violations on a 5-block trailer (block size 512, 4 clients, 3 occupied). */
    const uint32_t bs = 512, cm = 4;
    uint8_t *reference = in.data + FUZZ_BLOCKS_REFERENCE;
    blocks_make(&in, bs, cm, 3, 5);
    blocks_input valid = in;

    static const char *const invalid_sizes[] = {"256", "768", "2MiB"};
    for (uint8_t i = 0; i < 3; i++) {
        in.data[0] = (uint8_t)(4 + 5 * i);
        char name[64];
        snprintf(name, sizeof(name), "rule-block_size_invalid-%s", invalid_sizes[i]);
        blocks_seed(name, &in);
    }
    in = valid;
    testing_store(reference, 8, 0);
    blocks_seed("rule-reference_size-zero", &in);
    in = valid;
    testing_store(reference, 8, 264 * 4 + 1);
    blocks_seed("rule-reference_size-too-large", &in);
    in = valid;
    testing_store(reference + 24, 8, 0);
    blocks_seed("rule-reference_address", &in);
    in = valid;
    testing_store(reference + 24, 8, 9);
    blocks_seed("rule-block_missing", &in);
    in = valid;
    in.data[2] = FUZZ_BLOCKS_FLAG_NULL_BYTES;
    testing_store(reference + 24, 8, 9);
    blocks_seed("rule-block_missing-null-bytes", &in);
    in = valid;
    in.size -= 1;
    blocks_seed("rule-block_truncated-body", &in);
    in = valid;
    in.size = FUZZ_BLOCKS_PREFIX + 4 * bs + 100;
    blocks_seed("rule-block_truncated-header", &in);
    in = valid;
    testing_store_u128(reference + 32, testing_load_u128(reference + 32) + 1);
    blocks_seed("rule-block_checksum_reference", &in);
    in = valid;
    memcpy(block_at(&in, 2), block_at(&in, 3), bs); /* block 3 found at address 3 */
    memcpy(block_at(&in, 4) + 128, block_at(&in, 3), 16);
    testing_store(block_at(&in, 4) + 160, 8, 3);
    blocks_rechain(&in, 4);
    blocks_seed("rule-block_address_mismatch", &in);
    in = valid;
    testing_store(block_at(&in, 1) + 96, 4, 511);
    blocks_rechain(&in, 1);
    blocks_seed("rule-block_body_size", &in);
    in = valid;
    block_at(&in, 1)[300] ^= 1;
    blocks_seed("rule-block_body_checksum", &in);
    in = valid;
    testing_store(block_at(&in, 0) + 160, 8, 5);
    blocks_rechain(&in, 0);
    blocks_seed("rule-block_chain-first-points-back", &in);
    in = valid;
    block_at(&in, 0)[140] = 1; /* previous checksum != 0, previous address 0 */
    blocks_rechain(&in, 0);
    blocks_seed("rule-block_chain-first-checksum", &in);
    in = valid;
    testing_store(block_at(&in, 3) + 160, 8, 0);
    memset(block_at(&in, 3) + 128, 0, 16);
    blocks_rechain(&in, 3);
    blocks_seed("rule-block_chain-later-points-nowhere", &in);
    in = valid;
    testing_store_u128(reference + 8, testing_load_u128(reference + 8) ^ 1);
    blocks_seed("rule-trailer_checksum", &in);
    for (size_t i = 0; i < FUZZ_COUNT(frame_breaks) + FUZZ_COUNT(block_breaks); i++) {
        const rule_break *rule = i < FUZZ_COUNT(frame_breaks)
                                     ? &frame_breaks[i]
                                     : &block_breaks[i - FUZZ_COUNT(frame_breaks)];
        in = valid;
        apply_break(block_at(&in, 2), rule);
        blocks_rechain(&in, 2);
        char name[96];
        snprintf(name, sizeof(name), "rule-%s", rule->name);
        blocks_seed(name, &in);
    }
    /* A trailer the blocks carry whole but that does not decode. */
    in = valid;
    uint8_t *body = block_at(&in, 0) + VSR_HEADER_SIZE;
    body[0] ^= 1; /* slot 0's checksum, in the first chunk */
    edit_reseal_body(block_at(&in, 0), body, 256);
    blocks_rechain(&in, 0);
    uint8_t trailer[264 * 4];
    for (uint64_t k = 0; k < in.count; k++) {
        size_t length = k + 1 < in.count ? 256 : 264 * 4 - 256 * (size_t)k;
        memcpy(trailer + 256 * k, block_at(&in, k) + VSR_HEADER_SIZE, length);
    }
    testing_store_u128(reference + 8, vsr_checksum(trailer, sizeof(trailer)));
    blocks_seed("read-ok-decode-header_checksum", &in);
}

/* ---- fuzz_ops ---- */

/* Operands as fuzz_ops.c reads them: register (0, 6) opcode client commit-lo commit-hi back;
 * request (1) opcode selector commit-lo commit-hi; commit (0x43) opcode client request gap;
 * remove, get, roundtrip: opcode and one byte; evictee, iterate: the opcode alone. */

typedef struct program {
    uint8_t bytes[4096];
    size_t size;
} program;

static void emit(program *p, size_t count, ...) {
    va_list args;
    va_start(args, count);
    for (size_t i = 0; i < count && p->size < sizeof(p->bytes); i++) {
        p->bytes[p->size++] = (uint8_t)va_arg(args, int);
    }
    va_end(args);
}

static void ops_seed(const char *name, const program *p) {
    write_seed("fuzz_ops", name, p->bytes, p->size);
}

static void gen_ops(void) {
    program p;
    /* Register until full, then every new client evicts the oldest. */
    for (uint32_t clients_max = 1; clients_max <= 8; clients_max *= 2) {
        p.size = 0;
        emit(&p, 2, clients_max - 1, 7);
        for (int i = 1; i <= 14; i++) emit(&p, 5, 0x06, i, 10 * i, 0, 0);
        emit(&p, 2, 0x03, 0x07);
        char name[64];
        snprintf(name, sizeof(name), "register-evict-cm%u", clients_max);
        ops_seed(name, &p);
    }
    /* Requests that update clients out of registration order, gets, a round trip. */
    p.size = 0;
    emit(&p, 2, 3, 1);
    for (int i = 1; i <= 4; i++) emit(&p, 5, 0x00, i, 10 * i, 0, 0);
    for (int i = 0; i < 8; i++) emit(&p, 4, 0x01, 7 * i, 50 + 9 * i, 0);
    for (int i = 1; i <= 5; i++) emit(&p, 2, 0x04, i);
    emit(&p, 2, 0x45, 9);
    emit(&p, 1, 0x03);
    emit(&p, 5, 0x06, 20, 200, 0, 0);
    ops_seed("requests-get-roundtrip-cm4", &p);
    /* Removes and re-registers: the lowest free slot and the heap after removal. */
    p.size = 0;
    emit(&p, 2, 7, 2);
    for (int i = 1; i <= 8; i++) emit(&p, 5, 0x00, i, 100 - i, 0, 0);
    emit(&p, 2, 0x02, 3);
    emit(&p, 2, 0x02, 0);
    emit(&p, 5, 0x40, 30, 120, 0, 5);
    emit(&p, 5, 0x00, 31, 2, 0, 0);
    emit(&p, 1, 0x03);
    emit(&p, 2, 0x05, 1);
    emit(&p, 1, 0x07);
    emit(&p, 1, 0x47);
    emit(&p, 5, 0x00, 1, 1, 0, 0);
    ops_seed("remove-reregister-reset-cm8", &p);
    /* Full table; the oldest client makes a request: it must leave the front of the
     * eviction order, so the next evictee is the second oldest. */
    p.size = 0;
    emit(&p, 2, 3, 4);
    for (int i = 1; i <= 4; i++) emit(&p, 5, 0x00, i, 10 * i, 0, 0);
    emit(&p, 4, 0x01, 0, 50, 0);
    emit(&p, 1, 0x03);
    emit(&p, 5, 0x06, 9, 60, 0, 0);
    emit(&p, 4, 0x01, 1, 70, 0);
    emit(&p, 1, 0x03);
    ops_seed("update-oldest-then-evict-cm4", &p);
    /* Committed ops through the apply driver: a registration, its retry, requests, a
     * retry of one, a stale register, registrations that evict on the full table, a
     * request of an evicted client. */
    p.size = 0;
    emit(&p, 2, 1, 5);
    static const uint8_t committed[][2] = {{1, 0}, {1, 0}, {1, 1}, {1, 1}, {1, 0}, {2, 0},
                                           {2, 1}, {3, 0}, {1, 2}, {2, 1}, {4, 0}, {3, 1}};
    for (size_t i = 0; i < FUZZ_COUNT(committed); i++) {
        emit(&p, 4, 0x43, committed[i][0], committed[i][1], (int)i % 3);
    }
    ops_seed("commit-outcomes-cm2", &p);
    /* Wide clients and commits near the top of u64. */
    p.size = 0;
    emit(&p, 2, 1, 3);
    for (int i = 0; i < 3; i++) {
        emit(&p, 1, 0x80);
        for (int b = 0; b < 16; b++) emit(&p, 1, 0xf0 + i + b);
        for (int b = 0; b < 8; b++) emit(&p, 1, b == 0 ? 0xfd + i : 0xff);
        emit(&p, 1, 0);
    }
    emit(&p, 1, 0x86);
    for (int b = 0; b < 16; b++) emit(&p, 1, 1);
    for (int b = 0; b < 8; b++) emit(&p, 1, 0x7f);
    emit(&p, 1, 0);
    ops_seed("wide-clients-commit-max-cm2", &p);
    /* Random programs from a seeded generator: every operation, every size. */
    for (uint64_t seed = 1; seed <= 8; seed++) {
        uint64_t rng = seed;
        p.size = 0;
        emit(&p, 2, (int)(seed - 1), (int)testing_below(&rng, 256));
        for (int i = 0; i < 300; i++) {
            uint8_t opcode = (uint8_t)testing_below(&rng, 8);
            if (testing_below(&rng, 8) == 0) opcode |= 0x40;
            if (opcode == 0x47) opcode = 0x07; /* resets: rarely */
            emit(&p, 4, opcode, (int)testing_below(&rng, 256), (int)testing_below(&rng, 256),
                 (int)testing_below(&rng, 8));
        }
        char name[64];
        snprintf(name, sizeof(name), "random-%llu-cm%llu", (unsigned long long)seed,
                 (unsigned long long)seed);
        ops_seed(name, &p);
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: fuzz_gen_corpus OUT_DIR [TIGERBEETLE_VECTORS_DIR]\n"
                        "Writes the seed inputs of every fuzz target to OUT_DIR/<target>/.\n");
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_corpus: cannot create %s: %s\n", out_dir, strerror(errno));
        return 1;
    }
    gen_header_validate();
    gen_trailer_decode(argc == 3 ? argv[2] : NULL);
    gen_blocks_decode();
    gen_ops();
    return 0;
}
