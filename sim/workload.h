/*
 * workload.h: the committed log, built before any replica runs (workload.c), with the
 * reference model's answer to every op as the oracle and its trailer checksum at every
 * checkpoint op.
 */
#ifndef SIM_WORKLOAD_H
#define SIM_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "log.h"
#include "pcg32.h"
#include "counts.h"
#include "testing/model.h"
#include "verdict.h"

/* Fills log->ops[1..ops] and log->checkpoint_checksums from the workload stream rng,
 * answering each op with m (reset first); counts the model's decisions. scratch_trailer
 * holds one encoding. False (with the failure) if a reply built fails validation. */
bool sim_workload_generate(const sim_config *config, pcg32 *rng, model *m, sim_log *log,
                           sim_counts *counts, uint8_t *scratch_trailer, sim_failure *failure);

#endif
