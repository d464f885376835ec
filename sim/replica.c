/*
 * replica.c: the replicas of a run (replica.h). A replica applies the committed log,
 * checkpoints its table to its own storage, crashes and restarts from the durable
 * checkpoint, detects corrupted trailer blocks and repairs by state sync from a peer,
 * catches up by state sync when it lags. Every decision is handed to a check where it is
 * made; a function that returns bool returns false when a check failed.
 */
#include "replica.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "probe.h"
#include "reject.h"
#include "sim_assert.h"

typedef enum read_result { READ_OK, READ_CORRUPT, READ_FAILED } read_result;

enum { DOWN_STEPS_MAX = 16, BURST_MAX = 8 };

static void emit(sim_cluster *c, const sim_event *event) {
    sim_trace_emit(c->trace, c->step, event);
}

bool sim_replica_init(sim_cluster *c, sim_replica *r, uint8_t index, uint64_t hash_seed) {
    memset(r, 0, sizeof(*r));
    r->index = index;
    r->hash_seed = hash_seed;
    if (!sim_heap_table_init(c->heap, &r->table, hash_seed)) return false;
    if (!sim_storage_init(&r->storage, c->config->block_size, c->block_count)) return false;
    r->trailer = malloc((size_t)c->trailer_size);
    r->blocks = malloc((size_t)c->block_count * c->config->block_size);
    return r->trailer != NULL && r->blocks != NULL;
}

void sim_replica_deinit(sim_replica *r) {
    sim_storage_deinit(&r->storage);
    free(r->trailer);
    free(r->blocks);
    r->trailer = NULL;
    r->blocks = NULL;
}

/* ---- applying the log ---- */

static bool replica_checkpoint(sim_cluster *c, sim_replica *r);

/* The questions asked after the first application of an op. */
static bool probe_first_application(sim_cluster *c, const sim_replica *r, const sim_op *op,
                                    uint64_t number) {
    if (!sim_probe_after_apply(r->table, r->index, op, number, c->failure)) return false;
    /* Reading text back costs more than the op: the first registrations, then 1 in 64. */
    if (op->expected.outcome == APPLY_REGISTERED &&
        (c->text_probes++ < 8 || c->text_probes % 64 == 0)) {
        return sim_probe_id_text(op->client, number, c->failure);
    }
    return true;
}

static bool replica_apply_next(sim_cluster *c, sim_replica *r) {
    uint64_t number = r->op + 1;
    SIM_ASSERT(number <= c->config->ops);
    sim_op *op = &c->log->ops[number];
    apply_decision d;
    /* Looking inside an eviction costs an encode: done on some first applications only. */
    bool first = op->first_replica == SIM_REPLICA_NONE;
    bool inspect = op->expected.evictee != 0 && first && pcg32_chance(&c->rng_checks, 1, 8);
    const char *anomaly = apply_core(r->table, &op->reply, &d, inspect ? c->scratch_trailer : NULL);
    c->counts->replica_ops++;
    if (number <= r->op_high) {
        c->counts->replayed_ops++;
    } else {
        r->op_high = number;
    }
    emit(c, &(sim_event){.kind = SIM_EVENT_APPLY,
                         .replica = r->index,
                         .outcome = d.outcome,
                         .a = d.slot,
                         .op = number,
                         .b = d.evictee_slot,
                         .c = d.evictee,
                         .d = d.reply});
    if (anomaly != NULL) {
        return sim_fail(c->failure, "core.inconsistent", number, r->index,
                        "op %" PRIu64 ": replica %u: %s", number, r->index, anomaly);
    }
    if (!sim_check_decision(op, number, r->index, &d, c->failure)) return false;
    if (first) {
        op->first_replica = r->index;
        if (!probe_first_application(c, r, op, number)) return false;
    }
    r->op = number;
    if (number % c->config->checkpoint_interval == 0) return replica_checkpoint(c, r);
    return true;
}

/* ---- checkpoints ---- */

/* The decoder shown one defect of the fresh trailer: the decode_reject event, judged. */
static bool check_reject(sim_cluster *c, const sim_replica *r) {
    sim_rejected rejected;
    bool ok = sim_check_reject(c->scratch_table, c->scratch_trailer, r->trailer, c->trailer_size,
                               &c->rng_checks, r->op, r->index, &rejected, c->failure);
    if (!rejected.shown) return ok;
    c->counts->decode_rejections++;
    emit(c, &(sim_event){.kind = SIM_EVENT_DECODE_REJECT,
                         .replica = r->index,
                         .outcome = (uint8_t)rejected.defect,
                         .a = rejected.error.slot,
                         .op = r->op,
                         .b = (uint64_t)rejected.error.code});
    return ok && sim_probe_error_text(rejected.error, r->op, r->index, c->failure);
}

