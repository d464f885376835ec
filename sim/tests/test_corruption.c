/*
 * A deliberately corrupted trailer is detected and repaired: a bit flip forced
 * into one replica's durable checkpoint must make the scrub fail to read it,
 * and the replica must repair by state sync from a peer (or, alone, from
 * genesis) and still end with the model's table. Torn writes likewise.
 */
#include <string.h>

#include "testing/check.h"
#include "config.h"
#include "sim.h"

static sim_config quiet_config(uint64_t seed, uint32_t replicas) {
    sim_overrides o;
    sim_overrides_init_fixed(&o);
    sim_overrides_set(&o, SIM_PARAM_replicas, replicas);
    sim_overrides_set(&o, SIM_PARAM_clients_max, 8);
    sim_overrides_set(&o, SIM_PARAM_clients, 8);
    sim_overrides_set(&o, SIM_PARAM_ops, 400);
    sim_overrides_set(&o, SIM_PARAM_block_size, 512);
    sim_overrides_set(&o, SIM_PARAM_checkpoint_interval, 50);
    o.inject_bit_flip_op = 120;
    o.inject_bit_flip_replica = replicas - 1;
    sim_config config;
    sim_config_make(&config, seed, &o);
    return config;
}

static void report(const sim_result *r) {
    if (r->outcome != SIM_OUTCOME_OK) {
        fprintf(stderr, "run failed [%s]: %s\n", r->failure.signature, r->failure.message);
    }
}

static void test_bit_flip_repaired_from_peer(uint64_t seed) {
    sim_config config = quiet_config(seed, 3);
    CHECK(sim_config_invalid(&config) == NULL);
    sim_result r;
    CHECK(sim_run(&config, NULL, &r));
    report(&r);
    CHECK_EQ(r.outcome, SIM_OUTCOME_OK);
    CHECK_EQ(r.counts.bit_flips, 1);
    CHECK(r.counts.corruptions_detected >= 1);
    CHECK_EQ(r.counts.repair_syncs, 1);
    CHECK_EQ(r.counts.genesis_syncs, 0);
    CHECK(r.counts.multi_block_trailers > 0); /* 8 slots in 512-byte blocks: several blocks */
}

static void test_bit_flip_alone_replays_from_genesis(uint64_t seed) {
    sim_config config = quiet_config(seed, 1);
    sim_result r;
    CHECK(sim_run(&config, NULL, &r));
    report(&r);
    CHECK_EQ(r.outcome, SIM_OUTCOME_OK);
    CHECK_EQ(r.counts.corruptions_detected, 1);
    CHECK_EQ(r.counts.genesis_syncs, 1);
    CHECK(r.counts.replayed_ops >= 100); /* everything since op 1 was applied again */
}

static void test_torn_writes_detected(uint64_t seed) {
    sim_config config = quiet_config(seed, 3);
    config.inject_bit_flip_op = 0;
    config.p_torn = 1000;
    config.p_scrub = 200;
    config.faults_max = 6;
    sim_result r;
    CHECK(sim_run(&config, NULL, &r));
    report(&r);
    CHECK_EQ(r.outcome, SIM_OUTCOME_OK);
    CHECK(r.counts.torn_writes >= 1);
    CHECK(r.counts.corruptions_detected >= 1);
    CHECK(r.counts.repair_syncs + r.counts.genesis_syncs >= 1);
}

int main(void) {
    for (uint64_t seed = 1; seed <= 5; seed++) {
        test_bit_flip_repaired_from_peer(seed);
        test_bit_flip_alone_replays_from_genesis(seed);
        test_torn_writes_detected(seed);
    }
    return testing_done("test_corruption");
}
