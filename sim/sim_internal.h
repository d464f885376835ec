/*
 * sim_internal.h: the state of one run, shared by the simulator's files.
 *
 * workload.c  builds the committed log, with the model's answer for every op
 *             (testing/apply.h: what a state machine does with its table for one op)
 * storage.c   block storage with two checkpoint areas, and its faults
 * replica.c   a replica: apply, checkpoint, restart, state sync, scrub
 * reject.c    the decoder shown one defect per checkpoint
 * trace.c     the trace hash, and the trace line of every event
 * sim.c       the run: set-up, scheduler, step faults, final checks
 */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "client_sessions.h"
#include "config.h"
#include "pcg32.h"
#include "sim.h"
#include "testing/apply.h"
#include "testing/model.h"
#include "trace.h"
#include "vsr.h"

typedef enum sim_op_kind { SIM_OP_REGISTER = 1, SIM_OP_REQUEST = 2 } sim_op_kind;

enum { SIM_REPLICA_NONE = 0xff };

/* Why a replica syncs (the outcome of a sync event). */
typedef enum sim_sync_purpose { SIM_SYNC_REPAIR = 1, SIM_SYNC_LAG = 2 } sim_sync_purpose;

/* The defects the decoder is shown once per checkpoint (reject.c; a decode_reject event). */
#define SIM_DEFECTS(X)                              \
    X(HEADER_BIT, "header_bit")                     \
    X(SESSION_AFTER_COMMIT, "session_after_commit") \
    X(DUPLICATE_CLIENT, "duplicate_client")         \
    X(DUPLICATE_COMMIT, "duplicate_commit")         \
    X(FREE_SLOT_DIRTY, "free_slot_dirty")

typedef enum sim_defect {
#define SIM_DEFECT_ENUM(name, text) SIM_DEFECT_##name,
    SIM_DEFECTS(SIM_DEFECT_ENUM)
#undef SIM_DEFECT_ENUM
        SIM_DEFECT_COUNT
} sim_defect;

/* One committed op of the log. Op numbers start at 1 and are the reply commits; the reply
 * is what the apply driver (testing/apply.h) is given. */
typedef struct sim_op {
    vsr_header_reply reply; /* the reply the state machine stores if it puts */
    vsr_u128 client;
    uint32_t request; /* 0 for a registration */
    uint8_t kind;
    uint8_t first_replica;   /* the replica that applied it first, for messages */
    apply_decision expected; /* the model's decision */
    /* The model after the op, for the probes (probe.c): the client's session and stored
     * reply checksum (0 when absent) and the table's count. */
    uint64_t session;
    vsr_u128 stored;
    uint32_t count;
} sim_op;

/* Client ids the workload issues have this bit clear in both halves; probes of clients
 * that were never issued set it (probe.c), so they are absent by construction. */
#define SIM_ID_PROBE_BIT (UINT64_C(1) << 63)

typedef struct sim_superblock {
    uint64_t checkpoint_index; /* 0: genesis, the empty table, no trailer */
    uint64_t checkpoint_op;
    vsr_trailer_reference reference;
} sim_superblock;

/* Two areas of block_count blocks; area a block i has address 1 + a * block_count + i. */
typedef struct sim_storage {
    uint32_t block_size;
    uint32_t block_count;
    uint8_t *bytes;
    bool *written;
    /* Whether an area's blocks differ from what its last complete write intended:
     * a read of that area must fail, a read of a clean one must succeed. */
    bool area_corrupt[2];
} sim_storage;

typedef struct sim_replica {
    uint8_t index;
    uint64_t hash_seed;
    client_sessions *table;
    uint64_t op;      /* last op applied */
    uint64_t op_high; /* highest op ever applied: below it, applying is replay */
    sim_storage storage;
    sim_superblock superblock;
    uint8_t *trailer; /* scratch: this replica's encoding */
    uint8_t *blocks;  /* scratch: the blocks of one checkpoint before they hit storage */
    bool down;
    uint64_t down_until; /* step */
    uint64_t paused_until;
    bool check_lag;
    bool needs_repair;
    bool done;
} sim_replica;

typedef struct sim_checkpoint_first {
    bool recorded;
    uint8_t replica;
    vsr_trailer_reference reference;
} sim_checkpoint_first;

/* What one init of a table did, under the allocation counters (heap.c). */
typedef struct sim_heap_record {
    uint64_t calls;
    uint64_t bytes;
    int64_t kept; /* allocations still live when init returned */
} sim_heap_record;

typedef struct sim_heap {
    bool counted; /* the build sends allocations through testing/heap.h */
    uint32_t tables;
    sim_heap_record first;
    sim_heap_record other; /* the first init that differs from the first one */
    bool other_differs;
} sim_heap;

