/*
 * ops-sim-inject-missed: an injection asked for must happen. A run whose
 * --inject-bit-flip could not take place (here: no checkpoint exists before the run
 * ends, which the command line refuses up front, so the run is made directly) must
 * fail with inject.missed, never pass as if the fault had been injected and caught.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "sim.h"

int main(void) {
    sim_overrides overrides;
    sim_overrides_init_fixed(&overrides);
    sim_overrides_set(&overrides, SIM_PARAM_ops, 10);
    sim_overrides_set(&overrides, SIM_PARAM_checkpoint_interval, 64);
    overrides.inject_bit_flip_op = 5;
    overrides.inject_bit_flip_replica = 0;
    sim_config config;
    sim_config_make(&config, 7, &overrides);
    if (sim_config_invalid(&config) != NULL) {
        printf("FAIL: the configuration is invalid: %s\n", sim_config_invalid(&config));
        return 1;
    }
    sim_result result;
    if (!sim_run(&config, NULL, &result)) {
        printf("FAIL: out of memory\n");
        return 1;
    }
    if (result.outcome != SIM_OUTCOME_CHECK_FAILED ||
        strcmp(result.failure.signature, "inject.missed") != 0) {
        printf("FAIL: outcome %d, signature '%s', bit flips %llu: the missed injection "
               "passed\n",
               (int)result.outcome, result.failure.signature,
               (unsigned long long)result.counts.bit_flips);
        return 1;
    }
    /* The same run with a checkpoint before the end injects, detects, and passes. */
    sim_overrides_set(&overrides, SIM_PARAM_checkpoint_interval, 4);
    sim_config_make(&config, 7, &overrides);
    if (!sim_run(&config, NULL, &result)) return 1;
    if (result.outcome != SIM_OUTCOME_OK || result.counts.bit_flips == 0 ||
        result.counts.corruptions_detected == 0) {
        printf("FAIL: with a checkpoint: outcome %d, bit flips %llu, detected %llu\n",
               (int)result.outcome, (unsigned long long)result.counts.bit_flips,
               (unsigned long long)result.counts.corruptions_detected);
        return 1;
    }
    printf("ops-sim-inject-missed: ok (%s)\n", "a missed injection fails; a possible one happens");
    return 0;
}
