// sim/pcg32.c against pcg-cpp's pcg32 (Debian libpcg-cpp-dev): raw outputs and
// bounded draws, for several seeds and streams. Bit-for-bit or the test fails.
#include <pcg_random.hpp>

#include <cinttypes>
#include <cstdio>
#include <stdbool.h>
#include <stdint.h>

// pcg-cpp's `pcg32` typedef and sim's `pcg32` struct are both global names: keep
// ours in a namespace (the functions keep their C linkage).
namespace sim {
#include "pcg32.h"
}

int main() {
    const uint64_t seeds[] = {0, 1, 42, 0xdeadbeefcafef00dULL, UINT64_MAX};
    const uint64_t streams[] = {0, 1, 2, 3, 4, 5, 54, 0x8000000000000000ULL, UINT64_MAX};
    const uint32_t bounds[] = {1, 2, 3, 7, 1000, 0x80000001u, UINT32_MAX};
    int failures = 0, checks = 0;
    for (uint64_t seed : seeds) {
        for (uint64_t stream : streams) {
            ::pcg32 reference(seed, stream);
            sim::pcg32 ours;
            sim::pcg32_seed(&ours, seed, stream);
            for (int i = 0; i < 1000; i++) {
                uint32_t expected = reference();
                uint32_t actual = sim::pcg32_next(&ours);
                checks++;
                if (expected != actual) {
                    failures++;
                    std::fprintf(stderr,
                                 "seed %" PRIu64 " stream %" PRIu64 " output %d: %08x != %08x\n",
                                 seed, stream, i, actual, expected);
                    break;
                }
            }
            for (uint32_t bound : bounds) {
                for (int i = 0; i < 100; i++) {
                    uint32_t expected = reference(bound);
                    uint32_t actual = sim::pcg32_bounded(&ours, bound);
                    checks++;
                    if (expected != actual) {
                        failures++;
                        std::fprintf(stderr,
                                     "seed %" PRIu64 " stream %" PRIu64 " bound %u: %u != %u\n",
                                     seed, stream, bound, actual, expected);
                        break;
                    }
                }
            }
        }
    }
    std::printf("test_pcg32_vs_cpp: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
