/* Encode/decode: round trips, and one test per decode rule with checksums recomputed. */
#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"
#include "testing/check.h"
#include "testing/model.h"
#include "testing/random.h"
#include "testing/reply.h"

enum { CAPACITY = 7, SLOT = 3 };

static client_sessions *table_new(uint32_t clients_max, uint64_t hash_seed) {
    client_sessions *table = NULL;
    if (client_sessions_init(&table, clients_max, hash_seed) != CLIENT_SESSIONS_INIT_OK) exit(1);
    return table;
}

/* Fills the table with register and request replies, then removes every third client. */
static void table_fill(client_sessions *table, uint32_t clients, uint64_t seed) {
    uint64_t random = seed;
    vsr_u128 *ids = calloc(clients, sizeof(vsr_u128));
    for (uint32_t i = 0; i < clients; i++) {
        ids[i] = VSR_U128(testing_random(&random), i + 1);
        uint64_t session = 10 * (uint64_t)i + 1;
        vsr_header_reply reply = testing_reply(ids[i], session, 0);
        client_sessions_put(table, session, &reply);
        if (i % 2 == 1) {
            vsr_header_reply update = testing_reply(ids[i], session + 5, 3);
            client_sessions_put(table, session, &update);
        }
    }
    for (uint32_t i = 0; clients > 2 && i < clients; i += 3) client_sessions_remove(table, ids[i]);
    free(ids);
}

static void test_round_trip(uint32_t clients_max) {
    client_sessions *a = table_new(clients_max, 1);
    client_sessions *b = table_new(clients_max, 2);
    table_fill(a, clients_max, clients_max);
    uint64_t size = client_sessions_encode_size(clients_max);
    CHECK_EQ_U64(size, 264 * (uint64_t)clients_max);
    uint8_t *first = malloc(size), *second = malloc(size);
    client_sessions_encode(a, first, size);
    vsr_error error = client_sessions_decode(b, first, size);
    CHECK_EQ_U64(error.code, VSR_ERROR_OK);
    CHECK_EQ_U64(client_sessions_count(b), client_sessions_count(a));
    client_sessions_encode(b, second, size);
    CHECK(memcmp(first, second, size) == 0);
    if (client_sessions_count(a) == clients_max) {
        CHECK(client_sessions_evictee(a) == client_sessions_evictee(b));
    }
    client_sessions_iterator it;
    client_sessions_entry entry;
    client_sessions_iterator_init(&it, a);
    while (client_sessions_iterator_next(&it, &entry)) {
        CHECK_EQ_U64(client_sessions_slot_for_client(b, entry.header->client), entry.slot);
    }
    /* Decoding replaces a table's content; the decoded table keeps working. */
    CHECK_EQ_U64(client_sessions_decode(a, first, size).code, VSR_ERROR_OK);
    if (client_sessions_count(b) == clients_max) {
        vsr_u128 evictee = client_sessions_evictee(b);
        client_sessions_remove(b, evictee);
        CHECK_EQ_U64(client_sessions_slot_for_client(b, evictee), VSR_SLOT_NONE);
    }
    free(first);
    free(second);
    client_sessions_deinit(a);
    client_sessions_deinit(b);
}

typedef struct slot_bytes {
    vsr_header_reply header;
    uint64_t session;
} slot_bytes;

typedef struct rule_case {
    const char *name;
    vsr_error_code expected;
    bool keep_checksum; /* the case breaks the checksum itself */
    void (*breaks)(slot_bytes *slot, const slot_bytes *other);
} rule_case;

