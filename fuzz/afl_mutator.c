/*
 * afl_mutator.c: the decoder targets' structure-aware mutators as AFL++ custom
 * mutator libraries (AFL_CUSTOM_MUTATOR_LIBRARY), one per target, chosen at
 * compile time with -DFUZZ_MUTATE=fuzz_mutate_trailer (or _blocks, _header).
 *
 * AFL++ keeps its own havoc and splicing; this adds the mutations that fix
 * checksums, so AFL++ reaches the same semantic rules as libFuzzer with
 * LLVMFuzzerCustomMutator. Built without AFL++ instrumentation (it runs inside
 * afl-fuzz, not the target), by scripts/fuzz.
 */
#include "fuzz_mutate.h"

#ifndef FUZZ_MUTATE
#error "define FUZZ_MUTATE as one of fuzz_mutate_trailer, fuzz_mutate_blocks, fuzz_mutate_header"
#endif

typedef struct afl_mutator {
    uint64_t rng;
    uint8_t *buffer;
    size_t capacity;
} afl_mutator;

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed) {
    (void)afl;
    afl_mutator *m = calloc(1, sizeof(*m));
    if (m != NULL) m->rng = seed;
    return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size) {
    (void)add_buf;
    (void)add_buf_size;
    afl_mutator *m = data;
    if (m->capacity < max_size) {
        uint8_t *bigger = realloc(m->buffer, max_size);
        if (bigger == NULL) {
            *out_buf = buf;
            return buf_size;
        }
        m->buffer = bigger;
        m->capacity = max_size;
    }
    size_t size = buf_size < max_size ? buf_size : max_size;
    memcpy(m->buffer, buf, size);
    size = FUZZ_MUTATE(m->buffer, size, max_size, testing_random(&m->rng), NULL);
    *out_buf = m->buffer;
    return size;
}

void afl_custom_deinit(void *data) {
    afl_mutator *m = data;
    free(m->buffer);
    free(m);
}
