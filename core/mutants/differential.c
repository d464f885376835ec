/*
 * differential.c: everything the public API answers over one fixed workload, digested.
 *
 * The mutation engine (scripts/mutate) accepts a mutant as equivalent only with evidence:
 * its object file is the original's, or this program, built with the mutant and run under
 * ASan+UBSan, prints the same digests as when built with the original sources. So the
 * workload asks every question a caller can ask, on shapes chosen to reach each branch:
 *
 *   memory    memory_size and encode_size of 0..4097 and of every power of two up to 2^20
 *             with its neighbours; init's status, capacity and count for the same sizes up
 *             to 4096 and for 2^16 + {-1, 0, 1}, 2^20 and 2^20 + 1
 *   ops       random and adversarial op sequences on tables of 1..4096 slots (ids that share
 *             a half, one client updated many times, remove and re-register, evictions in a
 *             row, commits 2^44 apart): every put (and put_at), get, slot, evictee, count and
 *             iterator answer, and the encoding now and then
 *   decode    crafted trailers: random fills, full tables, duplicate clients and commits
 *             side by side and far apart, more than 32 slots whose commits are one apart,
 *             ranges 0 and 1, commit ranges around 2^44, ids sharing a half, sizes at each
 *             64-slot boundary, one byte changed (resealed or not): the verdict, and on
 *             acceptance the count, the evictee and the encoding
 *   checksum  vsr_checksum of 0..600 bytes and of larger sizes, streamed in pieces, the
 *             header checksums, with every implementation this CPU has
 *   headers   the validators on every byte of a reply and a block header set to edge values,
 *             resealed or not; error names, reasons, formats and parses; u128 text
 *   blocks    vsr_trailer_write of trailers at every block size, and vsr_trailer_read of
 *             them with one edit of the trailer-edit engine (testing/edit.h)
 *
 * Output: one line per section, "section NAME DIGEST ANSWERS", then "digest DIGEST". The
 * digest is FNV-1a over every answer, so a differing line names where the answers part.
 * --verbose prints every answer instead (to diff two runs). Exit 0; 2 on bad usage.
 *
 * --paths prints instead which checksum paths this CPU runs, one line each: "impl NAME
 * selected|available|unavailable" and "headers NAME available|unavailable". The engine
 * reads it to tell a mutant in a path this CPU never runs from a survivor.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"
#include "testing/bytes.h"
#include "testing/edit.h"
#include "testing/random.h"
#include "testing/reply.h"
#include "vsr.h"
#include "vsr_checksum_impl.h"
#include "aegis_internal.h" /* core/src: the header checksum paths, for --paths */

/* ---- answers and digests ---- */

static bool verbose;
static FILE *output; /* where the section lines go: stdout, or a buffer for --check */
static const char *section_name;
static uint64_t section_digest, section_answers, total_digest;

static void digest_bytes(uint64_t *digest, const void *bytes, size_t size) {
    const uint8_t *p = bytes;
    for (size_t i = 0; i < size; i++) *digest = (*digest ^ p[i]) * UINT64_C(0x100000001b3);
}

/* One answer: a label (what was asked) and its value. */
static void answer(const char *label, uint64_t value) {
    digest_bytes(&section_digest, label, strlen(label));
    digest_bytes(&section_digest, &value, sizeof(value));
    section_answers++;
    if (verbose) printf("%s %s %" PRIu64 "\n", section_name, label, value);
}

static void answer_u128(const char *label, vsr_u128 value) {
    answer(label, VSR_U128_HI(value));
    answer(label, VSR_U128_LO(value));
}

static void answer_bytes(const char *label, const void *bytes, size_t size) {
    uint64_t digest = UINT64_C(0xcbf29ce484222325);
    digest_bytes(&digest, bytes, size);
    answer(label, digest);
}

static void answer_error(const char *label, vsr_error error) {
    answer(label, (uint64_t)error.code);
    answer(label, error.slot);
    answer(label, error.block_address);
}

static void section_begin(const char *name) {
    section_name = name;
    section_digest = UINT64_C(0xcbf29ce484222325);
    section_answers = 0;
}

