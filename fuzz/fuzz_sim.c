/*
 * fuzz_sim: the whole simulation, steered by the fuzzer.
 *
 * The input bytes are the run's entropy instead of a seed's PCG32 draws: the swarm
 * configuration (replicas, clients_max, block size, fault rates, ...), the committed
 * log, the scheduling of the replicas, the faults and the decoder's defective copies.
 * Stream s of the run's six (sim/streams.h) reads every sixth 4-byte word, starting at
 * word s - 1, so every concern answers to the first bytes; when the bytes run out each
 * stream goes on as PCG32 seeded with a hash of the input, so a short input is still a
 * full run. Every check of a seeded run applies: a divergence, a lost session or an
 * undetected corruption aborts, which the engine reports as a crash.
 *
 * A finding reproduces without the fuzzer: client-sessions-sim --entropy FILE (or
 * scripts/repro --entropy FILE, with a trace), and its file goes to
 * corpus/regressions/fuzz_sim/.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "fuzz_common.h"
#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sim_overrides overrides;
    sim_overrides_init(&overrides);
    sim_config config;
    sim_config_make_entropy(&config, data, size, &overrides);
    const char *invalid = sim_config_invalid(&config);
    FUZZ_CHECK(invalid == NULL, "the swarm drew an invalid configuration: %s", invalid);
    sim_result result;
    FUZZ_CHECK(sim_run(&config, NULL, &result), "out of memory (%" PRIu64 " bytes needed)",
               sim_config_memory(&config));
    if (fuzz_verbose()) {
        char hash[33];
        vsr_u128_format(result.trace_hash, hash);
        fprintf(stderr, "fuzz_sim: seed 0x%016" PRIx64 ", %" PRIu64 " replica ops, trace %s\n",
                config.seed, result.counts.replica_ops, hash);
    }
    FUZZ_CHECK(result.outcome == SIM_OUTCOME_OK,
               "[%s] at op %" PRIu64 ": %s\n  reproduce: client-sessions-sim --entropy FILE",
               result.failure.signature, result.failure.op, result.failure.message);
    return 0;
}
