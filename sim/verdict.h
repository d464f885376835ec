/*
 * verdict.h: what a check answers. A check passes (true), or fills a sim_failure with a
 * stable signature for grouping ("decision.slot", "probe.absent"), the op and replica
 * concerned, and a message that names expected and actual, and fails (false). Checks
 * write nothing else: the driver (sim.c) records the run's first failure and traces it.
 */
#ifndef SIM_VERDICT_H
#define SIM_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vsr.h"

/* The first divergence of a run. */
typedef struct sim_failure {
    bool failed;
    char signature[64]; /* stable short kind, for grouping failures: "decision.slot" */
    uint64_t op;
    int replica;        /* -1 when no replica is involved */
    char message[1024]; /* op, replica(s), slot, expected vs actual */
} sim_failure;

/* Fills *failure (unless it holds a failure already: the first one is kept) and returns
 * false, so that a check can end with `return sim_fail(...)`. */
bool sim_fail(sim_failure *failure, const char *signature, uint64_t op, int replica,
              const char *format, ...) __attribute__((format(printf, 5, 6)));

const char *sim_u128_text(vsr_u128 value, char out[33]);

/* Names the first byte where two encodings of clients_max slots differ: "first difference
 * at byte 300: slot 1 field size: expected 0x..., actual 0x...". */
void sim_trailer_diff(const uint8_t *expected, const uint8_t *actual, uint32_t clients_max,
                      char *out, size_t out_size);

#endif
