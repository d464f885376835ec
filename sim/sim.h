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
#include "counts.h"
#include "verdict.h"
#include "vsr.h"

typedef enum sim_outcome {
    SIM_OUTCOME_OK = 0,
    SIM_OUTCOME_CHECK_FAILED = 1,
} sim_outcome;

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

/* The most memory a run of config needs (tables, model, storage, trailers, blocks, log),
 * computed before allocating. */
uint64_t sim_config_memory(const sim_config *config);

/*
 * NULL when every configuration that the swarm can draw under the overrides is valid
 * (sim_overrides_check in config.h) and needs at most memory_max bytes (0: no limit), else
 * the reason, written to reason. *memory gets the most memory a run needs.
 */
const char *sim_overrides_invalid(const sim_overrides *overrides, uint64_t memory_max,
                                  uint64_t *memory, char *reason, size_t reason_size);

#endif
