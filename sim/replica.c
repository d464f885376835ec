/*
 * replica.c: one replica: applies the committed log, checkpoints its table to
 * its own storage, crashes and restarts from the durable checkpoint, detects
 * corrupted trailer blocks and repairs by state sync from a peer, catches up
 * by state sync when it lags. Every decision is checked where it is made.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_assert.h"
#include "sim_internal.h"
#include "testing/oracle.h"

typedef enum read_result { READ_OK, READ_CORRUPT, READ_FAILED } read_result;

enum { DOWN_STEPS_MAX = 16, BURST_MAX = 8 };

static unsigned long long ull(uint64_t value) { return (unsigned long long)value; }

bool sim_replica_init(sim *s, sim_replica *r, uint8_t index, uint64_t hash_seed) {
    memset(r, 0, sizeof(*r));
    r->index = index;
    r->hash_seed = hash_seed;
    if (!sim_table_init(s, &r->table, hash_seed)) return false;
    if (!sim_storage_init(&r->storage, s->config.block_size, s->block_count)) return false;
    r->trailer = malloc((size_t)s->trailer_size);
    r->blocks = malloc((size_t)s->block_count * s->config.block_size);
    return r->trailer != NULL && r->blocks != NULL;
}

void sim_replica_deinit(sim *s, sim_replica *r) {
    sim_table_deinit(s, &r->table);
    sim_storage_deinit(&r->storage);
    free(r->trailer);
    free(r->blocks);
    memset(r, 0, sizeof(*r));
}

/* ---- applying the log ---- */

static void check_decision(sim *s, const sim_replica *r, sim_op *op, uint64_t number,
                           const apply_decision *d) {
    const char *field = apply_decision_diff(&op->expected, d);
    if (field != NULL) {
        char what[96], expected[256], actual[256], signature[64];
        sim_op_text(op, what, sizeof(what));
        apply_decision_text(&op->expected, expected, sizeof(expected));
        apply_decision_text(d, actual, sizeof(actual));
        snprintf(signature, sizeof(signature), "decision.%s", field);
        bool peer = op->first_replica != SIM_REPLICA_NONE && op->first_replica != r->index;
        char first[64] = "the model";
        if (peer) snprintf(first, sizeof(first), "replica %u and the model", op->first_replica);
        sim_fail(s, signature, number, r->index,
                 "op %llu (%s): %s differs\n  replica %u: %s\n  %s: %s", ull(number), what, field,
                 r->index, actual, first, expected);
        return;
    }
    if (op->first_replica == SIM_REPLICA_NONE) op->first_replica = r->index;
}

static void replica_checkpoint(sim *s, sim_replica *r);

static void replica_apply_next(sim *s, sim_replica *r) {
    uint64_t number = r->op + 1;
    SIM_ASSERT(number <= s->config.ops);
    sim_op *op = &s->log[number];
    apply_decision d;
    /* Looking inside an eviction costs an encode: done on some first applications only. */
    bool first = op->first_replica == SIM_REPLICA_NONE;
    bool inspect = op->expected.evictee != 0 && first && pcg32_chance(&s->rng_checks, 1, 8);
    const char *anomaly = apply_core(r->table, &op->reply, &d, inspect ? s->scratch_trailer : NULL);
    s->counts.replica_ops++;
    if (number <= r->op_high) {
        s->counts.replayed_ops++;
    } else {
        r->op_high = number;
    }
    sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_APPLY,
                                   .replica = r->index,
                                   .outcome = d.outcome,
                                   .a = d.slot,
                                   .op = number,
                                   .b = d.evictee_slot,
                                   .c = d.evictee,
                                   .d = d.reply});
    if (anomaly != NULL) {
        sim_fail(s, "core.inconsistent", number, r->index, "op %llu: replica %u: %s", ull(number),
                 r->index, anomaly);
        return;
    }
    check_decision(s, r, op, number, &d);
    if (s->failure.failed) return;
    if (first) {
        sim_probe_after_apply(s, r, op, number);
        /* Reading text back costs more than the op: the first registrations, then 1 in 64. */
        if (op->expected.outcome == APPLY_REGISTERED &&
            (s->text_probes++ < 8 || s->text_probes % 64 == 0)) {
            sim_probe_id_text(s, op->client, number);
        }
        if (s->failure.failed) return;
    }
    r->op = number;
    if (number % s->config.checkpoint_interval == 0) replica_checkpoint(s, r);
}

