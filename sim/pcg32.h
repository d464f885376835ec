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
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pcg32 {
    uint64_t state;
    uint64_t increment; /* always odd: (initseq << 1) | 1 */
    /* Outside entropy (a fuzzer's input), or NULL: while this stream's words last, each
     * output is the next one, read little-endian; then the generator takes over. */
    const uint8_t *entropy;
    uint64_t entropy_size;
    uint64_t entropy_offset; /* of this stream's next word */
    uint64_t entropy_stride; /* bytes from one of its words to the next */
} pcg32;

/* Seeds the generator; no outside entropy. */
void pcg32_seed(pcg32 *rng, uint64_t initstate, uint64_t initseq);
/*
 * Takes outputs from bytes[0..size) first: the 4-byte words at first, first + stride,
 * first + 2 * stride, ... (several streams interleave their words in one input), then
 * from the generator as seeded. bytes must outlive the generator. While a stream reads
 * words, pcg32_bounded reduces them modulo its bound (no rejection), so any input is
 * a valid run.
 */
void pcg32_entropy(pcg32 *rng, const uint8_t *bytes, uint64_t size, uint64_t first,
                   uint64_t stride);
uint32_t pcg32_next(pcg32 *rng);
/* Uniform in [0, bound), bound > 0: pcg-cpp's bounded_rand (rejection, no bias). */
uint32_t pcg32_bounded(pcg32 *rng, uint32_t bound);
/* Uniform in [low, high], low <= high. */
uint32_t pcg32_range(pcg32 *rng, uint32_t low, uint32_t high);
/* Two outputs, the first one in the high half. */
uint64_t pcg32_next_u64(pcg32 *rng);
/* True with probability numerator / denominator (integers, denominator > 0). */
bool pcg32_chance(pcg32 *rng, uint32_t numerator, uint32_t denominator);
/* pcg32_bounded for a caller that holds the generator as a void pointer (the trailer-edit
 * engine's edit_random). */
uint32_t pcg32_below(void *rng, uint32_t bound);

#ifdef __cplusplus
}
#endif

#endif