static void section_end(void) {
    fprintf(output, "section %s %016" PRIx64 " %" PRIu64 "\n", section_name, section_digest,
            section_answers);
    digest_bytes(&total_digest, &section_digest, sizeof(section_digest));
}

static void *allocate(size_t size) {
    void *p = malloc(size == 0 ? 1 : size);
    if (p == NULL) {
        fprintf(stderr, "differential: out of memory (%zu bytes)\n", size);
        exit(4);
    }
    return p;
}

/* ---- memory ---- */

static void memory_of(uint32_t n, bool init) {
    answer("memory_size", client_sessions_memory_size(n));
    answer("encode_size", client_sessions_encode_size(n));
    if (!init) return;
    client_sessions *table = NULL;
    client_sessions_init_status status = client_sessions_init(&table, n, n * 7 + 1);
    answer("init", status);
    answer("init_null", table == NULL);
    if (table == NULL) return;
    answer("capacity", client_sessions_capacity(table));
    answer("count", client_sessions_count(table));
    client_sessions_deinit(table);
}

static void section_memory(void) {
    section_begin("memory");
    for (uint32_t n = 0; n <= 4097; n++) memory_of(n, true);
    for (uint32_t k = 13; k <= 20; k++) {
        uint32_t p = UINT32_C(1) << k;
        bool init = k == 16 || k == 20;
        memory_of(p - 1, init && k != 20);
        memory_of(p, init);
        memory_of(p + 1, init);
    }
    section_end();
}

/* ---- op sequences ---- */

/* A table, the clients that may be in it, and the next commit. */
typedef struct ops_run {
    client_sessions *table;
    uint32_t capacity;
    uint64_t commit;
    uint64_t state;
    vsr_u128 *clients; /* ids drawn from, some sharing a half */
    uint32_t clients_count;
    uint8_t *encoding;
} ops_run;

static vsr_u128 ops_client(ops_run *r, uint32_t i) { return r->clients[i % r->clients_count]; }

static void answer_get(ops_run *r, vsr_u128 client) {
    client_sessions_entry entry;
    bool found = client_sessions_get(r->table, client, &entry);
    answer("get", found);
    answer("slot_for_client", client_sessions_slot_for_client(r->table, client));
    if (!found) return;
    answer("get_slot", entry.slot);
    answer("get_session", entry.session);
    answer_u128("get_checksum", entry.header->checksum);
    answer("slot_for_header", client_sessions_slot_for_header(r->table, entry.header));
    vsr_header_reply other = *entry.header;
    other.checksum ^= 1;
    answer("slot_for_header_foreign", client_sessions_slot_for_header(r->table, &other));
}

/* Registers client (evicting the oldest when full) or updates it with the next commit. */
static void ops_put(ops_run *r, vsr_u128 client, uint64_t commit_step) {
    r->commit += commit_step;
    client_sessions_entry entry;
    if (client_sessions_get(r->table, client, &entry)) {
        uint32_t request = entry.header->request + 1;
        vsr_header_reply reply = testing_reply_salted(client, r->commit, request, r->commit);
        if (r->commit % 2 == 0) { /* half the updates at the slot get gave */
            client_sessions_put_at(r->table, entry.slot, entry.session, &reply);
            answer("put_at", client_sessions_slot_for_header(r->table, &reply));
        } else {
            answer("put_update", client_sessions_put(r->table, entry.session, &reply));
        }
        return;
    }
    if (client_sessions_count(r->table) == r->capacity) {
        vsr_u128 evictee = client_sessions_evictee(r->table);
        answer_u128("evictee", evictee);
        answer("evictee_slot", client_sessions_slot_for_client(r->table, evictee));
        client_sessions_remove(r->table, evictee);
    }
    vsr_header_reply reply = testing_reply_salted(client, r->commit, 0, r->commit);
    answer("put_new", client_sessions_put(r->table, r->commit, &reply));
}