/* Once per run (the first checkpoint): what the CPU's checksum computed for the trailer and
 * its first block, against the portable implementation. The first block's body must be the
 * trailer's first bytes; once it is, one portable pass over the trailer gives both. */
static bool check_portable(sim_cluster *c, const sim_replica *r, const uint8_t *blocks,
                           const vsr_trailer_reference *reference) {
    uint32_t body = sim_block_body_size(c->trailer_size, c->config->block_size, 0);
    vsr_header_block first;
    memcpy(&first, blocks, sizeof(first));
    if (memcmp(blocks + VSR_HEADER_SIZE, r->trailer, body) != 0) {
        return sim_fail(c->failure, "checkpoint.block_body", r->op, r->index,
                        "op %" PRIu64 ": the first block's body is not the trailer's first %u "
                        "bytes",
                        r->op, body);
    }
    return sim_check_checksum_portable_prefix(
               r->trailer, (size_t)c->trailer_size, reference->checksum, "the trailer", body,
               first.checksum_body, "the first block's body", r->op, r->index, c->failure) &&
           sim_check_checksum_portable(blocks + 16, VSR_HEADER_SIZE - 16, first.checksum,
                                       "the first block's header", r->op, r->index, c->failure);
}

/* The first writer of a checkpoint: its blocks as written, the round trip, the decoder
 * shown a defect and (the first checkpoints, then 1 in 8) resealed edits, and once per run
 * the full table. Later writers' bytes equal these (same checksums): checking them again
 * would prove nothing new. */
static bool check_first_writer(sim_cluster *c, const sim_replica *r, uint64_t index,
                               const uint8_t *blocks, const vsr_trailer_reference *reference) {
    const sim_config *config = c->config;
    const sim_written written = {blocks,          c->block_count,  config->block_size, c->addresses,
                                 c->trailer_size, config->cluster, config->release};
    uint64_t *judged = &c->counts->decode_rejections;
    if (!sim_check_block_headers(&written, index, r->op, r->index, c->failure) ||
        !sim_check_roundtrip(c->scratch_table, c->scratch_trailer, r->trailer, c->trailer_size,
                             "checkpoint.roundtrip", r->op, r->index, c->failure) ||
        !check_reject(c, r)) {
        return false;
    }
    /* The resealed copies cost three reads of the trailer: the first checkpoints, then
     * 1 in 8. */
    if ((index <= 4 || pcg32_chance(&c->rng_checks, 1, 8)) &&
        !sim_reseal_check(&c->reseal, &c->rng_checks, &(sim_fresh){r->trailer, blocks, reference},
                          r->op, r->index, judged, c->failure)) {
        return false;
    }
    return index != 1 ||
           (check_portable(c, r, blocks, reference) &&
            sim_reseal_filled(&c->reseal, r->trailer, r->op, r->index, judged, c->failure));
}

static bool checkpoint_check(sim_cluster *c, const sim_replica *r, uint64_t index,
                             const vsr_trailer_reference *reference, const uint8_t *blocks) {
    if (!sim_check_trailer_checksum(c->log, c->config->clients_max, index, r->op, r->index,
                                    reference->checksum, r->trailer, c->failure)) {
        return false;
    }
    sim_checkpoint_first *first = &c->checkpoint_first[index];
    if (first->recorded) {
        return sim_check_same_reference(&first->reference, first->replica, reference, index, r->op,
                                        r->index, c->failure);
    }
    first->recorded = true;
    first->replica = r->index;
    first->reference = *reference;
    return check_first_writer(c, r, index, blocks, reference);
}

static void replica_crash_state(sim_cluster *c, sim_replica *r) {
    r->down = true;
    r->down_until = c->step + 1 + pcg32_bounded(&c->rng_faults, DOWN_STEPS_MAX);
    /* Memory is lost; only the superblock and storage survive. */
    client_sessions_reset(r->table);
    r->op = r->superblock.checkpoint_op;
    r->needs_repair = false;
    r->check_lag = false;
    c->counts->crashes++;
}

