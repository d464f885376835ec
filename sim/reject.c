/*
 * reject.c: the decoder must reject what is not a valid encoding. Once per
 * checkpoint, a copy of the fresh trailer gets one deliberate defect that the
 * trailer's block checksums would never let through (so storage faults cannot
 * reach these rules): a flipped header bit, a session after its commit, a
 * client in two slots, a dirty free slot. decode must name the rule and the
 * slot, and leave the table empty as after reset.
 */
#include <inttypes.h>
#include <string.h>

#include "sim_assert.h"
#include "sim_internal.h"
#include "testing/bytes.h"

/* docs/FORMAT.md section 3: clients_max reply headers, then clients_max u64 sessions. */
static size_t session_offset(uint32_t clients_max, uint32_t slot) {
    return (size_t)VSR_HEADER_SIZE * clients_max + sizeof(uint64_t) * slot;
}

static uint64_t session_at(const uint8_t *trailer, uint32_t clients_max, uint32_t slot) {
    return testing_load(trailer + session_offset(clients_max, slot), sizeof(uint64_t));
}

static void session_put(uint8_t *trailer, uint32_t clients_max, uint32_t slot, uint64_t session) {
    testing_store(trailer + session_offset(clients_max, slot), sizeof(uint64_t), session);
}

/* A random slot that is occupied (or free), or VSR_SLOT_NONE. */
static uint32_t pick_slot(sim *s, const uint8_t *trailer, bool occupied) {
    uint32_t n = s->config.clients_max;
    uint32_t start = pcg32_bounded(&s->rng_checks, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = (start + i) % n;
        if ((session_at(trailer, n, slot) != 0) == occupied) return slot;
    }
    return VSR_SLOT_NONE;
}

typedef struct expectation {
    vsr_error_code code;
    uint32_t slot;
} expectation;

static vsr_header_reply *header_at(uint8_t *trailer, uint32_t slot) {
    return (vsr_header_reply *)(void *)(trailer + (size_t)VSR_HEADER_SIZE * slot);
}

static uint64_t commit_max(uint8_t *trailer, uint32_t clients_max) {
    uint64_t max = 0;
    for (uint32_t slot = 0; slot < clients_max; slot++) {
        if (session_at(trailer, clients_max, slot) == 0) continue;
        if (header_at(trailer, slot)->commit > max) max = header_at(trailer, slot)->commit;
    }
    return max;
}

/* A valid header of its own (checksum set), breaking only a rule across slots. */
static void set_commit(vsr_header_reply *header, uint64_t commit) {
    header->commit = commit;
    header->op = commit;
    vsr_header_set_checksum(header);
}

/* Another slot than `slot`, occupied if asked (VSR_SLOT_NONE if there is none). */
static uint32_t pick_other(sim *s, const uint8_t *trailer, uint32_t slot, bool occupied) {
    uint32_t n = s->config.clients_max;
    uint32_t start = pcg32_bounded(&s->rng_checks, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t other = (start + i) % n;
        if (other == slot) continue;
        if (!occupied || session_at(trailer, n, other) != 0) return other;
    }
    return VSR_SLOT_NONE;
}

/* The same client in two slots, with distinct commits: only the client rule breaks. */
static bool duplicate_client(sim *s, uint8_t *trailer, uint32_t slot, expectation *e) {
    uint32_t n = s->config.clients_max;
    uint32_t other = pick_other(s, trailer, slot, false);
    if (other == VSR_SLOT_NONE) return false;
    uint64_t commit = commit_max(trailer, n) + 1;
    memcpy(header_at(trailer, other), header_at(trailer, slot), VSR_HEADER_SIZE);
    set_commit(header_at(trailer, other), commit);
    session_put(trailer, n, other, session_at(trailer, n, slot));
    e->slot = other > slot ? other : slot; /* the decoder meets it at the later slot */
    e->code = VSR_ERROR_DUPLICATE_CLIENT;
    return true;
}

/* Two clients whose replies have the same commit: eviction order would be ambiguous. */
static bool duplicate_commit(sim *s, uint8_t *trailer, uint32_t slot, expectation *e) {
    uint32_t n = s->config.clients_max;
    uint32_t other = pick_other(s, trailer, slot, true);
    if (other == VSR_SLOT_NONE) return false;
    uint64_t commit = header_at(trailer, slot)->commit;
    set_commit(header_at(trailer, other), commit);
    if (session_at(trailer, n, other) > commit) session_put(trailer, n, other, commit);
    e->slot = other > slot ? other : slot;
    e->code = VSR_ERROR_DUPLICATE_COMMIT;
    return true;
}

