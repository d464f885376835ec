/* The reference model: see model.h. Every operation is a plain scan over all slots. */
#include "testing/model.h"

#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"
#include "testing/invariant.h"

bool model_init(model *m, uint32_t clients_max) {
    memset(m, 0, sizeof(*m));
    if (clients_max == 0 || clients_max > CLIENT_SESSIONS_CLIENTS_MAX_LIMIT) return false;
    m->slots = calloc(clients_max, sizeof(model_slot));
    if (m->slots == NULL) return false;
    m->clients_max = clients_max;
    return true;
}

void model_deinit(model *m) {
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

void model_reset(model *m) {
    TESTING_ASSERT(m->slots != NULL);
    memset(m->slots, 0, (size_t)m->clients_max * sizeof(model_slot));
    m->count = 0;
}

uint32_t model_slot_for_client(const model *m, vsr_u128 client) {
    if (client == 0) return VSR_SLOT_NONE;
    for (uint32_t slot = 0; slot < m->clients_max; slot++) {
        const model_slot *s = &m->slots[slot];
        if (s->session != 0 && s->header.client == client) return slot;
    }
    return VSR_SLOT_NONE;
}

static uint32_t model_slot_free_lowest(const model *m) {
    for (uint32_t slot = 0; slot < m->clients_max; slot++) {
        if (m->slots[slot].session == 0) return slot;
    }
    return VSR_SLOT_NONE;
}

uint32_t model_put(model *m, uint64_t session, const vsr_header_reply *reply) {
    TESTING_ASSERT(session != 0);
    TESTING_ASSERT(reply->client != 0);
    TESTING_ASSERT(session <= reply->commit);
    uint32_t slot = model_slot_for_client(m, reply->client);
    if (slot != VSR_SLOT_NONE) {
        model_slot *s = &m->slots[slot];
        TESTING_ASSERT(s->session == session);
        TESTING_ASSERT(s->header.commit < reply->commit);
        s->header = *reply;
        return slot;
    }
    /* Commits are distinct across the table: eviction by smallest commit depends on it. */
    for (uint32_t other = 0; other < m->clients_max; other++) {
        TESTING_ASSERT(m->slots[other].session == 0 ||
                       m->slots[other].header.commit != reply->commit);
    }
    slot = model_slot_free_lowest(m);
    TESTING_ASSERT(slot != VSR_SLOT_NONE);
    TESTING_ASSERT(m->count < m->clients_max);
    m->slots[slot].session = session;
    m->slots[slot].header = *reply;
    m->count++;
    return slot;
}

uint32_t model_slot_oldest(const model *m) {
    uint32_t oldest = VSR_SLOT_NONE;
    for (uint32_t slot = 0; slot < m->clients_max; slot++) {
        const model_slot *s = &m->slots[slot];
        if (s->session == 0) continue;
        if (oldest == VSR_SLOT_NONE || s->header.commit < m->slots[oldest].header.commit) {
            oldest = slot;
        }
    }
    return oldest;
}

vsr_u128 model_evictee(const model *m) {
    TESTING_ASSERT(m->count == m->clients_max);
    uint32_t slot = model_slot_oldest(m);
    TESTING_ASSERT(slot != VSR_SLOT_NONE);
    return m->slots[slot].header.client;
}

void model_remove(model *m, vsr_u128 client) {
    uint32_t slot = model_slot_for_client(m, client);
    TESTING_ASSERT(slot != VSR_SLOT_NONE);
    TESTING_ASSERT(m->count > 0);
    memset(&m->slots[slot], 0, sizeof(model_slot));
    m->count--;
}

uint64_t model_encode_size(const model *m) {
    return (uint64_t)CLIENT_SESSIONS_SLOT_ENCODED_SIZE * m->clients_max;
}

void model_encode(const model *m, void *out, uint64_t size) {
    TESTING_ASSERT(size == model_encode_size(m));
    uint8_t *bytes = out;
    uint8_t *sessions = bytes + (size_t)m->clients_max * VSR_HEADER_SIZE;
    for (uint32_t slot = 0; slot < m->clients_max; slot++) {
        const model_slot *s = &m->slots[slot];
        memcpy(bytes + (size_t)slot * VSR_HEADER_SIZE, &s->header, sizeof(s->header));
        /* Written byte by byte: the format is little-endian whatever the host. */
        for (uint32_t i = 0; i < 8; i++) {
            sessions[(size_t)slot * 8 + i] = (uint8_t)(s->session >> (8 * i));
        }
    }
}
