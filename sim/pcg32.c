/* pcg32: see pcg32.h. Constants are those of pcg-cpp's setseq_xsh_rr_64_32. */
#include "pcg32.h"

#include "sim_assert.h"

static const uint64_t pcg32_multiplier = 6364136223846793005u;

static void pcg32_step(pcg32 *rng) { rng->state = rng->state * pcg32_multiplier + rng->increment; }

void pcg32_seed(pcg32 *rng, uint64_t initstate, uint64_t initseq) {
    rng->entropy = NULL;
    rng->entropy_size = 0;
    rng->entropy_offset = 0;
    rng->entropy_stride = 0;
    rng->state = 0;
    rng->increment = (initseq << 1) | 1u;
    pcg32_step(rng);
    rng->state += initstate;
    pcg32_step(rng);
}

void pcg32_entropy(pcg32 *rng, const uint8_t *bytes, uint64_t size, uint64_t first,
                   uint64_t stride) {
    SIM_ASSERT(bytes != NULL || size == 0);
    SIM_ASSERT(stride >= 4);
    rng->entropy = bytes;
    rng->entropy_size = size;
    rng->entropy_offset = first;
    rng->entropy_stride = stride;
}

/* The next word of outside entropy into *out, if this stream has one left. */
static bool entropy_take(pcg32 *rng, uint32_t *out) {
    if (rng->entropy == NULL || rng->entropy_offset > rng->entropy_size ||
        rng->entropy_size - rng->entropy_offset < 4) {
        return false;
    }
    const uint8_t *word = rng->entropy + rng->entropy_offset;
    *out = (uint32_t)word[0] | (uint32_t)word[1] << 8 | (uint32_t)word[2] << 16 |
           (uint32_t)word[3] << 24;
    rng->entropy_offset += rng->entropy_stride;
    return true;
}

uint32_t pcg32_next(pcg32 *rng) {
    uint32_t word;
    if (entropy_take(rng, &word)) return word;
    /* Output is a permutation of the state before the step (pcg-cpp's output_previous). */
    uint64_t old = rng->state;
    pcg32_step(rng);
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rotation = (uint32_t)(old >> 59);
    return (xorshifted >> rotation) | (xorshifted << ((32u - rotation) & 31u));
}

uint32_t pcg32_bounded(pcg32 *rng, uint32_t bound) {
    SIM_ASSERT(bound > 0);
    uint32_t word;
    if (entropy_take(rng, &word)) return word % bound; /* any input is a run: no rejection */
    /* 2^32 mod bound low values are rejected so that every residue is equally likely. */
    uint32_t threshold = (uint32_t)(0u - bound) % bound;
    for (uint32_t attempt = 0;; attempt++) {
        /* Each attempt is rejected with probability < 1/2: 64 in a row is never seen. */
        SIM_ASSERT(attempt < 64);
        uint32_t r = pcg32_next(rng);
        if (r >= threshold) return r % bound;
    }
}

uint32_t pcg32_range(pcg32 *rng, uint32_t low, uint32_t high) {
    SIM_ASSERT(low <= high);
    if (low == 0 && high == UINT32_MAX) return pcg32_next(rng);
    return low + pcg32_bounded(rng, high - low + 1u);
}

uint64_t pcg32_next_u64(pcg32 *rng) {
    uint64_t high = pcg32_next(rng);
    uint64_t low = pcg32_next(rng);
    return (high << 32) | low;
}

bool pcg32_chance(pcg32 *rng, uint32_t numerator, uint32_t denominator) {
    SIM_ASSERT(denominator > 0);
    SIM_ASSERT(numerator <= denominator);
    if (numerator == 0) return false; /* draws nothing: a disabled fault costs no randomness */
    return pcg32_bounded(rng, denominator) < numerator;
}

uint32_t pcg32_below(void *rng, uint32_t bound) { return pcg32_bounded(rng, bound); }