/* Applies the defect to trailer; false if this table has no slot for it. */
static bool apply_defect(sim *s, uint8_t *trailer, sim_defect kind, expectation *e) {
    uint32_t n = s->config.clients_max;
    uint32_t slot = pick_slot(s, trailer, kind != SIM_DEFECT_FREE_SLOT_DIRTY);
    if (slot == VSR_SLOT_NONE) return false;
    uint8_t *header = (uint8_t *)header_at(trailer, slot);
    e->slot = slot;
    switch (kind) {
    case SIM_DEFECT_HEADER_BIT:
        header[pcg32_bounded(&s->rng_checks, VSR_HEADER_SIZE)] ^=
            (uint8_t)(1u << pcg32_bounded(&s->rng_checks, 8));
        e->code = VSR_ERROR_HEADER_CHECKSUM;
        return true;
    case SIM_DEFECT_SESSION_AFTER_COMMIT:
        session_put(trailer, n, slot,
                    header_at(trailer, slot)->commit + 1 + pcg32_bounded(&s->rng_checks, 1000));
        e->code = VSR_ERROR_SESSION_AFTER_COMMIT;
        return true;
    case SIM_DEFECT_DUPLICATE_CLIENT: return duplicate_client(s, trailer, slot, e);
    case SIM_DEFECT_DUPLICATE_COMMIT: return duplicate_commit(s, trailer, slot, e);
    default:
        header[pcg32_bounded(&s->rng_checks, VSR_HEADER_SIZE)] |=
            (uint8_t)(1u << pcg32_bounded(&s->rng_checks, 8));
        e->code = VSR_ERROR_FREE_SLOT_NOT_ZERO;
        return true;
    }
}

static bool table_empty(sim *s) {
    if (client_sessions_count(s->scratch_table) != 0) return false;
    client_sessions_encode(s->scratch_table, s->scratch_trailer, s->trailer_size);
    return testing_all_zero(s->scratch_trailer, (size_t)s->trailer_size);
}

static void check_rejection(sim *s, const sim_replica *r, sim_defect kind, const expectation *e,
                            vsr_error error) {
    char text[128];
    vsr_error_format(error, text, sizeof(text));
    if (error.code != e->code || error.slot != e->slot || error.block_address != 0) {
        sim_fail(s, "decode.rejection", r->op, r->index,
                 "op %llu: a trailer with defect %s at slot %" PRIu32 " decoded as '%s', "
                 "expected %s at slot %" PRIu32,
                 (unsigned long long)r->op, sim_defect_name(kind), e->slot, text,
                 vsr_error_name(e->code), e->slot);
        return;
    }
    if (!table_empty(s)) {
        sim_fail(s, "decode.partial", r->op, r->index,
                 "op %llu: after rejecting defect %s (%s) the table is not empty",
                 (unsigned long long)r->op, sim_defect_name(kind), text);
    }
}

void sim_check_decode_rejects(sim *s, const sim_replica *r) {
    uint32_t first = pcg32_bounded(&s->rng_checks, SIM_DEFECT_COUNT);
    for (uint32_t i = 0; i < SIM_DEFECT_COUNT; i++) {
        sim_defect kind = (sim_defect)((first + i) % SIM_DEFECT_COUNT);
        memcpy(s->scratch_trailer, r->trailer, (size_t)s->trailer_size);
        expectation e;
        if (!apply_defect(s, s->scratch_trailer, kind, &e)) continue;
        vsr_error error =
            client_sessions_decode(s->scratch_table, s->scratch_trailer, s->trailer_size);
        s->counts.decode_rejections++;
        sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_DECODE_REJECT,
                                       .replica = r->index,
                                       .outcome = (uint8_t)kind,
                                       .a = error.slot,
                                       .op = r->op,
                                       .b = (uint64_t)error.code});
        check_rejection(s, r, kind, &e, error);
        if (!s->failure.failed) sim_probe_error_text(s, error, r->op, r->index);
        return;
    }
}
