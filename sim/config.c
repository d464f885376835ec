/* Swarm configuration: see config.h. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "pcg32.h"
#include "sim_assert.h"
#include "streams.h"

const sim_param_info sim_params[SIM_PARAM_COUNT] = {
#define SIM_PARAM_INFO(field, flag, min, max, category, unit, shrink, help) \
    {flag, offsetof(sim_config, field), min, max, category, unit, shrink, help},
    SIM_PARAMS(SIM_PARAM_INFO)
#undef SIM_PARAM_INFO
};

enum { SIM_OPS_DEFAULT = 2000 };

/* The swarm's ranges: config_swarm draws from them, sim_config_bounds reports them. */
enum {
    SWARM_CLIENTS_MAX_SMALL = 16,
    SWARM_CLIENTS_MAX_MEDIUM = 256,
    SWARM_CLIENTS_MAX_LARGE = 4096,
    SWARM_BLOCK_SIZE_MIN = 512,
    SWARM_BLOCK_SIZE_SHIFTS = 8,       /* 512 << 0 .. 512 << 7 = 64 KiB, in most runs */
    SWARM_BLOCK_SIZE_LARGE_SHIFTS = 4, /* 128 KiB .. 1 MiB (the largest valid), in a few */
    SWARM_BLOCK_SIZE_LARGE_ONE_IN = 32,
    SWARM_CLIENTS_FACTOR_MAX = 8,
    SWARM_INTERVAL_MIN = 4,
    SWARM_INTERVAL_MAX = 160,
    SWARM_INTERVAL_LARGE_TABLE_FACTOR = 4, /* for clients_max above MEDIUM */
    SWARM_P_DUPLICATE_BOUND = 300,         /* drawn below the bound */
    SWARM_P_STALE_BOUND = 200,
    SWARM_P_HOT_BOUND = 800,
    SWARM_P_VIEW_CHANGE_BOUND = 20,
    SWARM_FAULTS_MAX_MIN = 1,
    SWARM_FAULTS_MAX_MAX = 16,
};

/* Each fault kind's rate when the swarm turns it on, in draw order. */
static const struct swarm_fault_range {
    sim_param param;
    uint32_t low;
    uint32_t high;
} swarm_faults[] = {
    {SIM_PARAM_p_crash, 1, 20},  {SIM_PARAM_p_crash_checkpoint, 20, 300},
    {SIM_PARAM_p_torn, 20, 300}, {SIM_PARAM_p_bit_flip, 1, 20},
    {SIM_PARAM_p_pause, 1, 10},  {SIM_PARAM_p_scrub, 5, 50},
};
enum { SWARM_FAULT_KINDS = sizeof(swarm_faults) / sizeof(swarm_faults[0]) };

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

static void faults_zero(sim_config *c) {
    for (uint32_t i = 0; i < SWARM_FAULT_KINDS; i++) *param_field(c, swarm_faults[i].param) = 0;
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
    if (kind < 70) return pcg32_range(rng, 1, SWARM_CLIENTS_MAX_SMALL);
    if (kind < 94) return pcg32_range(rng, SWARM_CLIENTS_MAX_SMALL + 1, SWARM_CLIENTS_MAX_MEDIUM);
    return pcg32_range(rng, SWARM_CLIENTS_MAX_MEDIUM + 1, SWARM_CLIENTS_MAX_LARGE);
}

/* From half the table to eight times it: below, at and far above clients_max. */
static uint32_t swarm_clients(pcg32 *rng, uint32_t clients_max) {
    static const uint32_t numerator[] = {1, 1, 2, 2, 4, SWARM_CLIENTS_FACTOR_MAX};
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
    uint32_t shift = pcg32_bounded(rng, SWARM_BLOCK_SIZE_SHIFTS);
    /* Blocks up to the largest valid size; each checkpoint then writes whole megabytes, so
     * they checkpoint as seldom as large tables do. */
    bool large_blocks = pcg32_bounded(rng, SWARM_BLOCK_SIZE_LARGE_ONE_IN) == 0;
    if (large_blocks) {
        shift = SWARM_BLOCK_SIZE_SHIFTS + pcg32_bounded(rng, SWARM_BLOCK_SIZE_LARGE_SHIFTS);
    }
    c->block_size = (uint32_t)SWARM_BLOCK_SIZE_MIN << shift;
    c->clients = swarm_clients(rng, c->clients_max);
    c->ops = SIM_OPS_DEFAULT;
    c->checkpoint_interval = pcg32_range(rng, SWARM_INTERVAL_MIN, SWARM_INTERVAL_MAX);
    /* A large table costs a large trailer per checkpoint: keep the total bounded. */
    if (c->clients_max > SWARM_CLIENTS_MAX_MEDIUM || large_blocks)
        c->checkpoint_interval *= SWARM_INTERVAL_LARGE_TABLE_FACTOR;
    c->p_duplicate = pcg32_bounded(rng, SWARM_P_DUPLICATE_BOUND);
    c->p_stale = pcg32_bounded(rng, SWARM_P_STALE_BOUND);
    c->p_hot = pcg32_bounded(rng, SWARM_P_HOT_BOUND);
    c->p_view_change = pcg32_bounded(rng, SWARM_P_VIEW_CHANGE_BOUND);
    bool faults = pcg32_bounded(rng, 8) != 0; /* one run in eight has no faults at all */
    for (uint32_t i = 0; i < SWARM_FAULT_KINDS; i++) {
        *param_field(c, swarm_faults[i].param) =
            swarm_fault(rng, faults, swarm_faults[i].low, swarm_faults[i].high);
    }
    c->faults_max = pcg32_range(rng, SWARM_FAULTS_MAX_MIN, SWARM_FAULTS_MAX_MAX);
}

