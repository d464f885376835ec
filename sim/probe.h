/*
 * probe.h: the questions a state machine asks its table besides the op it applies
 * (probe.c), and the texts a user reads and types back. Each is a check: true, or false
 * with the failure filled.
 */
#ifndef SIM_PROBE_H
#define SIM_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "client_sessions.h"
#include "log.h"
#include "verdict.h"

/* After the first application of op `number` on a replica's table: every query API asked
 * about present, absent, evicted and related clients, and about current, stale and
 * foreign headers, against the model's view stored with the op. */
bool sim_probe_after_apply(const client_sessions *table, int replica, const sim_op *op,
                           uint64_t number, sim_failure *failure);
/* The text of a client id, the ways a user may write it, reads back as the id. */
bool sim_probe_id_text(vsr_u128 client, uint64_t number, sim_failure *failure);
/* An error's text ("name at slot N", "name at block N", "name") reads back as the error. */
bool sim_probe_error_text(vsr_error error, uint64_t number, int replica, sim_failure *failure);

#endif