/* ---- checkpoints ---- */

static void checkpoint_mismatch_model(sim *s, const sim_replica *r, uint64_t index) {
    uint8_t *expected = malloc((size_t)s->trailer_size);
    SIM_ASSERT(expected != NULL);
    char where[256] = "no byte differs";
    if (sim_model_encoding_at(s, r->op, expected)) {
        sim_trailer_diff(expected, r->trailer, s->config.clients_max, where, sizeof(where));
    }
    free(expected);
    sim_fail(s, "checkpoint.trailer", r->op, r->index,
             "checkpoint %llu (op %llu): replica %u's trailer differs from the model's: %s",
             ull(index), ull(r->op), r->index, where);
}

static const char *reference_diff(const vsr_trailer_reference *a, const vsr_trailer_reference *b) {
    if (a->size != b->size) return "size";
    if (a->checksum != b->checksum) return "checksum";
    if (a->last_block_address != b->last_block_address) return "last_block_address";
    if (a->last_block_checksum != b->last_block_checksum) return "last_block_checksum";
    return NULL;
}

/* decode(encode(table)) == table, through the bytes. */
static void check_roundtrip(sim *s, const sim_replica *r, const char *signature) {
    vsr_error error = client_sessions_decode(s->scratch_table, r->trailer, s->trailer_size);
    if (error.code != VSR_ERROR_OK) {
        char text[128];
        sim_fail(s, signature, r->op, r->index,
                 "op %llu: replica %u: decode(encode(table)) failed: %s", ull(r->op), r->index,
                 vsr_error_format(error, text, sizeof(text)));
        return;
    }
    client_sessions_encode(s->scratch_table, s->scratch_trailer, s->trailer_size);
    if (memcmp(s->scratch_trailer, r->trailer, (size_t)s->trailer_size) != 0) {
        char where[256];
        sim_trailer_diff(r->trailer, s->scratch_trailer, s->config.clients_max, where,
                         sizeof(where));
        sim_fail(s, signature, r->op, r->index,
                 "op %llu: replica %u: encode(decode(trailer)) != trailer: %s", ull(r->op),
                 r->index, where);
    }
}

/* The blocks just written name this run's cluster and release, their own addresses, and
 * the block before them; every one but the last is full, the last is not empty, and their
 * bodies add up to the trailer. */
static void check_block_headers(sim *s, const sim_replica *r, uint64_t index) {
    vsr_u128 previous = 0;
    uint64_t bodies = 0;
    for (uint32_t i = 0; i < s->block_count; i++) {
        vsr_header_block h;
        memcpy(&h, r->blocks + (size_t)i * s->config.block_size, sizeof(h));
        const char *field = NULL;
        if (h.cluster != s->config.cluster) field = "cluster";
        if (h.release != s->config.release) field = "release";
        if (h.address != s->addresses[i]) field = "address";
        if (h.previous_trailer_block_address != (i == 0 ? 0 : s->addresses[i - 1])) {
            field = "previous_trailer_block_address";
        }
        if (h.previous_trailer_block_checksum != previous)
            field = "previous_trailer_block_checksum";
        bool last = i + 1 == s->block_count;
        if (last ? h.size <= VSR_HEADER_SIZE : h.size != s->config.block_size) field = "size";
        bodies += h.size - (uint64_t)VSR_HEADER_SIZE;
        if (last && bodies != s->trailer_size) field = "size (the bodies add up to another size)";
        if (oracle_block_rules((const uint8_t *)&h) != 0) field = "a block rule";
        if (field != NULL) {
            sim_fail(s, "checkpoint.block_header", r->op, r->index,
                     "checkpoint %llu (op %llu): block %u of %u as written: %s is wrong",
                     ull(index), ull(r->op), i, s->block_count, field);
            return;
        }
        previous = h.checksum;
    }
}