static void config_make(sim_config *config, uint64_t seed, const sim_overrides *overrides,
                        const uint8_t *entropy, uint64_t entropy_size) {
    memset(config, 0, sizeof(*config));
    config->seed = seed;
    config->entropy = entropy;
    config->entropy_size = entropy_size;
    config->swarm = !overrides->swarm_off;
    pcg32 rng;
    sim_stream_seed(&rng, seed, SIM_STREAM_CONFIG, entropy, entropy_size);
    /* Identity first, so that it never depends on the swarm switch. */
    uint64_t cluster_hi = pcg32_next_u64(&rng); /* in this order: C leaves operand order open */
    uint64_t cluster_lo = pcg32_next_u64(&rng);
    config->cluster = VSR_U128(cluster_hi, cluster_lo);
    config->release = pcg32_range(&rng, 1, UINT32_MAX);
    if (config->swarm) {
        config_swarm(config, &rng);
    } else {
        config_defaults(config);
    }
    if (overrides->faults_off) faults_zero(config);
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        if (overrides->set[i]) *param_field(config, (sim_param)i) = overrides->value[i];
    }
    config->inject_bit_flip_op = overrides->inject_bit_flip_op;
    config->inject_bit_flip_replica = overrides->inject_bit_flip_replica;
}

void sim_config_make(sim_config *config, uint64_t seed, const sim_overrides *overrides) {
    config_make(config, seed, overrides, NULL, 0);
}

uint64_t sim_entropy_seed(const uint8_t *bytes, uint64_t size) {
    return VSR_U128_LO(vsr_checksum(bytes, (size_t)size));
}

void sim_config_make_entropy(sim_config *config, const uint8_t *bytes, uint64_t size,
                             const sim_overrides *overrides) {
    config_make(config, sim_entropy_seed(bytes, size), overrides, bytes, size);
}

/* ---- what every seed can draw, checked before a range runs ---- */

static void swarm_bounds(sim_config *lo, sim_config *hi) {
    lo->replicas = 1;
    hi->replicas = SIM_REPLICAS_MAX;
    lo->clients_max = 1;
    hi->clients_max = SWARM_CLIENTS_MAX_LARGE;
    lo->block_size = SWARM_BLOCK_SIZE_MIN;
    hi->block_size = (uint32_t)SWARM_BLOCK_SIZE_MIN
                     << (SWARM_BLOCK_SIZE_SHIFTS + SWARM_BLOCK_SIZE_LARGE_SHIFTS - 1);
    lo->clients = 1;
    uint32_t clients = SWARM_CLIENTS_FACTOR_MAX * SWARM_CLIENTS_MAX_LARGE;
    hi->clients = clients < SIM_CLIENTS_LIMIT ? clients : SIM_CLIENTS_LIMIT;
    lo->ops = hi->ops = SIM_OPS_DEFAULT;
    lo->checkpoint_interval = SWARM_INTERVAL_MIN;
    hi->checkpoint_interval = SWARM_INTERVAL_MAX * SWARM_INTERVAL_LARGE_TABLE_FACTOR;
    lo->p_duplicate = lo->p_stale = lo->p_hot = lo->p_view_change = 0;
    hi->p_duplicate = SWARM_P_DUPLICATE_BOUND - 1;
    hi->p_stale = SWARM_P_STALE_BOUND - 1;
    hi->p_hot = SWARM_P_HOT_BOUND - 1;
    hi->p_view_change = SWARM_P_VIEW_CHANGE_BOUND - 1;
    for (uint32_t i = 0; i < SWARM_FAULT_KINDS; i++) {
        *param_field(lo, swarm_faults[i].param) = 0; /* a kind is off in about half the runs */
        *param_field(hi, swarm_faults[i].param) = swarm_faults[i].high;
    }
    lo->faults_max = SWARM_FAULTS_MAX_MIN;
    hi->faults_max = SWARM_FAULTS_MAX_MAX;
}