static void break_checksum(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.timestamp++;
}
static void break_command(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.command = 9;
}
static void break_checksum_padding(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.checksum_padding = 1;
}
static void break_checksum_body_padding(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.checksum_body_padding = VSR_U128(1, 0);
}
static void break_nonce(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.nonce_reserved = 5;
}
static void break_size_min(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.size = 255;
}
static void break_size_max(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.size = VSR_MESSAGE_SIZE_MAX + 1;
}
static void break_epoch(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.epoch = 1;
}
static void break_release(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.release = 0;
}
static void break_protocol(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.protocol = 1;
}
static void break_reserved_frame(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.reserved_frame[11] = 1;
}
static void break_request_checksum_padding(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.request_checksum_padding = 1;
}
static void break_context_padding(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.context_padding = 1;
}
static void break_client(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.client = 0;
}
static void break_op(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.op++;
}
static void break_commit(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.op = 0;
    s->header.commit = 0;
}
static void break_timestamp(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.timestamp = 0;
}
static void break_register_size(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.operation = VSR_OPERATION_REGISTER;
    s->header.request = 0;
    s->header.size = VSR_HEADER_SIZE;
}
static void break_register_request(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.operation = VSR_OPERATION_REGISTER;
    s->header.size = VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE;
    s->header.request = 4;
}
static void break_request(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.operation = 128;
    s->header.request = 0;
}
static void break_reserved(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->header.reserved[18] = 1;
}
static void break_session(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->session = s->header.commit + 1;
}
static void break_duplicate_client(slot_bytes *s, const slot_bytes *o) {
    s->header.client = o->header.client;
}
static void break_duplicate_commit(slot_bytes *s, const slot_bytes *o) {
    s->header.commit = o->header.commit;
    s->header.op = o->header.commit;
    s->session = o->header.commit < s->session ? o->header.commit : s->session;
}
static void break_free_slot(slot_bytes *s, const slot_bytes *o) {
    (void)o;
    s->session = 0;
}

static const rule_case rule_cases[] = {
    {"checksum", VSR_ERROR_HEADER_CHECKSUM, true, break_checksum},
    {"command", VSR_ERROR_HEADER_COMMAND, false, break_command},
    {"checksum_padding", VSR_ERROR_HEADER_CHECKSUM_PADDING, false, break_checksum_padding},
    {"checksum_body_padding", VSR_ERROR_HEADER_CHECKSUM_BODY_PADDING, false,
     break_checksum_body_padding},
    {"nonce_reserved", VSR_ERROR_HEADER_NONCE_RESERVED, false, break_nonce},
    {"size_min", VSR_ERROR_HEADER_SIZE_MIN, false, break_size_min},
    {"size_max", VSR_ERROR_HEADER_SIZE_MAX, false, break_size_max},
    {"epoch", VSR_ERROR_HEADER_EPOCH, false, break_epoch},
    {"release", VSR_ERROR_HEADER_RELEASE, false, break_release},
    {"protocol", VSR_ERROR_HEADER_PROTOCOL, false, break_protocol},
    {"reserved_frame", VSR_ERROR_HEADER_RESERVED_FRAME, false, break_reserved_frame},
    {"request_checksum_padding", VSR_ERROR_REPLY_REQUEST_CHECKSUM_PADDING, false,
     break_request_checksum_padding},
    {"context_padding", VSR_ERROR_REPLY_CONTEXT_PADDING, false, break_context_padding},
    {"client", VSR_ERROR_REPLY_CLIENT, false, break_client},
    {"op", VSR_ERROR_REPLY_OP, false, break_op},
    {"commit", VSR_ERROR_REPLY_COMMIT, false, break_commit},
    {"timestamp", VSR_ERROR_REPLY_TIMESTAMP, false, break_timestamp},
    {"register_size", VSR_ERROR_REPLY_REGISTER_SIZE, false, break_register_size},
    {"register_request", VSR_ERROR_REPLY_REGISTER_REQUEST, false, break_register_request},
    {"request", VSR_ERROR_REPLY_REQUEST, false, break_request},
    {"reserved", VSR_ERROR_REPLY_RESERVED, false, break_reserved},
    {"session_after_commit", VSR_ERROR_SESSION_AFTER_COMMIT, false, break_session},
    {"duplicate_client", VSR_ERROR_DUPLICATE_CLIENT, false, break_duplicate_client},
    {"duplicate_commit", VSR_ERROR_DUPLICATE_COMMIT, false, break_duplicate_commit},
    {"free_slot_not_zero", VSR_ERROR_FREE_SLOT_NOT_ZERO, false, break_free_slot},
};