/* The bytes of block i that a write sets: its header and body. The rest of a block is zero
 * in every block written and on storage, so it is neither copied nor compared. */
static uint32_t block_used(const sim_cluster *c, uint32_t block) {
    return VSR_HEADER_SIZE + sim_block_body_size(c->trailer_size, c->config->block_size, block);
}

/* The faults of one checkpoint's write, drawn before it: a crash after `written` blocks, and
 * a block of which only torn_bytes reach storage (0: a lost write), or none. */
typedef struct write_faults {
    bool crash;
    uint32_t written;
    uint32_t torn_block; /* UINT32_MAX: none */
    uint32_t torn_bytes;
} write_faults;

static write_faults draw_write_faults(sim_cluster *c) {
    uint32_t n = c->block_count;
    bool faults = c->faults_left > 0;
    write_faults w = {false, n, UINT32_MAX, 0};
    w.crash = faults && pcg32_chance(&c->rng_faults, c->config->p_crash_checkpoint, SIM_PER_MILLE);
    bool torn = faults && pcg32_chance(&c->rng_faults, c->config->p_torn, SIM_PER_MILLE);
    if (w.crash) w.written = pcg32_bounded(&c->rng_faults, n + 1);
    if (torn) w.torn_block = pcg32_bounded(&c->rng_faults, n);
    /* one torn write in four is a lost write */
    if (torn && !pcg32_chance(&c->rng_faults, 1, 4)) {
        w.torn_bytes = pcg32_range(&c->rng_faults, 1, c->config->block_size - 1);
    }
    return w;
}

/* Whether block i keeps (some of) its old bytes under the faults: past a crash, or torn. */
static bool block_keeps_old(const write_faults *w, uint32_t block) {
    return block >= w->written || block == w->torn_block;
}

/* The blocks are written straight to storage; what the faults keep of the old bytes is
 * saved in r->blocks first, and put back by checkpoint_store. */
static void save_old_blocks(const sim_cluster *c, sim_replica *r, const uint8_t *area_bytes,
                            const write_faults *w) {
    for (uint32_t block = 0; block < c->block_count; block++) {
        if (!block_keeps_old(w, block)) continue;
        size_t at = (size_t)block * c->config->block_size;
        memcpy(r->blocks + at, area_bytes + at, block_used(c, block));
    }
}

/* The first writer of a checkpoint writes over a last block whose bytes past the body are
 * not zero, so that check_first_writer sees vsr_trailer_write zero them (a device gets the
 * same bytes whatever the buffer held). Storage keeps them zero otherwise. */
static void dirty_tail(const sim_cluster *c, uint8_t *area_bytes) {
    uint32_t last = c->block_count - 1, used = block_used(c, last);
    memset(area_bytes + (size_t)last * c->config->block_size + used, 0xa5,
           c->config->block_size - used);
}

/* Block `block` torn after torn_bytes: the old bytes after them come back. True if storage
 * now differs from the intended block. */
static bool tear_block(const sim_cluster *c, sim_replica *r, uint8_t *target, uint32_t block,
                       uint32_t torn_bytes) {
    const uint8_t *old = r->blocks + (size_t)block * c->config->block_size;
    uint32_t used = block_used(c, block);
    if (torn_bytes >= used) return false;
    bool differs = memcmp(target + torn_bytes, old + torn_bytes, used - torn_bytes) != 0;
    memcpy(target + torn_bytes, old + torn_bytes, used - torn_bytes);
    return differs;
}

/* Fault budgets never wrap: a checkpoint may both tear and crash on the last unit. */
static void fault_spend(sim_cluster *c) {
    if (c->faults_left > 0) c->faults_left--;
}

/* Checkpoint `index`, just written to area, made durable under its faults: a lost or torn
 * block keeps old bytes (silently: the device reports success, a later read must notice),
 * the blocks past a crash keep theirs and the superblock still names the checkpoint before.
 */