void sim_config_bounds(const sim_overrides *overrides, sim_config *lo, sim_config *hi) {
    memset(lo, 0, sizeof(*lo));
    memset(hi, 0, sizeof(*hi));
    lo->swarm = hi->swarm = !overrides->swarm_off;
    if (overrides->swarm_off) {
        config_defaults(lo);
        config_defaults(hi);
    } else {
        swarm_bounds(lo, hi);
    }
    if (overrides->faults_off) {
        faults_zero(lo);
        faults_zero(hi);
    }
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        if (!overrides->set[i]) continue;
        *param_field(lo, (sim_param)i) = overrides->value[i];
        *param_field(hi, (sim_param)i) = overrides->value[i];
    }
    lo->inject_bit_flip_op = hi->inject_bit_flip_op = overrides->inject_bit_flip_op;
    lo->inject_bit_flip_replica = hi->inject_bit_flip_replica = overrides->inject_bit_flip_replica;
}

void sim_human_bytes(uint64_t bytes, char *out, size_t out_size) {
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double value = (double)bytes;
    uint32_t unit = 0;
    while (value >= 1024 && unit + 1 < sizeof(units) / sizeof(units[0])) {
        value /= 1024;
        unit++;
    }
    if (unit == 0) {
        snprintf(out, out_size, "%" PRIu64 " bytes", bytes);
    } else {
        snprintf(out, out_size, "%.1f %s", value, units[unit]);
    }
}

/* "--p-crash 990" (an override) or "p-bit-flip up to 20" (drawn): a term of a limit. */
static size_t describe_term(const sim_overrides *o, const sim_config *hi, sim_param p, char *out,
                            size_t out_size) {
    int n = snprintf(out, out_size, o->set[p] ? "--%s %" PRIu32 : "%s up to %" PRIu32,
                     sim_params[p].flag, sim_config_get(hi, p));
    return n < 0 ? 0 : (size_t)n;
}

static const char *sum_invalid(const sim_overrides *o, const sim_config *hi,
                               const sim_param *params, size_t count, const char *rule,
                               char *reason, size_t reason_size) {
    uint64_t sum = 0;
    for (size_t i = 0; i < count; i++) sum += sim_config_get(hi, params[i]);
    if (sum <= SIM_PER_MILLE) return NULL;
    char terms[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < count && used < sizeof(terms); i++) {
        if (i > 0) used += (size_t)snprintf(terms + used, sizeof(terms) - used, ", ");
        if (used < sizeof(terms)) {
            used += describe_term(o, hi, params[i], terms + used, sizeof(terms) - used);
        }
    }
    snprintf(reason, reason_size,
             "%s: the sum can reach %" PRIu64 " (%s)%s; lower the override or set the others", rule,
             sum, terms, o->swarm_off ? "" : " for some seeds' swarm draws");
    return reason;
}

static const char *inject_invalid(const sim_overrides *o, const sim_config *lo,
                                  const sim_config *hi, char *reason, size_t reason_size) {
    if (o->inject_bit_flip_op == 0) return NULL;
    if (o->inject_bit_flip_op > lo->ops) {
        snprintf(reason, reason_size,
                 "--inject-bit-flip %" PRIu32 ":%" PRIu32 " cannot happen: op %" PRIu32
                 " is past --ops %" PRIu32,
                 o->inject_bit_flip_op, o->inject_bit_flip_replica, o->inject_bit_flip_op, lo->ops);
        return reason;
    }
    if (o->inject_bit_flip_replica >= lo->replicas) {
        snprintf(reason, reason_size,
                 "--inject-bit-flip %" PRIu32 ":%" PRIu32 " cannot happen: replica %" PRIu32
                 " is not below --replicas %" PRIu32 "%s; set --replicas",
                 o->inject_bit_flip_op, o->inject_bit_flip_replica, o->inject_bit_flip_replica,
                 lo->replicas,
                 o->set[SIM_PARAM_replicas] || o->swarm_off ? ""
                                                            : ", as some seeds' swarm draws it");
        return reason;
    }
    /* The flip goes into a checkpoint: none exists before op checkpoint_interval. */
    if (hi->checkpoint_interval > lo->ops) {
        bool drawn = !o->swarm_off && !o->set[SIM_PARAM_checkpoint_interval];
        snprintf(reason, reason_size,
                 "--inject-bit-flip %" PRIu32 ":%" PRIu32
                 " cannot happen: the first checkpoint is at op %s%" PRIu32
                 " (--checkpoint-interval%s), past --ops %" PRIu32
                 "; set a smaller --checkpoint-interval or more --ops",
                 o->inject_bit_flip_op, o->inject_bit_flip_replica, drawn ? "up to " : "",
                 hi->checkpoint_interval, drawn ? ", as some seeds' swarm draws it" : "", lo->ops);
        return reason;
    }
    return NULL;
}

