/* Checks of decisions, written trailers and restored tables: see check.h. */
#include "check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_assert.h"
#include "testing/bytes.h"
#include "testing/oracle.h"
#include "vsr_checksum_impl.h"

bool sim_check_decision(const sim_op *op, uint64_t number, int replica, const apply_decision *d,
                        sim_failure *failure) {
    const char *field = apply_decision_diff(&op->expected, d);
    if (field == NULL) return true;
    char what[96], expected[256], actual[256], signature[64];
    sim_op_text(op, what, sizeof(what));
    apply_decision_text(&op->expected, expected, sizeof(expected));
    apply_decision_text(d, actual, sizeof(actual));
    snprintf(signature, sizeof(signature), "decision.%s", field);
    bool peer = op->first_replica != SIM_REPLICA_NONE && op->first_replica != replica;
    char first[64] = "the model";
    if (peer) snprintf(first, sizeof(first), "replica %u and the model", op->first_replica);
    return sim_fail(failure, signature, number, replica,
                    "op %" PRIu64 " (%s): %s differs\n  replica %d: %s\n  %s: %s", number, what,
                    field, replica, actual, first, expected);
}

/* The model's encoding after ops 1..op, replayed from the log (for messages: slow, only on
 * a failure). */
static bool model_encoding_at(const sim_log *log, uint32_t clients_max, uint64_t op, uint8_t *out) {
    model replay;
    if (!model_init(&replay, clients_max)) return false;
    apply_decision ignored;
    for (uint64_t number = 1; number <= op; number++) {
        apply_model(&replay, &log->ops[number].reply, &ignored);
    }
    model_encode(&replay, out, client_sessions_encode_size(clients_max));
    model_deinit(&replay);
    return true;
}

bool sim_check_trailer_checksum(const sim_log *log, uint32_t clients_max, uint64_t index,
                                uint64_t op, int replica, vsr_u128 checksum, const uint8_t *trailer,
                                sim_failure *failure) {
    SIM_ASSERT(index < log->checkpoint_count);
    if (checksum == log->checkpoint_checksums[index]) return true;
    uint8_t *expected = malloc((size_t)client_sessions_encode_size(clients_max));
    SIM_ASSERT(expected != NULL);
    char where[256] = "no byte differs";
    if (model_encoding_at(log, clients_max, op, expected)) {
        sim_trailer_diff(expected, trailer, clients_max, where, sizeof(where));
    }
    free(expected);
    return sim_fail(failure, "checkpoint.trailer", op, replica,
                    "checkpoint %" PRIu64 " (op %" PRIu64
                    "): replica %d's trailer differs from the model's: %s",
                    index, op, replica, where);
}

static const char *reference_diff(const vsr_trailer_reference *a, const vsr_trailer_reference *b) {
    if (a->size != b->size) return "size";
    if (a->checksum != b->checksum) return "checksum";
    if (a->last_block_address != b->last_block_address) return "last_block_address";
    if (a->last_block_checksum != b->last_block_checksum) return "last_block_checksum";
    return NULL;
}

bool sim_check_same_reference(const vsr_trailer_reference *first, uint8_t first_replica,
                              const vsr_trailer_reference *reference, uint64_t index, uint64_t op,
                              int replica, sim_failure *failure) {
    const char *field = reference_diff(first, reference);
    if (field == NULL) return true;
    return sim_fail(failure, "checkpoint.blocks", op, replica,
                    "checkpoint %" PRIu64 " (op %" PRIu64
                    "): replicas %u and %d wrote different trailer blocks: reference %s differs",
                    index, op, first_replica, replica, field);
}

/* The field of block i of w that is wrong as written, or NULL. */
static const char *block_header_wrong(const sim_written *w, uint32_t i, const vsr_header_block *h,
                                      vsr_u128 previous, uint64_t bodies) {
    bool last = i + 1 == w->block_count;
    if (oracle_block_rules((const uint8_t *)h) != 0) return "a block rule";
    if (last && bodies != w->trailer_size) return "size (the bodies add up to another size)";
    if (last ? h->size <= VSR_HEADER_SIZE : h->size != w->block_size) return "size";
    if (h->previous_trailer_block_checksum != previous) return "previous_trailer_block_checksum";
    if (h->previous_trailer_block_address != (i == 0 ? 0 : w->addresses[i - 1])) {
        return "previous_trailer_block_address";
    }
    if (h->address != w->addresses[i]) return "address";
    if (h->release != w->release) return "release";
    if (h->cluster != w->cluster) return "cluster";
    return NULL;
}