static bool checkpoint_check(sim *s, const sim_replica *r, uint64_t index,
                             const vsr_trailer_reference *reference) {
    if (reference->checksum != s->checkpoint_checksums[index]) {
        checkpoint_mismatch_model(s, r, index);
        return false;
    }
    sim_checkpoint_first *first = &s->checkpoint_first[index];
    if (!first->recorded) {
        first->recorded = true;
        first->replica = r->index;
        first->reference = *reference;
        /* Later writers' bytes equal these (same checksums): decoding them again would
         * prove nothing new, so the round trip runs once per checkpoint. */
        check_block_headers(s, r, index);
        if (!s->failure.failed) check_roundtrip(s, r, "checkpoint.roundtrip");
        if (!s->failure.failed) sim_check_decode_rejects(s, r);
        /* The resealed copies cost three reads of the trailer: the first checkpoints, then
         * 1 in 8. */
        if (!s->failure.failed && (index <= 4 || pcg32_chance(&s->rng_checks, 1, 8))) {
            sim_check_resealed(s, r);
        }
        if (!s->failure.failed && index == 1) sim_check_filled(s, r);
    } else {
        const char *field = reference_diff(&first->reference, reference);
        if (field != NULL) {
            sim_fail(
                s, "checkpoint.blocks", r->op, r->index,
                "checkpoint %llu (op %llu): replicas %u and %u wrote different trailer blocks: "
                "reference %s differs",
                ull(index), ull(r->op), first->replica, r->index, field);
            return false;
        }
    }
    return !s->failure.failed;
}

static void replica_crash_state(sim *s, sim_replica *r) {
    r->down = true;
    r->down_until = s->step + 1 + pcg32_bounded(&s->rng_faults, DOWN_STEPS_MAX);
    /* Memory is lost; only the superblock and storage survive. */
    client_sessions_reset(r->table);
    r->op = r->superblock.checkpoint_op;
    r->needs_repair = false;
    r->check_lag = false;
    s->counts.crashes++;
}

/* Writes the first new_bytes of block i: all of it normally; fewer for a torn write
 * (the old bytes stay after them); none for a lost write (the old block stays, still
 * valid on its own). True if storage now differs from the intended block. */
static bool write_block(sim *s, sim_replica *r, uint32_t area, uint32_t block, uint32_t new_bytes) {
    uint32_t size = s->config.block_size;
    uint8_t *target = sim_storage_block(&r->storage, area, block);
    const uint8_t *source = r->blocks + (size_t)block * size;
    bool *written = &r->storage.written[sim_storage_address(&r->storage, area, block) - 1];
    memcpy(target, source, new_bytes);
    if (new_bytes == size) {
        *written = true;
        return false;
    }
    if (!*written && new_bytes == 0) return true; /* lost before ever written: missing */
    *written = true;
    return memcmp(target, source, size) != 0;
}

/* Fault budgets never wrap: a checkpoint may both tear and crash on the last unit. */
static void fault_spend(sim *s) {
    if (s->faults_left > 0) s->faults_left--;
}

static void checkpoint_store(sim *s, sim_replica *r, uint64_t index, uint32_t area,
                             const vsr_trailer_reference *reference) {
    uint32_t n = s->block_count;
    uint32_t size = s->config.block_size;
    bool faults = s->faults_left > 0;
    bool crash =
        faults && pcg32_chance(&s->rng_faults, s->config.p_crash_checkpoint, SIM_PER_MILLE);
    bool torn = faults && pcg32_chance(&s->rng_faults, s->config.p_torn, SIM_PER_MILLE);
    uint32_t written = crash ? pcg32_bounded(&s->rng_faults, n + 1) : n;
    uint32_t torn_block = torn ? pcg32_bounded(&s->rng_faults, n) : UINT32_MAX;
    uint32_t torn_bytes = 0; /* one torn write in four is a lost write */
    if (torn && !pcg32_chance(&s->rng_faults, 1, 4)) {
        torn_bytes = pcg32_range(&s->rng_faults, 1, size - 1);
    }
    r->storage.area_corrupt[area] = false;
    for (uint32_t block = 0; block < written; block++) {
        if (!write_block(s, r, area, block, block == torn_block ? torn_bytes : size)) continue;
        /* Silent: the device reports success, a later read must notice. */
        r->storage.area_corrupt[area] = true;
        s->counts.torn_writes++;
        fault_spend(s);
        sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_TORN_WRITE,
                                       .replica = r->index,
                                       .a = block,
                                       .op = r->op,
                                       .b = torn_bytes});
    }
    if (crash) {
        /* The superblock still names the previous checkpoint, in the other area. */
        r->storage.area_corrupt[area] = true;
        fault_spend(s);
        s->counts.crashes_mid_checkpoint++;
        sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_CRASH_CHECKPOINT,
                                       .replica = r->index,
                                       .a = written,
                                       .op = r->op});
        replica_crash_state(s, r);
        return;
    }
    r->superblock = (sim_superblock){
        .checkpoint_index = index, .checkpoint_op = r->op, .reference = *reference};
}