static void checkpoint_store(sim_cluster *c, sim_replica *r, uint64_t index, uint32_t area,
                             const vsr_trailer_reference *reference, const write_faults *w) {
    r->storage.area_corrupt[area] = false;
    for (uint32_t block = 0; block < w->written; block++) {
        uint8_t *target = sim_storage_block(&r->storage, area, block);
        bool *written = &r->storage.written[sim_storage_address(&r->storage, area, block) - 1];
        bool differs = false;
        if (block == w->torn_block && !*written && w->torn_bytes == 0) {
            tear_block(c, r, target, block, 0); /* lost before ever written: missing */
            differs = true;
        } else {
            if (block == w->torn_block) differs = tear_block(c, r, target, block, w->torn_bytes);
            *written = true;
        }
        if (!differs) continue;
        r->storage.area_corrupt[area] = true;
        c->counts->torn_writes++;
        fault_spend(c);
        emit(c, &(sim_event){.kind = SIM_EVENT_TORN_WRITE,
                             .replica = r->index,
                             .a = block,
                             .op = r->op,
                             .b = w->torn_bytes});
    }
    for (uint32_t block = w->written; block < c->block_count; block++) {
        tear_block(c, r, sim_storage_block(&r->storage, area, block), block, 0);
    }
    if (w->crash) {
        /* The superblock still names the previous checkpoint, in the other area. */
        r->storage.area_corrupt[area] = true;
        fault_spend(c);
        c->counts->crashes_mid_checkpoint++;
        emit(c, &(sim_event){.kind = SIM_EVENT_CRASH_CHECKPOINT,
                             .replica = r->index,
                             .a = w->written,
                             .op = r->op});
        replica_crash_state(c, r);
        return;
    }
    r->superblock = (sim_superblock){
        .checkpoint_index = index, .checkpoint_op = r->op, .reference = *reference};
}

static bool replica_checkpoint(sim_cluster *c, sim_replica *r) {
    const sim_config *config = c->config;
    uint64_t index = r->op / config->checkpoint_interval;
    /* Every path that moves the superblock keeps the next checkpoint at index + 1, so the
     * area written (index % 2) is never the durable one. */
    SIM_ASSERT(index == r->superblock.checkpoint_index + 1);
    SIM_ASSERT(index < c->log->checkpoint_count);
    uint32_t area = (uint32_t)(index % 2);
    client_sessions_encode(r->table, r->trailer, c->trailer_size);
    for (uint32_t i = 0; i < c->block_count; i++) {
        c->addresses[i] = sim_storage_address(&r->storage, area, i);
    }
    write_faults faults = draw_write_faults(c);
    uint8_t *area_bytes = sim_storage_block(&r->storage, area, 0);
    save_old_blocks(c, r, area_bytes, &faults);
    if (!c->checkpoint_first[index].recorded) dirty_tail(c, area_bytes);
    vsr_trailer_reference reference;
    vsr_trailer_write(r->trailer, c->trailer_size, config->block_size, config->cluster,
                      config->release, c->addresses, area_bytes, &reference);
    c->counts->checkpoints++;
    if (c->block_count > 1) c->counts->multi_block_trailers++;
    emit(c, &(sim_event){.kind = SIM_EVENT_CHECKPOINT,
                         .replica = r->index,
                         .a = (uint32_t)index,
                         .op = r->op,
                         .b = reference.size,
                         .c = reference.checksum,
                         .d = reference.last_block_checksum});
    if (!checkpoint_check(c, r, index, &reference, area_bytes)) return false;
    checkpoint_store(c, r, index, area, &reference, &faults);
    return true;
}

/* ---- reading checkpoints back ---- */

static bool error_is_block_level(vsr_error_code code) {
    return code >= VSR_ERROR_BLOCK_MISSING && code <= VSR_ERROR_BLOCK_CHAIN;
}

/* A read that failed must name a block, and only of an area whose blocks were damaged. */
static read_result read_failed(sim_cluster *c, const sim_replica *reader, const sim_replica *owner,
                               vsr_error error, bool corrupt) {
    const sim_superblock *sb = &owner->superblock;
    char text[128];
    vsr_error_format(error, text, sizeof(text));
    if (!corrupt || (error_is_block_level(error.code) && error.block_address == 0)) {
        sim_fail(c->failure,
                 corrupt ? "corruption.error_without_address" : "storage.spurious_error",
                 sb->checkpoint_op, owner->index,
                 "replica %u reading replica %u's checkpoint %" PRIu64 " (op %" PRIu64
                 "): %s (blocks %s)",
                 reader->index, owner->index, sb->checkpoint_index, sb->checkpoint_op, text,
                 corrupt ? "were corrupted" : "are intact");
        return READ_FAILED;
    }
    c->counts->corruptions_detected++;
    emit(c, &(sim_event){.kind = SIM_EVENT_CORRUPTION_DETECTED,
                         .replica = owner->index,
                         .outcome = reader->index,
                         .a = (uint32_t)error.code,
                         .op = sb->checkpoint_op,
                         .b = error.block_address});
    if (!sim_probe_error_text(error, sb->checkpoint_op, owner->index, c->failure)) {
        return READ_FAILED;
    }
    return READ_CORRUPT;
}

