/* The reference model: see model.h. Lookups are binary searches of two sorted arrays; the
 * lowest free slot is a scan. */
#include "testing/model.h"

#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"
#include "testing/invariant.h"

uint64_t model_memory_size(uint32_t clients_max) {
    return (uint64_t)clients_max * (sizeof(model_slot) + 2 * sizeof(model_key));
}

bool model_init(model *m, uint32_t clients_max) {
    memset(m, 0, sizeof(*m));
    if (clients_max == 0 || clients_max > CLIENT_SESSIONS_CLIENTS_MAX_LIMIT) return false;
    m->slots = calloc(clients_max, sizeof(model_slot));
    m->clients = malloc((size_t)clients_max * sizeof(model_key));
    m->commits = malloc((size_t)clients_max * sizeof(model_key));
    if (m->slots == NULL || m->clients == NULL || m->commits == NULL) {
        model_deinit(m);
        return false;
    }
    m->clients_max = clients_max;
    return true;
}

void model_deinit(model *m) {
    free(m->slots);
    free(m->clients);
    free(m->commits);
    memset(m, 0, sizeof(*m));
}

/* ---- the sorted arrays: keys[0..count) in increasing value, values distinct ---- */

/* The first position whose value is not below `value`. */
static uint32_t key_position(const model_key *keys, uint32_t count, vsr_u128 value) {
    /* Commits grow: most values go past the last key. */
    if (count == 0 || keys[count - 1].value < value) return count;
    uint32_t low = 0, high = count;
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        if (keys[middle].value < value) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

static bool key_present(const model_key *keys, uint32_t count, vsr_u128 value) {
    uint32_t at = key_position(keys, count, value);
    return at < count && keys[at].value == value;
}

static void key_insert(model_key *keys, uint32_t count, vsr_u128 value, uint32_t slot) {
    uint32_t at = key_position(keys, count, value);
    TESTING_ASSERT(at == count || keys[at].value != value);
    memmove(&keys[at + 1], &keys[at], (size_t)(count - at) * sizeof(model_key));
    keys[at] = (model_key){value, slot};
}

static void key_remove(model_key *keys, uint32_t count, vsr_u128 value, uint32_t slot) {
    uint32_t at = key_position(keys, count, value);
    TESTING_ASSERT(at < count && keys[at].value == value && keys[at].slot == slot);
    memmove(&keys[at], &keys[at + 1], (size_t)(count - at - 1) * sizeof(model_key));
}

void model_reset(model *m) {
    TESTING_ASSERT(m->slots != NULL);
    memset(m->slots, 0, (size_t)m->clients_max * sizeof(model_slot));
    m->count = 0;
}

uint32_t model_slot_for_client(const model *m, vsr_u128 client) {
    if (client == 0) return VSR_SLOT_NONE;
    uint32_t at = key_position(m->clients, m->count, client);
    if (at == m->count || m->clients[at].value != client) return VSR_SLOT_NONE;
    uint32_t slot = m->clients[at].slot;
    TESTING_ASSERT(m->slots[slot].session != 0 && m->slots[slot].header.client == client);
    return slot;
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
        /* Commits are distinct across the table: eviction by smallest commit depends on it. */
        TESTING_ASSERT(!key_present(m->commits, m->count, reply->commit));
        key_remove(m->commits, m->count, s->header.commit, slot);
        key_insert(m->commits, m->count - 1, reply->commit, slot);
        s->header = *reply;
        return slot;
    }
    TESTING_ASSERT(!key_present(m->commits, m->count, reply->commit));
    slot = model_slot_free_lowest(m);
    TESTING_ASSERT(slot != VSR_SLOT_NONE);
    TESTING_ASSERT(m->count < m->clients_max);
    m->slots[slot].session = session;
    m->slots[slot].header = *reply;
    key_insert(m->clients, m->count, reply->client, slot);
    key_insert(m->commits, m->count, reply->commit, slot);
    m->count++;
    return slot;
}

uint32_t model_slot_oldest(const model *m) {
    return m->count == 0 ? VSR_SLOT_NONE : m->commits[0].slot;
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
    key_remove(m->clients, m->count, client, slot);
    key_remove(m->commits, m->count, m->slots[slot].header.commit, slot);
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
