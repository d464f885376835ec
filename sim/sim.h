/*
 * sim.h: one deterministic simulation run.
 *
 * sim_run(config) builds the committed log of the seed's workload with the
 * reference model as oracle, then lets config.replicas replicas apply it at
 * the pace the scheduler picks, under the seed's faults, checking every
 * decision, every checkpoint and every recovery. It stops at the first
 * divergence. Nothing but the config decides anything: no clock, no address,
 * no environment.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "vsr.h"

/*
 * X(name, scenario): what a run counts. A scenario kind is an interesting event
 * that a sweep must see at least once, or the fault space is not being explored.
 */
#define SIM_COUNTS(X)              \
    X(registrations, 0)            \
    X(updates, 0)                  \
    X(evictions, 1)                \
    X(full_table_registrations, 1) \
    X(duplicate_replies, 1)        \
    X(stale_rejections, 1)         \
    X(evicted_rejections, 1)       \
    X(view_changes, 0)             \
    X(replica_ops, 0)              \
    X(replayed_ops, 1)             \
    X(checkpoints, 0)              \
    X(multi_block_trailers, 1)     \
    X(crashes, 1)                  \
    X(crashes_mid_checkpoint, 1)   \
    X(restarts, 1)                 \
    X(torn_writes, 1)              \
    X(bit_flips, 1)                \
    X(corruptions_detected, 1)     \
    X(repair_syncs, 1)             \
    X(lag_syncs, 1)                \
    X(genesis_syncs, 1)            \
    X(pauses, 1)                   \
    X(scrubs, 1)                   \
    X(decode_rejections, 1)        \
    X(steps, 0)

typedef struct sim_counts {
#define SIM_COUNT_FIELD(name, scenario) uint64_t name;
    SIM_COUNTS(SIM_COUNT_FIELD)
#undef SIM_COUNT_FIELD
} sim_counts;

typedef enum sim_outcome {
    SIM_OUTCOME_OK = 0,
    SIM_OUTCOME_CHECK_FAILED = 1,
} sim_outcome;

/* The first divergence of a run. */
typedef struct sim_failure {
    bool failed;
    char signature[64]; /* stable short kind, for grouping failures: "decision.slot" */
    uint64_t op;
    int replica;        /* -1 when no replica is involved */
    char message[1024]; /* op, replica(s), slot, expected vs actual */
} sim_failure;

typedef struct sim_result {
    sim_outcome outcome;
    sim_counts counts;
    vsr_u128 trace_hash;
    uint64_t trace_events;
    sim_failure failure;
} sim_result;

/* Runs one seed. trace_file (may be NULL) gets one line per event. Returns false
 * only if memory ran out (result untouched then). */
bool sim_run(const sim_config *config, FILE *trace_file, sim_result *result);

void sim_counts_print(const sim_counts *counts, FILE *out);
void sim_counts_print_json(const sim_counts *counts, FILE *out, bool scenarios_only);
bool sim_counts_equal(const sim_counts *a, const sim_counts *b);

#endif
