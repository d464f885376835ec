/*
 * streams.h: the PCG32 stream (increment) of each concern of a run.
 *
 * Every stream is seeded with the run's seed; the stream number keeps them
 * independent, so drawing more numbers for one concern never shifts another.
 *
 * A run from outside entropy (--entropy FILE, the fuzz_sim target) gives each stream
 * every SIM_STREAM_COUNT-th 4-byte word of the input, stream s starting at word s - 1,
 * so that every concern is steered from the first bytes on; when a stream's words run
 * out it goes on as PCG32 seeded with the run's seed, a hash of the input.
 */
#ifndef SIM_STREAMS_H
#define SIM_STREAMS_H

enum {
    SIM_STREAM_CONFIG = 1,
    SIM_STREAM_WORKLOAD = 2,
    SIM_STREAM_FAULTS = 3,
    SIM_STREAM_SCHEDULE = 4,
    SIM_STREAM_HASH_SEEDS = 5,
    SIM_STREAM_CHECKS = 6,
    SIM_STREAM_COUNT = 6,
    SIM_STREAM_WORD_SIZE = 4,
};

#include "pcg32.h"

/* Seeds stream `stream` of a run, and gives it its share of the entropy, if any. */
static inline void sim_stream_seed(pcg32 *rng, uint64_t seed, unsigned stream,
                                   const uint8_t *entropy, uint64_t entropy_size) {
    pcg32_seed(rng, seed, stream);
    if (entropy != NULL) {
        pcg32_entropy(rng, entropy, entropy_size, (uint64_t)(stream - 1) * SIM_STREAM_WORD_SIZE,
                      (uint64_t)SIM_STREAM_COUNT * SIM_STREAM_WORD_SIZE);
    }
}

#endif