static void ops_step(ops_run *r) {
    uint32_t choice = testing_below(&r->state, 16);
    vsr_u128 client = ops_client(r, testing_below(&r->state, r->clients_count));
    if (choice < 9) {
        /* Mostly one apart; now and then 2^44 or more apart. */
        uint64_t step = choice == 8 ? (UINT64_C(1) << 44) + testing_below(&r->state, 3) : 1;
        ops_put(r, client, step);
    } else if (choice < 11) {
        if (client_sessions_slot_for_client(r->table, client) != VSR_SLOT_NONE) {
            client_sessions_remove(r->table, client);
            answer("removed", 1);
        }
    } else if (choice < 12 && client_sessions_count(r->table) == r->capacity) {
        answer_u128("evictee_full", client_sessions_evictee(r->table));
    } else {
        answer_get(r, client);
    }
    answer("count", client_sessions_count(r->table));
}

static void answer_table(ops_run *r) {
    client_sessions_iterator it;
    client_sessions_entry entry;
    client_sessions_iterator_init(&it, r->table);
    while (client_sessions_iterator_next(&it, &entry)) {
        answer("iterate_slot", entry.slot);
        answer("iterate_session", entry.session);
        answer_u128("iterate_client", entry.header->client);
    }
    uint64_t size = client_sessions_encode_size(r->capacity);
    client_sessions_encode(r->table, r->encoding, size);
    answer_bytes("encoding", r->encoding, (size_t)size);
}

/* Ids: random ones, and families that share the high or the low half of another. */
static void ops_clients(ops_run *r, uint32_t count) {
    r->clients_count = count;
    r->clients = allocate(sizeof(vsr_u128) * count);
    for (uint32_t i = 0; i < count; i++) {
        uint64_t hi = testing_random(&r->state), lo = testing_random(&r->state) | 1;
        if (i > 0 && i % 3 == 1) hi = VSR_U128_HI(r->clients[i - 1]);
        if (i > 0 && i % 3 == 2) lo = VSR_U128_LO(r->clients[i - 1]);
        if (i % 7 == 3) hi = i; /* small ids, one bit apart */
        r->clients[i] = VSR_U128(hi, lo);
    }
}

static void ops_on(uint32_t capacity, uint32_t clients, uint32_t steps, uint64_t seed) {
    ops_run r;
    memset(&r, 0, sizeof(r));
    r.capacity = capacity;
    r.state = seed;
    r.commit = 1 + testing_below(&r.state, 1000);
    if (client_sessions_init(&r.table, capacity, seed) != CLIENT_SESSIONS_INIT_OK) {
        fprintf(stderr, "differential: init(%u) failed\n", capacity);
        exit(4);
    }
    r.encoding = allocate((size_t)client_sessions_encode_size(capacity));
    ops_clients(&r, clients);
    for (uint32_t i = 0; i < steps; i++) {
        ops_step(&r);
        if (i % 97 == 0) answer_table(&r);
    }
    /* One client updated many times, then every client registered in turn (evictions). */
    for (uint32_t i = 0; i < 50; i++) ops_put(&r, r.clients[0], 1);
    for (uint32_t i = 0; i < r.clients_count; i++) ops_put(&r, r.clients[i], 1);
    answer_table(&r);
    client_sessions_reset(r.table);
    answer("count_after_reset", client_sessions_count(r.table));
    answer_table(&r);
    client_sessions_deinit(r.table);
    free(r.encoding);
    free(r.clients);
}

static void section_ops(void) {
    section_begin("ops");
    static const uint32_t sizes[] = {1, 2, 3, 7, 31, 32, 33, 63, 64, 65, 100, 129, 1000, 4096};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint32_t n = sizes[i];
        ops_on(n, n + n / 2 + 1, n < 1000 ? 3000 : 12000, 11 + i);
        ops_on(n, 8 * n, 2000, 101 + i); /* many clients: evictions all along */
    }
    section_end();
}

/* ---- decode ---- */

