/*
 * trace.h: the record of a run's decisions, hashed and optionally printed.
 *
 * Every decision (an op applied by a replica and its outcome, a checkpoint, a
 * fault, a restart, a sync) becomes one event. Its canonical encoding (fixed
 * width, little-endian, no padding bytes from the compiler) is fed to the
 * streaming vsr_checksum; the 128-bit result is the run's trace hash. Two runs
 * of one seed agree on it exactly when they made the same decisions in the
 * same order, whatever the compiler, optimisation level or sanitizers.
 *
 * Printing (--trace FILE) is a side channel: sim_trace_emit hashes an event
 * and, when tracing, formats its one line from the event's fields (plus what
 * the trace is shown of the run, read only: the step, the op's client from the
 * log, the configuration), named by sim_event_kind_name. It never feeds
 * anything back, so tracing cannot change the run. The fields of each kind (replica: the replica
 * concerned; checkpoint op: the op of the checkpoint concerned, interval * index):
 *
 *   config               the run's first event: outcome swarm, a release, op seed,
 *                        c cluster, d the forced bit flip; then one per parameter:
 *                        a parameter + 1, b its value (no line of their own)
 *   apply                outcome, a slot, op, b evictee slot, c evictee, d reply
 *   checkpoint           a index, op, b trailer size, c its checksum, d last block's
 *   crash                op
 *   crash_mid_checkpoint a blocks written, op
 *   restart              a checkpoint index, op checkpoint op
 *   torn_write           a block, op, b bytes written (0: a lost write)
 *   bit_flip             a block, op checkpoint op, b bit offset in the block
 *   corruption_detected  replica the owner, outcome the reader, a error code,
 *                        op checkpoint op, b block address
 *   sync                 outcome purpose, a source (SIM_REPLICA_NONE: genesis),
 *                        op checkpoint op
 *   pause                op, b steps
 *   scrub                op checkpoint op
 *   decode_reject        outcome defect, a error slot, op, b error code
 *   done                 outcome failed, op steps, b replica ops
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "log.h"
#include "verdict.h"
#include "vsr.h"

#define SIM_EVENT_KINDS(X)                        \
    X(CONFIG, "config")                           \
    X(APPLY, "apply")                             \
    X(CHECKPOINT, "checkpoint")                   \
    X(CRASH, "crash")                             \
    X(CRASH_CHECKPOINT, "crash_mid_checkpoint")   \
    X(RESTART, "restart")                         \
    X(TORN_WRITE, "torn_write")                   \
    X(BIT_FLIP, "bit_flip")                       \
    X(CORRUPTION_DETECTED, "corruption_detected") \
    X(SYNC, "sync")                               \
    X(PAUSE, "pause")                             \
    X(SCRUB, "scrub")                             \
    X(DECODE_REJECT, "decode_reject")             \
    X(DONE, "done")

typedef enum sim_event_kind {
#define SIM_EVENT_ENUM(name, text) SIM_EVENT_##name,
    SIM_EVENT_KINDS(SIM_EVENT_ENUM)
#undef SIM_EVENT_ENUM
        SIM_EVENT_KIND_COUNT
} sim_event_kind;

/* Why a replica syncs (the outcome of a sync event). */
typedef enum sim_sync_purpose { SIM_SYNC_REPAIR = 1, SIM_SYNC_LAG = 2 } sim_sync_purpose;

/* One event; the meaning of a, b, c, d depends on the kind (the table above). */
typedef struct sim_event {
    sim_event_kind kind;
    uint8_t replica;
    uint8_t outcome;
    uint32_t a;
    uint64_t op;
    uint64_t b;
    vsr_u128 c;
    vsr_u128 d;
} sim_event;

enum { SIM_EVENT_ENCODED_SIZE = 56 };

enum { SIM_TRACE_PENDING_EVENTS = 64 };

typedef struct sim_trace {
    vsr_checksum_stream stream;
    /* Encoded events not yet added to the stream: the checksum streams the same bytes in
     * fewer, larger pieces. */
    uint8_t pending[SIM_TRACE_PENDING_EVENTS * SIM_EVENT_ENCODED_SIZE];
    uint32_t pending_events;
    FILE *file; /* NULL unless --trace */
    uint64_t events;
    /* What the lines are formatted with (sim_trace_attach). */
    const sim_config *config;
    const sim_op *log;
    uint32_t block_count;
} sim_trace;

void sim_trace_init(sim_trace *trace, FILE *file);
/* The run the lines speak of: its configuration, committed log and blocks per trailer. */
void sim_trace_attach(sim_trace *trace, const sim_config *config, const sim_op *log,
                      uint32_t block_count);
/* Hashes the event; nothing else. */
void sim_trace_event(sim_trace *trace, const sim_event *event);
/* Hashes the event into the trace; with --trace, writes the event's line (at `step`). */
void sim_trace_emit(sim_trace *trace, uint64_t step, const sim_event *event);
/* With --trace, the summary line of the run's failure (not an event). */
void sim_trace_failure(const sim_trace *trace, uint64_t step, const sim_failure *failure);
vsr_u128 sim_trace_final(sim_trace *trace);
/* The canonical bytes of an event (what the hash sees). */
void sim_event_encode(const sim_event *event, uint8_t out[SIM_EVENT_ENCODED_SIZE]);
const char *sim_event_kind_name(sim_event_kind kind);

#endif