static void replica_checkpoint(sim *s, sim_replica *r) {
    uint64_t index = r->op / s->config.checkpoint_interval;
    /* Every path that moves the superblock keeps the next checkpoint at index + 1, so the
     * area written (index % 2) is never the durable one. */
    SIM_ASSERT(index == r->superblock.checkpoint_index + 1);
    SIM_ASSERT(index < s->checkpoint_count);
    uint32_t area = (uint32_t)(index % 2);
    client_sessions_encode(r->table, r->trailer, s->trailer_size);
    for (uint32_t i = 0; i < s->block_count; i++) {
        s->addresses[i] = sim_storage_address(&r->storage, area, i);
    }
    vsr_trailer_reference reference;
    vsr_trailer_write(r->trailer, s->trailer_size, s->config.block_size, s->config.cluster,
                      s->config.release, s->addresses, r->blocks, &reference);
    s->counts.checkpoints++;
    if (s->block_count > 1) s->counts.multi_block_trailers++;
    sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_CHECKPOINT,
                                   .replica = r->index,
                                   .a = (uint32_t)index,
                                   .op = r->op,
                                   .b = reference.size,
                                   .c = reference.checksum,
                                   .d = reference.last_block_checksum});
    if (!checkpoint_check(s, r, index, &reference)) return;
    checkpoint_store(s, r, index, area, &reference);
}

/* ---- reading checkpoints back ---- */

static bool error_is_block_level(vsr_error_code code) {
    return code >= VSR_ERROR_BLOCK_MISSING && code <= VSR_ERROR_BLOCK_CHAIN;
}

/* Reads owner's durable trailer into out; a failure must match what was done to the blocks. */
static read_result read_checkpoint(sim *s, const sim_replica *reader, sim_replica *owner,
                                   uint8_t *out) {
    const sim_superblock *sb = &owner->superblock;
    SIM_ASSERT(sb->checkpoint_index > 0);
    bool corrupt = owner->storage.area_corrupt[sb->checkpoint_index % 2];
    vsr_error error = vsr_trailer_read(&sb->reference, s->config.block_size, sim_storage_lookup,
                                       &owner->storage, out, s->trailer_size);
    char text[128];
    vsr_error_format(error, text, sizeof(text));
    if (error.code == VSR_ERROR_OK && corrupt) {
        sim_fail(s, "corruption.undetected", sb->checkpoint_op, owner->index,
                 "replica %u read replica %u's checkpoint %llu (op %llu) without error, but its "
                 "blocks were corrupted (torn write or bit flip)",
                 reader->index, owner->index, ull(sb->checkpoint_index), ull(sb->checkpoint_op));
        return READ_FAILED;
    }
    if (error.code == VSR_ERROR_OK) {
        sim_probe_error_text(s, error, sb->checkpoint_op, owner->index); /* "ok" reads back */
        return READ_OK;
    }
    if (!corrupt || (error_is_block_level(error.code) && error.block_address == 0)) {
        sim_fail(s, corrupt ? "corruption.error_without_address" : "storage.spurious_error",
                 sb->checkpoint_op, owner->index,
                 "replica %u reading replica %u's checkpoint %llu (op %llu): %s (blocks %s)",
                 reader->index, owner->index, ull(sb->checkpoint_index), ull(sb->checkpoint_op),
                 text, corrupt ? "were corrupted" : "are intact");
        return READ_FAILED;
    }
    s->counts.corruptions_detected++;
    sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_CORRUPTION_DETECTED,
                                   .replica = owner->index,
                                   .outcome = reader->index,
                                   .a = (uint32_t)error.code,
                                   .op = sb->checkpoint_op,
                                   .b = error.block_address});
    sim_probe_error_text(s, error, sb->checkpoint_op, owner->index);
    return READ_CORRUPT;
}