/* What decode says of trailer[0..size), and on acceptance what the table then answers. */
static void decode_answers(client_sessions *table, const uint8_t *trailer, uint64_t size,
                           uint8_t *again) {
    vsr_error error = client_sessions_decode(table, trailer, size);
    answer_error("decode", error);
    uint32_t n = client_sessions_capacity(table);
    answer("decoded_count", client_sessions_count(table));
    if (error.code != VSR_ERROR_OK) return;
    if (client_sessions_count(table) == n)
        answer_u128("decoded_evictee", client_sessions_evictee(table));
    client_sessions_encode(table, again, client_sessions_encode_size(n));
    answer_bytes("decoded_encoding", again, (size_t)client_sessions_encode_size(n));
    for (uint32_t slot = 0; slot < n; slot += 1 + n / 8) {
        const uint8_t *h = trailer + (size_t)slot * VSR_HEADER_SIZE;
        vsr_u128 client = testing_load_u128(h + edit_fields[EDIT_FIELD_CLIENT].offset);
        answer("decoded_slot_for_client", client_sessions_slot_for_client(table, client));
        answer("decoded_slot_for_header",
               client_sessions_slot_for_header(table, (const vsr_header_reply *)(const void *)h));
    }
}

static uint64_t occupied(const uint8_t *t, uint32_t n, uint32_t slot) {
    return edit_slot_session(t, n, slot);
}

static void set_commit(uint8_t *t, uint32_t slot, uint64_t commit) {
    uint8_t *h = edit_slot_header(t, slot);
    edit_set(h, EDIT_FIELD_COMMIT, commit);
    edit_set(h, EDIT_FIELD_OP, commit);
    edit_reseal_header(h);
}

/* Every occupied slot's commit set to base + f(rank), resealed: f gives the shapes. */
typedef enum commit_shape {
    COMMITS_ONE_APART,
    COMMITS_TWO_VALUES,
    COMMITS_EQUAL,
    COMMITS_FAR
} commit_shape;

static void shape_commits(uint8_t *t, uint32_t n, commit_shape shape, uint64_t base) {
    static const uint64_t far[3] = {(UINT64_C(1) << 44) - 1, UINT64_C(1) << 44,
                                    (UINT64_C(1) << 44) + 1};
    uint32_t rank = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = (uint32_t)((uint64_t)i * 1048583 % n); /* a shuffled slot order */
        if (occupied(t, n, slot) == 0) continue;
        uint64_t commit = base + rank;
        if (shape == COMMITS_TWO_VALUES) commit = base + rank % 2;
        if (shape == COMMITS_EQUAL) commit = base;
        if (shape == COMMITS_FAR && rank == 1) commit = base + far[n % 3];
        set_commit(t, slot, commit);
        rank++;
    }
}

/* The first and, after it, the next or the last occupied slot (VSR_SLOT_NONE if none). */
static void two_slots(const uint8_t *t, uint32_t n, bool far, uint32_t *a, uint32_t *b) {
    *a = *b = VSR_SLOT_NONE;
    for (uint32_t slot = 0; slot < n; slot++) {
        if (occupied(t, n, slot) == 0) continue;
        if (*a == VSR_SLOT_NONE) {
            *a = slot;
        } else if (*b == VSR_SLOT_NONE || far) {
            *b = slot;
        }
    }
}

typedef struct decode_run {
    client_sessions *table;
    uint32_t n;
    uint64_t size;
    uint8_t *valid, *copy, *again;
    uint64_t state;
} decode_run;

