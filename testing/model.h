/*
 * model.h: the reference model of the client sessions table, the oracle.
 *
 * The simplest correct table: an array of slots, and beside it the occupied slots'
 * clients and commits, each kept as one sorted array (binary search, insertion and
 * removal by moving the tail). No hashing, no heap, no bitmap, nothing shared with the
 * core: it must be obviously right. The core's unit tests,
 * the fuzz targets and the simulator compare every answer of the core with it, and the
 * benchmarks measure the core against its scans. Programmer errors (putting a smaller
 * commit, a commit another client holds, evictee on a table that is not full, removing
 * an absent client) abort like the core's assertions.
 */
#ifndef TESTING_MODEL_H
#define TESTING_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "vsr.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct model_slot {
    uint64_t session;        /* 0 = free */
    vsr_header_reply header; /* all zero when free */
} model_slot;

/* A client or a commit of an occupied slot, and that slot. */
typedef struct model_key {
    vsr_u128 value;
    uint32_t slot;
} model_key;

typedef struct model {
    uint32_t clients_max;
    uint32_t count;
    model_slot *slots;
    model_key *clients; /* count entries, by client */
    model_key *commits; /* count entries, by commit */
} model;

/* The bytes model_init allocates for clients_max slots. */
uint64_t model_memory_size(uint32_t clients_max);

/* Allocates clients_max zeroed slots; false if clients_max is outside 1..2^20 or on OOM. */
bool model_init(model *m, uint32_t clients_max);
void model_deinit(model *m);
void model_reset(model *m);

/* The slot of client, or VSR_SLOT_NONE if absent: a binary search of the clients. */
uint32_t model_slot_for_client(const model *m, vsr_u128 client);
/* Updates an existing client (same session, larger commit) or inserts into the lowest free slot. */
uint32_t model_put(model *m, uint64_t session, const vsr_header_reply *reply);
/* Full table: the client whose reply has the smallest commit. */
vsr_u128 model_evictee(const model *m);
/* The slot of the client whose stored reply has the smallest commit, or VSR_SLOT_NONE if empty. */
uint32_t model_slot_oldest(const model *m);
/* Frees the slot of client (present) and zeroes it. */
void model_remove(model *m, vsr_u128 client);

/* docs/FORMAT.md section 3: the headers, then the sessions; 264 bytes a slot. */
uint64_t model_encode_size(const model *m);
void model_encode(const model *m, void *out, uint64_t size);

#ifdef __cplusplus
}
#endif

#endif
