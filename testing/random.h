/*
 * random.h: the test programs' seeded generator, splitmix64 (Steele, Lea and Flood
 * 2014): one u64 of state, every output a bijective mix of it. Unit tests, fuzz
 * mutators, the corpus generator and the benchmarks draw their inputs from it, so the
 * same seed gives the same inputs everywhere. (The simulator has its own PCG32
 * streams: sim/pcg32.h.)
 */
#ifndef TESTING_RANDOM_H
#define TESTING_RANDOM_H

#include <stdint.h>

static inline uint64_t testing_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Below bound (> 0), by a modulo: uniform enough for test inputs and mutations. */
static inline uint32_t testing_below(uint64_t *state, uint32_t bound) {
    return (uint32_t)(testing_random(state) % bound);
}

#endif
