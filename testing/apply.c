/*
 * The apply driver: see apply.h. apply_model and apply_core mirror each other line
 * for line on purpose.
 */
#include "testing/apply.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "testing/bytes.h"
#include "testing/invariant.h"

static const char *const apply_outcome_names[] = {"none",
#define APPLY_OUTCOME_NAME(name, text) text,
                                                  APPLY_OUTCOMES(APPLY_OUTCOME_NAME)
#undef APPLY_OUTCOME_NAME
};

const char *apply_outcome_name(uint8_t outcome) {
    TESTING_ASSERT(outcome < APPLY_OUTCOME_COUNT);
    return apply_outcome_names[outcome];
}

static void decision_init(apply_decision *d) {
    memset(d, 0, sizeof(*d));
    d->slot = VSR_SLOT_NONE;
    d->evictee_slot = VSR_SLOT_NONE;
}

static bool is_register(const vsr_header_reply *op) {
    return op->operation == VSR_OPERATION_REGISTER;
}

/* A client already present: the request is answered from what is stored, or is new. */
static uint8_t classify(const vsr_header_reply *op, uint32_t latest_request) {
    if (is_register(op)) return latest_request == 0 ? APPLY_DUPLICATE : APPLY_STALE;
    if (op->request > latest_request) return APPLY_UPDATED;
    if (op->request == latest_request) return APPLY_DUPLICATE;
    return APPLY_STALE;
}

void apply_model(model *m, const vsr_header_reply *op, apply_decision *out) {
    decision_init(out);
    uint32_t slot = model_slot_for_client(m, op->client);
    if (slot == VSR_SLOT_NONE) {
        if (!is_register(op)) {
            out->outcome = APPLY_EVICTED;
            return;
        }
        if (m->count == m->clients_max) {
            out->evictee = model_evictee(m);
            out->evictee_slot = model_slot_for_client(m, out->evictee);
            model_remove(m, out->evictee);
        }
        out->outcome = APPLY_REGISTERED;
        out->slot = model_put(m, op->commit, op);
        out->reply = op->checksum;
        return;
    }
    const model_slot *stored = &m->slots[slot];
    out->slot = slot;
    out->outcome = classify(op, stored->header.request);
    if (out->outcome == APPLY_DUPLICATE) out->reply = stored->header.checksum;
    if (out->outcome == APPLY_UPDATED) {
        uint32_t put_slot = model_put(m, stored->session, op);
        TESTING_ASSERT(put_slot == slot);
        out->reply = op->checksum;
    }
}

/* remove() must leave the freed slot all zero; the put that follows at once would hide
 * it, so the encoding is looked at in between (only when a buffer is given). */
static bool freed_slot_zero(const client_sessions *table, uint32_t slot, uint8_t *buffer) {
    uint32_t n = client_sessions_capacity(table);
    client_sessions_encode(table, buffer, client_sessions_encode_size(n));
    const uint8_t *header = buffer + (size_t)VSR_HEADER_SIZE * slot;
    const uint8_t *session = buffer + (size_t)VSR_HEADER_SIZE * n + sizeof(uint64_t) * slot;
    return testing_all_zero(header, VSR_HEADER_SIZE) && testing_all_zero(session, sizeof(uint64_t));
}

/* Registers op->client on the core; returns what the core answered inconsistently, or NULL. */
static const char *core_register(client_sessions *table, const vsr_header_reply *op,
                                 apply_decision *out, uint8_t *inspect) {
    if (client_sessions_count(table) == client_sessions_capacity(table)) {
        out->evictee = client_sessions_evictee(table);
        out->evictee_slot = client_sessions_slot_for_client(table, out->evictee);
        if (out->evictee_slot == VSR_SLOT_NONE) return "evictee() is not in the table";
        client_sessions_remove(table, out->evictee);
        if (client_sessions_slot_for_client(table, out->evictee) != VSR_SLOT_NONE) {
            return "evictee still present after remove()";
        }
        if (inspect != NULL && !freed_slot_zero(table, out->evictee_slot, inspect)) {
            return "remove() left bytes in the freed slot";
        }
    }
    out->outcome = APPLY_REGISTERED;
    out->slot = client_sessions_put(table, op->commit, op);
    out->reply = op->checksum;
    if (client_sessions_slot_for_header(table, op) != out->slot) {
        return "slot_for_header(new reply) differs from put()'s slot";
    }
    return NULL;
}

const char *apply_core(client_sessions *table, const vsr_header_reply *op, apply_decision *out,
                       uint8_t *inspect) {
    decision_init(out);
    client_sessions_entry entry;
    if (!client_sessions_get(table, op->client, &entry)) {
        if (client_sessions_slot_for_client(table, op->client) != VSR_SLOT_NONE) {
            return "get() says absent, slot_for_client() says present";
        }
        if (!is_register(op)) {
            out->outcome = APPLY_EVICTED;
            return NULL;
        }
        return core_register(table, op, out, inspect);
    }
    if (client_sessions_slot_for_client(table, op->client) != entry.slot) {
        return "get() and slot_for_client() disagree on the slot";
    }
    if (entry.header->client != op->client) return "get() returned another client's header";
    out->slot = entry.slot;
    out->outcome = classify(op, entry.header->request);
    if (out->outcome == APPLY_DUPLICATE) {
        out->reply = entry.header->checksum;
        if (client_sessions_slot_for_header(table, entry.header) != entry.slot) {
            return "slot_for_header(stored reply) differs from get()'s slot";
        }
    }
    if (out->outcome == APPLY_UPDATED) {
        uint32_t put_slot = client_sessions_put(table, entry.session, op);
        if (put_slot != entry.slot) return "put() moved an existing client to another slot";
        out->reply = op->checksum;
    }
    return NULL;
}

const char *apply_decision_diff(const apply_decision *a, const apply_decision *b) {
    /* The evictee first: a wrong eviction also moves the new client's slot. */
    if (a->outcome != b->outcome) return "outcome";
    if (a->evictee != b->evictee) return "evictee";
    if (a->evictee_slot != b->evictee_slot) return "evictee_slot";
    if (a->slot != b->slot) return "slot";
    if (a->reply != b->reply) return "reply";
    return NULL;
}

static void slot_text(uint32_t slot, char out[16]) {
    if (slot == VSR_SLOT_NONE) {
        snprintf(out, 16, "none");
    } else {
        snprintf(out, 16, "%" PRIu32, slot);
    }
}

void apply_decision_text(const apply_decision *d, char *out, size_t out_size) {
    char slot[16], evictee_slot[16], evictee[33], reply[33];
    slot_text(d->slot, slot);
    slot_text(d->evictee_slot, evictee_slot);
    vsr_u128_format(d->evictee, evictee);
    vsr_u128_format(d->reply, reply);
    snprintf(out, out_size, "%s slot=%s evictee=%s evictee_slot=%s reply=%s",
             apply_outcome_name(d->outcome), slot, evictee, evictee_slot, reply);
}