/* Installs r->trailer (verified bytes of r->superblock's checkpoint) as r's table. */
static void install_trailer(sim *s, sim_replica *r) {
    const sim_superblock *sb = &r->superblock;
    r->op = sb->checkpoint_op;
    if (sb->reference.checksum != s->checkpoint_checksums[sb->checkpoint_index]) {
        checkpoint_mismatch_model(s, r, sb->checkpoint_index);
        return;
    }
    vsr_error error = client_sessions_decode(r->table, r->trailer, sb->reference.size);
    if (error.code != VSR_ERROR_OK) {
        char text[128];
        sim_fail(s, "restore.decode", r->op, r->index,
                 "replica %u: decode rejected its verified checkpoint %llu (op %llu): %s", r->index,
                 ull(sb->checkpoint_index), ull(r->op),
                 vsr_error_format(error, text, sizeof(text)));
        return;
    }
    /* Sessions survive the trip through storage exactly: re-encoding gives the same bytes. */
    client_sessions_encode(r->table, s->scratch_trailer, s->trailer_size);
    if (memcmp(s->scratch_trailer, r->trailer, (size_t)s->trailer_size) != 0) {
        char where[256];
        sim_trailer_diff(r->trailer, s->scratch_trailer, s->config.clients_max, where,
                         sizeof(where));
        sim_fail(s, "restore.session_lost", r->op, r->index,
                 "replica %u restored checkpoint %llu (op %llu) differently: %s", r->index,
                 ull(sb->checkpoint_index), ull(r->op), where);
    }
}

/* ---- state sync ---- */

static sim_replica *sync_source(sim *s, const sim_replica *r, sim_sync_purpose purpose,
                                uint32_t tried) {
    sim_replica *best = NULL;
    for (uint32_t i = 0; i < s->config.replicas; i++) {
        sim_replica *peer = &s->replicas[i];
        if (peer == r || (tried & (1u << i)) != 0) continue;
        if (peer->superblock.checkpoint_index == 0) continue;
        if (purpose == SIM_SYNC_LAG && peer->superblock.checkpoint_op <= r->op) continue;
        if (best == NULL || peer->superblock.checkpoint_index > best->superblock.checkpoint_index) {
            best = peer;
        }
    }
    return best;
}

static void sync_install(sim *s, sim_replica *r, sim_replica *source, sim_sync_purpose purpose) {
    uint32_t area = (uint32_t)(source->superblock.checkpoint_index % 2);
    for (uint32_t block = 0; block < s->block_count; block++) {
        memcpy(sim_storage_block(&r->storage, area, block),
               sim_storage_block(&source->storage, area, block), s->config.block_size);
        r->storage.written[sim_storage_address(&r->storage, area, block) - 1] = true;
    }
    r->storage.area_corrupt[area] = false;
    r->superblock = source->superblock;
    if (purpose == SIM_SYNC_LAG) {
        s->counts.lag_syncs++;
    } else {
        s->counts.repair_syncs++;
    }
    sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_SYNC,
                                   .replica = r->index,
                                   .outcome = (uint8_t)purpose,
                                   .a = source->index,
                                   .op = r->superblock.checkpoint_op});
    install_trailer(s, r);
}

/* No peer has a readable checkpoint: start over from the empty table and replay the log. */
static void sync_genesis(sim *s, sim_replica *r) {
    memset(&r->superblock, 0, sizeof(r->superblock));
    client_sessions_reset(r->table);
    r->op = 0;
    s->counts.genesis_syncs++;
    sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_SYNC,
                                   .replica = r->index,
                                   .outcome = SIM_SYNC_REPAIR,
                                   .a = SIM_REPLICA_NONE});
}

static void replica_sync(sim *s, sim_replica *r, sim_sync_purpose purpose) {
    r->needs_repair = false;
    uint32_t tried = 0;
    for (uint32_t attempt = 0; attempt < s->config.replicas; attempt++) {
        sim_replica *source = sync_source(s, r, purpose, tried);
        if (source == NULL) break;
        tried |= 1u << source->index;
        read_result read = read_checkpoint(s, r, source, r->trailer);
        if (read == READ_FAILED) return;
        if (read == READ_CORRUPT) {
            /* The source learns its checkpoint is bad and repairs itself when it next runs. */
            source->needs_repair = true;
            source->done = false;
            continue;
        }
        sync_install(s, r, source, purpose);
        return;
    }
    if (purpose == SIM_SYNC_REPAIR) sync_genesis(s, r);
}

