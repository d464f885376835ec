/* Swarm configuration: see config.h. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "pcg32.h"
#include "sim_assert.h"
#include "streams.h"

const sim_param_info sim_params[SIM_PARAM_COUNT] = {
#define SIM_PARAM_INFO(field, flag, min, max, help) \
    {flag, offsetof(sim_config, field), min, max, help},
    SIM_PARAMS(SIM_PARAM_INFO)
#undef SIM_PARAM_INFO
};

enum { SIM_OPS_DEFAULT = 2000 };

static uint32_t *param_field(sim_config *config, sim_param param) {
    SIM_ASSERT((unsigned)param < SIM_PARAM_COUNT);
    return (uint32_t *)(void *)((char *)config + sim_params[param].offset);
}

uint32_t sim_config_get(const sim_config *config, sim_param param) {
    SIM_ASSERT((unsigned)param < SIM_PARAM_COUNT);
    const uint32_t *field =
        (const uint32_t *)(const void *)((const char *)config + sim_params[param].offset);
    return *field;
}

/* The fixed configuration of --swarm off: small, every fault kind on, easy to read. */
static void config_defaults(sim_config *c) {
    c->replicas = 3;
    c->clients_max = 8;
    c->block_size = 1024;
    c->clients = 16;
    c->ops = SIM_OPS_DEFAULT;
    c->checkpoint_interval = 64;
    c->p_duplicate = 100;
    c->p_stale = 50;
    c->p_hot = 300;
    c->p_view_change = 5;
    c->p_crash = 5;
    c->p_crash_checkpoint = 50;
    c->p_torn = 50;
    c->p_bit_flip = 5;
    c->p_pause = 3;
    c->p_scrub = 10;
    c->faults_max = 8;
}

/* Mostly tiny tables (evictions, full-table registrations), sometimes large ones. */
static uint32_t swarm_clients_max(pcg32 *rng) {
    uint32_t kind = pcg32_bounded(rng, 100);
    if (kind < 70) return pcg32_range(rng, 1, 16);
    if (kind < 94) return pcg32_range(rng, 17, 256);
    return pcg32_range(rng, 257, 4096);
}

/* From half the table to eight times it: below, at and far above clients_max. */
static uint32_t swarm_clients(pcg32 *rng, uint32_t clients_max) {
    static const uint32_t numerator[] = {1, 1, 2, 2, 4, 8};
    static const uint32_t denominator[] = {2, 1, 2, 1, 1, 1};
    uint32_t i = pcg32_bounded(rng, 6);
    uint64_t clients = (uint64_t)clients_max * numerator[i] / denominator[i];
    if (i == 2) clients += 1; /* one more client than slots: the smallest eviction pressure */
    if (clients < 1) clients = 1;
    if (clients > SIM_CLIENTS_LIMIT) clients = SIM_CLIENTS_LIMIT;
    return (uint32_t)clients;
}

/* A fault kind is on in about half of the runs, with a random rate. */
static uint32_t swarm_fault(pcg32 *rng, bool faults, uint32_t low, uint32_t high) {
    bool on = pcg32_chance(rng, 1, 2);
    uint32_t rate = pcg32_range(rng, low, high);
    return faults && on ? rate : 0;
}

static void config_swarm(sim_config *c, pcg32 *rng) {
    c->replicas = pcg32_range(rng, 1, SIM_REPLICAS_MAX);
    c->clients_max = swarm_clients_max(rng);
    c->block_size = 512u << pcg32_bounded(rng, 8); /* 512 .. 64 KiB */
    c->clients = swarm_clients(rng, c->clients_max);
    c->ops = SIM_OPS_DEFAULT;
    c->checkpoint_interval = pcg32_range(rng, 4, 160);
    /* A large table costs a large trailer per checkpoint: keep the total bounded. */
    if (c->clients_max > 256) c->checkpoint_interval *= 4;
    c->p_duplicate = pcg32_bounded(rng, 300);
    c->p_stale = pcg32_bounded(rng, 200);
    c->p_hot = pcg32_bounded(rng, 800);
    c->p_view_change = pcg32_bounded(rng, 20);
    bool faults = pcg32_bounded(rng, 8) != 0; /* one run in eight has no faults at all */
    c->p_crash = swarm_fault(rng, faults, 1, 20);
    c->p_crash_checkpoint = swarm_fault(rng, faults, 20, 300);
    c->p_torn = swarm_fault(rng, faults, 20, 300);
    c->p_bit_flip = swarm_fault(rng, faults, 1, 20);
    c->p_pause = swarm_fault(rng, faults, 1, 10);
    c->p_scrub = swarm_fault(rng, faults, 5, 50);
    c->faults_max = pcg32_range(rng, 1, 16);
}