/* Reads owner's durable trailer into out; a failure must match what was done to the blocks. */
static read_result read_checkpoint(sim_cluster *c, const sim_replica *reader, sim_replica *owner,
                                   uint8_t *out) {
    const sim_superblock *sb = &owner->superblock;
    SIM_ASSERT(sb->checkpoint_index > 0);
    bool corrupt = owner->storage.area_corrupt[sb->checkpoint_index % 2];
    vsr_error error = vsr_trailer_read(&sb->reference, c->config->block_size, sim_storage_lookup,
                                       &owner->storage, out, c->trailer_size);
    if (error.code != VSR_ERROR_OK) return read_failed(c, reader, owner, error, corrupt);
    if (corrupt) {
        sim_fail(c->failure, "corruption.undetected", sb->checkpoint_op, owner->index,
                 "replica %u read replica %u's checkpoint %" PRIu64 " (op %" PRIu64
                 ") without error, but its blocks were corrupted (torn write or bit flip)",
                 reader->index, owner->index, sb->checkpoint_index, sb->checkpoint_op);
        return READ_FAILED;
    }
    /* "ok" reads back as text too. */
    if (!sim_probe_error_text(error, sb->checkpoint_op, owner->index, c->failure)) {
        return READ_FAILED;
    }
    return READ_OK;
}

/* Installs r->trailer (verified bytes of r->superblock's checkpoint) as r's table. */
static bool install_trailer(sim_cluster *c, sim_replica *r) {
    const sim_superblock *sb = &r->superblock;
    r->op = sb->checkpoint_op;
    if (!sim_check_trailer_checksum(c->log, c->config->clients_max, sb->checkpoint_index, r->op,
                                    r->index, sb->reference.checksum, r->trailer, c->failure)) {
        return false;
    }
    vsr_error error = client_sessions_decode(r->table, r->trailer, sb->reference.size);
    if (error.code != VSR_ERROR_OK) {
        char text[128];
        return sim_fail(
            c->failure, "restore.decode", r->op, r->index,
            "replica %u: decode rejected its verified checkpoint %" PRIu64 " (op %" PRIu64 "): %s",
            r->index, sb->checkpoint_index, r->op, vsr_error_format(error, text, sizeof(text)));
    }
    /* Sessions survive the trip through storage exactly: re-encoding gives the same bytes. */
    return sim_check_restored(r->table, c->scratch_trailer, r->trailer, c->trailer_size,
                              sb->checkpoint_index, r->op, r->index, c->failure);
}

/* ---- state sync ---- */

static sim_replica *sync_source(sim_cluster *c, const sim_replica *r, sim_sync_purpose purpose,
                                uint32_t tried) {
    sim_replica *best = NULL;
    for (uint32_t i = 0; i < c->config->replicas; i++) {
        sim_replica *peer = &c->replicas[i];
        if (peer == r || (tried & (1u << i)) != 0) continue;
        if (peer->superblock.checkpoint_index == 0) continue;
        if (purpose == SIM_SYNC_LAG && peer->superblock.checkpoint_op <= r->op) continue;
        if (best == NULL || peer->superblock.checkpoint_index > best->superblock.checkpoint_index) {
            best = peer;
        }
    }
    return best;
}

static bool sync_install(sim_cluster *c, sim_replica *r, sim_replica *source,
                         sim_sync_purpose purpose) {
    uint32_t area = (uint32_t)(source->superblock.checkpoint_index % 2);
    for (uint32_t block = 0; block < c->block_count; block++) {
        memcpy(sim_storage_block(&r->storage, area, block),
               sim_storage_block(&source->storage, area, block), block_used(c, block));
        r->storage.written[sim_storage_address(&r->storage, area, block) - 1] = true;
    }
    r->storage.area_corrupt[area] = false;
    r->superblock = source->superblock;
    if (purpose == SIM_SYNC_LAG) {
        c->counts->lag_syncs++;
    } else {
        c->counts->repair_syncs++;
    }
    emit(c, &(sim_event){.kind = SIM_EVENT_SYNC,
                         .replica = r->index,
                         .outcome = (uint8_t)purpose,
                         .a = source->index,
                         .op = r->superblock.checkpoint_op});
    return install_trailer(c, r);
}

