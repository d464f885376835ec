/*
 * config.h: one run's configuration, derived from its seed (swarm testing).
 *
 * Every parameter is a small unsigned integer; probabilities are per mille
 * (integer ratios, never floats). The swarm draws every parameter from the
 * seed's config stream in a fixed order, and only then are the command-line
 * overrides applied, so overriding one parameter never changes another.
 */
#ifndef SIM_CONFIG_H
#define SIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vsr.h"

enum {
    SIM_REPLICAS_MAX = 6,
    SIM_OPS_MAX = 1000000,
    SIM_CLIENTS_LIMIT = 1u << 16,
    SIM_PER_MILLE = 1000,
};

/*
 * X(field, flag, min, max, category, unit, shrink, help): every tunable parameter, in
 * swarm order. category: "shape" (the system's size), "workload" or "fault". unit:
 * "count", "bytes", "ops" or "per-mille". shrink: how a minimizer makes a failing run
 * smaller with it: "bisect" (--ops), "lower" (towards min), "zero" (a rate set to 0),
 * "raise" (fewer checkpoints) or "keep". client-sessions-sim --params-json prints this
 * table, with each parameter's --swarm off default and the range the swarm draws from.
 */
#define SIM_PARAMS(X)                                                                        \
    X(replicas, "replicas", 1, SIM_REPLICAS_MAX, "shape", "count", "lower", "replica count") \
    X(clients_max, "clients-max", 1, 1u << 20, "shape", "count", "lower", "table capacity")  \
    X(block_size, "block-size", 512, 1u << 20, "shape", "bytes", "keep",                     \
      "trailer block size (power of two)")                                                   \
    X(clients, "clients", 1, SIM_CLIENTS_LIMIT, "shape", "count", "lower",                   \
      "concurrently active clients")                                                         \
    X(ops, "ops", 1, SIM_OPS_MAX, "shape", "ops", "bisect", "committed log length")          \
    X(checkpoint_interval, "checkpoint-interval", 1, SIM_OPS_MAX, "shape", "ops", "raise",   \
      "ops between checkpoints")                                                             \
    X(p_duplicate, "p-duplicate", 0, 1000, "workload", "per-mille", "zero",                  \
      "per mille of requests that are retries")                                              \
    X(p_stale, "p-stale", 0, 1000, "workload", "per-mille", "zero",                          \
      "per mille of requests that are stale")                                                \
    X(p_hot, "p-hot", 0, 1000, "workload", "per-mille", "zero",                              \
      "per mille of ops sent by a few hot clients")                                          \
    X(p_view_change, "p-view-change", 0, 1000, "workload", "per-mille", "zero",              \
      "per mille of ops that start a new view")                                              \
    X(p_crash, "p-crash", 0, 1000, "fault", "per-mille", "zero",                             \
      "per mille of replica steps that crash it")                                            \
    X(p_crash_checkpoint, "p-crash-checkpoint", 0, 1000, "fault", "per-mille", "zero",       \
      "per mille of checkpoints cut by a crash")                                             \
    X(p_torn, "p-torn", 0, 1000, "fault", "per-mille", "zero",                               \
      "per mille of checkpoints with a torn block write")                                    \
    X(p_bit_flip, "p-bit-flip", 0, 1000, "fault", "per-mille", "zero",                       \
      "per mille of replica steps that flip a stored bit")                                   \
    X(p_pause, "p-pause", 0, 1000, "fault", "per-mille", "zero",                             \
      "per mille of replica steps that pause it (lag)")                                      \
    X(p_scrub, "p-scrub", 0, 1000, "fault", "per-mille", "zero",                             \
      "per mille of replica steps that verify the checkpoint")                               \
    X(faults_max, "faults-max", 0, 64, "fault", "count", "lower", "bound on fault events per run")

