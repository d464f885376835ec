/*
 * pcg32.h: the pcg32 generator of the PCG family (O'Neill 2014): a 64-bit LCG
 * whose state is permuted by XSH-RR into 32 output bits, with a selectable
 * stream (the LCG increment). Output for (initstate, initseq) is bit-identical
 * to pcg-cpp's `pcg32(initstate, initseq)` and to pcg32_srandom_r() of the C
 * basic library; tests/pcg32_vs_cpp.cpp checks that.
 *
 * The simulator derives every random decision from one seed through several
 * streams of this generator, so that drawing more numbers for one concern
 * (say, faults) never shifts the numbers of another (say, the workload).
 * Only integers: no floating point ever decides anything.
 */
#ifndef SIM_PCG32_H
#define SIM_PCG32_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pcg32 {
    uint64_t state;
    uint64_t increment; /* always odd: (initseq << 1) | 1 */
} pcg32;

void pcg32_seed(pcg32 *rng, uint64_t initstate, uint64_t initseq);
uint32_t pcg32_next(pcg32 *rng);
/* Uniform in [0, bound), bound > 0: pcg-cpp's bounded_rand (rejection, no bias). */
uint32_t pcg32_bounded(pcg32 *rng, uint32_t bound);
/* Uniform in [low, high], low <= high. */
uint32_t pcg32_range(pcg32 *rng, uint32_t low, uint32_t high);
/* Two outputs, the first one in the high half. */
uint64_t pcg32_next_u64(pcg32 *rng);
/* True with probability numerator / denominator (integers, denominator > 0). */
bool pcg32_chance(pcg32 *rng, uint32_t numerator, uint32_t denominator);

#ifdef __cplusplus
}
#endif

#endif
