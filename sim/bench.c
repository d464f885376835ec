/*
 * bench.c: --bench. Three JSON lines:
 *   core_put_update  the bare core: put-update on a full table of 64 (the baseline)
 *   sim_replica_ops  the simulator at 3 replicas, clients_max 64, no faults:
 *                    replica-ops/s and its cost relative to one bare put
 *   sim_sweep        seeds/s of the default swarm on one core
 * The clock is read here only to report; it decides nothing in a run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client_sessions.h"
#include "sim.h"
#include "sim_assert.h"
#include "testing/reply.h"

enum { BENCH_CLIENTS = 64, BENCH_BATCH = 4096 };

typedef struct core_bench {
    client_sessions *table;
    vsr_header_reply *batch;
    uint64_t commit;
    uint64_t round;
} core_bench;

static void core_bench_init(core_bench *b) {
    memset(b, 0, sizeof(*b));
    SIM_ASSERT(client_sessions_init(&b->table, BENCH_CLIENTS, 42) == CLIENT_SESSIONS_INIT_OK);
    b->batch = malloc(sizeof(vsr_header_reply) * BENCH_BATCH);
    SIM_ASSERT(b->batch != NULL);
    for (uint32_t c = 0; c < BENCH_CLIENTS; c++) {
        b->batch[0] = testing_reply(c + 1, ++b->commit, 0);
        client_sessions_put(b->table, b->commit, &b->batch[0]);
    }
}

static void core_bench_deinit(core_bench *b) {
    free(b->batch);
    client_sessions_deinit(b->table);
}

/* ns per put-update over about `budget_ns`, timing only the puts (replies are built
 * between batches). */
static double core_bench_run(core_bench *b, uint64_t budget_ns, uint64_t *puts_out) {
    uint64_t timed = 0, puts = 0;
    while (timed < budget_ns) {
        b->round++;
        for (uint32_t i = 0; i < BENCH_BATCH; i++) {
            uint32_t c = i % BENCH_CLIENTS;
            b->batch[i] = testing_reply(c + 1, ++b->commit, (uint32_t)(b->round * BENCH_BATCH + i));
        }
        uint64_t start = cli_now_ns();
        for (uint32_t i = 0; i < BENCH_BATCH; i++) {
            client_sessions_put(b->table, (uint64_t)(i % BENCH_CLIENTS) + 1, &b->batch[i]);
        }
        timed += cli_now_ns() - start;
        puts += BENCH_BATCH;
    }
    *puts_out += puts;
    return (double)timed / (double)puts;
}

static bool bench_sim_config(sim_config *config, uint64_t seed) {
    sim_overrides o;
    sim_overrides_init_fixed(&o);
    sim_overrides_set(&o, SIM_PARAM_replicas, 3);
    sim_overrides_set(&o, SIM_PARAM_clients_max, 64);
    sim_overrides_set(&o, SIM_PARAM_clients, 128);
    sim_overrides_set(&o, SIM_PARAM_ops, 20000);
    sim_overrides_set(&o, SIM_PARAM_block_size, 4096);
    sim_overrides_set(&o, SIM_PARAM_checkpoint_interval, 64);
    sim_config_make(config, seed, &o);
    return sim_config_invalid(config) == NULL;
}

/* ns per replica-op of whole runs (log generation, checks, checkpoints included). */
static double sim_bench_run(uint64_t budget_ns, uint64_t *seed, uint64_t *ops_out, int *status) {
    uint64_t replica_ops = 0, start = cli_now_ns(), elapsed = 0;
    while (elapsed < budget_ns) {
        sim_config config;
        sim_result result;
        SIM_ASSERT(bench_sim_config(&config, ++*seed));
        if (!sim_run(&config, NULL, &result)) {
            *status = 4;
            return 0;
        }
        if (result.outcome != SIM_OUTCOME_OK) {
            fprintf(stderr, "bench: seed %" PRIu64 " failed: %s\n", *seed, result.failure.message);
            *status = 1;
            return 0;
        }
        replica_ops += result.counts.replica_ops;
        elapsed = cli_now_ns() - start;
    }
    *ops_out += replica_ops;
    return (double)elapsed / (double)replica_ops;
}

/* One metric per line, as the project's other benchmarks print them. */
static void metric(const char *name, double value, const char *unit, const char *parameters) {
    printf("{\"name\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"%s%s}\n", name, value, unit,
           parameters[0] != '\0' ? "," : "", parameters);
}

/* Seeds/s of the default swarm (what scripts/sweep runs), one core. */
static int bench_sweep(uint64_t seconds) {
    sim_overrides none;
    memset(&none, 0, sizeof(none));
    uint64_t seeds = 0, start = cli_now_ns(), elapsed = 0;
    for (uint64_t seed = 0; elapsed < seconds * 1000000000u; seed++) {
        sim_config config;
        sim_result result;
        sim_config_make(&config, seed, &none);
        if (!sim_run(&config, NULL, &result)) return 4;
        if (result.outcome != SIM_OUTCOME_OK) {
            fprintf(stderr, "bench: sweep seed %" PRIu64 " failed: %s\n", seed,
                    result.failure.message);
            return 1;
        }
        seeds++;
        elapsed = cli_now_ns() - start;
    }
    char parameters[128];
    snprintf(parameters, sizeof(parameters), "\"jobs\":1,\"seeds\":%" PRIu64 ",\"seconds\":%.3f",
             seeds, (double)elapsed / 1e9);
    metric("sim_sweep_seeds_per_s", (double)seeds * 1e9 / (double)elapsed, "seeds/s", parameters);
    return 0;
}

/* The machine may be shared: core and simulator are measured in alternating rounds
 * and each keeps its best round, so both numbers see the same conditions. */
int sim_bench(uint64_t seconds) {
    enum { ROUNDS = 5 };
    uint64_t budget = seconds * 1000000000u / ROUNDS / 2;
    core_bench core;
    core_bench_init(&core);
    double put_ns = 1e18, op_ns = 1e18;
    uint64_t puts = 0, replica_ops = 0, runs = 0;
    int status = 0;
    for (int round = 0; round < ROUNDS && status == 0; round++) {
        double p = core_bench_run(&core, budget, &puts);
        double o = sim_bench_run(budget, &runs, &replica_ops, &status);
        if (p < put_ns) put_ns = p;
        if (o < op_ns) op_ns = o;
    }
    core_bench_deinit(&core);
    if (status != 0) return status;
    sim_config config;
    SIM_ASSERT(bench_sim_config(&config, 1));
    char parameters[256];
    snprintf(parameters, sizeof(parameters), "\"clients_max\":%d,\"puts\":%" PRIu64, BENCH_CLIENTS,
             puts);
    metric("core_put_update_ns", put_ns, "ns/op", parameters);
    snprintf(parameters, sizeof(parameters),
             "\"replicas\":3,\"clients_max\":64,\"clients\":128,\"ops_per_run\":%" PRIu32
             ",\"checkpoint_interval\":%" PRIu32 ",\"faults\":false,\"runs\":%" PRIu64
             ",\"replica_ops\":%" PRIu64,
             config.ops, config.checkpoint_interval, runs, replica_ops);
    metric("sim_replica_ops_per_s", 1e9 / op_ns, "replica-ops/s", parameters);
    metric("sim_replica_op_ns", op_ns, "ns/op", parameters);
    metric("sim_overhead_vs_core_put", op_ns / put_ns, "ratio",
           "\"target_max\":10,\"what\":\"ns per replica-op / ns per bare core put-update\"");
    fflush(stdout);
    return bench_sweep(seconds);
}
