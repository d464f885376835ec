/*
 * model.h: the reference model of the client sessions table, the oracle.
 *
 * The simplest correct table: an array of slots and linear scans, no index, no heap,
 * no bitmap. It is slow on purpose; it must be obviously right. The core's unit tests,
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

typedef struct model {
    uint32_t clients_max;
    uint32_t count;
    model_slot *slots;
} model;

/* Allocates clients_max zeroed slots; false if clients_max is outside 1..2^20 or on OOM. */
bool model_init(model *m, uint32_t clients_max);
void model_deinit(model *m);
void model_reset(model *m);

/* The slot of client, or VSR_SLOT_NONE if absent. */
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
