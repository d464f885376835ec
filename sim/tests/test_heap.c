/*
 * The simulator's memory checks are wired: a program linked through sim_dep sends its
 * allocations through testing/heap.h (so heap.c's checks run, not skip), and a run's
 * tables, made and freed under the counters, leave nothing behind.
 */
#include "testing/check.h"
#include "testing/heap.h"
#include "config.h"
#include "sim.h"

static void run_leaves_nothing(uint64_t seed, uint32_t clients_max) {
    sim_overrides o;
    sim_overrides_init_fixed(&o);
    sim_overrides_set(&o, SIM_PARAM_clients_max, clients_max);
    sim_overrides_set(&o, SIM_PARAM_clients, clients_max < 1000 ? clients_max * 2 : 1000);
    sim_overrides_set(&o, SIM_PARAM_ops, 200);
    sim_config config;
    sim_config_make(&config, seed, &o);
    const char *invalid = sim_config_invalid(&config);
    CHECK(invalid == NULL);
    if (invalid != NULL) {
        fprintf(stderr, "config: %s\n", invalid);
        return;
    }
    int64_t live = testing_heap.live;
    sim_result r;
    CHECK(sim_run(&config, NULL, &r));
    if (r.outcome != SIM_OUTCOME_OK) {
        fprintf(stderr, "run failed [%s]: %s\n", r.failure.signature, r.failure.message);
    }
    CHECK_EQ(r.outcome, SIM_OUTCOME_OK);
    CHECK_EQ(testing_heap.live, live); /* inits' allocations, all freed by the deinits */
    CHECK(!testing_heap.watching);     /* the simulator's own allocations are not counted */
}

int main(void) {
    CHECK(testing_heap_wrapped());
    run_leaves_nothing(1, 1);
    run_leaves_nothing(2, 64);
    run_leaves_nothing(3, 4097); /* three free-slot levels */
    return testing_done("sim-heap");
}