typedef struct sim {
    sim_config config;
    pcg32 rng_workload;
    pcg32 rng_faults;
    pcg32 rng_schedule;
    pcg32 rng_checks; /* which defects the decoder is shown */
    sim_op *log;      /* ops + 1 entries; log[0] unused */
    uint64_t checkpoint_count;
    vsr_u128 *checkpoint_checksums; /* model's trailer checksum per checkpoint index */
    sim_checkpoint_first *checkpoint_first;
    uint64_t trailer_size;
    uint32_t block_count;
    sim_replica replicas[SIM_REPLICAS_MAX];
    client_sessions *scratch_table;
    uint8_t *scratch_trailer;
    uint64_t *addresses; /* block_count addresses of one area */
    /* reseal.c's copies: a trailer, its blocks and their addresses. */
    uint8_t *reseal_trailer;
    uint8_t *reseal_blocks;
    uint64_t *reseal_addresses;
    model model;
    sim_trace trace;
    sim_counts counts;
    sim_failure failure;
    uint64_t step;
    uint64_t steps_max;
    uint32_t faults_left;
    uint64_t text_probes; /* registrations seen by the probes (probe.c reads some ids back) */
    bool inject_pending;
    sim_heap heap;
} sim;

/* sim.c */
void sim_fail(sim *s, const char *signature, uint64_t op, int replica, const char *format, ...)
    __attribute__((format(printf, 5, 6)));
const char *sim_u128_text(vsr_u128 value, char out[33]);
/* Names the first byte where two encodings differ: "slot 3 field commit". */
void sim_trailer_diff(const uint8_t *expected, const uint8_t *actual, uint32_t clients_max,
                      char *out, size_t out_size);
/* The model's encoding after ops 1..op (for messages: slow, only on failure). */
bool sim_model_encoding_at(const sim *s, uint64_t op, uint8_t *out);

/* trace.c */
/* Hashes the event into the trace; with --trace, writes the event's line. */
void sim_event_emit(sim *s, const sim_event *event);
/* With --trace, the summary line of the run's failure (not an event). */
void sim_trace_failure(const sim *s);
/* "register client=..." or "request N client=...". */
void sim_op_text(const sim_op *op, char *out, size_t out_size);
const char *sim_defect_name(sim_defect defect);

/* workload.c */
void sim_workload_generate(sim *s);

/* storage.c */
bool sim_storage_init(sim_storage *storage, uint32_t block_size, uint32_t block_count);
void sim_storage_deinit(sim_storage *storage);
uint64_t sim_storage_address(const sim_storage *storage, uint32_t area, uint32_t block);
bool sim_storage_lookup(void *context, uint64_t address, const void **bytes, size_t *size);
uint8_t *sim_storage_block(sim_storage *storage, uint32_t area, uint32_t block);
/* Body length of block i of a trailer of trailer_size bytes. */
uint32_t sim_block_body_size(uint64_t trailer_size, uint32_t block_size, uint32_t block);

/* probe.c */
/* After the first application of op `number` on r: every query API asked about present,
 * absent, evicted and related clients, and about current, stale and foreign headers. */
void sim_probe_after_apply(sim *s, const sim_replica *r, const sim_op *op, uint64_t number);
/* Reads back the text of a client id the way a user may write it. */
void sim_probe_id_text(sim *s, vsr_u128 client, uint64_t number);
/* Reads back an error's trace text ("name at slot N", "name at block N", "name"). */
void sim_probe_error_text(sim *s, vsr_error error, uint64_t number, int replica);

/* reseal.c */
/* Once per checkpoint: one edit of a slot, one of the blocks, each resealed, judged by
 * the oracles. */
void sim_check_resealed(sim *s, const sim_replica *r);
/* Once per run (the first checkpoint): the trailer with every free slot filled, judged. */
void sim_check_filled(sim *s, const sim_replica *r);

/* heap.c */
/* Makes (or frees) a table of the run under the allocation counters. */
bool sim_table_init(sim *s, client_sessions **out, uint64_t hash_seed);
void sim_table_deinit(sim *s, client_sessions **table);
/* Once per run: init's memory figures and its failures, judged. */
void sim_check_heap(sim *s);

/* reject.c */
void sim_check_decode_rejects(sim *s, const sim_replica *r);

/* replica.c */
bool sim_replica_init(sim *s, sim_replica *r, uint8_t index, uint64_t hash_seed);
void sim_replica_deinit(sim *s, sim_replica *r);
void sim_replica_step(sim *s, sim_replica *r);
bool sim_replica_final_check(sim *s, sim_replica *r);

#endif