/* ---- faults and recovery ---- */

static void replica_restart(sim *s, sim_replica *r) {
    r->down = false;
    s->counts.restarts++;
    const sim_superblock *sb = &r->superblock;
    sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_RESTART,
                                   .replica = r->index,
                                   .a = (uint32_t)sb->checkpoint_index,
                                   .op = sb->checkpoint_op});
    client_sessions_reset(r->table);
    r->op = 0;
    r->check_lag = true;
    if (sb->checkpoint_index == 0) return;
    read_result read = read_checkpoint(s, r, r, r->trailer);
    if (read == READ_OK) install_trailer(s, r);
    if (read == READ_CORRUPT) replica_sync(s, r, SIM_SYNC_REPAIR);
}

static void replica_crash(sim *s, sim_replica *r) {
    sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_CRASH, .replica = r->index, .op = r->op});
    replica_crash_state(s, r);
}

/* Flips one bit that the trailer's checksums cover (header or body, not the zero tail). */
static bool replica_bit_flip(sim *s, sim_replica *r) {
    if (r->superblock.checkpoint_index == 0) return false;
    uint32_t area = (uint32_t)(r->superblock.checkpoint_index % 2);
    uint32_t block = pcg32_bounded(&s->rng_faults, s->block_count);
    uint32_t covered =
        VSR_HEADER_SIZE + sim_block_body_size(s->trailer_size, s->config.block_size, block);
    uint32_t byte = pcg32_bounded(&s->rng_faults, covered);
    uint32_t bit = pcg32_bounded(&s->rng_faults, 8);
    sim_storage_block(&r->storage, area, block)[byte] ^= (uint8_t)(1u << bit);
    r->storage.area_corrupt[area] = true;
    s->counts.bit_flips++;
    sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_BIT_FLIP,
                                   .replica = r->index,
                                   .a = block,
                                   .op = r->superblock.checkpoint_op,
                                   .b = (uint64_t)byte * 8 + bit});
    return true;
}

/* Verifies the durable checkpoint at rest, as a background scrubber would. */
static void replica_scrub(sim *s, sim_replica *r) {
    s->counts.scrubs++;
    sim_event_emit(s, &(sim_event){.kind = SIM_EVENT_SCRUB,
                                   .replica = r->index,
                                   .op = r->superblock.checkpoint_op});
    if (r->superblock.checkpoint_index == 0) return;
    read_result read = read_checkpoint(s, r, r, s->scratch_trailer);
    if (read == READ_CORRUPT) replica_sync(s, r, SIM_SYNC_REPAIR);
}

static void replica_pause(sim *s, sim_replica *r) {
    /* Long enough for the peers to move a few checkpoints ahead. */
    uint64_t span = (uint64_t)s->config.checkpoint_interval * s->config.replicas;
    uint64_t steps = span / 2 + pcg32_bounded(&s->rng_faults, (uint32_t)(2 * span + 1));
    r->paused_until = s->step + 1 + steps;
    r->check_lag = true;
    s->counts.pauses++;
    sim_event_emit(
        s, &(sim_event){.kind = SIM_EVENT_PAUSE, .replica = r->index, .op = r->op, .b = steps});
}

/* A fault drawn for this step; true if it used the step up. */
static bool replica_step_fault(sim *s, sim_replica *r) {
    const sim_config *c = &s->config;
    if (s->faults_left == 0 || c->p_crash + c->p_bit_flip + c->p_pause + c->p_scrub == 0)
        return false;
    uint32_t roll = pcg32_bounded(&s->rng_faults, SIM_PER_MILLE);
    if (roll < c->p_crash) {
        s->faults_left--;
        replica_crash(s, r);
        return true;
    }
    roll -= c->p_crash;
    if (roll < c->p_bit_flip) {
        if (replica_bit_flip(s, r)) s->faults_left--;
        return false;
    }
    roll -= c->p_bit_flip;
    if (roll < c->p_pause) {
        if (c->replicas == 1) return false; /* nobody to lag behind */
        s->faults_left--;
        replica_pause(s, r);
        return true;
    }
    roll -= c->p_pause;
    if (roll < c->p_scrub) {
        replica_scrub(s, r);
        return true;
    }
    return false;
}

