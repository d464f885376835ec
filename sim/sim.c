/*
 * sim.c: one run: set-up from the config, the committed log, the scheduler
 * loop, the final checks, and the failure report. See sim.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim_assert.h"
#include "sim_internal.h"
#include "streams.h"
#include "testing/heap.h"

static const uint64_t golden_gamma = 0x9e3779b97f4a7c15u;

void sim_fail(sim *s, const char *signature, uint64_t op, int replica, const char *format, ...) {
    if (s->failure.failed) return; /* the first divergence is the one worth reading */
    s->failure.failed = true;
    snprintf(s->failure.signature, sizeof(s->failure.signature), "%s", signature);
    s->failure.op = op;
    s->failure.replica = replica;
    va_list args;
    va_start(args, format);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above
    vsnprintf(s->failure.message, sizeof(s->failure.message), format, args);
    va_end(args);
    sim_trace_failure(s);
}

const char *sim_u128_text(vsr_u128 value, char out[33]) {
    vsr_u128_format(value, out);
    return out;
}

/* ---- naming a difference between two encodings ---- */

typedef struct field_info {
    uint32_t offset;
    uint32_t size;
    const char *name;
} field_info;

static const field_info reply_fields[] = {
    {0, 16, "checksum"},
    {16, 16, "checksum_padding"},
    {32, 16, "checksum_body"},
    {48, 16, "checksum_body_padding"},
    {64, 16, "nonce_reserved"},
    {80, 16, "cluster"},
    {96, 4, "size"},
    {100, 4, "epoch"},
    {104, 4, "view"},
    {108, 4, "release"},
    {112, 2, "protocol"},
    {114, 1, "command"},
    {115, 1, "replica"},
    {116, 12, "reserved_frame"},
    {128, 16, "request_checksum"},
    {144, 16, "request_checksum_padding"},
    {160, 16, "context"},
    {176, 16, "context_padding"},
    {192, 16, "client"},
    {208, 8, "op"},
    {216, 8, "commit"},
    {224, 8, "timestamp"},
    {232, 4, "request"},
    {236, 1, "operation"},
    {237, 19, "reserved"},
};

static vsr_u128 field_value(const uint8_t *bytes, uint32_t size) {
    vsr_u128 value = 0;
    for (uint32_t i = size < 16 ? size : 16; i > 0; i--) value = (value << 8) | bytes[i - 1];
    return value;
}

void sim_trailer_diff(const uint8_t *expected, const uint8_t *actual, uint32_t clients_max,
                      char *out, size_t out_size) {
    uint64_t size = client_sessions_encode_size(clients_max);
    uint64_t offset = 0;
    while (offset < size && expected[offset] == actual[offset]) offset++;
    if (offset == size) {
        snprintf(out, out_size, "no byte differs");
        return;
    }
    uint64_t headers = (uint64_t)VSR_HEADER_SIZE * clients_max;
    field_info field = {0, sizeof(uint64_t), "session"};
    uint64_t slot = 0;
    uint64_t start = 0;
    if (offset < headers) {
        slot = offset / VSR_HEADER_SIZE;
        for (size_t i = 0; i < sizeof(reply_fields) / sizeof(reply_fields[0]); i++) {
            if (offset % VSR_HEADER_SIZE >= reply_fields[i].offset) field = reply_fields[i];
        }
        start = slot * VSR_HEADER_SIZE + field.offset;
    } else {
        slot = (offset - headers) / sizeof(uint64_t);
        start = headers + slot * sizeof(uint64_t);
    }
    char e[33], a[33];
    sim_u128_text(field_value(expected + start, field.size), e);
    sim_u128_text(field_value(actual + start, field.size), a);
    snprintf(out, out_size,
             "first difference at byte %llu: slot %llu field %s: expected 0x%s, actual 0x%s",
             (unsigned long long)offset, (unsigned long long)slot, field.name, e, a);
}

bool sim_model_encoding_at(const sim *s, uint64_t op, uint8_t *out) {
    model replay;
    if (!model_init(&replay, s->config.clients_max)) return false;
    apply_decision ignored;
    for (uint64_t number = 1; number <= op; number++) {
        apply_model(&replay, &s->log[number].reply, &ignored);
    }
    model_encode(&replay, out, s->trailer_size);
    model_deinit(&replay);
    return true;
}

