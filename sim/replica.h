/*
 * replica.h: the replicas of a run and the cluster they share (replica.c): each applies
 * the committed log to its own table, checkpoints it to its own storage, crashes and
 * restarts from the durable checkpoint, detects corrupted trailer blocks and repairs by
 * state sync from a peer, and catches up by state sync when it lags. Every decision is
 * handed to a check (check.h, probe.h, reject.h, reseal.h) where it is made; a step that
 * fails a check stops and says so, and the driver (sim.c) records the failure.
 */
#ifndef SIM_REPLICA_H
#define SIM_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

#include "client_sessions.h"
#include "config.h"
#include "counts.h"
#include "heap.h"
#include "log.h"
#include "pcg32.h"
#include "reseal.h"
#include "storage.h"
#include "testing/model.h"
#include "trace.h"
#include "verdict.h"

typedef struct sim_superblock {
    uint64_t checkpoint_index; /* 0: genesis, the empty table, no trailer */
    uint64_t checkpoint_op;
    vsr_trailer_reference reference;
} sim_superblock;

typedef struct sim_replica {
    uint8_t index;
    uint64_t hash_seed;
    client_sessions *table;
    uint64_t op;      /* last op applied */
    uint64_t op_high; /* highest op ever applied: below it, applying is replay */
    sim_storage storage;
    sim_superblock superblock;
    uint8_t *trailer; /* scratch: this replica's encoding */
    uint8_t *blocks;  /* scratch: the old bytes a faulty checkpoint write keeps */
    bool down;
    uint64_t down_until; /* step */
    uint64_t paused_until;
    bool check_lag;
    bool needs_repair;
    bool done;
} sim_replica;

/* The first writer of a checkpoint: every later writer's reference must equal its. */
typedef struct sim_checkpoint_first {
    bool recorded;
    uint8_t replica;
    vsr_trailer_reference reference;
} sim_checkpoint_first;

/* What the replicas of a run share: the log they apply, their peers, the checks' tools. */
typedef struct sim_cluster {
    const sim_config *config;
    sim_log *log;       /* ops[n].first_replica is set by the first replica to apply op n */
    const model *model; /* after the whole log: the final state every replica must reach */
    pcg32 rng_faults;
    pcg32 rng_schedule;
    pcg32 rng_checks; /* which defects and edits the decoder is shown */
    uint64_t trailer_size;
    uint32_t block_count;
    sim_checkpoint_first *checkpoint_first;
    sim_replica replicas[SIM_REPLICAS_MAX];
    client_sessions *scratch_table;
    uint8_t *scratch_trailer;
    uint64_t *addresses; /* block_count addresses of one area */
    sim_reseal reseal;   /* its table is scratch_table, its copy scratch_trailer */
    sim_heap *heap;
    sim_trace *trace;
    sim_counts *counts;
    sim_failure *failure;
    uint64_t step;
    uint32_t faults_left;
    uint64_t text_probes; /* registrations seen by the probes (some ids are read back) */
    bool inject_pending;
} sim_cluster;

bool sim_replica_init(sim_cluster *c, sim_replica *r, uint8_t index, uint64_t hash_seed);
/* Frees what sim_replica_init allocated but the table (freed under the heap's checks). */
void sim_replica_deinit(sim_replica *r);
/* One scheduler step of r; false when a check failed (c->failure says which). */
bool sim_replica_step(sim_cluster *c, sim_replica *r);
/* The end state: r holds exactly the model's table. */
bool sim_replica_final_check(sim_cluster *c, sim_replica *r);

#endif