/* The shapes made from one valid trailer: each from a fresh copy. */
static void decode_shapes(decode_run *d) {
    uint32_t n = d->n, a, b;
    for (int shape = COMMITS_ONE_APART; shape <= COMMITS_FAR; shape++) {
        memcpy(d->copy, d->valid, d->size);
        shape_commits(d->copy, n, (commit_shape)shape, UINT64_C(1) << 40);
        decode_answers(d->table, d->copy, d->size, d->again);
    }
    for (int far = 0; far < 2; far++) {
        two_slots(d->valid, n, far, &a, &b);
        if (b == VSR_SLOT_NONE) continue;
        const uint32_t client = edit_fields[EDIT_FIELD_CLIENT].offset;
        memcpy(d->copy, d->valid, d->size); /* a duplicate commit */
        set_commit(d->copy, b, edit_get(edit_slot_header(d->copy, a), EDIT_FIELD_COMMIT));
        decode_answers(d->table, d->copy, d->size, d->again);
        memcpy(d->copy, d->valid, d->size); /* a duplicate client */
        memcpy(edit_slot_header(d->copy, b) + client, edit_slot_header(d->copy, a) + client, 16);
        edit_reseal_header(edit_slot_header(d->copy, b));
        decode_answers(d->table, d->copy, d->size, d->again);
        for (int half = 0; half < 2; half++) { /* ids that share a half, distinct */
            memcpy(d->copy, d->valid, d->size);
            uint8_t *hb = edit_slot_header(d->copy, b) + client + (half ? 8 : 0);
            memcpy(hb, edit_slot_header(d->copy, a) + client + (half ? 8 : 0), 8);
            edit_reseal_header(edit_slot_header(d->copy, b));
            decode_answers(d->table, d->copy, d->size, d->again);
        }
    }
    for (int i = 0; i < 24; i++) { /* one byte changed, resealed or not */
        memcpy(d->copy, d->valid, d->size);
        uint32_t at = testing_below(&d->state, (uint32_t)d->size);
        d->copy[at] = (uint8_t)(d->copy[at] + 1 + testing_below(&d->state, 255));
        if (at < (uint64_t)VSR_HEADER_SIZE * n && i % 2 == 0) {
            uint8_t *h = d->copy + at / VSR_HEADER_SIZE * VSR_HEADER_SIZE;
            edit_reseal_header(h);
        }
        decode_answers(d->table, d->copy, d->size, d->again);
    }
    decode_answers(d->table, d->valid, d->size - 1, d->again);
}

static void decode_on(uint32_t n, uint64_t seed) {
    decode_run d;
    memset(&d, 0, sizeof(d));
    d.n = n;
    d.size = client_sessions_encode_size(n);
    d.state = seed;
    d.valid = allocate((size_t)d.size);
    d.copy = allocate((size_t)d.size);
    d.again = allocate((size_t)d.size);
    if (client_sessions_init(&d.table, n, seed) != CLIENT_SESSIONS_INIT_OK) exit(4);
    const uint32_t fills[] = {0, 1, n / 2, n - (n > 1), n};
    for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
        testing_trailer(d.valid, n, fills[f], f % 2 == 1, seed + f);
        decode_answers(d.table, d.valid, d.size, d.again);
        decode_shapes(&d);
    }
    client_sessions_deinit(d.table);
    free(d.valid);
    free(d.copy);
    free(d.again);
}

static void section_decode(void) {
    section_begin("decode");
    for (uint32_t n = 1; n <= 9; n++) decode_on(n, n);
    static const uint32_t sizes[] = {31,  32,  33,  34,  63,  64,   65,   66,   127,  128,
                                     129, 130, 255, 256, 257, 1000, 2047, 2048, 2049, 4096};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) decode_on(sizes[i], 100 + i);
    section_end();
}

/* ---- checksum ---- */

/* Every implementation this CPU has must give the same checksum, plain and streamed: a
 * disagreement stops the program. The answer is the one value, whatever the CPU. */
static vsr_u128 checksum_agreed(const uint8_t *bytes, size_t size, uint64_t *state) {
    vsr_u128 value = vsr_checksum(bytes, size);
    for (int impl = VSR_CHECKSUM_IMPL_AUTO; impl <= VSR_CHECKSUM_IMPL_ARMV8; impl++) {
        if (!vsr_checksum_impl_available((vsr_checksum_impl)impl)) continue;
        vsr_checksum_stream stream;
        vsr_checksum_stream_init_with(&stream, (vsr_checksum_impl)impl);
        for (size_t at = 0; at < size;) {
            size_t piece = 1 + testing_below(state, 97);
            if (piece > size - at) piece = size - at;
            vsr_checksum_stream_add(&stream, bytes + at, piece);
            at += piece;
        }
        vsr_u128 plain = vsr_checksum_with((vsr_checksum_impl)impl, bytes, size);
        vsr_u128 streamed = vsr_checksum_stream_final(&stream);
        if (plain != value || streamed != value) {
            fprintf(stderr, "differential: checksum %s of %zu bytes: %s disagrees\n",
                    plain != value ? "plain" : "streamed", size,
                    vsr_checksum_impl_name((vsr_checksum_impl)impl));
            exit(1);
        }
    }
    return value;
}