/* No peer has a readable checkpoint: start over from the empty table and replay the log. */
static void sync_genesis(sim_cluster *c, sim_replica *r) {
    memset(&r->superblock, 0, sizeof(r->superblock));
    client_sessions_reset(r->table);
    r->op = 0;
    c->counts->genesis_syncs++;
    emit(c, &(sim_event){.kind = SIM_EVENT_SYNC,
                         .replica = r->index,
                         .outcome = SIM_SYNC_REPAIR,
                         .a = SIM_REPLICA_NONE});
}

static bool replica_sync(sim_cluster *c, sim_replica *r, sim_sync_purpose purpose) {
    r->needs_repair = false;
    uint32_t tried = 0;
    for (uint32_t attempt = 0; attempt < c->config->replicas; attempt++) {
        sim_replica *source = sync_source(c, r, purpose, tried);
        if (source == NULL) break;
        tried |= 1u << source->index;
        read_result read = read_checkpoint(c, r, source, r->trailer);
        if (read == READ_FAILED) return false;
        if (read == READ_CORRUPT) {
            /* The source learns its checkpoint is bad and repairs itself when it next runs. */
            source->needs_repair = true;
            source->done = false;
            continue;
        }
        return sync_install(c, r, source, purpose);
    }
    if (purpose == SIM_SYNC_REPAIR) sync_genesis(c, r);
    return true;
}

/* ---- faults and recovery ---- */

static bool replica_restart(sim_cluster *c, sim_replica *r) {
    r->down = false;
    c->counts->restarts++;
    const sim_superblock *sb = &r->superblock;
    emit(c, &(sim_event){.kind = SIM_EVENT_RESTART,
                         .replica = r->index,
                         .a = (uint32_t)sb->checkpoint_index,
                         .op = sb->checkpoint_op});
    /* The crash emptied the table (replica_crash_state) and nothing touched it since. */
    r->op = 0;
    r->check_lag = true;
    if (sb->checkpoint_index == 0) return true;
    read_result read = read_checkpoint(c, r, r, r->trailer);
    if (read == READ_OK) return install_trailer(c, r);
    if (read == READ_CORRUPT) return replica_sync(c, r, SIM_SYNC_REPAIR);
    return false;
}

static void replica_crash(sim_cluster *c, sim_replica *r) {
    emit(c, &(sim_event){.kind = SIM_EVENT_CRASH, .replica = r->index, .op = r->op});
    replica_crash_state(c, r);
}

/* Flips one bit that the trailer's checksums cover (header or body, not the zero tail). */
static bool replica_bit_flip(sim_cluster *c, sim_replica *r) {
    if (r->superblock.checkpoint_index == 0) return false;
    uint32_t area = (uint32_t)(r->superblock.checkpoint_index % 2);
    uint32_t block = pcg32_bounded(&c->rng_faults, c->block_count);
    uint32_t byte = pcg32_bounded(&c->rng_faults, block_used(c, block));
    uint32_t bit = pcg32_bounded(&c->rng_faults, 8);
    sim_storage_block(&r->storage, area, block)[byte] ^= (uint8_t)(1u << bit);
    r->storage.area_corrupt[area] = true;
    c->counts->bit_flips++;
    emit(c, &(sim_event){.kind = SIM_EVENT_BIT_FLIP,
                         .replica = r->index,
                         .a = block,
                         .op = r->superblock.checkpoint_op,
                         .b = (uint64_t)byte * 8 + bit});
    return true;
}

/* Verifies the durable checkpoint at rest, as a background scrubber would. */
static bool replica_scrub(sim_cluster *c, sim_replica *r) {
    c->counts->scrubs++;
    emit(c, &(sim_event){
                .kind = SIM_EVENT_SCRUB, .replica = r->index, .op = r->superblock.checkpoint_op});
    if (r->superblock.checkpoint_index == 0) return true;
    read_result read = read_checkpoint(c, r, r, c->scratch_trailer);
    if (read == READ_CORRUPT) return replica_sync(c, r, SIM_SYNC_REPAIR);
    return read != READ_FAILED;
}

