/*
 * reject.h: the decoder must reject what is not a valid encoding. Once per checkpoint, a
 * copy of the fresh trailer gets one defect of the trailer-edit engine (testing/edit.h)
 * that the trailer's block checksums would never let through, so storage faults cannot
 * reach these rules: a flipped header bit, a session after its commit, a client in two
 * slots, two replies with one commit, a dirty free slot. Decode must name the rule and
 * the slot, and leave the table empty as after reset.
 */
#ifndef SIM_REJECT_H
#define SIM_REJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "client_sessions.h"
#include "pcg32.h"
#include "testing/edit.h"
#include "verdict.h"

/* What was shown to the decoder, and what it said: the decode_reject event. */
typedef struct sim_rejected {
    bool shown; /* false when the trailer had no slot for any defect */
    edit_defect defect;
    vsr_error error;
} sim_rejected;

/* The defect drawn from rng (the first in turn that fits the trailer), applied to a copy
 * (copy: trailer_size bytes of scratch) of trailer, decoded into scratch and judged. */
bool sim_check_reject(client_sessions *scratch, uint8_t *copy, const uint8_t *trailer,
                      uint64_t trailer_size, pcg32 *rng, uint64_t op, int replica,
                      sim_rejected *rejected, sim_failure *failure);

#endif