static void section_checksum(void) {
    section_begin("checksum");
    enum { SIZE_MAX_TESTED = 65536 + 7 };
    uint8_t *bytes = allocate(SIZE_MAX_TESTED);
    uint64_t state = 5;
    for (size_t i = 0; i < SIZE_MAX_TESTED; i++) bytes[i] = (uint8_t)testing_random(&state);
    static const size_t large[] = {1000, 4095, 4096, 4097, 65536, SIZE_MAX_TESTED};
    for (size_t size = 0; size <= 600; size++) {
        answer_u128("checksum", checksum_agreed(bytes, size, &state));
    }
    for (size_t i = 0; i < sizeof(large) / sizeof(large[0]); i++) {
        answer_u128("checksum", checksum_agreed(bytes + 1, large[i] - 1, &state));
    }
    vsr_header_reply h = testing_reply(VSR_U128(3, 4), 77, 2);
    answer_u128("header_checksum", vsr_header_checksum_compute(&h));
    answer("header_valid", vsr_header_checksum_valid(&h));
    vsr_header_set_checksum_body(&h, bytes, 300);
    answer_u128("body_checksum", h.checksum_body);
    answer("body_valid", vsr_header_checksum_body_valid(&h, bytes, 300));
    answer("body_valid_other", vsr_header_checksum_body_valid(&h, bytes + 1, 300));
    vsr_header_set_checksum(&h);
    answer_u128("header_checksum_set", h.checksum);
    free(bytes);
    section_end();
}

/* ---- headers and text ---- */

static void header_variants(const uint8_t *valid, bool block) {
    static const uint8_t values[] = {0, 1, 2, 7, 8, 20, 0x40, 0x80, 0xff};
    for (uint32_t at = 0; at < VSR_HEADER_SIZE; at++) {
        for (size_t v = 0; v < 2 * sizeof(values); v++) {
            union {
                vsr_header_reply reply;
                vsr_header_block block;
                uint8_t bytes[VSR_HEADER_SIZE];
            } h;
            memcpy(h.bytes, valid, VSR_HEADER_SIZE);
            h.bytes[at] = values[v % sizeof(values)];
            if (v >= sizeof(values) && at >= 16) edit_reseal_header(h.bytes);
            answer(block ? "block_validate" : "reply_validate",
                   block ? vsr_header_block_validate(&h.block)
                         : vsr_header_reply_validate(&h.reply));
        }
    }
}