static void slot_load(const uint8_t *bytes, uint32_t slot, slot_bytes *out) {
    memcpy(&out->header, bytes + 256 * slot, 256);
    memcpy(&out->session, bytes + 256 * CAPACITY + 8 * slot, 8);
}

static void slot_store(uint8_t *bytes, uint32_t slot, const slot_bytes *in) {
    memcpy(bytes + 256 * slot, &in->header, 256);
    memcpy(bytes + 256 * CAPACITY + 8 * slot, &in->session, 8);
}

/* A full table of CAPACITY clients: register replies and request replies. */
static void valid_encoding(uint8_t *bytes) {
    client_sessions *table = table_new(CAPACITY, 5);
    for (uint32_t i = 0; i < CAPACITY; i++) {
        uint64_t session = 100 + 10 * (uint64_t)i;
        vsr_header_reply reply = testing_reply(500 + i, session, 0);
        client_sessions_put(table, session, &reply);
        if (i != SLOT) {
            vsr_header_reply update = testing_reply(500 + i, session + 3, 2);
            client_sessions_put(table, session, &update);
        }
    }
    client_sessions_encode(table, bytes, 264 * CAPACITY);
    client_sessions_deinit(table);
}

static void expect_empty(client_sessions *table) {
    uint8_t bytes[264 * CAPACITY], zero[264 * CAPACITY] = {0};
    CHECK_EQ_U64(client_sessions_count(table), 0);
    client_sessions_encode(table, bytes, sizeof(bytes));
    CHECK(memcmp(bytes, zero, sizeof(bytes)) == 0);
    /* Usable as after reset: a put takes slot 0. */
    vsr_header_reply reply = testing_reply(77, 1000, 0);
    CHECK_EQ_U64(client_sessions_put(table, 1000, &reply), 0);
    client_sessions_reset(table);
}

static void test_rules(void) {
    uint8_t valid[264 * CAPACITY], broken[264 * CAPACITY];
    valid_encoding(valid);
    client_sessions *table = table_new(CAPACITY, 6);
    CHECK_EQ_U64(client_sessions_decode(table, valid, sizeof(valid)).code, VSR_ERROR_OK);
    CHECK_EQ_U64(client_sessions_count(table), CAPACITY);
    bool seen[VSR_ERROR_COUNT] = {false};
    for (size_t i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
        const rule_case *rule = &rule_cases[i];
        memcpy(broken, valid, sizeof(broken));
        slot_bytes slot, other;
        slot_load(broken, SLOT, &slot);
        slot_load(broken, 1, &other);
        rule->breaks(&slot, &other);
        if (!rule->keep_checksum && slot.session != 0) vsr_header_set_checksum(&slot.header);
        slot_store(broken, SLOT, &slot);
        /* Decode over a full table: the failure must leave it empty. */
        CHECK_EQ_U64(client_sessions_decode(table, valid, sizeof(valid)).code, VSR_ERROR_OK);
        vsr_error error = client_sessions_decode(table, broken, sizeof(broken));
        if (error.code != rule->expected || error.slot != SLOT) {
            fprintf(stderr, "rule %s: got %s at slot %u\n", rule->name, vsr_error_name(error.code),
                    error.slot);
        }
        CHECK_EQ_U64(error.code, rule->expected);
        CHECK_EQ_U64(error.slot, SLOT);
        seen[rule->expected] = true;
        expect_empty(table);
    }
    /* A free slot with a single stray byte in its header. */
    slot_bytes slot;
    memcpy(broken, valid, sizeof(broken));
    memset(&slot, 0, sizeof(slot));
    slot.header.reserved[3] = 1;
    slot_store(broken, SLOT, &slot);
    vsr_error error = client_sessions_decode(table, broken, sizeof(broken));
    CHECK_EQ_U64(error.code, VSR_ERROR_FREE_SLOT_NOT_ZERO);
    CHECK_EQ_U64(error.slot, SLOT);
    expect_empty(table);
    /* Every trailer-level rule of docs/FORMAT.md section 3 has a case. */
    for (int code = VSR_ERROR_HEADER_CHECKSUM; code <= VSR_ERROR_REPLY_RESERVED; code++) {
        CHECK(seen[code]);
    }
    CHECK(seen[VSR_ERROR_SESSION_AFTER_COMMIT] && seen[VSR_ERROR_DUPLICATE_CLIENT] &&
          seen[VSR_ERROR_DUPLICATE_COMMIT] && seen[VSR_ERROR_FREE_SLOT_NOT_ZERO]);
    client_sessions_deinit(table);
}