static bool replica_lagging(const sim *s, const sim_replica *r) {
    uint64_t ahead = 0;
    for (uint32_t i = 0; i < s->config.replicas; i++) {
        const sim_replica *peer = &s->replicas[i];
        if (peer != r && !peer->down && peer->op > ahead) ahead = peer->op;
    }
    return ahead > r->op + 2 * (uint64_t)s->config.checkpoint_interval;
}

/* --inject-bit-flip: the forced corruption of a test, then a scrub that must catch it. */
static void replica_maybe_inject(sim *s, sim_replica *r) {
    if (!s->inject_pending || r->index != s->config.inject_bit_flip_replica) return;
    if (r->op < s->config.inject_bit_flip_op || r->superblock.checkpoint_index == 0) return;
    s->inject_pending = false;
    replica_bit_flip(s, r);
    replica_scrub(s, r);
}

static void replica_finish(sim *s, sim_replica *r) {
    replica_scrub(s, r);
    if (s->failure.failed || r->down || r->needs_repair) return;
    if (r->op == s->config.ops) r->done = true;
}

void sim_replica_step(sim *s, sim_replica *r) {
    SIM_ASSERT(!r->done);
    if (r->down) {
        if (s->step >= r->down_until) replica_restart(s, r);
        return;
    }
    if (s->step < r->paused_until) return;
    if (r->needs_repair) {
        replica_sync(s, r, SIM_SYNC_REPAIR);
        return;
    }
    if (r->check_lag) {
        r->check_lag = false;
        if (replica_lagging(s, r)) {
            replica_sync(s, r, SIM_SYNC_LAG);
            return;
        }
    }
    if (r->op < s->config.ops && replica_step_fault(s, r)) return;
    uint32_t burst = 1 + pcg32_bounded(&s->rng_schedule, BURST_MAX);
    for (uint32_t i = 0; i < burst && r->op < s->config.ops; i++) {
        replica_apply_next(s, r);
        if (s->failure.failed || r->down) return;
    }
    replica_maybe_inject(s, r);
    if (!s->failure.failed && !r->down && !r->needs_repair && r->op == s->config.ops) {
        replica_finish(s, r);
    }
}

/* The end state: every replica holds exactly the model's table. */
bool sim_replica_final_check(sim *s, sim_replica *r) {
    SIM_ASSERT(r->op == s->config.ops);
    client_sessions_encode(r->table, r->trailer, s->trailer_size);
    model_encode(&s->model, s->scratch_trailer, s->trailer_size);
    if (memcmp(r->trailer, s->scratch_trailer, (size_t)s->trailer_size) != 0) {
        char where[256];
        sim_trailer_diff(s->scratch_trailer, r->trailer, s->config.clients_max, where,
                         sizeof(where));
        sim_fail(s, "final.state", r->op, r->index,
                 "replica %u's final table differs from the model: %s", r->index, where);
        return false;
    }
    client_sessions_iterator it;
    client_sessions_entry entry;
    uint32_t seen = 0;
    client_sessions_iterator_init(&it, r->table);
    for (uint32_t i = 0; i <= s->config.clients_max && client_sessions_iterator_next(&it, &entry);
         i++) {
        const model_slot *slot =
            entry.slot < s->model.clients_max ? &s->model.slots[entry.slot] : NULL;
        if (slot == NULL || slot->session != entry.session ||
            memcmp(&slot->header, entry.header, sizeof(slot->header)) != 0) {
            sim_fail(s, "final.iterator", r->op, r->index,
                     "replica %u: the iterator's entry at slot %" PRIu32 " differs from the model",
                     r->index, entry.slot);
            return false;
        }
        seen++;
    }
    if (seen != s->model.count || client_sessions_count(r->table) != s->model.count) {
        sim_fail(s, "final.count", r->op, r->index,
                 "replica %u: count %" PRIu32 ", iterator saw %" PRIu32 ", model has %" PRIu32,
                 r->index, client_sessions_count(r->table), seen, s->model.count);
        return false;
    }
    return true;
}
