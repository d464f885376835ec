/*
 * sim.c: the driver of one run (sim.h): the set-up from the config, the committed log
 * (workload.c), the scheduler loop over the replicas (replica.c), the final checks, and
 * the one place that records the run's failure and writes it to the trace. What the
 * replicas share is their cluster (replica.h); the checks below them see only what they
 * judge.
 */
#include "sim.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "replica.h"
#include "sim_assert.h"
#include "streams.h"
#include "testing/model.h"
#include "trace.h"
#include "workload.h"

static const uint64_t golden_gamma = 0x9e3779b97f4a7c15u;

/* One run: what the driver owns. */
typedef struct sim {
    sim_config config;
    pcg32 rng_workload;
    sim_log log;
    model model;
    sim_trace trace;
    sim_counts counts;
    sim_failure failure;
    sim_heap heap;
    sim_cluster cluster;
    uint64_t steps_max;
} sim;

/* The failure a check just filled (ok false) goes to the trace, once. */
static bool recorded(sim *s, bool ok) {
    if (!ok) {
        SIM_ASSERT(s->failure.failed);
        sim_trace_failure(&s->trace, s->cluster.step, &s->failure);
    }
    return ok;
}

/* ---- set-up ---- */

static bool sim_alloc(sim *s) {
    const sim_config *c = &s->config;
    sim_cluster *cluster = &s->cluster;
    uint64_t trailer_size = client_sessions_encode_size(c->clients_max);
    uint64_t blocks = vsr_trailer_block_count(trailer_size, c->block_size);
    SIM_ASSERT(blocks > 0 && blocks <= UINT32_MAX / 2);
    uint32_t block_count = (uint32_t)blocks;
    cluster->trailer_size = trailer_size;
    cluster->block_count = block_count;
    s->log.checkpoint_count = c->ops / c->checkpoint_interval + 1;
    s->log.ops = calloc((size_t)c->ops + 1, sizeof(sim_op));
    s->log.checkpoint_checksums = calloc((size_t)s->log.checkpoint_count, sizeof(vsr_u128));
    cluster->checkpoint_first =
        calloc((size_t)s->log.checkpoint_count, sizeof(sim_checkpoint_first));
    cluster->scratch_trailer = malloc((size_t)trailer_size);
    cluster->addresses = calloc(block_count, sizeof(uint64_t));
    sim_reseal *reseal = &cluster->reseal;
    *reseal = (sim_reseal){.copy = cluster->scratch_trailer,
                           .again = malloc((size_t)trailer_size),
                           /* zero: past each block's header and body it stays so */
                           .blocks = calloc(block_count, c->block_size),
                           .addresses = calloc(block_count, sizeof(uint64_t)),
                           .trailer_size = trailer_size,
                           .block_size = c->block_size,
                           .block_count = block_count,
                           .cluster = c->cluster,
                           .release = c->release};
    if (!s->log.ops || !s->log.checkpoint_checksums || !cluster->checkpoint_first ||
        !cluster->scratch_trailer || !cluster->addresses || !reseal->again || !reseal->blocks ||
        !reseal->addresses) {
        return false;
    }
    return model_init(&s->model, c->clients_max);
}

/* The cluster the replicas share: the streams, the log, and where they record. */
static void cluster_init(sim *s) {
    const sim_config *config = &s->config;
    sim_cluster *c = &s->cluster;
    const uint8_t *entropy = config->entropy;
    uint64_t entropy_size = config->entropy_size;
    c->config = &s->config;
    c->log = &s->log;
    c->model = &s->model;
    sim_stream_seed(&c->rng_faults, config->seed, SIM_STREAM_FAULTS, entropy, entropy_size);
    sim_stream_seed(&c->rng_schedule, config->seed, SIM_STREAM_SCHEDULE, entropy, entropy_size);
    sim_stream_seed(&c->rng_checks, config->seed, SIM_STREAM_CHECKS, entropy, entropy_size);
    c->heap = &s->heap;
    c->trace = &s->trace;
    c->counts = &s->counts;
    c->failure = &s->failure;
    c->faults_left = config->faults_max;
    c->inject_pending = config->inject_bit_flip_op != 0;
}