static void section_headers(void) {
    section_begin("headers");
    vsr_header_reply replies[3] = {testing_reply(VSR_U128(1, 2), 5, 0),
                                   testing_reply(VSR_U128(9, 8), 6, 3),
                                   testing_reply_salted(VSR_U128(7, 7), 1, 1, 12345)};
    for (int i = 0; i < 3; i++) header_variants((const uint8_t *)&replies[i], false);
    uint8_t body[1000], blocks[2 * 1024]; /* two blocks: the second points back */
    memset(body, 0x5a, sizeof(body));
    memset(blocks, 0, sizeof(blocks));
    uint64_t addresses[2] = {9, 3};
    vsr_trailer_reference reference;
    vsr_trailer_write(body, sizeof(body), 1024, VSR_U128(1, 1), 3, addresses, blocks, &reference);
    header_variants(blocks, true);
    header_variants(blocks + 1024, true);
    char text[160], number[33];
    for (int code = 0; code <= VSR_ERROR_COUNT + 1; code++) {
        vsr_error_code c = (vsr_error_code)code;
        answer_bytes("error_name", vsr_error_name(c), strlen(vsr_error_name(c)));
        answer_bytes("error_reason", vsr_error_reason(c), strlen(vsr_error_reason(c)));
        vsr_error_code parsed = VSR_ERROR_COUNT;
        answer("error_parse", vsr_error_code_parse(vsr_error_name(c), &parsed));
        answer("error_parsed", parsed);
        for (int where = 0; where < 3; where++) {
            vsr_error e = {c, where == 1 ? 17 : VSR_SLOT_NONE, where == 2 ? 99 : 0};
            vsr_error_format(e, text, sizeof(text));
            answer_bytes("error_format", text, strlen(text));
            vsr_error_format(e, text, 12); /* cut short */
            answer_bytes("error_format_short", text, strlen(text));
        }
    }
    static const char *const names[] = {
        "", "ok", "duplicate_commi", "duplicate_commitx", "OK", "block_chain", NULL};
    for (int i = 0; i < 7; i++) {
        vsr_error_code parsed = VSR_ERROR_COUNT;
        answer("name_parse", vsr_error_code_parse(names[i], &parsed));
        answer("name_parsed", parsed);
    }
    static const char *const ids[] = {"0",
                                      "1",
                                      "0x1",
                                      "0X1f",
                                      "ffffffffffffffffffffffffffffffff",
                                      "1ffffffffffffffffffffffffffffffff",
                                      "",
                                      "0x",
                                      "g",
                                      "-1",
                                      "00000000000000000000000000000001",
                                      NULL,
                                      " 1",
                                      "1 "};
    for (int i = 0; i < 14; i++) {
        vsr_u128 value = 0;
        answer("u128_parse", vsr_u128_parse(ids[i], &value));
        answer_u128("u128_parsed", value);
    }
    uint64_t state = 9;
    for (int i = 0; i < 200; i++) {
        uint64_t hi = testing_random(&state) >> (i % 64);
        uint64_t lo = testing_random(&state) >> (i % 7);
        vsr_u128 x = VSR_U128(hi, lo);
        vsr_u128_format(x, number);
        answer_bytes("u128_format", number, strlen(number));
    }
    for (int s = 0; s < 4; s++) {
        answer_bytes("init_status_text",
                     client_sessions_init_status_text((client_sessions_init_status)s),
                     strlen(client_sessions_init_status_text((client_sessions_init_status)s)));
    }
    section_end();
}

/* ---- trailer blocks ---- */

static uint32_t below(void *state, uint32_t bound) { return testing_below(state, bound); }

static void blocks_on(uint32_t clients_max, uint32_t block_size, uint64_t seed) {
    uint64_t size = client_sessions_encode_size(clients_max);
    uint64_t count = vsr_trailer_block_count(size, block_size);
    answer("block_count", count);
    uint8_t *trailer = allocate((size_t)size), *out = allocate((size_t)size);
    uint8_t *blocks = allocate((size_t)(count * block_size));
    uint64_t *addresses = allocate(sizeof(uint64_t) * count);
    uint64_t state = seed;
    testing_trailer(trailer, clients_max, clients_max / 2 + 1, true, seed);
    uint64_t base = 1 + testing_below(&state, 100);
    for (uint64_t i = 0; i < count; i++) addresses[i] = base + i;
    const edit_random random = {below, &state};
    for (int edit = 0; edit < EDIT_BLOCK_COUNT; edit++) {
        uint64_t written = edit_block_prefix_size(size, block_size, (edit_block_edit)edit);
        if (written == 0) continue;
        uint32_t blocks_written = (uint32_t)vsr_trailer_block_count(written, block_size);
        vsr_trailer_reference reference;
        vsr_trailer_write(trailer, written, block_size, VSR_U128(seed, 2), 1 + (uint32_t)(seed % 5),
                          addresses, blocks, &reference);
        answer_bytes("blocks", blocks, (size_t)blocks_written * block_size);
        answer_u128("reference_checksum", reference.checksum);
        answer_u128("reference_last", reference.last_block_checksum);
        edit_image image = {blocks, block_size, blocks_written, base, 0, 0, 0, 0};
        uint32_t i = testing_below(&state, blocks_written), read_size = block_size;
        if (!edit_block_apply(&random, &image, blocks, (edit_block_edit)edit, i, &reference,
                              &read_size)) {
            continue;
        }
        vsr_error error =
            vsr_trailer_read(&reference, read_size, edit_image_lookup, &image, out, size);
        answer_error("read", error);
        if (error.code == VSR_ERROR_OK) answer_bytes("read_bytes", out, (size_t)reference.size);
    }
    free(trailer);
    free(out);
    free(blocks);
    free(addresses);
}