bool sim_check_block_headers(const sim_written *w, uint64_t index, uint64_t op, int replica,
                             sim_failure *failure) {
    vsr_u128 previous = 0;
    uint64_t bodies = 0;
    for (uint32_t i = 0; i < w->block_count; i++) {
        vsr_header_block h;
        memcpy(&h, w->blocks + (size_t)i * w->block_size, sizeof(h));
        bodies += h.size - (uint64_t)VSR_HEADER_SIZE;
        const char *field = block_header_wrong(w, i, &h, previous, bodies);
        /* vsr_trailer_write zeroes a block past its body (only the last one has such bytes):
         * the bytes a device gets are the same whatever the buffer held before. */
        const uint8_t *tail = w->blocks + (size_t)i * w->block_size + h.size;
        if (field == NULL && h.size > w->block_size) field = "size (past the block)";
        if (field == NULL && !testing_all_zero(tail, w->block_size - h.size)) {
            field = "the tail past the body (not zero)";
        }
        if (field != NULL) {
            return sim_fail(failure, "checkpoint.block_header", op, replica,
                            "checkpoint %" PRIu64 " (op %" PRIu64
                            "): block %u of %u as written: %s is wrong",
                            index, op, i, w->block_count, field);
        }
        previous = h.checksum;
    }
    return true;
}

bool sim_check_roundtrip(client_sessions *scratch, uint8_t *again, const uint8_t *trailer,
                         uint64_t size, const char *signature, uint64_t op, int replica,
                         sim_failure *failure) {
    vsr_error error = client_sessions_decode(scratch, trailer, size);
    if (error.code != VSR_ERROR_OK) {
        char text[128];
        return sim_fail(failure, signature, op, replica,
                        "op %" PRIu64 ": replica %d: decode(encode(table)) failed: %s", op, replica,
                        vsr_error_format(error, text, sizeof(text)));
    }
    client_sessions_encode(scratch, again, size);
    if (memcmp(again, trailer, (size_t)size) == 0) return true;
    char where[256];
    sim_trailer_diff(trailer, again, client_sessions_capacity(scratch), where, sizeof(where));
    return sim_fail(failure, signature, op, replica,
                    "op %" PRIu64 ": replica %d: encode(decode(trailer)) != trailer: %s", op,
                    replica, where);
}

bool sim_check_restored(const client_sessions *table, uint8_t *again, const uint8_t *trailer,
                        uint64_t size, uint64_t index, uint64_t op, int replica,
                        sim_failure *failure) {
    client_sessions_encode(table, again, size);
    if (memcmp(again, trailer, (size_t)size) == 0) return true;
    char where[256];
    sim_trailer_diff(trailer, again, client_sessions_capacity(table), where, sizeof(where));
    return sim_fail(failure, "restore.session_lost", op, replica,
                    "replica %d restored checkpoint %" PRIu64 " (op %" PRIu64 ") differently: %s",
                    replica, index, op, where);
}

/* The iterator yields the model's slots, sessions and headers, and count agrees. */
static bool check_iterator(const client_sessions *table, const model *m, uint64_t op, int replica,
                           sim_failure *failure) {
    client_sessions_iterator it;
    client_sessions_entry entry;
    uint32_t seen = 0;
    client_sessions_iterator_init(&it, table);
    for (uint32_t i = 0; i <= m->clients_max && client_sessions_iterator_next(&it, &entry); i++) {
        const model_slot *slot = entry.slot < m->clients_max ? &m->slots[entry.slot] : NULL;
        if (slot == NULL || slot->session != entry.session ||
            memcmp(&slot->header, entry.header, sizeof(slot->header)) != 0) {
            return sim_fail(failure, "final.iterator", op, replica,
                            "replica %d: the iterator's entry at slot %" PRIu32
                            " differs from the model",
                            replica, entry.slot);
        }
        seen++;
    }
    if (seen != m->count || client_sessions_count(table) != m->count) {
        return sim_fail(failure, "final.count", op, replica,
                        "replica %d: count %" PRIu32 ", iterator saw %" PRIu32
                        ", model has %" PRIu32,
                        replica, client_sessions_count(table), seen, m->count);
    }
    return true;
}