/* ---- set-up ---- */

static bool sim_alloc(sim *s) {
    const sim_config *c = &s->config;
    s->trailer_size = client_sessions_encode_size(c->clients_max);
    uint64_t blocks = vsr_trailer_block_count(s->trailer_size, c->block_size);
    SIM_ASSERT(blocks > 0 && blocks <= UINT32_MAX / 2);
    s->block_count = (uint32_t)blocks;
    s->checkpoint_count = c->ops / c->checkpoint_interval + 1;
    s->log = calloc((size_t)c->ops + 1, sizeof(sim_op));
    s->checkpoint_checksums = calloc((size_t)s->checkpoint_count, sizeof(vsr_u128));
    s->checkpoint_first = calloc((size_t)s->checkpoint_count, sizeof(sim_checkpoint_first));
    s->scratch_trailer = malloc((size_t)s->trailer_size);
    s->addresses = calloc(s->block_count, sizeof(uint64_t));
    s->reseal_trailer = malloc((size_t)s->trailer_size);
    s->reseal_blocks = malloc((size_t)s->block_count * c->block_size);
    s->reseal_addresses = calloc(s->block_count, sizeof(uint64_t));
    if (!s->log || !s->checkpoint_checksums || !s->checkpoint_first || !s->scratch_trailer ||
        !s->addresses || !s->reseal_trailer || !s->reseal_blocks || !s->reseal_addresses) {
        return false;
    }
    return model_init(&s->model, c->clients_max);
}

static bool sim_init(sim *s, const sim_config *config, FILE *trace_file) {
    s->config = *config;
    const uint8_t *entropy = config->entropy;
    uint64_t entropy_size = config->entropy_size;
    sim_stream_seed(&s->rng_workload, config->seed, SIM_STREAM_WORKLOAD, entropy, entropy_size);
    sim_stream_seed(&s->rng_faults, config->seed, SIM_STREAM_FAULTS, entropy, entropy_size);
    sim_stream_seed(&s->rng_schedule, config->seed, SIM_STREAM_SCHEDULE, entropy, entropy_size);
    sim_stream_seed(&s->rng_checks, config->seed, SIM_STREAM_CHECKS, entropy, entropy_size);
    sim_trace_init(&s->trace, trace_file);
    if (!sim_alloc(s)) return false;
    s->heap.counted = testing_heap_wrapped();
    /* Hash seeds come from their own stream; the salt varies them between runs to prove
     * that no decision depends on them. */
    pcg32 hash_seeds;
    sim_stream_seed(&hash_seeds, config->seed, SIM_STREAM_HASH_SEEDS, entropy, entropy_size);
    uint64_t salt = config->hash_seed_salt * golden_gamma;
    if (!sim_table_init(s, &s->scratch_table, pcg32_next_u64(&hash_seeds) ^ salt)) return false;
    for (uint32_t i = 0; i < config->replicas; i++) {
        uint64_t hash_seed = pcg32_next_u64(&hash_seeds) ^ salt;
        if (!sim_replica_init(s, &s->replicas[i], (uint8_t)i, hash_seed)) return false;
    }
    const sim_config *c = &s->config;
    s->steps_max = ((uint64_t)c->ops + 1) * c->replicas * ((uint64_t)c->faults_max + 2) * 4 +
                   (uint64_t)c->faults_max * c->checkpoint_interval * c->replicas * 4 + 100000;
    s->faults_left = c->faults_max;
    s->inject_pending = c->inject_bit_flip_op != 0;
    return true;
}

static void sim_deinit(sim *s) {
    for (uint32_t i = 0; i < SIM_REPLICAS_MAX; i++) sim_replica_deinit(s, &s->replicas[i]);
    sim_table_deinit(s, &s->scratch_table);
    model_deinit(&s->model);
    free(s->log);
    free(s->checkpoint_checksums);
    free(s->checkpoint_first);
    free(s->scratch_trailer);
    free(s->addresses);
    free(s->reseal_trailer);
    free(s->reseal_blocks);
    free(s->reseal_addresses);
}