static bool sim_init(sim *s, const sim_config *config, FILE *trace_file) {
    s->config = *config;
    sim_stream_seed(&s->rng_workload, config->seed, SIM_STREAM_WORKLOAD, config->entropy,
                    config->entropy_size);
    cluster_init(s);
    sim_trace_init(&s->trace, trace_file);
    if (!sim_alloc(s)) return false;
    sim_trace_attach(&s->trace, &s->config, s->log.ops, s->cluster.block_count);
    sim_heap_init(&s->heap, config->clients_max);
    /* Hash seeds come from their own stream; the salt varies them between runs to prove
     * that no decision depends on them. */
    pcg32 hash_seeds;
    sim_stream_seed(&hash_seeds, config->seed, SIM_STREAM_HASH_SEEDS, config->entropy,
                    config->entropy_size);
    uint64_t salt = config->hash_seed_salt * golden_gamma;
    sim_cluster *c = &s->cluster;
    if (!sim_heap_table_init(&s->heap, &c->scratch_table, pcg32_next_u64(&hash_seeds) ^ salt)) {
        return false;
    }
    c->reseal.table = c->scratch_table;
    for (uint32_t i = 0; i < config->replicas; i++) {
        uint64_t hash_seed = pcg32_next_u64(&hash_seeds) ^ salt;
        if (!sim_replica_init(c, &c->replicas[i], (uint8_t)i, hash_seed)) return false;
    }
    const sim_config *k = &s->config;
    uint64_t steps = ((uint64_t)k->ops + 1) * k->replicas * ((uint64_t)k->faults_max + 2) * 4 +
                     (uint64_t)k->faults_max * k->checkpoint_interval * k->replicas * 4 + 100000;
    /* A scrub uses its step up and spends no fault: with p-scrub per mille of the steps
     * scrubbing, the others must still fit (config.c keeps p-scrub below 1000). */
    SIM_ASSERT(k->p_scrub < SIM_PER_MILLE);
    s->steps_max =
        (steps * SIM_PER_MILLE + (SIM_PER_MILLE - k->p_scrub) - 1) / (SIM_PER_MILLE - k->p_scrub);
    return true;
}

/* Frees everything; the tables are freed here only when the run ended early (sim_finish
 * frees them under the heap's checks). */
static void sim_deinit(sim *s) {
    sim_cluster *c = &s->cluster;
    for (uint32_t i = 0; i < SIM_REPLICAS_MAX; i++) {
        sim_heap_table_deinit(&s->heap, &c->replicas[i].table, false, 0, &s->failure);
        sim_replica_deinit(&c->replicas[i]);
    }
    sim_heap_table_deinit(&s->heap, &c->scratch_table, false, 0, &s->failure);
    model_deinit(&s->model);
    free(s->log.ops);
    free(s->log.checkpoint_checksums);
    free(c->checkpoint_first);
    free(c->scratch_trailer);
    free(c->addresses);
    free(c->reseal.again);
    free(c->reseal.blocks);
    free(c->reseal.addresses);
}

/* The configuration is part of the trace: the same decisions under another config are
 * another run. The hash seed salt is left out on purpose. */
static void emit_config(sim *s) {
    const sim_config *c = &s->config;
    sim_trace_emit(&s->trace, 0,
                   &(sim_event){.kind = SIM_EVENT_CONFIG,
                                .outcome = c->swarm,
                                .op = c->seed,
                                .a = c->release,
                                .c = c->cluster,
                                .d = VSR_U128(c->inject_bit_flip_op, c->inject_bit_flip_replica)});
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        sim_trace_emit(&s->trace, 0,
                       &(sim_event){.kind = SIM_EVENT_CONFIG,
                                    .a = i + 1,
                                    .b = sim_config_get(c, (sim_param)i)});
    }
}

/* ---- the run ---- */

static sim_replica *pick_replica(sim *s) {
    sim_cluster *c = &s->cluster;
    uint32_t candidates = 0;
    for (uint32_t i = 0; i < s->config.replicas; i++) candidates += !c->replicas[i].done;
    if (candidates == 0) return NULL;
    uint32_t pick = pcg32_bounded(&c->rng_schedule, candidates);
    for (uint32_t i = 0; i < s->config.replicas; i++) {
        if (c->replicas[i].done) continue;
        if (pick == 0) return &c->replicas[i];
        pick--;
    }
    SIM_ASSERT(false);
    return NULL;
}

static void sim_loop(sim *s) {
    sim_cluster *c = &s->cluster;
    for (;;) {
        sim_replica *r = pick_replica(s);
        if (r == NULL) return;
        if (c->step >= s->steps_max) {
            recorded(s, sim_fail(&s->failure, "liveness", r->op, r->index,
                                 "no progress: %" PRIu64 " steps and replica %u is still at op "
                                 "%" PRIu64 " of %u",
                                 c->step, r->index, r->op, s->config.ops));
            return;
        }
        c->step++;
        if (!recorded(s, sim_replica_step(c, r))) return;
    }
}

/* The end: every replica's table against the model, an injection asked for happened, and
 * the tables freed under the heap's checks (a leak fails the run). */
static void sim_finish(sim *s) {
    sim_cluster *c = &s->cluster;
    const sim_config *config = &s->config;
    for (uint32_t i = 0; i < config->replicas && !s->failure.failed; i++) {
        recorded(s, sim_replica_final_check(c, &c->replicas[i]));
    }
    if (c->inject_pending && !s->failure.failed) {
        recorded(s, sim_fail(&s->failure, "inject.missed", config->ops,
                             (int)config->inject_bit_flip_replica,
                             "--inject-bit-flip %u:%u never happened: replica %u had no durable "
                             "checkpoint at or after op %u",
                             config->inject_bit_flip_op, config->inject_bit_flip_replica,
                             config->inject_bit_flip_replica, config->inject_bit_flip_op));
    }
    for (uint32_t i = 0; i <= config->replicas; i++) {
        client_sessions **table = i < config->replicas ? &c->replicas[i].table : &c->scratch_table;
        bool check = !s->failure.failed;
        recorded(s, sim_heap_table_deinit(&s->heap, table, check, config->ops, &s->failure));
    }
    s->counts.steps = c->step;
    sim_trace_emit(&s->trace, c->step,
                   &(sim_event){.kind = SIM_EVENT_DONE,
                                .outcome = s->failure.failed,
                                .op = c->step,
                                .b = s->counts.replica_ops});
}

