/*
 * Regressions: every core bug the simulator found stays a test (see sim/CORE_BUGS.txt).
 *
 * 1. evictee() after decode: two tables get the same put/evict sequence, and every
 *    97 ops table B is replaced by decode(encode(A)); their evictees must agree.
 *    Then the seeds that first showed it must pass.
 */
#include <string.h>

#include "check.h"
#include "client_sessions.h"
#include "config.h"
#include "model.h"
#include "sim.h"

enum { SLOTS = 16, CLIENTS = 40, ITERATIONS = 20000 };

/* Applies one op of client c; returns the evicted client or 0. */
static vsr_u128 apply(client_sessions *t, vsr_u128 c, uint64_t commit, uint32_t request) {
    vsr_header_reply h;
    client_sessions_entry e;
    vsr_u128 evicted = 0;
    if (client_sessions_get(t, c, &e)) {
        model_reply_minimal(&h, c, commit, request);
        client_sessions_put(t, e.session, &h);
        return 0;
    }
    if (client_sessions_count(t) == client_sessions_capacity(t)) {
        evicted = client_sessions_evictee(t);
        client_sessions_remove(t, evicted);
    }
    model_reply_minimal(&h, c, commit, 0);
    client_sessions_put(t, commit, &h);
    return evicted;
}

static void test_evictee_after_decode(void) {
    client_sessions *a = NULL, *b = NULL;
    CHECK(client_sessions_init(&a, SLOTS, 1) == CLIENT_SESSIONS_INIT_OK);
    CHECK(client_sessions_init(&b, SLOTS, 2) == CLIENT_SESSIONS_INIT_OK);
    static uint8_t bytes[264 * SLOTS];
    uint32_t requests[CLIENTS + 1] = {0};
    uint64_t state = 12345;
    int mismatches = 0;
    for (uint64_t commit = 1; commit <= ITERATIONS && mismatches == 0; commit++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        uint32_t c = (uint32_t)(state >> 33) % CLIENTS + 1;
        client_sessions_entry e;
        requests[c] = client_sessions_get(a, c, &e) ? requests[c] + 1 : 0;
        mismatches += apply(a, c, commit, requests[c]) != apply(b, c, commit, requests[c]);
        if (commit % 97 == 0) {
            client_sessions_encode(a, bytes, sizeof(bytes));
            CHECK(client_sessions_decode(b, bytes, sizeof(bytes)).code == VSR_ERROR_OK);
        }
    }
    CHECK_EQ(mismatches, 0);
    client_sessions_deinit(a);
    client_sessions_deinit(b);
}

static void test_seeds(void) {
    static const uint64_t seeds[] = {0x0d, 0x14, 0x1d, 0x21, 0x22, 0x29, 0x3b, 0x107};
    sim_overrides none;
    memset(&none, 0, sizeof(none));
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        sim_config config;
        sim_config_make(&config, seeds[i], &none);
        sim_result result;
        CHECK(sim_run(&config, NULL, &result));
        if (result.outcome != SIM_OUTCOME_OK) {
            fprintf(stderr, "seed 0x%llx [%s]: %s\n", (unsigned long long)seeds[i],
                    result.failure.signature, result.failure.message);
        }
        CHECK_EQ(result.outcome, SIM_OUTCOME_OK);
    }
}

int main(void) {
    test_evictee_after_decode();
    test_seeds();
    return check_done("test_regressions");
}
