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
 * Printing (--trace FILE) is a side channel: it reads events and never
 * feeds anything back, so tracing cannot change the run.
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdint.h>
#include <stdio.h>

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

/* One event; the meaning of a, b, c, d depends on the kind (see trace.c). */
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

typedef struct sim_trace {
    vsr_checksum_stream stream;
    FILE *file; /* NULL unless --trace */
    uint64_t events;
} sim_trace;

void sim_trace_init(sim_trace *trace, FILE *file);
/* Hashes the event; nothing else. */
void sim_trace_event(sim_trace *trace, const sim_event *event);
/* Writes one line to the trace file, if any (printf format). */
void sim_trace_line(sim_trace *trace, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
vsr_u128 sim_trace_final(sim_trace *trace);
/* The canonical bytes of an event (what the hash sees). */
void sim_event_encode(const sim_event *event, uint8_t out[SIM_EVENT_ENCODED_SIZE]);
const char *sim_event_kind_name(sim_event_kind kind);

#endif