typedef struct sim_config {
    uint64_t seed;
    bool swarm;
#define SIM_PARAM_FIELD(field, flag, min, max, category, unit, shrink, help) uint32_t field;
    SIM_PARAMS(SIM_PARAM_FIELD)
#undef SIM_PARAM_FIELD
    /* Derived from the seed, not tunable: they only need to be valid and fixed. */
    vsr_u128 cluster;
    uint32_t release;
    /* Forced fault for tests: a bit flip in this replica's checkpoint after it
     * applies this op (0 = none), then a scrub. Part of the run, like overrides. */
    uint32_t inject_bit_flip_op;
    uint32_t inject_bit_flip_replica;
    /* Outside entropy (--entropy FILE, fuzz_sim), or NULL: every stream reads its words
     * first (streams.h); seed is then a hash of these bytes. Not owned. */
    const uint8_t *entropy;
    uint64_t entropy_size;
    /* Mixed into every replica's hash seed. Decisions must not depend on it, so it
     * is deliberately left out of the trace hash and of the reproduce command. */
    uint64_t hash_seed_salt;
} sim_config;

typedef enum sim_param {
#define SIM_PARAM_ENUM(field, flag, min, max, category, unit, shrink, help) SIM_PARAM_##field,
    SIM_PARAMS(SIM_PARAM_ENUM)
#undef SIM_PARAM_ENUM
        SIM_PARAM_COUNT
} sim_param;

typedef struct sim_param_info {
    const char *flag;
    size_t offset;
    uint32_t min;
    uint32_t max;
    const char *category;
    const char *unit;
    const char *shrink;
    const char *help;
} sim_param_info;

extern const sim_param_info sim_params[SIM_PARAM_COUNT];

/* Command-line overrides: set[i] says params value[i] replaces the swarm's choice. */
typedef struct sim_overrides {
    bool swarm_off;
    bool faults_off;
    bool set[SIM_PARAM_COUNT];
    uint32_t value[SIM_PARAM_COUNT];
    uint32_t inject_bit_flip_op;
    uint32_t inject_bit_flip_replica;
} sim_overrides;

/* No overrides at all: the swarm decides everything. */
void sim_overrides_init(sim_overrides *overrides);
/* Swarm and faults off: fixed defaults, the start of a narrow configuration. */
void sim_overrides_init_fixed(sim_overrides *overrides);
/* value replaces the configuration's choice for param. */
void sim_overrides_set(sim_overrides *overrides, sim_param param, uint32_t value);

/* The configuration of seed: swarm (or fixed defaults), then overrides. */
void sim_config_make(sim_config *config, uint64_t seed, const sim_overrides *overrides);
/* The run's seed for outside entropy: 64 bits of the checksum of the bytes. */
uint64_t sim_entropy_seed(const uint8_t *bytes, uint64_t size);
/* The configuration of a run from outside entropy (bytes must outlive the run): the
 * seed is sim_entropy_seed(bytes), and every stream reads the bytes first. */
void sim_config_make_entropy(sim_config *config, const uint8_t *bytes, uint64_t size,
                             const sim_overrides *overrides);
/* NULL if the configuration is usable, else a reason (for exit status 2). */
const char *sim_config_invalid(const sim_config *config);
uint32_t sim_config_get(const sim_config *config, sim_param param);

/* Every configuration sim_config_make can give for some seed under overrides: each
 * parameter lies in lo..hi (the swarm's range, or one value where it is fixed). */
void sim_config_bounds(const sim_overrides *overrides, sim_config *lo, sim_config *hi);
/* NULL if every seed's configuration under overrides is usable (ranges, sums of rates,
 * the forced bit flip), else the reason, written to reason. Checked once before a range
 * runs, so that a range never stops at the first seed whose swarm draw does not fit the
 * overrides; sim_overrides_invalid (sim.h) adds the memory a run needs. */
const char *sim_overrides_check(const sim_overrides *overrides, char *reason, size_t reason_size);
/* Writes bytes as "1.5 GiB". */
void sim_human_bytes(uint64_t bytes, char *out, size_t out_size);
/* Writes the parameter table as one JSON object (--params-json). */
void sim_params_print_json(FILE *out);

/* "replicas=3 clients_max=8 ..." */
void sim_config_print(const sim_config *config, FILE *out);
/* {"replicas":3,...} */
void sim_config_print_json(const sim_config *config, FILE *out);
/* The arguments that reproduce the run: "--seed 0x... [--swarm off] [--replicas 3] ..." */
void sim_overrides_print_args(uint64_t seed, const sim_overrides *overrides, FILE *out);
/* The overrides alone, each flag preceded by a space: " --swarm off --replicas 3". */
void sim_overrides_print_flags(const sim_overrides *overrides, FILE *out);

#endif
