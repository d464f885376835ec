/* PCG32 known answers (pcg32-demo of the PCG C library: seed 42, stream 54) and
 * properties the simulator relies on. The cross-check with pcg-cpp is test_pcg32_vs_cpp. */
#include "testing/check.h"
#include "pcg32.h"

static void test_known_answers(void) {
    static const uint32_t expected[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                         0x83d2f293, 0xbfa4784b, 0xcbed606e};
    pcg32 rng;
    pcg32_seed(&rng, 42, 54);
    for (int i = 0; i < 6; i++) CHECK_EQ(pcg32_next(&rng), expected[i]);
}

static void test_streams_differ(void) {
    pcg32 a, b;
    pcg32_seed(&a, 7, 1);
    pcg32_seed(&b, 7, 2);
    int same = 0;
    for (int i = 0; i < 64; i++) same += pcg32_next(&a) == pcg32_next(&b);
    CHECK(same < 4);
}

static void test_bounded(void) {
    pcg32 rng;
    pcg32_seed(&rng, 1, 1);
    uint32_t counts[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint32_t v = pcg32_bounded(&rng, 7);
        CHECK(v < 7);
        if (v < 7) counts[v]++;
    }
    for (int i = 0; i < 7; i++) CHECK(counts[i] > 9000 && counts[i] < 11000);
    for (int i = 0; i < 1000; i++) {
        uint32_t v = pcg32_range(&rng, 5, 9);
        CHECK(v >= 5 && v <= 9);
    }
    CHECK_EQ(pcg32_bounded(&rng, 1), 0);
    CHECK(!pcg32_chance(&rng, 0, 10));
    CHECK(pcg32_chance(&rng, 10, 10));
}

int main(void) {
    test_known_answers();
    test_streams_differ();
    test_bounded();
    return testing_done("test_pcg32");
}