bool sim_check_final(const client_sessions *table, const model *m, uint8_t *mine, uint8_t *models,
                     uint64_t op, int replica, sim_failure *failure) {
    uint64_t size = client_sessions_encode_size(m->clients_max);
    client_sessions_encode(table, mine, size);
    model_encode(m, models, size);
    if (memcmp(mine, models, (size_t)size) != 0) {
        char where[256];
        sim_trailer_diff(models, mine, m->clients_max, where, sizeof(where));
        return sim_fail(failure, "final.state", op, replica,
                        "replica %d's final table differs from the model: %s", replica, where);
    }
    return check_iterator(table, m, op, replica, failure);
}

bool sim_check_checksum_known(sim_failure *failure) {
    static const struct {
        uint32_t size;
        uint64_t hi, lo;
    } known[] = {
        {0, 0x49f174618255402d, 0xe6e7e3c40d60cc83},
        {17, 0x0ca75fe053a8325f, 0xc6bf464303809960},
        {255, 0xc52ffecf345f49ea, 0x84888c945c391ff6},
        {1000, 0x6df521c0574b2a5c, 0x7f8ef5d18cd66684},
    };
    uint8_t bytes[1000];
    for (uint32_t i = 0; i < sizeof(bytes); i++) bytes[i] = (uint8_t)i;
    for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
        vsr_u128 expected = VSR_U128(known[k].hi, known[k].lo);
        vsr_checksum_stream stream;
        vsr_checksum_stream_init(&stream);
        for (uint32_t at = 0; at < known[k].size; at += 7) {
            uint32_t piece = known[k].size - at < 7 ? known[k].size - at : 7;
            vsr_checksum_stream_add(&stream, bytes + at, piece);
        }
        vsr_u128 plain = vsr_checksum(bytes, known[k].size);
        vsr_u128 streamed = vsr_checksum_stream_final(&stream);
        if (plain != expected || streamed != expected) {
            char e[33], a[33];
            return sim_fail(failure, "checksum.known_answer", 0, -1,
                            "checksum of the %u bytes i & 0xff (%s) is 0x%s, the known answer "
                            "is 0x%s",
                            known[k].size, plain != expected ? "in one piece" : "streamed",
                            sim_u128_text(plain != expected ? plain : streamed, a),
                            sim_u128_text(expected, e));
        }
    }
    return true;
}

static bool portable_agrees(vsr_u128 portable, size_t size, vsr_u128 expected, const char *what,
                            uint64_t op, int replica, sim_failure *failure) {
    if (portable == expected) return true;
    char e[33], p[33];
    return sim_fail(failure, "checksum.portable", op, replica,
                    "op %" PRIu64 ": %s (%zu bytes): %s gives 0x%s, the portable checksum 0x%s", op,
                    what, size, vsr_checksum_impl_name(vsr_checksum_impl_selected()),
                    sim_u128_text(expected, e), sim_u128_text(portable, p));
}

bool sim_check_checksum_portable(const uint8_t *bytes, size_t size, vsr_u128 expected,
                                 const char *what, uint64_t op, int replica, sim_failure *failure) {
    return portable_agrees(vsr_checksum_with(VSR_CHECKSUM_IMPL_PORTABLE, bytes, size), size,
                           expected, what, op, replica, failure);
}

bool sim_check_checksum_portable_prefix(const uint8_t *bytes, size_t size, vsr_u128 expected,
                                        const char *what, size_t prefix_size,
                                        vsr_u128 expected_prefix, const char *what_prefix,
                                        uint64_t op, int replica, sim_failure *failure) {
    SIM_ASSERT(prefix_size <= size);
    vsr_checksum_stream whole;
    vsr_checksum_stream_init_with(&whole, VSR_CHECKSUM_IMPL_PORTABLE);
    vsr_checksum_stream_add(&whole, bytes, prefix_size);
    vsr_checksum_stream prefix = whole; /* the stream so far, finished on its own */
    vsr_u128 portable_prefix = vsr_checksum_stream_final(&prefix);
    vsr_checksum_stream_add(&whole, bytes + prefix_size, size - prefix_size);
    return portable_agrees(vsr_checksum_stream_final(&whole), size, expected, what, op, replica,
                           failure) &&
           portable_agrees(portable_prefix, prefix_size, expected_prefix, what_prefix, op, replica,
                           failure);
}