void sim_config_make(sim_config *config, uint64_t seed, const sim_overrides *overrides) {
    memset(config, 0, sizeof(*config));
    config->seed = seed;
    config->swarm = !overrides->swarm_off;
    pcg32 rng;
    pcg32_seed(&rng, seed, SIM_STREAM_CONFIG);
    /* Identity first, so that it never depends on the swarm switch. */
    config->cluster = VSR_U128(pcg32_next_u64(&rng), pcg32_next_u64(&rng));
    config->release = pcg32_range(&rng, 1, UINT32_MAX);
    if (config->swarm) {
        config_swarm(config, &rng);
    } else {
        config_defaults(config);
    }
    if (overrides->faults_off) {
        config->p_crash = config->p_crash_checkpoint = config->p_torn = 0;
        config->p_bit_flip = config->p_pause = config->p_scrub = 0;
    }
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        if (overrides->set[i]) *param_field(config, (sim_param)i) = overrides->value[i];
    }
    config->inject_bit_flip_op = overrides->inject_bit_flip_op;
    config->inject_bit_flip_replica = overrides->inject_bit_flip_replica;
}

const char *sim_config_invalid(const sim_config *c) {
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        uint32_t value = sim_config_get(c, (sim_param)i);
        if (value < sim_params[i].min || value > sim_params[i].max) return sim_params[i].flag;
    }
    if (!vsr_block_size_valid(c->block_size)) {
        return "block-size must be a power of two from 512 to 1048576";
    }
    if (c->p_duplicate + c->p_stale > SIM_PER_MILLE) return "p-duplicate + p-stale > 1000";
    if (c->p_crash + c->p_bit_flip + c->p_pause + c->p_scrub > SIM_PER_MILLE) {
        return "p-crash + p-bit-flip + p-pause + p-scrub > 1000";
    }
    if (c->inject_bit_flip_op > c->ops) return "inject-bit-flip op is past --ops";
    if (c->inject_bit_flip_op != 0 && c->inject_bit_flip_replica >= c->replicas) {
        return "inject-bit-flip replica is not below --replicas";
    }
    return NULL;
}

void sim_config_print(const sim_config *config, FILE *out) {
    fprintf(out, "swarm=%s", config->swarm ? "on" : "off");
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        fprintf(out, " %s=%" PRIu32, sim_params[i].flag, sim_config_get(config, (sim_param)i));
    }
}

void sim_config_print_json(const sim_config *config, FILE *out) {
    fprintf(out, "{\"swarm\":%s", config->swarm ? "true" : "false");
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        fprintf(out, ",\"%s\":%" PRIu32, sim_params[i].flag, sim_config_get(config, (sim_param)i));
    }
    if (config->inject_bit_flip_op != 0) {
        fprintf(out, ",\"inject-bit-flip\":\"%" PRIu32 ":%" PRIu32 "\"", config->inject_bit_flip_op,
                config->inject_bit_flip_replica);
    }
    fputc('}', out);
}

void sim_overrides_print_args(uint64_t seed, const sim_overrides *overrides, FILE *out) {
    fprintf(out, "--seed 0x%016" PRIx64, seed);
    if (overrides->swarm_off) fputs(" --swarm off", out);
    if (overrides->faults_off) fputs(" --faults off", out);
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        if (overrides->set[i])
            fprintf(out, " --%s %" PRIu32, sim_params[i].flag, overrides->value[i]);
    }
    if (overrides->inject_bit_flip_op != 0) {
        fprintf(out, " --inject-bit-flip %" PRIu32 ":%" PRIu32, overrides->inject_bit_flip_op,
                overrides->inject_bit_flip_replica);
    }
}

void sim_overrides_init(sim_overrides *overrides) { memset(overrides, 0, sizeof(*overrides)); }

void sim_overrides_init_fixed(sim_overrides *overrides) {
    sim_overrides_init(overrides);
    overrides->swarm_off = true;
    overrides->faults_off = true;
}

void sim_overrides_set(sim_overrides *overrides, sim_param param, uint32_t value) {
    SIM_ASSERT((unsigned)param < SIM_PARAM_COUNT);
    overrides->set[param] = true;
    overrides->value[param] = value;
}