/* A scrub uses up a replica's step and, unlike a crash or a pause, spends no fault budget:
 * at 1000 per mille every step of every replica is a scrub, forever. Below 1000, and with
 * the sum of the step faults at most 1000, a replica applies ops again once the budget of
 * crashes and pauses is spent. */
#define SCRUB_RULE                                                                     \
    "a scrub takes a replica's step without spending the fault budget, so at 1000 no " \
    "replica would ever apply an op; p-scrub must be below 1000"

const char *sim_overrides_check(const sim_overrides *o, char *reason, size_t reason_size) {
    sim_config lo, hi;
    sim_config_bounds(o, &lo, &hi);
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        uint32_t low = sim_config_get(&lo, (sim_param)i), high = sim_config_get(&hi, (sim_param)i);
        if (low < sim_params[i].min || high > sim_params[i].max) {
            snprintf(reason, reason_size, "--%s must be in %" PRIu32 "..%" PRIu32,
                     sim_params[i].flag, sim_params[i].min, sim_params[i].max);
            return reason;
        }
    }
    if (!vsr_block_size_valid(lo.block_size) || !vsr_block_size_valid(hi.block_size)) {
        snprintf(reason, reason_size, "--block-size must be a power of two from 512 to 1048576");
        return reason;
    }
    if (hi.p_scrub >= SIM_PER_MILLE) {
        snprintf(reason, reason_size, "--p-scrub %" PRIu32 " leaves no progress: %s", hi.p_scrub,
                 SCRUB_RULE);
        return reason;
    }
    static const sim_param workload[] = {SIM_PARAM_p_duplicate, SIM_PARAM_p_stale};
    static const sim_param steps[] = {SIM_PARAM_p_crash, SIM_PARAM_p_bit_flip, SIM_PARAM_p_pause,
                                      SIM_PARAM_p_scrub};
    if (sum_invalid(o, &hi, workload, 2, "p-duplicate + p-stale > 1000", reason, reason_size) ||
        sum_invalid(o, &hi, steps, 4, "p-crash + p-bit-flip + p-pause + p-scrub > 1000", reason,
                    reason_size) ||
        inject_invalid(o, &lo, &hi, reason, reason_size)) {
        return reason;
    }
    return NULL;
}

const char *sim_config_invalid(const sim_config *c) {
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        uint32_t value = sim_config_get(c, (sim_param)i);
        if (value < sim_params[i].min || value > sim_params[i].max) return sim_params[i].flag;
    }
    if (!vsr_block_size_valid(c->block_size)) {
        return "block-size must be a power of two from 512 to 1048576";
    }
    if (c->p_scrub >= SIM_PER_MILLE) return "p-scrub " SCRUB_RULE;
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

void sim_params_print_json(FILE *out) {
    sim_config defaults, lo, hi;
    memset(&defaults, 0, sizeof(defaults));
    config_defaults(&defaults);
    sim_overrides none;
    sim_overrides_init(&none);
    sim_config_bounds(&none, &lo, &hi);
    fputs("{\"params\":[", out);
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        const sim_param_info *p = &sim_params[i];
        fprintf(out,
                "%s{\"flag\":\"%s\",\"min\":%" PRIu32 ",\"max\":%" PRIu32 ",\"default\":%" PRIu32
                ",\"swarm_min\":%" PRIu32 ",\"swarm_max\":%" PRIu32
                ",\"category\":\"%s\",\"unit\":\"%s\",\"shrink\":\"%s\",\"help\":\"%s\"}",
                i == 0 ? "" : ",", p->flag, p->min, p->max, sim_config_get(&defaults, (sim_param)i),
                sim_config_get(&lo, (sim_param)i), sim_config_get(&hi, (sim_param)i), p->category,
                p->unit, p->shrink, p->help);
    }
    fputs("],\"faults_off\":[", out);
    for (uint32_t i = 0; i < SWARM_FAULT_KINDS; i++) {
        fprintf(out, "%s\"%s\"", i == 0 ? "" : ",", sim_params[swarm_faults[i].param].flag);
    }
    fputs("]}\n", out);
}

void sim_overrides_print_args(uint64_t seed, const sim_overrides *overrides, FILE *out) {
    fprintf(out, "--seed 0x%016" PRIx64, seed);
    sim_overrides_print_flags(overrides, out);
}

void sim_overrides_print_flags(const sim_overrides *overrides, FILE *out) {
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