/* The configuration is part of the trace: the same decisions under another config are
 * another run. The hash seed salt is left out on purpose. */
static void emit_config(sim *s) {
    const sim_config *c = &s->config;
    sim_event_emit(s,
                   &(sim_event){.kind = SIM_EVENT_CONFIG,
                                .outcome = c->swarm,
                                .op = c->seed,
                                .a = c->release,
                                .c = c->cluster,
                                .d = VSR_U128(c->inject_bit_flip_op, c->inject_bit_flip_replica)});
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_CONFIG,
                                       .a = i + 1,
                                       .b = sim_config_get(c, (sim_param)i)});
    }
}

/* ---- the run ---- */

static sim_replica *pick_replica(sim *s) {
    uint32_t candidates = 0;
    for (uint32_t i = 0; i < s->config.replicas; i++) candidates += !s->replicas[i].done;
    if (candidates == 0) return NULL;
    uint32_t pick = pcg32_bounded(&s->rng_schedule, candidates);
    for (uint32_t i = 0; i < s->config.replicas; i++) {
        if (s->replicas[i].done) continue;
        if (pick == 0) return &s->replicas[i];
        pick--;
    }
    SIM_ASSERT(false);
    return NULL;
}

static void sim_loop(sim *s) {
    while (!s->failure.failed) {
        sim_replica *r = pick_replica(s);
        if (r == NULL) return;
        if (s->step >= s->steps_max) {
            sim_fail(s, "liveness", r->op, r->index,
                     "no progress: %llu steps and replica %u is still at op %llu of %u",
                     (unsigned long long)s->step, r->index, (unsigned long long)r->op,
                     s->config.ops);
            return;
        }
        s->step++;
        sim_replica_step(s, r);
    }
}

static void sim_finish(sim *s) {
    for (uint32_t i = 0; i < s->config.replicas && !s->failure.failed; i++) {
        sim_replica_final_check(s, &s->replicas[i]);
    }
    if (s->inject_pending && !s->failure.failed) { /* an injection asked for must happen */
        sim_fail(s, "inject.missed", s->config.ops, (int)s->config.inject_bit_flip_replica,
                 "--inject-bit-flip %u:%u never happened: replica %u had no durable checkpoint "
                 "at or after op %u",
                 s->config.inject_bit_flip_op, s->config.inject_bit_flip_replica,
                 s->config.inject_bit_flip_replica, s->config.inject_bit_flip_op);
    }
    /* The tables are freed here, under the counters, so that a leak fails the run. */
    for (uint32_t i = 0; i < s->config.replicas; i++) sim_table_deinit(s, &s->replicas[i].table);
    sim_table_deinit(s, &s->scratch_table);
    s->counts.steps = s->step;
    sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_DONE,
                                   .outcome = s->failure.failed,
                                   .op = s->step,
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
    sim_check_heap(s);
    sim_workload_generate(s);
    if (!s->failure.failed) sim_loop(s);
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

/* ---- counts ---- */

void sim_counts_print(const sim_counts *counts, FILE *out) {
    const char *separator = "";
#define SIM_COUNT_PRINT(name, scenario)                                            \
    fprintf(out, "%s" #name "=%llu", separator, (unsigned long long)counts->name); \
    separator = " ";
    SIM_COUNTS(SIM_COUNT_PRINT)
#undef SIM_COUNT_PRINT
}

void sim_counts_print_json(const sim_counts *counts, FILE *out, bool scenarios_only) {
    const char *separator = "";
    fputc('{', out);
#define SIM_COUNT_JSON(name, scenario)                                                     \
    if (!scenarios_only || (scenario)) {                                                   \
        fprintf(out, "%s\"" #name "\":%llu", separator, (unsigned long long)counts->name); \
        separator = ",";                                                                   \
    }
    SIM_COUNTS(SIM_COUNT_JSON)
#undef SIM_COUNT_JSON
    fputc('}', out);
}

bool sim_counts_equal(const sim_counts *a, const sim_counts *b) {
#define SIM_COUNT_EQUAL(name, scenario) \
    if (a->name != b->name) return false;
    SIM_COUNTS(SIM_COUNT_EQUAL)
#undef SIM_COUNT_EQUAL
    return true;
}