static void section_blocks(void) {
    section_begin("blocks");
    static const uint32_t clients[] = {1, 2, 3, 7, 16, 64, 300};
    for (uint32_t block_size = VSR_BLOCK_SIZE_MIN; block_size <= 65536; block_size *= 2) {
        for (size_t c = 0; c < sizeof(clients) / sizeof(clients[0]); c++) {
            for (uint64_t seed = 1; seed <= 4; seed++)
                blocks_on(clients[c], block_size, seed * 31 + c);
        }
    }
    answer("block_size_valid_odd", vsr_block_size_valid(1000));
    answer("block_size_valid_big", vsr_block_size_valid(2 * VSR_BLOCK_SIZE_MAX));
    section_end();
}

/* --paths: the checksum implementations and header batch paths this CPU runs. */
static int print_paths(void) {
    for (int impl = VSR_CHECKSUM_IMPL_PORTABLE; impl <= VSR_CHECKSUM_IMPL_ARMV8; impl++) {
        vsr_checksum_impl i = (vsr_checksum_impl)impl;
        printf("impl %s %s\n", vsr_checksum_impl_name(i),
               vsr_checksum_impl_selected() == i ? "selected"
               : vsr_checksum_impl_available(i)  ? "available"
                                                 : "unavailable");
    }
    for (int path = 0; path < CS_CHECKSUM_HEADERS_PATH_COUNT; path++) {
        cs_headers_path p = (cs_headers_path)path;
        printf("headers %s %s\n", cs_checksum_headers_path_name(p),
               cs_checksum_headers_path_available(p) ? "available" : "unavailable");
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 4;
}

static void usage(FILE *out, const char *program) {
    fprintf(out,
            "usage: %s [--verbose] [--check FILE] | --paths\n\n"
            "Prints a digest of everything the public API of client-sessions answers over a\n"
            "fixed workload (core/mutants/differential.c): one line per section, then the\n"
            "whole digest. The answers do not depend on the CPU: every checksum\n"
            "implementation it has must agree, or the program stops (exit 1).\n\n"
            "  --verbose     every answer, one a line, instead of the digests\n"
            "  --check FILE  compare the lines with FILE's (exit 1 when they differ)\n"
            "  --paths       which checksum implementations and header paths this CPU runs\n",
            program);
}

/* The lines of out_text against FILE's: the sections that differ are named. */
static int check_against(const char *path, const char *text) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 2;
    }
    char expected[4096];
    size_t n = fread(expected, 1, sizeof(expected) - 1, f);
    bool too_long = !feof(f);
    fclose(f);
    expected[n] = '\0';
    if (too_long) {
        fprintf(stderr, "differential: %s is longer than any expected output\n", path);
        return 2;
    }
    if (strcmp(expected, text) == 0) {
        printf("differential: the answers are those of %s\n", path);
        return 0;
    }
    printf("differential: the answers differ from %s\nexpected:\n%sgot:\n%s", path, expected, text);
    return 1;
}

int main(int argc, char **argv) {
    const char *check = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--verbose") == 0) {
            verbose = true;
        } else if (strcmp(argv[i], "--check") == 0 && i + 1 < argc) {
            check = argv[++i];
        } else if (strcmp(argv[i], "--paths") == 0 && argc == 2) {
            return print_paths();
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, argv[0]);
            return 0;
        } else {
            fprintf(stderr, "%s: bad argument '%s'\n", argv[0], argv[i]);
            usage(stderr, argv[0]);
            return 2;
        }
    }
    char *text = NULL;
    size_t text_size = 0;
    output = check != NULL ? open_memstream(&text, &text_size) : stdout;
    if (output == NULL) return 4;
    total_digest = UINT64_C(0xcbf29ce484222325);
    section_memory();
    section_ops();
    section_decode();
    section_checksum();
    section_headers();
    section_blocks();
    fprintf(output, "digest %016" PRIx64 "\n", total_digest);
    if (check == NULL) return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 4;
    fclose(output);
    int status = check_against(check, text);
    free(text);
    return status;
}