static void test_sizes(void) {
    uint8_t valid[264 * CAPACITY];
    valid_encoding(valid);
    client_sessions *table = table_new(CAPACITY, 6);
    uint64_t sizes[] = {0, 1, 264 * CAPACITY - 1, 264 * CAPACITY + 1, 264 * (CAPACITY - 1)};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        CHECK_EQ_U64(client_sessions_decode(table, valid, sizeof(valid)).code, VSR_ERROR_OK);
        vsr_error error = client_sessions_decode(table, valid, sizes[i]);
        CHECK_EQ_U64(error.code, VSR_ERROR_TRAILER_SIZE);
        expect_empty(table);
    }
    /* An encoding of another capacity is an error, not a crash. */
    client_sessions *small = table_new(CAPACITY - 1, 6);
    CHECK_EQ_U64(client_sessions_decode(small, valid, sizeof(valid)).code, VSR_ERROR_TRAILER_SIZE);
    client_sessions_deinit(small);
    client_sessions_deinit(table);
}

/*
 * What decode must answer, written as plainly as possible: slot by slot in slot order, each
 * header through vsr_header_reply_validate (checksum first), then session <= commit, then a
 * client or a commit already seen in an earlier slot.
 */
static vsr_error reference_decode(const uint8_t *bytes, uint32_t clients_max) {
    vsr_error error = {.code = VSR_ERROR_OK, .slot = VSR_SLOT_NONE, .block_address = 0};
    if (clients_max == 0) abort();
    vsr_header_reply *seen = calloc(clients_max, sizeof(vsr_header_reply));
    uint32_t seen_count = 0;
    for (uint32_t slot = 0; slot < clients_max && error.code == VSR_ERROR_OK; slot++) {
        vsr_header_reply header;
        uint64_t session;
        memcpy(&header, bytes + 256 * (uint64_t)slot, 256);
        memcpy(&session, bytes + 256 * (uint64_t)clients_max + 8 * (uint64_t)slot, 8);
        vsr_error_code code = VSR_ERROR_OK;
        if (session == 0) {
            static const vsr_header_reply zero;
            if (memcmp(&header, &zero, sizeof(header)) != 0) code = VSR_ERROR_FREE_SLOT_NOT_ZERO;
        } else {
            code = vsr_header_reply_validate(&header);
            if (code == VSR_ERROR_OK && session > header.commit) {
                code = VSR_ERROR_SESSION_AFTER_COMMIT;
            }
            for (uint32_t i = 0; code == VSR_ERROR_OK && i < seen_count; i++) {
                if (seen[i].client == header.client) code = VSR_ERROR_DUPLICATE_CLIENT;
            }
            for (uint32_t i = 0; code == VSR_ERROR_OK && i < seen_count; i++) {
                if (seen[i].commit == header.commit) code = VSR_ERROR_DUPLICATE_COMMIT;
            }
            if (code == VSR_ERROR_OK) seen[seen_count++] = header;
        }
        if (code != VSR_ERROR_OK) {
            error.code = code;
            error.slot = slot;
        }
    }
    free(seen);
    return error;
}

/*
 * Decode against reference_decode on random corruptions of a valid encoding: one byte
 * changed, or several in different slots, and the changed headers sometimes resealed so
 * that the rules after the checksum get their turn too. Decode computes header checksums
 * ahead in batches, and finds duplicate commits by sorting them; the error code and slot
 * must be exactly the reference's, and a failed decode must leave the table empty. In a
 * full table the commits are spaced by 2^commit_shift (past 2^44 they no longer pack beside
 * a slot in one sort key, and decode sorts records instead).
 */
