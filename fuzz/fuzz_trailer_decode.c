/*
 * fuzz_trailer_decode: client_sessions_decode on untrusted bytes.
 *
 * Input: byte 0 picks clients_max (fuzz_trailer_clients_max), the rest is the
 * encoded trailer. Decode must never crash or leak; its verdict must match the
 * oracle of docs/FORMAT.md section 3; what decodes re-encodes to the identical bytes; what
 * fails leaves the table empty (fuzz_trailer.h has the checks).
 */
#include "fuzz_mutate.h"
#include "fuzz_trailer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < FUZZ_TRAILER_PREFIX) return 0;
    uint32_t clients_max = fuzz_trailer_clients_max(data[0]);
    fuzz_check_trailer_decode(clients_max, data + FUZZ_TRAILER_PREFIX, size - FUZZ_TRAILER_PREFIX);
    return 0;
}

#ifndef FUZZ_NO_CUSTOM_MUTATOR /* defined to measure what the mutator adds */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    return fuzz_mutate_trailer(data, size, max_size, seed, LLVMFuzzerMutate);
}
#endif