static void replica_pause(sim_cluster *c, sim_replica *r) {
    /* Long enough for the peers to move a few checkpoints ahead. */
    uint64_t span = (uint64_t)c->config->checkpoint_interval * c->config->replicas;
    uint64_t steps = span / 2 + pcg32_bounded(&c->rng_faults, (uint32_t)(2 * span + 1));
    r->paused_until = c->step + 1 + steps;
    r->check_lag = true;
    c->counts->pauses++;
    emit(c, &(sim_event){.kind = SIM_EVENT_PAUSE, .replica = r->index, .op = r->op, .b = steps});
}

/* A fault drawn for this step: whether it used the step up, and whether a check failed. */
typedef enum fault_result { FAULT_NONE, FAULT_STEP_USED, FAULT_FAILED } fault_result;

static fault_result replica_step_fault(sim_cluster *c, sim_replica *r) {
    const sim_config *config = c->config;
    if (c->faults_left == 0 ||
        config->p_crash + config->p_bit_flip + config->p_pause + config->p_scrub == 0) {
        return FAULT_NONE;
    }
    uint32_t roll = pcg32_bounded(&c->rng_faults, SIM_PER_MILLE);
    if (roll < config->p_crash) {
        c->faults_left--;
        replica_crash(c, r);
        return FAULT_STEP_USED;
    }
    roll -= config->p_crash;
    if (roll < config->p_bit_flip) {
        if (replica_bit_flip(c, r)) c->faults_left--;
        return FAULT_NONE;
    }
    roll -= config->p_bit_flip;
    if (roll < config->p_pause) {
        if (config->replicas == 1) return FAULT_NONE; /* nobody to lag behind */
        c->faults_left--;
        replica_pause(c, r);
        return FAULT_STEP_USED;
    }
    roll -= config->p_pause;
    if (roll < config->p_scrub) return replica_scrub(c, r) ? FAULT_STEP_USED : FAULT_FAILED;
    return FAULT_NONE;
}

static bool replica_lagging(const sim_cluster *c, const sim_replica *r) {
    uint64_t ahead = 0;
    for (uint32_t i = 0; i < c->config->replicas; i++) {
        const sim_replica *peer = &c->replicas[i];
        if (peer != r && !peer->down && peer->op > ahead) ahead = peer->op;
    }
    return ahead > r->op + 2 * (uint64_t)c->config->checkpoint_interval;
}

/* --inject-bit-flip: the forced corruption of a test, then a scrub that must catch it. */
static bool replica_maybe_inject(sim_cluster *c, sim_replica *r) {
    if (!c->inject_pending || r->index != c->config->inject_bit_flip_replica) return true;
    if (r->op < c->config->inject_bit_flip_op || r->superblock.checkpoint_index == 0) return true;
    c->inject_pending = false;
    replica_bit_flip(c, r);
    return replica_scrub(c, r);
}

/* The burst of ops of a step that is not spent otherwise, then the end of the log. */
static bool replica_run(sim_cluster *c, sim_replica *r) {
    uint32_t burst = 1 + pcg32_bounded(&c->rng_schedule, BURST_MAX);
    for (uint32_t i = 0; i < burst && r->op < c->config->ops; i++) {
        if (!replica_apply_next(c, r)) return false;
        if (r->down) return true;
    }
    if (!replica_maybe_inject(c, r)) return false;
    if (r->down || r->needs_repair || r->op != c->config->ops) return true;
    if (!replica_scrub(c, r)) return false;
    if (!r->down && !r->needs_repair && r->op == c->config->ops) r->done = true;
    return true;
}

bool sim_replica_step(sim_cluster *c, sim_replica *r) {
    SIM_ASSERT(!r->done);
    if (r->down) return c->step < r->down_until || replica_restart(c, r);
    if (c->step < r->paused_until) return true;
    if (r->needs_repair) return replica_sync(c, r, SIM_SYNC_REPAIR);
    if (r->check_lag) {
        r->check_lag = false;
        if (replica_lagging(c, r)) return replica_sync(c, r, SIM_SYNC_LAG);
    }
    if (r->op < c->config->ops) {
        fault_result fault = replica_step_fault(c, r);
        if (fault != FAULT_NONE) return fault == FAULT_STEP_USED;
    }
    return replica_run(c, r);
}

bool sim_replica_final_check(sim_cluster *c, sim_replica *r) {
    SIM_ASSERT(r->op == c->config->ops);
    return sim_check_final(r->table, c->model, r->trailer, c->scratch_trailer, r->op, r->index,
                           c->failure);
}
