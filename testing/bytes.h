/*
 * bytes.h: little-endian fields of raw bytes, as docs/FORMAT.md lays them out. The oracles
 * read headers and trailers through these (never through the core's structs), and the
 * fuzz targets, mutators and corpus generator build inputs with them.
 */
#ifndef TESTING_BYTES_H
#define TESTING_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vsr.h"

static inline uint64_t testing_load(const uint8_t *bytes, size_t width) {
    uint64_t value = 0;
    for (size_t i = width; i-- > 0;) value = (value << 8) | bytes[i];
    return value;
}

static inline void testing_store(uint8_t *bytes, size_t width, uint64_t value) {
    for (size_t i = 0; i < width; i++) {
        bytes[i] = (uint8_t)value;
        value >>= 8;
    }
}

static inline vsr_u128 testing_load_u128(const uint8_t *bytes) {
    return VSR_U128(testing_load(bytes + 8, 8), testing_load(bytes, 8));
}

static inline void testing_store_u128(uint8_t *bytes, vsr_u128 value) {
    testing_store(bytes, 8, VSR_U128_LO(value));
    testing_store(bytes + 8, 8, VSR_U128_HI(value));
}

static inline bool testing_all_zero(const uint8_t *bytes, size_t size) {
    /* Zero at 0 and every byte equal to the one before it: libc's memcmp, not a byte loop
     * (the simulator asks this of whole trailers). */
    return size == 0 || (bytes[0] == 0 && memcmp(bytes, bytes + 1, size - 1) == 0);
}

#endif