static void test_corruptions(uint32_t clients_max, bool full, uint32_t trials, uint64_t seed,
                             unsigned commit_shift) {
    client_sessions *source = table_new(clients_max, seed);
    client_sessions *table = table_new(clients_max, seed + 1);
    if (full) {
        /* Registers in slot order, and updates (even slots) in reverse slot order, so that
         * the commits in slot order are not sorted. */
        for (uint32_t i = 0; i < clients_max; i++) {
            uint64_t session = (100 + 10 * (uint64_t)i) << commit_shift;
            vsr_header_reply reply = testing_reply(VSR_U128(i % 3, 900 + i), session, 0);
            client_sessions_put(source, session, &reply);
        }
        uint64_t last = (100 + 10 * (uint64_t)clients_max) << commit_shift;
        for (uint32_t i = clients_max; i-- > 0;) {
            if (i % 2 != 0) continue;
            uint64_t session = (100 + 10 * (uint64_t)i) << commit_shift;
            last += (uint64_t)1 << commit_shift;
            vsr_header_reply update = testing_reply(VSR_U128(i % 3, 900 + i), last, 1);
            client_sessions_put(source, session, &update);
        }
    } else {
        table_fill(source, clients_max, seed);
    }
    uint64_t size = client_sessions_encode_size(clients_max);
    uint8_t *valid = malloc(size), *broken = malloc(size);
    client_sessions_encode(source, valid, size);
    CHECK_EQ_U64(reference_decode(valid, clients_max).code, VSR_ERROR_OK);
    uint64_t random = seed;
    uint32_t mismatches = 0, not_empty = 0, counts_seen[VSR_ERROR_COUNT] = {0};
    for (uint32_t trial = 0; trial < trials; trial++) {
        memcpy(broken, valid, size);
        /* Half the trials change one byte; the others up to four. */
        uint32_t changes = trial % 2 == 0 ? 1 : 1 + (uint32_t)(testing_random(&random) % 4);
        for (uint32_t c = 0; c < changes; c++) {
            if (testing_random(&random) % 8 == 0) {
                /* Another slot's client, or its op and commit, resealed: a duplicate. */
                uint64_t from = testing_random(&random) % clients_max;
                uint64_t to = testing_random(&random) % clients_max;
                uint64_t field = testing_random(&random) % 2 == 0 ? 192 : 208;
                memcpy(broken + 256 * to + field, broken + 256 * from + field, 16);
                vsr_header_set_checksum(broken + 256 * to);
                continue;
            }
            uint64_t at = testing_random(&random) % size;
            broken[at] ^= (uint8_t)(1 + testing_random(&random) % 255);
            /* A third of the time the header is resealed, unless the change was to the
             * checksum itself, which resealing would undo. */
            if (at < 256 * (uint64_t)clients_max && testing_random(&random) % 3 == 0) {
                uint8_t *header = broken + at / 256 * 256;
                if (at % 256 >= 16) vsr_header_set_checksum(header);
            }
        }
        vsr_error expected = reference_decode(broken, clients_max);
        /* Decode over a full table, so that a failure has something to clear. */
        CHECK_EQ_U64(client_sessions_decode(table, valid, size).code, VSR_ERROR_OK);
        vsr_error error = client_sessions_decode(table, broken, size);
        if (error.code != expected.code || error.slot != expected.slot) {
            if (mismatches++ < 5) {
                fprintf(stderr, "clients_max %u trial %u: decode %s at %u, reference %s at %u\n",
                        clients_max, trial, vsr_error_name(error.code), error.slot,
                        vsr_error_name(expected.code), expected.slot);
            }
        }
        if (error.code != VSR_ERROR_OK && client_sessions_count(table) != 0) not_empty++;
        counts_seen[expected.code]++;
    }
    CHECK_EQ_U64(mismatches, 0);
    CHECK_EQ_U64(not_empty, 0);
    /* The corruptions reach more than the checksum: the test would be weak otherwise. */
    CHECK(counts_seen[VSR_ERROR_HEADER_CHECKSUM] > 0);
    CHECK(counts_seen[VSR_ERROR_OK] + counts_seen[VSR_ERROR_HEADER_CHECKSUM] < trials);
    CHECK(counts_seen[VSR_ERROR_DUPLICATE_CLIENT] > 0 &&
          counts_seen[VSR_ERROR_DUPLICATE_COMMIT] > 0);
    if (!full) CHECK(counts_seen[VSR_ERROR_FREE_SLOT_NOT_ZERO] > 0);
    free(valid);
    free(broken);
    client_sessions_deinit(source);
    client_sessions_deinit(table);
}

