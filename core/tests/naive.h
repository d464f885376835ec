/*
 * The simplest correct table (arrays and linear scans), the oracle for the core's unit
 * tests and the baseline of its benchmarks.
 */
#ifndef CS_NAIVE_H
#define CS_NAIVE_H

#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"

typedef struct naive {
    uint32_t clients_max;
    uint32_t count;
    uint64_t *sessions;        /* 0 = free */
    vsr_header_reply *headers; /* zero when free */
} naive;

static inline void naive_init(naive *n, uint32_t clients_max) {
    n->clients_max = clients_max;
    n->count = 0;
    n->sessions = calloc(clients_max, sizeof(uint64_t));
    n->headers = calloc(clients_max, sizeof(vsr_header_reply));
    if (n->sessions == NULL || n->headers == NULL) abort();
}

static inline void naive_deinit(naive *n) {
    free(n->sessions);
    free(n->headers);
}

static inline uint32_t naive_slot_for_client(const naive *n, vsr_u128 client) {
    for (uint32_t slot = 0; slot < n->clients_max; slot++) {
        if (n->sessions[slot] != 0 && n->headers[slot].client == client) return slot;
    }
    return VSR_SLOT_NONE;
}

static inline uint32_t naive_put(naive *n, uint64_t session, const vsr_header_reply *reply) {
    uint32_t slot = naive_slot_for_client(n, reply->client);
    if (slot == VSR_SLOT_NONE) {
        for (slot = 0; n->sessions[slot] != 0; slot++) {
            if (slot + 1 == n->clients_max) abort();
        }
        n->count++;
    }
    n->sessions[slot] = session;
    n->headers[slot] = *reply;
    return slot;
}

static inline vsr_u128 naive_evictee(const naive *n) {
    uint32_t best = VSR_SLOT_NONE;
    for (uint32_t slot = 0; slot < n->clients_max; slot++) {
        if (best == VSR_SLOT_NONE || n->headers[slot].commit < n->headers[best].commit) best = slot;
    }
    return n->headers[best].client;
}

static inline void naive_remove(naive *n, vsr_u128 client) {
    uint32_t slot = naive_slot_for_client(n, client);
    if (slot == VSR_SLOT_NONE) abort();
    n->sessions[slot] = 0;
    memset(&n->headers[slot], 0, sizeof(n->headers[slot]));
    n->count--;
}

static inline void naive_encode(const naive *n, uint8_t *out) {
    memcpy(out, n->headers, (size_t)n->clients_max * sizeof(vsr_header_reply));
    memcpy(out + (size_t)n->clients_max * sizeof(vsr_header_reply), n->sessions,
           (size_t)n->clients_max * sizeof(uint64_t));
}

#endif