bool sim_run(const sim_config *config, FILE *trace_file, sim_result *result) {
    SIM_ASSERT(sim_config_invalid(config) == NULL);
    sim *s = calloc(1, sizeof(sim));
    if (s == NULL) return false;
    if (!sim_init(s, config, trace_file)) {
        sim_deinit(s);
        free(s);
        return false;
    }
    emit_config(s);
    if (recorded(s, sim_check_checksum_known(&s->failure)) &&
        recorded(s, sim_heap_check(&s->heap, &s->failure)) &&
        recorded(s, sim_workload_generate(&s->config, &s->rng_workload, &s->model, &s->log,
                                          &s->counts, s->cluster.scratch_trailer, &s->failure)) &&
        recorded(s,
                 sim_check_checksum_portable((const uint8_t *)&s->log.ops[1].reply + 16,
                                             VSR_HEADER_SIZE - 16, s->log.ops[1].reply.checksum,
                                             "the first op's reply header", 1, -1, &s->failure))) {
        sim_loop(s);
    }
    sim_finish(s);
    memset(result, 0, sizeof(*result));
    result->outcome = s->failure.failed ? SIM_OUTCOME_CHECK_FAILED : SIM_OUTCOME_OK;
    result->counts = s->counts;
    result->failure = s->failure;
    result->trace_events = s->trace.events;
    result->trace_hash = sim_trace_final(&s->trace);
    sim_deinit(s);
    free(s);
    return true;
}

/* ---- memory ---- */

uint64_t sim_config_memory(const sim_config *c) {
    uint64_t trailer = client_sessions_encode_size(c->clients_max);
    uint64_t blocks = vsr_trailer_block_count(trailer, c->block_size);
    uint64_t checkpoints = c->ops / c->checkpoint_interval + 1;
    uint64_t model_bytes = model_memory_size(c->clients_max);
    uint64_t agent_bytes = 32; /* workload.c's agent: a u128 client and a request number */
    uint64_t replica = client_sessions_memory_size(c->clients_max) +
                       2 * blocks * (c->block_size + sizeof(bool)) + /* storage: two areas */
                       trailer + blocks * c->block_size;             /* encoding, its blocks */
    uint64_t total = sizeof(sim) + ((uint64_t)c->ops + 1) * sizeof(sim_op) +
                     checkpoints * (sizeof(vsr_u128) + sizeof(sim_checkpoint_first)) + trailer +
                     2 * blocks * sizeof(uint64_t) + model_bytes +
                     client_sessions_memory_size(c->clients_max) + trailer +
                     blocks * c->block_size + /* reseal.c's copies */
                     (uint64_t)c->clients * agent_bytes + (uint64_t)c->replicas * replica;
    /* Transient: a checkpoint's expected encoding and, on a failure, the model replayed. */
    return total + 2 * trailer + model_bytes;
}

/* The configuration that needs the most memory: the largest table, replica count, log and
 * client count, the shortest checkpoint interval, and the worst block size. */
static uint64_t memory_worst(const sim_config *lo, const sim_config *hi, sim_config *worst) {
    sim_config c = *hi;
    c.checkpoint_interval = lo->checkpoint_interval;
    *worst = c;
    uint64_t most = 0;
    for (uint64_t size = lo->block_size; size <= hi->block_size; size *= 2) {
        c.block_size = (uint32_t)size;
        uint64_t bytes = sim_config_memory(&c);
        if (bytes > most) {
            most = bytes;
            *worst = c;
        }
    }
    return most;
}

const char *sim_overrides_invalid(const sim_overrides *o, uint64_t memory_max, uint64_t *memory,
                                  char *reason, size_t reason_size) {
    *memory = 0;
    if (sim_overrides_check(o, reason, reason_size) != NULL) return reason;
    sim_config lo, hi, worst;
    sim_config_bounds(o, &lo, &hi);
    *memory = memory_worst(&lo, &hi, &worst);
    if (memory_max != 0 && *memory > memory_max) {
        char need[32], limit[32];
        sim_human_bytes(*memory, need, sizeof(need));
        sim_human_bytes(memory_max, limit, sizeof(limit));
        snprintf(reason, reason_size,
                 "a run needs up to %s of memory (%" PRIu64 " bytes, with replicas %" PRIu32
                 ", clients-max %" PRIu32 ", block-size %" PRIu32 ", clients %" PRIu32
                 "%s), above --memory-max %s; choose a smaller configuration or raise "
                 "--memory-max",
                 need, *memory, worst.replicas, worst.clients_max, worst.block_size, worst.clients,
                 o->swarm_off ? "" : " as the swarm may draw", limit);
        return reason;
    }
    return NULL;
}