/*
 * Encode writes occupied slots as they are and free slots as zeros, run by run: every
 * arrangement of free and occupied slots at 7 clients (each of the 128 subsets removed from a
 * full table, so that the free slots hold the removed clients' stale bytes), and random ones
 * at 130 (across several runs and a partial last one), against the reference model's
 * encoding; the output buffer starts as garbage.
 */
static void test_encode_runs(uint32_t clients_max, uint32_t patterns, uint64_t seed) {
    uint64_t random = seed;
    uint64_t size = client_sessions_encode_size(clients_max);
    uint8_t *bytes = malloc(size), *expect = malloc(size);
    vsr_u128 *ids = malloc(clients_max * sizeof(vsr_u128));
    uint32_t mismatches = 0;
    for (uint32_t pattern = 0; pattern < patterns; pattern++) {
        client_sessions *table = table_new(clients_max, pattern);
        model oracle;
        CHECK(model_init(&oracle, clients_max));
        uint64_t commit = 0;
        for (uint32_t i = 0; i < clients_max; i++) {
            ids[i] = VSR_U128(pattern + 1, i + 1);
            vsr_header_reply reply = testing_reply(ids[i], ++commit, 0);
            client_sessions_put(table, commit, &reply);
            model_put(&oracle, commit, &reply);
        }
        for (uint32_t i = 0; i < clients_max; i++) {
            /* Below 32 slots, pattern's bits say which go; above, a coin does. */
            bool remove =
                clients_max < 32 ? ((pattern >> i) & 1) != 0 : testing_random(&random) % 3 == 0;
            if (!remove) continue;
            client_sessions_remove(table, ids[i]);
            model_remove(&oracle, ids[i]);
        }
        memset(bytes, 0x5a, size);
        client_sessions_encode(table, bytes, size);
        model_encode(&oracle, expect, size);
        mismatches += memcmp(bytes, expect, size) != 0;
        model_deinit(&oracle);
        client_sessions_deinit(table);
    }
    CHECK_EQ_U64(mismatches, 0);
    free(bytes);
    free(expect);
    free(ids);
}

int main(void) {
    uint32_t capacities[] = {1, 2, 7, 64, 1000};
    for (size_t i = 0; i < sizeof(capacities) / sizeof(capacities[0]); i++) {
        test_round_trip(capacities[i]);
    }
    test_encode_runs(7, 128, 7);
    test_encode_runs(130, 200, 130);
    test_rules();
    test_sizes();
    test_corruptions(7, true, 10000, 71, 0);
    test_corruptions(7, false, 10000, 72, 0);
    test_corruptions(64, true, 10000, 641, 0);
    test_corruptions(64, false, 10000, 642, 0);
    /* Decode works in groups of slots: failures across group boundaries too. */
    test_corruptions(130, false, 3000, 1301, 0);
    test_corruptions(200, true, 3000, 2001, 0);
    /* Commits spread over several radix digits, and past 2^44 (the record sort). */
    test_corruptions(64, true, 3000, 643, 30);
    test_corruptions(64, true, 3000, 644, 50);
    test_corruptions(7, true, 3000, 73, 52);
    return testing_done("codec");
}
